"""Re-verification from the event store alone: `cove verify` and `cove show`, and tamper detection."""

from __future__ import annotations

import json
import sqlite3

import pytest
from typer.testing import CliRunner

from cove.cli import app
from domains.tau2 import gold_calls, task_from_tau2
from store.eventlog import EventStore
from tests.dialogues import confirmed_turns, dialogue_events

runner = CliRunner()


@pytest.fixture
def gold_store(tmp_path, tau2_dir, tau2_databases):
    """An event store holding τ²-bench retail tasks 0-5 played with their gold calls."""
    base = tau2_databases["retail"]
    tasks = json.loads((tau2_dir / "retail" / "tasks.json").read_text())[:6]
    path = tmp_path / "events.db"
    with EventStore(path) as store:
        store.put_base(base)
        for tau2_task in tasks:
            task = task_from_tau2("retail", tau2_task, base.content_hash)
            info = " ".join(tau2_task["evaluation_criteria"].get("communicate_info") or [])
            turns = [("user", "Hi, I need help.")] + confirmed_turns("retail", gold_calls(tau2_task)) + [("agent", f"Done. {info}"), ("user", "Thanks ###STOP###")]
            store.append(dialogue_events(f"d{tau2_task['id']}", task, base, turns))
    return path


def test_verify_agrees_with_recorded_verdicts(gold_store):
    """`cove verify --json` replays every dialogue, scores gold ones 1.0 and agrees with the recorded verdicts."""
    result = runner.invoke(app, ["verify", "--store", str(gold_store), "--json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert len(rows) == 6
    assert all(row["ok"] and row["agrees_with_recorded"] and row["verdict"]["score"] == 1.0 for row in rows)


def test_edited_tool_result_is_caught_naming_the_event(gold_store):
    """Editing a recorded tool result (and even re-hashing it) makes `cove verify` fail and name the event."""
    conn = sqlite3.connect(gold_store)
    event_id, payload = conn.execute("SELECT event_id, payload FROM events WHERE type = 'tool_returned' AND dialogue_id = 'd0' ORDER BY seq LIMIT 1").fetchone()
    data = json.loads(payload)
    data["content"] = data["content"].replace("Yusuf", "Joseph") if "Yusuf" in data["content"] else data["content"] + " "
    conn.execute("UPDATE events SET payload = ? WHERE event_id = ?", (json.dumps(data, sort_keys=True, separators=(",", ":")), event_id))
    conn.commit()
    conn.close()
    result = runner.invoke(app, ["verify", "--store", str(gold_store), "--dialogue", "d0"])
    assert result.exit_code == 1
    assert event_id in result.output


def test_replay_mismatch_is_reported_even_with_a_consistent_chain(tmp_path, tau2_dir, tau2_databases):
    """A log written with a wrong tool result from the start (valid chain) still fails replay, naming the event."""
    base = tau2_databases["retail"]
    tau2_task = json.loads((tau2_dir / "retail" / "tasks.json").read_text())[0]
    task = task_from_tau2("retail", tau2_task, base.content_hash)
    events = dialogue_events("d0", task, base, [("call", c["name"], c["arguments"]) for c in gold_calls(tau2_task)])
    index = next(i for i, e in enumerate(events) if e.type == "tool_returned")
    events[index] = events[index].model_copy(update={"content": '"forged"'})
    path = tmp_path / "events.db"
    with EventStore(path) as store:
        store.put_base(base)
        store.append(events)
    result = runner.invoke(app, ["verify", "--store", str(path)])
    assert result.exit_code == 1 and events[index].event_id in result.output and "forged" in result.output


def test_show_prints_turns_calls_changes_and_verdict(gold_store):
    """`cove show` prints the conversation, the tool calls with results, the state changes and the verdict."""
    result = runner.invoke(app, ["show", "d0", "--store", str(gold_store)])
    assert result.exit_code == 0, result.output
    text = result.output
    assert "user: Hi, I need help." in text and "exchange_delivered_order_items(" in text
    assert "== state changes" in text and "orders/#W2378156/status" in text
    assert "== verdict: score 1.0" in text


@pytest.mark.parametrize("args", [["verify", "--store", "missing.db"], ["show", "nope", "--store", "missing.db"]])
def test_missing_store_is_a_clear_error(tmp_path, args):
    """Pointing at a store that does not exist exits non-zero with its name."""
    args = [a if a != "missing.db" else str(tmp_path / "missing.db") for a in args]
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "missing.db" in result.output
