"""Small hand-written retail and airline worlds for the tool tests: every fact a test relies on is here.

Each `*_data()` call returns a fresh dict (tests may change it before loading), each `*_state()` a
fresh State over a freshly loaded Database. Prices are chosen so that float sums show whether a tool
rounds (e.g. 10.1 + 20.2 == 30.299999999999997, rounded 30.3).
"""

from __future__ import annotations

import copy
from typing import Any

from domains.registry import get_domain
from domains.state import State
from domains.tooling import ToolOutcome

# --- retail ------------------------------------------------------------------------------------

SHIRT, LAMP, BACKPACK = "1000000001", "1000000002", "1000000003"
RED_M = "2000000001"  # T-Shirt, 20.0
BLUE_M = "2000000002"  # T-Shirt, 25.5
GREEN_L = "2000000003"  # T-Shirt, 22.0, NOT available
BLACK_S = "2000000004"  # T-Shirt, 18.25
WHITE_M = "2000000005"  # T-Shirt, 20.2
YELLOW_M = "2000000006"  # T-Shirt, 20.2 (same price as WHITE_M)
DESK = "3000000001"  # Lamp, 40.1
FLOOR = "3000000002"  # Lamp, 99.99
GREY = "4000000001"  # Backpack, 60.0

PENDING = "#W0000001"  # jane, pending, [RED_M, RED_M, DESK], one payment 80.1 by credit_card_1
PENDING_GIFT = "#W0000002"  # jane, pending, [WHITE_M], one payment 20.2 by gift_card_1
ITEM_MODIFIED = "#W0000003"  # jane, 'pending (item modified)', [BLUE_M], two payments by credit_card_1
DELIVERED = "#W0000004"  # jane, delivered, [RED_M, RED_M, DESK], one payment 80.1 by paypal_1
PROCESSED = "#W0000005"  # jane, processed
CANCELLED = "#W0000006"  # jane, cancelled
JOHN_PENDING = "#W0000007"  # john, pending, [GREY]
JOHN_DELIVERED = "#W0000008"  # john, delivered, [DESK], paid by credit_card_4
SPLIT_GONE = "#W0000009"  # jane, pending, paid 10.0 by gift_card_1 then 10.2 by a method no longer in her profile
PAID_GONE = "#W0000010"  # jane, pending, one payment 20.0 by a method no longer in her profile


def _variant(item_id: str, options: dict[str, str], price: float, available: bool = True) -> dict[str, Any]:
    return {"item_id": item_id, "options": options, "available": available, "price": price}


def _address(address1: str, zip_code: str) -> dict[str, str]:
    return {"address1": address1, "address2": "", "city": "Springfield", "country": "USA", "state": "IL", "zip": zip_code}


_ITEM_FIELDS = {
    RED_M: ("T-Shirt", SHIRT, 20.0, {"color": "red", "size": "M"}),
    BLUE_M: ("T-Shirt", SHIRT, 25.5, {"color": "blue", "size": "M"}),
    WHITE_M: ("T-Shirt", SHIRT, 20.2, {"color": "white", "size": "M"}),
    DESK: ("Lamp", LAMP, 40.1, {"style": "desk"}),
    GREY: ("Backpack", BACKPACK, 60.0, {"color": "grey"}),
}


def _item(item_id: str) -> dict[str, Any]:
    name, product_id, price, options = _ITEM_FIELDS[item_id]
    return {"name": name, "product_id": product_id, "item_id": item_id, "price": price, "options": dict(options)}


def _payment(amount: float, method: str, kind: str = "payment") -> dict[str, Any]:
    return {"transaction_type": kind, "amount": amount, "payment_method_id": method}


def _order(order_id: str, user_id: str, status: str, items: list[str], payments: list[dict[str, Any]]) -> dict[str, Any]:
    shipped = status not in ("pending", "pending (item modified)")
    return {
        "order_id": order_id,
        "user_id": user_id,
        "address": _address("1 Elm St", "10001"),
        "items": [_item(item_id) for item_id in items],
        "status": status,
        "fulfillments": [{"tracking_id": ["TRK" + order_id[2:]], "item_ids": list(items)}] if shipped else [],
        "payment_history": payments,
    }


def retail_data() -> dict[str, Any]:
    """Three products (listed out of name order), three users (two named Jane Doe), ten orders."""
    products = {
        SHIRT: {
            "name": "T-Shirt",
            "product_id": SHIRT,
            "variants": {
                RED_M: _variant(RED_M, {"color": "red", "size": "M"}, 20.0),
                BLUE_M: _variant(BLUE_M, {"color": "blue", "size": "M"}, 25.5),
                GREEN_L: _variant(GREEN_L, {"color": "green", "size": "L"}, 22.0, available=False),
                BLACK_S: _variant(BLACK_S, {"color": "black", "size": "S"}, 18.25),
                WHITE_M: _variant(WHITE_M, {"color": "white", "size": "M"}, 20.2),
                YELLOW_M: _variant(YELLOW_M, {"color": "yellow", "size": "M"}, 20.2),
            },
        },
        LAMP: {
            "name": "Lamp",
            "product_id": LAMP,
            "variants": {
                DESK: _variant(DESK, {"style": "desk"}, 40.1),
                FLOOR: _variant(FLOOR, {"style": "floor"}, 99.99),
            },
        },
        BACKPACK: {"name": "Backpack", "product_id": BACKPACK, "variants": {GREY: _variant(GREY, {"color": "grey"}, 60.0)}},
    }
    users = {
        "jane_doe_1": {
            "user_id": "jane_doe_1",
            "name": {"first_name": "Jane", "last_name": "Doe"},
            "address": _address("1 Elm St", "10001"),
            "email": "Jane.Doe@Example.com",
            "payment_methods": {
                "credit_card_1": {"source": "credit_card", "id": "credit_card_1", "brand": "visa", "last_four": "1111"},
                "paypal_1": {"source": "paypal", "id": "paypal_1"},
                "gift_card_1": {"source": "gift_card", "id": "gift_card_1", "balance": 10.1},
                "gift_card_2": {"source": "gift_card", "id": "gift_card_2", "balance": 100.0},
            },
            "orders": [PENDING, PENDING_GIFT, ITEM_MODIFIED, DELIVERED, PROCESSED, CANCELLED, SPLIT_GONE, PAID_GONE],
        },
        "jane_doe_2": {
            "user_id": "jane_doe_2",
            "name": {"first_name": "Jane", "last_name": "Doe"},
            "address": _address("9 Oak Ave", "60601"),
            "email": "jane.d@example.com",
            "payment_methods": {
                "credit_card_3": {"source": "credit_card", "id": "credit_card_3", "brand": "amex", "last_four": "3333"},
            },
            "orders": [],
        },
        "john_roe_3": {
            "user_id": "john_roe_3",
            "name": {"first_name": "John", "last_name": "Roe"},
            "address": _address("5 Pine Rd", "94105"),
            "email": "john.roe@example.com",
            "payment_methods": {
                "credit_card_4": {"source": "credit_card", "id": "credit_card_4", "brand": "visa", "last_four": "4444"},
                "gift_card_4": {"source": "gift_card", "id": "gift_card_4", "balance": 10.0},
            },
            "orders": [JOHN_PENDING, JOHN_DELIVERED],
        },
    }
    orders = [
        _order(PENDING, "jane_doe_1", "pending", [RED_M, RED_M, DESK], [_payment(80.1, "credit_card_1")]),
        _order(PENDING_GIFT, "jane_doe_1", "pending", [WHITE_M], [_payment(20.2, "gift_card_1")]),
        _order(
            ITEM_MODIFIED,
            "jane_doe_1",
            "pending (item modified)",
            [BLUE_M],
            [_payment(20.0, "credit_card_1"), _payment(5.5, "credit_card_1")],
        ),
        _order(DELIVERED, "jane_doe_1", "delivered", [RED_M, RED_M, DESK], [_payment(80.1, "paypal_1")]),
        _order(PROCESSED, "jane_doe_1", "processed", [RED_M], [_payment(20.0, "credit_card_1")]),
        _order(
            CANCELLED,
            "jane_doe_1",
            "cancelled",
            [RED_M],
            [_payment(20.0, "credit_card_1"), _payment(20.0, "credit_card_1", "refund")],
        ),
        _order(JOHN_PENDING, "john_roe_3", "pending", [GREY], [_payment(60.0, "credit_card_4")]),
        _order(JOHN_DELIVERED, "john_roe_3", "delivered", [DESK], [_payment(40.1, "credit_card_4")]),
        _order(
            SPLIT_GONE,
            "jane_doe_1",
            "pending",
            [WHITE_M],
            [_payment(10.0, "gift_card_1"), _payment(10.2, "credit_card_gone")],
        ),
        _order(PAID_GONE, "jane_doe_1", "pending", [RED_M], [_payment(20.0, "credit_card_gone")]),
    ]
    return {"products": products, "users": users, "orders": {order["order_id"]: order for order in orders}}


def retail_state(data: dict[str, Any] | None = None) -> State:
    """A fresh state over the retail world (or over `data`)."""
    return get_domain("retail").from_json(data if data is not None else retail_data()).new_state()


# --- airline -----------------------------------------------------------------------------------

SARA, OMAR, GHOST = "sara_doe_1", "omar_lee_2", "ghost_9"
TWO_PAX = "ABC123"  # sara, economy, [HAT001 05-20 @90, HAT002 05-20 @70], 2 passengers, paid 320 by credit_card_1
FLOWN = "DEF456"  # sara, business, [HAT001 05-14 (landed) @280], 1 passenger, paid 200 gift_card_1 + 80 certificate_2
OMARS = "GHI789"  # omar, economy, [HAT001 05-21 @110], 1 passenger, 2 bags of which 1 non-free
ORPHAN = "ORF000"  # belongs to ghost_9, who is not in the users table


def _seats(basic: int, economy: int, business: int) -> dict[str, int]:
    return {"basic_economy": basic, "economy": economy, "business": business}


def _available(seats: dict[str, int], prices: dict[str, int]) -> dict[str, Any]:
    return {"status": "available", "available_seats": seats, "prices": prices}


def _flight(number: str, origin: str, destination: str, departs: str, arrives: str, dates: dict[str, Any]) -> dict[str, Any]:
    return {
        "flight_number": number,
        "origin": origin,
        "destination": destination,
        "scheduled_departure_time_est": departs,
        "scheduled_arrival_time_est": arrives,
        "dates": dates,
    }


def _leg(number: str, origin: str, destination: str, date: str, price: int) -> dict[str, Any]:
    return {"flight_number": number, "origin": origin, "destination": destination, "date": date, "price": price}


def _passenger(first: str, last: str, dob: str) -> dict[str, str]:
    return {"first_name": first, "last_name": last, "dob": dob}


def _reservation(
    reservation_id: str,
    user_id: str,
    route: tuple[str, str],
    cabin: str,
    legs: list[dict[str, Any]],
    passengers: list[dict[str, str]],
    payments: list[tuple[str, int]],
    bags: tuple[int, int] = (0, 0),
    insurance: str = "no",
) -> dict[str, Any]:
    return {
        "reservation_id": reservation_id,
        "user_id": user_id,
        "origin": route[0],
        "destination": route[1],
        "flight_type": "one_way",
        "cabin": cabin,
        "flights": legs,
        "passengers": passengers,
        "payment_history": [{"payment_id": pid, "amount": amount} for pid, amount in payments],
        "created_at": "2024-05-10T10:00:00",
        "total_baggages": bags[0],
        "nonfree_baggages": bags[1],
        "insurance": insurance,
    }


def airline_data() -> dict[str, Any]:
    """Six flights JFK-LAX-SFO (one overnight), two users, four reservations (one whose user is missing)."""
    flights = [
        _flight(
            "HAT001",
            "JFK",
            "LAX",
            "08:00:00",
            "11:00:00",
            {
                "2024-05-14": {
                    "status": "landed",
                    "actual_departure_time_est": "2024-05-14T08:02:00",
                    "actual_arrival_time_est": "2024-05-14T11:05:00",
                },
                "2024-05-15": {"status": "cancelled"},
                "2024-05-20": _available(_seats(9, 5, 1), {"basic_economy": 50, "economy": 100, "business": 300}),
                "2024-05-21": _available(_seats(9, 5, 4), {"basic_economy": 55, "economy": 120, "business": 320}),
            },
        ),
        _flight(
            "HAT002",
            "LAX",
            "SFO",
            "12:00:00",
            "13:30:00",
            {"2024-05-20": _available(_seats(9, 4, 3), {"basic_economy": 40, "economy": 80, "business": 200})},
        ),
        _flight(
            "HAT003",
            "LAX",
            "SFO",
            "10:00:00",
            "11:30:00",
            {"2024-05-20": _available(_seats(9, 9, 9), {"basic_economy": 30, "economy": 60, "business": 150})},
        ),
        _flight(
            "HAT004",
            "JFK",
            "LAX",
            "22:00:00",
            "01:30:00+1",
            {"2024-05-20": _available(_seats(9, 9, 9), {"basic_economy": 45, "economy": 90, "business": 250})},
        ),
        _flight(
            "HAT005",
            "LAX",
            "SFO",
            "06:00:00",
            "07:30:00",
            {
                "2024-05-20": _available(_seats(9, 9, 9), {"basic_economy": 35, "economy": 70, "business": 180}),
                "2024-05-21": _available(_seats(9, 9, 9), {"basic_economy": 35, "economy": 75, "business": 180}),
            },
        ),
        _flight("HAT006", "LAX", "SFO", "14:00:00", "15:30:00", {"2024-05-20": {"status": "cancelled"}}),
    ]
    users = {
        SARA: {
            "user_id": SARA,
            "name": {"first_name": "Sara", "last_name": "Doe"},
            "address": {"address1": "1 Bay St", "address2": None, "city": "New York", "country": "USA", "state": "NY", "zip": "10001"},
            "email": "sara.doe@example.com",
            "dob": "1990-04-05",
            "payment_methods": {
                "credit_card_1": {"source": "credit_card", "id": "credit_card_1", "brand": "visa", "last_four": "1234"},
                "gift_card_1": {"source": "gift_card", "id": "gift_card_1", "amount": 200.0},
                "certificate_1": {"source": "certificate", "id": "certificate_1", "amount": 250.0},
                "certificate_2": {"source": "certificate", "id": "certificate_2", "amount": 50.0},
            },
            "saved_passengers": [_passenger("Tom", "Doe", "1992-01-01")],
            "membership": "gold",
            "reservations": [TWO_PAX, FLOWN],
        },
        OMAR: {
            "user_id": OMAR,
            "name": {"first_name": "Omar", "last_name": "Lee"},
            "address": {"address1": "2 Main St", "address2": "Apt 3", "city": "Austin", "country": "USA", "state": "TX", "zip": "73301"},
            "email": "omar.lee@example.com",
            "dob": "1985-07-07",
            "payment_methods": {
                "credit_card_2": {"source": "credit_card", "id": "credit_card_2", "brand": "mastercard", "last_four": "5678"},
            },
            "saved_passengers": [],
            "membership": "regular",
            "reservations": [OMARS],
        },
    }
    sara, tom, omar = _passenger("Sara", "Doe", "1990-04-05"), _passenger("Tom", "Doe", "1992-01-01"), _passenger("Omar", "Lee", "1985-07-07")
    reservations = [
        _reservation(
            TWO_PAX,
            SARA,
            ("JFK", "SFO"),
            "economy",
            [_leg("HAT001", "JFK", "LAX", "2024-05-20", 90), _leg("HAT002", "LAX", "SFO", "2024-05-20", 70)],
            [sara, tom],
            [("credit_card_1", 320)],
            bags=(1, 0),
        ),
        _reservation(
            FLOWN,
            SARA,
            ("JFK", "LAX"),
            "business",
            [_leg("HAT001", "JFK", "LAX", "2024-05-14", 280)],
            [dict(sara)],
            [("gift_card_1", 200), ("certificate_2", 80)],
            bags=(2, 0),
            insurance="yes",
        ),
        _reservation(
            OMARS, OMAR, ("JFK", "LAX"), "economy", [_leg("HAT001", "JFK", "LAX", "2024-05-21", 110)], [omar], [("credit_card_2", 110)], bags=(2, 1)
        ),
        _reservation(
            ORPHAN, GHOST, ("JFK", "LAX"), "economy", [_leg("HAT001", "JFK", "LAX", "2024-05-21", 110)], [dict(omar)], [("credit_card_9", 110)]
        ),
    ]
    return {
        "flights": {flight["flight_number"]: flight for flight in flights},
        "users": users,
        "reservations": {reservation["reservation_id"]: reservation for reservation in reservations},
    }


def airline_state(data: dict[str, Any] | None = None) -> State:
    """A fresh state over the airline world (or over `data`)."""
    return get_domain("airline").from_json(data if data is not None else airline_data()).new_state()


# --- calling tools -----------------------------------------------------------------------------


def run(state: State, name: str, /, **arguments: Any) -> ToolOutcome:
    """Call a tool of the state's domain through `Toolkit.execute`."""
    return get_domain(state.base.domain).toolkit.execute(state, name, arguments)


def snapshot(state: State) -> dict[str, Any]:
    """A deep copy of the state's change set, to compare before and after a call."""
    return copy.deepcopy(state.changes())


def base_record(state: State, table: str, key: str) -> dict[str, Any]:
    """A private deep copy of a record as the base database has it, to build an expected record from."""
    return copy.deepcopy(state.base.tables[table][key])


def assert_refused(state: State, name: str, message: str, /, **arguments: Any) -> ToolOutcome:
    """Call a tool, expect the domain error `message`, and check the state did not change."""
    before = snapshot(state)
    outcome = run(state, name, **arguments)
    assert (outcome.ok, outcome.error_kind, outcome.error) == (False, "tool_error", message)
    assert outcome.content == f"Error: {message}"
    assert state.changes() == before
    return outcome
