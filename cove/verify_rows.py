"""`cove verify --rows FILE.jsonl`: re-verify released rows and print one line per disagreement (cove/certificates.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from cove.certificates import RowBases, RowResult, RowVerifier
from domains.state import DatabaseError
from domains.verification import VERIFIER_VERSION
from store.eventlog import EventStore
from store.manifest import Manifest
from store.rows import read_rows
from store.verdicts import differences_text


def verify_rows_command(rows: Path, db_files: list[Path], store: EventStore | None, manifest: Manifest | None, as_json: bool) -> int:
    """Re-verify every row of a JSONL file; 0 if all agree, 1 if any disagreement, 2 if the input cannot be read."""
    try:
        text = rows.read_text(encoding="utf-8")
    except OSError as exc:
        return _bad_input(f"{rows}: cannot read the rows: {exc.strerror or exc}")
    except UnicodeDecodeError as exc:
        return _bad_input(f"{rows}: the rows are not UTF-8 text: {exc}")
    for path in db_files:
        if not path.is_file():
            return _bad_input(f"{path}: no such database file")
    try:
        verifier = RowVerifier(RowBases(db_files, store), store, manifest)
    except DatabaseError as exc:
        return _bad_input(str(exc))
    failures, outdated, verified = 0, 0, 0
    lines = read_rows(text)
    if not lines:
        return _bad_input(f"{rows}: holds no rows")
    seen: dict[str, int] = {}  # dialogue id -> the line it was first on
    for number, row, error in lines:
        result = RowResult(number, None, [error]) if row is None else verifier.verify(number, row)
        verified += result.verdict is not None
        if result.dialogue_id is not None:
            if result.dialogue_id in seen:
                result.problems.append(f"dialogue {result.dialogue_id} is also on line {seen[result.dialogue_id]}: a released set holds each dialogue once")
            seen.setdefault(result.dialogue_id, number)
        failures += not result.ok
        outdated += bool(result.changes)
        if as_json:
            sys.stdout.write(json.dumps(result.to_json()) + "\n")
            continue
        score = f"score {result.verdict.score}" if result.verdict is not None else "not verified"
        typer.echo(f"{result.name}: {score}" + (", agrees with its row" if result.ok and not result.changes else ""))
        if result.changes:
            typer.echo(f"{result.name}: CHANGED: the verdict recorded by verifier {result.recorded_version} would change under verifier {VERIFIER_VERSION}: {differences_text(result.changes)}")
        for problem in result.problems:
            typer.echo(f"{result.name}: PROBLEM: {problem}", err=True)
    manifest_problems = manifest.self_problems() if manifest is not None else []
    failures += bool(manifest_problems)
    if as_json:
        if manifest_problems:
            sys.stdout.write(json.dumps({"line": None, "dialogue_id": None, "manifest": str(manifest.path), "ok": False, "problems": manifest_problems}) + "\n")
        return 1 if failures else 0
    for problem in manifest_problems:
        typer.echo(f"PROBLEM: {problem}", err=True)
    typer.echo(f"{len(lines)} row(s), {verified} re-verified, {failures} with problems")
    held = [f"the store {store.path}" if store is not None else "", f"the manifest {manifest.path}" if manifest is not None else ""]
    typer.echo(f"held against {' and '.join(filter(None, held))}" if any(held) else "no store or manifest at hand: each row was re-verified from itself alone")
    if outdated:
        typer.echo(f"{outdated} row(s) were verified by an older verifier and would change under verifier {VERIFIER_VERSION} (see CHANGED)")
    return 1 if failures else 0


def _bad_input(message: str) -> int:
    typer.echo(f"cove: error: {message}", err=True)
    return 2
