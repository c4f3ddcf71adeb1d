"""`cove sample`: sample tasks from a database and write them as JSON lines, one task per line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from collections.abc import Callable
from typing import TextIO

from domains.constraints import Task
from domains.sampling import CoverageReport, sample_tasks


def tasks_jsonl(tasks: list[Task]) -> str:
    """One JSON object per task and line; the same tasks always give the same bytes."""
    return "".join(json.dumps(task.model_dump(mode="json"), ensure_ascii=False) + "\n" for task in tasks)


def sample_command(
    domain: str,
    db: str | Path,
    n: int,
    seed: int,
    constraints: str = "1-3",
    fuzz: str = "full",
    out: str | Path = "tasks.jsonl",
    err: TextIO | None = None,
    rewrite: Callable[[Task], Task] | None = None,
) -> CoverageReport:
    """Load `db`, sample `n` tasks, write `out` atomically and print the coverage table to stderr.

    Raises `domains.state.DatabaseError` for an unusable database file and
    `domains.sampling.SamplingError` for a bad goal-count range or fuzz level.
    """
    from cove.files import atomic_write_text
    from domains.registry import get_domain

    base = get_domain(domain).load(db)
    tasks, coverage = sample_tasks(domain, base, n, seed, k_range=constraints, fuzz=fuzz)
    if rewrite is not None:
        tasks = [rewrite(task) for task in tasks]
    atomic_write_text(out, tasks_jsonl(tasks))
    stream = err if err is not None else sys.stderr
    stream.write(coverage.table() + "\n")
    if coverage.tasks < n:
        stream.write(f"warning: only {coverage.tasks} distinct tasks found for {n} requested\n")
    stream.write(f"wrote {out} ({coverage.tasks} tasks, {domain}, seed {seed}, fuzz {fuzz})\n")
    return coverage


def llm_rewriter(model: str, api_base: str | None = None, api_key: str | None = None) -> Callable[[Task], Task]:
    """A rewrite step for `sample_command`: each task keeps the model's wording only if nothing is lost."""
    from domains.scenario import rewrite_instruction

    extra = {"api_base": api_base} if api_base else {}

    def rewrite(task: Task) -> Task:
        instruction, record = rewrite_instruction(task, model, api_key=api_key, **extra)
        return task.model_copy(update={"instruction": instruction, "rewrite": record.model_dump(mode="json")})

    return rewrite
