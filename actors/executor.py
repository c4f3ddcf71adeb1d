"""The tool executor's decision: run the agent's tool calls, in order, on the dialogue's world."""

from __future__ import annotations

from actors.drafts import Draft, draft
from actors.view import DialogueView
from domains.registry import get_domain
from domains.state import Database, State
from events import AgentSpoke, Event, ToolCalled, ToolFailed, ToolReturned


def rebuild_world(view: DialogueView, base: Database, world: State | None = None, done: int = 0) -> tuple[State, int]:
    """The world after every tool call recorded so far (continuing from `world` after `done` calls)."""
    toolkit = get_domain(view.domain).toolkit
    world = world if world is not None else base.new_state()
    pairs = view.tool_calls()
    for called, _ in pairs[done:]:
        toolkit.execute(world, called.name, called.arguments)
    return world, len(pairs)


def runs_calls(event: Event) -> bool:
    """Whether the executor acts on this event: an agent turn with tool calls."""
    return isinstance(event, AgentSpoke) and bool(event.tool_calls)


def execute_tool_calls(view: DialogueView, world: State) -> list[Draft]:
    """ToolCalled + ToolReturned/ToolFailed for each call of the agent's last turn (which must be the trigger)."""
    turn = view.last
    if not runs_calls(turn) or view.ended is not None:
        return []
    toolkit = get_domain(view.domain).toolkit
    drafts: list[Draft] = []
    for call in turn.tool_calls:
        drafts.append(draft(ToolCalled, call_id=call.id, name=call.name, arguments=call.arguments))
        outcome = toolkit.execute(world, call.name, call.arguments)
        if outcome.ok:
            drafts.append(draft(ToolReturned, call_id=call.id, name=call.name, content=outcome.content, mutates_state=outcome.mutates_state))
        else:
            drafts.append(
                draft(ToolFailed, call_id=call.id, name=call.name, content=outcome.content, error_kind=str(outcome.error_kind), mutates_state=outcome.mutates_state)
            )
    return drafts
