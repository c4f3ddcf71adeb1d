"""What the verifier judges: a task and the dialogue played for it, turn by turn, as recorded.

A `DialogueRecord` holds the task, every tool call with its recorded result, the agent's and the
user's texts, how the dialogue ended and, when the conversation itself was recorded, its `turns` in
order (who spoke, what they said, which tool calls an agent turn made, at which event). A record built
from actions alone (τ²-bench's gold trajectories carry no conversation) has no turns: the rules about
how the agent converses are then "not applicable", never "passed".
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from domains.constraints import Task


@dataclass(frozen=True)
class RecordedCall:
    """A tool call as the dialogue recorded it (arguments as sent; `ok` and `content` as returned)."""

    name: str
    arguments: Any
    ok: bool
    content: str
    error_kind: str | None = None
    event: int | None = None  # the sequence number of its ToolCalled event, when recorded

    @property
    def mapping(self) -> dict[str, Any]:
        """The arguments as a dict ({} when they are not a JSON object)."""
        return as_mapping(self.arguments)


@dataclass(frozen=True)
class Turn:
    """One message: the user's text, or the agent's text and/or tool calls."""

    role: str  # "user" or "agent"
    text: str = ""
    calls: tuple[RecordedCall, ...] = ()
    event: int | None = None  # the sequence number of its UserSpoke / AgentSpoke event


@dataclass(frozen=True)
class DialogueRecord:
    """What the verifier needs from a dialogue: the task, the calls, the messages, how it ended."""

    task: Task
    calls: list[RecordedCall]
    agent_messages: list[str]
    user_messages: list[str]
    termination: str
    turns: tuple[Turn, ...] | None = field(default=None)

    @classmethod
    def from_turns(cls, task: Task, turns: Iterable[Turn], termination: str) -> DialogueRecord:
        """A record of a recorded conversation: calls and texts are read off its turns."""
        turns = tuple(turns)
        calls = [call for turn in turns for call in turn.calls]
        agent = [turn.text for turn in turns if turn.role == "agent" and turn.text]
        user = [turn.text for turn in turns if turn.role == "user"]
        return cls(task, calls, agent, user, termination, turns)

    @property
    def has_conversation(self) -> bool:
        return self.turns is not None


def as_mapping(arguments: Any) -> dict[str, Any]:
    """Tool-call arguments as a dict: a JSON string is parsed; anything that is not an object is {}."""
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except ValueError:
            return {}
    return arguments if isinstance(arguments, dict) else {}
