"""The scripted agent's telecom rules: which requests it understands and how it resolves them with reads.

Requests name records the way the scenario templates word them ("the line used by Maya", "the Plus 40
plan", "your bill for March 2025", "your Visa credit card ending in 1234"). The resolvers look them
up: the account (its lines, bills and saved methods), then the lines or bills one at a time until the
described one is found, and the catalogue for a plan or add-on. The customer is identified first, by
email or by name and zip.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from domains.scripted import slips
from domains.scripted.phrases import NAME, PAYMENT, address_fields, dollars
from domains.scripted.plans import Context, Goal, Plan, Write, find_method, first_goal
from domains.scripted.transcript import CannotResolveError, Transcript
from domains.fuzzy import format_amount
from domains.records import address_text

from cove_telecom.fuzzifier import REASONS, month_text
from cove_telecom.tools import WRITES as TOOL_WRITES

DOMAIN = "telecom"
STATED_ID_ALLOWS_READS = False  # a record is read only once a lookup found the account
WRITES = TOOL_WRITES
ASK_IDENTITY = (
    "I can help with that. First I need to verify your identity: could you please give me the email address on the account, "
    "or your first name, last name and zip code?"
)
NOT_FOUND = (
    "I could not find an account with those details. Could you check them, or give me the email address on the account, "
    "or your first name, last name and zip code?"
)

LINE = r"(?:line line_\d+|the line(?: \d{3}-\d{3}-\d{4})?(?: used by [^\W\d_][\w'-]*)?(?: with the .+?)?(?: ending in \d{4})?)"
PLAN = r"(?:plan plan_\w+|the plan with \d+ GB of data|the .+? plan)"
ADDON = r"(?:add-on addon_\w+|the .+?)"
BILL = r"(?:bill bill_\d+|your bill for [A-Z][a-z]+ \d{4}|your bill of \$[\d,]+(?:\.\d\d)?)"
CAUSES = {text: reason for reason, text in REASONS.items()}
_END = r"\.(?=\s|$)"
PATTERNS = [
    ("update_billing_address", rf"Update the billing address on your account to (?P<address>.+?){_END}"),
    ("info_amount_due", r"Ask how much you owe in total on your unpaid and overdue bills\."),
    ("info_data_used", rf"Ask how much data (?P<line>{LINE}) has used in this billing cycle\."),
    ("pay_bill", rf"Pay (?P<bill>{BILL}) in full with (?P<method>{PAYMENT}){_END}"),
    ("change_plan", rf"Move (?P<line>{LINE}) to (?P<plan>{PLAN})\."),
    ("add_addon", rf"Add (?P<addon>{ADDON}) to (?P<line>{LINE})\."),
    ("remove_addon", rf"Remove (?P<addon>{ADDON}) from (?P<line>{LINE})\."),
    ("suspend_line", rf"Suspend (?P<line>{LINE}) for (?P<days>\d+) days, because (?P<cause>{'|'.join(CAUSES)})\."),
    ("resume_line", rf"Resume service on (?P<line>{LINE}), which is suspended\."),
]
_COMPILED = [(goal_type, re.compile(pattern)) for goal_type, pattern in PATTERNS]


def parse_goal(text: str) -> Goal | None:
    """The first telecom request worded in `text`, if any."""
    return first_goal(text, _COMPILED)


# --- identity --------------------------------------------------------------------------------

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_NAME = re.compile(rf"(?:[Mm]y name is|I am|I'm|[Tt]his is) ({NAME})")
_ZIP = re.compile(r"zip(?: code)?(?: is)?:? (\d{5})")
LOOKUPS = ("find_user_id_by_email", "find_user_id_by_name_zip")


def _name_splits(name: str, zip_code: str) -> list[tuple[str, dict[str, Any]]]:
    words = name.split()
    return [("find_user_id_by_name_zip", {"first_name": " ".join(words[:cut]), "last_name": " ".join(words[cut:]), "zip": zip_code})
            for cut in range(1, len(words))]


def identity_lookups(transcript: Transcript) -> list[tuple[str, dict[str, Any]]]:
    """Lookups the customer's words allow, in the order to try them: emails, then name-and-zip splits."""
    lookups: list[tuple[str, dict[str, Any]]] = []
    for turn in transcript.turns("user"):
        if turn.acts is not None:  # a scripted user says who it is in its identify act
            for act in turn.acts:
                facts = act.get("facts") or {} if act.get("act") == "identify" else {}
                if "email" in facts:
                    lookups.append(("find_user_id_by_email", {"email": facts["email"]}))
                elif "name" in facts and "zip" in facts:
                    lookups += _name_splits(facts["name"], facts["zip"])
            continue
        lookups += [("find_user_id_by_email", {"email": email}) for email in _EMAIL.findall(turn.text)]
        for name in _NAME.findall(turn.text):
            for zip_code in _ZIP.findall(turn.text):
                lookups += _name_splits(name, zip_code)
    return [lookup for index, lookup in enumerate(lookups) if lookup not in lookups[:index]]


def authenticated_user(transcript: Transcript) -> str | None:
    for call in reversed(transcript.calls):
        if call.ok and call.name in LOOKUPS:
            return call.content.strip().strip('"')
    return None


# --- finding records -------------------------------------------------------------------------


def line_attributes(text: str) -> dict[str, str]:
    """'the line used by Maya with the Pixel 8' -> {'holder': 'Maya', 'device': 'Pixel 8'}; 'line line_1' -> {'id': 'line_1'}."""
    by_id = re.fullmatch(r"line (line_\d+)", text.strip())
    if by_id:
        return {"id": by_id.group(1)}
    found = re.fullmatch(r"the line(?: (?P<phone>\d{3}-\d{3}-\d{4}))?(?: used by (?P<holder>[^\W\d_][\w'-]*))?(?: with the (?P<device>.+?))?"
                         r"(?: ending in (?P<last_four>\d{4}))?", text.strip())
    return {k: v for k, v in found.groupdict().items() if v} if found else {}


def _line_fits(line: dict[str, Any], wanted: dict[str, str]) -> bool:
    values = {"phone": line["phone_number"], "holder": line["holder"], "device": line["device"], "last_four": line["phone_number"][-4:]}
    return bool(wanted) and all(values[key].casefold() == value.casefold() for key, value in wanted.items())


def find_line(text: str, user: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """The first of the account's lines that fits the description (lines are read one at a time)."""
    wanted = line_attributes(text)
    if "id" in wanted:
        return ctx.knowledge.read("get_line_details", line_id=wanted["id"])
    for line_id in user["lines"]:
        line = ctx.knowledge.read("get_line_details", line_id=line_id)
        if _line_fits(line, wanted):
            return line
    raise CannotResolveError(f"I could not find {text} on your account.")


def _catalogue(ctx: Context) -> dict[str, Any]:
    return ctx.knowledge.read("list_plans_and_addons")


def find_plan(text: str, ctx: Context) -> dict[str, Any]:
    plans = _catalogue(ctx)["plans"]
    by_id = re.fullmatch(r"plan (\S+)", text)
    data = re.fullmatch(r"the plan with (\d+) GB of data", text)
    name = re.fullmatch(r"the (.+?) plan", text)
    for plan in plans.values():
        if (by_id and plan["plan_id"] == by_id.group(1)) or (data and plan["data_gb"] == int(data.group(1))) or (
                name and not data and plan["name"].casefold() == name.group(1).casefold()):
            return plan
    raise CannotResolveError(f"we have no plan matching {text}.")


def find_addon(text: str, ctx: Context) -> dict[str, Any]:
    addons = _catalogue(ctx)["addons"]
    by_id = re.fullmatch(r"add-on (\S+)", text)
    name = text.removeprefix("the ").casefold()
    for addon in addons.values():
        if (by_id and addon["addon_id"] == by_id.group(1)) or (not by_id and addon["name"].casefold() == name):
            return addon
    raise CannotResolveError(f"we have no add-on matching {text}.")


def find_bill(text: str, user: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """The first of the account's bills that fits the description (bills are read one at a time)."""
    by_id = re.fullmatch(r"bill (bill_\d+)", text)
    if by_id:
        return ctx.knowledge.read("get_bill_details", bill_id=by_id.group(1))
    month = re.fullmatch(r"your bill for ([A-Z][a-z]+ \d{4})", text)
    amount = re.fullmatch(r"your bill of \$([\d,]+(?:\.\d\d)?)", text)
    for bill_id in user["bills"]:
        bill = ctx.knowledge.read("get_bill_details", bill_id=bill_id)
        if (month and month_text(bill["period"]) == month.group(1)) or (amount and round(bill["amount"], 2) == float(amount.group(1).replace(",", ""))):
            return bill
    raise CannotResolveError(f"I could not find {text} on your account.")


def method_text(user: dict[str, Any], method_id: str) -> str:
    method = user["payment_methods"].get(method_id, {})
    if method.get("source") == "credit_card":
        return f"the {str(method.get('brand', '')).title()} credit card ending in {method.get('last_four')} ({method_id})"
    return f"the PayPal account {method_id}" if method.get("source") == "paypal" else method_id


def _line_text(line: dict[str, Any]) -> str:
    return f"line {line['phone_number']} (used by {line['holder']}, {line['device']})"


# --- resolvers -------------------------------------------------------------------------------


def resolve(goal: Goal, ctx: Context) -> Plan:
    """The plan for one telecom request; reads it still needs raise ReadNeeded. With `ctx.wrong` (a planned
    mistake) a plan change goes to another plan, a suspension lasts a day less, a bill is paid with another card."""
    user = ctx.knowledge.read("get_user_details", user_id=ctx.user_id)
    plan = _RESOLVERS[goal.type](goal.fields, user, ctx)
    return replace(plan, noop=_noop(user, ctx)) if plan.writes else plan


def _noop(user: dict[str, Any], ctx: Context) -> Write:
    """A redundant write: saving the billing address as it already is."""
    address = {key: user["address"][key] for key in ("address1", "address2", "city", "state", "country", "zip")}
    return Write("update_billing_address", {"user_id": ctx.user_id, **address},
                 f"I will also save your billing address as {address_text(address)}.", "Your billing address is saved.")


def _write(name: str, arguments: dict[str, Any], summary: str, report: str, wrong: bool = False) -> Plan:
    return Plan((Write(name, arguments, summary, report),), wrong=wrong)


def _change_plan(fields: dict[str, Any], user: dict[str, Any], ctx: Context) -> Plan:
    line, plan = find_line(fields["line"], user, ctx), find_plan(fields["plan"], ctx)
    others = [p for p in _catalogue(ctx)["plans"].values() if p["plan_id"] not in (plan["plan_id"], line["plan_id"]) and p["data_gb"] >= line["data_used_gb"]]
    wrong = ctx.wrong and bool(others)
    plan = others[0] if wrong else plan
    return _write("change_plan", {"line_id": line["line_id"], "plan_id": plan["plan_id"]},
                  f"I will move {_line_text(line)} to the {plan['name']} plan ({plan['data_gb']} GB of data, {dollars(plan['monthly_price'])} a month), "
                  "starting with the next billing cycle.",
                  f"Line {line['phone_number']} will be on the {plan['name']} plan from the next billing cycle.", wrong)


def _add_addon(fields: dict[str, Any], user: dict[str, Any], ctx: Context) -> Plan:
    line, addon = find_line(fields["line"], user, ctx), find_addon(fields["addon"], ctx)
    return _write("add_addon", {"line_id": line["line_id"], "addon_id": addon["addon_id"]},
                  f"I will add the {addon['name']} ({dollars(addon['monthly_price'])} a month) to {_line_text(line)}.",
                  f"The {addon['name']} is now on line {line['phone_number']}.")


def _remove_addon(fields: dict[str, Any], user: dict[str, Any], ctx: Context) -> Plan:
    line, addon = find_line(fields["line"], user, ctx), find_addon(fields["addon"], ctx)
    return _write("remove_addon", {"line_id": line["line_id"], "addon_id": addon["addon_id"]},
                  f"I will remove the {addon['name']} from {_line_text(line)}.",
                  f"The {addon['name']} has been removed from line {line['phone_number']}.")


def _suspend(fields: dict[str, Any], user: dict[str, Any], ctx: Context) -> Plan:
    line = find_line(fields["line"], user, ctx)
    reason, days = CAUSES.get(fields["cause"], fields["cause"]), int(fields["days"]) - ctx.wrong
    return _write("suspend_line", {"line_id": line["line_id"], "reason": reason, "days": days},
                  f"I will suspend {_line_text(line)} for {days} days (reason: {reason}). "
                  "It cannot call, text or use data until it is resumed.",
                  f"Line {line['phone_number']} is suspended for {days} days.", ctx.wrong)


def _resume(fields: dict[str, Any], user: dict[str, Any], ctx: Context) -> Plan:
    line = find_line(fields["line"], user, ctx)
    return _write("resume_line", {"line_id": line["line_id"]}, f"I will resume {_line_text(line)}; it will be active again right away.",
                  f"Line {line['phone_number']} is active again.")


def _pay(fields: dict[str, Any], user: dict[str, Any], ctx: Context) -> Plan:
    bill = find_bill(fields["bill"], user, ctx)
    method_id = find_method(user, fields["method"], method_text)
    others = [m for m in user["payment_methods"] if m != method_id]
    wrong = ctx.wrong and bool(others)
    method_id = others[0] if wrong else method_id
    return _write("pay_bill", {"bill_id": bill["bill_id"], "payment_method_id": method_id},
                  f"I will pay your {month_text(bill['period'])} bill ({bill['bill_id']}) of {dollars(bill['amount'])} in full "
                  f"with {method_text(user, method_id)}.",
                  f"Your {month_text(bill['period'])} bill is paid.", wrong)


def _address(fields: dict[str, Any], user: dict[str, Any], ctx: Context) -> Plan:
    address = address_fields(fields["address"])
    if not address:
        raise CannotResolveError(f"I could not read the address {fields['address']}.")
    return _write("update_billing_address", {"user_id": ctx.user_id, **address},
                  f"I will change the billing address on your account to {address_text(address)}.", "The billing address on your account has been updated.")


def _data_used(fields: dict[str, Any], user: dict[str, Any], ctx: Context) -> Plan:
    line = find_line(fields["line"], user, ctx)
    used = format_amount(line["data_used_gb"])
    return Plan(answer=f"Line {line['phone_number']} has used {used} GB of data so far in this billing cycle.", value=used)


def _amount_due(fields: dict[str, Any], user: dict[str, Any], ctx: Context) -> Plan:
    bills = [ctx.knowledge.read("get_bill_details", bill_id=bill_id) for bill_id in user["bills"]]
    open_bills = [bill for bill in bills if bill["status"] != "paid"]
    total = dollars(round(sum(bill["amount"] for bill in open_bills), 2))
    listed = ", ".join(f"{month_text(b['period'])} ({b['status']})" for b in open_bills)
    return Plan(answer=f"You owe {total} in total on your unpaid and overdue bills: {listed}.", value=total)


_RESOLVERS = {
    "change_plan": _change_plan,
    "add_addon": _add_addon,
    "remove_addon": _remove_addon,
    "suspend_line": _suspend,
    "resume_line": _resume,
    "pay_bill": _pay,
    "update_billing_address": _address,
    "info_data_used": _data_used,
    "info_amount_due": _amount_due,
}


# --- slots: what each request is made of -----------------------------------------------------

_LINE = ("line", ("line",))
SLOT_GROUPS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "change_plan": (_LINE, ("plan", ("plan",))),
    "add_addon": (_LINE, ("addon", ("addon",))),
    "remove_addon": (_LINE, ("addon", ("addon",))),
    "suspend_line": (_LINE, ("cause", ("cause",)), ("days", ("days",))),
    "resume_line": (_LINE,),
    "pay_bill": (("bill", ("bill",)), ("method", ("method",))),
    "update_billing_address": (("address", ("address",)),),
    "info_data_used": (_LINE,),
    "info_amount_due": (),
}
SLOT_QUESTIONS = {  # the question for a group it misses (each says its topic in the topic words below)
    "line": "Which line is this about? You can tell me who uses it, the phone, or its number.",
    "plan": "Which plan would you like instead?",
    "addon": "Which add-on do you mean?",
    "cause": "Why does it need to be suspended?",
    "days": "For how many days?",
    "bill": "Which bill is it?",
    "address": "What is the new address you would like on your account?",
}
SLOT_TOPICS = {  # words by which any agent's question names the group (on the lower-cased question)
    "line": r"\bline\b|\bphone number\b|\bwhich number\b",
    "plan": r"\bplan\b",
    "addon": r"\badd-?ons?\b|\bpass\b|\bextra\b",
    "cause": r"\bwhy\b|\breason\b",
    "days": r"\bdays?\b|\bhow long\b",
    "bill": r"\bbills?\b|\bstatement\b|\binvoice\b",
    "address": r"\baddress\b",
}


# --- optional members: what the generic agent asks of its domain when its mistakes are on ---------

REFRESHES = {  # a write whose result is the new version of a record a read returned: (read, its id argument)
    **{name: ("get_line_details", "line_id") for name in ("change_plan", "add_addon", "remove_addon", "suspend_line", "resume_line")},
    "pay_bill": ("get_bill_details", "bill_id"),
    "update_billing_address": ("get_user_details", "user_id"),
}
ID_READS = (  # a record the customer named by its id: (goal field, read, its id argument, the id in the field)
    ("line", "get_line_details", "line_id", r"line (line_\d+)"),
    ("bill", "get_bill_details", "bill_id", r"bill (bill_\d+)"),
)
INFO_GOALS = frozenset({"info_data_used", "info_amount_due"})
MISTAKE_GOALS = {  # mistake class -> the goal types it can fall on
    "wrong_payment_method": frozenset({"pay_bill"}),
    "write_then_undo": frozenset({"change_plan", "update_billing_address"}),
    "wrong_amount": frozenset({"info_amount_due"}), "corrected_to_wrong": frozenset({"info_amount_due"}),
    "digit_swap": INFO_GOALS, "amount_containing_answer": INFO_GOALS, "no_answer": INFO_GOALS,
}  # fmt: skip
SLIPS = {"wrong_payment_method": lambda plan, ctx: slips.wrong_payment_method(plan, ctx, method_text)}


def undo(write: Write, ctx: Context) -> dict[str, Any] | None:
    """The arguments that put back what a plan change or an address change changed, from the record as first read."""
    if write.name == "change_plan":
        line = ctx.knowledge.first("get_line_details", line_id=write.arguments["line_id"])
        return {**write.arguments, "plan_id": line["plan_id"]} if line else None
    if write.name == "update_billing_address":
        user = ctx.knowledge.first("get_user_details", user_id=write.arguments["user_id"])
        return {"user_id": write.arguments["user_id"], **user["address"]} if user else None
    return None
