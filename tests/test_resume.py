"""Interrupted runs: `cove run --resume DIR` finishes them, refuses other settings, and a nats-server restart mid-run is survived."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from actors.natsserver import EmbeddedNats
from cove.run import run_dialogues
from cove.settings import RunSettings
from tests.progress import verified_rows, wait_for

FLAGS = ["--domain", "retail", "--scale", "0.2", "--db-seed", "1", "--seed", "5", "--scripted-error-rate", "0.3", "--model-timeout", "10", "--no-progress"]
ENV = {**os.environ, "COVE_LOG_LEVEL": "WARNING"}


def _cove(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cove.cli", *args], check=False, env=ENV, capture_output=True, text=True, timeout=180, **kwargs)




@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    """An uninterrupted run with the test's settings."""
    out = tmp_path_factory.mktemp("reference")
    result = _cove("run", "--count", "12", "--concurrency", "3", *FLAGS, "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out


def test_killed_run_resumes_to_the_same_files(tmp_path, reference):
    """A run killed with SIGKILL (controller and its nats-server) and resumed writes the files an uninterrupted run writes."""
    out = tmp_path / "run"
    process = subprocess.Popen([sys.executable, "-m", "cove.cli", "run", "--count", "12", "--concurrency", "3", *FLAGS, "--out", str(out)], env=ENV, stderr=subprocess.PIPE, start_new_session=True)
    try:
        wait_for(lambda: verified_rows(out / "events.db") >= 3 or process.poll() is not None, 120, "3 verified dialogues")
        assert process.poll() is None, "the run finished before it could be interrupted"
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # like a crashed machine: the embedded nats-server dies too
        process.wait()
    assert not (out / "rewards.jsonl").exists() and verified_rows(out / "events.db") < 12
    result = _cove("run", "--resume", str(out))
    assert result.returncode == 0, result.stderr
    for name in ("rewards.jsonl", "sft.jsonl"):
        assert (out / name).read_bytes() == (reference / name).read_bytes(), name
    assert b"nats_auth" not in (out / "run.json").read_bytes()


@pytest.mark.parametrize(("flags", "named"), [(["--seed", "6"], "seed"), (["--agent-model", "cove/scripted-user"], "agent")])
def test_resume_with_other_settings_is_refused(reference, flags, named):
    """`--resume` with another seed or model exits 2 naming the setting, and leaves the folder untouched."""
    before = {p: p.read_bytes() for p in sorted(reference.rglob("*")) if p.is_file()}
    result = _cove("run", "--resume", str(reference), *flags)
    assert result.returncode == 2 and "cannot resume" in result.stderr and named in result.stderr, result.stderr
    assert {p: p.read_bytes() for p in sorted(reference.rglob("*")) if p.is_file()} == before


def test_resume_of_a_folder_without_a_run_is_refused(tmp_path):
    """`--resume` of a folder holding no run.json is a clear error, exit 2."""
    result = _cove("run", "--resume", str(tmp_path))
    assert result.returncode == 2 and "no run to resume" in result.stderr


def test_nats_server_restart_mid_run(tmp_path):
    """Restarting the nats-server (file storage) after the first finished dialogue does not stop the run."""

    async def scenario(server: EmbeddedNats):
        restarted = []

        def on_progress(progress) -> None:
            if not restarted:
                restarted.append(asyncio.get_running_loop().run_in_executor(None, server.restart))

        settings = RunSettings(domain="retail", scale=0.2, db_seed=1, count=8, seed=5, concurrency=3, out=tmp_path / "run", progress=False, scripted_error_rate=0.3, nats_url=server.url)
        summary = await asyncio.wait_for(run_dialogues(settings, on_progress), 120)
        await restarted[0]
        return summary

    with EmbeddedNats(tmp_path / "nats") as server:
        first_pid = server.pid
        summary = asyncio.run(scenario(server))
        assert server.pid != first_pid
    assert summary["dialogues"] == 8 and summary["verified"] == 8 and summary["unfinished"] == 0
