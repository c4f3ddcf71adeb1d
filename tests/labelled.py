"""Helpers for labelled dialogues: tasks drawn from our generated worlds, and turns written the way real
LLM agents and customers write them (paraphrase, first person, corrections, slips of process).

A labelled dialogue goes through the real path: its events are built as the actors record them,
replayed from the log, and verified.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from typing import Any

from domains.constraints import Task
from domains.fuzzy import format_amount
from domains.sampling import sample_tasks
from domains.state import Database
from domains.verification import Verdict, verify_dialogue
from store.replay import replay_dialogue
from tests.conftest import generated_base
from tests.dialogues import dialogue_events

GREETING = "Hi! How can I help you today?"
STOP = "###STOP###"


@cache
def _tasks(domain: str, seed: int) -> list[Task]:
    return sample_tasks(domain, generated_base(domain), 400, seed=seed, k_range="1-1").tasks


def task_of(domain: str, goal_type: str, where: Callable[[Task, Database], bool] = lambda task, base: True, seed: int = 7) -> Task:
    """The first sampled one-goal task of this type (that also satisfies `where`)."""
    base = generated_base(domain)
    for task in _tasks(domain, seed):
        if task.constraints[0].type == goal_type and where(task, base):
            return task
    raise LookupError(f"no {domain} task of type {goal_type} fits")


def verdict(task: Task, turns: list[tuple], termination: str = "user_stop") -> Verdict:
    """The verdict on a dialogue of `turns` (the agent's greeting comes first), through events and replay."""
    base = generated_base(task.domain)
    events = dialogue_events("labelled", task, base, [("agent", GREETING), *turns], termination=termination, verify=False)
    return verify_dialogue(replay_dialogue(events, lambda domain, content_hash: base).record, base)


def rules(verdict: Verdict) -> list[str]:
    """The violated rules, in order."""
    return [v["rule"] for v in verdict.violations]


def money(value: float | str) -> str:
    """An amount as an agent writes it: '$1,093.30'."""
    return f"${float(value):,.2f}"


def args(task: Task, index: int = 0) -> dict[str, Any]:
    return dict(task.constraints[0].actions[index].arguments)


def call(name: str, **arguments: Any) -> tuple:
    return ("call", name, arguments)


def as_json(value: Any) -> str:
    return json.dumps(value)


def amount(task: Task) -> str:
    """The expected value of a one-goal information task."""
    return task.constraints[0].expected_info[0]


def shifted(value: str, by: float) -> str:
    return format_amount(float(value) + by)
