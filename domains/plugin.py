"""What a domain gives cove: one `DomainPlugin` object, found through the `cove.domains` entry-point group.

A domain is a package of small modules (data model, tools, policy, sampler, fuzzifier, ...) and one
object that hands them to cove. Register the object in your package's pyproject.toml:

    [project.entry-points."cove.domains"]
    hotel = "cove_hotel.plugin:PLUGIN"

and cove finds it (`cove tools list --domain hotel`) with no change to cove. Retail and airline are
registered the same way (`domains.retail.plugin:PLUGIN`, `domains.airline.plugin:PLUGIN`).

Rule modules are plain modules; the Protocols below list what each must define. Generic code reaches
them only as `get_domain(name).<member>`, never by importing a domain package. Members marked
*optional* may be left out: generic code reads them with `rule(module, NAME)`, which gives the default
listed in `OPTIONAL` when the module has nothing to say. The scripted rules are written with the
generic `domains.scripted` package (`plans.Goal`, `plans.Plan`, `plans.Context`, `transcript.Transcript`,
`phrases`, `wording`, `mistakes`, `slips`), never with `actors/`.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel

from domains.sidecar import with_sidecar
from domains.state import Database, DatabaseError, JsonLayout, read_json_file
from domains.tooling import Toolkit

if TYPE_CHECKING:
    from domains.scripted.plans import Context, Goal, Plan
    from domains.scripted.transcript import Transcript
    from domains.constraints import Constraint, Task
    from domains.cues import Cue
    from domains.information import Answer
    from domains.policy import PolicyContext, Violation
    from domains.problems import Problem
    from domains.sampling import Draft
    from domains.scenario import ScenarioParts
    from domains.state import State


class PolicyRules(Protocol):
    """The policy as predicates: which writes the policy forbids (the verifier and the sampler ask the same)."""

    def violations(self, before: State, name: str, arguments: dict[str, Any], context: PolicyContext) -> list[Violation]:
        """The rules a tool call breaks, judged on the world before it (empty: allowed). Name each `Violation("rule", ...)`."""
        ...


class FactRules(Protocol):
    """What the verifier reads in the agent's words: answers to information goals, and the cues of requests."""

    def info_checkable(self, constraint: Constraint, state: State) -> bool:
        """Whether an information goal's answer can be checked without ambiguity (the sampler drops it if not)."""
        ...

    def check_information(self, constraint: Constraint, agent_messages: list[str], task: Task, state: State) -> Answer | None:
        """Whether the agent gave the information goal's expected answer (None: not an information goal)."""
        ...

    def goal_cues(self, constraint: Constraint, task: Task, state: State) -> list[Cue]:
        """The words by which the customer can raise this goal."""
        ...

    def write_cues(self, state: State, name: str, arguments: dict[str, Any]) -> list[Cue]:
        """The words by which a customer would have asked for this write (to tell an asked-for write from an extra one)."""
        ...


class ConversationRules(Protocol):
    """The conversation rules: who is authenticated how, whose records a call touches, what a write's read-back must say."""

    AUTHENTICATION_MODE: str  # "lookup" (a find-user tool names the customer) or the id the customer states
    AUTHENTICATION_HOW: str  # how the customer is authenticated, in the words of a violation
    ACCOUNT_TOOLS: frozenset[str]  # reads that need an authenticated customer

    def record_owner(self, state: State, name: str, arguments: dict[str, Any]) -> str | None:
        """The user id owning the record a call reads or writes (None: no customer's record)."""
        ...

    def write_details(self, state: State, name: str, arguments: dict[str, Any], user_id: str, complete: bool = False) -> list[Any]:
        """The details of a write the agent must read back (and the customer confirm) before making it."""
        ...


class SamplerRules(Protocol):
    """The goal types the sampler draws: each proposes goals that really execute on the draft's world."""

    GOAL_TYPES: tuple[str, ...]  # every goal type, in a fixed order

    def candidate_users(self, base: Database) -> dict[str, list[str]]:
        """Per goal type, the users who can have a goal of that type in `base`."""
        ...

    def propose(self, goal_type: str, draft: Draft, rng: random.Random) -> list[Constraint] | None:
        """One goal of `goal_type` (or a bundle it needs) for the draft's user, or None when there is none."""
        ...

    def claim_keys(self, constraint: Constraint) -> Iterable[str]:
        """The records a goal claims: two goals of one task never claim the same key."""
        ...

    def info_value(self, state: State, constraint: Constraint) -> list[str] | None:
        """An information goal's answer on `state` (it must not change during the task)."""
        ...


class FuzzifierRules(Protocol):
    """Describers and resolvers: a record in a customer's words, and back from the words to the one record."""

    RESOLVERS: dict[str, tuple[Callable[..., Iterable[tuple[str, Any]]], Callable[[Any, dict[str, Any]], bool]]]  # kind -> (records in a scope, matcher)

    def fuzzify(self, draft: Draft, level: Any, rng: random.Random) -> ScenarioParts:
        """The task's descriptions and goal sentences at a fuzz level (exact, partial, full)."""
        ...

    def stated_facts(self, constraint: Constraint) -> list[str]:
        """The literal values a scenario must keep for this goal (a rewrite that loses one is refused)."""
        ...

    # optional (default in `OPTIONAL`):
    ATTRIBUTE_FACTS: dict[str, Callable[[Any], list[str]]]  # own description attribute -> the facts its value says ([]: said in words); default {}


class ScriptedAgentRules(Protocol):
    """The offline scripted agent's domain rules: its goal grammar, how it authenticates and resolves a request."""

    DOMAIN: str  # the domain's name
    WRITES: frozenset[str]  # the tools that change the world
    ASK_IDENTITY: str  # how it asks the customer to identify
    NOT_FOUND: str  # what it says when no profile fits
    STATED_ID_ALLOWS_READS: bool  # whether a record may be read as soon as the customer stated its user id
    SLOT_GROUPS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]]  # goal type -> ((group, its fields), ...), in the order a customer gives them
    SLOT_QUESTIONS: dict[str, str]  # the question for each of its own groups (a payment `method` and a `reason` are shared)
    SLOT_TOPICS: dict[str, str]  # per own group, the regex by which any agent's question names it

    def parse_goal(self, text: str) -> Goal | None:
        """The request a goal sentence of the scenario templates words (None: not one of this domain's)."""
        ...

    def identity_lookups(self, transcript: Transcript) -> list[tuple[str, dict[str, Any]]]:
        """The calls that identify the customer from what it said."""
        ...

    def authenticated_user(self, transcript: Transcript) -> str | None:
        """The user id the transcript's calls authenticated, if any."""
        ...

    def resolve(self, goal: Goal, ctx: Context) -> Plan:
        """The plan for one request (reads it still needs raise ReadNeeded)."""
        ...

    def method_text(self, user: dict[str, Any], method_id: str) -> str:
        """A payment method read back in words."""
        ...

    # optional (default in `OPTIONAL`):
    REFRESHES: dict[str, tuple[str, str]]  # write -> (read, its id argument) whose record the write's result replaces; default {}
    CHANGED_BY: dict[str, str]  # write -> id argument of the record it changes for the rest of the dialogue (`Context.changed`); default {}
    ID_READS: tuple[tuple[str, str, str, str], ...]  # (goal field, read, its id argument, regex with the id as group 1): a record named by id; default ()
    INFO_GOALS: frozenset[str]  # goal types answered rather than written (write mistakes never fall on them); default frozenset()
    MISTAKE_GOALS: dict[str, frozenset[str]]  # mistake class (its value) -> goal types it can fall on; default {} (only the write classes)
    SLIPS: dict[str, Callable[[Plan, Context], Plan | None]]  # outcome mistake class -> its plan with the mistake made (None: cannot here); default {}
    WRONG_ANSWERS: dict[str, Callable[[Plan, Context], str | None]]  # information mistake class -> the wrong answer (None: cannot here); default {}
    USER_READ: str  # the read of a customer's profile by `user_id` (another customer's, or a second call in a turn, by mistake); default "get_user_details"

    def undo(self, write: Any, ctx: Context) -> dict[str, Any] | None:
        """Optional: the arguments that put back what `write` changed, from the reads before it (default: None, no undo)."""
        ...

    def result_note(self, name: str, result: Any) -> str:
        """Optional: words after a write's report, from its result (" Your reservation id is X."); default ""."""
        ...


class ScriptedUserRules(Protocol):
    """The offline scripted user's domain rules: which scenarios are this domain's, and its own words for them."""

    NEEDS: dict[str, tuple[str, ...]]  # goal type -> first-person ways to raise it (`type_many`: about several records)
    INFORMS: dict[str, tuple[str, ...]]  # own group -> templates giving its words ("It's {x}.")

    def recognises(self, scenario: str) -> bool:
        """Whether a scenario text reads as one of this domain's (its openings, how the customer is identified)."""
        ...

    def group_words(self, goal_type: str, group: str, fields: dict[str, str], rng: random.Random) -> str | None:
        """The customer's words for one slot group of this domain (None: a group the generic wording says)."""
        ...

    # optional (default in `OPTIONAL`):
    GOAL_DEFAULTS: dict[str, dict[str, str]]  # goal type -> fields a parsed goal has unless its sentence gives them; default {}
    REASON_WORDS: dict[str, tuple[str, ...]]  # a scenario's reason phrase -> first-person ways to say it; default {} ("your" -> "my")
    PAYMENT_FIELDS: tuple[str, ...]  # fields besides the shared `method` that name a saved payment method; default ()
    LISTED_ITEMS_GOALS: frozenset[str]  # goal types whose `items` the customer may list in part and re-lists when a read-back misses one; default frozenset()
    INFORM_KEYS: dict[tuple[str, str], str]  # (goal type, group) -> the `INFORMS` entry that says it, when not the group's own; default {}
    RECORD_NOUNS: tuple[str, ...]  # what its records are called ("order"): asked for one's number or id, the customer says it has none; default ()

    def request_key(self, goal_type: str, sentence: str, fields: dict[str, str]) -> str:
        """Optional: the `NEEDS` entry that raises this goal (`type_many` for several records); default the goal type."""
        ...

    def wrong_details(self, goal_type: str, fields: dict[str, str]) -> dict[str, str] | None:
        """Optional: a detail of the goal changed to one the scenario does not ask for (confirms_wrong_details); default None."""
        ...

    def outside_request(self, goal_type: str, fields: dict[str, str]) -> tuple[str, dict[str, str]] | None:
        """Optional: (type, fields) of a write the scenario never asks for, about this goal's record (asks_outside_scenario); default None."""
        ...

    def invented_id(self, fields: dict[str, str], digest: bytes) -> dict[str, str] | None:
        """Optional: a goal field restated with a record id the scenario never gave, drawn from `digest` (invents_id); default None."""
        ...


@dataclass(frozen=True)
class DomainPlugin:
    """Everything cove needs from a domain. One object per domain, registered in the `cove.domains` entry-point group."""

    name: str  # the domain's name: `--domain NAME`, `data_source`, dialogue ids
    tables: tuple[str, ...]  # the top-level tables of its db.json (τ²-bench's layout)
    data_model: type[BaseModel]  # the strict pydantic model of a whole db.json
    meta_model: type[BaseModel]  # the sidecar beside a db file (`x.json` -> `x.meta.json`), `meta` in memory
    check: Callable[[Any], list[Problem]]  # every problem of a parsed db.json: shape, types, references
    generate: Callable[[int, float], dict[str, Any]]  # the seeded sandbox: (seed, scale) -> tables and `meta`, same arguments same content
    toolkit: Toolkit  # the tools; their docstrings are the schemas the model reads
    policy_text: str  # the policy the agent reads (markdown), in its system prompt
    policy: PolicyRules  # the policy's predicates
    facts: FactRules  # answers and cues the verifier reads
    conversation: ConversationRules  # authentication, ownership, read-backs
    sampler: SamplerRules  # goal types for the sampler
    fuzzifier: FuzzifierRules  # describers and resolvers
    scenario_openings: tuple[str, ...]  # the scenario's first line, one drawn per task ("You are calling the airline's ...")
    prompt_extras: Callable[[Database], list[str]]  # lines after the policy in the agent's prompt (a clock, for instance); a function of the base alone (made once per base)
    scripted_agent: ScriptedAgentRules  # the offline scripted agent's rules
    scripted_user: ScriptedUserRules  # the offline scripted user's rules
    id_pattern: re.Pattern[str] = re.compile(r"(?!)")  # anything shaped like one of its record ids (a rewrite or a user must not invent one); default: matches nothing
    id_keys: tuple[str, ...] = ()  # the argument and parameter names whose values are raw record ids (kept out of scenarios); default ()
    record_keys: tuple[str, ...] = ()  # the id arguments naming the one record a goal is about (an order, a reservation), first found wins; default ()

    def load(self, path: str | Path) -> Database:
        """Read a db.json file of this domain and its sidecar, if any; a clear DatabaseError names the file and the problem."""
        text, data = read_json_file(path)
        self.refuse_other_domain(data, str(path))
        return self.from_json(with_sidecar(path, data, self.meta_model), source=str(path), layout=JsonLayout.sniff(text))

    def from_json(self, data: Any, source: str = "<memory>", **kwargs: Any) -> Database:
        self.refuse_other_domain(data, source)
        return Database.from_json(self.name, data, self.tables, source=source, **kwargs)

    def refuse_other_domain(self, data: Any, source: str) -> None:
        """A DatabaseError naming the right --domain when `data` is a database of another domain."""
        from domains.registry import describe_domain

        other = self.other_domain(data)
        if other is not None:
            raise DatabaseError(f"{source}: {describe_domain(other)}, not {self.name}: use --domain {other}")

    def other_domain(self, data: Any) -> str | None:
        """The name of another domain whose tables a parsed db.json holds while it lacks some of ours."""
        from domains.registry import loaded_domains

        if not isinstance(data, dict) or all(table in data for table in self.tables):
            return None
        return next((d.name for d in loaded_domains() if d.name != self.name and all(table in data for table in d.tables)), None)


def _no_undo(write: Any, ctx: Any) -> None:
    return None


def _no_note(name: str, result: Any) -> str:
    return ""


def _goal_type_key(goal_type: str, sentence: str, fields: dict[str, str]) -> str:
    return goal_type


def _nothing(*args: Any) -> None:
    return None


OPTIONAL: dict[str, Any] = {  # the default of every optional rule-module member (see the Protocols above)
    "REFRESHES": {}, "CHANGED_BY": {}, "ID_READS": (), "INFO_GOALS": frozenset(), "MISTAKE_GOALS": {}, "SLIPS": {}, "WRONG_ANSWERS": {},
    "USER_READ": "get_user_details", "RECORD_NOUNS": (), "ATTRIBUTE_FACTS": {},
    "undo": _no_undo, "result_note": _no_note,
    "GOAL_DEFAULTS": {}, "REASON_WORDS": {}, "PAYMENT_FIELDS": (), "LISTED_ITEMS_GOALS": frozenset(), "INFORM_KEYS": {},
    "request_key": _goal_type_key, "wrong_details": _nothing, "outside_request": _nothing, "invented_id": _nothing,
}  # fmt: skip


def rule(rules: Any, name: str) -> Any:
    """A rule module's member, or (for an optional one it leaves out) its default from `OPTIONAL`."""
    found = getattr(rules, name, OPTIONAL.get(name, rule))
    if found is rule:
        raise AttributeError(f"{getattr(rules, '__name__', rules)!r} has no rule {name!r}, and it is not optional")
    return found


def no_prompt_extras(base: Database) -> list[str]:
    """A domain whose agent prompt needs nothing after the policy."""
    return []
