"""README's litellm example, run as written (three episodes instead of eight) against `cove serve` on a real nats-server,
with a local OpenAI-compatible server as the policy's model (cove's scripted agent behind it)."""

from __future__ import annotations

import asyncio
import contextlib
import io
import re
from pathlib import Path
from typing import Any

import pytest

from actors.scripted.relay import ScriptedRelay
from tests.openai_server import Reply
from tests.serve_helpers import served

pytestmark = pytest.mark.timeout(180)

README = Path(__file__).resolve().parent.parent / "README.md"
EPISODES = 3


def _readme_example() -> str:
    """The python block of README's `cove serve` section that imports CoveEnv and litellm."""
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.DOTALL)
    [example] = [block for block in blocks if "from cove.env_client import CoveEnv" in block and "litellm.completion" in block]
    assert "range(8)" in example
    return example.replace("range(8)", f"range({EPISODES})")


def _scripted_agent() -> Any:
    relay = ScriptedRelay()

    def answer(request: dict[str, Any]) -> Reply:
        message = relay(request["messages"], request.get("tools"), {"seed": request.get("seed"), "error_rate": 0.0})
        calls = tuple(message.get("tool_calls") or ())
        return Reply(content=message.get("content"), tool_calls=calls, finish_reason="tool_calls" if calls else "stop")

    return answer


async def test_the_readme_litellm_example_runs_episodes_to_their_rewards(tmp_path, nats_server, openai_server, monkeypatch):
    """The example's loop (CoveEnv + litellm.completion) plays each episode to its verdict and prints one reward per episode and the mean."""
    openai_server.script = _scripted_agent()
    async with served(tmp_path / "out", "retail", nats_server.url) as (server, client):
        monkeypatch.setenv("COVE_URL", server.url)
        monkeypatch.setenv("POLICY_MODEL", "openai/test-policy")
        monkeypatch.setenv("POLICY_API_BASE", openai_server.url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-policy")
        printed = io.StringIO()

        def run_example() -> None:
            with contextlib.redirect_stdout(printed):
                exec(compile(_readme_example(), "README.md", "exec"), {"__name__": "__readme__"})

        await asyncio.to_thread(run_example)
        episodes = [(await client.get(f"/episodes/serve-retail-s1-c1-3-ffull-{task:06d}-g0")).json() for task in range(EPISODES)]
    lines = printed.getvalue().splitlines()
    assert len(lines) == EPISODES + 1 and lines[-1].startswith("mean reward ")
    for task, (line, episode) in enumerate(zip(lines, episodes)):
        assert episode["done"] and episode["verdict"]["scored"]
        assert line == f"{task} {episode['reward']} {episode['verdict']['attribution']}"
    requests = [r.json for r in openai_server.requests]
    assert requests and all(r["model"] == "test-policy" and r["tools"] for r in requests)  # every policy turn went through litellm to the model server
