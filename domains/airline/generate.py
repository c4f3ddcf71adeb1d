"""Our own seeded airline sandbox, in τ²-bench's airline `db.json` format, with our own routes and people.

`generate(seed, scale, now)` builds a world about τ²-bench's size at scale 1.0: ~300 flights on a
route network over the same 20 airports, 30 days of flight dates around "now", ~500 users and ~2,000
reservations. Everything comes from one `random.Random(seed)` and the arguments: no clock, no set
iteration, so the same arguments give the same JSON byte for byte. "Now" defaults to
2025-03-12T10:00:00 (deliberately not τ²-bench's date) and is written to `meta.now`.

Conventions of the world (checked by `domains.airline.check` or the tests):
- an ordered airport pair has 0-2 flights, most routes are flown both ways; a one-stop connection
  leaves the hub at least 45 minutes after landing, on the same day, or the next day after a "+1" arrival;
- dates run from 14 days before today to 15 days after; past dates are landed (~4% cancelled), today's
  flights are landed / flying / on time / delayed by the clock time of now (~3% cancelled), future
  dates are on sale (~1.5% cancelled) with prices basic economy < economy < business;
- a reservation is created in the 15 days before now and before its first departure; its legs
  connect; a leg on sale costs the current cabin price, any other a plausible one; ~1.5% start on a
  flight delayed or cancelled today, and many are partly flown, so the cancellation and compensation
  rules have cases;
- a payment is one of the user's own credit or gift cards (τ²-bench consumes a certificate once used,
  so certificates stay unused balances) for exactly Σ price × passengers + $30 per insured passenger
  + $50 per non-free bag, where non-free bags are those above the membership/cabin allowance;
- every user has a credit or gift card; payment-method numbers are unique across the database and
  never those τ²-bench's `send_certificate` creates.
"""

from __future__ import annotations

import itertools
import math
import random
import string
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from domains.airline.models import CABINS

BASE_FLIGHTS = 300
BASE_USERS = 500
BASE_RESERVATIONS = 2000
MAX_FLIGHTS = 2 * 20 * 19  # at most two flights per ordered airport pair
DEFAULT_NOW = "2025-03-12T10:00:00"
DAYS_BEFORE, DAYS_AFTER = 14, 15
BOOKING_WINDOW = timedelta(days=15)
MIN_LAYOVER, MAX_LAYOVER = 45, 8 * 60
DEPARTURE_HOUR_WEIGHTS = (2, 1, 1, 1, 1, 4, 8, 8, 7, 6, 5, 5, 5, 5, 5, 5, 6, 6, 6, 5, 5, 4, 4, 3)  # 00h..23h
FREE_BAGS = {  # per passenger, by membership then cabin
    "regular": {"basic_economy": 0, "economy": 1, "business": 2},
    "silver": {"basic_economy": 1, "economy": 2, "business": 3},
    "gold": {"basic_economy": 2, "economy": 3, "business": 4},
}
RESERVED_IDS = frozenset({"HATHAT", "HATHAU", "HATHAV"})  # ids τ²-bench's booking tool hands out
RESERVED_METHOD_NUMBERS = frozenset({3221322, 3221323, 3221324})  # its send_certificate ids

# IATA code -> (latitude, longitude), for flight lengths and fares.
AIRPORTS: dict[str, tuple[float, float]] = {
    "SFO": (37.6, -122.4), "JFK": (40.6, -73.8), "LAX": (33.9, -118.4), "ORD": (42.0, -87.9),
    "DFW": (32.9, -97.0), "DEN": (39.9, -104.7), "SEA": (47.4, -122.3), "ATL": (33.6, -84.4),
    "MIA": (25.8, -80.3), "BOS": (42.4, -71.0), "PHX": (33.4, -112.0), "IAH": (30.0, -95.3),
    "LAS": (36.1, -115.2), "MCO": (28.4, -81.3), "EWR": (40.7, -74.2), "CLT": (35.2, -80.9),
    "MSP": (44.9, -93.2), "DTW": (42.2, -83.4), "PHL": (39.9, -75.2), "LGA": (40.8, -73.9),
}
FIRST_NAMES = (
    "Ada Amara Bruno Camila Dmitri Elena Farah Gabriel Hana Ines Jonas Kaito Leila Mateo Nadia Omar "
    "Priya Quinn Rafael Sara Tomas Uma Victor Wren Ximena Yusuf Zoe Anders Beatriz Chidi Dalia Emeka "
    "Freya Hugo Ingrid Jamal Keiko Lars Mina Nikolai Olga Pablo Rosa Sven Tariq Valeria Wei Yara"
).split()
LAST_NAMES = (
    "Okafor Lindqvist Moreau Tanaka Rossi Kowalski Haddad Fernandes Novak Brennan Castillo Dubois "
    "Eriksen Gupta Horvath Iyer Jensen Kaur Laurent Mensah Nakamura Oyelaran Petrov Quintero Rahman "
    "Sato Torres Ueda Varga Whitfield Yilmaz Zhou Abbott Bianchi Carvalho Delgado Ekström Fischer"
).split()
CITIES = (  # city, state, first three zip digits
    ("Portland", "OR", "972"), ("Boise", "ID", "837"), ("Tucson", "AZ", "857"), ("Omaha", "NE", "681"),
    ("Madison", "WI", "537"), ("Raleigh", "NC", "276"), ("Richmond", "VA", "232"), ("Albany", "NY", "122"),
    ("Savannah", "GA", "314"), ("Tampa", "FL", "336"), ("Austin", "TX", "787"), ("El Paso", "TX", "799"),
    ("Sacramento", "CA", "958"), ("Fresno", "CA", "937"), ("Spokane", "WA", "992"), ("Reno", "NV", "895"),
    ("Wichita", "KS", "672"), ("Tulsa", "OK", "741"), ("Louisville", "KY", "402"), ("Dayton", "OH", "454"),
    ("Providence", "RI", "029"), ("Hartford", "CT", "061"), ("Burlington", "VT", "054"), ("Durham", "NC", "277"),
)
STREETS = ("Maple Ave", "Harbor Rd", "Cedar Ln", "Willow St", "Lakeview Dr", "Mill Rd", "Juniper Way",
           "Orchard St", "Summit Ave", "Riverside Dr", "Aspen Ct", "Granite St")


@dataclass(frozen=True)
class _Route:
    """One flight number: its route, daily schedule (minutes after midnight) and typical fares."""

    number: str
    origin: str
    destination: str
    departs: int
    arrives: int  # may exceed 24 h: a "+1" arrival
    fares: dict[str, int]

    def departure(self, day: date) -> datetime:
        return datetime.combine(day, datetime.min.time()) + timedelta(minutes=self.departs)

    def arrival(self, day: date) -> datetime:
        return datetime.combine(day, datetime.min.time()) + timedelta(minutes=self.arrives)


def generate(seed: int, scale: float = 1.0, now: str | None = None) -> dict[str, Any]:
    """A whole airline database for `seed`; `scale` multiplies users and reservations (flights by √scale)."""
    if not scale > 0:
        raise ValueError(f"scale must be positive, got {scale}")
    clock = datetime.fromisoformat(now or DEFAULT_NOW).replace(microsecond=0)
    if clock.tzinfo is not None:
        raise ValueError(f"now is a local Eastern time without a zone, got {now}")
    rng = random.Random(seed)
    days = [clock.date() + timedelta(days=offset) for offset in range(-DAYS_BEFORE, DAYS_AFTER + 1)]
    routes = _routes(rng, min(max(20, round(BASE_FLIGHTS * math.sqrt(scale))), MAX_FLIGHTS))
    flights = {route.number: _flight_record(rng, route, days, clock) for route in routes}
    users = _users(rng, max(1, round(BASE_USERS * scale)))
    reservations = _Booker(rng, routes, flights, days, clock).book(users, round(BASE_RESERVATIONS * scale))
    meta = {"generator": "cove", "seed": seed, "scale": float(scale), "now": clock.isoformat()}
    return {"meta": meta, "flights": flights, "users": users, "reservations": reservations}


# --- flights -------------------------------------------------------------------------------------


def _routes(rng: random.Random, count: int) -> list[_Route]:
    """A connected network: a random tree over the airports, then more pairs until `count` flights."""
    codes = list(AIRPORTS)
    rng.shuffle(codes)
    pairs = [(codes[i], rng.choice(codes[:i])) for i in range(1, len(codes))]
    tree = {frozenset(pair) for pair in pairs}
    others = [(a, b) for i, a in enumerate(codes) for b in codes[i + 1 :] if frozenset((a, b)) not in tree]
    rng.shuffle(others)
    legs: list[tuple[str, str]] = []
    served: dict[tuple[str, str], int] = {}
    for a, b in pairs + others:
        directions = [(a, b), (b, a)] if rng.random() < 0.85 else [rng.choice([(a, b), (b, a)])]
        for pair in directions:
            for _ in range(2 if rng.random() < 0.4 else 1):
                if len(legs) < count and served.get(pair, 0) < 2:
                    legs.append(pair)
                    served[pair] = served.get(pair, 0) + 1
        if len(legs) >= count:
            break
    rng.shuffle(legs)
    return [_route(rng, f"HAT{number:03d}", *pair) for number, pair in enumerate(legs, 1)]


def _route(rng: random.Random, number: str, origin: str, destination: str) -> _Route:
    distance = _distance_km(origin, destination)
    minutes = 30 * round((40 + distance / 13) / 30)  # ~780 km/h plus taxi, in half hours
    hour = rng.choices(range(24), weights=DEPARTURE_HOUR_WEIGHTS)[0]
    departs = 60 * hour + rng.choice((0, 0, 0, 30))
    basic = round((45 + distance * 0.035) * rng.uniform(0.85, 1.2))
    economy = round(basic * rng.uniform(1.5, 2.1))
    business = round(economy * rng.uniform(1.8, 2.6))
    fares = {"basic_economy": basic, "economy": economy, "business": business}
    return _Route(number, origin, destination, departs, departs + minutes, fares)


def _distance_km(a: str, b: str) -> float:
    (lat1, lon1), (lat2, lon2) = (map(math.radians, AIRPORTS[code]) for code in (a, b))
    cosine = math.sin(lat1) * math.sin(lat2) + math.cos(lat1) * math.cos(lat2) * math.cos(lon2 - lon1)
    return 6371 * math.acos(max(-1.0, min(1.0, cosine)))


def _clock_text(minutes: int) -> str:
    day, rest = divmod(minutes, 24 * 60)
    return f"{rest // 60:02d}:{rest % 60:02d}:00" + ("+1" if day else "")


def _flight_record(rng: random.Random, route: _Route, days: list[date], now: datetime) -> dict[str, Any]:
    return {
        "flight_number": route.number,
        "origin": route.origin,
        "destination": route.destination,
        "scheduled_departure_time_est": _clock_text(route.departs),
        "scheduled_arrival_time_est": _clock_text(route.arrives),
        "dates": {day.isoformat(): _date_status(rng, route, day, now) for day in days},
    }


def _date_status(rng: random.Random, route: _Route, day: date, now: datetime) -> dict[str, Any]:
    """The status of one flight on one day, as seen at `now`."""
    if day > now.date():
        if rng.random() < 0.015:
            return {"status": "cancelled"}
        seats = {cabin: rng.randint(0, 20) for cabin in CABINS}
        return {"status": "available", "available_seats": seats, "prices": _prices(rng, route)}
    if rng.random() < (0.04 if day < now.date() else 0.03):
        return {"status": "cancelled"}
    delay = rng.randint(-20, 20) if rng.random() < 0.82 else rng.randint(30, 240)
    departs = route.departure(day) + timedelta(minutes=delay)
    arrives = route.arrival(day) + timedelta(minutes=delay + rng.randint(-20, 15))
    if day < now.date() and arrives > now:  # an overnight flight that would still be in the air
        return {"status": "cancelled"}
    if arrives <= now:
        return {"status": "landed", "actual_departure_time_est": departs.isoformat(),
                "actual_arrival_time_est": arrives.isoformat()}
    if departs <= now:
        return {"status": "flying", "actual_departure_time_est": departs.isoformat(),
                "estimated_arrival_time_est": arrives.isoformat()}
    return {"status": "delayed" if delay >= 30 else "on time", "estimated_departure_time_est": departs.isoformat(),
            "estimated_arrival_time_est": arrives.isoformat()}


def _prices(rng: random.Random, route: _Route) -> dict[str, int]:
    """Today's fares around the route's typical ones, always basic economy < economy < business."""
    basic = max(1, round(route.fares["basic_economy"] * rng.uniform(0.8, 1.25)))
    economy = max(basic + 1, round(route.fares["economy"] * rng.uniform(0.8, 1.25)))
    business = max(economy + 1, round(route.fares["business"] * rng.uniform(0.8, 1.25)))
    return {"basic_economy": basic, "economy": economy, "business": business}


# --- users ---------------------------------------------------------------------------------------


def _users(rng: random.Random, count: int) -> dict[str, dict[str, Any]]:
    users: dict[str, dict[str, Any]] = {}
    method_numbers: set[int] = set(RESERVED_METHOD_NUMBERS)
    while len(users) < count:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        user_id = f"{first.lower()}_{last.lower()}_{rng.randint(1000, 9999)}"
        if user_id in users:
            continue
        city, state, zip_prefix = rng.choice(CITIES)
        users[user_id] = {
            "user_id": user_id,
            "name": {"first_name": first, "last_name": last},
            "address": {
                "address1": f"{rng.randint(10, 9999)} {rng.choice(STREETS)}",
                "address2": rng.choice((f"Suite {rng.randint(100, 999)}", f"Apt {rng.randint(1, 40)}")),
                "city": city,
                "country": "USA",
                "state": state,
                "zip": f"{zip_prefix}{rng.randint(0, 99):02d}",
            },
            "email": f"{first.lower()}.{last.lower()}{rng.randint(1000, 9999)}@example.com",
            "dob": _birthday(rng, 1950, 2004),
            "payment_methods": _payment_methods(rng, method_numbers),
            "saved_passengers": [_person(rng, last, family=0.4) for _ in range(rng.randint(0, 3))],
            "membership": rng.choices(("regular", "silver", "gold"), weights=(30, 36, 34))[0],
            "reservations": [],
        }
    return users


def _payment_methods(rng: random.Random, used: set[int]) -> dict[str, dict[str, Any]]:
    """1-4 methods, at least one of them a credit or gift card; numbers unique across the database."""
    sources = rng.choices(("credit_card", "gift_card", "certificate"), k=rng.randint(1, 4))
    if "credit_card" not in sources and "gift_card" not in sources:
        sources[0] = rng.choice(("credit_card", "gift_card"))
    methods: dict[str, dict[str, Any]] = {}
    for source in sources:
        number = rng.randint(1_000_000, 9_999_999)
        while number in used:
            number = rng.randint(1_000_000, 9_999_999)
        used.add(number)
        method_id = f"{source}_{number}"
        if source == "credit_card":
            brand = rng.choices(("visa", "mastercard", "amex"), weights=(5, 4, 1))[0]
            details = {"brand": brand, "last_four": f"{rng.randint(0, 9999):04d}"}
        elif source == "gift_card":
            details = {"amount": float(rng.randint(0, 300))}
        else:
            details = {"amount": float(rng.choice((100, 150, 250, 500)))}
        methods[method_id] = {"source": source, "id": method_id, **details}
    return methods


def _person(rng: random.Random, family_name: str, family: float) -> dict[str, str]:
    """A traveller: with probability `family` one of the user's family, else anyone."""
    return {
        "first_name": rng.choice(FIRST_NAMES),
        "last_name": family_name if rng.random() < family else rng.choice(LAST_NAMES),
        "dob": _birthday(rng, 1945, 2020),
    }


def _birthday(rng: random.Random, first_year: int, last_year: int) -> str:
    start = date(first_year, 1, 1)
    return (start + timedelta(days=rng.randrange((date(last_year, 12, 31) - start).days))).isoformat()


# --- reservations --------------------------------------------------------------------------------

Itinerary = list[tuple[_Route, date]]


class _Booker:
    """Books reservations for the users over the flights, one consistent itinerary at a time."""

    def __init__(self, rng: random.Random, routes: list[_Route], flights: dict, days: list[date], now: datetime):
        self.rng, self.flights, self.days, self.now = rng, flights, days, now
        self.departing: dict[str, list[_Route]] = {code: [] for code in AIRPORTS}
        for route in routes:
            self.departing[route.origin].append(route)
        today = now.date().isoformat()
        self.disrupted_today = [
            route for route in routes
            if flights[route.number]["dates"][today]["status"] in ("delayed", "cancelled")
        ]

    def book(self, users: dict[str, dict[str, Any]], count: int) -> dict[str, dict[str, Any]]:
        user_ids = list(users)
        activity = list(itertools.accumulate(self.rng.gammavariate(2.0, 1.0) for _ in user_ids))
        reservations: dict[str, dict[str, Any]] = {}
        while len(reservations) < count:
            user = users[self.rng.choices(user_ids, cum_weights=activity)[0]]
            reservation_id = self._new_id(reservations)
            record = self._reservation(reservation_id, user)
            if record is not None:
                reservations[reservation_id] = record
                user["reservations"].append(reservation_id)
        return reservations

    def _new_id(self, taken: dict[str, Any]) -> str:
        alphabet = string.ascii_uppercase + string.digits
        while True:
            candidate = "".join(self.rng.choice(alphabet) for _ in range(6))
            if candidate not in taken and candidate not in RESERVED_IDS:
                return candidate

    def _reservation(self, reservation_id: str, user: dict[str, Any]) -> dict[str, Any] | None:
        rng = self.rng
        trip = self._trip()
        if trip is None:
            return None
        legs, flight_type, destination = trip
        cabin = rng.choice(CABINS)
        passengers = self._passengers(user)
        prices = [self._price(route, day, cabin) for route, day in legs]
        free = FREE_BAGS[user["membership"]][cabin] * len(passengers)
        total_bags = sum(rng.choices((0, 1, 2, 3), weights=(45, 30, 18, 7))[0] for _ in passengers)
        nonfree = max(0, total_bags - free)
        insurance = "yes" if rng.random() < 0.5 else "no"
        amount = sum(prices) * len(passengers) + (30 * len(passengers) if insurance == "yes" else 0) + 50 * nonfree
        payable = [key for key, method in user["payment_methods"].items() if method["source"] != "certificate"]
        return {
            "reservation_id": reservation_id,
            "user_id": user["user_id"],
            "origin": legs[0][0].origin,
            "destination": destination,
            "flight_type": flight_type,
            "cabin": cabin,
            "flights": [
                {"flight_number": route.number, "origin": route.origin, "destination": route.destination,
                 "date": day.isoformat(), "price": price}
                for (route, day), price in zip(legs, prices)
            ],
            "passengers": passengers,
            "payment_history": [{"payment_id": rng.choice(payable), "amount": amount}],
            "created_at": self._booking_time(legs[0][0].departure(legs[0][1])),
            "total_baggages": total_bags,
            "nonfree_baggages": nonfree,
            "insurance": insurance,
        }

    def _trip(self) -> tuple[Itinerary, str, str] | None:
        """The legs, the trip type and the destination: one way, or (about half the time) there and back."""
        outbound = self._outbound()
        if outbound is None:
            return None
        destination = outbound[-1][0].destination
        back = self._return(outbound) if self.rng.random() < 0.48 else None
        return (outbound + back, "round_trip", destination) if back else (outbound, "one_way", destination)

    def _booking_time(self, first_departure: datetime) -> str:
        """A moment in the booking window before now and before the first flight leaves."""
        start = self.now - BOOKING_WINDOW
        end = min(self.now, first_departure) - timedelta(seconds=1)
        return (start + timedelta(seconds=self.rng.randrange(int((end - start).total_seconds())))).isoformat()

    def _outbound(self) -> Itinerary | None:
        """Direct or one-stop, from a random airport on a random day; some start on a flight disrupted today."""
        rng = self.rng
        if self.disrupted_today and rng.random() < 0.015:
            first, day = rng.choice(self.disrupted_today), self.now.date()
        else:
            day = rng.choices(self.days, weights=[1 if d < self.now.date() else 2 for d in self.days])[0]
            departing = self.departing[rng.choice(list(AIRPORTS))]
            if not departing:
                return None
            first = rng.choice(departing)
        if first.departure(day) <= self.now - BOOKING_WINDOW + timedelta(minutes=1):
            return None  # nobody could have booked it within the booking window
        if rng.random() < 0.6:
            onward = self._connection(first, day, avoid=first.origin)
            if onward is not None:
                return [(first, day), onward]
        return [(first, day)]

    def _connection(
        self, inbound: _Route, day: date, *, avoid: str | None = None, to: str | None = None
    ) -> tuple[_Route, date] | None:
        """A flight on from where `inbound` lands (not to `avoid`, or only `to`), 45 min to 8 h later.

        The onward flight leaves on the day `inbound` lands, as τ²-bench's one-stop search expects.
        """
        landed = inbound.arrival(day)
        next_day = day + timedelta(days=inbound.arrives // (24 * 60))
        layover = (timedelta(minutes=MIN_LAYOVER), timedelta(minutes=MAX_LAYOVER))
        options = [
            route for route in self.departing[inbound.destination]
            if route.destination != avoid and (to is None or route.destination == to)
            and layover[0] <= route.departure(next_day) - landed <= layover[1]
        ]
        if not options or next_day > self.days[-1]:
            return None
        return self.rng.choice(options), next_day

    def _return(self, outbound: Itinerary) -> Itinerary | None:
        """A trip back to the origin, direct or one-stop, leaving 1-7 nights after the outbound lands."""
        rng = self.rng
        origin, destination = outbound[0][0].origin, outbound[-1][0].destination
        last, last_day = outbound[-1]
        landed_on = last_day + timedelta(days=last.arrives // (24 * 60))
        day = landed_on + timedelta(days=rng.randint(1, 7))
        if day > self.days[-1]:
            day = landed_on + timedelta(days=1)
        if day > self.days[-1]:
            return None
        direct = [route for route in self.departing[destination] if route.destination == origin]
        if direct and rng.random() < 0.5:
            return [(rng.choice(direct), day)]
        for first in rng.sample(self.departing[destination], len(self.departing[destination])):
            if first.destination == origin:
                continue
            onward = self._connection(first, day, to=origin)
            if onward is not None:
                return [(first, day), onward]
        return [(rng.choice(direct), day)] if direct else None

    def _passengers(self, user: dict[str, Any]) -> list[dict[str, str]]:
        rng = self.rng
        count = rng.choices((1, 2, 3, 4), weights=(46, 33, 16, 5))[0]
        people = []
        if rng.random() < 0.8:
            people.append({**user["name"], "dob": user["dob"]})
        saved = list(user["saved_passengers"])
        rng.shuffle(saved)
        while len(people) < count:
            people.append(dict(saved.pop()) if saved else _person(rng, user["name"]["last_name"], family=0.5))
        return people

    def _price(self, route: _Route, day: date, cabin: str) -> int:
        status = self.flights[route.number]["dates"][day.isoformat()]
        if status["status"] == "available":
            return status["prices"][cabin]
        return round(route.fares[cabin] * self.rng.uniform(0.85, 1.2))
