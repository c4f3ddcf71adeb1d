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
from dataclasses import dataclass, replace
from types import ModuleType
from typing import Any

from actors.scripted import airline_agent, retail_agent
from actors.scripted.plans import Context, Goal, Plan
from actors.scripted.protocol import CLOSING, CONFIRM, is_no, is_yes
from actors.scripted.slots import question_for
from actors.scripted.transcript import AskAgainError, CannotResolveError, Knowledge, ReadNeeded, Transcript, Turn

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
    move = next_move(transcript, domain_rules(tools))
    return move.message(len(transcript.calls) + 1)


def next_move(transcript: Transcript, rules: ModuleType) -> Move:
    user_id = rules.authenticated_user(transcript)
    if user_id is None:
        return _authenticate(transcript, rules)
    goal, position, ordinal = current_goal(transcript, rules)
    if goal is None:
        return say(ASK_REQUEST)
    if any(turn.position > position and CLOSING in turn.text for turn in transcript.turns("agent")):
        return say(CLOSING)  # this request is settled; the customer has not raised a new one
    if goal.missing:
        return say(question_for(goal.missing[0]))
    knowledge = Knowledge(transcript, refresh_until=position)
    context = Context(user_id, knowledge, False, _changed(transcript), _now(transcript.system))
    try:
        plan = rules.resolve(goal, context)
    except ReadNeeded as need:
        return call(need.name, need.arguments)
    except AskAgainError as question:
        return say(str(question))
    except CannotResolveError as problem:
        return say(f"I'm sorry, {problem} {CLOSING}")
    return _carry_out(plan, transcript, position, rules)


def _authenticate(transcript: Transcript, rules: ModuleType) -> Move:
    knowledge = Knowledge(transcript)
    lookups = rules.identity_lookups(transcript)
    for name, arguments in lookups:
        if not knowledge.has(name, **arguments):
            return call(name, arguments)
    return say(rules.NOT_FOUND if lookups else rules.ASK_IDENTITY)


def current_goal(transcript: Transcript, rules: ModuleType) -> tuple[Goal | None, int, int]:
    """The customer's latest request as disclosed so far, where it was first raised, and how many came before it.

    A scripted user's turns carry its acts: a request opens a goal with the fields it states, and an
    inform or a correction adds or replaces fields. Any other user's turns are read as text: a whole
    goal sentence in the scenario templates' wording.
    """
    first_seen: dict[str, int] = {}
    goals: dict[str, Goal] = {}
    latest: str | None = None
    for turn in transcript.turns("user"):
        if turn.acts is None:
            parsed = rules.parse_goal(turn.text)
            if parsed is not None:
                goals[parsed.text], latest = parsed, parsed.text
                first_seen.setdefault(parsed.text, turn.position)
            continue
        for act in turn.acts:
            kind, key = act.get("act"), f"goal {act.get('goal')}"
            if kind == "request":
                if act.get("type") is None:
                    parsed = rules.parse_goal(act.get("text") or "")
                    if parsed is None:
                        continue
                    goals[key] = Goal(parsed.type, key, dict(parsed.fields))
                else:
                    earlier = goals[key].fields if key in goals else {}
                    goals[key] = Goal(act["type"], key, {**earlier, **(act.get("fields") or {})}, complete=False)
                first_seen.setdefault(key, turn.position)
                latest = key
            elif kind in ("inform", "correct") and key in goals:
                goals[key] = replace(goals[key], fields={**goals[key].fields, **(act.get("fields") or {})})
    if latest is None:
        return None, -1, -1
    return goals[latest], first_seen[latest], list(first_seen).index(latest)


def said_yes(turn: Turn) -> bool:
    """An explicit yes: a scripted user's confirm act, or (from any other user) a yes in words."""
    if turn.acts is not None:
        return any(act.get("act") == "confirm" for act in turn.acts)
    return is_yes(turn.text)


def said_no(turn: Turn) -> bool:
    if turn.acts is not None:
        return any(act.get("act") in ("deny", "correct") for act in turn.acts)
    return is_no(turn.text)


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
            if said_yes(last):
                return call(write.name, write.arguments)
            if said_no(last):
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
