"""The `cove` command line: a thin edge that parses flags and calls into the packages."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, help="cove: verified tool-use dialogues for training LLM agents.")
db_app = typer.Typer(no_args_is_help=True, help="Sandbox databases: generate and check.")
tools_app = typer.Typer(no_args_is_help=True, help="The domains' tools: list and replay.")
app.add_typer(db_app, name="db")
app.add_typer(tools_app, name="tools")


class DomainName(StrEnum):
    retail = "retail"
    airline = "airline"


DomainOption = Annotated[DomainName, typer.Option("--domain", "-d", help="The world: retail or airline.")]


def fail(message: str, code: int = 2) -> NoReturn:
    """Print a clear error to stderr and exit non-zero."""
    typer.echo(f"cove: error: {message}", err=True)
    raise typer.Exit(code)


def load_database(domain: str, path: Path):
    """The base database of a domain, or a clear error naming the file and the problem."""
    from domains.registry import get_domain
    from domains.state import DatabaseError

    try:
        return get_domain(domain).load(path)
    except DatabaseError as exc:
        fail(str(exc))


@db_app.command("generate")
def db_generate(
    domain: DomainOption,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same bytes.")] = 0,
    scale: Annotated[float, typer.Option(min=0.01, max=100.0, help="Size relative to τ²-bench's database (1.0 ≈ same size).")] = 1.0,
    out: Annotated[Path, typer.Option(help="Where to write the db.json file.")] = Path("db.json"),
) -> None:
    """Generate a seeded sandbox database in τ²-bench's db.json format."""
    from cove.files import atomic_write_text
    from domains.generators import generate_database

    data = generate_database(domain, seed=seed, scale=scale)
    atomic_write_text(out, json.dumps(data, indent=4))
    counts = ", ".join(f"{len(value)} {key}" for key, value in data.items() if key != "meta")
    typer.echo(f"wrote {out} ({domain}, seed {seed}, scale {scale}: {counts})")


@db_app.command("check")
def db_check(
    domain: DomainOption,
    db: Annotated[Path, typer.Option("--db", help="The db.json file to check.")],
    limit: Annotated[int, typer.Option(help="Show at most this many problems.")] = 50,
) -> None:
    """Validate a database: shape, types and references. Exit 1 if anything is wrong."""
    from domains.generators import check_database_file

    problems = check_database_file(domain, db)
    if not problems:
        typer.echo(f"{db}: ok ({domain})")
        return
    for problem in problems[:limit]:
        typer.echo(str(problem) if problem.where.startswith(str(db)) else f"{db}: {problem}", err=True)
    if len(problems) > limit:
        typer.echo(f"... and {len(problems) - limit} more", err=True)
    typer.echo(f"{db}: {len(problems)} problem(s)", err=True)
    raise typer.Exit(1)


@tools_app.command("list")
def tools_list(domain: DomainOption) -> None:
    """Print the domain's tools as OpenAI function schemas (JSON)."""
    from domains.registry import get_domain

    typer.echo(json.dumps(get_domain(domain).toolkit.openai_schemas, indent=2))


def _read_calls(path: Path) -> list[Any]:
    try:
        calls = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        fail(f"{path}: cannot read calls file: {exc.strerror or exc}")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        fail(f"{path}: calls file is not valid JSON: {exc}")
    if not isinstance(calls, list):
        fail(f"{path}: calls file must be a JSON list of {{\"name\", \"arguments\"}} objects")
    return calls


@tools_app.command("replay")
def tools_replay(
    domain: DomainOption,
    db: Annotated[Path, typer.Option("--db", help="The base db.json.")],
    calls: Annotated[Path, typer.Option(help='JSON list of {"name": ..., "arguments": {...}} to apply in order.')],
    out: Annotated[Path | None, typer.Option(help="Where to write the final database (same layout as --db).")] = None,
) -> None:
    """Apply tool calls in order on a copy of a database; print one JSON line per call."""
    from cove.files import atomic_write_text
    from domains.registry import get_domain
    from domains.replay import replay_calls

    call_list = _read_calls(calls)
    base = load_database(domain, db)
    state, outcomes = replay_calls(get_domain(domain).toolkit, base.new_state(), call_list)
    for line in outcomes:
        sys.stdout.write(json.dumps(line) + "\n")
    if out is not None:
        atomic_write_text(out, state.dumps())


@app.command("verify")
def verify(
    store: Annotated[Path, typer.Option("--store", help="The run's events.db.")],
    dialogue: Annotated[str | None, typer.Option("--dialogue", help="Only this dialogue id.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per dialogue.")] = False,
) -> None:
    """Re-verify dialogues from the event log alone; exit 1 if any replay or chain check fails."""
    from store.audit import audit_dialogue

    event_store = open_store(store)
    ids = [dialogue] if dialogue else event_store.dialogue_ids()
    if dialogue and event_store.last_seq(dialogue) is None:
        fail(f"{store}: no dialogue {dialogue!r}")
    failures = 0
    for dialogue_id in ids:
        result = audit_dialogue(event_store, dialogue_id)
        failures += not result.ok
        if as_json:
            sys.stdout.write(json.dumps(result.to_json()) + "\n")
            continue
        verdict = result.verdict
        head = f"{dialogue_id}: " + (f"score {verdict.score}  attribution {verdict.attribution}  termination {verdict.termination}" if verdict else "not finished")
        typer.echo(head)
        for constraint in verdict.constraints if verdict else []:
            typer.echo(f"  {'ok' if constraint['satisfied'] else 'NO'}  {constraint['type']}" + (f"  ({'; '.join(constraint['missing'])})" if constraint["missing"] else ""))
        for write in verdict.redundant_writes if verdict else []:
            typer.echo(f"  redundant write: {write['name']}")
        for violation in verdict.violations if verdict else []:
            typer.echo(f"  violation: {violation['rule']}: {violation['message']}")
        for problem in result.problems:
            typer.echo(f"  PROBLEM: {problem}", err=True)
    if not as_json:
        typer.echo(f"{len(ids)} dialogue(s) re-verified, {failures} with problems")
    if failures:
        raise typer.Exit(1)


@app.command("show")
def show(
    dialogue_id: Annotated[str, typer.Argument(help="The dialogue id.")],
    store: Annotated[Path, typer.Option("--store", help="The run's events.db.")],
) -> None:
    """Print one dialogue readably: turns, tool calls and results, state changes, verdict."""
    from store.audit import render_dialogue

    event_store = open_store(store)
    if event_store.last_seq(dialogue_id) is None:
        fail(f"{store}: no dialogue {dialogue_id!r}")
    typer.echo(render_dialogue(event_store, dialogue_id))


def open_store(path: Path):
    """An existing event store opened read-only, or a clear error."""
    from store.errors import StoreError
    from store.eventlog import EventStore

    try:
        return EventStore(path, readonly=True)
    except StoreError as exc:
        fail(str(exc))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
