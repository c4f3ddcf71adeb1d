"""Retail words: how each information goal is checked, and how a customer can ask for each goal.

`check_information` judges an information goal from the agent's messages (`domains.information`).
`goal_cues` lists what identifies a goal in the customer's words (the action, and each record it is
about); `write_cues` does the same for a write the agent made, so an extra write counts as the user's
request only when the user asked for it. Cues come from structured attributes, not from the scenario.
"""

from __future__ import annotations

import re
from typing import Any

from domains.constraints import Constraint, Task
from domains.cues import Cue, description_cue, flat_ids, linked_descriptions, name_phrases, option_phrases
from domains.information import Answer, Foreign, amount_answer, code_answer, other_subjects
from domains.state import State
from domains.text import find, keys, number_key, stem, stems

_BALANCE_WORDS = r"(?:left|remaining|remain|available|worth|value|hold|holds|has|have|contain|contains|total|on it|loaded|carry|carries)"
GIFT_CARD_BALANCE = rf"\bbalance\b|\bgift ?card\b.*\b{_BALANCE_WORDS}\b|\b{_BALANCE_WORDS}\b.*\bgift ?card\b"
REFUND = r"\b(?:refund\w*|reimburs\w*|credited|back|return|returning|returned)\b"
TRACKING = r"\btrack\w*\b"


_CANCEL = stem("cancel")
_RETURN = {stem("return"), stem("returning"), stem("returned")}


def about_another_order(state: State, user_id: str, order_id: str, item_ids: list[str] | None = None) -> Foreign:
    """Whether a sentence is about another of the customer's orders (True), this one (False) or names
    neither (None): an order id, or a product only one of them holds. With `item_ids` (a refund for
    some items), a sentence naming only the order's other items is about another record too."""
    user = state.get("users", user_id) or {"orders": []}
    order = state.get("orders", order_id) or {"items": []}
    mine = {item["name"] for item in order["items"]}
    asked = {item["name"] for item in order["items"] if item_ids and item["item_id"] in item_ids}
    own_id, own_names = keys(order_id), [keys(name) for name in mine]
    asked_names = [keys(name) for name in asked]
    left_alone = [keys(name) for name in mine - asked] if asked else []
    other_ids, other_names = [], []
    for other_id in user["orders"]:
        other = state.get("orders", other_id)
        if other_id == order_id or other is None:
            continue
        other_ids.append(keys(other_id))
        other_names += [keys(item["name"]) for item in other["items"] if item["name"] not in mine]

    def said_in(said: tuple[str, ...], phrases: list[tuple[str, ...]]) -> bool:
        return any(phrase and find(said, phrase) >= 0 for phrase in phrases)

    def foreign(sentence: str) -> bool | None:
        said = keys(sentence)
        if said_in(said, left_alone) and not said_in(said, asked_names):
            return True  # "returning the Dog Leash would give you $20": not the items asked about
        if said_in(said, [own_id]):
            return False
        if said_in(said, other_ids):
            return True
        if said_in(said, other_names):
            return not said_in(said, own_names)
        return False if said_in(said, own_names) else None

    return foreign


_NOT_OWNERS = r"(?:your|my|our|today|tonight|yesterday|tomorrow|it|that|this|there|here|what|one|card|order|account|customer|everyone)"


def another_gift_card(state: State, user_id: str) -> Foreign:
    """A sentence about someone else's gift card ("your sister's gift card has $122.11", another card's id)."""
    user = state.get("users", user_id) or {}
    own_cards = {key for key, method in (user.get("payment_methods") or {}).items() if method.get("source") == "gift_card"}
    names = {str(part).casefold() for part in (user.get("name") or {}).values()}
    owner = re.compile(rf"\b(?!{_NOT_OWNERS}\b)([a-z]+)'s\s+(?:[\w-]+\s+){{0,2}}gift ?card|\b(?:his|her|their)\s+(?:[\w-]+\s+){{0,2}}gift ?card", re.IGNORECASE)

    def foreign(sentence: str) -> bool | None:
        text = sentence.replace("’", "'")
        cards = set(re.findall(r"gift_card_\d+", text))
        if cards:
            return not (cards & own_cards)
        match = owner.search(text)
        if match and (match.group(1) or "").casefold() not in names:
            return True
        return None

    return foreign


def info_checkable(constraint: Constraint, state: State) -> bool:
    """Whether the goal's answer can be checked without guessing: a positive amount, a numeric tracking code."""
    expected = constraint.expected_info[0] if constraint.expected_info else ""
    if constraint.type in ("info_gift_card_balance", "info_refund_total"):
        value = number_key(expected)
        return value is not None and float(value) > 0
    if constraint.type == "info_tracking_number":
        return expected.isdigit() and len(expected) >= 6
    return True


def check_information(constraint: Constraint, agent_messages: list[str], task: Task, state: State) -> Answer | None:
    """The verdict on a retail information goal, or None for a type this domain does not know."""
    expected = constraint.expected_info[0] if constraint.expected_info else ""
    if constraint.type == "info_gift_card_balance":
        return amount_answer(agent_messages, expected, GIFT_CARD_BALANCE, other_subjects("gift_card"), another_gift_card(state, task.user_id))
    order_id = str(constraint.params.get("order_id", ""))
    if constraint.type == "info_refund_total":  # what a return would give back: a cancellation's refund is another figure
        foreign = about_another_order(state, task.user_id, order_id, list(constraint.params.get("item_ids") or []))

        def about_another(sentence: str) -> bool | None:
            said = set(stems(keys(sentence)))
            return True if _CANCEL in said and not (_RETURN & said) else foreign(sentence)

        return amount_answer(agent_messages, expected, REFUND, other_subjects("refund"), about_another)
    if constraint.type == "info_tracking_number":
        return code_answer(agent_messages, expected, TRACKING, about_another_order(state, task.user_id, order_id))
    return None


INTENTS: dict[str, Cue] = {  # the action asked for, in the words customers use (matched in any inflection)
    "cancel_order": ("cancel", "cancellation", "call off", "don't need", "do not need", "no longer", "don't want", "do not want", "ordered by mistake",
                     "by mistake", "scrap", "not needed", "drop", "kill", "get rid of", "stop the order", "stop my order", "undo", "back out"),
    "modify_order_address": ("address", "ship", "shipping", "deliver", "delivery", "send", "sent to", "go to", "arrive at", "redirect", "reroute"),
    "modify_order_payment": ("pay", "paid", "payment", "charge", "card", "paypal", "gift card", "billing", "method", "bill"),
    "modify_order_items": ("change", "swap", "switch", "modify", "exchange", "replace", "instead", "different", "another", "other", "rather", "upgrade",
                           "bigger", "smaller", "larger"),
    "exchange_items": ("exchange", "swap", "switch", "replace", "trade", "change", "different", "another", "other", "instead", "rather",
                       "bigger", "smaller", "larger"),
    "return_items": ("return", "send back", "sending back", "refund", "give back", "money back", "don't want", "do not want", "get rid of"),
    "modify_user_address": ("address", "moved", "move", "moving", "relocated", "new home", "live", "new place"),
    "info_gift_card_balance": ("balance", "how much", "left", "remaining", "worth", "value", "money on", "what's on", "check", "on my gift card",
                               "on the gift card", "on my card", "on the card", "on it"),
    "info_refund_total": ("how much", "what would", "refund", "get back", "money back", "worth", "amount", "total", "reimburse"),
    "info_tracking_number": ("tracking", "track", "where is", "where's", "shipment", "package", "parcel", "shipped", "delivery", "arrive"),
}


def _address_cue(address: dict[str, Any]) -> Cue:
    """An address is named by its street line or its zip code (a city alone is not this address)."""
    return tuple(part for part in (str(address.get("address1", "")), str(address.get("zip", ""))) if part)


PRIMARY_KINDS = ("order", "item")  # what a request is about; payment methods, new variants and addresses are its details


def goal_cues(constraint: Constraint, task: Task, state: State) -> list[Cue]:
    """What a customer must have said to have asked for this goal: the action, and each record it acts on
    (its details, such as the payment method, may come later or be left to the agent to ask)."""
    cues = [INTENTS[constraint.type]] if constraint.type in INTENTS else []
    params = constraint.params
    linked = linked_descriptions(task.descriptions, flat_ids(params) - {task.user_id})
    record = [phrase for d in linked if d.kind in PRIMARY_KINDS for phrase in description_cue(d)]
    if record:  # the order, or an item of it: either names what the request is about
        cues.append(tuple(dict.fromkeys(record + _telling_phrases(constraint, task, state))))
    if constraint.type == "modify_user_address":
        cues.append(_address_cue(params["address"]))
    if constraint.type == "modify_order_address" and params.get("address_source") == "new":
        cues[0] = cues[0] + _address_cue(params["address"])  # giving the new address for the order asks for the change
    if constraint.type == "info_gift_card_balance":
        cues.append(("gift card", "giftcard"))
    return cues


def _telling_phrases(constraint: Constraint, task: Task, state: State) -> list[str]:
    """More words that tell which record a goal is about: "my pending order" when it is the customer's only
    pending one, and the options a new item changes to ("the 5 ft beige one"), which no other item takes."""
    params = constraint.params
    order = state.get("orders", str(params.get("order_id", "")))
    if order is None:
        return []
    phrases: list[str] = []
    user = state.get("users", task.user_id) or {"orders": []}
    pending = [oid for oid in user["orders"] if (state.get("orders", oid) or {}).get("status") == "pending"]
    if pending == [order["order_id"]]:
        phrases += ["pending order", "pending one"]
    old_items = [item for item in order["items"] if item["item_id"] in (params.get("item_ids") or [])]
    for old, new_id in zip(old_items, params.get("new_item_ids") or [], strict=False):
        variant = ((state.get("products", old["product_id"]) or {}).get("variants") or {}).get(new_id)
        if variant:
            changed = {k: v for k, v in variant["options"].items() if old["options"].get(k) != v}
            values = option_phrases(changed)  # two changed values together ("5 ft beige"), or the only one
            phrases += [f"{a} {b}" for a in values for b in values if a != b] or values
    return phrases


def write_cues(state: State, name: str, arguments: dict[str, Any]) -> list[Cue]:
    """What a customer must have said to have asked for this write: its record and its kind of change."""
    if name == "modify_user_address":
        return [INTENTS["modify_user_address"], _address_cue(arguments)]
    order = state.get("orders", str(arguments.get("order_id", "")))
    if order is None:
        return []
    items = [item for item in order["items"] if not arguments.get("item_ids") or item["item_id"] in arguments["item_ids"]]
    record: list[str] = [str(order["order_id"])]
    for item in items:
        record += name_phrases(item["name"]) + option_phrases(item.get("options", {}))
    intent = {
        "cancel_pending_order": "cancel_order",
        "modify_pending_order_address": "modify_order_address",
        "modify_pending_order_payment": "modify_order_payment",
        "modify_pending_order_items": "modify_order_items",
        "exchange_delivered_order_items": "exchange_items",
        "return_delivered_order_items": "return_items",
    }.get(name)
    return ([INTENTS[intent]] if intent else []) + [tuple(dict.fromkeys(record))]
