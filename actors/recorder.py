"""The recorder: every event of the stream into the SQLite store, in batches, acked once stored.

Handlers hand their event to one writer task and wait; the writer drains whatever has arrived into
one transaction. Events of a dialogue are stored strictly in sequence: one that arrives ahead of a
missing predecessor waits in memory until the gap is filled (its message stays unacked meanwhile,
so nothing is lost if the process dies). Dead letters are kept in their own table.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import structlog
from faststream.nats import NatsBroker, NatsMessage

from actors.bus import ActorRouter, RetryPolicy
from events import Event, EventError, MessageDeadLettered, parse_event
from events.dead_letters import DEAD_LETTER_PREFIX
from store.eventlog import EventStore

log = structlog.get_logger(__name__)


@dataclass
class _Pending:
    event: Event
    done: asyncio.Future


@dataclass
class Recorder:
    store: EventStore
    on_stored: Callable[[list[Event]], None] | None = None
    _queue: asyncio.Queue = field(default_factory=asyncio.Queue)
    _waiting: dict[str, dict[int, _Pending]] = field(default_factory=dict)  # ahead of a gap
    _last: dict[str, int] = field(default_factory=dict)
    _writer: asyncio.Task | None = None
    stored: int = 0

    def start(self) -> None:
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_loop(), name="recorder-writer")

    async def stop(self) -> None:
        if self._writer is not None:
            self._writer.cancel()
            try:
                await self._writer
            except asyncio.CancelledError:
                pass
            self._writer = None

    async def record(self, event: Event) -> None:
        """Returns once the event is in the store (or was already)."""
        self.start()
        done = asyncio.get_running_loop().create_future()
        await self._queue.put(_Pending(event, done))
        await done

    def _last_seq(self, dialogue_id: str) -> int:
        if dialogue_id not in self._last:
            last = self.store.last_seq(dialogue_id)
            self._last[dialogue_id] = -1 if last is None else last
        return self._last[dialogue_id]

    async def _write_loop(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                self._write(batch)
            except Exception as error:  # the store failed: every waiting handler gets the error (and a retry)
                log.error("recorder_write_failed", error=repr(error), events=len(batch))
                for item in batch:
                    if not item.done.done():
                        item.done.set_exception(error)

    def _write(self, batch: list[_Pending]) -> None:
        ready: list[_Pending] = []
        for item in batch:
            event = item.event
            if event.seq <= self._last_seq(event.dialogue_id):
                ready.append(item)  # already stored: append() checks it is identical and skips it
            else:
                self._waiting.setdefault(event.dialogue_id, {})[event.seq] = item
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
            return
        try:
            result = self.store.append([item.event for item in ready])
        except Exception:
            self._last.clear()  # re-read positions from the store next time
            raise
        self.stored += result.inserted
        for item in ready:
            if not item.done.done():
                item.done.set_result(None)
        if self.on_stored is not None:
            self.on_stored([item.event for item in ready])


def build_recorder_router(
    recorder: Recorder, broker: NatsBroker, retry: RetryPolicy, *, max_workers: int = 256,
    on_dead_letter: Callable[[MessageDeadLettered], Awaitable[None]] | None = None,
) -> ActorRouter:  # fmt: skip
    """The recorder's subscribers: all dialogue events, and dead letters (each handed to `on_dead_letter` once stored)."""
    router = ActorRouter("recorder", retry)

    @router.consumes("cove.>", consumer="recorder-events", max_workers=max_workers, batch_size=64)
    async def record_event(msg: NatsMessage) -> None:
        try:
            event = parse_event(msg.body)
        except EventError as error:
            from actors.runtime import dead_letter

            await dead_letter(broker, "recorder", msg, f"EventError: {error}")
            return
        await recorder.record(event)

    @router.consumes(f"{DEAD_LETTER_PREFIX}.>", consumer="recorder-deadletters")
    async def record_dead_letter(msg: NatsMessage) -> None:
        dead = MessageDeadLettered.model_validate_json(msg.body)
        recorder.store.put_dead_letter(dead)
        log.warning("dead_letter_recorded", actor=dead.actor, subject=dead.subject, error=dead.error)
        if on_dead_letter is not None:
            await on_dead_letter(dead)

    return router
