"""A dialogue as a pure fold over its events: what every actor needs to decide its next move.

`DialogueView.of(events)` rebuilds the conversation from the log; nothing here reads the clock, a
model or the network. The agent sees the OpenAI transcript (system prompt, its own turns, the user's
turns, tool calls and results); the user simulator sees the same conversation with the roles turned
around and no tools.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from domains.constraints import Task
from domains.scripted.transcript import ACTS_KEY
from events import (
    AgentSpoke,
    DialogueEnded,
    DialogueRequested,
    DialogueVerified,
    Event,
    InstructionFuzzified,
    ModelCallFailed,
    TaskSampled,
    ToolCalled,
    ToolFailed,
    ToolReturned,
    UserSpoke,
)

GREETING = "Hi! How can I help you today?"
STOP_TOKENS = {"###STOP###": "user_stop", "###TRANSFER###": "transfer", "###OUT-OF-SCOPE###": "out_of_scope"}
UNUSABLE_REPLIES = ("empty_reply", "truncated_reply")  # model replies with nothing usable in them


def unusable_agent_reply(event: Event) -> bool:
    """The agent's model (or `cove serve`'s policy) answered nothing usable: bad agent output, which the
    dialogue goes on after like a failed tool call (an agent turn, and an error in its transcript)."""
    return isinstance(event, ModelCallFailed) and event.role == "agent" and event.error_type in UNUSABLE_REPLIES


class DialogueGapError(ValueError):
    """The events handed to a view are not the contiguous prefix 0..n of one dialogue."""


def stop_reason(text: str | None) -> str | None:
    """The termination reason a user message's end token means, if it has one."""
    for token, reason in STOP_TOKENS.items():
        if text and token in text:
            return reason
    return None


@dataclass
class DialogueView:
    dialogue_id: str
    events: list[Event] = field(default_factory=list)
    request: DialogueRequested | None = None
    task_event: TaskSampled | None = None
    instruction: InstructionFuzzified | None = None
    ended: DialogueEnded | None = None
    verified: DialogueVerified | None = None
    turns: int = 0  # user and agent messages (tool calls included)
    tool_errors: int = 0

    @classmethod
    def of(cls, events: Sequence[Event]) -> DialogueView:
        if not events:
            raise DialogueGapError("no events")
        view = cls(events[0].dialogue_id)
        for event in events:
            view.add(event)
        return view

    def add(self, event: Event) -> None:
        if event.dialogue_id != self.dialogue_id or event.seq != len(self.events):
            raise DialogueGapError(f"{event.event_id} does not follow {self.dialogue_id}:{len(self.events) - 1:04d}")
        self.events.append(event)
        if isinstance(event, DialogueRequested):
            self.request = event
        elif isinstance(event, TaskSampled):
            self.task_event = event
        elif isinstance(event, InstructionFuzzified):
            self.instruction = event
        elif isinstance(event, (UserSpoke, AgentSpoke)):
            self.turns += 1
        elif isinstance(event, ToolFailed):
            self.tool_errors += 1
        elif unusable_agent_reply(event):
            self.turns += 1
            self.tool_errors += 1
        elif isinstance(event, DialogueEnded):
            self.ended = event
        elif isinstance(event, DialogueVerified):
            self.verified = event

    # --- derived facts -------------------------------------------------------------------------

    @property
    def last(self) -> Event:
        return self.events[-1]

    @property
    def next_seq(self) -> int:
        return len(self.events)

    @property
    def task(self) -> Task:
        assert self.task_event is not None, "no task yet"
        task = Task.model_validate(self.task_event.task)
        if self.instruction is not None:
            task = task.model_copy(update={"instruction": self.instruction.instruction})
        return task

    @property
    def instruction_text(self) -> str:
        """`task.instruction`, without validating the whole task: the fuzzified instruction, else the sampled one."""
        assert self.task_event is not None, "no task yet"
        if self.instruction is not None:
            return self.instruction.instruction
        return self.task_event.task.get("instruction", Task.model_fields["instruction"].default)

    @property
    def domain(self) -> str:
        return self.task_event.domain if self.task_event else self.request.domain  # type: ignore[union-attr]

    def last_agent_turn(self) -> AgentSpoke | None:
        return next((e for e in reversed(self.events) if isinstance(e, AgentSpoke)), None)

    def awaiting_tool_results(self) -> list[str]:
        """Ids of the last agent turn's tool calls that have no result yet."""
        turn = self.last_agent_turn()
        if turn is None or not turn.tool_calls:
            return []
        answered = {e.call_id for e in self.events[turn.seq + 1 :] if isinstance(e, (ToolReturned, ToolFailed))}
        return [call.id for call in turn.tool_calls if call.id not in answered]

    def tool_calls(self) -> list[tuple[ToolCalled, ToolReturned | ToolFailed]]:
        """Every executed tool call with its result, in order."""
        called: dict[str, ToolCalled] = {}
        pairs = []
        for event in self.events:
            if isinstance(event, ToolCalled):
                called[event.call_id] = event
            elif isinstance(event, (ToolReturned, ToolFailed)) and event.call_id in called:
                pairs.append((called[event.call_id], event))
        return pairs

    # --- transcripts ---------------------------------------------------------------------------

    def agent_messages(self, system_prompt: str, with_acts: bool = False) -> list[dict[str, Any]]:
        """The agent's transcript in OpenAI chat format (also the SFT row's `messages`).

        `with_acts` (only for a scripted agent) adds to each user message the dialogue acts the
        scripted user recorded for it, under `ACTS_KEY`; exports and real models never get them.
        """
        messages: list[dict[str, Any]] = [{"role": "system", "content": system_prompt}]
        for event in self.events:
            if isinstance(event, AgentSpoke):
                if event.tool_calls:
                    messages.append(
                        {
                            "role": "assistant",
                            "content": event.content,
                            "tool_calls": [
                                {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
                                for c in event.tool_calls
                            ],
                        }
                    )
                else:
                    messages.append({"role": "assistant", "content": event.content or ""})
            elif isinstance(event, UserSpoke):
                message = {"role": "user", "content": event.content}
                if with_acts and (acts := scripted_acts(event)) is not None:
                    message[ACTS_KEY] = acts
                messages.append(message)
            elif isinstance(event, (ToolReturned, ToolFailed)):
                messages.append({"role": "tool", "tool_call_id": event.call_id, "name": event.name, "content": event.content})
            elif unusable_agent_reply(event):
                messages += unusable_reply_messages(event)  # type: ignore[arg-type]
        return messages

    def user_messages(self, system_prompt: str, with_acts: bool = False) -> list[dict[str, Any]]:
        """The user simulator's transcript: the agent's words as 'user', its own as 'assistant'.

        `with_acts` (only for a scripted user) adds to its own messages the acts it recorded with them.
        """
        messages: list[dict[str, Any]] = [{"role": "system", "content": system_prompt}]
        for event in self.events:
            if isinstance(event, AgentSpoke) and event.content and not event.tool_calls:
                messages.append({"role": "user", "content": event.content})
            elif isinstance(event, UserSpoke):
                message = {"role": "assistant", "content": event.content}
                if with_acts and (acts := scripted_acts(event)) is not None:
                    message[ACTS_KEY] = acts
                messages.append(message)
        return messages


def unusable_reply_messages(event: ModelCallFailed) -> list[dict[str, Any]]:
    """How the agent's transcript shows a reply with nothing usable in it: the empty assistant turn, then the
    error as the environment's (system) message, as a tool's error would answer a bad call (no call id to answer)."""
    return [{"role": "assistant", "content": ""}, {"role": "system", "content": f"Error: {event.message}. Write to the customer or call one tool."}]


def scripted_acts(event: UserSpoke) -> list[dict[str, Any]] | None:
    """The dialogue acts a scripted user recorded with its message, if it was one."""
    raw = event.call.raw_response if event.call is not None else None
    script = (raw or {}).get("script") or {}
    acts = script.get("acts")
    return acts if isinstance(acts, list) else None


def tool_arguments_text(arguments: Any) -> str:
    """Arguments as the JSON string OpenAI sends (a string is kept as the model wrote it)."""
    return arguments if isinstance(arguments, str) else json.dumps(arguments)
