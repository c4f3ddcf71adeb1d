"""Scenario text: deterministic templates, and an LLM rewrite kept only when it loses no fact and leaks no id."""

from __future__ import annotations

import random
from types import SimpleNamespace

import pytest

from domains.constraints import Description
from domains.scenario import (
    STOP_TOKEN,
    RewriteRecord,
    ScenarioParts,
    check_rewrite,
    compose_instruction,
    raw_ids,
    required_facts,
    rewrite_instruction,
)
from domains.registry import get_domain
from domains.sampling import sample_tasks
from tests.conftest import generated_base
from tests.plugins import registered_domains

SECTIONS = ("Reason for call:", "Known info:", "Unknown info:", "Task instructions:")


@pytest.fixture(scope="module")
def tasks(tau2_databases):
    """A few multi-goal tasks of each domain at full and partial fuzz (on τ²-bench's database where it has one)."""
    found = {}
    for domain in registered_domains():
        base = tau2_databases[domain] if domain in tau2_databases else generated_base(domain)
        for fuzz in ("full", "partial"):
            found[(domain, fuzz)] = sample_tasks(domain, base, 30, seed=13, k_range="2-3", fuzz=fuzz).tasks
    return found


def _parts() -> ScenarioParts:
    description = Description(kind="order", text="your order with the Desk Lamp", ids=["#W1"], scope="user:ann_1", attributes={"items": [{"name": "Desk Lamp"}]})
    return ScenarioParts(
        descriptions={description.text: description},
        identity=["You are Ann Lee."],
        goals=["Cancel your order with the Desk Lamp, because you no longer need it.", "Find out how much money is left on your gift card."],
        unknown=["You do not know any order number."],
    )


@pytest.mark.parametrize("domain", registered_domains())
def test_template_has_four_sections_in_order(domain):
    """The instruction has the four sections, numbered goals in order and the stop token."""
    text = compose_instruction(domain, _parts(), random.Random(0))
    positions = [text.index(section) for section in SECTIONS]
    assert positions == sorted(positions)
    assert "1. Cancel your order with the Desk Lamp" in text and "2. Find out" in text
    assert text.index("1. Cancel") < text.index("2. Find out")
    assert STOP_TOKEN in text and "one at a time" in text


@pytest.mark.parametrize("domain", registered_domains())
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_template_is_deterministic(domain, seed):
    """The same parts and the same seed give the same text."""
    assert compose_instruction(domain, _parts(), random.Random(seed)) == compose_instruction(domain, _parts(), random.Random(seed))


@pytest.mark.parametrize("domain", registered_domains())
def test_single_goal_has_no_ordering_line(domain):
    """A task with one goal is not told to raise requests one at a time."""
    parts = _parts()
    parts.goals = parts.goals[:1]
    assert "one at a time" not in compose_instruction(domain, parts, random.Random(0))


def _reply(text: str, as_dict: bool = False):
    if as_dict:
        return {"choices": [{"message": {"content": text}}], "usage": {"prompt_tokens": 10, "completion_tokens": 20}}
    message = SimpleNamespace(content=text)
    return SimpleNamespace(choices=[SimpleNamespace(message=message)], usage=SimpleNamespace(model_dump=lambda: {"total_tokens": 30}))


def _fake(text_for, as_dict: bool = False, calls: list | None = None):
    """A completion function that answers with `text_for(prompt)` and records its call."""

    def completion(model, messages, **params):
        if calls is not None:
            calls.append({"model": model, "messages": messages, **params})
        return _reply(text_for(messages[0]["content"]), as_dict)

    return completion


@pytest.mark.parametrize("domain", registered_domains())
@pytest.mark.parametrize("as_dict", [False, True])
def test_rewrite_that_keeps_every_fact_is_accepted(tasks, domain, as_dict):
    """A rewrite that keeps every fact and adds no id replaces the template, and the record keeps model, parameters and usage."""
    task = tasks[(domain, "full")][0]
    calls: list = []
    reworded = task.instruction.replace("What you want", "Here is what you are after").replace("Give details only", "Only give details")
    text, record = rewrite_instruction(task, "fake/model", completion=_fake(lambda prompt: reworded, as_dict, calls), temperature=0.3, seed=7)
    assert record.accepted and text == reworded.strip()
    assert record.model == "fake/model" and record.parameters == {"temperature": 0.3, "seed": 7}
    assert record.usage and calls[0]["temperature"] == 0.3 and task.instruction in calls[0]["messages"][0]["content"]


@pytest.mark.parametrize("domain", registered_domains())
def test_rewrite_that_drops_a_fact_is_refused(tasks, domain):
    """A rewrite that loses a needed fact is refused: the template stands and the record names the lost fact."""
    task = tasks[(domain, "full")][0]
    fact = next(f for f in required_facts(task) if f != STOP_TOKEN and len(f) > 3)
    dropped = task.instruction.replace(fact, "something").replace(fact.lower(), "something")
    text, record = rewrite_instruction(task, "fake/model", completion=_fake(lambda prompt: dropped))
    assert text == task.instruction
    assert not record.accepted and fact in record.missing_facts and "lost" in record.reason


@pytest.mark.parametrize("domain", registered_domains())
def test_rewrite_that_shows_a_raw_id_is_refused(tasks, domain):
    """A rewrite that adds a raw order, item, payment or reservation id is refused and the id recorded."""
    task = tasks[(domain, "full")][0]
    secret = raw_ids(task)[0]
    leaky = task.instruction + f"\nYour reference is {secret}."
    text, record = rewrite_instruction(task, "fake/model", completion=_fake(lambda prompt: leaky))
    assert text == task.instruction
    assert not record.accepted and record.leaked_ids == [secret]


@pytest.mark.parametrize("domain", registered_domains())
def test_rewrite_that_invents_an_id_is_refused(tasks, domain):
    """A rewrite that adds an id of the domain's shape (`id_pattern`) that the task never had is refused and the id recorded."""
    task, shaped = tasks[(domain, "full")][0], get_domain(domain).id_pattern
    invented = next((i for other in tasks[(domain, "full")][1:] for i in raw_ids(other) if shaped.fullmatch(i) and i not in raw_ids(task) and i not in task.instruction), None)
    assert invented is not None, f"no raw id of another {domain} task has the shape of the plug-in's id_pattern"
    text, record = rewrite_instruction(task, "fake/model", completion=_fake(lambda prompt: task.instruction + f"\nYour reference is {invented}."))
    assert text == task.instruction
    assert not record.accepted and record.leaked_ids == [invented]


def test_ids_the_template_already_shows_are_not_leaks(tasks):
    """At partial fuzz the template names the order or reservation; a rewrite that keeps it is accepted."""
    for domain in registered_domains():
        task = next(t for t in tasks[(domain, "partial")] if any(i in t.instruction for i in raw_ids(t)))
        missing, leaked = check_rewrite(task, task.instruction.upper())
        assert missing == [] and leaked == []


@pytest.mark.parametrize(
    "completion, reason",
    [
        (lambda model, messages, **p: (_ for _ in ()).throw(TimeoutError("slow")), "call failed: TimeoutError"),
        (lambda model, messages, **p: _reply("   "), "empty reply"),
        (lambda model, messages, **p: {"unexpected": True}, "empty reply"),
    ],
)
def test_failed_rewrite_keeps_the_template(tasks, completion, reason):
    """A failing call, an empty reply or a malformed response keeps the template and says why."""
    task = tasks[(registered_domains()[0], "full")][0]
    text, record = rewrite_instruction(task, "fake/model", completion=completion)
    assert text == task.instruction
    assert isinstance(record, RewriteRecord) and not record.accepted and record.reason.startswith(reason)


@pytest.mark.parametrize("domain", registered_domains())
def test_check_rewrite_ignores_case_and_thousands_separators(tasks, domain):
    """Facts are compared case-folded with commas removed, as the communicate check reads agent text."""
    task = tasks[(domain, "full")][0]
    assert check_rewrite(task, task.instruction.upper()) == ([], [])
    assert check_rewrite(task, "nothing useful")[0] == required_facts(task)
