"""The bus against a real nats-server: durable publishes, dedup, shared consumers, retries, restarts."""

import asyncio
import sys
from collections import Counter
from pathlib import Path

import pytest
from faststream.nats import NatsBroker, NatsMessage

from actors import bus
from actors.bus import (
    STREAM_NAME,
    ActorRouter,
    Delivery,
    RetryPolicy,
    publish_event,
)
from events import MessageDeadLettered
from actors.natsserver import EmbeddedNats, NatsServerNotFoundError, find_nats_server
from tests.nats_fixtures import running_broker

TIMEOUT = 5.0


def collecting_router(actor: str, expected: int) -> tuple[ActorRouter, list[str], asyncio.Event]:
    """A router on `cove.work.>` that records each msg id and sets the event after `expected`."""
    router, seen, done = ActorRouter(actor), [], asyncio.Event()

    @router.consumes("cove.work.>")
    async def collect(msg: NatsMessage) -> None:
        seen.append(Delivery.of(msg.raw_message).msg_id)
        if len(seen) >= expected:
            done.set()

    return router, seen, done


def dead_letter_watcher() -> tuple[ActorRouter, asyncio.Queue[MessageDeadLettered]]:
    """A router that puts every `cove-deadletter.>` event on the returned queue."""
    router, dead_letters = ActorRouter("deadletter-watcher"), asyncio.Queue()

    @router.consumes("cove-deadletter.>")
    async def watch(msg: NatsMessage) -> None:
        await dead_letters.put(MessageDeadLettered.model_validate_json(msg.body))

    return router, dead_letters


async def wait_until_settled(broker: NatsBroker, consumer: str, acked: int) -> None:
    """Poll the consumer until its first `acked` messages are settled (acks travel asynchronously)."""
    js = broker.config.connection_state.stream
    async with asyncio.timeout(TIMEOUT):
        while True:
            info = await js.consumer_info(STREAM_NAME, consumer)
            if info.ack_floor.stream_seq >= acked and info.num_ack_pending == 0:
                return
            await asyncio.sleep(0.01)


def test_missing_nats_server_error_names_both_places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a nats-server beside Python or on PATH, the error says where it looked."""
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(NatsServerNotFoundError, match="nats-server not found at .* nor on PATH"):
        find_nats_server()


async def test_server_accepts_jetstream(nats_server: EmbeddedNats) -> None:
    """The embedded server accepts a client with JetStream enabled, and a publish lands in COVE."""
    async with running_broker(nats_server.url) as broker:
        ack = await publish_event(broker, "cove.work.hello", b"{}", "hello-1")
    assert (ack.stream, ack.seq) == (STREAM_NAME, 1)
    assert nats_server.pid is not None and nats_server.url.startswith("nats://127.0.0.1:")


async def test_same_msg_id_is_stored_once(nats_server: EmbeddedNats) -> None:
    """Publishing twice with one Nats-Msg-Id stores one message; the second PubAck says duplicate."""
    async with running_broker(nats_server.url) as broker:
        first = await publish_event(broker, "cove.work.a", b"1", "event-1")
        second = await publish_event(broker, "cove.work.a", b"1", "event-1")
        info = await broker.config.connection_state.stream.stream_info(STREAM_NAME)
    assert not first.duplicate and second.duplicate and second.seq == first.seq
    assert info.state.messages == 1


async def test_stored_messages_are_the_published_bytes_with_only_the_msg_id_headers(nats_server: EmbeddedNats) -> None:
    """An event is stored as published, with its msg id and expected stream and nothing random (no correlation id)."""
    dead = MessageDeadLettered(actor="a", subject="cove.work.x", payload=b"x", headers={}, error="e", num_delivered=3, stream_seq=7)
    async with running_broker(nats_server.url) as broker:
        await publish_event(broker, "cove.work.a", b'{"b":1}', "event-1")
        await publish_event(broker, "cove-deadletter.a", dead, "dead-1")
        js = broker.config.connection_state.stream
        stored = [await js.get_msg(STREAM_NAME, seq) for seq in (1, 2)]
    assert [message.headers for message in stored] == [
        {"Nats-Msg-Id": "event-1", "Nats-Expected-Stream": STREAM_NAME},
        {"Nats-Msg-Id": "dead-1", "Nats-Expected-Stream": STREAM_NAME},
    ]
    assert stored[0].data == b'{"b":1}'
    assert MessageDeadLettered.model_validate_json(stored[1].data) == dead


@pytest.mark.parametrize("reply", [
    "$JS.ACK.COVE.agent.3.1207.88.1764633599123456789.5",  # the server's usual form
    "$JS.ACK.hub.a1b2c3.COVE.agent.3.1207.88.1764633599123456789.5.x7Yz",  # with a domain and account hash
    "$JS.ACK.hub.a1b2c3.COVE.agent.2.99.88.1764633599123456789.0",  # the same from an older server (11 tokens)
])
def test_delivery_counts_read_from_the_reply_agree_with_nats_py_metadata(reply: str) -> None:
    from nats.aio.msg import Msg

    from actors.bus import delivery_counts

    raw = Msg(None, subject="cove.agent_spoke.d1", reply=reply, data=b"{}")
    meta = raw.metadata
    assert delivery_counts(raw) == (meta.num_delivered, meta.sequence.stream)


def test_a_delivery_without_a_jetstream_reply_is_refused_as_nats_py_refuses_it() -> None:
    from nats.aio.msg import Msg

    from actors.bus import delivery_counts

    for reply in ("", "_INBOX.abc", "$JS.ACK.COVE.agent.x.1.2.3.4", "$JS.ACK.a.b.c.d.e.f.g.h.i"):
        with pytest.raises(Exception) as expected:
            Msg(None, subject="s", reply=reply, data=b"").metadata
        with pytest.raises(type(expected.value)):
            delivery_counts(Msg(None, subject="s", reply=reply, data=b""))


async def test_replicas_share_one_durable_consumer(nats_server: EmbeddedNats) -> None:
    """Two replicas of one actor split the messages: each is handled once and both get some."""
    total, seen_a, seen_b, done = 40, [], [], asyncio.Event()

    def replica(seen: list[str]) -> ActorRouter:
        router = ActorRouter("worker")

        @router.consumes("cove.work.>")
        async def work(msg: NatsMessage) -> None:
            seen.append(Delivery.of(msg.raw_message).msg_id)
            await asyncio.sleep(0.002)  # a little work, so one replica cannot drain the queue alone
            if len(seen_a) + len(seen_b) >= total:
                done.set()

        return router

    async with (
        running_broker(nats_server.url, replica(seen_a)) as broker,
        running_broker(nats_server.url, replica(seen_b)),
    ):
        for n in range(total):
            await publish_event(broker, f"cove.work.{n}", b"{}", f"job-{n}")
        await asyncio.wait_for(done.wait(), TIMEOUT)
        await wait_until_settled(broker, "worker", total)
    handled = Counter(seen_a + seen_b)
    assert set(handled) == {f"job-{n}" for n in range(total)} and set(handled.values()) == {1}
    assert seen_a and seen_b


async def test_max_workers_runs_handlers_concurrently(nats_server: EmbeddedNats) -> None:
    """With max_workers=4 one replica runs four handlers at once (they meet at a barrier)."""
    barrier, done = asyncio.Barrier(4), asyncio.Event()
    router = ActorRouter("parallel")

    @router.consumes("cove.work.>", max_workers=4)
    async def meet(msg: NatsMessage) -> None:
        await asyncio.wait_for(barrier.wait(), TIMEOUT)  # raises unless four handlers are running
        done.set()

    async with running_broker(nats_server.url, router) as broker:
        for n in range(4):
            await publish_event(broker, f"cove.work.{n}", b"{}", f"parallel-{n}")
        await asyncio.wait_for(done.wait(), TIMEOUT)
        await wait_until_settled(broker, "parallel", 4)


async def test_failing_handler_is_retried_then_dead_lettered(nats_server: EmbeddedNats) -> None:
    """A handler that always raises gets max_deliver tries with backoff, then one dead-letter event."""
    deliveries: list[int] = []
    flaky = ActorRouter("flaky", RetryPolicy(max_deliver=3, first_delay=0.05, max_delay=0.2))

    @flaky.consumes("cove.work.>")
    async def always_fail(msg: NatsMessage) -> None:
        deliveries.append(Delivery.of(msg.raw_message).num_delivered)
        raise ValueError("tool backend down")

    watcher, dead_letters = dead_letter_watcher()
    async with running_broker(nats_server.url, flaky, watcher) as broker:
        await publish_event(broker, "cove.work.order", b"\xff not json", "order-1")
        dead = await asyncio.wait_for(dead_letters.get(), TIMEOUT)
        await wait_until_settled(broker, "flaky", 1)
    assert deliveries == [1, 2, 3]
    assert (dead.actor, dead.subject, dead.payload) == ("flaky", "cove.work.order", b"\xff not json")
    assert dead.num_delivered == 3 and "tool backend down" in dead.error
    assert dead.headers["Nats-Msg-Id"] == "order-1" and dead_letters.empty()


async def test_unsettled_deliveries_are_dead_lettered_unrun(nats_server: EmbeddedNats) -> None:
    """A message whose deliveries never settle (worker hung or died) is dead-lettered, not run again."""
    hung, release, run_by_b = asyncio.Event(), asyncio.Event(), []
    replica_a = ActorRouter("stuck", RetryPolicy(max_deliver=1))
    replica_b = ActorRouter("stuck", RetryPolicy(max_deliver=1))

    @replica_a.consumes("cove.work.>", ack_wait=0.2)
    async def hang(msg: NatsMessage) -> None:
        hung.set()
        await release.wait()  # unsettled past ack_wait: JetStream redelivers it to replica B

    @replica_b.consumes("cove.work.>", ack_wait=0.2)
    async def record(msg: NatsMessage) -> None:
        run_by_b.append(msg)

    watcher, dead_letters = dead_letter_watcher()
    async with running_broker(nats_server.url, replica_a, watcher) as broker:
        await publish_event(broker, "cove.work.poison", b"{}", "poison-1")
        await asyncio.wait_for(hung.wait(), TIMEOUT)
        async with running_broker(nats_server.url, replica_b):
            dead = await asyncio.wait_for(dead_letters.get(), TIMEOUT)
        release.set()
    assert (dead.actor, dead.num_delivered) == ("stuck", 2) and "UnsettledDeliveriesError" in dead.error
    assert run_by_b == []


async def test_a_running_handler_keeps_its_message_past_ack_wait(nats_server: EmbeddedNats, monkeypatch: pytest.MonkeyPatch) -> None:
    """While its handler runs, a message's heartbeat resets ack_wait, so it is not redelivered however long the handler takes."""
    monkeypatch.setattr(bus, "HEARTBEAT_INTERVAL", 0.05)
    router, deliveries = ActorRouter("slow"), []

    @router.consumes("cove.work.>", ack_wait=0.3, max_workers=2)
    async def slow(msg: NatsMessage) -> None:
        deliveries.append(Delivery.of(msg.raw_message).num_delivered)
        await asyncio.sleep(1.0)  # the long handler under test: more than three ack_waits

    async with running_broker(nats_server.url, router) as broker:
        await publish_event(broker, "cove.work.long", b"{}", "long-1")
        await wait_until_settled(broker, "slow", 1)
        info = await broker.config.connection_state.stream.consumer_info(STREAM_NAME, "slow")
    assert deliveries == [1] and info.num_redelivered == 0


async def test_messages_survive_a_server_restart(nats_server: EmbeddedNats) -> None:
    """Messages stored before a graceful restart are consumed after it (file storage)."""
    async with running_broker(nats_server.url) as broker:
        for n in range(10):
            await publish_event(broker, f"cove.work.{n}", b"{}", f"before-restart-{n}")
    nats_server.restart()
    router, seen, done = collecting_router("after-restart", expected=10)
    async with running_broker(nats_server.url, router):
        await asyncio.wait_for(done.wait(), TIMEOUT)
    assert sorted(seen) == sorted(f"before-restart-{n}" for n in range(10))


async def test_kill_then_restart_keeps_messages_and_reconnects(nats_server: EmbeddedNats) -> None:
    """After kill -9 and a restart, acked messages are still stored and a live broker reconnects."""
    reconnected = asyncio.Event()

    async def on_reconnect() -> None:
        reconnected.set()

    async with running_broker(nats_server.url, reconnected_cb=on_reconnect) as broker:
        for n in range(3):
            await publish_event(broker, f"cove.work.{n}", b"{}", f"before-kill-{n}")
        old_pid = nats_server.pid
        nats_server.kill()
        nats_server.restart()
        assert nats_server.pid != old_pid
        # a publish racing the reconnect can time out (and may still be stored): await the reconnect
        await asyncio.wait_for(reconnected.wait(), TIMEOUT)
        for n in range(3):
            await publish_event(broker, f"cove.work.{n}", b"{}", f"after-kill-{n}")
    router, seen, done = collecting_router("survivor", expected=6)
    async with running_broker(nats_server.url, router):
        await asyncio.wait_for(done.wait(), TIMEOUT)
    expected = [f"{when}-kill-{n}" for when in ("before", "after") for n in range(3)]
    assert sorted(seen) == sorted(expected)
