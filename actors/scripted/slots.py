"""What a request is made of: the slot groups of every goal type, shared by the scripted user and agent.

A goal sentence of the scenario templates parses into fields (`order`, `items`, `method`, ...: the
named groups of the domain's goal patterns, each a phrase in the templates' grammar). The scripted
user discloses a request group by group; the scripted agent asks for a group it still misses with a
fixed question, and the user recognises which group any agent asks for by its topic words.

    GROUPS["return_items"]  # (("order", ("order",)), ("items", ("items",)), ("method", ("method",)))
    asked_groups("Which item would you like to return?", ["items", "method"])  # ["items"]
"""

from __future__ import annotations

import re

# goal type -> ((group, fields it carries), ...) in the order a customer would naturally give them
GROUPS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    # retail
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
    # airline
    "book_reservation": (
        ("route", ("kind", "origin", "destination")), ("flights", ("flights",)), ("cabin", ("cabin",)),
        ("travellers", ("travellers",)), ("bags", ("bags",)), ("insurance", ("insurance",)), ("pay", ("pay", "rest")),
    ),
    "cancel_reservation": (("res", ("res",)), ("reason", ("reason",))),
    "send_compensation": (("flight", ("flight",)), ("res", ("res",))),
    "info_certificate_total": (),
    "info_flight_status": (("flight", ("flight",)),),
    "change_cabin": (("res", ("res",)), ("cabin", ("cabin",)), ("method", ("method",))),
    "add_bags": (("res", ("res",)), ("bags", ("added", "total")), ("method", ("method",))),
    "change_flights": (("res", ("res",)), ("change", ("old", "new")), ("method", ("method",))),
    "update_passengers": (("res", ("res",)), ("passenger", ("who", "new", "dob"))),
}

# The scripted agent's question for a group it misses (each says its topic in the user's topic words).
QUESTIONS = {
    "order": "Which order is this about? Please describe it, for example by an item in it.",
    "reason": "What is the reason for the cancellation?",
    "where": "What address should the order be shipped to instead?",
    "address": "What is the new address you would like on your profile?",
    "method": "Which payment method would you like to use for this?",
    "items": "Which item or items from that order do you mean?",
    "swaps": "Which items would you like to change, and what would you like instead of each?",
    "route": "Where would you like to fly from and to, and is it a one-way or a round trip?",
    "flights": "Which flights would you like to take?",
    "cabin": "Which cabin class would you like?",
    "travellers": "Who will be travelling? Please give each passenger's name and date of birth.",
    "bags": "How many checked bags will you need?",
    "insurance": "Would you like to add travel insurance?",
    "pay": "How would you like to pay for the booking?",
    "res": "Which reservation is this about? Please describe the trip.",
    "flight": "Which flight do you mean? Please give its flight number and date, or its route and time.",
    "change": "Which flights would you like to change, and to which flights?",
    "passenger": "Which passenger's details should change, and to what?",
}

# Words by which any agent's question names a group (checked on the lower-cased question).
_TOPICS = {
    "order": r"\border\b(?! (?:number|id)\b)",
    "reason": r"\breason\b|\bwhy\b",
    "where": r"\baddress\b|\bship(?:ped|ping)?\b",
    "address": r"\baddress\b",
    "method": r"\bpay(?:ment|ing)?\b|\bcard\b|\brefund\b|\bcharge\b|\bmethod\b|\bsettle\b",
    "items": r"\bitems?\b|\bproducts?\b|\bwhich one\b|\breturn\b",
    "swaps": r"\bitems?\b|\bproducts?\b|\binstead\b|\bvariant\b|\bchange\b|\bexchange\b|\bswap\b",
    "route": r"\bfrom\b.*\bto\b|\bone-way\b|\bround trip\b|\bwhere\b|\bdestination\b|\borigin\b",
    "flights": r"\bflights?\b",
    "cabin": r"\bcabin\b|\bclass\b|\beconomy\b|\bbusiness\b",
    "travellers": r"\bpassengers?\b|\btravell?(?:ing|ers?)\b|\bwho\b|\bdate of birth\b",
    "bags": r"\bbag(?:s|gage)?\b|\bluggage\b",
    "insurance": r"\binsurance\b",
    "pay": r"\bpay(?:ment|ing)?\b|\bcard\b|\bcertificate\b|\bmethod\b",
    "res": r"\breservation\b(?! (?:number|id|code)\b)|\btrip\b|\bbooking\b",
    "flight": r"\bflight\b",
    "change": r"\bflights?\b|\bchange\b",
    "passenger": r"\bpassengers?\b|\bdate of birth\b|\bwho\b|\bname\b",
}


def groups_of(goal_type: str) -> tuple[str, ...]:
    return tuple(group for group, _ in GROUPS.get(goal_type, ()))


def fields_of(goal_type: str, group: str) -> tuple[str, ...]:
    return next((fields for name, fields in GROUPS.get(goal_type, ()) if name == group), ())


def group_of(goal_type: str, field: str) -> str | None:
    return next((name for name, fields in GROUPS.get(goal_type, ()) if field in fields), None)


def asked_groups(question: str, candidates: list[str]) -> list[str]:
    """The groups among `candidates` that a question asks for, by its topic words (in candidate order)."""
    asked = question.lower()
    return [group for group in candidates if re.search(_TOPICS[group], asked)]


def question_for(group: str) -> str:
    return QUESTIONS[group]


def is_slot_question(text: str) -> str | None:
    """The group a scripted agent's fixed question asks for, if `text` holds one."""
    return next((group for group, question in QUESTIONS.items() if question in text), None)
