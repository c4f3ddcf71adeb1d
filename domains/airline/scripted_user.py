"""The scripted user's airline words: trips, flights, cabins, travellers, and the booking's details.

    group_words("book_reservation", "route", {"kind": "round trip", "origin": "DEN", ...}, rng)
    # 'Denver to Boston and back'
"""

from __future__ import annotations

import random
import re

from domains.scripted.wording import count_words, day_words, joined, method_words, pick, spoken_dob
from domains.airline.scripted_agent import _TRAVELLER_PARTS
from domains.airline.scripted_records import FLIGHT, airport_code, flight_attributes, flight_list, reservation_attributes
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


NEEDS = {  # goal type (or type_many, type_delayed) -> first-person ways to raise it
    "book_reservation": ("I'd like to book a flight", "I need to make a new booking", "can you help me book a trip", "I want to book some flights"),
    "cancel_reservation": ("I need to cancel a trip", "I'd like to cancel a reservation", "please cancel one of my bookings", "I have to call off a trip"),
    "send_compensation": ("I'm really unhappy about a flight of mine and I'd like some compensation",
                          "one of my flights was cancelled and I'd like to know what you can offer",
                          "I want to complain about a flight, and I think I'm owed compensation"),
    "send_compensation_delayed": ("my flight is delayed and I'm not happy about it: can I get compensation for that?",
                                  "I want to complain about a delay and ask what you can do for me",
                                  "one of my flights is running late and I'd like some compensation"),
    "info_certificate_total": ("how much is my travel certificate worth", "could you check the value of my travel certificate",
                               "I'd like to know what my certificate is worth"),
    "info_certificate_total_many": ("how much are my travel certificates worth together", "what's the total value of my certificates",
                                    "could you add up my travel certificates for me"),
    "info_flight_status": ("is my flight on time", "could you check the status of a flight", "I'd like to know if a flight is on schedule",
                           "can you tell me whether a flight is running on time"),
    "change_cabin": ("I'd like to change the cabin on a booking", "can I switch cabins on one of my trips", "I want to change the class I'm flying in"),
    "add_bags": ("I need to add checked bags to a trip", "can I add some luggage to my booking", "I'd like to check more bags on a trip"),
    "change_flights": ("I need to change the flights on a trip", "I'd like to move to a different flight", "can I rebook one of my flights"),
    "update_passengers": ("I need to fix passenger details on a booking", "there's a passenger change on one of my trips", "I have to update a passenger on a reservation"),
}
INFORMS = {  # group -> templates for its words ({x}; {X} capitalised)
    "route": ("{X}.", "It's {x}.", "I'm looking at {x}.", "I want {x}."),
    "flights": ("I'd like {x}.", "I want to take {x}.", "Please book {x}.", "I've picked {x}."),
    "cabin": ("{X}, please.", "I'd like {x}.", "Let's do {x}.", "I'll fly {x}."),
    "travellers": ("It's {x}.", "The travellers are {x}.", "That's {x}.", "We'll be {x}."),
    "bags": ("{X}.", "I'll need {x}.", "Let's say {x}.", "Put me down for {x}."),
    "insurance": ("{X}.",),
    "pay": ("I'll pay with {x}.", "Please charge {x}.", "Use {x} for it.", "{X}, please."),
    "res": ("It's {x}.", "I mean {x}.", "It's about {x}.", "The trip is {x}.", "I'm talking about {x}."),
    "flight": ("It's {x}.", "I mean {x}.", "The flight is {x}.", "That's {x}."),
    "change": ("I'd like {x}.", "What I need is {x}.", "I want {x}."),
    "passenger": ("{X}.", "I need {x}.", "I'd like {x}."),
}

__all__ = ["INFORMS", "NEEDS", "CITIES", "group_words", "recognises"]


# --- what the generic user asks of its domain (optional members of ScriptedUserRules) -----------

RECORD_NOUNS = ("reservation",)  # asked for one's number or id, the customer says it has none
GOAL_DEFAULTS = {"book_reservation": {"bags": "0"}}  # "You do not need any checked bags" is an answer too
REASON_WORDS = {  # a cancellation reason of the scenario -> ways a customer says it
    "your plans have changed": ("my plans have changed", "my plans changed", "I changed my plans"),
    "you have a scheduling conflict at work": ("I've got a clash with my work schedule", "something came up at work", "work got in the way with a scheduling conflict"),
    "a health problem keeps you from travelling": ("I have a health problem and can't travel", "a health issue keeps me from travelling", "I'm not well enough to travel"),
    "severe weather is forecast for your travel dates": ("there's severe weather forecast for my travel dates", "they're forecasting severe weather when I'd travel", "the weather forecast for those dates is severe"),
    "the airline cancelled one of its flights": ("one of my flights got cancelled by the airline", "you cancelled one of my flights"),
}
PAYMENT_FIELDS = ("pay",)  # a booking's payment method


def request_key(goal_type: str, sentence: str, fields: dict[str, str]) -> str:
    """Several certificates are asked about in the plural; a delayed flight's compensation has its own words."""
    if goal_type == "info_certificate_total" and re.search(r"cards|certificates", sentence):
        return goal_type + "_many"
    if goal_type == "send_compensation" and fields.get("delayed"):
        return goal_type + "_delayed"
    return goal_type


def wrong_details(goal_type: str, fields: dict[str, str]) -> dict[str, str] | None:
    """One bag more, or the other cabin."""
    if goal_type == "add_bags":
        return {"added": str(int(fields["added"]) + 1), "total": str(int(fields["total"]) + 1), "res": fields["res"], "method": fields["method"]}
    if goal_type == "change_cabin":
        return {"cabin": "business" if fields["cabin"] != "business" else "economy", "res": fields["res"], "method": fields["method"]}
    return None


def outside_request(goal_type: str, fields: dict[str, str]) -> tuple[str, dict[str, str]] | None:
    """A bag added to the reservation the scenario is about."""
    if goal_type in ("change_cabin", "add_bags", "change_flights"):
        return "add_bags", {"res": fields["res"], "added": "1", "method": fields["method"]}
    return None


def invented_id(fields: dict[str, str], digest: bytes) -> dict[str, str] | None:
    """A reservation code of the right shape that the scenario never gave."""
    if "res" in fields:
        digits = f"{int.from_bytes(digest[:4], 'big') % 10**7:07d}"
        letters = "".join("ABCDEFGHJKLMNPQRSTUVWXYZ"[b % 24] for b in digest[4:9])
        return {"res": f"reservation {letters}{digits[-1]}"}
    return None
