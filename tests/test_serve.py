"""`cove serve` over real HTTP on a real nats-server: episodes created, stepped by a policy, read, verified."""

from __future__ import annotations

import pytest

from store.eventlog import EventStore
from tests.serve_helpers import ScriptedPolicy, play, served, serve_settings

pytestmark = pytest.mark.timeout(120)


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


EQUIVALENCE_COUNT = 200


def _verdict_without_ids(verdict: dict, dialogue_id: str) -> str:
    import json

    return json.dumps(verdict, sort_keys=True).replace(dialogue_id, "<dialogue>")


@pytest.mark.timeout(400)
@pytest.mark.parametrize("domain", ["retail", "airline"])
async def test_episodes_get_the_verdicts_of_cove_run_and_re_verify(tmp_path, nats_server, domain):
    """With the scripted agent's decisions as the policy, 200 served episodes (tasks 0..199, 64 in flight) get exactly `cove run`'s verdicts for the same seed, and `cove verify` passes on the served log."""
    import asyncio

    from typer.testing import CliRunner

    from cove.cli import app
    from cove.run import run_dialogues
    from cove.settings import RunSettings
    from tests.serve_helpers import BASE

    run = RunSettings(domain=domain, count=EQUIVALENCE_COUNT, seed=5, concurrency=32, out=tmp_path / "run", **BASE)
    await run_dialogues(run)
    with EventStore(run.out / "events.db", readonly=True) as store:
        expected = [_verdict_without_ids(store.events(run.dialogue_id(i))[-1].verdict, run.dialogue_id(i)) for i in range(EQUIVALENCE_COUNT)]
    async with served(tmp_path / "serve", domain, nats_server.url) as (server, client):
        policy = ScriptedPolicy(serve_settings(tmp_path, domain, None))
        in_flight = asyncio.Semaphore(64)

        async def episode(index: int) -> str:
            async with in_flight:
                [observation] = (await client.post("/episodes", json={"seed": 5, "task_index": index}, params={"with_acts": True})).json()
                last = await play(client, policy, observation)
            return _verdict_without_ids(last["verdict"], observation["episode_id"])

        served_verdicts = await asyncio.gather(*(episode(i) for i in range(EQUIVALENCE_COUNT)))
    assert served_verdicts == expected
    assert len({v for v in expected}) > 1  # not one verdict for all: the tasks differ
    result = CliRunner().invoke(app, ["verify", str(tmp_path / "serve")])
    assert result.exit_code == 0, result.output


async def test_the_gymnasium_client_runs_episodes_and_groups(tmp_path, nats_server):
    """CoveEnv.reset/step (a blocking client, as a trainer's rollout worker uses it) plays episodes to their reward; CoveEnv.group gives n of one task; close() abandons an open one."""
    import asyncio

    from cove.env_client import CoveEnv

    async with served(tmp_path / "out", "retail", nats_server.url) as (server, client):
        policy = ScriptedPolicy(serve_settings(tmp_path, "retail", None))
        loop = asyncio.get_running_loop()

        def rollout(env: CoveEnv, messages: list, info: dict) -> tuple[float | None, bool, bool, dict]:
            while True:
                action = asyncio.run_coroutine_threadsafe(policy(messages[0]["content"], messages[1:], env.tools, info["policy_seed"]), loop).result()
                messages, reward, terminated, truncated, info = env.step(action)
                if terminated or truncated:
                    return reward, terminated, truncated, info

        def rollouts() -> tuple[list, CoveEnv]:
            env = CoveEnv(server.url, with_acts=True)
            results = [rollout(env, *env.reset(seed=9, task_index=0))]
            results += [rollout(e, m, i) for e, m, i in CoveEnv.group(server.url, 2, with_acts=True, seed=9, task_index=1)]
            left_open = CoveEnv(server.url)
            left_open.reset(seed=9)
            left_open.close()
            return results, left_open

        results, left_open = await asyncio.to_thread(rollouts)
        read = (await client.get(f"/episodes/{left_open.episode_id}")).json()
    for reward, terminated, truncated, info in results:
        assert terminated and not truncated and reward == info["verdict"]["score"] and reward is not None
    assert read["termination"]["reason"] == "abandoned"


async def test_hundreds_of_episodes_in_flight_all_reach_their_verdicts(tmp_path, nats_server):
    """256 episodes (32 GRPO groups of 8) created and stepped concurrently over HTTP, with text, tool calls and bad calls
    interleaved across episodes, all end with the verifier's verdict and nothing is left open."""
    import asyncio

    import httpx

    script = [
        {"role": "assistant", "content": "Could you give me your user id, please?"},
        {"role": "assistant", "content": None, "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "get_user_details", "arguments": '{"user_id": "nobody_0"}'}}]},
        {"role": "assistant", "content": "Thank you. Is there anything else?"},
    ]
    async with served(tmp_path / "out", "retail", nats_server.url, max_turns=6) as (server, _):
        limits = httpx.Limits(max_connections=300, max_keepalive_connections=300)
        async with httpx.AsyncClient(base_url=server.url, timeout=120, limits=limits) as client:

            async def group(task_index: int) -> list[dict]:
                members = (await client.post("/episodes", json={"seed": 11, "task_index": task_index, "n": 8})).json()
                return list(await asyncio.gather(*(episode(member) for member in members)))

            async def episode(observation: dict) -> dict:
                answer = observation
                for message in script:
                    if answer["done"]:
                        break
                    response = await client.post(f"/episodes/{observation['episode_id']}/step", json={"message": message})
                    assert response.status_code == 200, response.text
                    answer = response.json()
                return answer

            finals = [answer for answers in await asyncio.gather(*(group(index) for index in range(32))) for answer in answers]
            metrics = (await client.get("/metrics.json")).json()
    assert len({f["episode_id"] for f in finals}) == 256
    assert all(f["done"] and f["verdict"]["scored"] for f in finals)
    assert {f["termination"]["reason"] for f in finals} == {"max_turns"} and {f["reward"] for f in finals} == {0.0}
    assert metrics["episodes_created"] == 256 and metrics["episodes_done"] == 256 and metrics["episodes_open"] == 0
    with EventStore(tmp_path / "out" / "events.db", readonly=True) as store:
        verified = [store.events(f["episode_id"])[-1] for f in finals]
    assert all(event.type == "dialogue_verified" for event in verified)
