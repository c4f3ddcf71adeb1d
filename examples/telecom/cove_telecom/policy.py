"""The telecom policy's rules that the tools do not enforce, as predicates (see `policy.md` for the agent's text).

- `other_customer`: a write on a line, bill or profile of another account than the authenticated one;
- `suspend_reason`: a suspension for another reason than a lost or stolen phone or travel;
- `suspension_too_long`: more than 30 days for a lost or stolen phone, more than 90 for travel;
- `plan_change_overdue`: a plan change while a bill of the account is overdue;
- `plan_below_usage`: a plan whose data allowance is below the data the line used this cycle;
- `addon_on_suspended_line`: an add-on put on a suspended line;
- `second_roaming_pass`: a roaming pass added to a line that already carries one.
"""

from __future__ import annotations

from typing import Any

from domains.policy import PolicyContext, Violation
from domains.state import State

SUSPENSION_LIMITS = {"lost or stolen": 30, "travel": 90}  # reason -> most days an agent may suspend for
LINE_WRITES = frozenset({"change_plan", "add_addon", "remove_addon", "suspend_line", "resume_line"})


def owner(state: State, name: str, arguments: dict[str, Any]) -> str | None:
    """The account a write acts on (None: a record that does not exist, or not a write of this domain)."""
    if name in LINE_WRITES:
        line = state.get("lines", str(arguments.get("line_id", "")))
        return line["user_id"] if line else None
    if name == "pay_bill":
        bill = state.get("bills", str(arguments.get("bill_id", "")))
        return bill["user_id"] if bill else None
    if name == "update_billing_address":
        return str(arguments.get("user_id"))
    return None


def overdue_bills(state: State, user_id: str) -> list[str]:
    user = state.get("users", user_id) or {"bills": []}
    return [bid for bid in user["bills"] if (state.get("bills", bid) or {}).get("status") == "overdue"]


def violations(before: State, name: str, arguments: dict[str, Any], context: PolicyContext) -> list[Violation]:
    """Policy rules broken by the write `name(arguments)` on the world `before` it ran."""
    found: list[Violation] = []
    account = owner(before, name, arguments)
    if context.user_id is not None and account is not None and account != context.user_id:
        found.append(Violation("other_customer", f"{name} acts for {account}, not for the authenticated {context.user_id}"))
    line = before.get("lines", str(arguments.get("line_id", ""))) if name in LINE_WRITES else None
    if name == "suspend_line":
        reason, days = arguments.get("reason"), arguments.get("days")
        limit = SUSPENSION_LIMITS.get(str(reason))
        if limit is None:
            found.append(Violation("suspend_reason", f"a line may be suspended only for a lost or stolen phone or for travel, not for {reason!r}"))
        elif isinstance(days, int) and days > limit:
            found.append(Violation("suspension_too_long", f"a suspension for {reason} lasts at most {limit} days, not {days}"))
    if name == "change_plan" and line is not None:
        overdue = overdue_bills(before, line["user_id"])
        if overdue:
            found.append(Violation("plan_change_overdue", f"no plan change while bill(s) {', '.join(overdue)} are overdue"))
        plan = before.get("plans", str(arguments.get("plan_id", "")))
        if plan is not None and plan["data_gb"] < line["data_used_gb"]:
            found.append(Violation("plan_below_usage", f"{plan['name']} allows {plan['data_gb']} GB, but the line used {line['data_used_gb']} GB this cycle"))
    if name == "add_addon" and line is not None:
        if line["status"] != "active":
            found.append(Violation("addon_on_suspended_line", f"line {line['line_id']} is suspended: add-ons go on active lines only"))
        addon = before.get("addons", str(arguments.get("addon_id", "")))
        if addon is not None and addon["kind"] == "roaming":
            current = [a for a in line["addons"] if (before.get("addons", a) or {}).get("kind") == "roaming"]
            if current:
                found.append(Violation("second_roaming_pass", f"line {line['line_id']} already carries the roaming pass {current[0]}"))
    return found
