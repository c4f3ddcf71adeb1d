"""kill -9 any actor's worker process mid-run and start it again: nothing lost, nothing applied twice, same scores."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from actors.natsserver import EmbeddedNats
from cove.cli import app
from cove.run import run_dialogues
from cove.settings import RunSettings

ACTORS = ("sampler", "fuzzifier", "user", "agent", "executor", "verifier")
COMMON = ["--domain", "retail", "--scale", "0.2", "--db-seed", "1", "--scripted-error-rate", "0.3", "--concurrency", "4"]


def _settings(out: Path, **overrides) -> RunSettings:
    values = dict(domain="retail", scale=0.2, db_seed=1, count=12, seed=8, concurrency=4, out=out, progress=False, scripted_error_rate=0.3)
    return RunSettings(**(values | overrides))


def _start(actor: str, url: str) -> subprocess.Popen:
    env = {**os.environ, "COVE_LOG_LEVEL": "WARNING"}
    return subprocess.Popen([sys.executable, "-m", "cove.cli", "worker", actor, "--nats-url", url, *COMMON], env=env, stderr=subprocess.DEVNULL)


def test_every_actor_type_killed_mid_run_loses_nothing(tmp_path):
    """Each worker type is SIGKILLed once while dialogues are in flight (the agent twice) and restarted; the run equals an uninterrupted one."""
    reference = tmp_path / "reference"
    asyncio.run(run_dialogues(_settings(reference)))
    kills = list(ACTORS) + ["agent"]
    with EmbeddedNats(tmp_path / "nats") as server:
        workers = {actor: _start(actor, server.url) for actor in ACTORS}

        def on_progress(progress) -> None:
            """After each finished dialogue, kill -9 the next actor type's worker and start a fresh one."""
            if kills:
                actor = kills.pop(0)
                workers[actor].kill()
                workers[actor].wait(10)
                workers[actor] = _start(actor, server.url)

        try:
            settings = _settings(tmp_path / "killed", nats_url=server.url, actors=())
            summary = asyncio.run(asyncio.wait_for(run_dialogues(settings, on_progress), 300))
        finally:
            for process in workers.values():
                process.terminate()
            for process in workers.values():
                process.wait(20)
    assert not kills, "the run ended before every actor type was killed"
    assert summary["dialogues"] == 12 and summary["unfinished"] == 0
    for name in ("rewards.jsonl", "sft.jsonl"):
        assert (tmp_path / "killed" / name).read_bytes() == (reference / name).read_bytes(), name
    verified = CliRunner().invoke(app, ["verify", "--store", str(tmp_path / "killed" / "events.db"), "--json"])
    assert verified.exit_code == 0, verified.output  # every recorded tool result replays: no effect applied twice
    assert all(json.loads(line)["ok"] for line in verified.output.splitlines())
