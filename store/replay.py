"""Rebuild a dialogue from its events, with no model and no NATS, and prove the log is true.

`replay_dialogue` re-executes every recorded tool call, in order, on a fresh state over the base
database the task was sampled from; every result must equal the recorded one byte for byte. A
mismatch (a tampered log, or a tool that is not deterministic) is a `ReplayMismatchError` naming the
event. The rebuilt `DialogueRecord` is what the verifier judges.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from domains.constraints import Task
from domains.registry import get_domain
from domains.state import Database
from domains.dialogue import DialogueRecord, RecordedCall, Turn
from events import AgentSpoke, DialogueEnded, Event, InstructionFuzzified, TaskSampled, ToolCalled, ToolFailed, ToolReturned, UserSpoke

STOP_TOKEN = "###STOP###"


class ReplayError(Exception):
    """A dialogue that cannot be replayed from its events."""


class ReplayMismatchError(ReplayError):
    """A re-executed tool call did not give the recorded result."""

    def __init__(self, event_id: str, name: str, recorded: str, replayed: str) -> None:
        self.event_id, self.name, self.recorded, self.replayed = event_id, name, recorded, replayed
        super().__init__(
            f"event {event_id}: {name} replays to a different result\n  recorded: {recorded[:300]}\n  replayed: {replayed[:300]}"
        )


@dataclass(frozen=True)
class ReplayedDialogue:
    record: DialogueRecord
    task_event: TaskSampled
    ended: DialogueEnded | None


def replay_dialogue(events: Sequence[Event], base_for: Callable[[str, str], Database]) -> ReplayedDialogue:
    """Check every tool result of a dialogue against a re-execution and rebuild its record.

    `base_for(domain, base_db_hash)` returns the base database the task was sampled from.
    """
    task_event = next((e for e in events if isinstance(e, TaskSampled)), None)
    if task_event is None:
        raise ReplayError(f"dialogue {events[0].dialogue_id if events else '?'} has no task_sampled event")
    task = Task.model_validate(task_event.task)
    instruction = next((e for e in events if isinstance(e, InstructionFuzzified)), None)
    if instruction is not None and instruction.instruction != task.instruction:
        task = task.model_copy(update={"instruction": instruction.instruction})
    base = base_for(task_event.domain, task_event.base_db_hash)
    if base.content_hash != task_event.base_db_hash:
        raise ReplayError(f"base database hash {base.content_hash[:12]} is not the task's {task_event.base_db_hash[:12]}")
    toolkit = get_domain(task_event.domain).toolkit
    state = base.new_state()
    turns: list[Turn] = []
    pending: dict[str, ToolCalled] = {}
    ended = None
    for event in events:
        if isinstance(event, ToolCalled):
            pending[event.call_id] = event
        elif isinstance(event, (ToolReturned, ToolFailed)):
            called = pending.pop(event.call_id, None)
            if called is None:
                raise ReplayError(f"event {event.event_id}: result for call {event.call_id} that was never called")
            outcome = toolkit.execute(state, called.name, called.arguments)
            if outcome.content != event.content or outcome.ok != isinstance(event, ToolReturned):
                raise ReplayMismatchError(event.event_id, called.name, event.content, outcome.content)
            error_kind = None if outcome.ok else str(outcome.error_kind)
            call = RecordedCall(called.name, called.arguments, outcome.ok, outcome.content, error_kind, called.seq)
            if not turns or turns[-1].role != "agent":
                raise ReplayError(f"event {event.event_id}: tool result with no agent turn before it")
            turns[-1] = replace(turns[-1], calls=turns[-1].calls + (call,))
        elif isinstance(event, AgentSpoke):
            turns.append(Turn("agent", event.content or "", (), event.seq))
        elif isinstance(event, UserSpoke):
            turns.append(Turn("user", event.content, (), event.seq))
        elif isinstance(event, DialogueEnded):
            ended = event
    if pending:
        raise ReplayError(f"call(s) {sorted(pending)} have no recorded result")
    termination = str(ended.reason) if ended is not None else "unfinished"
    record = DialogueRecord.from_turns(task, turns, termination)
    return ReplayedDialogue(record, task_event, ended)
