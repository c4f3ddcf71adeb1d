"""The catalogue of realistic mistakes the scripted agent (or the scripted user) makes, and who makes which.

Every class is named and grouped by what it does to a dialogue:

- process (the agent breaks a conversation rule): skips_authentication, unconfirmed_write,
  write_differs_from_confirmed, two_tool_calls_in_one_turn, text_with_tool_call, unjustified_transfer,
  other_customer_lookup;
- outcome (the agent leaves the wrong state): wrong_variant, wrong_record, wrong_payment_method,
  extra_write, duplicate_write, write_then_undo, partial_task;
- information (the agent gives a wrong answer): wrong_amount, digit_swap, amount_containing_answer,
  negated_status, wrong_status, corrected_to_wrong, no_answer;
- user (the user simulator is at fault): stops_before_goal, invents_id, asks_outside_scenario,
  confirms_wrong_details.

A dialogue gets at most one class. The draw is a pure function of the dialogue's first customer
message, which both scripted models see, so the agent and the user agree on it without talking:
with `rate` r and n enabled classes each class falls on a share r/n of the dialogues. A model commits
its class only where the dialogue allows it (a digit swap needs two different digits, a wrong order
needs a second order with the same product ...), and records it only then.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum
from typing import Any


class Mistake(StrEnum):
    # process
    SKIPS_AUTHENTICATION = "skips_authentication"
    UNCONFIRMED_WRITE = "unconfirmed_write"
    WRITE_DIFFERS_FROM_CONFIRMED = "write_differs_from_confirmed"
    TWO_TOOL_CALLS_IN_ONE_TURN = "two_tool_calls_in_one_turn"
    TEXT_WITH_TOOL_CALL = "text_with_tool_call"
    UNJUSTIFIED_TRANSFER = "unjustified_transfer"
    OTHER_CUSTOMER_LOOKUP = "other_customer_lookup"
    # outcome
    WRONG_VARIANT = "wrong_variant"
    WRONG_RECORD = "wrong_record"
    WRONG_PAYMENT_METHOD = "wrong_payment_method"
    EXTRA_WRITE = "extra_write"
    DUPLICATE_WRITE = "duplicate_write"
    WRITE_THEN_UNDO = "write_then_undo"
    PARTIAL_TASK = "partial_task"
    # information
    WRONG_AMOUNT = "wrong_amount"
    DIGIT_SWAP = "digit_swap"
    AMOUNT_CONTAINING_ANSWER = "amount_containing_answer"
    NEGATED_STATUS = "negated_status"
    WRONG_STATUS = "wrong_status"
    CORRECTED_TO_WRONG = "corrected_to_wrong"
    NO_ANSWER = "no_answer"
    # user simulator
    STOPS_BEFORE_GOAL = "stops_before_goal"
    INVENTS_ID = "invents_id"
    ASKS_OUTSIDE_SCENARIO = "asks_outside_scenario"
    CONFIRMS_WRONG_DETAILS = "confirms_wrong_details"


class MistakeKind(StrEnum):
    PROCESS = "process"
    OUTCOME = "outcome"
    INFORMATION = "information"
    USER = "user"


_KINDS = {
    MistakeKind.PROCESS: ("skips_authentication", "unconfirmed_write", "write_differs_from_confirmed", "two_tool_calls_in_one_turn",
                          "text_with_tool_call", "unjustified_transfer", "other_customer_lookup"),
    MistakeKind.OUTCOME: ("wrong_variant", "wrong_record", "wrong_payment_method", "extra_write", "duplicate_write", "write_then_undo", "partial_task"),
    MistakeKind.INFORMATION: ("wrong_amount", "digit_swap", "amount_containing_answer", "negated_status", "wrong_status",
                              "corrected_to_wrong", "no_answer"),
    MistakeKind.USER: ("stops_before_goal", "invents_id", "asks_outside_scenario", "confirms_wrong_details"),
}
KIND_OF = {Mistake(name): kind for kind, names in _KINDS.items() for name in names}
ALL = tuple(Mistake)
USER_MISTAKES = frozenset(m for m in ALL if KIND_OF[m] is MistakeKind.USER)


class UnknownMistakeError(ValueError):
    """A mistake class name that is not in the catalogue."""


def expected_blame(mistake: str) -> str:
    """Whom a correct verifier blames for a dialogue with this mistake: the agent or the user simulator."""
    return "user_simulator" if Mistake(mistake) in USER_MISTAKES else "agent"


def parse_mistakes(spec: Any) -> tuple[Mistake, ...]:
    """Enabled classes from a comma-separated string or a list ('' or None: every class), in catalogue order."""
    if spec is None or spec == "" or spec == []:
        return ALL
    names = [part.strip() for part in spec.split(",")] if isinstance(spec, str) else [str(part).strip() for part in spec]
    names = [name for name in names if name]
    kinds = {kind.value: [m for m in ALL if KIND_OF[m] is kind] for kind in MistakeKind}
    chosen: set[Mistake] = set()
    for name in names:
        if name in kinds:
            chosen.update(kinds[name])
        elif name in Mistake._value2member_map_:
            chosen.add(Mistake(name))
        else:
            raise UnknownMistakeError(f"unknown mistake class {name!r}; known: {', '.join(m.value for m in ALL)} (or a kind: {', '.join(kinds)})")
    return tuple(m for m in ALL if m in chosen)


def planned_mistake(first_user_message: str, rate: float, enabled: Any = None) -> Mistake | None:
    """The one mistake class of this dialogue, or None; the same first message always gives the same answer."""
    if rate <= 0.0 or not first_user_message:
        return None
    classes = parse_mistakes(enabled)
    digest = hashlib.sha256(first_user_message.encode("utf-8")).digest()
    draw = int.from_bytes(digest[:8], "big") / 2**64
    if draw >= rate or not classes:
        return None
    return classes[int.from_bytes(digest[8:12], "big") % len(classes)]


def mistake_settings(params: dict[str, Any]) -> tuple[float, Any]:
    """The rate and the enabled classes a scripted model was called with."""
    return float(params.get("error_rate") or 0.0), params.get("mistakes")


def committed(name: Mistake | str, **details: Any) -> dict[str, Any]:
    """The ground-truth record of a committed mistake, kept in the model call's `raw_response['script']`."""
    return {"class": str(name), "kind": str(KIND_OF[Mistake(name)]), **details}
