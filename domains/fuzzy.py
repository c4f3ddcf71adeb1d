"""Descriptions of records as people give them, and the resolver that turns them back into ids.

A description is structured first (`kind`, `attributes`, `scope`) and rendered to text second. The
resolver works from the structure against the database, never by reading the text back: the scope
names the records a description must be unique among (a user's orders, an order's items, a product's
available variants...), and `resolve_description` lists the ids in that scope whose record matches
every attribute. The `Describer` tries candidate attribute sets from least to most revealing and keeps
the first one that resolves to exactly the intended record in every world it is checked against.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date as Date
from enum import StrEnum
from itertools import combinations
from typing import Any

from domains.constraints import Description
from domains.state import Database, Record, State


class FuzzLevel(StrEnum):
    """How much of the raw ids the simulated user knows."""

    EXACT = "exact"  # every record named by its id
    PARTIAL = "partial"  # order and reservation ids kept; items, payment methods... described
    FULL = "full"  # no order, item, payment method or reservation id at all


class NotDescribableError(Exception):
    """No candidate description resolves uniquely to the intended record."""


# The records of a scope as (id, record) pairs; the attributes are passed so an index may narrow them.
ScopeRecords = Callable[[State, str, dict[str, Any]], Iterable[tuple[str, Any]]]
Matcher = Callable[[Any, dict[str, Any]], bool]

# --- how values read in text -----------------------------------------------------------------

SOURCE_NAMES = {
    "credit_card": "credit card",
    "gift_card": "gift card",
    "paypal": "PayPal account",
    "certificate": "travel certificate",
}
BRAND_NAMES = {"visa": "Visa", "mastercard": "Mastercard", "amex": "American Express", "discover": "Discover"}


def format_amount(value: float) -> str:
    """An amount as an agent would say it, shortest form: 45.3, 45, 1093.34 (no thousands separator)."""
    text = f"{round(float(value), 2):.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def money(value: float) -> str:
    """An amount in text: '$45.32', '$45.30' reads '$45.30', whole dollars read '$45'."""
    value = round(float(value), 2)
    return f"${value:.0f}" if value == int(value) else f"${value:.2f}"


def human_date(iso: str) -> str:
    """'2024-05-20' -> 'May 20, 2024'."""
    day = Date.fromisoformat(iso)
    return f"{day.strftime('%B')} {day.day}, {day.year}"


def clock(text: str) -> str:
    """A scheduled time '08:30:00' (or '01:10:00+1') as '08:30'."""
    return text[:5]


def brand_name(brand: str) -> str:
    return BRAND_NAMES.get(brand.lower(), brand.title())


def facts_in(text: str) -> str:
    """Normal form for fact and id checks: case-folded, thousands separators removed."""
    return text.casefold().replace(",", "")


def attribute_facts(attributes: dict[str, Any], own: dict[str, Callable[[Any], list[str]]] | None = None) -> list[str]:
    """The literal pieces of a description's attributes that its text must say (and a rewrite keep); `own`: the
    domain's readings of its own attributes (its fuzzifier's `ATTRIBUTE_FACTS`: key -> the facts of a value)."""
    facts: list[str] = []
    own = own or {}
    for key, value in attributes.items():
        if key in own:
            facts.extend(own[key](value))
        elif key in ("balance", "amount"):
            facts.append(format_amount(value))
        elif key == "date":
            facts.append(human_date(value))
        elif key == "source":
            facts.append(SOURCE_NAMES.get(value, value))
        elif key == "brand":
            facts.append(brand_name(value))
        elif key == "options":
            facts.extend(str(v) for v in value.values())
        elif key == "items":
            for item in value:
                facts.append(item["name"])
                facts.extend(str(v) for v in item.get("options", {}).values())
        elif isinstance(value, (str, int)):
            facts.append(str(value))
    return facts


# --- candidate attribute sets ------------------------------------------------------------------


def subsets(values: Sequence[Any], max_size: int | None = None) -> Iterator[tuple[Any, ...]]:
    """Non-empty subsets in order of size, then position (the least revealing first)."""
    top = len(values) if max_size is None else min(max_size, len(values))
    for size in range(1, top + 1):
        yield from combinations(values, size)


def option_ladder(options: dict[str, str], prefer: Sequence[str] = ()) -> list[dict[str, str]]:
    """Option subsets to try, smallest first; within a size, those using preferred keys first."""
    keys = list(options)
    ranked = sorted(subsets(keys), key=lambda combo: (len(combo), -sum(k in prefer for k in combo)))
    return [{key: options[key] for key in combo} for combo in ranked]


def payment_method_ladder(method: Record, value_key: str = "balance") -> list[dict[str, Any]]:
    """Attribute sets for a saved payment method, least revealing first (`value_key`: the record's key for the value left on it)."""
    source = method["source"]
    if source == "credit_card":
        brand, last_four = method["brand"], method["last_four"]
        return [
            {"source": source},
            {"source": source, "brand": brand},
            {"source": source, "last_four": last_four},
            {"source": source, "brand": brand, "last_four": last_four},
        ]
    if source in ("gift_card", "certificate"):
        return [{"source": source}, {"source": source, "balance": method_balance(method, value_key)}]
    return [{"source": source}]


def method_balance(method: Record, value_key: str = "balance") -> float:
    """The value left on a gift card or certificate, under the domain's own key for it (a description always says `balance`)."""
    return float(method.get(value_key, 0.0))


def payment_method_matches(method: Record, attributes: dict[str, Any], value_key: str = "balance") -> bool:
    """Whether a saved payment method fits every attribute (`value_key`: the record's key for the value left on it)."""
    for key, value in attributes.items():
        if key == "balance":
            if round(method_balance(method, value_key), 2) != round(float(value), 2):
                return False
        elif key == "brand":
            if str(method.get("brand", "")).lower() != str(value).lower():
                return False
        elif method.get(key) != value:
            return False
    return True


def render_payment_method(attributes: dict[str, Any]) -> str:
    """'your Visa credit card ending in 1234', 'your gift card with $45.30 on it', 'your PayPal account'."""
    if "id" in attributes:
        return f"payment method {attributes['id']}"
    source = attributes["source"]
    brand = f"{brand_name(attributes['brand'])} " if "brand" in attributes else ""
    text = f"your {brand}{SOURCE_NAMES.get(source, source)}"
    if "last_four" in attributes:
        text += f" ending in {attributes['last_four']}"
    if "balance" in attributes:
        text += f" worth {money(attributes['balance'])}" if source == "certificate" else f" with {money(attributes['balance'])} on it"
    return text


# --- resolution --------------------------------------------------------------------------------


def resolve_in_scope(state: State, scope: str, attributes: dict[str, Any], records: ScopeRecords, matches: Matcher) -> list[str]:
    """Distinct ids, in scope order, of the records that match every attribute (`id` matches the id)."""
    found: list[str] = []
    wanted = attributes.get("id")
    for record_id, record in records(state, scope, attributes):
        if record_id in found:
            continue
        if wanted is not None:
            if record_id == wanted:
                found.append(record_id)
        elif matches(record, attributes):
            found.append(record_id)
    return found


def resolve_description(state: State, kind: str, attributes: dict[str, Any], scope: str | None) -> list[str]:
    """Every id in `scope` that a description of this kind and these attributes fits, on `state`."""
    from domains.registry import get_domain  # a domain's fuzzifier builds on this module: found by name, not imported

    records, matches = get_domain(state.base.domain).fuzzifier.RESOLVERS[kind]
    return resolve_in_scope(state, scope or "", attributes, records, matches)


class Describer:
    """Collects a task's descriptions, each unique in its scope in every world it is checked against."""

    def __init__(self, fuzz: FuzzLevel) -> None:
        self.fuzz = fuzz
        self.descriptions: dict[str, Description] = {}

    def describe(
        self,
        kind: str,
        target: str,
        scope: str,
        ladder: Iterable[dict[str, Any]],
        render: Callable[[dict[str, Any]], str],
        worlds: Sequence[State],
        context: str | None = None,
    ) -> str:
        """The text of the first candidate that picks out `target` alone; NotDescribableError if none does.

        Texts key the task's descriptions, so a text already used for another record (the same name on
        two reservations, say) is retried with `context` appended ("Ava Li (on your trip to Denver)").
        """
        for attributes in ladder:
            if all(resolve_description(world, kind, attributes, scope) == [target] for world in worlds):
                plain = render(attributes)
                for text in (plain, f"{plain} ({context})") if context else (plain,):
                    known = self.descriptions.get(text)
                    if known is None:
                        self.descriptions[text] = Description(kind=kind, text=text, ids=[target], scope=scope, attributes=attributes)
                        return text
                    if known.ids == [target] and known.scope == scope and known.kind == kind:
                        return text
        raise NotDescribableError(f"no description of {kind} {target} is unique in {scope}")

    def by_id(
        self, kind: str, target: str, scope: str, render: Callable[[dict[str, Any]], str], worlds: Sequence[State], context: str | None = None
    ) -> str:
        """A description that simply names the record's id."""
        return self.describe(kind, target, scope, [{"id": target}], render, worlds, context)


# --- customers, found as the lookup tools find them -----------------------------------------------
# For a `users` table in `domains.records`' shapes: an `email`, a `name` and an `address` with a `zip`.


def _customer_index(base: Database) -> dict[Any, list[str]]:
    index: dict[Any, list[str]] = {}
    for user_id, user in base.tables["users"].items():
        index.setdefault(("email", user["email"].casefold()), []).append(user_id)
        name = user["name"]
        index.setdefault(("name", name["first_name"].casefold(), name["last_name"].casefold(), user["address"]["zip"]), []).append(user_id)
    return index


def customers_by_lookup(state: State, scope: str, attributes: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """Customers a description could be: narrowed by the email / name-and-zip index, as the lookup tools are."""
    index = state.base.index("fuzzy.customers", _customer_index)
    if "email" in attributes:
        keys = index.get(("email", str(attributes["email"]).casefold()), [])
    elif "first_name" in attributes:
        keys = index.get(("name", attributes["first_name"].casefold(), attributes["last_name"].casefold(), attributes.get("zip")), [])
    else:
        keys = [attributes["id"]] if "id" in attributes else []
    for user_id in keys:
        if (user := state.get("users", user_id)) is not None:
            yield user_id, user


def customer_matches(user: Record, attributes: dict[str, Any]) -> bool:
    """Whether a customer still has the email and name a description gives."""
    if "email" in attributes and user["email"].casefold() != str(attributes["email"]).casefold():
        return False
    if "first_name" in attributes:
        name = user["name"]
        return (name["first_name"].casefold(), name["last_name"].casefold()) == (attributes["first_name"].casefold(), attributes["last_name"].casefold())
    return True
