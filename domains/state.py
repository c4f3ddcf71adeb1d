"""One immutable base database per process, and cheap copy-on-write states over it.

A `Database` holds the parsed JSON of a `db.json` file (τ²-bench's format: top-level tables, each a
dict keyed by record id), and in `extra` any other top-level key: cove's `meta`, a generated database's
clock and provenance, read from its sidecar (`domains.sidecar`). It is never mutated. A `State` is one dialogue's world: a small overlay of
the records it changed or created; everything else is read from the base. The change set of a state
is the overlay minus the records that ended equal to the base, so two worlds are compared by their
change sets, never by hashing a whole database.
"""

from __future__ import annotations

import hashlib
import json
import pickle
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

Record = dict[str, Any]
ChangeSet = dict[str, dict[str, Record]]


class DatabaseError(ValueError):
    """A database file that cannot be used: unreadable, not JSON, or not this domain's shape."""


class UnreadableJsonError(DatabaseError):
    """A file that cannot be read as JSON: `where` is the file, `reason` says why."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where, self.reason = where, reason


def read_json_file(path: str | Path) -> tuple[str, Any]:
    """A JSON file's text and parsed value; UnreadableJsonError says what is wrong (line, column)."""
    where = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise UnreadableJsonError(where, f"cannot read the file: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise UnreadableJsonError(where, f"not UTF-8 text: {exc.reason} at byte {exc.start}") from exc
    try:
        return text, json.loads(text)
    except json.JSONDecodeError as exc:
        raise UnreadableJsonError(where, f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from exc
    except RecursionError as exc:
        raise UnreadableJsonError(where, "invalid JSON: nested too deeply to read") from exc


def clone(value: Any) -> Any:
    """Deep copy of a JSON-like value (dicts, lists, str, numbers, bool, None); fast."""
    return pickle.loads(pickle.dumps(value, pickle.HIGHEST_PROTOCOL))


def canonical_json(value: Any) -> str:
    """JSON text that depends only on content: sorted keys, no whitespace."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(value: Any) -> str:
    """sha256 of the canonical JSON of a value: the identity of a database's content."""
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()


@dataclass(frozen=True)
class JsonLayout:
    """How a JSON file was written, so an output can be written the same way."""

    indent: int | None = 4
    ensure_ascii: bool = True
    trailing_newline: bool = False

    @classmethod
    def sniff(cls, text: str) -> JsonLayout:
        """Guess indentation, escaping and final newline from a file's text."""
        indent: int | None = None
        first_break = text.find("\n")
        if 0 <= first_break < len(text) - 1:
            line = text[first_break + 1 :].split("\n", 1)[0]
            indent = len(line) - len(line.lstrip(" ")) or None
        ensure_ascii = all(ord(ch) < 128 for ch in text[:200_000])
        return cls(indent=indent, ensure_ascii=ensure_ascii, trailing_newline=text.endswith("\n"))

    def dumps(self, value: Any) -> str:
        separators = None if self.indent else (",", ":")
        text = json.dumps(value, indent=self.indent, ensure_ascii=self.ensure_ascii, separators=separators)
        return text + "\n" if self.trailing_newline else text


@dataclass(eq=False)
class Database:
    """The immutable base world of one domain, loaded once per process."""

    domain: str
    tables: dict[str, dict[str, Record]]
    extra: dict[str, Any] = field(default_factory=dict)
    layout: JsonLayout = field(default_factory=JsonLayout)
    source: str = "<memory>"
    _indexes: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(
        cls, domain: str, data: Mapping[str, Any], table_names: tuple[str, ...], **kwargs: Any
    ) -> Database:
        """Split a parsed db.json into its tables and any extra top-level keys."""
        source = kwargs.get("source", "<memory>")
        if not isinstance(data, Mapping):
            raise DatabaseError(f"{source}: top level must be a JSON object, got {type(data).__name__}")
        missing = [name for name in table_names if name not in data]
        if missing:
            raise DatabaseError(f"{source}: not a {domain} database: missing top-level key(s) {missing}")
        for name in table_names:
            if not isinstance(data[name], dict):
                raise DatabaseError(f"{source}: '{name}' must be an object keyed by id")
        tables = {name: data[name] for name in table_names}
        extra = {key: value for key, value in data.items() if key not in table_names}
        return cls(domain=domain, tables=tables, extra=extra, **kwargs)

    @classmethod
    def load(cls, domain: str, path: str | Path, table_names: tuple[str, ...]) -> Database:
        """Read a db.json file alone (`Domain.load` also reads its sidecar); a clear DatabaseError names the file and the problem."""
        text, data = read_json_file(path)
        return cls.from_json(domain, data, table_names, layout=JsonLayout.sniff(text), source=str(path))

    def to_json(self) -> dict[str, Any]:
        return {**self.tables, **self.extra}

    @cached_property
    def content_hash(self) -> str:
        return content_hash(self.to_json())

    def index(self, name: str, build: Any) -> Any:
        """A lookup structure derived from the base, built once on first use (`build(self)`)."""
        try:
            return self._indexes[name]
        except KeyError:
            value = self._indexes[name] = build(self)
            return value

    def new_state(self) -> State:
        return State(self)


_ABSENT = object()


class State:
    """A dialogue's world: the base database plus a copy-on-write overlay of changed records.

    Records returned by `get` may be the base's own objects: treat them as read-only. Use `edit`
    to obtain a private, mutable copy that lives in the overlay.
    """

    __slots__ = ("base", "_overlay", "_journal")

    def __init__(self, base: Database, overlay: dict[str, dict[str, Record]] | None = None) -> None:
        self.base = base
        self._overlay: dict[str, dict[str, Record]] = overlay if overlay is not None else {}
        self._journal: dict[tuple[str, str], Any] | None = None

    # reads
    def get(self, table: str, key: str) -> Record | None:
        changed = self._overlay.get(table)
        if changed is not None and key in changed:
            return changed[key]
        return self.base.tables[table].get(key)

    def __contains__(self, table_key: tuple[str, str]) -> bool:
        table, key = table_key
        return self.get(table, key) is not None

    def keys(self, table: str) -> Iterator[str]:
        """Record ids in base order, then records created in this state in creation order."""
        base = self.base.tables[table]
        yield from base
        changed = self._overlay.get(table, {})
        yield from (key for key in changed if key not in base)

    def values(self, table: str) -> Iterator[Record]:
        for key in self.keys(table):
            yield self.get(table, key)  # type: ignore[misc]

    def count(self, table: str) -> int:
        base = self.base.tables[table]
        return len(base) + sum(1 for key in self._overlay.get(table, {}) if key not in base)

    # writes
    def edit(self, table: str, key: str) -> Record:
        """A mutable copy of a record, kept in the overlay; KeyError if it does not exist."""
        changed = self._overlay.setdefault(table, {})
        self._remember(table, key)
        if key in changed:
            return changed[key]
        copy = changed[key] = clone(self.base.tables[table][key])
        return copy

    def insert(self, table: str, key: str, record: Record) -> None:
        """Create a record (it must not exist yet)."""
        if self.get(table, key) is not None:
            raise KeyError(f"{table}/{key} already exists")
        self._remember(table, key)
        self._overlay.setdefault(table, {})[key] = record

    # transactions: a failed tool call leaves no trace
    def begin(self) -> None:
        self._journal = {}

    def commit(self) -> None:
        self._journal = None

    def rollback(self) -> None:
        journal, self._journal = self._journal or {}, None
        for (table, key), previous in journal.items():
            if previous is _ABSENT:
                self._overlay[table].pop(key, None)
            else:
                self._overlay[table][key] = previous

    def _remember(self, table: str, key: str) -> None:
        """Keep a record's overlay entry as it was before the open transaction first touched it."""
        if self._journal is not None and (table, key) not in self._journal:
            previous = self._overlay.get(table, {}).get(key, _ABSENT)
            self._journal[(table, key)] = previous if previous is _ABSENT else clone(previous)

    # comparison and export
    def changes(self) -> ChangeSet:
        """Records that differ from the base (new or modified), by table; equal copies drop out."""
        result: ChangeSet = {}
        for table, changed in self._overlay.items():
            base = self.base.tables[table]
            diff = {key: rec for key, rec in changed.items() if base.get(key, _ABSENT) != rec}
            if diff:
                result[table] = diff
        return result

    def fork(self) -> State:
        """An independent copy of this state (same base, copied overlay)."""
        return State(self.base, clone(self._overlay))

    def to_json(self) -> dict[str, Any]:
        """The whole database of this state, in the base's key order, new records last."""
        tables = {table: {key: self.get(table, key) for key in self.keys(table)} for table in self.base.tables}
        return {**tables, **self.base.extra}

    def dumps(self) -> str:
        """This state as a db.json text in the base file's own layout."""
        return self.base.layout.dumps(self.to_json())
