"""The sampler's task sequence: the same tasks as `sample_tasks`, drawn forward, with flat memory."""

from __future__ import annotations

import pytest

from actors.sampler import SamplingSettings, TaskSequence
from domains.sampling import TaskStream, sample_tasks
from conftest import generated_base
from tests.plugins import registered_domains

SETTINGS = SamplingSettings(constraints="1-3", fuzz="full")


@pytest.mark.parametrize("domain", registered_domains())
def test_sequence_matches_sample_tasks(domain):
    """Task i of a run is task i of `sample_tasks` with the same seed, asked in any order."""
    base = generated_base(domain)
    expected = sample_tasks(domain, base, 30, seed=5, k_range=SETTINGS.constraints, fuzz=SETTINGS.fuzz).tasks
    in_order = TaskSequence(domain, base, 5, SETTINGS)
    backwards = TaskSequence(domain, base, 5, SETTINGS)
    assert [in_order.task(i) for i in range(30)] == expected
    assert [backwards.task(i) for i in reversed(range(30))] == expected[::-1]


def test_sequence_keeps_only_a_window_and_redraws_older_tasks():
    """Past the window a task is forgotten; asking for it again draws the same task anew."""
    base = generated_base("retail")
    sequence = TaskSequence("retail", base, 9, SETTINGS, window=8)
    first = [sequence.task(i) for i in range(40)]
    assert len(sequence._recent) == 8 and sequence.redrawn == 0
    assert sequence.task(3) == first[3] and sequence.redrawn == 1
    assert sequence.task(39) == first[39]


def test_stream_keeps_digests_not_tasks():
    """The stream's deduplication memory is one 16-byte digest per task handed out."""
    stream = TaskStream("airline", generated_base("airline"), 2, "1-3")
    tasks = [stream.next_task() for _ in range(25)]
    assert len({t.constraint_set_key() for t in tasks}) == 25
    assert len(stream._seen) == 25 and all(len(key) == 16 for key in stream._seen)
    assert [t.task_id for t in tasks] == [f"airline-2-{i:05d}" for i in range(25)]


def test_stream_gives_up_after_failures_in_a_row():
    """A stream whose attempts all fail ends with None instead of looping for ever."""
    stream = TaskStream("retail", generated_base("retail"), 3, "1-3")
    assert stream.next_task(max_failures=0) is None
    assert stream.next_task(max_attempts=0) is None and stream.report.attempts == 0
