"""`cove serve` episodes beyond the happy path, over real HTTP on a real nats-server: every kind of bad policy output,
GRPO groups, abandoning, idle timeouts, health, metrics and the OpenAPI page."""

from __future__ import annotations

import asyncio
import json

import pytest

from store.eventlog import EventStore
from tests.serve_helpers import ScriptedPolicy, play, served, serve_settings

pytestmark = pytest.mark.timeout(120)

READ_TOOL = {"retail": "get_user_details", "airline": "get_user_details"}


def _call(name: str, arguments: str) -> dict:
    return {"id": "call_bad", "type": "function", "function": {"name": name, "arguments": arguments}}


BAD_TOOL_OUTPUT = {
    "malformed_arguments": {"role": "assistant", "content": None, "tool_calls": [_call("get_user_details", "{not json")]},
    "unknown_tool": {"role": "assistant", "content": None, "tool_calls": [_call("launch_rockets", "{}")]},
    "tool_calls_not_a_list": {"role": "assistant", "tool_calls": "get_user_details please"},
    "text_and_tool_call": {"role": "assistant", "content": "Let me look you up.", "tool_calls": [_call("get_user_details", '{"user_id": "nobody_1"}')]},
}


@pytest.mark.parametrize("kind", sorted(BAD_TOOL_OUTPUT))
async def test_bad_tool_output_is_answered_like_a_tool_error_and_judged(tmp_path, nats_server, kind):
    """Malformed arguments, an unknown tool, a garbled tool_calls field and text beside a tool call are answered by the tool's error, the episode goes on to a verdict, and text beside a call is a violation."""
    async with served(tmp_path / "out", "retail", nats_server.url) as (server, client):
        [observation] = (await client.post("/episodes", json={"seed": 2, "task_index": 0}, params={"with_acts": True})).json()
        response = await client.post(f"/episodes/{observation['episode_id']}/step", json={"message": BAD_TOOL_OUTPUT[kind]}, params={"with_acts": True})
        assert response.status_code == 200
        answer = response.json()
        assert not answer["done"] and answer["status"] == "policy_turn"
        [tool_message] = answer["messages"]
        assert tool_message["role"] == "tool" and tool_message["tool_call_id"] == answer["recorded"]["tool_calls"][0]["id"]
        assert "error" in tool_message["content"].lower()
        messages = observation["messages"] + [answer["recorded"], tool_message]
        last = await play(client, ScriptedPolicy(serve_settings(tmp_path, "retail", None)), observation | {"messages": messages, "policy_seed": answer["policy_seed"]})
    assert last["verdict"]["scored"]
    rules = {violation.get("rule") for violation in last["verdict"]["violations"]}
    assert ("text_with_tool_call" in rules) == (kind == "text_and_tool_call")


EMPTY_OUTPUT = {
    "empty_content": {"role": "assistant", "content": ""},
    "blank_content_no_calls": {"role": "assistant", "content": "   ", "tool_calls": []},
    "no_fields": {},
}


@pytest.mark.parametrize("kind", sorted(EMPTY_OUTPUT))
async def test_an_empty_message_is_answered_with_an_error_and_the_episode_goes_on(tmp_path, nats_server, kind):
    """A message with neither text nor a tool call gets an error answer, stays the policy's turn, is in the log as the agent's
    unusable reply (as `cove run` records a model's), and the episode goes on to a verdict."""
    async with served(tmp_path / "out", "airline", nats_server.url) as (server, client):
        [observation] = (await client.post("/episodes", json={"seed": 2, "task_index": 1}, params={"with_acts": True})).json()
        episode_id = observation["episode_id"]
        response = await client.post(f"/episodes/{episode_id}/step", json={"message": EMPTY_OUTPUT[kind]}, params={"with_acts": True})
        assert response.status_code == 200
        answer = response.json()
        assert not answer["done"] and answer["status"] == "policy_turn"
        assert answer["recorded"] == {"role": "assistant", "content": ""}
        [error] = answer["messages"]
        assert error["role"] == "system" and error["content"].startswith("Error: ")
        messages = observation["messages"] + [answer["recorded"], error]
        last = await play(client, ScriptedPolicy(serve_settings(tmp_path, "airline", None)), observation | {"messages": messages, "policy_seed": answer["policy_seed"]})
        read = (await client.get(f"/episodes/{episode_id}")).json()
    assert last["done"] and last["verdict"]["scored"] and last["termination"]["reason"] == "user_stop"
    assert read["messages"][2:4] == [answer["recorded"], error]  # the transcript shows what the policy saw
    with EventStore(tmp_path / "out" / "events.db", readonly=True) as store:
        failed = [e for e in store.events(episode_id) if e.type == "model_call_failed"]
    assert [(e.role, e.error_type, e.model) for e in failed] == [("agent", "empty_reply", "cove-serve/policy")]


async def test_a_policy_that_only_sends_bad_output_runs_into_the_error_limit(tmp_path, nats_server):
    """Empty messages and bad tool calls all count towards max_tool_errors: at the limit the episode ends (too_many_errors), scored 0, blamed on the agent."""
    bad = [EMPTY_OUTPUT["empty_content"], BAD_TOOL_OUTPUT["unknown_tool"], EMPTY_OUTPUT["no_fields"], BAD_TOOL_OUTPUT["malformed_arguments"]]
    async with served(tmp_path / "out", "retail", nats_server.url, max_tool_errors=4) as (server, client):
        [observation] = (await client.post("/episodes", json={"seed": 2, "task_index": 0})).json()
        answers = [(await client.post(f"/episodes/{observation['episode_id']}/step", json={"message": message})).json() for message in bad]
    assert [a["done"] for a in answers] == [False, False, False, True]
    last = answers[-1]
    assert last["termination"]["reason"] == "too_many_errors" and last["reward"] == 0.0 and last["verdict"]["attribution"] == "agent"
    assert last["messages"][0]["role"] == "tool" and "error" in last["messages"][0]["content"].lower()  # the last call's error, then the end


async def test_a_group_plays_one_task_with_different_user_seeds(tmp_path, nats_server):
    """n=4 gives four episodes of the same task whose user simulators are seeded apart (member 0 as `cove run`), each run to its own verdict."""
    async with served(tmp_path / "out", "retail", nats_server.url, scripted_error_rate=1.0) as (server, client):
        group = (await client.post("/episodes", json={"seed": 7, "task_index": 3, "n": 4}, params={"with_acts": True})).json()
        policy = ScriptedPolicy(serve_settings(tmp_path, "retail", None))
        finals = await asyncio.gather(*(play(client, policy, observation) for observation in group))
    assert [o["episode_id"].rsplit("-", 1)[1] for o in group] == ["g0", "g1", "g2", "g3"]
    assert len({o["task_index"] for o in group}) == 1 and all(f["done"] for f in finals)
    with EventStore(tmp_path / "out" / "events.db", readonly=True) as store:
        requests = [store.events(o["episode_id"])[0] for o in group]
        tasks = [store.events(o["episode_id"])[1].task for o in group]
        user_turns = [[e.content for e in store.events(o["episode_id"]) if e.type == "user_spoke"] for o in group]
    assert all(task == tasks[0] for task in tasks)
    assert requests[0].user_seed is None and len({r.user_seed for r in requests[1:]}) == 3
    assert len({json.dumps(turns) for turns in user_turns}) > 1  # the customers do not all say the same


async def test_create_is_idempotent_and_next_task_is_handed_out(tmp_path, nats_server):
    """Asking again for an existing episode gives it back as it stands; a create without task_index takes the next task of its sequence."""
    async with served(tmp_path / "out", "retail", nats_server.url) as (server, client):
        [first] = (await client.post("/episodes", json={"seed": 1, "task_index": 4})).json()
        [again] = (await client.post("/episodes", json={"seed": 1, "task_index": 4})).json()
        [following] = (await client.post("/episodes", json={"seed": 1})).json()
        bad = await client.post("/episodes", json={"seed": 1, "constraints": "9-2"})
    assert again["episode_id"] == first["episode_id"] and again["messages"] == first["messages"]
    assert following["task_index"] == 5
    assert bad.status_code == 422


async def test_abandon_ends_an_episode_unscored(tmp_path, nats_server):
    """DELETE ends an open episode unscored with termination `abandoned`; a second DELETE returns the same verdict."""
    async with served(tmp_path / "out", "airline", nats_server.url) as (server, client):
        [observation] = (await client.post("/episodes", json={"seed": 4})).json()
        answer = (await client.delete(f"/episodes/{observation['episode_id']}")).json()
        twice = (await client.delete(f"/episodes/{observation['episode_id']}")).json()
        metrics = (await client.get("/metrics.json")).json()
    assert answer["done"] and answer["termination"]["reason"] == "abandoned"
    assert answer["verdict"]["scored"] is False and answer["reward"] is None
    assert twice["verdict"] == answer["verdict"] and metrics["abandoned"] == 1


async def test_an_idle_episode_times_out_unscored(tmp_path, nats_server):
    """An episode whose policy never answers is ended by the server (policy_timeout), unscored, and a late step is refused."""
    async with served(tmp_path / "out", "retail", nats_server.url, idle_timeout=0.3) as (server, client):
        verified = await _verdict_heard(nats_server.url, "serve-retail-s4-c1-3-ffull-000000-g0")
        [observation] = (await client.post("/episodes", json={"seed": 4})).json()
        episode_id = observation["episode_id"]
        await asyncio.wait_for(verified, 30)
        done = (await client.get(f"/episodes/{episode_id}")).json()
        late = await client.post(f"/episodes/{episode_id}/step", json={"message": {"content": "sorry, I was away"}})
        metrics = (await client.get("/metrics.json")).json()
    assert done["termination"]["reason"] == "policy_timeout" and done["verdict"]["scored"] is False
    assert late.status_code == 409 and metrics["timed_out"] == 1


async def _verdict_heard(nats_url: str, episode_id: str) -> asyncio.Future:
    """A future that resolves when the episode's DialogueVerified is published (a plain NATS subscription)."""
    import nats

    from events import DialogueVerified, subject_pattern

    connection = await nats.connect(nats_url)
    heard = asyncio.get_running_loop().create_future()

    async def on_message(msg) -> None:
        if not heard.done():
            heard.set_result(msg.data)
        await connection.close()

    await connection.subscribe(subject_pattern(DialogueVerified, episode_id), cb=on_message)
    return heard


async def test_health_metrics_and_openapi_page(tmp_path, nats_server):
    """/health says NATS is reached, /metrics (Prometheus text) and /metrics.json count episodes and steps, /openapi.json documents the episode routes and /docs serves the page."""
    async with served(tmp_path / "out", "retail", nats_server.url) as (server, client):
        health = (await client.get("/health")).json()
        [observation] = (await client.post("/episodes", json={})).json()
        await client.post(f"/episodes/{observation['episode_id']}/step", json={"message": {"content": "Could you give me your user id?"}})
        metrics = (await client.get("/metrics.json")).json()
        prometheus = await client.get("/metrics")
        openapi = (await client.get("/openapi.json")).json()
        docs = await client.get("/docs")
    assert health == {"status": "ok", "nats_connected": True, "domain": "retail"}
    assert metrics["episodes_created"] == 1 and metrics["steps"] == 1 and metrics["episodes_open"] == 1 and metrics["step_ms_p50"] is not None
    assert prometheus.headers["content-type"].startswith("text/plain")
    samples = dict(line.rsplit(" ", 1) for line in prometheus.text.splitlines() if line and not line.startswith("#"))
    assert samples["cove_serve_episodes_created_total"] == "1" and samples["cove_serve_steps_total"] == "1" and samples["cove_serve_episodes_open"] == "1"
    assert float(samples['cove_serve_step_seconds{quantile="0.5"}']) == pytest.approx(metrics["step_ms_p50"] / 1000, abs=1e-6)
    assert "# TYPE cove_serve_steps_total counter" in prometheus.text
    assert {"/episodes", "/episodes/{episode_id}/step", "/episodes/{episode_id}", "/health", "/metrics", "/metrics.json"} <= set(openapi["paths"])
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
