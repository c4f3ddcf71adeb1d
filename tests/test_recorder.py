"""The recorder over a real nats-server: whole batches stored in sequence, each message acked once stored."""

from __future__ import annotations

import asyncio

from actors.bus import STREAM_NAME, RetryPolicy, make_broker, publish_event, start_bus, stop_bus
from actors.natsserver import EmbeddedNats
from actors.recorder import Recorder, build_recorder_router
from events import AgentSpoke, UserSpoke, event_to_json, subject_for
from store.eventlog import EventStore

TIMEOUT = 10.0


def _turns(dialogue_id: str, count: int) -> list:
    cls = (UserSpoke, AgentSpoke)
    return [cls[seq % 2](dialogue_id=dialogue_id, seq=seq, time=1000.0 + seq, actor="test", content=f"turn {seq}") for seq in range(count)]


async def _settled(js, recorder: Recorder, held: int) -> None:
    """Wait until the recorder holds `held` deliveries and every other message of its consumer is acked."""
    async with asyncio.timeout(TIMEOUT):
        while True:
            info = await js.consumer_info(STREAM_NAME, "recorder-events")
            if len(recorder.held()) == held and info.num_pending == 0 and info.num_ack_pending == held:
                return
            await asyncio.sleep(0.01)


async def test_recorder_holds_early_events_across_batches_and_acks_each_once_stored(nats_server: EmbeddedNats, tmp_path) -> None:
    """Events that reach the stream last-first are held unacked until their predecessors arrive, then stored in order and all acked."""
    events = _turns("d1", 4)
    recorder = Recorder(EventStore(tmp_path / "events.db"))
    broker = make_broker(nats_server.url)
    broker.include_router(build_recorder_router(recorder, broker, RetryPolicy()))
    await start_bus(broker)
    recorder.start()
    js = broker.config.connection_state.stream

    async def publish(event) -> None:
        await publish_event(broker, subject_for(event), event_to_json(event), event.event_id)

    try:
        await publish(events[3])
        await _settled(js, recorder, held=1)  # delivered, not stored: seq 0..2 are missing
        for event in (events[2], events[1]):
            await publish(event)
        await _settled(js, recorder, held=3)
        assert recorder.store.events("d1") == []
        await publish(events[0])
        await _settled(js, recorder, held=0)
    finally:
        await stop_bus(broker)
        await recorder.stop()
    assert [e.seq for e in recorder.store.events("d1")] == [0, 1, 2, 3]
    assert recorder.held() == [] and recorder.stored == 4


async def test_recorder_retries_a_batch_the_store_cannot_take(nats_server: EmbeddedNats, tmp_path) -> None:
    """A batch that fails to store is nak'ed, not acked, and stored on a redelivery once the store works again."""
    event = _turns("d2", 1)[0]
    recorder = Recorder(EventStore(tmp_path / "events.db"))
    recorder.store.close()  # every read and write now raises
    broker = make_broker(nats_server.url)
    broker.include_router(build_recorder_router(recorder, broker, RetryPolicy(max_deliver=50, first_delay=0.05, max_delay=0.1)))
    await start_bus(broker)
    js = broker.config.connection_state.stream
    try:
        await publish_event(broker, subject_for(event), event_to_json(event), event.event_id)
        async with asyncio.timeout(TIMEOUT):
            while (await js.consumer_info(STREAM_NAME, "recorder-events")).num_redelivered < 1:
                await asyncio.sleep(0.01)
        recorder.store = EventStore(tmp_path / "events.db")
        await _settled(js, recorder, held=0)
    finally:
        await stop_bus(broker)
    assert [e.event_id for e in recorder.store.events("d2")] == [event.event_id]
