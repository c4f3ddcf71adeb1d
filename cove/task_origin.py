"""Whether a dialogue's task is the one its run asked for: the task is drawn again, not trusted.

`cove run` asks for task number `task_index` of the sequence its seed gives (DialogueRequested, with
the run's goal range and fuzz level in `config`); the sampler draws that task deterministically over
the base database, which the store keeps (TaskSampled). The audit draws it again with the sampler's
own code (actors/sampler.py) and compares.

A task drawn by this sampler (TaskSampled.sampler_version is domains.sampling.SAMPLER_VERSION) must be
exactly the one drawn again. A run drawn by another version, or before the version was recorded, may
rightly differ: a sampler change (new goal rules) draws another sequence from some task on, and a new
wording changes the instruction of the tasks it touches. Such a task that differs is a problem only
when it differs beyond its wording (user, goals) and this sampler still draws a later task of the same
run exactly as recorded: the sequence then agrees past it, and only the recorded task can have
changed. Otherwise the task is reported as not checkable (`TaskCheck.note`). Dialogues without such a
request (hand-built logs, imported tasks) are not re-derived.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from actors.sampler import SamplingSettings, TaskSequence
from domains.sampling import SAMPLER_VERSION
from domains.state import Database
from events import DialogueRequested, Event, TaskSampled

SequenceKey = tuple[str, str, int, str, str]  # domain, base hash, seed, goal range, fuzz level
WORDING = frozenset({"instruction", "descriptions"})  # what a sampler's new wording changes in a task


@dataclass
class TaskCheck:
    checked: bool = False  # the recorded task was drawn again and held against it
    problems: list[str] = field(default_factory=list)
    note: str | None = None  # why a task of a run could not be checked: this sampler draws it otherwise


class TaskOrigin:
    """Re-derives tasks; one task sequence per (domain, base, seed, goal range, fuzz), shared by a run's dialogues.

    `base_for(hash)` gives a base database; `sampling_events()` every stored DialogueRequested and
    TaskSampled (read only when a task differs, to find a later one that agrees).
    """

    def __init__(self, base_for: Callable[[str], Database], sampling_events: Callable[[], Iterable[Event]]) -> None:
        self._base_for, self._sampling_events = base_for, sampling_events
        self._sequences: dict[SequenceKey, TaskSequence] = {}
        self._last_agreeing: dict[SequenceKey, int] | None = None

    def check(self, events: Sequence[Event]) -> TaskCheck:
        request = next((e for e in events if isinstance(e, DialogueRequested)), None)
        sampled = next((e for e in events if isinstance(e, TaskSampled)), None)
        key = _key(request, sampled)
        if key is None:
            return TaskCheck()  # no run request with its sampling settings: nothing to draw the task from
        if (sampled.domain, sampled.seed, sampled.config) != (request.domain, request.seed, request.config):
            return TaskCheck(True, [f"the task_sampled event does not carry the domain, seed and settings of its request {request.event_id}"])
        which = f"task {request.task_index} of seed {request.seed} ({key[3]} goals, fuzz {key[4]}) over base {key[1][:12]}"
        try:
            expected = self._drawn(key, request.task_index, self._sequences)
        except Exception as exc:  # a missing base, an unknown domain or setting: the task cannot be drawn again
            return TaskCheck(True, [f"cannot draw {which} again: {exc}"])
        if expected == sampled.task:
            return TaskCheck(True)
        differing = _differing_keys(expected or {}, sampled.task)
        if sampled.sampler_version == SAMPLER_VERSION:
            what = "the sampler has no such task" if expected is None else f"it differs in {', '.join(differing)}"
            return TaskCheck(True, [f"the recorded task is not {which}, as this sampler (version {SAMPLER_VERSION}, the run's) draws it: {what}"])
        if expected is not None and set(differing) <= WORDING:
            return TaskCheck(note=f"this cove's sampler words {which} otherwise ({', '.join(differing)}): the run was drawn by another version of cove")
        later = self._last_agreeing_index(key)
        if later <= request.task_index:
            return TaskCheck(note=f"this cove's sampler draws another {which}, and no later task of the run as recorded: the run was drawn by another version of cove")
        what = "the sampler has no such task" if expected is None else f"it differs in {', '.join(differing)}"
        return TaskCheck(True, [f"the recorded task is not {which} (the sampler draws task {later} of the run as recorded): {what}"])

    def _drawn(self, key: SequenceKey, index: int, sequences: dict[SequenceKey, TaskSequence]) -> dict[str, Any] | None:
        if key not in sequences:
            domain, base_hash, seed, constraints, fuzz = key
            sequences[key] = TaskSequence(domain, self._base_for(base_hash), seed, SamplingSettings(constraints=constraints, fuzz=fuzz))
        task = sequences[key].task(index)
        return task.model_dump(mode="json") if task is not None else None

    def _last_agreeing_index(self, key: SequenceKey) -> int:
        """The highest task index of the run this sampler draws exactly as recorded (-1 if none); one pass per store."""
        if self._last_agreeing is None:
            recorded: dict[SequenceKey, dict[int, set[str]]] = {}
            request = None
            for event in self._sampling_events():
                if isinstance(event, DialogueRequested):
                    request = event
                elif request is not None and request.dialogue_id == event.dialogue_id and (found := _key(request, event)) is not None:
                    recorded.setdefault(found, {}).setdefault(request.task_index, set()).add(_digest(event.task))
            sequences: dict[SequenceKey, TaskSequence] = {}  # a pass of its own: the audit's sequences keep their place
            self._last_agreeing = {}
            for found, tasks in recorded.items():
                agreeing = [index for index in sorted(tasks) if _digest(self._drawn_or_none(found, index, sequences)) in tasks[index]]
                self._last_agreeing[found] = max(agreeing, default=-1)
        return self._last_agreeing.get(key, -1)

    def _drawn_or_none(self, key: SequenceKey, index: int, sequences: dict[SequenceKey, TaskSequence]) -> dict[str, Any] | None:
        try:
            return self._drawn(key, index, sequences)
        except Exception:  # cannot be drawn: agrees with nothing
            return None


def _key(request: DialogueRequested | None, sampled: TaskSampled | None) -> SequenceKey | None:
    if request is None or sampled is None:
        return None
    constraints, fuzz = request.config.get("constraints"), request.config.get("fuzz")
    if not isinstance(constraints, str) or not isinstance(fuzz, str):
        return None
    return (request.domain, sampled.base_db_hash, request.seed, constraints, fuzz)


def _digest(task: dict[str, Any] | None) -> str:
    return hashlib.sha256(json.dumps(task, sort_keys=True).encode()).hexdigest()


def _differing_keys(expected: dict[str, Any], recorded: dict[str, Any]) -> list[str]:
    return [key for key in {**expected, **recorded} if expected.get(key) != recorded.get(key)]
