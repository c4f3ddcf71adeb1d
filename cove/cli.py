"""The `cove` command line: a thin edge that parses flags and calls into the packages."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from domains import DEFAULT_DOMAIN

app = typer.Typer(add_completion=False, no_args_is_help=True, help="cove: verified tool-use dialogues for training LLM agents.")
db_app = typer.Typer(no_args_is_help=True, help="Sandbox databases: generate and check.")
tools_app = typer.Typer(no_args_is_help=True, help="The domains' tools: list and replay.")
app.add_typer(db_app, name="db")
app.add_typer(tools_app, name="tools")


def registered_domain(name: str) -> str:
    """`name` if a domain plug-in registers it and it loads; else one line naming the registered ones, exit 2."""
    from domains.registry import UnknownDomainError, get_domain

    try:
        get_domain(name)
    except UnknownDomainError as exc:
        fail(str(exc))
    return name


DomainOption = Annotated[str, typer.Option("--domain", "-d", metavar="NAME", callback=registered_domain, help="The world: a registered domain (`cove domains` lists them).")]


# NATS credentials, shared by `cove run` and `cove worker` (each also read from its environment variable).
NatsUser = Annotated[str | None, typer.Option(envvar="COVE_NATS_USER", help="NATS user (with --nats-password).")]
NatsPassword = Annotated[str | None, typer.Option(envvar="COVE_NATS_PASSWORD", help="NATS password (better: the environment variable).")]
NatsToken = Annotated[str | None, typer.Option(envvar="COVE_NATS_TOKEN", help="NATS token (better: the environment variable).")]
NatsCreds = Annotated[Path | None, typer.Option(envvar="COVE_NATS_CREDS", help="NATS .creds file (JWT + NKey).")]
NatsNKey = Annotated[Path | None, typer.Option(envvar="COVE_NATS_NKEY", help="NATS NKey seed file.")]
NatsTlsCa = Annotated[Path | None, typer.Option(envvar="COVE_NATS_TLS_CA", help="CA certificate to trust for NATS TLS.")]
NatsTlsCert = Annotated[Path | None, typer.Option(envvar="COVE_NATS_TLS_CERT", help="Client certificate for NATS TLS.")]
NatsTlsKey = Annotated[Path | None, typer.Option(envvar="COVE_NATS_TLS_KEY", help="Client key for NATS TLS.")]


StreamReplicas = Annotated[
    int | None,
    typer.Option(min=1, max=5, help="Keep the COVE stream (and its consumers) on this many servers of a NATS cluster; default: an existing stream's replicas, else 1."),
]


def check_nats_url(nats_url: str | None) -> None:
    """One clear line for a --nats-url list with an empty entry."""
    from actors.bus import NatsUrlError, split_servers

    if nats_url is not None:
        try:
            split_servers(nats_url)
        except NatsUrlError as exc:
            fail(str(exc))


def fail(message: str, code: int = 2) -> NoReturn:
    """Print a clear error to stderr and exit non-zero."""
    typer.echo(f"cove: error: {message}", err=True)
    raise typer.Exit(code)


def writable_file(path: Path) -> Path:
    """`path` if a file can be written there, or a clear error (a folder in the way, a file as a parent)."""
    from cove.files import OutputPathError, check_output_file

    try:
        check_output_file(path)
    except OutputPathError as exc:
        fail(f"--out {exc}")
    return path


def write_output(path: Path, text: str) -> None:
    """Write an output file atomically, or fail with one line saying why."""
    from cove.files import atomic_write_text

    writable_file(path)
    try:
        atomic_write_text(path, text)
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror or exc}")


def load_database(domain: str, path: Path):
    """The base database of a domain, or a clear error naming the file and the problem."""
    from domains.registry import UnknownDomainError, get_domain
    from domains.state import DatabaseError

    try:
        return get_domain(domain).load(path)
    except (DatabaseError, UnknownDomainError) as exc:
        fail(str(exc))


def writable_database(out: Path) -> None:
    """A clear error unless a database file and its sidecar can both be written at `out`."""
    from domains.sidecar import sidecar_path

    writable_file(out)
    writable_file(sidecar_path(out))


def write_database(out: Path, data: dict[str, Any], dumps: Any) -> Path | None:
    """Write a database as τ²-bench's file at `out` and its `meta` as the sidecar beside it; the sidecar's path, or None.

    With no `meta` (τ²-bench's own tables) a sidecar left at that place by an earlier file is removed:
    it belongs to the content being replaced and would give this one a clock that is not its own.
    """
    from domains.sidecar import file_texts, sidecar_path

    side = sidecar_path(out)
    text, meta_text = file_texts(data, dumps)
    write_output(out, text)
    if meta_text is None:
        try:
            side.unlink(missing_ok=True)
        except OSError as exc:
            fail(f"cannot remove the stale sidecar {side}: {exc.strerror or exc}")
        return None
    write_output(side, meta_text)
    return side


@db_app.command("generate")
def db_generate(
    domain: DomainOption,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same bytes.")] = 0,
    scale: Annotated[float, typer.Option(min=0.01, max=100.0, help="Size relative to τ²-bench's database (1.0 ≈ same size).")] = 1.0,
    out: Annotated[Path, typer.Option(help="Where to write the db.json file; its sidecar NAME.meta.json (generator, seed, scale, airline's now) goes beside it. '-': the database to stdout, no sidecar.")] = Path("db.json"),
) -> None:
    """Generate a seeded sandbox database in τ²-bench's db.json format, with its clock and provenance in a sidecar."""
    from domains.generators import generate_database
    from domains.sidecar import split_meta

    to_stdout = str(out) == "-"
    if not to_stdout:
        writable_database(out)
    data = generate_database(domain, seed=seed, scale=scale)
    tables, meta = split_meta(data)
    counts = ", ".join(f"{len(value)} {key}" for key, value in tables.items())
    if to_stdout:
        sys.stdout.write(json.dumps(tables, indent=4))
        sidecar = json.dumps(meta, separators=(", ", ": "))
        typer.echo(f"wrote the database to stdout ({domain}, seed {seed}, scale {scale}: {counts}); its sidecar is not written: "
                   f"save {sidecar} as NAME.meta.json beside the file, or use --out FILE", err=True)
        return
    side = write_database(out, data, lambda value: json.dumps(value, indent=4))
    typer.echo(f"wrote {out} and its sidecar {side} ({domain}, seed {seed}, scale {scale}: {counts})")


@db_app.command("check")
def db_check(
    domain: DomainOption,
    db: Annotated[Path, typer.Option("--db", help="The db.json file to check (with its sidecar NAME.meta.json, if there is one).")],
    limit: Annotated[int, typer.Option(help="Show at most this many problems.")] = 50,
) -> None:
    """Validate a database and its sidecar: shape, types and references. Exit 1 if anything is wrong."""
    from domains.generators import check_database_file
    from domains.sidecar import sidecar_path

    problems = check_database_file(domain, db)
    side = sidecar_path(db)
    if not problems:
        typer.echo(f"{db}: ok ({domain}{', with its sidecar ' + str(side) if side.exists() else ', no sidecar'})")
        return
    for problem in problems[:limit]:
        named = problem.where.startswith((str(db), str(side)))
        typer.echo(str(problem) if named else f"{db}: {problem}", err=True)
    if len(problems) > limit:
        typer.echo(f"... and {len(problems) - limit} more", err=True)
    typer.echo(f"{db}: {len(problems)} problem(s)", err=True)
    raise typer.Exit(1)


@app.command("domains")
def domains_list() -> None:
    """List the registered domain plug-ins (entry-point group `cove.domains`): name, tables, where each comes from.

    Exit 1 if one cannot be loaded (its line says why); the others still work.
    """
    from domains.registry import ENTRY_POINT_GROUP, UnknownDomainError, domain_names, entry_point_of, get_domain

    broken = 0
    for name in domain_names():
        try:
            typer.echo(f"{name}\t{entry_point_of(name)}\t({', '.join(get_domain(name).tables)})")
        except UnknownDomainError as exc:
            broken += 1
            typer.echo(f"cove: error: {exc}", err=True)
    if not domain_names():
        typer.echo(f"no domain is registered in the entry-point group {ENTRY_POINT_GROUP!r}", err=True)
    if broken:
        raise typer.Exit(1)


@tools_app.command("list")
def tools_list(domain: DomainOption) -> None:
    """Print the domain's tools as OpenAI function schemas (JSON)."""
    from domains.registry import get_domain

    typer.echo(json.dumps(get_domain(domain).toolkit.openai_schemas, indent=2))


@app.command("asyncapi")
def asyncapi(out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the document here (default: print it).")] = None) -> None:
    """Print the AsyncAPI 3.0 document of the actors' events: subjects, consumers, payload schemas."""
    from actors.asyncapi import asyncapi_json

    text = asyncapi_json()
    if out is None:
        sys.stdout.write(text)
    else:
        write_output(out, text)


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
    out: Annotated[Path | None, typer.Option(help="Where to write the final database (same layout as --db; the sidecar, if --db has one, beside it).")] = None,
) -> None:
    """Apply tool calls in order on a copy of a database; print one JSON line per call."""
    from domains.registry import get_domain
    from domains.replay import replay_calls

    if out is not None:
        writable_database(out)
    call_list = _read_calls(calls)
    base = load_database(domain, db)
    state, outcomes = replay_calls(get_domain(domain).toolkit, base.new_state(), call_list)
    for line in outcomes:
        sys.stdout.write(json.dumps(line) + "\n")
    if out is not None:
        write_database(out, state.to_json(), base.layout.dumps)


@app.command("sample")
def sample(
    domain: DomainOption,
    db: Annotated[Path, typer.Option("--db", help="The base db.json to sample goals from.")],
    n: Annotated[int, typer.Option("--n", min=1, help="How many tasks.")],
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same file.")] = 0,
    constraints: Annotated[str, typer.Option(help="Goals per task: a range such as 1-3, or one number.")] = "1-3",
    fuzz: Annotated[str, typer.Option(help="How ids are described: exact, partial or full.")] = "full",
    out: Annotated[Path, typer.Option(help="Where to write the tasks (JSON lines).")] = Path("tasks.jsonl"),
    rewrite_model: Annotated[str | None, typer.Option(help="An LLM (litellm name) that rewords each scenario; kept only if every fact survives and no id leaks.")] = None,
    rewrite_base_url: Annotated[str | None, typer.Option()] = None,
    rewrite_api_key_env: Annotated[str | None, typer.Option(help="NAME of the env variable holding the rewrite model's key.")] = None,
) -> None:
    """Sample solvable, policy-valid tasks and describe them as a customer would."""
    import os

    from cove.sample_cmd import llm_rewriter, sample_command
    from domains.sampling import SamplingError
    from domains.state import DatabaseError

    writable_file(out)
    rewrite = None
    if rewrite_model:
        if rewrite_model.startswith("cove/"):
            from actors.llm import litellm_with_scripted_models
            from actors.scripted import register_scripted_models

            register_scripted_models()
            litellm_with_scripted_models()  # the rewrite calls litellm itself
        key = os.environ.get(rewrite_api_key_env) if rewrite_api_key_env else None
        rewrite = llm_rewriter(rewrite_model, rewrite_base_url, key)
    try:
        sample_command(domain, db, n, seed, constraints, fuzz, out, rewrite=rewrite)
    except (DatabaseError, SamplingError) as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror or exc}")


@app.command("verify")
def verify(
    path: Annotated[Path | None, typer.Argument(help="A run folder, or its events.db (the same as --store).", show_default=False)] = None,
    store: Annotated[Path | None, typer.Option("--store", help="The run's events.db.")] = None,
    dialogue: Annotated[str | None, typer.Option("--dialogue", help="Only this dialogue id.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per dialogue (per row with --rows).")] = False,
    manifest: Annotated[Path | None, typer.Option("--manifest", help="The run's manifest.json; default: the one beside events.db (beside the rows with --rows and no store), if any.")] = None,
    rows: Annotated[Path | None, typer.Option("--rows", help="Re-verify exported rows (sft.jsonl) from the rows alone, each on the base its certificate names.")] = None,
    db: Annotated[list[Path] | None, typer.Option("--db", help="With --rows: a base database the rows name by content hash (repeatable); default: the embedded sandboxes.")] = None,
) -> None:
    """Re-verify dialogues from the event log alone; exit 1 if any stored event, chain, task, summary row, replay or verdict is wrong.

    Every dialogue with a stored event is checked (not only those with a summary row). A verdict
    recorded by an older verifier (1 or 2) is compared with this one's: what the new rules would change is reported,
    and is not a problem. With the run's manifest, a dialogue deleted, truncated, replaced or added is a problem.
    With --rows, each row is re-verified from itself (and from the store or manifest when given). Exit 2: the
    store, the manifest or the rows cannot be read at all.
    """
    if path is not None and store is not None:
        fail("give the store once: as an argument or with --store")
    store = store if store is not None else path
    if store is not None and store.is_dir():
        store = store / "events.db"
    if rows is None and store is None:
        fail("give a run folder or its events.db, or --rows FILE.jsonl")
    if rows is None and db:
        fail("--db goes with --rows (a store keeps its own base databases)")
    if rows is not None and dialogue:
        fail("--dialogue goes with a store, not with --rows")
    beside = store.parent if store is not None else rows.parent
    manifest_file = _run_manifest(manifest, beside)
    if rows is not None:
        from cove.verify_rows import verify_rows_command

        raise typer.Exit(verify_rows_command(rows, db or [], open_store(store) if store is not None else None, manifest_file, as_json))
    _verify_store(store, dialogue, as_json, manifest_file)


def _run_manifest(given: Path | None, folder: Path):
    """The manifest named with --manifest, else the run folder's manifest.json if there is one; None without."""
    from store.manifest import MANIFEST_NAME, ManifestError, read_manifest

    path = given if given is not None else folder / MANIFEST_NAME
    if given is None and not path.is_file():
        return None
    try:
        return read_manifest(path)
    except ManifestError as exc:
        fail(str(exc))


def _verify_store(store: Path, dialogue: str | None, as_json: bool, manifest) -> None:
    from cove.audit import StoreAuditor
    from domains.verification import VERIFIER_VERSION
    from store.errors import StoreError
    from store.verdicts import differences_text

    event_store = open_store(store)
    auditor = StoreAuditor(event_store, manifest)
    try:
        known = auditor.dialogue_ids()
    except StoreError as exc:
        fail(f"cannot list the dialogues: {exc}")
    if dialogue and dialogue not in known:
        fail(f"{store}: no dialogue {dialogue!r}")
    ids = [dialogue] if dialogue else known
    failures, changed, outdated, higher, unchecked = 0, 0, 0, 0, 0
    for dialogue_id in ids:
        result = auditor.audit(dialogue_id)
        failures += not result.ok
        unchecked += result.task_note is not None
        outdated += result.outdated
        changes = result.changes() if result.outdated else {}
        changed += bool(changes)
        higher += bool(changes) and result.recorded_higher
        if as_json:
            sys.stdout.write(json.dumps(result.to_json()) + "\n")
            continue
        echo_verdict(dialogue_id, result.verdict, "not finished" if result.verdict is None and not result.problems else "not verified")
        if changes:
            claim = " (the recorded verdict claims a higher score than a fresh verification gives)" if result.recorded_higher else ""
            typer.echo(f"  CHANGED: the verdict recorded by verifier {result.recorded_version} would change under verifier {VERIFIER_VERSION}: {differences_text(changes)}{claim}")
        for problem in result.problems:
            typer.echo(f"  PROBLEM: {problem}", err=True)
    manifest_problems = manifest.self_problems() if manifest is not None else []
    failures += bool(manifest_problems)
    if as_json and manifest_problems:
        sys.stdout.write(json.dumps({"dialogue_id": None, "manifest": str(manifest.path), "ok": False, "problems": manifest_problems}) + "\n")
    if not as_json:
        for problem in manifest_problems:
            typer.echo(f"PROBLEM: {problem}", err=True)
        listed_only = len(set(ids) - set(event_store.all_dialogue_ids()))  # in the manifest, not in the store
        typer.echo(f"{len(ids)} dialogue(s) re-verified, {failures} with problems" + (f" ({listed_only} listed by the manifest and missing from the store)" if listed_only else ""))
        if manifest is not None:
            typer.echo(f"held against the manifest {manifest.path} ({len(manifest.heads)} dialogue(s), root {manifest.root[:12]})")
        else:
            typer.echo("no manifest (manifest.json beside events.db, or --manifest FILE): a dialogue deleted whole cannot be detected")
        if outdated:
            claims = f", {higher} of them recorded a higher score than a fresh verification gives" if higher else ""
            typer.echo(f"{outdated} verdict(s) were recorded by an older verifier; {changed} would change under verifier {VERIFIER_VERSION} (see CHANGED){claims}")
        if unchecked:
            typer.echo(f"{unchecked} task(s) could not be drawn again: this cove's sampler draws them otherwise (the run was made by another version of cove; see --json task_note)")
    if failures:
        raise typer.Exit(1)


def echo_verdict(name: str, verdict, missing: str) -> None:
    """A verdict, readably: score and blame, each constraint, redundant writes, violations."""
    from cove.audit import violation_line

    if verdict is None:
        typer.echo(f"{name}: {missing}")
        return
    typer.echo(f"{name}: score {verdict.score}  attribution {verdict.attribution}  termination {verdict.termination}")
    for constraint in verdict.constraints:
        typer.echo(f"  {'ok' if constraint['satisfied'] else 'NO'}  {constraint['type']}" + (f"  ({'; '.join(constraint['missing'])})" if constraint["missing"] else ""))
    for write in verdict.redundant_writes:
        typer.echo(f"  redundant write: {write['name']}")
    for violation in verdict.violations:
        typer.echo(f"  {violation_line(violation)}")


@app.command("grade")
def grade(
    rows: Annotated[Path, typer.Option("--rows", help="A JSONL file of dialogues in the sft.jsonl shape: messages, data_source, meta with the task.")],
    db: Annotated[Path, typer.Option("--db", help="The base database the dialogues were played on.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per row.")] = False,
) -> None:
    """Grade dialogues written outside cove (another generator's, or by hand) with cove's verifier.

    Each row's tool calls are re-executed on the database; the verdict is printed per row. Exit 1 if
    any row cannot be read or its recorded tool results differ from re-execution.
    """
    from domains.registry import domain_names, is_registered
    from domains.verification import verify_dialogue
    from store.rows import RowError, read_rows, record_of_row

    if not rows.is_file():
        fail(f"{rows}: no such file")
    bases: dict[str, object] = {}
    failures = 0
    for number, row, error in read_rows(rows.read_text(encoding="utf-8")):
        problems, verdict = [error] if error else [], None
        if row is not None:
            domain = str(row.get("data_source") or "")
            try:
                if not is_registered(domain):
                    raise RowError(f"data_source {domain!r} is not a domain cove knows ({', '.join(domain_names())})")
                if domain not in bases:
                    bases[domain] = load_database(domain, db)
                graded = record_of_row(row, bases[domain])
                problems += graded.problems
                verdict = verify_dialogue(graded.record, bases[domain])
            except RowError as exc:
                problems.append(str(exc))
        failures += bool(problems)
        name = ((row or {}).get("meta") or {}).get("dialogue_id") or ((row or {}).get("meta") or {}).get("task_id") or f"line {number}"
        if as_json:
            sys.stdout.write(json.dumps({"line": number, "dialogue_id": name, "ok": not problems, "problems": problems, "verdict": verdict.to_json() if verdict else None}) + "\n")
            continue
        echo_verdict(name, verdict, "not graded")
        for problem in problems:
            typer.echo(f"  PROBLEM: {problem}", err=True)
    if failures:
        raise typer.Exit(1)


@app.command("show")
def show(
    dialogue_id: Annotated[str, typer.Argument(help="The dialogue id.")],
    store: Annotated[Path, typer.Option("--store", help="The run's events.db.")],
) -> None:
    """Print one dialogue readably: turns, tool calls and results, state changes, verdict, problems.

    Exit 1 if the dialogue cannot be read (a corrupt page); exit 2 if the store cannot be opened.
    """
    import sqlite3

    from cove.audit import render_dialogue
    from store.errors import StoreError

    event_store = open_store(store)
    try:
        if event_store.last_seq(dialogue_id) is None:
            fail(f"{store}: no dialogue {dialogue_id!r}")
        text = render_dialogue(event_store, dialogue_id)
    except (StoreError, sqlite3.Error) as exc:
        fail(f"cannot read dialogue {dialogue_id!r}: {exc}", code=1)
    typer.echo(text)


def open_store(path: Path):
    """An existing event store opened read-only, or a clear error."""
    from store.errors import StoreError
    from store.eventlog import EventStore

    try:
        return EventStore(path, readonly=True)
    except StoreError as exc:
        fail(str(exc))


def _nats_auth(user, password, token, creds, nkey, tls_ca, tls_cert, tls_key):
    from actors.natsauth import NatsAuth

    return NatsAuth(user=user, password=password, token=token, creds_file=creds, nkey_seed_file=nkey, tls_ca=tls_ca, tls_cert=tls_cert, tls_key=tls_key)


def _role_settings(model: str, api_base: str | None, api_key_env: str | None, temperature: float, max_tokens: int | None, timeout: float, concurrency: int):
    from cove.settings import RoleSettings

    return RoleSettings(model=model, api_base=api_base, api_key_env=api_key_env, temperature=temperature, max_tokens=max_tokens, timeout=timeout, concurrency=concurrency)


UserModels = Annotated[
    list[str] | None,
    typer.Option("--user-model", metavar="MODEL[=WEIGHT]", show_default=False,
                 help="User simulator model (litellm name); repeat, with =WEIGHT (default 1), to draw one per dialogue by weight. Default: the offline scripted user."),
]  # fmt: skip
UserPoolFile = Annotated[
    Path | None,
    typer.Option("--user-pool", metavar="FILE", help="A TOML (or .json) pool of user simulators, each with its own name, weight, model, base_url, api_key_env, temperature, max_tokens (see README)."),
]  # fmt: skip


def _user_simulators(models: list[str] | None, pool_file: Path | None, base_url: str | None, api_key_env: str | None, temperature: float, max_tokens: int | None, timeout: float, concurrency: int) -> dict[str, Any]:
    """The `user` and `user_pool` run settings from the --user-* flags or a --user-pool file (one line and exit 2 for bad input)."""
    from cove.user_pool import PoolError, load_pool_file, pool_from_flags

    try:
        if pool_file is not None:
            given = [flag for flag, value in (("--user-model", models), ("--user-base-url", base_url), ("--user-api-key-env", api_key_env),
                                              ("--user-temperature", temperature or None), ("--user-max-tokens", max_tokens)) if value is not None]  # fmt: skip
            if given:
                fail(f"--user-pool {pool_file} sets every simulator's model and settings: drop {', '.join(given)} (or put them in the file)")
            pool = load_pool_file(pool_file, _role_settings("-", None, None, 0.0, None, timeout, concurrency))
            return {"user": pool[0].role} if len(pool) == 1 else {"user_pool": pool}
        shared = _role_settings("cove/scripted-user", base_url, api_key_env, temperature, max_tokens, timeout, concurrency)
        pool = pool_from_flags(models or ["cove/scripted-user"], shared)
    except PoolError as exc:
        fail(str(exc))
    if pool:
        return {"user_pool": pool}
    from cove.user_pool import parse_weighted_model

    return {"user": shared.model_copy(update={"model": parse_weighted_model((models or ["cove/scripted-user"])[0])[0]})}


@app.command("run")
def run(
    domain: DomainOption = DEFAULT_DOMAIN,
    db: Annotated[Path | None, typer.Option("--db", help="Base db.json; default: our generated sandbox.")] = None,
    db_seed: Annotated[int, typer.Option(help="Seed of the generated sandbox when no --db is given.")] = 0,
    scale: Annotated[float, typer.Option(min=0.01, max=100.0, help="Size of the generated sandbox.")] = 1.0,
    count: Annotated[int | None, typer.Option(min=1, help="Dialogues to make; omit for continuous mode.")] = None,
    seed: Annotated[int, typer.Option(help="Run seed: same seed, models and database, same files.")] = 0,
    concurrency: Annotated[int, typer.Option(min=1, max=4096, help="Dialogues in flight at once.")] = 8,
    processes: Annotated[int, typer.Option(min=1, max=64, help="Processes serving the actors (this one plus helpers); use your cores.")] = 1,
    out: Annotated[Path, typer.Option(help="Output folder: events.db, sft.jsonl, rewards.jsonl, summary.json.")] = Path("runs/latest"),
    nats_url: Annotated[str | None, typer.Option(envvar="COVE_NATS_URL", help="External NATS: one server, or a cluster's servers separated by commas; default: start an embedded nats-server.")] = None,
    nats_timeout: Annotated[float, typer.Option(min=0.1, help="Seconds to reach NATS before giving up.")] = 10.0,
    stream_replicas: StreamReplicas = None,
    nats_user: NatsUser = None,
    nats_password: NatsPassword = None,
    nats_token: NatsToken = None,
    nats_creds: NatsCreds = None,
    nats_nkey: NatsNKey = None,
    nats_tls_ca: NatsTlsCa = None,
    nats_tls_cert: NatsTlsCert = None,
    nats_tls_key: NatsTlsKey = None,
    actors: Annotated[str, typer.Option(help="Actor types to run in this process (comma-separated, or 'none').")] = "sampler,fuzzifier,user,agent,executor,verifier",
    agent_model: Annotated[str, typer.Option(help="Agent model (litellm name); default: the offline scripted agent.")] = "cove/scripted-agent",
    agent_base_url: Annotated[str | None, typer.Option(help="Agent API base URL (e.g. a local vLLM).")] = None,
    agent_api_key_env: Annotated[str | None, typer.Option(help="NAME of the env variable holding the agent's API key.")] = None,
    agent_temperature: Annotated[float, typer.Option()] = 0.0,
    agent_max_tokens: Annotated[int | None, typer.Option()] = None,
    agent_concurrency: Annotated[int, typer.Option(min=1, help="Agent model calls in flight at once.")] = 64,
    user_model: UserModels = None,
    user_pool: UserPoolFile = None,
    user_base_url: Annotated[str | None, typer.Option(help="User simulator API base URL (every --user-model's).")] = None,
    user_api_key_env: Annotated[str | None, typer.Option(help="NAME of the env variable holding the user simulator's API key (every --user-model's).")] = None,
    user_temperature: Annotated[float, typer.Option()] = 0.0,
    user_max_tokens: Annotated[int | None, typer.Option()] = None,
    user_concurrency: Annotated[int, typer.Option(min=1, help="User model calls in flight at once (per simulator of a pool).")] = 64,
    model_timeout: Annotated[float, typer.Option(min=0.1, help="Seconds per model call attempt.")] = 60.0,
    scripted_error_rate: Annotated[float, typer.Option(min=0.0, max=1.0, help="Share of dialogues in which a scripted model makes one realistic mistake.")] = 0.1,
    scripted_mistakes: Annotated[str | None, typer.Option(help="Mistake classes or kinds to draw from, comma-separated (default: all; see README).")] = None,
    rewrite_model: Annotated[str | None, typer.Option(help="An LLM that rewords each scenario (kept only if every fact survives and no id leaks).")] = None,
    rewrite_base_url: Annotated[str | None, typer.Option()] = None,
    rewrite_api_key_env: Annotated[str | None, typer.Option()] = None,
    constraints: Annotated[str, typer.Option(help="Goals per task, e.g. 1-3.")] = "1-3",
    fuzz: Annotated[str, typer.Option(help="exact, partial or full.")] = "full",
    max_turns: Annotated[int, typer.Option(min=2)] = 100,
    target_passing: Annotated[int | None, typer.Option(min=1, help="Continuous mode: stop after this many passing dialogues.")] = None,
    budget_usd: Annotated[float | None, typer.Option(min=0.0, help="Continuous mode: stop once model cost reaches this.")] = None,
    infra_failure_limit: Annotated[int, typer.Option(min=0, help="Stop once this many finished dialogues in a row failed on infrastructure (0: never).")] = 20,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
    resume: Annotated[Path | None, typer.Option("--resume", help="Finish the interrupted run in this folder, with its stored settings.")] = None,
    click_context: typer.Context = None,
) -> None:
    """Generate verified dialogues: sample, fuzzify, simulate, verify; write training files to --out."""
    from cove.runner import run_command
    from cove.settings import RunSettings

    actor_list = () if actors.strip() == "none" else tuple(a.strip() for a in actors.split(",") if a.strip())
    from actors.runtime import ACTORS

    unknown = [a for a in actor_list if a not in ACTORS or a == "recorder"]
    if unknown:
        fail(f"unknown actor(s) {unknown}: choose from {', '.join(a for a in ACTORS if a != 'recorder')}")
    if db is not None and not db.is_file():
        fail(f"{db}: no such database file")
    check_nats_url(nats_url)
    settings = RunSettings(
        domain=domain, db=db, db_seed=db_seed, scale=scale, count=count, seed=seed, concurrency=concurrency, out=out,
        processes=processes, nats_url=nats_url, nats_connect_timeout=nats_timeout, stream_replicas=stream_replicas, actors=actor_list,
        nats_auth=_nats_auth(nats_user, nats_password, nats_token, nats_creds, nats_nkey, nats_tls_ca, nats_tls_cert, nats_tls_key),
        agent=_role_settings(agent_model, agent_base_url, agent_api_key_env, agent_temperature, agent_max_tokens, model_timeout, agent_concurrency),
        **_user_simulators(user_model, user_pool, user_base_url, user_api_key_env, user_temperature, user_max_tokens, model_timeout, user_concurrency),
        scripted_error_rate=scripted_error_rate, scripted_mistakes=_mistake_classes(scripted_mistakes), constraints=constraints, fuzz=fuzz, max_turns=max_turns,
        rewrite=_role_settings(rewrite_model, rewrite_base_url, rewrite_api_key_env, 0.7, None, model_timeout, 8) if rewrite_model else None,
        target_passing=target_passing, budget_usd=budget_usd, infra_failure_limit=infra_failure_limit, progress=progress,
    )  # fmt: skip
    if resume is not None:
        explicit = {name for name in click_context.params if click_context.get_parameter_source(name).name != "DEFAULT"}
        raise typer.Exit(run_command(_resumed_settings(resume, settings, explicit)))
    if count is None and target_passing is None and budget_usd is None:
        typer.echo("continuous mode: Ctrl-C drains the dialogues in flight and exports", err=True)
    raise typer.Exit(run_command(settings))


def _mistake_classes(spec: str | None) -> str | None:
    """The --scripted-mistakes list in catalogue order (kinds expanded), or a clear error for an unknown name."""
    if spec is None:
        return None
    from domains.scripted.mistakes import UnknownMistakeError, parse_mistakes

    try:
        return ",".join(parse_mistakes(spec))
    except UnknownMistakeError as error:
        fail(str(error))


# the `run` flags that decide each result_config() entry, and the run settings a resume may change
_RESULT_FLAGS = {
    "domain": {"domain"}, "db_seed": {"db_seed", "db"}, "scale": {"scale", "db"}, "seed": {"seed"},
    "agent": {"agent_model", "agent_base_url", "agent_api_key_env", "agent_temperature", "agent_max_tokens"},
    "user": {"user_model", "user_pool", "user_base_url", "user_api_key_env", "user_temperature", "user_max_tokens"},
    "user_pool": {"user_model", "user_pool", "user_base_url", "user_api_key_env", "user_temperature", "user_max_tokens"},
    "rewrite": {"rewrite_model", "rewrite_base_url", "rewrite_api_key_env"},
    "scripted_error_rate": {"scripted_error_rate"}, "scripted_mistakes": {"scripted_mistakes"}, "constraints": {"constraints"}, "fuzz": {"fuzz"}, "max_turns": {"max_turns"},
}  # fmt: skip
_RESUMABLE_FLAGS = {
    "count": ("count",), "concurrency": ("concurrency",), "processes": ("processes",), "nats_url": ("nats_url",), "nats_timeout": ("nats_connect_timeout",), "stream_replicas": ("stream_replicas",),
    "actors": ("actors",), "target_passing": ("target_passing",), "budget_usd": ("budget_usd",), "progress": ("progress",),
    "infra_failure_limit": ("infra_failure_limit",),
}  # fmt: skip


def _resumed_settings(folder: Path, given, explicit: set[str]):
    """The stored run's settings, with the operational flags given now; refuse a different config."""
    from cove.preflight import RunError
    from cove.runfile import config_differences, load_run_file

    try:
        stored = load_run_file(folder)
    except RunError as exc:
        fail(str(exc))
    if "out" in explicit and given.out.resolve() != folder.resolve():
        fail(f"--resume {folder} writes into {folder}: drop --out {given.out}")
    keys = {key for key, flags in _RESULT_FLAGS.items() if flags & explicit}
    differences = config_differences(stored, given, keys)
    if differences:
        listed = "; ".join(f"{key}: run has {before!r}, given {after!r}" for key, (before, after) in differences.items())
        fail(f"cannot resume {folder} with different settings (config hash {stored.config_hash()[:12]} vs {given.config_hash()[:12]}): {listed}")
    update = {field: getattr(given, field) for flag, fields in _RESUMABLE_FLAGS.items() if flag in explicit for field in fields}
    update |= {"nats_auth": given.nats_auth, "resume": True}  # credentials are never stored: always from flags or environment
    return stored.model_copy(update=update)


@app.command("worker")
def worker(
    actor: Annotated[str, typer.Argument(help="sampler, fuzzifier, user, agent, executor or verifier.")],
    nats_url: Annotated[str, typer.Option(envvar="COVE_NATS_URL", help="The NATS all workers share: one server, or a cluster's servers separated by commas.")],
    stream_replicas: StreamReplicas = None,
    nats_user: NatsUser = None,
    nats_password: NatsPassword = None,
    nats_token: NatsToken = None,
    nats_creds: NatsCreds = None,
    nats_nkey: NatsNKey = None,
    nats_tls_ca: NatsTlsCa = None,
    nats_tls_cert: NatsTlsCert = None,
    nats_tls_key: NatsTlsKey = None,
    domain: DomainOption = DEFAULT_DOMAIN,
    db: Annotated[Path | None, typer.Option("--db", help="Base db.json (must be the run's).")] = None,
    db_seed: Annotated[int, typer.Option()] = 0,
    scale: Annotated[float, typer.Option(min=0.01, max=100.0)] = 1.0,
    concurrency: Annotated[int, typer.Option(min=1, help="Messages handled at once by this replica.")] = 8,
    agent_model: Annotated[str, typer.Option()] = "cove/scripted-agent",
    agent_base_url: Annotated[str | None, typer.Option()] = None,
    agent_api_key_env: Annotated[str | None, typer.Option()] = None,
    agent_temperature: Annotated[float, typer.Option(help="Must match the run's.")] = 0.0,
    agent_max_tokens: Annotated[int | None, typer.Option(help="Must match the run's.")] = None,
    user_model: UserModels = None,
    user_pool: UserPoolFile = None,
    user_base_url: Annotated[str | None, typer.Option()] = None,
    user_api_key_env: Annotated[str | None, typer.Option()] = None,
    user_temperature: Annotated[float, typer.Option(help="Must match the run's.")] = 0.0,
    user_max_tokens: Annotated[int | None, typer.Option(help="Must match the run's.")] = None,
    model_timeout: Annotated[float, typer.Option(min=0.1)] = 60.0,
    scripted_error_rate: Annotated[float, typer.Option(min=0.0, max=1.0)] = 0.1,
    scripted_mistakes: Annotated[str | None, typer.Option(help="Must match the run's.")] = None,
    constraints: Annotated[str, typer.Option()] = "1-3",
    fuzz: Annotated[str, typer.Option()] = "full",
    max_turns: Annotated[int, typer.Option(min=2)] = 100,
    rewrite_model: Annotated[str | None, typer.Option(help="fuzzifier: an LLM that rewords scenarios.")] = None,
    rewrite_base_url: Annotated[str | None, typer.Option()] = None,
    rewrite_api_key_env: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Run one actor type alone against a shared NATS (any number of replicas share its work)."""
    from actors.runtime import ACTORS
    from cove.runner import worker_command
    from cove.settings import RunSettings

    if actor not in ACTORS or actor == "recorder":
        fail(f"unknown actor {actor!r}: choose from {', '.join(a for a in ACTORS if a != 'recorder')} (the recorder runs inside `cove run`)")
    if db is not None and not db.is_file():
        fail(f"{db}: no such database file")
    check_nats_url(nats_url)
    settings = RunSettings(
        domain=domain, db=db, db_seed=db_seed, scale=scale, nats_url=nats_url, stream_replicas=stream_replicas, actors=(actor,), concurrency=concurrency,
        nats_auth=_nats_auth(nats_user, nats_password, nats_token, nats_creds, nats_nkey, nats_tls_ca, nats_tls_cert, nats_tls_key),
        agent=_role_settings(agent_model, agent_base_url, agent_api_key_env, agent_temperature, agent_max_tokens, model_timeout, concurrency),
        **_user_simulators(user_model, user_pool, user_base_url, user_api_key_env, user_temperature, user_max_tokens, model_timeout, concurrency),
        scripted_error_rate=scripted_error_rate, scripted_mistakes=_mistake_classes(scripted_mistakes), constraints=constraints, fuzz=fuzz, max_turns=max_turns,
        rewrite=_role_settings(rewrite_model, rewrite_base_url, rewrite_api_key_env, 0.7, None, model_timeout, 8) if rewrite_model else None,
    )  # fmt: skip
    raise typer.Exit(worker_command(settings))


@app.command("serve")
def serve(
    domain: DomainOption = DEFAULT_DOMAIN,
    db: Annotated[Path | None, typer.Option("--db", help="Base db.json; default: our generated sandbox.")] = None,
    db_seed: Annotated[int, typer.Option(help="Seed of the generated sandbox when no --db is given.")] = 0,
    scale: Annotated[float, typer.Option(min=0.01, max=100.0, help="Size of the generated sandbox.")] = 1.0,
    port: Annotated[int, typer.Option(min=0, max=65535, help="HTTP port (0: any free one).")] = 8080,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    out: Annotated[Path, typer.Option(help="Folder of the event log (events.db) and the embedded nats-server's store; a restart with the same --out continues its open episodes.")] = Path("runs/serve"),
    seed: Annotated[int, typer.Option(help="Default task-sequence seed of new episodes.")] = 0,
    concurrency: Annotated[int, typer.Option(min=1, max=4096, help="User-simulator turns handled at once by this process.")] = 256,
    idle_timeout: Annotated[float, typer.Option(min=0.1, help="Seconds a policy's turn may stay idle before the episode ends unscored (policy_timeout).")] = 600.0,
    actors: Annotated[str, typer.Option(help="Actor types in this process besides the served agent (comma-separated, or 'none' with `cove worker`s).")] = "sampler,fuzzifier,user,executor,verifier",
    nats_url: Annotated[str | None, typer.Option(envvar="COVE_NATS_URL", help="External NATS; default: an embedded nats-server under --out.")] = None,
    nats_timeout: Annotated[float, typer.Option(min=0.1, help="Seconds to reach NATS before giving up.")] = 10.0,
    nats_user: NatsUser = None,
    nats_password: NatsPassword = None,
    nats_token: NatsToken = None,
    nats_creds: NatsCreds = None,
    nats_nkey: NatsNKey = None,
    nats_tls_ca: NatsTlsCa = None,
    nats_tls_cert: NatsTlsCert = None,
    nats_tls_key: NatsTlsKey = None,
    user_model: UserModels = None,
    user_pool: UserPoolFile = None,
    user_base_url: Annotated[str | None, typer.Option(help="User simulator API base URL (every --user-model's).")] = None,
    user_api_key_env: Annotated[str | None, typer.Option(help="NAME of the env variable holding the user simulator's API key.")] = None,
    user_temperature: Annotated[float, typer.Option()] = 0.0,
    user_max_tokens: Annotated[int | None, typer.Option()] = None,
    model_timeout: Annotated[float, typer.Option(min=0.1, help="Seconds per model call attempt.")] = 60.0,
    scripted_error_rate: Annotated[float, typer.Option(min=0.0, max=1.0, help="Share of dialogues in which the scripted user makes one realistic mistake.")] = 0.1,
    constraints: Annotated[str, typer.Option(help="Default goals per task of new episodes, e.g. 1-3.")] = "1-3",
    fuzz: Annotated[str, typer.Option(help="Default fuzz level: exact, partial or full.")] = "full",
    max_turns: Annotated[int, typer.Option(min=2)] = 100,
) -> None:
    """cove as an RL environment: an HTTP API (OpenAPI page at /docs) where the trainer's policy plays the agent."""
    from actors.runtime import ACTORS
    from cove.runner import serve_command
    from cove.serve_main import ServeOptions
    from cove.settings import RunSettings

    actor_list = () if actors.strip() == "none" else tuple(a.strip() for a in actors.split(",") if a.strip())
    unknown = [a for a in actor_list if a not in ACTORS or a in ("recorder", "agent")]
    if unknown:
        fail(f"unknown actor(s) {unknown}: choose from sampler, fuzzifier, user, executor, verifier (the server plays the agent)")
    if db is not None and not db.is_file():
        fail(f"{db}: no such database file")
    check_nats_url(nats_url)
    settings = RunSettings(
        domain=domain, db=db, db_seed=db_seed, scale=scale, count=None, seed=seed, concurrency=concurrency, out=out, nats_url=nats_url,
        nats_connect_timeout=nats_timeout, actors=actor_list, progress=False,
        nats_auth=_nats_auth(nats_user, nats_password, nats_token, nats_creds, nats_nkey, nats_tls_ca, nats_tls_cert, nats_tls_key),
        **_user_simulators(user_model, user_pool, user_base_url, user_api_key_env, user_temperature, user_max_tokens, model_timeout, concurrency),
        scripted_error_rate=scripted_error_rate, constraints=constraints, fuzz=fuzz, max_turns=max_turns,
    )  # fmt: skip
    raise typer.Exit(serve_command(settings, ServeOptions(host=host, port=port, idle_timeout=idle_timeout)))


@app.command("export")
def export(
    run_dirs: Annotated[list[Path], typer.Argument(help="Run folders, each with its sft.jsonl; give several (a retail and an airline run) for one dataset.", metavar="RUN_DIR", show_default=False)],
    out: Annotated[Path, typer.Option("--out", help="A new or empty folder for the export.")],
    fmt: Annotated[str, typer.Option("--format", help="hf (parquet + dataset card), openai (chat fine-tuning JSONL) or sharegpt (LLaMA-Factory).")] = "hf",
    drop_greeting: Annotated[bool, typer.Option("--drop-greeting", help="Leave out the agent's opening words before the first user turn (for chat templates that need user first).")] = False,
) -> None:
    """Export verified dialogues in a layout trainers load as it is, one split (or file) per domain."""
    from cove.formats import ExportError, export_runs

    try:
        counts = export_runs(run_dirs, fmt, out, drop_greeting)
    except ExportError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror or exc}")
    typer.echo(f"wrote {out} ({fmt}): " + ", ".join(f"{split} {count} dialogue{'s' if count != 1 else ''}" for split, count in counts.items()))


@app.command("report")
def report(
    run_dir: Annotated[Path, typer.Argument(help="The run folder (holds events.db; summary.json and run.json when present).")],
    out: Annotated[Path | None, typer.Option(help="Where to write the HTML file [default: RUN_DIR/report.html].")] = None,
) -> None:
    """Write one self-contained HTML file to look at a run: its numbers, charts and every dialogue."""
    import sqlite3

    from cove.report import ReportError, gather_report
    from cove.report_page import render_report
    from store.errors import StoreError

    target = out if out is not None else run_dir / "report.html"
    writable_file(target)
    try:
        html = render_report(gather_report(run_dir))
    except (ReportError, StoreError) as exc:
        fail(str(exc))
    except sqlite3.DatabaseError as exc:
        fail(f"{run_dir / 'events.db'} cannot be read (corrupt?): {exc}")
    write_output(target, html)
    typer.echo(str(target))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
