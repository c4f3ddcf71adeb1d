"""Labelled airline dialogues, written as real LLM agents and travellers write them: each has the score and
the blame a careful grader would give, and the verifier must give exactly those."""

from __future__ import annotations

import pytest

from domains.airline.facts import CITIES
from domains.airline.models import CABIN_NAMES
from tests.conftest import generated_base
from tests.labelled import STOP, amount, args, call, rules, task_of, verdict

BASE = generated_base("airline")


def status(number: str, date: str) -> str:
    return BASE.tables["flights"][number]["dates"][date]["status"]


def day_flights(task) -> list[dict]:
    """The traveller's flights on the day of the goal's flight."""
    date = task.constraints[0].params["date"]
    user = BASE.tables["users"][task.user_id]
    return [f for r in user["reservations"] for f in BASE.tables["reservations"][r]["flights"] if f["date"] == date]


def _two_flights_differing(task, base):
    params = task.constraints[0].params
    return task.constraints[0].expected_info == ["on time"] and any(
        f["flight_number"] != params["flight_number"] and status(f["flight_number"], f["date"]) not in ("on time",) for f in day_flights(task)
    )


STATUS = task_of("airline", "info_flight_status", _two_flights_differing)
CERTIFICATE = task_of("airline", "info_certificate_total")


def login(task, opening="Hi, I have a question about my trip."):
    """The traveller opens, the agent asks for the user id and reads the profile, as the policy wants."""
    return [
        ("user", opening),
        ("agent", "I'd be happy to help. Could you please provide your user ID?"),
        ("user", f"Sure, my user id is {task.user_id}"),
        call("get_user_details", user_id=task.user_id),
    ]


def bye():
    return [("agent", "Is there anything else I can help you with?"), ("user", "No, that's everything. Thanks! " + STOP)]


def status_dialogue(*answers):
    flight = STATUS.constraints[0].params
    turns = login(STATUS, f"Hey, is my flight {flight['flight_number']} today running on time?")
    turns += [call("get_flight_status", flight_number=flight["flight_number"], date=flight["date"])]
    for index, answer in enumerate(answers):
        if index:
            turns.append(("user", "wait, are you sure?"))
        turns.append(("agent", answer))
    return turns + bye()


def other_flight() -> dict:
    number = STATUS.constraints[0].params["flight_number"]
    return next(f for f in day_flights(STATUS) if f["flight_number"] != number and status(f["flight_number"], f["date"]) != "on time")


@pytest.mark.parametrize(
    "answer, score",
    [
        pytest.param("Good news: flight {n} is on-time today.", 1.0, id="hyphenated on-time"),
        pytest.param("Your flight from {origin} to {destination} is on schedule.", 1.0, id="named by its route"),
        pytest.param("Flight {n} isn't delayed - it's right on time.", 1.0, id="a denied wrong status, then the right one"),
        pytest.param("Flight {n} is not on time.", 0.0, id="negated"),
        pytest.param("It is on time.", 0.0, id="the flight is never named"),
        pytest.param("Your other flight today, {other}, is {other_status}, while {n} is {other_status} as well.", 0.0, id="wrong status"),
        pytest.param("Flight {other} is on time.", 0.0, id="status of the other flight"),
        pytest.param("Here are your flights today:\n- {other}: {other_status}\n- {n}: on time", 1.0, id="a list, one flight per line"),
        pytest.param("Here are your flights today:\n- {n}: {other_status}\n- {other}: on time", 0.0, id="a list with the statuses swapped"),
    ],
)
def test_flight_status_must_be_said_of_the_flight_asked_about(answer, score):
    """A status counts only when said, not negated, of the flight asked about (by number or route)."""
    flight = STATUS.constraints[0].params
    other = other_flight()
    segment = BASE.tables["flights"][flight["flight_number"]]
    text = answer.format(n=flight["flight_number"], origin=CITIES[segment["origin"]], destination=CITIES[segment["destination"]],
                         other=other["flight_number"], other_status=status(other["flight_number"], other["date"]))
    result = verdict(STATUS, status_dialogue(text))
    assert result.score == score, (text, result.reasons)
    assert result.attribution == ("none" if score == 1.0 else "agent")


def test_status_of_two_flights_in_one_sentence_goes_to_each_flight():
    """'HAT1 is delayed, but HAT2 is on time': each status belongs to the flight it is said of."""
    flight = STATUS.constraints[0].params
    other = other_flight()
    right = f"Flight {other['flight_number']} is {status(other['flight_number'], other['date'])}, but flight {flight['flight_number']} is on time."
    wrong = f"Flight {flight['flight_number']} is {status(other['flight_number'], other['date'])}, but flight {other['flight_number']} is on time."
    assert verdict(STATUS, status_dialogue(right)).score == 1.0
    assert verdict(STATUS, status_dialogue(wrong)).score == 0.0


def test_a_status_corrected_to_a_wrong_one_fails():
    """The last statement of the flight's status counts: a later 'correction' replaces the right answer."""
    number = STATUS.constraints[0].params["flight_number"]
    result = verdict(STATUS, status_dialogue(f"Flight {number} is on time.", f"Apologies, correction: flight {number} is delayed by about 40 minutes."))
    assert (result.score, result.attribution) == (0.0, "agent")


@pytest.mark.parametrize("said, score", [("{value}", 1.0), ("{value}0", 0.0), ("not {value}", 0.0)])
def test_certificate_total(said, score):
    """A certificate's value: '$250' passes; '$2500' (containing it) and 'not $250' do not."""
    value = amount(CERTIFICATE)
    text = said.format(value=f"${float(value):.0f}")
    turns = login(CERTIFICATE, "How much is my travel certificate worth?") + [("agent", f"Your travel certificate is worth {text}.")] + bye()
    assert verdict(CERTIFICATE, turns).score == score


# --- order-free lists -------------------------------------------------------------------------------

BOOKING = task_of("airline", "book_reservation", lambda task, base: len(task.constraints[0].params["passengers"]) >= 2 and len(task.constraints[0].params["payment_methods"]) >= 2)


def test_a_booking_with_passengers_and_payments_listed_in_another_order_scores_one():
    """Passengers and payments are sets: the same booking with both lists reversed is the same booking."""
    a = args(BOOKING)
    reordered = {**a, "passengers": a["passengers"][::-1], "payment_methods": a["payment_methods"][::-1]}
    names = " and ".join(f"{p['first_name']} {p['last_name']}" for p in a["passengers"])
    flights = ", ".join(f["flight_number"] for f in a["flights"])
    paid = " plus ".join(f"${p['amount']} on {p['payment_id']}" for p in a["payment_methods"])
    total = sum(p["amount"] for p in a["payment_methods"])
    listing = (f"Here's the booking: flights {flights} from {a['origin']} to {a['destination']} in {CABIN_NAMES[a['cabin']]} for {names}, "
               f"{a['total_baggages']} checked bags, insurance: {a['insurance']}. Total ${total}, paid {paid}. Shall I book it?")
    turns = login(BOOKING, f"I'd like to book a trip from {CITIES.get(a['origin'], a['origin'])} to {CITIES.get(a['destination'], a['destination'])}") + [
        ("agent", listing), ("user", "Yes, book it please."), call("book_reservation", **reordered)] + bye()
    result = verdict(BOOKING, turns)
    assert (result.score, result.attribution, result.violations) == (1.0, "none", []), result.reasons


# --- conversation rules --------------------------------------------------------------------------

CANCEL = task_of("airline", "cancel_reservation")


def cancel_turns(login_turns=None, confirm="sure, go ahead"):
    rid = args(CANCEL)["reservation_id"]
    reservation = BASE.tables["reservations"][rid]
    turns = list(login_turns if login_turns is not None else login(CANCEL, "I need to cancel a trip, I have a scheduling conflict."))
    return turns + [
        call("get_reservation_details", reservation_id=rid),
        ("agent", f"Reservation {rid} from {reservation['origin']} to {reservation['destination']} is eligible for cancellation. "
                  "The refund goes back to the original payment methods within 5-7 business days. Do you want me to cancel it?"),
        ("user", confirm),
        call("cancel_reservation", reservation_id=rid),
    ] + bye()


def test_a_policy_abiding_cancellation_scores_one():
    """User id first, details listed, 'sure, go ahead': 1.0 with every conversation check passed."""
    result = verdict(CANCEL, cancel_turns())
    assert (result.score, result.attribution) == (1.0, "none"), result.reasons
    assert {result.checks[k] for k in ("authentication", "confirmation", "one_tool_call_per_turn", "text_with_tool_call")} == {"passed"}


def test_reading_a_reservation_before_the_user_id_is_given_is_a_violation():
    """The agent looks the reservation up before the traveller gave their user id."""
    rid = args(CANCEL)["reservation_id"]
    early = [("user", f"Please cancel reservation {rid}, something came up at work."), call("get_reservation_details", reservation_id=rid),
             ("agent", "Could you also give me your user id?"), ("user", CANCEL.user_id), call("get_user_details", user_id=CANCEL.user_id)]
    result = verdict(CANCEL, cancel_turns(login_turns=early))
    assert rules(result) == ["authentication"] and (result.score, result.attribution) == (0.5, "agent")


COMPENSATION = task_of("airline", "send_compensation")


def test_a_certificate_sent_without_asking_is_a_violation():
    """Compensation offered and sent in the same breath, with no yes: the write was not confirmed."""
    params = COMPENSATION.constraints[0].params
    turns = login(COMPENSATION, f"My flight {params['flight']['flight_number']} got cancelled and I want compensation!") + [
        call("get_reservation_details", reservation_id=params["reservation_id"]),
        call("send_certificate", user_id=COMPENSATION.user_id, amount=params["amount"]),
        ("agent", f"I'm sorry about that. I've added a ${params['amount']} travel certificate to your profile."),
    ] + bye()
    result = verdict(COMPENSATION, turns)
    assert rules(result) == ["confirmation"] and (result.score, result.attribution) == (0.5, "agent")


CABIN = task_of("airline", "change_cabin", lambda task, base: sum(m["source"] == "credit_card" for m in base.tables["users"][task.user_id]["payment_methods"].values()) >= 2)


def test_paying_with_another_card_than_the_one_confirmed():
    """The upgrade was confirmed with one card and charged to another: not the write confirmed, and not the goal."""
    a = args(CABIN)
    user = BASE.tables["users"][CABIN.user_id]
    other = next(mid for mid, m in user["payment_methods"].items() if mid != a["payment_id"] and m["source"] == "credit_card")
    turns = login(CABIN, f"I'd like to upgrade my trip to {CABIN_NAMES[a['cabin']]}.") + [
        call("get_reservation_details", reservation_id=a["reservation_id"]),
        ("agent", f"I can move reservation {a['reservation_id']} to {CABIN_NAMES[a['cabin']]} on all flights, charging the fare difference to {a['payment_id']}. Confirm?"),
        ("user", "yes that's right"),
        call("update_reservation_flights", **{**a, "payment_id": other}),
    ] + bye()
    result = verdict(CABIN, turns)
    assert rules(result) == ["confirmed_write_differs"] and (result.score, result.attribution) == (0.0, "agent"), result.reasons


# --- blame -----------------------------------------------------------------------------------------


def test_a_traveller_who_never_mentions_the_trip_is_to_blame():
    """The traveller gives the user id and leaves without asking for the cancellation: the user simulator is to blame."""
    turns = login(CANCEL, "hello") + [("agent", "Thanks! What can I do for you today?"), ("user", "nothing, bye " + STOP)]
    assert verdict(CANCEL, turns).attribution == "user_simulator"


def test_a_trip_named_in_the_travellers_own_words_states_the_goal():
    """'my trip to <city>' states the cancellation: an agent that then refuses it is to blame."""
    reservation = BASE.tables["reservations"][args(CANCEL)["reservation_id"]]
    city = CITIES.get(reservation["destination"], reservation["destination"])
    turns = login(CANCEL, f"I have to cancel my trip to {city.lower()}, sorry") + [("agent", "Unfortunately I can't help with that.")] + bye()
    assert verdict(CANCEL, turns).attribution == "agent"


def test_gold_actions_without_a_conversation_have_the_conversation_rules_not_applicable():
    """A record of actions only (no turns) is judged on its outcome; the conversation checks say not_applicable, not passed."""
    from domains.dialogue import DialogueRecord, RecordedCall
    from domains.verification import verify_dialogue

    state = BASE.new_state()
    toolkit = __import__("domains.registry", fromlist=["get_domain"]).get_domain("airline").toolkit
    outcome = toolkit.execute(state, "cancel_reservation", args(CANCEL))
    record = DialogueRecord(CANCEL, [RecordedCall("cancel_reservation", args(CANCEL), outcome.ok, outcome.content)], [], [], "user_stop")
    result = verify_dialogue(record, BASE)
    assert result.score == 1.0
    assert result.checks["state"] == "passed" and result.checks["confirmation"] == result.checks["authentication"] == "not_applicable"


SPLIT = task_of("airline", "book_reservation", lambda task, base: len(task.constraints[0].params["payment_methods"]) == 2)


def _booking_turns(summary_total: str, write: dict) -> list[tuple]:
    a = args(SPLIT)
    names = ", ".join(f"{p['first_name']} {p['last_name']}" for p in a["passengers"])
    flights = " and ".join(f["flight_number"] for f in a["flights"])
    paid = " + ".join(f"${p['amount']} on {p['payment_id']}" for p in a["payment_methods"])
    listing = (f"**Booking**\n- Flights: {flights}\n- Cabin: {CABIN_NAMES[a['cabin']]}\n- Passengers: {names}\n"
               f"- Bags: {a['total_baggages']}, insurance: {a['insurance']}\n- {summary_total}\n- Payment: {paid}\n\nBook it?")
    return login(SPLIT, "I'd like to book a trip") + [("agent", listing), ("user", "👍 book it"), call("book_reservation", **write)] + bye()


def test_a_total_written_as_a_sum_and_a_split_payment():
    """'... = $276' states the total; a split that the write does not make (all on one method) differs from the summary."""
    a = args(SPLIT)
    total = sum(p["amount"] for p in a["payment_methods"])
    parts = " + ".join(f"${p['amount']}" for p in a["payment_methods"])
    assert verdict(SPLIT, _booking_turns(f"{parts} = ${total}", a)).score == 1.0
    user = BASE.tables["users"][SPLIT.user_id]
    card = next((m for m, v in user["payment_methods"].items() if v["source"] == "credit_card"), None)
    assert card is not None
    one = {**a, "payment_methods": [{"payment_id": card, "amount": total}]}
    result = verdict(SPLIT, _booking_turns(f"Total ${total}", one))
    assert "confirmed_write_differs" in rules(result) and result.attribution == "agent"


def test_delay_compensation_after_changing_the_delayed_reservation_is_allowed():
    """A $50-per-passenger certificate for a delayed flight is allowed once the reservation was changed, even off that flight."""
    from domains.airline.policy import compensation_amounts, flight_status

    state = BASE.new_state()
    for user_id, user in BASE.tables["users"].items():
        if user["membership"] not in ("silver", "gold"):
            continue
        for rid in user["reservations"]:
            reservation = BASE.tables["reservations"][rid]
            statuses = [flight_status(state, f["flight_number"], f["date"]) for f in reservation["flights"]]
            if "delayed" in statuses and "cancelled" not in statuses:
                changed = state.fork()
                changed.edit("reservations", rid)["flights"] = []  # moved off every flight it had
                assert compensation_amounts(changed, user_id, {rid})[rid] == 50 * len(reservation["passengers"])
                assert rid not in compensation_amounts(changed, user_id, set())
                return
    raise AssertionError("the generated world has a silver or gold member on a delayed flight")


# --- third audit ---------------------------------------------------------------------------------------


def _compensation_turns(opening: str, offer: str) -> list[tuple]:
    params = COMPENSATION.constraints[0].params
    return login(COMPENSATION, opening) + [
        call("get_reservation_details", reservation_id=params["reservation_id"]),
        ("agent", offer), ("user", "oh, sure, thanks"),
        call("send_certificate", user_id=COMPENSATION.user_id, amount=params["amount"]),
        ("agent", f"Done: a ${params['amount']} certificate is in your account."),
    ] + bye()


@pytest.mark.parametrize(("opening", "asked"), [
    ("my flight got cancelled, ugh. can you rebook me?", False),
    ("my flight got cancelled, ugh. can you rebook me?", "after"),
    ("my flight got cancelled. what do I get?", True),
    ("Your flight got cancelled. What are you going to do for me?", True),
    ("my flight was cancelled and I'd like some compensation for the trouble", True),
])
def test_compensation_only_when_the_traveller_asked_for_it(opening, asked):
    """The policy grants compensation on request only: offered unasked it is a violation, even when the traveller welcomes it afterwards
    ('a travel certificate of $100.00' is an offer too); asked in any words ('what do I get?') it is not."""
    params = COMPENSATION.constraints[0].params
    offer = f"I see the cancellation. I'd also like to send you a ${params['amount']} travel certificate as compensation. Shall I?"
    turns = _compensation_turns(opening, offer)
    if asked == "after":  # offered in other words first; the traveller's 'compensation' comes after the offer
        offer = f"I see the cancellation. I can offer you a travel certificate of ${float(params['amount']):.2f}. Shall I?"
        turns = _compensation_turns(opening, offer)
        turns[turns.index(("user", "oh, sure, thanks"))] = ("user", "oh, sure, I'd like that compensation, thanks")
        asked = False
    result = verdict(COMPENSATION, turns)
    if asked:
        assert (result.score, result.violations) == (1.0, []), result.reasons
    else:
        assert rules(result) == ["unrequested_offer"] and (result.score, result.attribution) == (0.5, "agent"), result.reasons


PASSENGERS = task_of("airline", "update_passengers", lambda task, base: any(
    p["dob"] != q["dob"] for p, q in zip(task.constraints[0].params["passengers"], base.tables["reservations"][task.constraints[0].params["reservation_id"]]["passengers"], strict=False)))


def test_a_summary_with_another_birth_date_differs_from_the_write():
    """The summary gave the passenger another date of birth than the write: the write is not the one confirmed."""
    a = args(PASSENGERS)
    old = BASE.tables["reservations"][a["reservation_id"]]["passengers"]
    changed = next(p for p, q in zip(a["passengers"], old, strict=False) if p["dob"] != q["dob"])
    year, month, day = changed["dob"].split("-")
    said = f"{int(month)}/{int(day)}/{int(year) + 1}"
    turns = login(PASSENGERS, "I need to fix a date of birth on my booking") + [
        call("get_reservation_details", reservation_id=a["reservation_id"]),
        ("agent", f"I'll update reservation {a['reservation_id']}: {changed['first_name']} {changed['last_name']}, date of birth {said}. Shall I proceed?"),
        ("user", "yes please"), call("update_reservation_passengers", **a)] + bye()
    result = verdict(PASSENGERS, turns)
    assert rules(result) == ["confirmed_write_differs"] and "date of birth" in result.violations[0]["message"], result.reasons


BAGS = task_of("airline", "add_bags")


def test_taking_a_bag_off_again_is_one_violation():
    """Bags added as asked, then one removed at the traveller's word: one bags_removed violation, not also a wrong bag charge."""
    from domains.airline.policy import violations as policy_violations

    a = args(BAGS)
    reservation = BASE.tables["reservations"][a["reservation_id"]]
    state = BASE.new_state()
    toolkit = __import__("domains.registry", fromlist=["get_domain"]).get_domain("airline").toolkit
    assert toolkit.execute(state, "update_reservation_baggages", a).ok
    back = {**a, "total_baggages": reservation["total_baggages"], "nonfree_baggages": reservation["nonfree_baggages"]}
    from domains.policy import PolicyContext

    found = policy_violations(state, "update_reservation_baggages", back, PolicyContext())
    assert [v.rule for v in found] == ["bags_removed"], found


def test_a_certificate_named_by_a_value_only_it_has_is_named():
    """'your $250 travel certificate' names that certificate when the traveller's others are worth other amounts; another amount is a rival."""
    from domains.cues import DIFFERS, OK, Detail, judge_detail, payment_cue, rival_payments

    user = next(u for u in BASE.tables["users"].values()
                if len({m["amount"] for m in u["payment_methods"].values() if m["source"] == "certificate"}) >= 2)
    certificates = {mid: m["amount"] for mid, m in user["payment_methods"].items() if m["source"] == "certificate"}
    mine, amount = next(iter(certificates.items()))
    other = next(v for v in certificates.values() if v != amount)
    detail = Detail("payment method", payment_cue(user, mine), rival_payments(user, mine))
    assert judge_detail(detail, f"Total $212, paid with your ${amount:g} travel certificate.") == OK
    assert judge_detail(detail, f"Total $212, paid with your certificate worth ${amount:g}.") == OK
    assert judge_detail(detail, f"Total $212, paid with your ${other:g} travel certificate.") == DIFFERS


def test_an_amount_is_not_the_digits_of_a_card():
    """'$226.00' does not name the Amex ending in 0226 (a leading zero makes digits an identifier), and 'ending in 0226' does."""
    from domains.cues import met, payment_cue
    from domains.text import keys

    user = {"payment_methods": {"credit_card_1": {"source": "credit_card", "brand": "visa", "last_four": "1406"},
                                "credit_card_2": {"source": "credit_card", "brand": "amex", "last_four": "0226"}}}
    amex = payment_cue(user, "credit_card_2")
    assert not met(amex, keys("The total is $226.00: $226.00 with the Visa credit card ending in 1406."))
    assert met(amex, keys("The total is $226.00, charged to the card ending in 0226."))
