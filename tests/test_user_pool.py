"""A pool of user simulators: one drawn per dialogue by weight from the seed and task index, recorded, exported, verified."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cove.cli import app
from cove.run import run_dialogues
from cove.settings import RoleSettings, RunSettings, UserSimulator
from cove.user_pool import PoolError, chosen_simulator, load_pool_file, parse_weighted_model, pool_from_flags, simulator_problems
from events import DialogueRequested, UserSpoke, event_to_json
from store.eventlog import EventStore

COUNT = 40
SCRIPTED = "cove/scripted-user"
POOL = (  # two clients of the scripted user, told apart by name and temperature
    UserSimulator(name="steady", weight=3.0, role=RoleSettings(model=SCRIPTED)),
    UserSimulator(name="lively", weight=1.0, role=RoleSettings(model=SCRIPTED, temperature=0.7)),
)
POOL_TOML = """
[[simulators]]
name = "steady"
model = "cove/scripted-user"
weight = 3

[[simulators]]
name = "lively"
model = "cove/scripted-user"
temperature = 0.7
"""


def _settings(out: Path, **overrides) -> RunSettings:
    values = dict(domain="retail", scale=0.2, db_seed=1, count=COUNT, seed=7, concurrency=8, out=out, progress=False, user_pool=POOL)
    return RunSettings(**(values | overrides))


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _requests(out: Path) -> dict[str, DialogueRequested]:
    with EventStore(out / "events.db", readonly=True) as store:
        return {d: store.events(d)[0] for d in store.dialogue_ids()}


@pytest.fixture(scope="module")
def pool_run(tmp_path_factory) -> Path:
    """A 40-dialogue retail run (embedded nats-server) with a two-simulator pool weighted 3:1."""
    out = tmp_path_factory.mktemp("pool")
    asyncio.run(asyncio.wait_for(run_dialogues(_settings(out)), 180))
    return out


def test_the_draw_is_a_pure_weighted_function_of_seed_and_index():
    """The same seed and index draw the same simulator; over many indices the shares follow the weights."""
    pool = [("a", 3.0), ("b", 1.0)]
    draws = [chosen_simulator(pool, 7, index) for index in range(4000)]
    assert draws == [chosen_simulator(pool, 7, index) for index in range(4000)]
    assert 0.72 < Counter(draws)["a"] / len(draws) < 0.78
    assert draws != [chosen_simulator(pool, 8, index) for index in range(4000)]  # another seed, another sequence


def test_each_dialogue_records_and_uses_its_seeded_simulator(pool_run):
    """Every request records the simulator the seeded draw gives, both are used, and each user turn was made by it."""
    requests = _requests(pool_run)
    drawn = {d: chosen_simulator([(s.name, s.weight) for s in POOL], 7, r.task_index) for d, r in requests.items()}
    assert len(requests) == COUNT and {d: r.user_simulator for d, r in requests.items()} == drawn
    assert set(drawn.values()) == {"steady", "lively"}
    temperatures = {s.name: s.role.temperature for s in POOL}
    with EventStore(pool_run / "events.db", readonly=True) as store:
        for dialogue_id, name in drawn.items():
            calls = [e.call for e in store.events(dialogue_id) if isinstance(e, UserSpoke) and e.call is not None]
            assert calls and {c.parameters["temperature"] for c in calls} == {temperatures[name]}
    assert {row["dialogue_id"]: row["user_simulator"] for row in _lines(pool_run / "rewards.jsonl")} == drawn
    assert all(row["meta"]["user_simulator"] == drawn[row["meta"]["dialogue_id"]] for row in _lines(pool_run / "sft.jsonl"))


def test_summary_counts_per_simulator_add_up_to_the_totals(pool_run):
    """summary.json's user_simulators give each simulator's dialogues, scored, passing and blame, summing to the run's."""
    summary = json.loads((pool_run / "summary.json").read_text())
    per = summary["user_simulators"]
    drawn = Counter(r.user_simulator for r in _requests(pool_run).values())
    assert {name: entry["dialogues"] for name, entry in per.items()} == dict(drawn)
    for key in ("dialogues", "scored", "passing"):
        assert sum(entry[key] for entry in per.values()) == summary[key]
    assert sum((Counter(entry["attributions"]) for entry in per.values()), Counter()) == Counter(summary["attributions"])
    assert all(entry["yield"] == round(entry["passing"] / entry["scored"], 4) for entry in per.values() if entry["scored"])
    assert [s["name"] for s in summary["config"]["user_pool"]] == ["steady", "lively"]


def test_verify_accepts_the_run_and_catches_a_draw_it_does_not_give(pool_run):
    """`cove verify` passes the pool run; a request naming the other simulator, or a turn by another model, is a problem."""
    result = CliRunner().invoke(app, ["verify", str(pool_run)])
    assert result.exit_code == 0, result.output
    with EventStore(pool_run / "events.db", readonly=True) as store:
        events = store.events(store.dialogue_ids()[0])
    other = next(s.name for s in POOL if s.name != events[0].user_simulator)
    assert simulator_problems(events) == []
    assert "draws" in simulator_problems([events[0].model_copy(update={"user_simulator": other}), *events[1:]])[0]
    turn = next(i for i, e in enumerate(events) if isinstance(e, UserSpoke))
    swapped = events[turn].model_copy(update={"call": events[turn].call.model_copy(update={"model": "openai/gpt-4.1"})})
    assert "was made by openai/gpt-4.1" in simulator_problems([*events[:turn], swapped, *events[turn + 1 :]])[0]


def test_a_second_run_and_helper_processes_draw_the_same(pool_run, tmp_path):
    """Another run with the seed, here with a helper process serving half the triggers, records the same draws and the same rewards."""
    asyncio.run(asyncio.wait_for(run_dialogues(_settings(tmp_path, processes=2)), 180))
    assert {d: r.user_simulator for d, r in _requests(tmp_path).items()} == {d: r.user_simulator for d, r in _requests(pool_run).items()}
    assert (tmp_path / "rewards.jsonl").read_bytes() == (pool_run / "rewards.jsonl").read_bytes()


def test_resume_keeps_the_pool_and_refuses_another(tmp_path):
    """`--resume` draws the stored pool's simulators for the dialogues it adds; another pool is refused (exit 2)."""
    pool_file = tmp_path / "pool.toml"
    pool_file.write_text(POOL_TOML)
    out = tmp_path / "run"
    flags = ["--domain", "retail", "--scale", "0.2", "--db-seed", "1", "--seed", "7", "--no-progress"]
    runner = CliRunner()
    first = runner.invoke(app, ["run", "--count", "3", *flags, "--user-pool", str(pool_file), "--out", str(out)])
    assert first.exit_code == 0, first.output
    refused = runner.invoke(app, ["run", "--resume", str(out), "--user-model", "cove/scripted-user"])
    assert refused.exit_code == 2 and "user_pool" in refused.output
    resumed = runner.invoke(app, ["run", "--resume", str(out), "--count", "6"])
    assert resumed.exit_code == 0, resumed.output
    rows = _lines(out / "rewards.jsonl")
    assert [row["user_simulator"] for row in rows] == [chosen_simulator([("steady", 3.0), ("lively", 1.0)], 7, index) for index in range(6)]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--user-model", "cove/scripted-user=0"], "positive number, not 0"),
        (["--user-model", "cove/scripted-user=-2"], "positive number, not -2"),
        (["--user-model", "cove/scripted-user=two"], "'two' is not a number"),
        (["--user-model", "cove/scripted-user=inf"], "positive number, not inf"),
        (["--user-model", "cove/scripted-user=2", "--user-model", "cove/scripted-user=1"], "given twice"),
        (["--user-model", "cove/scripted-user=2", "--user-model", "cove/no-such-user=1"], "--user-model cove/no-such-user: no scripted model"),
        (["--user-model", "cove/scripted-user", "--user-model", "openai/gpt-4.1", "--user-api-key-env", "COVE_TEST_UNSET_KEY"], "COVE_TEST_UNSET_KEY is not set"),
        (["--user-pool", "/no/such/pool.toml"], "cannot read it"),
    ],
)
def test_bad_pool_flags_are_one_line_and_exit_2(tmp_path, args, says):
    """A weight that is not a positive number, a model given twice or unknown, an unset key: one line, exit 2, nothing written."""
    result = CliRunner().invoke(app, ["run", "--count", "1", "--no-progress", *args, "--out", str(tmp_path / "run")])
    assert result.exit_code == 2 and says in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1 and not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("simulators = []", "non-empty list"),
        ("[[simulators]]\nmodel = 'cove/scripted-user'\nweight = 0", "positive number"),
        ("[[simulators]]\nmodel = 'cove/scripted-user'\ncolour = 'red'", "unknown field(s) colour"),
        ("[[simulators]]\nmodel = 'cove/scripted-user'\n[[simulators]]\nmodel = 'cove/scripted-user'", "given to two simulators"),
        ("[[simulators]\n", "not valid TOML"),
    ],
)
def test_bad_pool_files_name_the_problem(tmp_path, text, says):
    """A pool file that is empty, malformed, has a bad weight, an unknown field or a repeated name is a PoolError naming it."""
    path = tmp_path / "pool.toml"
    path.write_text(text)
    with pytest.raises(PoolError, match=r"--user-pool .*pool\.toml") as error:
        load_pool_file(path, RoleSettings(model="-"))
    assert says in str(error.value)


def test_pool_files_and_flags_give_the_same_settings(tmp_path):
    """TOML and JSON pool files read to the same simulators; flags give each --user-model the shared settings and its weight."""
    (tmp_path / "pool.toml").write_text(POOL_TOML)
    as_json = {"simulators": [{"name": "steady", "model": SCRIPTED, "weight": 3}, {"name": "lively", "model": SCRIPTED, "temperature": 0.7}]}
    (tmp_path / "pool.json").write_text(json.dumps(as_json))
    limits = RoleSettings(model="-")
    assert load_pool_file(tmp_path / "pool.toml", limits) == load_pool_file(tmp_path / "pool.json", limits) == POOL
    shared = RoleSettings(model="-", api_key_env="KEY", temperature=0.5)
    pool = pool_from_flags(["openai/gpt-4.1=2", "openai/gpt-4.1-mini"], shared)
    assert [(s.name, s.weight, s.role.model, s.role.api_key_env, s.role.temperature) for s in pool] == [
        ("openai/gpt-4.1", 2.0, "openai/gpt-4.1", "KEY", 0.5), ("openai/gpt-4.1-mini", 1.0, "openai/gpt-4.1-mini", "KEY", 0.5)]
    assert parse_weighted_model("hosted_vllm/Qwen/Qwen3-4B=0.5") == ("hosted_vllm/Qwen/Qwen3-4B", 0.5)


def test_one_model_is_the_run_without_a_pool():
    """One --user-model (weighted or not) leaves the settings, config and request events exactly as without pools."""
    assert pool_from_flags(["cove/scripted-user=5"], RoleSettings(model="-")) == ()
    plain = RunSettings()
    assert "user_pool" not in plain.result_config() and plain.user_simulators()[0].name == SCRIPTED
    request = DialogueRequested(dialogue_id="d", seq=0, time=0.0, actor="run", domain="retail", run_id="r", seed=1, task_index=0)
    assert b"user_simulator" not in event_to_json(request)
    pooled = RunSettings(user_pool=POOL)
    assert pooled.user == POOL[0].role and pooled.config_hash() != plain.config_hash()
    with pytest.raises(ValueError, match="pool of one"):
        RunSettings(user_pool=POOL[:1])


def test_a_user_worker_hosts_every_simulator_and_serves_each_dialogue_its_own():
    """A process running the user actor builds a client per simulator and hands each dialogue the one its request names."""
    from actors.runtime import ActorContext, UnknownSimulatorError
    from actors.view import DialogueView
    from cove.actor_setup import build_user_pool

    clients = build_user_pool(RunSettings(user_pool=POOL, actors=("user",)))
    assert {name: client.settings.temperature for name, client in clients.items()} == {"steady": 0.0, "lively": 0.7}
    ctx = ActorContext(broker=None, bases={}, models={"user": "the one user model"}, user_pool=clients)
    request = DialogueRequested(dialogue_id="d", seq=0, time=0.0, actor="run", domain="retail", run_id="r", seed=7, task_index=0)
    assert ctx.user_client(DialogueView.of([request])) == "the one user model"
    assert ctx.user_client(DialogueView.of([request.model_copy(update={"user_simulator": "lively"})])) is clients["lively"]
    with pytest.raises(UnknownSimulatorError, match="needs user simulator 'other'"):
        ctx.user_client(DialogueView.of([request.model_copy(update={"user_simulator": "other"})]))


def test_cove_worker_checks_every_simulator_of_its_pool():
    """`cove worker user` with a pool refuses, before connecting anywhere, a simulator whose model does not exist."""
    result = CliRunner().invoke(app, ["worker", "user", "--nats-url", "nats://127.0.0.1:1", "--user-model", "cove/scripted-user=2", "--user-model", "cove/no-such-user"])
    assert result.exit_code == 2 and "--user-model cove/no-such-user: no scripted model" in result.output, result.output


def test_the_report_names_each_dialogue_by_its_simulator(pool_run):
    """The report's per-dialogue user model is the simulator the dialogue drew, so its yield chart splits by simulator."""
    from cove.report import gather_report

    report = gather_report(pool_run)
    drawn = {d: r.user_simulator for d, r in _requests(pool_run).items()}
    assert {d.facets["id"]: d.facets["user_model"] for d in report.dialogues} == drawn
