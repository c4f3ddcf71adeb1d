"""The sampler's decision: task number `task_index` of a run, the same whichever replica draws it.

A run's tasks are one seeded sequence (distinct constraint sets, no repeats); every replica computes
the same sequence. A replica draws it forward as later tasks are asked for and keeps only a window of
recent tasks, so its memory stays flat however long the run; a task older than the window (a resumed
run, a very late redelivery) is drawn again from the start of the sequence.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from actors.drafts import Draft, draft
from domains.constraints import Task
from domains.sampling import SAMPLER_VERSION, TaskStream
from domains.state import Database
from events import DialogueRequested, TaskSampled


@dataclass(frozen=True)
class SamplingSettings:
    constraints: str = "1-3"  # goals per task
    fuzz: str = "full"


# The world is out of distinct goals after this many attempts in a row without a new task. The
# rule depends on the sequence alone (not on which task was asked for first), so every replica
# and every run with the seed agrees on where the sequence ends.
MAX_FAILURES_IN_A_ROW = 2000
WINDOW = 512  # tasks kept for repeated asks (requests arrive in index order, give or take the run's concurrency)


class TaskSequence:
    """The seeded task sequence of one run over one base database."""

    def __init__(self, domain: str, base: Database, seed: int, settings: SamplingSettings, window: int = WINDOW) -> None:
        self.domain, self.base, self.seed, self.settings, self.window = domain, base, seed, settings, window
        self.redrawn = 0  # how often the sequence was drawn again from its start
        self._restart()

    def _restart(self) -> None:
        self._stream = TaskStream(self.domain, self.base, self.seed, self.settings.constraints, self.settings.fuzz)
        self._recent: OrderedDict[int, Task] = OrderedDict()
        self.exhausted = False

    def task(self, index: int) -> Task | None:
        if index in self._recent:
            return self._recent[index]
        if index < self._stream.produced:  # older than the window: draw the sequence again
            self.redrawn += 1
            self._restart()
        while index >= self._stream.produced and not self.exhausted:
            task = self._stream.next_task(max_failures=MAX_FAILURES_IN_A_ROW)
            if task is None:
                self.exhausted = True
                break
            self._recent[self._stream.produced - 1] = task
            if len(self._recent) > self.window:
                self._recent.popitem(last=False)
        return self._recent.get(index)


def sample_requested_task(request: DialogueRequested, sequence: TaskSequence) -> list[Draft]:
    """TaskSampled for the request, or the dialogue's end when the world has no more distinct tasks."""
    task = sequence.task(request.task_index)
    if task is None:
        from events import DialogueEnded

        return [draft(DialogueEnded, reason="infrastructure_failure", detail=f"no task {request.task_index}: the database has no more distinct goals")]
    return [draft(TaskSampled, domain=request.domain, task=task.model_dump(mode="json"), seed=request.seed, base_db_hash=sequence.base.content_hash, config=request.config,
                  sampler_version=SAMPLER_VERSION)]
