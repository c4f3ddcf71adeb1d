"""The scripted user's airline words: trips, flights, cabins, travellers, and the booking's details.

    group_words("book_reservation", "route", {"kind": "round trip", "origin": "DEN", ...}, rng)
    # 'Denver to Boston and back'
"""

from __future__ import annotations

import random
import re

from actors.scripted.phrases import FLIGHT, airport_code, flight_attributes, flight_list
from actors.scripted.wording import count_words, day_words, joined, method_words, pick, spoken_dob
from domains.airline.scripted_agent import _TRAVELLER_PARTS
from domains.airline.scripted_records import reservation_attributes
from domains.airline.tools import AIRPORTS

CITIES = dict(AIRPORTS)
_SCENARIO = re.compile(r"\bairline\b|\buser id is\b")


def recognises(scenario: str) -> bool:
    """An airline scenario: it names the airline, or gives the customer a user id."""
    return _SCENARIO.search(scenario) is not None


def place(code_or_text: str, rng: random.Random) -> str:
    code = airport_code(code_or_text)
    city = CITIES.get(code)
    if city is None:
        return code
    return pick(rng, city, city, code)


def clock_words(hhmm: str, rng: random.Random) -> str:
    hour, minute = (int(part) for part in hhmm.split(":"))
    twelve = f"{hour % 12 or 12}{':%02d' % minute if minute else ''} {'am' if hour < 12 else 'pm'}"
    return pick(rng, twelve, twelve, f"{hour:02d}{minute:02d}", hhmm)


def flight_words(phrase: str, rng: random.Random) -> str:
    wanted = flight_attributes(phrase)
    if "flight_number" in wanted:
        return pick(rng, f"{wanted['flight_number']} on {day_words(wanted['date'], rng)}", f"flight {wanted['flight_number']}, {day_words(wanted['date'], rng)}",
                    f"the {day_words(wanted['date'], rng)} {wanted['flight_number']}", f"{wanted['flight_number']}, the one on {day_words(wanted['date'], rng)}")
    route = f"{place(wanted['origin'], rng)} to {place(wanted['destination'], rng)}"
    return pick(rng, f"the {clock_words(wanted['departure'], rng)} {route} flight on {day_words(wanted['date'], rng)}",
                f"the {route} flight at {clock_words(wanted['departure'], rng)} on {day_words(wanted['date'], rng)}",
                f"the flight leaving {place(wanted['origin'], rng)} at {clock_words(wanted['departure'], rng)} for {place(wanted['destination'], rng)}, {day_words(wanted['date'], rng)}")


def flights_words(phrase: str, rng: random.Random) -> str:
    return joined([flight_words(found.group(0), rng) for found in re.finditer(FLIGHT, phrase)], rng) if flight_list(phrase) else phrase


def reservation_words(phrase: str, rng: random.Random) -> str:
    wanted = reservation_attributes(phrase)
    if "id" in wanted:
        return pick(rng, f"reservation {wanted['id']}", f"my booking {wanted['id']}", f"confirmation code {wanted['id']}")
    cabin = f" in {wanted['cabin'].replace('_', ' ')}" if "cabin" in wanted else ""
    if "flight_number" in wanted:
        return pick(rng, f"my booking that has {wanted['flight_number']} on {day_words(wanted['date'], rng)}{cabin}",
                    f"the reservation with {wanted['flight_number']} ({day_words(wanted['date'], rng)}){cabin}")
    kind = {"round_trip": "round trip", "one_way": "one-way trip"}.get(wanted.get("flight_type", ""), pick(rng, "trip", "booking", "flight"))
    origin, destination = place(wanted["origin"], rng), place(wanted["destination"], rng)
    leaving = f", leaving {day_words(wanted['date'], rng)}" if "date" in wanted else ""
    return pick(rng, f"my {kind} from {origin} to {destination}{leaving}{cabin}", f"the {origin}–{destination} {kind}{leaving}{cabin}",
                f"my {origin} to {destination} {kind}{leaving}{cabin}", f"the {kind} I booked between {origin} and {destination}{leaving}{cabin}")


def cabin_words(phrase: str, rng: random.Random) -> str:
    return {"business": pick(rng, "business class", "business"), "economy": pick(rng, "economy", "regular economy", "economy class"),
            "basic economy": pick(rng, "basic economy", "the basic economy fare")}.get(phrase, phrase)


def travellers_words(phrase: str, rng: random.Random) -> str:
    people = []
    for found in _TRAVELLER_PARTS.finditer(phrase):
        born = spoken_dob(found["dob"], rng)
        if found["name"] == "yourself":
            people.append(pick(rng, f"me (I was born {born})", f"myself, date of birth {born}", f"just me, born {born}"))
        else:
            people.append(pick(rng, f"{found['name']}, born {born}", f"{found['name']} (date of birth {born})"))
    return people[0] + "".join(pick(rng, ", together with ", ", along with ", "; also ") + person for person in people[1:])


_ONE_FIELD = {  # groups said from their one field of the same name
    "res": reservation_words, "flight": flight_words, "flights": flights_words, "cabin": cabin_words, "travellers": travellers_words,
}


def group_words(goal_type: str, group: str, fields: dict[str, str], rng: random.Random) -> str | None:
    """The words for one airline group's fields; None for a group the generic wording says."""
    if group in _ONE_FIELD:
        return _ONE_FIELD[group](fields[group], rng)
    if group == "route":
        origin, destination = place(fields["origin"], rng), place(fields["destination"], rng)
        if fields.get("kind") == "round trip":
            return rng.choice((f"{origin} to {destination} and back", f"a round trip, {origin} to {destination}", f"round-trip tickets between {origin} and {destination}"))
        return rng.choice((f"one way, {origin} to {destination}", f"a one-way ticket from {origin} to {destination}", f"just {origin} to {destination}, one way"))
    if group == "bags" and goal_type == "book_reservation":
        n = int(fields.get("bags", "0"))
        return count_words(n, "checked bag") + rng.choice((" in total", "", " altogether")) if n else rng.choice(("no checked bags", "no checked luggage at all", "zero checked bags"))
    if group == "bags":
        added = count_words(int(fields.get("added", "1")), "more checked bag")
        return f"{added}, so {fields['total']} in total" if "total" in fields else added
    if group == "insurance":
        return rng.choice(("yes, I'd like travel insurance", "I'll take the insurance", "please add insurance")) if fields["insurance"] == "want" \
            else rng.choice(("no insurance, thanks", "I'll skip the insurance", "I don't need insurance"))
    if group == "pay":
        first = method_words(fields["pay"], rng)
        return f"{first}, and the rest on {method_words(fields['rest'], rng)}" if "rest" in fields else first
    if group == "change":
        return rng.choice((f"to move from {flights_words(fields['old'], rng)} to {flights_words(fields['new'], rng)}",
                           f"to switch {flights_words(fields['old'], rng)} for {flights_words(fields['new'], rng)}"))
    if group == "passenger":
        who, dob = fields.get("who", ""), spoken_dob(fields["dob"], rng) if "dob" in fields else ""
        if "new" in fields:
            return rng.choice((f"to swap {who} out for {fields['new']}, born {dob}", f"{fields['new']} (born {dob}) to travel instead of {who}"))
        return rng.choice((f"{who}'s date of birth corrected to {dob}", f"to fix the birth date of {who}: it should be {dob}"))
    return None


__all__ = ["CITIES", "group_words", "recognises"]
