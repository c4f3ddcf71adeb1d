"""The retail world's tools: what a store's customer-service agent can look up and change.

Each docstring is the description the agent reads. Behaviour (db changes, validation order,
error texts) follows τ²-bench's retail tools as measured in ../shared/tau2/SEMANTICS.md, except that
`modify_pending_order_items` gives every modified item its own new variant's price and options.
"""

from __future__ import annotations

import json
from typing import Any

from domains.calculator import calculate_expression
from domains.state import Database, Record, State
from domains.tooling import Tool, ToolError, ToolKind, Toolkit, tool

CANCEL_REASONS = ("no longer needed", "ordered by mistake")

# Optional order fields, absent from db.json until set; tool results show them as null.
ORDER_OPTIONAL_FIELDS = (
    "cancel_reason",
    "exchange_items",
    "exchange_new_items",
    "exchange_payment_method_id",
    "exchange_price_difference",
    "return_items",
    "return_payment_method_id",
)


# --- lookups -------------------------------------------------------------------------------


def _order(db: State, order_id: str) -> Record:
    order = db.get("orders", order_id)
    if order is None:
        raise ToolError("Order not found")
    return order


def _user(db: State, user_id: str) -> Record:
    user = db.get("users", user_id)
    if user is None:
        raise ToolError("User not found")
    return user


def _product(db: State, product_id: str) -> Record:
    product = db.get("products", product_id)
    if product is None:
        raise ToolError("Product not found")
    return product


def _variant(db: State, product_id: str, item_id: str) -> Record:
    variant = _product(db, product_id)["variants"].get(item_id)
    if variant is None:
        raise ToolError("Variant not found")
    return variant


def _payment_method(db: State, user_id: str, payment_method_id: str) -> Record:
    method = _user(db, user_id)["payment_methods"].get(payment_method_id)
    if method is None:
        raise ToolError("Payment method not found")
    return method


def _edit_payment_method(db: State, user_id: str, payment_method_id: str) -> Record:
    return db.edit("users", user_id)["payment_methods"][payment_method_id]


def _order_view(order: Record) -> Record:
    """An order as the agent sees it: optional fields present, null when unset."""
    view = dict(order)
    for name in ORDER_OPTIONAL_FIELDS:
        view.setdefault(name, None)
    return view


def _user_index(db: Database) -> dict[str, Any]:
    """First user id per lower-cased email and per (first, last, zip); users are never created."""
    by_email: dict[str, str] = {}
    by_name_zip: dict[tuple[str, str, str], str] = {}
    for user_id, user in db.tables["users"].items():
        by_email.setdefault(user["email"].lower(), user_id)
        key = (user["name"]["first_name"].lower(), user["name"]["last_name"].lower(), user["address"]["zip"])
        by_name_zip.setdefault(key, user_id)
    return {"email": by_email, "name_zip": by_name_zip}


def _item_index(db: Database) -> dict[str, str]:
    """Product id of every variant (item) id; the catalogue is never changed by a tool."""
    index: dict[str, str] = {}
    for product_id, product in db.tables["products"].items():
        for item_id in product["variants"]:
            index.setdefault(item_id, product_id)
    return index


def _check_item_counts(order: Record, item_ids: list[str], message: str | None) -> None:
    """Every requested id must be in the order at least as many times as it is requested."""
    in_order = [item["item_id"] for item in order["items"]]
    for item_id in item_ids:
        if item_ids.count(item_id) > in_order.count(item_id):
            raise ToolError(message or f"{item_id} not found")


def _price_difference(db: State, order: Record, item_ids: list[str], new_item_ids: list[str]) -> tuple[float, list[Record]]:
    """Sum of (new variant price - old item price) and the new variants, validating each pair."""
    difference = 0.0
    variants = []
    for item_id, new_item_id in zip(item_ids, new_item_ids):
        item = next((item for item in order["items"] if item["item_id"] == item_id), None)
        if item is None:
            raise ToolError(f"Item {item_id} not found")
        variant = _variant(db, item["product_id"], new_item_id)
        if not variant["available"]:
            raise ToolError(f"New item {new_item_id} not found or available")
        difference += variant["price"] - item["price"]
        variants.append(variant)
    return difference, variants


def _is_gift_card(method: Record) -> bool:
    return method.get("source") == "gift_card"


# --- read tools ----------------------------------------------------------------------------


@tool(ToolKind.READ)
def find_user_id_by_email(db: State, email: str) -> str:
    """Look up a customer's user id from their email address (case does not matter).

    Args:
        email: The customer's email address, for example 'jane.doe1234@example.com'.
    """
    user_id = db.base.index("retail.users", _user_index)["email"].get(email.lower())
    if user_id is None:
        raise ToolError("User not found")
    return user_id


@tool(ToolKind.READ)
def find_user_id_by_name_zip(db: State, first_name: str, last_name: str, zip: str) -> str:
    """Look up a customer's user id from their first name, last name and zip code.

    Use this when the customer cannot give their email address. Names are matched without regard
    to case; the zip code must match exactly.

    Args:
        first_name: The customer's first name, for example 'Jane'.
        last_name: The customer's last name, for example 'Doe'.
        zip: The five-digit zip code of the customer's address, for example '10001'.
    """
    key = (first_name.lower(), last_name.lower(), zip)
    user_id = db.base.index("retail.users", _user_index)["name_zip"].get(key)
    if user_id is None:
        raise ToolError("User not found")
    return user_id


@tool(ToolKind.READ)
def get_user_details(db: State, user_id: str) -> Record:
    """Show a customer's profile: name, address, email, saved payment methods and order ids.

    Args:
        user_id: The customer's user id, for example 'jane_doe_1234'.
    """
    return _user(db, user_id)


@tool(ToolKind.READ)
def get_order_details(db: State, order_id: str) -> Record:
    """Show an order: its items, status, shipping address, fulfilments and payments.

    Args:
        order_id: The order id, which starts with '#', for example '#W0000000'.
    """
    return _order_view(_order(db, order_id))


@tool(ToolKind.READ)
def get_product_details(db: State, product_id: str) -> Record:
    """Show a product type and every variant of it, with options, price and availability.

    A product id is not an item id: an item id names one variant of a product.

    Args:
        product_id: The product id, for example '6086499569'.
    """
    return _product(db, product_id)


@tool(ToolKind.READ)
def get_item_details(db: State, item_id: str) -> Record:
    """Show one item (a single variant of a product): its options, price and availability.

    Args:
        item_id: The item id, for example '1008292230'.
    """
    product_id = db.base.index("retail.items", _item_index).get(item_id)
    if product_id is None:
        raise ToolError("Item not found")
    return _product(db, product_id)["variants"][item_id]


@tool(ToolKind.READ)
def list_all_product_types(db: State) -> str:
    """List every product type the store sells, as a JSON object from product name to product id."""
    names = {product["name"]: product["product_id"] for product in db.values("products")}
    return json.dumps(names, sort_keys=True)


# --- generic tools -------------------------------------------------------------------------


@tool(ToolKind.GENERIC)
def calculate(db: State, expression: str) -> str:
    """Work out an arithmetic expression and return the result rounded to two decimals.

    Args:
        expression: Numbers, + - * /, parentheses, dots and spaces only, for example '(120.5 - 30) * 2'.
    """
    return calculate_expression(expression)


@tool(ToolKind.GENERIC)
def transfer_to_human_agents(db: State, summary: str) -> str:
    """Hand the customer over to a human agent, with a short summary of their problem.

    Only do this when the customer explicitly asks for a human, or when the request cannot be
    handled within the policy and the tools available.

    Args:
        summary: What the customer needs and what has been done so far.
    """
    return "Transfer successful"


# --- write tools ---------------------------------------------------------------------------


@tool(ToolKind.WRITE)
def cancel_pending_order(db: State, order_id: str, reason: str) -> Record:
    """Cancel an order that is still pending and refund every payment made for it.

    Gift-card payments go back to the gift card at once; other methods are refunded within 5 to 7
    business days. Confirm the order and the reason with the customer, and get an explicit yes,
    before calling.

    Args:
        order_id: The order id, which starts with '#', for example '#W0000000'.
        reason: Why the order is cancelled: either 'no longer needed' or 'ordered by mistake'.
    """
    order = _order(db, order_id)
    if order["status"] != "pending":
        raise ToolError("Non-pending order cannot be cancelled")
    if reason not in CANCEL_REASONS:
        raise ToolError("Invalid reason")
    refunds = []
    for payment in order["payment_history"]:
        method_id = payment["payment_method_id"]
        method = _payment_method(db, order["user_id"], method_id)
        refunds.append({"transaction_type": "refund", "amount": payment["amount"], "payment_method_id": method_id})
        if _is_gift_card(method):
            card = _edit_payment_method(db, order["user_id"], method_id)
            card["balance"] = round(card["balance"] + payment["amount"], 2)
    order = db.edit("orders", order_id)
    order["status"] = "cancelled"
    order["cancel_reason"] = reason
    order["payment_history"].extend(refunds)
    return _order_view(order)


@tool(ToolKind.WRITE)
def modify_pending_order_address(
    db: State, order_id: str, address1: str, address2: str, city: str, state: str, country: str, zip: str
) -> Record:
    """Change the shipping address of a pending order.

    Read the new address back to the customer and get an explicit yes before calling.

    Args:
        order_id: The order id, which starts with '#', for example '#W0000000'.
        address1: First address line, for example '123 Main St'.
        address2: Second address line, for example 'Apt 1'; an empty string if there is none.
        city: City, for example 'San Francisco'.
        state: State code, for example 'CA'.
        country: Country, for example 'USA'.
        zip: Zip code, for example '12345'.
    """
    if "pending" not in _order(db, order_id)["status"]:
        raise ToolError("Non-pending order cannot be modified")
    order = db.edit("orders", order_id)
    order["address"] = _address(address1, address2, city, state, country, zip)
    return _order_view(order)


@tool(ToolKind.WRITE)
def modify_pending_order_payment(db: State, order_id: str, payment_method_id: str) -> Record:
    """Pay for a pending order with a different saved payment method.

    The new method is charged the order total and the old one is refunded; a gift card must hold
    at least the total. Get an explicit yes from the customer before calling.

    Args:
        order_id: The order id, which starts with '#', for example '#W0000000'.
        payment_method_id: The new payment method, from the customer's profile, for example 'gift_card_0000000' or 'credit_card_0000000'.
    """
    order = _order(db, order_id)
    if "pending" not in order["status"]:
        raise ToolError("Non-pending order cannot be modified")
    method = _payment_method(db, order["user_id"], payment_method_id)
    history = order["payment_history"]
    if len(history) != 1 or history[0]["transaction_type"] != "payment":
        raise ToolError("There should be exactly one payment for a pending order")
    old_method_id = history[0]["payment_method_id"]
    if old_method_id == payment_method_id:
        raise ToolError("The new payment method should be different from the current one")
    amount = history[0]["amount"]
    if _is_gift_card(method) and method["balance"] < amount:
        raise ToolError("Insufficient gift card balance to pay for the order")
    order = db.edit("orders", order_id)
    order["payment_history"].extend(
        [
            {"transaction_type": "payment", "amount": amount, "payment_method_id": payment_method_id},
            {"transaction_type": "refund", "amount": amount, "payment_method_id": old_method_id},
        ]
    )
    if _is_gift_card(method):
        card = _edit_payment_method(db, order["user_id"], payment_method_id)
        card["balance"] = round(card["balance"] - amount, 2)
    if _is_gift_card(_payment_method(db, order["user_id"], old_method_id)):
        card = _edit_payment_method(db, order["user_id"], old_method_id)
        card["balance"] = round(card["balance"] + amount, 2)
    return _order_view(order)


@tool(ToolKind.WRITE)
def modify_pending_order_items(
    db: State, order_id: str, item_ids: list[str], new_item_ids: list[str], payment_method_id: str
) -> Record:
    """Swap items of a pending order for other variants of the same products.

    This can be done only once per order: collect every item the customer wants to change first.
    The price difference is charged to, or refunded to, the given payment method; a gift card must
    cover a charge. Explain the changes and get an explicit yes before calling.

    Args:
        order_id: The order id, which starts with '#', for example '#W0000000'.
        item_ids: The ids of the items to change, for example ['1008292230']; repeat an id to change several units of it.
        new_item_ids: The ids of the replacement items, in the same positions as item_ids; each must be an available variant of the same product.
        payment_method_id: The payment method that pays or receives the price difference, for example 'gift_card_0000000'.
    """
    order = _order(db, order_id)
    if order["status"] != "pending":
        raise ToolError("Non-pending order cannot be modified")
    _check_item_counts(order, item_ids, None)
    if len(item_ids) != len(new_item_ids):
        raise ToolError("The number of items to be exchanged should match")
    for item_id, new_item_id in zip(item_ids, new_item_ids):
        if item_id == new_item_id:
            raise ToolError("The new item id should be different from the old item id")
    difference, variants = _price_difference(db, order, item_ids, new_item_ids)
    method = _payment_method(db, order["user_id"], payment_method_id)
    if _is_gift_card(method) and method["balance"] < difference:
        raise ToolError("Insufficient gift card balance to pay for the new item")
    order = db.edit("orders", order_id)
    order["payment_history"].append(
        {
            "transaction_type": "payment" if difference > 0 else "refund",
            "amount": abs(difference),
            "payment_method_id": payment_method_id,
        }
    )
    if _is_gift_card(method):
        card = _edit_payment_method(db, order["user_id"], payment_method_id)
        card["balance"] = round(card["balance"] - difference, 2)
    for item_id, variant in zip(item_ids, variants):
        item = next(item for item in order["items"] if item["item_id"] == item_id)
        item["item_id"] = variant["item_id"]
        item["price"] = variant["price"]
        item["options"] = dict(variant["options"])
    order["status"] = "pending (item modified)"
    return _order_view(order)


@tool(ToolKind.WRITE)
def exchange_delivered_order_items(
    db: State, order_id: str, item_ids: list[str], new_item_ids: list[str], payment_method_id: str
) -> Record:
    """Request an exchange of delivered items for other variants of the same products.

    The order's status becomes 'exchange requested'; the customer will receive return
    instructions by email, and no new order is created. This can be done only once per order:
    collect every item first. The price difference is settled with the given payment method; a gift
    card must cover a charge. Explain the exchange and get an explicit yes before calling.

    Args:
        order_id: The order id, which starts with '#', for example '#W0000000'.
        item_ids: The ids of the items to exchange, for example ['1008292230']; repeat an id to exchange several units of it.
        new_item_ids: The ids of the replacement items, in the same positions as item_ids; each must be an available variant of the same product.
        payment_method_id: The payment method that pays or receives the price difference, for example 'gift_card_0000000'.
    """
    order = _order(db, order_id)
    if order["status"] != "delivered":
        raise ToolError("Non-delivered order cannot be exchanged")
    _check_item_counts(order, item_ids, None)
    if len(item_ids) != len(new_item_ids):
        raise ToolError("The number of items to be exchanged should match")
    difference, _ = _price_difference(db, order, item_ids, new_item_ids)
    difference = round(difference, 2)
    method = _payment_method(db, order["user_id"], payment_method_id)
    if _is_gift_card(method) and method["balance"] < difference:
        raise ToolError("Insufficient gift card balance to pay for the price difference")
    order = db.edit("orders", order_id)
    order["status"] = "exchange requested"
    order["exchange_items"] = sorted(item_ids)
    order["exchange_new_items"] = sorted(new_item_ids)
    order["exchange_payment_method_id"] = payment_method_id
    order["exchange_price_difference"] = difference
    return _order_view(order)


@tool(ToolKind.WRITE)
def return_delivered_order_items(db: State, order_id: str, item_ids: list[str], payment_method_id: str) -> Record:
    """Request a return of delivered items; the refund goes to the original payment method or a gift card.

    The order's status becomes 'return requested' and the customer receives return instructions by
    email. List the items and the refund method and get an explicit yes before calling.

    Args:
        order_id: The order id, which starts with '#', for example '#W0000000'.
        item_ids: The ids of the items to return, for example ['1008292230']; repeat an id to return several units of it.
        payment_method_id: Where the refund goes: the order's original payment method or one of the customer's gift cards, for example 'gift_card_0000000'.
    """
    order = _order(db, order_id)
    if order["status"] != "delivered":
        raise ToolError("Non-delivered order cannot be returned")
    user = _user(db, order["user_id"])
    method = _payment_method(db, user["user_id"], payment_method_id)
    if not _is_gift_card(method) and payment_method_id != order["payment_history"][0]["payment_method_id"]:
        raise ToolError("Payment method should be the original payment method")
    _check_item_counts(order, item_ids, "Some item not found")
    order = db.edit("orders", order_id)
    order["status"] = "return requested"
    order["return_items"] = sorted(item_ids)
    order["return_payment_method_id"] = payment_method_id
    return _order_view(order)


@tool(ToolKind.WRITE)
def modify_user_address(
    db: State, user_id: str, address1: str, address2: str, city: str, state: str, country: str, zip: str
) -> Record:
    """Change the default address in a customer's profile (existing orders keep theirs).

    Read the new address back to the customer and get an explicit yes before calling.

    Args:
        user_id: The customer's user id, for example 'jane_doe_1234'.
        address1: First address line, for example '123 Main St'.
        address2: Second address line, for example 'Apt 1'; an empty string if there is none.
        city: City, for example 'San Francisco'.
        state: State code, for example 'CA'.
        country: Country, for example 'USA'.
        zip: Zip code, for example '12345'.
    """
    _user(db, user_id)
    user = db.edit("users", user_id)
    user["address"] = _address(address1, address2, city, state, country, zip)
    return user


def _address(address1: str, address2: str, city: str, state: str, country: str, zip: str) -> Record:
    return {"address1": address1, "address2": address2, "city": city, "country": country, "state": state, "zip": zip}


TOOLS: list[Tool] = [
    calculate,
    cancel_pending_order,
    exchange_delivered_order_items,
    find_user_id_by_email,
    find_user_id_by_name_zip,
    get_item_details,
    get_order_details,
    get_product_details,
    get_user_details,
    list_all_product_types,
    modify_pending_order_address,
    modify_pending_order_items,
    modify_pending_order_payment,
    modify_user_address,
    return_delivered_order_items,
    transfer_to_human_agents,
]

TOOLKIT = Toolkit("retail", TOOLS)
