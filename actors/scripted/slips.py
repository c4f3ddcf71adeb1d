"""How the scripted agent commits its planned mistake (see `mistakes` for the catalogue and the draw).

A class falls on the first request of the dialogue whose type it fits (`fits`): a wrong variant on a
return or exchange, a digit swap on an amount or a tracking number... The helpers here change what
the agent would otherwise do, and only where the dialogue allows it: each returns None when the
mistake cannot really happen here (no second order with that product, no two different digits to
swap), and the agent then does the right thing and records nothing.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from typing import Any

from actors.scripted.mistakes import Mistake as M
from actors.scripted.phrases import dollars
from actors.scripted.plans import Context, Plan, Write
from actors.scripted.transcript import CannotResolveError

INFO_AMOUNTS = frozenset({"info_refund_total", "info_gift_card_balance", "info_certificate_total"})
INFO = INFO_AMOUNTS | {"info_tracking_number", "info_flight_status"}
ITEM_GOALS = frozenset({"return_items", "exchange_items", "modify_order_items"})
METHOD_GOALS = frozenset({"modify_order_payment", "return_items", "exchange_items", "modify_order_items", "book_reservation",
                          "change_cabin", "add_bags", "change_flights"})
UNDO_GOALS = frozenset({"modify_order_address", "modify_user_address", "modify_order_payment", "update_passengers"})

_GOAL_CLASSES = {
    M.WRONG_VARIANT: ITEM_GOALS, M.WRONG_ORDER: ITEM_GOALS, M.WRONG_PAYMENT_METHOD: METHOD_GOALS, M.WRITE_THEN_UNDO: UNDO_GOALS,
    M.WRONG_AMOUNT: INFO_AMOUNTS, M.DIGIT_SWAP: INFO_AMOUNTS | {"info_tracking_number"},
    M.AMOUNT_CONTAINING_ANSWER: INFO_AMOUNTS | {"info_tracking_number"}, M.NEGATED_STATUS: {"info_flight_status"},
    M.WRONG_FLIGHT_STATUS: {"info_flight_status"}, M.CORRECTED_TO_WRONG: INFO, M.NO_ANSWER: INFO,
}
_WRITE_CLASSES = (M.EXTRA_WRITE, M.DUPLICATE_WRITE, M.UNCONFIRMED_WRITE, M.WRITE_DIFFERS_FROM_CONFIRMED)
DOUBLE_CHECK = "Let me double-check that for you."
TRANSFERRING = "I'm transferring you to a human agent now. Please hold on."


def fits(mistake: M, goal_type: str) -> bool:
    """Whether the class can fall on a request of this type."""
    if mistake in _GOAL_CLASSES:
        return goal_type in _GOAL_CLASSES[mistake]
    if mistake in _WRITE_CLASSES:
        return goal_type not in INFO
    return False


def _pick(options: list[str], key: str) -> str | None:
    """One of `options`, the same for the same key."""
    if not options:
        return None
    return options[int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % len(options)]


# --- outcome: the write goes to the wrong record -----------------------------------------------


def wrong_payment_method(plan: Plan, ctx: Context, method_text: Any) -> Plan | None:
    """The first write paid with another of the customer's methods, read back by its id alone."""
    write = plan.writes[0]
    if "$0.00" in write.summary:
        return None  # nothing is charged or refunded: another method would change nothing
    user = ctx.knowledge.read("get_user_details", user_id=ctx.user_id)
    arguments = dict(write.arguments)
    key = next((k for k in ("payment_method_id", "payment_id") if k in arguments), None)
    if key is None and len(arguments.get("payment_methods") or []) == 1:
        current = arguments["payment_methods"][0]["payment_id"]
    elif key is not None:
        current = arguments[key]
    else:
        return None
    avoid = {current}
    if write.name == "modify_pending_order_payment":
        order = ctx.knowledge.read("get_order_details", order_id=arguments["order_id"])
        avoid |= {p["payment_method_id"] for p in order.get("payment_history", [])}
    other = _pick(sorted(m for m in user["payment_methods"] if m not in avoid), current)
    if other is None:
        return None
    if key is None:
        arguments["payment_methods"] = [{**arguments["payment_methods"][0], "payment_id": other}]
    else:
        arguments[key] = other
    summary = write.summary.replace(method_text(user, current), f"payment method {other}")
    return replace(plan, writes=(replace(write, arguments=arguments, summary=summary, mistake=M.WRONG_PAYMENT_METHOD),) + plan.writes[1:])


def wrong_order(plan: Plan, ctx: Context) -> Plan | None:
    """The same products taken from another of the customer's orders (one with the same status if there is one)."""
    write = plan.writes[0]
    user = ctx.knowledge.read("get_user_details", user_id=ctx.user_id)
    order = ctx.knowledge.read("get_order_details", order_id=write.arguments["order_id"])
    wanted = [next(i for i in order["items"] if i["item_id"] == item_id) for item_id in write.arguments["item_ids"]]
    others = [ctx.knowledge.read("get_order_details", order_id=order_id) for order_id in user["orders"] if order_id != order["order_id"]]
    others.sort(key=lambda other: other["status"] != order["status"])  # one the tool accepts first; else the attempt fails
    for other in others:
        order_id = other["order_id"]
        taken: list[str] = []
        for item in wanted:
            match = next((i for i in other["items"] if i["product_id"] == item["product_id"] and i["item_id"] not in taken), None)
            if match is None:
                break
            taken.append(match["item_id"])
        else:
            if "new_item_ids" in write.arguments and set(taken) & set(write.arguments["new_item_ids"]):
                continue
            arguments = {**write.arguments, "order_id": order_id, "item_ids": taken}
            summary = write.summary.replace(order["order_id"], order_id)
            return replace(plan, writes=(replace(write, arguments=arguments, summary=summary, mistake=M.WRONG_ORDER),) + plan.writes[1:])
    return None


def wrong_variant(plan: Plan, ctx: Context, variant_text: Any) -> Plan | None:
    """The wrong variant: for a swap, another available variant of the product than the one asked for;
    for a return, another line item of the same product in the order. Read back by product name only."""
    write = plan.writes[0]
    order = ctx.knowledge.read("get_order_details", order_id=write.arguments["order_id"])
    chosen = write.arguments["item_ids"]
    new_ids = write.arguments.get("new_item_ids")
    for position, item_id in enumerate(chosen):
        item = next(i for i in order["items"] if i["item_id"] == item_id)
        if new_ids:
            product = ctx.knowledge.read("get_product_details", product_id=item["product_id"])
            asked = product["variants"].get(new_ids[position])
            other = next((v for vid, v in product["variants"].items() if v["available"] and vid not in (item_id, new_ids[position])), None)
            if asked is None or other is None:
                continue
            ids = list(new_ids)
            ids[position] = other["item_id"]
            summary = write.summary.replace(variant_text({"name": product["name"], **asked}), product["name"])
            return replace(plan, writes=(replace(write, arguments={**write.arguments, "new_item_ids": ids}, summary=summary, mistake=M.WRONG_VARIANT),) + plan.writes[1:])
        sibling = next((i for i in order["items"] if i["product_id"] == item["product_id"] and i["item_id"] not in chosen), None)
        if sibling is not None:
            ids = list(chosen)
            ids[position] = sibling["item_id"]
            summary = write.summary.replace(variant_text(item), item["name"])
            return replace(plan, writes=(replace(write, arguments={**write.arguments, "item_ids": ids}, summary=summary, mistake=M.WRONG_VARIANT),) + plan.writes[1:])
    return None


def undo(write: Write, ctx: Context) -> dict[str, Any] | None:
    """The arguments that put back what `write` changed, from the reads made before it."""
    arguments = write.arguments
    if write.name == "modify_pending_order_address":
        before = ctx.knowledge.read("get_order_details", order_id=arguments["order_id"])["address"]
        return {"order_id": arguments["order_id"], **{k: before.get(k, "") for k in ("address1", "address2", "city", "state", "country", "zip")}}
    if write.name == "modify_user_address":
        before = ctx.knowledge.read("get_user_details", user_id=arguments["user_id"])["address"]
        return {"user_id": arguments["user_id"], **{k: before.get(k, "") for k in ("address1", "address2", "city", "state", "country", "zip")}}
    if write.name == "modify_pending_order_payment":
        history = ctx.knowledge.read("get_order_details", order_id=arguments["order_id"]).get("payment_history", [])
        return {"order_id": arguments["order_id"], "payment_method_id": history[0]["payment_method_id"]} if history else None
    if write.name == "update_reservation_passengers":
        before = ctx.knowledge.read("get_reservation_details", reservation_id=arguments["reservation_id"])["passengers"]
        return {"reservation_id": arguments["reservation_id"], "passengers": [{k: p[k] for k in ("first_name", "last_name", "dob")} for p in before]}
    return None


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
    elif mistake is M.CORRECTED_TO_WRONG:
        wrong = "on time" if value != "on time" else "delayed"
    else:
        wrong = None
    return plan.answer.replace(value, wrong) if wrong and wrong != value else None


def negated(plan: Plan) -> str | None:
    found = re.match(r"(Flight \S+ on .+?) has the status: (.+)\.$", plan.answer)
    return f"{found.group(1)} is not {found.group(2)}." if found else None


def other_flight_status(plan: Plan, ctx: Context) -> str | None:
    """The status of a neighbouring flight number on the same day, stated as if it were the one asked about."""
    found = re.match(r"Flight (\S+?)(\d+) on (.+?) has the status: ", plan.answer)
    if not found:
        return None
    from actors.scripted.phrases import iso_date

    prefix, digits, day = found.groups()
    other = f"{prefix}{int(digits) + 1:0{len(digits)}d}"
    try:
        status = ctx.knowledge.read("get_flight_status", flight_number=other, date=iso_date(day))
    except CannotResolveError:
        return None
    return f"Flight {other} on {day} has the status: {status}."
