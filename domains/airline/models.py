"""The airline world as pydantic v2 models: the exact shape of τ²-bench's airline `db.json`.

Top level: exactly `flights`, `users`, `reservations`, each an object keyed by id, as in τ²-bench.
Every model forbids unknown fields, and a dump with `exclude_unset=True` gives back the JSON it was
loaded from. Dates, times and timestamps stay strings so that nothing is reformatted on the way through.
`Meta` is the shape of what cove keeps beside the tables (the sidecar `<name>.meta.json`, and `meta`
in memory): the generator, seed, scale and the domain's current time `now`.

`AirlineDB.tau2_hash()` computes τ²-bench's database hash (sha256 of the full `model_dump()`,
`None` defaults included, sorted keys), which the reward compares.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

CabinClass = Literal["basic_economy", "economy", "business"]
FlightType = Literal["one_way", "round_trip"]
Insurance = Literal["yes", "no"]
Membership = Literal["regular", "silver", "gold"]
FlightStatus = Literal["available", "on time", "delayed", "flying", "landed", "cancelled"]
PaymentSource = Literal["credit_card", "gift_card", "certificate"]

CABINS: tuple[str, ...] = get_args(CabinClass)
CABIN_NAMES = {"basic_economy": "basic economy", "economy": "economy", "business": "business"}  # a cabin as a customer says it
MEMBERSHIPS: tuple[str, ...] = get_args(Membership)
FLIGHT_STATUSES: tuple[str, ...] = get_args(FlightStatus)
PAYMENT_SOURCES: tuple[str, ...] = get_args(PaymentSource)
TAU2_NOW = "2024-05-15T15:00:00"  # τ²-bench's fixed current time: the clock of a database without its own `now`

# The text formats of the file, and how a message names each one.
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
CLOCK_PATTERN = r"^\d{2}:\d{2}:\d{2}(\+1)?$"
TIMESTAMP_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$"
AIRPORT_PATTERN = r"^[A-Z]{3}$"
LAST_FOUR_PATTERN = r"^\d{4}$"
RESERVATION_ID_PATTERN = r"^[A-Z0-9]{6}$"
PATTERN_NAMES = {
    DATE_PATTERN: "a date YYYY-MM-DD",
    CLOCK_PATTERN: "a time HH:MM:SS (+1 for the next day)",
    TIMESTAMP_PATTERN: "a timestamp YYYY-MM-DDTHH:MM:SS",
    AIRPORT_PATTERN: "a three-letter airport code",
    LAST_FOUR_PATTERN: "four digits",
    RESERVATION_ID_PATTERN: "six upper-case letters or digits",
}

DateText = Annotated[str, Field(pattern=DATE_PATTERN)]
"""A calendar date, `YYYY-MM-DD`."""
ClockText = Annotated[str, Field(pattern=CLOCK_PATTERN)]
"""A scheduled time `HH:MM:SS`; `+1` marks an arrival on the next day."""
TimestampText = Annotated[str, Field(pattern=TIMESTAMP_PATTERN)]
"""A timestamp `YYYY-MM-DDTHH:MM:SS` (Eastern time, no zone suffix)."""
AirportCode = Annotated[str, Field(pattern=AIRPORT_PATTERN)]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- flights -------------------------------------------------------------------------------------


class FlightAvailable(_Record):
    """A future flight date still on sale: seats left and the current price of each cabin."""

    status: Literal["available"]
    available_seats: dict[CabinClass, int]
    prices: dict[CabinClass, int]


class FlightOnTime(_Record):
    """Today's flight, not yet departed, expected on schedule."""

    status: Literal["on time"]
    estimated_departure_time_est: TimestampText
    estimated_arrival_time_est: TimestampText


class FlightDelayed(_Record):
    """Today's flight, not yet departed, expected late."""

    status: Literal["delayed"]
    estimated_departure_time_est: TimestampText
    estimated_arrival_time_est: TimestampText


class FlightFlying(_Record):
    """Today's flight, in the air."""

    status: Literal["flying"]
    actual_departure_time_est: TimestampText
    estimated_arrival_time_est: TimestampText


class FlightLanded(_Record):
    """A flight that has flown."""

    status: Literal["landed"]
    actual_departure_time_est: TimestampText
    actual_arrival_time_est: TimestampText


class FlightCancelled(_Record):
    """A flight date the airline cancelled."""

    status: Literal["cancelled"]


FlightDate = Annotated[
    FlightAvailable | FlightOnTime | FlightDelayed | FlightFlying | FlightLanded | FlightCancelled,
    Field(discriminator="status"),
]


class Flight(_Record):
    """One flight number on one route, flown daily; `dates` holds each day's status."""

    flight_number: str
    origin: AirportCode
    destination: AirportCode
    scheduled_departure_time_est: ClockText
    scheduled_arrival_time_est: ClockText
    dates: dict[DateText, FlightDate]


# --- users ---------------------------------------------------------------------------------------


class Name(_Record):
    first_name: str
    last_name: str


class Address(_Record):
    address1: str
    address2: str | None = None
    city: str
    country: str
    state: str
    zip: str


class CreditCard(_Record):
    source: Literal["credit_card"]
    id: str
    brand: str
    last_four: Annotated[str, Field(pattern=LAST_FOUR_PATTERN)]


class GiftCard(_Record):
    source: Literal["gift_card"]
    id: str
    amount: float


class Certificate(_Record):
    source: Literal["certificate"]
    id: str
    amount: float


PaymentMethod = Annotated[CreditCard | GiftCard | Certificate, Field(discriminator="source")]


class Passenger(_Record):
    first_name: str
    last_name: str
    dob: DateText


class User(_Record):
    """A customer: profile, stored payment methods, saved travellers and their reservation ids."""

    user_id: str
    name: Name
    address: Address
    email: str
    dob: DateText
    payment_methods: dict[str, PaymentMethod]
    saved_passengers: list[Passenger]
    membership: Membership
    reservations: list[str]


# --- reservations --------------------------------------------------------------------------------


class ReservationFlight(_Record):
    """One leg of a reservation: a flight on a date, at the per-passenger price paid for it."""

    flight_number: str
    origin: AirportCode
    destination: AirportCode
    date: DateText
    price: int


class Payment(_Record):
    """A charge (positive) or refund (negative) against one of the user's payment methods."""

    payment_id: str
    amount: int


class Reservation(_Record):
    """A booking: one cabin and one passenger list for every leg; `status` is set only once cancelled."""

    reservation_id: Annotated[str, Field(pattern=RESERVATION_ID_PATTERN)]
    user_id: str
    origin: AirportCode
    destination: AirportCode
    flight_type: FlightType
    cabin: CabinClass
    flights: list[ReservationFlight]
    passengers: list[Passenger]
    payment_history: list[Payment]
    created_at: TimestampText
    total_baggages: int
    nonfree_baggages: int
    insurance: Insurance
    status: Literal["cancelled"] | None = None


# --- the database --------------------------------------------------------------------------------


class Meta(_Record):
    """What our generator knows beyond the tables (the sidecar); τ²-bench's file has none: its "now" is fixed."""

    generator: str
    seed: int
    scale: float
    now: TimestampText


TABLES: tuple[str, ...] = ("flights", "users", "reservations")


class AirlineDB(_Record):
    """A whole airline database file: τ²-bench's three tables and nothing else."""

    flights: dict[str, Flight]
    users: dict[str, User]
    reservations: dict[str, Reservation]

    def tau2_hash(self) -> str:
        """τ²-bench's hash of this database: every field, defaults included."""
        dumped = self.model_dump()
        return hashlib.sha256(json.dumps(dumped, sort_keys=True, default=str).encode()).hexdigest()
