"""Messages an actor gave up on: not part of any dialogue's sequence, but never dropped silently.

A dead letter is published on `cove-deadletter.<actor>` (outside `cove.>`, so no dialogue consumer sees it) after the last allowed delivery of a message
whose handler kept failing (or that could not even be parsed), and the recorder keeps it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


DEAD_LETTER_PREFIX = "cove-deadletter"


class MessageDeadLettered(BaseModel):
    """A message `actor` gave up on after `num_delivered` deliveries; its payload is kept verbatim."""

    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_bytes="base64", val_json_bytes="base64")
    actor: str
    subject: str
    payload: bytes
    headers: dict[str, str]
    error: str
    num_delivered: int
    stream_seq: int


def dead_letter_subject(actor: str) -> str:
    return f"{DEAD_LETTER_PREFIX}.{actor}"
