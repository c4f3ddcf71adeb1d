"""Decisions return drafts (an event type and its fields); the runtime stamps the envelope on them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from events import Event


@dataclass(frozen=True)
class Draft:
    """An event to be: its class and its own fields, without id, sequence, time or actor."""

    cls: type
    fields: dict[str, Any]


def draft(cls: type, **fields: Any) -> Draft:
    return Draft(cls, fields)


def stamp(drafts: Sequence[Draft], dialogue_id: str, first_seq: int, actor: str, causation_id: str | None, clock: Callable[[], float]) -> list[Event]:
    """Events numbered from `first_seq`, each caused by the previous one (the first by `causation_id`)."""
    events: list[Event] = []
    for offset, item in enumerate(drafts):
        event = item.cls(
            dialogue_id=dialogue_id,
            seq=first_seq + offset,
            time=clock(),
            actor=actor,
            causation_id=events[-1].event_id if events else causation_id,
            **item.fields,
        )
        events.append(event)
    return events
