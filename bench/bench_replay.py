"""Replay τ²-bench's gold trajectories on our tools and compare final and initial states by change set.

τ²-bench's own evaluator needs about 0.4 s per trajectory (three environment builds and two
full-database hashes); ours loads each base once and replays on a copy-on-write overlay.
"""

from __future__ import annotations

import json
import time

from bench.common import TAU2_DIR, median, row
from domains.registry import get_domain

TAU2_SECONDS_PER_TRAJECTORY = 0.4


def _trajectories():
    for domain in ("retail", "airline"):
        tasks = json.loads((TAU2_DIR / domain / "tasks.json").read_text())
        for task in tasks:
            actions = task["evaluation_criteria"].get("actions") or []
            if actions:
                yield domain, actions


def run(repeats: int = 5) -> list[dict]:
    if not TAU2_DIR.exists():
        return [row("gold trajectory replay", float("nan"), "ms", note=f"skipped: {TAU2_DIR} not found")]
    bases = {d: get_domain(d).load(TAU2_DIR / d / "db.json") for d in ("retail", "airline")}
    trajectories = list(_trajectories())
    per_trajectory: list[float] = []
    initial, changed = {}, 0  # the change set of an untouched state is empty
    for _ in range(repeats):
        for domain, actions in trajectories:
            toolkit = get_domain(domain).toolkit
            start = time.perf_counter()
            state = bases[domain].new_state()
            for action in actions:
                toolkit.execute(state, action["name"], action["arguments"])
            changed += state.changes() != initial
            per_trajectory.append(time.perf_counter() - start)
    ms = median(per_trajectory) * 1000
    return [
        row(
            f"gold trajectory replay + change set ({len(trajectories)} trajectories)",
            ms,
            "ms/trajectory",
            target="<= 1 ms",
            note=f"{TAU2_SECONDS_PER_TRAJECTORY * 1000 / ms:,.0f}x faster than τ²-bench's 400 ms; {changed // repeats} of them change the world; p90 {sorted(per_trajectory)[int(len(per_trajectory) * 0.9)] * 1000:.3f} ms",
        )
    ]


if __name__ == "__main__":
    for line in run():
        print(line)
