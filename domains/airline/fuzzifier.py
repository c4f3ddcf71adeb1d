"""Airline descriptions: a reservation by its route and date (or a flight on it), a flight by number and
date or by route, date and departure time, a passenger by name, a payment method by kind and details.

The user id stays in every scenario (the policy asks for it) and flight numbers may stay. Scopes:
`users`, `user:<id>` (that user's reservations and payment methods), `saved:<id>` (the user's saved
passengers), `reservation:<id>` (its passengers), `flights` (every flight). Passengers have no id of
their own: a passenger's id is its position in its scope.
"""

from __future__ import annotations

import random
from functools import partial
from collections.abc import Iterable, Iterator
from typing import Any

from domains.airline.sampler import REASON_CLAUSES, AirlineGoal, routes
from domains.airline.tools import AIRPORTS
from domains.constraints import Constraint
from domains.airline.models import CABIN_NAMES
from domains.fuzzy import (
    Describer,
    FuzzLevel,
    NotDescribableError,
    clock,
    human_date,
    payment_method_ladder,
    payment_method_matches,
    render_payment_method,
)
from domains.sampling import Draft
from domains.scenario import ScenarioParts
from domains.state import Record, State

VALUE_KEY = "amount"  # a gift card's or certificate's value left on it (retail says `balance`)
ATTRIBUTE_FACTS = {  # how airline's own description attributes read in a scenario (the facts a rewrite must keep)
    "departure": lambda value: [clock(value)],
    "cabin": lambda value: [CABIN_NAMES.get(value, value)],
    "flight_type": lambda value: [],  # rendered as words ("round trip"), not as a value
}

CITIES = dict(AIRPORTS)
PARTS = {"outbound": "outbound ", "return": "return "}

# --- scopes and matchers -----------------------------------------------------------------------


def _users(state: State, scope: str, attributes: dict[str, Any]) -> Iterable[tuple[str, Any]]:
    user_id = attributes.get("user_id", attributes.get("id"))
    user = state.get("users", user_id) if isinstance(user_id, str) else None
    return [(user_id, user)] if user else []


def _reservations(state: State, scope: str, attributes: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    user = state.get("users", scope.removeprefix("user:"))
    for reservation_id in user["reservations"] if user else []:
        reservation = state.get("reservations", reservation_id)
        if reservation is not None:
            yield reservation_id, reservation


def _reservation_matches(reservation: Record, attributes: dict[str, Any]) -> bool:
    for key in ("origin", "destination", "flight_type", "cabin"):
        if key in attributes and reservation[key] != attributes[key]:
            return False
    if "flight_number" in attributes:
        if not any(f["flight_number"] == attributes["flight_number"] and f["date"] == attributes["date"] for f in reservation["flights"]):
            return False
    elif "date" in attributes and reservation["flights"][0]["date"] != attributes["date"]:
        return False
    return True


def _flights(state: State, scope: str, attributes: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    if "flight_number" in attributes or "id" in attributes:
        number = attributes.get("flight_number", attributes.get("id"))
        numbers = [number]
    else:
        numbers = routes(state)["by_route"].get((attributes.get("origin"), attributes.get("destination")), [])
    for number in numbers:
        flight = state.get("flights", number)
        if flight is not None:
            yield number, flight


def _flight_matches(flight: Record, attributes: dict[str, Any]) -> bool:
    if attributes.get("date") not in flight["dates"]:
        return False
    return "departure" not in attributes or flight["scheduled_departure_time_est"] == attributes["departure"]


def _passengers(state: State, scope: str, attributes: dict[str, Any]) -> Iterable[tuple[str, Any]]:
    kind, _, key = scope.partition(":")
    if kind == "saved":
        user = state.get("users", key)
        people = user["saved_passengers"] if user else []
    else:
        reservation = state.get("reservations", key)
        people = reservation["passengers"] if reservation else []
    return [(str(index), person) for index, person in enumerate(people)]


def _passenger_matches(person: Record, attributes: dict[str, Any]) -> bool:
    return (person["first_name"], person["last_name"]) == (attributes["first_name"], attributes["last_name"])


def _payment_methods(state: State, scope: str, attributes: dict[str, Any]) -> Iterable[tuple[str, Any]]:
    user = state.get("users", scope.removeprefix("user:"))
    return user["payment_methods"].items() if user else ()


RESOLVERS = {
    "user": (_users, lambda user, attributes: True),
    "reservation": (_reservations, _reservation_matches),
    "flight": (_flights, _flight_matches),
    "passenger": (_passengers, _passenger_matches),
    "payment_method": (_payment_methods, partial(payment_method_matches, value_key=VALUE_KEY)),
}

# --- rendering ---------------------------------------------------------------------------------


def airport(code: str) -> str:
    return f"{CITIES[code]} ({code})" if code in CITIES else code


def _reservation_text(a: dict[str, Any]) -> str:
    if "id" in a:
        return f"reservation {a['id']}"
    if "flight_number" in a:
        text = f"your reservation with flight {a['flight_number']} on {human_date(a['date'])}"
    else:
        kind = "round trip" if a.get("flight_type") == "round_trip" else "one-way trip" if "flight_type" in a else "trip"
        text = f"your {kind} from {airport(a['origin'])} to {airport(a['destination'])}"
        if "date" in a:
            text += f" departing {human_date(a['date'])}"
    if "cabin" in a:
        text += f" in {CABIN_NAMES[a['cabin']]}"
    return text


def _flight_text(a: dict[str, Any]) -> str:
    if "flight_number" in a:
        return f"flight {a['flight_number']} on {human_date(a['date'])}"
    return f"the {clock(a['departure'])} flight from {airport(a['origin'])} to {airport(a['destination'])} on {human_date(a['date'])}"


def _passenger_text(a: dict[str, Any]) -> str:
    return f"passenger {a['id']}" if "id" in a else f"{a['first_name']} {a['last_name']}"


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _bags(n: int) -> str:
    return f"{n} checked bag" + ("" if n == 1 else "s")


def stated_facts(constraint: Constraint) -> list[str]:
    """Values the user states outright: reasons, cabins, bag counts, dates of birth, trip ends."""
    p = constraint.params
    goal = AirlineGoal(constraint.type)
    if goal is AirlineGoal.BOOK_RESERVATION:
        facts = [p["origin"], p["destination"], CABIN_NAMES[p["cabin"]]]
        facts += [human_date(person["dob"]) for person in p["passengers"]]
        return facts + ([_bags(p["total_baggages"])] if p["total_baggages"] else [])
    if goal is AirlineGoal.CANCEL_RESERVATION:
        return [REASON_CLAUSES[p["reason"]]]
    if goal is AirlineGoal.CHANGE_CABIN:
        return [CABIN_NAMES[p["cabin"]]]
    if goal is AirlineGoal.ADD_BAGS:
        return [_bags(p["added"]), str(p["total_baggages"])]
    if goal is AirlineGoal.UPDATE_PASSENGERS:
        return [human_date(p["new_passenger"]["dob"])]
    return []


# --- the fuzzifier -----------------------------------------------------------------------------


class _Airline:
    """Describes one draft's records at one fuzz level."""

    def __init__(self, draft: Draft, level: FuzzLevel) -> None:
        self.draft = draft
        self.level = level
        self.describer = Describer(level)
        self.start = draft.base.new_state()
        self.user_scope = f"user:{draft.user_id}"

    def reservation(self, reservation_id: str, worlds: list[State]) -> str:
        if self.level is not FuzzLevel.FULL:
            return self.describer.by_id("reservation", reservation_id, self.user_scope, _reservation_text, worlds)
        r = self.start.get("reservations", reservation_id)
        route = {"origin": r["origin"], "destination": r["destination"]}
        first = r["flights"][0]
        ladder = [
            route,
            {**route, "date": first["date"]},
            {**route, "flight_type": r["flight_type"], "date": first["date"]},
            {"flight_number": first["flight_number"], "date": first["date"]},
            {**route, "date": first["date"], "cabin": r["cabin"]},
        ]
        return self.describer.describe("reservation", reservation_id, self.user_scope, ladder, _reservation_text, worlds)

    def flight(self, number: str, date: str, worlds: list[State], rng: random.Random) -> str:
        flight = self.start.get("flights", number)
        by_number = {"flight_number": number, "date": date}
        by_time = {"origin": flight["origin"], "destination": flight["destination"], "date": date, "departure": flight["scheduled_departure_time_est"]}
        ladder = [by_time, by_number] if self.level is FuzzLevel.FULL and rng.random() < 0.5 else [by_number]
        return self.describer.describe("flight", number, "flights", ladder, _flight_text, worlds)

    def flights(self, flights: list[dict[str, str]], worlds: list[State], rng: random.Random) -> str:
        return _join([self.flight(f["flight_number"], f["date"], worlds, rng) for f in flights])

    def payment_method(self, method_id: str, worlds: list[State]) -> str:
        method = worlds[-1].get("users", self.draft.user_id)["payment_methods"][method_id]
        if self.level is FuzzLevel.EXACT:
            return self.describer.by_id("payment_method", method_id, self.user_scope, render_payment_method, worlds)
        try:
            return self.describer.describe("payment_method", method_id, self.user_scope, payment_method_ladder(method, VALUE_KEY), render_payment_method, worlds)
        except NotDescribableError:
            if self.level is FuzzLevel.FULL:
                raise
            return self.describer.by_id("payment_method", method_id, self.user_scope, render_payment_method, worlds)

    def passenger(self, scope: str, person: Record, worlds: list[State], context: str) -> str:
        people = dict(_passengers(worlds[-1], scope, {}))
        target = next(pid for pid, p in people.items() if p == person)
        attributes = {"first_name": person["first_name"], "last_name": person["last_name"]}
        return self.describer.describe("passenger", target, scope, [attributes], _passenger_text, worlds, context)

    def identity(self) -> list[str]:
        user = self.start.get("users", self.draft.user_id)
        text = self.describer.describe("user", self.draft.user_id, "users", [{"user_id": self.draft.user_id}], lambda a: a["user_id"], [self.start])
        return [f"You are {user['name']['first_name']} {user['name']['last_name']}.", f"Your user id is {text}."]

    def goal(self, constraint: Constraint, worlds: list[State], rng: random.Random) -> str:
        p = constraint.params
        goal = AirlineGoal(constraint.type)
        if goal is AirlineGoal.BOOK_RESERVATION:
            return self.booking(p, worlds, rng)
        if goal is AirlineGoal.INFO_CERTIFICATE_TOTAL:
            many = sum(m["source"] == "certificate" for m in worlds[-1].get("users", self.draft.user_id)["payment_methods"].values()) > 1
            return "Ask how much your travel certificates are worth in total." if many else "Ask how much your travel certificate is worth."
        if goal is AirlineGoal.INFO_FLIGHT_STATUS:
            return f"Ask whether {self.flight(p['flight_number'], p['date'], worlds, rng)} is on time."
        reservation = self.reservation(p["reservation_id"], worlds)
        if goal is AirlineGoal.CANCEL_RESERVATION:
            return f"Cancel {reservation}, because {REASON_CLAUSES[p['reason']]}."
        if goal is AirlineGoal.SEND_COMPENSATION:
            flight = self.flight(p["flight"]["flight_number"], p["flight"]["date"], worlds, rng)
            if p["cause"] == "cancelled":
                return f"Complain that the airline cancelled {flight} on {reservation}, and ask what compensation you can get; accept what the agent offers."
            return f"Once the request above is done, complain that {flight} on {reservation} is delayed, and ask what compensation you can get; accept what the agent offers."
        method = self.payment_method(p["payment_id"], worlds)
        if goal is AirlineGoal.CHANGE_CABIN:
            return f"Move every passenger on {reservation} to {CABIN_NAMES[p['cabin']]} on all its flights; settle the fare difference with {method}."
        if goal is AirlineGoal.ADD_BAGS:
            return f"Add {_bags(p['added'])} to {reservation}, for {p['total_baggages']} in total; pay any bag fee with {method}."
        if goal is AirlineGoal.CHANGE_FLIGHTS:
            moved = [i for i, (before, after) in enumerate(zip(p["old_flights"], p["flights"])) if before != after]
            old, new = [p["old_flights"][i] for i in moved], [p["flights"][i] for i in moved]
            part = PARTS.get(p["part"], "") if len(p["old_flights"]) > 1 else ""
            return (
                f"On {reservation}, change your {part}travel from {self.flights(old, worlds, rng)} to {self.flights(new, worlds, rng)}, "
                f"keeping the same cabin; settle any fare difference with {method}."
            )
        raise ValueError(f"no sentence for {goal}")

    def passengers_goal(self, p: dict[str, Any], worlds: list[State]) -> str:
        reservation = self.reservation(p["reservation_id"], worlds)
        old = self.passenger(f"reservation:{p['reservation_id']}", p["old_passenger"], worlds, f"on {reservation}")
        new = p["new_passenger"]
        if p["change"] == "dob":
            return f"On {reservation}, correct the date of birth of {old} to {human_date(new['dob'])}."
        saved = self.passenger(f"saved:{self.draft.user_id}", new, worlds, "from your saved passengers")
        return f"On {reservation}, replace the passenger {old} with {saved} (born {human_date(new['dob'])})."

    def booking(self, p: dict[str, Any], worlds: list[State], rng: random.Random) -> str:
        user = self.start.get("users", self.draft.user_id)
        travellers = [f"yourself (born {human_date(user['dob'])})"]
        for person in p["passengers"][1:]:
            name = self.passenger(f"saved:{self.draft.user_id}", person, worlds, "from your saved passengers")
            travellers.append(f"{name} (born {human_date(person['dob'])})")
        kind = "round trip" if p["flight_type"] == "round_trip" else "one-way trip"
        flights = self.flights(p["flights"], worlds, rng)
        bags = f"You want {_bags(p['total_baggages'])} in total." if p["total_baggages"] else "You do not need any checked bags."
        insurance = "You want travel insurance." if p["insurance"] == "yes" else "You do not want travel insurance."
        payments = [self.payment_method(pay["payment_id"], worlds) for pay in p["payment_methods"]]
        pay = f"Pay with {payments[0]}" + (f" and put the rest on {payments[1]}." if len(payments) > 1 else ".")
        return (
            f"Book a {kind} from {airport(p['origin'])} to {airport(p['destination'])} in {CABIN_NAMES[p['cabin']]} "
            f"for {_join(travellers)}, on {flights}. {bags} {insurance} {pay}"
        )


def fuzzify(draft: Draft, level: FuzzLevel, rng: random.Random) -> ScenarioParts:
    """Descriptions and goal sentences for an airline draft; NotDescribableError if a record cannot be described."""
    fuzzer = _Airline(draft, level)
    goals = []
    for constraint, pre in zip(draft.constraints, draft.pre_states):
        worlds = [fuzzer.start, pre]
        if constraint.type == AirlineGoal.UPDATE_PASSENGERS:
            goals.append(fuzzer.passengers_goal(constraint.params, worlds))
        else:
            goals.append(fuzzer.goal(constraint, worlds, rng))
    unknown = []
    if level is FuzzLevel.FULL:
        unknown.append("You do not remember any reservation number or payment method id.")
    elif level is FuzzLevel.PARTIAL:
        unknown.append("You do not know any payment method id.")
    return ScenarioParts(descriptions=fuzzer.describer.descriptions, identity=fuzzer.identity(), goals=goals, unknown=unknown)
