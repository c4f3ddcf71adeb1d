"""The verifier: gold paths score 1.0, and each kind of mistake lowers the score for the right reason."""

from __future__ import annotations

import json

import pytest

from domains.constraints import Action, Constraint, Task
from domains.registry import get_domain
from domains.tau2 import gold_calls, task_from_tau2
from domains.verification import DialogueRecord, RecordedCall, verify_dialogue


def _tasks(tau2_dir, domain):
    return {t["id"]: t for t in json.loads((tau2_dir / domain / "tasks.json").read_text())}


def _record(domain, base, task, calls, agent_messages=(), user_messages=(), termination="user_stop"):
    """Execute calls as an agent would have, recording each result, and wrap them as a dialogue."""
    toolkit = get_domain(domain).toolkit
    state = base.new_state()
    recorded = []
    for call in calls:
        outcome = toolkit.execute(state, call["name"], call["arguments"])
        recorded.append(RecordedCall(call["name"], call["arguments"], outcome.ok, outcome.content, outcome.error_kind))
    return DialogueRecord(task, recorded, list(agent_messages), list(user_messages), termination)


@pytest.mark.parametrize("domain", ["retail", "airline"])
def test_every_tau2_gold_trajectory_scores_one(domain, tau2_dir, tau2_databases):
    """Replaying each τ²-bench task's gold actions (and saying its communicate_info) scores exactly 1.0."""
    base = tau2_databases[domain]
    for tau2_task in _tasks(tau2_dir, domain).values():
        if not gold_calls(tau2_task):
            continue
        info = " ".join(tau2_task["evaluation_criteria"].get("communicate_info") or [])
        verdict = verify_dialogue(_record(domain, base, task_from_tau2(domain, tau2_task), gold_calls(tau2_task), [info]), base)
        assert (verdict.score, verdict.attribution) == (1.0, "none"), (tau2_task["id"], verdict.reasons)


@pytest.fixture
def retail_case(tau2_dir, tau2_databases):
    """τ²-bench retail task 0 (exchange two delivered items) with its gold calls."""
    tau2_task = _tasks(tau2_dir, "retail")["0"]
    return tau2_databases["retail"], task_from_tau2("retail", tau2_task), gold_calls(tau2_task)


def test_missing_constraint_is_unsatisfied_and_blamed_on_the_agent(retail_case):
    """A dialogue that never makes the demanded write leaves its constraint unsatisfied: score 0, agent's fault."""
    base, task, calls = retail_case
    verdict = verify_dialogue(_record("retail", base, task, [c for c in calls if c["name"] != "exchange_delivered_order_items"]), base)
    assert verdict.score == 0.0 and verdict.vector == [0.0]
    assert verdict.attribution == "agent" and "not satisfied" in verdict.reasons[0]


def test_wrong_item_is_unsatisfied(retail_case):
    """Exchanging for a different variant than demanded fails the constraint and names the differing paths."""
    base, task, calls = retail_case
    exchange = next(c for c in calls if c["name"] == "exchange_delivered_order_items")
    product = base.tables["products"][next(i for i in base.tables["orders"][exchange["arguments"]["order_id"]]["items"] if i["item_id"] == exchange["arguments"]["item_ids"][0])["product_id"]]
    other = next(v for v, variant in product["variants"].items() if variant["available"] and v not in exchange["arguments"]["new_item_ids"] + exchange["arguments"]["item_ids"])
    wrong = {**exchange, "arguments": {**exchange["arguments"], "new_item_ids": [other] + exchange["arguments"]["new_item_ids"][1:]}}
    verdict = verify_dialogue(_record("retail", base, task, [c if c is not exchange else wrong for c in calls]), base)
    assert verdict.vector == [0.0] and verdict.score == 0.0
    assert any("exchange_new_items" in path for path in verdict.constraints[0]["missing"])


def test_extra_write_is_redundant_and_costs_half(retail_case):
    """A write no constraint needs (an address change nobody asked for) is a redundant write and halves the score."""
    base, task, calls = retail_case
    user_id = base.tables["orders"]["#W2378156"]["user_id"]
    extra = {"name": "modify_user_address", "arguments": {"user_id": user_id, "address1": "1 Elm St", "address2": "", "city": "Austin", "state": "TX", "country": "USA", "zip": "73301"}}
    verdict = verify_dialogue(_record("retail", base, task, calls + [extra]), base)
    assert verdict.vector == [1.0] and verdict.score == 0.5
    assert [w["name"] for w in verdict.redundant_writes] == ["modify_user_address"]
    assert any(path.startswith(f"users/{user_id}/address") for path in verdict.unexpected_changes)


def test_overwritten_write_is_redundant_but_final_state_counts(tau2_dir, tau2_databases):
    """Changing an address wrongly and then rightly satisfies the goal, but the first write is redundant."""
    base = tau2_databases["retail"]
    order_id = next(o for o, order in base.tables["orders"].items() if order["status"] == "pending")
    right = {"order_id": order_id, "address1": "9 Oak Ave", "address2": "Unit 2", "city": "Reno", "state": "NV", "country": "USA", "zip": "89501"}
    task = Task(task_id="t", domain="retail", user_id=base.tables["orders"][order_id]["user_id"], constraints=[Constraint(type="modify_order_address", actions=[Action(name="modify_pending_order_address", arguments=right)])])
    wrong = {"name": "modify_pending_order_address", "arguments": {**right, "zip": "89502"}}
    verdict = verify_dialogue(_record("retail", base, task, [wrong, {"name": "modify_pending_order_address", "arguments": right}]), base)
    assert verdict.vector == [1.0] and verdict.score == 0.5 and len(verdict.redundant_writes) == 1
    assert verdict.redundant_writes[0]["arguments"]["zip"] == "89502"


def test_alternative_valid_path_scores_one(tau2_dir, tau2_databases):
    """Doing a task's writes in another order, through other reads, still scores 1.0 (outcome-based)."""
    tau2_task = _tasks(tau2_dir, "retail")["59"]  # cancel one order and change another's address
    base = tau2_databases["retail"]
    writes = [c for c in gold_calls(tau2_task) if get_domain("retail").toolkit[c["name"]].mutates_state]
    assert len(writes) >= 2
    reads = [{"name": "list_all_product_types", "arguments": {}}]
    info = " ".join(tau2_task["evaluation_criteria"].get("communicate_info") or [])
    verdict = verify_dialogue(_record("retail", base, task_from_tau2("retail", tau2_task), reads + writes[::-1], [info]), base)
    assert verdict.score == 1.0, verdict.reasons


def test_policy_violating_write_is_a_violation(tau2_databases):
    """Cancelling an airline reservation the policy does not allow is reported as a violation, even though the tool accepts it."""
    from domains.airline.policy import cancellation_grounds

    base = tau2_databases["airline"]
    state = base.new_state()
    reservation_id = next(r for r, res in base.tables["reservations"].items() if not cancellation_grounds(state, res, "change of plans"))
    reservation = base.tables["reservations"][reservation_id]
    action = Action(name="cancel_reservation", arguments={"reservation_id": reservation_id})
    task = Task(task_id="t", domain="airline", user_id=reservation["user_id"], constraints=[Constraint(type="cancel_reservation", actions=[action], params={"reservation_id": reservation_id, "reason": "change of plans"})])
    verdict = verify_dialogue(_record("airline", base, task, [action.model_dump()]), base)
    assert [v["rule"] for v in verdict.violations] in (["cancel_not_allowed"], ["cancel_after_flying"])
    assert verdict.score == 0.5 and verdict.attribution == "agent"


@pytest.mark.parametrize("termination, score, scored", [("max_turns", 0.0, True), ("too_many_errors", 0.0, True), ("infrastructure_failure", None, False)])
def test_only_a_user_stop_can_score(retail_case, termination, score, scored):
    """A perfect trajectory that did not end with the user's stop scores 0, or is unscored for infrastructure failures."""
    base, task, calls = retail_case
    verdict = verify_dialogue(_record("retail", base, task, calls, termination=termination), base)
    assert (verdict.score, verdict.scored) == (score, scored)
    assert verdict.attribution == ("infrastructure" if not scored else "agent")


def test_user_who_never_stated_a_goal_is_blamed(tau2_databases):
    """When the user stops without ever voicing an unsatisfied goal, the simulator, not the agent, is blamed."""
    base = tau2_databases["retail"]
    order_id = next(o for o, order in base.tables["orders"].items() if order["status"] == "pending")
    from domains.constraints import Description

    action = Action(name="cancel_pending_order", arguments={"order_id": order_id, "reason": "no longer needed"})
    description = Description(kind="order", text="the order with the red kettle", ids=[order_id])
    task = Task(task_id="t", domain="retail", user_id=base.tables["orders"][order_id]["user_id"], constraints=[Constraint(type="cancel_order", actions=[action], params={"order_id": order_id})], descriptions={description.text: description})
    silent = verify_dialogue(_record("retail", base, task, [], user_messages=["Hi, thanks, bye ###STOP###"]), base)
    assert silent.attribution == "user_simulator"
    told = verify_dialogue(_record("retail", base, task, [], user_messages=["Please cancel the order with the red kettle."]), base)
    assert told.attribution == "agent"


def test_information_goal_needs_the_value_in_an_agent_message(tau2_databases):
    """An information goal is met only when the value appears in what the agent said (commas and case ignored)."""
    base = tau2_databases["retail"]
    task = Task(task_id="t", domain="retail", user_id="u", constraints=[Constraint(type="info_gift_card_balance", expected_info=["1093.34"])])
    assert verify_dialogue(_record("retail", base, task, [], agent_messages=["Your balance is $1,093.34."]), base).score == 1.0
    assert verify_dialogue(_record("retail", base, task, [], agent_messages=["Your balance is $1,093."]), base).score == 0.0


def test_extra_write_is_blamed_on_whoever_asked_for_it(tau2_databases):
    """All goals met plus a write on another order of the customer: the user's doing only when the user asked for it."""
    base = tau2_databases["retail"]
    by_user: dict[str, list[str]] = {}
    for order_id, order in base.tables["orders"].items():
        if order["status"] == "pending":
            by_user.setdefault(order["user_id"], []).append(order_id)
    user_id, (order_id, other_id) = next((u, ids[:2]) for u, ids in by_user.items() if len(ids) >= 2)
    action = Action(name="cancel_pending_order", arguments={"order_id": order_id, "reason": "no longer needed"})
    task = Task(task_id="t", domain="retail", user_id=user_id, constraints=[Constraint(type="cancel_order", actions=[action], params={"order_id": order_id})])
    extra = {"name": "cancel_pending_order", "arguments": {"order_id": other_id, "reason": "ordered by mistake"}}
    unasked = verify_dialogue(_record("retail", base, task, [action.model_dump(), extra]), base)
    assert unasked.vector == [1.0] and unasked.score == 0.5 and unasked.violations == []
    assert unasked.attribution == "agent"
    product = base.tables["orders"][other_id]["items"][0]["name"]
    asked = verify_dialogue(_record("retail", base, task, [action.model_dump(), extra], user_messages=[f"Oh and please also cancel my order with the {product.lower()}, I ordered it by mistake."]), base)
    assert asked.attribution == "user_simulator"
    same_record = {"name": "cancel_pending_order", "arguments": {"order_id": order_id, "reason": "no longer needed"}}
    assert verify_dialogue(_record("retail", base, task, [{"name": "modify_pending_order_address", "arguments": {"order_id": order_id, "address1": "1 A St", "address2": "", "city": "X", "state": "CA", "country": "USA", "zip": "90001"}}, same_record]), base).attribution == "agent"
