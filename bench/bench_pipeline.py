"""The actor pipeline over a real nats-server: throughput, model-call concurrency, scaling, memory.

(a) dialogues/s with the zero-latency scripted models, everything in one process;
(b) models behind an OpenAI-compatible HTTP server answering after 200 ms, 64 dialogues in flight:
    achieved model calls/s against the ideal 64 / 0.2 s = 320/s;
(c) 1 vs 2 `cove worker agent` processes when the agent is the bottleneck;
(d) resident memory per worker type, and RSS over a long run (flat = no leak).
`python -m bench.bench_pipeline [a|b|c|d] [--long]`; `--long` runs (d) over 5,000 dialogues.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import median, row

REPO = Path(__file__).resolve().parents[1]
SERVER_SCRIPT = """
import json, sys, time
sys.path.insert(0, {repo!r})
from tests.openai_server import OpenAIServer, Reply
from actors.scripted import respond_agent, respond_user

def script(request):
    params = {{"seed": request.get("seed"), "error_rate": 0.0}}
    messages, tools = request["messages"], request.get("tools")
    message = respond_agent(messages, tools, params) if tools else respond_user(messages, None, params)
    return Reply(content=message.get("content"), tool_calls=tuple(message.get("tool_calls") or ()), finish_reason="tool_calls" if message.get("tool_calls") else "stop").after({latency})

server = OpenAIServer(script).start()
print(server.url, flush=True)
sys.stdin.read()
"""


def _settings(out: Path, **overrides):
    from cove.settings import RunSettings

    values = dict(domain="retail", count=120, seed=11, concurrency=32, out=out, progress=False, scripted_error_rate=0.0)
    values.update(overrides)
    return RunSettings(**values)


def _run(settings) -> dict:
    from cove.run import run_dialogues

    return asyncio.run(run_dialogues(settings))


def bench_throughput(repeats: int = 3) -> list[dict]:
    """(a) dialogues/s, scripted models, all actors in one process."""
    rates, events = [], []
    for index in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            summary = _run(_settings(Path(tmp), seed=20 + index))
            rates.append(summary["timings"]["dialogues_per_second"])
            events.append(_events_per_dialogue(Path(tmp) / "events.db"))
    return [row("pipeline dialogues/s, scripted models, one process", median(rates), "dialogues/s", ">= 50/s", f"retail, 120 dialogues x {repeats}, 32 in flight, {median(events):.0f} events per dialogue")]


def _events_per_dialogue(path: Path) -> float:
    import sqlite3

    events, dialogues = sqlite3.connect(path).execute("SELECT count(*), count(DISTINCT dialogue_id) FROM events").fetchone()
    return events / dialogues


def bench_model_latency() -> list[dict]:
    """(b) model calls/s through litellm over HTTP with 200 ms latency and 64 dialogues in flight."""
    from cove.settings import RoleSettings

    server = subprocess.Popen([sys.executable, "-c", SERVER_SCRIPT.format(repo=str(REPO), latency=0.2)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        url = server.stdout.readline().strip()
        os.environ["COVE_BENCH_KEY"] = "sk-local-bench"
        role = dict(api_base=url, api_key_env="COVE_BENCH_KEY", concurrency=128, timeout=30.0)
        with tempfile.TemporaryDirectory() as tmp:
            settings = _settings(Path(tmp), count=192, concurrency=64, agent=RoleSettings(model="openai/bench-agent", **role), user=RoleSettings(model="openai/bench-user", **role))
            started = time.monotonic()
            summary = _run(settings)
            elapsed = time.monotonic() - started
            calls = _model_calls(Path(tmp) / "events.db")
    finally:
        server.stdin.close()
        server.terminate()
        server.wait(10)
    rate = calls / summary["timings"]["seconds"]
    return [row("model calls/s, 200 ms latency server, 64 in flight", rate, "calls/s", ">= 288/s (90% of 320)", f"{rate / 320:.0%} of ideal; {calls} calls, {summary['dialogues']} dialogues in {elapsed:.1f} s")]


def _model_calls(path: Path) -> int:
    import sqlite3

    return sqlite3.connect(path).execute("SELECT count(*) FROM events WHERE type IN ('agent_spoke', 'user_spoke') AND payload LIKE '%\"call\":{%'").fetchone()[0]


def _start_workers(url: str, actors: list[str]) -> list[subprocess.Popen]:
    env = {**os.environ, "COVE_LOG_LEVEL": "WARNING"}
    return [subprocess.Popen([sys.executable, "-m", "cove.cli", "worker", actor, "--nats-url", url, "--concurrency", "32", "--scripted-error-rate", "0"], env=env) for actor in actors]


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(30)


def bench_agent_scaling() -> list[dict]:
    """(c) dialogues/s with the agent in 1 vs 2 separate worker processes (everything else in the controller)."""
    from actors.natsserver import EmbeddedNats

    rates = {}
    for replicas in (1, 2):
        with tempfile.TemporaryDirectory() as tmp, EmbeddedNats(Path(tmp) / "nats") as server:
            workers = _start_workers(server.url, ["agent"] * replicas)
            try:
                settings = _settings(Path(tmp) / "out", count=120, concurrency=48, nats_url=server.url, actors=("sampler", "fuzzifier", "user", "executor", "verifier"))
                rates[replicas] = _run(settings)["timings"]["dialogues_per_second"]
            finally:
                _stop(workers)
    return [row("agent workers: 2 vs 1 (agent-bound)", rates[2] / rates[1], "x speed-up", "> 1", f"1 worker {rates[1]:.1f}/s, 2 workers {rates[2]:.1f}/s on 2 cores shared with nats-server and the controller")]


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def bench_memory(long: bool = False) -> list[dict]:
    """(d) RSS of each worker type after a run, and RSS growth across a long run."""
    from actors.natsserver import EmbeddedNats

    actors = ["sampler", "fuzzifier", "user", "agent", "executor", "verifier"]
    count = 5000 if long else 600
    rows = []
    with tempfile.TemporaryDirectory() as tmp, EmbeddedNats(Path(tmp) / "nats") as server:
        workers = _start_workers(server.url, actors)
        try:
            samples: dict[str, list[float]] = {actor: [] for actor in actors}

            def sample(_progress) -> None:
                if _progress.done % max(1, count // 10) == 0:
                    for actor, process in zip(actors, workers):
                        samples[actor].append(_rss_mb(process.pid))

            from cove.run import run_dialogues

            settings = _settings(Path(tmp) / "out", count=count, concurrency=48, nats_url=server.url, actors=())
            asyncio.run(run_dialogues(settings, sample))
        finally:
            for actor, process in zip(actors, workers):
                samples[actor].append(_rss_mb(process.pid))
            _stop(workers)
    for actor in actors:
        values = samples[actor]
        middle = values[len(values) // 2] if values else float("nan")
        rows.append(row(f"RSS of `cove worker {actor}`", values[-1], "MB", "", f"after {count} dialogues; mid-run {middle:.0f} MB, growth second half {values[-1] - middle:+.1f} MB"))
    return rows


def run(long: bool = False, parts: str = "abcd") -> list[dict]:
    rows = []
    for part, function in (("a", bench_throughput), ("b", bench_model_latency), ("c", bench_agent_scaling)):
        if part in parts:
            rows += function()
    if "d" in parts:
        rows += bench_memory(long)
    return rows


if __name__ == "__main__":
    arguments = [a for a in sys.argv[1:] if not a.startswith("--")]
    for line in run(long="--long" in sys.argv, parts="".join(arguments) or "abcd"):
        print(json.dumps(line))
