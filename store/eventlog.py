"""The SQLite copy of every event: append batches idempotently, query dialogues, audit hash chains.

    with EventStore("run.db") as store:
        store.append(events)                      # one transaction; republished events are skipped
        store.dialogue_ids(constraint_type="cancel_order", termination_reason="user_stop")
        store.verify_chain("retail-7")            # [] when nothing was edited, lost or reordered

One writer at a time (the recorder); any number of readers, e.g. `EventStore(path, readonly=True)`.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from sqlite_utils import Database

from domains.state import Database as BaseDatabase
from events import Event, EventError, TaskSampled, event_to_json, parse_event
from store.chain import (
    GENESIS_HASH, StoredEvent, chain_hash, chain_problems, content_head, content_payload, content_payload_of_own, parse_payload,
)
from store.errors import EventConflictError, SequenceGapError, StoreError
from store.projection import constraint_types_of, summary_changes
from store.schema import open_connection

_INSERT_EVENT = """INSERT INTO events (dialogue_id, seq, event_id, type, actor, time, causation_id,
    payload, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""
_COUNT_EVENTS = """INSERT INTO dialogues (dialogue_id, n_events) VALUES (?, ?)
    ON CONFLICT (dialogue_id) DO UPDATE SET n_events = n_events + excluded.n_events"""
_CHAIN_COLUMNS = "dialogue_id, seq, event_id, type, payload, prev_hash, hash"


@dataclass(frozen=True)
class AppendResult:
    inserted: int
    duplicates: int


@dataclass(frozen=True)
class DialogueSummary:
    """One row of the `dialogues` table: what audits filter on."""

    dialogue_id: str
    task_id: str | None
    domain: str | None
    seed: int | None
    base_db_hash: str | None
    agent_model: str | None
    user_model: str | None
    constraint_types: tuple[str, ...]
    termination_reason: str | None
    score: float | None
    scored: bool | None
    attribution: str | None
    verifier_version: str | None
    n_events: int


class ContentHead(NamedTuple):
    """How many events of a dialogue are stored, and the head of their content chain."""

    events: int
    chain_head: str


@dataclass(frozen=True)
class StoredDialogue:
    """One dialogue as an audit reads it, each payload parsed once: its readable events, one problem per
    unreadable row, its chain's problems, and its summary rows as stored (None, [] without a row)."""

    events: list[Event]
    unreadable: list[str]
    chain_problems: list[str]
    summary: dict[str, Any] | None
    constraint_types: list[str]
    payloads: list[object] = field(default_factory=list)  # as stored, in seq order

    @property
    def content(self) -> ContentHead | None:
        """Its stored event count and content-chain head (what a run's manifest lists); None with no stored event."""
        return ContentHead(len(self.payloads), content_head(self.payloads)) if self.payloads else None


@dataclass
class _DialogueChanges:
    inserted: int = 0
    columns: dict[str, Any] = field(default_factory=dict)
    constraint_types: list[str] | None = None


class EventStore:
    def __init__(self, path: str | Path, *, readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self._conn = open_connection(self.path, readonly=readonly)
        self._db = Database(self._conn, execute_plugins=False)
        self._bases: dict[str, BaseDatabase] = {}
        # dialogue id -> (last seq, its row's chain hash, content-chain head), for the dialogues whose every row
        # this object appended: their content heads need no second reading of their rows (`content_heads`)
        self._own_heads: dict[str, tuple[int, str, str]] = {}

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> EventStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- base databases ------------------------------------------------------------------------

    def put_base(self, base: BaseDatabase) -> str:
        """Keep a base database in the store (once per content hash), so replay needs nothing else."""
        if self.base_hashes().get(base.content_hash) is None:
            content = zlib.compress(base.new_state().dumps().encode(), 6)
            with self._named_errors(), self._write_transaction():
                self._conn.execute(
                    "INSERT OR IGNORE INTO bases (hash, domain, content) VALUES (?, ?, ?)",
                    (base.content_hash, base.domain, content),
                )
        return base.content_hash

    def base_hashes(self) -> dict[str, str]:
        """Content hash -> domain of every base database kept in the store."""
        return dict(self._conn.execute("SELECT hash, domain FROM bases").fetchall())

    def base(self, content_hash: str) -> BaseDatabase:
        """The base database with this content hash; a StoreError if the store does not keep it."""
        cached = self._bases.get(content_hash)
        if cached is not None:
            return cached
        row = self._conn.execute("SELECT domain, content FROM bases WHERE hash = ?", (content_hash,)).fetchone()
        if row is None:
            raise StoreError(f"{self.path}: no base database with hash {content_hash[:12]}")
        from domains.registry import get_domain

        domain, content = row
        base = get_domain(domain).from_json(json.loads(zlib.decompress(content)), source=f"{self.path}#base/{content_hash[:12]}")
        self._bases[content_hash] = base  # loaded once per store object: bases are immutable
        return base

    # -- dead letters --------------------------------------------------------------------------

    def put_dead_letter(self, dead: Any) -> None:
        """Keep a message an actor gave up on (a `MessageDeadLettered`); idempotent per message."""
        with self._named_errors(), self._write_transaction():
            self._conn.execute(
                "INSERT OR IGNORE INTO dead_letters (actor, stream_seq, subject, error, num_delivered, headers, payload) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (dead.actor, dead.stream_seq, dead.subject, dead.error, dead.num_delivered, json.dumps(dead.headers, sort_keys=True), dead.payload),
            )

    def dead_letters(self) -> list[dict[str, Any]]:
        rows = self._conn.execute("SELECT actor, stream_seq, subject, error, num_delivered, headers, payload FROM dead_letters ORDER BY actor, stream_seq")
        keys = ("actor", "stream_seq", "subject", "error", "num_delivered", "headers", "payload")
        return [dict(zip(keys, row)) for row in rows]

    # -- writing -------------------------------------------------------------------------------

    def append(self, events: Iterable[Event]) -> AppendResult:
        """Store a batch in one transaction, in (dialogue, seq) order whatever the input order.

        Already stored events with identical payloads are skipped and counted as duplicates; a
        stored event id with another payload raises `EventConflictError`; an event that does not
        follow its dialogue's last stored one raises `SequenceGapError`. Errors store nothing.
        """
        return self.append_encoded((event, None) for event in events)

    def append_encoded(self, events: Iterable[tuple[Event, str | None]]) -> AppendResult:
        """`append`, for events whose canonical JSON (`event_to_json`, decoded) the caller already has; None: encode it here."""
        batch = sorted(
            ((event, payload if payload is not None else event_to_json(event).decode()) for event, payload in events),
            key=lambda pair: (pair[0].dialogue_id, pair[0].seq),
        )
        if not batch:
            return AppendResult(inserted=0, duplicates=0)
        with self._named_errors(), self._write_transaction():
            rows, changes, inserted = self._plan_rows(batch)
            self._conn.executemany(_INSERT_EVENT, rows)
            self._apply_summaries(changes)
        self._extend_own_heads(inserted)  # once the rows are there for good
        return AppendResult(inserted=len(rows), duplicates=len(batch) - len(rows))

    def _extend_own_heads(self, inserted: list[tuple[Event, str, str]]) -> None:
        """Carry the content chain of dialogues this object wrote from their first event on, with each new row
        (its event, canonical payload and chain hash); a dialogue that began elsewhere is left to `content_heads`."""
        for event, payload, digest in inserted:
            if event.seq == 0:
                previous = GENESIS_HASH
            else:
                known = self._own_heads.get(event.dialogue_id)
                if known is None or known[0] != event.seq - 1:
                    self._own_heads.pop(event.dialogue_id, None)
                    continue
                previous = known[2]
            content = content_payload_of_own(payload, event)
            self._own_heads[event.dialogue_id] = (event.seq, digest, chain_hash(previous, content if content is not None else content_payload(payload)))

    def _plan_rows(
        self, batch: list[tuple[Event, str]]
    ) -> tuple[list[tuple[Any, ...]], dict[str, _DialogueChanges], list[tuple[Event, str, str]]]:
        heads: dict[str, tuple[int, str]] = {}
        inserted: list[tuple[Event, str, str]] = []
        planned: dict[str, str] = {}
        rows: list[tuple[Any, ...]] = []
        changes: dict[str, _DialogueChanges] = {}
        for event, payload in batch:
            dialogue_id = event.dialogue_id
            if dialogue_id not in heads:
                heads[dialogue_id] = self._head(dialogue_id)
            last_seq, last_hash = heads[dialogue_id]
            if event.seq <= last_seq:
                stored = planned.get(event.event_id) or self._stored_payload(event.event_id)
                if stored != payload:
                    raise EventConflictError(event.event_id, stored or "", payload)
                continue
            if event.seq != last_seq + 1:
                raise SequenceGapError(dialogue_id, last_seq + 1, event.seq)
            digest = chain_hash(last_hash, payload)
            rows.append((dialogue_id, event.seq, event.event_id, event.type, event.actor,
                         event.time, event.causation_id, payload, last_hash, digest))
            planned[event.event_id] = payload
            inserted.append((event, payload, digest))
            heads[dialogue_id] = (event.seq, digest)
            change = changes.setdefault(dialogue_id, _DialogueChanges())
            change.inserted += 1
            change.columns.update(summary_changes(event))
            if isinstance(event, TaskSampled):
                change.constraint_types = constraint_types_of(event.task)
        return rows, changes, inserted

    def _head(self, dialogue_id: str) -> tuple[int, str]:
        row = self._conn.execute(
            "SELECT seq, hash FROM events WHERE dialogue_id = ? ORDER BY seq DESC LIMIT 1",
            (dialogue_id,),
        ).fetchone()
        return (row[0], row[1]) if row else (-1, GENESIS_HASH)

    def _stored_payload(self, event_id: str) -> str | None:
        row = self._conn.execute(
            "SELECT payload FROM events WHERE event_id = ?", (event_id,)
        ).fetchone()
        return row[0] if row else None

    def _apply_summaries(self, changes: dict[str, _DialogueChanges]) -> None:
        self._conn.executemany(
            _COUNT_EVENTS, [(dialogue_id, change.inserted) for dialogue_id, change in changes.items()]
        )
        updates: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
        for dialogue_id, change in changes.items():
            if change.columns:
                updates.setdefault(tuple(change.columns), []).append(
                    (*change.columns.values(), dialogue_id)
                )
        for columns, rows in updates.items():  # columns come from SUMMARY_COLUMNS only
            assignments = ", ".join(f"{column} = ?" for column in columns)
            self._conn.executemany(
                f"UPDATE dialogues SET {assignments} WHERE dialogue_id = ?", rows
            )
        typed = {id_: change.constraint_types for id_, change in changes.items()
                 if change.constraint_types is not None}
        self._conn.executemany(
            "DELETE FROM constraint_types WHERE dialogue_id = ?", [(id_,) for id_ in typed]
        )
        self._conn.executemany(
            "INSERT INTO constraint_types (constraint_type, dialogue_id) VALUES (?, ?)",
            [(kind, id_) for id_, kinds in typed.items() for kind in kinds],
        )

    @contextmanager
    def _write_transaction(self) -> Iterator[None]:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    @contextmanager
    def _named_errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as error:
            raise StoreError(f"{self.path}: {error}") from error

    # -- reading -------------------------------------------------------------------------------

    def events(self, dialogue_id: str) -> list[Event]:
        """A dialogue's events in seq order (empty if unknown)."""
        with self._named_errors():
            rows = self._conn.execute(
                "SELECT payload FROM events WHERE dialogue_id = ? ORDER BY seq", (dialogue_id,)
            ).fetchall()
        return [parse_event(payload) for (payload,) in rows]

    def events_with_problems(self, dialogue_id: str) -> tuple[list[Event], list[str]]:
        """A dialogue's readable events in seq order, and one problem per stored row that is not a valid event."""
        with self._named_errors():
            rows = self._conn.execute(
                "SELECT seq, payload FROM events WHERE dialogue_id = ? ORDER BY seq", (dialogue_id,)
            ).fetchall()
        return _readable(dialogue_id, [(seq, payload, parse_payload(payload)) for seq, payload in rows])

    def read_dialogue(self, dialogue_id: str) -> StoredDialogue:
        """Everything `cove verify` reads of one dialogue, in one pass over its rows."""
        with self._named_errors():
            rows = [StoredEvent._make(row) for row in self._conn.execute(
                f"SELECT {_CHAIN_COLUMNS} FROM events WHERE dialogue_id = ? ORDER BY seq", (dialogue_id,))]
            stored = self.summary_row(dialogue_id)
        parsed = [parse_payload(row.payload) for row in rows]
        summary, kinds = stored if stored is not None else (None, [])
        counted = summary.get("n_events") if summary is not None else None
        if not rows and summary is None:
            chain = [f"unknown dialogue {dialogue_id}"]
        else:
            chain = chain_problems(rows, parsed) + _count_problems(len(rows), counted)
        events, unreadable = _readable(dialogue_id, [(row.seq, row.payload, event) for row, event in zip(rows, parsed)])
        return StoredDialogue(events, unreadable, chain, summary, kinds, [row.payload for row in rows])

    def events_of_types(self, *types: str) -> Iterator[Event]:
        """Every readable stored event of these types, dialogue by dialogue in seq order (unreadable rows are skipped:
        `events_with_problems` reports them)."""
        marks = ", ".join("?" * len(types))
        with self._named_errors():
            rows = self._conn.execute(f"SELECT payload FROM events WHERE type IN ({marks}) ORDER BY dialogue_id, seq", types).fetchall()
        for (payload,) in rows:
            event = parse_payload(payload)
            if not isinstance(event, EventError):
                yield event

    def all_dialogue_ids(self) -> list[str]:
        """Every dialogue the store knows of, from its events first (a summary row can be lost or
        deleted; events are the record), then any summary row without events; sorted."""
        with self._named_errors():
            rows = self._conn.execute(
                "SELECT dialogue_id FROM events UNION SELECT dialogue_id FROM dialogues ORDER BY dialogue_id"
            ).fetchall()
        return [dialogue_id for (dialogue_id,) in rows]

    def has_summary(self, dialogue_id: str) -> bool:
        with self._named_errors():
            return self._conn.execute("SELECT 1 FROM dialogues WHERE dialogue_id = ?", (dialogue_id,)).fetchone() is not None

    def iter_events(self) -> Iterator[Event]:
        """Every stored event, dialogue by dialogue, each dialogue in seq order."""
        with self._named_errors():
            cursor = self._conn.execute("SELECT payload FROM events ORDER BY dialogue_id, seq")
            for (payload,) in cursor:
                yield parse_event(payload)

    def last_seq(self, dialogue_id: str) -> int | None:
        """The seq of the dialogue's last stored event, None if none is stored."""
        with self._named_errors():
            seq, _ = self._head(dialogue_id)
        return None if seq < 0 else seq

    def dialogue_ids(
        self,
        *,
        constraint_type: str | None = None,
        model: str | None = None,
        termination_reason: str | None = None,
        score: float | None = None,
        min_score: float | None = None,
        max_score: float | None = None,
        scored: bool | None = None,
        domain: str | None = None,
        limit: int | None = None,
    ) -> list[str]:
        """Ids of the dialogues matching every filter given, sorted; `model` matches either role."""
        clauses: list[str] = []
        params: list[Any] = []
        for sql, value in (
            ("dialogue_id IN (SELECT dialogue_id FROM constraint_types WHERE constraint_type = ?)",
             constraint_type),
            ("termination_reason = ?", termination_reason),
            ("score = ?", score),
            ("score >= ?", min_score),
            ("score <= ?", max_score),
            ("scored = ?", None if scored is None else int(scored)),
            ("domain = ?", domain),
        ):
            if value is not None:
                clauses.append(sql)
                params.append(value)
        if model is not None:
            clauses.append("(agent_model = ? OR user_model = ?)")
            params += [model, model]
        with self._named_errors():
            rows = self._db["dialogues"].rows_where(
                " AND ".join(clauses) or None,
                params,
                select="dialogue_id",
                order_by="dialogue_id",
                limit=limit,
            )
            return [row["dialogue_id"] for row in rows]

    def summary_row(self, dialogue_id: str) -> tuple[dict[str, Any], list[str]] | None:
        """The dialogue's `dialogues` row as stored (no conversion) and its `constraint_types` rows; None without a row."""
        with self._named_errors():
            cursor = self._conn.execute("SELECT * FROM dialogues WHERE dialogue_id = ?", (dialogue_id,))
            row = cursor.fetchone()
            if row is None:
                return None
            kinds = self._conn.execute(
                "SELECT constraint_type FROM constraint_types WHERE dialogue_id = ? ORDER BY constraint_type", (dialogue_id,)
            ).fetchall()
        return dict(zip((column[0] for column in cursor.description), row)), [kind for (kind,) in kinds]

    def dialogue_summary(self, dialogue_id: str) -> DialogueSummary | None:
        """The dialogue's summary row, None if no event of it is stored."""
        with self._named_errors():
            rows = list(self._db["dialogues"].rows_where("dialogue_id = ?", [dialogue_id]))
        if not rows:
            return None
        row = rows[0]
        scored = row.pop("scored")
        return DialogueSummary(
            **row
            | {
                "constraint_types": tuple(json.loads(row["constraint_types"] or "[]")),
                "scored": None if scored is None else bool(scored),
            }
        )

    # -- auditing ------------------------------------------------------------------------------

    def verify_chain(self, dialogue_id: str) -> list[str]:
        """Problems in one dialogue's record (edited payload, broken link, gap, lost events)."""
        with self._named_errors():
            rows = self._conn.execute(
                f"SELECT {_CHAIN_COLUMNS} FROM events WHERE dialogue_id = ? ORDER BY seq",
                (dialogue_id,),
            ).fetchall()
            row = self._conn.execute("SELECT n_events FROM dialogues WHERE dialogue_id = ?", (dialogue_id,)).fetchone()
        counted = row[0] if row is not None else None
        if not rows and counted is None:
            return [f"unknown dialogue {dialogue_id}"]
        return chain_problems(map(StoredEvent._make, rows)) + _count_problems(len(rows), counted)

    def verify_all_chains(self) -> dict[str, list[str]]:
        """Problems of every dialogue that has any, by dialogue id; empty if all are intact."""
        problems: dict[str, list[str]] = {}
        with self._named_errors():
            counted = self._counted_events()
            cursor = self._conn.execute(
                f"SELECT {_CHAIN_COLUMNS} FROM events ORDER BY dialogue_id, seq"
            )
            for dialogue_id, rows in itertools.groupby(
                map(StoredEvent._make, cursor), key=lambda row: row.dialogue_id
            ):
                stored = list(rows)
                found = chain_problems(stored) + _count_problems(
                    len(stored), counted.pop(dialogue_id, None)
                )
                if found:
                    problems[dialogue_id] = found
        for dialogue_id, expected in counted.items():
            problems[dialogue_id] = _count_problems(0, expected)
        return problems

    def content_heads(self, dialogue_id: str | None = None) -> dict[str, ContentHead]:
        """Each dialogue's stored event count and content-chain head (store/chain.py `content_head`), by dialogue id
        in sorted order: of every dialogue with a stored event, or of `dialogue_id` alone ({} if it has none)."""
        where, params = ("WHERE dialogue_id = ?", (dialogue_id,)) if dialogue_id is not None else ("", ())
        if not self._own_heads:
            return self._read_content_heads(where, params)
        heads: dict[str, ContentHead] = {}
        reread: list[str] = []
        with self._named_errors():
            # SQLite takes `hash` from the row with the greatest seq
            tails = self._conn.execute(f"SELECT dialogue_id, count(*), max(seq), hash FROM events {where} GROUP BY dialogue_id", params).fetchall()
        for key, count, last, digest in tails:
            own = self._own_heads.get(key)
            if own is not None and count == last + 1 and own[0] == last and own[1] == digest:  # every row as this object wrote it
                heads[key] = ContentHead(count, own[2])
            else:
                reread.append(key)
        for key in reread:
            heads.update(self._read_content_heads("WHERE dialogue_id = ?", (key,)))
        return dict(sorted(heads.items()))

    def _read_content_heads(self, where: str, params: tuple[Any, ...]) -> dict[str, ContentHead]:
        heads: dict[str, ContentHead] = {}
        with self._named_errors():
            cursor = self._conn.execute(f"SELECT dialogue_id, payload FROM events {where} ORDER BY dialogue_id, seq", params)
            for key, rows in itertools.groupby(cursor, key=lambda row: row[0]):
                payloads = [payload for _, payload in rows]
                heads[key] = ContentHead(len(payloads), content_head(payloads))
        return heads

    def _counted_events(self) -> dict[str, int]:
        return dict(self._conn.execute("SELECT dialogue_id, n_events FROM dialogues"))

    def stats(self) -> dict[str, Any]:
        """Counts for a quick look: events by type, dialogues by termination reason, scores."""
        with self._named_errors():
            query = self._db.query
            by_type = {row["type"]: row["n"] for row in query(
                "SELECT type, count(*) AS n FROM events GROUP BY type ORDER BY type")}
            by_reason = {row["reason"]: row["n"] for row in query(
                "SELECT coalesce(termination_reason, 'unfinished') AS reason, count(*) AS n"
                " FROM dialogues GROUP BY reason ORDER BY reason")}
            scores = next(query(
                "SELECT count(*) AS dialogues, sum(scored = 1) AS scored,"
                " sum(scored = 0) AS unscored, avg(score) AS mean_score FROM dialogues"))
        return {
            "path": str(self.path),
            "events": sum(by_type.values()),
            "dialogues": scores["dialogues"],
            "events_by_type": by_type,
            "termination_reasons": by_reason,
            "scored": scores["scored"] or 0,
            "unscored": scores["unscored"] or 0,
            "mean_score": scores["mean_score"],
        }


def _readable(dialogue_id: str, rows: list[tuple[int, Any, Event | EventError]]) -> tuple[list[Event], list[str]]:
    events, problems = [], []
    for seq, payload, event in rows:
        if not isinstance(event, EventError):
            events.append(event)
        elif isinstance(payload, str):
            problems.append(f"event {dialogue_id}:{seq:04d}: stored payload is not a valid event ({event})")
        else:
            problems.append(f"event {dialogue_id}:{seq:04d}: {event}")
    return events, problems


def _count_problems(stored: int, counted: int | None) -> list[str]:
    if counted is None or counted == stored:
        return []
    return [f"event count mismatch: {counted} appended, {stored} stored (events lost?)"]
