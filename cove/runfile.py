"""run.json: a run's settings (never its secrets), their config hash, and the time spent on it so far.

`cove run --resume DIR` reads it back. Each part of a run (the first, and each resume) adds its
seconds to `elapsed_seconds` (kept up to date while it runs, so a killed part counts too), so the
rates in summary.json are over the whole run, not over its last part.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cove.files import atomic_write_text
from cove.preflight import RunError
from cove.settings import RunSettings

RUN_FILE = "run.json"


@dataclass(frozen=True)
class RunRecord:
    """What run.json holds: the settings, and the seconds and parts spent on the run so far."""

    settings: RunSettings
    elapsed_seconds: float = 0.0
    parts: int = 0


def write_run_file(settings: RunSettings, elapsed_seconds: float = 0.0, parts: int = 0) -> None:
    """Keep the run's settings (never its NATS credentials), config hash and time spent beside its results."""
    record = {
        "config_hash": settings.config_hash(),
        "settings": settings.model_dump(mode="json", exclude={"nats_auth", "resume"}),
        "elapsed_seconds": round(elapsed_seconds, 3),
        "parts": parts,
    }
    atomic_write_text(settings.out / RUN_FILE, json.dumps(record, indent=2) + "\n")


def load_run_record(out: Path) -> RunRecord:
    """run.json of the run in `out`, or a clear RunError."""
    path = out / RUN_FILE
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        settings = RunSettings.model_validate(record["settings"])
        elapsed, parts = float(record.get("elapsed_seconds", 0.0)), int(record.get("parts", 0))
    except FileNotFoundError:
        raise RunError(f"{out} holds no run to resume (no {RUN_FILE})") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RunError(f"{path}: cannot read the run's settings: {exc}") from exc
    if settings.config_hash() != record.get("config_hash"):
        raise RunError(f"{path}: its config_hash does not match its settings (edited by hand?)")
    return RunRecord(settings.model_copy(update={"out": out}), elapsed, parts)


def load_run_file(out: Path) -> RunSettings:
    """The settings a run in `out` was started with, or a clear RunError."""
    return load_run_record(out).settings


def config_differences(stored: RunSettings, given: RunSettings, keys: set[str]) -> dict[str, tuple[Any, Any]]:
    """The result-relevant settings among `keys` whose given value differs from the stored run's."""
    before, after = stored.result_config(), given.result_config()
    return {key: (before.get(key), after.get(key)) for key in sorted(keys) if before.get(key) != after.get(key)}
