"""The retail database as pydantic models, in τ²-bench's `db.json` format.

`RetailDB.model_validate(data)` accepts a parsed `db.json` (τ²-bench's file or one written by
`cove db generate`): exactly the tables `products`, `users`, `orders`, no other key;
`model_dump(mode="json", exclude_unset=True)` gives the same JSON back. `GeneratorMeta` is the shape of
what cove keeps beside the tables (the sidecar `<name>.meta.json`, and `meta` in memory).
A plain `model_dump()` lists every field with its default, as τ²-bench's own model does, so the
sha256 of its sorted-key JSON equals τ²-bench's hash of the same database (see the tests).

Validation is strict (a price must be a number, not a numeric string): our tools work on the plain
JSON, so a value that only a lax parser would accept is a defect of the file.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class OrderStatus(StrEnum):
    PENDING = "pending"
    PENDING_ITEM_MODIFIED = "pending (item modified)"
    PROCESSED = "processed"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    EXCHANGE_REQUESTED = "exchange requested"
    RETURN_REQUESTED = "return requested"


class CancelReason(StrEnum):
    NO_LONGER_NEEDED = "no longer needed"
    ORDERED_BY_MISTAKE = "ordered by mistake"


class TransactionType(StrEnum):
    PAYMENT = "payment"
    REFUND = "refund"


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


def _lax(**kwargs: Any) -> Any:
    """A field whose enum value may arrive as its plain string (strict mode wants the enum member)."""
    return Field(strict=False, **kwargs)


# products


class Variant(_Record):
    """One buyable item of a product: a fixed choice of options, a price, in stock or not."""

    item_id: str
    options: dict[str, str]
    available: bool
    price: float


class Product(_Record):
    """A product type (e.g. "Hoodie") and all its variants, keyed by item id."""

    name: str
    product_id: str
    variants: dict[str, Variant]


# users


class UserName(_Record):
    first_name: str
    last_name: str


class Address(_Record):
    """A US postal address; `address2` is always present (an empty string when unused)."""

    address1: str
    address2: str
    city: str
    country: str
    state: str
    zip: str


class CreditCard(_Record):
    source: Literal["credit_card"] = "credit_card"
    id: str
    brand: str
    last_four: str


class Paypal(_Record):
    source: Literal["paypal"] = "paypal"
    id: str


class GiftCard(_Record):
    source: Literal["gift_card"] = "gift_card"
    id: str
    balance: float


PaymentMethod = Annotated[CreditCard | Paypal | GiftCard, Field(discriminator="source")]


class User(_Record):
    user_id: str
    name: UserName
    address: Address
    email: str
    payment_methods: dict[str, PaymentMethod]
    orders: list[str]


# orders


class OrderItem(_Record):
    """A bought variant, copied into the order: name and options as they were when ordered."""

    name: str
    product_id: str
    item_id: str
    price: float
    options: dict[str, str]


class Fulfillment(_Record):
    """One shipment: its tracking number(s) and the item ids it carries."""

    tracking_id: list[str]
    item_ids: list[str]


class OrderPayment(_Record):
    transaction_type: TransactionType = _lax()
    amount: float
    payment_method_id: str


class Order(_Record):
    """An order; the optional fields are set by cancel, exchange and return requests."""

    order_id: str
    user_id: str
    address: Address
    items: list[OrderItem]
    status: OrderStatus = _lax()
    fulfillments: list[Fulfillment]
    payment_history: list[OrderPayment]
    cancel_reason: CancelReason | None = _lax(default=None)
    exchange_items: list[str] | None = None
    exchange_new_items: list[str] | None = None
    exchange_payment_method_id: str | None = None
    exchange_price_difference: float | None = None
    return_items: list[str] | None = None
    return_payment_method_id: str | None = None


# the database


class GeneratorMeta(_Record):
    """Provenance of a generated database (the sidecar); τ²-bench's own file has none."""

    generator: str
    seed: int
    scale: float


class RetailDB(_Record):
    """The whole retail world: τ²-bench's three tables keyed by id, and nothing else."""

    products: dict[str, Product]
    users: dict[str, User]
    orders: dict[str, Order]
