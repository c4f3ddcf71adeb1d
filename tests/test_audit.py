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


def verify_rows(path) -> tuple[int, dict[str, dict]]:
    """`cove verify --json` on a store: its exit code and its row per dialogue."""
    result = runner.invoke(app, ["verify", "--store", str(path), "--json"])
    return result.exit_code, {row["dialogue_id"]: row for row in map(json.loads, result.output.splitlines())}


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
    code, rows = verify_rows(gold_store)
    assert code == 0, rows
    assert len(rows) == 6
    assert all(row["ok"] and row["agrees_with_recorded"] and row["verdict"]["score"] == 1.0 for row in rows.values())


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


def test_an_edited_dialogue_whose_summary_row_was_deleted_is_still_checked(gold_store):
    """Dialogues are enumerated from their events: editing one and deleting its summary row cannot hide it."""
    conn = sqlite3.connect(gold_store)
    event_id, payload = conn.execute("SELECT event_id, payload FROM events WHERE type = 'user_spoke' AND dialogue_id = 'd1' ORDER BY seq LIMIT 1").fetchone()
    conn.execute("UPDATE events SET payload = ? WHERE event_id = ?", (payload.replace("Hi, I need help.", "Hi, I need help!"), event_id))
    conn.execute("DELETE FROM dialogues WHERE dialogue_id = 'd1'")
    conn.commit()
    conn.close()
    code, rows = verify_rows(gold_store)
    assert code == 1
    assert len(rows) == 6 and not rows["d1"]["ok"]
    assert any("summary row" in p for p in rows["d1"]["problems"]) and any("d1:" in p or "edited" in p or "hash" in p for p in rows["d1"]["problems"])


def test_a_stored_payload_that_is_not_json_is_a_reported_problem_not_a_crash(gold_store):
    """A malformed row is a problem of its dialogue: every dialogue still gets its JSON line, and the exit status says so."""
    conn = sqlite3.connect(gold_store)
    conn.execute("UPDATE events SET payload = '{not json' WHERE dialogue_id = 'd2' AND seq = 3")
    conn.commit()
    conn.close()
    code, rows = verify_rows(gold_store)
    assert code == 1
    assert len(rows) == 6 and rows["d0"]["ok"]
    assert not rows["d2"]["ok"] and any("d2:0003" in p and "not a valid event" in p for p in rows["d2"]["problems"])
    plain = runner.invoke(app, ["verify", "--store", str(gold_store)])
    assert plain.exit_code == 1 and "6 dialogue(s) re-verified, 1 with problems" in plain.output
    assert runner.invoke(app, ["show", "d2", "--store", str(gold_store)]).exit_code == 0


def test_verdicts_of_an_older_verifier_are_reported_as_changes_not_problems(tmp_path, tau2_dir, tau2_databases):
    """A store verified by verifier 1 (a write made without confirmation then scored 1.0) says what the current verifier changes."""
    base = tau2_databases["retail"]
    tau2_task = json.loads((tau2_dir / "retail" / "tasks.json").read_text())[0]
    task = task_from_tau2("retail", tau2_task, base.content_hash)
    turns = [("user", "Hi, I need help.")] + [("call", c["name"], c["arguments"]) for c in gold_calls(tau2_task)] + [("user", "Thanks ###STOP###")]
    events = dialogue_events("old", task, base, turns)
    old_verdict = {**events[-1].verdict, "score": 1.0, "attribution": "none", "violations": [], "verifier_version": "1"}
    old_verdict.pop("checks")
    events[-1] = events[-1].model_copy(update={"verdict": old_verdict, "verifier_version": "1"})
    path = tmp_path / "events.db"
    with EventStore(path) as store:
        store.put_base(base)
        store.append(events)
    result = runner.invoke(app, ["verify", "--store", str(path)])
    assert result.exit_code == 0, result.output
    from domains.verification import VERIFIER_VERSION

    assert f"CHANGED: the verdict recorded by verifier 1 would change under verifier {VERIFIER_VERSION}" in result.output and "score recorded 1.0, now 0.5" in result.output
    assert "claims a higher score than a fresh verification gives" in result.output
    assert "1 verdict(s) were recorded by an older verifier; 1 would change" in result.output
    row = json.loads(runner.invoke(app, ["verify", "--store", str(path), "--json"]).output)
    assert row["ok"] and row["would_change"] and row["changes"]["violations"]["now"] == ["confirmation"]
    assert row["changes"]["score"] == {"recorded": 1.0, "now": 0.5} and row["recorded_score_higher"]


def test_a_difference_in_long_texts_is_shown_where_it_starts():
    """Two long texts that differ late are both cut from just before the first difference, so the line shows what changed."""
    from store.verdicts import differences_text

    recorded = json.dumps({"order_id": "#W5926988", "user_id": "caleb_kim_3133", "address": {"address1": "12 Main St", "city": "Boston"}})
    now = recorded.replace("12 Main", "14 Main")
    said = differences_text({"messages/3/content": {"recorded": recorded, "now": now}, "score": {"recorded": 1.0, "now": 0.5}})
    assert '"12 Main St"' in said and '"14 Main St"' in said
    assert said.endswith("score recorded 1.0, now 0.5")
