"""The scripted agent's retail rules: which requests it understands and how it resolves them with reads.

Every request names records the way customers do ("your order with the Desk Lamp", "your Visa
credit card ending in 1234"). The resolvers look them up: the profile (orders, payment methods,
address), then the customer's orders one by one until the described one is found, then a product's
variants when a new variant is wanted. The customer is identified first, by email or by name and zip.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from domains.scripted.phrases import (
    NAME,
    PAYMENT,
    address_fields,
    dollars,
    item_attributes,
    item_fits,
    split_listing,
    strip_asides,
)
from domains.scripted import slips
from domains.scripted.plans import Context, Goal, Plan, Write, find_method, first_goal, repeated
from domains.scripted.transcript import AskAgainError, CannotResolveError, Transcript
from domains.retail import scripted_slips
from domains.records import address_text

DOMAIN = "retail"
STATED_ID_ALLOWS_READS = False  # a record is read only once a lookup found the customer
WRITES = frozenset({
    "cancel_pending_order", "modify_pending_order_address", "modify_pending_order_payment", "modify_pending_order_items",
    "exchange_delivered_order_items", "return_delivered_order_items", "modify_user_address",
})
ASK_IDENTITY = (
    "I can help with that. First I need to verify your identity: could you please give me your email address, "
    "or your first name, last name and zip code?"
)
NOT_FOUND = (
    "I could not find an account with those details. Could you check them, or give me your email address, "
    "or your first name, last name and zip code?"
)

_ORDER = r"(?:your (?:[a-z() ]+ )?order with .+?|order #?\w+)"
_END = r"\.(?=\s|$)"
PATTERNS = [
    ("modify_user_address", rf"Change the default address in your profile to (?P<address>.+?){_END}"),
    ("info_gift_card_balance", r"Find out how much money is left on your gift cards?(?: in total)?\."),
    ("cancel_order", rf"Cancel (?P<order>{_ORDER}), because (?P<reason>you no longer need it|you ordered it by mistake)\."),
    ("modify_order_address", rf"Have (?P<order>{_ORDER}) shipped to (?P<where>.+?) instead\."),
    ("modify_order_payment", rf"Pay for (?P<order>{_ORDER}) with (?P<method>{PAYMENT}) instead of the method it was paid with\."),
    ("info_tracking_number", rf"Ask for the tracking number of (?P<order>{_ORDER}){_END}"),
    ("return_items", rf"Return (?P<items>(?:the|item) .+?) from (?P<order>{_ORDER}), with the refund going to (?P<method>{PAYMENT}){_END}"),
    ("info_refund_total", rf"Ask how much money you would get back if you returned (?P<items>(?:the|item) .+?) from (?P<order>{_ORDER})\. You only want"),
    ("modify_order_items", rf"Swap (?P<swaps>(?:the|item) .+?) in (?P<order>{_ORDER}); settle any price difference with (?P<method>{PAYMENT}){_END}"),
    ("exchange_items", rf"Exchange (?P<swaps>(?:the|item) .+?) in (?P<order>{_ORDER}); settle any price difference with (?P<method>{PAYMENT}){_END}"),
]
_COMPILED = [(goal_type, re.compile(pattern)) for goal_type, pattern in PATTERNS]
_ITEM_LEAD = "(?:the |item )"
REASONS = {"you no longer need it": "no longer needed", "you ordered it by mistake": "ordered by mistake"}
_STATUSES = ("pending (item modified)", "return requested", "exchange requested", "pending", "delivered", "processed", "cancelled")


def parse_goal(text: str) -> Goal | None:
    """The first retail request worded in `text`, if any."""
    return first_goal(text, _COMPILED)


# --- identity --------------------------------------------------------------------------------

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_NAME = re.compile(rf"(?:[Mm]y name is|I am|I'm|[Tt]his is) ({NAME})")
_ZIP = re.compile(r"zip(?: code)?(?: is)?:? (\d{5})")


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
                    words = facts["name"].split()
                    lookups += [("find_user_id_by_name_zip", {"first_name": " ".join(words[:cut]), "last_name": " ".join(words[cut:]), "zip": facts["zip"]})
                                for cut in range(1, len(words))]
            continue
        for email in _EMAIL.findall(turn.text):
            lookups.append(("find_user_id_by_email", {"email": email}))
        names, zips = _NAME.findall(turn.text), _ZIP.findall(turn.text)
        for name in names:
            words = name.split()
            for zip_code in zips:
                for cut in range(1, len(words)):
                    lookups.append(("find_user_id_by_name_zip", {"first_name": " ".join(words[:cut]), "last_name": " ".join(words[cut:]), "zip": zip_code}))
    unique: list[tuple[str, dict[str, Any]]] = []
    for lookup in lookups:
        if lookup not in unique:
            unique.append(lookup)
    return unique


def authenticated_user(transcript: Transcript) -> str | None:
    for call in reversed(transcript.calls):
        if call.ok and call.name in ("find_user_id_by_email", "find_user_id_by_name_zip"):
            return call.content.strip().strip('"')
    return None


# --- finding records -------------------------------------------------------------------------


def order_attributes(text: str) -> dict[str, Any]:
    by_id = re.fullmatch(r"order (#?\w+)", text)
    if by_id:
        return {"id": by_id.group(1)}
    body = text.removeprefix("your ")
    attributes: dict[str, Any] = {}
    for status in _STATUSES:
        if body.startswith(status + " order with "):
            attributes["status"] = status
            body = body[len(status) + 1 :]
            break
    attributes["items"] = [item_attributes(part) for part in split_listing(body.removeprefix("order with "), "the ")]
    return attributes


def find_order(text: str, user: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """The first of the customer's orders that fits the description (orders are read one at a time)."""
    wanted = order_attributes(text)
    if "id" in wanted:
        return ctx.knowledge.read("get_order_details", order_id=wanted["id"])
    for order_id in user["orders"]:
        order = ctx.knowledge.read("get_order_details", order_id=order_id)
        if "status" in wanted and order["status"] != wanted["status"]:
            continue
        if all(any(item_fits(item, item_wanted) for item in order["items"]) for item_wanted in wanted["items"]):
            return order
    raise CannotResolveError(f"I could not find {text} among your orders.")


def find_item(order: dict[str, Any], text: str) -> dict[str, Any]:
    wanted = item_attributes(text)
    found = [item for item in order["items"] if item_fits(item, wanted)]
    if not found:
        raise CannotResolveError(f"order {order['order_id']} has no item matching {strip_asides(text)}.")
    if len({item["item_id"] for item in found}) > 1:
        choices = " and ".join(f"the {_variant_text(item)}" for item in found)
        raise AskAgainError(f"Order {order['order_id']} has more than one item like that: {choices}. Which one do you mean?")
    return found[0]


def method_text(user: dict[str, Any], method_id: str) -> str:
    method = user["payment_methods"].get(method_id, {})
    source = method.get("source", "")
    if source == "credit_card":
        return f"the {str(method.get('brand', '')).title()} credit card ending in {method.get('last_four')} ({method_id})"
    if source == "gift_card":
        return f"the gift card {method_id}"
    return f"the PayPal account {method_id}" if source == "paypal" else method_id


def _names(items: list[dict[str, Any]], order: dict[str, Any] | None = None) -> str:
    """The items by name; with their options when the order holds another item of that name they leave out."""
    chosen = {item["item_id"] for item in items}
    def said(item: dict[str, Any]) -> str:
        twin = order is not None and any(o["name"] == item["name"] and o["item_id"] not in chosen for o in order["items"])
        return _variant_text(item) if twin else item["name"]
    names = list(dict.fromkeys(said(item) for item in items))
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _variant_text(item: dict[str, Any]) -> str:
    options = ", ".join(f"{key}: {value}" for key, value in item.get("options", {}).items())
    return f"{item['name']} ({options})" if options else item["name"]


variant_text = _variant_text


def _profile_address(user: dict[str, Any]) -> dict[str, str]:
    return {key: user["address"][key] for key in ("address1", "address2", "city", "state", "country", "zip")}


# --- resolvers -------------------------------------------------------------------------------


def resolve(goal: Goal, ctx: Context) -> Plan:
    """The plan for one retail request; reads it still needs raise ReadNeeded."""
    user = ctx.knowledge.read("get_user_details", user_id=ctx.user_id)
    plan = _RESOLVERS[goal.type](goal.fields, user, ctx)
    return _with_noop(plan, user, ctx) if plan.writes and plan.noop is None else plan


def _with_noop(plan: Plan, user: dict[str, Any], ctx: Context) -> Plan:
    """A redundant write: re-saving the profile address as it already is."""
    address = _profile_address(user)
    noop = Write(
        "modify_user_address", {"user_id": ctx.user_id, **address},
        f"I will also update the default address in your profile to {address_text(address)}.",
        "Your profile address has been updated.",
    )
    return replace(plan, noop=noop)


def _cancel(fields: dict[str, Any], user: dict[str, Any], ctx: Context) -> Plan:
    order = find_order(fields["order"], user, ctx)
    reason = REASONS[fields["reason"]]
    wrong = ctx.wrong
    if wrong:
        reason = next(r for r in REASONS.values() if r != reason)
    write = Write(
        "cancel_pending_order", {"order_id": order["order_id"], "reason": reason},
        f"I will cancel order {order['order_id']} ({_names(order['items'])}) with the reason '{reason}'. "
        "Gift card payments are refunded at once; other payments within 5 to 7 business days.",
        f"Order {order['order_id']} has been cancelled.",
    )
    return Plan((write,), wrong=wrong)


def _ship_to(fields: dict[str, Any], user: dict[str, Any], ctx: Context) -> Plan:
    order = find_order(fields["order"], user, ctx)
    where = fields["where"]
    address = _profile_address(user) if "default address" in where else address_fields(where)
    if not address:
        raise CannotResolveError(f"I could not read the address {where}.")
    write = Write(
        "modify_pending_order_address", {"order_id": order["order_id"], **address},
        f"I will change the shipping address of order {order['order_id']} to {address_text(address)}.",
        f"The shipping address of order {order['order_id']} has been updated.",
    )
    return Plan((write,))


def _pay_with(fields: dict[str, Any], user: dict[str, Any], ctx: Context) -> Plan:
    order = find_order(fields["order"], user, ctx)
    method_id = find_method(user, fields["method"], method_text)
    wrong = False
    if ctx.wrong:
        paid = order["payment_history"][0]["payment_method_id"] if order["payment_history"] else None
        others = [m for m in user["payment_methods"] if m not in (method_id, paid)]
        if others:
            method_id, wrong = others[0], True
    write = Write(
        "modify_pending_order_payment", {"order_id": order["order_id"], "payment_method_id": method_id},
        f"I will pay for order {order['order_id']} with {method_text(user, method_id)} instead; the original payment will be refunded.",
        f"Order {order['order_id']} is now paid with {method_text(user, method_id)}.",
    )
    return Plan((write,), wrong=wrong)


def _items_of(order: dict[str, Any], text: str, ctx: Context) -> tuple[list[dict[str, Any]], bool]:
    items = [find_item(order, part) for part in split_listing(strip_asides(text), _ITEM_LEAD)]
    if ctx.wrong:
        chosen = {item["item_id"] for item in items}
        others = [item for item in order["items"] if item["item_id"] not in chosen]
        if others:
            return [others[0], *items[1:]], True
    return items, False


def _return(fields: dict[str, Any], user: dict[str, Any], ctx: Context) -> Plan:
    order = find_order(fields["order"], user, ctx)
    items, wrong = _items_of(order, fields["items"], ctx)
    method_id = find_method(user, fields["method"], method_text)
    total = sum(item["price"] for item in items)
    write = Write(
        "return_delivered_order_items",
        {"order_id": order["order_id"], "item_ids": [item["item_id"] for item in items], "payment_method_id": method_id},
        f"I will request a return of the {_names(items, order)} from order {order['order_id']}; the refund of {dollars(total)} "
        f"goes to {method_text(user, method_id)}. You will receive return instructions by email.",
        f"The return for order {order['order_id']} has been requested.",
    )
    return Plan((write,), wrong=wrong)


def _refund_total(fields: dict[str, Any], user: dict[str, Any], ctx: Context) -> Plan:
    order = find_order(fields["order"], user, ctx)
    items, wrong = _items_of(order, fields["items"], ctx)
    total = round(sum(item["price"] for item in items), 2)
    answer = f"If you returned the {_names(items, order)} from order {order['order_id']}, you would get back {dollars(total)}."
    return Plan(answer=answer, value=dollars(total), wrong=wrong)


def _swap(fields: dict[str, Any], user: dict[str, Any], ctx: Context, tool: str) -> Plan:
    order = find_order(fields["order"], user, ctx)
    old_ids, new_ids, swaps, difference, wrong = [], [], [], 0.0, False
    for part in split_listing(strip_asides(fields["swaps"]), _ITEM_LEAD):
        old_text, new_text = (re.split(r" for (?=an? |item )", part, maxsplit=1) + [""])[:2]
        item = find_item(order, old_text)
        product = ctx.knowledge.read("get_product_details", product_id=item["product_id"])
        wanted = item_attributes(new_text)
        variants = [v for v in product["variants"].values() if v["available"] and item_fits({"name": product["name"], **v}, wanted)]
        if not variants:
            raise CannotResolveError(f"there is no available {product['name']} matching {new_text}.")
        variant = variants[0]
        if ctx.wrong and not wrong:
            others = [v for v in product["variants"].values() if v["available"] and v["item_id"] not in (variant["item_id"], item["item_id"])]
            if others:
                variant, wrong = others[0], True
        old_ids.append(item["item_id"])
        new_ids.append(variant["item_id"])
        difference += variant["price"] - item["price"]
        swaps.append(f"the {_variant_text(item)} for the {_variant_text({'name': product['name'], **variant})}")
    method_id = find_method(user, fields["method"], method_text)
    verb = "change" if tool == "modify_pending_order_items" else "exchange"
    settle = f"you pay {dollars(difference)}" if difference > 0 else f"you get back {dollars(-difference)}"
    write = Write(
        tool, {"order_id": order["order_id"], "item_ids": old_ids, "new_item_ids": new_ids, "payment_method_id": method_id},
        f"In order {order['order_id']} I will {verb} {' and '.join(swaps)}; "
        f"{settle}, settled with {method_text(user, method_id)}. This can be done only once for this order.",
        f"The {verb} for order {order['order_id']} is done.",
    )
    return Plan((write,), wrong=wrong)


def _user_address(fields: dict[str, Any], user: dict[str, Any], ctx: Context) -> Plan:
    address = address_fields(fields["address"])
    if not address:
        raise CannotResolveError(f"I could not read the address {fields['address']}.")
    write = Write(
        "modify_user_address", {"user_id": ctx.user_id, **address},
        f"I will change the default address in your profile to {address_text(address)}.",
        "The default address in your profile has been updated.",
    )
    return Plan((write,), noop=repeated(write))


def _gift_card_balance(fields: dict[str, Any], user: dict[str, Any], ctx: Context) -> Plan:
    cards = [m for m in user["payment_methods"].values() if m.get("source") == "gift_card"]
    if not cards:
        raise CannotResolveError("you have no gift card in your profile.")
    wrong = ctx.wrong and len(cards) > 1
    counted = cards[:1] if wrong else cards
    total = round(sum(card["balance"] for card in counted), 2)
    which = "your gift card" if len(counted) == 1 else f"your {len(counted)} gift cards"
    return Plan(answer=f"The balance left on {which} is {dollars(total)} in total.", value=dollars(total), wrong=wrong)


def _tracking(fields: dict[str, Any], user: dict[str, Any], ctx: Context) -> Plan:
    order = find_order(fields["order"], user, ctx)
    numbers = [number for fulfilment in order.get("fulfillments", []) for number in fulfilment.get("tracking_id", [])]
    if not numbers:
        raise CannotResolveError(f"order {order['order_id']} has no tracking number yet.")
    return Plan(answer=f"The tracking number of order {order['order_id']} is {', '.join(numbers)}.", value=", ".join(numbers))


_RESOLVERS = {
    "cancel_order": _cancel,
    "modify_order_address": _ship_to,
    "modify_order_payment": _pay_with,
    "modify_order_items": lambda f, u, c: _swap(f, u, c, "modify_pending_order_items"),
    "exchange_items": lambda f, u, c: _swap(f, u, c, "exchange_delivered_order_items"),
    "return_items": _return,
    "info_refund_total": _refund_total,
    "modify_user_address": _user_address,
    "info_gift_card_balance": _gift_card_balance,
    "info_tracking_number": _tracking,
}


# --- slots: what each request is made of (domains/scripted/slots.py merges every domain's) ---------

SLOT_GROUPS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {  # goal type -> ((group, its fields), ...) in the order a customer gives them
    "cancel_order": (("order", ("order",)), ("reason", ("reason",))),
    "modify_order_address": (("order", ("order",)), ("where", ("where",))),
    "modify_order_payment": (("order", ("order",)), ("method", ("method",))),
    "info_tracking_number": (("order", ("order",)),),
    "return_items": (("order", ("order",)), ("items", ("items",)), ("method", ("method",))),
    "info_refund_total": (("order", ("order",)), ("items", ("items",))),
    "modify_order_items": (("order", ("order",)), ("swaps", ("swaps",)), ("method", ("method",))),
    "exchange_items": (("order", ("order",)), ("swaps", ("swaps",)), ("method", ("method",))),
    "modify_user_address": (("address", ("address",)),),
    "info_gift_card_balance": (),
}
SLOT_QUESTIONS = {  # the scripted agent's question for a group it misses (saying its topic in the user's topic words)
    "order": "Which order is this about? Please describe it, for example by an item in it.",
    "where": "What address should the order be shipped to instead?",
    "address": "What is the new address you would like on your profile?",
    "items": "Which item or items from that order do you mean?",
    "swaps": "Which items would you like to change, and what would you like instead of each?",
}
SLOT_TOPICS = {  # words by which any agent's question names the group (on the lower-cased question)
    "order": r"\border\b(?! (?:number|id)\b)",
    "where": r"\baddress\b|\bship(?:ped|ping)?\b",
    "address": r"\baddress\b",
    "items": r"\bitems?\b|\bproducts?\b|\bwhich one\b|\breturn\b",
    "swaps": r"\bitems?\b|\bproducts?\b|\binstead\b|\bvariant\b|\bchange\b|\bexchange\b|\bswap\b",
}


# --- what the generic agent asks of its domain (optional members of ScriptedAgentRules) ---------

REFRESHES = {  # a write whose result is the new version of a record a read returned: (read, its id argument)
    "cancel_pending_order": ("get_order_details", "order_id"),
    "modify_pending_order_address": ("get_order_details", "order_id"),
    "modify_pending_order_payment": ("get_order_details", "order_id"),
    "modify_pending_order_items": ("get_order_details", "order_id"),
    "exchange_delivered_order_items": ("get_order_details", "order_id"),
    "return_delivered_order_items": ("get_order_details", "order_id"),
    "modify_user_address": ("get_user_details", "user_id"),
}
ID_READS = (("order", "get_order_details", "order_id", r"(?:order|reservation) (#?\w+)"),)  # an order the customer named by its id
INFO_GOALS = frozenset({"info_refund_total", "info_gift_card_balance", "info_tracking_number"})
_AMOUNTS = frozenset({"info_refund_total", "info_gift_card_balance"})
_ITEMS = frozenset({"return_items", "exchange_items", "modify_order_items"})
MISTAKE_GOALS = {  # mistake class -> the goal types it can fall on
    "wrong_variant": _ITEMS, "wrong_record": _ITEMS, "wrong_payment_method": _ITEMS | {"modify_order_payment"},
    "write_then_undo": frozenset({"modify_order_address", "modify_user_address", "modify_order_payment"}),
    "wrong_amount": _AMOUNTS, "digit_swap": _AMOUNTS | {"info_tracking_number"}, "amount_containing_answer": _AMOUNTS | {"info_tracking_number"},
    "corrected_to_wrong": INFO_GOALS, "no_answer": INFO_GOALS,
}  # fmt: skip
SLIPS = {  # outcome mistake class -> the plan with it made
    "wrong_payment_method": lambda plan, ctx: slips.wrong_payment_method(plan, ctx, method_text, used=scripted_slips.paid_with),
    "wrong_record": scripted_slips.wrong_order,
    "wrong_variant": lambda plan, ctx: scripted_slips.wrong_variant(plan, ctx, variant_text),
}
undo = scripted_slips.undo
