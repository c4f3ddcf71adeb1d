"""End to end over a real nats-server: the whole actor pipeline, in one process and as separate workers."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from actors.natsserver import EmbeddedNats
from cove.cli import app
from cove.run import run_dialogues
from cove.settings import RoleSettings, RunSettings
from tests.plugins import registered_domains

COUNT = 10


def _settings(tmp: Path, domain: str, **overrides) -> RunSettings:
    values = dict(domain=domain, scale=0.2, db_seed=1, count=COUNT, seed=5, concurrency=4, out=tmp, progress=False, scripted_error_rate=0.6)
    values.update(overrides)
    return RunSettings(**values)


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture(scope="module", params=registered_domains())
def finished_run(request, tmp_path_factory):
    """One offline run per domain (embedded nats-server, all actors in this process)."""
    out = tmp_path_factory.mktemp(f"run-{request.param}")
    summary = asyncio.run(run_dialogues(_settings(out, request.param)))
    return request.param, out, summary


def test_every_dialogue_ends_and_is_verified(finished_run):
    """All requested dialogues reach a verdict; rewards has one row each and sft holds exactly the 1.0 ones."""
    _, out, summary = finished_run
    rewards = _lines(out / "rewards.jsonl")
    assert summary["dialogues"] == COUNT and summary["unfinished"] == 0
    assert len(rewards) == COUNT and all(row["termination"] != "unfinished" for row in rewards)
    passing = [row for row in rewards if row["score"] == 1.0]
    sft = _lines(out / "sft.jsonl")
    assert len(sft) == len(passing) > 0


def test_committed_mistakes_are_ground_truth_in_the_log_and_summary(finished_run):
    """The scripted models' committed mistakes are recorded on their call records and counted in summary.json, never exported."""
    from cove.confusion import committed_mistakes
    from store.eventlog import EventStore

    _, out, summary = finished_run
    with EventStore(out / "events.db", readonly=True) as store:
        per_dialogue = [committed_mistakes(store.events(dialogue_id)) for dialogue_id in store.dialogue_ids()]
    matrix = summary["mistakes"]
    counted = {name: sum(name in found for found in per_dialogue) for name in matrix["classes"]}
    assert counted and all(counts["dialogues"] == counted[name] for name, counts in matrix["classes"].items())
    assert matrix["mistake_free"]["dialogues"] == sum(not found for found in per_dialogue) and matrix["mistake_free"]["rejected"] == 0.0
    exported = (out / "sft.jsonl").read_text() + (out / "rewards.jsonl").read_text()
    assert "scripted_acts" not in exported and '"mistakes"' not in exported and '"script"' not in exported


def test_the_asyncapi_tables_match_what_actors_really_publish(finished_run):
    """Every event of a real run was sent by an actor the AsyncAPI document says sends it, in answer to one of its triggers."""
    from actors.asyncapi import EMITS
    from actors.runtime import TRIGGERS
    from store.eventlog import EventStore

    _, out, _ = finished_run
    seen = set()
    with EventStore(out / "events.db", readonly=True) as store:
        for dialogue_id in store.dialogue_ids():
            events = store.events(dialogue_id)
            by_id = {event.event_id: event for event in events}
            for event in events:
                assert type(event) in EMITS[event.actor], (event.actor, event.type)
                cause = by_id.get(event.causation_id)
                while cause is not None and cause.actor == event.actor:  # one answer's events chain to each other
                    cause = by_id.get(cause.causation_id)
                if event.actor in TRIGGERS:
                    assert type(cause) in TRIGGERS[event.actor], (event.actor, event.type)
                seen.add((event.actor, event.type))
    assert {actor for actor, _ in seen} >= set(TRIGGERS)


def test_sft_rows_have_the_cove12k_shape(finished_run):
    """Each SFT row is OpenAI chat with tool_calls (arguments as JSON strings), tools, data_source and meta."""
    domain, out, _ = finished_run
    for row in _lines(out / "sft.jsonl"):
        assert set(row) == {"messages", "tools", "data_source", "meta"} and row["data_source"] == domain
        roles = {m["role"] for m in row["messages"]}
        assert roles <= {"system", "user", "assistant", "tool"} and row["messages"][0]["role"] == "system"
        assert "###STOP###" in [m for m in row["messages"] if m["role"] == "user"][-1]["content"]
        for message in row["messages"]:
            for call in message.get("tool_calls") or []:
                assert call["type"] == "function" and isinstance(call["function"]["arguments"], str)
                json.loads(call["function"]["arguments"])
            if message["role"] == "tool":
                assert set(message) == {"role", "tool_call_id", "content"}
        assert row["meta"]["verdict"]["score"] == 1.0 and row["meta"]["base_db_hash"]


def test_cove_verify_agrees_with_rewards(finished_run):
    """Re-verifying events.db from the log alone gives the scores rewards.jsonl holds."""
    _, out, _ = finished_run
    result = CliRunner().invoke(app, ["verify", "--store", str(out / "events.db"), "--json"])
    assert result.exit_code == 0, result.output
    fresh = {row["dialogue_id"]: row["verdict"]["score"] for row in map(json.loads, result.output.splitlines())}
    assert fresh == {row["dialogue_id"]: row["score"] for row in _lines(out / "rewards.jsonl")}


def test_same_seed_gives_identical_files(finished_run, tmp_path):
    """A second run with the same seed, models and database writes byte-identical sft.jsonl and rewards.jsonl."""
    domain, out, _ = finished_run
    asyncio.run(run_dialogues(_settings(tmp_path, domain)))
    for name in ("sft.jsonl", "rewards.jsonl"):
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes(), name


def test_helper_processes_share_the_work_and_change_nothing(finished_run, tmp_path, monkeypatch, capfd):
    """`processes=3` runs two helper processes beside the controller; they serve triggers and the files are identical."""
    domain, out, _ = finished_run
    monkeypatch.setenv("COVE_LOG_LEVEL", "INFO")
    summary = asyncio.run(asyncio.wait_for(run_dialogues(_settings(tmp_path, domain, processes=3)), 120))
    assert summary["dialogues"] == COUNT and summary["unfinished"] == 0
    for name in ("sft.jsonl", "rewards.jsonl"):
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes(), name
    stopped = [json.loads(line) for line in capfd.readouterr().err.splitlines() if '"replica_stopped"' in line]
    assert len(stopped) == 2, "both helpers stopped when the run ended"
    assert sum(line["cache_hits"] + line["cache_misses"] for line in stopped) > 0, "the helpers handled triggers"


def test_a_helper_stops_when_its_controller_is_gone(tmp_path):
    """A helper process exits by itself once its standard input closes (the controller died)."""
    from cove.replicas import HelperProcesses

    with EmbeddedNats(tmp_path / "nats") as server:
        helpers = HelperProcesses(_settings(tmp_path / "out", "retail", nats_url=server.url), 1)
        helpers.start()
        (process,) = helpers.processes
        try:
            process.stdin.close()
            assert process.wait(timeout=60) == 0
        finally:
            helpers.stop()


def test_actors_as_separate_worker_processes(tmp_path):
    """Every actor type as its own `cove worker` process; the results equal an in-process run with the same seed."""
    reference = tmp_path / "reference"
    asyncio.run(run_dialogues(_settings(reference, "retail", count=6)))
    with EmbeddedNats(tmp_path / "nats") as server:
        env = {**os.environ, "COVE_LOG_LEVEL": "WARNING"}
        common = ["--nats-url", server.url, "--domain", "retail", "--scale", "0.2", "--db-seed", "1", "--scripted-error-rate", "0.6"]
        workers = [
            subprocess.Popen([sys.executable, "-m", "cove.cli", "worker", actor, *common], env=env, stderr=subprocess.PIPE)
            for actor in ("sampler", "fuzzifier", "user", "agent", "executor", "verifier")
        ]
        try:
            settings = _settings(tmp_path / "distributed", "retail", count=6, nats_url=server.url, actors=())
            summary = asyncio.run(asyncio.wait_for(run_dialogues(settings), 120))
        finally:
            for process in workers:
                process.terminate()
            for process in workers:
                process.wait(timeout=20)
    assert summary["dialogues"] == 6 and summary["unfinished"] == 0
    for name in ("rewards.jsonl", "sft.jsonl"):
        assert (tmp_path / "distributed" / name).read_bytes() == (reference / name).read_bytes()


def test_missing_nats_is_a_clear_error(tmp_path):
    """`cove run --nats-url` pointing at nothing fails with a clear message and a non-zero exit."""
    from actors.natsserver import free_port

    result = CliRunner().invoke(app, ["run", "--count", "1", "--nats-url", f"nats://127.0.0.1:{free_port()}", "--nats-timeout", "1", "--out", str(tmp_path), "--no-progress"])
    assert result.exit_code == 2 and "NATS" in result.output


def test_models_over_http_through_litellm(tmp_path, openai_server, monkeypatch, capfd):
    """Agent and user served by a local OpenAI-compatible HTTP server: real tool_calls JSON goes over the wire and dialogues verify."""
    from actors.scripted.relay import ScriptedRelay
    from tests.openai_server import Reply

    relay = ScriptedRelay()

    def script(request):
        message = relay(request["messages"], request.get("tools"), {"seed": request.get("seed"), "error_rate": 0.0})
        calls = tuple(message.get("tool_calls") or ())
        return Reply(content=message.get("content"), tool_calls=calls, finish_reason="tool_calls" if calls else "stop")

    openai_server.script = script
    monkeypatch.setenv("COVE_TEST_KEY", "sk-test-pipeline-0000")
    role = dict(api_base=openai_server.url, api_key_env="COVE_TEST_KEY", timeout=30.0)
    settings = _settings(tmp_path, "retail", count=4, agent=RoleSettings(model="openai/test-agent", **role), user=RoleSettings(model="openai/test-user", **role))
    summary = asyncio.run(run_dialogues(settings))
    assert summary["dialogues"] == 4 and summary["unfinished"] == 0 and summary["passing"] >= 3
    agent_requests = [r for r in openai_server.requests if r.json.get("tools")]
    assert agent_requests and {t["function"]["name"] for t in agent_requests[0].json["tools"]} >= {"get_order_details", "cancel_pending_order"}
    sent_calls = [m for r in agent_requests for m in r.json["messages"] if m.get("tool_calls")]
    assert sent_calls and all(isinstance(c["function"]["arguments"], str) for m in sent_calls for c in m["tool_calls"])
    rows = _lines(tmp_path / "sft.jsonl")
    assert rows and rows[0]["meta"]["models"]["agent"]["model"] == "openai/test-agent"
    written = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())  # files, event store, JetStream store
    assert b"sk-test-pipeline-0000" not in written
    assert all(r.bearer_token == "sk-test-pipeline-0000" for r in openai_server.requests)  # it did go where it belongs
    printed = capfd.readouterr()
    assert "sk-test-pipeline-0000" not in printed.out + printed.err  # nor in any log line


def test_continuous_mode_stops_at_the_passing_target(tmp_path):
    """With no count, the run keeps dialogues in flight until the passing target, then drains and exports."""
    settings = _settings(tmp_path, "retail", count=None, target_passing=3, concurrency=2, scripted_error_rate=0.0)
    summary = asyncio.run(run_dialogues(settings))
    assert summary["passing"] >= 3 and summary["unfinished"] == 0
    assert summary["dialogues"] <= 3 + settings.concurrency


def test_stop_request_drains_in_flight_dialogues(tmp_path):
    """A stop (what Ctrl-C sends) lets the dialogues in flight finish and still writes every file."""

    async def scenario():
        stop = asyncio.Event()
        settings = _settings(tmp_path, "airline", count=None, concurrency=3)
        return await run_dialogues(settings, lambda progress: stop.set(), stop)

    summary = asyncio.run(scenario())
    assert 1 <= summary["dialogues"] <= 3 and summary["unfinished"] == 0
    assert len(_lines(tmp_path / "rewards.jsonl")) == summary["dialogues"]


def test_a_used_output_folder_is_refused(finished_run):
    """Running into a folder that already holds a run is refused with a clear message, leaving it untouched."""
    _, out, _ = finished_run
    before = (out / "rewards.jsonl").read_bytes()
    result = CliRunner().invoke(app, ["run", "--count", "1", "--out", str(out), "--no-progress"])
    assert result.exit_code == 2 and "already holds a run" in result.output
    assert (out / "rewards.jsonl").read_bytes() == before
