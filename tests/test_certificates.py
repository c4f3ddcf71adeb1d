"""Certificates in released rows, the run manifest, and `cove verify` holding rows and stores against them.

Every run here is real (embedded nats-server, scripted models, the embedded default sandbox); every store
damaged here is a copy of it, changed with sqlite3 as someone with the file would change it.
"""

from __future__ import annotations

import asyncio
import hashlib
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
from domains.generators import generate_database
from domains.verification import VERIFIER_VERSION
from store.chain import GENESIS_HASH, chain_hash
from store.eventlog import EventStore

runner = CliRunner()
WRITES = ("cancel_", "modify_", "exchange_", "return_")


def _settings(out: Path) -> RunSettings:
    """Four retail dialogues on the default sandbox (what `cove run` plays on without --db), no scripted mistakes."""
    return RunSettings(domain="retail", count=4, seed=1, concurrency=4, out=out, progress=False, scripted_error_rate=0.0)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cert") / "run"
    assert asyncio.run(run_dialogues(_settings(out)))["unfinished"] == 0
    return out


@pytest.fixture
def run_copy(run_dir, tmp_path) -> Path:
    """A copy of the run's folder (events.db, manifest.json, sft.jsonl) to damage."""
    copy = tmp_path / "run"
    copy.mkdir()
    for name in ("events.db", "manifest.json", "sft.jsonl"):
        shutil.copy(run_dir / name, copy / name)
    return copy


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def released(run_dir: Path, tmp_path: Path, change: Callable[[list[dict]], object] | None = None) -> Path:
    """sft.jsonl alone in a folder of its own (no store, no manifest), its rows changed by `change`."""
    rows = lines(run_dir / "sft.jsonl")
    if change is not None:
        change(rows)
    folder = tmp_path / "release"
    folder.mkdir(exist_ok=True)
    path = folder / "sft.jsonl"
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return path


def verify(*args: str) -> tuple[int, str, list[dict]]:
    """`cove verify ARGS` as text (exit code, stdout and stderr) and as --json rows."""
    text = runner.invoke(app, ["verify", *args])
    rows = runner.invoke(app, ["verify", *args, "--json"])
    assert rows.exit_code == text.exit_code
    return text.exit_code, text.output, [json.loads(line) for line in rows.stdout.splitlines()]


def test_rows_carry_certificates_and_the_run_a_manifest(run_dir):
    """Each sft row's certificate names its base, the sha256 of its canonical constraints, its dialogue's content-chain
    head (the manifest's) and the verifier; the manifest lists every stored dialogue and its root follows the documented formula."""
    manifest = json.loads((run_dir / "manifest.json").read_text())
    listed = {entry["dialogue_id"]: entry for entry in manifest["dialogues"]}
    with sqlite3.connect(run_dir / "events.db") as conn:
        counts = dict(conn.execute("SELECT dialogue_id, count(*) FROM events GROUP BY dialogue_id"))
    assert manifest["format"] == "cove-manifest/1" and {k: v["events"] for k, v in listed.items()} == counts
    text = "".join(f"{e['dialogue_id']}\t{e['events']}\t{e['chain_head']}\n" for e in sorted(manifest["dialogues"], key=lambda e: e["dialogue_id"]))
    assert manifest["root"] == hashlib.sha256(text.encode()).hexdigest()
    rows = lines(run_dir / "sft.jsonl")
    assert rows
    for row in rows:
        meta = row["meta"]
        certificate = meta["certificate"]
        canonical = json.dumps(meta["constraints"], sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        assert certificate == {
            "base_db_hash": meta["base_db_hash"],
            "constraints_hash": hashlib.sha256(canonical).hexdigest(),
            "chain_head": listed[meta["dialogue_id"]]["chain_head"],
            "verifier_version": VERIFIER_VERSION,
        }


def test_the_same_seed_gives_the_same_rows_and_manifest(run_dir, tmp_path):
    """A second run with the same seed writes byte-identical sft.jsonl and manifest.json: no wall-clock value is certified."""
    asyncio.run(run_dialogues(_settings(tmp_path / "again")))
    for name in ("sft.jsonl", "manifest.json"):
        assert (tmp_path / "again" / name).read_bytes() == (run_dir / name).read_bytes(), name


def test_released_rows_reverify_alone(run_dir, tmp_path):
    """sft.jsonl copied away from its run re-verifies with no store: every row agrees, on the embedded default sandbox."""
    code, output, rows = verify("--rows", str(released(run_dir, tmp_path)))
    assert code == 0, output
    assert len(rows) == len(lines(run_dir / "sft.jsonl")) and all(row["ok"] and row["verdict"]["score"] == 1.0 for row in rows)
    assert "re-verified from itself alone" in output


def _has_write(row: dict) -> bool:
    return any(c["function"]["name"].startswith(WRITES) for m in row["messages"] for c in m.get("tool_calls") or [])


def _write_call(row: dict) -> tuple[int, dict]:
    """The index and message of the row's first assistant message calling a write tool."""
    return next((i, m) for i, m in enumerate(row["messages"]) if m["role"] == "assistant" and any(c["function"]["name"].startswith(WRITES) for c in m.get("tool_calls") or []))


def change_tool_result(row: dict) -> None:
    tool = next(m for m in row["messages"] if m["role"] == "tool")
    tool["content"] = tool["content"].replace("a", "e", 1) if "a" in tool["content"] else tool["content"] + " "


def drop_tool_call(row: dict) -> None:
    index, message = _write_call(row)
    call_id = message["tool_calls"][0]["id"]
    row["messages"] = [m for i, m in enumerate(row["messages"]) if i != index and m.get("tool_call_id") != call_id]


def drop_call_keep_result(row: dict) -> None:
    _, message = _write_call(row)
    message["tool_calls"] = []


def edit_constraint(row: dict) -> None:
    constraint = row["meta"]["constraints"][0]
    constraint["params"] = {**constraint["params"], "edited": True}


def change_score(row: dict) -> None:
    row["meta"]["verdict"]["score"] = 0.5


def wrong_base_hash(row: dict) -> None:
    row["meta"]["base_db_hash"] = row["meta"]["certificate"]["base_db_hash"] = "ab" * 32


def drop_certificate(row: dict) -> None:
    del row["meta"]["certificate"]


def relabel_verifier(row: dict) -> None:
    row["meta"]["certificate"]["verifier_version"] = "9"


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (change_tool_result, "differs from re-executing it"),
        (drop_tool_call, "the recorded verdict differs from a fresh verification: score recorded 1.0, now"),
        (drop_call_keep_result, "which no earlier assistant message made"),
        (edit_constraint, "the constraints were edited"),
        (change_score, "score recorded 0.5, now 1.0"),
        (wrong_base_hash, "none at hand has that content hash"),
        (drop_certificate, "carries no meta.certificate"),
        (relabel_verifier, "the certificate names verifier '9'"),
    ],
)
def test_a_tampered_released_row_is_caught_with_its_reason(run_dir, tmp_path, change, says):
    """A released row changed after export disagrees, in one line naming its line number, dialogue id and the reason; the other rows agree."""
    target = next(index for index, row in enumerate(lines(run_dir / "sft.jsonl")) if _has_write(row))  # a row that writes
    path = released(run_dir, tmp_path, lambda rows: change(rows[target]))
    dialogue_id = lines(path)[target]["meta"]["dialogue_id"]
    code, output, rows = verify("--rows", str(path))
    assert code == 1
    assert any(line.startswith(f"line {target + 1} ({dialogue_id}): PROBLEM: ") and says in line for line in output.splitlines()), output
    assert not rows[target]["ok"] and any(says in problem for problem in rows[target]["problems"])
    assert [row["ok"] for row in rows].count(False) == 1


def played_elsewhere(row: dict) -> None:
    """The row now names a base nobody has (its certificate kept consistent)."""
    row["meta"]["base_db_hash"] = row["meta"]["certificate"]["base_db_hash"] = "0" * 64


def test_rows_on_a_database_file(run_dir, tmp_path):
    """--db with the base's own content is used; another --db never hides the embedded default the rows were played on;
    a row whose base is nowhere names every base tried; a file that is no database is bad input."""
    right, wrong, broken = tmp_path / "right.json", tmp_path / "wrong.json", tmp_path / "broken.json"
    right.write_text(json.dumps(generate_database("retail", seed=0, scale=1.0)))
    wrong.write_text(json.dumps(generate_database("retail", seed=2, scale=0.2)))
    broken.write_text('{"not": "a database"}')
    path = released(run_dir, tmp_path)
    code, output, _ = verify("--rows", str(path), "--db", str(right))
    assert code == 0, output
    code, output, _ = verify("--rows", str(path), "--db", str(wrong))
    assert code == 0, output  # the run played on the default sandbox: found after the --db file
    (tmp_path / "elsewhere").mkdir()
    elsewhere = released(run_dir, tmp_path / "elsewhere", lambda rows: [played_elsewhere(row) for row in rows])
    code, output, rows = verify("--rows", str(elsewhere), "--db", str(wrong))
    assert code == 1
    for row in rows:
        assert "none at hand has that content hash" in row["problems"][0] and str(wrong) in row["problems"][0] and "embedded default retail sandbox" in row["problems"][0]
    result = runner.invoke(app, ["verify", "--rows", str(path), "--db", str(broken)])
    assert result.exit_code == 2 and result.output.startswith("cove: error: ") and len(result.output.splitlines()) == 1


@pytest.mark.parametrize("content", [None, b"\xff\xfe not text", b"{oops\n"])
def test_unreadable_rows(tmp_path, content):
    """A rows file that is missing or not UTF-8 is bad input (exit 2, one line); a line that is not JSON is that line's problem (exit 1)."""
    path = tmp_path / "rows.jsonl"
    if content is not None:
        path.write_bytes(content)
    result = runner.invoke(app, ["verify", "--rows", str(path)])
    if content == b"{oops\n":
        assert result.exit_code == 1 and "line 1: PROBLEM: not JSON" in result.output
    else:
        assert result.exit_code == 2 and len(result.output.splitlines()) == 1 and "cove: error:" in result.output


def test_rows_held_against_the_store_catch_an_edit_the_verdict_cannot_see(run_copy):
    """An agent message reworded in a row leaves its verdict alone; with the store at hand the row is not what the store exports."""
    rows = lines(run_copy / "sft.jsonl")
    message = next(m for m in rows[0]["messages"] if m["role"] == "assistant" and m.get("content"))
    message["content"] += " Have a lovely day."
    (run_copy / "sft.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    code, output, _ = verify("--rows", str(run_copy / "sft.jsonl"))
    assert code == 0, output  # from the rows alone: the verdict stands
    code, output, results = verify("--rows", str(run_copy / "sft.jsonl"), str(run_copy))
    assert code == 1 and "the row is not what the store exports" in results[0]["problems"][0] and "messages/" in results[0]["problems"][0]
    assert all(row["ok"] for row in results[1:])


def test_a_row_whose_chain_head_is_not_the_manifests(run_copy):
    """A certificate's chain head that the manifest does not list for its dialogue is a problem."""
    rows = lines(run_copy / "sft.jsonl")
    rows[1]["meta"]["certificate"]["chain_head"] = "0" * 64
    (run_copy / "sft.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    code, _, results = verify("--rows", str(run_copy / "sft.jsonl"))
    assert code == 1 and [row["ok"] for row in results].count(False) == 1 and "the manifest lists chain head" in results[1]["problems"][0]


# -- the store against its manifest -----------------------------------------------------------------------------


def sql(path: Path, *statements: tuple[str, tuple]) -> None:
    with sqlite3.connect(path) as conn:
        for statement, params in statements:
            conn.execute(statement, params)


def delete_whole(path: Path, dialogue_id: str) -> None:
    """Every trace of one dialogue gone: its events, its summary row, its constraint types."""
    sql(path, *((f"DELETE FROM {table} WHERE dialogue_id = ?", (dialogue_id,)) for table in ("events", "dialogues", "constraint_types")))


def truncate(path: Path, dialogue_id: str) -> None:
    """The dialogue's last three events gone, and its event count made to match."""
    sql(path, ("DELETE FROM events WHERE dialogue_id = ? AND seq > (SELECT max(seq) - 3 FROM events WHERE dialogue_id = ?)", (dialogue_id, dialogue_id)),
        ("UPDATE dialogues SET n_events = n_events - 3 WHERE dialogue_id = ?", (dialogue_id,)))  # fmt: skip


def replace_with_another(path: Path, dialogue_id: str, other: str) -> None:
    """The dialogue's events replaced by another dialogue's, renamed and re-chained as a forger would."""
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT payload FROM events WHERE dialogue_id = ? ORDER BY seq", (other,)).fetchall()
        conn.execute("DELETE FROM events WHERE dialogue_id = ?", (dialogue_id,))
        previous = GENESIS_HASH
        for (payload,) in rows:
            text = payload.replace(other, dialogue_id)
            data = json.loads(text)
            digest = chain_hash(previous, text)
            conn.execute("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         (dialogue_id, data["seq"], data["event_id"], data["type"], data["actor"], data["time"], data["causation_id"], text, previous, digest))  # fmt: skip
            previous = digest
        conn.execute("UPDATE dialogues SET n_events = ? WHERE dialogue_id = ?", (len(rows), dialogue_id))


def test_the_run_verifies_clean_against_its_manifest(run_dir):
    """`cove verify RUN_DIR` finds events.db and its manifest, and every dialogue agrees with both."""
    code, output, rows = verify(str(run_dir))
    assert code == 0, output
    assert "held against the manifest" in output and len(rows) == 4 and all(row["ok"] for row in rows)


@pytest.mark.parametrize(
    ("damage", "says"),
    [
        (lambda path, ids: delete_whole(path, ids[1]), "the store holds no event of it: deleted whole"),
        (lambda path, ids: truncate(path, ids[1]), "truncated, or replaced"),
        (lambda path, ids: replace_with_another(path, ids[1], ids[2]), "replaced"),
    ],
    ids=["deleted", "truncated", "replaced"],
)
def test_the_manifest_catches_a_dialogue_deleted_truncated_or_replaced(run_copy, damage, says):
    """A dialogue deleted whole, truncated or replaced in events.db is a problem of that dialogue when the manifest is beside it."""
    ids = [entry["dialogue_id"] for entry in json.loads((run_copy / "manifest.json").read_text())["dialogues"]]
    damage(run_copy / "events.db", ids)
    code, output, rows = verify(str(run_copy / "events.db"))
    assert code == 1
    by_id = {row["dialogue_id"]: row for row in rows}
    assert set(by_id) == set(ids) and not by_id[ids[1]]["ok"] and any(says in problem for problem in by_id[ids[1]]["problems"])
    assert "PROBLEM: " in output and says in output
    missing = "(1 listed by the manifest and missing from the store)"
    assert (missing in output) == (says.endswith("deleted whole"))


def test_without_the_manifest_a_deleted_dialogue_goes_unseen_and_the_output_says_so(run_copy):
    """With no manifest at hand a dialogue deleted whole leaves a store that verifies clean, and the output says this cannot be detected."""
    ids = [entry["dialogue_id"] for entry in json.loads((run_copy / "manifest.json").read_text())["dialogues"]]
    delete_whole(run_copy / "events.db", ids[1])
    (run_copy / "manifest.json").rename(run_copy.parent / "kept-manifest.json")
    code, output, rows = verify("--store", str(run_copy / "events.db"))
    assert code == 0 and len(rows) == 3
    assert "a dialogue deleted whole cannot be detected" in output
    code, output, _ = verify("--store", str(run_copy / "events.db"), "--manifest", str(run_copy.parent / "kept-manifest.json"))
    assert code == 1 and "deleted whole" in output


def _rewrite_manifest(path: Path, change: Callable[[dict], object], *, reroot: bool) -> None:
    """Change a manifest's entries, and recompute its root by the documented formula when `reroot`."""
    manifest = json.loads(path.read_text())
    change(manifest)
    if reroot:
        text = "".join(f"{e['dialogue_id']}\t{e['events']}\t{e['chain_head']}\n" for e in sorted(manifest["dialogues"], key=lambda e: e["dialogue_id"]))
        manifest["root"] = hashlib.sha256(text.encode()).hexdigest()
    path.write_text(json.dumps(manifest))


def test_a_dialogue_the_manifest_does_not_list_is_a_problem(run_copy):
    """A dialogue in the store that the manifest does not list (added after the export) is a problem of that dialogue."""
    _rewrite_manifest(run_copy / "manifest.json", lambda m: m["dialogues"].pop(0), reroot=True)
    code, output, rows = verify(str(run_copy))
    assert code == 1 and [row["ok"] for row in rows] == [False, True, True, True]
    assert "not in the manifest manifest.json: a dialogue added to the store after the export" in rows[0]["problems"]


def test_a_manifest_edited_without_its_root_is_a_problem(run_copy):
    """An entry changed without recomputing the root: the manifest disagrees with itself (and with the store), exit 1."""
    _rewrite_manifest(run_copy / "manifest.json", lambda m: m["dialogues"][0].update(events=1), reroot=False)
    code, output, rows = verify(str(run_copy))
    assert code == 1 and "is not the hash of its 4 entries" in output
    assert rows[-1]["dialogue_id"] is None and "is not the hash of its 4 entries" in rows[-1]["problems"][0]


@pytest.mark.parametrize("content", ["{oops", '{"format": "something-else"}', '{"format": "cove-manifest/1", "dialogues": [{"dialogue_id": "x"}], "root": "' + "0" * 64 + '"}'])
def test_a_manifest_that_is_not_one_is_bad_input(run_copy, content):
    """A manifest that is not JSON, not a cove manifest, or with a malformed entry: one line, exit 2."""
    (run_copy / "manifest.json").write_text(content)
    result = runner.invoke(app, ["verify", str(run_copy)])
    assert result.exit_code == 2 and len(result.output.splitlines()) == 1 and "manifest" in result.output


def test_the_store_is_given_once(run_copy):
    """A store given both as an argument and with --store, or nothing to verify at all, is bad input."""
    for args in (["verify", str(run_copy), "--store", str(run_copy / "events.db")], ["verify"], ["verify", str(run_copy), "--db", "x.json"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2 and "cove: error:" in result.output, args


def test_content_heads_leave_out_only_wall_clock_values(run_copy):
    """Changing an event's time (chain recomputed) keeps its dialogue's content head; changing anything else changes it."""
    path = run_copy / "events.db"
    with EventStore(path, readonly=True) as store:
        before = store.content_heads()
    dialogue_id = next(iter(before))
    with sqlite3.connect(path) as conn:
        event_id, payload = conn.execute("SELECT event_id, payload FROM events WHERE dialogue_id = ? AND seq = 3", (dialogue_id,)).fetchone()
        data = json.loads(payload)
        data["time"] += 1000.0
        conn.execute("UPDATE events SET payload = ? WHERE event_id = ?", (json.dumps(data, sort_keys=True, separators=(",", ":")), event_id))
    with EventStore(path, readonly=True) as store:
        assert store.content_heads() == before
    with sqlite3.connect(path) as conn:
        data["actor"] = data["actor"] + "x"
        conn.execute("UPDATE events SET payload = ? WHERE event_id = ?", (json.dumps(data, sort_keys=True, separators=(",", ":")), event_id))
    with EventStore(path, readonly=True) as store:
        after = store.content_heads()
    assert after[dialogue_id] != before[dialogue_id] and {k: v for k, v in after.items() if k != dialogue_id} == {k: v for k, v in before.items() if k != dialogue_id}


def test_a_released_row_given_twice_is_a_problem_and_an_empty_file_is_bad_input(run_dir, tmp_path):
    """The same dialogue on two lines is the later line's problem (exit 1); a rows file with no rows is bad input (exit 2)."""
    path = released(run_dir, tmp_path, lambda rows: rows.append(dict(rows[0])))
    code, output, rows = verify("--rows", str(path))
    assert code == 1
    assert [row["ok"] for row in rows] == [True] * (len(rows) - 1) + [False]
    assert "is also on line 1" in rows[-1]["problems"][0]
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    result = runner.invoke(app, ["verify", "--rows", str(empty)])
    assert result.exit_code == 2 and "holds no rows" in result.output


def test_the_store_that_wrote_a_dialogue_gives_its_content_head_as_a_fresh_reading_does(run_dir, tmp_path):
    """Content heads carried while appending (no second reading of the rows) equal those read back from the rows,
    for dialogues begun by an earlier store object too, and a row changed behind the writer's back is read again."""
    from events import event_to_json
    from store.chain import content_payload, content_payload_of_own

    with EventStore(run_dir / "events.db", readonly=True) as source:
        ids = source.dialogue_ids()
        events = {dialogue_id: source.events(dialogue_id) for dialogue_id in ids}
        expected = source.content_heads()
    assert len(ids) >= 3 and any(getattr(event, "call", None) is not None for event in events[ids[0]])
    for dialogue in events.values():  # the wall-clock members cut out of the text = left out of the parsed payload
        for event in dialogue:
            own = event_to_json(event).decode()
            assert content_payload_of_own(own, event) == content_payload(own)
    path = tmp_path / "events.db"
    first, rest = ids[0], ids[1:]
    with EventStore(path) as earlier:  # a run resumed: this dialogue began under another store object
        earlier.append(events[first][:3])
    with EventStore(path) as writer:
        writer.append(events[first][3:])
        for dialogue_id in rest:
            writer.append(events[dialogue_id][:4])
        writer.append([event for dialogue_id in rest for event in events[dialogue_id][4:]])
        assert first not in writer._own_heads and set(rest) <= set(writer._own_heads)
        assert writer.content_heads() == expected
        assert writer.content_heads(rest[0]) == {rest[0]: expected[rest[0]]}
        with sqlite3.connect(path) as conn:  # the last row of a dialogue rewritten, its hash made to match
            seq, payload, prev_hash = conn.execute("SELECT seq, payload, prev_hash FROM events WHERE dialogue_id = ? ORDER BY seq DESC LIMIT 1", (rest[0],)).fetchone()
            data = json.loads(payload)
            data["actor"] += "x"
            changed = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            conn.execute("UPDATE events SET payload = ?, hash = ? WHERE dialogue_id = ? AND seq = ?", (changed, chain_hash(prev_hash, changed), rest[0], seq))
        after = writer.content_heads()
    with EventStore(path, readonly=True) as reader:
        assert after == reader.content_heads()
    assert after[rest[0]] != expected[rest[0]] and {k: v for k, v in after.items() if k != rest[0]} == {k: v for k, v in expected.items() if k != rest[0]}


def test_a_wall_clock_member_whose_text_is_found_twice_is_left_to_the_full_reading():
    """`content_payload_of_own` gives up (None) when the member it would cut is not found exactly once."""
    from events import TaskSampled, UserSpoke, event_to_json
    from store.chain import content_payload, content_payload_of_own

    event = UserSpoke(dialogue_id="d", seq=1, time=12.5, actor="user", content='{"time": 12.5}')
    payload = event_to_json(event).decode()
    assert content_payload_of_own(payload, event) == content_payload(payload)  # escaped inside the text: no clash
    twin = TaskSampled(dialogue_id="d", seq=1, time=12.5, actor="sampler", domain="retail", task={"time": 12.5}, seed=1, base_db_hash="0" * 64)
    text = event_to_json(twin).decode()
    assert text.count('"time":12.5') == 2 and content_payload_of_own(text, twin) is None
    assert '"time":12.5' in content_payload(text)  # the task's own member stays; only the envelope's goes
