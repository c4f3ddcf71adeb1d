"""Retail descriptions: a customer by email or name and zip, an order by some of its products, an item by
its product name and a few options, a payment method by kind, brand and last four digits.

Scopes: `users` (every customer), `user:<id>` (that customer's orders, payment methods or profile
address), `order:<id>` (the items of that order), `product:<id>` (the product's available variants).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from typing import Any

from domains.constraints import Constraint
from domains.fuzzy import (
    Describer,
    FuzzLevel,
    NotDescribableError,
    customer_matches,
    customers_by_lookup,
    option_ladder,
    payment_method_ladder,
    payment_method_matches,
    render_payment_method,
    subsets,
)
from domains.retail.sampler import RetailGoal
from domains.sampling import Draft
from domains.scenario import ScenarioParts
from domains.state import Record, State
from domains.records import address_text


# --- scopes and matchers -----------------------------------------------------------------------


def _owner(state: State, scope: str) -> Record | None:
    return state.get("users", scope.removeprefix("user:"))


def _orders(state: State, scope: str, attributes: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    user = _owner(state, scope)
    for order_id in user["orders"] if user else []:
        order = state.get("orders", order_id)
        if order is not None:
            yield order_id, order


def _item_matches(item: Record, wanted: dict[str, Any]) -> bool:
    if item["name"] != wanted["name"]:
        return False
    options = item["options"]
    return all(options.get(key) == value for key, value in wanted.get("options", {}).items())


def _order_matches(order: Record, attributes: dict[str, Any]) -> bool:
    if "status" in attributes and order["status"] != attributes["status"]:
        return False
    return all(any(_item_matches(item, wanted) for item in order["items"]) for wanted in attributes.get("items", ()))


def _items(state: State, scope: str, attributes: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    order = state.get("orders", scope.removeprefix("order:"))
    for item in order["items"] if order else []:
        yield item["item_id"], item


def _variants(state: State, scope: str, attributes: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    product = state.get("products", scope.removeprefix("product:"))
    for item_id, variant in product["variants"].items() if product else []:
        if variant["available"]:
            yield item_id, {"name": product["name"], "options": variant["options"]}


def _payment_methods(state: State, scope: str, attributes: dict[str, Any]) -> Iterable[tuple[str, Any]]:
    user = _owner(state, scope)
    return user["payment_methods"].items() if user else ()


def _addresses(state: State, scope: str, attributes: dict[str, Any]) -> Iterable[tuple[str, Any]]:
    user = _owner(state, scope)
    return [(user["user_id"], user["address"])] if user else []


ATTRIBUTE_FACTS = {"of": lambda value: []}  # "your default address": said in words, not as a value

RESOLVERS = {
    "user": (customers_by_lookup, customer_matches),
    "order": (_orders, _order_matches),
    "item": (_items, _item_matches),
    "new_item": (_variants, _item_matches),
    "payment_method": (_payment_methods, payment_method_matches),
    "address": (_addresses, lambda address, attributes: attributes.get("of") == "profile"),
}

# --- rendering ---------------------------------------------------------------------------------


def _options_text(options: dict[str, str]) -> str:
    return ", ".join(f"{key}: {value}" for key, value in options.items())


def _item_text(wanted: dict[str, Any], article: str = "the") -> str:
    if "id" in wanted:
        return f"item {wanted['id']}"
    options = wanted.get("options")
    return f"{article} {wanted['name']}" + (f" ({_options_text(options)})" if options else "")


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _order_text(attributes: dict[str, Any]) -> str:
    if "id" in attributes:
        return f"order {attributes['id']}"
    status = f"{attributes['status']} " if "status" in attributes else ""
    return f"your {status}order with " + _join([_item_text(wanted) for wanted in attributes["items"]])


def _address_facts(address: dict[str, str]) -> list[str]:
    return [address[key] for key in ("address1", "address2", "city", "state", "zip") if address.get(key)]


_REASONS = {"no longer needed": "you no longer need it", "ordered by mistake": "you ordered it by mistake"}


def stated_facts(constraint: Constraint) -> list[str]:
    """Values the user states outright (not descriptions of records): reasons and new addresses."""
    params = constraint.params
    if constraint.type == RetailGoal.CANCEL_ORDER:
        return [_REASONS[params["reason"]]]
    if constraint.type == RetailGoal.MODIFY_USER_ADDRESS or params.get("address_source") == "new":
        return _address_facts(params["address"])
    return []


# --- ladders -----------------------------------------------------------------------------------


def _order_ladder(order: Record) -> Iterator[dict[str, Any]]:
    names = list(dict.fromkeys(item["name"] for item in order["items"]))
    for combo in subsets(names, 3):
        yield {"items": [{"name": name} for name in combo]}
    for combo in subsets(names, 2):
        yield {"items": [{"name": name} for name in combo], "status": order["status"]}
    for item in order["items"]:
        for options in option_ladder(item["options"])[:6]:
            yield {"items": [{"name": item["name"], "options": options}]}


def _item_ladder(item: Record) -> Iterator[dict[str, Any]]:
    yield {"name": item["name"]}
    for options in option_ladder(item["options"]):
        yield {"name": item["name"], "options": options}


def _new_item_ladder(name: str, new: dict[str, str], old: dict[str, str]) -> Iterator[dict[str, Any]]:
    changed = [key for key in new if new[key] != old.get(key)]
    for options in option_ladder(new, prefer=changed):
        yield {"name": name, "options": options}


# --- the fuzzifier -----------------------------------------------------------------------------


class _Retail:
    """Describes one draft's records at one fuzz level."""

    def __init__(self, draft: Draft, level: FuzzLevel) -> None:
        self.draft = draft
        self.level = level
        self.describer = Describer(level)
        self.start = draft.base.new_state()
        self.user_scope = f"user:{draft.user_id}"

    def _fuzzy(
        self, kind: str, target: str, scope: str, ladder: Iterable[dict[str, Any]], render, worlds: list[State], keep_id: bool, context: str | None = None
    ) -> str:
        """A fuzzy description; at partial level a record that cannot be described is named by id instead."""
        if keep_id or self.level is FuzzLevel.EXACT:
            return self.describer.by_id(kind, target, scope, render, worlds, context)
        try:
            return self.describer.describe(kind, target, scope, ladder, render, worlds, context)
        except NotDescribableError:
            if self.level is FuzzLevel.FULL:
                raise
            return self.describer.by_id(kind, target, scope, render, worlds, context)

    def order(self, order_id: str, worlds: list[State]) -> str:
        order = self.start.get("orders", order_id)
        keep = self.level is not FuzzLevel.FULL
        return self._fuzzy("order", order_id, self.user_scope, _order_ladder(order), _order_text, worlds, keep)

    def items(self, order_id: str, item_ids: list[str], worlds: list[State], order_text: str) -> list[str]:
        order = worlds[-1].get("orders", order_id)
        by_id = {item["item_id"]: item for item in order["items"]}
        scope, context = f"order:{order_id}", f"in {order_text}"
        return [self._fuzzy("item", iid, scope, _item_ladder(by_id[iid]), _item_text, worlds, False, context) for iid in item_ids]

    def new_item(self, order_id: str, old_id: str, new_id: str, worlds: list[State]) -> str:
        old = next(item for item in worlds[-1].get("orders", order_id)["items"] if item["item_id"] == old_id)
        new = worlds[-1].get("products", old["product_id"])["variants"][new_id]
        ladder = _new_item_ladder(old["name"], new["options"], old["options"])
        render = lambda attributes: _item_text(attributes, "a")  # noqa: E731
        return self._fuzzy("new_item", new_id, f"product:{old['product_id']}", ladder, render, worlds, False)

    def payment_method(self, method_id: str, worlds: list[State]) -> str:
        method = worlds[-1].get("users", self.draft.user_id)["payment_methods"][method_id]
        return self._fuzzy("payment_method", method_id, self.user_scope, payment_method_ladder(method), render_payment_method, worlds, False)

    def identity(self, rng: random.Random) -> tuple[list[str], list[str]]:
        user = self.start.get("users", self.draft.user_id)
        name = user["name"]
        by_email = {"email": user["email"]}
        by_name = {"first_name": name["first_name"], "last_name": name["last_name"], "zip": user["address"]["zip"]}
        ladder = [by_email, by_name] if rng.random() < 0.5 else [by_name, by_email]
        render = lambda a: a["email"] if "email" in a else f"{a['first_name']} {a['last_name']}, zip code {a['zip']}"  # noqa: E731
        text = self.describer.describe("user", self.draft.user_id, "users", ladder, render, [self.start])
        full_name = f"{name['first_name']} {name['last_name']}"
        if "@" in text:
            return [f"You are {full_name}.", f"Your email address is {text}."], ["You do not know your user id."]
        return [f"You are {text}."], ["You do not remember your email address, and you do not know your user id."]

    def goal(self, constraint: Constraint, worlds: list[State]) -> str:
        params = constraint.params
        goal = RetailGoal(constraint.type)
        if goal is RetailGoal.MODIFY_USER_ADDRESS:
            return f"Change the default address in your profile to {address_text(params['address'])}."
        if goal is RetailGoal.INFO_GIFT_CARD_BALANCE:
            plural = len(params["payment_method_ids"]) > 1
            return "Find out how much money is left on your gift cards in total." if plural else "Find out how much money is left on your gift card."
        order = self.order(params["order_id"], worlds)
        if goal is RetailGoal.CANCEL_ORDER:
            return f"Cancel {order}, because {_REASONS[params['reason']]}."
        if goal is RetailGoal.MODIFY_ORDER_ADDRESS:
            if params["address_source"] == "profile":
                where = self.describer.describe("address", self.draft.user_id, self.user_scope, [{"of": "profile"}], lambda a: "your default address on file", worlds)
            else:
                where = address_text(params["address"])
            return f"Have {order} shipped to {where} instead."
        if goal is RetailGoal.MODIFY_ORDER_PAYMENT:
            return f"Pay for {order} with {self.payment_method(params['payment_method_id'], worlds)} instead of the method it was paid with."
        if goal is RetailGoal.INFO_TRACKING_NUMBER:
            return f"Ask for the tracking number of {order}."
        items = self.items(params["order_id"], params["item_ids"], worlds, order)
        if goal is RetailGoal.RETURN_ITEMS:
            refund = self.payment_method(params["payment_method_id"], worlds)
            return f"Return {_join(items)} from {order}, with the refund going to {refund}."
        if goal is RetailGoal.INFO_REFUND_TOTAL:
            return f"Ask how much money you would get back if you returned {_join(items)} from {order}. You only want to know the amount; do not return anything."
        swaps = [f"{old} for {self.new_item(params['order_id'], oid, nid, worlds)}" for old, oid, nid in zip(items, params["item_ids"], params["new_item_ids"])]
        method = self.payment_method(params["payment_method_id"], worlds)
        verb = "Swap" if goal is RetailGoal.MODIFY_ORDER_ITEMS else "Exchange"
        return f"{verb} {_join(swaps)} in {order}; settle any price difference with {method}."


def fuzzify(draft: Draft, level: FuzzLevel, rng: random.Random) -> ScenarioParts:
    """Descriptions and goal sentences for a retail draft; NotDescribableError if a record cannot be described."""
    fuzzer = _Retail(draft, level)
    identity, unknown = fuzzer.identity(rng)
    goals = [fuzzer.goal(c, [fuzzer.start, pre]) for c, pre in zip(draft.constraints, draft.pre_states)]
    if level is FuzzLevel.FULL:
        unknown.append("You do not know any order number, item id or payment method id.")
    elif level is FuzzLevel.PARTIAL:
        unknown.append("You do not know any item id or payment method id.")
    notes = []
    if any(c.type in (RetailGoal.MODIFY_ORDER_ITEMS, RetailGoal.EXCHANGE_ITEMS) for c in draft.constraints):
        notes.append("If an order has several items to change, ask for all of them together, not one by one.")
    return ScenarioParts(descriptions=fuzzer.describer.descriptions, identity=identity, goals=goals, unknown=unknown, notes=notes)


__all__ = ["RESOLVERS", "fuzzify", "stated_facts"]
