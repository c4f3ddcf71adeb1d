"""How the scripted agent commits its planned mistake (see `mistakes` for the catalogue and the draw).

A class falls on the first request of the dialogue whose type it fits (`fits`): the domain's
`MISTAKE_GOALS` say which goal types each class can fall on (a wrong variant on a return, a digit swap
on an amount), and every write class falls on any goal type but its `INFO_GOALS`. The helpers here
(and the domain's own, `SLIPS` and `WRONG_ANSWERS`) change what the agent would otherwise do, and
only where the dialogue allows it: each returns None when the mistake cannot really happen here (no
other payment method, no two different digits to swap), and the agent then does the right thing and
records nothing.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from typing import Any

from domains.scripted.mistakes import Mistake as M
from domains.scripted.phrases import dollars
from domains.scripted.plans import Context, Plan
from domains.plugin import OPTIONAL, rule

_WRITE_CLASSES = (M.EXTRA_WRITE, M.DUPLICATE_WRITE, M.UNCONFIRMED_WRITE, M.WRITE_DIFFERS_FROM_CONFIRMED)
DOUBLE_CHECK = "Let me double-check that for you."
TRANSFERRING = "I'm transferring you to a human agent now. Please hold on."


def fits(mistake: M, goal_type: str, rules: Any) -> bool:
    """Whether the class can fall on a request of this type, by the domain's rules (`MISTAKE_GOALS`, `INFO_GOALS`)."""
    if mistake in _WRITE_CLASSES:
        return goal_type not in rule(rules, "INFO_GOALS")
    return goal_type in rule(rules, "MISTAKE_GOALS").get(mistake.value, ())


def _pick(options: list[str], key: str) -> str | None:
    """One of `options`, the same for the same key."""
    if not options:
        return None
    return options[int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % len(options)]


# --- outcome: the write goes to the wrong record -----------------------------------------------


def wrong_payment_method(plan: Plan, ctx: Context, method_text: Any, used: Any = None, user_read: str | None = None) -> Plan | None:
    """The first write paid with another of the customer's methods, read back by its id alone (`used(write,
    ctx)`: methods the record was already paid with, which the tool would refuse or which change nothing)."""
    write = plan.writes[0]
    if "$0.00" in write.summary:
        return None  # nothing is charged or refunded: another method would change nothing
    user = ctx.knowledge.read(OPTIONAL["USER_READ"] if user_read is None else user_read, user_id=ctx.user_id)
    arguments = dict(write.arguments)
    key = next((k for k in ("payment_method_id", "payment_id") if k in arguments), None)
    if key is None and len(arguments.get("payment_methods") or []) == 1:
        current = arguments["payment_methods"][0]["payment_id"]
    elif key is not None:
        current = arguments[key]
    else:
        return None
    avoid = {current} | (used(write, ctx) if used is not None else set())
    other = _pick(sorted(m for m in user["payment_methods"] if m not in avoid), current)
    if other is None:
        return None
    if key is None:
        arguments["payment_methods"] = [{**arguments["payment_methods"][0], "payment_id": other}]
    else:
        arguments[key] = other
    summary = write.summary.replace(method_text(user, current), f"payment method {other}")
    return replace(plan, writes=(replace(write, arguments=arguments, summary=summary, mistake=M.WRONG_PAYMENT_METHOD),) + plan.writes[1:])


# --- information: a wrong answer ---------------------------------------------------------------


def digit_swapped(value: str) -> str | None:
    """The value with its first two adjacent, different digits swapped (never to a leading zero)."""
    chars = list(value)
    spots = [i for i, c in enumerate(chars) if c.isdigit()]
    for a, b in zip(spots, spots[1:]):
        if b == a + 1 and chars[a] != chars[b] and not (a == spots[0] and chars[b] == "0"):
            chars[a], chars[b] = chars[b], chars[a]
            return "".join(chars)
    return None


def wrong_answer(mistake: M, plan: Plan) -> str | None:
    """The answer with a wrong value in place of the right one, or None if this class cannot apply to it."""
    value = plan.value
    if not value or value not in plan.answer:
        return None
    amount = value.startswith("$")
    if mistake is M.WRONG_AMOUNT or (mistake is M.CORRECTED_TO_WRONG and amount):
        wrong = dollars(round(float(value[1:].replace(",", "")) * 1.1 + 7, 2)) if amount else None
    elif mistake is M.DIGIT_SWAP or (mistake is M.CORRECTED_TO_WRONG and re.fullmatch(r"[\d, ]+", value)):
        wrong = digit_swapped(value)
    elif mistake is M.AMOUNT_CONTAINING_ANSWER:
        wrong = "$1" + value[1:] if amount else "1" + value
    else:
        wrong = None
    return plan.answer.replace(value, wrong) if wrong and wrong != value else None
