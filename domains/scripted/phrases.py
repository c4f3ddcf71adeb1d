"""Reading the everyday phrases customers use back into structured values.

Customers describe records the way the scenario templates word them: dates as "May 20, 2024",
payment methods as "your Visa credit card ending in 1234", items as
"the Desk Lamp (color: black)", addresses as "12 Elm St, Apt 4, Austin, TX 78701, USA". These
parsers turn such phrases into plain dicts that the scripted agent then matches against what its
tools returned. They only read text; they never see the records a phrase was made from. A domain's
own phrases (airline's flights and airports) are read by its plug-in.
"""

from __future__ import annotations

import re
from datetime import date as Date
from typing import Any

MONTHS = {name: index for index, name in enumerate(
    ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"), 1)}
DATE = r"(?:January|February|March|April|May|June|July|August|September|October|November|December) \d{1,2}, \d{4}"
NAME = r"[^\W\d_a-z][\w'-]*(?: [^\W\d_a-z][\w'-]*)*"  # capitalised words; non-ASCII initials too
PAYMENT = (
    r"(?:payment method \S+?|your (?:[A-Z][\w]*(?: [A-Z][\w]*)*? )?(?:credit card|gift card|PayPal account|travel certificate)"
    r"(?: ending in \d{4})?(?: with \$[\d,]+(?:\.\d+)? on it| worth \$[\d,]+(?:\.\d+)?)?)"
)

_SOURCES = {"credit card": "credit_card", "gift card": "gift_card", "PayPal account": "paypal", "travel certificate": "certificate"}
_BRANDS = {"american express": "amex"}
_PAYMENT_PARTS = re.compile(
    r"your (?:(?P<brand>[A-Z][\w]*(?: [A-Z][\w]*)*?) )?(?P<source>credit card|gift card|PayPal account|travel certificate)"
    r"(?: ending in (?P<last_four>\d{4}))?(?: with \$(?P<balance>[\d,]+(?:\.\d+)?) on it| worth \$(?P<worth>[\d,]+(?:\.\d+)?))?"
)


def iso_date(text: str) -> str:
    """'May 20, 2024' -> '2024-05-20'."""
    month, day, year = re.fullmatch(r"(\w+) (\d{1,2}), (\d{4})", text.strip()).groups()
    return Date(int(year), MONTHS[month], int(day)).isoformat()


def spoken_date(iso: str) -> str:
    """'2024-05-20' -> 'May 20, 2024'."""
    day = Date.fromisoformat(iso)
    return f"{day.strftime('%B')} {day.day}, {day.year}"


def dollars(value: float) -> str:
    """An amount with cents, which always contains the shortest form of the number ('$45.30' holds '45.3')."""
    return f"${float(value):.2f}"


def payment_attributes(text: str) -> dict[str, Any]:
    """'your Visa credit card ending in 1234' -> {'source': 'credit_card', 'brand': 'visa', 'last_four': '1234'}."""
    by_id = re.fullmatch(r"payment method (\S+)", text.strip())
    if by_id:
        return {"id": by_id.group(1)}
    found = _PAYMENT_PARTS.search(text)
    if not found:
        return {}
    attributes: dict[str, Any] = {"source": _SOURCES[found["source"]]}
    if found["brand"]:
        attributes["brand"] = _BRANDS.get(found["brand"].lower(), found["brand"].lower())
    if found["last_four"]:
        attributes["last_four"] = found["last_four"]
    amount = found["balance"] or found["worth"]
    if amount:
        attributes["balance"] = float(amount.replace(",", ""))
    return attributes


def matching_methods(methods: dict[str, Any], attributes: dict[str, Any]) -> list[str]:
    """Ids of the saved payment methods that fit every attribute of a description."""
    if not attributes:
        return []
    if "id" in attributes:
        return [attributes["id"]] if attributes["id"] in methods else []
    found = []
    for method_id, method in methods.items():
        if method.get("source") != attributes["source"]:
            continue
        if "brand" in attributes and str(method.get("brand", "")).lower() != attributes["brand"]:
            continue
        if "last_four" in attributes and method.get("last_four") != attributes["last_four"]:
            continue
        balance = float(method.get("balance", method.get("amount", 0.0)))
        if "balance" in attributes and round(balance, 2) != round(attributes["balance"], 2):
            continue
        found.append(method_id)
    return found


def address_fields(text: str) -> dict[str, str]:
    """'12 Elm St, Apt 4, Austin, TX 78701, USA' -> the six address fields of the address tools."""
    parts = [part.strip() for part in text.strip().rstrip(".").split(", ")]
    if len(parts) < 4:
        return {}
    state, _, zip_code = parts[-2].rpartition(" ")
    return {
        "address1": parts[0],
        "address2": ", ".join(parts[1:-3]),
        "city": parts[-3],
        "state": state,
        "country": parts[-1],
        "zip": zip_code,
    }


def strip_asides(text: str) -> str:
    """Drop the clarifying asides a description may carry: '(in your order with ...)', '(on your trip ...)'."""
    out, index = [], 0
    while index < len(text):
        aside = re.match(r" \((?:in|on) (?:your |order |reservation )|\s\(from your saved passengers\)", text[index:])
        if aside:
            depth, cursor = 0, index + 1
            while cursor < len(text):
                depth += {"(": 1, ")": -1}.get(text[cursor], 0)
                cursor += 1
                if depth == 0:
                    break
            index = cursor
            continue
        out.append(text[index])
        index += 1
    return "".join(out)


def split_listing(text: str, lead: str) -> list[str]:
    """'the A, the B and the C' -> ['the A', 'the B', 'the C'], splitting only where `lead` starts a part."""
    return [part for part in re.split(rf"(?:, | and )(?={lead})", text) if part]


def item_attributes(text: str) -> dict[str, Any]:
    """'the Desk Lamp (color: black, style: modern)' -> {'name': 'Desk Lamp', 'options': {...}}."""
    text = re.sub(r"^(?:the|a|an) ", "", strip_asides(text).strip())
    by_id = re.fullmatch(r"item (\S+)", text)
    if by_id:
        return {"id": by_id.group(1)}
    found = re.fullmatch(r"(?P<name>.+?)(?: \((?P<options>[^()]*)\))?", text)
    options = {}
    for pair in (found["options"] or "").split(", ") if found["options"] else []:
        key, _, value = pair.partition(": ")
        options[key] = value
    return {"name": found["name"], "options": options}


def item_fits(item: dict[str, Any], wanted: dict[str, Any]) -> bool:
    """A line item or variant has the described name and every described option."""
    if "id" in wanted:
        return item.get("item_id") == wanted["id"]
    if item.get("name") != wanted.get("name"):
        return False
    options = item.get("options", {})
    return all(options.get(key) == value for key, value in wanted.get("options", {}).items())
