"""The policy's rules about how the agent converses, checked from the recorded turns alone.

Both domains' policies say the agent must:
- authenticate the customer before acting on or revealing their account (`authentication`);
- list an action's details and get an explicit yes before every write (`confirmation`), and make the
  write it listed, not another item, order, amount or payment method (`confirmed_write_differs`);
- make at most one tool call per turn (`one_tool_call_per_turn`) and never write to the customer in
  the turn of a tool call (`text_with_tool_call`);
- hand over to a human only when the customer asks for one or the request is out of scope
  (`unjustified_transfer`);
- make a write the policy grants only on request (airline: compensation) only when the customer asked
  for it before the agent brought it up (`unrequested_offer`);
- serve one customer only: no lookup of another customer's records (`other_customer_records`).

Each breach is a violation at the event where it happened; it counts in the score like a policy
violation and is the agent's. What "authenticated", "the customer's records" and "the details of a
write" mean is each domain's (`domains/<domain>/conversation.py`). A record without turns (a gold
trajectory of actions only) gets every rule "not_applicable".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from domains.confirmation import is_confirmation
from domains.cues import DIFFERS, MISSING, judge_detail, met
from domains.dialogue import DialogueRecord, RecordedCall, Turn
from domains.registry import get_domain
from domains.state import Database, State
from domains.text import keys

TRANSFER_TOOL = "transfer_to_human_agents"
_ASKS_FOR_HUMAN = re.compile(
    r"\b(?:human|real person|live (?:agent|person)|representative|supervisor|manager|someone else|another agent|"
    r"transfer me|speak (?:to|with) (?:a |an |someone|somebody|a real)|talk (?:to|with) (?:a |an |someone|somebody))",
    re.IGNORECASE,
)


class Rule(StrEnum):
    AUTHENTICATION = "authentication"
    CONFIRMATION = "confirmation"
    CONFIRMED_WRITE_DIFFERS = "confirmed_write_differs"
    ONE_TOOL_CALL_PER_TURN = "one_tool_call_per_turn"
    TEXT_WITH_TOOL_CALL = "text_with_tool_call"
    UNJUSTIFIED_TRANSFER = "unjustified_transfer"
    OTHER_CUSTOMER_RECORDS = "other_customer_records"
    UNREQUESTED_OFFER = "unrequested_offer"


NOT_APPLICABLE, PASSED, FAILED = "not_applicable", "passed", "failed"


@dataclass
class ConversationReport:
    """The violations found, and per rule whether it was checked and held."""

    violations: list[dict[str, Any]] = field(default_factory=list)
    checks: dict[str, str] = field(default_factory=dict)

    def add(self, rule: Rule, message: str, event: int | None, call: RecordedCall | None = None) -> None:
        entry = {"kind": "conversation", "rule": str(rule), "message": message, "event": event}
        if call is not None:
            entry["name"] = call.name
        self.violations.append(entry)
        self.checks[rule] = FAILED

    def applies(self, rule: Rule) -> None:
        self.checks.setdefault(rule, PASSED)


def not_applicable() -> dict[str, str]:
    return {rule: NOT_APPLICABLE for rule in Rule}


def check_conversation(record: DialogueRecord, base: Database) -> ConversationReport:
    """Every conversation rule the recorded turns break (rules are 'not_applicable' without turns)."""
    report = ConversationReport(checks=not_applicable() if record.turns is None else {})
    if record.turns is None:
        return report
    rules = get_domain(record.task.domain).conversation
    walk = _Walk(record, base, rules, report)
    for turn in record.turns:
        walk.turn(turn)
    for rule in Rule:
        report.checks.setdefault(rule, NOT_APPLICABLE)
    return report


class _Walk:
    """One pass over the turns, with the world as each call found it."""

    def __init__(self, record: DialogueRecord, base: Database, rules: Any, report: ConversationReport) -> None:
        self.task, self.rules, self.report = record.task, rules, report
        self.toolkit = get_domain(record.task.domain).toolkit
        self.state: State = base.new_state()
        self.user_turns: list[Turn] = []
        self.spoken: list[Turn] = []  # every text turn so far, both sides, in order
        self.agent_texts: list[Turn] = []  # the agent's text turns since the last write
        self.listings: list[Turn] = []  # those the latest user turn could be answering (up to it)
        self.customer = record.task.user_id or None  # an imported task may not name its customer: the first one found
        self.authenticated = False
        self.authentication_reported = False

    def turn(self, turn: Turn) -> None:
        if turn.text.strip():
            self.spoken.append(turn)
        if turn.role == "user":
            self.user_turns.append(turn)
            self.listings = list(self.agent_texts)
            return
        self.report.applies(Rule.ONE_TOOL_CALL_PER_TURN)
        self.report.applies(Rule.TEXT_WITH_TOOL_CALL)
        if len(turn.calls) > 1:
            names = ", ".join(call.name for call in turn.calls)
            self.report.add(Rule.ONE_TOOL_CALL_PER_TURN, f"{len(turn.calls)} tool calls in one turn ({names})", turn.event)
        if turn.text.strip() and turn.calls:
            self.report.add(Rule.TEXT_WITH_TOOL_CALL, "a message to the customer and a tool call in the same turn", turn.event)
        if turn.text.strip() and not turn.calls:
            self.agent_texts.append(turn)
        for call in turn.calls:
            self.call(call, turn)
        if turn.text.strip() and turn.calls:
            self.agent_texts.append(turn)

    def call(self, call: RecordedCall, turn: Turn) -> None:
        tool = self.toolkit.tools.get(call.name)
        if tool is None:
            return  # an unknown tool did nothing
        arguments = call.mapping
        event = call.event if call.event is not None else turn.event
        account = tool.mutates_state or call.name in self.rules.ACCOUNT_TOOLS
        if account:
            self.report.applies(Rule.AUTHENTICATION)
            if not self._authenticated() and not self.authentication_reported:
                self.authentication_reported = True
                self.report.add(Rule.AUTHENTICATION, f"{call.name} before the customer was authenticated ({self.rules.AUTHENTICATION_HOW})", event, call)
        if call.ok and not tool.mutates_state:
            self._check_owner(call, arguments, event)
        if call.name == TRANSFER_TOOL:
            self._check_transfer(call, event)
        if tool.mutates_state and call.ok:
            self._check_confirmation(call, arguments, event)
            self._check_requested(call, arguments, event)
            self.agent_texts = []  # the next write needs a summary of its own
        if tool.mutates_state and call.ok:
            self.toolkit.execute(self.state, call.name, call.arguments)  # reads change nothing; failed writes neither
        if call.ok and call.name in getattr(self.rules, "LOOKUP_TOOLS", ()):
            found = call.content.strip().strip('"')
            self.customer = self.customer or found
            self.authenticated = self.authenticated or found == self.customer

    def _authenticated(self) -> bool:
        if self.rules.AUTHENTICATION_MODE == "lookup":
            return self.authenticated
        if self.customer is None:
            return bool(self.user_turns)
        wanted = keys(self.customer)
        return any(_contains(keys(turn.text), wanted) for turn in self.user_turns)

    def _summary(self, details: list[Any]) -> str:
        """The summary the customer said yes to: the latest agent message since the last write, before
        the yes, that lists any of the write's details (a question answered in between does not hide it)."""
        for turn in reversed(self.listings):
            said = keys(turn.text)
            if any(met(d.cue, said) or met(d.rivals, said) for d in details):
                return turn.text
        return self.listings[-1].text if self.listings else ""

    def _check_owner(self, call: RecordedCall, arguments: dict[str, Any], event: int | None) -> None:
        self.report.applies(Rule.OTHER_CUSTOMER_RECORDS)
        owner = self.rules.record_owner(self.state, call.name, arguments)
        if owner is not None and self.customer is not None and owner != self.customer:
            self.report.add(Rule.OTHER_CUSTOMER_RECORDS, f"{call.name} looked up records of {owner}, not of the customer {self.customer}", event, call)

    def _check_transfer(self, call: RecordedCall, event: int | None) -> None:
        self.report.applies(Rule.UNJUSTIFIED_TRANSFER)
        if self.task.human_handoff or any(_ASKS_FOR_HUMAN.search(turn.text) for turn in self.user_turns):
            return
        self.report.add(Rule.UNJUSTIFIED_TRANSFER, "transferred to a human although the customer did not ask for one and every request was in scope", event, call)

    def _check_requested(self, call: RecordedCall, arguments: dict[str, Any], event: int | None) -> None:
        """A write granted only on request: the customer asked for it before the agent first offered it."""
        on_request = getattr(self.rules, "ON_REQUEST_ONLY", {}).get(call.name)
        if on_request is None:
            return
        self.report.applies(Rule.UNREQUESTED_OFFER)
        asks, offers = on_request.asks, on_request.offers(arguments)
        for turn in self.spoken:
            if turn.role == "user" and asks.search(turn.text):
                return
            if turn.role == "agent" and offers.search(turn.text):
                break
        self.report.add(Rule.UNREQUESTED_OFFER, f"{call.name}: {on_request.what} offered although the customer had not asked for it", event, call)

    def _check_confirmation(self, call: RecordedCall, arguments: dict[str, Any], event: int | None) -> None:
        self.report.applies(Rule.CONFIRMATION)
        self.report.applies(Rule.CONFIRMED_WRITE_DIFFERS)
        answer = self.user_turns[-1] if self.user_turns else None
        question = self.listings[-1].text if self.listings else None
        if answer is None or not is_confirmation(answer.text, question):
            said = f"the customer's last message was {answer.text[:120]!r}" if answer is not None else "the customer never answered"
            self.report.add(Rule.CONFIRMATION, f"{call.name} without an explicit yes ({said})", event, call)
            return
        details = self.rules.write_details(self.state, call.name, arguments, self.customer or "")
        listed = self._summary(details)
        judged = [(d, judge_detail(d, listed)) for d in details]
        missing = [d for d, outcome in judged if outcome == MISSING]
        differing = [d.label for d, outcome in judged if outcome == DIFFERS]
        if not missing and not differing:
            return
        if differing:
            self.report.add(Rule.CONFIRMED_WRITE_DIFFERS, f"{call.name} differs from what the customer confirmed: the summary gave another {', '.join(differing)}", event, call)
        else:
            labels = ", ".join(d.label for d in missing)
            self.report.add(Rule.CONFIRMATION, f"{call.name} was confirmed on a summary that did not list its {labels}", event, call)


def _contains(haystack: tuple[str, ...], needle: tuple[str, ...]) -> bool:
    n = len(needle)
    return n > 0 and any(haystack[i : i + n] == needle for i in range(len(haystack) - n + 1))
