"""Retail goals: what a store's customer may want, each with the canonical write that achieves it.

Every proposer reads the draft's current world, picks records of the draft's user that no other goal of
the task owns, and returns a goal whose action is valid by construction (the sampler still runs and
checks it). Which users can have which goal is indexed once per base database, so a draft never scans
the whole store.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from domains.constraints import Action, Constraint
from domains.fuzzy import format_amount
from domains.retail.tools import CANCEL_REASONS
from domains.sampling import Draft
from domains.state import Database, Record, State


class RetailGoal(StrEnum):
    CANCEL_ORDER = "cancel_order"
    MODIFY_ORDER_ADDRESS = "modify_order_address"
    MODIFY_ORDER_PAYMENT = "modify_order_payment"
    MODIFY_ORDER_ITEMS = "modify_order_items"
    RETURN_ITEMS = "return_items"
    EXCHANGE_ITEMS = "exchange_items"
    MODIFY_USER_ADDRESS = "modify_user_address"
    INFO_GIFT_CARD_BALANCE = "info_gift_card_balance"
    INFO_REFUND_TOTAL = "info_refund_total"
    INFO_TRACKING_NUMBER = "info_tracking_number"


GOAL_TYPES: tuple[str, ...] = tuple(RetailGoal)

_STREETS = ("Maple Avenue", "Cedar Lane", "Harbor Road", "Willow Street", "Juniper Drive", "Pine Ridge Road", "Lakeview Terrace", "Elm Court", "Orchard Way", "River Bend Road")
_CITIES = (
    ("Portland", "OR", "972"),
    ("Austin", "TX", "787"),
    ("Denver", "CO", "802"),
    ("Columbus", "OH", "432"),
    ("Madison", "WI", "537"),
    ("Raleigh", "NC", "276"),
    ("Boise", "ID", "837"),
    ("Tucson", "AZ", "857"),
    ("Richmond", "VA", "232"),
    ("Omaha", "NE", "681"),
)
ADDRESS_FIELDS = ("address1", "address2", "city", "state", "country", "zip")


# --- indexes over the base ---------------------------------------------------------------------


def _alternatives(base: Database) -> dict[str, list[str]]:
    """Available variant ids per product (the catalogue never changes)."""
    return {pid: [iid for iid, v in p["variants"].items() if v["available"]] for pid, p in base.tables["products"].items()}


def alternatives(state: State, product_id: str, item_id: str) -> list[str]:
    """Available variants of a product other than `item_id`."""
    return [iid for iid in state.base.index("retail.sampler.alternatives", _alternatives).get(product_id, ()) if iid != item_id]


def _candidates(base: Database) -> dict[str, list[str]]:
    alts = base.index("retail.sampler.alternatives", _alternatives)
    found: dict[str, dict[str, None]] = {goal: {} for goal in GOAL_TYPES}

    def swappable(order: Record) -> bool:
        return any(len(alts.get(item["product_id"], ())) > (item["item_id"] in alts.get(item["product_id"], ())) for item in order["items"])

    for user_id, user in base.tables["users"].items():
        found[RetailGoal.MODIFY_USER_ADDRESS][user_id] = None
        methods = user["payment_methods"].values()
        if any(m["source"] == "gift_card" for m in methods):
            found[RetailGoal.INFO_GIFT_CARD_BALANCE][user_id] = None
        for order_id in user["orders"]:
            order = base.tables["orders"].get(order_id)
            if order is None:
                continue
            if order["status"] == "pending":
                for goal in (RetailGoal.CANCEL_ORDER, RetailGoal.MODIFY_ORDER_ADDRESS):
                    found[goal][user_id] = None
                if len(user["payment_methods"]) > 1:
                    found[RetailGoal.MODIFY_ORDER_PAYMENT][user_id] = None
                if swappable(order):
                    found[RetailGoal.MODIFY_ORDER_ITEMS][user_id] = None
            elif order["status"] == "delivered":
                found[RetailGoal.RETURN_ITEMS][user_id] = None
                found[RetailGoal.INFO_REFUND_TOTAL][user_id] = None
                if swappable(order):
                    found[RetailGoal.EXCHANGE_ITEMS][user_id] = None
            if order["status"] in ("processed", "delivered") and _tracking_id(order):
                found[RetailGoal.INFO_TRACKING_NUMBER][user_id] = None
    return {goal: list(users) for goal, users in found.items()}


def candidate_users(base: Database) -> dict[str, list[str]]:
    """Users (in database order) who have at least the records each goal type needs, on the base."""
    return base.index("retail.sampler.candidates", _candidates)


# --- helpers -----------------------------------------------------------------------------------


def _orders(draft: Draft, status: str) -> list[Record]:
    """The user's orders with this status, in the draft's current world, not owned by another goal."""
    user = draft.state.get("users", draft.user_id)
    found = []
    for order_id in user["orders"]:
        order = draft.state.get("orders", order_id)
        if order is not None and order["status"] == status and f"order:{order_id}" not in draft.claimed:
            found.append(order)
    return found


def _single_items(order: Record) -> list[Record]:
    """Items whose id occurs once in the order (so a description of the item names one unit)."""
    ids = [item["item_id"] for item in order["items"]]
    return [item for item in order["items"] if ids.count(item["item_id"]) == 1]


def _methods(state: State, user_id: str) -> dict[str, Record]:
    return state.get("users", user_id)["payment_methods"]


def _can_pay(method: Record, amount: float) -> bool:
    return method["source"] != "gift_card" or method["balance"] >= amount


def _tracking_id(order: Record) -> str | None:
    ids = [tid for f in order["fulfillments"] for tid in f["tracking_id"]]
    return ids[0] if len(ids) == 1 else None


def new_address(rng: random.Random, avoid: Record | None = None) -> dict[str, str]:
    """A plausible US address the customer moves to, different from `avoid`."""
    while True:
        city, state, prefix = rng.choice(_CITIES)
        unit = rng.choice(("", "", f"Apt {rng.randint(1, 40)}", f"Suite {rng.randint(100, 999)}"))
        address = {
            "address1": f"{rng.randint(10, 9999)} {rng.choice(_STREETS)}",
            "address2": unit,
            "city": city,
            "state": state,
            "country": "USA",
            "zip": f"{prefix}{rng.randint(0, 99):02d}",
        }
        if avoid is None or any(address[key] != avoid.get(key) for key in ADDRESS_FIELDS):
            return address


def _swaps(draft: Draft, order: Record, rng: random.Random) -> tuple[list[str], list[str], float] | None:
    """One or two items of an order, each swapped for another available variant; with the price difference."""
    swappable = [item for item in _single_items(order) if alternatives(draft.state, item["product_id"], item["item_id"])]
    if not swappable:
        return None
    chosen = rng.sample(swappable, k=min(len(swappable), rng.choice((1, 1, 2))))
    chosen.sort(key=order["items"].index)
    old_ids, new_ids, difference = [], [], 0.0
    for item in chosen:
        new_id = rng.choice(alternatives(draft.state, item["product_id"], item["item_id"]))
        new_price = draft.state.get("products", item["product_id"])["variants"][new_id]["price"]
        old_ids.append(item["item_id"])
        new_ids.append(new_id)
        difference += new_price - item["price"]
    return old_ids, new_ids, difference


def _goal(goal: RetailGoal, action: str | None, arguments: dict[str, Any], params: dict[str, Any], info: list[str] | None = None) -> Constraint:
    actions = [Action(name=action, arguments=arguments)] if action else []
    return Constraint(type=str(goal), actions=actions, params=params, expected_info=info or [])


# --- proposers ---------------------------------------------------------------------------------


def _cancel_order(draft: Draft, rng: random.Random) -> list[Constraint] | None:
    orders = _orders(draft, "pending")
    if not orders:
        return None
    order = rng.choice(orders)
    reason = rng.choice(CANCEL_REASONS)
    args = {"order_id": order["order_id"], "reason": reason}
    return [_goal(RetailGoal.CANCEL_ORDER, "cancel_pending_order", args, {**args})]


def _modify_order_address(draft: Draft, rng: random.Random) -> list[Constraint] | None:
    orders = _orders(draft, "pending")
    if not orders:
        return None
    order = rng.choice(orders)
    profile = draft.state.get("users", draft.user_id)["address"]
    if order["address"] != profile and rng.random() < 0.5:
        address, source = {key: profile[key] for key in ADDRESS_FIELDS}, "profile"
    else:
        address, source = new_address(rng, order["address"]), "new"
    args = {"order_id": order["order_id"], **address}
    return [_goal(RetailGoal.MODIFY_ORDER_ADDRESS, "modify_pending_order_address", args, {"order_id": order["order_id"], "address": address, "address_source": source})]


def _modify_order_payment(draft: Draft, rng: random.Random) -> list[Constraint] | None:
    orders = [o for o in _orders(draft, "pending") if len(o["payment_history"]) == 1]
    rng.shuffle(orders)
    methods = _methods(draft.state, draft.user_id)
    for order in orders:
        paid = order["payment_history"][0]
        options = [mid for mid, m in methods.items() if mid != paid["payment_method_id"] and _can_pay(m, paid["amount"])]
        if options:
            args = {"order_id": order["order_id"], "payment_method_id": rng.choice(options)}
            return [_goal(RetailGoal.MODIFY_ORDER_PAYMENT, "modify_pending_order_payment", args, {**args})]
    return None


def _item_swap(draft: Draft, rng: random.Random, status: str, goal: RetailGoal, tool: str) -> list[Constraint] | None:
    orders = _orders(draft, status)
    rng.shuffle(orders)
    methods = _methods(draft.state, draft.user_id)
    for order in orders[:3]:
        swap = _swaps(draft, order, rng)
        if swap is None:
            continue
        old_ids, new_ids, difference = swap
        options = [mid for mid, m in methods.items() if _can_pay(m, difference)]
        if not options:
            continue
        args = {"order_id": order["order_id"], "item_ids": old_ids, "new_item_ids": new_ids, "payment_method_id": rng.choice(options)}
        return [_goal(goal, tool, args, {**args, "price_difference": round(difference, 2)})]
    return None


def _modify_order_items(draft: Draft, rng: random.Random) -> list[Constraint] | None:
    return _item_swap(draft, rng, "pending", RetailGoal.MODIFY_ORDER_ITEMS, "modify_pending_order_items")


def _exchange_items(draft: Draft, rng: random.Random) -> list[Constraint] | None:
    return _item_swap(draft, rng, "delivered", RetailGoal.EXCHANGE_ITEMS, "exchange_delivered_order_items")


def _pick_items(order: Record, rng: random.Random) -> list[Record]:
    items = _single_items(order)
    if not items:
        return []
    chosen = rng.sample(items, k=rng.randint(1, len(items)))
    return sorted(chosen, key=order["items"].index)


def _return_items(draft: Draft, rng: random.Random) -> list[Constraint] | None:
    orders = [o for o in _orders(draft, "delivered") if _single_items(o)]
    if not orders:
        return None
    order = rng.choice(orders)
    items = _pick_items(order, rng)
    methods = _methods(draft.state, draft.user_id)
    original = order["payment_history"][0]["payment_method_id"]
    options = [mid for mid, m in methods.items() if mid == original or m["source"] == "gift_card"]
    if not options:
        return None
    args = {"order_id": order["order_id"], "item_ids": [i["item_id"] for i in items], "payment_method_id": rng.choice(options)}
    params = {**args, "refund_total": round(sum(i["price"] for i in items), 2), "to_original": args["payment_method_id"] == original}
    return [_goal(RetailGoal.RETURN_ITEMS, "return_delivered_order_items", args, params)]


def _modify_user_address(draft: Draft, rng: random.Random) -> list[Constraint] | None:
    if "user_address" in draft.claimed:
        return None
    address = new_address(rng, draft.state.get("users", draft.user_id)["address"])
    args = {"user_id": draft.user_id, **address}
    return [_goal(RetailGoal.MODIFY_USER_ADDRESS, "modify_user_address", args, {"user_id": draft.user_id, "address": address})]


def _info_gift_card_balance(draft: Draft, rng: random.Random) -> list[Constraint] | None:
    cards = [mid for mid, m in _methods(draft.state, draft.user_id).items() if m["source"] == "gift_card"]
    if not cards:
        return None
    goal = _goal(RetailGoal.INFO_GIFT_CARD_BALANCE, None, {}, {"user_id": draft.user_id, "payment_method_ids": cards})
    return [goal.model_copy(update={"expected_info": info_value(draft.state, goal)})]


def _info_refund_total(draft: Draft, rng: random.Random) -> list[Constraint] | None:
    orders = [o for o in _orders(draft, "delivered") if _single_items(o)]
    if not orders:
        return None
    order = rng.choice(orders)
    items = _pick_items(order, rng)
    goal = _goal(RetailGoal.INFO_REFUND_TOTAL, None, {}, {"order_id": order["order_id"], "item_ids": [i["item_id"] for i in items]})
    return [goal.model_copy(update={"expected_info": info_value(draft.state, goal)})]


def _info_tracking_number(draft: Draft, rng: random.Random) -> list[Constraint] | None:
    orders = [o for status in ("processed", "delivered") for o in _orders(draft, status) if _tracking_id(o)]
    if not orders:
        return None
    order = rng.choice(orders)
    goal = _goal(RetailGoal.INFO_TRACKING_NUMBER, None, {}, {"order_id": order["order_id"], "status": order["status"]})
    return [goal.model_copy(update={"expected_info": info_value(draft.state, goal)})]


PROPOSERS: dict[str, Callable[[Draft, random.Random], list[Constraint] | None]] = {
    RetailGoal.CANCEL_ORDER: _cancel_order,
    RetailGoal.MODIFY_ORDER_ADDRESS: _modify_order_address,
    RetailGoal.MODIFY_ORDER_PAYMENT: _modify_order_payment,
    RetailGoal.MODIFY_ORDER_ITEMS: _modify_order_items,
    RetailGoal.RETURN_ITEMS: _return_items,
    RetailGoal.EXCHANGE_ITEMS: _exchange_items,
    RetailGoal.MODIFY_USER_ADDRESS: _modify_user_address,
    RetailGoal.INFO_GIFT_CARD_BALANCE: _info_gift_card_balance,
    RetailGoal.INFO_REFUND_TOTAL: _info_refund_total,
    RetailGoal.INFO_TRACKING_NUMBER: _info_tracking_number,
}


def propose(goal_type: str, draft: Draft, rng: random.Random) -> list[Constraint] | None:
    """A goal of this type for the draft's user on the draft's current world, or None if none fits."""
    return PROPOSERS[goal_type](draft, rng)


def claim_keys(constraint: Constraint) -> list[str]:
    """The records a goal owns: one goal per order, one profile-address change per task."""
    if constraint.type == RetailGoal.MODIFY_USER_ADDRESS:
        return ["user_address"]
    if constraint.type == RetailGoal.INFO_GIFT_CARD_BALANCE:
        return ["info_gift_card_balance"]
    order_id = constraint.params.get("order_id")
    return [f"order:{order_id}"] if order_id else []


def info_value(state: State, constraint: Constraint) -> list[str]:
    """The answer an information goal expects, as an agent would say it, on this world."""
    params = constraint.params
    if constraint.type == RetailGoal.INFO_GIFT_CARD_BALANCE:
        methods = _methods(state, params["user_id"])
        return [format_amount(sum(methods[mid]["balance"] for mid in params["payment_method_ids"] if mid in methods))]
    order = state.get("orders", params["order_id"])
    if constraint.type == RetailGoal.INFO_REFUND_TOTAL:
        prices = {item["item_id"]: item["price"] for item in order["items"]}
        return [format_amount(sum(prices.get(iid, 0.0) for iid in params["item_ids"]))]
    return [_tracking_id(order) or ""]
