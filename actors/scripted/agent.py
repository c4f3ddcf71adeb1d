"""The scripted agent: a deterministic, stateless customer-service agent that follows the policy.

Each call re-reads the whole transcript and makes exactly one move, a text or a single tool call:
identify the customer; take their latest request (from a scripted user's acts, or from the
templates' wording); ask for the details it still misses; resolve its descriptions with read tools;
read every write back and wait for an explicit yes; make the write; report, and ask whether there
is anything else. Information requests are answered with the exact value.

With `error_rate` > 0 a share of dialogues gets one realistic mistake from the catalogue (see
`mistakes` and `slips`); the turn that commits it records it in its reply's `script`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from types import ModuleType
from typing import Any

from domains.scripted import slips
from domains.scripted.mistakes import USER_MISTAKES, Mistake, committed, mistake_settings, planned_mistake
from domains.scripted.plans import Context, Goal, Plan
from actors.scripted.protocol import CLOSING, CONFIRM, is_no, is_yes
from domains.scripted.slots import question_for
from domains.scripted.transcript import AskAgainError, CannotResolveError, Knowledge, ReadNeeded, Transcript, Turn
from actors.scripted.world import other_customer
from domains.conversation import TRANSFER_TOOL
from domains.plugin import rule
from domains.registry import loaded_domains

GIVE_UP = "I'm sorry, but I am not able to help with that request."
ASK_REQUEST = "Thank you, I have found your profile. How can I help you today?"
MAX_CONFIRMATIONS = 3


def domain_rules(tools: list[dict[str, Any]] | None) -> ModuleType:
    """The scripted-agent rules of the domain whose toolkit has the most of the tools offered (the first by name on a tie)."""
    names = {(tool.get("function") or {}).get("name") for tool in tools or []}
    plugins = loaded_domains()
    if not plugins:
        raise LookupError("no domain plug-in is registered: the scripted agent has no rules to follow")
    return max(plugins, key=lambda plugin: len(names.intersection(plugin.toolkit.tools))).scripted_agent


@dataclass(frozen=True)
class Move:
    """One agent turn: a text, or a tool call (and, only when it is a mistake, both, or two calls)."""

    text: str | None = None
    tool: str | None = None
    arguments: dict[str, Any] | None = None
    also: tuple[tuple[str, dict[str, Any]], ...] = ()  # further calls in the same turn
    mistake: dict[str, Any] | None = None  # the committed mistake's record

    def message(self, call_number: int) -> dict[str, Any]:
        if self.tool is None:
            message = {"role": "assistant", "content": self.text, "tool_calls": None}
        else:
            calls = [{"id": f"call_{call_number + n:03d}", "type": "function", "function": {"name": name, "arguments": json.dumps(arguments, sort_keys=True)}}
                     for n, (name, arguments) in enumerate(((self.tool, self.arguments), *self.also))]
            message = {"role": "assistant", "content": self.text, "tool_calls": calls}
        if self.mistake is not None:
            message["script"] = {"mistakes": [self.mistake]}
        return message


def say(text: str, mistake: dict[str, Any] | None = None) -> Move:
    return Move(text=text, mistake=mistake)


def call(name: str, arguments: dict[str, Any], mistake: dict[str, Any] | None = None) -> Move:
    return Move(tool=name, arguments=arguments, mistake=mistake)


@dataclass
class Turnabout:
    """What one call works with: the transcript, the domain, the planned mistake and the request it falls on."""

    transcript: Transcript
    rules: ModuleType
    mistake: Mistake | None = None
    goals: list[tuple[Goal, int]] = field(default_factory=list)  # every request so far, in the order raised

    @property
    def next_call_id(self) -> str:
        return f"call_{len(self.transcript.calls) + 1:03d}"

    def record(self, **details: Any) -> dict[str, Any]:
        return committed(self.mistake, **details)

    def falls_on(self, goal: Goal) -> bool:
        """Whether the planned mistake is to be made on this request (the first one it fits)."""
        if self.mistake is None:
            return False
        if self.mistake is Mistake.PARTIAL_TASK:
            return len(self.goals) > 1 and goal.text == self.goals[1][0].text
        target = next((g for g, _ in self.goals if slips.fits(self.mistake, g.type, self.rules)), None)
        return target is not None and target.text == goal.text


def respond_agent(messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None, params: dict[str, Any]) -> dict[str, Any]:
    """The agent's next assistant message for this transcript (text or one tool call, never both, unless by mistake)."""
    transcript = Transcript.of(messages)
    rules = domain_rules(tools)
    users = transcript.turns("user")
    rate, enabled = mistake_settings(params)
    planned = planned_mistake(users[0].text if users else "", rate, enabled)
    turn = Turnabout(transcript, rules, planned if planned is not None and planned not in USER_MISTAKES else None, all_goals(transcript, rules))
    move = next_move(turn)
    return move.message(len(transcript.calls) + 1)


def next_move(turn: Turnabout) -> Move:
    transcript, rules, mistake = turn.transcript, turn.rules, turn.mistake
    user_id = rules.authenticated_user(transcript)
    if user_id is None:
        if mistake is Mistake.SKIPS_AUTHENTICATION and (early := _unauthenticated_read(turn)) is not None:
            return early
        return _authenticate(transcript, rules)
    if any(c.name == TRANSFER_TOOL for c in transcript.calls):
        return say(slips.TRANSFERRING)
    if not turn.goals:
        return say(ASK_REQUEST)
    goal, position = turn.goals[-1]
    if any(t.position > position and CLOSING in t.text for t in transcript.turns("agent")):
        return say(CLOSING)  # this request is settled; the customer has not raised a new one
    first = goal.text == turn.goals[0][0].text
    if mistake is Mistake.UNJUSTIFIED_TRANSFER and first:
        return call(TRANSFER_TOOL, {"summary": "The customer needs help with a request."}, turn.record(tool=TRANSFER_TOOL))
    if mistake is Mistake.OTHER_CUSTOMER_LOOKUP and first and (other := other_customer(rules.DOMAIN, user_id, transcript.turns("user")[0].text)):
        user_read = rule(rules, "USER_READ")
        if not any(c.name == user_read and c.arguments.get("user_id") == other for c in transcript.calls):
            return call(user_read, {"user_id": other}, turn.record(call_id=turn.next_call_id, customer=other))
    if goal.missing:
        return say(question_for(goal.missing[0]))
    slip = mistake if turn.falls_on(goal) else None
    if slip is Mistake.PARTIAL_TASK:
        return say(f"{GIVE_UP} {CLOSING}", turn.record(goal=goal.type))
    context = Context(user_id, Knowledge(transcript, position, rule(rules, "REFRESHES")), False, _changed(transcript, rules), _now(transcript.system))
    try:
        plan = rules.resolve(goal, context)
        plan, swap_in = _with_slip(turn, slip, plan, goal, context)
    except ReadNeeded as need:
        return _read(turn, user_id, need)
    except AskAgainError as question:
        return say(str(question))
    except CannotResolveError as problem:
        return say(f"I'm sorry, {problem} {CLOSING}")
    try:
        return _carry_out(turn, slip, plan, position, swap_in, context)
    except ReadNeeded as need:
        return call(need.name, need.arguments)


def _unauthenticated_read(turn: Turnabout) -> Move | None:
    """A record the customer named by its id, read before the customer is authenticated (or, where a stated user id allows reads, before it gave one)."""
    if turn.rules.identity_lookups(turn.transcript) and turn.rules.STATED_ID_ALLOWS_READS:
        return None  # a user id was stated: reading the record now breaks no rule
    for goal, _ in turn.goals:
        for name, tool, key, pattern in rule(turn.rules, "ID_READS"):
            found = re.fullmatch(pattern, str(goal.fields.get(name, "")))
            if found and not any(c.name == tool for c in turn.transcript.calls):
                return call(tool, {key: found.group(1)}, turn.record(call_id=turn.next_call_id))
    return None


def _read(turn: Turnabout, user_id: str, need: ReadNeeded) -> Move:
    """The read a resolver needs; made together with another call, or with words, when that is the mistake."""
    events = turn.transcript
    user_read = rule(turn.rules, "USER_READ")
    if turn.mistake is Mistake.TWO_TOOL_CALLS_IN_ONE_TURN and not events.multi_call_turns and need.name != user_read:
        return Move(tool=need.name, arguments=need.arguments, also=((user_read, {"user_id": user_id}),), mistake=turn.record())
    if turn.mistake is Mistake.TEXT_WITH_TOOL_CALL and not events.mixed_turns:
        return Move(text="Let me look that up for you.", tool=need.name, arguments=need.arguments, mistake=turn.record())
    return call(need.name, need.arguments)


def _with_slip(turn: Turnabout, slip: Mistake | None, plan: Plan, goal: Goal, context: Context) -> tuple[Plan, Plan | None]:
    """The plan with the outcome mistake built in, and (for a write that differs from its read-back) the other plan."""
    rules = turn.rules
    if slip is None or not plan.writes:
        return plan, None
    changed = None
    if (commit := rule(rules, "SLIPS").get(slip.value)) is not None:  # the domain's own way to make it (a wrong order...)
        changed = commit(plan, context)
    elif slip is Mistake.EXTRA_WRITE and plan.noop is not None:
        changed = plan.with_extra(replace(plan.noop, mistake=Mistake.EXTRA_WRITE))
    elif slip is Mistake.WRITE_DIFFERS_FROM_CONFIRMED:
        other = rules.resolve(goal, replace(context, wrong=True))
        if other.wrong and other.writes and other.writes[0].arguments != plan.writes[0].arguments:
            return plan, other
    return (changed if changed is not None else plan), None


def _authenticate(transcript: Transcript, rules: ModuleType) -> Move:
    knowledge = Knowledge(transcript, refreshes=rule(rules, "REFRESHES"))
    lookups = rules.identity_lookups(transcript)
    for name, arguments in lookups:
        if not knowledge.has(name, **arguments):
            return call(name, arguments)
    return say(rules.NOT_FOUND if lookups else rules.ASK_IDENTITY)


def all_goals(transcript: Transcript, rules: ModuleType) -> list[tuple[Goal, int]]:
    """Every request as disclosed so far, with where it was first raised, in the order raised (the latest last).

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
    order = [key for key in first_seen if key != latest] + ([latest] if latest is not None else [])
    return [(goals[key], first_seen[key]) for key in order]


def said_yes(turn: Turn) -> bool:
    """An explicit yes: a scripted user's confirm act, or (from any other user) a yes in words."""
    if turn.acts is not None:
        return any(act.get("act") == "confirm" for act in turn.acts)
    return is_yes(turn.text)


def said_no(turn: Turn) -> bool:
    if turn.acts is not None:
        return any(act.get("act") in ("deny", "correct") for act in turn.acts)
    return is_no(turn.text)


def _changed(transcript: Transcript, rules: ModuleType) -> frozenset[str]:
    """The records the dialogue's writes changed for good so far (the domain's `CHANGED_BY`: write -> its id argument)."""
    changed_by = rule(rules, "CHANGED_BY")
    return frozenset(c.arguments.get(changed_by[c.name], "") for c in transcript.calls if c.ok and c.name in changed_by)


def _now(system_prompt: str) -> str | None:
    found = re.search(r"current time is (\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)", system_prompt)
    return f"{found.group(1)}T{found.group(2)}" if found else None


def _carry_out(turn: Turnabout, slip: Mistake | None, plan: Plan, position: int, swap_in: Plan | None, context: Context) -> Move:
    """The next step of a plan: answer, ask for a yes, make the next write, or report how it went."""
    transcript, rules = turn.transcript, turn.rules
    if not plan.writes:
        return _answer(turn, slip, plan, position, context)
    made = [c for c in transcript.calls if c.position > position and c.name in rules.WRITES]
    for index, write in enumerate(plan.writes):
        if index < len(made):
            if made[index].ok:
                continue
            return say(f"I'm sorry, that did not work: {made[index].content.removeprefix('Error: ')}. {CLOSING}")
        success_needed = write.mistake == Mistake.EXTRA_WRITE  # a refused extra write changes nothing
        record = (turn.record(call_id=turn.next_call_id, tool=write.name) if success_needed else turn.record(tool=write.name)) if write.mistake else None
        if slip is Mistake.UNCONFIRMED_WRITE and index == 0:
            return call(write.name, write.arguments, turn.record(tool=write.name))
        question = f"{write.summary} {CONFIRM}"
        last, said = transcript.last, transcript.last_turn("agent")
        answered = last is not None and getattr(last, "role", None) == "user" and said is not None and said.position > position
        if answered and said.text == question:
            if said_yes(last):
                if swap_in is not None and index == 0:
                    other = swap_in.writes[0]
                    return call(other.name, other.arguments, turn.record(tool=other.name))
                return call(write.name, write.arguments, record)
            if said_no(last):
                return say(f"All right, I have not made that change. {CLOSING}")
        asked = sum(t.position > position and t.text == question for t in transcript.turns("agent"))
        if asked >= MAX_CONFIRMATIONS:
            return say(f"Without a clear yes I cannot make that change. {CLOSING}")
        return say(question)
    first = plan.writes[0]
    if slip is Mistake.DUPLICATE_WRITE and len(made) == len(plan.writes):
        return call(first.name, first.arguments, turn.record(call_id=turn.next_call_id, tool=first.name))
    if slip is Mistake.WRITE_THEN_UNDO and len(made) == len(plan.writes) and (back := rule(rules, "undo")(first, context)) is not None:
        return call(first.name, back, turn.record(call_id=turn.next_call_id, tool=first.name))
    reports = " ".join(write.report for write in plan.writes if write.report)
    return say(f"{reports}{rule(rules, 'result_note')(made[0].name, made[0].result)} {CLOSING}")


def _answer(turn: Turnabout, slip: Mistake | None, plan: Plan, position: int, context: Context) -> Move:
    """The answer to a question; wrong, negated, about another flight, corrected to a wrong one, or missing by mistake."""
    if slip is Mistake.NO_ANSWER:
        return say(f"I have looked into it, but I cannot give you that information right now. {CLOSING}", turn.record())
    if slip is Mistake.CORRECTED_TO_WRONG and (wrong := _wrong_answer(turn.rules, slip, plan, context)):
        checking = f"{plan.answer} {slips.DOUBLE_CHECK}"
        if any(t.position > position and t.text == checking for t in turn.transcript.turns("agent")):
            return say(f"I'm sorry, I misread that. {wrong} {CLOSING}", turn.record())
        return say(checking)
    wrong = None
    if slip in (Mistake.WRONG_AMOUNT, Mistake.DIGIT_SWAP, Mistake.AMOUNT_CONTAINING_ANSWER, Mistake.NEGATED_STATUS, Mistake.WRONG_STATUS):
        wrong = _wrong_answer(turn.rules, slip, plan, context)
    if wrong:
        return say(f"{wrong} {CLOSING}", turn.record())
    return say(f"{plan.answer} {CLOSING}")


def _wrong_answer(rules: ModuleType, slip: Mistake, plan: Plan, context: Context) -> str | None:
    """The answer with the information mistake made: the domain's own way (`WRONG_ANSWERS`), else a wrong amount or number."""
    domain_way = rule(rules, "WRONG_ANSWERS").get(slip.value)
    return domain_way(plan, context) if domain_way is not None else slips.wrong_answer(slip, plan)
