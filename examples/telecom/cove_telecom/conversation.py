"""Telecom's conversation rules: who the customer is, whose records a call reads, what a write's read-back must say.

The customer is authenticated once `find_user_id_by_email` or `find_user_id_by_name_zip` returned their
user id. Before a write, the agent's summary must name the line by its phone number, the plan or add-on
by its name, a suspension's reason and number of days, the bill by its month with the payment method
(its last four digits, or its kind or brand when that alone names it), and a new address by its street
line and zip code. Naming another of the account's lines, plans, add-ons, bills or cards instead makes
the write differ from what the customer confirmed.
"""

from __future__ import annotations

import re
from typing import Any

from domains.cues import DIFFERS, MISSING, OK, Detail, payment_cue, rival_payments
from domains.information import amount_judge
from domains.state import State

from cove_telecom.fuzzifier import month_text
from cove_telecom.policy import LINE_WRITES

AUTHENTICATION_MODE = "lookup"
AUTHENTICATION_HOW = "find its user id by email, or by name and zip code"
LOOKUP_TOOLS = frozenset({"find_user_id_by_email", "find_user_id_by_name_zip"})
ACCOUNT_TOOLS = frozenset({"get_user_details", "get_line_details", "get_bill_details"})
REASON_WORDS = {
    "travel": ("travel", "travelling", "traveling", "trip", "abroad", "away"),
    "lost or stolen": ("lost or stolen", "lost", "stolen", "missing phone"),
    "non-payment": ("non-payment", "nonpayment", "unpaid"),
}
AMOUNT_WORDS = r"\b(?:amount|total|bill|pay|paid|payment|charge\w*|due)\b"


def record_owner(state: State, name: str, arguments: dict[str, Any]) -> str | None:
    """The account whose records a read looks at (None: not an account's record)."""
    if name == "get_user_details":
        return str(arguments.get("user_id"))
    for tool, table, key in (("get_line_details", "lines", "line_id"), ("get_bill_details", "bills", "bill_id")):
        if name == tool:
            record = state.get(table, str(arguments.get(key, "")))
            return record["user_id"] if record else None
    return None


def _line_detail(state: State, line: dict[str, Any]) -> Detail:
    user = state.get("users", line["user_id"]) or {"lines": []}
    rivals = tuple(other["phone_number"] for lid in user["lines"] if lid != line["line_id"] and (other := state.get("lines", lid)))
    return Detail("line", (line["phone_number"], line["line_id"]), rivals)


def _catalogue_detail(state: State, table: str, label: str, record_id: str) -> Detail:
    record = state.get(table, record_id) or {"name": record_id}
    rivals = tuple(state.get(table, key)["name"] for key in state.keys(table) if key != record_id)
    return Detail(label, (record["name"], record_id), rivals)


def _days_judge(days: Any) -> Any:
    """The number of days a summary gives: the one said with 'day(s)' must be the write's."""
    def judge(text: str) -> str:
        said = re.findall(r"(\d+)[ -]days?\b", text)
        if not said:
            return MISSING
        return OK if str(days) in said else DIFFERS

    return judge


def address_details(arguments: dict[str, Any]) -> list[Detail]:
    return [Detail("street", (str(arguments.get("address1", "")),)), Detail("zip code", (str(arguments.get("zip", "")),))]


def write_details(state: State, name: str, arguments: dict[str, Any], user_id: str, complete: bool = False) -> list[Detail]:
    """What the agent's summary must have said before this write, read on the world just before it."""
    if name == "update_billing_address":
        return address_details(arguments)
    if name in LINE_WRITES:
        line = state.get("lines", str(arguments.get("line_id", "")))
        if line is None:
            return []
        details = [_line_detail(state, line)]
        if name == "change_plan":
            details.append(_catalogue_detail(state, "plans", "plan", str(arguments.get("plan_id", ""))))
        elif name in ("add_addon", "remove_addon"):
            details.append(_catalogue_detail(state, "addons", "add-on", str(arguments.get("addon_id", ""))))
        elif name == "suspend_line":
            reason = str(arguments.get("reason", ""))
            rivals = tuple(p for other, words in REASON_WORDS.items() if other != reason for p in words)
            details.append(Detail("reason", REASON_WORDS.get(reason, (reason,)), rivals, last_wins=True))
            details.append(Detail("days", (f"{arguments.get('days')} days",), judge=_days_judge(arguments.get("days"))))
        return details
    if name == "pay_bill":
        bill = state.get("bills", str(arguments.get("bill_id", "")))
        if bill is None:
            return []
        owner = state.get("users", bill["user_id"]) or {"bills": [], "payment_methods": {}}
        others = [other for bid in owner["bills"] if bid != bill["bill_id"] and (other := state.get("bills", bid)) and other["status"] != "paid"]
        method_id = str(arguments.get("payment_method_id", ""))
        return [
            Detail("bill", (month_text(bill["period"]), bill["bill_id"]), tuple(month_text(o["period"]) for o in others)),
            Detail("amount", (f"{bill['amount']:.2f}",), optional=True, judge=amount_judge(bill["amount"], AMOUNT_WORDS), derived=True),
            Detail("payment method", payment_cue(owner, method_id), rival_payments(owner, method_id)),
        ]
    return []
