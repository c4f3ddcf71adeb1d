"""Training files from the event store: sft.jsonl (verified dialogues), rewards.jsonl, manifest.json, summary.json.

Rows are ordered by dialogue id and hold no timestamps or timings, so one seed with the same models
and database gives byte-identical sft.jsonl and rewards.jsonl. Timings live only in summary.json.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from actors.prompts import agent_system_prompt
from actors.view import DialogueView, unusable_agent_reply
from cove.confusion import ConfusionMatrix, committed_mistakes
from cove.files import atomic_write_text
from cove.user_pool import dialogue_simulator
from domains.registry import get_domain
from domains.state import content_hash
from events import AgentSpoke, UserSpoke
from store.eventlog import EventStore
from store.manifest import MANIFEST_NAME, manifest_text


@dataclass
class SimulatorTotals:
    """One user simulator's dialogues: how many, scored, passing, its yield, and who was blamed."""

    dialogues: int = 0
    scored: int = 0
    passing: int = 0
    attributions: Counter = field(default_factory=Counter)

    def to_json(self) -> dict[str, Any]:
        return {
            "dialogues": self.dialogues,
            "scored": self.scored,
            "passing": self.passing,
            "yield": round(self.passing / self.scored, 4) if self.scored else 0.0,
            "attributions": dict(sorted(self.attributions.items())),
        }


@dataclass
class ExportTotals:
    dialogues: int = 0
    verified: int = 0
    scored: int = 0
    passing: int = 0
    unfinished: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    terminations: Counter = field(default_factory=Counter)
    attributions: Counter = field(default_factory=Counter)
    constraint_types: Counter = field(default_factory=Counter)
    passing_constraint_types: Counter = field(default_factory=Counter)
    sft_skipped: int = 0  # passing dialogues kept out of sft.jsonl: malformed tool-call arguments, an empty reply, or beyond the target
    confusion: ConfusionMatrix = field(default_factory=ConfusionMatrix)  # the verifier against the scripted models' mistakes
    simulators: dict[str, SimulatorTotals] = field(default_factory=dict)  # by user simulator (cove/user_pool.py)

    def simulator(self, name: str | None) -> SimulatorTotals:
        return self.simulators.setdefault(str(name), SimulatorTotals())

    def to_json(self) -> dict[str, Any]:
        return {
            "dialogues": self.dialogues,
            "verified": self.verified,
            "scored": self.scored,
            "passing": self.passing,
            "sft_rows": self.passing - self.sft_skipped,
            "passing_not_exported": self.sft_skipped,
            "unfinished": self.unfinished,
            "yield": round(self.passing / self.scored, 4) if self.scored else 0.0,
            "tokens": {"prompt": self.prompt_tokens, "completion": self.completion_tokens, "total": self.prompt_tokens + self.completion_tokens},
            "cost_usd": round(self.cost_usd, 6),
            "terminations": dict(sorted(self.terminations.items())),
            "attributions": dict(sorted(self.attributions.items())),
            "constraint_types": dict(sorted(self.constraint_types.items())),
            "passing_constraint_types": dict(sorted(self.passing_constraint_types.items())),
            "mistakes": self.confusion.to_json(),
            "user_simulators": {name: self.simulators[name].to_json() for name in sorted(self.simulators)},
        }


def model_usage(view: DialogueView) -> dict[str, Any]:
    """Models, parameters, tokens and cost per role, from the recorded model calls."""
    roles: dict[str, dict[str, Any]] = {}
    for event in view.events:
        if isinstance(event, (AgentSpoke, UserSpoke)) and event.call is not None:
            role = roles.setdefault("agent" if isinstance(event, AgentSpoke) else "user", {"model": event.call.model, "parameters": event.call.parameters, "prompt_tokens": 0, "completion_tokens": 0, "cost_usd": 0.0, "calls": 0})
            role["prompt_tokens"] += event.call.usage.prompt_tokens
            role["completion_tokens"] += event.call.usage.completion_tokens
            role["cost_usd"] += event.call.cost_usd
            role["calls"] += 1
    return roles


def sft_messages(view: DialogueView, system_prompt: str) -> list[dict[str, Any]]:
    """The OpenAI-format conversation of a CoVe-12k row (tool turns: content and tool_call_id only)."""
    messages = view.agent_messages(system_prompt)
    for message in messages:
        message.pop("name", None)
        if message["role"] == "assistant" and "tool_calls" in message and message.get("content") is None:
            message["content"] = None
    return messages


def _teachable(view: DialogueView) -> bool:
    """Every tool call the agent made carries a JSON object as its arguments, and it never replied nothing usable."""
    if any(unusable_agent_reply(event) for event in view.events):
        return False
    for event in view.events:
        for call in event.tool_calls if isinstance(event, AgentSpoke) else ():
            try:
                if not isinstance(json.loads(call.arguments), dict):
                    return False
            except ValueError:
                return False
    return True


def reward_row(view: DialogueView) -> dict[str, Any]:
    verdict = view.verified.verdict if view.verified else {}
    task = view.task_event.task if view.task_event else {}
    return {
        "dialogue_id": view.dialogue_id,
        "task_id": task.get("task_id"),
        "domain": view.domain,
        "score": verdict.get("score"),
        "scored": verdict.get("scored", False),
        "vector": verdict.get("vector", []),
        "constraint_types": [c["type"] for c in task.get("constraints", [])],
        "redundant_writes": verdict.get("redundant_writes", []),
        "violations": verdict.get("violations", []),
        "termination": view.ended.reason.value if view.ended else "unfinished",
        "attribution": verdict.get("attribution"),
        "checks": verdict.get("checks", {}),
        **_drawn_simulator(view),
    }


def _drawn_simulator(view: DialogueView) -> dict[str, str]:
    """`user_simulator`, for a dialogue of a run with a pool (rows of a run with one simulator are as before pools)."""
    name = view.request.user_simulator if view.request is not None else None
    return {"user_simulator": name} if name is not None else {}


def certificate(view: DialogueView, constraints: list[dict[str, Any]], chain_head: str) -> dict[str, str]:
    """What a row's verdict rests on, for anyone to check (`cove verify --rows`): the base database's content hash,
    the sha256 of meta.constraints in canonical JSON, the dialogue's content-chain head, the verifier's version."""
    return {
        "base_db_hash": view.task_event.base_db_hash,
        "constraints_hash": content_hash(constraints),
        "chain_head": chain_head,
        "verifier_version": view.verified.verifier_version,
    }


def sft_row(view: DialogueView, store: EventStore, chain_head: str | None = None) -> dict[str, Any]:
    """A CoVe-12k row with our `meta`; `chain_head`: the dialogue's content-chain head (read from the store if not given)."""
    task = view.task
    base = store.base(view.task_event.base_db_hash)
    usage = model_usage(view)
    constraints = [c.model_dump(mode="json") for c in task.constraints]
    if chain_head is None:
        chain_head = store.content_heads(view.dialogue_id)[view.dialogue_id].chain_head
    return {
        "messages": sft_messages(view, agent_system_prompt(view.domain, base)),
        "tools": get_domain(view.domain).toolkit.openai_schemas,
        "data_source": view.domain,
        "meta": {
            "dialogue_id": view.dialogue_id,
            "task_id": task.task_id,
            "user_id": task.user_id,
            "constraints": constraints,
            "instruction": task.instruction,
            "descriptions": {text: d.model_dump(mode="json") for text, d in task.descriptions.items()},
            "fuzz": task.fuzz,
            "verdict": view.verified.verdict,
            "models": usage,
            **_drawn_simulator(view),
            "tokens": sum(r["prompt_tokens"] + r["completion_tokens"] for r in usage.values()),
            "cost_usd": round(sum(r["cost_usd"] for r in usage.values()), 6),
            "base_db_hash": view.task_event.base_db_hash,
            "seed": view.task_event.seed,
            "certificate": certificate(view, constraints, chain_head),
        },
    }


def export_run(store: EventStore, out: Path, dialogue_ids: list[str] | None = None, *, max_sft_rows: int | None = None) -> ExportTotals:
    """Write sft.jsonl and rewards.jsonl for the dialogues (all in the store by default), and manifest.json for
    every dialogue of the store; return totals.

    `max_sft_rows` (a run's --target-passing): sft.jsonl holds the first that many passing dialogues in
    dialogue-id order, the same whichever dialogues were still in flight when the target was reached.
    """
    totals = ExportTotals()
    sft_lines, reward_lines = [], []
    heads = store.content_heads()
    for dialogue_id in sorted(dialogue_ids if dialogue_ids is not None else store.dialogue_ids()):
        events = store.events(dialogue_id)
        if not events:
            continue
        view = DialogueView.of(events)
        totals.dialogues += 1
        simulator = totals.simulator(dialogue_simulator(events))
        simulator.dialogues += 1
        for role in model_usage(view).values():
            totals.prompt_tokens += role["prompt_tokens"]
            totals.completion_tokens += role["completion_tokens"]
            totals.cost_usd += role["cost_usd"]
        if view.verified is None:
            totals.unfinished += 1
            continue
        totals.verified += 1
        row = reward_row(view)
        reward_lines.append(json.dumps(row, ensure_ascii=False))
        totals.terminations[row["termination"]] += 1
        totals.attributions[str(row["attribution"])] += 1
        simulator.attributions[str(row["attribution"])] += 1
        totals.constraint_types.update(row["constraint_types"])
        totals.confusion.add(committed_mistakes(view.events), row["score"], row["attribution"])
        if row["scored"]:
            totals.scored += 1
            simulator.scored += 1
        if row["score"] == 1.0:
            totals.passing += 1
            simulator.passing += 1
            totals.passing_constraint_types.update(row["constraint_types"])
            full = max_sft_rows is not None and len(sft_lines) >= max_sft_rows
            if _teachable(view) and not full:  # never teach a model to send broken tool-call JSON, or an empty reply
                sft_lines.append(json.dumps(sft_row(view, store, heads[dialogue_id].chain_head), ensure_ascii=False))
            else:
                totals.sft_skipped += 1
    atomic_write_text(out / "sft.jsonl", "".join(line + "\n" for line in sft_lines))
    atomic_write_text(out / "rewards.jsonl", "".join(line + "\n" for line in reward_lines))
    atomic_write_text(out / MANIFEST_NAME, manifest_text(heads))
    return totals
