"""The telecom tools: what a carrier's account-service agent can look up and change.

Each docstring is the description the agent reads. Conventions shared with cove's other domains: a
tool checks that the records it names exist before anything else, then the state they must be in,
then its own arguments, and refuses with a short `ToolError` message; it never checks the policy (who
may be served, which reasons and plan changes are allowed): that is the agent's job, and the verifier's.
"""

from __future__ import annotations

from typing import Any

from domains.calculator import calculate_expression
from domains.state import Database, Record, State
from domains.tooling import Tool, ToolError, ToolKind, Toolkit, tool

SUSPEND_REASONS = ("lost or stolen", "travel", "non-payment")
MAX_SUSPENSION_DAYS = 365


# --- lookups -------------------------------------------------------------------------------


def _get(db: State, table: str, key: str, what: str) -> Record:
    record = db.get(table, key)
    if record is None:
        raise ToolError(f"{what} not found")
    return record


def _line_view(line: Record) -> Record:
    """A line as the agent sees it: `suspension` present, null when the line is active."""
    return {**line, "suspension": line.get("suspension")}


def _bill_view(bill: Record) -> Record:
    return {**bill, "payment": bill.get("payment")}


def _user_index(db: Database) -> dict[str, Any]:
    """User id per lower-cased email and per (first, last, zip); accounts are never created."""
    by_email: dict[str, str] = {}
    by_name_zip: dict[tuple[str, str, str], str] = {}
    for user_id, user in db.tables["users"].items():
        by_email.setdefault(user["email"].lower(), user_id)
        by_name_zip.setdefault((user["name"]["first_name"].lower(), user["name"]["last_name"].lower(), user["address"]["zip"]), user_id)
    return {"email": by_email, "name_zip": by_name_zip}


# --- read tools ----------------------------------------------------------------------------


@tool(ToolKind.READ)
def find_user_id_by_email(db: State, email: str) -> str:
    """Find the account holder's user id from the email address on the account (case does not matter).

    Args:
        email: The email address on the account, for example 'sam.lee42@example.net'.
    """
    user_id = db.base.index("telecom.users", _user_index)["email"].get(email.lower())
    if user_id is None:
        raise ToolError("User not found")
    return user_id


@tool(ToolKind.READ)
def find_user_id_by_name_zip(db: State, first_name: str, last_name: str, zip: str) -> str:
    """Find the account holder's user id from their first name, last name and the zip code of the account's address.

    Args:
        first_name: The account holder's first name, for example 'Sam'.
        last_name: The account holder's last name, for example 'Lee'.
        zip: The five-digit zip code of the account's address, for example '97401'.
    """
    key = (first_name.lower(), last_name.lower(), zip)
    user_id = db.base.index("telecom.users", _user_index)["name_zip"].get(key)
    if user_id is None:
        raise ToolError("User not found")
    return user_id


@tool(ToolKind.READ)
def get_user_details(db: State, user_id: str) -> Record:
    """Show an account: the holder's name, email and billing address, saved payment methods, and the ids of its lines and bills.

    Args:
        user_id: The account's user id, for example 'sam_lee_1234'.
    """
    return _get(db, "users", user_id, "User")


@tool(ToolKind.READ)
def get_line_details(db: State, line_id: str) -> Record:
    """Show a phone line: its number, who uses it, the phone, its plan and add-ons, whether it is active or suspended, and the data used this billing cycle (GB).

    Args:
        line_id: The line's id, for example 'line_1234567'.
    """
    return _line_view(_get(db, "lines", line_id, "Line"))


@tool(ToolKind.READ)
def get_bill_details(db: State, bill_id: str) -> Record:
    """Show a monthly bill: its period, amount, due date, status (paid, unpaid or overdue) and, once paid, how it was paid.

    Args:
        bill_id: The bill's id, for example 'bill_1234567'.
    """
    return _bill_view(_get(db, "bills", bill_id, "Bill"))


@tool(ToolKind.READ)
def list_plans_and_addons(db: State) -> Record:
    """List the catalogue: every monthly plan (price, data allowance in GB) and every add-on (kind, monthly price), by id."""
    return {"plans": {key: db.get("plans", key) for key in db.keys("plans")}, "addons": {key: db.get("addons", key) for key in db.keys("addons")}}


# --- generic tools -------------------------------------------------------------------------


@tool(ToolKind.GENERIC)
def calculate(db: State, expression: str) -> str:
    """Work out an arithmetic expression and return the result rounded to two decimals.

    Args:
        expression: Numbers, + - * /, parentheses, dots and spaces only, for example '(40 + 20) * 1.08'.
    """
    return calculate_expression(expression)


@tool(ToolKind.GENERIC)
def transfer_to_human_agents(db: State, summary: str) -> str:
    """Hand the customer over to a human agent, with a short summary of what they need.

    Only when the customer asks for a person, or when the request is outside the policy and these tools.

    Args:
        summary: What the customer needs and what has been done so far.
    """
    return "Transfer successful"


# --- write tools ---------------------------------------------------------------------------


@tool(ToolKind.WRITE)
def change_plan(db: State, line_id: str, plan_id: str) -> Record:
    """Move a line to another monthly plan, from the next billing cycle on.

    Read the line and the new plan back to the customer and get an explicit yes before calling.

    Args:
        line_id: The line's id, for example 'line_1234567'.
        plan_id: The new plan's id from the catalogue, for example 'plan_plus'.
    """
    line = _get(db, "lines", line_id, "Line")
    _get(db, "plans", plan_id, "Plan")
    if line["plan_id"] == plan_id:
        raise ToolError("The line is already on this plan")
    line = db.edit("lines", line_id)
    line["plan_id"] = plan_id
    return _line_view(line)


@tool(ToolKind.WRITE)
def add_addon(db: State, line_id: str, addon_id: str) -> Record:
    """Add an add-on (a roaming pass, extra data, hotspot or calling allowance) to a line; it is billed monthly.

    Read the line and the add-on back to the customer and get an explicit yes before calling.

    Args:
        line_id: The line's id, for example 'line_1234567'.
        addon_id: The add-on's id from the catalogue, for example 'addon_hotspot'.
    """
    line = _get(db, "lines", line_id, "Line")
    _get(db, "addons", addon_id, "Add-on")
    if addon_id in line["addons"]:
        raise ToolError("The line already has this add-on")
    line = db.edit("lines", line_id)
    line["addons"].append(addon_id)
    return _line_view(line)


@tool(ToolKind.WRITE)
def remove_addon(db: State, line_id: str, addon_id: str) -> Record:
    """Take an add-on off a line.

    Read the line and the add-on back to the customer and get an explicit yes before calling.

    Args:
        line_id: The line's id, for example 'line_1234567'.
        addon_id: The id of an add-on the line carries, for example 'addon_hotspot'.
    """
    line = _get(db, "lines", line_id, "Line")
    if addon_id not in line["addons"]:
        raise ToolError("The line does not have this add-on")
    line = db.edit("lines", line_id)
    line["addons"].remove(addon_id)
    return _line_view(line)


@tool(ToolKind.WRITE)
def suspend_line(db: State, line_id: str, reason: str, days: int) -> Record:
    """Suspend an active line for a number of days: it cannot call, text or use data until it is resumed.

    Read the line, the reason and the number of days back to the customer and get an explicit yes before calling.

    Args:
        line_id: The line's id, for example 'line_1234567'.
        reason: Why the line is suspended: 'lost or stolen', 'travel' or 'non-payment'.
        days: For how many days, from 1 to 365.
    """
    line = _get(db, "lines", line_id, "Line")
    if line["status"] != "active":
        raise ToolError("Line is not active")
    if reason not in SUSPEND_REASONS:
        raise ToolError("Invalid reason")
    if not 1 <= days <= MAX_SUSPENSION_DAYS:
        raise ToolError(f"Days must be between 1 and {MAX_SUSPENSION_DAYS}")
    line = db.edit("lines", line_id)
    line["status"] = "suspended"
    line["suspension"] = {"reason": reason, "days": days}
    return _line_view(line)


@tool(ToolKind.WRITE)
def resume_line(db: State, line_id: str) -> Record:
    """Resume a suspended line: it is active again at once.

    Read the line back to the customer and get an explicit yes before calling.

    Args:
        line_id: The line's id, for example 'line_1234567'.
    """
    line = _get(db, "lines", line_id, "Line")
    if line["status"] != "suspended":
        raise ToolError("Line is not suspended")
    line = db.edit("lines", line_id)
    line["status"] = "active"
    line.pop("suspension", None)
    return _line_view(line)


@tool(ToolKind.WRITE)
def pay_bill(db: State, bill_id: str, payment_method_id: str) -> Record:
    """Pay a bill in full with one of the account's saved payment methods.

    Read the bill, its amount and the payment method back to the customer and get an explicit yes before calling.

    Args:
        bill_id: The bill's id, for example 'bill_1234567'.
        payment_method_id: A saved payment method of the bill's account, for example 'credit_card_1234567' or 'paypal_1234567'.
    """
    bill = _get(db, "bills", bill_id, "Bill")
    if bill["status"] == "paid":
        raise ToolError("Bill is already paid")
    user = _get(db, "users", bill["user_id"], "User")
    if payment_method_id not in user["payment_methods"]:
        raise ToolError("Payment method not found")
    bill = db.edit("bills", bill_id)
    bill["status"] = "paid"
    bill["payment"] = {"payment_method_id": payment_method_id, "amount": bill["amount"]}
    return _bill_view(bill)


@tool(ToolKind.WRITE)
def update_billing_address(
    db: State, user_id: str, address1: str, address2: str, city: str, state: str, country: str, zip: str
) -> Record:
    """Change the billing address of an account.

    Read the new address back to the customer and get an explicit yes before calling.

    Args:
        user_id: The account's user id, for example 'sam_lee_1234'.
        address1: First address line, for example '12 Copper Lane'.
        address2: Second address line, for example 'Unit 3'; an empty string if there is none.
        city: City, for example 'Eugene'.
        state: State code, for example 'OR'.
        country: Country, for example 'USA'.
        zip: Zip code, for example '97401'.
    """
    _get(db, "users", user_id, "User")
    user = db.edit("users", user_id)
    user["address"] = {"address1": address1, "address2": address2, "city": city, "country": country, "state": state, "zip": zip}
    return user


TOOLS: list[Tool] = [
    add_addon,
    calculate,
    change_plan,
    find_user_id_by_email,
    find_user_id_by_name_zip,
    get_bill_details,
    get_line_details,
    get_user_details,
    list_plans_and_addons,
    pay_bill,
    remove_addon,
    resume_line,
    suspend_line,
    transfer_to_human_agents,
    update_billing_address,
]
WRITES = frozenset(t.name for t in TOOLS if t.kind is ToolKind.WRITE)

TOOLKIT = Toolkit("telecom", TOOLS)
