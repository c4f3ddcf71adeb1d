"""Where a run's CPU goes, by component, from an on-CPU profile in py-spy's raw (collapsed) format.

    pip install py-spy    # a profiler, not a dependency of cove
    COVE_LOG_LEVEL=WARNING py-spy record --format raw --rate 250 -o run.txt -- \\
        python -m cove.cli run --domain retail --count 300 --seed 3 --concurrency 32 --scripted-error-rate 0 --no-progress --out /tmp/p
    python -m bench.profile_components run.txt [--dialogues 300]

A sample goes to the component of its innermost frame that belongs to one (a json, pydantic,
sqlite3, hashlib or asyncio frame counts for whoever called it; the event loop's own scheduling and
selecting is "asyncio"); samples under an import or the sandbox's generation are start-up, reported
apart. Each share is of the steady-state samples. py-spy counts a thread that waits for a core as
busy: on a loaded machine the milliseconds overstate, the shares hold.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

START_UP = ("_find_and_load", "generate_database", "load_base", "check_inputs")
# (component, pattern on "function (file:line)"), innermost match wins; first listed wins within a frame
COMPONENTS = [
    ("litellm", r"\(litellm/"),
    ("FastStream", r"\(faststream/|\(fast_depends/"),
    ("nats-py", r"\(nats/"),
    ("recorder and SQLite", r"\(store/|\(actors/recorder\.py"),
    ("event encode/parse", r"\(events/|\(actors/cache\.py|\(actors/view\.py"),
    ("model client", r"\(actors/llm\.py"),
    ("scripted models", r"\(actors/scripted/"),
    ("actors and domains", r"\(actors/|\(domains/|\(cove/"),
    ("thread-pool hops", r"\(concurrent/futures/"),  # litellm runs each call's synchronous half in a thread
    ("logging", r"\(structlog/|\(logging/"),
]
PATTERNS = [(name, re.compile(pattern)) for name, pattern in COMPONENTS]


def component(stack: str) -> str:
    """The component a sample's stack (outermost frame first, ';'-separated) belongs to."""
    if any(marker in stack for marker in START_UP):
        return "start-up"
    for frame in reversed(stack.split(";")):
        if "BaseEventLoop._run_once" in frame or "BaseEventLoop.run_forever" in frame:
            return "asyncio"  # the loop itself: scheduling, selecting, creating tasks
        for name, pattern in PATTERNS:
            if pattern.search(frame):
                return name
    return "other"


def breakdown(lines: list[str]) -> Counter:
    counts: Counter = Counter()
    for line in lines:
        stack, _, samples = line.rstrip().rpartition(" ")
        if stack and samples.isdigit():
            counts[component(stack)] += int(samples)
    return counts


def main(arguments: list[str]) -> int:
    path = Path(arguments[0])
    dialogues = int(arguments[arguments.index("--dialogues") + 1]) if "--dialogues" in arguments else None
    rate = int(arguments[arguments.index("--rate") + 1]) if "--rate" in arguments else 250
    counts = breakdown(path.read_text().splitlines())
    steady = sum(count for name, count in counts.items() if name != "start-up")
    for name, count in counts.most_common():
        share = "" if name == "start-up" else f"{count / steady:6.1%}"
        per_dialogue = f"{count / rate * 1000 / dialogues:6.1f} ms/dialogue" if dialogues and name != "start-up" else ""
        print(f"{name:<22} {count:>7} samples {share:>7} {per_dialogue}")
    if dialogues:
        print(f"{'steady state':<22} {steady:>7} samples         {steady / rate * 1000 / dialogues:6.1f} ms/dialogue (this process)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
