"""Each process's memory of dialogues: the events it has seen, and worlds rebuilt from them.

Any replica can serve any dialogue: when a trigger arrives for a dialogue whose earlier events this
process has not seen (another process produced them), the missing ones are read back from the
JetStream stream, the log of record. In a single-process run every actor shares one cache, so the
stream is never read back.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace

from actors.view import DialogueView
from domains.state import State
from events import Event

FetchEvents = Callable[[str, int], Awaitable[list[Event]]]  # (dialogue_id, up to seq) -> events 0..seq


@dataclass
class DialogueEntry:
    events: list[Event] = field(default_factory=list)
    world: State | None = None  # the tool world after `world_calls` executed tool calls
    world_calls: int = 0
    wire: dict[int, bytes] = field(default_factory=dict)  # seq -> the bytes this process published
    view: DialogueView | None = None  # the last view built of a prefix of `events`

    def view_of_first(self, count: int) -> DialogueView:
        """A view of the first `count` events: the last one built, extended by the events since, so a trigger
        does not fold the whole dialogue again. The caller gets its own copy of it."""
        view = self.view
        if view is None or len(view.events) > count:
            view = self.view = DialogueView.of(self.events[:count])
        else:
            for event in self.events[len(view.events) : count]:
                view.add(event)
        return replace(view, events=list(view.events))


class DialogueCache:
    """Events by dialogue (a contiguous prefix per dialogue), bounded, least recently used out first."""

    def __init__(self, max_dialogues: int = 1024, max_finished: int = 4096) -> None:
        self._entries: OrderedDict[str, DialogueEntry] = OrderedDict()
        self._finished: OrderedDict[str, None] = OrderedDict()  # verdict seen: later triggers are moot
        # the last finished dialogues' entries, for `delivered`: the recorder stores their events after the verdict
        self._just_finished: OrderedDict[str, DialogueEntry] = OrderedDict()
        self.max_dialogues, self.max_finished, self.max_just_finished = max_dialogues, max_finished, 64
        self.hits = 0
        self.misses = 0

    def entry(self, dialogue_id: str) -> DialogueEntry:
        entry = self._entries.get(dialogue_id)
        if entry is None:
            entry = self._entries[dialogue_id] = DialogueEntry()
            while len(self._entries) > self.max_dialogues:
                self._entries.popitem(last=False)
        else:
            self._entries.move_to_end(dialogue_id)
        return entry

    def remember(self, event: Event) -> None:
        """Add an event if it extends the dialogue's known prefix (others are read back when needed)."""
        entry = self.entry(event.dialogue_id)
        if event.seq == len(entry.events):
            entry.events.append(event)

    def published(self, event: Event, body: bytes) -> None:
        """Keep the bytes this process published for a remembered event, so its deliveries need no parsing."""
        entry = self._entries.get(event.dialogue_id)
        if entry is not None and event.seq < len(entry.events) and entry.events[event.seq] is event:
            entry.wire[event.seq] = body

    def delivered(self, msg_id: str | None, body: bytes) -> Event | None:
        """The event a delivery carries, if this process published exactly these bytes under that id; else None (parse it).

        Equal bytes parse to an equal event, so handing back the remembered one changes nothing.
        """
        if not msg_id:
            return None
        dialogue_id, _, seq_text = msg_id.rpartition(":")
        entry = self._entries.get(dialogue_id) or self._just_finished.get(dialogue_id)
        if entry is None or not seq_text.isdigit():
            return None
        seq = int(seq_text)
        if entry.wire.get(seq) != body:
            return None
        event = entry.events[seq]
        return event if event.event_id == msg_id else None

    def forget(self, dialogue_id: str) -> None:
        self._entries.pop(dialogue_id, None)

    def finish(self, dialogue_id: str) -> None:
        """The dialogue has its verdict: drop its world and events and remember (for a while) that it is over.

        The events it published stay known to `delivered` until `max_just_finished` later dialogues have finished.
        """
        entry = self._entries.pop(dialogue_id, None)
        if entry is not None:
            self._just_finished[dialogue_id] = DialogueEntry(events=entry.events, wire=entry.wire)
            while len(self._just_finished) > self.max_just_finished:
                self._just_finished.popitem(last=False)
        self._finished[dialogue_id] = None
        while len(self._finished) > self.max_finished:
            self._finished.popitem(last=False)

    def finished(self, dialogue_id: str) -> bool:
        return dialogue_id in self._finished

    def known(self, dialogue_id: str) -> int:
        entry = self._entries.get(dialogue_id)
        return len(entry.events) if entry else 0

    async def view(self, trigger: Event, fetch: FetchEvents) -> DialogueView:
        """The dialogue up to and including `trigger`, read back from the stream if this process lacks a part."""
        entry = self.entry(trigger.dialogue_id)
        if len(entry.events) < trigger.seq:
            self.misses += 1
            entry.events = await fetch(trigger.dialogue_id, trigger.seq)
            entry.world, entry.world_calls, entry.wire, entry.view = None, 0, {}, None
        else:
            self.hits += 1
        self.remember(trigger)
        return entry.view_of_first(trigger.seq + 1)

    def __len__(self) -> int:
        return len(self._entries)


async def feed_from_stream(client, cache: DialogueCache) -> None:
    """Keep a worker process's cache warm: every dialogue event published anywhere is remembered here.

    A plain (core NATS) subscription sees each event as it is published, usually before the trigger
    that needs it arrives through a durable consumer; anything it missed is read back from the stream.
    Finished dialogues are dropped as soon as their verdict goes by.
    """
    from events import DialogueVerified, EventError, parse_event

    async def remember(msg) -> None:
        try:
            event = parse_event(msg.data)
        except EventError:
            return  # a malformed message is the consumers' to dead-letter
        if isinstance(event, DialogueVerified):
            cache.finish(event.dialogue_id)
        else:
            cache.remember(event)

    await client.subscribe("cove.>", cb=remember)
