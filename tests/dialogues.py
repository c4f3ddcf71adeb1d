"""Build a dialogue's events by hand, as the actors would record them, for store and verifier tests."""

from __future__ import annotations

import json
from typing import Any

from domains.constraints import Task
from domains.registry import get_domain
from domains.state import Database
from domains.verification import DialogueRecord, RecordedCall, verify_dialogue
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


def dialogue_events(dialogue_id: str, task: Task, base: Database, turns: list[tuple], termination: str = "user_stop", verify: bool = True) -> list:
    """Events for `turns`: ("user", text), ("agent", text) or ("call", name, arguments)."""
    toolkit = get_domain(task.domain).toolkit
    state = base.new_state()
    events: list = []

    def add(cls, **fields: Any):
        events.append(cls(dialogue_id=dialogue_id, seq=len(events), time=1000.0 + len(events), actor="test", **fields))

    add(TaskSampled, domain=task.domain, task=task.model_dump(mode="json"), seed=task.seed, base_db_hash=base.content_hash)
    add(InstructionFuzzified, instruction=task.instruction, descriptions={}, fuzz_level=task.fuzz)
    calls, agent_texts, user_texts = [], [], []
    for index, turn in enumerate(turns):
        if turn[0] == "user":
            add(UserSpoke, content=turn[1])
            user_texts.append(turn[1])
        elif turn[0] == "agent":
            add(AgentSpoke, content=turn[1])
            agent_texts.append(turn[1])
        else:
            _, name, arguments = turn
            raw = arguments if isinstance(arguments, str) else json.dumps(arguments)
            call_id = f"call_{index}"
            add(AgentSpoke, tool_calls=[ToolCallRequest(id=call_id, name=name, arguments=raw)])
            add(ToolCalled, call_id=call_id, name=name, arguments=raw)
            outcome = toolkit.execute(state, name, raw)
            if outcome.ok:
                add(ToolReturned, call_id=call_id, name=name, content=outcome.content, mutates_state=outcome.mutates_state)
            else:
                add(ToolFailed, call_id=call_id, name=name, content=outcome.content, error_kind=str(outcome.error_kind), mutates_state=outcome.mutates_state)
            calls.append(RecordedCall(name, raw, outcome.ok, outcome.content, outcome.error_kind))
    add(DialogueEnded, reason=termination)
    if verify:
        verdict = verify_dialogue(DialogueRecord(task, calls, agent_texts, user_texts, termination), base)
        add(DialogueVerified, verdict=verdict.to_json(), verifier_version=verdict.verifier_version)
    return events
