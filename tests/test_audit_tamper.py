"""`cove verify` and `cove show` against a store damaged the way a forger would: the chain recomputed,
the summary row made to match, the verdict relabelled. Every store is a copy of one short real run."""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cove.cli import app
from cove.run import run_dialogues
from cove.settings import RunSettings
from events import parse_event
from domains.verification import verify_dialogue
from store.chain import GENESIS_HASH, chain_hash
from store.eventlog import EventStore
from store.projection import projected_summary
from store.replay import replay_dialogue

runner = CliRunner()
PASSED = "retail-s5-000001"  # scored 1.0 in the run below (cancel_order)
FAILED = "retail-s5-000003"  # scored below 1.0 (the scripted agent's mistakes), the run's last task


@pytest.fixture(scope="module")
def run_store(tmp_path_factory) -> Path:
    """A real four-dialogue retail run (embedded nats-server, scripted models that make mistakes)."""
    out = tmp_path_factory.mktemp("tamper") / "run"
    settings = RunSettings(domain="retail", scale=0.2, db_seed=1, count=4, seed=5, concurrency=4, out=out, progress=False, scripted_error_rate=0.6)
    assert asyncio.run(run_dialogues(settings))["unfinished"] == 0
    return out / "events.db"


@pytest.fixture
def store(run_store, tmp_path) -> Path:
    """A copy of the run's store to damage."""
    return Path(shutil.copy(run_store, tmp_path / "events.db"))


def payloads(path: Path, dialogue_id: str) -> list[dict]:
    with sqlite3.connect(path) as conn:
        return [json.loads(p) for (p,) in conn.execute("SELECT payload FROM events WHERE dialogue_id = ? ORDER BY seq", (dialogue_id,))]


def rewrite(path: Path, dialogue_id: str, change: Callable[[list[dict]], object]) -> None:
    """Change a dialogue's payloads as a forger would: columns, chain and summary row all made to match."""
    events = payloads(path, dialogue_id)
    change(events)
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM events WHERE dialogue_id = ?", (dialogue_id,))
        previous = GENESIS_HASH
        for data in events:
            text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            digest = chain_hash(previous, text)
            conn.execute(
                "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (dialogue_id, data["seq"], data["event_id"], data["type"], data["actor"], data["time"], data["causation_id"], text, previous, digest),
            )
            previous = digest
        summary = projected_summary(parse_event(data) for data in events)
        conn.execute(f"UPDATE dialogues SET {', '.join(f'{c} = ?' for c in summary)} WHERE dialogue_id = ?", (*summary.values(), dialogue_id))
        kinds = json.loads(summary["constraint_types"] or "[]")
        conn.execute("DELETE FROM constraint_types WHERE dialogue_id = ?", (dialogue_id,))
        conn.executemany("INSERT INTO constraint_types VALUES (?, ?)", [(kind, dialogue_id) for kind in kinds])


def of_type(events: list[dict], type_: str) -> dict:
    return next(e for e in reversed(events) if e["type"] == type_)


def verify(path: Path) -> tuple[int, str, dict[str, dict]]:
    text = runner.invoke(app, ["verify", "--store", str(path)])
    rows = runner.invoke(app, ["verify", "--store", str(path), "--json"]).stdout.splitlines()
    return text.exit_code, text.output, {row["dialogue_id"]: row for row in map(json.loads, rows)}


def reported(rows: dict[str, dict]) -> list[str]:
    return sorted(dialogue_id for dialogue_id, row in rows.items() if not row["ok"])


def test_the_real_run_verifies_clean(run_store):
    """The untouched run has no problem, every task is drawn again from its seed, and every verdict agrees."""
    code, _, rows = verify(run_store)
    assert code == 0 and len(rows) == 4
    assert all(row["task_rederived"] and row["agrees_with_recorded"] and row["task_note"] is None for row in rows.values())


def relabel(version: str) -> Callable[[list[dict]], None]:
    def change(events: list[dict]) -> None:
        verified = of_type(events, "dialogue_verified")
        verified["verifier_version"] = verified["verdict"]["verifier_version"] = version
        verified["verdict"]["score"] = 0.5

    return change


@pytest.mark.parametrize("version", ["9", "banana", "", "2.0"])
def test_a_verdict_of_a_version_this_code_does_not_know_is_a_problem(store, version):
    """A verdict labelled with an unknown verifier version is a problem (exit 1), not 'an older verifier', and says what differs."""
    rewrite(store, PASSED, relabel(version))
    code, text, rows = verify(store)
    assert code == 1 and reported(rows) == [PASSED] and "CHANGED" not in text
    assert any(f"labelled verifier {version!r}, a version this code does not know" in p for p in rows[PASSED]["problems"])
    assert rows[PASSED]["changes"]["score"] == {"recorded": 0.5, "now": 1.0}


def raise_to_pass(v1_shaped: bool, consistent: bool) -> Callable[[list[dict]], None]:
    """A rejected dialogue's verdict raised to 1.0 and labelled verifier 1."""

    def change(events: list[dict]) -> None:
        verified = of_type(events, "dialogue_verified")
        verdict = verified["verdict"]
        verified["verifier_version"] = verdict["verifier_version"] = "1"
        verdict.update(score=1.0, attribution="none", reasons=[], violations=[], redundant_writes=[])
        verdict["constraints"] = [dict(c, satisfied=True, missing=[]) for c in verdict["constraints"]]
        verdict["vector"] = [1.0] * len(verdict["constraints"]) if consistent else [0.0] * len(verdict["constraints"])
        if v1_shaped:
            del verdict["checks"]

    return change


@pytest.mark.parametrize(
    ("v1_shaped", "consistent", "says"),
    [(False, True, "holds what verifier 1 never wrote: field(s) checks"), (True, False, "does not add up: vector")],
    ids=["verifier-2-fields", "figures-that-do-not-add-up"],
)
def test_a_forged_verifier_1_verdict_is_a_problem(store, v1_shaped, consistent, says):
    """A verdict labelled verifier 1 that holds verifier 2's fields, or whose figures do not add up, is a problem."""
    rewrite(store, FAILED, raise_to_pass(v1_shaped, consistent))
    code, _, rows = verify(store)
    assert code == 1 and reported(rows) == [FAILED]
    assert any(says in p for p in rows[FAILED]["problems"])


def test_a_current_verdict_relabelled_verifier_2_is_a_problem(store):
    """Verifier 2 never wrote the checks added since (unrequested_offer): a current verdict relabelled '2' is forged, not older."""
    def change(events: list[dict]) -> None:
        verified = of_type(events, "dialogue_verified")
        verified["verifier_version"] = verified["verdict"]["verifier_version"] = "2"
        verified["verdict"].update(score=1.0, attribution="none")

    rewrite(store, FAILED, change)
    code, _, rows = verify(store)
    assert code == 1 and reported(rows) == [FAILED]
    assert any("labelled verifier 2 but holds what verifier 2 never wrote: checks with unrequested_offer" in p for p in rows[FAILED]["problems"])


def test_an_older_verdict_claiming_more_than_a_fresh_one_is_a_change_that_says_so(store):
    """A verdict shaped as verifier 1 wrote it stays a CHANGED line, not a problem, and says that it recorded a higher score."""
    fresh = of_type(payloads(store, FAILED), "dialogue_verified")["verdict"]["score"]
    rewrite(store, FAILED, raise_to_pass(v1_shaped=True, consistent=True))
    code, text, rows = verify(store)
    assert code == 0 and reported(rows) == []
    assert f"score recorded 1.0, now {fresh}" in text and "claims a higher score than a fresh verification gives" in text
    assert rows[FAILED]["would_change"] and rows[FAILED]["recorded_score_higher"]
    assert rows[FAILED]["changes"]["score"] == {"recorded": 1.0, "now": fresh}


def test_a_differing_verdict_of_this_verifier_says_what_differs(store):
    """A current-version verdict that differs from a fresh verification names each differing path with both values."""
    rewrite(store, PASSED, lambda events: of_type(events, "dialogue_verified")["verdict"].update(score=0.5, attribution="agent"))
    code, text, rows = verify(store)
    assert code == 1 and reported(rows) == [PASSED]
    assert rows[PASSED]["changes"] == {"score": {"recorded": 0.5, "now": 1.0}, "attribution": {"recorded": "agent", "now": "none"}}
    assert "differs from a fresh verification: score recorded 0.5, now 1.0; attribution recorded agent, now none" in text


@pytest.mark.parametrize(
    "damage",
    [
        "UPDATE dialogues SET score = 0.0 WHERE dialogue_id = :id",
        "UPDATE dialogues SET attribution = 'agent' WHERE dialogue_id = :id",
        "UPDATE dialogues SET termination_reason = 'max_turns' WHERE dialogue_id = :id",
        "DELETE FROM constraint_types WHERE dialogue_id = :id",
        "DELETE FROM events WHERE dialogue_id = :id AND type = 'dialogue_verified'; UPDATE dialogues SET n_events = n_events - 1 WHERE dialogue_id = :id",
        "DELETE FROM events WHERE dialogue_id = :id AND type IN ('dialogue_ended', 'dialogue_verified'); UPDATE dialogues SET n_events = n_events - 2 WHERE dialogue_id = :id",
    ],
    ids=["score", "attribution", "termination", "constraint-types", "verdict-deleted-count-fixed", "ending-deleted-count-fixed"],
)
def test_a_summary_row_the_events_do_not_give_is_a_problem(store, damage):
    """The dialogues table must be what the events give: a row claiming a verdict or ending the events do not hold is a problem."""
    with sqlite3.connect(store) as conn:
        for statement in damage.split("; "):
            conn.execute(statement, {"id": PASSED})
    code, _, rows = verify(store)
    assert code == 1 and reported(rows) == [PASSED]
    assert any("the summary row disagrees with the events" in p for p in rows[PASSED]["problems"])


@pytest.mark.parametrize(("cause", "what"), [(0, "itself"), (1, "a later event")], ids=["itself", "later"])
def test_a_cause_that_is_not_an_earlier_event_is_a_problem(store, cause, what):
    """An event whose causation_id names itself or a later event of its dialogue is a problem, even with the chain recomputed."""
    rewrite(store, PASSED, lambda events: events[10].update(causation_id=events[10 + cause]["event_id"]))
    code, _, rows = verify(store)
    assert code == 1 and reported(rows) == [PASSED]
    assert any(f"as its cause, which is {what}" in p for p in rows[PASSED]["problems"])


def test_clocks_that_go_backwards_are_not_a_problem(store):
    """Actors on other machines have skewed clocks: an event stamped before its cause is no problem."""
    rewrite(store, PASSED, lambda events: events[10].update(time=events[9]["time"] - 60.0))
    code, _, rows = verify(store)
    assert code == 0 and reported(rows) == []


def first_model_message(events: list[dict], type_: str) -> dict:
    return next(e for e in events if e["type"] == type_ and e["call"] and e["content"])


@pytest.mark.parametrize("type_", ["user_spoke", "agent_spoke"])
def test_a_message_that_is_not_its_recorded_model_reply_is_a_problem(store, type_):
    """A model-made message edited while its call's raw_response keeps the model's words is a problem."""
    def change(events: list[dict]) -> None:
        first_model_message(events, type_)["content"] += " Thanks."

    rewrite(store, PASSED, change)
    code, _, rows = verify(store)
    assert code == 1 and reported(rows) == [PASSED]
    assert any("content differ(s) from the model reply its call records" in p for p in rows[PASSED]["problems"])


def test_a_reply_the_user_actor_strips_is_not_a_problem(store):
    """The user actor strips its model's reply: a raw reply with spaces around the recorded text is what the actor made of it."""
    def change(events: list[dict]) -> None:
        message = first_model_message(events, "user_spoke")["call"]["raw_response"]["message"]
        message["content"] = f"  {message['content']}\n"

    rewrite(store, PASSED, change)
    code, _, rows = verify(store)
    assert code == 0 and reported(rows) == []


def drop_goals(path: Path, unversioned: bool = False) -> Callable[[list[dict]], None]:
    """Keep only the task's first goal, and record the verdict a fresh verification of that task gives
    (`unversioned`: as a store written before tasks recorded their sampler's version)."""

    def change(events: list[dict]) -> None:
        sampled = of_type(events, "task_sampled")
        if unversioned:
            sampled.pop("sampler_version")
        task = sampled["task"]
        task["constraints"] = task["constraints"][:1]
        with EventStore(path, readonly=True) as store:
            base = store.base(task["base_db_hash"])
        replayed = replay_dialogue([parse_event(e) for e in events], lambda domain, content_hash: base)
        of_type(events, "dialogue_verified")["verdict"] = verify_dialogue(replayed.record, base).to_json()

    return change


@pytest.mark.parametrize(
    ("dialogue_id", "unversioned", "problem"),
    [("retail-s5-000000", False, True), (FAILED, False, True), ("retail-s5-000000", True, True), (FAILED, True, False)],
    ids=["first-task", "last-task", "first-task-of-an-unversioned-run", "last-task-of-an-unversioned-run"],
)
def test_a_task_that_is_not_the_one_the_seed_gives(store, dialogue_id, unversioned, problem):
    """A task this sampler's version drew must be drawn again exactly. Of a run that did not record its sampler's version,
    an edited task is a problem when the sampler still draws a later task as recorded; the last task cannot be told from a
    sampler that draws differently from there on, and is a note, not a problem."""
    rewrite(store, dialogue_id, drop_goals(store, unversioned))
    code, _, rows = verify(store)
    row = rows[dialogue_id]
    index = int(dialogue_id.rsplit("-", 1)[1])
    if problem:
        assert code == 1 and not row["ok"] and row["task_rederived"]
        assert any(p.startswith(f"the recorded task is not task {index} of seed 5") and "differs in constraints" in p for p in row["problems"])
    else:
        assert not row["task_rederived"] and "draws another task 3 of seed 5" in row["task_note"]
        assert all("recorded task" not in p for p in row["problems"])


def test_show_on_a_corrupt_page_is_one_line(store):
    """`cove show` on a dialogue whose page is corrupt prints one line, no traceback, and exits 1, as verify reports it."""
    with sqlite3.connect(store) as conn:
        (page_size,) = conn.execute("PRAGMA page_size").fetchone()
        (payload,) = conn.execute("SELECT payload FROM events WHERE dialogue_id = ? AND type = 'tool_called' ORDER BY seq LIMIT 1", (PASSED,)).fetchone()
    content = store.read_bytes()
    page = content.index(payload.encode()) // page_size  # the table page that holds one of the dialogue's rows
    with open(store, "r+b") as handle:
        handle.seek(page * page_size)
        handle.write(bytes((i * 37 + 11) % 256 for i in range(page_size)))
    code, _, rows = verify(store)
    assert code == 1 and any("cannot read the dialogue" in p and "malformed" in p for p in rows[PASSED]["problems"])
    result = runner.invoke(app, ["show", PASSED, "--store", str(store)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.count("\n") == 1 and result.output.startswith(f"cove: error: cannot read dialogue '{PASSED}'")


@pytest.mark.parametrize("damage", ["empty", "text", "directory", "half"])
def test_a_store_that_cannot_be_read_at_all_exits_2(store, damage):
    """A whole file that is no store (empty, text, a directory, cut in half) is bad input: one line and exit 2 for verify and show."""
    content = store.read_bytes()
    store.unlink()
    if damage == "directory":
        store.mkdir()
    else:
        store.write_bytes({"empty": b"", "text": b"not a database\n" * 50, "half": content[: len(content) // 2]}[damage])
    for args in (["verify", "--store", str(store)], ["show", PASSED, "--store", str(store)]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2 and result.output.count("\n") == 1 and result.output.startswith("cove: error:")


@pytest.mark.parametrize(
    ("damage", "says"),
    [
        ("UPDATE events SET payload = CAST(payload AS BLOB) WHERE dialogue_id = :id AND seq = 5", f"event {PASSED}:0005: stored payload is a BLOB, not text"),
        ("DELETE FROM events WHERE dialogue_id = :id", f"no event of dialogue {PASSED} is stored"),
    ],
    ids=["blob-payload", "all-events-deleted"],
)
def test_a_damaged_dialogue_is_named_in_plain_words(store, damage, says):
    """A payload stored as a BLOB and a dialogue whose events are all gone are problems in words, naming the dialogue."""
    with sqlite3.connect(store) as conn:
        conn.execute(damage, {"id": PASSED})
    code, _, rows = verify(store)
    assert code == 1 and reported(rows) == [PASSED] and says in rows[PASSED]["problems"]
