"""`cove serve --actors none`: the sampler, fuzzifier, user simulator, executor and verifier run as `cove worker` processes on a shared real nats-server."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

import pytest

from cove.run import run_dialogues
from cove.settings import RunSettings
from store.eventlog import EventStore
from tests.serve_helpers import BASE, ScriptedPolicy, play, served, serve_settings

pytestmark = pytest.mark.timeout(240)

WORKER_ACTORS = ("sampler", "fuzzifier", "user", "executor", "verifier")
COUNT = 4


def _worker(actor: str, nats_url: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "cove.cli", "worker", actor, "--nats-url", nats_url, "--domain", "retail", "--scale", str(BASE["scale"]), "--db-seed", str(BASE["db_seed"])]
    return subprocess.Popen(command, env={**os.environ, "COVE_LOG_LEVEL": "WARNING"}, stderr=subprocess.DEVNULL)


async def test_serve_with_actors_none_plays_episodes_through_cove_workers(tmp_path, nats_server):
    """With no actors in the serve process, episodes are sampled, answered and verified by `cove worker` processes, and get `cove run`'s verdicts for the same seed."""
    run = RunSettings(domain="retail", count=COUNT, seed=6, concurrency=4, out=tmp_path / "run", **BASE)
    await run_dialogues(run)
    with EventStore(run.out / "events.db", readonly=True) as store:
        expected = [json.dumps(store.events(run.dialogue_id(i))[-1].verdict, sort_keys=True).replace(run.dialogue_id(i), "<d>") for i in range(COUNT)]
    workers = [_worker(actor, nats_server.url) for actor in WORKER_ACTORS]
    try:
        async with served(tmp_path / "serve", "retail", nats_server.url, actors=()) as (server, client):
            policy = ScriptedPolicy(serve_settings(tmp_path, "retail", None))

            async def episode(index: int) -> str:
                [observation] = (await client.post("/episodes", json={"seed": 6, "task_index": index}, params={"with_acts": True})).json()
                last = await play(client, policy, observation)
                return json.dumps(last["verdict"], sort_keys=True).replace(observation["episode_id"], "<d>")

            served_verdicts = await asyncio.gather(*(episode(i) for i in range(COUNT)))
    finally:
        for process in workers:
            process.terminate()
        for process in workers:
            process.wait(20)
    assert served_verdicts == expected
    with EventStore(tmp_path / "serve" / "events.db", readonly=True) as store:
        actors = {event.actor for i in range(COUNT) for event in store.events(f"serve-retail-s6-c1-3-ffull-{i:06d}-g0")}
    assert {"sampler", "fuzzifier", "user", "executor", "verifier", "agent"} <= actors  # every actor's work is in the log, done by the workers
