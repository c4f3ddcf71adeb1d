"""Generated databases in τ²-bench's format: the file holds τ²-bench's tables only, the sidecar the clock and provenance."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cove.cli import app
from cove.preflight import load_base
from cove.settings import RunSettings
from domains.airline.models import TAU2_NOW, AirlineDB
from domains.airline.tools import domain_now
from domains.registry import get_domain
from domains.replay import replay_calls
from domains.retail.models import RetailDB
from domains.sampling import sample_tasks
from domains.sidecar import sidecar_path
from store.eventlog import EventStore

SEED, SCALE = 3, 0.2
MODELS = {"retail": RetailDB, "airline": AirlineDB}
# τ²-bench's model has these optional fields, its tools set them, its own db.json happens never to: our generator sets them.
OPTIONAL_FIELDS_TAU2_LEAVES_UNSET = {"retail": {"orders/*/cancel_reason"}, "airline": set()}
# Objects keyed by id (or by option name, cabin, date): their keys are data, not fields.
KEYED_BY_DATA = {"products", "users", "orders", "flights", "reservations", "variants", "payment_methods", "dates", "options", "available_seats", "prices"}


def cove(*args: Any):
    return CliRunner().invoke(app, [str(arg) for arg in args])


def generate(tmp_path: Path, domain: str, name: str = "db.json", seed: int = SEED, scale: float = SCALE) -> Path:
    path = tmp_path / name
    result = cove("db", "generate", "--domain", domain, "--seed", seed, "--scale", scale, "--out", path)
    assert result.exit_code == 0, result.output
    return path


def strictly_valid(domain: str, data: Any) -> Any:
    """`data` validated by the project's reproduction of τ²-bench's model: strict types, unknown fields refused."""
    return MODELS[domain].model_validate(data, strict=domain == "airline")  # retail's model is strict by configuration


def shape(value: Any, path: str, found: dict[str, set[str]]) -> dict[str, set[str]]:
    """Every field path of a JSON value (ids and list positions as `*` and `[]`) with the JSON types found there."""
    kind = {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer", float: "number"}.get(type(value), "null")
    found.setdefault(path, set()).add(kind)
    if isinstance(value, dict):
        keyed_by_data = path.rsplit("/", 1)[-1] in KEYED_BY_DATA
        for key, item in value.items():
            shape(item, f"{path}/{'*' if keyed_by_data else key}", found)
    elif isinstance(value, list):
        for item in value:
            shape(item, f"{path}[]", found)
    return found


def file_shape(data: dict[str, Any]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for table, records in data.items():
        shape(records, table, found)
    return found


@pytest.mark.parametrize("domain", ["retail", "airline"])
def test_the_generated_file_is_exactly_tau2s_data_model(tmp_path, domain):
    """The file `cove db generate` writes has only τ²-bench's tables and validates strictly, nothing dropped, against the reproduced model."""
    data = json.loads(generate(tmp_path, domain).read_text())
    assert set(data) == set(get_domain(domain).tables)
    assert strictly_valid(domain, data).model_dump(mode="json", exclude_unset=True) == data
    with pytest.raises(ValueError, match="meta"):
        strictly_valid(domain, {**data, "meta": json.loads(sidecar_path(tmp_path / "db.json").read_text())})


@pytest.mark.tau2
@pytest.mark.parametrize("domain", ["retail", "airline"])
def test_the_generated_file_has_tau2s_keys_and_types(tmp_path, tau2_dir, domain):
    """The generated file's top-level keys and every record's fields equal those of τ²-bench's db.json, with the same JSON types."""
    ours = json.loads(generate(tmp_path, domain, seed=0, scale=1.0).read_text())
    theirs = json.loads((tau2_dir / domain / "db.json").read_text(encoding="utf-8"))
    assert set(ours) == set(theirs)
    ours_shape, theirs_shape = file_shape(ours), file_shape(theirs)
    assert set(ours_shape) - set(theirs_shape) == OPTIONAL_FIELDS_TAU2_LEAVES_UNSET[domain]
    assert set(theirs_shape) - set(ours_shape) == set()
    assert {path: kinds for path, kinds in ours_shape.items() if path in theirs_shape} == theirs_shape


@pytest.mark.parametrize("domain", ["retail", "airline"])
def test_the_sidecar_holds_the_clock_and_provenance(tmp_path, domain):
    """The sidecar beside the file names the generator, seed and scale, and for airline the generated world's now."""
    side = sidecar_path(generate(tmp_path, domain, name="world.json"))
    assert side == tmp_path / "world.meta.json"
    expected = {"generator": "cove", "seed": SEED, "scale": SCALE} | ({"now": "2025-03-12T10:00:00"} if domain == "airline" else {})
    assert json.loads(side.read_text()) == expected


@pytest.mark.parametrize("domain", ["retail", "airline"])
def test_the_file_and_its_sidecar_load_as_the_embedded_default(tmp_path, domain):
    """Loaded with its sidecar, a generated file is the run's embedded database: same content, hash, clock, sampled tasks and tool results."""
    path = generate(tmp_path, domain)
    loaded = get_domain(domain).load(path)
    embedded = load_base(RunSettings(domain=domain, db_seed=SEED, scale=SCALE))
    assert loaded.to_json() == embedded.to_json() and loaded.content_hash == embedded.content_hash
    assert loaded.extra == embedded.extra == {"meta": json.loads(sidecar_path(path).read_text())}
    tasks = [sample_tasks(domain, base, 20, seed=5).tasks for base in (loaded, embedded)]
    assert [task.model_dump(mode="json") for task in tasks[0]] == [task.model_dump(mode="json") for task in tasks[1]]
    toolkit = get_domain(domain).toolkit
    for task in tasks[0]:
        calls = [action.model_dump() for action in task.actions]
        (state_a, outcomes_a), (state_b, outcomes_b) = (replay_calls(toolkit, base.new_state(), calls) for base in (loaded, embedded))
        assert outcomes_a == outcomes_b and state_a.changes() == state_b.changes()


def test_an_airline_file_without_a_sidecar_runs_on_tau2s_clock(tmp_path):
    """With no sidecar the database has no meta and its clock is τ²-bench's fixed now, as for τ²-bench's own file."""
    path = generate(tmp_path, "airline")
    assert domain_now(get_domain("airline").load(path)) == "2025-03-12T10:00:00"
    sidecar_path(path).unlink()
    base = get_domain("airline").load(path)
    assert base.extra == {} and domain_now(base) == TAU2_NOW
    assert base.content_hash == get_domain("airline").from_json(json.loads(path.read_text())).content_hash


def test_a_file_with_its_meta_inside_still_loads_but_does_not_check(tmp_path):
    """A database an older cove wrote, meta inside, loads as the pair does (same hash); `cove db check` names the key τ²-bench refuses."""
    path = generate(tmp_path, "airline")
    side = sidecar_path(path)
    old = tmp_path / "old.json"
    old.write_text(json.dumps({"meta": json.loads(side.read_text()), **json.loads(path.read_text())}, indent=4))
    assert get_domain("airline").load(old).content_hash == get_domain("airline").load(path).content_hash
    result = cove("db", "check", "--domain", "airline", "--db", old)
    assert result.exit_code == 1 and "top-level 'meta' is not part of τ²-bench's format" in result.stderr and "1 problem(s)" in result.stderr


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"generator": "cove", "seed": 3', "invalid JSON at line 1"),
        ("[1, 2]", "a sidecar is a JSON object with generator, seed, scale, now, got list"),
        ('{"generator": "cove", "seed": 3, "scale": 0.2}', "required field 'now' is missing"),
        ('{"generator": "cove", "seed": "3", "scale": 0.2, "now": "2025-03-12T10:00:00"}', "seed: Input should be a valid integer"),
        ('{"generator": "cove", "seed": 3, "scale": 0.2, "now": "2025-03-12"}', "now: String should match pattern"),
        ('{"generator": "cove", "seed": 3, "scale": 0.2, "now": "2025-03-12T10:00:00", "clock": 1}', "unknown field 'clock'"),
    ],
    ids=["bad-json", "not-an-object", "no-now", "text-seed", "date-only", "unknown-field"],
)
def test_a_malformed_sidecar_is_one_line_and_exit_2(tmp_path, content, expected):
    """A sidecar that cannot be used stops a command that loads the database with one line naming it (exit 2); `db check` reports it as its problem (exit 1)."""
    path = generate(tmp_path, "airline")
    side = sidecar_path(path)
    side.write_text(content)
    calls = tmp_path / "calls.json"
    calls.write_text("[]")
    for command in (["tools", "replay", "--calls", calls], ["sample", "--n", 1, "--out", tmp_path / "tasks.jsonl"]):
        result = cove(*command, "--domain", "airline", "--db", path)
        lines = result.stderr.strip().splitlines()
        assert result.exit_code == 2 and len(lines) == 1, result.output
        assert lines[0].startswith(f"cove: error: {side}: ") and expected in lines[0]
    checked = cove("db", "check", "--domain", "airline", "--db", path)
    assert checked.exit_code == 1 and f"{side}: " in checked.stderr and expected in checked.stderr
    assert not (tmp_path / "tasks.jsonl").exists()


def test_a_meta_inside_and_a_sidecar_is_refused(tmp_path):
    """A file with its own meta and a sidecar is ambiguous: one line, exit 2."""
    path = generate(tmp_path, "retail")
    path.write_text(json.dumps({**json.loads(path.read_text()), "meta": {"generator": "hand", "seed": 1, "scale": 1.0}}))
    calls = tmp_path / "calls.json"
    calls.write_text("[]")
    result = cove("tools", "replay", "--domain", "retail", "--calls", calls, "--db", path)
    assert result.exit_code == 2 and "has a top-level 'meta' and a sidecar" in result.stderr


@pytest.mark.parametrize("domain", ["retail", "airline"])
def test_db_check_passes_on_the_generated_pair_and_names_the_sidecar(tmp_path, domain):
    """`cove db check` on a generated file with its sidecar passes and says it read the sidecar."""
    path = generate(tmp_path, domain)
    result = cove("db", "check", "--domain", domain, "--db", path)
    assert result.exit_code == 0 and result.stdout.strip() == f"{path}: ok ({domain}, with its sidecar {sidecar_path(path)})"


def test_generate_to_stdout_prints_the_file_and_says_what_the_sidecar_would_hold(tmp_path, monkeypatch):
    """`--out -` prints exactly the file's bytes, writes no sidecar anywhere, and gives the sidecar's content on stderr."""
    file_bytes = generate(tmp_path / "file", "airline").read_bytes()
    monkeypatch.chdir(tmp_path / "file")
    before = sorted(path.name for path in Path.cwd().iterdir())
    result = cove("db", "generate", "--domain", "airline", "--seed", SEED, "--scale", SCALE, "--out", "-")
    assert result.exit_code == 0 and result.stdout.encode() == file_bytes
    assert sorted(path.name for path in Path.cwd().iterdir()) == before
    assert "its sidecar is not written" in result.stderr and '"now": "2025-03-12T10:00:00"' in result.stderr


def test_replay_writes_the_final_database_with_its_sidecar(tmp_path):
    """`cove tools replay --out` writes τ²-bench's tables and, beside them, the base's sidecar; a base with none leaves no stale sidecar."""
    path = generate(tmp_path, "airline")
    calls = tmp_path / "calls.json"
    calls.write_text("[]")
    out = tmp_path / "final.json"
    assert cove("tools", "replay", "--domain", "airline", "--db", path, "--calls", calls, "--out", out).exit_code == 0
    assert out.read_bytes() == path.read_bytes() and sidecar_path(out).read_bytes() == sidecar_path(path).read_bytes()
    sidecar_path(path).unlink()
    assert cove("tools", "replay", "--domain", "airline", "--db", path, "--calls", calls, "--out", out).exit_code == 0
    assert out.read_bytes() == path.read_bytes() and not sidecar_path(out).exists()


def test_the_stored_base_keeps_the_clock_under_its_hash(tmp_path):
    """A run's events.db keeps the loaded pair as one base, meta included, and gives it back under the same hash."""
    base = get_domain("airline").load(generate(tmp_path, "airline"))
    with EventStore(tmp_path / "events.db") as store:
        content_hash = store.put_base(base)
        stored = store.base(content_hash)
    assert content_hash == base.content_hash == stored.content_hash
    assert stored.extra["meta"] == base.extra["meta"] and domain_now(stored) == "2025-03-12T10:00:00"
