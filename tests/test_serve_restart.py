"""`cove serve` killed with -9 mid-episode and started again on the same log: the episode goes on to its verdict."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import httpx
import pytest
from typer.testing import CliRunner

from tests.serve_helpers import ScriptedPolicy, serve_settings

pytestmark = pytest.mark.timeout(180)


async def _start(out, nats_url: str) -> tuple[asyncio.subprocess.Process, str]:
    """`cove serve` as its own process; its URL from the line it prints once it listens."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cove.cli", "serve", "--domain", "retail", "--scale", "0.2", "--db-seed", "1", "--port", "0", "--out", str(out), "--nats-url", nats_url,
        stderr=asyncio.subprocess.PIPE, env={**os.environ, "COVE_LOG_LEVEL": "ERROR"},
    )  # fmt: skip
    line = (await asyncio.wait_for(process.stderr.readline(), 60)).decode()
    assert " at http://" in line, line
    return process, line.split(" at ", 1)[1].split()[0]


async def test_a_killed_server_continues_its_open_episode(tmp_path, nats_server):
    """Two steps, kill -9, restart on the same --out: the episode is read back from the stream, the next steps are taken, the verdict comes, and `cove verify` passes."""
    from cove.cli import app

    out = tmp_path / "out"
    policy = ScriptedPolicy(serve_settings(tmp_path, "retail", None))
    process, url = await _start(out, nats_server.url)
    try:
        async with httpx.AsyncClient(base_url=url, timeout=60) as client:
            [observation] = (await client.post("/episodes", json={"seed": 5, "task_index": 2}, params={"with_acts": True})).json()
            messages, answer = list(observation["messages"]), observation
            for _ in range(2):
                message = await policy(observation["system_prompt"], messages, observation["tools"], answer["policy_seed"])
                answer = (await client.post(f"/episodes/{observation['episode_id']}/step", json={"message": message}, params={"with_acts": True})).json()
                messages += [answer["recorded"], *answer["messages"]]
        assert not answer["done"]
    finally:
        process.send_signal(signal.SIGKILL)
        await process.wait()
    process, url = await _start(out, nats_server.url)
    try:
        async with httpx.AsyncClient(base_url=url, timeout=60) as client:
            read = (await client.get(f"/episodes/{observation['episode_id']}", params={"with_acts": True})).json()
            assert read["messages"] == messages and read["status"] == "policy_turn" and read["policy_seed"] == answer["policy_seed"]
            while not answer["done"]:
                message = await policy(observation["system_prompt"], messages, observation["tools"], answer["policy_seed"])
                answer = (await client.post(f"/episodes/{observation['episode_id']}/step", json={"message": message}, params={"with_acts": True})).json()
                messages += [m for m in [answer["recorded"], *answer["messages"]] if m is not None]
            metrics = (await client.get("/metrics.json")).json()
    finally:
        process.send_signal(signal.SIGTERM)
        await process.wait()
    assert answer["verdict"]["scored"] and metrics["episodes_open"] == 0
    result = CliRunner().invoke(app, ["verify", str(out)])
    assert result.exit_code == 0, result.output
