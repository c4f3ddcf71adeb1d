"""The store's file: how it is opened, recognised as a cove event store, and created."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlite_utils import Database

from store.errors import StoreError

APPLICATION_ID = 0x436F5645  # "CoVE" in the SQLite header: this file is a cove event store
SCHEMA_VERSION = 1
TABLES = ("events", "dialogues", "constraint_types", "bases", "dead_letters")

EVENT_COLUMNS = {
    "dialogue_id": str,
    "seq": int,
    "event_id": str,
    "type": str,
    "actor": str,
    "time": float,
    "causation_id": str,
    "payload": str,  # event_to_json(event): the canonical text the hash covers
    "prev_hash": str,
    "hash": str,
}
DIALOGUE_COLUMNS = {
    "dialogue_id": str,
    "task_id": str,
    "domain": str,
    "seed": int,
    "base_db_hash": str,
    "agent_model": str,
    "user_model": str,
    "constraint_types": str,  # JSON list, also one row per type in the constraint_types table
    "termination_reason": str,
    "score": float,  # NULL when unscored
    "scored": int,
    "attribution": str,
    "verifier_version": str,
    "n_events": int,
}
INDEXED_DIALOGUE_COLUMNS = (
    "score", "scored", "attribution", "termination_reason", "agent_model", "user_model",
    "task_id", "domain",
)


def open_connection(path: Path, *, readonly: bool) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), checked to be a cove store."""
    if readonly and not path.is_file():
        raise StoreError(f"{path}: no such event store")
    target, uri = (path.resolve().as_uri() + "?mode=ro", True) if readonly else (str(path), False)
    try:
        conn = sqlite3.connect(target, uri=uri, isolation_level=None, check_same_thread=False)
    except sqlite3.Error as error:
        raise StoreError(f"{path}: cannot open event store: {error}") from error
    try:
        conn.execute("PRAGMA busy_timeout = 5000")
        _check_or_create(conn, path, readonly=readonly)
    except sqlite3.DatabaseError as error:
        conn.close()
        raise StoreError(f"{path} is not a cove event store (or is corrupt): {error}") from error
    except StoreError:
        conn.close()
        raise
    return conn


def _check_or_create(conn: sqlite3.Connection, path: Path, *, readonly: bool) -> None:
    application_id = conn.execute("PRAGMA application_id").fetchone()[0]
    n_objects = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    if application_id == 0 and n_objects == 0:
        if readonly:
            raise StoreError(f"{path} is an empty database, not a cove event store")
        create_schema(conn)
    elif application_id != APPLICATION_ID:
        raise StoreError(f"{path} is a SQLite database but not a cove event store")
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version != SCHEMA_VERSION:
        raise StoreError(f"{path}: event store schema {version}, this code reads {SCHEMA_VERSION}")
    missing = set(TABLES) - set(Database(conn, execute_plugins=False).table_names())
    if missing:
        raise StoreError(f"{path}: event store is missing tables {sorted(missing)}")
    if not readonly:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")


def create_schema(conn: sqlite3.Connection) -> None:
    """Tables and the indexes audit questions need, in one transaction."""
    conn.execute("PRAGMA journal_mode = WAL")
    db = Database(conn, execute_plugins=False)
    with db.atomic():
        db["events"].create(
            EVENT_COLUMNS,
            pk=("dialogue_id", "seq"),
            not_null=[column for column in EVENT_COLUMNS if column != "causation_id"],
            if_not_exists=True,
        )
        db["events"].create_index(
            ["event_id"], "events_by_event_id", unique=True, if_not_exists=True
        )
        db["events"].create_index(["type"], "events_by_type", if_not_exists=True)
        db["dialogues"].create(
            DIALOGUE_COLUMNS,
            pk="dialogue_id",
            not_null=["dialogue_id", "n_events"],
            defaults={"n_events": 0},
            if_not_exists=True,
        )
        for column in INDEXED_DIALOGUE_COLUMNS:
            db["dialogues"].create_index([column], f"dialogues_by_{column}", if_not_exists=True)
        db["constraint_types"].create(
            {"constraint_type": str, "dialogue_id": str},
            pk=("constraint_type", "dialogue_id"),
            not_null=["constraint_type", "dialogue_id"],
            if_not_exists=True,
        )
        db["constraint_types"].create_index(
            ["dialogue_id"], "constraint_types_by_dialogue", if_not_exists=True
        )
        db["bases"].create(  # the base databases dialogues were sampled from, by content hash
            {"hash": str, "domain": str, "content": bytes},  # content: zlib-compressed db.json text
            pk="hash",
            not_null=["hash", "domain", "content"],
            if_not_exists=True,
        )
        db["dead_letters"].create(  # messages an actor gave up on (poison or endlessly failing)
            {"actor": str, "stream_seq": int, "subject": str, "error": str, "num_delivered": int, "headers": str, "payload": bytes},
            pk=("actor", "stream_seq"),
            if_not_exists=True,
        )
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
