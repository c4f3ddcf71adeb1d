"""How the scripted agent commits the airline mistakes (the catalogue and the draw are domains/scripted/mistakes.py).

Each helper returns None when the mistake cannot really happen in this dialogue (no neighbouring
flight, no status in the answer); the agent then does the right thing and records nothing.
"""

from __future__ import annotations

import re
from typing import Any

from domains.scripted.mistakes import Mistake as M
from domains.scripted.phrases import iso_date
from domains.scripted.plans import Context, Plan, Write
from domains.scripted.slips import wrong_answer
from domains.scripted.transcript import CannotResolveError


def undo(write: Write, ctx: Context) -> dict[str, Any] | None:
    """The arguments that put back what `write` changed, from the reads made before it."""
    arguments = write.arguments
    if write.name == "update_reservation_passengers":
        before = ctx.knowledge.read("get_reservation_details", reservation_id=arguments["reservation_id"])["passengers"]
        return {"reservation_id": arguments["reservation_id"], "passengers": [{k: p[k] for k in ("first_name", "last_name", "dob")} for p in before]}
    return None


def corrected_to_wrong(plan: Plan, ctx: Context) -> str | None:
    """A wrong amount or number as anywhere, and for a flight status the opposite one."""
    value = plan.value
    if not value or value not in plan.answer or value.startswith("$") or re.fullmatch(r"[\d, ]+", value):
        return wrong_answer(M.CORRECTED_TO_WRONG, plan)
    wrong = "on time" if value != "on time" else "delayed"
    return plan.answer.replace(value, wrong)


def negated(plan: Plan, ctx: Context) -> str | None:
    found = re.match(r"(Flight \S+ on .+?) has the status: (.+)\.$", plan.answer)
    return f"{found.group(1)} is not {found.group(2)}." if found else None


def other_flight_status(plan: Plan, ctx: Context) -> str | None:
    """The status of a neighbouring flight number on the same day, stated as if it were the one asked about."""
    found = re.match(r"Flight (\S+?)(\d+) on (.+?) has the status: ", plan.answer)
    if not found:
        return None
    prefix, digits, day = found.groups()
    other = f"{prefix}{int(digits) + 1:0{len(digits)}d}"
    try:
        status = ctx.knowledge.read("get_flight_status", flight_number=other, date=iso_date(day))
    except CannotResolveError:
        return None
    return f"Flight {other} on {day} has the status: {status}."
