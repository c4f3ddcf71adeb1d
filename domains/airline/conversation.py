"""Airline's conversation rules: who the traveller is, whose records a call reads, what a write's details are.

The traveller is authenticated once they have given their user id in the conversation (the policy
has the agent ask for it). Before a write, the agent's summary must name the reservation (its id);
for a booking, every flight (number), the cabin, every passenger (name), each payment method and the
total price; for a change of flights, each new flight and the payment method when money moves; for a
cabin change, the cabin (and the payment method when money moves); for bags, the new total of checked
bags (and the payment method when a bag fee is due); for passengers, each changed name and date of
birth; for a certificate, its amount.
"""

from __future__ import annotations

from typing import Any

from domains.cues import Cue, payment_cue
from domains.fuzzy import CABIN_NAMES, format_amount
from domains.state import Record, State

AUTHENTICATION_MODE = "user_id"
AUTHENTICATION_HOW = "the user must first give their user id"
ACCOUNT_TOOLS = frozenset({"get_user_details", "get_reservation_details"})
_NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve")

Detail = tuple[str, Cue]


def record_owner(state: State, name: str, arguments: dict[str, Any]) -> str | None:
    """The user whose records a read looks at (None: not a user's record)."""
    if name == "get_user_details":
        return str(arguments.get("user_id"))
    if name == "get_reservation_details":
        reservation = state.get("reservations", str(arguments.get("reservation_id", "")))
        return reservation["user_id"] if reservation else None
    return None


def count_cue(n: int) -> Cue:
    return (str(n),) + ((_NUMBER_WORDS[n],) if 0 <= n < len(_NUMBER_WORDS) else ())


def date_cue(iso: str) -> Cue:
    """A date in ISO form (the text normaliser turns 'May 3, 1990' and '05/03/1990' into it)."""
    return (iso,)


def _cabin_cue(cabin: str) -> Cue:
    return (CABIN_NAMES.get(cabin, cabin), cabin)


def _person_cue(person: dict[str, Any]) -> Cue:
    first, last = str(person.get("first_name", "")), str(person.get("last_name", ""))
    return tuple(p for p in (f"{first} {last}", first) if p.strip())


def write_details(state: State, name: str, arguments: dict[str, Any], user_id: str) -> list[Detail]:
    """What the agent's summary must have said before this write, read on the world just before it."""
    user = state.get("users", str(arguments.get("user_id") or user_id))
    if name == "send_certificate":
        return [("amount", (format_amount(arguments.get("amount", 0)),))]
    if name == "book_reservation":
        return _booking_details(user, arguments)
    reservation = state.get("reservations", str(arguments.get("reservation_id", "")))
    if reservation is None:
        return []
    owner = state.get("users", reservation["user_id"])
    details: list[Detail] = [("reservation id", (reservation["reservation_id"],))]
    if name == "update_reservation_flights":
        old = {(f["flight_number"], f["date"]) for f in reservation["flights"]}
        for flight in arguments.get("flights", []):
            if (flight.get("flight_number"), flight.get("date")) not in old:
                details.append((f"flight {flight.get('flight_number')}", (str(flight.get("flight_number")),)))
        if arguments.get("cabin") != reservation["cabin"]:
            details.append(("cabin", _cabin_cue(str(arguments.get("cabin")))))
        if _fare_difference(state, reservation, arguments):
            details.append(("payment method", payment_cue(owner, str(arguments.get("payment_id", "")))))
    elif name == "update_reservation_baggages":
        details.append(("checked bags", count_cue(int(arguments.get("total_baggages", 0)))))
        if int(arguments.get("nonfree_baggages", 0)) > reservation["nonfree_baggages"]:
            details.append(("payment method", payment_cue(owner, str(arguments.get("payment_id", "")))))
    elif name == "update_reservation_passengers":
        before = reservation["passengers"]
        for index, person in enumerate(arguments.get("passengers", [])):
            if index < len(before) and person == before[index]:
                continue
            details.append((f"passenger {person.get('first_name')}", _person_cue(person)))
            if index >= len(before) or person.get("dob") != before[index].get("dob"):
                details.append((f"date of birth of {person.get('first_name')}", date_cue(str(person.get("dob")))))
    return details


def _booking_details(user: Record | None, arguments: dict[str, Any]) -> list[Detail]:
    details: list[Detail] = [(f"flight {f.get('flight_number')}", (str(f.get("flight_number")),)) for f in arguments.get("flights", [])]
    details.append(("cabin", _cabin_cue(str(arguments.get("cabin")))))
    details += [(f"passenger {p.get('first_name')}", _person_cue(p)) for p in arguments.get("passengers", [])]
    payments = arguments.get("payment_methods", [])
    details += [("payment method", payment_cue(user, str(p.get("payment_id", "")))) for p in payments]
    amounts = [format_amount(p.get("amount", 0)) for p in payments]
    total = format_amount(sum(float(p.get("amount", 0)) for p in payments))
    details.append(("total price", tuple(dict.fromkeys([total] + (amounts if len(amounts) == 1 else [])))))
    return details


def _fare_difference(state: State, reservation: Record, arguments: dict[str, Any]) -> int:
    """What update_reservation_flights would charge (positive) or refund (negative)."""
    cabin, n = arguments.get("cabin"), len(reservation["passengers"])
    total = 0
    for info in arguments.get("flights", []):
        kept = next((f for f in reservation["flights"] if f["flight_number"] == info.get("flight_number") and f["date"] == info.get("date") and cabin == reservation["cabin"]), None)
        if kept is not None:
            total += kept["price"]
            continue
        flight = state.get("flights", str(info.get("flight_number", "")))
        day = (flight or {}).get("dates", {}).get(str(info.get("date")))
        total += (day or {}).get("prices", {}).get(cabin, 0)
    return (total - sum(f["price"] for f in reservation["flights"])) * n


