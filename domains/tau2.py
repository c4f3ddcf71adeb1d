"""Import τ²-bench tasks as cove tasks, so their gold trajectories can be verified like ours.

Each gold write action becomes one constraint (type `tau2_<tool name>`) whose canonical action is
that call; `communicate_info` becomes one information goal. τ²-bench's files are an import: they are
read from wherever the user keeps them and never shipped with cove.
"""

from __future__ import annotations

from typing import Any

from domains.constraints import Action, Constraint, Task
from domains.registry import get_domain


def task_from_tau2(domain: str, tau2_task: dict[str, Any], base_db_hash: str = "") -> Task:
    """A cove Task equivalent to a τ²-bench task's evaluation criteria."""
    toolkit = get_domain(domain).toolkit
    criteria = tau2_task.get("evaluation_criteria") or {}
    actions = criteria.get("actions") or []
    constraints = [
        Constraint(type=f"tau2_{a['name']}", actions=[Action(name=a["name"], arguments=a["arguments"])], params=dict(a["arguments"]))
        for a in actions
        if a["name"] in toolkit and toolkit[a["name"]].mutates_state
    ]
    if criteria.get("communicate_info"):
        constraints.append(Constraint(type="tau2_communicate", expected_info=list(criteria["communicate_info"])))
    user_id = next((a["arguments"]["user_id"] for a in actions if "user_id" in a["arguments"]), "")
    instructions = ((tau2_task.get("user_scenario") or {}).get("instructions")) or {}
    instruction = instructions if isinstance(instructions, str) else "\n".join(f"{k}: {v}" for k, v in instructions.items() if v)
    return Task(
        task_id=f"tau2-{domain}-{tau2_task['id']}",
        domain=domain,
        user_id=user_id,
        constraints=constraints,
        instruction=instruction,
        fuzz="exact",
        base_db_hash=base_db_hash,
        human_handoff=any(a["name"] == "transfer_to_human_agents" for a in actions),
    )


def gold_calls(tau2_task: dict[str, Any]) -> list[dict[str, Any]]:
    """Every gold action of a τ²-bench task (reads included), as {"name", "arguments"}."""
    return [{"name": a["name"], "arguments": a["arguments"]} for a in (tau2_task.get("evaluation_criteria") or {}).get("actions") or []]
