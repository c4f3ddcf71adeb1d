"""The scripted agent: a deterministic, stateless customer-service agent that follows the policy.

Each call re-reads the whole transcript and makes exactly one move, a text or a single tool call:
identify the customer; take their latest request; resolve its descriptions with read tools; read
every write back and wait for an explicit yes; make the write; report, and ask whether there is
anything else. Information requests are answered with the exact value. With `error_rate` > 0 a share
of dialogues gets one realistic mistake (see `mistakes`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from actors.scripted import airline_agent, retail_agent
from actors.scripted.mistakes import Mistake, planned_mistake
from actors.scripted.plans import Context, Goal, Plan
from actors.scripted.protocol import CLOSING, CONFIRM, is_no, is_yes
from actors.scripted.transcript import CannotResolveError, Knowledge, ReadNeeded, Transcript

GIVE_UP = "I'm sorry, but I am not able to help with that request."
ASK_REQUEST = "Thank you, I have found your profile. How can I help you today?"
MAX_CONFIRMATIONS = 3


def domain_rules(tools: list[dict[str, Any]] | None) -> ModuleType:
    """The domain rules for the tools offered: retail has the user lookups, airline the bookings."""
    names = {(tool.get("function") or {}).get("name") for tool in tools or []}
    return airline_agent if "book_reservation" in names else retail_agent


@dataclass(frozen=True)
class Move:
    """One agent turn: a text, or one tool call."""

    text: str | None = None
    tool: str | None = None
    arguments: dict[str, Any] | None = None

    def message(self, call_number: int) -> dict[str, Any]:
        if self.tool is None:
            return {"role": "assistant", "content": self.text, "tool_calls": None}
        call = {"id": f"call_{call_number:03d}", "type": "function",
                "function": {"name": self.tool, "arguments": json.dumps(self.arguments, sort_keys=True)}}
        return {"role": "assistant", "content": None, "tool_calls": [call]}


def say(text: str) -> Move:
    return Move(text=text)


def call(name: str, arguments: dict[str, Any]) -> Move:
    return Move(tool=name, arguments=arguments)


def respond_agent(messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None, params: dict[str, Any]) -> dict[str, Any]:
    """The agent's next assistant message for this transcript (text or one tool call, never both)."""
    transcript = Transcript.of(messages)
    move = next_move(transcript, domain_rules(tools), float(params.get("error_rate") or 0.0))
    return move.message(len(transcript.calls) + 1)


def next_move(transcript: Transcript, rules: ModuleType, error_rate: float = 0.0) -> Move:
    user_id = rules.authenticated_user(transcript)
    if user_id is None:
        return _authenticate(transcript, rules)
    goal, position, ordinal = current_goal(transcript, rules)
    if goal is None:
        return say(ASK_REQUEST)
    if any(turn.position > position and CLOSING in turn.text for turn in transcript.turns("agent")):
        return say(CLOSING)  # this request is settled; the customer has not raised a new one
    first = transcript.turns("user")[0].text
    mistake = planned_mistake(first, error_rate) if ordinal == 0 else None
    if mistake is Mistake.GIVE_UP:
        return say(f"{GIVE_UP} {CLOSING}")
    knowledge = Knowledge(transcript, refresh_until=position)
    context = Context(user_id, knowledge, mistake is Mistake.WRONG_TARGET, _changed(transcript), _now(transcript.system))
    try:
        plan = rules.resolve(goal, context)
    except ReadNeeded as need:
        return call(need.name, need.arguments)
    except CannotResolveError as problem:
        return say(f"I'm sorry, {problem} {CLOSING}")
    if mistake is Mistake.WRONG_TARGET and not plan.wrong:
        mistake = Mistake.REDUNDANT_WRITE
    if mistake is Mistake.REDUNDANT_WRITE:
        if plan.noop is None:
            return say(f"{GIVE_UP} {CLOSING}")
        plan = plan.with_extra(plan.noop)
    return _carry_out(plan, transcript, position, rules)


def _authenticate(transcript: Transcript, rules: ModuleType) -> Move:
    knowledge = Knowledge(transcript)
    lookups = rules.identity_lookups(transcript)
    for name, arguments in lookups:
        if not knowledge.has(name, **arguments):
            return call(name, arguments)
    return say(rules.NOT_FOUND if lookups else rules.ASK_IDENTITY)


def current_goal(transcript: Transcript, rules: ModuleType) -> tuple[Goal | None, int, int]:
    """The customer's latest request, where it was first raised, and how many requests came before it."""
    first_seen: dict[str, int] = {}
    latest: Goal | None = None
    for turn in transcript.turns("user"):
        goal = rules.parse_goal(turn.text)
        if goal is not None:
            first_seen.setdefault(goal.text, turn.position)
            latest = goal
    if latest is None:
        return None, -1, -1
    return latest, first_seen[latest.text], list(first_seen).index(latest.text)


def _changed(transcript: Transcript) -> frozenset[str]:
    return frozenset(
        c.arguments.get("reservation_id", "") for c in transcript.calls if c.ok and c.name in ("update_reservation_flights", "cancel_reservation")
    )


def _now(system_prompt: str) -> str | None:
    found = re.search(r"current time is (\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)", system_prompt)
    return f"{found.group(1)}T{found.group(2)}" if found else None


def _carry_out(plan: Plan, transcript: Transcript, position: int, rules: ModuleType) -> Move:
    """The next step of a plan: answer, ask for a yes, make the next write, or report how it went."""
    if not plan.writes:
        return say(f"{plan.answer} {CLOSING}")
    made = [c for c in transcript.calls if c.position > position and c.name in rules.WRITES]
    for index, write in enumerate(plan.writes):
        if index < len(made):
            if made[index].ok:
                continue
            return say(f"I'm sorry, that did not work: {made[index].content.removeprefix('Error: ')}. {CLOSING}")
        question = f"{write.summary} {CONFIRM}"
        last, said = transcript.last, transcript.last_turn("agent")
        answered = last is not None and getattr(last, "role", None) == "user" and said is not None and said.position > position
        if answered and said.text == question:
            if is_yes(last.text):
                return call(write.name, write.arguments)
            if is_no(last.text):
                return say(f"All right, I have not made that change. {CLOSING}")
        asked = sum(turn.position > position and turn.text == question for turn in transcript.turns("agent"))
        if asked >= MAX_CONFIRMATIONS:
            return say(f"Without a clear yes I cannot make that change. {CLOSING}")
        return say(question)
    reports = " ".join(write.report for write in plan.writes if write.report)
    return say(f"{reports}{_result_note(made[0].name, made[0].result)} {CLOSING}")


def _result_note(name: str, result: Any) -> str:
    if name == "book_reservation" and isinstance(result, dict):
        return f" Your reservation id is {result.get('reservation_id')}."
    return ""
