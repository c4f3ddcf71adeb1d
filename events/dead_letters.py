"""Messages an actor gave up on."""

from __future__ import annotations

from typing import Literal

from events.envelope import Envelope


class MessageDeadLettered(Envelope):
    """`actor` is the consumer that gave up; `payload` is the message body as received."""

    type: Literal["message_dead_lettered"] = "message_dead_lettered"
    subject: str
    error: str
    deliveries: int
    payload: str
