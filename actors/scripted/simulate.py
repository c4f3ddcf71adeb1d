"""Run one task between the scripted user and the scripted agent in-process: no bus, no litellm.

The loop drives the pipeline's own pure decisions (`actors.turns`, `actors.executor`,
`actors.verifier`) over an in-memory event list, calling the scripted models directly where the
pipeline calls them through litellm, with the same seeds and the same transcripts (acts included).
So a simulated dialogue is the dialogue the pipeline would record, and its verdict is the verdict
the pipeline's verifier would give. Benchmarks and tests use it to score the scripted models fast.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from actors.drafts import Draft, stamp
from actors.executor import execute_tool_calls
from actors.fuzzifier import instruction_drafts
from actors.prompts import agent_system_prompt, user_system_prompt
from actors.scripted.agent import respond_agent
from actors.scripted.user import respond_user
from actors.scripted.world import know_customers
from actors.turns import DialogueLimits, ModelNeeded, agent_reply, agent_step, user_reply, user_step
from actors.verifier import verify_ended_dialogue
from actors.view import DialogueView
from domains.constraints import Task
from domains.state import Database
from events import AgentSpoke, DialogueEnded, DialogueRequested, DialogueVerified, Event, ModelCall, TaskSampled, ToolFailed, ToolReturned, UserSpoke

MAX_TURNS = 60
SEED_STRIDE = 1_000_003  # as the runtime: a model call's seed is run seed * stride + the event's position


@dataclass
class SimulatedDialogue:
    """A finished dialogue: its events (as the pipeline records them), transcripts, calls, verdict."""

    task: Task
    events: list[Event]
    agent_messages: list[dict[str, Any]]
    user_messages: list[dict[str, Any]]
    calls: list[tuple[str, str, bool, str]] = field(default_factory=list)  # (name, arguments, ok, result text)
    agent_texts: list[str] = field(default_factory=list)
    user_texts: list[str] = field(default_factory=list)
    termination: str = "max_turns"
    verdict: dict[str, Any] = field(default_factory=dict)

    @property
    def score(self) -> float | None:
        return self.verdict.get("score")

    @property
    def attribution(self) -> str | None:
        return self.verdict.get("attribution")


def simulate_task(
    task: Task, base: Database, error_rate: float = 0.0, seed: int = 0, max_turns: int = MAX_TURNS, mistakes: Any = None
) -> SimulatedDialogue:
    """Play `task` to its end and verify it as the pipeline does; `mistakes` restricts the classes drawn."""
    know_customers(base)
    dialogue_id = f"sim-{seed}-{task.task_id}"
    limits = DialogueLimits(max_turns=max_turns)
    extra = {"error_rate": error_rate, **({"mistakes": mistakes} if mistakes else {})}
    view = DialogueView(dialogue_id)
    world = base.new_state()

    def add(drafts: list[Draft], actor: str) -> None:
        causation = view.events[-1].event_id if view.events else None
        for event in stamp(drafts, dialogue_id, len(view.events), actor, causation, lambda: 0.0):
            view.add(event)

    add([Draft(DialogueRequested, {"domain": task.domain, "run_id": "simulate", "seed": seed, "task_index": 0}),
         Draft(TaskSampled, {"domain": task.domain, "task": task.model_dump(mode="json"), "seed": seed, "base_db_hash": base.content_hash})], "sampler")
    add(instruction_drafts(task, task.instruction, None), "fuzzifier")
    while view.ended is None:
        last = view.last
        if isinstance(last, AgentSpoke) and last.tool_calls:
            add(execute_tool_calls(view, world), "executor")
        elif isinstance(last, AgentSpoke):
            step = user_step(view, limits, with_acts=True)
            add(_answered(step, respond_user, "cove/scripted-user", seed, view, extra, user_reply), "user")
        else:
            step = agent_step(view, base, limits, with_acts=True)
            add(_answered(step, respond_agent, "cove/scripted-agent", seed, view, extra, lambda m, c: agent_reply(view, m, c)), "agent")
    add(verify_ended_dialogue(view, base), "verifier")
    return _finished(task, view.events, base)


def _answered(step: Any, respond: Any, model: str, seed: int, view: DialogueView, extra: dict[str, Any], reply: Any) -> list[Draft]:
    """The decision's drafts, or (when it needs its model) the scripted model's reply made into drafts."""
    if not isinstance(step, ModelNeeded):
        return step
    params = {"temperature": 0.0, "seed": seed * SEED_STRIDE + view.next_seq, **extra}
    answer = respond(json.loads(json.dumps(step.messages)), step.tools, params)
    message = {"role": "assistant", "content": answer.get("content")}
    if answer.get("tool_calls"):
        message["tool_calls"] = answer["tool_calls"]
    raw = {"id": "sim-" + hashlib.sha256(json.dumps(step.messages).encode()).hexdigest()[:16], "model": model, "message": message,
           "finish_reason": "tool_calls" if answer.get("tool_calls") else "stop"}
    if answer.get("script"):
        raw["script"] = answer["script"]
    return reply(message, ModelCall(model=model, parameters=params, raw_response=raw))


def _finished(task: Task, events: list[Event], base: Database) -> SimulatedDialogue:
    view = DialogueView.of(events)
    results = {e.call_id: e for e in events if isinstance(e, (ToolReturned, ToolFailed))}
    calls = []
    for event in events:
        for request in event.tool_calls if isinstance(event, AgentSpoke) else ():
            result = results.get(request.id)
            if result is not None:
                calls.append((request.name, request.arguments, isinstance(result, ToolReturned), result.content))
    verified = next(e for e in events if isinstance(e, DialogueVerified))
    ended = next(e for e in events if isinstance(e, DialogueEnded))
    return SimulatedDialogue(
        task=task,
        events=events,
        agent_messages=view.agent_messages(agent_system_prompt(task.domain, base)),
        user_messages=view.user_messages(user_system_prompt(task.instruction)),
        calls=calls,
        agent_texts=[e.content for e in events if isinstance(e, AgentSpoke) and e.content and not e.tool_calls],
        user_texts=[e.content for e in events if isinstance(e, UserSpoke)],
        termination=ended.reason.value,
        verdict=verified.verdict,
    )
