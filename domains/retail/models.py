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
from typing import Annotated

from pydantic import Field

from domains.records import Address, CreditCard, GiftCard, Paypal, Record, UserName, lax


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


# products


class Variant(Record):
    """One buyable item of a product: a fixed choice of options, a price, in stock or not."""

    item_id: str
    options: dict[str, str]
    available: bool
    price: float


class Product(Record):
    """A product type (e.g. "Hoodie") and all its variants, keyed by item id."""

    name: str
    product_id: str
    variants: dict[str, Variant]


# users


PaymentMethod = Annotated[CreditCard | Paypal | GiftCard, Field(discriminator="source")]


class User(Record):
    user_id: str
    name: UserName
    address: Address
    email: str
    payment_methods: dict[str, PaymentMethod]
    orders: list[str]


# orders


class OrderItem(Record):
    """A bought variant, copied into the order: name and options as they were when ordered."""

    name: str
    product_id: str
    item_id: str
    price: float
    options: dict[str, str]


class Fulfillment(Record):
    """One shipment: its tracking number(s) and the item ids it carries."""

    tracking_id: list[str]
    item_ids: list[str]


class OrderPayment(Record):
    transaction_type: TransactionType = lax()
    amount: float
    payment_method_id: str


class Order(Record):
    """An order; the optional fields are set by cancel, exchange and return requests."""

    order_id: str
    user_id: str
    address: Address
    items: list[OrderItem]
    status: OrderStatus = lax()
    fulfillments: list[Fulfillment]
    payment_history: list[OrderPayment]
    cancel_reason: CancelReason | None = lax(default=None)
    exchange_items: list[str] | None = None
    exchange_new_items: list[str] | None = None
    exchange_payment_method_id: str | None = None
    exchange_price_difference: float | None = None
    return_items: list[str] | None = None
    return_payment_method_id: str | None = None


# the database


class GeneratorMeta(Record):
    """Provenance of a generated database (the sidecar); τ²-bench's own file has none."""

    generator: str
    seed: int
    scale: float


class RetailDB(Record):
    """The whole retail world: τ²-bench's three tables keyed by id, and nothing else."""

    products: dict[str, Product]
    users: dict[str, User]
    orders: dict[str, Order]
