"""`cove serve`'s episodes as pure functions of their events: ids, whose turn it is, what the policy's message becomes.

An episode is a dialogue in which the trainer's policy plays the agent. Its id names the task it plays
(`serve-retail-s1-c1-3-ffull-000007-g2`: seed 1, goals 1-3, fuzz full, task 7, member 2 of its group).
Nothing here reads the clock, NATS or HTTP: the service (cove/serve.py) does.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from actors.drafts import Draft
from actors.runtime import call_seed
from actors.turns import DialogueLimits, ModelNeeded, agent_reply, agent_step, model_failure
from actors.view import DialogueView
from domains.state import Database
from events import ModelCall, TokenUsage

POLICY_MODEL = "cove-serve/policy"  # what the recorded config says plays the agent; a step may name its model
EMPTY_MESSAGE = "the policy's message had no content and no tool calls"


class Phase(StrEnum):
    """Where an episode stands."""

    RUNNING = "running"  # cove's actors are at work (sampling, the customer, the tools, the verdict)
    POLICY_TURN = "policy_turn"  # waiting for the policy's next message
    DONE = "done"  # verified (scored or not)


@dataclass(frozen=True)
class TaskChoice:
    """Which task an episode plays: the sequence (seed, goal range, fuzz) and the task's place in it."""

    domain: str
    seed: int
    constraints: str
    fuzz: str

    @property
    def run_id(self) -> str:
        return f"serve-{self.domain}-s{self.seed}-c{self.constraints}-f{self.fuzz}"

    def episode_id(self, task_index: int, member: int) -> str:
        return f"{self.run_id}-{task_index:06d}-g{member}"


def member_user_seed(seed: int, task_index: int, member: int) -> int | None:
    """The user simulator's seed for member `member` of a group: the run's own for member 0 (so it plays
    exactly as `cove run` with that seed), a seeded draw for the others."""
    if member == 0:
        return None
    digest = hashlib.sha256(f"cove-serve-user:{seed}:{task_index}:{member}".encode()).digest()
    return int.from_bytes(digest[:6], "big")


def phase(view: DialogueView, base: Database, limits: DialogueLimits) -> Phase:
    """DONE once verified; POLICY_TURN when the agent's next move needs its model; RUNNING otherwise."""
    if view.verified is not None:
        return Phase.DONE
    if view.ended is not None:
        return Phase.RUNNING
    return Phase.POLICY_TURN if isinstance(agent_step(view, base, limits), ModelNeeded) else Phase.RUNNING


def transcript(view: DialogueView, system_prompt: str, with_acts: bool = False) -> list[dict[str, Any]]:
    """The agent's transcript without its system message (OpenAI chat format)."""
    return view.agent_messages(system_prompt, with_acts)[1:]


def policy_seed(view: DialogueView) -> int:
    """The seed `cove run` would give the agent's model call at this point (a policy may sample with it)."""
    return call_seed(view, "agent")


def _text(content: Any) -> str | None:
    """OpenAI content: a string, or a list of parts whose text parts are joined."""
    if content is None or isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [part.get("text") for part in content if isinstance(part, dict) and isinstance(part.get("text"), str)]
        return "".join(parts) if parts else None
    return json.dumps(content)


def _tool_call(raw: Any, index: int, seen: set[str]) -> dict[str, Any]:
    """A tool call as recorded: whatever is malformed in it is kept for the tool executor to refuse."""
    call = raw if isinstance(raw, dict) else {}
    function = call.get("function") if isinstance(call.get("function"), dict) else {}
    arguments = function.get("arguments")
    call_id = call.get("id") if isinstance(call.get("id"), str) and call.get("id") and call.get("id") not in seen else None
    if call_id:
        seen.add(call_id)
    name = function.get("name")
    return {"id": call_id, "type": "function", "function": {"name": name if isinstance(name, str) else json.dumps(name) if name is not None else "",
                                                           "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments if arguments is not None else {})}}


def recorded_message(message: dict[str, Any]) -> dict[str, Any]:
    """The policy's assistant message as the agent's call records it: text content, tool calls with string
    arguments, and no id that is missing or repeated (the agent's own rule numbers those)."""
    content = _text(message.get("content"))
    raw_calls = message.get("tool_calls")
    calls = raw_calls if isinstance(raw_calls, list) else ([] if raw_calls is None else [raw_calls])
    seen: set[str] = set()
    recorded: dict[str, Any] = {"role": "assistant", "content": content}
    if calls:
        recorded["tool_calls"] = [_tool_call(call, index, seen) for index, call in enumerate(calls)]
    return recorded


def policy_turn(view: DialogueView, message: dict[str, Any], model: str, usage: dict[str, int] | None = None) -> list[Draft]:
    """What the policy's message becomes, exactly as the agent actor makes a model reply into events.

    Malformed arguments, unknown tools and text beside a tool call are kept as said: the executor
    answers the calls (a bad one with a tool error) and the verifier judges the turn by its rules. A
    message with neither text nor a tool call is what `cove run` records for a model that answers
    nothing usable: the failure, which the transcript shows as an error, counts towards the error limit
    like a failed tool call, and leaves the turn with the policy.
    """
    recorded = recorded_message(message)
    if not (recorded["content"] or "").strip() and not recorded.get("tool_calls"):
        return model_failure("agent", {"role": "agent", "model": model, "error_type": "empty_reply", "message": EMPTY_MESSAGE, "attempts": 1, "retryable": False})
    call = ModelCall(model=model, usage=TokenUsage(**(usage or {})), raw_response={"message": recorded})
    return agent_reply(view, recorded, call)
