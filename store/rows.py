"""Dialogues from outside the event log, in the shape trainers use: a CoVe-12k row (`sft.jsonl`).

A row holds the agent's conversation in OpenAI chat format (`messages`: system, user, assistant with
`content` or `tool_calls`, tool results), its domain (`data_source`) and, in `meta`, the task it was
played for (`constraints`, `user_id`, `descriptions`, `instruction`...), as `cove run` writes it. Any
dialogue written that way (by another generator, or by hand) can be graded like one of ours: its tool
calls are re-executed on the base database, in order; a tool result in the row that differs from the
re-execution is reported (the verdict uses the re-executed world either way).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from domains.constraints import Task
from domains.dialogue import DialogueRecord, RecordedCall, Turn
from domains.registry import get_domain
from domains.state import Database

END_TOKENS = {"###STOP###": "user_stop", "###TRANSFER###": "transfer", "###OUT-OF-SCOPE###": "out_of_scope"}


class RowError(ValueError):
    """A row that cannot be read as a dialogue (the message says what is missing or malformed)."""


@dataclass
class GradedRow:
    record: DialogueRecord
    problems: list[str] = field(default_factory=list)


def task_of_row(row: dict[str, Any]) -> Task:
    """The task a row was played for, from its `meta` (as `cove run` writes it) and `data_source`."""
    meta = row.get("meta")
    if not isinstance(meta, dict) or not isinstance(meta.get("constraints"), list):
        raise RowError("the row has no meta.constraints: the task it was played for is unknown")
    domain = row.get("data_source") or meta.get("domain")
    if not isinstance(domain, str):
        raise RowError("the row names no domain (data_source)")
    try:
        return Task.model_validate(
            {
                "task_id": str(meta.get("task_id") or meta.get("dialogue_id") or "row"),
                "domain": domain,
                "user_id": str(meta.get("user_id") or ""),
                "constraints": meta["constraints"],
                "descriptions": meta.get("descriptions") or {},
                "instruction": meta.get("instruction") or "",
                "fuzz": meta.get("fuzz") or "full",
                "human_handoff": bool(meta.get("human_handoff", False)),
            }
        )
    except ValueError as exc:
        raise RowError(f"meta does not describe a task: {exc}") from None


def record_of_row(row: dict[str, Any], base: Database) -> GradedRow:
    """The dialogue record of a row, its calls re-executed on `base`; RowError if it is not a dialogue."""
    task = task_of_row(row)
    messages = row.get("messages")
    if not isinstance(messages, list) or not messages:
        raise RowError("the row has no messages")
    toolkit = get_domain(task.domain).toolkit
    state = base.new_state()
    turns: list[Turn] = []
    results, problems = _paired_results(messages)
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            raise RowError(f"message {index} is not an object")
        role, content = message.get("role"), message.get("content")
        text = content if isinstance(content, str) else ""
        if role == "user":
            turns.append(Turn("user", text, (), index))
        elif role == "assistant":
            calls = []
            for position, request in enumerate(message.get("tool_calls") or []):
                function = request.get("function") or {} if isinstance(request, dict) else {}
                name, arguments = str(function.get("name") or ""), function.get("arguments")
                outcome = toolkit.execute(state, name, arguments)
                said = results.get((index, position))
                if said is not None and said != outcome.content:
                    problems.append(f"message {index}: the row's result of {name} differs from re-executing it ({said[:80]!r} vs {outcome.content[:80]!r})")
                calls.append(RecordedCall(name, arguments, outcome.ok, outcome.content, None if outcome.ok else str(outcome.error_kind), index))
            turns.append(Turn("agent", text, tuple(calls), index))
    last_user = next((t.text for t in reversed(turns) if t.role == "user"), "")
    termination = next((reason for token, reason in END_TOKENS.items() if token in last_user), "unfinished")
    transfer = max((i for i, t in enumerate(turns) for c in t.calls if c.name == "transfer_to_human_agents" and c.ok), default=-1)
    if transfer >= 0 and not any(t.role == "user" for t in turns[transfer + 1 :]):
        termination = "transfer"  # the dialogue ends with the agent handing over
    return GradedRow(DialogueRecord.from_turns(task, turns, termination), problems)


def _paired_results(messages: list[Any]) -> tuple[dict[tuple[int, int], str], list[str]]:
    """Each tool result paired with the earliest unanswered call of its id made before it, by (message index, position
    in its tool_calls); and a problem for a result that answers no such call and for a call left with no result."""
    results: dict[tuple[int, int], str] = {}
    pending: dict[str, list[tuple[int, int, str]]] = {}
    problems: list[str] = []
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            continue
        if message.get("role") == "assistant":
            for position, request in enumerate(message.get("tool_calls") or []):
                if isinstance(request, dict):
                    name = str((request.get("function") or {}).get("name") or "")
                    pending.setdefault(str(request.get("id")), []).append((index, position, name))
        elif message.get("role") == "tool":
            call_id = str(message.get("tool_call_id"))
            if pending.get(call_id):
                made, position, _ = pending[call_id].pop(0)
                results[(made, position)] = str(message.get("content") or "")
            else:
                problems.append(f"message {index}: a tool result for call {call_id!r}, which no earlier assistant message made")
    problems += [f"message {index}: the call of {name} ({call_id!r}) has no tool result in the row" for call_id, calls in pending.items() for index, _, name in calls]
    return results, problems


def read_rows(text: str) -> list[tuple[int, dict[str, Any] | None, str | None]]:
    """(line number, row, error) for each non-empty line of a JSONL text."""
    out: list[tuple[int, dict[str, Any] | None, str | None]] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            out.append((number, None, f"not JSON: {exc}"))
            continue
        out.append((number, row, None) if isinstance(row, dict) else (number, None, "not a JSON object"))
    return out
