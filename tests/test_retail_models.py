"""The retail data model and the schema half of its checker: τ²-bench's file, ours, and broken ones."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from domains.problems import Problem
from domains.retail.check import check, check_file, format_location
from domains.retail.generate import generate
from domains.retail.models import CreditCard, GeneratorMeta, GiftCard, Order, Paypal, RetailDB, User
from domains.sidecar import sidecar_path, split_meta

TAU2_RETAIL_HASH = "b25c9cb211f5efcaee5dd646054a73c4a9f43f4f5acc32c10713cd9f9ac20e9c"


def tau2_style_hash(db: RetailDB) -> str:
    """τ²-bench's database hash: sha256 of the sorted-key JSON of a full `model_dump()`."""
    return hashlib.sha256(json.dumps(db.model_dump(), sort_keys=True, default=str).encode()).hexdigest()


@pytest.fixture(scope="module")
def tau2_retail(tau2_dir: Path) -> dict[str, Any]:
    return json.loads((tau2_dir / "retail" / "db.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def small_db() -> dict[str, Any]:
    return generate(seed=11, scale=0.1)


@pytest.fixture
def db(small_db: dict[str, Any]) -> dict[str, Any]:
    """A private copy of a small generated database, for a test to break."""
    return copy.deepcopy(small_db)


def first(table: dict[str, Any]) -> tuple[str, Any]:
    return next(iter(table.items()))


# round trips


@pytest.mark.tau2
def test_tau2_db_round_trips(tau2_retail: dict[str, Any]) -> None:
    """Loading τ²-bench's retail db.json and dumping it again gives the same JSON content."""
    assert RetailDB.model_validate(tau2_retail).model_dump(mode="json", exclude_unset=True) == tau2_retail


@pytest.mark.tau2
def test_tau2_db_hash_equals_tau2_bench_hash(tau2_retail: dict[str, Any]) -> None:
    """Our model has exactly τ²-bench's fields and defaults: its hash of the initial retail DB comes out."""
    assert tau2_style_hash(RetailDB.model_validate(tau2_retail)) == TAU2_RETAIL_HASH


@pytest.mark.tau2
def test_check_accepts_tau2_db(tau2_dir: Path) -> None:
    """τ²-bench's own retail db.json passes every schema and consistency rule."""
    assert check_file(tau2_dir / "retail" / "db.json") == []


@pytest.mark.parametrize("seed", [0, 5])
def test_generated_db_round_trips(seed: int) -> None:
    """A generated database's tables survive load and dump unchanged; its meta is a valid sidecar."""
    tables, meta = split_meta(generate(seed, scale=0.1))
    assert RetailDB.model_validate(tables).model_dump(mode="json", exclude_unset=True) == tables
    assert GeneratorMeta.model_validate(meta).model_dump() == meta


def test_the_model_has_exactly_tau2s_tables(small_db: dict[str, Any]) -> None:
    """Like τ²-bench's, the model refuses a top-level `meta`: a full dump has the three tables and nothing else."""
    tables, meta = split_meta(small_db)
    assert set(RetailDB.model_validate(tables).model_dump()) == {"products", "users", "orders"}
    with pytest.raises(ValidationError, match="meta"):
        RetailDB.model_validate({**tables, "meta": meta})


def test_unset_order_fields_are_none_and_left_out_of_json(small_db: dict[str, Any]) -> None:
    """Optional order fields default to None: present in a full dump, absent from the JSON form."""
    order = Order.model_validate(first(small_db["orders"])[1])
    assert order.model_dump()["return_items"] is None
    assert "return_items" not in order.model_dump(mode="json", exclude_unset=True)


@pytest.mark.parametrize(
    ("method", "model"),
    [
        ({"source": "credit_card", "id": "credit_card_1", "brand": "visa", "last_four": "1234"}, CreditCard),
        ({"source": "paypal", "id": "paypal_1"}, Paypal),
        ({"source": "gift_card", "id": "gift_card_1", "balance": 12.5}, GiftCard),
    ],
)
def test_payment_method_type_follows_source(method: dict[str, Any], model: type) -> None:
    """A payment method becomes the model its `source` names."""
    user = {"user_id": "u", "name": {"first_name": "A", "last_name": "B"},
            "address": {"address1": "1 A St", "address2": "", "city": "C", "country": "USA", "state": "S",
                        "zip": "00000"},
            "email": "a@example.com", "payment_methods": {method["id"]: method}, "orders": []}
    assert isinstance(User.model_validate(user).payment_methods[method["id"]], model)


# schema problems


@pytest.mark.parametrize(
    ("loc", "expected"),
    [
        (("orders", "#W1", "items", 2, "price"), "orders/#W1/items[2].price"),
        (("users", "u", "payment_methods", "gift_card_1", "gift_card", "balance"),
         "users/u/payment_methods/gift_card_1/balance"),
        (("orders", "#W1", "items", 0, "options", "color"), "orders/#W1/items[0].options/color"),
        (("users", "u", "name", "first_name"), "users/u/name.first_name"),
        (("products",), "products"),
    ],
)
def test_locations_read_as_paths(loc: tuple[str | int, ...], expected: str) -> None:
    """A pydantic error location reads as a path: `/` before keys and record fields, `.` into nested fields."""
    assert format_location(loc) == expected


def _break_item_price(db: dict[str, Any], value: Any = None, delete: bool = False) -> str:
    order_id, order = first(db["orders"])
    if delete:
        del order["items"][0]["price"]
    else:
        order["items"][0]["price"] = value
    return f"orders/{order_id}/items[0].price"


def _set_in_first(table: str, path: list[str | int], value: Any) -> Any:
    """A corruption that sets `path` inside the first record of `table`; returns the expected where."""

    def corrupt(db: dict[str, Any]) -> str:
        key, node = first(db[table])
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value
        return format_location((table, key, *path))

    return corrupt


def _first_user_method(db: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    user_id, user = first(db["users"])
    method_id, method = first(user["payment_methods"])
    return user_id, method_id, method


def _drop_source(db: dict[str, Any]) -> str:
    user_id, method_id, method = _first_user_method(db)
    del method["source"]
    return f"users/{user_id}/payment_methods/{method_id}"


def _unknown_source(db: dict[str, Any]) -> str:
    user_id, method_id, method = _first_user_method(db)
    method["source"] = "bitcoin"
    return f"users/{user_id}/payment_methods/{method_id}"


def _drop_table(db: dict[str, Any]) -> str:
    del db["users"]
    return "users"


@pytest.mark.parametrize(
    ("corrupt", "message"),
    [
        (lambda db: _break_item_price(db, delete=True), "required field 'price' is missing"),
        (lambda db: _break_item_price(db, "12.50"), 'valid number, got "12.50"'),
        (lambda db: _break_item_price(db, None), "valid number, got null"),
        (_set_in_first("orders", ["status"], "lost"), 'got "lost"'),
        (_set_in_first("orders", ["surprise"], 1), "unknown field 'surprise'"),
        (_set_in_first("users", ["name", "first_name"], 7), "valid string, got 7"),
        (_set_in_first("users", ["orders"], "#W1"), "valid list"),
        (_set_in_first("orders", ["address", "zip"], 12345), "valid string, got 12345"),
        (_drop_source, "has no 'source'"),
        (_unknown_source, "unknown payment source \"bitcoin\""),
        (_drop_table, "required field 'users' is missing"),
    ],
    ids=["missing-field", "numeric-string", "null-number", "bad-status", "unknown-field", "int-name",
         "orders-not-list", "int-zip", "no-source", "bad-source", "missing-table"],
)
def test_schema_problem_names_what_and_where(db: dict[str, Any], corrupt: Any, message: str) -> None:
    """A schema defect is reported once, at its path, with a message saying what is wrong."""
    where = corrupt(db)
    problems = check(db)
    assert [problem.where for problem in problems] == [where]
    assert message in problems[0].message


@pytest.mark.parametrize("data", [[], "retail", None, 3])
def test_non_object_top_level_is_one_problem(data: Any) -> None:
    """A top level that is not a JSON object is one problem, not an exception."""
    [problem] = check(data)
    assert "JSON object" in problem.message


# files


def test_check_file_accepts_a_written_database(tmp_path: Path, small_db: dict[str, Any]) -> None:
    """A generated database written with indent=4, its meta in the sidecar, checks clean from its files."""
    path = tmp_path / "db.json"
    tables, meta = split_meta(small_db)
    path.write_text(json.dumps(tables, indent=4), encoding="utf-8")
    sidecar_path(path).write_text(json.dumps(meta), encoding="utf-8")
    assert check_file(path) == []


def test_check_file_names_a_meta_inside_the_file(tmp_path: Path, small_db: dict[str, Any]) -> None:
    """A file with its meta inside (as an older cove wrote it) is one problem: τ²-bench would refuse the key."""
    path = tmp_path / "db.json"
    path.write_text(json.dumps(small_db, indent=4), encoding="utf-8")
    [problem] = check_file(path)
    assert problem.where == str(path) and "top-level 'meta'" in problem.message and str(sidecar_path(path)) in problem.message


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read the file"),
        (b'{\n    "products": {,\n}', "invalid JSON at line 2 column 18"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b"[1, 2]", "JSON object"),
    ],
    ids=["missing-file", "bad-json", "not-utf8", "top-level-list"],
)
def test_check_file_reports_unusable_files(tmp_path: Path, content: bytes | None, message: str) -> None:
    """An absent, non-UTF-8, malformed or wrongly shaped file is one Problem with line and column where known."""
    path = tmp_path / "db.json"
    if content is not None:
        path.write_bytes(content)
    [problem] = check_file(path)
    assert isinstance(problem, Problem)
    assert message in problem.message


def test_check_file_on_a_directory_is_a_problem(tmp_path: Path) -> None:
    """Pointing the checker at a directory reports a problem instead of raising."""
    [problem] = check_file(tmp_path)
    assert problem.where == str(tmp_path)
