"""Our seeded airline sandbox: deterministic, τ²-bench-shaped, internally consistent, policy-rich."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from domains.airline.check import check
from domains.airline.generate import AIRPORTS, DEFAULT_NOW, FREE_BAGS, generate
from domains.airline.models import AirlineDB, Meta
from domains.sidecar import split_meta

SEEDS = (0, 1, 2)
SCALES = (0.1, 1.0)


def _tau2_dir() -> Path:
    """../shared/tau2 beside the checkout; the test is skipped when it is not there."""
    folder = Path(__file__).resolve().parents[2] / "shared" / "tau2"
    if not (folder / "airline" / "db.json").is_file():
        pytest.skip(f"../shared/tau2 not found: no airline/db.json under {folder}")
    return folder


@cache
def _world(seed: int, scale: float, now: str | None = None) -> dict[str, Any]:
    """A generated database, built once per argument set; tests must not change it."""
    return generate(seed, scale, now)


def _legs(db: dict[str, Any]):
    for reservation in db["reservations"].values():
        for leg in reservation["flights"]:
            yield reservation, leg, db["flights"][leg["flight_number"]]["dates"][leg["date"]]


def _minutes(clock: str) -> int:
    hours, minutes, _ = clock.removesuffix("+1").split(":")
    return int(hours) * 60 + int(minutes) + (24 * 60 if clock.endswith("+1") else 0)


# --- determinism and size ------------------------------------------------------------------------


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("seed", SEEDS)
def test_generated_world_checks_clean(seed: int, scale: float) -> None:
    """Every rule of the checker, clock rules included, holds on generated worlds."""
    assert check(_world(seed, scale)) == []


@pytest.mark.parametrize("now", ["2025-01-01T00:20:00", "2026-07-04T23:50:00", "2024-02-29T12:00:00"])
def test_any_clock_time_gives_a_consistent_world(now: str) -> None:
    """Just after midnight, late at night or on a leap day, flight statuses still fit the clock."""
    db = generate(4, 0.1, now)
    assert db["meta"]["now"] == now
    assert check(db) == []


def test_same_seed_gives_the_same_bytes() -> None:
    """Two calls with the same arguments produce byte-identical indented JSON."""
    assert json.dumps(generate(9, 0.1), indent=4) == json.dumps(generate(9, 0.1), indent=4)


def test_same_bytes_in_another_process_with_another_hash_seed() -> None:
    """No set iteration or other per-process state leaks in: a fresh interpreter writes the same bytes."""
    script = "import json, sys; from domains.airline.generate import generate; " \
             "sys.stdout.write(json.dumps(generate(9, 0.1), indent=4))"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    root = Path(__file__).resolve().parents[1]
    output = subprocess.run([sys.executable, "-c", script], cwd=root, env=env, capture_output=True, check=True)
    assert output.stdout.decode() == json.dumps(generate(9, 0.1), indent=4)


def test_different_seeds_give_different_worlds() -> None:
    """Another seed changes the routes, the people and the bookings."""
    first, second = _world(0, 0.1), _world(1, 0.1)
    assert list(first["users"]) != list(second["users"])
    assert first["flights"] != second["flights"]
    assert list(first["reservations"]) != list(second["reservations"])


def test_scale_one_is_about_tau2_size_and_scale_changes_counts() -> None:
    """Scale 1 gives ~300 flights, 500 users and 2,000 reservations; scale 0.1 fewer of each."""
    big, small = _world(0, 1.0), _world(0, 0.1)
    assert (len(big["flights"]), len(big["users"]), len(big["reservations"])) == (300, 500, 2000)
    assert (len(small["users"]), len(small["reservations"])) == (50, 200)
    assert 20 <= len(small["flights"]) < len(big["flights"])


def test_meta_records_the_arguments_and_the_default_now() -> None:
    """meta names the generator, seed, scale and a now that is not τ²-bench's date."""
    assert _world(2, 0.1)["meta"] == {"generator": "cove", "seed": 2, "scale": 0.1, "now": DEFAULT_NOW}
    assert not DEFAULT_NOW.startswith("2024-05")


@pytest.mark.parametrize(("scale", "now"), [(0, None), (-1.0, None), (1.0, "2025-03-12T10:00:00+01:00")])
def test_bad_arguments_are_refused(scale: float, now: str | None) -> None:
    """A non-positive scale or a zoned now is a ValueError, not a strange world."""
    with pytest.raises(ValueError):
        generate(0, scale, now)


def test_generated_world_loads_through_the_models() -> None:
    """The models load a generated world's tables and dump them back unchanged, and its meta as a sidecar's."""
    tables, meta = split_meta(_world(1, 0.1))
    assert AirlineDB.model_validate(tables, strict=True).model_dump(mode="json", exclude_unset=True) == tables
    assert Meta.model_validate(meta, strict=True).model_dump() == meta


@pytest.mark.tau2
def test_same_airports_as_tau2() -> None:
    """The generator's 20 airports are τ²-bench's 20."""
    tau2 = json.loads((_tau2_dir() / "airline" / "db.json").read_text(encoding="utf-8"))
    assert set(AIRPORTS) == {flight["origin"] for flight in tau2["flights"].values()}


# --- flights -------------------------------------------------------------------------------------


def test_route_network_shape() -> None:
    """An ordered pair has at most two flights, most routes run both ways, and some arrive '+1'."""
    flights = _world(0, 1.0)["flights"]
    pairs = Counter((f["origin"], f["destination"]) for f in flights.values())
    assert max(pairs.values()) <= 2
    assert sum((b, a) in pairs for a, b in pairs) > 0.7 * len(pairs)
    assert list(flights) == [f"HAT{n:03d}" for n in range(1, len(flights) + 1)]
    assert any(f["scheduled_arrival_time_est"].endswith("+1") for f in flights.values())


def test_date_statuses_follow_now() -> None:
    """30 dates around now: past landed or cancelled, today mixed by clock time, future on sale."""
    db = _world(0, 1.0)
    now = datetime.fromisoformat(db["meta"]["now"])
    today = now.date().isoformat()
    by_period: dict[str, Counter] = {"past": Counter(), "today": Counter(), "future": Counter()}
    for flight in db["flights"].values():
        assert len(flight["dates"]) == 30
        for day, status in flight["dates"].items():
            period = "past" if day < today else "today" if day == today else "future"
            by_period[period][status["status"]] += 1
    assert set(by_period["past"]) == {"landed", "cancelled"}
    assert by_period["past"]["cancelled"] < 0.1 * by_period["past"]["landed"]
    assert set(by_period["today"]) == {"landed", "flying", "on time", "delayed", "cancelled"}
    assert set(by_period["future"]) <= {"available", "cancelled"}
    assert by_period["future"]["available"] > 0.9 * sum(by_period["future"].values())


def test_fares_rise_with_cabin_and_are_integers() -> None:
    """Every on-sale date prices basic economy < economy < business, as integers, with seat counts."""
    for flight in _world(1, 1.0)["flights"].values():
        for status in flight["dates"].values():
            if status["status"] == "available":
                prices = status["prices"]
                assert all(isinstance(p, int) for p in prices.values())
                assert 0 < prices["basic_economy"] < prices["economy"] < prices["business"]
                assert all(0 <= seats <= 20 for seats in status["available_seats"].values())


# --- users ---------------------------------------------------------------------------------------


def test_user_ids_and_payment_methods() -> None:
    """User ids look like first_last_1234; method ids are unique 7-digit numbers, never the tool-made ones."""
    db = _world(2, 1.0)
    numbers = []
    for user_id, user in db["users"].items():
        first, last = user["name"]["first_name"].lower(), user["name"]["last_name"].lower()
        assert re.fullmatch(rf"{first}_{last}_\d{{4}}", user_id)
        assert 1 <= len(user["payment_methods"]) <= 4 and 0 <= len(user["saved_passengers"]) <= 3
        assert any(m["source"] in ("credit_card", "gift_card") for m in user["payment_methods"].values())
        for method_id, method in user["payment_methods"].items():
            assert re.fullmatch(rf"{method['source']}_\d{{7}}", method_id)
            numbers.append(method_id.rsplit("_", 1)[1])
            if method["source"] != "credit_card":
                assert isinstance(method["amount"], float) and method["amount"] >= 0
    assert len(numbers) == len(set(numbers))
    assert not {"3221322", "3221323", "3221324"} & set(numbers)
    assert set(Counter(u["membership"] for u in db["users"].values())) == {"regular", "silver", "gold"}


# --- reservations --------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_every_reference_resolves(seed: int) -> None:
    """Users and reservations point at each other, legs at real flight dates, payments at the user's cards."""
    db = _world(seed, 1.0)
    for reservation_id, reservation in db["reservations"].items():
        user = db["users"][reservation["user_id"]]
        assert reservation_id in user["reservations"]
        assert all(p["payment_id"] in user["payment_methods"] for p in reservation["payment_history"])
    for user_id, user in db["users"].items():
        assert all(db["reservations"][r]["user_id"] == user_id for r in user["reservations"])
    for reservation, leg, status in _legs(db):
        flight = db["flights"][leg["flight_number"]]
        assert (leg["origin"], leg["destination"]) == (flight["origin"], flight["destination"])


def test_reservation_ids_avoid_those_the_booking_tool_creates() -> None:
    """Ids are 6 upper-case letters or digits and never HATHAT, HATHAU or HATHAV."""
    ids = list(_world(0, 1.0)["reservations"])
    assert all(re.fullmatch(r"[A-Z0-9]{6}", rid) for rid in ids)
    assert not {"HATHAT", "HATHAU", "HATHAV"} & set(ids)


@pytest.mark.parametrize("seed", SEEDS)
def test_itineraries_connect(seed: int) -> None:
    """Legs chain airport to airport, connections leave 45+ min after landing, trips match their type."""
    db = _world(seed, 1.0)
    for reservation in db["reservations"].values():
        legs = reservation["flights"]
        assert legs[0]["origin"] == reservation["origin"] and 1 <= len(legs) <= 4
        end = reservation["origin"] if reservation["flight_type"] == "round_trip" else reservation["destination"]
        assert legs[-1]["destination"] == end
        for before, after in zip(legs, legs[1:]):
            assert before["destination"] == after["origin"]
            scheduled = db["flights"][before["flight_number"]]["scheduled_arrival_time_est"]
            landed = datetime.fromisoformat(before["date"]) + timedelta(minutes=_minutes(scheduled))
            departure = db["flights"][after["flight_number"]]["scheduled_departure_time_est"]
            leaves = datetime.fromisoformat(after["date"]) + timedelta(minutes=_minutes(departure))
            assert leaves - landed >= timedelta(minutes=45)


@pytest.mark.parametrize("seed", SEEDS)
def test_prices_payments_and_bags_add_up(seed: int) -> None:
    """One payment of Σ price × passengers + insurance + non-free bags, bags above the allowance being non-free."""
    db = _world(seed, 1.0)
    for reservation, leg, status in _legs(db):
        if status["status"] == "available":
            assert leg["price"] == status["prices"][reservation["cabin"]]
        assert isinstance(leg["price"], int) and leg["price"] > 0
    for reservation in db["reservations"].values():
        passengers = len(reservation["passengers"])
        membership = db["users"][reservation["user_id"]]["membership"]
        allowance = FREE_BAGS[membership][reservation["cabin"]] * passengers
        assert reservation["nonfree_baggages"] == max(0, reservation["total_baggages"] - allowance)
        expected = (
            sum(leg["price"] for leg in reservation["flights"]) * passengers
            + (30 * passengers if reservation["insurance"] == "yes" else 0)
            + 50 * reservation["nonfree_baggages"]
        )
        assert [p["amount"] for p in reservation["payment_history"]] == [expected]


def test_bookings_are_made_before_their_flights_within_15_days() -> None:
    """created_at lies in the 15 days before now and before the first leg departs."""
    db = _world(1, 1.0)
    now = datetime.fromisoformat(db["meta"]["now"])
    for reservation in db["reservations"].values():
        created = datetime.fromisoformat(reservation["created_at"])
        first = reservation["flights"][0]
        departs = db["flights"][first["flight_number"]]["scheduled_departure_time_est"]
        assert now - timedelta(days=15) <= created < now
        assert created < datetime.fromisoformat(first["date"]) + timedelta(minutes=_minutes(departs))


def test_mixes_look_like_tau2() -> None:
    """Cabins, trip types, insurance, passenger counts and the user flying all vary as in τ²-bench."""
    reservations = list(_world(0, 1.0)["reservations"].values())
    users = _world(0, 1.0)["users"]
    assert set(Counter(r["cabin"] for r in reservations)) == {"basic_economy", "economy", "business"}
    assert 0.35 < sum(r["flight_type"] == "round_trip" for r in reservations) / len(reservations) < 0.6
    assert 0.4 < sum(r["insurance"] == "yes" for r in reservations) / len(reservations) < 0.6
    assert {len(r["passengers"]) for r in reservations} == {1, 2, 3, 4}
    user_flies = sum({**users[r["user_id"]]["name"], "dob": users[r["user_id"]]["dob"]} in r["passengers"]
                     for r in reservations)
    assert 0.6 < user_flies / len(reservations) < 0.95


@pytest.mark.parametrize("seed", SEEDS)
def test_policy_cases_exist(seed: int) -> None:
    """Some trips are partly flown, some ride a flight delayed or cancelled today, some one cancelled later."""
    db = _world(seed, 1.0)
    today = db["meta"]["now"][:10]
    partly_flown = sum(
        any(leg["date"] < today for leg in r["flights"]) and any(leg["date"] > today for leg in r["flights"])
        for r in db["reservations"].values()
    )
    disrupted_today = Counter(status["status"] for _, leg, status in _legs(db) if leg["date"] == today)
    cancelled_later = sum(status["status"] == "cancelled" for _, leg, status in _legs(db) if leg["date"] > today)
    assert partly_flown >= 20
    assert disrupted_today["delayed"] >= 3 and disrupted_today["cancelled"] >= 1
    assert cancelled_later >= 3


def test_balances_are_never_negative() -> None:
    """Gift cards, certificates and seat counts are never below zero in any generated world."""
    for seed in SEEDS:
        db = _world(seed, 1.0)
        for user in db["users"].values():
            assert all(m.get("amount", 0) >= 0 for m in user["payment_methods"].values())
        for flight in db["flights"].values():
            for status in flight["dates"].values():
                assert all(seats >= 0 for seats in status.get("available_seats", {}).values())
