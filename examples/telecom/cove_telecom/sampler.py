"""Telecom goals: what an account holder may want, each with the canonical write that achieves it.

Every proposer reads the draft's current world, picks records of the draft's user that no other goal of
the task owns (a line, a bill, the address), and returns a goal that keeps the policy by construction
(the sampler still runs it and asks `policy.violations`). Which users can have which goal is indexed
once per base database.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from domains.constraints import Action, Constraint
from domains.fuzzy import format_amount
from domains.sampling import Draft
from domains.state import Database, Record, State

from cove_telecom.policy import SUSPENSION_LIMITS, overdue_bills


class TelecomGoal(StrEnum):
    CHANGE_PLAN = "change_plan"
    ADD_ADDON = "add_addon"
    REMOVE_ADDON = "remove_addon"
    SUSPEND_LINE = "suspend_line"
    RESUME_LINE = "resume_line"
    PAY_BILL = "pay_bill"
    UPDATE_BILLING_ADDRESS = "update_billing_address"
    INFO_DATA_USED = "info_data_used"
    INFO_AMOUNT_DUE = "info_amount_due"


GOAL_TYPES: tuple[str, ...] = tuple(TelecomGoal)
SUSPENSION_DAYS = {"lost or stolen": (7, 10, 14, 30), "travel": (14, 21, 30, 45, 60, 90)}
_STREETS = ("Alderbank Road", "Brookfield Lane", "Cinder Street", "Dovecote Way", "Elmstead Avenue", "Ferry Road", "Glenmore Drive")
_CITIES = (("Eugene", "OR", "974"), ("Boulder", "CO", "803"), ("Duluth", "MN", "558"), ("Asheville", "NC", "288"), ("Flagstaff", "AZ", "860"),
           ("Missoula", "MT", "598"), ("Ithaca", "NY", "148"))
ADDRESS_FIELDS = ("address1", "address2", "city", "state", "country", "zip")


def _candidates(base: Database) -> dict[str, list[str]]:
    found: dict[str, dict[str, None]] = {goal: {} for goal in GOAL_TYPES}
    for user_id, user in base.tables["users"].items():
        found[TelecomGoal.UPDATE_BILLING_ADDRESS][user_id] = None
        lines = [base.tables["lines"][lid] for lid in user["lines"] if lid in base.tables["lines"]]
        bills = [base.tables["bills"][bid] for bid in user["bills"] if bid in base.tables["bills"]]
        for line in lines:
            if line["status"] == "active":
                for goal in (TelecomGoal.ADD_ADDON, TelecomGoal.SUSPEND_LINE, TelecomGoal.CHANGE_PLAN, TelecomGoal.INFO_DATA_USED):
                    found[goal][user_id] = None
            else:
                found[TelecomGoal.RESUME_LINE][user_id] = None
            if line["addons"]:
                found[TelecomGoal.REMOVE_ADDON][user_id] = None
        if any(bill["status"] != "paid" for bill in bills):
            found[TelecomGoal.PAY_BILL][user_id] = None
            found[TelecomGoal.INFO_AMOUNT_DUE][user_id] = None
    return {goal: list(users) for goal, users in found.items()}


def candidate_users(base: Database) -> dict[str, list[str]]:
    """Users (in database order) who have the records each goal type needs, on the base."""
    return base.index("telecom.sampler.candidates", _candidates)


def _lines(draft: Draft, status: str | None = None) -> list[Record]:
    """The user's lines (with this status), in the draft's current world, not owned by another goal."""
    user = draft.state.get("users", draft.user_id)
    found = []
    for line_id in user["lines"]:
        line = draft.state.get("lines", line_id)
        if line is not None and (status is None or line["status"] == status) and f"line:{line_id}" not in draft.claimed:
            found.append(line)
    return found


def _open_bills(state: State, user_id: str) -> list[Record]:
    user = state.get("users", user_id)
    return [bill for bid in user["bills"] if (bill := state.get("bills", bid)) is not None and bill["status"] != "paid"]


def new_address(rng: random.Random, avoid: Record | None = None) -> dict[str, str]:
    """A plausible US address the account moves to, different from `avoid`."""
    while True:
        city, state, prefix = rng.choice(_CITIES)
        address = {"address1": f"{rng.randint(10, 9999)} {rng.choice(_STREETS)}", "address2": rng.choice(("", "", f"Unit {rng.randint(1, 20)}")),
                   "city": city, "state": state, "country": "USA", "zip": f"{prefix}{rng.randint(0, 99):02d}"}
        if avoid is None or any(address[key] != avoid.get(key) for key in ADDRESS_FIELDS):
            return address


def _goal(goal: TelecomGoal, action: str | None, arguments: dict[str, Any], params: dict[str, Any]) -> Constraint:
    actions = [Action(name=action, arguments=arguments)] if action else []
    return Constraint(type=str(goal), actions=actions, params=params)


def _information(goal: TelecomGoal, draft: Draft, params: dict[str, Any]) -> list[Constraint]:
    constraint = _goal(goal, None, {}, params)
    return [constraint.model_copy(update={"expected_info": info_value(draft.state, constraint)})]


# --- proposers ---------------------------------------------------------------------------------


def _change_plan(draft: Draft, rng: random.Random) -> list[Constraint] | None:
    if overdue_bills(draft.state, draft.user_id):
        return None  # the policy: pay the overdue bill first
    lines = _lines(draft, "active")
    rng.shuffle(lines)
    for line in lines:
        plans = [pid for pid in draft.state.keys("plans")
                 if pid != line["plan_id"] and draft.state.get("plans", pid)["data_gb"] >= line["data_used_gb"]]
        if plans:
            args = {"line_id": line["line_id"], "plan_id": rng.choice(plans)}
            return [_goal(TelecomGoal.CHANGE_PLAN, "change_plan", args, dict(args))]
    return None


def _roaming(state: State, addon_id: str) -> bool:
    return (state.get("addons", addon_id) or {}).get("kind") == "roaming"


def _add_addon(draft: Draft, rng: random.Random) -> list[Constraint] | None:
    lines = _lines(draft, "active")
    rng.shuffle(lines)
    for line in lines:
        has_pass = any(_roaming(draft.state, a) for a in line["addons"])
        options = [aid for aid in draft.state.keys("addons") if aid not in line["addons"] and not (has_pass and _roaming(draft.state, aid))]
        if options:
            args = {"line_id": line["line_id"], "addon_id": rng.choice(options)}
            return [_goal(TelecomGoal.ADD_ADDON, "add_addon", args, dict(args))]
    return None


def _remove_addon(draft: Draft, rng: random.Random) -> list[Constraint] | None:
    lines = [line for line in _lines(draft) if line["addons"]]
    if not lines:
        return None
    line = rng.choice(lines)
    args = {"line_id": line["line_id"], "addon_id": rng.choice(line["addons"])}
    return [_goal(TelecomGoal.REMOVE_ADDON, "remove_addon", args, dict(args))]


def _suspend_line(draft: Draft, rng: random.Random) -> list[Constraint] | None:
    lines = _lines(draft, "active")
    if not lines:
        return None
    reason = rng.choice(sorted(SUSPENSION_LIMITS))
    args = {"line_id": rng.choice(lines)["line_id"], "reason": reason, "days": rng.choice(SUSPENSION_DAYS[reason])}
    return [_goal(TelecomGoal.SUSPEND_LINE, "suspend_line", args, dict(args))]


def _resume_line(draft: Draft, rng: random.Random) -> list[Constraint] | None:
    lines = _lines(draft, "suspended")
    if not lines:
        return None
    args = {"line_id": rng.choice(lines)["line_id"]}
    return [_goal(TelecomGoal.RESUME_LINE, "resume_line", args, dict(args))]


def _pay_bill(draft: Draft, rng: random.Random) -> list[Constraint] | None:
    bills = [bill for bill in _open_bills(draft.state, draft.user_id) if f"bill:{bill['bill_id']}" not in draft.claimed]
    if not bills:
        return None
    bill = rng.choice(bills)
    methods = list(draft.state.get("users", draft.user_id)["payment_methods"])
    args = {"bill_id": bill["bill_id"], "payment_method_id": rng.choice(methods)}
    return [_goal(TelecomGoal.PAY_BILL, "pay_bill", args, {**args, "amount": bill["amount"]})]


def _update_billing_address(draft: Draft, rng: random.Random) -> list[Constraint] | None:
    address = new_address(rng, draft.state.get("users", draft.user_id)["address"])
    args = {"user_id": draft.user_id, **address}
    return [_goal(TelecomGoal.UPDATE_BILLING_ADDRESS, "update_billing_address", args, {"user_id": draft.user_id, "address": address})]


def _info_data_used(draft: Draft, rng: random.Random) -> list[Constraint] | None:
    lines = [line for line in _lines(draft, "active") if line["data_used_gb"] > 0]
    if not lines:
        return None
    return _information(TelecomGoal.INFO_DATA_USED, draft, {"line_id": rng.choice(lines)["line_id"]})


def _info_amount_due(draft: Draft, rng: random.Random) -> list[Constraint] | None:
    bills = _open_bills(draft.state, draft.user_id)
    if not bills:
        return None
    return _information(TelecomGoal.INFO_AMOUNT_DUE, draft, {"user_id": draft.user_id, "bill_ids": [bill["bill_id"] for bill in bills]})


PROPOSERS: dict[str, Callable[[Draft, random.Random], list[Constraint] | None]] = {
    TelecomGoal.CHANGE_PLAN: _change_plan,
    TelecomGoal.ADD_ADDON: _add_addon,
    TelecomGoal.REMOVE_ADDON: _remove_addon,
    TelecomGoal.SUSPEND_LINE: _suspend_line,
    TelecomGoal.RESUME_LINE: _resume_line,
    TelecomGoal.PAY_BILL: _pay_bill,
    TelecomGoal.UPDATE_BILLING_ADDRESS: _update_billing_address,
    TelecomGoal.INFO_DATA_USED: _info_data_used,
    TelecomGoal.INFO_AMOUNT_DUE: _info_amount_due,
}


def propose(goal_type: str, draft: Draft, rng: random.Random) -> list[Constraint] | None:
    """A goal of this type for the draft's user on the draft's current world, or None if none fits."""
    return PROPOSERS[goal_type](draft, rng)


def claim_keys(constraint: Constraint) -> list[str]:
    """The records a goal owns: one goal per line, per bill, one address change and one amount-due question per task."""
    params = constraint.params
    if "line_id" in params:
        return [f"line:{params['line_id']}"]
    if "bill_id" in params:
        return [f"bill:{params['bill_id']}"]
    return [str(constraint.type)]


def info_value(state: State, constraint: Constraint) -> list[str] | None:
    """An information goal's answer on `state`: the data a line used (GB), or the total of the open bills."""
    if constraint.type == TelecomGoal.INFO_DATA_USED:
        line = state.get("lines", constraint.params["line_id"])
        return [format_amount(line["data_used_gb"])] if line else None
    if constraint.type == TelecomGoal.INFO_AMOUNT_DUE:
        return [format_amount(sum(bill["amount"] for bill in _open_bills(state, constraint.params["user_id"])))]
    return None
