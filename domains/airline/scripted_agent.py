"""The scripted agent's airline rules: which requests it understands and how it resolves them with reads.

The user gives their user id; the profile lists their reservations, payment methods, saved
passengers and membership. A described trip ("your round trip from Denver (DEN) to Boston (BOS)")
is found by reading the user's reservations one by one; new flights are found with the flight
searches; a flight's status is asked for directly. Bag fees and compensation follow the policy.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from domains.scripted.phrases import (
    DATE,
    NAME,
    PAYMENT,
    dollars,
    iso_date,
    spoken_date,
)
from domains.scripted import slips
from domains.scripted.plans import Context, Goal, Plan, Write, find_method, first_goal, repeated
from domains.scripted.transcript import CannotResolveError, Transcript
from domains.airline import scripted_slips
from domains.airline.scripted_records import (
    AIRPORT,
    CABIN,
    FLIGHT,
    FLIGHTS,
    airport_code,
    flight_attributes,
    flight_list,
    cabin_code,
    direct_flight,
    find_reservation,
    flight_words,
    full_name,
    itinerary,
    method_text,
    passenger,
    passengers_noop,
    segment_fits,
    segment_index,
)

DOMAIN = "airline"
STATED_ID_ALLOWS_READS = True  # the customer's stated user id authenticates it: a record may be read at once
WRITES = frozenset({
    "book_reservation", "cancel_reservation", "update_reservation_flights", "update_reservation_baggages",
    "update_reservation_passengers", "send_certificate",
})
ASK_IDENTITY = "I can help with that. Could you please give me your user id?"
NOT_FOUND = "I could not find a profile with that user id. Could you check it and give it to me again?"

FREE_BAGS = {  # free checked bags per passenger, as the policy's table gives them
    "regular": {"basic_economy": 0, "economy": 1, "business": 2},
    "silver": {"basic_economy": 1, "economy": 2, "business": 3},
    "gold": {"basic_economy": 2, "economy": 3, "business": 4},
}
CANCELLED_PER_PASSENGER, DELAYED_PER_PASSENGER = 100, 50

_RES = r"(?:your (?:reservation with flight|round trip|one-way trip|trip) .+?|reservation \w+)"
_ASIDE = r"(?: \(on [^()]*(?:\([^()]*\)[^()]*)*\))?"
_SAVED = r"(?: \(from your saved passengers\))?"
_END = r"\.(?=\s|$)"
_TRAVELLER = rf"(?:yourself|{NAME}){_SAVED} \(born {DATE}\)"
PATTERNS = [
    ("book_reservation",
     rf"Book a (?P<kind>round trip|one-way trip) from (?P<origin>{AIRPORT}) to (?P<destination>{AIRPORT}) in (?P<cabin>{CABIN}) "
     rf"for (?P<travellers>{_TRAVELLER}(?:(?:, | and ){_TRAVELLER})*), on (?P<flights>{FLIGHTS})\. "
     rf"(?:You want (?P<bags>\d+) checked bags? in total|You do not need any checked bags)\. "
     rf"You (?P<insurance>want|do not want) travel insurance\. Pay with (?P<pay>{PAYMENT})(?: and put the rest on (?P<rest>{PAYMENT}))?{_END}"),
    ("cancel_reservation", rf"Cancel (?P<res>{_RES}), because (?P<reason>[^.]+)\."),
    ("send_compensation", rf"[Cc]omplain that the airline cancelled (?P<flight>{FLIGHT}) on (?P<res>{_RES}), and ask what compensation"),
    ("send_compensation", rf"[Cc]omplain that (?P<flight>{FLIGHT}) on (?P<res>{_RES}) is (?P<delayed>delayed), and ask what compensation"),
    ("info_certificate_total", r"Ask how much your travel certificates? (?:is|are) worth"),
    ("info_flight_status", rf"Ask whether (?P<flight>{FLIGHT}) is on time\."),
    ("change_cabin",
     rf"Move every passenger on (?P<res>{_RES}) to (?P<cabin>{CABIN}) on all its flights; settle the fare difference with (?P<method>{PAYMENT}){_END}"),
    ("add_bags", rf"Add (?P<added>\d+) checked bags? to (?P<res>{_RES}), for (?P<total>\d+) in total; pay any bag fee with (?P<method>{PAYMENT}){_END}"),
    ("change_flights",
     rf"On (?P<res>{_RES}), change your (?:(?:outbound|return) )?travel from (?P<old>{FLIGHTS}) to (?P<new>{FLIGHTS}), "
     rf"keeping the same cabin; settle any fare difference with (?P<method>{PAYMENT}){_END}"),
    ("update_passengers", rf"On (?P<res>{_RES}), correct the date of birth of (?P<who>{NAME}){_ASIDE} to (?P<dob>{DATE})\."),
    ("update_passengers", rf"On (?P<res>{_RES}), replace the passenger (?P<who>{NAME}){_ASIDE} with (?P<new>{NAME}){_SAVED} \(born (?P<dob>{DATE})\)\."),
]
_COMPILED = [(goal_type, re.compile(pattern)) for goal_type, pattern in PATTERNS]
_TRAVELLER_PARTS = re.compile(rf"(?P<name>yourself|{NAME}){_SAVED} \(born (?P<dob>{DATE})\)")


def parse_goal(text: str) -> Goal | None:
    """The first airline request worded in `text`, if any."""
    return first_goal(text, _COMPILED)


# --- identity --------------------------------------------------------------------------------

_USER_ID = re.compile(r"user id is (\w+)|\b([^\W\d_]+(?:_[^\W\d_]+)*_\d+)\b")


def identity_lookups(transcript: Transcript) -> list[tuple[str, dict[str, Any]]]:
    lookups: list[tuple[str, dict[str, Any]]] = []
    for turn in transcript.turns("user"):
        if turn.acts is not None:  # a scripted user says who it is in its identify act
            for act in turn.acts:
                user_id = (act.get("facts") or {}).get("user_id") if act.get("act") == "identify" else None
                if user_id and ("get_user_details", {"user_id": user_id}) not in lookups:
                    lookups.append(("get_user_details", {"user_id": user_id}))
            continue
        for stated, bare in _USER_ID.findall(turn.text):
            lookup = ("get_user_details", {"user_id": stated or bare})
            if lookup not in lookups:
                lookups.append(lookup)
    return lookups


def authenticated_user(transcript: Transcript) -> str | None:
    given = {args["user_id"] for _, args in identity_lookups(transcript)}
    for call in reversed(transcript.calls):
        if call.ok and call.name == "get_user_details" and call.arguments.get("user_id") in given:
            return call.arguments["user_id"]
    return None


# --- resolvers -------------------------------------------------------------------------------


def resolve(goal: Goal, ctx: Context) -> Plan:
    """The plan for one airline request; reads it still needs raise ReadNeeded."""
    user = ctx.knowledge.read("get_user_details", user_id=ctx.user_id)
    return _RESOLVERS[goal.type](goal.fields, user, ctx)


def _book(fields: dict[str, Any], user: dict[str, Any], ctx: Context) -> Plan:
    saved = {full_name(p): p for p in user.get("saved_passengers", [])}
    passengers = []
    for found in _TRAVELLER_PARTS.finditer(fields["travellers"]):
        name, dob = found["name"], iso_date(found["dob"])
        if name == "yourself":
            passengers.append({**user["name"], "dob": dob})
        elif name in saved:
            passengers.append(passenger(saved[name], dob))
        else:
            first, _, last = name.partition(" ")
            passengers.append({"first_name": first, "last_name": last, "dob": dob})
    origin, destination = airport_code(fields["origin"]), airport_code(fields["destination"])
    round_trip = fields["kind"] == "round trip"
    wanted = flight_list(fields["flights"])
    if not round_trip and len(wanted) == 2:
        pairs = ctx.knowledge.read("search_onestop_flight", origin=origin, destination=destination, date=wanted[0]["date"])
        legs = next((pair for pair in pairs if all(segment_fits(leg, want) for leg, want in zip(pair, wanted))), None)
        if legs is None:
            raise CannotResolveError("those connecting flights are not available.")
    elif len(wanted) == (2 if round_trip else 1):
        ends = [(origin, destination), (destination, origin)]
        legs = [direct_flight(ctx, want.get("origin", o), want.get("destination", d), want) for want, (o, d) in zip(wanted, ends)]
    else:
        raise CannotResolveError("I could not work out that itinerary.")
    cabin = cabin_code(fields["cabin"])
    n = len(passengers)
    insurance = "yes" if fields["insurance"] == "want" else "no"
    wrong = ctx.wrong
    if wrong:
        insurance = "no" if insurance == "yes" else "yes"
    bags = int(fields.get("bags", 0))
    nonfree = max(0, bags - FREE_BAGS.get(user["membership"], FREE_BAGS["regular"])[cabin] * n)
    total = sum(leg["prices"][cabin] for leg in legs) * n + (30 * n if insurance == "yes" else 0) + 50 * nonfree
    first = find_method(user, fields["pay"], method_text)
    if "rest" in fields:
        second = find_method(user, fields["rest"], method_text)
        method = user["payment_methods"][first]
        covered = min(int(method.get("amount", total)), total)
        payments = [{"payment_id": first, "amount": covered}, {"payment_id": second, "amount": total - covered}]
    else:
        payments = [{"payment_id": first, "amount": total}]
    arguments = {
        "user_id": ctx.user_id, "origin": origin, "destination": destination,
        "flight_type": "round_trip" if round_trip else "one_way", "cabin": cabin, "flights": itinerary(legs),
        "passengers": passengers, "payment_methods": payments, "total_baggages": bags, "nonfree_baggages": nonfree,
        "insurance": insurance,
    }
    flights = ", ".join(f"{leg['flight_number']} on {spoken_date(leg['date'])}" for leg in legs)
    paid = " and ".join(f"{dollars(p['amount'])} with {method_text(user, p['payment_id'])}" for p in payments)
    write = Write(
        "book_reservation", arguments,
        f"I will book a {fields['kind']} from {origin} to {destination} in {fields['cabin']} for "
        f"{', '.join(full_name(p) for p in passengers)} on flights {flights}, with {bags} checked bag(s) ({nonfree} paid) "
        f"and {'' if insurance == 'yes' else 'no '}travel insurance. The total is {dollars(total)}: {paid}.",
        "Your reservation is booked.",
    )
    return Plan((write,), wrong=wrong)


def cancellation_grounds(reservation: dict[str, Any], reason: str, ctx: Context) -> str | None:
    """Why the policy lets this reservation be cancelled for this reason, or None if it does not."""
    if reservation.get("status") == "cancelled":
        return None
    if ctx.now and reservation.get("created_at"):
        booked = datetime.fromisoformat(reservation["created_at"])
        if datetime.fromisoformat(ctx.now) - booked <= timedelta(hours=24):
            return "it was booked less than 24 hours ago"
    if reservation["cabin"] == "business":
        return "it is in business class"
    if reservation.get("insurance") == "yes" and re.search(r"health|weather", reason):
        return "its travel insurance covers your reason"
    for segment in reservation["flights"]:  # a flight the airline cancelled: checked last, it costs reads
        if ctx.knowledge.read("get_flight_status", flight_number=segment["flight_number"], date=segment["date"]) == "cancelled":
            return f"flight {segment['flight_number']} was cancelled by the airline"
    return None


def _cancel(fields: dict[str, Any], user: dict[str, Any], ctx: Context) -> Plan:
    reservation = find_reservation(fields["res"], user, ctx)
    rid = reservation["reservation_id"]
    grounds = cancellation_grounds(reservation, fields["reason"], ctx)
    if grounds is None:
        raise CannotResolveError(f"under our policy reservation {rid} cannot be cancelled for that reason.")
    write = Write(
        "cancel_reservation", {"reservation_id": rid},
        f"Reservation {rid} from {reservation['origin']} to {reservation['destination']} can be cancelled because {grounds}. "
        "I will cancel it; "
        "every payment goes back to its original method within 5 to 7 business days.",
        f"Reservation {rid} has been cancelled.",
    )
    return Plan((write,), noop=passengers_noop(reservation))


def _change_flights(fields: dict[str, Any], user: dict[str, Any], ctx: Context) -> Plan:
    reservation = find_reservation(fields["res"], user, ctx)
    flights = itinerary(reservation["flights"])
    taken: set[int] = set()
    difference = 0
    for old, new in zip(flight_list(fields["old"]), flight_list(fields["new"])):
        index = segment_index(reservation, old, taken)
        taken.add(index)
        segment = reservation["flights"][index]
        flight = direct_flight(ctx, new.get("origin", segment["origin"]), new.get("destination", segment["destination"]), new)
        flights[index] = {"flight_number": flight["flight_number"], "date": new["date"]}
        difference += flight["prices"][reservation["cabin"]] - segment["price"]
    difference *= len(reservation["passengers"])
    method_id = find_method(user, fields["method"], method_text)
    rid = reservation["reservation_id"]
    settle = f"you pay {dollars(difference)}" if difference > 0 else f"you get back {dollars(-difference)}"
    write = Write(
        "update_reservation_flights",
        {"reservation_id": rid, "cabin": reservation["cabin"], "flights": flights, "payment_id": method_id},
        f"I will change reservation {rid} to the flights "
        f"{', '.join(f['flight_number'] + ' on ' + spoken_date(f['date']) for f in flights)} in the same cabin ({reservation['cabin'].replace('_', ' ')}); "
        f"{settle}, with {method_text(user, method_id)}.",
        f"The flights of reservation {rid} have been changed.",
    )
    return Plan((write,), noop=passengers_noop(reservation))


def _change_cabin(fields: dict[str, Any], user: dict[str, Any], ctx: Context) -> Plan:
    reservation = find_reservation(fields["res"], user, ctx)
    method_id = find_method(user, fields["method"], method_text)
    rid, cabin = reservation["reservation_id"], cabin_code(fields["cabin"])
    write = Write(
        "update_reservation_flights",
        {"reservation_id": rid, "cabin": cabin, "flights": itinerary(reservation["flights"]), "payment_id": method_id},
        f"I will move every passenger on reservation {rid} to {fields['cabin']} on all its flights "
        f"({', '.join(f['flight_number'] + ' on ' + spoken_date(f['date']) for f in reservation['flights'])}); "
        f"the fare difference is settled with {method_text(user, method_id)}.",
        f"Reservation {rid} is now in {fields['cabin']}.",
    )
    return Plan((write,), noop=passengers_noop(reservation))


def _add_bags(fields: dict[str, Any], user: dict[str, Any], ctx: Context) -> Plan:
    reservation = find_reservation(fields["res"], user, ctx)
    total = int(fields["total"]) if "total" in fields else reservation["total_baggages"] + int(fields["added"])
    total += 1 if ctx.wrong else 0
    free = FREE_BAGS.get(user["membership"], FREE_BAGS["regular"])[reservation["cabin"]] * len(reservation["passengers"])
    nonfree = max(max(0, total - free), reservation["nonfree_baggages"])
    fee = 50 * (nonfree - reservation["nonfree_baggages"])
    method_id = find_method(user, fields["method"], method_text)
    rid = reservation["reservation_id"]
    write = Write(
        "update_reservation_baggages",
        {"reservation_id": rid, "total_baggages": total, "nonfree_baggages": nonfree, "payment_id": method_id},
        f"I will set reservation {rid} to {total} checked bags, {nonfree} of them paid; the bag fee of {dollars(fee)} "
        f"goes on {method_text(user, method_id)}.",
        f"Reservation {rid} now has {total} checked bags.",
    )
    return Plan((write,), wrong=ctx.wrong, noop=passengers_noop(reservation))


def _update_passengers(fields: dict[str, Any], user: dict[str, Any], ctx: Context) -> Plan:
    reservation = find_reservation(fields["res"], user, ctx)
    passengers = [passenger(p) for p in reservation["passengers"]]
    index = next((i for i, p in enumerate(passengers) if full_name(p) == fields["who"]), None)
    if index is None:
        raise CannotResolveError(f"{fields['who']} is not a passenger on reservation {reservation['reservation_id']}.")
    dob = iso_date(fields["dob"])
    if "new" in fields:
        saved = next((p for p in user.get("saved_passengers", []) if full_name(p) == fields["new"]), None)
        first, _, last = fields["new"].partition(" ")
        passengers[index] = passenger(saved, dob) if saved else {"first_name": first, "last_name": last, "dob": dob}
        change = f"replace {fields['who']} with {fields['new']} (born {fields['dob']})"
    else:
        passengers[index] = {**passengers[index], "dob": dob}
        change = f"correct the date of birth of {fields['who']} to {fields['dob']}"
    rid = reservation["reservation_id"]
    write = Write(
        "update_reservation_passengers", {"reservation_id": rid, "passengers": passengers},
        f"On reservation {rid}, I will {change}.",
        f"The passengers of reservation {rid} have been updated.",
    )
    return Plan((write,), noop=repeated(write))


def _compensation(fields: dict[str, Any], user: dict[str, Any], ctx: Context) -> Plan:
    reservation = find_reservation(fields["res"], user, ctx)
    wanted = flight_attributes(fields["flight"])
    try:
        segment = reservation["flights"][segment_index(reservation, wanted)]
    except CannotResolveError:  # changed away from the delayed flight earlier in the dialogue: it was on the booking as read first
        booked = ctx.knowledge.first("get_reservation_details", reservation_id=reservation["reservation_id"])
        if not booked or reservation["reservation_id"] not in ctx.changed:
            raise
        segment = booked["flights"][segment_index(booked, wanted)]
    status = ctx.knowledge.read("get_flight_status", flight_number=segment["flight_number"], date=segment["date"])
    rid, n = reservation["reservation_id"], len(reservation["passengers"])
    eligible = user.get("membership") in ("silver", "gold") or reservation.get("insurance") == "yes" or reservation.get("cabin") == "business"
    if not eligible:
        raise CannotResolveError("this reservation is not eligible for compensation under our policy.")
    if status == "cancelled":
        per_passenger = CANCELLED_PER_PASSENGER
    elif status == "delayed" and rid in ctx.changed:
        per_passenger = DELAYED_PER_PASSENGER
    elif status == "delayed":
        raise CannotResolveError("compensation for a delay is possible only together with a change or cancellation of the reservation.")
    else:
        raise CannotResolveError(f"flight {segment['flight_number']} is {status}, so there is no compensation for it.")
    wrong = ctx.wrong
    if wrong:
        per_passenger = DELAYED_PER_PASSENGER if per_passenger == CANCELLED_PER_PASSENGER else CANCELLED_PER_PASSENGER
    amount = per_passenger * n
    write = Write(
        "send_certificate", {"user_id": ctx.user_id, "amount": amount},
        f"I am sorry that flight {segment['flight_number']} on {spoken_date(segment['date'])} was {status}. "
        f"I can offer you a travel certificate of {dollars(amount)} ({dollars(per_passenger)} for each of the {n} passenger(s)).",
        f"A travel certificate of {dollars(amount)} has been added to your profile.",
    )
    return Plan((write,), wrong=wrong, noop=passengers_noop(reservation))


def _certificate_total(fields: dict[str, Any], user: dict[str, Any], ctx: Context) -> Plan:
    certificates = [m for m in user["payment_methods"].values() if m.get("source") == "certificate"]
    if not certificates:
        raise CannotResolveError("you have no travel certificate in your profile.")
    wrong = ctx.wrong and len(certificates) > 1
    counted = certificates[:1] if wrong else certificates
    total = sum(float(m["amount"]) for m in counted)
    which = "your travel certificate is" if len(counted) == 1 else f"your {len(counted)} travel certificates are"
    return Plan(answer=f"In total, {which} worth {dollars(total)}.", value=dollars(total), wrong=wrong)


def _flight_status(fields: dict[str, Any], user: dict[str, Any], ctx: Context) -> Plan:
    wanted = flight_attributes(fields["flight"])
    number = wanted.get("flight_number")
    if number is None:
        for reservation_id in user["reservations"]:
            reservation = ctx.knowledge.read("get_reservation_details", reservation_id=reservation_id)
            segment = next((f for f in reservation["flights"] if segment_fits(f, wanted)), None)
            if segment is not None:
                number = segment["flight_number"]
                break
        else:
            raise CannotResolveError(f"I could not find {flight_words(wanted)} among your trips.")
    status = ctx.knowledge.read("get_flight_status", flight_number=number, date=wanted["date"])
    return Plan(answer=f"Flight {number} on {spoken_date(wanted['date'])} has the status: {status}.", value=status)


_RESOLVERS = {
    "book_reservation": _book,
    "cancel_reservation": _cancel,
    "change_flights": _change_flights,
    "change_cabin": _change_cabin,
    "add_bags": _add_bags,
    "update_passengers": _update_passengers,
    "send_compensation": _compensation,
    "info_certificate_total": _certificate_total,
    "info_flight_status": _flight_status,
}


# --- slots: what each request is made of (domains/scripted/slots.py merges every domain's) ---------

SLOT_GROUPS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {  # goal type -> ((group, its fields), ...) in the order a customer gives them
    "book_reservation": (
        ("route", ("kind", "origin", "destination")), ("flights", ("flights",)), ("cabin", ("cabin",)),
        ("travellers", ("travellers",)), ("bags", ("bags",)), ("insurance", ("insurance",)), ("pay", ("pay", "rest")),
    ),
    "cancel_reservation": (("res", ("res",)), ("reason", ("reason",))),
    "send_compensation": (("flight", ("flight",)), ("res", ("res",))),
    "info_certificate_total": (),
    "info_flight_status": (("flight", ("flight",)),),
    "change_cabin": (("res", ("res",)), ("cabin", ("cabin",)), ("method", ("method",))),
    "add_bags": (("res", ("res",)), ("bags", ("added", "total")), ("method", ("method",))),
    "change_flights": (("res", ("res",)), ("change", ("old", "new")), ("method", ("method",))),
    "update_passengers": (("res", ("res",)), ("passenger", ("who", "new", "dob"))),
}
SLOT_QUESTIONS = {  # the scripted agent's question for a group it misses (saying its topic in the user's topic words)
    "route": "Where would you like to fly from and to, and is it a one-way or a round trip?",
    "flights": "Which flights would you like to take?",
    "cabin": "Which cabin class would you like?",
    "travellers": "Who will be travelling? Please give each passenger's name and date of birth.",
    "bags": "How many checked bags will you need?",
    "insurance": "Would you like to add travel insurance?",
    "pay": "How would you like to pay for the booking?",
    "res": "Which reservation is this about? Please describe the trip.",
    "flight": "Which flight do you mean? Please give its flight number and date, or its route and time.",
    "change": "Which flights would you like to change, and to which flights?",
    "passenger": "Which passenger's details should change, and to what?",
}
SLOT_TOPICS = {  # words by which any agent's question names the group (on the lower-cased question)
    "route": r"\bfrom\b.*\bto\b|\bone-way\b|\bround trip\b|\bwhere\b|\bdestination\b|\borigin\b",
    "flights": r"\bflights?\b",
    "cabin": r"\bcabin\b|\bclass\b|\beconomy\b|\bbusiness\b",
    "travellers": r"\bpassengers?\b|\btravell?(?:ing|ers?)\b|\bwho\b|\bdate of birth\b",
    "bags": r"\bbag(?:s|gage)?\b|\bluggage\b",
    "insurance": r"\binsurance\b",
    "pay": r"\bpay(?:ment|ing)?\b|\bcard\b|\bcertificate\b|\bmethod\b",
    "res": r"\breservation\b(?! (?:number|id|code)\b)|\btrip\b|\bbooking\b",
    "flight": r"\bflight\b",
    "change": r"\bflights?\b|\bchange\b",
    "passenger": r"\bpassengers?\b|\bdate of birth\b|\bwho\b|\bname\b",
}


# --- what the generic agent asks of its domain (optional members of ScriptedAgentRules) ---------

REFRESHES = {  # a write whose result is the new version of a record a read returned: (read, its id argument)
    "cancel_reservation": ("get_reservation_details", "reservation_id"),
    "update_reservation_flights": ("get_reservation_details", "reservation_id"),
    "update_reservation_baggages": ("get_reservation_details", "reservation_id"),
    "update_reservation_passengers": ("get_reservation_details", "reservation_id"),
}
CHANGED_BY = {"update_reservation_flights": "reservation_id", "cancel_reservation": "reservation_id"}  # `Context.changed`: no longer as booked
ID_READS = (("res", "get_reservation_details", "reservation_id", r"(?:order|reservation) (#?\w+)"),)  # a reservation the customer named by its id
INFO_GOALS = frozenset({"info_certificate_total", "info_flight_status"})
_AMOUNTS = frozenset({"info_certificate_total"})
MISTAKE_GOALS = {  # mistake class -> the goal types it can fall on
    "wrong_payment_method": frozenset({"book_reservation", "change_cabin", "add_bags", "change_flights"}),
    "write_then_undo": frozenset({"update_passengers"}),
    "wrong_amount": _AMOUNTS, "digit_swap": _AMOUNTS, "amount_containing_answer": _AMOUNTS,
    "negated_status": frozenset({"info_flight_status"}), "wrong_status": frozenset({"info_flight_status"}),
    "corrected_to_wrong": INFO_GOALS, "no_answer": INFO_GOALS,
}  # fmt: skip
SLIPS = {"wrong_payment_method": lambda plan, ctx: slips.wrong_payment_method(plan, ctx, method_text)}  # outcome mistake class -> the plan with it made
WRONG_ANSWERS = {  # information mistake class -> the answer with it made
    "negated_status": scripted_slips.negated, "wrong_status": scripted_slips.other_flight_status,
    "corrected_to_wrong": scripted_slips.corrected_to_wrong,
}
undo = scripted_slips.undo


def result_note(name: str, result: Any) -> str:
    """A booking's report ends with the new reservation's id."""
    if name == "book_reservation" and isinstance(result, dict):
        return f" Your reservation id is {result.get('reservation_id')}."
    return ""
