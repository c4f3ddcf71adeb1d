"""The recorder: every event of the stream into the SQLite store, in batches, acked once stored.

The recorder's consumer hands over whatever arrived within a quarter of a second as one batch; the
batch is stored in one transaction, and each message acked once its event is in the store. Events
of a dialogue are stored strictly in sequence: one that arrives ahead of a missing predecessor
waits in memory until the gap is filled (its message stays unacked meanwhile, kept alive by a
heartbeat, so nothing is lost if the process dies). Dead letters are kept in their own table.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import structlog
from faststream.nats import NatsBroker, NatsMessage
from nats.aio.msg import Msg

from actors.bus import HEARTBEAT_INTERVAL, ActorRouter, RetryPolicy, retry_or_dead_letter, unsettled
from actors.cache import DialogueCache
from events import Event, EventError, MessageDeadLettered
from events.dead_letters import DEAD_LETTER_PREFIX
from store.eventlog import EventStore

log = structlog.get_logger(__name__)


@dataclass
class _Pending:
    event: Event
    done: asyncio.Future | None = None  # `record`: resolved once the event is stored
    msg: Msg | None = None  # `store_deliveries`: the delivery to ack once the event is stored
    payload: str | None = None  # the event's canonical JSON, when known (its bytes as this process published them)


class StoreFailedError(RuntimeError):
    """The store refused a batch; `ready` are the events that were to be stored (their senders retry)."""

    def __init__(self, ready: list[_Pending], error: Exception) -> None:
        super().__init__(repr(error))
        self.ready, self.error = ready, error


@dataclass
class Recorder:
    store: EventStore
    on_stored: Callable[[list[Event]], None] | None = None
    _waiting: dict[str, dict[int, _Pending]] = field(default_factory=dict)  # ahead of a gap
    _last: dict[str, int] = field(default_factory=dict)
    _heartbeat: asyncio.Task | None = None
    stored: int = 0

    def start(self) -> None:
        """Keep the deliveries that wait for a gap alive (their ack_wait is reset every HEARTBEAT_INTERVAL)."""
        if self._heartbeat is None:
            self._heartbeat = asyncio.create_task(self._keep_alive(), name="recorder-heartbeat")

    async def stop(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            try:
                await self._heartbeat
            except asyncio.CancelledError:
                pass
            self._heartbeat = None

    async def record(self, event: Event) -> None:
        """Returns once the event is in the store (or was already)."""
        done = asyncio.get_running_loop().create_future()
        try:
            self._write([_Pending(event, done=done)])
        except StoreFailedError as failed:
            for item in failed.ready:
                if item.done is not None and not item.done.done():
                    item.done.set_exception(failed.error)
        await done

    def store_deliveries(self, deliveries: list[tuple[Event, Msg, bool]]) -> list[Msg]:
        """Store a batch of delivered events; returns the deliveries now stored (to ack), earlier held ones included.

        Each delivery says whether its bytes are the event's canonical JSON (this process encoded them:
        stored as they are, not encoded again). Raises StoreFailedError (naming the deliveries that
        were to be stored) when the store fails.
        """
        ready = self._write([_Pending(event, msg=msg, payload=msg.data.decode() if canonical else None) for event, msg, canonical in deliveries])
        return [item.msg for item in ready if item.msg is not None]

    def held(self) -> list[Msg]:
        """The deliveries waiting in memory for a missing predecessor."""
        return [item.msg for waiting in self._waiting.values() for item in waiting.values() if item.msg is not None]

    async def _keep_alive(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_INTERVAL)
            for msg in self.held():
                try:
                    await msg.in_progress()
                except Exception as error:  # e.g. disconnected: the next beat tries again
                    log.debug("heartbeat_failed", error=repr(error))

    def _last_seq(self, dialogue_id: str) -> int:
        if dialogue_id not in self._last:
            last = self.store.last_seq(dialogue_id)
            self._last[dialogue_id] = -1 if last is None else last
        return self._last[dialogue_id]

    def _write(self, batch: list[_Pending]) -> list[_Pending]:
        """Store what the batch makes ready (in sequence), in one transaction; returns those items."""
        ready: list[_Pending] = []
        for item in batch:
            event = item.event
            if event.seq <= self._last_seq(event.dialogue_id):
                ready.append(item)  # already stored: append() checks it is identical and skips it
            else:
                self._waiting.setdefault(event.dialogue_id, {})[event.seq] = item  # a redelivery replaces its copy
        for dialogue_id in {item.event.dialogue_id for item in batch}:
            waiting = self._waiting.get(dialogue_id, {})
            next_seq = self._last_seq(dialogue_id) + 1
            while next_seq in waiting:
                ready.append(waiting.pop(next_seq))
                next_seq += 1
            self._last[dialogue_id] = next_seq - 1
            if not waiting:
                self._waiting.pop(dialogue_id, None)
        if not ready:
            return ready
        try:
            result = self.store.append_encoded([(item.event, item.payload) for item in ready])
        except Exception as error:  # every sender of the batch gets the error (and a retry)
            self._last.clear()  # re-read positions from the store next time
            log.error("recorder_write_failed", error=repr(error), events=len(ready))
            raise StoreFailedError(ready, error) from error
        self.stored += result.inserted
        for item in ready:
            if item.done is not None and not item.done.done():
                item.done.set_result(None)
        if self.on_stored is not None:
            self.on_stored([item.event for item in ready])
        return ready


def build_recorder_router(
    recorder: Recorder, broker: NatsBroker, retry: RetryPolicy, *, batch_size: int = 256,
    on_dead_letter: Callable[[MessageDeadLettered], Awaitable[None]] | None = None, cache: DialogueCache | None = None,
) -> ActorRouter:  # fmt: skip
    """The recorder's subscribers: all dialogue events, and dead letters (each handed to `on_dead_letter` once stored).

    `cache`: the actors' cache in this process; an event they published is taken from it instead of parsed again
    (and its bytes, which this process encoded, are stored without encoding it again).
    """
    from events import parse_event

    router = ActorRouter("recorder", retry)

    @router.consumes_batches("cove.>", consumer="recorder-events", batch_size=batch_size)
    async def record_events(msg: NatsMessage) -> None:
        deliveries: list[tuple[Event, Msg, bool]] = []
        for raw in msg.raw_message:
            if error := unsettled(retry, raw):  # earlier tries hung or killed the process: not again
                await retry_or_dead_letter(broker, "recorder", retry, raw, error)
                continue
            event = cache.delivered((raw.headers or {}).get("Nats-Msg-Id"), raw.data) if cache is not None else None
            if event is not None:
                deliveries.append((event, raw, True))
                continue
            try:
                deliveries.append((parse_event(raw.data), raw, False))
            except EventError as error:
                await _dead_letter_poison(broker, retry, raw, error)
        try:
            stored = recorder.store_deliveries(deliveries)
        except StoreFailedError as failed:
            for item in failed.ready:
                if item.msg is not None:
                    await retry_or_dead_letter(broker, "recorder", retry, item.msg, failed.error)
            return
        except Exception as error:  # e.g. the store cannot even be read: the whole batch is tried again
            log.error("recorder_batch_failed", error=repr(error), events=len(deliveries))
            for _, raw, _ in deliveries:
                await retry_or_dead_letter(broker, "recorder", retry, raw, error)
            return
        for raw in stored:
            await raw.ack()

    @router.consumes(f"{DEAD_LETTER_PREFIX}.>", consumer="recorder-deadletters")
    async def record_dead_letter(msg: NatsMessage) -> None:
        dead = MessageDeadLettered.model_validate_json(msg.body)
        recorder.store.put_dead_letter(dead)
        log.warning("dead_letter_recorded", actor=dead.actor, subject=dead.subject, error=dead.error)
        if on_dead_letter is not None:
            await on_dead_letter(dead)

    return router


async def _dead_letter_poison(broker: NatsBroker, retry: RetryPolicy, raw: Msg, error: EventError) -> None:
    """A message that is no event: kept as a dead letter, then acked (a failed dead-lettering is tried again)."""
    from actors.runtime import dead_letter

    try:
        await dead_letter(broker, "recorder", raw, f"EventError: {error}")
    except Exception as publish_error:
        await retry_or_dead_letter(broker, "recorder", retry, raw, publish_error)
        return
    await raw.ack()
