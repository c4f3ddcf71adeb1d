"""Airline goals: book, cancel, change flights or cabin, add bags, fix passengers, get compensation, ask.

Every proposer reads the draft's current world and picks one of the user's own reservations that no other
goal of the task owns (only reservations of the base world: a booking made in the task gets its id at
execution time, so no goal may depend on it). The policy predicates decide what is allowed: basic
economy never changes flights, nothing flown is changed or cancelled, cancellations need grounds for the
reason the user gives, bags follow the allowance, compensation only where eligible (a delay only after
a change or cancellation of the same reservation in the task). Who can have which goal is indexed once.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date as Date
from datetime import timedelta
from enum import StrEnum
from typing import Any

from domains.airline.models import CABINS
from domains.airline.policy import (
    CANCELLED_FLIGHT_COMPENSATION,
    DELAYED_FLIGHT_COMPENSATION,
    cancellation_grounds,
    compensation_amounts,
    compensation_eligible,
    flight_status,
    flown_segments,
    free_bag_allowance,
    required_nonfree_bags,
)
from domains.airline.tools import domain_now, search_onestop_flight
from domains.constraints import Action, Constraint
from domains.fuzzy import format_amount
from domains.sampling import Draft
from domains.state import Database, Record, State


class AirlineGoal(StrEnum):
    BOOK_RESERVATION = "book_reservation"
    CANCEL_RESERVATION = "cancel_reservation"
    CHANGE_FLIGHTS = "change_flights"
    CHANGE_CABIN = "change_cabin"
    ADD_BAGS = "add_bags"
    UPDATE_PASSENGERS = "update_passengers"
    SEND_COMPENSATION = "send_compensation"
    INFO_CERTIFICATE_TOTAL = "info_certificate_total"
    INFO_FLIGHT_STATUS = "info_flight_status"


GOAL_TYPES: tuple[str, ...] = tuple(AirlineGoal)
CANCEL_REASONS = ("change of plans", "scheduling conflict", "health", "weather")
AIRLINE_CANCELLED_REASON = "airline cancelled a flight"
REASON_CLAUSES = {  # how the user puts each reason; the policy reads the reason itself
    "change of plans": "your plans have changed",
    "scheduling conflict": "you have a scheduling conflict at work",
    "health": "a health problem keeps you from travelling",
    "weather": "severe weather is forecast for your travel dates",
    AIRLINE_CANCELLED_REASON: "the airline cancelled one of its flights",
}
TOLD_STATUSES = ("on time", "delayed", "landed")

# --- indexes over the base ---------------------------------------------------------------------


def _routes(base: Database) -> dict[str, Any]:
    """Bookable (flight, date) pairs, and flight numbers per route and per origin."""
    bookable, by_route, by_origin = [], {}, {}
    for number, flight in base.tables["flights"].items():
        by_route.setdefault((flight["origin"], flight["destination"]), []).append(number)
        by_origin.setdefault(flight["origin"], []).append(number)
        bookable.extend((number, day) for day, info in flight["dates"].items() if info["status"] == "available")
    return {"bookable": bookable, "by_route": by_route, "by_origin": by_origin}


def routes(state: State) -> dict[str, Any]:
    return state.base.index("airline.sampler.routes", _routes)


def today(state: State) -> str:
    return domain_now(state.base)[:10]


def _open(state: State, reservation: Record) -> bool:
    """Not cancelled and nothing flown: the reservation can still be changed."""
    return reservation.get("status") != "cancelled" and not flown_segments(state, reservation)


def _all_available(state: State, reservation: Record) -> bool:
    return all(flight_status(state, f["flight_number"], f["date"]) == "available" for f in reservation["flights"])


def _cancel_reasons(state: State, reservation: Record) -> list[str]:
    reasons = list(CANCEL_REASONS)
    if any(flight_status(state, f["flight_number"], f["date"]) == "cancelled" for f in reservation["flights"]):
        reasons.append(AIRLINE_CANCELLED_REASON)
    return [reason for reason in reasons if cancellation_grounds(state, reservation, reason)]


def _candidates(base: Database) -> dict[str, list[str]]:
    state = base.new_state()
    found: dict[str, dict[str, None]] = {goal: {} for goal in GOAL_TYPES}
    day = today(state)
    for user_id, user in base.tables["users"].items():
        if user["payment_methods"]:
            found[AirlineGoal.BOOK_RESERVATION][user_id] = None
        if any(m["source"] == "certificate" for m in user["payment_methods"].values()):
            found[AirlineGoal.INFO_CERTIFICATE_TOTAL][user_id] = None
        for reservation_id in user["reservations"]:
            reservation = base.tables["reservations"].get(reservation_id)
            if reservation is None:
                continue
            statuses = [flight_status(state, f["flight_number"], f["date"]) for f in reservation["flights"]]
            if any(s in TOLD_STATUSES and f["date"] == day for s, f in zip(statuses, reservation["flights"])):
                found[AirlineGoal.INFO_FLIGHT_STATUS][user_id] = None
            if compensation_eligible(user, reservation) and ("cancelled" in statuses or "delayed" in statuses):
                found[AirlineGoal.SEND_COMPENSATION][user_id] = None
            if not _open(state, reservation):
                continue
            if _cancel_reasons(state, reservation):
                found[AirlineGoal.CANCEL_RESERVATION][user_id] = None
            found[AirlineGoal.ADD_BAGS][user_id] = None
            found[AirlineGoal.UPDATE_PASSENGERS][user_id] = None
            if _all_available(state, reservation):
                found[AirlineGoal.CHANGE_CABIN][user_id] = None
                if reservation["cabin"] != "basic_economy":
                    found[AirlineGoal.CHANGE_FLIGHTS][user_id] = None
    return {goal: list(users) for goal, users in found.items()}


def candidate_users(base: Database) -> dict[str, list[str]]:
    """Users (in database order) who have at least the records each goal type needs, on the base."""
    return base.index("airline.sampler.candidates", _candidates)


# --- helpers -----------------------------------------------------------------------------------


def _reservations(draft: Draft, only: str | None = None) -> list[Record]:
    """The user's base reservations, in the draft's world, not owned by another goal."""
    user = draft.state.get("users", draft.user_id)
    base_ids = draft.base.tables["reservations"]
    found = []
    for reservation_id in user["reservations"]:
        if reservation_id not in base_ids or f"reservation:{reservation_id}" in draft.claimed:
            continue
        if only is not None and reservation_id != only:
            continue
        found.append(draft.state.get("reservations", reservation_id))
    return found


def _day(state: State, number: str, date: str) -> Record | None:
    flight = state.get("flights", number)
    return flight["dates"].get(date) if flight else None


def _seats(state: State, number: str, date: str, cabin: str, n: int) -> bool:
    day = _day(state, number, date)
    return day is not None and day["status"] == "available" and day["available_seats"][cabin] >= n


def _price(state: State, number: str, date: str, cabin: str) -> int:
    return _day(state, number, date)["prices"][cabin]


def _shift(iso: str, days: int) -> str:
    return (Date.fromisoformat(iso) + timedelta(days=days)).isoformat()


def _update_methods(state: State, user_id: str, amount: int) -> list[str]:
    """Cards and gift cards that can settle a change of `amount` (certificates never can)."""
    methods = state.get("users", user_id)["payment_methods"]
    return [mid for mid, m in methods.items() if m["source"] == "credit_card" or (m["source"] == "gift_card" and m["amount"] >= amount)]


def _legs(reservation: Record) -> dict[str, list[int]]:
    """Segment positions of the outbound and return parts of a trip."""
    flights = reservation["flights"]
    if reservation["flight_type"] != "round_trip":
        return {"outbound": list(range(len(flights)))}
    turn = next((i for i, f in enumerate(flights) if f["destination"] == reservation["destination"]), len(flights) - 1)
    parts = {"outbound": list(range(turn + 1))}
    if turn + 1 < len(flights):
        parts["return"] = list(range(turn + 1, len(flights)))
    return parts


def _goal(goal: AirlineGoal, action: str | None, arguments: dict[str, Any], params: dict[str, Any], info: list[str] | None = None) -> Constraint:
    actions = [Action(name=action, arguments=arguments)] if action else []
    return Constraint(type=str(goal), actions=actions, params=params, expected_info=info or [])


def _itinerary(flights: list[Record]) -> list[dict[str, str]]:
    return [{"flight_number": f["flight_number"], "date": f["date"]} for f in flights]


# --- booking -----------------------------------------------------------------------------------


def _pick_trip(state: State, rng: random.Random) -> tuple[str, str, str, list[dict[str, str]]] | None:
    """A bookable trip: (origin, destination, flight type, flights), direct, one-stop or round trip."""
    index = routes(state)
    if not index["bookable"]:
        return None
    number, day = rng.choice(index["bookable"])
    flight = state.get("flights", number)
    origin, middle = flight["origin"], flight["destination"]
    if rng.random() < 0.25:
        onward = sorted({state.get("flights", n)["destination"] for n in index["by_origin"].get(middle, ())} - {origin})
        if onward:
            destination = rng.choice(onward)
            options = search_onestop_flight.function(state, origin, destination, day)
            if options:
                pair = rng.choice(options)
                return origin, destination, "one_way", [{"flight_number": leg["flight_number"], "date": leg["date"]} for leg in pair]
    flights = [{"flight_number": number, "date": day}]
    if rng.random() < 0.4:
        back = [
            {"flight_number": n, "date": _shift(day, gap)}
            for gap in range(1, 8)
            for n in index["by_route"].get((middle, origin), ())
            if (_day(state, n, _shift(day, gap)) or {}).get("status") == "available"
        ]
        if back:
            return origin, middle, "round_trip", flights + [rng.choice(back)]
    return origin, middle, "one_way", flights


def _payment_plans(methods: dict[str, Record], total: int) -> list[list[dict[str, Any]]]:
    """Ways to pay exactly `total` within the limits: one card, one gift card, or a certificate plus the rest."""
    cards = [mid for mid, m in methods.items() if m["source"] == "credit_card"]
    gifts = [mid for mid, m in methods.items() if m["source"] == "gift_card"]
    plans = [[{"payment_id": card, "amount": total}] for card in cards]
    plans += [[{"payment_id": g, "amount": total}] for g in gifts if methods[g]["amount"] >= total]
    for cert, method in methods.items():
        if method["source"] != "certificate" or method["amount"] != int(method["amount"]):
            continue
        value = int(method["amount"])
        if value >= total:
            plans.append([{"payment_id": cert, "amount": total}])
            continue
        rest = total - value
        payers = cards + [g for g in gifts if methods[g]["amount"] >= rest]
        plans += [[{"payment_id": cert, "amount": value}, {"payment_id": payer, "amount": rest}] for payer in payers]
    return plans


def _book(draft: Draft, rng: random.Random, only: str | None = None) -> list[Constraint] | None:
    if "booking" in draft.claimed:
        return None
    state = draft.state
    user = state.get("users", draft.user_id)
    saved = user["saved_passengers"]
    travellers = [{"first_name": user["name"]["first_name"], "last_name": user["name"]["last_name"], "dob": user["dob"]}]
    if saved and rng.random() < 0.4:
        travellers += [dict(p) for p in rng.sample(saved, k=rng.randint(1, min(2, len(saved))))]
    for _ in range(4):
        trip = _pick_trip(state, rng)
        if trip is None:
            return None
        origin, destination, flight_type, flights = trip
        n = len(travellers)
        cabins = [c for c in CABINS if all(_seats(state, f["flight_number"], f["date"], c, n) for f in flights)]
        if not cabins:
            continue
        cabin = rng.choice(cabins)
        insurance = rng.choice(("yes", "no"))
        free = free_bag_allowance(user["membership"], cabin, n)
        total_bags = rng.randint(0, min(free + 2, 2 * n + 1))
        nonfree = required_nonfree_bags(user["membership"], cabin, n, total_bags)
        fares = sum(_price(state, f["flight_number"], f["date"], cabin) for f in flights) * n
        total = fares + (30 * n if insurance == "yes" else 0) + 50 * nonfree
        plans = _payment_plans(user["payment_methods"], total)
        if not plans:
            continue
        args = {
            "user_id": draft.user_id,
            "origin": origin,
            "destination": destination,
            "flight_type": flight_type,
            "cabin": cabin,
            "flights": flights,
            "passengers": travellers,
            "payment_methods": rng.choice(plans),
            "total_baggages": total_bags,
            "nonfree_baggages": nonfree,
            "insurance": insurance,
        }
        return [_goal(AirlineGoal.BOOK_RESERVATION, "book_reservation", args, {**args, "total_price": total})]
    return None


# --- changes to existing reservations ------------------------------------------------------------


def _cancel(draft: Draft, rng: random.Random, only: str | None = None) -> list[Constraint] | None:
    options = [(r, reasons) for r in _reservations(draft, only) if _open(draft.state, r) and (reasons := _cancel_reasons(draft.state, r))]
    if not options:
        return None
    reservation, reasons = rng.choice(options)
    reason = rng.choice(reasons)
    args = {"reservation_id": reservation["reservation_id"]}
    params = {**args, "reason": reason, "grounds": cancellation_grounds(draft.state, reservation, reason)}
    return [_goal(AirlineGoal.CANCEL_RESERVATION, "cancel_reservation", args, params)]


def _new_itineraries(state: State, reservation: Record, rng: random.Random) -> list[tuple[str, str, list[dict[str, str]]]]:
    """Other itineraries with the same route and trip type: one part moved by a few days, or another flight the same day."""
    flights, cabin, n = reservation["flights"], reservation["cabin"], len(reservation["passengers"])
    legs = _legs(reservation)
    found = []
    for part, positions in legs.items():
        for delta in rng.sample((-2, -1, 1, 2, 3), 3):
            moved = [dict(f) for f in _itinerary(flights)]
            for i in positions:
                moved[i]["date"] = _shift(flights[i]["date"], delta)
            dates = [f["date"] for f in moved]
            if dates != sorted(dates) or dates[0] <= today(state) or len({(f["flight_number"], f["date"]) for f in moved}) < len(moved):
                continue
            if all(_seats(state, moved[i]["flight_number"], moved[i]["date"], cabin, n) for i in positions):
                found.append((part, "date", moved))
                break
        if len(positions) == 1:
            old = flights[positions[0]]
            others = [
                num
                for num in routes(state)["by_route"].get((old["origin"], old["destination"]), ())
                if num != old["flight_number"] and _seats(state, num, old["date"], cabin, n)
            ]
            if others:
                moved = _itinerary(flights)
                moved[positions[0]] = {"flight_number": rng.choice(others), "date": old["date"]}
                found.append((part, "flight", moved))
    return found


def _fare_difference(state: State, reservation: Record, cabin: str, new: list[dict[str, str]]) -> int:
    """What the update tool will charge: kept segments at their old price, the others at today's fare."""
    n = len(reservation["passengers"])
    old = {(f["flight_number"], f["date"]): f["price"] for f in reservation["flights"]}
    total = 0
    for f in new:
        key = (f["flight_number"], f["date"])
        total += old[key] if key in old and cabin == reservation["cabin"] else _price(state, *key, cabin)
    return (total - sum(old.values())) * n


def _change_flights(draft: Draft, rng: random.Random, only: str | None = None) -> list[Constraint] | None:
    state = draft.state
    options = [r for r in _reservations(draft, only) if r["cabin"] != "basic_economy" and _open(state, r)]
    rng.shuffle(options)
    for reservation in options[:3]:
        itineraries = _new_itineraries(state, reservation, rng)
        if not itineraries:
            continue
        part, change, new = rng.choice(itineraries)
        difference = _fare_difference(state, reservation, reservation["cabin"], new)
        payers = _update_methods(state, draft.user_id, difference)
        if not payers:
            continue
        args = {"reservation_id": reservation["reservation_id"], "cabin": reservation["cabin"], "flights": new, "payment_id": rng.choice(payers)}
        params = {**args, "part": part, "change": change, "old_flights": _itinerary(reservation["flights"]), "price_difference": difference}
        return [_goal(AirlineGoal.CHANGE_FLIGHTS, "update_reservation_flights", args, params)]
    return None


def _change_cabin(draft: Draft, rng: random.Random, only: str | None = None) -> list[Constraint] | None:
    state = draft.state
    options = [r for r in _reservations(draft, only) if _open(state, r) and _all_available(state, r)]
    rng.shuffle(options)
    for reservation in options[:3]:
        n = len(reservation["passengers"])
        flights = _itinerary(reservation["flights"])
        cabins = [c for c in CABINS if c != reservation["cabin"] and all(_seats(state, f["flight_number"], f["date"], c, n) for f in flights)]
        if not cabins:
            continue
        cabin = rng.choice(cabins)
        difference = _fare_difference(state, reservation, cabin, flights)
        payers = _update_methods(state, draft.user_id, difference)
        if not payers:
            continue
        args = {"reservation_id": reservation["reservation_id"], "cabin": cabin, "flights": flights, "payment_id": rng.choice(payers)}
        params = {**args, "old_cabin": reservation["cabin"], "price_difference": difference}
        return [_goal(AirlineGoal.CHANGE_CABIN, "update_reservation_flights", args, params)]
    return None


def _add_bags(draft: Draft, rng: random.Random, only: str | None = None) -> list[Constraint] | None:
    state = draft.state
    options = [r for r in _reservations(draft, only) if _open(state, r)]
    if not options:
        return None
    reservation = rng.choice(options)
    membership = state.get("users", draft.user_id)["membership"]
    added = rng.randint(1, 2)
    total = reservation["total_baggages"] + added
    needed = required_nonfree_bags(membership, reservation["cabin"], len(reservation["passengers"]), total)
    nonfree = max(needed, reservation["nonfree_baggages"])
    charge = 50 * (nonfree - reservation["nonfree_baggages"])
    payers = _update_methods(state, draft.user_id, charge)
    if not payers:
        return None
    args = {"reservation_id": reservation["reservation_id"], "total_baggages": total, "nonfree_baggages": nonfree, "payment_id": rng.choice(payers)}
    return [_goal(AirlineGoal.ADD_BAGS, "update_reservation_baggages", args, {**args, "added": added, "charge": charge})]


def _corrected_dob(dob: str, rng: random.Random) -> str:
    day = Date.fromisoformat(dob)
    delta = rng.choice((-2, -1, 1, 2))
    return day.replace(year=day.year + delta, day=min(day.day, 28)).isoformat()


def _update_passengers(draft: Draft, rng: random.Random, only: str | None = None) -> list[Constraint] | None:
    state = draft.state
    options = [r for r in _reservations(draft, only) if _open(state, r)]
    if not options:
        return None
    reservation = rng.choice(options)
    passengers = [dict(p) for p in reservation["passengers"]]
    names = {(p["first_name"], p["last_name"]) for p in passengers}
    index = rng.randrange(len(passengers))
    old = passengers[index]
    saved = [p for p in state.get("users", draft.user_id)["saved_passengers"] if (p["first_name"], p["last_name"]) not in names]
    if saved and rng.random() < 0.6:
        new, change = dict(rng.choice(saved)), "replace"
    else:
        new, change = {**old, "dob": _corrected_dob(old["dob"], rng)}, "dob"
    passengers[index] = new
    args = {"reservation_id": reservation["reservation_id"], "passengers": passengers}
    params = {**args, "change": change, "index": index, "old_passenger": old, "new_passenger": new}
    return [_goal(AirlineGoal.UPDATE_PASSENGERS, "update_reservation_passengers", args, params)]


# --- compensation and information ---------------------------------------------------------------


def _troubled_segment(state: State, reservation: Record, status: str) -> dict[str, str] | None:
    return next((dict(f) for f in _itinerary(reservation["flights"]) if flight_status(state, f["flight_number"], f["date"]) == status), None)


def _compensation(draft: Draft, rng: random.Random, only: str | None = None) -> list[Constraint] | None:
    if "compensation" in draft.claimed:
        return None
    state = draft.state
    user = state.get("users", draft.user_id)
    changed = {a.get("reservation_id") for name, a in draft.writes if name in ("update_reservation_flights", "cancel_reservation")}
    base_ids = draft.base.tables["reservations"]
    options = [rid for rid in user["reservations"] if rid in base_ids]
    rng.shuffle(options)
    for reservation_id in options:
        reservation = state.get("reservations", reservation_id)
        if not compensation_eligible(user, reservation):
            continue
        n = len(reservation["passengers"])
        segment = _troubled_segment(state, reservation, "cancelled")
        cause, amount, bundle = "cancelled", CANCELLED_FLIGHT_COMPENSATION * n, []
        if segment is None:
            segment = _troubled_segment(state, reservation, "delayed")
            if segment is None:
                continue
            cause, amount = "delayed", DELAYED_FLIGHT_COMPENSATION * n
            if reservation_id not in changed:
                if draft.slots < 2 or f"reservation:{reservation_id}" in draft.claimed:
                    continue
                first = _cancel if rng.random() < 0.5 else _change_flights
                bundle = first(draft, rng, only=reservation_id) or (_change_flights if first is _cancel else _cancel)(draft, rng, only=reservation_id)
                if not bundle:
                    continue
        elif compensation_amounts(state, draft.user_id, changed).get(reservation_id) != amount:
            continue
        args = {"user_id": draft.user_id, "amount": amount}
        params = {**args, "reservation_id": reservation_id, "cause": cause, "flight": segment}
        return [*bundle, _goal(AirlineGoal.SEND_COMPENSATION, "send_certificate", args, params)]
    return None


def _info_certificate_total(draft: Draft, rng: random.Random, only: str | None = None) -> list[Constraint] | None:
    methods = draft.state.get("users", draft.user_id)["payment_methods"]
    certificates = [mid for mid, m in methods.items() if m["source"] == "certificate"]
    if not certificates:
        return None
    goal = _goal(AirlineGoal.INFO_CERTIFICATE_TOTAL, None, {}, {"user_id": draft.user_id, "payment_method_ids": certificates})
    return [goal.model_copy(update={"expected_info": info_value(draft.state, goal)})]


def _info_flight_status(draft: Draft, rng: random.Random, only: str | None = None) -> list[Constraint] | None:
    day = today(draft.state)
    segments = [
        f
        for r in _reservations(draft)
        for f in _itinerary(r["flights"])
        if f["date"] == day and flight_status(draft.state, f["flight_number"], f["date"]) in TOLD_STATUSES and f"status:{f['flight_number']}" not in draft.claimed
    ]
    if not segments:
        return None
    segment = rng.choice(segments)
    goal = _goal(AirlineGoal.INFO_FLIGHT_STATUS, None, {}, dict(segment))
    return [goal.model_copy(update={"expected_info": info_value(draft.state, goal)})]


PROPOSERS: dict[str, Callable[..., list[Constraint] | None]] = {
    AirlineGoal.BOOK_RESERVATION: _book,
    AirlineGoal.CANCEL_RESERVATION: _cancel,
    AirlineGoal.CHANGE_FLIGHTS: _change_flights,
    AirlineGoal.CHANGE_CABIN: _change_cabin,
    AirlineGoal.ADD_BAGS: _add_bags,
    AirlineGoal.UPDATE_PASSENGERS: _update_passengers,
    AirlineGoal.SEND_COMPENSATION: _compensation,
    AirlineGoal.INFO_CERTIFICATE_TOTAL: _info_certificate_total,
    AirlineGoal.INFO_FLIGHT_STATUS: _info_flight_status,
}


def propose(goal_type: str, draft: Draft, rng: random.Random) -> list[Constraint] | None:
    """Goal(s) of this type for the draft's user on the draft's current world, or None if none fits.

    A delayed-flight compensation comes as a pair: the change or cancellation it requires, then the certificate.
    """
    return PROPOSERS[goal_type](draft, rng)


def claim_keys(constraint: Constraint) -> list[str]:
    """What a goal owns: its reservation; one booking, one compensation and one certificate question per task."""
    if constraint.type == AirlineGoal.BOOK_RESERVATION:
        return ["booking"]
    if constraint.type == AirlineGoal.SEND_COMPENSATION:
        return ["compensation"]
    if constraint.type == AirlineGoal.INFO_CERTIFICATE_TOTAL:
        return ["info_certificate_total"]
    if constraint.type == AirlineGoal.INFO_FLIGHT_STATUS:
        return [f"status:{constraint.params['flight_number']}"]
    return [f"reservation:{constraint.params['reservation_id']}"]


def info_value(state: State, constraint: Constraint) -> list[str]:
    """The answer an information goal expects, as an agent would say it, on this world."""
    params = constraint.params
    if constraint.type == AirlineGoal.INFO_CERTIFICATE_TOTAL:
        methods = state.get("users", params["user_id"])["payment_methods"].values()
        return [format_amount(sum(m["amount"] for m in methods if m["source"] == "certificate"))]
    return [flight_status(state, params["flight_number"], params["date"]) or ""]
