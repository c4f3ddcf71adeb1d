"""`cove db check` for airline: is a parsed `db.json` well-formed and internally consistent?

`check` takes the database as cove holds it: τ²-bench's tables plus, for a generated one, its sidecar
under `meta`. Two passes. First each record is validated against `models` on its own, strictly (`"120"` is not a
price), so one bad reservation does not hide the others; every pydantic error becomes a `Problem`
whose `where` reads like `reservations/4WQ150/flights[1].date` (a `/` before a record key or a
record's top-level field, a `.` into a nested field, `[i]` for a list position). Then the rules
below run over the records that passed. Each holds on τ²-bench's own airline `db.json` (measured):

- every table key, and every payment-method key, equals the record's own id;
- a reservation's user exists and lists it; a user's reservation ids exist, are listed once and
  belong to that user;
- each leg's flight exists, flies the leg's origin and destination, has the leg's date, and that
  date is not before the reservation was created;
- 1 to 5 passengers; baggage counts are not negative and the non-free bags are part of the total;
- every payment names one of the user's payment methods, except a certificate: τ²-bench's booking
  tool deletes a certificate once it pays, so a later state may name one that is gone;
- gift-card and certificate balances and seat counts are not negative, prices are positive, every
  cabin has seats and a price, and a flight's origin differs from its destination;
- at the clock the tools will use (the `now` argument, else `meta.now`, else τ²-bench's fixed
  2024-05-15T15:00:00): past dates are landed or cancelled, future dates available or cancelled, and
  today's flights landed, flying, on time or delayed as the clock allows (τ²-bench's file passes at
  its fixed now; a generated file passes at its sidecar's `now`, and not without its sidecar).

Rules left out because τ²-bench's file breaks them: a leg costs the flight's current price (3,353
legs do not), and a connection leaves after the previous leg lands (24 connections do not).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from domains.airline.models import (
    CABINS,
    FLIGHT_STATUSES,
    PATTERN_NAMES,
    PAYMENT_SOURCES,
    TABLES,
    Certificate,
    Flight,
    FlightAvailable,
    FlightDate,
    FlightDelayed,
    FlightFlying,
    FlightLanded,
    FlightOnTime,
    GiftCard,
    Meta,
    TAU2_NOW,
    Reservation,
    User,
)
from domains.problems import Problem, value_kind
from domains.problems import format_location as _format
from domains.sidecar import META_KEY, checked_with_sidecar
from domains.state import UnreadableJsonError, read_json_file

TOP_LEVEL = "(top level)"
MAX_PASSENGERS = 5
_MODELS: dict[str, type[BaseModel]] = {"flights": Flight, "users": User, "reservations": Reservation}
_MAPPING_FIELDS = frozenset(
    {"flights", "users", "reservations", "dates", "payment_methods", "available_seats", "prices"}
)
_TAGGED_MAPPINGS = frozenset({"dates", "payment_methods"})
_UNION_TAGS = frozenset(FLIGHT_STATUSES) | frozenset(PAYMENT_SOURCES)


def check_file(path: str | Path) -> list[Problem]:
    """`check` of a db.json file and its sidecar; an unreadable file or invalid JSON is a Problem, never an exception."""
    try:
        _, data = read_json_file(path)
    except UnreadableJsonError as exc:
        return [Problem(exc.where, exc.reason)]
    data, problems = checked_with_sidecar(path, data, Meta)
    return problems if data is None else problems + check(data)


def check(data: Any, *, now: str | None = None) -> list[Problem]:
    """Every defect of a parsed airline database; empty means sound. `now` overrides `meta.now` and the default clock."""
    if not isinstance(data, dict):
        return [Problem(TOP_LEVEL, f"an airline database is a JSON object with flights, users and "
                                   f"reservations, got {value_kind(data, repr)}")]
    problems = list(_shape_problems(data))
    tables = {table: data[table] if isinstance(data.get(table), dict) else {} for table in TABLES}
    valid: dict[str, dict[str, Any]] = {table: {} for table in TABLES}
    for table, records in tables.items():
        for key, record in records.items():
            try:
                valid[table][key] = _MODELS[table].model_validate(record, strict=True)
            except ValidationError as exc:
                problems.extend(_schema_problems(exc, (table, key)))
    clock: tuple[str, str] | None = (now, f"now is {now}") if now else None
    if data.get(META_KEY) is None:
        clock = clock or (TAU2_NOW, f"now is τ²-bench's {TAU2_NOW}: no sidecar gives this database its own")
    else:
        try:
            meta_now = Meta.model_validate(data[META_KEY], strict=True).now
            clock = clock or (meta_now, f"now is {meta_now}")
        except ValidationError as exc:
            problems.extend(_schema_problems(exc, (META_KEY,)))
    world = _World(tables, valid["flights"], valid["users"], valid["reservations"])
    for rule in _RULES:
        problems.extend(rule(world))
    if clock is not None:
        problems.extend(_dates_fit_clock(world, *clock))
    return problems


# --- shape and schema errors ---------------------------------------------------------------------


def _shape_problems(data: dict[str, Any]) -> Iterator[Problem]:
    for table in TABLES:
        if table not in data:
            yield Problem(table, "required table is missing")
        elif not isinstance(data[table], dict):
            yield Problem(table, f"must be an object keyed by id, got {value_kind(data[table], repr)}")
    for key in data:
        if key not in TABLES and key != META_KEY:
            yield Problem(str(key), "unknown top-level key is not part of the airline format")


def _schema_problems(exc: ValidationError, prefix: tuple[str, ...]) -> Iterator[Problem]:
    for error in exc.errors(include_url=False):
        loc, kind, ctx = prefix + tuple(error["loc"]), error["type"], error.get("ctx", {})
        field = next((part for part in reversed(loc) if isinstance(part, str)), "")
        if loc[-1] == "[key]":
            loc = loc[:-1]
            message = f"bad key {value_kind(loc[-1], repr)}: {error['msg']}"
        elif kind == "missing":
            message = f"required field '{field}' is missing"
        elif kind == "extra_forbidden":
            message = f"unknown field '{field}' is not part of the airline format"
        elif kind == "union_tag_not_found":
            message = f"no '{_tag_name(ctx)}' field; expected one of {_tags(ctx)}"
        elif kind == "union_tag_invalid":
            message = f"unknown {_tag_name(ctx)} {value_kind(ctx['tag'], repr)}; expected one of {_tags(ctx)}"
        elif kind == "string_pattern_mismatch":
            expected = PATTERN_NAMES.get(ctx["pattern"], f"text matching {ctx['pattern']}")
            message = f"should be {expected}, got {value_kind(error['input'], repr)}"
        else:
            message = f"{error['msg']}, got {value_kind(error.get('input'), repr)}"
        yield Problem(format_location(loc), message)


def _tag_name(ctx: dict[str, Any]) -> str:
    return ctx["discriminator"].strip("'")


def _tags(ctx: dict[str, Any]) -> str:
    if "expected_tags" in ctx:
        return ctx["expected_tags"]
    values = FLIGHT_STATUSES if _tag_name(ctx) == "status" else PAYMENT_SOURCES
    return ", ".join(repr(value) for value in values)


def format_location(loc: tuple[str | int, ...]) -> str:
    """`('reservations', '4WQ150', 'flights', 1, 'date')` -> `reservations/4WQ150/flights[1].date`."""
    return _format(loc, _MAPPING_FIELDS, _TAGGED_MAPPINGS, _UNION_TAGS) or TOP_LEVEL


# --- consistency rules ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _World:
    """The raw tables (every key, for existence) and the records that passed the schema (for content)."""

    present: dict[str, dict[str, Any]]
    flights: dict[str, Flight]
    users: dict[str, User]
    reservations: dict[str, Reservation]


def _keys_equal_ids(world: _World) -> Iterator[Problem]:
    def differs(where: str, own: str, key: str) -> Problem:
        return Problem(where, f"{own!r} differs from its key {key!r}")

    for key, flight in world.flights.items():
        if flight.flight_number != key:
            yield differs(f"flights/{key}/flight_number", flight.flight_number, key)
    for key, user in world.users.items():
        if user.user_id != key:
            yield differs(f"users/{key}/user_id", user.user_id, key)
        for method_key, method in user.payment_methods.items():
            if method.id != method_key:
                yield differs(f"users/{key}/payment_methods/{method_key}/id", method.id, method_key)
    for key, reservation in world.reservations.items():
        if reservation.reservation_id != key:
            yield differs(f"reservations/{key}/reservation_id", reservation.reservation_id, key)


def _reservations_belong_to_users(world: _World) -> Iterator[Problem]:
    for key, reservation in world.reservations.items():
        user_id = reservation.user_id
        if user_id not in world.present["users"]:
            yield Problem(f"reservations/{key}/user_id", f"user {user_id!r} does not exist")
        elif user_id in world.users and key not in world.users[user_id].reservations:
            yield Problem(f"reservations/{key}/user_id", f"user {user_id!r} does not list reservation {key!r}")
    for user_id, user in world.users.items():
        seen: set[str] = set()
        for index, reservation_id in enumerate(user.reservations):
            where = f"users/{user_id}/reservations[{index}]"
            if reservation_id in seen:
                yield Problem(where, f"reservation {reservation_id!r} is listed twice")
            seen.add(reservation_id)
            if reservation_id not in world.present["reservations"]:
                yield Problem(where, f"reservation {reservation_id!r} does not exist")
            elif reservation_id in world.reservations:
                owner = world.reservations[reservation_id].user_id
                if owner != user_id:
                    yield Problem(where, f"reservation {reservation_id!r} belongs to user {owner!r}")


def _legs_match_flights(world: _World) -> Iterator[Problem]:
    for key, reservation in world.reservations.items():
        booked_on = reservation.created_at[:10]
        for index, leg in enumerate(reservation.flights):
            where = f"reservations/{key}/flights[{index}]"
            if leg.date < booked_on:
                yield Problem(f"{where}.date", f"{leg.date} is before the reservation was created ({booked_on})")
            if leg.flight_number not in world.present["flights"]:
                yield Problem(f"{where}.flight_number", f"flight {leg.flight_number!r} does not exist")
            flight = world.flights.get(leg.flight_number)
            if flight is None:
                continue
            flies = f"but flight {flight.flight_number} flies {flight.origin}->{flight.destination}"
            if leg.origin != flight.origin:
                yield Problem(f"{where}.origin", f"{leg.origin!r}, {flies}")
            if leg.destination != flight.destination:
                yield Problem(f"{where}.destination", f"{leg.destination!r}, {flies}")
            if leg.date not in flight.dates:
                yield Problem(f"{where}.date", f"flight {flight.flight_number} has no date {leg.date}")


def _counts_in_range(world: _World) -> Iterator[Problem]:
    for key, reservation in world.reservations.items():
        count = len(reservation.passengers)
        if not 1 <= count <= MAX_PASSENGERS:
            yield Problem(f"reservations/{key}/passengers", f"{count} passengers; a reservation has 1 to 5")
        total, nonfree = reservation.total_baggages, reservation.nonfree_baggages
        if total < 0 or nonfree < 0:
            counts = f"{total} in total, {nonfree} non-free"
            yield Problem(f"reservations/{key}/total_baggages", f"bag counts cannot be negative ({counts})")
        elif nonfree > total:
            yield Problem(f"reservations/{key}/nonfree_baggages", f"{nonfree} non-free bags but {total} in total")


def _payments_from_profile(world: _World) -> Iterator[Problem]:
    for key, reservation in world.reservations.items():
        user = world.users.get(reservation.user_id)
        if user is None:
            continue
        for index, payment in enumerate(reservation.payment_history):
            method_id = payment.payment_id
            if method_id not in user.payment_methods and not method_id.startswith("certificate_"):
                yield Problem(
                    f"reservations/{key}/payment_history[{index}].payment_id",
                    f"{method_id!r} is not a payment method of user {user.user_id!r}",
                )


def _balances_and_inventory(world: _World) -> Iterator[Problem]:
    for user_id, user in world.users.items():
        for method_id, method in user.payment_methods.items():
            if isinstance(method, GiftCard | Certificate) and method.amount < 0:
                where = f"users/{user_id}/payment_methods/{method_id}/amount"
                yield Problem(where, f"negative balance {method.amount}")
    for number, flight in world.flights.items():
        if flight.origin == flight.destination:
            yield Problem(f"flights/{number}/destination", f"same as the origin {flight.origin!r}")
        for day, status in flight.dates.items():
            if isinstance(status, FlightAvailable):
                yield from _inventory_problems(f"flights/{number}/dates/{day}", status)


def _inventory_problems(where: str, status: FlightAvailable) -> Iterator[Problem]:
    for cabin in CABINS:
        seats, price = status.available_seats.get(cabin), status.prices.get(cabin)
        if seats is None:
            yield Problem(f"{where}/available_seats", f"no seat count for {cabin}")
        elif seats < 0:
            yield Problem(f"{where}/available_seats/{cabin}", f"negative seat count {seats}")
        if price is None:
            yield Problem(f"{where}/prices", f"no price for {cabin}")
        elif price <= 0:
            yield Problem(f"{where}/prices/{cabin}", f"price {price} is not positive")


_RULES = (
    _keys_equal_ids,
    _reservations_belong_to_users,
    _legs_match_flights,
    _counts_in_range,
    _payments_from_profile,
    _balances_and_inventory,
)


def _dates_fit_clock(world: _World, now: str, clock: str) -> Iterator[Problem]:
    """Flight-date statuses that cannot be true at `now`; `clock` says which clock that is, for the messages."""
    today = now[:10]
    for number, flight in world.flights.items():
        for day, status in flight.dates.items():
            where, state = f"flights/{number}/dates/{day}/status", status.status
            if day < today and state not in ("landed", "cancelled"):
                yield Problem(where, f"{state!r} on a past date ({clock})")
            elif day > today and state not in ("available", "cancelled"):
                yield Problem(where, f"{state!r} on a future date ({clock})")
            elif day == today and (reason := _off_the_clock(status, now)):
                yield Problem(where, f"{state!r} today, {reason} ({clock})")


def _off_the_clock(status: FlightDate, now: str) -> str | None:
    """Why today's status cannot be true at `now`, or None when it can."""
    if isinstance(status, FlightAvailable):
        return "but today's flights are no longer on sale"
    if isinstance(status, FlightLanded) and status.actual_arrival_time_est > now:
        return f"but it lands at {status.actual_arrival_time_est}"
    if isinstance(status, FlightFlying) and status.actual_departure_time_est > now:
        return f"but it departs at {status.actual_departure_time_est}"
    if isinstance(status, FlightFlying) and status.estimated_arrival_time_est <= now:
        return f"but it landed at {status.estimated_arrival_time_est}"
    if isinstance(status, FlightOnTime | FlightDelayed) and status.estimated_departure_time_est <= now:
        return f"but it left at {status.estimated_departure_time_est}"
    return None
