"""What the scripted agent decides to do about one request: the shared vocabulary of its domain rules.

A domain module parses a customer's request into a `Goal` and resolves it, with read tools, into a
`Plan`: the writes to make (each read back to the customer before it runs) or the answer to give.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from domains.scripted.phrases import matching_methods, payment_attributes
from domains.scripted.slots import slot_groups
from domains.scripted.transcript import AskAgainError, CannotResolveError, Knowledge


@dataclass(frozen=True)
class Goal:
    """One request: its type and the fields the customer gave so far (`text` keys it within the dialogue).

    A goal read from a whole template sentence has every field it will get (`complete`); a goal built
    from a scripted user's acts has the fields disclosed so far, and `missing` says which groups to ask for.
    """

    type: str
    text: str
    fields: dict[str, Any] = field(default_factory=dict)
    complete: bool = True

    @property
    def missing(self) -> list[str]:
        if self.complete:
            return []
        return [group for group, names in slot_groups(self.type) if not any(name in self.fields for name in names)]


@dataclass(frozen=True)
class Write:
    """A write call, what the agent says before asking for a yes, and what it says once it is done."""

    name: str
    arguments: dict[str, Any]
    summary: str
    report: str
    mistake: str | None = None  # the planned mistake this write commits, if it is one


def repeated(write: Write) -> Write:
    """The same write once more: a redundant write that changes nothing."""
    return Write(write.name, write.arguments, "To make sure the change is stored, I will make it once more.", "")


@dataclass(frozen=True)
class Plan:
    """Writes to make in order, or (for a question) the answer; `wrong` marks a deliberate mistake made."""

    writes: tuple[Write, ...] = ()
    answer: str = ""
    value: str = ""  # the fact an answer states, as it appears in `answer` ("$45.30", "delayed", a tracking number)
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
    changed: frozenset[str] = frozenset()  # records changed for good earlier in the dialogue (the domain's `CHANGED_BY`)
    now: str | None = None  # the domain's current time, from the system prompt ('2024-05-15T15:00:00')


def first_goal(text: str, patterns: list[tuple[str, re.Pattern[str]]]) -> Goal | None:
    """The first request worded in `text` that one of the domain's goal patterns recognises."""
    for goal_type, pattern in patterns:
        found = pattern.search(text)
        if found:
            return Goal(goal_type, found.group(0), {k: v for k, v in found.groupdict().items() if v is not None})
    return None


def find_method(user: dict[str, Any], text: str, describe=None) -> str:
    """The id of the saved payment method the customer's words describe; asks again if several fit."""
    found = matching_methods(user["payment_methods"], payment_attributes(text))
    if not found:
        raise CannotResolveError(f"I could not find {text} among your saved payment methods.")
    if len(found) > 1 and describe is not None:
        choices = " and ".join(describe(user, method_id) for method_id in found)
        raise AskAgainError(f"I see more than one payment method that fits: {choices}. Which one would you like to use?")
    return found[0]
