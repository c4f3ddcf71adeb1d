"""cove on a 3-node JetStream cluster: a node lost mid-run (the stream's leader) costs no dialogue and changes no byte."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from actors.bus import STREAM_NAME
from tests.nats_cluster import NatsCluster
from tests.progress import verified_rows, wait_for

COUNT = "10"
FLAGS = ["--domain", "retail", "--scale", "0.2", "--db-seed", "1", "--seed", "7", "--scripted-error-rate", "0.3", "--model-timeout", "10", "--no-progress"]
WORKER_FLAGS = ["--domain", "retail", "--scale", "0.2", "--db-seed", "1", "--scripted-error-rate", "0.3", "--model-timeout", "10", "--concurrency", "4"]
ACTORS = ("sampler", "fuzzifier", "user", "agent", "executor", "verifier")
ENV = {**os.environ, "COVE_LOG_LEVEL": "WARNING"}


def _cove(log: Path, *args: str) -> subprocess.Popen:
    """`cove ARGS` in its own process group, its stderr in `log`."""
    with log.open("ab") as stderr:
        return subprocess.Popen([sys.executable, "-m", "cove.cli", *args], env=ENV, stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True)


@contextmanager
def _processes() -> Iterator[list[subprocess.Popen]]:
    """Processes started in the block; whatever is still running at its end is killed and reaped."""
    started: list[subprocess.Popen] = []
    try:
        yield started
    finally:
        for process in started:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)




def _finished(run: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    try:
        run.wait(timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the run did not finish in {timeout} s; its log: {log}")
    assert run.returncode == 0, log.read_text()[-3000:]


def _lose_the_stream_leader(cluster: NatsCluster, out: Path, run: subprocess.Popen) -> tuple[str, int, int]:
    """kill -9 the stream's leader after 3 verdicts, restart it after 2 more; (node, verdicts at the kill, at the restart)."""
    wait_for(lambda: verified_rows(out / "events.db") >= 3 or run.poll() is not None, 120, "3 verified dialogues")
    assert run.poll() is None, "the run finished before the node could be lost"
    leader = cluster.stream_leader(STREAM_NAME)
    cluster.kill(leader)
    at_kill = verified_rows(out / "events.db")
    wait_for(lambda: verified_rows(out / "events.db") >= at_kill + 2 or run.poll() is not None, 120, "dialogues verified without the node")
    at_restart = verified_rows(out / "events.db")
    cluster.restart(leader)
    return leader, at_kill, at_restart


def _same_files(out: Path, reference: Path) -> None:
    for name in ("sft.jsonl", "rewards.jsonl"):
        assert (out / name).read_bytes() == (reference / name).read_bytes(), name


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    """An uninterrupted run with the tests' settings on the embedded (single) nats-server."""
    out = tmp_path_factory.mktemp("reference")
    log = out.parent / "reference.log"
    with _processes() as started:
        started.append(run := _cove(log, "run", "--count", COUNT, "--concurrency", "3", *FLAGS, "--out", str(out)))
        _finished(run, log)
    return out


def test_stream_leader_killed_mid_run_loses_nothing(nats_cluster: NatsCluster, tmp_path: Path, reference: Path) -> None:
    """`cove run` with all three servers and --stream-replicas 3 goes on while the stream's leader is killed, and writes the uninterrupted run's files."""
    out, log = tmp_path / "run", tmp_path / "run.log"
    with _processes() as started:
        started.append(run := _cove(log, "run", "--count", COUNT, "--concurrency", "3", *FLAGS, "--nats-url", nats_cluster.urls, "--stream-replicas", "3", "--out", str(out)))
        leader, at_kill, at_restart = _lose_the_stream_leader(nats_cluster, out, run)
        _finished(run, log)
    assert at_restart >= at_kill + 2, "dialogues were verified while the node was down"
    _same_files(out, reference)
    wait_for(lambda: nats_cluster.stream_replicas_current(STREAM_NAME), 30, f"{leader} to catch up with the stream")
    for consumer in ("recorder-events", *ACTORS):
        assert nats_cluster.consumer_replicas(STREAM_NAME, consumer) == 3, consumer


def test_workers_serve_through_the_loss_of_a_node(nats_cluster: NatsCluster, tmp_path: Path, reference: Path) -> None:
    """One `cove worker` per actor type, given all three servers, keeps serving while the node leading the stream (and holding clients) is killed; the files equal the uninterrupted run's."""
    out, log = tmp_path / "run", tmp_path / "run.log"
    servers = ["--nats-url", nats_cluster.urls, "--stream-replicas", "3"]
    with _processes() as started:
        started.append(run := _cove(log, "run", "--count", COUNT, "--concurrency", "3", *FLAGS, *servers, "--actors", "none", "--out", str(out)))
        workers = [_cove(tmp_path / f"{actor}.log", "worker", actor, *servers, *WORKER_FLAGS) for actor in ACTORS]
        started.extend(workers)
        wait_for(lambda: verified_rows(out / "events.db") >= 2 or run.poll() is not None, 120, "2 verified dialogues")
        busiest = max(nats_cluster.running(), key=lambda name: sum(client.startswith("cove-") for client in nats_cluster.client_names(name)))
        nats_cluster.move_stream_leader(STREAM_NAME, busiest)  # the node to lose leads the stream and serves clients
        clients = [client for client in nats_cluster.client_names(busiest) if client.startswith("cove-")]
        leader, at_kill, at_restart = _lose_the_stream_leader(nats_cluster, out, run)
        _finished(run, log)
        still_serving = [process.poll() is None for process in workers]
    assert leader == busiest and clients, "the lost node led the stream and had cove clients"
    assert at_restart >= at_kill + 2, "dialogues were verified while the node was down"
    assert all(still_serving), "every worker served through the loss, none was restarted"
    _same_files(out, reference)


def test_a_run_waits_out_a_lost_quorum(nats_cluster: NatsCluster, tmp_path: Path, reference: Path) -> None:
    """With two of three nodes killed the stream takes no writes: the run says it is waiting, goes on once one node is back, and writes the uninterrupted run's files."""
    out, log = tmp_path / "run", tmp_path / "run.log"
    with _processes() as started:
        started.append(run := _cove(log, "run", "--count", COUNT, "--concurrency", "3", *FLAGS, "--nats-url", nats_cluster.urls, "--stream-replicas", "3", "--out", str(out)))
        wait_for(lambda: verified_rows(out / "events.db") >= 2 or run.poll() is not None, 120, "2 verified dialogues")
        leader = nats_cluster.stream_leader(STREAM_NAME)
        lost = [leader, next(name for name in nats_cluster.running() if name != leader)]
        for name in lost:
            nats_cluster.kill(name)
        wait_for(lambda: "nats_unavailable_retrying" in log.read_text() or run.poll() is not None, 60, "the run to report that it waits for NATS")
        assert run.poll() is None, "the run waits while the stream has no quorum"
        nats_cluster.restart(lost[1])
        _finished(run, log)
    _same_files(out, reference)
