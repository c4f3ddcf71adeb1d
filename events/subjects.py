"""NATS subjects for events: `cove.<event type>.<dialogue token>`. Nobody builds them by hand."""

from __future__ import annotations

import hashlib
import re

from events.codec import EVENT_TYPES, Event
from events.envelope import Envelope, EventError

SUBJECT_PREFIX = "cove"
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def dialogue_token(dialogue_id: str) -> str:
    """`dialogue_id` as one NATS subject token: kept when it uses only letters, digits, '-' and '_';
    otherwise each run of other characters becomes '_' and a hash suffix keeps tokens distinct."""
    if dialogue_id and not _UNSAFE.search(dialogue_id):
        return dialogue_id
    digest = hashlib.sha256(dialogue_id.encode()).hexdigest()[:10]
    return f"{_UNSAFE.sub('_', dialogue_id)}-{digest}"


def subject_for(event: Event) -> str:
    """The subject an event is published on."""
    return f"{SUBJECT_PREFIX}.{event.type}.{dialogue_token(event.dialogue_id)}"


def subject_pattern(
    event_type: str | type[Envelope] | None = None, dialogue_id: str | None = None
) -> str:
    """A subscription pattern: one event type (class or type name) or all, one dialogue or all."""
    if isinstance(event_type, type):
        event_type = event_type.model_fields["type"].default
    if event_type is not None and event_type not in EVENT_TYPES:
        raise EventError(f"unknown event type {event_type!r}; known: {', '.join(EVENT_TYPES)}")
    dialogue = "*" if dialogue_id is None else dialogue_token(dialogue_id)
    return f"{SUBJECT_PREFIX}.{event_type or '*'}.{dialogue}"
