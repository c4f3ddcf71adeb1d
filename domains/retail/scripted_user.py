"""The scripted user's retail words: an order as a customer describes it.

    group_words("cancel_order", "order", {"order": "your order with the Desk Lamp"}, rng)
    # 'the order I got my desk lamp in'
"""

from __future__ import annotations

import random
import re

from domains.scripted.wording import address_words, item_words, items_words, joined, pick, swaps_words
from domains.retail.scripted_agent import order_attributes

_SCENARIO = re.compile(r"\bstore\b|\bemail address\b|\bzip code\b")


def recognises(scenario: str) -> bool:
    """A retail scenario: it is about the store, or identifies the customer by email, or by name and zip code."""
    return _SCENARIO.search(scenario) is not None


def order_words(phrase: str, rng: random.Random) -> str:
    """'your order with the A and the B' -> 'the order I got the a and the b in', 'my A order', ..."""
    wanted = order_attributes(phrase)
    if "id" in wanted:
        return pick(rng, f"order {wanted['id']}", f"my order {wanted['id']}", f"order number {wanted['id']}")
    names = [item_words(f"the {item['name']}" + (f" ({', '.join(f'{k}: {v}' for k, v in item['options'].items())})" if item.get("options") else ""), rng)
             for item in wanted["items"]]
    bare = [re.sub(r"^(?:the|my) ", "", name) for name in names]
    status = f"{wanted['status']} " if "status" in wanted else ""
    listed = "my " + joined(bare, rng)
    forms = [
        f"the {status}order I got {listed} in",
        f"my {status}order that had {listed} in it",
        f"the {status}order containing {listed}",
        f"the {status}one where I bought {listed}",
        f"my {status}order, the one with {listed}",
        f"the {status}order I placed for {listed}",
    ]
    if len(bare) == 1:
        forms.append(f"my {status}{bare[0]} order")
    return rng.choice(forms)


_ONE_FIELD = {  # groups said from their one field of the same name
    "order": order_words, "items": items_words, "swaps": swaps_words, "where": address_words, "address": address_words,
}  # fmt: skip


def group_words(goal_type: str, group: str, fields: dict[str, str], rng: random.Random) -> str | None:
    """The words for one retail group's fields; None for a group the generic wording says."""
    if group in _ONE_FIELD:
        return _ONE_FIELD[group](fields[group], rng)
    return None


NEEDS = {  # goal type (or type_many, type_delayed) -> first-person ways to raise it
    "cancel_order": ("I need to cancel an order", "I'd like to cancel one of my orders", "could you cancel an order for me",
                     "I want to call off an order I placed", "I'm hoping to cancel an order", "please help me cancel an order"),
    "modify_order_address": ("I need to change where an order is being shipped", "one of my orders has to go to a different address",
                             "could you update the shipping address on an order", "I'd like an order delivered somewhere else"),
    "modify_order_payment": ("I'd like to change how I paid for an order", "can I switch the payment method on an order",
                             "I want to pay for one of my orders differently", "I need to change the card an order is charged to"),
    "info_tracking_number": ("I'm looking for an order's tracking number", "could you give me the tracking number for a package",
                             "I need tracking info for one of my orders", "where can I track an order of mine"),
    "return_items": ("I want to send something back", "I'd like to return a few things", "I need to return an item",
                     "I'd like to start a return", "can I return something I bought"),
    "info_refund_total": ("I'm wondering how much I'd get back if I returned something", "how much would a return refund me",
                          "before returning anything, I'd like to know what the refund would be", "could you tell me what I'd be refunded for a return"),
    "modify_order_items": ("I'd like to change some items in an order that hasn't shipped", "I want to swap an item in a pending order for a different version",
                           "can I change the options on something I ordered", "I need a different variant of something in an open order"),
    "exchange_items": ("I want to exchange something I received", "I'd like to exchange an item for a different version",
                       "can I exchange a product I got", "I need to swap something I received for another option"),
    "modify_user_address": ("I've moved and need to update my address", "I'd like to change the default address on my account",
                            "my address has changed, can you update my profile", "please update the address on my profile"),
    "info_gift_card_balance": ("how much is left on my gift card", "I'd like to check my gift card balance", "could you tell me what my gift card balance is",
                               "I'm curious what's left on my gift card"),
    "info_gift_card_balance_many": ("how much is left on my gift cards altogether", "I'd like to know the combined balance of my gift cards",
                                    "could you total up what's left on my gift cards"),
}
INFORMS = {  # group -> templates for its words ({x}; {X} capitalised)
    "order": ("It's {x}.", "It's about {x}.", "I mean {x}.", "That would be {x}.", "The order in question is {x}.", "I'm talking about {x}.", "It's {x}, if that helps."),
    "where": ("Please send it to {x}.", "It should go to {x}.", "Ship it to {x}, please.", "The address I want is {x}.", "I'd like it delivered to {x}."),
    "address": ("The new address is {x}.", "It's {x}.", "Please make it {x}.", "I'm now at {x}.", "My new address is {x}."),
    "items": ("It's {x}.", "I mean {x}.", "That's {x}.", "Just {x}.", "The ones I mean are {x}.", "{X}, please.", "It would be {x}."),
    "swaps": ("I'd like {x}.", "I want {x}.", "Please change {x}.", "What I need is {x}.", "I'm after {x}."),
}

__all__ = ["INFORMS", "NEEDS", "group_words", "order_words", "recognises"]


# --- what the generic user asks of its domain (optional members of ScriptedUserRules) -----------

RECORD_NOUNS = ("order", "item")  # asked for one's number or id, the customer says it has none
REASON_WORDS = {  # a cancellation reason of the scenario -> ways a customer says it
    "you no longer need it": ("I don't need it anymore", "I no longer need it", "it turns out I don't need it", "I have no use for it now"),
    "you ordered it by mistake": ("I ordered it by mistake", "I bought it by accident", "it was a mistake to order it", "I placed that order by mistake"),
}
LISTED_ITEMS_GOALS = frozenset({"return_items"})  # the refund's read-back lists the items, so a partial list is caught
INFORM_KEYS = {("return_items", "method"): "refund"}  # a return's method is where the refund goes


def request_key(goal_type: str, sentence: str, fields: dict[str, str]) -> str:
    """Several gift cards are asked about in the plural."""
    return goal_type + "_many" if goal_type == "info_gift_card_balance" and re.search(r"cards|certificates", sentence) else goal_type


def wrong_details(goal_type: str, fields: dict[str, str]) -> dict[str, str] | None:
    """The other cancellation reason, or an address with another house number."""
    if goal_type == "cancel_order":
        other = "you ordered it by mistake" if fields["reason"] == "you no longer need it" else "you no longer need it"
        return {"order": fields["order"], "reason": other}
    if goal_type == "modify_user_address" or (goal_type == "modify_order_address" and "default address" not in fields.get("where", "")):
        key = "address" if goal_type == "modify_user_address" else "where"
        number = re.match(r"\d+", fields[key])
        if number:
            return {key: str(int(number.group(0)) + 2) + fields[key][number.end():]}
    return None


def outside_request(goal_type: str, fields: dict[str, str]) -> tuple[str, dict[str, str]] | None:
    """Cancelling the pending order the scenario only wants changed."""
    if goal_type in ("modify_order_address", "modify_order_payment"):
        return "cancel_order", {"order": fields["order"], "reason": "you no longer need it"}
    return None


def invented_id(fields: dict[str, str], digest: bytes) -> dict[str, str] | None:
    """An order number of the right shape that the scenario never gave."""
    if "order" in fields:
        return {"order": f"order #W{int.from_bytes(digest[:4], 'big') % 10**7:07d}"}
    return None
