"""The agent's and the user simulator's decisions: whether to speak, what a model reply becomes.

Pure functions of the dialogue view. When a turn needs a model, the decision says so (`ModelNeeded`,
with the exact messages and tools to send); the runtime makes the call and hands the reply back.
Every limit is judged by the actor whose turn it is, so a dialogue has one next move at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from actors.drafts import Draft, draft
from actors.prompts import agent_system_prompt, user_system_prompt
from actors.view import GREETING, UNUSABLE_REPLIES, DialogueView, stop_reason, unusable_agent_reply
from domains.registry import get_domain
from domains.state import Database
from events import AgentSpoke, DialogueEnded, Event, InstructionFuzzified, ModelCall, ModelCallFailed, ToolCallRequest, ToolFailed, ToolReturned, UserSpoke


@dataclass(frozen=True)
class DialogueLimits:
    max_turns: int = 100  # user and agent messages, tool-call turns included
    max_tool_errors: int = 10  # failed tool calls and unusable agent replies in the whole dialogue


@dataclass(frozen=True)
class ModelNeeded:
    """The turn needs a model reply to these messages (and, for the agent, these tools)."""

    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] | None


def _ended(reason: str, detail: str | None = None) -> list[Draft]:
    return [draft(DialogueEnded, reason=reason, detail=detail)]


def agent_step(view: DialogueView, base: Database, limits: DialogueLimits, with_acts: bool = False) -> list[Draft] | ModelNeeded:
    """What the agent does after `view.last`: nothing, greet, end the dialogue, or ask its model.

    `with_acts`: the agent is a scripted model, so its messages carry the scripted user's acts.
    """
    trigger = view.last
    if view.ended is not None:
        return []
    if isinstance(trigger, InstructionFuzzified):
        return [draft(AgentSpoke, content=GREETING)]
    if isinstance(trigger, UserSpoke):
        if stop_reason(trigger.content):
            return []  # the user simulator ends the dialogue itself
    elif isinstance(trigger, (ToolReturned, ToolFailed)) or unusable_agent_reply(trigger):
        if view.awaiting_tool_results():
            return []  # answer once every call of the turn has its result
        if view.tool_errors >= limits.max_tool_errors:
            return _ended("too_many_errors", f"{view.tool_errors} failed tool calls")
    else:
        return []
    if view.turns >= limits.max_turns:
        return _ended("max_turns", f"{view.turns} turns")
    tools = get_domain(view.domain).toolkit.openai_schemas
    return ModelNeeded(view.agent_messages(agent_system_prompt(view.domain, base), with_acts), tools)


def agent_reply(view: DialogueView, message: dict[str, Any], call: ModelCall) -> list[Draft]:
    """The agent's model reply as an AgentSpoke; tool calls without an id get a deterministic one."""
    requests = []
    for index, tool_call in enumerate(message.get("tool_calls") or []):
        function = tool_call.get("function") or {}
        arguments = function.get("arguments")
        requests.append(
            ToolCallRequest(
                id=tool_call.get("id") or f"call_{view.next_seq}_{index}",
                name=str(function.get("name") or ""),
                arguments=arguments if isinstance(arguments, str) else _json(arguments),
            )
        )
    content = message.get("content")
    return [draft(AgentSpoke, content=content if content else None, tool_calls=requests, call=call)]


def user_answers(event: Event) -> bool:
    """Whether the simulated user answers this event: an agent turn in words (a turn of tool calls is the executor's)."""
    return isinstance(event, AgentSpoke) and bool(event.content) and not event.tool_calls


def user_step(view: DialogueView, limits: DialogueLimits, with_acts: bool = False) -> list[Draft] | ModelNeeded:
    """What the simulated user does after `view.last`: answer the agent's message, or end at the limit.

    `with_acts`: the user is a scripted model, so its own earlier messages carry the acts it recorded.
    """
    trigger = view.last
    if view.ended is not None or not user_answers(trigger):
        return []
    if view.turns >= limits.max_turns:
        return _ended("max_turns", f"{view.turns} turns")
    return ModelNeeded(view.user_messages(user_system_prompt(view.instruction_text), with_acts), None)


def user_reply(message: dict[str, Any], call: ModelCall) -> list[Draft]:
    """The user's model reply as a UserSpoke, followed by DialogueEnded when it carries an end token."""
    content = (message.get("content") or "").strip()
    drafts = [draft(UserSpoke, content=content, call=call)]
    reason = stop_reason(content)
    if reason is not None:
        drafts += _ended(reason)
    return drafts


def model_failure(role: str, failure: dict[str, Any]) -> list[Draft]:
    """A model call that failed for good: the failure, then (except for the agent's unusable reply) the dialogue's end with the right blame.

    The agent's reply with nothing usable in it (empty, or cut before anything usable) is bad agent
    output like a malformed tool call: an observation, not the end. The failure is recorded, the agent's
    transcript shows it as an error, it counts as a failed call towards `max_tool_errors`, and the agent
    is asked again. The user simulator's unusable reply is the simulator's fault (`user_error`);
    everything else (rate limits, timeouts, server errors, a refused key or an unknown model) is the
    infrastructure's, so the dialogue is unscored rather than scored 0.
    """
    unusable = failure.get("error_type") in UNUSABLE_REPLIES
    if unusable and role == "agent":
        return [draft(ModelCallFailed, **failure)]
    reason = f"{role}_error" if unusable and not failure.get("retryable") else "infrastructure_failure"
    return [draft(ModelCallFailed, **failure), *_ended(reason, failure.get("message"))]



def _json(value: Any) -> str:
    import json

    return json.dumps(value if value is not None else {})
