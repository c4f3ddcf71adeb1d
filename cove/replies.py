"""Whether each model-made message is what its actor makes of the model reply its call records.

An edit that rewrites a message and recomputes the hash chain usually leaves the model's reply, kept
in the call's `raw_response`, saying something else. The actors' own functions (actors/turns.py) make
the message from the reply again, so whatever they strip or add is applied the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from actors.turns import agent_reply, user_reply
from actors.view import DialogueGapError, DialogueView
from events import AgentSpoke, Event, UserSpoke


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
