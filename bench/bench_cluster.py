"""What `--stream-replicas` costs: the COVE stream kept on 1 vs 3 nodes of a 3-node loopback cluster.

(p) one publish + PubAck round trip (`publish_event`, one after another): the price of waiting for a
    quorum of the replicas instead of one server;
(r) whole-pipeline dialogues/s with the scripted models, every actor in one process (as bench_pipeline
    (a)), on the single embedded nats-server and on the cluster with 1 and 3 replicas.
The three nats-servers run on the same 2 cores as cove, so a replica's work is paid in cove's CPU too.
`python -m bench.bench_cluster [p|r]`.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from bench.common import median, row

MESSAGES = 1000
COUNT = 120


async def _publish_round_trips(urls: str, replicas: int) -> list[float]:
    """Seconds per publish_event on a fresh COVE stream with `replicas`."""
    from actors.bus import make_broker, publish_event, start_bus, stop_bus

    broker = make_broker(urls)
    await start_bus(broker, stream_replicas=replicas)
    try:
        times = []
        for index in range(MESSAGES):
            started = time.perf_counter()
            await publish_event(broker, f"cove.bench.{index}", b'{"bench": true}', f"bench-{replicas}-{index}")
            times.append(time.perf_counter() - started)
        return times
    finally:
        await _delete_stream(broker)
        await stop_bus(broker)


async def _delete_stream(broker) -> None:
    from actors.stream import STREAM_NAME

    await broker.config.connection_state.stream.delete_stream(STREAM_NAME)


def bench_publish(cluster) -> list[dict]:
    rows = []
    for replicas in (1, 3):
        times = asyncio.run(_publish_round_trips(cluster.urls, replicas))
        ordered = sorted(times)
        rows.append(row(f"publish + PubAck, 3-node cluster, --stream-replicas {replicas}", median(times) * 1000, "ms", "", f"{MESSAGES} sequential publishes; p99 {ordered[int(len(ordered) * 0.99)] * 1000:.2f} ms"))
    return rows


def _dialogues_per_second(out: Path, **overrides) -> float:
    from cove.run import run_dialogues
    from cove.settings import RunSettings

    settings = RunSettings(domain="retail", count=COUNT, seed=11, concurrency=32, out=out, progress=False, scripted_error_rate=0.0, **overrides)
    return asyncio.run(run_dialogues(settings))["timings"]["dialogues_per_second"]


async def _drop_stream(urls: str) -> None:
    from actors.bus import make_broker, stop_bus

    broker = make_broker(urls)
    await broker.connect()
    try:
        await _delete_stream(broker)
    finally:
        await stop_bus(broker)


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of running processes (from /proc)."""
    ticks = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def bench_pipeline(cluster, repeats: int = 3) -> list[dict]:
    rates: dict[str, list[float]] = {"embedded": [], "1": [], "3": []}
    server_cpu: dict[str, list[float]] = {"1": [], "3": []}  # ms of the three nats-servers' CPU per dialogue
    pids = [node.pid for node in cluster.nodes.values()]
    for _ in range(repeats):  # interleaved, so drift of the shared machine hits all three alike
        for setting in rates:
            with tempfile.TemporaryDirectory() as tmp:
                if setting == "embedded":
                    rates[setting].append(_dialogues_per_second(Path(tmp)))
                    continue
                before = _cpu_seconds(pids)
                rates[setting].append(_dialogues_per_second(Path(tmp), nats_url=cluster.urls, stream_replicas=int(setting)))
                server_cpu[setting].append((_cpu_seconds(pids) - before) / COUNT * 1000)
                asyncio.run(_drop_stream(cluster.urls))
    runs = "; ".join(f"{key} {', '.join(f'{rate:.2f}' for rate in values)}" for key, values in rates.items())
    return [
        row("pipeline dialogues/s, embedded single nats-server", median(rates["embedded"]), "dialogues/s", "", f"retail, {COUNT} dialogues x {repeats}, 32 in flight, one process; runs: {runs}"),
        row("pipeline dialogues/s, 3-node cluster, --stream-replicas 1", median(rates["1"]), "dialogues/s", "", f"the three nats-servers use {median(server_cpu['1']):.0f} ms CPU per dialogue"),
        row("pipeline dialogues/s, 3-node cluster, --stream-replicas 3", median(rates["3"]), "dialogues/s", "", f"{median(rates['3']) / median(rates['1']):.0%} of replicas 1; the three nats-servers use {median(server_cpu['3']):.0f} ms CPU per dialogue"),
    ]


def run(parts: str = "pr") -> list[dict]:
    from tests.nats_cluster import NatsCluster

    rows = []
    with tempfile.TemporaryDirectory() as tmp, NatsCluster(Path(tmp) / "cluster") as cluster:
        if "p" in parts:
            rows += bench_publish(cluster)
        if "r" in parts:
            rows += bench_pipeline(cluster)
    return rows


if __name__ == "__main__":
    for line in run("".join(sys.argv[1:]) or "pr"):
        print(json.dumps(line))
