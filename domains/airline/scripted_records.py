"""Finding airline records from the way a user describes them: trips, flights, passengers, payment methods.

A trip is matched against the user's reservations, read one at a time; a new flight is found with the
direct-flight search; payment methods and passengers come from the profile.
"""

from __future__ import annotations

import re
from typing import Any

from domains.scripted.phrases import DATE, iso_date, spoken_date
from domains.scripted.plans import Context, Write
from domains.scripted.transcript import CannotResolveError

AIRPORT = r"(?:[A-Z][\w.'-]*(?: [A-Z][\w.'-]*)* \([A-Z]{3}\)|[A-Z]{3})"
CABIN = r"(?:basic economy|economy|business)"
FLIGHT = rf"(?:flight [A-Z0-9]+ on {DATE}|the \d\d:\d\d flight from {AIRPORT} to {AIRPORT} on {DATE})"
FLIGHTS = rf"{FLIGHT}(?:(?:, | and ){FLIGHT})*"
_FLIGHT_PARTS = re.compile(
    rf"flight (?P<number>[A-Z0-9]+) on (?P<date>{DATE})"
    rf"|the (?P<time>\d\d:\d\d) flight from (?P<origin>{AIRPORT}) to (?P<destination>{AIRPORT}) on (?P<day>{DATE})"
)


def airport_code(text: str) -> str:
    """'Denver (DEN)' or 'DEN' -> 'DEN'."""
    found = re.search(r"\(([A-Z]{3})\)\s*$", text.strip())
    return found.group(1) if found else text.strip()


def flight_attributes(text: str) -> dict[str, str]:
    """'flight HAT001 on May 20, 2024' or 'the 08:00 flight from Denver (DEN) to ... on ...' as fields."""
    found = _FLIGHT_PARTS.search(text)
    if not found:
        return {}
    if found["number"]:
        return {"flight_number": found["number"], "date": iso_date(found["date"])}
    return {
        "departure": found["time"],
        "origin": airport_code(found["origin"]),
        "destination": airport_code(found["destination"]),
        "date": iso_date(found["day"]),
    }


def flight_list(text: str) -> list[dict[str, str]]:
    """Every flight named in a listing, in order."""
    return [flight_attributes(found.group(0)) for found in _FLIGHT_PARTS.finditer(text)]

_RES_BY_FLIGHT = re.compile(rf"your reservation with flight (?P<number>[A-Z0-9]+) on (?P<date>{DATE})(?: in (?P<cabin>{CABIN}))?")
_RES_BY_ROUTE = re.compile(
    rf"your (?P<kind>round trip|one-way trip|trip) from (?P<origin>{AIRPORT}) to (?P<destination>{AIRPORT})"
    rf"(?: departing (?P<date>{DATE}))?(?: in (?P<cabin>{CABIN}))?"
)


def cabin_code(text: str) -> str:
    return text.replace(" ", "_")


def reservation_attributes(text: str) -> dict[str, Any]:
    by_id = re.fullmatch(r"reservation (\w+)", text)
    if by_id:
        return {"id": by_id.group(1)}
    attributes: dict[str, Any] = {}
    found = _RES_BY_FLIGHT.fullmatch(text)
    if found:
        attributes = {"flight_number": found["number"], "date": iso_date(found["date"])}
    else:
        found = _RES_BY_ROUTE.fullmatch(text)
        if not found:
            return {}
        attributes = {"origin": airport_code(found["origin"]), "destination": airport_code(found["destination"])}
        if found["kind"] != "trip":
            attributes["flight_type"] = "round_trip" if found["kind"] == "round trip" else "one_way"
        if found["date"]:
            attributes["date"] = iso_date(found["date"])
    if found["cabin"]:
        attributes["cabin"] = cabin_code(found["cabin"])
    return attributes


def reservation_fits(reservation: dict[str, Any], wanted: dict[str, Any]) -> bool:
    if any(key in wanted and reservation[key] != wanted[key] for key in ("origin", "destination", "flight_type", "cabin")):
        return False
    if "flight_number" in wanted:
        return any(f["flight_number"] == wanted["flight_number"] and f["date"] == wanted["date"] for f in reservation["flights"])
    return "date" not in wanted or reservation["flights"][0]["date"] == wanted["date"]


def find_reservation(text: str, user: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """The first of the user's reservations that fits the description (read one at a time)."""
    wanted = reservation_attributes(text)
    if "id" in wanted:
        return ctx.knowledge.read("get_reservation_details", reservation_id=wanted["id"])
    if not wanted:
        raise CannotResolveError(f"I did not understand which trip you mean by {text}.")
    for reservation_id in user["reservations"]:
        reservation = ctx.knowledge.read("get_reservation_details", reservation_id=reservation_id)
        if reservation_fits(reservation, wanted):
            return reservation
    raise CannotResolveError(f"I could not find {text} among your reservations.")


def segment_fits(segment: dict[str, Any], wanted: dict[str, Any]) -> bool:
    if "flight_number" in wanted:
        return segment["flight_number"] == wanted["flight_number"] and segment.get("date") == wanted["date"]
    same_route = segment["origin"] == wanted["origin"] and segment["destination"] == wanted["destination"]
    departure = segment.get("scheduled_departure_time_est")
    return same_route and segment.get("date", wanted["date"]) == wanted["date"] and (departure is None or departure[:5] == wanted["departure"])


def segment_index(reservation: dict[str, Any], wanted: dict[str, Any], taken: set[int] | frozenset[int] = frozenset()) -> int:
    for index, segment in enumerate(reservation["flights"]):
        if index not in taken and segment_fits(segment, wanted):
            return index
    raise CannotResolveError(f"reservation {reservation['reservation_id']} has no flight matching {flight_words(wanted)}.")


def flight_words(wanted: dict[str, Any]) -> str:
    if "flight_number" in wanted:
        return f"flight {wanted['flight_number']} on {spoken_date(wanted['date'])}"
    return f"the {wanted['departure']} flight from {wanted['origin']} to {wanted['destination']} on {spoken_date(wanted['date'])}"


def direct_flight(ctx: Context, origin: str, destination: str, wanted: dict[str, Any]) -> dict[str, Any]:
    """A bookable direct flight that fits a description, found with the flight search."""
    results = ctx.knowledge.read("search_direct_flight", origin=origin, destination=destination, date=wanted["date"])
    for flight in results:
        if segment_fits({**flight, "date": wanted["date"]}, wanted):
            return {**flight, "date": wanted["date"]}
    raise CannotResolveError(f"{flight_words(wanted)} is not available.")


def method_text(user: dict[str, Any], method_id: str) -> str:
    method = user["payment_methods"].get(method_id, {})
    source = method.get("source", "")
    if source == "credit_card":
        return f"the {str(method.get('brand', '')).title()} credit card ending in {method.get('last_four')}"
    return f"the {source.replace('_', ' ')} {method_id}"


def itinerary(flights: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [{"flight_number": f["flight_number"], "date": f["date"]} for f in flights]


def passenger(person: dict[str, Any], dob: str | None = None) -> dict[str, str]:
    return {"first_name": person["first_name"], "last_name": person["last_name"], "dob": dob or person["dob"]}


def full_name(person: dict[str, Any]) -> str:
    return f"{person['first_name']} {person['last_name']}"


def passengers_noop(reservation: dict[str, Any]) -> Write:
    passengers = [passenger(p) for p in reservation["passengers"]]
    return Write(
        "update_reservation_passengers", {"reservation_id": reservation["reservation_id"], "passengers": passengers},
        f"I will also re-save the passenger details of reservation {reservation['reservation_id']} as they are.",
        f"The passenger details of reservation {reservation['reservation_id']} are saved.",
    )
