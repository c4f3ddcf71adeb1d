"""Re-verify and show dialogues from the event store alone: no model, no NATS, no network.

For each dialogue: the hash chain must be intact, every tool result must replay identically on the
base database kept in the store, and the verdict is computed afresh and compared with the recorded
one (if the dialogue was verified when it ran).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from domains.verification import VERIFIER_VERSION, Verdict, changed_paths, path_text, verify_dialogue
from events import AgentSpoke, DialogueEnded, DialogueVerified, Event, TaskSampled, ToolCalled, ToolFailed, ToolReturned, UserSpoke
from store.eventlog import EventStore
from store.replay import replay_dialogue


@dataclass
class AuditResult:
    dialogue_id: str
    verdict: Verdict | None = None
    recorded: dict[str, Any] | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def recorded_version(self) -> str | None:
        if self.recorded is None:
            return None
        return str(self.recorded.get("verifier_version", "1"))

    @property
    def outdated(self) -> bool:
        """The recorded verdict comes from another version of the verifier."""
        return self.recorded_version is not None and self.recorded_version != VERIFIER_VERSION

    @property
    def agrees(self) -> bool | None:
        """Whether the fresh verdict equals the recorded one (None if none was recorded)."""
        if self.recorded is None or self.verdict is None:
            return None
        return self.recorded == self.verdict.to_json()

    def changes(self) -> dict[str, Any]:
        """What a fresh verdict changes in the recorded one: score, attribution, vector, violations, redundant writes."""
        if self.recorded is None or self.verdict is None:
            return {}
        fresh, old = self.verdict.to_json(), self.recorded
        out: dict[str, Any] = {}
        for key in ("score", "scored", "attribution", "vector", "termination"):
            if old.get(key) != fresh.get(key):
                out[key] = {"recorded": old.get(key), "now": fresh.get(key)}
        for key in ("violations", "redundant_writes"):
            before = sorted(str(v.get("rule", v.get("name"))) for v in old.get(key, []))
            after = sorted(str(v.get("rule", v.get("name"))) for v in fresh.get(key, []))
            if before != after:
                out[key] = {"recorded": before, "now": after}
        return out

    def to_json(self) -> dict[str, Any]:
        changes = self.changes() if self.outdated else {}
        return {
            "dialogue_id": self.dialogue_id,
            "ok": self.ok,
            "problems": self.problems,
            "verdict": self.verdict.to_json() if self.verdict else None,
            "agrees_with_recorded": self.agrees,
            "recorded_verifier_version": self.recorded_version,
            "would_change": bool(changes),
            "changes": changes,
        }


def audit_dialogue(store: EventStore, dialogue_id: str) -> AuditResult:
    """Chain check, byte-exact replay and a fresh verdict for one dialogue; every defect is a problem, never a crash.

    A recorded verdict from an older verifier that differs from the fresh one is not a problem: the
    result says what the new rules change (`changes`). A verdict of this verifier that differs is.
    """
    result = AuditResult(dialogue_id)
    try:
        result.problems.extend(store.verify_chain(dialogue_id))
        events, unreadable = store.events_with_problems(dialogue_id)
        if events and not store.has_summary(dialogue_id):
            result.problems.append("the dialogue has events but no summary row (the dialogues table lost it)")
    except Exception as exc:  # a store that cannot be read is this dialogue's problem
        result.problems.append(f"cannot read the dialogue: {exc}")
        return result
    result.problems.extend(unreadable)
    recorded = [e for e in events if isinstance(e, DialogueVerified)]
    result.recorded = recorded[-1].verdict if recorded else None
    if unreadable:
        return result  # a dialogue with unreadable events cannot be replayed faithfully
    try:
        replayed = replay_dialogue(events, lambda domain, content_hash: store.base(content_hash))
        if replayed.ended is not None:
            result.verdict = verify_dialogue(replayed.record, store.base(replayed.task_event.base_db_hash))
    except Exception as exc:  # a broken log (ReplayError, StoreError, bad payload) is reported, never a crash
        result.problems.append(str(exc) or type(exc).__name__)
        return result
    if result.agrees is False and not result.outdated:
        result.problems.append("the recorded verdict differs from a fresh verification")
    return result


def render_dialogue(store: EventStore, dialogue_id: str) -> str:
    """A readable transcript: task, turns, tool calls with results, state changes, verdict."""
    events, unreadable = store.events_with_problems(dialogue_id)
    if not events and not unreadable:
        return f"no dialogue {dialogue_id!r} in {store.path}"
    lines: list[str] = []
    calls: dict[str, ToolCalled] = {}
    for event in events:
        lines.extend(_render_event(event, calls))
    audit = audit_dialogue(store, dialogue_id)
    task_event = next((e for e in events if isinstance(e, TaskSampled)), None)
    if task_event is not None and not audit.problems:
        replayed = replay_dialogue(events, lambda domain, content_hash: store.base(content_hash))
        base = store.base(task_event.base_db_hash)
        final = base.new_state()
        from domains.registry import get_domain

        toolkit = get_domain(task_event.domain).toolkit
        for call in replayed.record.calls:
            toolkit.execute(final, call.name, call.arguments)
        changes = changed_paths(base.new_state(), final)
        lines.append("")
        lines.append(f"== state changes ({len(changes)})")
        lines.extend(f"  {path_text(path)} = {json.dumps(value)}" for path, value in changes.items())
    lines.append("")
    if audit.verdict is not None:
        verdict = audit.verdict
        lines.append(f"== verdict: score {verdict.score}  attribution {verdict.attribution}  termination {verdict.termination}")
        for constraint in verdict.constraints:
            mark = "ok " if constraint["satisfied"] else "NO "
            lines.append(f"  [{mark}] {constraint['type']}" + (f"  missing: {'; '.join(constraint['missing'])}" if constraint["missing"] else ""))
        lines.extend(f"  redundant write: {w['name']} {json.dumps(w['arguments'])}" for w in verdict.redundant_writes)
        lines.extend(f"  {violation_line(v)}" for v in verdict.violations)
        failed = [check for check, outcome in verdict.checks.items() if outcome == "failed"]
        lines.append(f"  checks: {len([o for o in verdict.checks.values() if o != 'not_applicable'])} applied" + (f", failed: {', '.join(failed)}" if failed else ""))
    for problem in audit.problems:
        lines.append(f"!! {problem}")
    return "\n".join(lines)


def violation_line(violation: dict[str, Any]) -> str:
    """'conversation violation confirmation at event 12 (cancel_pending_order): ...'."""
    where = f" at event {violation['event']}" if violation.get("event") is not None else ""
    name = f" ({violation['name']})" if violation.get("name") else ""
    return f"{violation.get('kind', 'policy')} violation {violation['rule']}{where}{name}: {violation['message']}"


def _render_event(event: Event, calls: dict[str, ToolCalled]) -> list[str]:
    if isinstance(event, TaskSampled):
        task = event.task
        out = [f"== dialogue {event.dialogue_id}: {event.domain} task {task.get('task_id')} for {task.get('user_id')} (seed {event.seed}, base {event.base_db_hash[:12]})"]
        out += [f"  goal: {c['type']} {json.dumps(c.get('params', {}))}" for c in task.get("constraints", [])]
        return out
    if isinstance(event, UserSpoke):
        return [f"user: {event.content}"]
    if isinstance(event, AgentSpoke):
        out = [f"agent: {event.content}"] if event.content else []
        return out + [f"agent -> {call.name}({call.arguments})" for call in event.tool_calls]
    if isinstance(event, ToolCalled):
        calls[event.call_id] = event
        return []
    if isinstance(event, ToolReturned):
        return [f"  <- {event.content[:400]}"]
    if isinstance(event, ToolFailed):
        return [f"  <- [{event.error_kind}] {event.content[:400]}"]
    if isinstance(event, DialogueEnded):
        return [f"== ended: {event.reason}" + (f" ({event.detail})" if event.detail else "")]
    return []
