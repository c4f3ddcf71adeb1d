"""The airline world's tools: what a reservations agent can look up and change.

Each docstring is the description the agent reads. Behaviour (state changes, validation order,
error texts, what is deliberately NOT checked) follows τ²-bench's airline tools as measured in
../shared/tau2/SEMANTICS.md; the policy rules the tools do not enforce live in `policy.py`.
"""

from __future__ import annotations

from datetime import date as Date
from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from domains.airline.models import TAU2_NOW
from domains.calculator import calculate_expression
from domains.state import Database, Record, State
from domains.tooling import Tool, ToolError, ToolKind, Toolkit, tool

NEW_RESERVATION_IDS = ("HATHAT", "HATHAU", "HATHAV")
NEW_CERTIFICATE_IDS = ("certificate_3221322", "certificate_3221323", "certificate_3221324")
AIRPORTS = (
    ("SFO", "San Francisco"),
    ("JFK", "New York"),
    ("LAX", "Los Angeles"),
    ("ORD", "Chicago"),
    ("DFW", "Dallas"),
    ("DEN", "Denver"),
    ("SEA", "Seattle"),
    ("ATL", "Atlanta"),
    ("MIA", "Miami"),
    ("BOS", "Boston"),
    ("PHX", "Phoenix"),
    ("IAH", "Houston"),
    ("LAS", "Las Vegas"),
    ("MCO", "Orlando"),
    ("EWR", "Newark"),
    ("CLT", "Charlotte"),
    ("MSP", "Minneapolis"),
    ("DTW", "Detroit"),
    ("PHL", "Philadelphia"),
    ("LGA", "LaGuardia"),
)

Cabin = Literal["business", "economy", "basic_economy"]


class FlightInfo(BaseModel):
    """One flight of an itinerary."""

    model_config = ConfigDict(extra="ignore")
    flight_number: str = Field(description="The flight number, for example 'HAT001'.")
    date: str = Field(description="The date of the flight, as 'YYYY-MM-DD', for example '2024-05-01'.")


class Passenger(BaseModel):
    """A traveller on a reservation."""

    model_config = ConfigDict(extra="ignore")
    first_name: str = Field(description="The passenger's first name.")
    last_name: str = Field(description="The passenger's last name.")
    dob: str = Field(description="The passenger's date of birth, as 'YYYY-MM-DD'.")


class Payment(BaseModel):
    """A part of a booking's price, paid with one saved payment method."""

    model_config = ConfigDict(extra="ignore")
    payment_id: str = Field(description="The payment method's id, for example 'credit_card_7815826'.")
    amount: int = Field(description="The amount paid with this method, in whole dollars.")


def domain_now(db: Database) -> str:
    """The domain's current time: the database's own `meta.now` (its sidecar's), else τ²-bench's fixed clock."""
    meta = db.extra.get("meta")
    return meta.get("now", TAU2_NOW) if isinstance(meta, dict) else TAU2_NOW


# --- lookups -------------------------------------------------------------------------------


def _user(db: State, user_id: str) -> Record:
    user = db.get("users", user_id)
    if user is None:
        raise ToolError(f"User {user_id} not found")
    return user


def _reservation(db: State, reservation_id: str) -> Record:
    reservation = db.get("reservations", reservation_id)
    if reservation is None:
        raise ToolError(f"Reservation {reservation_id} not found")
    return reservation


def _flight(db: State, flight_number: str) -> Record:
    flight = db.get("flights", flight_number)
    if flight is None:
        raise ToolError(f"Flight {flight_number} not found")
    return flight


def _flight_date(db: State, flight_number: str, date: str) -> Record:
    flight = _flight(db, flight_number)
    if date not in flight["dates"]:
        raise ToolError(f"Flight {flight_number} not found on date {date}")
    return flight["dates"][date]


def _reservation_view(reservation: Record) -> Record:
    """A reservation as the agent sees it: `status` present, null unless cancelled."""
    return reservation if "status" in reservation else {**reservation, "status": None}


def _flights_by_origin(db: Database) -> dict[str, list[str]]:
    """Flight numbers per origin airport, in database order; flights are never created or moved."""
    index: dict[str, list[str]] = {}
    for number, flight in db.tables["flights"].items():
        index.setdefault(flight["origin"], []).append(number)
    return index


def _next_day(date: str) -> str:
    return (Date.fromisoformat(date) + timedelta(days=1)).isoformat()


def _direct_flights(db: State, date: str, origin: str, destination: str | None, leave_after: str | None) -> list[Record]:
    """Bookable flights from `origin` on `date` (optionally to `destination`, departing not before `leave_after`)."""
    found = []
    for number in db.base.index("airline.flights_by_origin", _flights_by_origin).get(origin, ()):
        flight = db.get("flights", number)
        if destination is not None and flight["destination"] != destination:
            continue
        day = flight["dates"].get(date)
        if day is None or day["status"] != "available":
            continue
        if leave_after is not None and flight["scheduled_departure_time_est"] < leave_after:
            continue
        found.append(
            {
                "flight_number": number,
                "origin": flight["origin"],
                "destination": flight["destination"],
                "status": "available",
                "scheduled_departure_time_est": flight["scheduled_departure_time_est"],
                "scheduled_arrival_time_est": flight["scheduled_arrival_time_est"],
                "date": None,
                "available_seats": day["available_seats"],
                "prices": day["prices"],
            }
        )
    return found


def _charge_for_update(db: State, user_id: str, payment_id: str, amount: int) -> Record | None:
    """Debit a change's price (a refund if negative) to a card or gift card; certificates are refused."""
    method = _user(db, user_id)["payment_methods"].get(payment_id)
    if method is None:
        raise ToolError("Payment method not found")
    if method["source"] == "certificate":
        raise ToolError("Certificate cannot be used to update reservation")
    if method["source"] == "gift_card" and method["amount"] < amount:
        raise ToolError("Gift card balance is not enough")
    if method["source"] == "gift_card":
        card = db.edit("users", user_id)["payment_methods"][payment_id]
        card["amount"] = card["amount"] - amount
    return {"payment_id": payment_id, "amount": amount} if amount != 0 else None


# --- read tools ----------------------------------------------------------------------------


@tool(ToolKind.READ)
def get_user_details(db: State, user_id: str) -> Record:
    """Show a user's profile: contact details, date of birth, membership, saved payment methods
    (with gift card and certificate balances), saved passengers and reservation ids.

    Args:
        user_id: The user's id, for example 'sara_doe_496'.
    """
    return _user(db, user_id)


@tool(ToolKind.READ)
def get_reservation_details(db: State, reservation_id: str) -> Record:
    """Show a reservation: route, trip type, cabin, flights with prices, passengers, payments,
    bags, insurance and whether it is cancelled.

    Args:
        reservation_id: The reservation's six-character id, for example '8JX2WO'.
    """
    return _reservation_view(_reservation(db, reservation_id))


@tool(ToolKind.READ)
def list_all_airports(db: State) -> list[Record]:
    """List every airport the airline serves, with its IATA code and city."""
    return [{"iata": code, "city": city} for code, city in AIRPORTS]


@tool(ToolKind.READ)
def search_direct_flight(db: State, origin: str, destination: str, date: str) -> list[Record]:
    """Find non-stop flights between two airports on a date that still have seats for sale.

    Args:
        origin: IATA code of the departure airport, for example 'JFK'.
        destination: IATA code of the arrival airport, for example 'LAX'.
        date: The travel date, as 'YYYY-MM-DD', for example '2024-05-01'.
    """
    return _direct_flights(db, date, origin, destination, None)


@tool(ToolKind.READ)
def search_onestop_flight(db: State, origin: str, destination: str, date: str) -> list[list[Record]]:
    """Find itineraries with exactly one connection between two airports, departing on a date.

    The second flight leaves the connecting airport no earlier than the first one arrives; after an
    overnight first flight (arrival marked '+1') it is searched on the next day. Each result is a
    pair of flights, each with its own date.

    Args:
        origin: IATA code of the departure airport, for example 'JFK'.
        destination: IATA code of the final arrival airport, for example 'LAX'.
        date: The departure date of the first flight, as 'YYYY-MM-DD', for example '2024-05-01'.
    """
    itineraries = []
    for first in _direct_flights(db, date, origin, None, None):
        first["date"] = date
        arrival = first["scheduled_arrival_time_est"]
        second_date = _next_day(date) if "+1" in arrival else date
        for second in _direct_flights(db, second_date, first["destination"], destination, arrival):
            second["date"] = second_date
            itineraries.append([first, second])
    return itineraries


@tool(ToolKind.READ)
def get_flight_status(db: State, flight_number: str, date: str) -> str:
    """Tell the status of a flight on a date: available, on time, delayed, flying, landed or cancelled.

    Args:
        flight_number: The flight number, for example 'HAT001'.
        date: The date, as 'YYYY-MM-DD', for example '2024-05-01'.
    """
    return _flight_date(db, flight_number, date)["status"]


# --- generic tools -------------------------------------------------------------------------


@tool(ToolKind.GENERIC)
def calculate(db: State, expression: str) -> str:
    """Work out an arithmetic expression and return the result rounded to two decimals.

    Args:
        expression: Numbers, + - * /, parentheses, dots and spaces only, for example '(300 + 120) * 2'.
    """
    return calculate_expression(expression)


@tool(ToolKind.GENERIC)
def transfer_to_human_agents(db: State, summary: str) -> str:
    """Hand the customer over to a human agent, with a short summary of their problem.

    Only do this when the customer explicitly asks for a human, or when the request cannot be
    handled within the policy and the tools available.

    Args:
        summary: What the customer needs and what has been done so far.
    """
    return "Transfer successful"


# --- write tools ---------------------------------------------------------------------------


@tool(ToolKind.WRITE)
def book_reservation(
    db: State,
    user_id: str,
    origin: str,
    destination: str,
    flight_type: Literal["round_trip", "one_way"],
    cabin: Cabin,
    flights: list[FlightInfo],
    passengers: list[Passenger],
    payment_methods: list[Payment],
    total_baggages: int,
    nonfree_baggages: int,
    insurance: Literal["yes", "no"],
) -> Record:
    """Book a new reservation for a user, paying with methods saved in their profile.

    Every flight is priced at its current fare for the cabin, per passenger; travel insurance adds
    $30 per passenger and each non-free bag $50. The payments must add up exactly to that total.
    Gift cards are debited; a certificate is used up entirely, whatever is left of it is lost.
    Confirm the full itinerary, passengers, price and payment with the user, and get an explicit
    yes, before calling.

    Args:
        user_id: The id of the user who books, for example 'sara_doe_496'.
        origin: IATA code of the trip's origin, for example 'SFO'.
        destination: IATA code of the trip's destination, for example 'JFK'.
        flight_type: 'one_way' or 'round_trip'.
        cabin: 'basic_economy', 'economy' or 'business'; the same for every flight.
        flights: Every flight of the trip, in order, each with its flight number and date.
        passengers: Every traveller, with first name, last name and date of birth.
        payment_methods: How the total is split between the user's saved payment methods.
        total_baggages: The total number of checked bags.
        nonfree_baggages: How many of those bags are paid for ($50 each).
        insurance: 'yes' to add travel insurance ($30 per passenger), otherwise 'no'.
    """
    user = _user(db, user_id)
    reservation_id = next((rid for rid in NEW_RESERVATION_IDS if db.get("reservations", rid) is None), None)
    if reservation_id is None:
        raise ToolError("Too many reservations")
    booked_flights = []
    total_price = 0
    for info in flights:
        flight = _flight(db, info["flight_number"])
        day = _flight_date(db, info["flight_number"], info["date"])
        if day["status"] != "available":
            raise ToolError(f"Flight {info['flight_number']} not available on date {info['date']}")
        if day["available_seats"][cabin] < len(passengers):
            raise ToolError(f"Not enough seats on flight {info['flight_number']}")
        price = day["prices"][cabin]
        booked_flights.append(
            {
                "flight_number": info["flight_number"],
                "origin": flight["origin"],
                "destination": flight["destination"],
                "date": info["date"],
                "price": price,
            }
        )
        total_price += price * len(passengers)
    if insurance == "yes":
        total_price += 30 * len(passengers)
    total_price += 50 * nonfree_baggages
    for payment in payment_methods:
        method = user["payment_methods"].get(payment["payment_id"])
        if method is None:
            raise ToolError(f"Payment method {payment['payment_id']} not found")
        if method["source"] in ("gift_card", "certificate") and method["amount"] < payment["amount"]:
            raise ToolError(f"Not enough balance in payment method {payment['payment_id']}")
    total_paid = sum(payment["amount"] for payment in payment_methods)
    if total_paid != total_price:
        raise ToolError(f"Payment amount does not add up, total price is {total_price}, but paid {total_paid}")

    profile = db.edit("users", user_id)
    for payment in payment_methods:
        method = profile["payment_methods"].get(payment["payment_id"])
        if method is None:
            continue  # a certificate listed twice: already used up by its first payment
        if method["source"] == "gift_card":
            method["amount"] = method["amount"] - payment["amount"]
        elif method["source"] == "certificate":
            del profile["payment_methods"][payment["payment_id"]]
    for info in flights:
        db.edit("flights", info["flight_number"])["dates"][info["date"]]["available_seats"][cabin] -= len(passengers)
    reservation = {
        "reservation_id": reservation_id,
        "user_id": user_id,
        "origin": origin,
        "destination": destination,
        "flight_type": flight_type,
        "cabin": cabin,
        "flights": booked_flights,
        "passengers": [dict(passenger) for passenger in passengers],
        "payment_history": [{"payment_id": p["payment_id"], "amount": p["amount"]} for p in payment_methods],
        "created_at": domain_now(db.base),
        "total_baggages": total_baggages,
        "nonfree_baggages": nonfree_baggages,
        "insurance": insurance,
    }
    db.insert("reservations", reservation_id, reservation)
    profile["reservations"].append(reservation_id)
    return _reservation_view(reservation)


@tool(ToolKind.WRITE)
def cancel_reservation(db: State, reservation_id: str) -> Record:
    """Cancel a whole reservation; every payment is refunded to its original method.

    Check the cancellation rules of the policy first, and get an explicit yes from the user.

    Args:
        reservation_id: The reservation's six-character id, for example 'ZFA04Y'.
    """
    _reservation(db, reservation_id)
    reservation = db.edit("reservations", reservation_id)
    refunds = [{"payment_id": p["payment_id"], "amount": -p["amount"]} for p in reservation["payment_history"]]
    reservation["payment_history"].extend(refunds)
    reservation["status"] = "cancelled"
    return reservation


@tool(ToolKind.WRITE)
def update_reservation_flights(
    db: State, reservation_id: str, cabin: Cabin, flights: list[FlightInfo], payment_id: str
) -> Record:
    """Change a reservation's flights and/or cabin; the fare difference is charged or refunded.

    Pass the COMPLETE new itinerary, including the flights that stay the same: those keep the price
    they were bought at if the cabin does not change; new flights are priced at today's fare. The
    difference for all passengers goes to one saved credit card or gift card (certificates cannot
    be used). Get an explicit yes from the user before calling.

    Args:
        reservation_id: The reservation's six-character id, for example 'ZFA04Y'.
        cabin: The cabin for the whole reservation: 'basic_economy', 'economy' or 'business'.
        flights: Every flight of the new itinerary, each with its flight number and date.
        payment_id: The saved credit card or gift card that pays or receives the difference, for example 'credit_card_7815826'.
    """
    reservation = _reservation(db, reservation_id)
    _user(db, reservation["user_id"])
    n_passengers = len(reservation["passengers"])
    new_flights = []
    total_price = 0
    for info in flights:
        kept = next(
            (
                old
                for old in reservation["flights"]
                if old["flight_number"] == info["flight_number"] and old["date"] == info["date"] and cabin == reservation["cabin"]
            ),
            None,
        )
        if kept is not None:
            new_flights.append(kept)
            total_price += kept["price"] * n_passengers
            continue
        flight = _flight(db, info["flight_number"])
        day = _flight_date(db, info["flight_number"], info["date"])
        if day["status"] != "available":
            raise ToolError(f"Flight {info['flight_number']} not available on date {info['date']}")
        if day["available_seats"][cabin] < n_passengers:
            raise ToolError(f"Not enough seats on flight {info['flight_number']}")
        new_flights.append(
            {
                "flight_number": info["flight_number"],
                "origin": flight["origin"],
                "destination": flight["destination"],
                "date": info["date"],
                "price": day["prices"][cabin],
            }
        )
        total_price += day["prices"][cabin] * n_passengers
    total_price -= sum(old["price"] for old in reservation["flights"]) * n_passengers
    payment = _charge_for_update(db, reservation["user_id"], payment_id, total_price)
    reservation = db.edit("reservations", reservation_id)
    if payment is not None:
        reservation["payment_history"].append(payment)
    reservation["flights"] = [dict(flight) for flight in new_flights]
    reservation["cabin"] = cabin
    return _reservation_view(reservation)


@tool(ToolKind.WRITE)
def update_reservation_baggages(
    db: State, reservation_id: str, total_baggages: int, nonfree_baggages: int, payment_id: str
) -> Record:
    """Set a reservation's checked-bag counts; each additional non-free bag costs $50.

    Get an explicit yes from the user before calling.

    Args:
        reservation_id: The reservation's six-character id, for example 'ZFA04Y'.
        total_baggages: The new total number of checked bags.
        nonfree_baggages: How many of those bags are paid for.
        payment_id: The saved credit card or gift card that pays for new non-free bags, for example 'credit_card_7815826'.
    """
    reservation = _reservation(db, reservation_id)
    _user(db, reservation["user_id"])
    charge = 50 * max(0, nonfree_baggages - reservation["nonfree_baggages"])
    payment = _charge_for_update(db, reservation["user_id"], payment_id, charge)
    reservation = db.edit("reservations", reservation_id)
    if payment is not None:
        reservation["payment_history"].append(payment)
    reservation["total_baggages"] = total_baggages
    reservation["nonfree_baggages"] = nonfree_baggages
    return _reservation_view(reservation)


@tool(ToolKind.WRITE)
def update_reservation_passengers(db: State, reservation_id: str, passengers: list[Passenger]) -> Record:
    """Replace the passengers' details on a reservation; the number of passengers cannot change.

    Get an explicit yes from the user before calling.

    Args:
        reservation_id: The reservation's six-character id, for example 'ZFA04Y'.
        passengers: Every passenger, in order, with first name, last name and date of birth.
    """
    reservation = _reservation(db, reservation_id)
    if len(passengers) != len(reservation["passengers"]):
        raise ToolError("Number of passengers does not match")
    reservation = db.edit("reservations", reservation_id)
    reservation["passengers"] = [dict(passenger) for passenger in passengers]
    return _reservation_view(reservation)


@tool(ToolKind.WRITE)
def send_certificate(db: State, user_id: str, amount: int) -> str:
    """Give a user a travel certificate, for example as compensation allowed by the policy.

    Args:
        user_id: The user's id, for example 'sara_doe_496'.
        amount: The certificate's value in whole dollars.
    """
    _user(db, user_id)
    for certificate_id in NEW_CERTIFICATE_IDS:
        if certificate_id not in db.get("users", user_id)["payment_methods"]:
            methods = db.edit("users", user_id)["payment_methods"]
            methods[certificate_id] = {"source": "certificate", "id": certificate_id, "amount": float(amount)}
            return f"Certificate {certificate_id} added to user {user_id} with amount {amount}."
    raise ToolError("Too many certificates")


TOOLS: list[Tool] = [
    book_reservation,
    calculate,
    cancel_reservation,
    get_flight_status,
    get_reservation_details,
    get_user_details,
    list_all_airports,
    search_direct_flight,
    search_onestop_flight,
    send_certificate,
    transfer_to_human_agents,
    update_reservation_baggages,
    update_reservation_flights,
    update_reservation_passengers,
]

TOOLKIT = Toolkit("airline", TOOLS)
