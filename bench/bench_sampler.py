"""Task sampling speed: tasks per second on τ²-bench's databases and on a generated retail world 10x larger.

Each run samples, checks (actions executed under the policy), fuzzifies and writes the scenario of
2,000 tasks at full fuzz. Indexes are built once per database, before timing (their cost is in the
note); the median of three runs with different seeds is reported.
"""

from __future__ import annotations

import time

from bench.common import TAU2_DIR, median, row
from domains.generators import generate_database
from domains.registry import get_domain
from domains.sampling import sample_tasks

TASKS_PER_RUN = 2000
TARGET = ">= 1,000/s"


def _rate(domain: str, base, repeats: int) -> tuple[float, float]:
    """(median tasks per second, seconds spent on the first, index-building call)."""
    start = time.perf_counter()
    base.content_hash  # noqa: B018 - computed once per database, like the indexes
    sample_tasks(domain, base, 20, seed=10_000)
    setup = time.perf_counter() - start
    rates = []
    for seed in range(repeats):
        start = time.perf_counter()
        tasks, _ = sample_tasks(domain, base, TASKS_PER_RUN, seed=seed)
        rates.append(len(tasks) / (time.perf_counter() - start))
    return median(rates), setup


def run(repeats: int = 3) -> list[dict]:
    rows = []
    reference = None
    if TAU2_DIR.exists():
        for domain in ("retail", "airline"):
            base = get_domain(domain).load(TAU2_DIR / domain / "db.json")
            rate, setup = _rate(domain, base, repeats)
            if domain == "retail":
                reference = rate
            rows.append(row(f"sample tasks, τ²-bench {domain} db", rate, "tasks/s", TARGET, f"{TASKS_PER_RUN} tasks per run; indexes + db hash {setup:.2f} s once"))
    else:
        rows.append(row("sample tasks, τ²-bench db", float("nan"), "tasks/s", TARGET, f"skipped: {TAU2_DIR} not found"))
    data = generate_database("retail", seed=1, scale=10.0)
    base = get_domain("retail").from_json(data, source="generated retail x10")
    rate, setup = _rate("retail", base, repeats)
    sizes = f"{len(data['users'])} users, {len(data['orders'])} orders"
    growth = f"; time per task x{reference / rate:.2f} vs τ²-bench retail" if reference else ""
    rows.append(row("sample tasks, generated retail db x10", rate, "tasks/s", TARGET, f"{sizes}{growth}; indexes + db hash {setup:.2f} s once"))
    return rows


if __name__ == "__main__":
    for line in run():
        print(line)
