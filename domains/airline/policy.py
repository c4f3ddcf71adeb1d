"""Airline policy rules that the airline tools do not enforce themselves.

Every predicate here is pure: it reads a `State` (the world just before a write) and the domain's
"now", and returns facts or violations. The sampler uses the same predicates to pick only goals the
policy allows; the verifier uses `violations` on every write of a dialogue.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from domains.airline.tools import domain_now
from domains.policy import PolicyContext, Violation
from domains.state import Record, State

MAX_PASSENGERS = 5
PAYMENT_LIMITS = {"certificate": 1, "credit_card": 1, "gift_card": 3}
FREE_BAGS = {  # per passenger, by membership then cabin
    "regular": {"basic_economy": 0, "economy": 1, "business": 2},
    "silver": {"basic_economy": 1, "economy": 2, "business": 3},
    "gold": {"basic_economy": 2, "economy": 3, "business": 4},
}
INSURED_REASONS = ("health", "weather")
FLOWN_STATUSES = ("flying", "landed")
CANCELLED_FLIGHT_COMPENSATION = 100
DELAYED_FLIGHT_COMPENSATION = 50


def now(state: State) -> datetime:
    return datetime.fromisoformat(domain_now(state.base))


def flight_status(state: State, flight_number: str, date: str) -> str | None:
    flight = state.get("flights", flight_number)
    day = flight["dates"].get(date) if flight else None
    return day["status"] if day else None


def flown_segments(state: State, reservation: Record) -> list[Record]:
    """Segments already taken off or landed."""
    return [f for f in reservation["flights"] if flight_status(state, f["flight_number"], f["date"]) in FLOWN_STATUSES]


def free_bag_allowance(membership: str, cabin: str, n_passengers: int) -> int:
    return FREE_BAGS.get(membership, FREE_BAGS["regular"]).get(cabin, 0) * n_passengers


def required_nonfree_bags(membership: str, cabin: str, n_passengers: int, total_bags: int) -> int:
    """The number of paid bags a given total means: whatever exceeds the free allowance."""
    return max(0, total_bags - free_bag_allowance(membership, cabin, n_passengers))


def cancellation_grounds(state: State, reservation: Record, reason: str | None) -> list[str]:
    """Why this reservation may be cancelled (empty: it may not). `reason` is the customer's reason."""
    if reservation.get("status") == "cancelled" or flown_segments(state, reservation):
        return []
    grounds = []
    created = datetime.fromisoformat(reservation["created_at"])
    if now(state) - created <= timedelta(hours=24):
        grounds.append("booked_within_24h")
    if any(flight_status(state, f["flight_number"], f["date"]) == "cancelled" for f in reservation["flights"]):
        grounds.append("flight_cancelled_by_airline")
    if reservation["cabin"] == "business":
        grounds.append("business_cabin")
    if reservation["insurance"] == "yes" and (reason is None or any(word in reason.lower() for word in INSURED_REASONS)):
        grounds.append("insurance_covers_reason")
    return grounds


def compensation_eligible(user: Record, reservation: Record) -> bool:
    """Silver and gold members, insured bookings and business travellers may be compensated."""
    return user["membership"] in ("silver", "gold") or reservation["insurance"] == "yes" or reservation["cabin"] == "business"


def compensation_amounts(state: State, user_id: str, changed: set[str]) -> dict[str, int]:
    """Certificate amounts the policy allows now, per reservation of the user.

    A cancelled flight earns $100 per passenger; a delayed flight earns $50 per passenger, but only
    for a reservation that was changed or cancelled earlier in the dialogue (`changed`).
    """
    user = state.get("users", user_id)
    amounts: dict[str, int] = {}
    for reservation_id in user["reservations"] if user else []:
        reservation = state.get("reservations", reservation_id)
        if reservation is None or not compensation_eligible(user, reservation):
            continue
        flights = list(reservation["flights"])
        if reservation_id in changed:  # a change may have moved the reservation off the delayed flight it was on
            booked = state.base.tables["reservations"].get(reservation_id)
            flights += booked["flights"] if booked else []
        statuses = {flight_status(state, f["flight_number"], f["date"]) for f in flights}
        n = len(reservation["passengers"])
        if "cancelled" in statuses:
            amounts[reservation_id] = CANCELLED_FLIGHT_COMPENSATION * n
        elif "delayed" in statuses and reservation_id in changed:
            amounts[reservation_id] = DELAYED_FLIGHT_COMPENSATION * n
    return amounts


def _itinerary_problems(state: State, origin: str, destination: str, flight_type: str, flights: list[dict]) -> list[str]:
    """Why a list of flights is not a trip of this origin, destination and type (empty if it is)."""
    legs = []
    for info in flights:
        flight = state.get("flights", info.get("flight_number", ""))
        if flight is None:
            return [f"unknown flight {info.get('flight_number')}"]
        legs.append((flight["origin"], flight["destination"]))
    if not legs:
        return ["no flights"]
    problems = []
    if any(a[1] != b[0] for a, b in zip(legs, legs[1:])):
        problems.append("flights do not connect")
    if legs[0][0] != origin:
        problems.append(f"the trip starts at {legs[0][0]}, not {origin}")
    end = origin if flight_type == "round_trip" else destination
    if legs[-1][1] != end:
        problems.append(f"the trip ends at {legs[-1][1]}, not {end}")
    if flight_type == "round_trip" and destination not in [arrival for _, arrival in legs]:
        problems.append(f"the round trip never reaches {destination}")
    return problems


def _payment_limit_problems(user: Record, payments: list[dict]) -> list[str]:
    counts: dict[str, int] = {}
    for payment in payments:
        method = user["payment_methods"].get(payment.get("payment_id"))
        if method is not None:
            counts[method["source"]] = counts.get(method["source"], 0) + 1
    return [f"{counts[kind]} {kind} payments (at most {limit})" for kind, limit in PAYMENT_LIMITS.items() if counts.get(kind, 0) > limit]


def violations(before: State, name: str, arguments: dict[str, Any], context: PolicyContext) -> list[Violation]:
    """Policy rules broken by the write `name(arguments)` on the world `before` it ran."""
    checker = _CHECKS.get(name)
    if checker is None:
        return []
    found: list[Violation] = []
    owner = arguments.get("user_id")
    reservation = before.get("reservations", arguments.get("reservation_id", ""))
    if reservation is not None:
        owner = reservation["user_id"]
    if context.user_id is not None and owner is not None and owner != context.user_id:
        found.append(Violation("other_customer", f"{name} acts for {owner}, not for the authenticated {context.user_id}"))
    found.extend(checker(before, arguments, reservation, context))
    return found


def _check_booking(state: State, args: dict, _: Record | None, context: PolicyContext) -> list[Violation]:
    found = []
    user = state.get("users", args["user_id"])
    passengers = args.get("passengers", [])
    if len(passengers) > MAX_PASSENGERS:
        found.append(Violation("too_many_passengers", f"{len(passengers)} passengers (at most {MAX_PASSENGERS})"))
    for problem in _itinerary_problems(state, args["origin"], args["destination"], args["flight_type"], args["flights"]):
        found.append(Violation("inconsistent_itinerary", problem))
    if user is not None:
        for problem in _payment_limit_problems(user, args.get("payment_methods", [])):
            found.append(Violation("payment_limits", problem))
        needed = required_nonfree_bags(user["membership"], args["cabin"], len(passengers), args["total_baggages"])
        if args["nonfree_baggages"] != needed:
            found.append(Violation("wrong_bag_charge", f"{args['nonfree_baggages']} paid bags for {args['total_baggages']} bags; the allowance makes it {needed}"))
    return found


def _check_cancel(state: State, args: dict, reservation: Record | None, context: PolicyContext) -> list[Violation]:
    if reservation is None:
        return []
    if reservation.get("status") == "cancelled":
        return [Violation("already_cancelled", f"reservation {reservation['reservation_id']} is already cancelled")]
    if flown_segments(state, reservation):
        return [Violation("cancel_after_flying", f"reservation {reservation['reservation_id']} has flown segments: transfer to a human")]
    if not cancellation_grounds(state, reservation, context.reason):
        return [Violation("cancel_not_allowed", f"reservation {reservation['reservation_id']} is not eligible for cancellation")]
    return []


def _check_flight_change(state: State, args: dict, reservation: Record | None, context: PolicyContext) -> list[Violation]:
    if reservation is None:
        return []
    found = []
    old = [(f["flight_number"], f["date"]) for f in reservation["flights"]]
    new = [(f.get("flight_number"), f.get("date")) for f in args["flights"]]
    flown = [(f["flight_number"], f["date"]) for f in flown_segments(state, reservation)]
    if reservation.get("status") == "cancelled":
        found.append(Violation("reservation_cancelled", "the reservation is cancelled"))
    if old != new and reservation["cabin"] == "basic_economy":
        found.append(Violation("basic_economy_change", "basic economy flights cannot be changed"))
    if args["cabin"] != reservation["cabin"] and flown:
        found.append(Violation("cabin_change_after_flying", "the cabin cannot change once a segment is flown"))
    if any(segment not in new for segment in flown):
        found.append(Violation("flown_segment_changed", "a flown segment cannot be changed"))
    if old != new:
        for problem in _itinerary_problems(state, reservation["origin"], reservation["destination"], reservation["flight_type"], args["flights"]):
            found.append(Violation("route_changed", problem))
    return found


def _check_bags(state: State, args: dict, reservation: Record | None, context: PolicyContext) -> list[Violation]:
    if reservation is None:
        return []
    found = []
    removed = args["total_baggages"] < reservation["total_baggages"] or args["nonfree_baggages"] < reservation["nonfree_baggages"]
    if removed:
        found.append(Violation("bags_removed", "checked bags can be added but not removed"))
    user = state.get("users", reservation["user_id"])
    if user is not None:
        needed = required_nonfree_bags(user["membership"], reservation["cabin"], len(reservation["passengers"]), args["total_baggages"])
        # bags already paid for stay paid; after a removal (a violation of its own) the count is judged on its own
        if args["nonfree_baggages"] != (needed if removed else max(needed, reservation["nonfree_baggages"])):
            found.append(Violation("wrong_bag_charge", f"{args['nonfree_baggages']} paid bags for {args['total_baggages']} bags; the allowance makes it {needed}"))
    return found


def _check_passengers(state: State, args: dict, reservation: Record | None, context: PolicyContext) -> list[Violation]:
    if reservation is not None and reservation.get("status") == "cancelled":
        return [Violation("reservation_cancelled", "the reservation is cancelled")]
    return []


def _check_certificate(state: State, args: dict, _: Record | None, context: PolicyContext) -> list[Violation]:
    changed = {a.get("reservation_id") for n, a in context.prior_writes if n in ("update_reservation_flights", "cancel_reservation")}
    allowed = compensation_amounts(state, args["user_id"], changed)
    if args["amount"] not in allowed.values():
        return [Violation("compensation_not_allowed", f"a ${args['amount']} certificate is not a compensation the policy allows (allowed: {sorted(set(allowed.values()))})")]
    return []


_CHECKS = {
    "book_reservation": _check_booking,
    "cancel_reservation": _check_cancel,
    "update_reservation_flights": _check_flight_change,
    "update_reservation_baggages": _check_bags,
    "update_reservation_passengers": _check_passengers,
    "send_certificate": _check_certificate,
}
