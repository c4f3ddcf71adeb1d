"""Airline words: how each information goal is checked, and how a traveller can ask for each goal.

A flight is named by its number, by its route ("from New York to Seattle", city or airport code), or
by one end of it ("the flight to Seattle") when no other flight of the traveller that day shares
that end. A status counts only when it is said of the flight asked about (`domains.information`).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from domains.airline.models import CABIN_NAMES
from domains.airline.tools import AIRPORTS
from domains.constraints import Constraint, Task
from domains.cues import Cue, description_cue, linked_descriptions

from domains.information import Answer, amount_answer, other_subjects, status_answer
from domains.state import Database, State
from domains.text import keys, number_key, positions

CITIES = dict(AIRPORTS)
CODES = ("flight_number",)  # description attributes a customer says as they are
WORDS = {"cabin": lambda cabin: [CABIN_NAMES.get(cabin, cabin)]}  # and those said in words
CERTIFICATE = r"\b(?:certificate|voucher|travel credit)\b"
STATUS_LEXICON: dict[str, list[tuple[str, ...]]] = {
    status: [keys(phrase) for phrase in phrases]
    for status, phrases in {
        "on time": ("on time", "on-time", "ontime", "on schedule", "as scheduled", "running on time"),
        "delayed": ("delayed", "delay", "running late", "behind schedule", "late"),
        "landed": ("landed", "arrived", "touched down"),
        "cancelled": ("cancelled", "canceled", "cancellation", "called off"),
        "flying": ("flying", "in the air", "in flight", "en route", "airborne", "departed", "took off", "taken off"),
    }.items()
}


def place_names(code: str) -> list[str]:
    """An airport by its code and by its city."""
    return [code] + ([CITIES[code]] if code in CITIES else [])


@lru_cache(maxsize=4096)
def _place_keys(code: str) -> tuple[tuple[str, ...], ...]:
    return tuple(keys(name) for name in place_names(code))


def _at(clause_keys: tuple[str, ...], code: str) -> list[tuple[int, int]]:
    """(start, end) of each mention of an airport in a clause."""
    found = []
    for name in _place_keys(code):
        found += [(p, p + len(name)) for p in positions(clause_keys, name)]
    return found


def _flight_numbers(base: Database) -> frozenset[str]:
    return frozenset(number.lower() for number in base.tables["flights"])


def flight_finder(state: State, user_id: str, target: dict[str, str]):
    """Finds, in a clause, the flights of the traveller's day (and of the target's trip) that it names."""
    date = target["date"]
    segments: dict[str, tuple[str, str]] = {}
    user = state.get("users", user_id) or {"reservations": []}
    for reservation_id in user["reservations"]:
        reservation = state.get("reservations", reservation_id)
        if reservation is None:
            continue
        on_trip = any(f["flight_number"] == target["flight_number"] and f["date"] == date for f in reservation["flights"])
        for f in reservation["flights"]:
            if f["date"] == date or on_trip:
                segments[f["flight_number"]] = (f["origin"], f["destination"])
    flight = state.get("flights", target["flight_number"])
    if flight is not None:
        segments[target["flight_number"]] = (flight["origin"], flight["destination"])
    numbers = state.base.index("airline.facts.flight_numbers", _flight_numbers)

    def find(clause_keys: tuple[str, ...]) -> list[tuple[int, str]]:
        found = [(i, key.upper()) for i, key in enumerate(clause_keys) if key in numbers]
        for number, (origin, destination) in segments.items():
            starts, ends = _at(clause_keys, origin), _at(clause_keys, destination)
            same_route = [n for n, route in segments.items() if n != number and set(route) == {origin, destination}]
            for start, _ in starts:
                for end_start, end_end in ends:
                    if start < end_start and not (same_route and _reversed_ambiguity(segments, same_route, origin)):
                        found.append((end_end - 1, number))
            for end_start, end_end in ends:  # "the flight to Seattle"
                if end_start > 0 and clause_keys[end_start - 1] in ("to", "into", "for") and _unique_end(segments, number, 1):
                    found.append((end_end - 1, number))
            for start, stop in starts:  # "the flight from New York"
                if start > 0 and clause_keys[start - 1] in ("from", "leaving", "out") and _unique_end(segments, number, 0):
                    found.append((stop - 1, number))
        return sorted(set(found))

    return find


def _reversed_ambiguity(segments: dict[str, tuple[str, str]], others: list[str], origin: str) -> bool:
    """Another flight of the day flies the same way: a route cannot tell them apart."""
    return any(segments[n][0] == origin for n in others)


def _unique_end(segments: dict[str, tuple[str, str]], number: str, end: int) -> bool:
    place = segments[number][end]
    return sum(route[end] == place for route in segments.values()) == 1


def info_checkable(constraint: Constraint, state: State) -> bool:
    """Whether the goal's answer can be checked without guessing: a positive amount, a status the checker
    knows for a flight that exists (a flight is always nameable by its number)."""
    expected = constraint.expected_info[0] if constraint.expected_info else ""
    if constraint.type == "info_certificate_total":
        value = number_key(expected)
        return value is not None and float(value) > 0
    if constraint.type == "info_flight_status":
        return expected in STATUS_LEXICON and state.get("flights", constraint.params.get("flight_number", "")) is not None
    return True


def check_information(constraint: Constraint, agent_messages: list[str], task: Task, state: State) -> Answer | None:
    """The verdict on an airline information goal, or None for a type this domain does not know."""
    expected = constraint.expected_info[0] if constraint.expected_info else ""
    if constraint.type == "info_certificate_total":
        return amount_answer(agent_messages, expected, CERTIFICATE, other_subjects("certificate"))
    if constraint.type == "info_flight_status":
        target = {"flight_number": constraint.params["flight_number"], "date": constraint.params["date"]}
        finder = flight_finder(state, task.user_id, target)
        return status_answer(agent_messages, expected, target["flight_number"], finder, STATUS_LEXICON)
    return None


INTENTS: dict[str, Cue] = {  # the action asked for, in the words travellers use (matched in any inflection)
    "book_reservation": ("book", "booking", "reserve", "reservation", "fly", "flight", "ticket", "trip", "travel", "seat", "go to"),
    "cancel_reservation": ("cancel", "cancellation", "call off", "don't need", "no longer", "refund", "drop", "scrap", "not going", "can't go",
                           "cannot go", "can't make", "cannot make", "get rid of", "undo", "back out"),
    "change_flights": ("change", "move", "switch", "reschedule", "rebook", "different", "earlier", "later", "instead", "another", "push", "shift"),
    "change_cabin": ("upgrade", "downgrade", "cabin", "class", "business", "economy", "seat", "move", "change", "switch", "bump"),
    "add_bags": ("bag", "luggage", "suitcase", "baggage", "checked", "case"),
    "update_passengers": ("passenger", "name", "birth", "birthday", "dob", "born", "replace", "change", "correct", "update", "swap", "instead",
                          "wrong", "fix", "typo", "mistake"),
    "send_compensation": ("compensation", "compensate", "certificate", "voucher", "refund", "make up", "reimburse", "delay", "delayed",
                          "cancelled", "canceled", "inconvenience", "complain", "complaint", "scrap", "what do i get", "owed", "entitled"),
    "info_certificate_total": ("certificate", "voucher", "travel credit"),
    "info_flight_status": ("status", "on time", "delay", "delayed", "late", "schedule", "landed", "arrived", "depart", "leaving", "cancelled",
                           "still on", "running"),
}


def _person_cue(person: dict[str, Any]) -> Cue:
    return tuple(str(person.get(key)) for key in ("first_name", "last_name") if person.get(key))


PRIMARY_KINDS = ("reservation", "flight")  # what a request is about; payment methods and new flights are its details


def goal_cues(constraint: Constraint, task: Task, state: State) -> list[Cue]:
    """What a traveller must have said to have asked for this goal: the action, and what it acts on
    (its details, such as the payment method or the new flights, may come later or be left to the agent)."""
    cues = [INTENTS[constraint.type]] if constraint.type in INTENTS else []
    params = constraint.params
    ids = {params["reservation_id"]} if params.get("reservation_id") else set()
    if isinstance(params.get("flight"), dict):
        ids.add(params["flight"].get("flight_number", ""))
    if constraint.type == "info_flight_status":
        ids.add(params["flight_number"])
    record = [phrase for d in linked_descriptions(task.descriptions, ids) if d.kind in PRIMARY_KINDS for phrase in description_cue(d, place_names, codes=CODES, words=WORDS)]
    if record:  # the trip, or a flight of it: either names what the request is about
        cues.append(tuple(dict.fromkeys(record)))
    if constraint.type == "book_reservation":
        cues.append(tuple(place_names(params["origin"]) + place_names(params["destination"])))
    elif constraint.type == "update_passengers":
        cues.append(_person_cue(params["old_passenger"]) + _person_cue(params["new_passenger"]))
    elif constraint.type == "info_flight_status" and not any(d.kind == "flight" for d in linked_descriptions(task.descriptions, ids)):
        flight = state.get("flights", params["flight_number"]) or {}
        cues.append(tuple([params["flight_number"], *place_names(flight.get("origin", "")), *place_names(flight.get("destination", ""))]))
    return cues


_WRITE_INTENTS = {
    "book_reservation": "book_reservation",
    "cancel_reservation": "cancel_reservation",
    "update_reservation_baggages": "add_bags",
    "update_reservation_passengers": "update_passengers",
    "send_certificate": "send_compensation",
}


def write_cues(state: State, name: str, arguments: dict[str, Any]) -> list[Cue]:
    """What a traveller must have said to have asked for this write: its record and its kind of change."""
    intent = _WRITE_INTENTS.get(name)
    if name == "update_reservation_flights":
        reservation = state.get("reservations", str(arguments.get("reservation_id", ""))) or {}
        intent = "change_cabin" if arguments.get("cabin") != reservation.get("cabin") else "change_flights"
    cues = [INTENTS[intent]] if intent else []
    if name == "book_reservation":
        return cues + [tuple(place_names(str(arguments.get("origin", ""))) + place_names(str(arguments.get("destination", ""))))]
    if name == "send_certificate":
        return cues
    reservation = state.get("reservations", str(arguments.get("reservation_id", "")))
    if reservation is None:
        return cues
    record = [reservation["reservation_id"], *place_names(reservation["origin"]), *place_names(reservation["destination"])]
    record += [f["flight_number"] for f in reservation["flights"]] + [f["date"] for f in reservation["flights"]]
    return cues + [tuple(dict.fromkeys(record))]


# Lists whose order carries no meaning, compared as multisets: a booking's passengers are the travellers
# (no tool or policy rule reads their order), and its payments split one total between saved methods.
ORDER_FREE = frozenset({("reservations", "passengers"), ("reservations", "payment_history")})
