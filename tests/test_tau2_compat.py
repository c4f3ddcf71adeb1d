"""Compatibility with τ²-bench's worlds: its gold actions replay on our tools exactly as designed."""

from __future__ import annotations

import json
import re

import pytest

from domains.airline import policy as airline_policy
from domains.policy import PolicyContext
from domains.registry import get_domain
from domains.retail import policy as retail_policy

POLICIES = {"retail": retail_policy, "airline": airline_policy}


def _by_design_failures(tau2_dir) -> set[str]:
    """Task ids whose gold actions fail on purpose, as listed in SOURCE.md."""
    text = (tau2_dir / "SOURCE.md").read_text()
    listed = re.search(r"fail by design[^:]*:\s*tasks ([\d,\s]+)", text)
    assert listed, "SOURCE.md no longer lists the by-design failures"
    return {number.strip() for number in listed.group(1).split(",") if number.strip()}


def _tasks(tau2_dir, domain):
    return json.loads((tau2_dir / domain / "tasks.json").read_text())


@pytest.mark.parametrize("domain", ["retail", "airline"])
def test_every_gold_action_replays_and_only_by_design_ones_fail(domain, tau2_dir, tau2_databases):
    """Each gold action of each τ²-bench task runs on our tools; errors come only from the tasks SOURCE.md lists."""
    toolkit = get_domain(domain).toolkit
    expected = _by_design_failures(tau2_dir) if domain == "retail" else set()
    failing, calls = set(), 0
    for task in _tasks(tau2_dir, domain):
        state = tau2_databases[domain].new_state()
        for action in task["evaluation_criteria"].get("actions") or []:
            outcome = toolkit.execute(state, action["name"], action["arguments"])
            calls += 1
            assert outcome.error_kind in (None, "tool_error"), (task["id"], action, outcome.content)
            if not outcome.ok:
                failing.add(task["id"])
    assert failing == expected
    assert calls == {"retail": 550, "airline": 142}[domain]


@pytest.mark.parametrize("domain", ["retail", "airline"])
def test_no_gold_write_breaks_our_policy_predicates(domain, tau2_dir, tau2_databases):
    """Our unenforced-policy predicates accept every write τ²-bench's gold trajectories make."""
    toolkit = get_domain(domain).toolkit
    for task in _tasks(tau2_dir, domain):
        state, prior = tau2_databases[domain].new_state(), []
        for action in task["evaluation_criteria"].get("actions") or []:
            if toolkit[action["name"]].mutates_state:
                context = PolicyContext(prior_writes=tuple(prior))
                assert POLICIES[domain].violations(state, action["name"], action["arguments"], context) == [], (task["id"], action)
            if toolkit.execute(state, action["name"], action["arguments"]).ok and toolkit[action["name"]].mutates_state:
                prior.append((action["name"], action["arguments"]))


def test_multi_item_modification_gives_each_item_its_own_variant(tau2_dir, tau2_databases):
    """Retail task 20's two-item modification prices each item as its own new variant (τ²-bench's bug is not copied)."""
    task = next(t for t in _tasks(tau2_dir, "retail") if t["id"] == "20")
    toolkit = get_domain("retail").toolkit
    state = tau2_databases["retail"].new_state()
    modify = None
    for action in task["evaluation_criteria"]["actions"]:
        toolkit.execute(state, action["name"], action["arguments"])
        if action["name"] == "modify_pending_order_items":
            modify = action["arguments"]
    assert modify and len(modify["new_item_ids"]) > 1
    order = state.get("orders", modify["order_id"])
    catalogue = {item_id: variant for product in state.values("products") for item_id, variant in product["variants"].items()}
    for new_id in modify["new_item_ids"]:
        item = next(item for item in order["items"] if item["item_id"] == new_id)
        assert item["price"] == catalogue[new_id]["price"]
        assert item["options"] == catalogue[new_id]["options"]


@pytest.mark.parametrize("domain", ["retail", "airline"])
def test_initial_state_has_no_changes_and_dumps_byte_identical(domain, tau2_dir, tau2_databases):
    """An untouched state has an empty change set and writes back τ²-bench's file byte for byte."""
    state = tau2_databases[domain].new_state()
    assert state.changes() == {}
    assert state.dumps().encode() == (tau2_dir / domain / "db.json").read_bytes()
