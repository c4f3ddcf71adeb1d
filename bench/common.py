"""Small timing helpers shared by the benchmarks: medians over repeats, one row format."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path

TAU2_DIR = Path(__file__).resolve().parents[2] / "shared" / "tau2"


def timed(function: Callable[[], object], repeats: int = 5) -> list[float]:
    """Wall-clock seconds of each of `repeats` runs of `function`."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def row(benchmark: str, median: float, unit: str, target: str = "", note: str = "") -> dict:
    return {"benchmark": benchmark, "median": median, "unit": unit, "target": target, "note": note}


def median(values: list[float]) -> float:
    return statistics.median(values)
