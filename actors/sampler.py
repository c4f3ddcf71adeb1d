"""The sampler's decision: task number `task_index` of a run, the same whichever replica draws it.

A run's tasks are one seeded sequence (distinct constraint sets, no repeats); every replica computes
the same sequence and keeps the prefix it has drawn, growing it by doubling when a later task is asked.
"""

from __future__ import annotations

from dataclasses import dataclass

from actors.drafts import Draft, draft
from domains.constraints import Task
from domains.sampling import sample_tasks
from domains.state import Database
from events import DialogueRequested, TaskSampled


@dataclass(frozen=True)
class SamplingSettings:
    constraints: str = "1-3"  # goals per task
    fuzz: str = "full"


class TaskSequence:
    """The seeded task sequence of one run over one base database."""

    def __init__(self, domain: str, base: Database, seed: int, settings: SamplingSettings) -> None:
        self.domain, self.base, self.seed, self.settings = domain, base, seed, settings
        self.tasks: list[Task] = []
        self.exhausted = False

    def task(self, index: int) -> Task | None:
        while index >= len(self.tasks) and not self.exhausted:
            wanted = max(64, 2 * (index + 1))
            sampled = sample_tasks(self.domain, self.base, wanted, self.seed, self.settings.constraints, self.settings.fuzz)
            self.exhausted = len(sampled.tasks) < wanted
            self.tasks = list(sampled.tasks)
        return self.tasks[index] if index < len(self.tasks) else None


def sample_requested_task(request: DialogueRequested, sequence: TaskSequence) -> list[Draft]:
    """TaskSampled for the request, or the dialogue's end when the world has no more distinct tasks."""
    task = sequence.task(request.task_index)
    if task is None:
        from events import DialogueEnded

        return [draft(DialogueEnded, reason="infrastructure_failure", detail=f"no task {request.task_index}: the database has no more distinct goals")]
    return [draft(TaskSampled, domain=request.domain, task=task.model_dump(mode="json"), seed=request.seed, base_db_hash=sequence.base.content_hash, config=request.config)]
