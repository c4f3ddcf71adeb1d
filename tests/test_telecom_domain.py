"""The telecom example domain's own rules: its checker, tools, policy predicates and information goals.

The contract suite (tests parametrized over every registered domain) covers what every domain must do;
these tests pin the telecom world's particular facts. They need the example installed.
"""

from __future__ import annotations

import copy

import pytest

pytest.importorskip("cove_telecom", reason="the telecom example is not installed: pip install -e examples/telecom")

from cove_telecom.check import check  # noqa: E402
from cove_telecom.generate import generate  # noqa: E402

from domains.constraints import Constraint, Task  # noqa: E402
from domains.fuzzy import format_amount  # noqa: E402
from domains.policy import PolicyContext  # noqa: E402
from domains.registry import get_domain  # noqa: E402

DATA = generate(3, 0.1)
PLUGIN = get_domain("telecom")


def _state():
    return PLUGIN.from_json(copy.deepcopy(DATA)).new_state()


def _first(table: str, **wanted):
    return next(r for r in DATA[table].values() if all(r.get(k) == v for k, v in wanted.items()))


def _run(state, name, **arguments):
    return PLUGIN.toolkit.execute(state, name, arguments)


def test_generation_is_seeded_and_sound():
    """The same seed gives the same world, another seed another one, and the checker finds nothing wrong in it."""
    assert generate(3, 0.1) == DATA and generate(4, 0.1) != DATA
    assert check(DATA) == []


@pytest.mark.parametrize(
    "plant, where",
    [
        (lambda d, line, bill: line["addons"].extend(["addon_roam_europe", "addon_roam_asia"]), "addons"),
        (lambda d, line, bill: line.update(status="suspended"), "suspension"),
        (lambda d, line, bill: bill.update(status="paid"), "payment"),
        (lambda d, line, bill: line.update(plan_id="plan_gold"), "plan_id"),
        (lambda d, line, bill: d["users"][line["user_id"]]["lines"].append(line["line_id"]), "listed twice"),
    ],
)
def test_the_checker_names_each_broken_rule(plant, where):
    """A planted defect (two roaming passes, a suspension not recorded, a paid bill without payment, a plan outside the catalogue, a line listed twice) is a problem naming it."""
    data = copy.deepcopy(DATA)
    line = next(line for line in data["lines"].values() if line["status"] == "active" and not line["addons"])
    bill = next(bill for bill in data["bills"].values() if bill["status"] == "unpaid")
    plant(data, line, bill)
    problems = check(data)
    assert problems and any(where in str(problem) for problem in problems), problems


def test_tools_refuse_in_order_and_leave_no_trace():
    """A missing record is named first, then the record's state; a refused write changes nothing."""
    state = _state()
    suspended = _first("lines", status="suspended")
    assert _run(state, "suspend_line", line_id="line_0", reason="travel", days=10).content == "Error: Line not found"
    assert _run(state, "suspend_line", line_id=suspended["line_id"], reason="bored", days=999).content == "Error: Line is not active"
    active = _first("lines", status="active")
    assert _run(state, "suspend_line", line_id=active["line_id"], reason="bored", days=10).content == "Error: Invalid reason"
    assert _run(state, "change_plan", line_id=active["line_id"], plan_id=active["plan_id"]).content == "Error: The line is already on this plan"
    assert state.changes() == {}


def test_suspend_then_resume_gives_the_line_back_as_it_was():
    state = _state()
    line = _first("lines", status="active")
    suspended = _run(state, "suspend_line", line_id=line["line_id"], reason="travel", days=45).result
    assert suspended["status"] == "suspended" and suspended["suspension"] == {"reason": "travel", "days": 45}
    assert _run(state, "resume_line", line_id=line["line_id"]).ok
    assert state.changes() == {}  # equal to the base again


def test_a_bill_is_paid_in_full_only_with_its_accounts_method():
    state = _state()
    bill = _first("bills", status="unpaid")
    other = next(u for u in DATA["users"].values() if u["user_id"] != bill["user_id"])
    assert _run(state, "pay_bill", bill_id=bill["bill_id"], payment_method_id=next(iter(other["payment_methods"]))).content == "Error: Payment method not found"
    method = next(iter(DATA["users"][bill["user_id"]]["payment_methods"]))
    paid = _run(state, "pay_bill", bill_id=bill["bill_id"], payment_method_id=method).result
    assert paid["status"] == "paid" and paid["payment"] == {"payment_method_id": method, "amount": bill["amount"]}
    assert _run(state, "pay_bill", bill_id=bill["bill_id"], payment_method_id=method).content == "Error: Bill is already paid"


def _rules(state, name, user_id, **arguments):
    return [v.rule for v in PLUGIN.policy.violations(state, name, arguments, PolicyContext(user_id=user_id))]


def test_policy_rules_the_tools_do_not_enforce():
    """Each rule of policy.md that no tool checks is a named violation; the same call within the rules is none."""
    state = _state()
    line = next(l for l in DATA["lines"].values() if l["status"] == "active" and l["data_used_gb"] > 5 and not l["addons"])
    owner = line["user_id"]
    assert _rules(state, "suspend_line", owner, line_id=line["line_id"], reason="non-payment", days=10) == ["suspend_reason"]
    assert _rules(state, "suspend_line", owner, line_id=line["line_id"], reason="lost or stolen", days=31) == ["suspension_too_long"]
    assert _rules(state, "suspend_line", owner, line_id=line["line_id"], reason="travel", days=90) == []
    assert "plan_below_usage" in _rules(state, "change_plan", owner, line_id=line["line_id"], plan_id="plan_starter")
    assert _rules(state, "add_addon", "someone_else", line_id=line["line_id"], addon_id="addon_hotspot") == ["other_customer"]
    assert _run(state, "add_addon", line_id=line["line_id"], addon_id="addon_roam_asia").ok
    assert _rules(state, "add_addon", owner, line_id=line["line_id"], addon_id="addon_roam_europe") == ["second_roaming_pass"]
    suspended = _first("lines", status="suspended")
    assert _rules(state, "add_addon", suspended["user_id"], line_id=suspended["line_id"], addon_id="addon_hotspot") == ["addon_on_suspended_line"]
    overdue = _first("bills", status="overdue")
    user_line = DATA["users"][overdue["user_id"]]["lines"][0]
    assert "plan_change_overdue" in _rules(state, "change_plan", overdue["user_id"], line_id=user_line, plan_id="plan_max")


def test_information_answers_are_checked_by_value():
    """The amount due is the sum of the open bills; an answer giving another figure does not count."""
    user = next(u for u in DATA["users"].values() if sum(DATA["bills"][b]["status"] != "paid" for b in u["bills"]) >= 1)
    state = _state()
    goal = Constraint(type="info_amount_due", params={"user_id": user["user_id"], "bill_ids": []})
    expected = PLUGIN.sampler.info_value(state, goal)
    total = sum(DATA["bills"][b]["amount"] for b in user["bills"] if DATA["bills"][b]["status"] != "paid")
    assert expected == [format_amount(total)]
    goal = goal.model_copy(update={"expected_info": expected})
    task = Task(task_id="t", domain="telecom", user_id=user["user_id"], constraints=[goal])
    right = PLUGIN.facts.check_information(goal, [f"You owe ${total:.2f} in total."], task, state)
    wrong = PLUGIN.facts.check_information(goal, [f"You owe ${total + 10:.2f} in total."], task, state)
    assert right.satisfied and not wrong.satisfied


@pytest.mark.parametrize("words, satisfied", [
    ("Thanks for waiting! Looking at your open bills, your balance comes to {right} altogether.", True),
    ("You owe {wrong}. Sorry, I misread that: the correct total is {right}.", True),
    ("Your total due is {right}... actually, I missed a bill, it's {wrong}.", False),
    ("I see two open bills; together they come to {wrong}.", False),
])
def test_an_amount_due_answer_is_read_as_a_real_agent_words_it(words, satisfied):
    """Paraphrases, self-corrections and a corrected-to-wrong figure: the last figure the agent stands by counts."""
    user = next(u for u in DATA["users"].values() if sum(DATA["bills"][b]["status"] != "paid" for b in u["bills"]) >= 1)
    state = _state()
    goal = Constraint(type="info_amount_due", params={"user_id": user["user_id"], "bill_ids": []})
    goal = goal.model_copy(update={"expected_info": PLUGIN.sampler.info_value(state, goal)})
    total = sum(DATA["bills"][b]["amount"] for b in user["bills"] if DATA["bills"][b]["status"] != "paid")
    task = Task(task_id="t", domain="telecom", user_id=user["user_id"], constraints=[goal])
    text = words.format(right=f"${total:,.2f}", wrong=f"${total + 12.5:,.2f}")
    assert PLUGIN.facts.check_information(goal, [text], task, state).satisfied is satisfied
