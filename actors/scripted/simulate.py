"""Run one task between the scripted user and the scripted agent in-process: no bus, no litellm.

The loop mirrors the pipeline's transcripts (`actors.view`): the agent sees its system prompt, the
greeting, the user's turns, its tool calls and their exact result texts; the user sees the agent's
texts as 'user' and its own as 'assistant'. Tool calls run on a copy-on-write state over `base`.
Benchmarks and tests reuse it to score the scripted models with the verifier.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from actors.prompts import agent_system_prompt, user_system_prompt
from actors.scripted.agent import respond_agent
from actors.scripted.user import respond_user
from actors.view import GREETING, stop_reason
from domains.constraints import Task
from domains.registry import get_domain
from domains.state import Database
from domains.dialogue import DialogueRecord, RecordedCall, Turn

MAX_TURNS = 60


@dataclass
class SimulatedDialogue:
    """A finished dialogue: both transcripts, the executed calls, and how it ended."""

    task: Task
    agent_messages: list[dict[str, Any]]
    user_messages: list[dict[str, Any]]
    calls: list[RecordedCall] = field(default_factory=list)
    agent_texts: list[str] = field(default_factory=list)
    user_texts: list[str] = field(default_factory=list)
    termination: str = "max_turns"
    turns: int = 0
    conversation: list[Turn] = field(default_factory=list)  # the turns in order, as the verifier reads them

    def record(self) -> DialogueRecord:
        """What the verifier needs."""
        return DialogueRecord.from_turns(self.task, self.conversation, self.termination)


def simulate_task(task: Task, base: Database, error_rate: float = 0.0, seed: int = 0, max_turns: int = MAX_TURNS) -> SimulatedDialogue:
    """Play `task` to its end (the user's end token, or `max_turns` user and agent turns)."""
    domain = get_domain(task.domain)
    tools = domain.toolkit.openai_schemas
    state = base.new_state()
    dialogue = SimulatedDialogue(
        task,
        agent_messages=[{"role": "system", "content": agent_system_prompt(task.domain, base)}, {"role": "assistant", "content": GREETING}],
        user_messages=[{"role": "system", "content": user_system_prompt(task.instruction)}, {"role": "user", "content": GREETING}],
        agent_texts=[GREETING],
        turns=1,
        conversation=[Turn("agent", GREETING)],
    )
    user_turn = True
    while dialogue.turns < max_turns:
        turn_seed = seed * 1_000_003 + dialogue.turns
        dialogue.turns += 1
        if user_turn:
            text = (respond_user(dialogue.user_messages, None, {"seed": turn_seed})["content"] or "").strip()
            dialogue.user_messages.append({"role": "assistant", "content": text})
            dialogue.agent_messages.append({"role": "user", "content": text})
            dialogue.user_texts.append(text)
            dialogue.conversation.append(Turn("user", text))
            reason = stop_reason(text)
            if reason is not None:
                dialogue.termination = reason
                break
            user_turn = False
            continue
        reply = respond_agent(dialogue.agent_messages, tools, {"seed": turn_seed, "error_rate": error_rate})
        if reply.get("tool_calls"):
            dialogue.agent_messages.append({"role": "assistant", "content": reply.get("content"), "tool_calls": reply["tool_calls"]})
            made = []
            for tool_call in reply["tool_calls"]:
                name, arguments = tool_call["function"]["name"], tool_call["function"]["arguments"]
                outcome = domain.toolkit.execute(state, name, arguments)
                made.append(RecordedCall(name, arguments, outcome.ok, outcome.content, str(outcome.error_kind) if outcome.error_kind else None))
                dialogue.agent_messages.append({"role": "tool", "tool_call_id": tool_call["id"], "name": name, "content": outcome.content})
            dialogue.calls.extend(made)
            dialogue.conversation.append(Turn("agent", reply.get("content") or "", tuple(made)))
            continue
        text = reply.get("content") or ""
        dialogue.agent_messages.append({"role": "assistant", "content": text})
        dialogue.user_messages.append({"role": "user", "content": text})
        dialogue.agent_texts.append(text)
        dialogue.conversation.append(Turn("agent", text))
        user_turn = True
    return dialogue
