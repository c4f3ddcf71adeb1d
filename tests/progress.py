"""Watching a `cove run` in another process: how far its store has got, and waiting for a condition on it.

The run is a separate process, so there is no event to await here: its SQLite store (opened read-only,
never locking it for long) is the only window on its progress.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest


def verified_rows(db: Path) -> int:
    """Dialogues with a verdict in a run's events.db (0 while it does not exist or is locked for a moment)."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            return conn.execute("SELECT count(*) FROM dialogues WHERE scored IS NOT NULL").fetchone()[0]
    except sqlite3.Error:
        return 0


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll `condition` until it holds; fail the test, naming `what`, after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)
