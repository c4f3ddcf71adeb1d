"""The record shapes several domains share, for a domain's pydantic data model.

cove's shared payment and identity words (`domains.fuzzy`, `domains.cues`, the scripted models) read a
customer's `name`, `address` and `payment_methods` in these shapes, so a domain that stores them this
way gets those words for free. `Record` is a strict record: no unknown key, no numeric string for a
number; `lax()` marks a field whose enum value may arrive as its plain string.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


def lax(**kwargs: Any) -> Any:
    """A field whose enum value may arrive as its plain string (strict mode wants the enum member)."""
    return Field(strict=False, **kwargs)


class UserName(Record):
    first_name: str
    last_name: str


class Address(Record):
    """A US postal address; `address2` is always present (an empty string when unused)."""

    address1: str
    address2: str
    city: str
    country: str
    state: str
    zip: str


class CreditCard(Record):
    source: Literal["credit_card"] = "credit_card"
    id: str
    brand: str
    last_four: str


class Paypal(Record):
    source: Literal["paypal"] = "paypal"
    id: str


class GiftCard(Record):
    source: Literal["gift_card"] = "gift_card"
    id: str
    balance: float


def address_text(address: dict[str, str]) -> str:
    """An `Address` in one line: '12 Copper Lane, Unit 3, Eugene, OR 97401, USA' (no empty second line)."""
    street = address["address1"] + (f", {address['address2']}" if address.get("address2") else "")
    return f"{street}, {address['city']}, {address['state']} {address['zip']}, {address['country']}"
