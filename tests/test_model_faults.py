"""Model and tool-call faults end to end: a real embedded nats-server, models served over HTTP by a fault-injecting server.

The agent and the user simulator are the scripted models behind the local OpenAI-compatible server
(`tests/openai_server.py`); a fault answers chosen requests instead of them. Every run must finish,
and each dialogue's recorded outcome (events, rewards.jsonl, summary.json, `cove verify`) must put
the blame where it belongs: infrastructure failures unscored, unusable replies and bad tool calls
on the model that made them.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import Field
from typer.testing import CliRunner

import actors.llm
from actors.scripted.relay import ScriptedRelay
from cove.cli import app
from cove.run import run_dialogues
from cove.settings import RoleSettings, RunSettings
from events import AgentSpoke, DialogueEnded, ModelCallFailed, ToolFailed
from store.eventlog import EventStore
from tests.openai_server import Reply, tool_call

COUNT = 2
MAX_ATTEMPTS = 3
KEY_ENV = "COVE_TEST_FAULTS_KEY"

# (request, how many times this exact request has arrived) -> the fault to answer with, or None to answer properly
Fault = Callable[[dict[str, Any], int], Reply | None]


def _role(request: dict[str, Any]) -> str:
    return "agent" if request.get("tools") else "user"


def _first_turn(request: dict[str, Any]) -> bool:
    """The role's first model turn: the customer has spoken once (agent) or been greeted once (user), no tool results yet."""
    roles = [message["role"] for message in request["messages"]]
    return roles.count("user") == 1 and "tool" not in roles


def _scripted(request: dict[str, Any], relay: ScriptedRelay) -> Reply:
    """What the offline scripted agent or user says to this request (no deliberate mistakes)."""
    message = relay(request["messages"], request.get("tools"), {"seed": request.get("seed"), "error_rate": 0.0})
    calls = tuple(message.get("tool_calls") or ())
    return Reply(content=message.get("content"), tool_calls=calls, finish_reason="tool_calls" if calls else "stop")


class FaultyModels:
    """The server's script: the scripted models, except where the fault of the request's role answers instead."""

    def __init__(self, **faults: Fault) -> None:
        self.faults = faults
        self.arrivals: Counter[str] = Counter()
        self.relay = ScriptedRelay()

    def __call__(self, request: dict[str, Any]) -> Reply:
        role = _role(request)
        key = json.dumps([role, request["messages"]], sort_keys=True)
        self.arrivals[key] += 1
        fault = self.faults.get(role)
        reply = fault(request, self.arrivals[key]) if fault else None
        return reply if reply is not None else _scripted(request, self.relay)


def on_first_turn(*replies: Reply) -> Fault:
    """The role's first turn is answered with `replies` in turn (one per attempt), then properly."""
    return lambda request, arrival: replies[arrival - 1] if _first_turn(request) and arrival <= len(replies) else None


def always(reply: Reply) -> Fault:
    return lambda request, arrival: reply


class _FastBackoff(actors.llm.ModelSettings):
    """ModelSettings with ~20 ms backoff (Retry-After still honoured): RoleSettings has no backoff knob to set it."""

    backoff_base: float = Field(0.02, ge=0)
    backoff_max: float = Field(2.0, ge=0)


@pytest.fixture
def run_faulty(openai_server, tmp_path, monkeypatch):
    """Run COUNT dialogues with both models over HTTP behind `FaultyModels(**faults)`; return (out, summary)."""
    monkeypatch.setenv(KEY_ENV, "sk-test-faults-0000")
    monkeypatch.setattr(actors.llm, "ModelSettings", _FastBackoff)

    def run(*, max_tool_errors: int = 10, **faults: Fault) -> tuple[Path, dict[str, Any]]:
        # seed 1: the second dialogue's task has two goals on different records, so an early end
        # shows whom the verifier blames for the goal the customer never got to state
        openai_server.script = FaultyModels(**faults)
        role = {"api_base": openai_server.url, "api_key_env": KEY_ENV, "timeout": 1.0, "max_attempts": MAX_ATTEMPTS}
        settings = RunSettings(
            domain="retail", scale=0.2, db_seed=1, count=COUNT, seed=1, concurrency=2, out=tmp_path, progress=False,
            max_tool_errors=max_tool_errors,
            agent=RoleSettings(model="openai/test-agent", **role), user=RoleSettings(model="openai/test-user", **role),
        )  # fmt: skip
        summary = asyncio.run(asyncio.wait_for(run_dialogues(settings), 60))
        assert summary["dialogues"] == COUNT and summary["verified"] == COUNT and summary["unfinished"] == 0
        assert summary["dead_letters"] == 0
        return tmp_path, summary

    return run


def _rewards(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / "rewards.jsonl").read_text().splitlines()]


def _outcomes(rewards: list[dict[str, Any]]) -> list[tuple]:
    return [(row["score"], row["scored"], row["termination"], row["attribution"]) for row in rewards]


def _events(out: Path, dialogue_id: str) -> list:
    with EventStore(out / "events.db", readonly=True) as store:
        return store.events(dialogue_id)


def _assert_verify_agrees(out: Path, rewards: list[dict[str, Any]]) -> None:
    """`cove verify --json` re-verifies every dialogue from the log alone and finds what rewards.jsonl says."""
    result = CliRunner().invoke(app, ["verify", "--store", str(out / "events.db"), "--json"])
    assert result.exit_code == 0, result.output
    fresh = {row["dialogue_id"]: row for row in map(json.loads, result.output.splitlines())}
    assert set(fresh) == {row["dialogue_id"] for row in rewards}
    for row in rewards:
        audit = fresh[row["dialogue_id"]]
        assert audit["ok"] and audit["agrees_with_recorded"] is True, audit
        verdict = audit["verdict"]
        assert (verdict["score"], verdict["termination"], verdict["attribution"]) == (row["score"], row["termination"], row["attribution"])


@pytest.mark.parametrize(
    ("faults", "attempts", "min_gap"),
    [
        pytest.param((Reply.rate_limited(retry_after=0.3),), 2, 0.3, id="429-retry-after"),
        pytest.param((Reply.server_error(500), Reply.server_error(503)), 3, 0.0, id="500-then-503"),
    ],
)
def test_transient_faults_are_retried_and_the_dialogue_goes_on(run_faulty, openai_server, faults, attempts, min_gap):
    """Rate limits and server errors that clear up are retried (after Retry-After when given), and every dialogue ends normally."""
    out, summary = run_faulty(agent=on_first_turn(*faults))
    rewards = _rewards(out)
    assert [(row["termination"], row["score"]) for row in rewards] == [("user_stop", 1.0)] * COUNT
    assert summary["passing"] == COUNT
    for row in rewards:
        events = _events(out, row["dialogue_id"])
        assert not [e for e in events if isinstance(e, ModelCallFailed)]
        first_reply = next(e for e in events if isinstance(e, AgentSpoke) and e.call is not None)
        assert first_reply.call.attempts == attempts
        assert all(e.call.attempts == 1 for e in events if isinstance(e, AgentSpoke) and e.call and e is not first_reply)
    first_turns = [r for r in openai_server.requests if _role(r.json) == "agent" and _first_turn(r.json)]
    assert len(first_turns) == COUNT * attempts
    by_request: dict[str, list[float]] = {}
    for request in first_turns:
        by_request.setdefault(json.dumps(request.json["messages"]), []).append(request.received_at)
    for times in by_request.values():
        assert min(b - a for a, b in itertools.pairwise(times)) >= min_gap * 0.95
    _assert_verify_agrees(out, rewards)


@pytest.mark.parametrize(
    ("fault", "error_types"),
    [
        pytest.param(Reply.hang(30.0), {"timeout"}, id="hang-past-timeout"),
        pytest.param(Reply.server_error(503), {"service_unavailable_error", "internal_server_error"}, id="persistent-503"),
    ],
)
def test_a_model_that_stays_down_ends_the_dialogue_unscored(run_faulty, openai_server, fault, error_types):
    """A model that times out or answers 503 on every attempt ends the dialogue as infrastructure_failure, unscored (never 0)."""
    out, summary = run_faulty(agent=always(fault))
    rewards = _rewards(out)
    assert _outcomes(rewards) == [(None, False, "infrastructure_failure", "infrastructure")] * COUNT
    assert summary["scored"] == 0 and summary["passing"] == 0 and summary["attributions"] == {"infrastructure": COUNT}
    assert summary["timings"]["seconds"] < 20, "each attempt must be cut at the 1 s timeout"
    assert (out / "sft.jsonl").read_text() == ""
    for row in rewards:
        events = _events(out, row["dialogue_id"])
        failed = [e for e in events if isinstance(e, ModelCallFailed)]
        assert len(failed) == 1 and failed[0].role == "agent" and failed[0].retryable is True
        assert failed[0].attempts == MAX_ATTEMPTS and failed[0].error_type in error_types, failed[0]
        ended = next(e for e in events if isinstance(e, DialogueEnded))
        assert ended.seq == failed[0].seq + 1 and ended.reason == "infrastructure_failure"
    assert sum(_role(r.json) == "agent" for r in openai_server.requests) == COUNT * MAX_ATTEMPTS
    _assert_verify_agrees(out, rewards)


@pytest.mark.parametrize(
    ("fault", "error_type"),
    [
        pytest.param(Reply.unauthorized(), "authentication_error", id="401-rejected-key"),
        pytest.param(Reply(status=404, error="The model `test-agent` does not exist"), "not_found_error", id="404-unknown-model"),
    ],
)
def test_a_provider_that_refuses_the_request_is_not_the_agents_fault(run_faulty, openai_server, fault, error_type):
    """A rejected API key or an unknown model fails at once and ends the dialogue unscored, never as reward 0 for the agent."""
    out, _ = run_faulty(agent=always(fault))
    rewards = _rewards(out)
    for row in rewards:
        failed = [e for e in _events(out, row["dialogue_id"]) if isinstance(e, ModelCallFailed)]
        assert len(failed) == 1 and failed[0].error_type == error_type and failed[0].attempts == 1
        assert "sk-test-faults-0000" not in failed[0].message
    assert sum(_role(r.json) == "agent" for r in openai_server.requests) == COUNT, "not retried"
    _assert_verify_agrees(out, rewards)
    assert _outcomes(rewards) == [(None, False, "infrastructure_failure", "infrastructure")] * COUNT


@pytest.mark.parametrize(("fault", "error_type"), [pytest.param(Reply.empty(), "empty_reply", id="empty"), pytest.param(Reply.endless(content=""), "truncated_reply", id="endless")])
def test_an_agent_that_keeps_replying_nothing_usable_runs_into_the_error_limit(run_faulty, openai_server, fault, error_type):
    """Each unusable agent reply (after the client's retries) is recorded and counted like a failed tool call, and the agent is asked
    again; at the error limit the dialogue ends (too_many_errors), scored 0 and blamed on the agent."""
    out, summary = run_faulty(agent=always(fault), max_tool_errors=2)
    rewards = _rewards(out)
    for row in rewards:
        events = _events(out, row["dialogue_id"])
        failed = [e for e in events if isinstance(e, ModelCallFailed)]
        assert [(e.role, e.error_type, e.attempts) for e in failed] == [("agent", error_type, MAX_ATTEMPTS)] * 2
        assert isinstance(events[failed[-1].seq + 1], DialogueEnded) and not isinstance(events[failed[0].seq + 1], DialogueEnded)
    agent_requests = [r.json for r in openai_server.requests if _role(r.json) == "agent"]
    assert len(agent_requests) == COUNT * MAX_ATTEMPTS * 2
    assert any(m["role"] == "system" and m["content"].startswith("Error: ") for r in agent_requests for m in r["messages"][1:])  # the second asking shows the error
    assert summary["terminations"] == {"too_many_errors": COUNT}
    _assert_verify_agrees(out, rewards)
    assert _outcomes(rewards) == [(0.0, True, "too_many_errors", "agent")] * COUNT


def _error_shown(request: dict[str, Any]) -> bool:
    return any(message["role"] == "system" for message in request["messages"][1:])


def test_an_agent_that_replies_nothing_usable_once_goes_on_to_its_verdict(run_faulty, openai_server):
    """An agent whose first turn is empty until it sees the error in its transcript then answers properly: the dialogue goes on and ends by the customer's stop."""
    out, summary = run_faulty(agent=lambda request, arrival: Reply.empty() if _first_turn(request) and not _error_shown(request) else None)
    rewards = _rewards(out)
    for row in rewards:
        failed = [e for e in _events(out, row["dialogue_id"]) if isinstance(e, ModelCallFailed)]
        assert [(e.role, e.error_type) for e in failed] == [("agent", "empty_reply")]
    assert summary["terminations"] == {"user_stop": COUNT}
    _assert_verify_agrees(out, rewards)
    exported = {json.loads(line)["dialogue_id"] for line in (out / "sft.jsonl").read_text().splitlines()}
    assert not exported & {row["dialogue_id"] for row in rewards}  # never teach an empty reply, though the dialogue may pass


def test_a_user_simulator_that_keeps_replying_nothing_usable_ends_the_dialogue_as_its_error(run_faulty, openai_server):
    """The user simulator is cove's, not the agent's: its unusable reply is retried, then ends the dialogue (user_error), scored 0, blamed on it."""
    out, summary = run_faulty(user=always(Reply.empty()))
    rewards = _rewards(out)
    for row in rewards:
        events = _events(out, row["dialogue_id"])
        failed = [e for e in events if isinstance(e, ModelCallFailed)]
        assert len(failed) == 1 and failed[0].role == "user" and failed[0].retryable is False
        assert failed[0].error_type == "empty_reply" and failed[0].attempts == MAX_ATTEMPTS
        assert isinstance(events[failed[0].seq + 1], DialogueEnded)
    assert sum(_role(r.json) == "user" for r in openai_server.requests) == COUNT * MAX_ATTEMPTS
    assert summary["scored"] == COUNT and summary["passing"] == 0 and summary["terminations"] == {"user_error": COUNT}
    _assert_verify_agrees(out, rewards)
    assert _outcomes(rewards) == [(0.0, True, "user_error", "user_simulator")] * COUNT


BAD_CALLS = [
    pytest.param(tool_call("get_order_details", '{"order_id": ', "call_bad"), "invalid_arguments", "not valid JSON", id="malformed-json"),
    pytest.param(tool_call("refund_everything", {"order_id": "#W0000000"}, "call_bad"), "unknown_tool", "Unknown tool", id="unknown-tool"),
    pytest.param(tool_call("get_user_details", {"user_id": 42}, "call_bad"), "invalid_arguments", "valid string", id="wrong-types"),
]


@pytest.mark.parametrize(("bad_call", "error_kind", "says"), BAD_CALLS)
def test_a_bad_tool_call_fails_and_the_dialogue_goes_on(run_faulty, openai_server, bad_call, error_kind, says):
    """A malformed, unknown or ill-typed tool call becomes a ToolFailed the agent reads, and the dialogue continues to its end."""
    out, _ = run_faulty(agent=on_first_turn(Reply.calls(bad_call)))
    rewards = _rewards(out)
    for row in rewards:
        events = _events(out, row["dialogue_id"])
        failed = [e for e in events if isinstance(e, ToolFailed)]
        assert len(failed) == 1 and failed[0].call_id == "call_bad" and failed[0].error_kind == error_kind
        assert failed[0].content.startswith("Error:") and says in failed[0].content
        assert any(isinstance(e, AgentSpoke) and e.seq > failed[0].seq for e in events), "the agent answers after the error"
        assert row["scored"] and row["termination"] == "user_stop"
        assert row["score"] == 1.0 or row["attribution"] == "agent", row
    agent_requests = [r.json for r in openai_server.requests if _role(r.json) == "agent"]
    seen = [m for request in agent_requests for m in request["messages"] if m.get("tool_call_id") == "call_bad"]
    assert seen and all(says in m["content"] for m in seen), "the agent's next request carries the error text"
    _assert_verify_agrees(out, rewards)


def test_sft_rows_never_carry_unparseable_tool_arguments(run_faulty):
    """A dialogue that recovers from a malformed tool call may score 1.0, but sft.jsonl must not teach the malformed JSON."""
    out, _ = run_faulty(agent=on_first_turn(Reply.calls(BAD_CALLS[0].values[0])))
    for line in (out / "sft.jsonl").read_text().splitlines():
        for message in json.loads(line)["messages"]:
            for call in message.get("tool_calls") or []:
                json.loads(call["function"]["arguments"])


def test_too_many_tool_errors_end_the_dialogue_scored_zero_on_the_agent(run_faulty):
    """An agent whose tool calls keep failing is stopped at max_tool_errors: too_many_errors, score 0, blamed on the agent."""
    calls = [param.values[0] for param in BAD_CALLS]

    def bad(request: dict[str, Any], arrival: int) -> Reply:
        failures = sum(m["role"] == "tool" for m in request["messages"])
        call = calls[failures % len(calls)]
        return Reply.calls({**call, "id": f"call_bad_{failures}"})

    out, summary = run_faulty(agent=bad, max_tool_errors=3)
    rewards = _rewards(out)
    for row in rewards:
        events = _events(out, row["dialogue_id"])
        kinds = [e.error_kind for e in events if isinstance(e, ToolFailed)]
        assert kinds == ["invalid_arguments", "unknown_tool", "invalid_arguments"]
        assert isinstance(events[-2], DialogueEnded) and events[-2].detail == "3 failed tool calls"
    _assert_verify_agrees(out, rewards)
    assert _outcomes(rewards) == [(0.0, True, "too_many_errors", "agent")] * COUNT
    assert summary["terminations"] == {"too_many_errors": COUNT} and summary["attributions"] == {"agent": COUNT}
