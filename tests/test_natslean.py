"""actors/natslean.py against a real nats-server: the lean `next_msg` of pull subscriptions, the reply tokens."""

import asyncio
import gc

import nats
import pytest
from nats import errors

from actors.natslean import _token_hex, cheap_request_tokens, lean_next_msg
from actors.natsserver import EmbeddedNats
from cove.actor_setup import RUNNING_GC_THRESHOLDS, start_up_frozen


async def _pull_subscription(url: str):
    connection = await nats.connect(url)
    js = connection.jetstream()
    await js.add_stream(name="T", subjects=["t.>"])
    return connection, js, await js.pull_subscribe("t.>", durable="reader")


async def test_fetch_with_the_lean_next_msg_gets_every_message_in_order(nats_server: EmbeddedNats) -> None:
    connection, js, pulled = await _pull_subscription(nats_server.url)
    try:
        assert lean_next_msg(pulled._sub)
        assert "next_msg" in vars(pulled._sub)  # shadows the method on this subscription only
        for index in range(25):
            await js.publish(f"t.{index}", str(index).encode())
        got: list[bytes] = []
        while len(got) < 25:
            batch = await pulled.fetch(10, timeout=2.0)
            assert 1 <= len(batch) <= 10
            for msg in batch:
                got.append(msg.data)
                await msg.ack()
        assert got == [str(index).encode() for index in range(25)]
        assert pulled._sub._pending_size == 0  # the bookkeeping nats-py's own next_msg does
        assert pulled._sub._pending_next_msgs_calls == {}
        with pytest.raises(errors.TimeoutError):  # nothing left: fetch times out as it always did
            await pulled.fetch(5, timeout=0.3)
        # a message published while a fetch waits wakes it
        waiting = asyncio.ensure_future(pulled.fetch(5, timeout=5.0))
        await asyncio.sleep(0)
        await js.publish("t.late", b"late")
        assert [msg.data for msg in await waiting] == [b"late"]
    finally:
        await connection.close()


async def test_a_waiting_call_ends_with_connection_closed_when_the_connection_closes(nats_server: EmbeddedNats) -> None:
    connection, _js, pulled = await _pull_subscription(nats_server.url)
    assert lean_next_msg(pulled._sub)
    waiting = asyncio.ensure_future(pulled._sub.next_msg(timeout=30))
    while not pulled._sub._pending_next_msgs_calls:  # registered where closing looks for waiting calls
        await asyncio.sleep(0)
    await connection.close()
    with pytest.raises(errors.ConnectionClosedError):
        await asyncio.wait_for(waiting, 5)


async def test_callback_subscriptions_keep_nats_py_own_next_msg(nats_server: EmbeddedNats) -> None:
    connection = await nats.connect(nats_server.url)
    try:
        async def handler(msg) -> None:
            pass

        sub = await connection.subscribe("plain", cb=handler)
        assert not lean_next_msg(sub)
        assert not lean_next_msg(object())  # not a nats-py subscription at all
        assert "next_msg" not in vars(sub)
    finally:
        await connection.close()


def test_actors_run_with_higher_gc_thresholds_and_leave_the_old_ones_behind() -> None:
    before = gc.get_threshold()
    with start_up_frozen():
        assert gc.get_threshold() == RUNNING_GC_THRESHOLDS
        assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


async def test_requests_get_their_reply_tokens_without_a_system_call_and_still_get_answers(nats_server: EmbeddedNats) -> None:
    import nats.aio.client as client

    assert cheap_request_tokens() and client.token_hex is _token_hex  # installed when actors.bus is imported
    tokens = {_token_hex(2) for _ in range(2000)}
    assert all(len(token) == 4 and int(token, 16) >= 0 for token in tokens) and len(tokens) > 1500
    connection = await nats.connect(nats_server.url)
    try:
        async def echo(msg) -> None:
            await msg.respond(msg.data.upper())

        await connection.subscribe("echo", cb=echo)
        answers = await asyncio.gather(*(connection.request("echo", f"r{index}".encode(), timeout=5) for index in range(200)))
        assert [answer.data for answer in answers] == [f"R{index}".encode() for index in range(200)]
    finally:
        await connection.close()
