"""Poison messages on cove's subjects become dead letters; the run goes on and nothing crash-loops."""

from __future__ import annotations

import asyncio

import nats

from actors.bus import STREAM_CONFIG
from actors.natsserver import EmbeddedNats
from cove.run import run_dialogues
from cove.settings import RunSettings
from store.eventlog import EventStore

POISON = {
    "cove.user_spoke.bad-1": b"not json at all",
    "cove.agent_spoke.bad-2": b'{"type": "agent_spoke", "dialogue_id": "bad-2"}',
    "cove.dialogue_requested.bad-3": b'{"type": "no_such_event"}',
}


async def _publish_poison(url: str) -> None:
    client = await nats.connect(url)
    js = client.jetstream()
    await js.add_stream(config=STREAM_CONFIG)
    for subject, payload in POISON.items():
        await js.publish(subject, payload)
    await client.close()


def test_poison_messages_are_dead_lettered_and_the_run_completes(tmp_path):
    """Malformed payloads are kept as dead letters (by the actor and by the recorder) while real dialogues finish."""
    with EmbeddedNats(tmp_path / "nats") as server:
        asyncio.run(_publish_poison(server.url))
        settings = RunSettings(domain="retail", scale=0.2, db_seed=1, count=3, seed=9, concurrency=3, out=tmp_path / "out", nats_url=server.url, progress=False)
        summary = asyncio.run(asyncio.wait_for(run_dialogues(settings), 120))
    assert summary["dialogues"] == 3 and summary["unfinished"] == 0
    with EventStore(tmp_path / "out" / "events.db", readonly=True) as store:
        dead = store.dead_letters()
    by_actor = {(d["actor"], d["subject"]) for d in dead}
    assert {("recorder", subject) for subject in POISON} <= by_actor
    assert {("agent", "cove.user_spoke.bad-1"), ("user", "cove.agent_spoke.bad-2"), ("sampler", "cove.dialogue_requested.bad-3")} <= by_actor
    assert all(d["num_delivered"] == 1 and "EventError" in d["error"] for d in dead)
    assert summary["dead_letters"] == len(dead)
