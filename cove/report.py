"""What `cove report` shows of a run, gathered from its folder: the run, per-dialogue facets, and details.

    report = gather_report(Path("runs/demo"))   # reads events.db, summary.json and run.json
    report.run                                  # requested, finished, yield, models, tokens, cost, wall time
    report.dialogues[0].facets                  # what the list and its filters use (verdict, types, ...)
    report.dialogues[0].detail                  # transcript, goals, descriptions, verdict, state diff

Everything comes from the recorded events; the state diff replays the dialogue's successful writes on
the base database kept in events.db (reads and refused calls change nothing). Nothing here reads the
clock, so one run folder always gives the same report. `cove.report_page` turns it into HTML.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from actors.view import DialogueGapError, DialogueView
from cove.confusion import committed_mistakes
from cove.export import model_usage, reward_row
from domains.registry import get_domain
from domains.state import Database, State
from domains.verification import changed_paths, path_text
from events import AgentSpoke, DialogueEnded, ModelCallFailed, ToolFailed, ToolReturned, UserSpoke
from store.eventlog import EventStore


class ReportError(Exception):
    """A run folder that cannot be reported on: missing, no events.db, or a file that cannot be read."""


@dataclass(frozen=True)
class DialogueReport:
    facets: dict[str, Any]  # small: what the dialogue list shows and filters on
    detail: dict[str, Any]  # large: what the dialogue's page shows, rendered only when selected


@dataclass(frozen=True)
class RunReport:
    title: str
    run: dict[str, Any]
    dialogues: list[DialogueReport]


def gather_report(run_dir: Path) -> RunReport:
    """The report of the run in `run_dir`; ReportError for a folder that is not a readable run.

    A store that turns out corrupt while it is read raises StoreError or sqlite3.DatabaseError."""
    if not run_dir.exists():
        raise ReportError(f"{run_dir}: no such run folder")
    if not run_dir.is_dir():
        raise ReportError(f"{run_dir} is a file, not a run folder")
    if not (run_dir / "events.db").is_file():
        raise ReportError(f"{run_dir}: no events.db (not a cove run folder)")
    summary = _optional_json(run_dir / "summary.json")
    settings = _optional_json(run_dir / "run.json").get("settings")
    settings = settings if isinstance(settings, dict) else {}
    with EventStore(run_dir / "events.db", readonly=True) as store:
        dialogues = [dialogue_report(store, dialogue_id) for dialogue_id in store.all_dialogue_ids()]
    title = summary.get("run_id") or run_dir.resolve().name
    return RunReport(title=str(title), run=run_overview(summary, settings, dialogues), dialogues=dialogues)


def _optional_json(path: Path) -> dict[str, Any]:
    """A run file's JSON object, {} when the file is absent (a run still going has no summary.json yet)."""
    if not path.exists():
        return {}
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReportError(f"{path}: cannot read it: {exc}") from exc
    if not isinstance(value, dict):
        raise ReportError(f"{path}: not a JSON object")
    return value


# --- one dialogue ------------------------------------------------------------------------------


def dialogue_report(store: EventStore, dialogue_id: str) -> DialogueReport:
    """Facets and details of one stored dialogue; one whose events cannot be read is shown as unreadable."""
    events, problems = store.events_with_problems(dialogue_id)
    view = None
    if events and not problems:
        try:
            view = DialogueView.of(events)
        except DialogueGapError as exc:
            problems = [f"{dialogue_id}: events missing or out of order ({exc})"]
    if view is not None:
        try:
            return DialogueReport(dialogue_facets(view), dialogue_detail(store, view))
        except (AttributeError, KeyError, TypeError, ValueError) as exc:  # a payload of an unexpected shape (edited by hand?)
            problems = [f"{dialogue_id}: its events cannot be shown: {type(exc).__name__}: {exc}"]
    detail = {"id": dialogue_id, "problems": problems or ["no events"], "task": {}, "goals": [], "descriptions": [], "transcript": [], "verdict": None, "diff": [], "models": {}, "mistakes": []}
    return DialogueReport(UNREADABLE_FACETS | {"id": dialogue_id}, detail)


UNREADABLE_FACETS: dict[str, Any] = {
    "verdict": "unreadable", "score": None, "types": [], "n_constraints": 0, "violations": [], "failed_checks": [], "attribution": None,
    "termination": None, "user_model": None, "agent_model": None, "turns": 0, "tool_calls": 0, "tokens": 0, "cost_usd": 0.0,
}


def dialogue_facets(view: DialogueView) -> dict[str, Any]:
    """What the dialogue list shows and filters on: verdict, score, goal types, violations, blame, ending, models, sizes."""
    row = reward_row(view) if view.verified is not None else {}
    usage = model_usage(view)
    constraint_types = [c.get("type") for c in (view.task_event.task if view.task_event else {}).get("constraints", [])]
    violations = {v.get("rule", "?") for v in row.get("violations", [])} | ({"redundant_write"} if row.get("redundant_writes") else set())
    return {
        "id": view.dialogue_id,
        "verdict": verdict_class(view),
        "score": row.get("score"),
        "types": sorted(set(constraint_types)),
        "n_constraints": len(constraint_types),
        "violations": sorted(violations),
        "failed_checks": sorted(check for check, outcome in row.get("checks", {}).items() if outcome == "failed"),
        "attribution": row.get("attribution"),
        "termination": view.ended.reason.value if view.ended is not None else "unfinished",
        "user_model": (view.request.user_simulator if view.request is not None else None) or usage.get("user", {}).get("model"),  # a pool's simulator by its name
        "agent_model": usage.get("agent", {}).get("model"),
        "turns": view.turns,
        "tool_calls": sum(len(e.tool_calls) for e in view.events if isinstance(e, AgentSpoke)),
        "tokens": sum(role["prompt_tokens"] + role["completion_tokens"] for role in usage.values()),
        "cost_usd": round(sum(role["cost_usd"] for role in usage.values()), 6),
    }


def dialogue_detail(store: EventStore, view: DialogueView) -> dict[str, Any]:
    """What the dialogue's page shows: task, goals with their results, descriptions, transcript, verdict, state diff."""
    task = view.task_event.task if view.task_event is not None else {}
    verdict = view.verified.verdict if view.verified is not None else {}
    kept = ("score", "scored", "attribution", "termination", "reasons", "violations", "redundant_writes", "unexpected_changes", "checks", "verifier_version")
    return {
        "id": view.dialogue_id,
        "task": {key: task.get(key) for key in ("task_id", "user_id", "fuzz")} | {"instruction": view.instruction.instruction if view.instruction else task.get("instruction", "")},
        "goals": _goals(task, verdict),
        "descriptions": _descriptions(task),
        "transcript": transcript(view),
        "verdict": {key: verdict.get(key) for key in kept} if verdict else None,
        "diff": state_diff(store, view),
        "models": dict(sorted(model_usage(view).items())),
        "mistakes": committed_mistakes(view.events),  # the scripted models' ground truth, which no verifier reads
        "problems": [],
    }


def verdict_class(view: DialogueView) -> str:
    """passed (score 1.0), failed (scored below 1), unscored, or unfinished (no verdict yet)."""
    if view.verified is None:
        return "unfinished"
    verdict = view.verified.verdict
    if not verdict.get("scored"):
        return "unscored"
    return "passed" if verdict.get("score") == 1.0 else "failed"


def _goals(task: dict[str, Any], verdict: dict[str, Any]) -> list[dict[str, Any]]:
    judged = verdict.get("constraints") or []
    goals = []
    for index, constraint in enumerate(task.get("constraints", [])):
        result = judged[index] if index < len(judged) else {}
        goals.append({
            "type": constraint.get("type"),
            "params": constraint.get("params", {}),
            "actions": constraint.get("actions", []),
            "expected_info": constraint.get("expected_info", []),
            "satisfied": result.get("satisfied"),
            "missing": result.get("missing", []),
        })
    return goals


def _descriptions(task: dict[str, Any]) -> list[dict[str, Any]]:
    """Each fuzzy description the user speaks in, with the record ids it resolves to."""
    found = []
    for text, description in sorted((task.get("descriptions") or {}).items()):
        found.append({"text": text, "kind": description.get("kind"), "ids": description.get("ids", []), "scope": description.get("scope")})
    return found


def transcript(view: DialogueView) -> list[dict[str, Any]]:
    """The conversation in order: user and agent messages, tool calls with arguments, results, failures, the end."""
    entries: list[dict[str, Any]] = []
    for event in view.events:
        if isinstance(event, UserSpoke):
            entries.append({"seq": event.seq, "role": "user", "text": event.content})
        elif isinstance(event, AgentSpoke):
            calls = [{"id": call.id, "name": call.name, "arguments": call.arguments} for call in event.tool_calls]
            entries.append({"seq": event.seq, "role": "agent", "text": event.content or "", "calls": calls})
        elif isinstance(event, (ToolReturned, ToolFailed)):
            kind = None if isinstance(event, ToolReturned) else str(event.error_kind)
            entries.append({"seq": event.seq, "role": "tool", "name": event.name, "call_id": event.call_id, "ok": kind is None, "error_kind": kind, "text": event.content})
        elif isinstance(event, ModelCallFailed):
            entries.append({"seq": event.seq, "role": "event", "text": f"{event.role} model {event.model} failed after {event.attempts} attempt(s): {event.error_type}: {event.message}"})
        elif isinstance(event, DialogueEnded):
            entries.append({"seq": event.seq, "role": "event", "text": f"dialogue ended: {event.reason}" + (f" ({event.detail})" if event.detail else "")})
    return entries


# --- the state diff ------------------------------------------------------------------------------

_ABSENT = object()


def state_diff(store: EventStore, view: DialogueView) -> list[dict[str, Any]]:
    """Each path the dialogue's writes changed, with its value before and after as JSON text (None: absent).

    The successful writes are applied again, in order, on the base database the task was drawn from."""
    if view.task_event is None:
        return []
    writes = [(called.name, called.arguments) for called, result in view.tool_calls() if isinstance(result, ToolReturned) and result.mutates_state]
    if not writes:
        return []
    base = store.base(view.task_event.base_db_hash)
    final = replay_writes(base, view.task_event.domain, writes)
    before = base.new_state()
    return [
        {"path": path_text(path), "before": _json_or_none(_value_at(before, path)), "after": _json_or_none(_value_at(final, path))}
        for path in changed_paths(before, final)
    ]


def replay_writes(base: Database, domain: str, writes: list[tuple[str, str]]) -> State:
    """A fresh state over `base` with the writes applied in order."""
    toolkit = get_domain(domain).toolkit
    state = base.new_state()
    for name, arguments in writes:
        toolkit.execute(state, name, arguments)
    return state


def _value_at(state: State, path: tuple[str, ...]) -> Any:
    value: Any = state.get(path[0], path[1])
    if value is None:
        return _ABSENT
    for key in path[2:]:
        if not isinstance(value, dict) or key not in value:
            return _ABSENT
        value = value[key]
    return value


def _json_or_none(value: Any) -> str | None:
    return None if value is _ABSENT else json.dumps(value, ensure_ascii=False, sort_keys=True)


# --- the run -----------------------------------------------------------------------------------------


def run_overview(summary: dict[str, Any], settings: dict[str, Any], dialogues: list[DialogueReport]) -> dict[str, Any]:
    """The run at a glance: what was asked and made, yield, models and parameters, tokens, cost, wall time."""
    facets = [d.facets for d in dialogues]
    verdicts = Counter(f["verdict"] for f in facets)
    scored = verdicts["passed"] + verdicts["failed"]
    timings = summary.get("timings") if isinstance(summary.get("timings"), dict) else {}
    models = {}
    for role in ("agent", "user"):
        configured = settings.get(role) if isinstance(settings.get(role), dict) else {}
        used = sorted({f[f"{role}_model"] for f in facets if f[f"{role}_model"]})
        models[role] = {
            "models": used or ([configured["model"]] if configured.get("model") else []),
            "parameters": {} if role == "user" and settings.get("user_pool") else  # a pool's simulators differ: each dialogue records its own
                          {key: configured.get(key) for key in ("temperature", "max_tokens", "api_base") if configured.get(key) is not None},
        }
    return {
        "domain": summary.get("domain") or settings.get("domain"),
        "seed": summary.get("seed", settings.get("seed")),
        "requested": summary.get("requested", settings.get("count")),
        "finished": summary.get("finished"),
        "complete": summary.get("complete"),
        "stopped_by": summary.get("stopped_by"),
        "dialogues": len(facets),
        "verdicts": dict(sorted(verdicts.items())),
        "scored": scored,
        "passing": verdicts["passed"],
        "yield": round(verdicts["passed"] / scored, 4) if scored else None,
        "sft_rows": summary.get("sft_rows"),
        "models": models,
        "scripted_error_rate": settings.get("scripted_error_rate"),
        "fuzz": settings.get("fuzz"),
        "constraints": settings.get("constraints"),
        "tokens": sum(f["tokens"] for f in facets),
        "cost_usd": round(sum(f["cost_usd"] for f in facets), 6),
        "wall_seconds": timings.get("seconds"),
        "dialogues_per_second": timings.get("dialogues_per_second"),
        "config_hash": summary.get("config_hash"),
        "base_db_hash": summary.get("base_db_hash"),
        "dead_letters": summary.get("dead_letters"),
    }
