"""What each event changes in its dialogue's summary row: pure functions, no database."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from events import (
    AgentSpoke,
    DialogueEnded,
    DialogueVerified,
    Event,
    TaskSampled,
    UserSpoke,
)

SUMMARY_COLUMNS = (
    "task_id",
    "domain",
    "seed",
    "base_db_hash",
    "agent_model",
    "user_model",
    "constraint_types",
    "termination_reason",
    "score",
    "scored",
    "attribution",
    "verifier_version",
)


def constraint_types_of(task: dict[str, Any]) -> list[str]:
    """The distinct `type`s of a task's constraints, in order of first appearance."""
    types: dict[str, None] = {}
    for constraint in task.get("constraints") or []:
        if isinstance(constraint, dict) and isinstance(constraint.get("type"), str):
            types[constraint["type"]] = None
    return list(types)


def summary_changes(event: Event) -> dict[str, Any]:
    """The `dialogues` columns this event sets (a later event's value replaces an earlier one's)."""
    match event:
        case TaskSampled(task=task):
            task_id = task.get("task_id")
            return {
                "task_id": None if task_id is None else str(task_id),
                "domain": event.domain,
                "seed": event.seed,
                "base_db_hash": event.base_db_hash,
                "constraint_types": json.dumps(constraint_types_of(task)),
            }
        case AgentSpoke(call=call) if call is not None:
            return {"agent_model": call.model}
        case UserSpoke(call=call) if call is not None:
            return {"user_model": call.model}
        case DialogueEnded(reason=reason):
            return {"termination_reason": reason.value}
        case DialogueVerified(verdict=verdict):
            return _verdict_columns(verdict) | {"verifier_version": event.verifier_version}
    return {}


def projected_summary(events: Iterable[Event]) -> dict[str, Any]:
    """The summary row a dialogue's events give: every column of SUMMARY_COLUMNS (None where no event
    sets it) and `n_events`, folded as the store folds them when it appends."""
    row: dict[str, Any] = dict.fromkeys(SUMMARY_COLUMNS)
    n_events = 0
    for event in events:
        row.update(summary_changes(event))
        n_events += 1
    return row | {"n_events": n_events}


def _verdict_columns(verdict: dict[str, Any]) -> dict[str, Any]:
    score = verdict.get("score")
    scored = bool(verdict.get("scored", score is not None)) and score is not None
    attribution = verdict.get("attribution")
    if attribution is not None and not isinstance(attribution, str):
        attribution = json.dumps(attribution, sort_keys=True)
    return {
        "score": float(score) if scored else None,
        "scored": int(scored),
        "attribution": attribution,
    }
