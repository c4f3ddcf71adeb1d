"""The seeded retail generator, and the consistency rules of the checker that guard its worlds."""

from __future__ import annotations

import copy
import json
import random
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from domains.retail.check import check
from domains.retail.generate import generate


@pytest.fixture(scope="module")
def world() -> dict[str, Any]:
    return generate(seed=2024, scale=1.0)


@pytest.fixture(scope="module")
def small_world() -> dict[str, Any]:
    return generate(seed=3, scale=0.1)


def orders_with(db: dict[str, Any], status: str) -> list[dict[str, Any]]:
    return [order for order in db["orders"].values() if order["status"] == status]


def all_methods(db: dict[str, Any]) -> list[dict[str, Any]]:
    return [method for user in db["users"].values() for method in user["payment_methods"].values()]


# the generator's contract


@pytest.mark.parametrize("scale", [0.1, 1.0])
@pytest.mark.parametrize("seed", [0, 1, 99])
def test_generated_world_checks_clean(seed: int, scale: float) -> None:
    """Every generated world passes the full checker: schema, references and status rules."""
    assert check(generate(seed, scale)) == []


@pytest.mark.parametrize("scale", [0.1, 1.0])
def test_same_seed_gives_same_bytes(scale: float) -> None:
    """The same seed and scale give byte-identical JSON."""
    assert json.dumps(generate(42, scale), indent=4) == json.dumps(generate(42, scale), indent=4)


def test_different_seeds_give_different_worlds() -> None:
    """Two seeds give two different worlds."""
    assert json.dumps(generate(1, 0.1)) != json.dumps(generate(2, 0.1))


def test_generator_leaves_global_random_alone() -> None:
    """Generating draws only from its own seeded stream, never from the global `random`."""
    before = random.getstate()
    generate(8, 0.1)
    assert random.getstate() == before


@pytest.mark.parametrize(("scale", "users", "orders"), [(0.1, 50, 100), (1.0, 500, 1000), (2.0, 1000, 2000)])
def test_scale_multiplies_users_and_orders(scale: float, users: int, orders: int) -> None:
    """`scale` multiplies users and orders; the catalog stays 50 products."""
    db = generate(5, scale)
    assert (len(db["products"]), len(db["users"]), len(db["orders"])) == (50, users, orders)
    assert db["meta"] == {"generator": "cove", "seed": 5, "scale": scale}


@pytest.mark.parametrize("scale", [0, -1.0])
def test_non_positive_scale_is_refused(scale: float) -> None:
    """A scale that is not positive is a ValueError."""
    with pytest.raises(ValueError, match="scale"):
        generate(1, scale)


def test_catalog_has_tau2_size_and_shape(world: dict[str, Any]) -> None:
    """About 600 variants, about 65% in stock, 3-4 option keys per product, prices with cents."""
    variants = [variant for product in world["products"].values() for variant in product["variants"].values()]
    assert 520 <= len(variants) <= 700
    assert 0.55 <= sum(variant["available"] for variant in variants) / len(variants) <= 0.75
    for product in world["products"].values():
        option_keys = {tuple(variant["options"]) for variant in product["variants"].values()}
        assert len(option_keys) == 1 and 3 <= len(next(iter(option_keys))) <= 4
        assert sum(variant["available"] for variant in product["variants"].values()) >= 2
    assert all(round(variant["price"], 2) == variant["price"] > 0 for variant in variants)
    assert len({product["name"] for product in world["products"].values()}) == 50


def test_status_mix_resembles_tau2(world: dict[str, Any]) -> None:
    """Roughly 42% pending, 37% delivered, 10% processed and 10% cancelled orders."""
    shares = Counter(order["status"] for order in world["orders"].values())
    total = len(world["orders"])
    for status, share in {"pending": 0.42, "delivered": 0.37, "processed": 0.10, "cancelled": 0.10}.items():
        assert abs(shares[status] / total - share) < 0.06, status


def test_ids_have_their_formats_and_are_unique(world: dict[str, Any]) -> None:
    """Order, payment-method, tracking, user ids and emails follow their formats and never repeat."""
    assert all(re.fullmatch(r"#W\d{7}", order_id) for order_id in world["orders"])
    method_ids = [method["id"] for method in all_methods(world)]
    assert len(method_ids) == len(set(method_ids))
    assert all(re.fullmatch(r"(credit_card|paypal|gift_card)_\d{7}", method_id) for method_id in method_ids)
    tracking = [t for order in world["orders"].values() for f in order["fulfillments"] for t in f["tracking_id"]]
    assert all(re.fullmatch(r"\d{12}", t) for t in tracking) and len(tracking) == len(set(tracking))
    for user_id, user in world["users"].items():
        first, last = user["name"]["first_name"].lower(), user["name"]["last_name"].lower()
        assert re.fullmatch(rf"{first}_{last}_\d{{4}}", user_id)
        assert re.fullmatch(rf"{first}\.{last}\d{{4}}@example\.com", user["email"])
    assert len({user["email"] for user in world["users"].values()}) == len(world["users"])


def test_payment_methods_mix_and_balances(world: dict[str, Any]) -> None:
    """All three sources and four card brands occur; gift card balances are 0-150 with cents."""
    methods = all_methods(world)
    assert {method["source"] for method in methods} == {"credit_card", "paypal", "gift_card"}
    assert {m["brand"] for m in methods if m["source"] == "credit_card"} == {"visa", "mastercard", "amex", "discover"}
    balances = [method["balance"] for method in methods if method["source"] == "gift_card"]
    assert all(0 <= balance <= 150 and round(balance, 2) == balance for balance in balances)


def test_orders_reference_real_variants_at_their_price(world: dict[str, Any]) -> None:
    """Each item copies a real variant's name, price and options; the payment is the rounded total."""
    for order in world["orders"].values():
        assert 1 <= len(order["items"]) <= 5
        for item in order["items"]:
            product = world["products"][item["product_id"]]
            variant = product["variants"][item["item_id"]]
            assert (item["name"], item["price"], item["options"]) == (product["name"], variant["price"],
                                                                      variant["options"])
        total = round(sum(item["price"] for item in order["items"]), 2)
        assert order["payment_history"][0] == {"transaction_type": "payment", "amount": total,
                                               "payment_method_id": order["payment_history"][0]["payment_method_id"]}
        assert order["payment_history"][0]["payment_method_id"] in world["users"][order["user_id"]]["payment_methods"]


def test_status_decides_fulfilments_and_payments(world: dict[str, Any]) -> None:
    """Pending: one payment, nothing shipped; processed/delivered: all items shipped; cancelled: refunded."""
    for order in orders_with(world, "pending"):
        assert order["fulfillments"] == [] and len(order["payment_history"]) == 1
    for order in orders_with(world, "processed") + orders_with(world, "delivered"):
        shipped = [item_id for fulfillment in order["fulfillments"] for item_id in fulfillment["item_ids"]]
        assert Counter(shipped) == Counter(item["item_id"] for item in order["items"])
    for order in orders_with(world, "cancelled"):
        payment, refund = order["payment_history"]
        assert refund == {**payment, "transaction_type": "refund"}
        assert order["cancel_reason"] in ("no longer needed", "ordered by mistake")


def test_people_are_ambiguous_but_findable(world: dict[str, Any]) -> None:
    """Names and zips repeat across users, yet name + zip and email each identify one user."""
    users = list(world["users"].values())
    firsts = Counter(user["name"]["first_name"] for user in users)
    zips = Counter(user["address"]["zip"] for user in users)
    assert max(firsts.values()) > 1 and max(zips.values()) > 1
    keys = [(u["name"]["first_name"].lower(), u["name"]["last_name"].lower(), u["address"]["zip"]) for u in users]
    assert len(keys) == len(set(keys))
    assert any(user["address"]["address2"] for user in users) and any(not u["address"]["address2"] for u in users)
    assert all(re.fullmatch(r"\d{5}", user["address"]["zip"]) for user in users)


# the checker's consistency rules


def _first_order(db: dict[str, Any], status: str | None = None) -> tuple[str, dict[str, Any]]:
    return next((key, order) for key, order in db["orders"].items() if status in (None, order["status"]))


def dangling_user(db: dict[str, Any]) -> str:
    order_id, order = _first_order(db)
    order["user_id"] = "nobody_1234"
    return f"orders/{order_id}/user_id"


def unlisted_order(db: dict[str, Any]) -> str:
    order_id, order = _first_order(db)
    db["users"][order["user_id"]]["orders"].remove(order_id)
    return f"orders/{order_id}/user_id"


def dangling_user_order(db: dict[str, Any]) -> str:
    user_id, user = next((key, user) for key, user in db["users"].items() if user["orders"])
    user["orders"][0] = "#W0000000"
    return f"users/{user_id}/orders[0]"


def order_of_another_user(db: dict[str, Any]) -> str:
    users = [(key, user) for key, user in db["users"].items()]
    (owner_id, owner), (other_id, other) = next((a, b) for a, b in zip(users, users[1:]) if a[1]["orders"])
    other["orders"].append(owner["orders"][0])
    return f"users/{other_id}/orders[{len(other['orders']) - 1}]"


def dangling_item(db: dict[str, Any]) -> str:
    order_id, order = _first_order(db)
    order["items"][0]["item_id"] = "0000000000"
    return f"orders/{order_id}/items[0].item_id"


def dangling_product(db: dict[str, Any]) -> str:
    order_id, order = _first_order(db)
    order["items"][0]["product_id"] = "0000000000"
    return f"orders/{order_id}/items[0].product_id"


def renamed_item(db: dict[str, Any]) -> str:
    order_id, order = _first_order(db)
    order["items"][0]["name"] = "Mystery Box"
    return f"orders/{order_id}/items[0].name"


def foreign_payment_method(db: dict[str, Any]) -> str:
    order_id, order = _first_order(db)
    order["payment_history"][0]["payment_method_id"] = "paypal_0000000"
    return f"orders/{order_id}/payment_history[0].payment_method_id"


def mismatched_key(db: dict[str, Any]) -> str:
    order_id, order = _first_order(db)
    order["order_id"] = "#W9999999"
    return f"orders/{order_id}/order_id"


def negative_balance(db: dict[str, Any]) -> str:
    user_id, method_id = next((uid, m["id"]) for uid, u in db["users"].items()
                              for m in u["payment_methods"].values() if m["source"] == "gift_card")
    db["users"][user_id]["payment_methods"][method_id]["balance"] = -0.01
    return f"users/{user_id}/payment_methods/{method_id}/balance"


def shipped_pending(db: dict[str, Any]) -> str:
    order_id, order = _first_order(db, "pending")
    order["fulfillments"] = [{"tracking_id": ["123456789012"], "item_ids": [order["items"][0]["item_id"]]}]
    return f"orders/{order_id}/fulfillments"


def unshipped_delivered(db: dict[str, Any]) -> str:
    order_id, order = _first_order(db, "delivered")
    order["fulfillments"] = []
    return f"orders/{order_id}/fulfillments"


def unrefunded_cancel(db: dict[str, Any]) -> str:
    order_id, order = _first_order(db, "cancelled")
    order["payment_history"] = order["payment_history"][:1]
    return f"orders/{order_id}/payment_history"


def shipped_stranger(db: dict[str, Any]) -> str:
    order_id, order = _first_order(db, "delivered")
    order["fulfillments"][0]["item_ids"].append("0000000000")
    return f"orders/{order_id}/fulfillments[0].item_ids[{len(order['fulfillments'][0]['item_ids']) - 1}]"


@pytest.mark.parametrize(
    ("corrupt", "message"),
    [
        (dangling_user, "user nobody_1234 does not exist"),
        (unlisted_order, "does not list this order"),
        (dangling_user_order, "order #W0000000 does not exist"),
        (order_of_another_user, "belongs to user"),
        (dangling_item, "item 0000000000 is not a variant of product"),
        (dangling_product, "product 0000000000 does not exist"),
        (renamed_item, "name 'Mystery Box' differs"),
        (foreign_payment_method, "paypal_0000000 is not one of user"),
        (mismatched_key, "differs from its key"),
        (negative_balance, "gift card balance is negative"),
        (shipped_pending, "cannot have fulfillments"),
        (unshipped_delivered, "must have at least one fulfillment"),
        (unrefunded_cancel, "must have a refund"),
        (shipped_stranger, "not one of this order's items"),
    ],
    ids=lambda value: value.__name__ if callable(value) else None,
)
def test_consistency_problem_names_what_and_where(
    small_world: dict[str, Any], corrupt: Callable[[dict[str, Any]], str], message: str
) -> None:
    """Breaking one reference or status rule yields a problem at that place saying what is wrong."""
    db = copy.deepcopy(small_world)
    where = corrupt(db)
    problems = check(db)
    assert any(problem.where == where and message in problem.message for problem in problems), problems
