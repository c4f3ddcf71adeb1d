"""The SQLite event store, on real files: idempotent batches, hash chains, audit queries, modes."""

from __future__ import annotations

import random
import sqlite3

import pytest

from events import (
    AgentSpoke,
    DialogueEnded,
    DialogueVerified,
    InstructionFuzzified,
    ModelCall,
    TaskSampled,
    TerminationReason,
    ToolCallRequest,
    ToolCalled,
    ToolReturned,
    UserSpoke,
    event_to_json,
)
from store import (
    GENESIS_HASH,
    EventConflictError,
    EventStore,
    SequenceGapError,
    StoreError,
    chain_hash,
)


def dialogue(
    dialogue_id: str,
    *,
    constraint_types: tuple[str, ...] = ("cancel_order",),
    agent_model: str = "agent-a",
    user_model: str = "user-a",
    reason: TerminationReason = TerminationReason.USER_STOP,
    score: float | None = 1.0,
) -> list:
    """A complete ten-event dialogue with the given audit-relevant facts."""
    envelope = lambda seq, actor: {"dialogue_id": dialogue_id, "seq": seq,  # noqa: E731
                                   "time": 1_750_000_000.0 + seq, "actor": actor}
    constraints = [{"type": kind, "order_id": f"#W{index}"} for index, kind in enumerate(constraint_types)]
    return [
        TaskSampled(**envelope(0, "sampler"), domain="retail", seed=7, base_db_hash="b" * 64,
                    task={"task_id": f"task-{dialogue_id}", "constraints": constraints}),
        InstructionFuzzified(**envelope(1, "fuzzifier"), instruction="Cancel it.",
                             descriptions={}, fuzz_level="low"),
        UserSpoke(**envelope(2, "user"), content="Cancel my order.", call=ModelCall(model=user_model)),
        AgentSpoke(**envelope(3, "agent"), call=ModelCall(model=agent_model),
                   tool_calls=[ToolCallRequest(id="c1", name="get_order_details",
                                               arguments='{"order_id": "#W0"}')]),
        ToolCalled(**envelope(4, "tools"), call_id="c1", name="get_order_details",
                   arguments='{"order_id": "#W0"}'),
        ToolReturned(**envelope(5, "tools"), call_id="c1", name="get_order_details",
                     content='{"status": "pending"}', mutates_state=False),
        AgentSpoke(**envelope(6, "agent"), content="Done.", call=ModelCall(model=agent_model)),
        UserSpoke(**envelope(7, "user"), content="###STOP###", call=ModelCall(model=user_model)),
        DialogueEnded(**envelope(8, "orchestrator"), reason=reason),
        DialogueVerified(**envelope(9, "verifier"), verifier_version="1",
                         verdict={"score": score, "scored": score is not None,
                                  "attribution": "agent" if score == 0 else None}),
    ]


@pytest.fixture
def store(tmp_path):
    with EventStore(tmp_path / "events.db") as opened:
        yield opened


def raw(store: EventStore) -> sqlite3.Connection:
    """A plain sqlite3 connection to the store's file, as a tamperer would use."""
    conn = sqlite3.connect(store.path, isolation_level=None)
    conn.create_function("chain_hash", 2, chain_hash)
    return conn


def test_append_stores_a_batch(store):
    """A batch is stored whole and read back as the same events, in order."""
    events = dialogue("d1")
    result = store.append(events)
    assert (result.inserted, result.duplicates) == (10, 0)
    assert store.events("d1") == events
    assert store.last_seq("d1") == 9
    assert store.last_seq("nope") is None and store.events("nope") == []


@pytest.mark.parametrize("first", [10, 4, 0], ids=["all", "prefix", "none"])
def test_reappend_is_idempotent(store, first):
    """Re-appending already stored events skips them and counts them as duplicates."""
    events = dialogue("d1")
    store.append(events[:first])
    result = store.append(events)
    assert (result.inserted, result.duplicates) == (10 - first, first)
    assert store.events("d1") == events
    assert store.dialogue_summary("d1").n_events == 10


def test_duplicates_within_one_batch_are_counted(store):
    """An event delivered twice in the same batch is stored once."""
    events = dialogue("d1")
    result = store.append(events + events[3:5])
    assert (result.inserted, result.duplicates) == (10, 2)


def test_conflicting_payload_is_refused_and_nothing_stored(store):
    """Same event id with a different payload raises EventConflictError and rolls back the batch."""
    store.append(dialogue("d1")[:3])
    forged = UserSpoke(dialogue_id="d1", seq=2, time=0.0, actor="user", content="something else")
    with pytest.raises(EventConflictError, match="d1:0002") as raised:
        store.append([*dialogue("d2"), forged])
    assert raised.value.event_id == "d1:0002"
    assert store.events("d2") == [] and store.last_seq("d1") == 2


@pytest.mark.parametrize(("stored", "offered", "expected"), [(3, 4, 3), (0, 1, 0)],
                         ids=["missing-middle", "missing-first"])
def test_sequence_gap_is_refused_and_nothing_stored(store, stored, offered, expected):
    """An event that does not follow its dialogue's last one raises SequenceGapError atomically."""
    events = dialogue("d1")
    store.append(events[:stored])
    with pytest.raises(SequenceGapError) as raised:
        store.append([*dialogue("d0"), events[offered]])
    assert (raised.value.dialogue_id, raised.value.expected_seq, raised.value.got_seq) == (
        "d1", expected, offered)
    assert store.events("d0") == []
    store.append(events[stored:])
    assert store.events("d1") == events


def test_out_of_order_batch_is_accepted(store):
    """Within one batch, events of several dialogues may arrive in any order."""
    events = dialogue("d1") + dialogue("d2") + dialogue("d3")
    random.Random(7).shuffle(events)
    assert store.append(events).inserted == 30
    assert [event.seq for event in store.events("d2")] == list(range(10))


def test_hash_chain_links_every_event(store):
    """Each stored hash is sha256(prev_hash + payload) and links to the previous event's hash."""
    events = dialogue("d1")
    store.append(events)
    rows = raw(store).execute(
        "SELECT payload, prev_hash, hash FROM events WHERE dialogue_id = 'd1' ORDER BY seq").fetchall()
    previous = GENESIS_HASH
    for event, (payload, prev_hash, digest) in zip(events, rows, strict=True):
        assert payload == event_to_json(event).decode()
        assert (prev_hash, digest) == (previous, chain_hash(previous, payload))
        previous = digest
    assert store.verify_chain("d1") == [] and store.verify_all_chains() == {}


TAMPERINGS = {
    "edited-payload": (
        ["UPDATE events SET payload = replace(payload, 'pending', 'cancelled') WHERE seq = 5"],
        ["edited payload at d1:0005"],
    ),
    "edited-and-rehashed": (
        ["UPDATE events SET payload = replace(payload, 'pending', 'cancelled') WHERE seq = 5",
         "UPDATE events SET hash = chain_hash(prev_hash, payload) WHERE seq = 5"],
        ["broken link at d1:0006"],
    ),
    "deleted-middle": (
        ["DELETE FROM events WHERE seq = 4"],
        ["gap: expected seq 4, found 5", "broken link at d1:0005", "count mismatch"],
    ),
    "deleted-tail": (["DELETE FROM events WHERE seq = 9"], ["count mismatch: 10 appended, 9"]),
    "moved-column": (["UPDATE events SET type = 'user_spoke' WHERE seq = 3"],
                     ["columns of d1:0003 disagree"]),
}


@pytest.mark.parametrize("name", list(TAMPERINGS))
def test_tampering_is_detected_and_named(store, name):
    """Edits made behind the store's back are reported by verify_chain, naming the event."""
    statements, expected = TAMPERINGS[name]
    store.append(dialogue("d1") + dialogue("d2"))
    with raw(store) as conn:
        for statement in statements:
            conn.execute(statement.replace("WHERE", "WHERE dialogue_id = 'd1' AND"))
    problems = store.verify_chain("d1")
    assert len(problems) == len(expected)
    assert all(wanted in problem for wanted, problem in zip(expected, problems, strict=True))
    assert store.verify_all_chains() == {"d1": problems}
    assert store.verify_chain("d2") == []


def test_unknown_dialogue_is_a_problem(store):
    """Verifying a dialogue that was never stored reports it rather than passing."""
    assert store.verify_chain("ghost") == ["unknown dialogue ghost"]


@pytest.fixture
def audited(store):
    """Four dialogues differing in constraint types, models, termination and score."""
    store.append(dialogue("d1", constraint_types=("cancel_order", "modify_items"), score=1.0))
    store.append(dialogue("d2", constraint_types=("modify_items",), agent_model="agent-b", score=0.0))
    store.append(dialogue("d3", reason=TerminationReason.MAX_TURNS, user_model="user-b", score=0.5))
    store.append(dialogue("d4", reason=TerminationReason.INFRASTRUCTURE_FAILURE, score=None))
    return store


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ["d1", "d2", "d3", "d4"]),
        ({"constraint_type": "modify_items"}, ["d1", "d2"]),
        ({"constraint_type": "book_flight"}, []),
        ({"model": "agent-b"}, ["d2"]),
        ({"model": "user-b"}, ["d3"]),
        ({"model": "agent-a", "constraint_type": "cancel_order"}, ["d1", "d3", "d4"]),
        ({"termination_reason": "max_turns"}, ["d3"]),
        ({"score": 1.0}, ["d1"]),
        ({"min_score": 0.5}, ["d1", "d3"]),
        ({"max_score": 0.5, "scored": True}, ["d2", "d3"]),
        ({"scored": False}, ["d4"]),
        ({"domain": "retail", "limit": 2}, ["d1", "d2"]),
    ],
)
def test_audit_queries_select_the_right_dialogues(audited, filters, expected):
    """dialogue_ids filters by constraint type, model, termination reason and score."""
    assert audited.dialogue_ids(**filters) == expected


def test_dialogue_summary_is_folded_from_events(audited):
    """The summary row carries task, models, constraint types, termination and verdict."""
    summary = audited.dialogue_summary("d2")
    assert (summary.task_id, summary.domain, summary.seed, summary.agent_model, summary.user_model) == (
        "task-d2", "retail", 7, "agent-b", "user-a")
    assert summary.constraint_types == ("modify_items",)
    assert (summary.termination_reason, summary.score, summary.scored, summary.attribution) == (
        "user_stop", 0.0, True, "agent")
    unscored = audited.dialogue_summary("d4")
    assert (unscored.score, unscored.scored) == (None, False)
    assert audited.dialogue_summary("ghost") is None


def test_reverification_replaces_the_verdict(audited):
    """A later DialogueVerified replaces the earlier verdict in the summary."""
    audited.append([DialogueVerified(dialogue_id="d4", seq=10, time=0.0, actor="verifier",
                                     verifier_version="2", verdict={"score": 1.0, "scored": True})])
    assert audited.dialogue_ids(scored=False) == []
    assert audited.dialogue_summary("d4").verifier_version == "2"


def test_stats_count_events_and_outcomes(audited):
    """stats() counts events by type and dialogues by outcome."""
    stats = audited.stats()
    assert (stats["events"], stats["dialogues"], stats["scored"], stats["unscored"]) == (40, 4, 3, 1)
    assert stats["events_by_type"]["agent_spoke"] == 8
    assert stats["termination_reasons"] == {"infrastructure_failure": 1, "max_turns": 1, "user_stop": 2}
    assert stats["mean_score"] == pytest.approx(0.5)


def test_store_survives_reopening(tmp_path):
    """A reopened store continues each dialogue's chain where it stopped."""
    events = dialogue("d1")
    with EventStore(tmp_path / "events.db") as store:
        store.append(events[:5])
    with EventStore(tmp_path / "events.db") as store:
        assert store.append(events).inserted == 5
        assert store.verify_chain("d1") == []


def test_readonly_store_reads_but_cannot_write(tmp_path):
    """A store opened read-only answers queries and refuses appends with StoreError."""
    path = tmp_path / "events.db"
    with EventStore(path) as store:
        store.append(dialogue("d1")[:5])
    with EventStore(path, readonly=True) as audit:
        assert len(audit.events("d1")) == 5
        with pytest.raises(StoreError, match="readonly"):
            audit.append(dialogue("d1")[5:])
        assert audit.last_seq("d1") == 4


def test_readonly_reader_follows_a_live_writer(store):
    """An audit opened read-only next to the recorder sees each committed batch."""
    events = dialogue("d1")
    store.append(events[:5])
    with EventStore(store.path, readonly=True) as audit:
        assert audit.last_seq("d1") == 4
        store.append(events[5:])
        assert audit.events("d1") == events


def test_wal_mode_is_enabled(store):
    """The store's file is in WAL mode, so audits read while the recorder writes."""
    assert raw(store).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def write_text_file(path):
    path.write_text("dialogue_id,score\nd1,1.0\n")


def write_other_database(path):
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY)")


def write_truncated_store(path):
    with EventStore(path) as store:
        store.append(dialogue("d1"))
    path.write_bytes(path.read_bytes()[:100])


@pytest.mark.parametrize(
    ("make", "readonly"),
    [
        (write_text_file, False),
        (write_text_file, True),
        (write_other_database, False),
        (write_truncated_store, True),
        (lambda path: None, True),
        (lambda path: path.write_bytes(b""), True),
    ],
    ids=["text", "text-readonly", "other-database", "truncated", "missing-readonly", "empty-readonly"],
)
def test_not_a_store_gives_store_error_naming_the_file(tmp_path, make, readonly):
    """Opening something that is not a cove event store raises StoreError naming the file."""
    path = tmp_path / "not-a-store.db"
    make(path)
    with pytest.raises(StoreError, match="not-a-store.db"):
        EventStore(path, readonly=readonly).verify_all_chains()
