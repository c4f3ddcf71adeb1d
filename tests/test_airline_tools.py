"""The airline tools on a small hand-written world: exact state changes, exact errors, validation order.

Also the airline tool schemas against τ²-bench's and argument validation of nested objects.
"""

from __future__ import annotations


import pytest

from domains.registry import get_domain
from worlds import (
    FLOWN,
    GHOST,
    OMAR,
    OMARS,
    ORPHAN,
    SARA,
    TWO_PAX,
    airline_data,
    airline_state,
    assert_refused,
    base_record,
    run,
    snapshot,
)

TOOLKIT = get_domain("airline").toolkit
SARA_PAX = {"first_name": "Sara", "last_name": "Doe", "dob": "1990-04-05"}
TOM_PAX = {"first_name": "Tom", "last_name": "Doe", "dob": "1992-01-01"}


def booking(**overrides):
    """Sara books HAT001+HAT002 on 2024-05-20 in economy for two, insured, one paid bag: (100+80)*2 + 60 + 50 = 470."""
    arguments = {
        "user_id": SARA,
        "origin": "JFK",
        "destination": "SFO",
        "flight_type": "one_way",
        "cabin": "economy",
        "flights": [{"flight_number": "HAT001", "date": "2024-05-20"}, {"flight_number": "HAT002", "date": "2024-05-20"}],
        "passengers": [SARA_PAX, TOM_PAX],
        "payment_methods": [
            {"payment_id": "gift_card_1", "amount": 150},
            {"payment_id": "certificate_1", "amount": 200},
            {"payment_id": "credit_card_1", "amount": 120},
        ],
        "total_baggages": 3,
        "nonfree_baggages": 1,
        "insurance": "yes",
    }
    return {**arguments, **overrides}


def cheap_booking(user_id=SARA, payment_id="credit_card_1"):
    """One passenger, HAT001 on 2024-05-20 in basic economy, 50 paid in full with one method."""
    return booking(
        user_id=user_id,
        destination="LAX",
        cabin="basic_economy",
        flights=[{"flight_number": "HAT001", "date": "2024-05-20"}],
        passengers=[SARA_PAX],
        payment_methods=[{"payment_id": payment_id, "amount": 50}],
        total_baggages=0,
        nonfree_baggages=0,
        insurance="no",
    )


def flights(*legs):
    return [{"flight_number": number, "date": date} for number, date in legs]


# --- read tools ------------------------------------------------------------------------------


def test_get_user_details_returns_the_profile():
    """A user id returns that user's record as stored."""
    outcome = run(airline_state(), "get_user_details", user_id=OMAR)
    assert outcome.ok and outcome.result == airline_data()["users"][OMAR]


def test_get_reservation_details_shows_status_null_until_cancelled():
    """A reservation without a status is shown with status null, a cancelled one with 'cancelled'."""
    state = airline_state()
    assert run(state, "get_reservation_details", reservation_id=TWO_PAX).result == {**airline_data()["reservations"][TWO_PAX], "status": None}
    run(state, "cancel_reservation", reservation_id=TWO_PAX)
    assert run(state, "get_reservation_details", reservation_id=TWO_PAX).result["status"] == "cancelled"


@pytest.mark.parametrize(
    "name, arguments, message",
    [
        ("get_user_details", {"user_id": "nobody"}, "User nobody not found"),
        ("get_reservation_details", {"reservation_id": "ZZZ999"}, "Reservation ZZZ999 not found"),
        ("get_flight_status", {"flight_number": "HAT999", "date": "2024-05-20"}, "Flight HAT999 not found"),
        ("get_flight_status", {"flight_number": "HAT001", "date": "2024-06-30"}, "Flight HAT001 not found on date 2024-06-30"),
    ],
)
def test_lookups_of_unknown_ids_are_refused(name, arguments, message):
    """Each lookup names the id (and date) it did not find."""
    assert_refused(airline_state(), name, message, **arguments)


@pytest.mark.parametrize(
    "number, date, status",
    [("HAT001", "2024-05-14", "landed"), ("HAT001", "2024-05-15", "cancelled"), ("HAT001", "2024-05-20", "available")],
)
def test_get_flight_status_returns_the_status_string(number, date, status):
    """The status of a flight on a date is returned as a plain string."""
    outcome = run(airline_state(), "get_flight_status", flight_number=number, date=date)
    assert (outcome.ok, outcome.content) == (True, status)


def test_list_all_airports_gives_twenty_iata_city_pairs():
    """The airport list is the fixed 20 airports, each {iata, city}, starting with SFO."""
    result = run(airline_state(), "list_all_airports").result
    assert len(result) == 20 and len({airport["iata"] for airport in result}) == 20
    assert result[0] == {"iata": "SFO", "city": "San Francisco"}
    assert all(set(airport) == {"iata", "city"} for airport in result)


def test_search_direct_flight_lists_available_flights_only():
    """Direct search returns the route's flights whose date is 'available', with seats, prices and date null."""
    result = run(airline_state(), "search_direct_flight", origin="JFK", destination="LAX", date="2024-05-20").result
    assert [flight["flight_number"] for flight in result] == ["HAT001", "HAT004"]
    assert result[0] == {
        "flight_number": "HAT001",
        "origin": "JFK",
        "destination": "LAX",
        "status": "available",
        "scheduled_departure_time_est": "08:00:00",
        "scheduled_arrival_time_est": "11:00:00",
        "date": None,
        "available_seats": {"basic_economy": 9, "economy": 5, "business": 1},
        "prices": {"basic_economy": 50, "economy": 100, "business": 300},
    }


@pytest.mark.parametrize("date", ["2024-05-14", "2024-05-15", "2024-06-30"])
def test_search_direct_flight_skips_dates_that_are_not_for_sale(date):
    """Landed, cancelled and unknown dates give no results."""
    assert run(airline_state(), "search_direct_flight", origin="JFK", destination="LAX", date=date).result == []


def test_search_onestop_connects_after_arrival_and_next_day_after_overnight():
    """Leg 2 leaves the connection no earlier than leg 1 arrives; after a '+1' arrival it is searched the next day."""
    result = run(airline_state(), "search_onestop_flight", origin="JFK", destination="SFO", date="2024-05-20").result
    pairs = [[(leg["flight_number"], leg["date"]) for leg in pair] for pair in result]
    # HAT003 (10:00) leaves before HAT001 lands (11:00), HAT005 on 05-20 too; HAT006 is cancelled.
    assert pairs == [[("HAT001", "2024-05-20"), ("HAT002", "2024-05-20")], [("HAT004", "2024-05-20"), ("HAT005", "2024-05-21")]]
    assert result[1][1]["prices"] == {"basic_economy": 35, "economy": 75, "business": 180}
    assert all(leg["status"] == "available" for pair in result for leg in pair)


def test_search_onestop_compares_times_as_strings():
    """A leg 2 departing at exactly the '+1' arrival time is excluded, since '01:30:00' < '01:30:00+1' as strings."""
    data = airline_data()
    data["flights"]["HAT005"]["scheduled_departure_time_est"] = "01:30:00"
    pairs = run(airline_state(data), "search_onestop_flight", origin="JFK", destination="SFO", date="2024-05-20").result
    assert [[leg["flight_number"] for leg in pair] for pair in pairs] == [["HAT001", "HAT002"]]


@pytest.mark.parametrize("name", ["calculate", "transfer_to_human_agents"])
def test_generic_tools_change_nothing(name):
    """The calculator and the transfer answer without touching the state."""
    arguments = {"expression": "(100 + 80) * 2 + 60 + 50"} if name == "calculate" else {"summary": "wants a refund"}
    state = airline_state()
    outcome = run(state, name, **arguments)
    assert outcome.ok and outcome.content == {"calculate": "470.0", "transfer_to_human_agents": "Transfer successful"}[name]
    assert state.changes() == {}


# --- book_reservation ------------------------------------------------------------------------


def test_book_reservation_changes_exactly_what_it_should():
    """A booking inserts HATHAT, debits the gift card, removes the certificate, takes seats and lists the id."""
    state = airline_state()
    outcome = run(state, "book_reservation", **booking())
    reservation = {
        "reservation_id": "HATHAT",
        "user_id": SARA,
        "origin": "JFK",
        "destination": "SFO",
        "flight_type": "one_way",
        "cabin": "economy",
        "flights": [
            {"flight_number": "HAT001", "origin": "JFK", "destination": "LAX", "date": "2024-05-20", "price": 100},
            {"flight_number": "HAT002", "origin": "LAX", "destination": "SFO", "date": "2024-05-20", "price": 80},
        ],
        "passengers": [SARA_PAX, TOM_PAX],
        "payment_history": [
            {"payment_id": "gift_card_1", "amount": 150},
            {"payment_id": "certificate_1", "amount": 200},
            {"payment_id": "credit_card_1", "amount": 120},
        ],
        "created_at": "2024-05-15T15:00:00",
        "total_baggages": 3,
        "nonfree_baggages": 1,
        "insurance": "yes",
    }
    user = base_record(state, "users", SARA)
    user["payment_methods"]["gift_card_1"]["amount"] = 50.0
    del user["payment_methods"]["certificate_1"]  # 50 left on it, lost
    user["reservations"].append("HATHAT")
    hat001, hat002 = base_record(state, "flights", "HAT001"), base_record(state, "flights", "HAT002")
    hat001["dates"]["2024-05-20"]["available_seats"]["economy"] = 3
    hat002["dates"]["2024-05-20"]["available_seats"]["economy"] = 2
    assert outcome.ok and outcome.result == {**reservation, "status": None}
    assert state.changes() == {
        "users": {SARA: user},
        "flights": {"HAT001": hat001, "HAT002": hat002},
        "reservations": {"HATHAT": reservation},
    }
    assert list(state.keys("reservations"))[-1] == "HATHAT"


def test_book_reservation_ids_run_out_after_three():
    """Successive bookings get HATHAT, HATHAU, HATHAV; a fourth is refused with 'Too many reservations'."""
    state = airline_state()
    ids = [run(state, "book_reservation", **cheap_booking()).result["reservation_id"] for _ in range(3)]
    assert ids == ["HATHAT", "HATHAU", "HATHAV"]
    assert state.get("users", SARA)["reservations"][-3:] == ids
    assert state.get("flights", "HAT001")["dates"]["2024-05-20"]["available_seats"]["basic_economy"] == 6
    assert_refused(state, "book_reservation", "Too many reservations", **cheap_booking())


def test_book_reservation_takes_the_first_free_id():
    """When HATHAT already exists in the database, the next booking is HATHAU."""
    data = airline_data()
    data["reservations"]["HATHAT"] = {**data["reservations"][OMARS], "reservation_id": "HATHAT"}
    outcome = run(airline_state(data), "book_reservation", **cheap_booking())
    assert outcome.result["reservation_id"] == "HATHAU"


@pytest.mark.parametrize("meta, created_at", [(None, "2024-05-15T15:00:00"), ({"now": "2024-06-01T09:30:00"}, "2024-06-01T09:30:00")])
def test_book_reservation_is_created_at_the_databases_now(meta, created_at):
    """created_at is the database's meta.now, or τ²-bench's fixed 2024-05-15T15:00:00 without one."""
    data = airline_data()
    if meta is not None:
        data["meta"] = {"generator": "hand", "seed": 1, "scale": 1.0, **meta}
    assert run(airline_state(data), "book_reservation", **cheap_booking()).result["created_at"] == created_at


def test_book_reservation_credit_card_has_no_balance_limit():
    """A credit card can pay any amount, since only gift cards and certificates have balances."""
    arguments = booking(payment_methods=[{"payment_id": "credit_card_1", "amount": 470}])
    assert run(airline_state(), "book_reservation", **arguments).ok


def test_book_reservation_does_not_enforce_policy_limits():
    """Origin/destination/trip-type consistency and bag allowances are not the tool's business."""
    arguments = booking(origin="SEA", destination="MIA", flight_type="round_trip", total_baggages=0, nonfree_baggages=1)
    assert run(airline_state(), "book_reservation", **arguments).ok


def full_world():
    """The airline world with HATHAT, HATHAU and HATHAV already taken."""
    data = airline_data()
    for rid in ("HATHAT", "HATHAU", "HATHAV"):
        data["reservations"][rid] = {**data["reservations"][OMARS], "reservation_id": rid}
    return data


@pytest.mark.parametrize(
    "world, overrides, message",
    [
        (None, {"user_id": "nobody"}, "User nobody not found"),
        ("full", {}, "Too many reservations"),
        (None, {"flights": flights(("HAT999", "2024-05-20"))}, "Flight HAT999 not found"),
        (None, {"flights": flights(("HAT001", "2024-06-30"))}, "Flight HAT001 not found on date 2024-06-30"),
        (None, {"flights": flights(("HAT001", "2024-05-15"))}, "Flight HAT001 not available on date 2024-05-15"),
        (None, {"flights": flights(("HAT001", "2024-05-14"))}, "Flight HAT001 not available on date 2024-05-14"),
        (None, {"cabin": "business"}, "Not enough seats on flight HAT001"),
        (None, {"payment_methods": [{"payment_id": "credit_card_2", "amount": 470}]}, "Payment method credit_card_2 not found"),
        (
            None,
            {"payment_methods": [{"payment_id": "gift_card_1", "amount": 201}, {"payment_id": "credit_card_1", "amount": 269}]},
            "Not enough balance in payment method gift_card_1",
        ),
        (
            None,
            {"payment_methods": [{"payment_id": "certificate_2", "amount": 51}, {"payment_id": "credit_card_1", "amount": 419}]},
            "Not enough balance in payment method certificate_2",
        ),
        (
            None,
            {"payment_methods": [{"payment_id": "credit_card_1", "amount": 469}]},
            "Payment amount does not add up, total price is 470, but paid 469",
        ),
        (None, {"payment_methods": []}, "Payment amount does not add up, total price is 470, but paid 0"),
        (None, {"insurance": "no"}, "Payment amount does not add up, total price is 410, but paid 470"),
        # two failures: the first in SEMANTICS' order wins
        ("full", {"user_id": "nobody"}, "User nobody not found"),
        ("full", {"flights": flights(("HAT999", "2024-05-20"))}, "Too many reservations"),
        (None, {"flights": flights(("HAT001", "2024-05-15"), ("HAT999", "2024-05-20"))}, "Flight HAT001 not available on date 2024-05-15"),
        (None, {"flights": flights(("HAT999", "2024-05-20"), ("HAT001", "2024-05-15"))}, "Flight HAT999 not found"),
        (None, {"cabin": "business", "payment_methods": [{"payment_id": "nope", "amount": 1}]}, "Not enough seats on flight HAT001"),
        (
            None,
            {"payment_methods": [{"payment_id": "nope", "amount": 1}, {"payment_id": "gift_card_1", "amount": 999}]},
            "Payment method nope not found",
        ),
        (
            None,
            {"payment_methods": [{"payment_id": "gift_card_1", "amount": 999}, {"payment_id": "nope", "amount": 1}]},
            "Not enough balance in payment method gift_card_1",
        ),
        (None, {"payment_methods": [{"payment_id": "certificate_2", "amount": 470}]}, "Not enough balance in payment method certificate_2"),
    ],
)
def test_book_reservation_refusals_in_order(world, overrides, message):
    """User, free id, each flight (exists, date, available, seats), each payment (exists, balance), then the sum."""
    state = airline_state(full_world() if world == "full" else None)
    assert_refused(state, "book_reservation", message, **booking(**overrides))


# --- cancel_reservation ----------------------------------------------------------------------


def test_cancel_reservation_refunds_every_payment_and_nothing_else():
    """Cancelling appends a negative copy of each payment, in order, sets the status; seats and gift cards stay."""
    state = airline_state()
    outcome = run(state, "cancel_reservation", reservation_id=FLOWN)
    reservation = base_record(state, "reservations", FLOWN)
    reservation["payment_history"] += [{"payment_id": "gift_card_1", "amount": -200}, {"payment_id": "certificate_2", "amount": -80}]
    reservation["status"] = "cancelled"
    assert outcome.ok and outcome.result == reservation
    assert state.changes() == {"reservations": {FLOWN: reservation}}


def test_cancel_reservation_does_not_check_for_an_earlier_cancellation():
    """Cancelling twice appends the refunds again, including the negative entries of the first time."""
    state = airline_state()
    run(state, "cancel_reservation", reservation_id=OMARS)
    run(state, "cancel_reservation", reservation_id=OMARS)
    amounts = [entry["amount"] for entry in state.get("reservations", OMARS)["payment_history"]]
    assert amounts == [110, -110, -110, 110]


def test_cancel_reservation_of_unknown_id_is_refused():
    """An unknown reservation id gives 'Reservation X not found'."""
    assert_refused(airline_state(), "cancel_reservation", "Reservation ZZZ999 not found", reservation_id="ZZZ999")


# --- update_reservation_flights --------------------------------------------------------------


def test_update_flights_to_the_same_itinerary_changes_nothing():
    """The same flights in the same cabin keep their prices, total 0, so no payment and no change at all."""
    state = airline_state()
    legs = flights(("HAT001", "2024-05-20"), ("HAT002", "2024-05-20"))
    outcome = run(state, "update_reservation_flights", reservation_id=TWO_PAX, cabin="economy", flights=legs, payment_id="credit_card_1")
    assert outcome.ok and state.changes() == {}


def test_update_flights_keeps_old_prices_of_kept_segments():
    """A kept segment keeps the price paid, a new one costs today's fare; the difference for all passengers is paid."""
    state = airline_state()
    legs = flights(("HAT002", "2024-05-20"), ("HAT001", "2024-05-21"))
    assert run(state, "update_reservation_flights", reservation_id=TWO_PAX, cabin="economy", flights=legs, payment_id="credit_card_1").ok
    reservation = base_record(state, "reservations", TWO_PAX)
    reservation["flights"] = [
        {"flight_number": "HAT002", "origin": "LAX", "destination": "SFO", "date": "2024-05-20", "price": 70},
        {"flight_number": "HAT001", "origin": "JFK", "destination": "LAX", "date": "2024-05-21", "price": 120},
    ]
    reservation["payment_history"].append({"payment_id": "credit_card_1", "amount": (70 + 120) * 2 - (90 + 70) * 2})
    assert state.changes() == {"reservations": {TWO_PAX: reservation}}


def test_update_flights_with_a_new_cabin_reprices_every_segment():
    """Changing cabin re-prices even same-number, same-date segments, sets the cabin, and leaves seats alone."""
    state = airline_state()
    legs = flights(("HAT001", "2024-05-21"), ("HAT002", "2024-05-20"))
    assert run(state, "update_reservation_flights", reservation_id=TWO_PAX, cabin="business", flights=legs, payment_id="credit_card_1").ok
    reservation = base_record(state, "reservations", TWO_PAX)
    reservation["cabin"] = "business"
    reservation["flights"] = [
        {"flight_number": "HAT001", "origin": "JFK", "destination": "LAX", "date": "2024-05-21", "price": 320},
        {"flight_number": "HAT002", "origin": "LAX", "destination": "SFO", "date": "2024-05-20", "price": 200},
    ]
    reservation["payment_history"].append({"payment_id": "credit_card_1", "amount": (320 + 200) * 2 - 320})
    assert state.changes() == {"reservations": {TWO_PAX: reservation}}


@pytest.mark.parametrize("payment_id, balance", [("credit_card_1", 200.0), ("gift_card_1", 340.0)])
def test_update_flights_to_a_cheaper_cabin_records_a_negative_payment(payment_id, balance):
    """A cheaper itinerary appends a negative amount; a gift card gets it back, a card record is untouched."""
    state = airline_state()
    legs = flights(("HAT001", "2024-05-20"), ("HAT002", "2024-05-20"))
    assert run(state, "update_reservation_flights", reservation_id=TWO_PAX, cabin="basic_economy", flights=legs, payment_id=payment_id).ok
    reservation = state.get("reservations", TWO_PAX)
    assert reservation["payment_history"][-1] == {"payment_id": payment_id, "amount": (50 + 40) * 2 - 320}
    assert [leg["price"] for leg in reservation["flights"]] == [50, 40]
    assert state.get("users", SARA)["payment_methods"]["gift_card_1"]["amount"] == balance
    assert "flights" not in state.changes()


def test_update_flights_with_a_gift_card_debits_it():
    """A positive difference paid by gift card lowers its amount by exactly that difference."""
    state = airline_state()
    legs = flights(("HAT001", "2024-05-21"), ("HAT002", "2024-05-20"))
    assert run(state, "update_reservation_flights", reservation_id=TWO_PAX, cabin="economy", flights=legs, payment_id="gift_card_1").ok
    assert state.get("users", SARA)["payment_methods"]["gift_card_1"]["amount"] == 200.0 - 60


def test_update_flights_keeps_a_flown_segment_without_checking_it():
    """A kept segment on a landed date is not re-validated, so the same itinerary in the same cabin succeeds."""
    state = airline_state()
    legs = flights(("HAT001", "2024-05-14"))
    assert run(state, "update_reservation_flights", reservation_id=FLOWN, cabin="business", flights=legs, payment_id="credit_card_1").ok
    assert state.changes() == {}


def _update(reservation_id=TWO_PAX, cabin="economy", legs=(("HAT001", "2024-05-20"), ("HAT002", "2024-05-20")), payment_id="credit_card_1"):
    return {"reservation_id": reservation_id, "cabin": cabin, "flights": flights(*legs), "payment_id": payment_id}


@pytest.mark.parametrize(
    "arguments, message",
    [
        (_update(reservation_id="ZZZ999"), "Reservation ZZZ999 not found"),
        (_update(reservation_id=ORPHAN), f"User {GHOST} not found"),
        (_update(legs=[("HAT999", "2024-05-20")]), "Flight HAT999 not found"),
        (_update(legs=[("HAT001", "2024-06-30")]), "Flight HAT001 not found on date 2024-06-30"),
        (_update(legs=[("HAT001", "2024-05-15")]), "Flight HAT001 not available on date 2024-05-15"),
        (_update(reservation_id=FLOWN, cabin="economy", legs=[("HAT001", "2024-05-14")]), "Flight HAT001 not available on date 2024-05-14"),
        (_update(cabin="business"), "Not enough seats on flight HAT001"),
        (_update(payment_id="credit_card_2"), "Payment method not found"),
        (_update(payment_id="certificate_1"), "Certificate cannot be used to update reservation"),
        (
            _update(cabin="business", legs=[("HAT001", "2024-05-21"), ("HAT002", "2024-05-20")], payment_id="gift_card_1"),
            "Gift card balance is not enough",
        ),
        # two failures: the first in SEMANTICS' order wins
        (_update(reservation_id=ORPHAN, legs=[("HAT999", "2024-05-20")]), f"User {GHOST} not found"),
        (_update(legs=[("HAT001", "2024-05-15"), ("HAT999", "2024-05-20")]), "Flight HAT001 not available on date 2024-05-15"),
        (_update(legs=[("HAT999", "2024-05-20")], payment_id="nope"), "Flight HAT999 not found"),
        (_update(cabin="business", payment_id="certificate_1"), "Not enough seats on flight HAT001"),
    ],
)
def test_update_flights_refusals_in_order(arguments, message):
    """Reservation, user, each new segment (exists, date, available, seats), then the payment method."""
    assert_refused(airline_state(), "update_reservation_flights", message, **arguments)


# --- update_reservation_baggages -------------------------------------------------------------


@pytest.mark.parametrize(
    "reservation_id, bags, charge",
    [(TWO_PAX, (3, 2), 100), (TWO_PAX, (1, 0), 0), (OMARS, (4, 3), 100), (OMARS, (0, 0), 0), (OMARS, (2, 1), 0)],
)
def test_update_baggages_charges_fifty_per_added_nonfree_bag(reservation_id, bags, charge):
    """The charge is 50 * max(0, new non-free - old non-free), appended only if positive; both counters are set."""
    state = airline_state()
    payment_id = "credit_card_1" if reservation_id == TWO_PAX else "credit_card_2"
    outcome = run(
        state,
        "update_reservation_baggages",
        reservation_id=reservation_id,
        total_baggages=bags[0],
        nonfree_baggages=bags[1],
        payment_id=payment_id,
    )
    reservation = base_record(state, "reservations", reservation_id)
    reservation.update(total_baggages=bags[0], nonfree_baggages=bags[1])
    if charge:
        reservation["payment_history"].append({"payment_id": payment_id, "amount": charge})
    changed = {} if reservation == base_record(state, "reservations", reservation_id) else {"reservations": {reservation_id: reservation}}
    assert outcome.ok and state.changes() == changed


def test_update_baggages_with_a_gift_card_debits_it():
    """Bags paid by gift card lower its amount by the charge."""
    state = airline_state()
    assert run(state, "update_reservation_baggages", reservation_id=TWO_PAX, total_baggages=3, nonfree_baggages=2, payment_id="gift_card_1").ok
    assert state.get("users", SARA)["payment_methods"]["gift_card_1"]["amount"] == 100.0


@pytest.mark.parametrize(
    "reservation_id, nonfree, payment_id, message",
    [
        ("ZZZ999", 1, "credit_card_1", "Reservation ZZZ999 not found"),
        (ORPHAN, 1, "credit_card_9", f"User {GHOST} not found"),
        (TWO_PAX, 1, "credit_card_2", "Payment method not found"),
        (TWO_PAX, 0, "certificate_1", "Certificate cannot be used to update reservation"),
        (TWO_PAX, 5, "gift_card_1", "Gift card balance is not enough"),
        # two failures: the first in SEMANTICS' order wins
        ("ZZZ999", 5, "nope", "Reservation ZZZ999 not found"),
    ],
)
def test_update_baggages_refusals_in_order(reservation_id, nonfree, payment_id, message):
    """Reservation, user, method in profile, no certificate even for a zero charge, then gift card balance."""
    assert_refused(
        airline_state(),
        "update_reservation_baggages",
        message,
        reservation_id=reservation_id,
        total_baggages=nonfree + 1,
        nonfree_baggages=nonfree,
        payment_id=payment_id,
    )


# --- update_reservation_passengers -----------------------------------------------------------


def test_update_passengers_replaces_the_list():
    """The passenger list is replaced, in the given order, and nothing else changes."""
    state = airline_state()
    new = [{"first_name": "Ann", "last_name": "Lee", "dob": "2000-02-02"}, TOM_PAX]
    assert run(state, "update_reservation_passengers", reservation_id=TWO_PAX, passengers=new).ok
    reservation = base_record(state, "reservations", TWO_PAX)
    reservation["passengers"] = new
    assert state.changes() == {"reservations": {TWO_PAX: reservation}}


@pytest.mark.parametrize(
    "reservation_id, passengers, message",
    [
        ("ZZZ999", [SARA_PAX], "Reservation ZZZ999 not found"),
        (TWO_PAX, [SARA_PAX], "Number of passengers does not match"),
        (TWO_PAX, [SARA_PAX, TOM_PAX, SARA_PAX], "Number of passengers does not match"),
    ],
)
def test_update_passengers_refusals(reservation_id, passengers, message):
    """The reservation must exist and the number of passengers must stay the same."""
    assert_refused(airline_state(), "update_reservation_passengers", message, reservation_id=reservation_id, passengers=passengers)


# --- send_certificate ------------------------------------------------------------------------


def test_send_certificate_uses_three_fixed_ids_then_refuses():
    """Certificates get ids 3221322, 3221323, 3221324 with a float amount; a fourth gives 'Too many certificates'."""
    state = airline_state()
    messages = [run(state, "send_certificate", user_id=OMAR, amount=amount).content for amount in (100, 150, 50)]
    assert messages == [
        f"Certificate certificate_3221322 added to user {OMAR} with amount 100.",
        f"Certificate certificate_3221323 added to user {OMAR} with amount 150.",
        f"Certificate certificate_3221324 added to user {OMAR} with amount 50.",
    ]
    user = base_record(state, "users", OMAR)
    for number, amount in ((3221322, 100), (3221323, 150), (3221324, 50)):
        certificate_id = f"certificate_{number}"
        user["payment_methods"][certificate_id] = {"source": "certificate", "id": certificate_id, "amount": float(amount)}
    assert state.changes() == {"users": {OMAR: user}}
    assert isinstance(state.get("users", OMAR)["payment_methods"]["certificate_3221322"]["amount"], float)
    assert_refused(state, "send_certificate", "Too many certificates", user_id=OMAR, amount=10)


def test_send_certificate_to_unknown_user_is_refused():
    """An unknown user id gives 'User X not found'."""
    assert_refused(airline_state(), "send_certificate", "User nobody not found", user_id="nobody", amount=100)


# --- state safety and argument validation ----------------------------------------------------


def test_failed_booking_after_earlier_bookings_keeps_them():
    """A refused booking leaves the changes of earlier successful calls exactly as they were."""
    state = airline_state()
    assert run(state, "book_reservation", **cheap_booking(payment_id="gift_card_1")).ok
    before = snapshot(state)
    too_much = booking(payment_methods=[{"payment_id": "gift_card_1", "amount": 470}])
    assert_refused(state, "book_reservation", "Not enough balance in payment method gift_card_1", **too_much)
    assert state.changes() == before


@pytest.mark.parametrize(
    "name, arguments, named",
    [
        ("book_reservation", booking(flights=[{"flight_number": 1, "date": "2024-05-20"}]), "flights.0.flight_number"),
        ("book_reservation", booking(flights=[{"flight_number": "HAT001"}]), "flights.0.date"),
        ("book_reservation", booking(passengers=[{"first_name": "A", "last_name": "B"}]), "passengers.0.dob"),
        ("book_reservation", booking(payment_methods=[{"payment_id": "credit_card_1", "amount": 469.5}]), "payment_methods.0.amount"),
        ("book_reservation", booking(cabin="first"), "cabin"),
        ("book_reservation", booking(flight_type="multi_city"), "flight_type"),
        ("book_reservation", booking(insurance=True), "insurance"),
        ("book_reservation", {key: value for key, value in booking().items() if key != "nonfree_baggages"}, "nonfree_baggages"),
        ("update_reservation_flights", {**_update(), "flights": "HAT001"}, "flights"),
        ("send_certificate", {"user_id": OMAR, "amount": "a hundred"}, "amount"),
        ("send_certificate", {"user_id": OMAR, "amount": 100, "reason": "delay"}, "reason"),
    ],
)
def test_bad_nested_arguments_are_invalid_arguments_naming_the_field(name, arguments, named):
    """Mistyped or missing fields, even inside flights, passengers and payments, are named in the error."""
    state = airline_state()
    outcome = TOOLKIT.execute(state, name, arguments)
    assert (outcome.ok, outcome.error_kind) == (False, "invalid_arguments")
    assert named in outcome.error and state.changes() == {}


# --- schemas against τ²-bench's --------------------------------------------------------------
