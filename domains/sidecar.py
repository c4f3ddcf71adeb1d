"""A database file and its sidecar: τ²-bench's tables in the one, cove's clock and provenance in the other.

τ²-bench's data models forbid unknown fields, so a database file cove writes holds exactly τ²-bench's
top-level tables. What cove knows beyond them (the generator, seed and scale, and for airline the
domain's current time `now`) is the object it keeps under `meta` in memory and in a run's events.db;
on disk that object is the sidecar beside the file: `retail.json` + `retail.meta.json`.

Reading a file puts its sidecar back under `meta`, so the loaded database, and its content hash, is
what was generated. A file with no sidecar (τ²-bench's own, or hand-made) has no `meta`: an airline
world then runs on τ²-bench's fixed clock. A file an older cove wrote with `meta` inside still loads.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from domains.problems import Problem
from domains.state import DatabaseError, UnreadableJsonError, read_json_file

META_KEY = "meta"
SIDECAR_SUFFIX = ".meta.json"


class SidecarError(DatabaseError):
    """A sidecar that cannot be used: unreadable, not JSON, not the domain's shape, or doubled by an inline `meta`."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where, self.reason = where, reason


def sidecar_path(path: str | Path) -> Path:
    """Where the sidecar of a database file lives: `retail.json` -> `retail.meta.json`, `world` -> `world.meta.json`."""
    path = Path(path)
    return path.with_name(path.name.removesuffix(".json") + SIDECAR_SUFFIX)


def split_meta(data: Mapping[str, Any]) -> tuple[dict[str, Any], Any]:
    """(what the database file holds: every top-level key but `meta`; the `meta` object, None without one)."""
    return {key: value for key, value in data.items() if key != META_KEY}, data.get(META_KEY)


def file_texts(data: Mapping[str, Any], dumps: Any) -> tuple[str, str | None]:
    """The texts of a database file (written with `dumps`) and of its sidecar (None: there is no `meta`)."""
    tables, meta = split_meta(data)
    return dumps(tables), None if meta is None else json.dumps(meta, indent=4)


def read_sidecar(path: str | Path, model: type[BaseModel]) -> dict[str, Any] | None:
    """The sidecar of the database file `path`, checked against `model`; None when there is none.

    SidecarError (one line naming the sidecar) when it cannot be read, is not JSON, or is not `model`'s shape.
    """
    side = sidecar_path(path)
    if not side.exists():
        return None
    try:
        _, meta = read_json_file(side)
    except UnreadableJsonError as exc:
        raise SidecarError(exc.where, exc.reason) from None
    if not isinstance(meta, dict):
        raise SidecarError(str(side), f"a sidecar is a JSON object with {_fields(model)}, got {type(meta).__name__}")
    try:
        model.model_validate(meta, strict=True)
    except ValidationError as exc:
        raise SidecarError(str(side), _first_error(exc, model)) from None
    return meta


def with_sidecar(path: str | Path, data: Any, model: type[BaseModel]) -> Any:
    """A parsed database file as cove holds it: the tables, and the sidecar of `path` (if any) under `meta`.

    SidecarError when the sidecar cannot be used, or when the file has a `meta` of its own besides one.
    """
    if not isinstance(data, dict):
        return data
    meta = read_sidecar(path, model)
    if meta is None:
        return data
    if META_KEY in data:
        raise SidecarError(str(path), f"has a top-level '{META_KEY}' and a sidecar {sidecar_path(path)}: keep one (the sidecar)")
    return {**data, META_KEY: meta}


def checked_with_sidecar(path: str | Path, data: Any, model: type[BaseModel]) -> tuple[Any, list[Problem]]:
    """`with_sidecar` for `cove db check`: the content (None when the sidecar cannot be used) and the pair's problems as files.

    A `meta` inside the file is a problem (τ²-bench's loaders refuse it), and is still checked as a sidecar would be.
    """
    try:
        data = with_sidecar(path, data, model)
    except SidecarError as exc:
        return None, [Problem(exc.where, exc.reason)]
    if isinstance(data, dict) and META_KEY in data and not sidecar_path(path).exists():
        reason = f"is not part of τ²-bench's format, whose loaders refuse unknown keys: move it to the sidecar {sidecar_path(path)}"
        return data, [Problem(str(path), f"top-level '{META_KEY}' {reason}")]
    return data, []


def _fields(model: type[BaseModel]) -> str:
    return ", ".join(model.model_fields)


def _first_error(exc: ValidationError, model: type[BaseModel]) -> str:
    """One line for a sidecar's schema errors: the first, and how many more."""
    errors = exc.errors(include_url=False)
    error = errors[0]
    field = ".".join(str(part) for part in error["loc"])
    if error["type"] == "missing":
        text = f"required field '{field}' is missing"
    elif error["type"] == "extra_forbidden":
        text = f"unknown field '{field}' (a sidecar has {_fields(model)})"
    else:
        text = f"{field}: {error['msg']}, got {json.dumps(error.get('input'), default=repr)}"
    return text + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else "")
