"""The per-dialogue hash chain: each event's hash covers its payload and the previous hash; and the content chain,
the same chain without wall-clock values, that certificates and manifests name."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from domains.state import canonical_json
from events import Event, EventError, parse_event

GENESIS_HASH = "0" * 64


def chain_hash(prev_hash: str, payload: str) -> str:
    """sha256 of the previous hash followed by this event's canonical payload."""
    return hashlib.sha256((prev_hash + payload).encode()).hexdigest()


class StoredEvent(NamedTuple):
    dialogue_id: str
    seq: int
    event_id: str
    type: str
    payload: str
    prev_hash: str
    hash: str


def chain_problems(rows: Iterable[StoredEvent], parsed: Sequence[Event | EventError] | None = None) -> list[str]:
    """Everything wrong with one dialogue's stored events (in seq order); empty if intact.

    `parsed`: each row's payload already parsed (`parse_payload`), so a caller that needs the events
    parses them once.
    """
    problems: list[str] = []
    expected_seq, previous_hash = 0, GENESIS_HASH
    for index, row in enumerate(rows):
        if row.seq != expected_seq:
            problems.append(f"gap: expected seq {expected_seq}, found {row.seq} ({row.event_id})")
        if row.prev_hash != previous_hash:
            problems.append(f"broken link at {row.event_id}: prev_hash is not the previous hash")
        expected_seq, previous_hash = row.seq + 1, row.hash
        if not isinstance(row.payload, str):
            problems.append(f"payload at {row.event_id} is stored as {stored_kind(row.payload)}, not as text")
            continue
        if chain_hash(row.prev_hash, row.payload) != row.hash:
            problems.append(f"edited payload at {row.event_id}: hash does not match payload")
        problems.extend(_column_problems(row, parsed[index] if parsed is not None else parse_payload(row.payload)))
    return problems


def parse_payload(payload: object) -> Event | EventError:
    """The event a stored payload holds, or the error that says why it holds none."""
    if not isinstance(payload, str):
        return EventError(f"stored payload is {stored_kind(payload)}, not text")
    try:
        return parse_event(payload)
    except EventError as error:
        return error


def stored_kind(value: object) -> str:
    """What SQLite holds instead of a text payload: 'a BLOB', 'an integer', ..."""
    kinds = {bytes: "a BLOB", int: "an integer", float: "a real number", type(None): "NULL"}
    return kinds.get(type(value), type(value).__name__)


def _column_problems(row: StoredEvent, event: Event | EventError) -> list[str]:
    if isinstance(event, EventError):
        return [f"unparseable payload at {row.event_id}: {event}"]
    stored = (row.dialogue_id, row.seq, row.event_id, row.type)
    if (event.dialogue_id, event.seq, event.event_id, event.type) != stored:
        return [f"columns of {row.event_id} disagree with its payload"]
    return []


# -- the content chain: what certificates and manifests name ------------------------------------

WALL_CLOCK_FIELDS = ("time",)  # the envelope's wall-clock time
WALL_CLOCK_CALL_FIELDS = ("latency_s",)  # a model call's measured latency


def content_payload(payload: object) -> str:
    """A stored payload with its wall-clock values left out (`time`, and a model call's `latency_s`), in canonical JSON.

    Everything else an event says stays. A payload that is not a JSON object is taken as it is stored
    (its text, or its kind), so a damaged row still changes the head.
    """
    if not isinstance(payload, str):
        return f"<{stored_kind(payload)}>"
    try:
        data = json.loads(payload)
    except ValueError:
        return payload
    if not isinstance(data, dict):
        return payload
    for name in WALL_CLOCK_FIELDS:
        data.pop(name, None)
    call = data.get("call")
    if isinstance(call, dict):
        for name in WALL_CLOCK_CALL_FIELDS:
            call.pop(name, None)
    return canonical_json(data)


def content_payload_of_own(payload: str, event: Event) -> str | None:
    """`content_payload(payload)` for a payload that is `event_to_json(event)` decoded, without parsing it again.

    Such a payload is already canonical JSON, so leaving its wall-clock members out of the text gives
    what `content_payload` makes by parsing and serialising it: each member, `"time":` and a call's
    `"latency_s":` followed by its value as `json.dumps` writes it, is cut out with one of its commas.
    None when that text is not found exactly once (a nested member that looks the same): ask `content_payload`.
    """
    text = payload
    members = [(name, getattr(event, name)) for name in WALL_CLOCK_FIELDS]
    call = getattr(event, "call", None)
    if call is not None:
        members += [(name, getattr(call, name)) for name in WALL_CLOCK_CALL_FIELDS]
    for name, value in members:
        member = f'"{name}":{json.dumps(value)}'
        at = text.find(member)
        if at < 0 or text.find(member, at + 1) >= 0:
            return None
        end = at + len(member)
        if text[at - 1] == ",":
            at -= 1
        elif text[end] == ",":
            end += 1
        text = text[:at] + text[end:]
    return text


def content_head(payloads: Iterable[object]) -> str:
    """The head of a dialogue's content chain: the store's chain (`chain_hash` from GENESIS_HASH, event by event
    in seq order) over `content_payload`s. One seed with the same models and base gives the same head, wherever
    and whenever the dialogue ran; any other change to any event (its content, its place, an event more or
    fewer) gives another."""
    head = GENESIS_HASH
    for payload in payloads:
        head = chain_hash(head, content_payload(payload))
    return head
