"""The envelope every event carries, and the one helper that names events.

An event id is `f"{dialogue_id}:{seq:04d}"`: deterministic, so an event published twice has one id,
JetStream's deduplication drops the copy, and the store recognises it. Constructors fill it in when
it is left out and refuse one that does not match.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class EventError(ValueError):
    """An event that cannot be parsed, validated or serialized."""


def next_event_id(dialogue_id: str, seq: int) -> str:
    """The id of the event at position `seq` of a dialogue."""
    return f"{dialogue_id}:{seq:04d}"


class FrozenModel(BaseModel):
    """Immutable, and refuses fields it does not declare."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Envelope(FrozenModel):
    """Fields common to every event; `time` is the only wall-clock value in a dialogue's record."""

    event_id: str
    dialogue_id: str = Field(min_length=1)
    seq: int = Field(ge=0)
    time: float
    causation_id: str | None = None
    actor: str = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _fill_event_id(cls, data: Any) -> Any:
        if isinstance(data, dict) and "event_id" not in data:
            dialogue_id, seq = data.get("dialogue_id"), data.get("seq")
            if isinstance(dialogue_id, str) and isinstance(seq, int):
                return {**data, "event_id": next_event_id(dialogue_id, seq)}
        return data

    @model_validator(mode="after")
    def _check_event_id(self) -> Envelope:
        expected = next_event_id(self.dialogue_id, self.seq)
        if self.event_id != expected:
            raise ValueError(f"event_id {self.event_id!r} should be {expected!r}")
        return self
