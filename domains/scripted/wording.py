"""How the scripted user puts the scenario's descriptions in its own words, first person, varied by seed.

Each function takes a phrase in the scenario templates' grammar ("your order with the Desk Lamp",
"your Visa credit card ending in 1234", "the 08:00 flight from Denver (DEN) to Boston (BOS) on May
20, 2024") and says the same facts the way a customer would: "the order I got the desk lamp in",
"my Visa, the one ending in 1234", "the 8 am Denver to Boston flight on May 20th". Attribute order,
synonyms and head nouns ("the lamp") vary; no fact is dropped, none is added.

A domain's own records (retail's orders, airline's trips and flights) are worded by its plug-in's
`scripted_user.group_words`, which builds on the helpers here.

`partial_method` and `partial_items` give a less revealing phrase (in the templates' grammar) that
a customer might say first, so that the agent has to ask again.
"""

from __future__ import annotations

import random
import re
from datetime import date as Date

from domains.scripted.phrases import (
    address_fields,
    item_attributes,
    iso_date,
    payment_attributes,
    split_listing,
    strip_asides,
)

STATES = {
    "AL": "Alabama", "AZ": "Arizona", "CA": "California", "CO": "Colorado", "FL": "Florida", "GA": "Georgia",
    "ID": "Idaho", "IL": "Illinois", "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota", "NC": "North Carolina",
    "NE": "Nebraska", "NV": "Nevada", "NY": "New York", "OH": "Ohio", "OR": "Oregon", "PA": "Pennsylvania",
    "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "WA": "Washington", "WI": "Wisconsin", "MO": "Missouri",
}
_NUMBERS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_BRANDS = {"visa": "Visa", "mastercard": "Mastercard", "amex": "Amex", "discover": "Discover"}


def pick(rng: random.Random, *choices: str) -> str:
    return rng.choice(choices)


def joined(parts: list[str], rng: random.Random) -> str:
    if len(parts) == 1:
        return parts[0]
    last = pick(rng, " and ", ", and ", " plus ") if len(parts) > 2 else pick(rng, " and ", " and ", " plus ")
    return ", ".join(parts[:-1]) + last + parts[-1]


def head_noun(name: str) -> str:
    """'Chef's Knife' -> 'knife': what a customer calls a product once it is clear which one."""
    return name.split()[-1].lower()


def product(name: str, rng: random.Random, short: bool = True) -> str:
    """A product as a customer names it: 'desk lamp', or (sometimes) just 'lamp'."""
    if short and len(name.split()) > 1 and rng.random() < 0.3:
        return head_noun(name)
    return name.lower() if rng.random() < 0.6 else name


def _options(options: dict[str, str], rng: random.Random) -> list[str]:
    """Option values as a customer says them: '27 inch', 'black', 'with mopping', 'no lid'."""
    values = []
    for key, value in options.items():
        if value.lower() in ("yes", "no"):
            values.append(pick(rng, f"with {key}", f"{key} included") if value.lower() == "yes" else pick(rng, f"no {key}", f"without {key}"))
        elif re.fullmatch(r"[\d.]+", value):
            values.append(f"{value} {key}")
        else:
            values.append(value)
    rng.shuffle(values)
    return values


def item_words(phrase: str, rng: random.Random, article: str = "the") -> str:
    """'the Desk Lamp (color: black, style: modern)' -> 'the black, modern desk lamp' or 'the desk lamp in black, modern'."""
    wanted = item_attributes(phrase)
    if "id" in wanted:
        return f"item {wanted['id']}"
    name, options = product(wanted["name"], rng, short=False), _options(wanted.get("options", {}), rng)
    if not options:
        return f"{pick(rng, article, article, 'my')} {name}" if article == "the" else f"{article} {name}"
    if rng.random() < 0.5:
        return f"{article} {name} in {joined(options, rng)}"
    return f"{article} {', '.join(options)} {name}" if rng.random() < 0.5 else f"{article} {name}, the {' / '.join(options)} one"


def items_words(phrase: str, rng: random.Random) -> str:
    """Several items: the article only on the first ('the lamp, kettle and toaster'), so no list reads as written."""
    parts = [re.sub(r"^(?:the|my) ", "", item_words(part, rng)) for part in split_listing(strip_asides(phrase), "(?:the |item )")]
    if len(parts) == 1:
        return pick(rng, "the ", "my ") + parts[0]
    return "my " + joined(parts, rng)


def method_words(phrase: str, rng: random.Random) -> str:
    """'your Visa credit card ending in 1234' -> 'my Visa ending in 1234', 'the card ending 1234, a Visa', ..."""
    wanted = payment_attributes(phrase)
    if "id" in wanted:
        return f"payment method {wanted['id']}"
    source, brand, last = wanted.get("source"), _BRANDS.get(wanted.get("brand", ""), wanted.get("brand", "").title()), wanted.get("last_four")
    amount = _money(wanted["balance"]) if "balance" in wanted else None
    if source == "credit_card":
        if brand and last:
            return pick(rng, f"my {brand} ending in {last}", f"the {brand} card that ends in {last}", f"my {brand} credit card, last four {last}", f"the card ending {last}, my {brand}")
        if last:
            return pick(rng, f"my credit card that ends in {last}", f"the card that ends in {last}", f"my card with the last four {last}", f"my card ending {last}")
        if brand:
            return pick(rng, f"my {brand}", f"my {brand} card", f"the {brand} credit card", f"my {brand} credit card")
        return pick(rng, "my credit card", "the credit card on my account", "my card", "the credit card I have on file")
    if source == "gift_card":
        if amount:
            return pick(rng, f"my gift card that has {amount} left", f"the gift card with {amount} still on it", f"my {amount} gift card", f"the gift card, the one holding {amount}")
        return pick(rng, "my gift card", "the gift card on my account", "my store gift card", "the gift card I have")
    if source == "paypal":
        return pick(rng, "my PayPal", "PayPal", "my PayPal account", "the PayPal account on file")
    if source == "certificate":
        if amount:
            return pick(rng, f"my {amount} travel certificate", f"the certificate worth {amount}", f"my travel voucher for {amount}", f"the {amount} certificate")
        return pick(rng, "my travel certificate", "the certificate I have", "my travel voucher")
    return phrase.replace("your ", "my ")


def partial_method(phrase: str) -> str | None:
    """A method described by less than the scenario says ('your Visa credit card'), or None if nothing can go."""
    shorter = re.sub(r" ending in \d{4}| with \$[\d,.]+ on it| worth \$[\d,.]+", "", phrase)
    return shorter if shorter != phrase and shorter.startswith("your ") else None


def partial_items(phrase: str) -> str | None:
    """Less than the whole listing: the items without their option values, or (of several) all but the last one."""
    parts = split_listing(strip_asides(phrase), "(?:the |item )")
    wanted = [item_attributes(part) for part in parts]
    if any(item.get("options") for item in wanted) and all("name" in item for item in wanted):
        names = [f"the {item['name']}" for item in wanted]
    elif len(parts) > 1:
        names = parts[:-1]
    else:
        return None
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def swaps_words(phrase: str, rng: random.Random) -> str:
    """'the Lamp for a Lamp (color: red)' -> 'the lamp changed to the red version', 'my lamp, which I'd like in red instead'."""
    out = []
    for part in split_listing(strip_asides(phrase), "(?:the |item )"):
        old, new = (re.split(r" for (?=an? |item )", part, maxsplit=1) + [""])[:2]
        new_attributes = item_attributes(new)
        options = _options(new_attributes.get("options", {}), rng)
        old_words = re.sub(r"^the ", pick(rng, "the ", "my ", "my ") if not out else "my ", item_words(old, rng))
        wanted = joined(options, rng) if options else "another one"
        out.append(rng.choice((
            f"{old_words} changed to the {wanted} version",
            f"{old_words}, which I'd like in {wanted} instead",
            f"{old_words} swapped to {wanted}",
            f"{old_words} (I want the {wanted} one)",
        )))
    return "; ".join(out) if len(out) > 1 and rng.random() < 0.5 else joined(out, rng)


_SUFFIXES = {"Road": "Rd", "Avenue": "Ave", "Street": "St", "Lane": "Ln", "Drive": "Dr", "Terrace": "Ter", "Boulevard": "Blvd", "Court": "Ct", "Place": "Pl"}
_SUFFIXES |= {short: long for long, short in _SUFFIXES.items()}


def _street(street: str, rng: random.Random) -> str:
    """'12 Elm Street' -> '12 Elm St' (or the other way round): people abbreviate as they please."""
    words = street.split()
    if words and words[-1].rstrip(".") in _SUFFIXES:
        words[-1] = _SUFFIXES[words[-1].rstrip(".")]
    return " ".join(words)


def _unit(unit: str, rng: random.Random) -> str:
    found = re.fullmatch(r"(?:Apt|Suite|Unit|Apartment)\.? ?(\w+)", unit)
    return pick(rng, f"#{found.group(1)}", f"no. {found.group(1)}") if found else unit


def address_words(phrase: str, rng: random.Random) -> str:
    if "default address" in phrase:
        return pick(rng, "my default address", "the address on my profile", "the address I have on file", "my usual address")
    fields = address_fields(phrase)
    if not fields:
        return phrase
    street = _street(fields["address1"], rng)
    unit = _unit(fields["address2"], rng) if fields["address2"] else ""
    state = STATES.get(fields["state"], fields["state"]) if rng.random() < 0.6 else fields["state"]
    zip_words = pick(rng, f"zip {fields['zip']}", fields["zip"], f"zip code {fields['zip']}")
    where = f"{fields['city']}, {state} {zip_words}" if rng.random() < 0.5 else f"{fields['city']} ({state}), {zip_words}"
    if street == fields["address1"] and not unit:
        return f"{street} in {where}"  # no word of it changed: a word between street and city
    return f"{street}{' ' + unit if unit else ''} in {where}" if rng.random() < 0.5 else f"{street}{', ' + unit if unit else ''}, {where}"


def reason_words(phrase: str, rng: random.Random, said: dict[str, tuple[str, ...]] | None = None) -> str:
    """A scenario's reason in the customer's words: one of the domain's (`REASON_WORDS`), else the phrase in the first person."""
    return rng.choice((said or {}).get(phrase, (re.sub(r"\byour\b", "my", phrase),)))


def _money(value: float) -> str:
    return f"${value:,.0f}" if value == int(value) else f"${value:,.2f}"


def day_words(iso: str, rng: random.Random, year: bool = False) -> str:
    """'2025-03-12' -> 'March 12th', 'the 12th of March', '12 March', '3/12' (with the year when asked)."""
    day = Date.fromisoformat(iso)
    month, n = day.strftime("%B"), day.day
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    if year:
        return pick(rng, f"{n} {month} {day.year}", f"{month} {n}{suffix}, {day.year}", f"{day.month}/{n}/{day.year}", f"the {n}{suffix} of {month} {day.year}")
    return pick(rng, f"{month} {n}{suffix}", f"the {n}{suffix} of {month}", f"{n} {month}", f"{day.month}/{n}")


def spoken_dob(phrase: str, rng: random.Random) -> str:
    return day_words(iso_date(phrase), rng, year=True)


def count_words(n: int, noun: str) -> str:
    word = _NUMBERS[n] if n < len(_NUMBERS) else str(n)
    return f"{word} {noun}{'' if n == 1 else 's'}"
