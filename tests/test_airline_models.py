"""The airline data model and its checker: τ²-bench's file, ours, and deliberately broken ones."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from domains.airline.check import check, check_file, format_location
from domains.airline.generate import generate
from domains.airline.models import AirlineDB, Meta, Reservation
from domains.sidecar import sidecar_path, split_meta

TAU2_AIRLINE_HASH = "7d1714e959830778e6b38d63428b660ef6c9009261f0adaa178adb97bfb469d6"
TAU2_NOW = "2024-05-15T15:00:00"


def _tau2_dir() -> Path:
    """../shared/tau2 beside the checkout; the test is skipped when it is not there."""
    folder = Path(__file__).resolve().parents[2] / "shared" / "tau2"
    if not (folder / "airline" / "db.json").is_file():
        pytest.skip(f"../shared/tau2 not found: no airline/db.json under {folder}")
    return folder


@pytest.fixture(scope="module")
def tau2_airline() -> dict[str, Any]:
    return json.loads((_tau2_dir() / "airline" / "db.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def small_db() -> dict[str, Any]:
    return generate(seed=5, scale=0.1)


@pytest.fixture
def db(small_db: dict[str, Any]) -> dict[str, Any]:
    """A private copy of a small generated database, for a test to break."""
    return copy.deepcopy(small_db)


def _first(table: dict[str, Any]) -> tuple[str, Any]:
    return next(iter(table.items()))


def _booked(db: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The first reservation with at least two legs, so that leg 1 exists to be broken."""
    return next((key, record) for key, record in db["reservations"].items() if len(record["flights"]) >= 2)


# --- round trips and the τ²-bench hash -----------------------------------------------------------


@pytest.mark.tau2
def test_tau2_db_round_trips(tau2_airline: dict[str, Any]) -> None:
    """Loading τ²-bench's airline db.json and dumping it again gives the same JSON content."""
    assert AirlineDB.model_validate(tau2_airline).model_dump(mode="json", exclude_unset=True) == tau2_airline


@pytest.mark.tau2
def test_tau2_db_hash_equals_tau2_bench_hash(tau2_airline: dict[str, Any]) -> None:
    """Our model has τ²-bench's fields and defaults: its hash of the initial airline DB comes out exactly."""
    assert AirlineDB.model_validate(tau2_airline).tau2_hash() == TAU2_AIRLINE_HASH


@pytest.mark.tau2
def test_tau2_db_passes_every_check_rule(tau2_airline: dict[str, Any]) -> None:
    """τ²-bench's own file breaks none of our rules, clock rules included at its fixed now."""
    assert check(tau2_airline, now=TAU2_NOW) == []


def test_generated_db_round_trips(small_db: dict[str, Any]) -> None:
    """Our generated tables dump back to exactly what was loaded, and the meta is a valid sidecar."""
    tables, meta = split_meta(small_db)
    assert AirlineDB.model_validate(tables, strict=True).model_dump(mode="json", exclude_unset=True) == tables
    assert Meta.model_validate(meta, strict=True).model_dump() == meta


def test_the_model_refuses_a_top_level_meta(small_db: dict[str, Any]) -> None:
    """Like τ²-bench's, the model has the three tables and nothing else: a `meta` key is refused."""
    with pytest.raises(ValidationError, match="meta"):
        AirlineDB.model_validate(small_db)


def test_status_defaults_to_none_and_is_not_dumped_when_unset(small_db: dict[str, Any]) -> None:
    """An active reservation has status None in a full dump but no status key in the file."""
    reservation = Reservation.model_validate(_first(small_db["reservations"])[1])
    assert reservation.model_dump()["status"] is None
    assert "status" not in reservation.model_dump(exclude_unset=True)


# --- locations -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("loc", "expected"),
    [
        (("reservations", "4WQ150", "flights", 1, "date"), "reservations/4WQ150/flights[1].date"),
        (("flights", "HAT001", "dates", "2024-05-01", "landed", "actual_arrival_time_est"),
         "flights/HAT001/dates/2024-05-01/actual_arrival_time_est"),
        (("users", "mia_li_3668", "payment_methods", "gift_card_1", "gift_card", "amount"),
         "users/mia_li_3668/payment_methods/gift_card_1/amount"),
        (("flights", "HAT001", "dates", "2024-05-16", "prices", "economy"),
         "flights/HAT001/dates/2024-05-16/prices/economy"),
        (("users", "mia_li_3668", "name", "first_name"), "users/mia_li_3668/name.first_name"),
        (("meta", "now"), "meta/now"),
        ((), "(top level)"),
    ],
)
def test_locations_read_like_paths(loc: tuple, expected: str) -> None:
    """Pydantic locations become `table/key/field[i].field` paths without union tag names."""
    assert format_location(loc) == expected


# --- the checker catches each kind of corruption ------------------------------------------------


def _drop_cabin(db):
    key, record = _booked(db)
    del record["cabin"]
    return f"reservations/{key}/cabin", "required field 'cabin' is missing"


def _string_price(db):
    key, record = _booked(db)
    record["flights"][1]["price"] = "120"
    return f"reservations/{key}/flights[1].price", "valid integer, got '120'"


def _text_balance(db):
    user_id, user = next((k, u) for k, u in db["users"].items()
                         if any(m["source"] == "gift_card" for m in u["payment_methods"].values()))
    method_id = next(k for k, m in user["payment_methods"].items() if m["source"] == "gift_card")
    user["payment_methods"][method_id]["amount"] = "lots"
    return f"users/{user_id}/payment_methods/{method_id}/amount", "valid number, got 'lots'"


def _bad_date_format(db):
    key, record = _booked(db)
    record["flights"][0]["date"] = "12/03/2025"
    return f"reservations/{key}/flights[0].date", "should be a date YYYY-MM-DD"


def _unknown_status(db):
    number, flight = _first(db["flights"])
    day = next(iter(flight["dates"]))
    flight["dates"][day] = {"status": "boarding"}
    return f"flights/{number}/dates/{day}", "unknown status 'boarding'"


def _extra_field(db):
    user_id, user = _first(db["users"])
    user["nickname"] = "Ace"
    return f"users/{user_id}/nickname", "unknown field 'nickname'"


def _dangling_reservation(db):
    user_id, user = _first(db["users"])
    user["reservations"].append("ZZZZZZ")
    return f"users/{user_id}/reservations[{len(user['reservations']) - 1}]", "reservation 'ZZZZZZ' does not exist"


def _unlisted_reservation(db):
    key, record = _booked(db)
    db["users"][record["user_id"]]["reservations"].remove(key)
    return f"reservations/{key}/user_id", f"does not list reservation '{key}'"


def _missing_user(db):
    key, record = _booked(db)
    record["user_id"] = "nobody_0000"
    return f"reservations/{key}/user_id", "user 'nobody_0000' does not exist"


def _unknown_flight(db):
    key, record = _booked(db)
    record["flights"][1]["flight_number"] = "HAT999"
    return f"reservations/{key}/flights[1].flight_number", "flight 'HAT999' does not exist"


def _unknown_date(db):
    key, record = _booked(db)
    record["flights"][1]["date"] = "2031-01-01"
    number = record["flights"][1]["flight_number"]
    return f"reservations/{key}/flights[1].date", f"flight {number} has no date 2031-01-01"


def _wrong_leg_origin(db):
    key, record = _booked(db)
    leg = record["flights"][0]
    leg["origin"] = next(code for code in ("SFO", "JFK") if code != leg["origin"])
    return f"reservations/{key}/flights[0].origin", f"but flight {leg['flight_number']} flies"


def _key_differs_from_id(db):
    number, flight = _first(db["flights"])
    flight["flight_number"] = "HAT777"
    return f"flights/{number}/flight_number", f"'HAT777' differs from its key '{number}'"


def _negative_balance(db):
    user_id, user = next((k, u) for k, u in db["users"].items()
                         if any(m["source"] == "certificate" for m in u["payment_methods"].values()))
    method_id = next(k for k, m in user["payment_methods"].items() if m["source"] == "certificate")
    user["payment_methods"][method_id]["amount"] = -5.0
    return f"users/{user_id}/payment_methods/{method_id}/amount", "negative balance -5.0"


def _six_passengers(db):
    key, record = _booked(db)
    record["passengers"] = [record["passengers"][0]] * 6
    return f"reservations/{key}/passengers", "6 passengers"


def _foreign_payment(db):
    key, record = _booked(db)
    record["payment_history"][0]["payment_id"] = "gift_card_0000001"
    return f"reservations/{key}/payment_history[0].payment_id", "'gift_card_0000001' is not a payment method"


def _leg_before_booking(db):
    key, record = _booked(db)
    record["created_at"] = "2031-01-01T00:00:00"
    return f"reservations/{key}/flights[0].date", "before the reservation was created (2031-01-01)"


def _past_date_on_sale(db):
    number, flight = _first(db["flights"])
    day = next(iter(flight["dates"]))
    flight["dates"][day] = {"status": "available", "available_seats": {"economy": 3}, "prices": {"economy": 90}}
    return f"flights/{number}/dates/{day}/status", "'available' on a past date"


def _unknown_top_level_key(db):
    db["cars"] = {}
    return "cars", "unknown top-level key"


def _missing_table(db):
    del db["users"]
    return "users", "required table is missing"


def _table_not_an_object(db):
    db["flights"] = []
    return "flights", "must be an object keyed by id, got a list"


CORRUPTIONS = [
    _drop_cabin, _string_price, _text_balance, _bad_date_format, _unknown_status, _extra_field,
    _dangling_reservation, _unlisted_reservation, _missing_user, _unknown_flight, _unknown_date,
    _wrong_leg_origin, _key_differs_from_id, _negative_balance, _six_passengers, _foreign_payment,
    _leg_before_booking, _past_date_on_sale, _unknown_top_level_key, _missing_table, _table_not_an_object,
]


@pytest.mark.parametrize("corrupt", CORRUPTIONS, ids=lambda corrupt: corrupt.__name__.strip("_"))
def test_checker_names_what_and_where(db: dict[str, Any], corrupt) -> None:
    """Each corruption of a sound database yields a problem at the broken path whose message says what."""
    assert check(db) == []
    where, what = corrupt(db)
    problems = check(db)
    assert any(p.where == where and what in p.message for p in problems), problems


def test_an_invalid_record_does_not_hide_the_others(db: dict[str, Any]) -> None:
    """A schema error in one reservation and a dangling id in a user are both reported."""
    schema_where, _ = _drop_cabin(db)
    dangling_where, _ = _dangling_reservation(db)
    assert sorted(p.where for p in check(db)) == sorted([schema_where, dangling_where])


def test_a_certificate_consumed_by_a_booking_is_not_a_dangling_payment(db: dict[str, Any]) -> None:
    """τ²-bench deletes a certificate once it pays, so a payment naming a vanished certificate is fine."""
    _, record = _booked(db)
    record["payment_history"].append({"payment_id": "certificate_9999999", "amount": 100})
    assert check(db) == []


def test_explicit_now_overrides_meta_now(small_db: dict[str, Any]) -> None:
    """Checking a world at a later clock reports its flights still on sale as wrong for that clock."""
    later = "2031-01-01T00:00:00"
    problems = check(small_db, now=later)
    assert problems and all(p.message.endswith(f"(now is {later})") for p in problems)


@pytest.mark.parametrize("data", [[], "db", None, 3])
def test_top_level_must_be_an_object(data: Any) -> None:
    """Anything but a JSON object at the top is one problem at the top level, not an exception."""
    [problem] = check(data)
    assert problem.where == "(top level)" and "JSON object" in problem.message


# --- files ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b'{"flights": {},\n "users": {]}', "invalid JSON at line 2 column 12"),
        (b"\xff\xfe{}", "not UTF-8 text"),
        (b"[1, 2]", "got a list"),
    ],
    ids=["bad-json", "not-utf8", "wrong-shape"],
)
def test_check_file_reports_unusable_files(tmp_path: Path, content: bytes, expected: str) -> None:
    """Bad JSON (with line and column), non-UTF-8 bytes and a wrong top level are problems, never raised."""
    path = tmp_path / "db.json"
    path.write_bytes(content)
    problems = check_file(path)
    assert len(problems) == 1 and expected in problems[0].message


def test_check_file_reports_a_missing_file(tmp_path: Path) -> None:
    """A file that cannot be read is one problem naming the file."""
    path = tmp_path / "absent.json"
    [problem] = check_file(path)
    assert problem.where == str(path) and "cannot read" in problem.message


def test_check_file_accepts_a_generated_file(tmp_path: Path, small_db: dict[str, Any]) -> None:
    """A generated database written with indent=4, its meta in the sidecar, checks clean from disk."""
    path = tmp_path / "db.json"
    tables, meta = split_meta(small_db)
    path.write_text(json.dumps(tables, indent=4), encoding="utf-8")
    sidecar_path(path).write_text(json.dumps(meta), encoding="utf-8")
    assert check_file(path) == []


def test_check_file_without_its_sidecar_checks_at_tau2s_clock(tmp_path: Path, small_db: dict[str, Any]) -> None:
    """A generated file whose sidecar is gone is checked at τ²-bench's clock, which its dates do not fit; each problem says so."""
    path = tmp_path / "db.json"
    path.write_text(json.dumps(split_meta(small_db)[0], indent=4), encoding="utf-8")
    problems = check_file(path)
    assert problems and all(p.message.endswith(f"(now is τ²-bench's {TAU2_NOW}: no sidecar gives this database its own)") for p in problems)


@pytest.mark.tau2
def test_tau2_db_passes_at_the_default_clock(tau2_airline: dict[str, Any]) -> None:
    """τ²-bench's own file, which has no sidecar, passes every rule at the default clock, its own fixed now."""
    assert check(tau2_airline) == []
