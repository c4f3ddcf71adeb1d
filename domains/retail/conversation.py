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

from domains.cues import DIFFERS, MISSING, OK, PROFILE_ADDRESS, Detail, met, name_phrases, payment_cue, rival_payments
from domains.fuzzy import format_amount
from domains.information import amount_judge
from domains.state import Record, State
from domains.text import find, keys, pauses, positions, sentences, stems, tokens

AUTHENTICATION_MODE = "lookup"
AUTHENTICATION_HOW = "find its user id by email, or by name and zip code"
LOOKUP_TOOLS = frozenset({"find_user_id_by_email", "find_user_id_by_name_zip"})
ACCOUNT_TOOLS = frozenset({"get_user_details", "get_order_details"})
REFUND_WORDS = r"\b(?:refund\w*|reimburs\w*|back|credited|total)\b"
DIFFERENCE_WORDS = r"\b(?:difference|pay|charge\w*|refund\w*|back|credited|owe|due|net|additional|extra|total)\b"

def record_owner(state: State, name: str, arguments: dict[str, Any]) -> str | None:
    """The customer whose records a read looks at (None: not a customer's record)."""
    if name == "get_user_details":
        return str(arguments.get("user_id"))
    if name == "get_order_details":
        order = state.get("orders", str(arguments.get("order_id", "")))
        return order["user_id"] if order else None
    return None


def address_details(address: dict[str, Any], profile: dict[str, Any] | None) -> list[Detail]:
    """A new address: its street number and its zip code (or city); the profile's can be named as such.
    Another number before the street's name, or another zip code, makes the write differ."""
    street = str(address.get("address1", ""))
    number, _, name = street.partition(" ")
    is_profile = profile is not None and all(str(profile.get(k, "")) == str(address.get(k, "")) for k in ("address1", "address2", "city", "state", "zip"))
    extra = PROFILE_ADDRESS if is_profile else ()
    if not any(ch.isdigit() for ch in number):
        number, name = street, ""
    zip_code = str(address.get("zip", ""))
    return [
        Detail("street", (number, *extra), judge=_street_judge(number, name, extra)),
        Detail("zip code", (zip_code or str(address.get("city", "")), *extra), judge=_zip_judge(zip_code, extra) if zip_code else None),
    ]


def _street_judge(number: str, name: str, extra: tuple[str, ...]) -> Any:
    def judge(text: str) -> str:
        said = keys(text)
        if extra and met(extra, said):
            return OK
        named = find(stems(said), stems(keys(name))) if name else -1
        if named > 0:  # the street's name is said: the number before it is the one listed
            return OK if said[named - 1] == keys(number)[0] else DIFFERS
        return OK if met((number,), said) else MISSING

    return judge


def _zip_judge(zip_code: str, extra: tuple[str, ...]) -> Any:
    def judge(text: str) -> str:
        said = keys(text)
        if met((zip_code, *extra), said):
            return OK
        zips = [t.key for t in tokens(text) if t.kind == "number" and len(t.key) == 5 and t.key.isdigit()]
        return DIFFERS if zips else MISSING

    return judge


_PROFILE_WORDS = ("profile", "account", "default", "on file", "future orders", "your address", "my address", "home address", "where you live", "moved")


def _profile_change(text: str) -> str:
    """A summary of a profile's new address may say "your address"; one that speaks only of an order's is not it."""
    said = keys(text)
    if met(_PROFILE_WORDS, said) or not met(("order",), said):
        return OK
    return MISSING


_PROFILE_CHANGE = Detail("profile (not an order's) address", _PROFILE_WORDS, judge=_profile_change)


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


def _variant_details(state: State, order: Record, old_id: str, new_id: str, nth: int = 0, count: int = 1) -> list[Detail]:
    """Each option of the new variant: those that change must be said; for every option, the value said
    last about this item (old value first, new value after: "the black one for a white one") must be
    the new variant's."""
    old = next((i for i in order["items"] if i["item_id"] == old_id), None)
    product = state.get("products", old["product_id"]) if old else None
    new = (product or {}).get("variants", {}).get(new_id)
    if old is None or new is None:
        return [Detail(f"new item {new_id}", (new_id,))]
    variants = list(product["variants"].values())
    other_names = [i["name"] for i in order["items"] if i["name"] != old["name"]]
    key_values: dict[str, set[str]] = {}
    for variant in variants:
        for k, x in variant["options"].items():
            key_values.setdefault(k, set()).add(str(x))
    all_values = {phrase for k, xs in key_values.items() for x in xs for phrase in value_phrases(k, x) if phrase.casefold() not in _BARE}
    details = []
    for key, value in new["options"].items():
        rivals = tuple(sorted({str(v["options"].get(key)) for v in variants if v["options"].get(key) is not None} - {str(value)}))
        optional = old["options"].get(key) == value
        judge = _option_judge(old["name"], other_names, nth, count, key, key_values, all_values, str(value), new_id, rivals, optional)
        details.append(Detail(f"new {key} {value}", (str(value), new_id), rivals, optional=optional, judge=judge))
    return details


def _option_judge(name: str, other_names: list[str], nth: int, count: int, key: str, key_values: dict[str, set[str]], all_values: set[str],
                  value: str, new_id: str, rivals: tuple[str, ...], optional: bool) -> Any:
    """Of this option's values, the one said last in what the summary says about this item (`nth` of
    `count` items of this name in the write) decides. A value written after another option's name
    ("frame color: white") belongs to that option; sentences that do not name the item do not count."""
    def judge(text: str) -> str:
        if met((new_id,), keys(text)):
            return OK
        name_stems = stems(keys(name))
        about = [sentence for sentence in sentences(text) if find(stems(keys(sentence)), name_stems) >= 0] or [text]
        said = stems(tuple(k for sentence in about for k in keys(sentence)))
        breaks = tuple(b for sentence in about for b in pauses(sentence))

        def spots(phrase: str) -> list[int]:
            """Where a phrase stands, not across punctuation ("mopping: no, self-emptying" is no "no self-emptying")."""
            needle = stems(keys(phrase))
            return [at for at in positions(said, needle) if not any(breaks[at + 1 : at + len(needle)])]

        inside_values = {i for phrase in all_values if phrase not in key_values for at in spots(phrase) for i in range(at, at + len(keys(phrase)))}
        # where another option's longer value stands ("3 ft" is a height, whatever the "3" says of the levels)
        mine = {phrase.casefold() for phrase in value_phrases(key, value)} | {phrase.casefold() for rival in rivals for phrase in value_phrases(key, rival)}
        longer = [(at, at + len(keys(phrase))) for phrase in all_values if len(keys(phrase)) > 1 and phrase.casefold() not in mine for at in spots(phrase)]
        # an option's name is a label only when one of its values follows ("control: pull chain"); alone
        # ("/ light kit /") it says the option is there
        labels = {}
        for k, xs in key_values.items():
            width = len(keys(k))
            for at in positions(said, stems(keys(k))):
                follows = any(said[at + width : at + width + len(keys(x))] == stems(keys(x)) for x in xs)
                if at not in inside_values and follows:
                    labels[at + width] = k
        label_starts = {end - len(stems(keys(k))) for end, k in labels.items()}
        # a value right before an option's name ("32 waist", "black frame", "4-level") is that option's
        trailing = {}
        for k in key_values:
            for word in {stems(keys(k))} | {(w,) for w in stems(keys(k)) if w not in _GENERIC_OPTION_WORDS}:
                for at in positions(said, word):
                    if not breaks[at]:  # "2TB, interface: ..." names the next option, not the 2TB's
                        trailing.setdefault(at, set()).add(k)
        start, end = _item_span(said, name_stems, other_names, nth, count, label_starts)

        def owner(at: int) -> str | None:
            """The option named right before a value ("color: black", "size 9"), if any."""
            return labels.get(at)

        matches = []  # (start, end, ours) of every value of this option said about the item
        for option_value, ours in [(value, True)] + [(rival, False) for rival in rivals]:
            for phrase in value_phrases(key, option_value):
                needle = stems(keys(phrase))
                bare = phrase.casefold() in _BARE
                for at in spots(phrase):
                    if not start <= at < end or _replaced_value(said, at):
                        continue
                    if any(a <= at and at + len(needle) <= b and b - a > len(needle) for a, b in longer):
                        continue
                    named_after = trailing.get(at + len(needle), set()) if not bare else set()
                    if named_after:  # "28 waist, 32 inseam": the 32 is the inseam's, whatever stands before it
                        if key not in named_after:
                            continue
                    elif owner(at) not in ((key,) if bare else (None, key)):
                        continue
                    matches.append((at, at + len(needle), ours))
        # a value inside a longer one ("polarized" in "non-polarized", "foldable" in "not foldable") is that longer value
        kept = [m for m in matches if not any(o[0] <= m[0] and m[1] <= o[1] and (o[1] - o[0]) > (m[1] - m[0]) for o in matches)]
        if not kept:
            return OK if optional else MISSING
        return OK if max(kept, key=lambda m: (m[1], m[1] - m[0]))[2] else DIFFERS

    return judge


_BARE = frozenset({"yes", "no", "none", "true", "false"})  # values that mean something only after their option's name
# words of an option's name too common to say, after a value, which option it is ("black frame" is the frame's; "black color" tells nothing)
_GENERIC_OPTION_WORDS = frozenset(stems(("color", "colour", "size", "type", "material", "style", "finish", "capacity", "length", "weight")))
_OLD_MARKERS = (("instead", "of"), ("rather", "than"), ("from",), ("replac",), ("currently",), ("current",), ("old",))


def value_phrases(key: str, value: str) -> list[str]:
    """How an option's value is said: itself, and for yes/no options the option's name ("foldable",
    "not foldable", "no subwoofer", "without a light kit")."""
    lowered = value.casefold()
    if lowered in ("yes", "true"):
        return [value, key, f"with {key}", f"with a {key}"]
    if lowered in ("no", "none", "false"):
        return [value] + [f"{lead} {key}" for lead in ("no", "not", "non", "without", "without a", "without an")]
    return [value]


def _replaced_value(said: tuple[str, ...], at: int) -> bool:
    """A value said as the one being replaced ("instead of the wall control", "from black to white")."""
    before = said[max(0, at - 4) : at]
    return any(all(word in before for word in marker) for marker in _OLD_MARKERS)


def _item_span(said: tuple[str, ...], name: tuple[str, ...], other_names: list[str], nth: int, count: int, labels: set[int]) -> tuple[int, int]:
    """The stretch of a summary about one item: from its mention to the next mention of another item of
    the order (not an option's name: "monitor: basic LCD" on a rowing machine); with several items of one
    name, the `nth` pair of mentions ("A (old) for A (new)")."""
    mine = positions(said, name)
    if not mine:
        return 0, len(said)
    if count > 1 and len(mine) in (count, 2 * count):
        per = len(mine) // count
        start = mine[nth * per]
        stop = mine[(nth + 1) * per] if nth + 1 < count else len(said)
        return start, stop
    later = [at for other in other_names for at in positions(said, stems(keys(other))) if at > mine[-1] and at not in labels]
    return mine[0], min(later, default=len(said))


def write_details(state: State, name: str, arguments: dict[str, Any], user_id: str, complete: bool = False) -> list[Detail]:
    """What the agent's summary must have said before this write, read on the world just before it
    (`complete`: every value the write sets, even a payment method that moves no money, for comparing two writes)."""
    user = state.get("users", user_id)
    if name == "modify_user_address":
        return [_PROFILE_CHANGE, *address_details(arguments, (user or {}).get("address"))]
    order = state.get("orders", str(arguments.get("order_id", "")))
    if order is None:
        return []
    details: list[Detail] = [order_detail(state, order)]
    owner = state.get("users", order["user_id"])
    original = order["payment_history"][0]["payment_method_id"] if order.get("payment_history") else None

    def payment(method_id: str, refund_to_original: bool = False) -> Detail:
        return Detail("payment method", payment_cue(owner, method_id, original if refund_to_original else None), rival_payments(owner, method_id))

    if name == "cancel_pending_order":
        details.append(_reason_detail(str(arguments.get("reason", ""))))
    elif name == "modify_pending_order_address":
        details += address_details(arguments, (owner or {}).get("address"))
    elif name == "modify_pending_order_payment":
        details.append(payment(str(arguments.get("payment_method_id", ""))))
    elif name in ("return_delivered_order_items", "exchange_delivered_order_items", "modify_pending_order_items"):
        item_ids = [str(i) for i in arguments.get("item_ids", [])]
        for item_id in dict.fromkeys(item_ids):
            details += _item_details(order, item_id, set(item_ids))
        names = [next((i["name"] for i in order["items"] if i["item_id"] == old_id), "") for old_id in item_ids]
        for index, (old_id, new_id) in enumerate(zip(item_ids, arguments.get("new_item_ids", []))):
            same = [i for i, n in enumerate(names) if n == names[index]]
            details += _variant_details(state, order, old_id, str(new_id), same.index(index), len(same))
        if name == "return_delivered_order_items":
            total = sum(i["price"] for i in order["items"] if i["item_id"] in item_ids)
            details.append(Detail("refund amount", (format_amount(total),), optional=True, judge=amount_judge(total, REFUND_WORDS), derived=True))
            details.append(payment(str(arguments.get("payment_method_id", "")), refund_to_original=True))
        elif (difference := _price_difference(state, order, item_ids, arguments.get("new_item_ids", []))) or complete:
            details.append(Detail("price difference", (format_amount(abs(difference)),), optional=True, judge=amount_judge(difference, DIFFERENCE_WORDS), derived=True))
            details.append(payment(str(arguments.get("payment_method_id", "")), refund_to_original=True))
    return details


CANCEL_REASONS = {  # how customers and agents say each reason the policy allows
    "no longer needed": ("no longer needed", "no longer need", "not needed", "don't need", "do not need", "no use for", "no longer want",
                         "don't want", "do not want", "changed my mind", "change of mind"),
    "ordered by mistake": ("ordered by mistake", "by mistake", "mistake to order", "mistakenly", "by accident", "accidentally", "accidental", "in error", "didn't mean to",
                           "did not mean to", "wrong order"),
}


def _reason_detail(reason: str) -> Detail:
    """A cancellation's reason: the summary need not give it, but one that gives the other reason differs."""
    cue = (reason, *CANCEL_REASONS.get(reason, ()))
    rivals = tuple(p for other, phrases in CANCEL_REASONS.items() if other != reason for p in (other, *phrases))
    return Detail("reason", cue, rivals, optional=True, last_wins=True)


def _price_difference(state: State, order: Record, item_ids: list[str], new_ids: list[Any]) -> float:
    total = 0.0
    for old_id, new_id in zip(item_ids, new_ids):
        old = next((i for i in order["items"] if i["item_id"] == old_id), None)
        product = state.get("products", old["product_id"]) if old else None
        variant = (product or {}).get("variants", {}).get(str(new_id))
        if old is not None and variant is not None:
            total += variant["price"] - old["price"]
    return round(total, 2)
