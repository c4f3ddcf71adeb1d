"""`cove db check --domain telecom`: is a parsed database well-formed and internally consistent?

First the schema (`models.TelecomDB`, and `models.Meta` for a generated file's `meta`): each pydantic
error is a `Problem` at a path such as `lines/line_1234567/data_used_gb`. A schema-valid database is
then checked against the world's rules:

- every table key equals its record's id, every payment-method key its method's id;
- an account's lines and bills exist, belong to it and are listed once; a line's and a bill's account
  exists and lists it;
- a line's plan and add-ons are in the catalogue, each add-on once, at most one roaming pass;
- a suspended line records its suspension, an active one has none; data used is not negative;
- a paid bill records its payment, by one of its account's methods, for the bill's amount; an unpaid or
  overdue one has no payment; amounts are positive.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import ValidationError

from domains.problems import Problem, format_location, value_kind
from domains.sidecar import META_KEY, split_meta

from cove_telecom.models import Meta, TelecomDB

TOP_LEVEL = "(top level)"
_MAPPINGS = frozenset({"plans", "addons", "users", "lines", "bills", "payment_methods"})
_SOURCES = frozenset({"credit_card", "paypal"})


def check(data: Any) -> list[Problem]:
    """Every defect of a parsed telecom database; an empty list means it is sound."""
    if not isinstance(data, dict):
        return [Problem(TOP_LEVEL, f"a telecom database is a JSON object with plans, addons, users, lines and bills, got {value_kind(data)}")]
    tables, meta = split_meta(data)
    problems: list[Problem] = []
    if meta is not None:
        try:
            Meta.model_validate(meta)
        except ValidationError as exc:
            problems += [_schema_problem({**error, "loc": (META_KEY, *error["loc"])}) for error in exc.errors(include_url=False)]
    try:
        db = TelecomDB.model_validate(tables)
    except ValidationError as exc:
        return problems + [_schema_problem(error) for error in exc.errors(include_url=False)]
    return [*problems, *_key_problems(db), *_account_problems(db), *_line_problems(db), *_bill_problems(db)]


def _schema_problem(error: Any) -> Problem:
    loc = tuple(error["loc"])
    where = format_location(loc, _MAPPINGS, frozenset({"payment_methods"}), _SOURCES) or TOP_LEVEL
    field = next((part for part in reversed(loc) if isinstance(part, str)), "")
    if error["type"] == "missing":
        return Problem(where, f"required field '{field}' is missing")
    if error["type"] == "extra_forbidden":
        return Problem(where, f"unknown field '{field}' is not part of the telecom format")
    if error["type"] in ("union_tag_not_found", "union_tag_invalid"):
        return Problem(where, "a payment method's 'source' must be credit_card or paypal")
    return Problem(where, f"{error['msg']}, got {value_kind(error.get('input'))}")


def _key_problems(db: TelecomDB) -> Iterator[Problem]:
    for table, id_field in (("plans", "plan_id"), ("addons", "addon_id"), ("users", "user_id"), ("lines", "line_id"), ("bills", "bill_id")):
        for key, record in getattr(db, table).items():
            if getattr(record, id_field) != key:
                yield Problem(f"{table}/{key}/{id_field}", f"{id_field} '{getattr(record, id_field)}' differs from its key")
    for key, user in db.users.items():
        for method_key, method in user.payment_methods.items():
            if method.id != method_key:
                yield Problem(f"users/{key}/payment_methods/{method_key}/id", f"id '{method.id}' differs from its key")


def _account_problems(db: TelecomDB) -> Iterator[Problem]:
    for key, user in db.users.items():
        for table, listed in (("lines", user.lines), ("bills", user.bills)):
            records = getattr(db, table)
            for index, record_id in enumerate(listed):
                where = f"users/{key}/{table}[{index}]"
                record = records.get(record_id)
                if record is None:
                    yield Problem(where, f"{table[:-1]} {record_id} does not exist")
                elif record.user_id != key:
                    yield Problem(where, f"{table[:-1]} {record_id} belongs to user {record.user_id}, not {key}")
                if listed.index(record_id) != index:
                    yield Problem(where, f"{table[:-1]} {record_id} is listed twice")


def _owner_problems(db: TelecomDB, table: str, key: str, user_id: str, listed: str) -> Iterator[Problem]:
    user = db.users.get(user_id)
    if user is None:
        yield Problem(f"{table}/{key}/user_id", f"user {user_id} does not exist")
    elif key not in getattr(user, listed):
        yield Problem(f"{table}/{key}/user_id", f"user {user_id} does not list this {table[:-1]} in their {listed}")


def _line_problems(db: TelecomDB) -> Iterator[Problem]:
    for key, line in db.lines.items():
        at = f"lines/{key}"
        yield from _owner_problems(db, "lines", key, line.user_id, "lines")
        if line.plan_id not in db.plans:
            yield Problem(f"{at}/plan_id", f"plan {line.plan_id} is not in the catalogue")
        for index, addon_id in enumerate(line.addons):
            if addon_id not in db.addons:
                yield Problem(f"{at}/addons[{index}]", f"add-on {addon_id} is not in the catalogue")
            elif line.addons.index(addon_id) != index:
                yield Problem(f"{at}/addons[{index}]", f"add-on {addon_id} is on the line twice")
        roaming = [a for a in line.addons if a in db.addons and db.addons[a].kind == "roaming"]
        if len(roaming) > 1:
            yield Problem(f"{at}/addons", f"a line carries at most one roaming pass, found {len(roaming)}")
        if (line.status == "suspended") != (line.suspension is not None):
            yield Problem(f"{at}/suspension", f"a '{line.status}' line {'must' if line.status == 'suspended' else 'cannot'} record a suspension")
        if line.data_used_gb < 0:
            yield Problem(f"{at}/data_used_gb", f"data used is negative ({line.data_used_gb})")


def _bill_problems(db: TelecomDB) -> Iterator[Problem]:
    for key, bill in db.bills.items():
        at = f"bills/{key}"
        yield from _owner_problems(db, "bills", key, bill.user_id, "bills")
        if bill.amount <= 0:
            yield Problem(f"{at}/amount", f"a bill's amount must be positive, got {bill.amount}")
        if bill.status == "paid" and bill.payment is None:
            yield Problem(f"{at}/payment", "a paid bill must record its payment")
        if bill.status != "paid" and bill.payment is not None:
            yield Problem(f"{at}/payment", f"an '{bill.status}' bill cannot have a payment")
        if bill.payment is not None:
            user = db.users.get(bill.user_id)
            if user is not None and bill.payment.payment_method_id not in user.payment_methods:
                yield Problem(f"{at}/payment.payment_method_id", f"payment method {bill.payment.payment_method_id} is not one of user {bill.user_id}'s")
            if round(bill.payment.amount, 2) != round(bill.amount, 2):
                yield Problem(f"{at}/payment.amount", f"a bill is paid in full: {bill.payment.amount} differs from its amount {bill.amount}")
