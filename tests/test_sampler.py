"""Task sampling: valid, jointly executable goals; seeded; deduplicated; every goal type covered."""

from __future__ import annotations

import io
import json

import pytest

from domains.airline.policy import PAYMENT_LIMITS, cancellation_grounds, flight_status
from domains.airline.sampler import AirlineGoal
from domains.policy import PolicyContext
from domains.registry import get_domain
from domains.replay import replay_calls
from domains.retail.sampler import RetailGoal
from domains.sampling import SamplingError, domain_rules, parse_goal_range, sample_tasks
from tests.conftest import generated_base
from tests.plugins import registered_domains, tau2_domains

SEED_BLOCKS = range(4)
SEEDS_PER_BLOCK = 50
TASKS_PER_SEED = 4


def _tasks_over_seeds(domain, base, block, fuzz="full"):
    for seed in range(block * SEEDS_PER_BLOCK, (block + 1) * SEEDS_PER_BLOCK):
        yield from sample_tasks(domain, base, TASKS_PER_SEED, seed, fuzz=fuzz).tasks


@pytest.mark.parametrize("block", SEED_BLOCKS)
def test_actions_replay_without_error_or_policy_violation(world, block):
    """Over 200 seeds, every task's actions replay in order on a fresh state with no error and no broken rule."""
    domain, base = world
    toolkit = get_domain(domain).toolkit
    _, _, policy = domain_rules(domain)
    for task in _tasks_over_seeds(domain, base, block):
        state = base.new_state()
        writes = []
        for constraint in task.constraints:
            for action in constraint.actions:
                context = PolicyContext(user_id=task.user_id, reason=constraint.params.get("reason"), prior_writes=tuple(writes))
                assert policy.violations(state, action.name, action.arguments, context) == [], task.task_id
                _, lines = replay_calls(toolkit, state, [action.model_dump()])
                assert lines[0]["ok"], (task.task_id, lines[0])
                writes.append((action.name, action.arguments))


def test_actions_replay_with_the_replay_command(tau2_dir, tmp_path):
    """`cove tools replay` applies the sampled actions of both τ²-bench databases without an error line."""
    from typer.testing import CliRunner

    from cove.cli import app

    for domain in ("retail", "airline"):
        db = tau2_dir / domain / "db.json"
        tasks, _ = sample_tasks(domain, get_domain(domain).load(db), 12, seed=3, k_range="2-3")
        calls = tmp_path / f"{domain}.json"
        calls.write_text(json.dumps([a.model_dump() for task in tasks for a in task.actions]))
        result = CliRunner().invoke(app, ["tools", "replay", "--domain", domain, "--db", str(db), "--calls", str(calls)])
        assert result.exit_code == 0, result.output
        lines = [json.loads(line) for line in result.stdout.splitlines()]
        assert lines and all(line["ok"] for line in lines)


@pytest.mark.parametrize("domain", registered_domains())
def test_every_goal_type_is_produced_on_the_generated_sandbox(domain):
    """1,000 tasks on the domain's generated sandbox cover every goal type its sampler declares, with no tool error."""
    rules, _, _ = domain_rules(domain)
    tasks, coverage = sample_tasks(domain, generated_base(domain), 1000, seed=0)
    assert len(tasks) == 1000
    assert {t for t in rules.GOAL_TYPES if coverage.goals[t] == 0} == set()
    assert not [reason for reason in coverage.rejected if reason.startswith("tool_error")]


@pytest.mark.parametrize("domain", tau2_domains())
def test_every_goal_type_is_produced_on_tau2(tau2_databases, domain):
    """1,000 tasks on each τ²-bench database cover every goal type of the domain."""
    rules, _, _ = domain_rules(domain)
    tasks, coverage = sample_tasks(domain, tau2_databases[domain], 1000, seed=0)
    assert len(tasks) == 1000
    assert {t for t in rules.GOAL_TYPES if coverage.goals[t] == 0} == set()
    assert not [reason for reason in coverage.rejected if reason.startswith("tool_error")]


def test_same_seed_gives_identical_bytes(world, tmp_path):
    """Sampling twice with one seed writes byte-identical JSONL files."""
    from cove.sample_cmd import tasks_jsonl

    domain, base = world
    first = tasks_jsonl(sample_tasks(domain, base, 60, seed=42).tasks)
    second = tasks_jsonl(sample_tasks(domain, base, 60, seed=42).tasks)
    assert first == second and first.count("\n") == 60


def test_same_seed_same_bytes_across_processes():
    """Two processes with different string-hash seeds write the same bytes for one sampling seed, in every registered domain."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = (
        "import hashlib\n"
        "from cove.sample_cmd import tasks_jsonl\n"
        "from domains.generators import generate_database\n"
        "from domains.registry import domain_names, get_domain\n"
        "from domains.sampling import sample_tasks\n"
        "for d in domain_names():\n"
        "    base = get_domain(d).from_json(generate_database(d, 3, 0.3))\n"
        "    print(hashlib.sha256(tasks_jsonl(sample_tasks(d, base, 150, seed=77).tasks).encode()).hexdigest())\n"
    )
    root = Path(__file__).resolve().parents[1]
    digests = []
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        result = subprocess.run([sys.executable, "-c", script], cwd=root, env=env, capture_output=True, text=True, check=True)
        digests.append(result.stdout)
    assert digests[0] == digests[1] and len(digests[0].split()) == len(registered_domains())


@pytest.mark.parametrize("seeds", [(1, 2), (7, 8), (100, 2024)])
def test_different_seeds_give_different_tasks(world, seeds):
    """Two seeds give two different task lists."""
    domain, base = world
    a, b = (sample_tasks(domain, base, 20, seed=s).tasks for s in seeds)
    assert [t.constraint_set_key() for t in a] != [t.constraint_set_key() for t in b]


def test_no_constraint_set_repeats_within_a_run(world):
    """No two tasks of one run have the same user and goal set."""
    domain, base = world
    tasks, coverage = sample_tasks(domain, base, 800, seed=5, k_range="1")
    keys = [task.constraint_set_key() for task in tasks]
    assert len(keys) == len(set(keys))
    assert len({t.task_id for t in tasks}) == len(tasks)


@pytest.mark.parametrize("k_range", ["1", "2", "3", "2-3", "1-5"])
def test_every_task_has_a_goal_count_in_the_range(world, k_range):
    """`--constraints N` gives tasks of exactly N goals, and a range A-B gives every count from A to B, none outside it."""
    domain, base = world
    low, high = parse_goal_range(k_range)
    tasks = sample_tasks(domain, base, 100, seed=9, k_range=k_range).tasks
    assert len(tasks) == 100
    assert {len(task.constraints) for task in tasks} == set(range(low, high + 1))


def test_no_two_goals_claim_one_record(world):
    """No two goals of a task claim the same record (the sampler's `claim_keys`: an order, a reservation, one booking)."""
    domain, base = world
    rules, _, _ = domain_rules(domain)
    for task in sample_tasks(domain, base, 400, seed=11, k_range="3").tasks:
        claimed = [key for c in task.constraints for key in rules.claim_keys(c)]
        assert len(claimed) == len(set(claimed)), task.task_id


@pytest.mark.parametrize("domain", tau2_domains())
def test_one_goal_per_order_or_reservation(tau2_databases, domain):
    """On τ²-bench's retail and airline data, no two goals act on the same order or reservation (a delayed-flight compensation excepted)."""
    for task in sample_tasks(domain, tau2_databases[domain], 400, seed=11, k_range="3").tasks:
        owned = [c.params.get("order_id") or c.params.get("reservation_id") for c in task.constraints if c.type != AirlineGoal.SEND_COMPENSATION]
        owned = [o for o in owned if o]
        assert len(owned) == len(set(owned)), task.task_id


def test_information_goals_hold_the_base_answer(tau2_databases):
    """Each information goal's expected value is the answer read from the base database."""
    retail, airline = tau2_databases["retail"], tau2_databases["airline"]
    for task in sample_tasks("retail", retail, 300, seed=4).tasks:
        for c in task.constraints:
            if c.type == RetailGoal.INFO_GIFT_CARD_BALANCE:
                methods = retail.tables["users"][task.user_id]["payment_methods"].values()
                total = sum(m["balance"] for m in methods if m["source"] == "gift_card")
                assert float(c.expected_info[0]) == pytest.approx(total)
            elif c.type == RetailGoal.INFO_REFUND_TOTAL:
                items = retail.tables["orders"][c.params["order_id"]]["items"]
                total = sum(i["price"] for i in items if i["item_id"] in c.params["item_ids"])
                assert float(c.expected_info[0]) == pytest.approx(total)
            elif c.type == RetailGoal.INFO_TRACKING_NUMBER:
                order = retail.tables["orders"][c.params["order_id"]]
                assert c.expected_info == order["fulfillments"][0]["tracking_id"]
    state = airline.new_state()
    for task in sample_tasks("airline", airline, 300, seed=4).tasks:
        for c in task.constraints:
            if c.type == AirlineGoal.INFO_FLIGHT_STATUS:
                assert c.expected_info == [flight_status(state, c.params["flight_number"], c.params["date"])]
            elif c.type == AirlineGoal.INFO_CERTIFICATE_TOTAL:
                methods = airline.tables["users"][task.user_id]["payment_methods"].values()
                assert float(c.expected_info[0]) == sum(m["amount"] for m in methods if m["source"] == "certificate")


def test_airline_goals_follow_the_policy(tau2_databases):
    """Bookings respect payment limits; cancellations have grounds; no basic-economy flight change; delays are compensated only after a change."""
    base = tau2_databases["airline"]
    state = base.new_state()
    for task in sample_tasks("airline", base, 600, seed=8).tasks:
        for index, c in enumerate(task.constraints):
            if c.type == AirlineGoal.BOOK_RESERVATION:
                sources = [base.tables["users"][task.user_id]["payment_methods"][p["payment_id"]]["source"] for p in c.params["payment_methods"]]
                assert all(sources.count(kind) <= limit for kind, limit in PAYMENT_LIMITS.items())
            elif c.type == AirlineGoal.CANCEL_RESERVATION:
                assert cancellation_grounds(state, base.tables["reservations"][c.params["reservation_id"]], c.params["reason"])
            elif c.type == AirlineGoal.CHANGE_FLIGHTS:
                assert base.tables["reservations"][c.params["reservation_id"]]["cabin"] != "basic_economy"
            elif c.type == AirlineGoal.SEND_COMPENSATION and c.params["cause"] == "delayed":
                earlier = {x.params.get("reservation_id") for x in task.constraints[:index] if x.type in ("change_flights", "cancel_reservation")}
                assert c.params["reservation_id"] in earlier


def test_sample_command_writes_tasks_and_prints_coverage(tau2_dir, tmp_path):
    """`sample_command` writes one task object per line with the promised fields and reports coverage per goal type."""
    from cove.sample_cmd import sample_command

    out = tmp_path / "tasks.jsonl"
    err = io.StringIO()
    report = sample_command("retail", tau2_dir / "retail" / "db.json", 25, 3, "1-3", "full", out, err=err)
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == report.tasks == 25
    for line in lines:
        assert {"task_id", "user_id", "constraints", "descriptions", "instruction"} <= set(line)
        for constraint in line["constraints"]:
            assert "type" in constraint and all(set(a) == {"name", "arguments"} for a in constraint["actions"])
        assert all(d["ids"] for d in line["descriptions"].values())
    table = err.getvalue()
    assert all(goal in table for goal in RetailGoal)


@pytest.mark.parametrize("text, expected", [("1-3", (1, 3)), ("2", (2, 2)), ((1, 4), (1, 4))])
def test_goal_range_parses(text, expected):
    """Goal-count ranges read as 'low-high' or a single number."""
    assert parse_goal_range(text) == expected


@pytest.mark.parametrize("text", ["0-2", "3-1", "a-b", "1-2-3", "1-9"])
def test_bad_goal_range_is_refused(text):
    """A malformed or impossible goal-count range is a SamplingError with the flag's name."""
    with pytest.raises(SamplingError, match="--constraints"):
        parse_goal_range(text)


def test_unknown_fuzz_level_is_refused(tau2_databases):
    """An unknown fuzz level is a SamplingError naming the choices."""
    with pytest.raises(SamplingError, match="exact, partial or full"):
        sample_tasks("retail", tau2_databases["retail"], 1, 0, fuzz="blurry")
