"""Airline's conversation rules: who the traveller is, whose records a call reads, what a write's details are.

The traveller is authenticated once they have given their user id in the conversation (the policy
has the agent ask for it). Before a write, the agent's summary must name the reservation (its id);
for a booking, every flight (number), the cabin, every passenger (name), each payment method and the
total price; for a change of flights, each new flight and the payment method when money moves; for a
cabin change, the cabin (and the payment method when money moves); for bags, the new total of checked
bags (and the payment method when a bag fee is due); for passengers, each changed name and date of
birth; for a certificate, its amount.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, NamedTuple

from domains.cues import (
    DIFFERS,
    MISSING,
    OK,
    Cue,
    Detail,
    met,
    payment_cue,
    rival_payments,
)
from domains.airline.models import CABIN_NAMES
from domains.fuzzy import format_amount
from domains.information import amount_judge
from domains.state import Record, State
from domains.text import keys, positions, sentences, stem, stems, tokens

AUTHENTICATION_MODE = "user_id"
AUTHENTICATION_HOW = "the user must first give their user id"
ACCOUNT_TOOLS = frozenset({"get_user_details", "get_reservation_details"})
PRICE_WORDS = r"\b(?:total|price|cost|fare|charge\w*|pay|amount|difference|refund\w*|back|due|owe)\b"
CERTIFICATE_WORDS = r"\b(?:certificate|voucher|compensation)\b"
_NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve")


class OnRequest(NamedTuple):
    """A write the policy grants only when the customer asks: what it is, how a customer asks for it, how
    the agent offers it (a pattern built from the write's arguments)."""

    what: str
    asks: re.Pattern[str]
    offers: Callable[[dict[str, Any]], re.Pattern[str]]


_ASKS_COMPENSATION = re.compile(
    r"\b(?:compensat\w*|certificate|voucher|credit|refund\w*|reimburs\w*|money back|make (?:it |this |that )?up|goodwill|gesture|"
    r"inconvenience|for (?:the|my|all the|this) (?:trouble|hassle|wait|delay)|entitled|owed|owe me|anything (?:you can|for)|"
    r"something (?:for|back)|what (?:you )?(?:can|could|will|would) (?:you )?(?:do|offer|give)|get anything|get something|points|miles|eligible|"
    r"what (?:do|can|could|would|will|should) (?:i|we) get|what am i (?:getting|owed)|what are my options|what (?:are|r) you (?:going to|gonna) do|do (?:something|anything) for me|do for me)\b",
    re.IGNORECASE,
)


def _offers_certificate(arguments: dict[str, Any]) -> re.Pattern[str]:
    """An agent bringing compensation up: its words for it, or this certificate's amount said with a certificate
    ("a $100 travel certificate", "a travel certificate of $100.00")."""
    money = rf"\$\s?{re.escape(format_amount(float(arguments.get('amount', 0) or 0)).replace('$', ''))}(?:\.00)?\b"
    certificate = r"\b(?:certificate|voucher|credit)\b"
    return re.compile(rf"\b(?:compensat\w*|gesture|goodwill|make (?:it |this |that )?up|for the (?:inconvenience|trouble))\b|"
                      rf"{money}[^.?!]*{certificate}|{certificate}[^?!]*?{money}", re.IGNORECASE)


ON_REQUEST_ONLY = {"send_certificate": OnRequest("a compensation certificate", _ASKS_COMPENSATION, _offers_certificate)}


def record_owner(state: State, name: str, arguments: dict[str, Any]) -> str | None:
    """The user whose records a read looks at (None: not a user's record)."""
    if name == "get_user_details":
        return str(arguments.get("user_id"))
    if name == "get_reservation_details":
        reservation = state.get("reservations", str(arguments.get("reservation_id", "")))
        return reservation["user_id"] if reservation else None
    return None


def count_cue(n: int) -> Cue:
    return (str(n),) + ((_NUMBER_WORDS[n],) if 0 <= n < len(_NUMBER_WORDS) else ())


def date_cue(iso: str) -> Cue:
    """A date in ISO form (the text normaliser turns 'May 3, 1990' and '05/03/1990' into it)."""
    return (iso,)


def _birth_date_judge(person: dict[str, Any]) -> Any:
    """A passenger's date of birth: another date said about them (in a sentence naming them, if any does) differs."""
    dob, name = str(person.get("dob")), keys(str(person.get("first_name", "")))

    def judge(text: str) -> str:
        if dob in keys(text):
            return OK
        about = [sentence for sentence in sentences(text) if positions(keys(sentence), name)] or [text]
        return DIFFERS if any(token.kind == "date" for sentence in about for token in tokens(sentence)) else MISSING

    return judge


def _cabin(cabin: str) -> Detail:
    """The cabin: of the cabins the summary names, the last one ("from economy to business") counts;
    "economy" inside "basic economy" is basic economy."""
    rivals = tuple(name for code, name in CABIN_NAMES.items() if code != cabin)

    def judge(text: str) -> str:
        said = keys(text)
        last, which = -1, None
        for code, name in CABIN_NAMES.items():
            for at in [a for needle in {keys(name), keys(code)} for a in positions(said, needle)]:
                if code == "economy" and at > 0 and said[at - 1] == "basic":
                    continue
                if at > last:
                    last, which = at, code
        if which is None:
            return MISSING
        return OK if which == cabin else DIFFERS

    return Detail("cabin", (CABIN_NAMES.get(cabin, cabin), cabin), rivals, judge=judge)


def _insurance(wanted: str) -> Detail:
    """Travel insurance: a summary that says it is added when it is not (or the other way round) differs."""
    def judge(text: str) -> str:
        said = keys(text)
        mentions = positions(said, ("insurance",))
        if not mentions:
            return MISSING if wanted == "yes" else OK
        last = mentions[-1]
        before = said[max(0, last - 2) : last]
        declined = any(word in ("no", "without", "decline", "declined", "not") for word in before[-1:] + (before[:1] if before[-1:] == ("travel",) else ()))
        declined = declined or (last + 1 < len(said) and said[last + 1] in ("no", "none", "not", "declined"))
        return OK if declined == (wanted != "yes") else DIFFERS

    return Detail("insurance", ("insurance",), optional=wanted != "yes", judge=judge)


def reservation_detail(state: State, reservation: Record) -> Detail:
    """A reservation by its id, or by a route or a flight no other reservation of the user shares."""
    from domains.airline.facts import place_names

    owner = state.get("users", reservation["user_id"]) or {"reservations": []}
    others = [state.get("reservations", rid) for rid in owner["reservations"] if rid != reservation["reservation_id"]]
    others = [o for o in others if o]
    phrases = [reservation["reservation_id"]]
    if not any((o["origin"], o["destination"]) == (reservation["origin"], reservation["destination"]) for o in others):
        phrases += [f"{a} to {b}" for a in place_names(reservation["origin"]) for b in place_names(reservation["destination"])]
    elsewhere = {f["flight_number"] for o in others for f in o["flights"]}
    phrases += [f["flight_number"] for f in reservation["flights"] if f["flight_number"] not in elsewhere]
    return Detail("reservation", tuple(dict.fromkeys(phrases)), tuple(o["reservation_id"] for o in others))


def _payment(user: Record | None, method_id: str) -> Detail:
    return Detail("payment method", payment_cue(user, method_id), rival_payments(user, method_id))


_REPLACING = frozenset(stem(word) for word in ("replace", "replacing", "swap", "switch", "substitute", "instead", "place", "remove", "take", "off"))


def _replaced(old: dict[str, Any], new: dict[str, Any], kept: list[dict[str, Any]]) -> Detail:
    """Who makes way: in the sentence that names the newcomer, the passenger named last before them
    ("replace Hugo with Valeria") must be the one the write replaces, not one it keeps."""
    rivals = tuple(p for other in kept for p in _person_cue(other))

    def judge(text: str) -> str:
        for sentence in sentences(text):
            said = stems(keys(sentence))
            newcomer = min((at for p in _person_cue(new) for at in positions(said, stems(keys(p)))), default=-1)
            if newcomer < 0 or not any(word in said for word in _REPLACING):
                continue  # a list of who will fly names no one replaced
            named = [(at, ours) for phrases, ours in ((_person_cue(old), True), (rivals, False))
                     for p in phrases for at in positions(said, stems(keys(p))) if at < newcomer]
            if named:
                return OK if max(named)[1] else DIFFERS
        return OK

    return Detail(f"passenger replaced ({old.get('first_name')})", _person_cue(old), rivals, optional=True, judge=judge)


def _no_other_payment(user: Record | None, used: set[str]) -> Detail:
    """A summary that splits the price onto a saved method the write does not use (by anything that names
    that method and none of the used ones: its id, last four digits, or its kind when it is the only one)."""
    ours = {phrase.casefold() for method_id in used for phrase in payment_cue(user, method_id)}
    others = tuple(dict.fromkeys(p for method_id in ((user or {}).get("payment_methods") or {}) if method_id not in used
                                 for p in payment_cue(user, method_id) if p.casefold() not in ours))

    def judge(text: str) -> str:
        return DIFFERS if others and met(others, keys(text)) else OK

    return Detail("payment split", (), others, optional=True, judge=judge, derived=True)


def _person_cue(person: dict[str, Any]) -> Cue:
    first, last = str(person.get("first_name", "")), str(person.get("last_name", ""))
    return tuple(p for p in (f"{first} {last}", first) if p.strip())


def write_details(state: State, name: str, arguments: dict[str, Any], user_id: str, complete: bool = False) -> list[Detail]:
    """What the agent's summary must have said before this write, read on the world just before it
    (`complete`: every value the write sets, even those it leaves as they were, for comparing two writes)."""
    user = state.get("users", str(arguments.get("user_id") or user_id))
    if name == "send_certificate":
        amount = float(arguments.get("amount", 0) or 0)
        return [Detail("amount", (format_amount(amount),), judge=amount_judge(amount, CERTIFICATE_WORDS, required=True))]
    if name == "book_reservation":
        return _booking_details(user, arguments)
    reservation = state.get("reservations", str(arguments.get("reservation_id", "")))
    if reservation is None:
        return []
    owner = state.get("users", reservation["user_id"])
    details: list[Detail] = [reservation_detail(state, reservation)]
    if name == "update_reservation_flights":
        old = {(f["flight_number"], f["date"]) for f in reservation["flights"]}
        for flight in arguments.get("flights", []):
            if (flight.get("flight_number"), flight.get("date")) not in old:
                details.append(Detail(f"flight {flight.get('flight_number')}", (str(flight.get("flight_number")),)))
        if complete or arguments.get("cabin") != reservation["cabin"]:
            details.append(_cabin(str(arguments.get("cabin"))))
        if (difference := _fare_difference(state, reservation, arguments)) or complete:
            details.append(Detail("fare difference", (format_amount(abs(difference)),), optional=True, judge=amount_judge(difference, PRICE_WORDS), derived=True))
            details.append(_payment(owner, str(arguments.get("payment_id", ""))))
    elif name == "update_reservation_baggages":
        details.append(Detail("checked bags", count_cue(int(arguments.get("total_baggages", 0)))))
        if complete or int(arguments.get("nonfree_baggages", 0)) > reservation["nonfree_baggages"]:
            details.append(_payment(owner, str(arguments.get("payment_id", ""))))
    elif name == "update_reservation_passengers":
        before = [dict(p) for p in reservation["passengers"]]
        after = [dict(p) for p in arguments.get("passengers", []) if isinstance(p, dict)]
        kept = [p for p in before if p in after]  # the travellers are a set: a new order changes no one
        gone = [p for p in before if p not in after]
        for person in (p for p in after if p not in before):
            details.append(Detail(f"passenger {person.get('first_name')}", _person_cue(person)))
            same_name = next((p for p in gone if (p.get("first_name"), p.get("last_name")) == (person.get("first_name"), person.get("last_name"))), None)
            if same_name is None and gone:
                details.append(_replaced(gone[0], person, kept))
                gone = gone[1:]
            if same_name is None or person.get("dob") != same_name.get("dob"):
                details.append(Detail(f"date of birth of {person.get('first_name')}", date_cue(str(person.get("dob"))), judge=_birth_date_judge(person)))
    return details


def _booking_details(user: Record | None, arguments: dict[str, Any]) -> list[Detail]:
    details: list[Detail] = [Detail(f"flight {f.get('flight_number')}", (str(f.get("flight_number")),)) for f in arguments.get("flights", [])]
    details.append(_cabin(str(arguments.get("cabin"))))
    details += [Detail(f"passenger {p.get('first_name')}", _person_cue(p)) for p in arguments.get("passengers", [])]
    payments = arguments.get("payment_methods", [])
    used = {str(p.get("payment_id", "")) for p in payments}
    ours = {phrase.casefold() for method_id in used for phrase in payment_cue(user, method_id)}
    for method_id in dict.fromkeys(str(p.get("payment_id", "")) for p in payments):  # the other methods of a split are no rivals
        rivals = tuple(r for r in rival_payments(user, method_id) if r.casefold() not in ours)
        details.append(Detail("payment method", payment_cue(user, method_id), rivals))
    details.append(_no_other_payment(user, used))
    total = sum(float(p.get("amount", 0)) for p in payments)
    details.append(Detail("total price", (format_amount(total),), judge=amount_judge(total, PRICE_WORDS, required=True), derived=True))
    details.append(_insurance(str(arguments.get("insurance"))))
    return details


def _fare_difference(state: State, reservation: Record, arguments: dict[str, Any]) -> int:
    """What update_reservation_flights would charge (positive) or refund (negative)."""
    cabin, n = arguments.get("cabin"), len(reservation["passengers"])
    total = 0
    for info in arguments.get("flights", []):
        kept = next((f for f in reservation["flights"] if f["flight_number"] == info.get("flight_number") and f["date"] == info.get("date") and cabin == reservation["cabin"]), None)
        if kept is not None:
            total += kept["price"]
            continue
        flight = state.get("flights", str(info.get("flight_number", "")))
        day = (flight or {}).get("dates", {}).get(str(info.get("date")))
        total += (day or {}).get("prices", {}).get(cabin, 0)
    return (total - sum(f["price"] for f in reservation["flights"])) * n


