"""The retail tools on a small hand-written world: exact state changes, exact errors, validation order.

Also the generic half of `Toolkit.execute` (argument parsing and validation, never raising) and the
retail tool schemas against τ²-bench's.
"""

from __future__ import annotations


import pytest

from domains.registry import get_domain
from worlds import (
    BACKPACK,
    BLACK_S,
    BLUE_M,
    CANCELLED,
    DELIVERED,
    DESK,
    FLOOR,
    GREEN_L,
    GREY,
    ITEM_MODIFIED,
    JOHN_DELIVERED,
    LAMP,
    PAID_GONE,
    PENDING,
    PENDING_GIFT,
    PROCESSED,
    RED_M,
    SHIRT,
    SPLIT_GONE,
    WHITE_M,
    YELLOW_M,
    assert_refused,
    base_record,
    retail_data,
    retail_state,
    run,
    snapshot,
)

TOOLKIT = get_domain("retail").toolkit
NEW_ADDRESS = {"address1": "77 New Rd", "address2": "Unit 2", "city": "Boston", "state": "MA", "country": "USA", "zip": "02101"}
OPTIONAL_ORDER_FIELDS = (
    "cancel_reason",
    "exchange_items",
    "exchange_new_items",
    "exchange_payment_method_id",
    "exchange_price_difference",
    "return_items",
    "return_payment_method_id",
)


def catalogue_item(item_id: str) -> dict:
    """The order-item form of a catalogue variant: name, product id, item id, price, options."""
    data = retail_data()
    for product in data["products"].values():
        if item_id in product["variants"]:
            variant = product["variants"][item_id]
            return {
                "name": product["name"],
                "product_id": product["product_id"],
                "item_id": item_id,
                "price": variant["price"],
                "options": variant["options"],
            }
    raise KeyError(item_id)


# --- read tools ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "email, user_id",
    [("Jane.Doe@Example.com", "jane_doe_1"), ("jane.doe@example.com", "jane_doe_1"), ("JOHN.ROE@EXAMPLE.COM", "john_roe_3")],
)
def test_find_user_by_email_ignores_case(email, user_id):
    """An email finds its user whatever the case of either side."""
    outcome = run(retail_state(), "find_user_id_by_email", email=email)
    assert (outcome.ok, outcome.content) == (True, user_id)


@pytest.mark.parametrize("email", ["nobody@example.com", "jane.doe@example.co", " jane.doe@example.com"])
def test_find_user_by_unknown_email_is_refused(email):
    """An email that matches no user exactly (apart from case) gives 'User not found'."""
    assert_refused(retail_state(), "find_user_id_by_email", "User not found", email=email)


@pytest.mark.parametrize(
    "first, last, zip_code, user_id",
    [
        ("Jane", "Doe", "10001", "jane_doe_1"),
        ("JANE", "dOE", "10001", "jane_doe_1"),
        ("jane", "doe", "60601", "jane_doe_2"),
        ("John", "Roe", "94105", "john_roe_3"),
    ],
)
def test_find_user_by_name_and_zip_ignores_name_case(first, last, zip_code, user_id):
    """Names match without regard to case and the zip picks which same-named user."""
    outcome = run(retail_state(), "find_user_id_by_name_zip", first_name=first, last_name=last, zip=zip_code)
    assert (outcome.ok, outcome.content) == (True, user_id)


@pytest.mark.parametrize(
    "first, last, zip_code",
    [("Jane", "Doe", "1000"), ("Jane", "Doe", "10001 "), ("Jane", "Doe", "94105"), ("Jan", "Doe", "10001"), ("Jane", "Roe", "10001")],
)
def test_find_user_by_name_and_zip_needs_the_exact_zip_and_names(first, last, zip_code):
    """A zip that is not exactly the user's, or a different name, gives 'User not found'."""
    assert_refused(retail_state(), "find_user_id_by_name_zip", "User not found", first_name=first, last_name=last, zip=zip_code)


def test_get_user_details_returns_the_profile():
    """A user id returns that user's record as stored."""
    outcome = run(retail_state(), "get_user_details", user_id="john_roe_3")
    assert outcome.ok and outcome.result == retail_data()["users"]["john_roe_3"]


def test_get_order_details_shows_unset_optional_fields_as_null():
    """An order is shown as stored plus every optional field, null when unset."""
    outcome = run(retail_state(), "get_order_details", order_id=PENDING)
    expected = {**retail_data()["orders"][PENDING], **{name: None for name in OPTIONAL_ORDER_FIELDS}}
    assert outcome.ok and outcome.result == expected


def test_get_product_details_returns_every_variant():
    """A product id returns the product with all its variants, available or not."""
    outcome = run(retail_state(), "get_product_details", product_id=SHIRT)
    assert outcome.ok and outcome.result == retail_data()["products"][SHIRT]


@pytest.mark.parametrize(
    "name, arguments, message",
    [
        ("get_user_details", {"user_id": "nobody"}, "User not found"),
        ("get_order_details", {"order_id": "W0000001"}, "Order not found"),
        ("get_product_details", {"product_id": RED_M}, "Product not found"),
        ("get_item_details", {"item_id": SHIRT}, "Item not found"),
        ("get_item_details", {"item_id": "9999999999"}, "Item not found"),
    ],
)
def test_lookups_of_unknown_ids_are_refused(name, arguments, message):
    """Each lookup names what it did not find, and item ids and product ids are not interchangeable."""
    assert_refused(retail_state(), name, message, **arguments)


@pytest.mark.parametrize("item_id, product_id", [(RED_M, SHIRT), (GREEN_L, SHIRT), (FLOOR, LAMP), (GREY, BACKPACK)])
def test_get_item_details_finds_a_variant_in_any_product(item_id, product_id):
    """An item id is looked up across all products, unavailable variants included."""
    outcome = run(retail_state(), "get_item_details", item_id=item_id)
    assert outcome.ok and outcome.result == retail_data()["products"][product_id]["variants"][item_id]


def test_list_all_product_types_is_a_sorted_json_string():
    """The product list is json.dumps of name -> product id with sorted keys, whatever the database order."""
    outcome = run(retail_state(), "list_all_product_types")
    assert outcome.ok
    assert outcome.content == '{"Backpack": "1000000003", "Lamp": "1000000002", "T-Shirt": "1000000001"}'


@pytest.mark.parametrize("name", ["calculate", "transfer_to_human_agents"])
def test_generic_tools_change_nothing(name):
    """The calculator and the transfer answer without touching the state."""
    arguments = {"expression": "(20 + 5.5) * 2"} if name == "calculate" else {"summary": "wants a refund in cash"}
    state = retail_state()
    outcome = run(state, name, **arguments)
    assert outcome.ok and outcome.content == {"calculate": "51.0", "transfer_to_human_agents": "Transfer successful"}[name]
    assert state.changes() == {}


# --- cancel_pending_order --------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["no longer needed", "ordered by mistake"])
def test_cancel_refunds_a_card_payment_without_touching_the_user(reason):
    """Cancelling sets status and reason and appends a same-amount refund; a card's user record is untouched."""
    state = retail_state()
    outcome = run(state, "cancel_pending_order", order_id=PENDING, reason=reason)
    order = base_record(state, "orders", PENDING)
    order["status"] = "cancelled"
    order["cancel_reason"] = reason
    order["payment_history"].append({"transaction_type": "refund", "amount": 80.1, "payment_method_id": "credit_card_1"})
    assert outcome.ok and state.changes() == {"orders": {PENDING: order}}
    assert outcome.result == {**order, **{name: None for name in OPTIONAL_ORDER_FIELDS if name != "cancel_reason"}}


def test_cancel_credits_a_gift_card_rounded_to_cents():
    """A gift-card payment is credited back at once, the balance rounded to 2 dp (10.1 + 20.2 -> 30.3)."""
    state = retail_state()
    assert run(state, "cancel_pending_order", order_id=PENDING_GIFT, reason="no longer needed").ok
    user = base_record(state, "users", "jane_doe_1")
    user["payment_methods"]["gift_card_1"]["balance"] = 30.3
    assert state.changes()["users"] == {"jane_doe_1": user}
    assert state.get("orders", PENDING_GIFT)["payment_history"][-1] == {
        "transaction_type": "refund",
        "amount": 20.2,
        "payment_method_id": "gift_card_1",
    }


def test_cancel_refunds_every_payment_in_order():
    """An order with two payments gets two refunds, appended in the order of the payments."""
    data = retail_data()
    data["orders"][PENDING_GIFT]["payment_history"] = [
        {"transaction_type": "payment", "amount": 5.2, "payment_method_id": "gift_card_1"},
        {"transaction_type": "payment", "amount": 15.0, "payment_method_id": "credit_card_1"},
    ]
    state = retail_state(data)
    assert run(state, "cancel_pending_order", order_id=PENDING_GIFT, reason="ordered by mistake").ok
    assert state.get("orders", PENDING_GIFT)["payment_history"][2:] == [
        {"transaction_type": "refund", "amount": 5.2, "payment_method_id": "gift_card_1"},
        {"transaction_type": "refund", "amount": 15.0, "payment_method_id": "credit_card_1"},
    ]
    assert state.get("users", "jane_doe_1")["payment_methods"]["gift_card_1"]["balance"] == 15.3


@pytest.mark.parametrize(
    "order_id, reason, message",
    [
        ("#W9999999", "no longer needed", "Order not found"),
        (ITEM_MODIFIED, "no longer needed", "Non-pending order cannot be cancelled"),
        (PROCESSED, "no longer needed", "Non-pending order cannot be cancelled"),
        (CANCELLED, "no longer needed", "Non-pending order cannot be cancelled"),
        (DELIVERED, "no longer needed", "Non-pending order cannot be cancelled"),
        (PENDING, "changed my mind", "Invalid reason"),
        (PENDING, "No longer needed", "Invalid reason"),
        # two failures: the status check comes before the reason check
        (ITEM_MODIFIED, "changed my mind", "Non-pending order cannot be cancelled"),
        ("#W9999999", "changed my mind", "Order not found"),
    ],
)
def test_cancel_refusals_in_order(order_id, reason, message):
    """Only a status of exactly 'pending' can be cancelled, with one of the two reasons; status is checked first."""
    assert_refused(retail_state(), "cancel_pending_order", message, order_id=order_id, reason=reason)


def test_cancel_failing_after_crediting_a_gift_card_leaves_no_trace():
    """A cancel that fails on its second payment's missing method undoes the gift card credit of the first."""
    state = retail_state()
    outcome = run(state, "cancel_pending_order", order_id=SPLIT_GONE, reason="no longer needed")
    assert (outcome.ok, outcome.error) == (False, "Payment method not found")
    assert state.changes() == {}


# --- modify_pending_order_address / modify_user_address ----------------------------------------


@pytest.mark.parametrize("order_id", [PENDING, ITEM_MODIFIED])
def test_modify_order_address_replaces_the_address(order_id):
    """A pending or item-modified order gets the new address, with its six fields and nothing else."""
    state = retail_state()
    assert run(state, "modify_pending_order_address", order_id=order_id, **NEW_ADDRESS).ok
    order = base_record(state, "orders", order_id)
    order["address"] = {key: NEW_ADDRESS[key] for key in ("address1", "address2", "city", "country", "state", "zip")}
    assert state.changes() == {"orders": {order_id: order}}


@pytest.mark.parametrize(
    "order_id, message",
    [
        ("#W9999999", "Order not found"),
        (PROCESSED, "Non-pending order cannot be modified"),
        (DELIVERED, "Non-pending order cannot be modified"),
        (CANCELLED, "Non-pending order cannot be modified"),
    ],
)
def test_modify_order_address_refusals(order_id, message):
    """Only an order whose status contains 'pending' can change address."""
    assert_refused(retail_state(), "modify_pending_order_address", message, order_id=order_id, **NEW_ADDRESS)


def test_modify_user_address_replaces_the_profile_address_only():
    """The user's address is replaced; their orders keep the address they had."""
    state = retail_state()
    assert run(state, "modify_user_address", user_id="john_roe_3", **NEW_ADDRESS).ok
    user = base_record(state, "users", "john_roe_3")
    user["address"] = {key: NEW_ADDRESS[key] for key in ("address1", "address2", "city", "country", "state", "zip")}
    assert state.changes() == {"users": {"john_roe_3": user}}


def test_modify_user_address_of_unknown_user_is_refused():
    """An unknown user id gives 'User not found'."""
    assert_refused(retail_state(), "modify_user_address", "User not found", user_id="nobody", **NEW_ADDRESS)


# --- modify_pending_order_payment ------------------------------------------------------------


def test_modify_payment_between_cards_appends_payment_then_refund():
    """Switching a card-paid order to PayPal appends a payment by PayPal and a refund to the card, same amount."""
    state = retail_state()
    assert run(state, "modify_pending_order_payment", order_id=PENDING, payment_method_id="paypal_1").ok
    order = base_record(state, "orders", PENDING)
    order["payment_history"] += [
        {"transaction_type": "payment", "amount": 80.1, "payment_method_id": "paypal_1"},
        {"transaction_type": "refund", "amount": 80.1, "payment_method_id": "credit_card_1"},
    ]
    assert state.changes() == {"orders": {PENDING: order}}


def test_modify_payment_to_a_gift_card_debits_it_rounded():
    """Paying with a gift card debits the total, rounded to 2 dp (100.0 - 80.1 -> 19.9)."""
    state = retail_state()
    assert run(state, "modify_pending_order_payment", order_id=PENDING, payment_method_id="gift_card_2").ok
    user = base_record(state, "users", "jane_doe_1")
    user["payment_methods"]["gift_card_2"]["balance"] = 19.9
    assert state.changes()["users"] == {"jane_doe_1": user}


def test_modify_payment_away_from_a_gift_card_credits_it_rounded():
    """Leaving a gift card credits the old card back, rounded (10.1 + 20.2 -> 30.3)."""
    state = retail_state()
    assert run(state, "modify_pending_order_payment", order_id=PENDING_GIFT, payment_method_id="credit_card_1").ok
    user = base_record(state, "users", "jane_doe_1")
    user["payment_methods"]["gift_card_1"]["balance"] = 30.3
    assert state.changes()["users"] == {"jane_doe_1": user}
    assert state.get("orders", PENDING_GIFT)["status"] == "pending"


@pytest.mark.parametrize(
    "order_id, method, message",
    [
        ("#W9999999", "paypal_1", "Order not found"),
        (PROCESSED, "paypal_1", "Non-pending order cannot be modified"),
        (PENDING, "credit_card_3", "Payment method not found"),
        (ITEM_MODIFIED, "paypal_1", "There should be exactly one payment for a pending order"),
        (PENDING, "credit_card_1", "The new payment method should be different from the current one"),
        (PENDING, "gift_card_1", "Insufficient gift card balance to pay for the order"),
        # two failures: the first in SEMANTICS' order wins
        (PROCESSED, "credit_card_3", "Non-pending order cannot be modified"),
        (ITEM_MODIFIED, "credit_card_3", "Payment method not found"),
        (ITEM_MODIFIED, "credit_card_1", "There should be exactly one payment for a pending order"),
    ],
)
def test_modify_payment_refusals_in_order(order_id, method, message):
    """Status, then the method in the profile, then one payment, then a different method, then gift card balance."""
    assert_refused(retail_state(), "modify_pending_order_payment", message, order_id=order_id, payment_method_id=method)


def test_modify_payment_failing_after_its_edits_leaves_no_trace():
    """When the old method is missing from the profile, the already-appended entries and the debit are undone."""
    state = retail_state()
    outcome = run(state, "modify_pending_order_payment", order_id=PAID_GONE, payment_method_id="gift_card_2")
    assert (outcome.ok, outcome.error) == (False, "Payment method not found")
    assert state.changes() == {}


# --- modify_pending_order_items --------------------------------------------------------------


def test_modify_items_gives_each_item_its_own_variant():
    """Several items each take their own new variant's id, price and options (τ²-bench's last-variant bug is not copied)."""
    state = retail_state()
    outcome = run(
        state,
        "modify_pending_order_items",
        order_id=PENDING,
        item_ids=[RED_M, DESK],
        new_item_ids=[BLACK_S, FLOOR],
        payment_method_id="credit_card_1",
    )
    order = base_record(state, "orders", PENDING)
    order["items"] = [catalogue_item(BLACK_S), catalogue_item(RED_M), catalogue_item(FLOOR)]
    difference = 0.0
    difference += 18.25 - 20.0
    difference += 99.99 - 40.1
    assert difference == 58.13999999999999  # not rounded: the entry keeps float noise
    order["payment_history"].append({"transaction_type": "payment", "amount": difference, "payment_method_id": "credit_card_1"})
    order["status"] = "pending (item modified)"
    assert outcome.ok and state.changes() == {"orders": {PENDING: order}}


def test_modify_items_handles_repeated_item_ids_unit_by_unit():
    """Two units of one item can become two different variants, each with its own price and options."""
    state = retail_state()
    assert run(
        state,
        "modify_pending_order_items",
        order_id=PENDING,
        item_ids=[RED_M, RED_M],
        new_item_ids=[BLUE_M, BLACK_S],
        payment_method_id="credit_card_1",
    ).ok
    items = state.get("orders", PENDING)["items"]
    assert items == [catalogue_item(BLUE_M), catalogue_item(BLACK_S), catalogue_item(DESK)]
    assert state.get("orders", PENDING)["payment_history"][-1]["amount"] == abs((25.5 - 20.0) + (18.25 - 20.0))


@pytest.mark.parametrize(
    "new_item, kind, amount, balance",
    [
        (BLUE_M, "payment", 25.5 - 20.2, round(10.1 - (25.5 - 20.2), 2)),
        (BLACK_S, "refund", abs(18.25 - 20.2), round(10.1 + (20.2 - 18.25), 2)),
    ],
)
def test_modify_items_with_a_gift_card_moves_its_balance(new_item, kind, amount, balance):
    """A gift card pays a positive difference or receives a negative one; the balance is rounded, the entry is not."""
    state = retail_state()
    assert run(
        state, "modify_pending_order_items", order_id=PENDING_GIFT, item_ids=[WHITE_M], new_item_ids=[new_item], payment_method_id="gift_card_1"
    ).ok
    assert state.get("orders", PENDING_GIFT)["payment_history"][-1] == {
        "transaction_type": kind,
        "amount": amount,
        "payment_method_id": "gift_card_1",
    }
    assert state.get("users", "jane_doe_1")["payment_methods"]["gift_card_1"]["balance"] == balance


def test_modify_items_at_equal_price_records_a_zero_refund():
    """A zero difference is recorded as a refund of 0, and the gift card's record ends equal to the base."""
    state = retail_state()
    assert run(
        state, "modify_pending_order_items", order_id=PENDING_GIFT, item_ids=[WHITE_M], new_item_ids=[YELLOW_M], payment_method_id="gift_card_1"
    ).ok
    order = base_record(state, "orders", PENDING_GIFT)
    order["items"] = [catalogue_item(YELLOW_M)]
    order["payment_history"].append({"transaction_type": "refund", "amount": 0.0, "payment_method_id": "gift_card_1"})
    order["status"] = "pending (item modified)"
    assert state.changes() == {"orders": {PENDING_GIFT: order}}


def test_modify_items_can_happen_only_once():
    """After one item modification the order is 'pending (item modified)' and a second one is refused."""
    state = retail_state()
    arguments = {"order_id": PENDING, "item_ids": [RED_M], "new_item_ids": [BLUE_M], "payment_method_id": "credit_card_1"}
    assert run(state, "modify_pending_order_items", **arguments).ok
    assert_refused(state, "modify_pending_order_items", "Non-pending order cannot be modified", **{**arguments, "item_ids": [RED_M]})


@pytest.mark.parametrize(
    "order_id, item_ids, new_item_ids, method, message",
    [
        ("#W9999999", [RED_M], [BLUE_M], "credit_card_1", "Order not found"),
        (ITEM_MODIFIED, [BLUE_M], [RED_M], "credit_card_1", "Non-pending order cannot be modified"),
        (PROCESSED, [RED_M], [BLUE_M], "credit_card_1", "Non-pending order cannot be modified"),
        (PENDING, [RED_M, RED_M, RED_M], [BLUE_M, BLUE_M, BLUE_M], "credit_card_1", f"{RED_M} not found"),
        (PENDING, [FLOOR], [DESK], "credit_card_1", f"{FLOOR} not found"),
        (PENDING, [RED_M, DESK], [BLUE_M], "credit_card_1", "The number of items to be exchanged should match"),
        (PENDING, [RED_M], [RED_M], "credit_card_1", "The new item id should be different from the old item id"),
        (PENDING, [RED_M], [GREEN_L], "credit_card_1", f"New item {GREEN_L} not found or available"),
        (PENDING, [RED_M], [FLOOR], "credit_card_1", "Variant not found"),
        (PENDING, [RED_M], ["9999999999"], "credit_card_1", "Variant not found"),
        (PENDING, [RED_M], [BLUE_M], "credit_card_3", "Payment method not found"),
        (PENDING, [DESK], [FLOOR], "gift_card_1", "Insufficient gift card balance to pay for the new item"),
        # two failures: the first in SEMANTICS' order wins
        (ITEM_MODIFIED, [RED_M], [RED_M, BLUE_M], "credit_card_3", "Non-pending order cannot be modified"),
        (PENDING, [FLOOR], [DESK, BLUE_M], "credit_card_1", f"{FLOOR} not found"),
        (PENDING, [RED_M, DESK], [RED_M], "credit_card_1", "The number of items to be exchanged should match"),
        (PENDING, [RED_M, DESK], ["9999999999", DESK], "credit_card_1", "The new item id should be different from the old item id"),
        (PENDING, [RED_M, DESK], [GREEN_L, BLUE_M], "credit_card_1", f"New item {GREEN_L} not found or available"),
        (PENDING, [RED_M, DESK], [BLUE_M, BLUE_M], "credit_card_1", "Variant not found"),
        (PENDING, [RED_M], [FLOOR], "credit_card_3", "Variant not found"),
        (PENDING, [DESK], [FLOOR], "gift_card_9", "Payment method not found"),
    ],
)
def test_modify_items_refusals_in_order(order_id, item_ids, new_item_ids, method, message):
    """Status, counts, lengths, new != old, same-product available variant (pair by pair), method, gift card balance."""
    assert_refused(
        retail_state(),
        "modify_pending_order_items",
        message,
        order_id=order_id,
        item_ids=item_ids,
        new_item_ids=new_item_ids,
        payment_method_id=method,
    )


# --- exchange_delivered_order_items ----------------------------------------------------------


def test_exchange_records_the_request_sorted_and_rounded():
    """An exchange stores sorted old and new ids, the method and the difference rounded to 2 dp; items and payments stay."""
    state = retail_state()
    outcome = run(
        state,
        "exchange_delivered_order_items",
        order_id=DELIVERED,
        item_ids=[DESK, RED_M],
        new_item_ids=[FLOOR, BLUE_M],
        payment_method_id="paypal_1",
    )
    raw = (99.99 - 40.1) + (25.5 - 20.0)
    assert raw != 65.39
    order = base_record(state, "orders", DELIVERED)
    order.update(
        status="exchange requested",
        exchange_items=sorted([DESK, RED_M]),
        exchange_new_items=sorted([FLOOR, BLUE_M]),
        exchange_payment_method_id="paypal_1",
        exchange_price_difference=65.39,
    )
    assert outcome.ok and state.changes() == {"orders": {DELIVERED: order}}


def test_exchange_with_a_gift_card_does_not_touch_its_balance():
    """A gift card that covers the difference is only named in the request, not debited."""
    state = retail_state()
    assert run(
        state, "exchange_delivered_order_items", order_id=DELIVERED, item_ids=[RED_M], new_item_ids=[BLUE_M], payment_method_id="gift_card_1"
    ).ok
    assert list(state.changes()) == ["orders"]
    assert state.get("orders", DELIVERED)["exchange_price_difference"] == 5.5


def test_exchange_accepts_the_same_item_id():
    """Unlike modify, exchange does not check that a new id differs from the old one."""
    state = retail_state()
    assert run(
        state, "exchange_delivered_order_items", order_id=DELIVERED, item_ids=[RED_M], new_item_ids=[RED_M], payment_method_id="paypal_1"
    ).ok
    assert state.get("orders", DELIVERED)["exchange_price_difference"] == 0.0


@pytest.mark.parametrize(
    "order_id, item_ids, new_item_ids, method, message",
    [
        ("#W9999999", [RED_M], [BLUE_M], "paypal_1", "Order not found"),
        (PENDING, [RED_M], [BLUE_M], "paypal_1", "Non-delivered order cannot be exchanged"),
        (PROCESSED, [RED_M], [BLUE_M], "paypal_1", "Non-delivered order cannot be exchanged"),
        (DELIVERED, [DESK, DESK], [FLOOR, FLOOR], "paypal_1", f"{DESK} not found"),
        (DELIVERED, [RED_M, RED_M], [BLUE_M], "paypal_1", "The number of items to be exchanged should match"),
        (DELIVERED, [RED_M], [GREEN_L], "paypal_1", f"New item {GREEN_L} not found or available"),
        (DELIVERED, [RED_M], [DESK], "paypal_1", "Variant not found"),
        (DELIVERED, [RED_M], [BLUE_M], "credit_card_4", "Payment method not found"),
        (JOHN_DELIVERED, [DESK], [FLOOR], "gift_card_4", "Insufficient gift card balance to pay for the price difference"),
        # two failures: the first in SEMANTICS' order wins
        (PENDING, [FLOOR], [DESK], "nope", "Non-delivered order cannot be exchanged"),
        (DELIVERED, [FLOOR], [DESK, RED_M], "paypal_1", f"{FLOOR} not found"),
        (DELIVERED, [RED_M], [GREEN_L, BLUE_M], "paypal_1", "The number of items to be exchanged should match"),
        (DELIVERED, [RED_M], [DESK], "nope", "Variant not found"),
        (JOHN_DELIVERED, [DESK], [FLOOR], "gift_card_1", "Payment method not found"),
    ],
)
def test_exchange_refusals_in_order(order_id, item_ids, new_item_ids, method, message):
    """Status 'delivered', counts, lengths, same-product available variants, method, then gift card balance."""
    assert_refused(
        retail_state(),
        "exchange_delivered_order_items",
        message,
        order_id=order_id,
        item_ids=item_ids,
        new_item_ids=new_item_ids,
        payment_method_id=method,
    )


# --- return_delivered_order_items ------------------------------------------------------------


@pytest.mark.parametrize("method", ["paypal_1", "gift_card_1", "gift_card_2"])
def test_return_records_sorted_items_and_the_refund_method(method):
    """A return to the original method or any gift card stores sorted ids and the method; no refund is recorded."""
    state = retail_state()
    outcome = run(state, "return_delivered_order_items", order_id=DELIVERED, item_ids=[DESK, RED_M, RED_M], payment_method_id=method)
    order = base_record(state, "orders", DELIVERED)
    order.update(status="return requested", return_items=[RED_M, RED_M, DESK], return_payment_method_id=method)
    assert outcome.ok and state.changes() == {"orders": {DELIVERED: order}}


@pytest.mark.parametrize(
    "order_id, item_ids, method, message",
    [
        ("#W9999999", [RED_M], "paypal_1", "Order not found"),
        (PENDING, [RED_M], "credit_card_1", "Non-delivered order cannot be returned"),
        (CANCELLED, [RED_M], "credit_card_1", "Non-delivered order cannot be returned"),
        (DELIVERED, [RED_M], "credit_card_3", "Payment method not found"),
        (DELIVERED, [RED_M], "credit_card_1", "Payment method should be the original payment method"),
        (DELIVERED, [RED_M, RED_M, RED_M], "paypal_1", "Some item not found"),
        (DELIVERED, [FLOOR], "paypal_1", "Some item not found"),
        # two failures: the first in SEMANTICS' order wins
        (PENDING, [FLOOR], "nope", "Non-delivered order cannot be returned"),
        (DELIVERED, [FLOOR], "nope", "Payment method not found"),
        (DELIVERED, [FLOOR], "credit_card_1", "Payment method should be the original payment method"),
    ],
)
def test_return_refusals_in_order(order_id, item_ids, method, message):
    """Status 'delivered', then the method in the profile, then original-or-gift-card, then the item counts."""
    assert_refused(retail_state(), "return_delivered_order_items", message, order_id=order_id, item_ids=item_ids, payment_method_id=method)


def test_failed_call_after_a_successful_one_keeps_the_first_change():
    """A call that fails after editing a record already changed by an earlier call restores the earlier change."""
    state = retail_state()
    assert run(state, "modify_pending_order_address", order_id=PAID_GONE, **NEW_ADDRESS).ok
    after_first = snapshot(state)
    outcome = run(state, "modify_pending_order_payment", order_id=PAID_GONE, payment_method_id="gift_card_2")
    assert (outcome.ok, outcome.error) == (False, "Payment method not found")
    assert state.changes() == after_first


# --- Toolkit.execute -------------------------------------------------------------------------


def test_unknown_tool_is_reported_as_such():
    """A name that is not a tool gives error_kind unknown_tool and changes nothing."""
    state = retail_state()
    outcome = TOOLKIT.execute(state, "refund_everything", {})
    assert (outcome.ok, outcome.error_kind, outcome.mutates_state) == (False, "unknown_tool", False)
    assert "refund_everything" in outcome.error and state.changes() == {}


@pytest.mark.parametrize("arguments", ['{"email": "john.roe@example.com"}', ' {"email": "JOHN.ROE@example.com"} '])
def test_arguments_may_be_a_json_string(arguments):
    """Arguments given as a JSON object text are parsed and used."""
    outcome = TOOLKIT.execute(retail_state(), "find_user_id_by_email", arguments)
    assert (outcome.ok, outcome.content, outcome.result) == (True, "john_roe_3", "john_roe_3")


@pytest.mark.parametrize("arguments", [None, "", "  ", {}])
def test_no_arguments_in_any_form_suits_a_tool_without_arguments(arguments):
    """None, an empty string and an empty object all mean 'no arguments'."""
    assert TOOLKIT.execute(retail_state(), "list_all_product_types", arguments).ok


@pytest.mark.parametrize(
    "name, arguments, named",
    [
        ("find_user_id_by_email", '{"email": ', "not valid JSON"),
        ("find_user_id_by_email", "email=a@b.c", "not valid JSON"),
        ("find_user_id_by_email", '["a@b.c"]', "expected a JSON object"),
        ("find_user_id_by_email", ["a@b.c"], "expected a JSON object"),
        ("find_user_id_by_email", 42, "expected a JSON object"),
        ("find_user_id_by_email", "null", "email"),
        ("find_user_id_by_email", {}, "email"),
        ("find_user_id_by_email", {"email": "a@b.c", "phone": "555"}, "phone"),
        ("find_user_id_by_email", {"email": 123}, "email"),
        ("find_user_id_by_email", {"email": None}, "email"),
        ("cancel_pending_order", {"order_id": PENDING}, "reason"),
        ("cancel_pending_order", {"order_id": [PENDING], "reason": "no longer needed"}, "order_id"),
        ("return_delivered_order_items", {"order_id": DELIVERED, "item_ids": RED_M, "payment_method_id": "paypal_1"}, "item_ids"),
        ("return_delivered_order_items", {"order_id": DELIVERED, "item_ids": [1], "payment_method_id": "paypal_1"}, "item_ids.0"),
        ("list_all_product_types", {"anything": 1}, "anything"),
    ],
)
def test_bad_arguments_are_invalid_arguments_naming_the_problem(name, arguments, named):
    """Unparsable, non-object, missing, extra and mistyped arguments give invalid_arguments naming the culprit."""
    state = retail_state()
    outcome = TOOLKIT.execute(state, name, arguments)
    assert (outcome.ok, outcome.error_kind) == (False, "invalid_arguments")
    assert named in outcome.error and outcome.content.startswith(f"Error: Invalid arguments for {name}")
    assert state.changes() == {}


@pytest.mark.parametrize(
    "name, arguments",
    [
        (None, {}),
        (123, {}),
        (["cancel_pending_order"], {}),
        ("", ""),
        ("cancel_pending_order", b'{"order_id": "#W0000001"}'),
        ("cancel_pending_order", {1: 2}),
        ("cancel_pending_order", "\x00"),
        ("cancel_pending_order", "[" * 100_000),
        ("cancel_pending_order", {"order_id": {"$gt": ""}, "reason": "no longer needed"}),
        ("cancel_pending_order", {"order_id": float("nan"), "reason": float("inf")}),
        ("modify_pending_order_items", {"order_id": PENDING, "item_ids": None, "new_item_ids": [], "payment_method_id": ""}),
        ("modify_pending_order_items", {"order_id": PENDING, "item_ids": [], "new_item_ids": [], "payment_method_id": "credit_card_1"}),
        ("get_item_details", {"item_id": "x" * 100_000}),
        ("calculate", {"expression": "(" * 5000}),
        ("calculate", {"expression": "1" * 5000}),
    ],
)
def test_execute_never_raises(name, arguments):
    """Whatever the name and arguments, execute returns an outcome and a failed call changes nothing."""
    state = retail_state()
    outcome = TOOLKIT.execute(state, name, arguments)
    assert isinstance(outcome.content, str)
    if not outcome.ok:
        assert outcome.content.startswith("Error: ") and state.changes() == {}


# --- schemas against τ²-bench's --------------------------------------------------------------
