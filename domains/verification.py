"""The deterministic verifier: did the dialogue leave the world as the task's constraints demand?

Outcome-based: the recorded tool calls are re-executed on a fresh state over the base database and
the final state is compared, path by path, with the state the task's canonical actions produce. Any
path that reaches the same final state counts. Writes that no constraint needs are penalised, writes
the policy forbids are violations, information goals are checked in the agent's messages, and only a
proper user stop can score. Infrastructure failures are unscored, never zero.

score = (satisfied constraints / constraints) * 0.5 ** (redundant writes + policy violations),
        0 when the dialogue did not end with the user's stop token, None when unscored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from domains.constraints import Constraint, Task
from domains.policy import PolicyContext
from domains.registry import get_domain
from domains.state import Database, State, canonical_json

VERIFIER_VERSION = "1"
REDUNDANCY_FACTOR = 0.5
SCORING_TERMINATION = "user_stop"
UNSCORED_TERMINATIONS = ("infrastructure_failure",)

Path = tuple[str, ...]


class Attribution(StrEnum):
    NONE = "none"
    AGENT = "agent"
    USER_SIMULATOR = "user_simulator"
    TOOL = "tool"
    INFRASTRUCTURE = "infrastructure"


@dataclass(frozen=True)
class RecordedCall:
    """A tool call as the dialogue recorded it (arguments as sent; `ok` and `content` as returned)."""

    name: str
    arguments: Any
    ok: bool
    content: str
    error_kind: str | None = None


@dataclass(frozen=True)
class DialogueRecord:
    """What the verifier needs from a dialogue: the task, the calls, the messages, how it ended."""

    task: Task
    calls: list[RecordedCall]
    agent_messages: list[str]
    user_messages: list[str]
    termination: str


@dataclass
class Verdict:
    score: float | None
    scored: bool
    constraints: list[dict[str, Any]]
    redundant_writes: list[dict[str, Any]]
    violations: list[dict[str, Any]]
    termination: str
    attribution: str
    reasons: list[str] = field(default_factory=list)
    unexpected_changes: list[str] = field(default_factory=list)
    verifier_version: str = VERIFIER_VERSION

    @property
    def vector(self) -> list[float]:
        return [1.0 if c["satisfied"] else 0.0 for c in self.constraints]

    def to_json(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "scored": self.scored,
            "vector": self.vector,
            "constraints": self.constraints,
            "redundant_writes": self.redundant_writes,
            "violations": self.violations,
            "unexpected_changes": self.unexpected_changes,
            "termination": self.termination,
            "attribution": self.attribution,
            "reasons": self.reasons,
            "verifier_version": self.verifier_version,
        }


# --- state differences ---------------------------------------------------------------------


def changed_paths(before: State, after: State) -> dict[Path, Any]:
    """Every leaf that differs between two states over one base, with its value in `after`.

    Paths go (table, record id, key, key...); lists are compared whole, as leaves.
    """
    result: dict[Path, Any] = {}
    changes_before, changes_after = before.changes(), after.changes()
    for table in sorted(set(changes_before) | set(changes_after)):
        keys = set(changes_before.get(table, {})) | set(changes_after.get(table, {}))
        for key in sorted(keys):
            _diff(before.get(table, key), after.get(table, key), (table, key), result)
    return result


_MISSING = object()


def _diff(a: Any, b: Any, path: Path, out: dict[Path, Any]) -> None:
    if a is b or a == b:  # equal subtrees (most of a record) are skipped at C speed
        return
    if isinstance(a, dict) and isinstance(b, dict):
        for key in list(a) + [k for k in b if k not in a]:
            _diff(a.get(key, _MISSING), b.get(key, _MISSING), path + (str(key),), out)
    else:
        out[path] = None if b is _MISSING else b


def path_text(path: Path) -> str:
    return "/".join(path)


def value_at(state: State, path: Path) -> Any:
    value: Any = state.get(path[0], path[1])
    for key in path[2:]:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


# --- the expected world --------------------------------------------------------------------


@dataclass(frozen=True)
class Expectation:
    """The gold final state, and the paths each constraint demands."""

    final: State
    demanded: list[dict[Path, Any]]  # per constraint
    errors: list[str]

    @property
    def all_demanded(self) -> set[Path]:
        return {path for paths in self.demanded for path in paths}


def expected_outcome(task: Task, base: Database) -> Expectation:
    """Apply each constraint's canonical actions in order and note the paths each one changes."""
    toolkit = get_domain(task.domain).toolkit
    state = base.new_state()
    demanded, errors = [], []
    for constraint in task.constraints:
        before = state.fork()
        for action in constraint.actions:
            outcome = toolkit.execute(state, action.name, action.arguments)
            if not outcome.ok:
                errors.append(f"canonical action {action.name} of {constraint.type} failed: {outcome.error}")
        demanded.append(changed_paths(before, state))
    return Expectation(state, demanded, errors)


# --- the verdict ---------------------------------------------------------------------------


def _normalise(text: str) -> str:
    return text.casefold().replace(",", "")


def information_found(constraint: Constraint, agent_messages: list[str]) -> bool:
    """Every expected value appears in some agent message (case-folded, commas stripped)."""
    texts = [_normalise(message) for message in agent_messages]
    return all(any(_normalise(value) in text for text in texts) for value in constraint.expected_info)


def _reason_for(task: Task, name: str, arguments: dict[str, Any]) -> str | None:
    for constraint in task.constraints:
        if constraint.params.get("reason") is None:
            continue
        if any(action.name == name and action.arguments.get("reservation_id", action.arguments.get("order_id")) == arguments.get("reservation_id", arguments.get("order_id")) for action in constraint.actions):
            return constraint.params["reason"]
    return None


def _final_state(base: Database, toolkit, writes: list[RecordedCall]) -> State:
    state = base.new_state()
    for call in writes:
        toolkit.execute(state, call.name, call.arguments)
    return state


def verify_dialogue(record: DialogueRecord, base: Database) -> Verdict:
    """The verdict on one dialogue: per-constraint results, redundancy, violations, score, blame."""
    task = record.task
    domain = get_domain(task.domain)
    toolkit = domain.toolkit
    policy = _policy_module(task.domain)
    expectation = expected_outcome(task, base)

    state = base.new_state()
    writes: list[RecordedCall] = []
    violations: list[dict[str, Any]] = []
    tool_crash = False
    for index, call in enumerate(record.calls):
        tool_ = toolkit.tools.get(call.name)
        found = []
        if tool_ is not None and tool_.mutates_state:
            try:
                arguments = tool_.validate(_as_mapping(call.arguments))
            except ValueError:
                arguments = None  # the call will fail as invalid: nothing to judge
            if arguments is not None:
                context = PolicyContext(
                    user_id=task.user_id or None,
                    reason=_reason_for(task, call.name, arguments),
                    prior_writes=tuple((w.name, _as_mapping(w.arguments)) for w in writes),
                )
                found = policy.violations(state, call.name, arguments, context)  # judged on the world before
        if tool_ is None or not tool_.mutates_state:
            tool_crash |= call.error_kind == "crash"  # reads change nothing: their recorded outcome is enough
            continue
        outcome = toolkit.execute(state, call.name, call.arguments)
        tool_crash |= outcome.error_kind == "crash"
        if outcome.ok:
            violations += [{"call": index, "name": call.name, **v.to_json()} for v in found]
            writes.append(call)

    final_paths = changed_paths(base.new_state(), state)
    demanded = expectation.all_demanded
    constraints = []
    for constraint, paths in zip(task.constraints, expectation.demanded):
        if constraint.is_information_goal:
            satisfied = information_found(constraint, record.agent_messages)
            missing = [] if satisfied else [f"value(s) {constraint.expected_info} not communicated"]
        else:
            missing = [path_text(p) for p in paths if value_at(state, p) != value_at(expectation.final, p)]
            satisfied = not missing
        constraints.append({"type": constraint.type, "satisfied": satisfied, "missing": missing})
    unexpected = sorted(path_text(p) for p in final_paths if p not in demanded)

    redundant = [
        {"name": call.name, "arguments": _as_mapping(call.arguments)}
        for call in _redundant_writes(base, toolkit, writes, task, demanded, final_paths)
    ]

    satisfied_fraction = sum(c["satisfied"] for c in constraints) / len(constraints) if constraints else 1.0
    reasons = list(expectation.errors)
    scored = record.termination not in UNSCORED_TERMINATIONS
    if not scored:
        score = None
        reasons.append(f"unscored: {record.termination}")
    elif record.termination != SCORING_TERMINATION:
        score = 0.0
        reasons.append(f"ended by {record.termination}, not by the user's stop")
    else:
        score = satisfied_fraction * REDUNDANCY_FACTOR ** (len(redundant) + len(violations))
    for c in constraints:
        if not c["satisfied"]:
            reasons.append(f"{c['type']} not satisfied: {'; '.join(c['missing'])}")
    reasons += [f"redundant write {w['name']}" for w in redundant]
    reasons += [f"policy violation by {v['name']}: {v['rule']}" for v in violations]

    attribution = _attribute(record, score, scored, constraints, tool_crash, redundant, violations)
    return Verdict(score, scored, constraints, redundant, violations, record.termination, attribution, reasons, unexpected)


def _redundant_writes(base: Database, toolkit, writes: list[RecordedCall], task: Task, demanded: set[Path], final: dict[Path, Any]) -> list[RecordedCall]:
    """Writes no constraint needs: not a canonical action, and either touching no demanded path or
    without effect on the final state (removing the write leaves the same final state)."""
    canonical = [(a.name, canonical_json(a.arguments)) for a in task.actions]
    redundant = []
    for index, call in enumerate(writes):
        key = (call.name, canonical_json(_as_mapping(call.arguments)))
        if key in canonical:
            canonical.remove(key)  # each canonical action covers one identical write
            continue
        if not (_paths_of(base, toolkit, writes[:index], call) & demanded):
            redundant.append(call)
            continue
        others = writes[:index] + writes[index + 1 :]
        if changed_paths(base.new_state(), _final_state(base, toolkit, others)) == final:
            redundant.append(call)
    return redundant


def _paths_of(base: Database, toolkit, earlier: list[RecordedCall], call: RecordedCall) -> set[Path]:
    """Paths one write changed, given the writes before it."""
    before = _final_state(base, toolkit, earlier)
    after = before.fork()
    toolkit.execute(after, call.name, call.arguments)
    return set(changed_paths(before, after))


def _as_mapping(arguments: Any) -> dict[str, Any]:
    if isinstance(arguments, str):
        import json

        try:
            arguments = json.loads(arguments)
        except ValueError:
            return {}
    return arguments if isinstance(arguments, dict) else {}


def _policy_module(domain: str):
    if domain == "retail":
        from domains.retail import policy
    else:
        from domains.airline import policy
    return policy


_RAW_ID = re.compile(r"#W\d{7}|\b(?:credit_card|gift_card|paypal|certificate)_\d{7}\b|\b\d{10}\b")


def _attribute(record: DialogueRecord, score: float | None, scored: bool, constraints: list[dict], tool_crash: bool, redundant: list[dict], violations: list[dict]) -> str:
    """Who is to blame for a score below 1 (or nobody)."""
    if not scored:
        return Attribution.INFRASTRUCTURE
    if score == 1.0:
        return Attribution.NONE
    if tool_crash:
        return Attribution.TOOL
    stopped_early = record.termination == SCORING_TERMINATION and _user_stopped_early(record, constraints)
    if record.termination in ("user_error",) or _user_leaked_ids(record) or stopped_early:
        return Attribution.USER_SIMULATOR
    if _user_invented_goal(record, constraints, redundant, violations):
        return Attribution.USER_SIMULATOR
    return Attribution.AGENT


_TARGET_KEYS = ("order_id", "reservation_id", "user_id")


def _user_invented_goal(record: DialogueRecord, constraints: list[dict], redundant: list[dict], violations: list[dict]) -> bool:
    """Every goal was met, yet the agent also changed records the task never mentions: the user asked for more."""
    if not redundant or violations or not all(c["satisfied"] for c in constraints):
        return False
    task_records = {record.task.user_id} | {value for c in record.task.constraints for value in _flat_ids(c.params)}
    targets = [next((w["arguments"].get(key) for key in _TARGET_KEYS if w["arguments"].get(key)), None) for w in redundant]
    return all(target is not None and target not in task_records for target in targets)


def _user_leaked_ids(record: DialogueRecord) -> bool:
    """The simulated user said a raw id it was never given (fuzzified tasks only)."""
    if record.task.fuzz != "full":
        return False
    known = record.task.instruction + " ".join(record.agent_messages) + " ".join(c.content for c in record.calls)
    return any(raw not in known for message in record.user_messages for raw in _RAW_ID.findall(message))


def _user_stopped_early(record: DialogueRecord, constraints: list[dict]) -> bool:
    """The user stopped without ever stating an unsatisfied goal (none of its descriptions appears)."""
    said = _normalise(" ".join(record.user_messages))
    for constraint, result in zip(record.task.constraints, constraints):
        if result["satisfied"]:
            continue
        texts = [d.text for d in record.task.descriptions.values() if set(d.ids) & set(_flat_ids(constraint.params))]
        if texts and not any(_normalise(text) in said for text in texts):
            return True
    return False


def _flat_ids(params: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for value in params.values():
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, list):
            out.extend(v for v in value if isinstance(v, str))
    return out
