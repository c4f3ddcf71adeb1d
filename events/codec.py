"""One union of all events, and their one wire format: compact JSON with sorted keys."""

from __future__ import annotations

import json
from typing import Annotated, Any, Union, get_args

from pydantic import Field, TypeAdapter, ValidationError

from events.calls import ModelCallFailed
from events.dialogue import (
    AgentSpoke,
    DialogueRequested,
    DialogueEnded,
    DialogueVerified,
    InstructionFuzzified,
    TaskSampled,
    UserSpoke,
)
from events.envelope import EventError
from events.tools import ToolCalled, ToolFailed, ToolReturned

Event = Annotated[
    Union[
        DialogueRequested,
        TaskSampled,
        InstructionFuzzified,
        UserSpoke,
        AgentSpoke,
        ToolCalled,
        ToolReturned,
        ToolFailed,
        ModelCallFailed,
        DialogueEnded,
        DialogueVerified,
    ],
    Field(discriminator="type"),
]

EVENT_TYPES: dict[str, type[Any]] = {
    cls.model_fields["type"].default: cls for cls in get_args(get_args(Event)[0])
}

_event_adapter: TypeAdapter[Event] = TypeAdapter(Event)


def parse_event(data: bytes | str | dict[str, Any]) -> Event:
    """An event from its JSON (bytes or text) or from a dict; raises `EventError` if malformed."""
    try:
        if isinstance(data, dict):
            return _event_adapter.validate_python(data)
        if isinstance(data, (bytes, bytearray, str)):
            return _event_adapter.validate_json(data)
    except ValidationError as error:
        raise EventError(f"malformed event: {_describe(error)}") from error
    raise EventError(f"cannot parse an event from {type(data).__name__}")


def event_to_json(event: Event) -> bytes:
    """Compact JSON with sorted keys: equal events give equal bytes."""
    try:
        text = json.dumps(
            event.model_dump(mode="json"),
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
            allow_nan=False,
        )
    except ValueError as error:
        raise EventError(f"event {event.event_id} cannot be serialized: {error}") from error
    return text.encode()


def _describe(error: ValidationError) -> str:
    problems = [
        f"{'.'.join(str(part) for part in problem['loc']) or '<root>'}: {problem['msg']}"
        for problem in error.errors()[:5]
    ]
    more = error.error_count() - len(problems)
    return "; ".join(problems) + (f" (and {more} more)" if more > 0 else "")
