"""The scripted agent's memory: everything it knows, re-read from the transcript on every turn.

The agent keeps no state between calls. `Transcript.of(messages)` lines up the conversation (user
and agent texts, tool calls paired with their results), and `Knowledge` answers "what did this read
return?" from the calls already made, raising `ReadNeeded` for a read not made yet, so a resolver
can be written as straight-line code that is simply re-run until every read it needs is in the
transcript. Write results refresh the reads they supersede (the domain's `REFRESHES`: a modified record).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

ACTS_KEY = "scripted_acts"  # on a user message sent to a scripted agent: the scripted user's dialogue acts


class ReadNeeded(Exception):
    """The resolver needs a read that the transcript does not hold yet."""

    def __init__(self, name: str, arguments: dict[str, Any]) -> None:
        super().__init__(name)
        self.name = name
        self.arguments = arguments


class CannotResolveError(Exception):
    """The request cannot be carried out; the message is what the agent tells the customer."""


class AskAgainError(Exception):
    """A description fits more than one record; the message is the agent's question to tell them apart."""


@dataclass(frozen=True)
class Call:
    """One tool call of the agent with its result."""

    position: int  # index in Transcript.events
    name: str
    arguments: dict[str, Any]
    ok: bool
    content: str

    @property
    def result(self) -> Any:
        return parse_result(self.content) if self.ok else None


@dataclass(frozen=True)
class Turn:
    """A user or agent text message."""

    position: int
    role: str  # "user" or "agent"
    text: str
    acts: tuple[dict[str, Any], ...] | None = None  # a scripted user's dialogue acts, when it sent them


@dataclass
class Transcript:
    events: list[Turn | Call] = field(default_factory=list)
    system: str = ""
    multi_call_turns: int = 0  # agent turns with more than one tool call
    mixed_turns: int = 0  # agent turns with both text and a tool call

    @classmethod
    def of(cls, messages: list[dict[str, Any]]) -> Transcript:
        transcript = cls()
        pending: dict[str, tuple[str, dict[str, Any]]] = {}
        for message in messages:
            role, content = message.get("role"), message.get("content")
            if role == "system":
                transcript.system = content or ""
            elif role == "user":
                acts = message.get(ACTS_KEY)
                transcript.events.append(Turn(len(transcript.events), "user", content or "", tuple(acts) if isinstance(acts, list) else None))
            elif role == "assistant":
                transcript.multi_call_turns += len(message.get("tool_calls") or []) > 1
                transcript.mixed_turns += bool(content and message.get("tool_calls"))
                for tool_call in message.get("tool_calls") or []:
                    function = tool_call.get("function") or {}
                    pending[tool_call.get("id", "")] = (function.get("name", ""), _arguments(function.get("arguments")))
                if content and not message.get("tool_calls"):
                    transcript.events.append(Turn(len(transcript.events), "agent", content))
            elif role == "tool":
                name, arguments = pending.pop(message.get("tool_call_id", ""), (message.get("name", ""), {}))
                text = content or ""
                transcript.events.append(Call(len(transcript.events), name, arguments, not text.startswith("Error:"), text))
        return transcript

    @property
    def calls(self) -> list[Call]:
        return [event for event in self.events if isinstance(event, Call)]

    def turns(self, role: str | None = None) -> list[Turn]:
        return [event for event in self.events if isinstance(event, Turn) and (role is None or event.role == role)]

    @property
    def last(self) -> Turn | Call | None:
        return self.events[-1] if self.events else None

    def last_turn(self, role: str) -> Turn | None:
        turns = self.turns(role)
        return turns[-1] if turns else None


def _arguments(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    try:
        value = json.loads(raw) if raw else {}
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


@lru_cache(maxsize=2048)  # bounded: enough for the dialogues in flight
def parse_result(content: str) -> Any:
    """A tool result's JSON value (shared and cached: never mutate it); plain text stays text."""
    try:
        return json.loads(content)
    except ValueError:
        return content


def same_arguments(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


class Knowledge:
    """What the agent's reads (and the writes that refresh them) returned, up to a point in the transcript.

    `refreshes` (the domain's `REFRESHES`): write -> (read, its id argument) whose record the write's result is the new version of.
    """

    def __init__(self, transcript: Transcript, refresh_until: int | None = None, refreshes: dict[str, tuple[str, str]] | None = None) -> None:
        refreshes = refreshes or {}
        self.results: dict[str, Call] = {}
        self.firsts: dict[str, Call] = {}  # the first successful result of each read (a record before it was changed)
        for call in transcript.calls:
            if call.ok:
                self.firsts.setdefault(_key(call.name, call.arguments), call)
            refresh = refreshes.get(call.name)
            if refresh and call.ok and (refresh_until is None or call.position < refresh_until):
                read, key = refresh
                self.results[_key(read, {key: call.arguments.get(key)})] = call
            self.results[_key(call.name, call.arguments)] = call

    def read(self, name: str, **arguments: Any) -> Any:
        """The latest result of `name(arguments)`; ReadNeeded if never made, CannotResolveError if it failed."""
        call = self.results.get(_key(name, arguments))
        if call is None:
            raise ReadNeeded(name, arguments)
        if not call.ok:
            raise CannotResolveError(f"I could not look that up ({call.content.removeprefix('Error: ')}).")
        return call.result

    def first(self, name: str, **arguments: Any) -> Any:
        """The first successful result of `name(arguments)` (as the record was before any change), or None."""
        call = self.firsts.get(_key(name, arguments))
        return call.result if call is not None else None

    def has(self, name: str, **arguments: Any) -> bool:
        return _key(name, arguments) in self.results


def _key(name: str, arguments: dict[str, Any]) -> str:
    return name + json.dumps(arguments, sort_keys=True)
