"""The deterministic verifier: did the dialogue leave the world as the task's constraints demand, tell
the customer what they asked, and follow the policy's rules on the way?

Outcome-based: the recorded tool calls are re-executed on a fresh state over the base database and
the final state is compared, path by path, with the state the task's canonical actions produce. Any
path that reaches the same final state counts. Writes that no constraint needs are penalised, writes
the policy forbids are violations, and so are breaches of the policy's conversation rules
(`domains.conversation`). Information goals are checked in the agent's messages
(`domains.information`). Only a proper user stop can score; infrastructure failures are unscored,
never zero. No model is involved anywhere.

score = (satisfied constraints / constraints) * 0.5 ** (redundant writes + violations),
        0 when the dialogue did not end with the user's stop token, None when unscored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from domains.blame import (
    Attribution, ExtraWrite, Shortfall, asked_otherwise, attribute, distinct_cues, extra_write, goal_stated, request_window, user_text_keys, write_target,
)
from domains.constraints import Constraint, Task
from domains.conversation import NOT_APPLICABLE, check_conversation
from domains.dialogue import DialogueRecord, RecordedCall, Turn, as_mapping
from domains.information import Answer, phrase_answer
from domains.policy import PolicyContext
from domains.registry import get_domain
from domains.state import Database, State, canonical_json
from domains.text import keys

VERIFIER_VERSION = "3"  # 3: the third audit's rules (answers in words, corrections, echoed yes, unrequested_offer...)
REDUNDANCY_FACTOR = 0.5
SCORING_TERMINATION = "user_stop"
UNSCORED_TERMINATIONS = ("infrastructure_failure", "policy_timeout", "abandoned")  # the last two: `cove serve` episodes the policy never finished
VERIFIER_CHANGES = {
    "2": "information goals as whole normalised tokens, the last statement of the fact, bound to what was asked and not negated; "
    "the policy's conversation rules (authentication, confirmation, one tool call per turn, no text with a tool call, transfers, "
    "other customers' records) as violations; order-free booking passengers and payments; blame from the goals' attributes"
}

Path = tuple[str, ...]

__all__ = [
    "Attribution", "DialogueRecord", "RecordedCall", "Turn", "VERIFIER_VERSION", "Verdict", "changed_paths", "expected_outcome",
    "information_answer", "path_text", "value_at", "verify_dialogue",
]


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
    checks: dict[str, str] = field(default_factory=dict)
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
            "checks": self.checks,
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


def comparable(path: Path, value: Any, order_free: frozenset[tuple[str, str]]) -> Any:
    """A value in the form compared with the goal's: lists whose order the domain gives no meaning become sorted."""
    if not order_free or not path:
        return value
    table = path[0]
    if len(path) == 2 and isinstance(value, dict):
        fields = [f for t, f in order_free if t == table and isinstance(value.get(f), list)]
        if fields:
            return {**value, **{f: sorted(value[f], key=canonical_json) for f in fields}}
    if len(path) == 3 and (table, path[2]) in order_free and isinstance(value, list):
        return sorted(value, key=canonical_json)
    return value


# --- the expected world --------------------------------------------------------------------


@dataclass(frozen=True)
class Expectation:
    """The gold final state, and the paths each constraint demands."""

    final: State
    demanded: list[dict[Path, Any]]  # per constraint
    errors: list[str]
    before: list[State] = field(default_factory=list)  # per constraint: the world its canonical actions start from

    @property
    def all_demanded(self) -> set[Path]:
        return {path for paths in self.demanded for path in paths}


def expected_outcome(task: Task, base: Database) -> Expectation:
    """Apply each constraint's canonical actions in order and note the paths each one changes."""
    toolkit = get_domain(task.domain).toolkit
    state = base.new_state()
    demanded, errors, starts = [], [], []
    for constraint in task.constraints:
        before = state.fork()
        starts.append(before)
        for action in constraint.actions:
            outcome = toolkit.execute(state, action.name, action.arguments)
            if not outcome.ok:
                errors.append(f"canonical action {action.name} of {constraint.type} failed: {outcome.error}")
        demanded.append(changed_paths(before, state))
    return Expectation(state, demanded, errors, starts)


# --- information ---------------------------------------------------------------------------


def information_answer(constraint: Constraint, agent_messages: list[str], task: Task, base: Database) -> Answer:
    """The domain's check of an information goal; a value with no known subject must be said as whole tokens."""
    facts = get_domain(task.domain).facts
    answer = facts.check_information(constraint, agent_messages, task, base.new_state())
    if answer is not None:
        return answer
    answers = [phrase_answer(agent_messages, value) for value in constraint.expected_info]
    return Answer(all(a.satisfied for a in answers), next((a.said for a in reversed(answers) if a.said), None))


# --- the verdict ---------------------------------------------------------------------------


def _record_id(arguments: dict[str, Any], record_keys: tuple[str, ...]) -> Any:
    """The id of the record a call names by one of the domain's `record_keys` (None: none)."""
    return next((arguments.get(key) for key in record_keys if key in arguments), None)


def _reason_for(task: Task, name: str, arguments: dict[str, Any]) -> str | None:
    record_keys = get_domain(task.domain).record_keys
    for constraint in task.constraints:
        if constraint.params.get("reason") is None:
            continue
        if any(action.name == name and _record_id(action.arguments, record_keys) == _record_id(arguments, record_keys) for action in constraint.actions):
            return constraint.params["reason"]
    return None


def _final_state(base: Database, toolkit, writes: list[RecordedCall]) -> State:
    state = base.new_state()
    for call in writes:
        toolkit.execute(state, call.name, call.arguments)
    return state


@dataclass
class _Replay:
    """The dialogue's writes replayed on the base: final state, accepted writes, policy violations."""

    state: State
    writes: list[RecordedCall]
    violations: list[dict[str, Any]]
    tool_crash: bool


def _replay(record: DialogueRecord, base: Database) -> _Replay:
    task = record.task
    domain = get_domain(task.domain)
    toolkit, policy = domain.toolkit, domain.policy
    state = base.new_state()
    writes: list[RecordedCall] = []
    violations: list[dict[str, Any]] = []
    tool_crash = False
    for index, call in enumerate(record.calls):
        tool_ = toolkit.tools.get(call.name)
        if tool_ is None or not tool_.mutates_state:
            tool_crash |= call.error_kind == "crash"  # reads change nothing: their recorded outcome is enough
            continue
        found = []
        try:
            arguments = tool_.validate(as_mapping(call.arguments))
        except ValueError:
            arguments = None  # the call will fail as invalid: nothing to judge
        if arguments is not None:
            context = PolicyContext(
                user_id=task.user_id or None,
                reason=_reason_for(task, call.name, arguments),
                prior_writes=tuple((w.name, as_mapping(w.arguments)) for w in writes),
            )
            found = policy.violations(state, call.name, arguments, context)  # judged on the world before
        outcome = toolkit.execute(state, call.name, call.arguments)
        tool_crash |= outcome.error_kind == "crash"
        if outcome.ok:
            violations += [{"kind": "policy", "call": index, "event": call.event, "name": call.name, **v.to_json()} for v in found]
            writes.append(call)
    return _Replay(state, writes, violations, tool_crash)


def verify_dialogue(record: DialogueRecord, base: Database) -> Verdict:
    """The verdict on one dialogue: per-constraint results, redundancy, violations, score, blame, checks."""
    task = record.task
    domain = get_domain(task.domain)
    toolkit, facts = domain.toolkit, domain.facts
    order_free = frozenset(getattr(facts, "ORDER_FREE", ()))
    expectation = expected_outcome(task, base)
    replay = _replay(record, base)
    state = replay.state

    final_paths = changed_paths(base.new_state(), state)
    demanded = expectation.all_demanded
    redundant_calls = _redundant_writes(base, toolkit, replay.writes, task, demanded, final_paths)
    interfering = _interfering_writes(base, toolkit, replay.writes, redundant_calls, task, expectation, order_free)
    if interfering:  # goals are judged without the writes that only got in their way (those are penalised as redundant)
        redundant_calls = [w for w in replay.writes if any(w is r for r in redundant_calls + interfering)]
        state = _final_state(base, toolkit, [w for w in replay.writes if not any(w is i for i in interfering)])
    misses = _state_misses(state, expectation, order_free)
    constraints = []
    for constraint, missing in zip(task.constraints, misses):
        if constraint.is_information_goal:
            answer = information_answer(constraint, record.agent_messages, task, base)
            satisfied, missing = answer.satisfied, answer.missing(constraint.expected_info)
        else:
            satisfied = not missing
        constraints.append({"type": constraint.type, "satisfied": satisfied, "missing": missing})
    unexpected = sorted(path_text(p) for p in final_paths if p not in demanded)
    redundant = [{"name": call.name, "arguments": as_mapping(call.arguments)} for call in redundant_calls]

    conversation = check_conversation(record, base)
    violations = replay.violations + conversation.violations
    satisfied_fraction = sum(c["satisfied"] for c in constraints) / len(constraints) if constraints else 1.0
    reasons = list(expectation.errors)
    scored = record.termination not in UNSCORED_TERMINATIONS
    if not scored:
        score = None
        reasons.append(f"unscored: {record.termination}")
    elif record.termination != SCORING_TERMINATION and not (record.termination == "transfer" and task.human_handoff):
        score = 0.0
        reasons.append(f"ended by {record.termination}, not by the user's stop")
    else:
        score = satisfied_fraction * REDUNDANCY_FACTOR ** (len(redundant) + len(violations))
    for c in constraints:
        if not c["satisfied"]:
            reasons.append(f"{c['type']} not satisfied: {'; '.join(c['missing'])}")
    reasons += [f"redundant write {w['name']}" for w in redundant]
    reasons += [f"{v['kind']} violation{' by ' + v['name'] if v.get('name') else ''}: {v['rule']}" for v in violations]

    attribution = Attribution.NONE
    if score != 1.0:
        attribution = _blame(record, base, replay, constraints, redundant_calls, violations, score, scored, expectation)
    checks = _checks(record, constraints, conversation.checks, replay)
    return Verdict(score, scored, constraints, redundant, violations, record.termination, attribution, reasons, unexpected, checks)


def _checks(record: DialogueRecord, constraints: list[dict[str, Any]], conversation: dict[str, str], replay: _Replay) -> dict[str, str]:
    """Which checks applied to this dialogue and whether each held, so a trainer can filter on them."""
    def outcome(applies: bool, held: bool) -> str:
        return NOT_APPLICABLE if not applies else "passed" if held else "failed"

    state_goals = [c for c, goal in zip(constraints, record.task.constraints) if not goal.is_information_goal]
    info_goals = [c for c, goal in zip(constraints, record.task.constraints) if goal.is_information_goal]
    policy = [v for v in replay.violations if v["kind"] == "policy"]
    return {
        "state": outcome(bool(state_goals), all(c["satisfied"] for c in state_goals)),
        "information": outcome(bool(info_goals), all(c["satisfied"] for c in info_goals)),
        "policy": outcome(bool(replay.writes), not policy),
        **dict(sorted(conversation.items())),
    }


def _blame(record: DialogueRecord, base: Database, replay: _Replay, constraints: list[dict[str, Any]], redundant: list[RecordedCall],
           violations: list[dict[str, Any]], score: float | None, scored: bool, expectation: Expectation) -> Attribution:
    task = record.task
    domain = get_domain(task.domain)
    toolkit, facts, rules = domain.toolkit, domain.facts, domain.conversation
    said = user_text_keys(record)
    start = base.new_state()
    shortfalls, asked_for = [], []
    cues = distinct_cues([facts.goal_cues(constraint, task, start) for constraint in task.constraints])
    for constraint, result, goal_cues, goal_start in zip(task.constraints, constraints, cues, expectation.before):
        if result["satisfied"]:
            continue
        stated = goal_stated(goal_cues, said)
        otherwise = _asked_otherwise(record, constraint, goal_start, base, toolkit, rules, said)
        asked_for += otherwise
        shortfalls.append(Shortfall(constraint, stated, bool(otherwise), _tried_exactly(constraint, record.calls)))
    goal_writes = {(action.name, target) for action in task.actions if (target := write_target(action.arguments, task.domain))}
    record_keys = get_domain(task.domain).record_keys
    task_records = {target for _, target in goal_writes} | {str(v) for c in task.constraints for k, v in c.params.items() if k in record_keys}
    write_names = {name for name, tool_ in toolkit.tools.items() if tool_.mutates_state}
    extra: list[ExtraWrite] = []
    for call in redundant:
        index = next(i for i, w in enumerate(replay.writes) if w is call)
        before = lambda i=index: _final_state(base, toolkit, replay.writes[:i])  # noqa: E731
        if any(call is wanted for wanted in asked_for):  # the write the user asked for instead of its goal
            extra.append(ExtraWrite(call, True))
            continue
        extra.append(extra_write(record, call, before, goal_writes, task_records - {task.user_id}, facts.write_cues, write_names))
    return attribute(record, score=score, scored=scored, tool_crash=replay.tool_crash, shortfalls=shortfalls, extra_writes=extra, violations=violations)


def _tried_exactly(constraint: Constraint, calls: list[RecordedCall]) -> bool:
    """Every canonical action of the goal was made as is, and the world refused or undid what it needed
    (a card emptied by an earlier failure): the agent did what the goal asked."""
    made = [(c.name, canonical_json(c.mapping)) for c in calls]
    return bool(constraint.actions) and all((a.name, canonical_json(a.arguments)) in made for a in constraint.actions)


def _asked_otherwise(record: DialogueRecord, constraint: Constraint, goal_start: State, base: Database, toolkit, rules,
                     said: tuple[str, ...]) -> list[RecordedCall]:
    """The writes of this goal's kind on its record (made, or tried: a refused write counts) that differ
    from the goal in details the user last gave as made: the user asked for them instead. The goal's
    details are read on the world it starts from, the write's on the world it met."""
    found: list[RecordedCall] = []
    targets = {(action.name, write_target(action.arguments, record.task.domain)): action for action in constraint.actions}
    user_id = record.task.user_id
    write_names = {name for name, tool_ in toolkit.tools.items() if tool_.mutates_state}
    made: list[RecordedCall] = []
    for call in record.calls:
        tool_ = toolkit.tools.get(call.name)
        if tool_ is None or not tool_.mutates_state:
            continue
        action = targets.get((call.name, write_target(call.mapping, record.task.domain)))
        if action is not None:
            before = _final_state(base, toolkit, made)
            goal = rules.write_details(goal_start, action.name, action.arguments, user_id, complete=True)
            window = request_window(record, call, write_names)
            request = tuple(k for text in window for k in (*keys(text), "\x00")) if window is not None else None
            if asked_otherwise(goal, rules.write_details(before, call.name, call.mapping, user_id, complete=True), said, request):
                found.append(call)
        if call.ok:
            made.append(call)
    return found


def _state_misses(state: State, expectation: Expectation, order_free: frozenset[tuple[str, str]]) -> list[list[str]]:
    """Per constraint, the demanded paths whose value in `state` is not the goal's.

    A path two goals change (the card two refunds go to) is judged for a goal only when every other goal
    that changes it got its own paths right: a goal that failed leaves the shared value off, and that
    is its miss, not the others'."""
    wrong = [
        {p for p in paths if comparable(p, value_at(state, p), order_free) != comparable(p, value_at(expectation.final, p), order_free)}
        for paths in expectation.demanded
    ]
    owners: dict[Path, list[int]] = {}
    for index, paths in enumerate(expectation.demanded):
        for path in paths:
            owners.setdefault(path, []).append(index)
    own_failure = [any(len(owners[p]) == 1 for p in misses) for misses in wrong]
    misses = []
    for index, paths in enumerate(wrong):
        kept = [p for p in paths if len(owners[p]) == 1 or not any(own_failure[o] for o in owners[p] if o != index)]
        misses.append([path_text(p) for p in sorted(kept)])
    return misses


def _interfering_writes(base: Database, toolkit, writes: list[RecordedCall], redundant: list[RecordedCall], task: Task,
                        expectation: Expectation, order_free: frozenset[tuple[str, str]]) -> list[RecordedCall]:
    """Writes no goal asked for that keep a goal from being met: without one of them more goals hold
    (a second refund to the card whose balance a goal sets). They are redundant writes, not failed goals."""
    canonical = {(a.name, canonical_json(a.arguments)) for a in task.actions}
    suspects = [w for w in writes if not any(w is r for r in redundant) and (w.name, canonical_json(as_mapping(w.arguments))) not in canonical]
    if not suspects:
        return []
    met = sum(not m for m in _state_misses(_final_state(base, toolkit, writes), expectation, order_free))
    found = []
    for suspect in suspects:
        without = [w for w in writes if w is not suspect]
        if sum(not m for m in _state_misses(_final_state(base, toolkit, without), expectation, order_free)) > met:
            found.append(suspect)
    return found


def _redundant_writes(base: Database, toolkit, writes: list[RecordedCall], task: Task, demanded: set[Path], final: dict[Path, Any]) -> list[RecordedCall]:
    """Writes no constraint needs: not a canonical action, and either touching no demanded path or
    without effect on the final state (removing the write leaves the same final state)."""
    canonical = [(a.name, canonical_json(a.arguments)) for a in task.actions]
    redundant = []
    for index, call in enumerate(writes):
        key = (call.name, canonical_json(as_mapping(call.arguments)))
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
