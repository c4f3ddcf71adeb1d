"""`cove db check` for retail: is a parsed `db.json` well-formed and internally consistent?

`check` takes the database as cove holds it: τ²-bench's tables plus, for a generated one, its sidecar
under `meta`. First the schema (`models.RetailDB` for the tables, `models.GeneratorMeta` for `meta`): every pydantic error becomes a `Problem` whose `where` reads
like `orders/#W0001234/items[2].price` (a `/` before a record key or a record's top-level field,
a `.` into a nested field, `[i]` for a list position). Only a database that passes the schema is
checked for consistency, by the rules below. Each rule holds on τ²-bench's own retail `db.json`
(measured): a rule its file broke would reject a valid world.

- every table key and every variant / payment-method key equals the record's own id;
- a user's orders exist, belong to that user, and are listed once;
- an order's user exists and lists the order;
- an order item's product exists, its item id is a variant of that product, its name is the product's;
- every payment method an order names is one of its user's methods;
- gift card balances are not negative;
- status agrees with fulfilments and payments: a pending order has no fulfilments yet, a
  processed / delivered / exchange- or return-requested order has some, a cancelled one has a
  refund; fulfilments ship only the order's items; a requested exchange or return records its items.

Rules we considered and left out because τ²-bench's file breaks them: a cancelled order has no
fulfilments (all 102 of its cancelled orders have one); an order ships to its user's current
address (200 orders do not); an order lists each item once (7 orders repeat an item).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from domains.problems import Problem, value_kind
from domains.problems import format_location as _format
from domains.state import UnreadableJsonError, read_json_file
from domains.retail.models import GeneratorMeta, Order, OrderStatus, RetailDB, TransactionType, User
from domains.sidecar import META_KEY, checked_with_sidecar, split_meta

TOP_LEVEL = "(top level)"
_MAPPING_FIELDS = frozenset({"products", "users", "orders", "variants", "payment_methods", "options"})
_PAYMENT_SOURCES = frozenset({"credit_card", "paypal", "gift_card"})
_NOT_SHIPPED = frozenset({OrderStatus.PENDING, OrderStatus.PENDING_ITEM_MODIFIED})
_SHIPPED = frozenset(
    {OrderStatus.PROCESSED, OrderStatus.DELIVERED, OrderStatus.EXCHANGE_REQUESTED, OrderStatus.RETURN_REQUESTED}
)


def check(data: Any) -> list[Problem]:
    """Every defect of a parsed retail database; an empty list means it is sound."""
    if not isinstance(data, dict):
        return [Problem(TOP_LEVEL, f"a retail database is a JSON object with products, users and orders, "
                                   f"got {value_kind(data)}")]
    tables, meta = split_meta(data)
    problems = []
    if meta is not None:
        try:
            GeneratorMeta.model_validate(meta)
        except ValidationError as exc:
            problems = [_schema_problem({**error, "loc": (META_KEY, *error["loc"])}) for error in exc.errors(include_url=False)]
    try:
        db = RetailDB.model_validate(tables)
    except ValidationError as exc:
        return problems + [_schema_problem(error) for error in exc.errors(include_url=False)]
    return [*problems, *_key_problems(db), *_user_problems(db), *_order_problems(db)]


def check_file(path: str | Path) -> list[Problem]:
    """`check` of a db.json file and its sidecar; an unreadable file or invalid JSON is a Problem, never an exception."""
    try:
        _, data = read_json_file(path)
    except UnreadableJsonError as exc:
        return [Problem(exc.where, exc.reason)]
    data, problems = checked_with_sidecar(path, data, GeneratorMeta)
    return problems if data is None else problems + check(data)


# schema errors


def _schema_problem(error: Any) -> Problem:
    loc = tuple(error["loc"])
    where = format_location(loc) or TOP_LEVEL
    field = next((part for part in reversed(loc) if isinstance(part, str)), "")
    if error["type"] == "missing":
        return Problem(where, f"required field '{field}' is missing")
    if error["type"] == "extra_forbidden":
        return Problem(where, f"unknown field '{field}' is not part of the retail format")
    if error["type"] == "union_tag_not_found":
        return Problem(where, "payment method has no 'source' (credit_card, paypal or gift_card)")
    if error["type"] == "union_tag_invalid":
        return Problem(where, f"unknown payment source {value_kind(error['ctx']['tag'])} "
                              "(expected credit_card, paypal or gift_card)")
    return Problem(where, f"{error['msg']}, got {value_kind(error.get('input'))}")


def format_location(loc: tuple[str | int, ...]) -> str:
    """`('orders', '#W1', 'items', 2, 'price')` -> `orders/#W1/items[2].price`."""
    return _format(loc, _MAPPING_FIELDS, frozenset({"payment_methods"}), _PAYMENT_SOURCES)


# consistency rules (on a schema-valid database)


def _key_problems(db: RetailDB) -> Iterator[Problem]:
    for key, product in db.products.items():
        if key != product.product_id:
            yield Problem(f"products/{key}/product_id", f"product_id '{product.product_id}' differs from its key")
        for item_key, variant in product.variants.items():
            if item_key != variant.item_id:
                yield Problem(f"products/{key}/variants/{item_key}/item_id",
                              f"item_id '{variant.item_id}' differs from its key")
    for key, user in db.users.items():
        if key != user.user_id:
            yield Problem(f"users/{key}/user_id", f"user_id '{user.user_id}' differs from its key")
        for method_key, method in user.payment_methods.items():
            if method_key != method.id:
                yield Problem(f"users/{key}/payment_methods/{method_key}/id", f"id '{method.id}' differs from its key")
    for key, order in db.orders.items():
        if key != order.order_id:
            yield Problem(f"orders/{key}/order_id", f"order_id '{order.order_id}' differs from its key")


def _user_problems(db: RetailDB) -> Iterator[Problem]:
    for user_key, user in db.users.items():
        seen: set[str] = set()
        for index, order_id in enumerate(user.orders):
            where = f"users/{user_key}/orders[{index}]"
            order = db.orders.get(order_id)
            if order is None:
                yield Problem(where, f"order {order_id} does not exist")
            elif order.user_id != user_key:
                yield Problem(where, f"order {order_id} belongs to user {order.user_id}, not {user_key}")
            if order_id in seen:
                yield Problem(where, f"order {order_id} is listed twice")
            seen.add(order_id)
        for method_key, method in user.payment_methods.items():
            if method.source == "gift_card" and method.balance < 0:
                yield Problem(f"users/{user_key}/payment_methods/{method_key}/balance",
                              f"gift card balance is negative ({method.balance})")


def _order_problems(db: RetailDB) -> Iterator[Problem]:
    for order_key, order in db.orders.items():
        at = f"orders/{order_key}"
        user = db.users.get(order.user_id)
        if user is None:
            yield Problem(f"{at}/user_id", f"user {order.user_id} does not exist")
        else:
            if order_key not in user.orders:
                yield Problem(f"{at}/user_id", f"user {order.user_id} does not list this order in their orders")
            yield from _payment_method_problems(at, order, user)
        yield from _item_problems(db, at, order)
        yield from _status_problems(at, order)


def _item_problems(db: RetailDB, at: str, order: Order) -> Iterator[Problem]:
    for index, item in enumerate(order.items):
        where = f"{at}/items[{index}]"
        product = db.products.get(item.product_id)
        if product is None:
            yield Problem(f"{where}.product_id", f"product {item.product_id} does not exist")
            continue
        if item.item_id not in product.variants:
            yield Problem(f"{where}.item_id",
                          f"item {item.item_id} is not a variant of product {item.product_id} ({product.name})")
        if item.name != product.name:
            yield Problem(f"{where}.name",
                          f"name '{item.name}' differs from product {item.product_id}'s name '{product.name}'")


def _payment_method_problems(at: str, order: Order, user: User) -> Iterator[Problem]:
    named = [(f"{at}/payment_history[{i}].payment_method_id", payment.payment_method_id)
             for i, payment in enumerate(order.payment_history)]
    named += [(f"{at}/{field}", getattr(order, field))
              for field in ("exchange_payment_method_id", "return_payment_method_id")
              if getattr(order, field) is not None]
    for where, method_id in named:
        if method_id not in user.payment_methods:
            yield Problem(where, f"payment method {method_id} is not one of user {user.user_id}'s payment methods")


def _status_problems(at: str, order: Order) -> Iterator[Problem]:
    status = order.status
    if status in _NOT_SHIPPED and order.fulfillments:
        yield Problem(f"{at}/fulfillments",
                      f"a '{status}' order cannot have fulfillments yet (found {len(order.fulfillments)})")
    if status in _SHIPPED and not order.fulfillments:
        yield Problem(f"{at}/fulfillments", f"a '{status}' order must have at least one fulfillment")
    if status == OrderStatus.CANCELLED and not any(
        payment.transaction_type == TransactionType.REFUND for payment in order.payment_history
    ):
        yield Problem(f"{at}/payment_history", "a cancelled order must have a refund")
    item_ids = {item.item_id for item in order.items}
    for index, fulfillment in enumerate(order.fulfillments):
        for position, item_id in enumerate(fulfillment.item_ids):
            if item_id not in item_ids:
                yield Problem(f"{at}/fulfillments[{index}].item_ids[{position}]",
                              f"item {item_id} is not one of this order's items")
    required = {
        OrderStatus.EXCHANGE_REQUESTED: ("exchange_items", "exchange_new_items", "exchange_payment_method_id",
                                         "exchange_price_difference"),
        OrderStatus.RETURN_REQUESTED: ("return_items", "return_payment_method_id"),
    }.get(status, ())
    for field in required:
        if getattr(order, field) is None:
            yield Problem(f"{at}/{field}", f"a '{status}' order must record {field}")
