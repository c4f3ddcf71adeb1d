"""Who is to blame for a score below 1: the agent, the user simulator, a tool, or the infrastructure.

Blame is decided from what identifies each goal (the described records' attributes and the action
asked for, `domains/<domain>/facts.py`), found in the user's words in any wording, person and case;
never from the scenario's sentences. The user simulator is to blame when the agent did nothing wrong
and the user: never asked for a goal that stayed unmet; asked for other details than its goal's
(and the agent did what it was asked); asked for writes outside its scenario; said an id it was never
given; asked for a human although its requests were in scope; or failed to answer usably. Anything
the agent did wrong (a conversation or policy violation, a write nobody asked for, a goal the user
asked for and did not get) makes it the agent's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from domains.constraints import Constraint
from domains.confirmation import is_confirmation
from domains.conversation import _ASKS_FOR_HUMAN
from domains.cues import Cue, Detail, last_position, met
from domains.dialogue import DialogueRecord, RecordedCall
from domains.registry import get_domain
from domains.scenario import id_shaped
from domains.state import State
from domains.text import keys


class Attribution(StrEnum):
    NONE = "none"
    AGENT = "agent"
    USER_SIMULATOR = "user_simulator"
    TOOL = "tool"
    INFRASTRUCTURE = "infrastructure"


STOP_TOKENS = re.compile(r"###[A-Z-]+###")


@dataclass(frozen=True)
class Shortfall:
    """A goal that was not met, and what the dialogue did about it."""

    constraint: Constraint
    stated: bool  # the user asked for it (its action and every record it is about)
    user_asked_otherwise: bool  # the agent made the write the user asked for, with other details than the goal's
    tried_exactly: bool = False  # the agent made the goal's own write, which the world refused or other failures undid


@dataclass(frozen=True)
class ExtraWrite:
    """A redundant write, and whether the user asked for it (a record outside the task, in the user's words)."""

    call: RecordedCall
    requested_by_user: bool


def user_text_keys(record: DialogueRecord) -> tuple[str, ...]:
    """Everything the user said, as one run of keys (messages separated so no phrase spans two)."""
    out: list[str] = []
    for message in record.user_messages:
        out.extend(keys(STOP_TOKENS.sub(" ", message)))
        out.append("\x00")
    return tuple(out)


def goal_stated(cues: list[Cue], said: tuple[str, ...]) -> bool:
    return all(met(cue, said) for cue in cues if cue)


def distinct_cues(all_cues: list[list[Cue]]) -> list[list[Cue]]:
    """Each goal's cues without the record words it shares with another goal of the task ("Boston" for a
    booking to Boston and bags on another Boston trip), so one goal's words do not state another; a cue
    left empty keeps its words. The first cue of each goal is its action and is left as it is."""
    out = []
    for index, cues in enumerate(all_cues):
        others = {phrase.casefold() for j, other in enumerate(all_cues) if j != index for cue in other[1:] for phrase in cue}
        kept = [cues[0]] if cues else []
        for cue in cues[1:]:
            own = tuple(phrase for phrase in cue if phrase.casefold() not in others)
            kept.append(own or cue)
        out.append(kept)
    return out


def asked_otherwise(goal_details: list[Detail], made_details: list[Detail], said: tuple[str, ...], request: tuple[str, ...] | None = None) -> bool:
    """The write differs from the goal in details whose last word from the user, in the request the write
    answers (`request`), was the write's (the user asked for, or corrected the agent to, other details
    than its goal's), or it does part of the goal and the user never asked for the rest anywhere (`said`:
    the tent it did not return was never named)."""
    goal_keys = {d.identity for d in goal_details}
    made_keys = {d.identity for d in made_details}
    goal_only = [d for d in goal_details if d.identity not in made_keys and d.cue and not d.derived]
    made_only = [d for d in made_details if d.identity not in goal_keys and d.cue and not d.derived]
    if not goal_only:
        return False
    if not made_only:  # the write did part of the goal: what it left out, the user never asked for
        return not any(met(d.cue, said) for d in goal_only)
    request = said if request is None else request  # the last word counts in the request the write answers
    made_words = {phrase.casefold() for d in made_only for phrase in d.cue}
    last_made = max(last_position(d.cue, request) for d in made_only)
    # words both sides share ("my default address", which the world had made another address) are no
    # evidence for the goal: only what names the goal's value alone is
    last_goal = max(last_position(tuple(p for p in d.cue if p.casefold() not in made_words), request) for d in goal_only)
    return last_made >= 0 and last_made > last_goal


def leaked_ids(record: DialogueRecord) -> list[str]:
    """Raw ids the user said that it was never given: not in its scenario, and not in anything the agent
    said to it before (tool results are the agent's; a tool's error echoing the id does not count)."""
    shaped = id_shaped(record.task.domain)
    if record.turns is None:
        known = record.task.instruction + " ".join(record.agent_messages)
        return [raw for message in record.user_messages for raw in shaped.findall(message) if raw not in known]
    known, leaked = record.task.instruction, []
    for turn in record.turns:
        if turn.role == "agent":
            known += " " + turn.text
        else:
            leaked += [raw for raw in shaped.findall(turn.text) if raw not in known]
    return leaked


def user_asked_for_human(record: DialogueRecord) -> bool:
    return any(_ASKS_FOR_HUMAN.search(message) for message in record.user_messages)


def transferred_on_request(record: DialogueRecord) -> bool:
    """The agent handed over to a human because the user asked for one."""
    return user_asked_for_human(record) and any(call.name == "transfer_to_human_agents" and call.ok for call in record.calls)


def write_target(arguments: dict[str, Any], domain: str) -> str | None:
    """The record a write is about: the first of the domain's `record_keys` it names, else the customer (`user_id`)."""
    return next((str(arguments[key]) for key in (*get_domain(domain).record_keys, "user_id") if arguments.get(key)), None)


def attribute(
    record: DialogueRecord,
    *,
    score: float | None,
    scored: bool,
    tool_crash: bool,
    shortfalls: list[Shortfall],
    extra_writes: list[ExtraWrite],
    violations: list[dict[str, Any]],
) -> Attribution:
    """Who is to blame for this verdict (NONE for a perfect score)."""
    if not scored:
        return Attribution.INFRASTRUCTURE
    if score == 1.0:
        return Attribution.NONE
    if tool_crash:
        return Attribution.TOOL
    if record.termination == "user_error":
        return Attribution.USER_SIMULATOR
    agent_fault = bool(violations) or any(not w.requested_by_user for w in extra_writes)
    if not agent_fault and leaked_ids(record):
        return Attribution.USER_SIMULATOR
    if record.termination == "transfer" or transferred_on_request(record):
        # goals left undone because the user asked to be handed over are the user's doing
        return Attribution.USER_SIMULATOR if user_asked_for_human(record) and not agent_fault else Attribution.AGENT
    agent_fault |= any(s.stated and not s.user_asked_otherwise and not s.tried_exactly for s in shortfalls)
    if record.termination != "user_stop" or agent_fault:
        return Attribution.AGENT
    user_fault = any(not s.stated or s.user_asked_otherwise for s in shortfalls) or any(w.requested_by_user for w in extra_writes)
    return Attribution.USER_SIMULATOR if user_fault else Attribution.AGENT


def extra_write(record: DialogueRecord, call: RecordedCall, before: Callable[[], State], goal_writes: set[tuple[str, str]], task_records: set[str],
                cues_of: Callable[[State, str, dict[str, Any]], list[Cue]], write_names: set[str]) -> ExtraWrite:
    """Judge one redundant write: the user's request when the user asked for it, else the agent's doing.

    Asking means saying the kind of change (the write's intent) in a message of the request it belongs to
    (since the write before it), and naming its record somewhere, unless that record is one the task is
    about ("that same reservation" will do then). A write of the kind a goal makes on the goal's record
    (`goal_writes`) counts as asked only once that goal's write was made and the user asked again: a
    repeat, an undo or a wrong first try by the agent stays the agent's."""
    arguments = call.mapping
    target = write_target(arguments, record.task.domain)
    if target is None:
        return ExtraWrite(call, False)
    if (call.name, target) in goal_writes and not _made_before(record, call, target):
        return ExtraWrite(call, False)
    cues = cues_of(before(), call.name, arguments)
    if not cues:
        return ExtraWrite(call, False)
    intent, record_cues = cues[0], cues[1:]
    window = request_window(record, call, write_names)
    if window is None:  # no conversation recorded: the user's words anywhere
        return ExtraWrite(call, (call.name, target) not in goal_writes and goal_stated(cues, user_text_keys(record)))
    if window and is_confirmation(window[-1]):
        window = window[:-1]  # the yes to the agent's summary of this write is not a request for it
    asked = any(met(intent, keys(STOP_TOKENS.sub(" ", text))) for text in window)
    named = target in task_records or goal_stated(record_cues, user_text_keys(record))
    return ExtraWrite(call, asked and named)


def _made_before(record: DialogueRecord, call: RecordedCall, target: str) -> bool:
    """A successful write of the same kind on the same record came before this one."""
    for made in record.calls:
        if made is call:
            return False
        if made.ok and made.name == call.name and write_target(made.mapping, record.task.domain) == target:
            return True
    return False


def request_window(record: DialogueRecord, call: RecordedCall, write_names: set[str]) -> list[str] | None:
    """What the user said for the request `call` answers: the user's messages from the last successful
    write before the user's last message ahead of `call` (its yes), up to `call`. One yes may cover
    several writes ("yes, both"), which then share their request; a repeat of a write already made for
    that request answers nothing new (empty). None when no turns were recorded."""
    if record.turns is None:
        return None
    steps: list[tuple[str, Any]] = []  # ("user", text) and ("write", call) in order, up to the call
    for turn in record.turns:
        if turn.role == "user":
            steps.append(("user", turn.text))
        for made in turn.calls:
            if made is call:
                last_user = max((i for i, (kind, _) in enumerate(steps) if kind == "user"), default=-1)
                start = max((i for i, (kind, _) in enumerate(steps[: max(last_user, 0)]) if kind == "write"), default=-1)
                target = write_target(call.mapping, record.task.domain)
                if any(kind == "write" and other.name == call.name and write_target(other.mapping, record.task.domain) == target for kind, other in steps[start + 1 :]):
                    return []  # the same kind of write on the same record, again, for one request
                return [text for kind, text in steps[start + 1 :] if kind == "user"]
            if made.ok and made.name in write_names:
                steps.append(("write", made))
    return []
