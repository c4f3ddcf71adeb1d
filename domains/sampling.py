"""Sample solvable tasks: one user, 1..K goals that are valid under the policy and jointly executable.

A task is drafted goal by goal on a copy-on-write state. Each goal is proposed by the domain's sampler
on the world as the earlier goals left it; its canonical actions then run, in order, on a fork of that
world, and the domain's policy judges each write on the state just before it (with the task's user,
the goal's reason and the task's earlier writes). A goal whose actions fail or break a rule is dropped.
Information goals must give the same answer on the base world, before their turn and at the end.
Every accepted task is fuzzified (ids become descriptions) and given its scenario text. Everything
is drawn from one `random.Random(seed)`, so the same seed gives the same tasks.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, NamedTuple

from domains.constraints import Constraint, Task
from domains.fuzzy import FuzzLevel, NotDescribableError
from domains.policy import PolicyContext
from domains.registry import get_domain
from domains.state import Database, State


# Bumped whenever the same seed and base would draw other tasks or word them otherwise: `cove verify`
# holds a run's tasks to what this sampler draws only when the run's version is this one.
SAMPLER_VERSION = "2"


class SamplingError(ValueError):
    """Sampling cannot start: bad goal-count range, unknown fuzz level, or a world with no goals at all."""


@dataclass
class Draft:
    """A task being built: the user, the goals accepted so far and the worlds around them."""

    base: Database
    user_id: str
    k: int
    state: State  # the world after every accepted goal
    constraints: list[Constraint] = field(default_factory=list)
    pre_states: list[State] = field(default_factory=list)  # the world just before each goal
    claimed: set[str] = field(default_factory=set)  # records a goal owns (an order, a reservation...)
    writes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    @property
    def slots(self) -> int:
        return self.k - len(self.constraints)


@dataclass
class CoverageReport:
    """What a sampling run produced: goals per type, tasks per goal count, and why drafts were dropped."""

    domain: str
    requested: int
    tasks: int = 0
    attempts: int = 0
    seconds: float = 0.0
    goals: Counter = field(default_factory=Counter)
    sizes: Counter = field(default_factory=Counter)
    rejected: Counter = field(default_factory=Counter)
    goal_types: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "requested": self.requested,
            "tasks": self.tasks,
            "attempts": self.attempts,
            "seconds": round(self.seconds, 3),
            "goals": {t: self.goals.get(t, 0) for t in self.goal_types},
            "sizes": {str(k): v for k, v in sorted(self.sizes.items())},
            "rejected": dict(sorted(self.rejected.items())),
        }

    def table(self) -> str:
        """A plain-text coverage table: one row per goal type, then sizes and rejections."""
        total = sum(self.goals.values()) or 1
        width = max([len(t) for t in self.goal_types] + [10])
        lines = [f"{'goal type':<{width}}  {'goals':>6}  {'share':>6}"]
        for goal_type in self.goal_types:
            count = self.goals.get(goal_type, 0)
            lines.append(f"{goal_type:<{width}}  {count:>6}  {count / total:>6.1%}")
        lines.append(f"{'total':<{width}}  {sum(self.goals.values()):>6}")
        sizes = ", ".join(f"{k} goal(s): {v}" for k, v in sorted(self.sizes.items()))
        lines.append(f"{self.tasks} of {self.requested} tasks in {self.attempts} attempts ({self.seconds:.2f} s); {sizes}")
        if self.rejected:
            lines.append("dropped: " + ", ".join(f"{reason} {count}" for reason, count in sorted(self.rejected.items())))
        return "\n".join(lines)


class Sampled(NamedTuple):
    tasks: list[Task]
    coverage: CoverageReport


def domain_rules(domain: str) -> tuple[ModuleType, ModuleType, ModuleType]:
    """The sampler, fuzzifier and policy modules of a domain."""
    rules = get_domain(domain)  # a domain's sampler and fuzzifier build on this module: found by name, not imported
    return rules.sampler, rules.fuzzifier, rules.policy


def parse_goal_range(text: str | tuple[int, int]) -> tuple[int, int]:
    """'1-3' -> (1, 3); '2' -> (2, 2)."""
    if isinstance(text, tuple):
        low, high = text
    else:
        try:
            parts = [int(part) for part in str(text).split("-")]
        except ValueError:
            raise SamplingError(f"--constraints must look like '2' or '1-3', got {text!r}") from None
        if len(parts) not in (1, 2):
            raise SamplingError(f"--constraints must look like '2' or '1-3', got {text!r}")
        low, high = parts[0], parts[-1]
    if not 1 <= low <= high <= 8:
        raise SamplingError(f"--constraints range must satisfy 1 <= low <= high <= 8, got {low}-{high}")
    return low, high


def apply_constraint(draft: Draft, constraint: Constraint, policy: ModuleType, toolkit: Any) -> str | None:
    """Run a goal's actions on a fork of the draft's world; None if all succeed within policy, else why not."""
    before = draft.state
    trial = before.fork() if constraint.actions else before
    writes = list(draft.writes)
    for action in constraint.actions:
        context = PolicyContext(user_id=draft.user_id, reason=constraint.params.get("reason"), prior_writes=tuple(writes))
        broken = policy.violations(trial, action.name, action.arguments, context)
        if broken:
            return f"policy:{broken[0].rule}"
        outcome = toolkit.execute(trial, action.name, action.arguments)
        if not outcome.ok:
            return f"tool_error:{action.name}"
        writes.append((action.name, action.arguments))
    draft.pre_states.append(before)
    draft.constraints.append(constraint)
    draft.state = trial
    draft.writes = writes
    return None


def _extend(draft: Draft, goal_type: str, rng: random.Random, rules: ModuleType, policy: ModuleType, toolkit: Any, report: CoverageReport) -> bool:
    """Try to add one goal (or a bundle the goal needs) of `goal_type`; True if it was added."""
    proposed = rules.propose(goal_type, draft, rng)
    if not proposed:
        return False
    keys = [key for constraint in proposed for key in rules.claim_keys(constraint)]
    if len(set(keys)) != len(keys) or draft.claimed.intersection(keys):
        report.rejected["claimed"] += 1
        return False
    saved = (draft.state, list(draft.constraints), list(draft.pre_states), list(draft.writes))
    for constraint in proposed:
        problem = apply_constraint(draft, constraint, policy, toolkit)
        if problem is not None:
            report.rejected[f"{problem}:{constraint.type}"] += 1
            draft.state, draft.constraints, draft.pre_states, draft.writes = saved
            return False
    draft.claimed.update(keys)
    return True


def _information_stable(draft: Draft, rules: ModuleType) -> bool:
    """Each information goal has the same answer at the start, at its turn and at the end, and an answer
    the verifier can check without ambiguity (`facts.info_checkable`: no $0 balance, a status it knows)."""
    start = draft.base.new_state()
    facts = get_domain(draft.base.domain).facts
    for constraint in draft.constraints:
        if constraint.actions:
            continue
        if not facts.info_checkable(constraint, start):
            return False
        for world in (start, draft.state):
            if rules.info_value(world, constraint) != constraint.expected_info:
                return False
    return True


class TaskStream:
    """The distinct tasks of one seed, drawn one at a time: `sample_tasks` is its first `n`.

    It keeps only what deduplication needs (one short digest per accepted constraint set), so a
    long run's sampler holds no task it has handed out.
    """

    def __init__(
        self, domain: str, base: Database, seed: int, k_range: tuple[int, int] | str = (1, 3),
        fuzz: FuzzLevel | str = FuzzLevel.FULL, *, requested: int = 0,
    ) -> None:  # fmt: skip
        self.low, self.high = parse_goal_range(k_range)
        try:
            self.level = FuzzLevel(fuzz)
        except ValueError:
            raise SamplingError(f"unknown fuzz level {fuzz!r}: choose exact, partial or full") from None
        self.domain, self.base, self.seed = domain, base, seed
        self.rules, self.fuzzifier, self.policy = domain_rules(domain)
        self.toolkit = get_domain(domain).toolkit
        self.candidates = self.rules.candidate_users(base)
        self.openers = [t for t in self.rules.GOAL_TYPES if self.candidates.get(t)]
        self.report = CoverageReport(domain=domain, requested=requested, goal_types=tuple(self.rules.GOAL_TYPES))
        self.rng = random.Random(seed)
        self.produced = 0  # tasks handed out so far
        self.failures = 0  # attempts since the last task
        self._seen: set[bytes] = set()

    def check_world(self) -> None:
        """Raise SamplingError when the database holds no goal at all (no task can ever be sampled)."""
        if not self.openers:
            raise SamplingError(f"{self.base.source}: no task can be sampled from it: no user of this {self.domain} database has a goal the sampler knows")

    def next_task(self, max_attempts: int | None = None, max_failures: int | None = None) -> Task | None:
        """The next distinct task, or None once `max_attempts` (in all) or `max_failures` (in a row) run out."""
        from domains.scenario import compose_instruction

        self.check_world()
        rules, rng, report = self.rules, self.rng, self.report
        while (max_attempts is None or report.attempts < max_attempts) and (max_failures is None or self.failures < max_failures):
            report.attempts += 1
            self.failures += 1
            k = rng.randint(self.low, self.high)
            opener = rng.choice(self.openers)
            user_id = rng.choice(self.candidates[opener])
            draft = Draft(base=self.base, user_id=user_id, k=k, state=self.base.new_state())
            if not _extend(draft, opener, rng, rules, self.policy, self.toolkit, report):
                report.rejected[f"no_goal:{opener}"] += 1
                continue
            for _ in range(8 * k):
                if draft.slots <= 0:
                    break
                _extend(draft, rng.choice(rules.GOAL_TYPES), rng, rules, self.policy, self.toolkit, report)
            if draft.slots > 0:  # a task has exactly the k goals drawn for it, never fewer
                report.rejected[f"too_few_goals:{k}"] += 1
                continue
            if not _information_stable(draft, rules):
                report.rejected["information_changed"] += 1
                continue
            task = Task(task_id="", domain=self.domain, user_id=user_id, constraints=draft.constraints)
            key = hashlib.blake2b(task.constraint_set_key().encode(), digest_size=16).digest()
            if key in self._seen:
                report.rejected["duplicate"] += 1
                continue
            try:
                fuzzed = self.fuzzifier.fuzzify(draft, self.level, rng)
            except NotDescribableError:
                report.rejected["not_describable"] += 1
                continue
            self._seen.add(key)
            instruction = compose_instruction(self.domain, fuzzed, rng)
            report.goals.update(c.type for c in draft.constraints)
            report.sizes[len(draft.constraints)] += 1
            report.tasks = self.produced = self.produced + 1
            self.failures = 0
            return task.model_copy(
                update={
                    "task_id": f"{self.domain}-{self.seed}-{self.produced - 1:05d}",
                    "descriptions": fuzzed.descriptions,
                    "instruction": instruction,
                    "fuzz": str(self.level),
                    "seed": self.seed,
                    "base_db_hash": self.base.content_hash,
                }
            )
        return None


def check_sampling(domain: str, base: Database, k_range: tuple[int, int] | str = (1, 3), fuzz: FuzzLevel | str = FuzzLevel.FULL) -> None:
    """Raise SamplingError unless tasks can be sampled: a valid goal-count range and fuzz level, and a world with goals.

    The one check behind `cove sample`, `cove run`, `cove worker` and `cove db check`.
    """
    TaskStream(domain, base, 0, k_range, fuzz).check_world()


def sample_tasks(
    domain: str,
    base: Database,
    n: int,
    seed: int,
    k_range: tuple[int, int] | str = (1, 3),
    fuzz: FuzzLevel | str = FuzzLevel.FULL,
    max_attempts: int | None = None,
) -> Sampled:
    """`n` distinct tasks (fewer only if the world runs out of distinct goals), with a coverage report."""
    started = time.perf_counter()
    stream = TaskStream(domain, base, seed, k_range, fuzz, requested=n)
    if n <= 0:
        return Sampled([], stream.report)
    limit = max_attempts if max_attempts is not None else 20 * n + 200
    tasks: list[Task] = []
    while len(tasks) < n and (task := stream.next_task(max_attempts=limit)) is not None:
        tasks.append(task)
    stream.report.seconds = time.perf_counter() - started
    return Sampled(tasks, stream.report)
