"""Build a dialogue's events by hand, as the actors would record them, for store and verifier tests."""

from __future__ import annotations

import json
from typing import Any

from domains.constraints import Task
from domains.registry import get_domain
from domains.state import Database
from domains.verification import verify_dialogue
from events import (
    AgentSpoke,
    DialogueEnded,
    DialogueVerified,
    InstructionFuzzified,
    TaskSampled,
    ToolCalled,
    ToolCallRequest,
    ToolFailed,
    ToolReturned,
    UserSpoke,
)
from store.replay import replay_dialogue


def dialogue_events(dialogue_id: str, task: Task, base: Database, turns: list[tuple], termination: str = "user_stop", verify: bool = True) -> list:
    """Events for `turns`: ("user", text), ("agent", text), ("call", name, arguments), or an agent turn
    with text and/or several calls: ("agent", text, [(name, arguments), ...])."""
    toolkit = get_domain(task.domain).toolkit
    state = base.new_state()
    events: list = []

    def add(cls, **fields: Any):
        events.append(cls(dialogue_id=dialogue_id, seq=len(events), time=1000.0 + len(events), actor="test", **fields))

    add(TaskSampled, domain=task.domain, task=task.model_dump(mode="json"), seed=task.seed, base_db_hash=base.content_hash)
    add(InstructionFuzzified, instruction=task.instruction, descriptions={}, fuzz_level=task.fuzz)
    for index, turn in enumerate(turns):
        if turn[0] == "user":
            add(UserSpoke, content=turn[1])
            continue
        if turn[0] == "agent" and len(turn) == 2:
            add(AgentSpoke, content=turn[1])
            continue
        text, calls = (None, [turn[1:]]) if turn[0] == "call" else (turn[1] or None, turn[2])
        requests = []
        for number, (name, arguments) in enumerate(calls):
            raw = arguments if isinstance(arguments, str) else json.dumps(arguments)
            requests.append(ToolCallRequest(id=f"call_{index}_{number}", name=name, arguments=raw))
        add(AgentSpoke, content=text, tool_calls=requests)
        for request in requests:
            add(ToolCalled, call_id=request.id, name=request.name, arguments=request.arguments)
            outcome = toolkit.execute(state, request.name, request.arguments)
            if outcome.ok:
                add(ToolReturned, call_id=request.id, name=request.name, content=outcome.content, mutates_state=outcome.mutates_state)
            else:
                add(ToolFailed, call_id=request.id, name=request.name, content=outcome.content, error_kind=str(outcome.error_kind), mutates_state=outcome.mutates_state)
    add(DialogueEnded, reason=termination)
    if verify:
        verdict = verify_dialogue(replay_dialogue(events, lambda domain, content_hash: base).record, base)
        add(DialogueVerified, verdict=verdict.to_json(), verifier_version=verdict.verifier_version)
    return events


def confirmed_turns(domain: str, calls: list[dict[str, Any]]) -> list[tuple]:
    """Turns that play `calls` as a policy-abiding agent would: each write is read back in full (its
    arguments, and for a booking its total) and made only after the customer's yes."""
    toolkit = get_domain(domain).toolkit
    turns: list[tuple] = []
    for call in calls:
        if toolkit[call["name"]].mutates_state:
            arguments = call["arguments"]
            total = sum(p.get("amount", 0) for p in arguments.get("payment_methods", [])) if isinstance(arguments, dict) else 0
            summary = f"I will now {call['name'].replace('_', ' ')} with these details: {json.dumps(arguments)}" + (f", ${total} in total" if total else "")
            turns += [("agent", summary + ". Shall I proceed?"), ("user", "Yes, please go ahead.")]
        turns.append(("call", call["name"], call["arguments"]))
    return turns
