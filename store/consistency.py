"""What a dialogue's events must agree on among themselves, beyond what the hash chain proves.

The chain has no key: whoever can write the file can recompute it. These checks read what an edit
made that way usually leaves behind: a cause that is not an earlier event, a message whose recorded
model reply says something else, a summary row the events do not give. Times are not compared:
actors on different machines have skewed clocks.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from actors.turns import agent_reply, user_reply
from actors.view import DialogueGapError, DialogueView
from events import AgentSpoke, Event, UserSpoke
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


def model_reply_problems(events: Sequence[Event]) -> list[str]:
    """A message made from a model reply must be what the actor makes of the reply its call records.

    The agent's and the user's events are built by `agent_reply` and `user_reply` from the model's
    message, which the call keeps in `raw_response["message"]`; the same functions are applied again.
    """
    if not events:
        return []
    view = DialogueView(events[0].dialogue_id)  # what the actor saw: the events before the reply
    problems = []
    for event in events:
        message = _recorded_message(event)
        if message is not None:
            made = user_reply(message, event.call) if isinstance(event, UserSpoke) else agent_reply(view, message, event.call)
            differs = [name for name, value in made[0].fields.items() if name != "call" and getattr(event, name) != value]
            if differs:
                problems.append(f"event {event.event_id}: its {' and '.join(differs)} differ(s) from the model reply its call records")
        try:
            view.add(event)
        except DialogueGapError:
            break  # a gap: the chain check reports it, and the actor's view cannot be rebuilt past it
    return problems


def _recorded_message(event: Event) -> dict[str, Any] | None:
    if not isinstance(event, (UserSpoke, AgentSpoke)) or event.call is None:
        return None
    message = (event.call.raw_response or {}).get("message")
    return message if isinstance(message, dict) else None


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
