"""Retail's conversation rules: who the customer is, whose records a call reads, what a write's details are.

The customer is authenticated once `find_user_id_by_email` or `find_user_id_by_name_zip` returned their
user id (even when they gave the id themselves). Before a write, the agent's summary must name the
order (its id), each item (by product name, with the options that tell it apart from same-named items
in the order), the options of each new variant that change, the payment method (its id, its last four
digits, or its kind or brand when the customer has only one such method; "the original payment method"
for a refund to it) when money moves, and a new address by its street number and zip code (or as "the
default address" when it is the profile's).
"""

from __future__ import annotations

from typing import Any

from domains.cues import PROFILE_ADDRESS, Detail, name_phrases, payment_cue, rival_payments
from domains.state import Record, State

AUTHENTICATION_MODE = "lookup"
AUTHENTICATION_HOW = "find its user id by email, or by name and zip code"
LOOKUP_TOOLS = frozenset({"find_user_id_by_email", "find_user_id_by_name_zip"})
ACCOUNT_TOOLS = frozenset({"get_user_details", "get_order_details"})

def record_owner(state: State, name: str, arguments: dict[str, Any]) -> str | None:
    """The customer whose records a read looks at (None: not a customer's record)."""
    if name == "get_user_details":
        return str(arguments.get("user_id"))
    if name == "get_order_details":
        order = state.get("orders", str(arguments.get("order_id", "")))
        return order["user_id"] if order else None
    return None


def address_details(address: dict[str, Any], profile: dict[str, Any] | None) -> list[Detail]:
    """A new address: its street (number) and its zip code or city; the profile's can be named as such."""
    street = str(address.get("address1", ""))
    number = street.split(" ", 1)[0]
    is_profile = profile is not None and all(str(profile.get(k, "")) == str(address.get(k, "")) for k in ("address1", "address2", "city", "state", "zip"))
    extra = PROFILE_ADDRESS if is_profile else ()
    street_cue = (number if any(ch.isdigit() for ch in number) else street, *extra)
    place_cue = (str(address.get("zip", "")), *extra) if address.get("zip") else (str(address.get("city", "")), *extra)
    return [Detail("street", street_cue), Detail("zip code", place_cue)]


def order_detail(state: State, order: Record) -> Detail:
    """An order by its id, or by a product no other order of the customer holds."""
    owner = state.get("users", order["user_id"]) or {"orders": []}
    others = [state.get("orders", oid) for oid in owner["orders"] if oid != order["order_id"]]
    elsewhere = {item["name"] for other in others if other for item in other["items"]}
    distinctive = [item["name"] for item in order["items"] if item["name"] not in elsewhere]
    rivals = tuple(o["order_id"] for o in others if o)
    return Detail("order", tuple(dict.fromkeys([order["order_id"], *distinctive])), rivals)


def _item_details(order: Record, item_id: str, chosen: set[str]) -> list[Detail]:
    """An item by name (its last word will do when no other item of the order shares it), plus the option
    values that tell it from same-named items of the order that the write leaves alone."""
    item = next((i for i in order["items"] if i["item_id"] == item_id), None)
    if item is None:
        return [Detail(f"item {item_id}", (item_id,))]
    others = [i for i in order["items"] if i["item_id"] != item_id]
    phrases = [item["name"], item_id]
    head = name_phrases(item["name"])[-1]
    if not any(head.lower() in i["name"].lower().split() for i in others if i["name"] != item["name"]):
        phrases.append(head)
    left_alone = [i for i in others if i["item_id"] not in chosen and i["name"] != item["name"]]
    rivals = tuple(dict.fromkeys(p for i in left_alone for p in (i["name"], i["item_id"])))
    details = [Detail(item["name"], tuple(dict.fromkeys(phrases)), rivals)]
    siblings = [i for i in others if i["name"] == item["name"] and i["options"] != item["options"] and i["item_id"] not in chosen]
    telling = [str(v) for k, v in item["options"].items() if any(s["options"].get(k) != v for s in siblings)]
    if telling:
        rival_values = tuple(dict.fromkeys(str(s["options"].get(k)) for s in siblings for k in item["options"] if s["options"].get(k) != item["options"][k]))
        details.append(Detail(f"which {item['name']}", tuple(telling) + (item_id,), rival_values))
    return details


def _variant_details(state: State, order: Record, old_id: str, new_id: str) -> list[Detail]:
    old = next((i for i in order["items"] if i["item_id"] == old_id), None)
    product = state.get("products", old["product_id"]) if old else None
    new = (product or {}).get("variants", {}).get(new_id)
    if old is None or new is None:
        return [Detail(f"new item {new_id}", (new_id,))]
    details = []
    for key, value in new["options"].items():
        if old["options"].get(key) == value:
            continue
        rivals = {str(v["options"].get(key)) for v in product["variants"].values()} - {str(value), str(old["options"].get(key))}
        details.append(Detail(f"new {key} {value}", (str(value), new_id), tuple(sorted(rivals))))
    return details


def write_details(state: State, name: str, arguments: dict[str, Any], user_id: str) -> list[Detail]:
    """What the agent's summary must have said before this write, read on the world just before it."""
    user = state.get("users", user_id)
    if name == "modify_user_address":
        return address_details(arguments, (user or {}).get("address"))
    order = state.get("orders", str(arguments.get("order_id", "")))
    if order is None:
        return []
    details: list[Detail] = [order_detail(state, order)]
    owner = state.get("users", order["user_id"])
    original = order["payment_history"][0]["payment_method_id"] if order.get("payment_history") else None

    def payment(method_id: str, refund_to_original: bool = False) -> Detail:
        return Detail("payment method", payment_cue(owner, method_id, original if refund_to_original else None), rival_payments(owner, method_id))

    if name == "modify_pending_order_address":
        details += address_details(arguments, (owner or {}).get("address"))
    elif name == "modify_pending_order_payment":
        details.append(payment(str(arguments.get("payment_method_id", ""))))
    elif name in ("return_delivered_order_items", "exchange_delivered_order_items", "modify_pending_order_items"):
        item_ids = [str(i) for i in arguments.get("item_ids", [])]
        for item_id in dict.fromkeys(item_ids):
            details += _item_details(order, item_id, set(item_ids))
        for old_id, new_id in zip(item_ids, arguments.get("new_item_ids", [])):
            details += _variant_details(state, order, old_id, str(new_id))
        if name == "return_delivered_order_items" or _price_difference(state, order, item_ids, arguments.get("new_item_ids", [])):
            details.append(payment(str(arguments.get("payment_method_id", "")), refund_to_original=True))
    return details


def _price_difference(state: State, order: Record, item_ids: list[str], new_ids: list[Any]) -> float:
    total = 0.0
    for old_id, new_id in zip(item_ids, new_ids):
        old = next((i for i in order["items"] if i["item_id"] == old_id), None)
        product = state.get("products", old["product_id"]) if old else None
        variant = (product or {}).get("variants", {}).get(str(new_id))
        if old is not None and variant is not None:
            total += variant["price"] - old["price"]
    return round(total, 2)
