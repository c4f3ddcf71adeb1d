"""`cove serve` over real HTTP on a real nats-server: episodes created, stepped by a policy, read, verified."""

from __future__ import annotations

import pytest

from store.eventlog import EventStore
from tests.serve_helpers import ScriptedPolicy, play, served, serve_settings


@pytest.mark.parametrize("domain", ["retail", "airline"])
async def test_an_episode_runs_to_its_verdict_over_http(tmp_path, nats_server, domain):
    """Create gives the prompt, tools and opening messages; steps by the scripted policy reach a verdict, which read returns and the store holds."""
    async with served(tmp_path / "out", domain, nats_server.url) as (server, client):
        created = (await client.post("/episodes", json={"seed": 3, "task_index": 0}, params={"with_acts": True})).json()
        assert len(created) == 1
        observation = created[0]
        assert observation["status"] == "policy_turn" and not observation["done"]
        assert [m["role"] for m in observation["messages"]] == ["assistant", "user"]  # the greeting, the customer's opening
        assert "<policy>" in observation["system_prompt"] and observation["tools"][0]["type"] == "function"
        last = await play(client, ScriptedPolicy(serve_settings(tmp_path, domain, None)), observation)
        assert last["done"] and last["verdict"]["scored"] and last["reward"] == last["verdict"]["score"]
        read = (await client.get(f"/episodes/{observation['episode_id']}")).json()
        assert read["verdict"] == last["verdict"] and read["status"] == "done"
        assert (await client.get("/episodes/serve-nothing-here")).status_code == 404
    with EventStore(tmp_path / "out" / "events.db", readonly=True) as store:
        events = store.events(observation["episode_id"])
    assert events[-1].type == "dialogue_verified" and events[-1].verdict == last["verdict"]
