"""What a dialogue's events must agree on among themselves, beyond what the hash chain proves.

The chain has no key: whoever can write the file can recompute it. These checks read what an edit
made that way usually leaves behind: a cause that is not an earlier event, a summary row the events
do not give (a message whose recorded model reply says something else: cove/replies.py). Times are not compared:
actors on different machines have skewed clocks.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from events import Event
from store.projection import constraint_types_of, projected_summary


def causation_problems(events: Sequence[Event]) -> list[str]:
    """Each event's cause, when it names one, must be an earlier event of the same dialogue."""
    seen: set[str] = set()
    stored = {event.event_id for event in events}
    problems = []
    for event in events:
        cause = event.causation_id
        if cause is not None and cause not in seen:
            what = "itself" if cause == event.event_id else "a later event" if cause in stored else "no event of this dialogue"
            problems.append(f"event {event.event_id} names {cause} as its cause, which is {what}: a cause is an earlier event of the dialogue")
        seen.add(event.event_id)
    return problems


def summary_problems(row: dict[str, Any], kinds: list[str], events: Sequence[Event]) -> list[str]:
    """The `dialogues` row and `constraint_types` rows must be what the events give (store/projection.py's fold).

    `n_events` is left to the chain check, which compares it with the events stored.
    """
    expected = projected_summary(events)
    wrong = [
        f"{column} {json.dumps(row.get(column), default=str)} (the events give {json.dumps(value)})"
        for column, value in expected.items()
        if column != "n_events" and row.get(column) != value
    ]
    task = next((e.task for e in reversed(events) if e.type == "task_sampled"), {})
    if sorted(kinds) != sorted(constraint_types_of(task)):
        wrong.append(f"constraint_types rows {sorted(kinds)} (the task gives {sorted(constraint_types_of(task))})")
    return [f"the summary row disagrees with the events: {'; '.join(wrong)}"] if wrong else []
