"""Telecom descriptions: an account holder by email or by name and zip, a line by who uses it, its phone or
the last digits of its number, a plan by name or data allowance, an add-on by name, a bill by its month
or amount, a payment method by kind, brand and last four digits.

At partial fuzz a line or a bill is named by its id (as the main record of the other domains' goals is),
the rest described. Scopes: `users` (every account holder), `user:<id>` (that account's lines, bills and
payment methods), `catalogue` (the plans and add-ons).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from datetime import date as Date
from typing import Any

from domains.constraints import Constraint
from domains.fuzzy import (
    Describer,
    FuzzLevel,
    NotDescribableError,
    customer_matches,
    customers_by_lookup,
    money,
    payment_method_ladder,
    payment_method_matches,
    render_payment_method,
)
from domains.sampling import Draft
from domains.scenario import ScenarioParts
from domains.state import Record, State
from domains.records import address_text

from cove_telecom.sampler import TelecomGoal

REASONS = {"travel": "the person who uses it is travelling", "lost or stolen": "the phone was lost or stolen"}


# --- scopes and matchers -----------------------------------------------------------------------


def _owner(state: State, scope: str) -> Record | None:
    return state.get("users", scope.removeprefix("user:"))


def _records(table: str, listed: str):
    def records(state: State, scope: str, attributes: dict[str, Any]) -> Iterator[tuple[str, Any]]:
        user = _owner(state, scope)
        for key in user[listed] if user else []:
            if (record := state.get(table, key)) is not None:
                yield key, record

    return records


def line_matches(line: Record, attributes: dict[str, Any]) -> bool:
    checks = {"holder": line["holder"], "device": line["device"], "last_four": line["phone_number"][-4:], "phone": line["phone_number"]}
    return all(str(checks.get(key)).casefold() == str(value).casefold() for key, value in attributes.items() if key in checks)


def month_text(period: str) -> str:
    """'2025-03' -> 'March 2025'."""
    year, month = period.split("-")
    return f"{Date(int(year), int(month), 1).strftime('%B')} {year}"


def bill_matches(bill: Record, attributes: dict[str, Any]) -> bool:
    if "month" in attributes and month_text(bill["period"]) != attributes["month"]:
        return False
    return "amount" not in attributes or round(bill["amount"], 2) == round(float(attributes["amount"]), 2)


def _catalogue(table: str):
    def records(state: State, scope: str, attributes: dict[str, Any]) -> Iterator[tuple[str, Any]]:
        for key in state.keys(table):
            yield key, state.get(table, key)

    return records


def _catalogue_matches(record: Record, attributes: dict[str, Any]) -> bool:
    return all(str(record.get(key)).casefold() == str(value).casefold() for key, value in attributes.items())


RESOLVERS = {
    "user": (customers_by_lookup, customer_matches),
    "line": (_records("lines", "lines"), line_matches),
    "bill": (_records("bills", "bills"), bill_matches),
    "payment_method": (lambda state, scope, attributes: (_owner(state, scope) or {}).get("payment_methods", {}).items(), payment_method_matches),
    "plan": (_catalogue("plans"), _catalogue_matches),
    "addon": (_catalogue("addons"), _catalogue_matches),
}


# --- rendering ---------------------------------------------------------------------------------


def line_text(attributes: dict[str, Any]) -> str:
    """'the line used by Maya', 'the line with the Pixel 8', 'the line ending in 0142', 'the line 509-555-0142', 'line line_1234567'."""
    if "id" in attributes:
        return f"line {attributes['id']}"
    if "phone" in attributes:
        return f"the line {attributes['phone']}"
    text = "the line"
    if "holder" in attributes:
        text += f" used by {attributes['holder']}"
    if "device" in attributes:
        text += f" with the {attributes['device']}"
    if "last_four" in attributes:
        text += f" ending in {attributes['last_four']}"
    return text


def plan_text(attributes: dict[str, Any]) -> str:
    if "id" in attributes:
        return f"plan {attributes['id']}"
    if "data_gb" in attributes:
        return f"the plan with {attributes['data_gb']} GB of data"
    return f"the {attributes['name']} plan"


def addon_text(attributes: dict[str, Any]) -> str:
    return f"add-on {attributes['id']}" if "id" in attributes else f"the {attributes['name']}"


def bill_text(attributes: dict[str, Any]) -> str:
    if "id" in attributes:
        return f"bill {attributes['id']}"
    if "month" in attributes:
        return f"your bill for {attributes['month']}"
    return f"your bill of {money(attributes['amount'])}"


def stated_facts(constraint: Constraint) -> list[str]:
    """Values the customer states outright: a suspension's length, a new address."""
    params = constraint.params
    if constraint.type == TelecomGoal.SUSPEND_LINE:
        return [f"{params['days']} days"]
    if constraint.type == TelecomGoal.UPDATE_BILLING_ADDRESS:
        return [params["address"][key] for key in ("address1", "address2", "city", "state", "zip") if params["address"].get(key)]
    return []


# --- the fuzzifier -----------------------------------------------------------------------------


class _Telecom:
    """Describes one draft's records at one fuzz level."""

    def __init__(self, draft: Draft, level: FuzzLevel, rng: random.Random) -> None:
        self.draft, self.level, self.rng = draft, level, rng
        self.describer = Describer(level)
        self.start = draft.base.new_state()
        self.scope = f"user:{draft.user_id}"

    def _fuzzy(self, kind: str, target: str, scope: str, ladder: Iterable[dict[str, Any]], render: Any, worlds: list[State], keep_id: bool = False) -> str:
        """A fuzzy description; at partial level a line or bill (`keep_id`), or a record that cannot be described, is named by its id."""
        if self.level is FuzzLevel.EXACT or (keep_id and self.level is FuzzLevel.PARTIAL):
            return self.describer.by_id(kind, target, scope, render, worlds)
        try:
            return self.describer.describe(kind, target, scope, ladder, render, worlds)
        except NotDescribableError:
            if self.level is FuzzLevel.FULL:
                raise
            return self.describer.by_id(kind, target, scope, render, worlds)

    def line(self, line_id: str, worlds: list[State]) -> str:
        line = worlds[-1].get("lines", line_id)
        singles = [{"holder": line["holder"]}, {"device": line["device"]}, {"last_four": line["phone_number"][-4:]}]
        self.rng.shuffle(singles)
        ladder = [*singles, {"holder": line["holder"], "device": line["device"]}, {"phone": line["phone_number"]}]
        return self._fuzzy("line", line_id, self.scope, ladder, line_text, worlds, keep_id=True)

    def plan(self, plan_id: str, worlds: list[State]) -> str:
        plan = worlds[-1].get("plans", plan_id)
        ladder = [{"name": plan["name"]}, {"data_gb": plan["data_gb"]}]
        self.rng.shuffle(ladder)
        return self._fuzzy("plan", plan_id, "catalogue", ladder, plan_text, worlds)

    def addon(self, addon_id: str, worlds: list[State]) -> str:
        addon = worlds[-1].get("addons", addon_id)
        return self._fuzzy("addon", addon_id, "catalogue", [{"name": addon["name"]}], addon_text, worlds)

    def bill(self, bill_id: str, worlds: list[State]) -> str:
        bill = worlds[-1].get("bills", bill_id)
        ladder = [{"month": month_text(bill["period"])}, {"amount": bill["amount"]}]
        self.rng.shuffle(ladder)
        return self._fuzzy("bill", bill_id, self.scope, ladder, bill_text, worlds, keep_id=True)

    def payment_method(self, method_id: str, worlds: list[State]) -> str:
        method = worlds[-1].get("users", self.draft.user_id)["payment_methods"][method_id]
        return self._fuzzy("payment_method", method_id, self.scope, payment_method_ladder(method), render_payment_method, worlds)

    def identity(self) -> tuple[list[str], list[str]]:
        user = self.start.get("users", self.draft.user_id)
        name = user["name"]
        by_email = {"email": user["email"]}
        by_name = {"first_name": name["first_name"], "last_name": name["last_name"], "zip": user["address"]["zip"]}
        ladder = [by_email, by_name] if self.rng.random() < 0.5 else [by_name, by_email]
        render = lambda a: a["email"] if "email" in a else f"{a['first_name']} {a['last_name']}, zip code {a['zip']}"  # noqa: E731
        text = self.describer.describe("user", self.draft.user_id, "users", ladder, render, [self.start])
        if "@" in text:
            return [f"You are {name['first_name']} {name['last_name']}.", f"Your email address is {text}."], ["You do not know your user id."]
        return [f"You are {text}."], ["You do not remember the email address on the account, and you do not know your user id."]

    def goal(self, constraint: Constraint, worlds: list[State]) -> str:
        params, goal = constraint.params, TelecomGoal(constraint.type)
        if goal is TelecomGoal.UPDATE_BILLING_ADDRESS:
            return f"Update the billing address on your account to {address_text(params['address'])}."
        if goal is TelecomGoal.INFO_AMOUNT_DUE:
            return "Ask how much you owe in total on your unpaid and overdue bills. You only want to know the amount; do not pay anything."
        if goal is TelecomGoal.PAY_BILL:
            return f"Pay {self.bill(params['bill_id'], worlds)} in full with {self.payment_method(params['payment_method_id'], worlds)}."
        line = self.line(params["line_id"], worlds)
        if goal is TelecomGoal.CHANGE_PLAN:
            return f"Move {line} to {self.plan(params['plan_id'], worlds)}."
        if goal is TelecomGoal.ADD_ADDON:
            return f"Add {self.addon(params['addon_id'], worlds)} to {line}."
        if goal is TelecomGoal.REMOVE_ADDON:
            return f"Remove {self.addon(params['addon_id'], worlds)} from {line}."
        if goal is TelecomGoal.SUSPEND_LINE:
            return f"Suspend {line} for {params['days']} days, because {REASONS[params['reason']]}."
        if goal is TelecomGoal.RESUME_LINE:
            return f"Resume service on {line}, which is suspended."
        return f"Ask how much data {line} has used in this billing cycle. You only want to know the figure; change nothing."


def fuzzify(draft: Draft, level: FuzzLevel, rng: random.Random) -> ScenarioParts:
    """Descriptions and goal sentences for a telecom draft; NotDescribableError if a record cannot be described."""
    fuzzer = _Telecom(draft, level, rng)
    identity, unknown = fuzzer.identity()
    goals = [fuzzer.goal(c, [fuzzer.start, pre]) for c, pre in zip(draft.constraints, draft.pre_states)]
    if level is FuzzLevel.FULL:
        unknown.append("You do not know any line id, bill id, plan id, add-on id or payment method id.")
    elif level is FuzzLevel.PARTIAL:
        unknown.append("You do not know any plan id, add-on id or payment method id.")
    return ScenarioParts(descriptions=fuzzer.describer.descriptions, identity=identity, goals=goals, unknown=unknown)


__all__ = ["RESOLVERS", "fuzzify", "line_text", "stated_facts"]
