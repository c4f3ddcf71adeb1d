"""Re-verify and show dialogues from the event store alone: no model, no NATS, no network.

For each dialogue: the hash chain must be intact; the events must agree among themselves (causes,
model replies, the summary row: store/consistency.py, cove/replies.py); the task must be the one the run's seed gives
(cove/task_origin.py); every tool result must replay identically on the base database kept in the
store; and the verdict is computed afresh and compared with the recorded one (store/verdicts.py). With the run's
manifest, the store's dialogues must be the ones it lists, each with its event count and content-chain head.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from cove.replies import model_reply_problems
from cove.task_origin import TaskOrigin
from cove.user_pool import simulator_problems
from domains.verification import Verdict, changed_paths, path_text, verify_dialogue
from events import (
    AgentSpoke,
    DialogueEnded,
    DialogueVerified,
    Event,
    TaskSampled,
    ToolCalled,
    ToolFailed,
    ToolReturned,
    UserSpoke,
)
from store.consistency import causation_problems, summary_problems
from store.eventlog import EventStore
from store.manifest import Manifest
from store.replay import replay_dialogue
from store.verdicts import (
    OLDER_VERSIONS,
    differences_text,
    label_problems,
    older_problems,
    older_verdict_changes,
    recorded_score_higher,
    verdict_differences,
)


@dataclass
class AuditResult:
    dialogue_id: str
    verdict: Verdict | None = None
    recorded: dict[str, Any] | None = None
    recorded_version: str | None = None
    task_rederived: bool = False
    task_note: str | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def outdated(self) -> bool:
        """The recorded verdict comes from an older verifier this code knows (verifier 1 or 2)."""
        return self.recorded_version in OLDER_VERSIONS

    @property
    def agrees(self) -> bool | None:
        """Whether the fresh verdict equals the recorded one (None if none was recorded)."""
        if self.recorded is None or self.verdict is None:
            return None
        return self.recorded == self.verdict.to_json()

    def changes(self) -> dict[str, Any]:
        """How the recorded verdict differs from a fresh one: for an older verifier's, what the new rules
        change (score, attribution, vector, violations, ...); otherwise every differing path."""
        if self.recorded is None or self.verdict is None or self.agrees:
            return {}
        if self.outdated:
            return older_verdict_changes(self.recorded, self.verdict.to_json())
        return verdict_differences(self.recorded, self.verdict.to_json())

    @property
    def recorded_higher(self) -> bool:
        """The recorded verdict claims a better score than a fresh verification gives."""
        return self.verdict is not None and self.recorded is not None and recorded_score_higher(self.recorded, self.verdict.to_json())

    def to_json(self) -> dict[str, Any]:
        changes = self.changes()
        return {
            "dialogue_id": self.dialogue_id,
            "ok": self.ok,
            "problems": self.problems,
            "verdict": self.verdict.to_json() if self.verdict else None,
            "agrees_with_recorded": self.agrees,
            "recorded_verifier_version": self.recorded_version,
            "would_change": self.outdated and bool(changes),
            "changes": changes,
            "recorded_score_higher": self.recorded_higher,
            "task_rederived": self.task_rederived,
            "task_note": self.task_note,
        }


class StoreAuditor:
    """Audits the dialogues of one store; the task sequences it draws again are shared by a run's dialogues.

    With the run's manifest (store/manifest.py), each dialogue's event count and content-chain head are also held
    against it, and a dialogue it lists that the store lost whole is audited (and reported) too.
    """

    def __init__(self, store: EventStore, manifest: Manifest | None = None) -> None:
        self.store = store
        self.manifest = manifest
        self.tasks = TaskOrigin(store.base, lambda: store.events_of_types("dialogue_requested", "task_sampled"))

    def dialogue_ids(self) -> list[str]:
        """Every dialogue to audit: each the store knows of, and each the manifest lists."""
        return sorted(set(self.store.all_dialogue_ids()) | set(self.manifest.heads if self.manifest else ()))

    def audit(self, dialogue_id: str) -> AuditResult:
        """Every check of one dialogue; every defect is a problem, never a crash.

        A recorded verdict of an older verifier (1 or 2) that differs from the fresh one is not a problem: the result
        says what the new rules change (`changes`). A verdict of this verifier that differs is, and so
        is one labelled with a version this code does not know or with fields its version never wrote.
        """
        result = AuditResult(dialogue_id)
        try:
            stored = self.store.read_dialogue(dialogue_id)
        except Exception as exc:  # a store that cannot be read is this dialogue's problem
            result.problems.append(f"cannot read the dialogue: {exc}")
            return result
        if self.manifest is not None:
            result.problems += self.manifest.problems(dialogue_id, stored.content)
            if stored.content is None and stored.summary is None and dialogue_id in self.manifest.heads:
                return result  # deleted whole: the store has nothing more to say about it
        events, unreadable = stored.events, stored.unreadable
        result.problems += stored.chain_problems
        if events and stored.summary is None:
            result.problems.append("the dialogue has events but no summary row (the dialogues table lost it)")
        result.problems.extend(unreadable)
        verdicts = [e for e in events if isinstance(e, DialogueVerified)]
        if verdicts:
            result.recorded, result.recorded_version = verdicts[-1].verdict, verdicts[-1].verifier_version
        if unreadable:
            return result  # a dialogue with unreadable events cannot be replayed faithfully
        result.problems += causation_problems(events) + model_reply_problems(events) + simulator_problems(events)
        if not events:
            result.problems.append(f"no event of dialogue {dialogue_id} is stored")
            return result
        if stored.summary is not None:
            result.problems += summary_problems(stored.summary, stored.constraint_types, events)
        if len(verdicts) > 1:
            result.problems.append(f"{len(verdicts)} verdicts are recorded; the verifier records one")
        if verdicts:
            result.problems += label_problems(verdicts[-1])
        try:
            self._judge(result, events, verdicts[-1] if verdicts else None)
        except Exception as exc:  # a broken log (ReplayError, StoreError, bad payload) is reported, never a crash
            result.problems.append(str(exc) or type(exc).__name__)
        return result

    def _judge(self, result: AuditResult, events: list[Event], recorded: DialogueVerified | None) -> None:
        """Re-derive the task, replay, verify afresh, and hold the recorded verdict against it."""
        task_event = next((e for e in events if isinstance(e, TaskSampled)), None)
        ended = next((e for e in events if isinstance(e, DialogueEnded)), None)
        if task_event is None:
            if not _judged_without_task(events, ended, recorded):
                result.problems.append(f"dialogue {result.dialogue_id} has no task_sampled event")
            return
        task = self.tasks.check(events)
        result.task_rederived, result.task_note = task.checked, task.note
        result.problems += task.problems
        replayed = replay_dialogue(events, lambda domain, content_hash: self.store.base(content_hash))
        if replayed.ended is not None:
            result.verdict = verify_dialogue(replayed.record, self.store.base(replayed.task_event.base_db_hash))
        if recorded is None:
            return
        if ended is None:
            result.problems.append("a verdict is recorded but the dialogue has no dialogue_ended event")
        elif recorded.verifier_version in OLDER_VERSIONS:
            result.problems += older_problems(recorded.verifier_version, recorded.verdict, [c.get("type") for c in task_event.task.get("constraints") or []], str(ended.reason))
        elif result.agrees is False:
            result.problems.append(f"the recorded verdict differs from a fresh verification: {differences_text(result.changes())}")


def _judged_without_task(events: list[Event], ended: DialogueEnded | None, recorded: DialogueVerified | None) -> bool:
    """A dialogue that ended before any task was drawn (the sampler gave up, or the world ran out of goals)
    holds no turn, and its only verdict can be the verifier's unscored one."""
    if ended is None or any(isinstance(e, (UserSpoke, AgentSpoke, ToolCalled, ToolReturned, ToolFailed)) for e in events):
        return False
    verdict = recorded.verdict if recorded is not None else {}
    return recorded is None or (verdict.get("score") is None and verdict.get("scored") is False and not verdict.get("constraints"))


def audit_dialogue(store: EventStore, dialogue_id: str) -> AuditResult:
    """One dialogue's audit (see StoreAuditor.audit); auditing many, keep one StoreAuditor."""
    return StoreAuditor(store).audit(dialogue_id)


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
