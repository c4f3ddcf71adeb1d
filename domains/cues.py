"""Cues: the words by which someone can refer to a record or a request, in any wording.

A cue is a tuple of alternative phrases; it is met by a text that contains any one of them as whole
tokens (`domains.text`), whatever the case, person, plural or hyphenation. Cues are built from the
structured attributes of descriptions and records, never from a scenario's sentences, so "my order
with the scooter" meets the cue of "your order with the Electric Scooter".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date as Date
from typing import Any, NamedTuple

from domains.constraints import Description
from domains.fuzzy import BRAND_NAMES, SOURCE_NAMES, format_amount
from domains.state import Record
from domains.text import find, keys, stems

Cue = tuple[str, ...]


class Detail(NamedTuple):
    """One detail a summary must give before a write: how it can be said (`cue`), and how a rival value
    of the same kind would be said (`rivals`: another order, item, card...), which makes the write differ.

    `optional`: a summary may leave it out (only a rival makes the write differ). `last_wins`: of the cue
    and its rivals, the one said last counts ("the 4096 one for the 8192 one"). `judge`, when set, reads
    the summary's text itself and says "ok", "missing" or "differs" (amounts, a cabin, insurance).
    `derived`: a value that follows from the others (an amount), so never something a customer chose.
    """

    label: str
    cue: Cue
    rivals: Cue = ()
    optional: bool = False
    last_wins: bool = False
    judge: Callable[[str], str] | None = None
    derived: bool = False  # follows from the other details (a refund total, a fare difference): never the user's choice

    @property
    def identity(self) -> tuple[str, str | None]:
        """What the detail is, whatever else may name it: its label and its first phrase (the value or id)."""
        return self.label, (self.cue[0] if self.cue else None)


OK, MISSING, DIFFERS = "ok", "missing", "differs"


def last_position(cue: Iterable[str], text_keys: tuple[str, ...]) -> int:
    """Where the last phrase of the cue ends in the text (-1: none)."""
    said, last = stems(text_keys), -1
    for phrase in cue:
        needle = stems(keys(phrase)) if phrase else ()
        index = find(said, needle) if needle else -1
        while index >= 0:
            last = max(last, index + len(needle))
            index = find(said, needle, index + 1)
    return last


def judge_detail(detail: Detail, text: str) -> str:
    """Whether a summary (its text) gives this detail: "ok", "missing", or "differs" (it gives a rival)."""
    if detail.judge is not None:
        return detail.judge(text)
    text_keys = keys(text)
    if detail.last_wins:
        mine, theirs = last_position(detail.cue, text_keys), last_position(detail.rivals, text_keys)
        if mine < 0 and theirs < 0:
            return OK if detail.optional else MISSING
        return OK if mine > theirs else DIFFERS
    if met(detail.cue, text_keys):
        return OK
    if met(detail.rivals, text_keys):
        return DIFFERS
    return OK if detail.optional else MISSING


_FILLER = frozenset({"the", "a", "an", "your", "my", "order", "with", "and", "of", "on", "in", "to", "from", "for", "trip", "flight", "item"})

_SOURCE_WORDS = {
    "credit_card": ("credit card", "card", "visa", "mastercard", "amex", "american express", "discover"),
    "gift_card": ("gift card", "giftcard", "gift-card"),
    "paypal": ("paypal", "pay pal"),
    "certificate": ("certificate", "voucher", "travel credit"),
}
ORIGINAL_METHOD = ("original payment method", "original payment", "original method", "original form of payment", "same payment method",
                   "original card", "card you paid with", "method you paid with", "method it was paid with")
PROFILE_ADDRESS = ("default address", "address on file", "address on my profile", "address in my profile", "profile address",
                   "profile", "current address", "usual address", "home address", "my address", "same address", "on file")


def met(cue: Iterable[str], text_keys: tuple[str, ...]) -> bool:
    """Whether a text (given by its keys) contains any phrase of the cue, in any inflection."""
    said = stems(text_keys)
    return any(find(said, stems(keys(phrase))) >= 0 for phrase in cue if phrase)


def name_phrases(name: str) -> list[str]:
    """A product or person name, and its last word ("Electric Scooter" -> "electric scooter", "scooter")."""
    words = name.split()
    return [name] + ([words[-1]] if len(words) > 1 else [])


def option_phrases(options: dict[str, Any]) -> list[str]:
    return [str(value) for value in options.values() if str(value).strip()]


def payment_phrases(attributes: dict[str, Any]) -> list[str]:
    """How a payment method can be referred to: its id, kind, brand, last four digits, balance."""
    if "id" in attributes:
        return [str(attributes["id"])]
    phrases: list[str] = []
    source = attributes.get("source")
    if source:
        phrases += [SOURCE_NAMES.get(source, source), *_SOURCE_WORDS.get(source, ())]
    if "brand" in attributes:
        phrases.append(BRAND_NAMES.get(str(attributes["brand"]).lower(), str(attributes["brand"])))
    if "last_four" in attributes:
        phrases.append(str(attributes["last_four"]))
    if "balance" in attributes:
        phrases.append(format_amount(attributes["balance"]))
    return phrases


def payment_cue(user: Record | None, method_id: str, original: str | None = None) -> Cue:
    """How a summary can name a saved payment method so that it is this one and no other."""
    methods = (user or {}).get("payment_methods", {})
    method = methods.get(method_id, {})
    digits = "".join(ch for ch in method_id if ch.isdigit())
    phrases = [method_id] + ([digits, digits[-4:]] if len(digits) >= 4 else [])
    source = method.get("source")
    same_source = [m for m in methods.values() if m.get("source") == source]
    if source == "credit_card":
        phrases.append(str(method.get("last_four", "")))
        brand = str(method.get("brand", ""))
        if sum(str(m.get("brand", "")).lower() == brand.lower() for m in same_source) == 1:
            phrases.append(BRAND_NAMES.get(brand.lower(), brand))
        if len(same_source) == 1:
            phrases.append("credit card")
    elif source in ("gift_card", "certificate"):
        if len(same_source) == 1:
            phrases += list(_SOURCE_WORDS[source])
        value = method.get("balance", method.get("amount"))
        if value is not None:  # "the $250 certificate" (a balance alone, "$62", is too like any other figure to name it)
            amount = format_amount(value)
            words = _SOURCE_WORDS[source]
            phrases += [f"{amount} {word}" for word in words] + [f"{word} worth {amount}" for word in words[:2]] + [f"{word} of {amount}" for word in words[:2]]
            if source == "certificate":
                phrases += [f"{amount} travel {word}" for word in words[:2]]
    elif source == "paypal" and len(same_source) == 1:
        phrases += list(_SOURCE_WORDS["paypal"])
    if original is not None and method_id == original:
        phrases += list(ORIGINAL_METHOD)
    return tuple(p for p in dict.fromkeys(phrases) if p)


def date_phrases(iso: str) -> list[str]:
    """A date as written in full (ISO, which every spelling with a year normalises to) and as 'May 15'."""
    try:
        day = Date.fromisoformat(iso)
    except ValueError:
        return [iso]
    return [iso, f"{day.strftime('%B')} {day.day}"]


def rival_payments(user: Record | None, method_id: str) -> Cue:
    """How the customer's other saved payment methods are named, less what also names this one."""
    methods = (user or {}).get("payment_methods", {})
    ours = set(payment_cue(user, method_id))
    return tuple(dict.fromkeys(p for other in methods if other != method_id for p in payment_cue(user, other) if p not in ours))


def description_cue(description: Description, place_names: Callable[[str], list[str]] = lambda code: [code], codes: tuple[str, ...] = (),
                    words: dict[str, Callable[[Any], list[str]]] | None = None) -> Cue:
    """Every phrase by which the described record can be referred to, from its attributes; a domain adds the
    attributes said as they are (`codes`: a flight number) and its words for others (`words`: key -> phrases of a value)."""
    a = description.attributes
    if "id" in a:
        return (str(a["id"]),)
    if not a:  # a description given as text only: its content words
        return tuple(word for word in description.text.split() if word.lower().strip(".,") not in _FILLER)
    if description.kind == "payment_method":
        return tuple(payment_phrases(a))
    if description.kind == "address":
        return PROFILE_ADDRESS
    phrases: list[str] = []
    for item in a.get("items", ()):
        phrases += name_phrases(item["name"]) + option_phrases(item.get("options", {}))
    if "name" in a:
        phrases += name_phrases(a["name"])
    phrases += option_phrases(a.get("options", {}))
    if "status" in a:
        phrases.append(str(a["status"]))
    for key in ("origin", "destination"):
        if key in a:
            phrases += place_names(a[key])
    for key in (*codes, "first_name", "last_name", "email", "user_id"):
        if key in a:
            phrases.append(str(a[key]))
    if "date" in a:
        phrases += date_phrases(str(a["date"]))
    for key, said in (words or {}).items():
        if key in a:
            phrases += said(a[key])
    return tuple(dict.fromkeys(phrases))


def linked_descriptions(descriptions: dict[str, Description], ids: set[str]) -> list[Description]:
    """The task's descriptions of the records with these ids (the customer's own identity excluded)."""
    return [d for d in descriptions.values() if d.kind != "user" and set(d.ids) & ids]


def flat_ids(params: dict[str, Any]) -> set[str]:
    """The string values of a goal's parameters (ids among them), one level of lists deep."""
    out: set[str] = set()
    for value in params.values():
        if isinstance(value, str):
            out.add(value)
        elif isinstance(value, list):
            out.update(v for v in value if isinstance(v, str))
    return out
