"""What the scripted agent decides to do about one request: the shared vocabulary of its domain rules.

A domain module parses a customer's request into a `Goal` and resolves it, with read tools, into a
`Plan`: the writes to make (each read back to the customer before it runs) or the answer to give.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from actors.scripted.phrases import matching_methods, payment_attributes
from actors.scripted.transcript import CannotResolveError, Knowledge


@dataclass(frozen=True)
class Goal:
    """One request as the customer worded it, and the fields read out of its wording."""

    type: str
    text: str
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Write:
    """A write call, what the agent says before asking for a yes, and what it says once it is done."""

    name: str
    arguments: dict[str, Any]
    summary: str
    report: str


def repeated(write: Write) -> Write:
    """The same write once more: a redundant write that changes nothing."""
    return Write(write.name, write.arguments, "To make sure the change is stored, I will make it once more.", "")


@dataclass(frozen=True)
class Plan:
    """Writes to make in order, or (for a question) the answer; `wrong` marks a deliberate mistake made."""

    writes: tuple[Write, ...] = ()
    answer: str = ""
    wrong: bool = False
    noop: Write | None = None  # a write that changes nothing, for the redundant-write mistake

    def with_extra(self, write: Write) -> Plan:
        return replace(self, writes=self.writes + (write,))


@dataclass(frozen=True)
class Context:
    """What a resolver may use: the authenticated user, the reads so far, and the mistake to make."""

    user_id: str
    knowledge: Knowledge
    wrong: bool = False
    changed: frozenset[str] = frozenset()  # reservations changed or cancelled earlier in the dialogue
    now: str | None = None  # the domain's current time, from the system prompt ('2024-05-15T15:00:00')


def first_goal(text: str, patterns: list[tuple[str, re.Pattern[str]]]) -> Goal | None:
    """The first request worded in `text` that one of the domain's goal patterns recognises."""
    for goal_type, pattern in patterns:
        found = pattern.search(text)
        if found:
            return Goal(goal_type, found.group(0), {k: v for k, v in found.groupdict().items() if v is not None})
    return None


def find_method(user: dict[str, Any], text: str) -> str:
    """The id of the saved payment method the customer's words describe."""
    found = matching_methods(user["payment_methods"], payment_attributes(text))
    if not found:
        raise CannotResolveError(f"I could not find {text} among your saved payment methods.")
    return found[0]
