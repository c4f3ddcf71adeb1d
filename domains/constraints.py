"""Goals ("constraints") and tasks: what a simulated customer wants, exactly, and how it is described.

A `Constraint` is one exact goal with its canonical write action(s): applying the actions in order to
the base database produces the state change the goal demands. Information goals have no actions:
their `expected_info` values must appear in an agent message instead. A `Task` is one user with 1..K
constraints that are valid under the policy and jointly executable, plus the fuzzy descriptions the
simulated user speaks in and the scenario text (`instruction`) the user simulator receives.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from domains.state import canonical_json


class Action(BaseModel):
    """One tool call: a name and its arguments."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)


class Constraint(BaseModel):
    """One exact goal. `params` holds the raw ids and values the goal is about (order_id, item_ids...)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    type: str
    actions: list[Action] = Field(default_factory=list)
    params: dict[str, Any] = Field(default_factory=dict)
    expected_info: list[str] = Field(default_factory=list)

    @property
    def is_information_goal(self) -> bool:
        return not self.actions

    def key(self) -> str:
        """A canonical text identity, for deduplication."""
        return canonical_json(self.model_dump(mode="json"))


class Description(BaseModel):
    """A human description of one record, and the record ids it resolves to (exactly one when valid)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    kind: str  # user, order, item, new_item, payment_method, address, reservation, passenger, flight
    text: str
    ids: list[str]
    scope: str | None = None  # what the description is unique within, e.g. "user:jane_doe_1234"
    attributes: dict[str, Any] = Field(default_factory=dict)  # the structured form the text renders


class Task(BaseModel):
    """A sampled, fuzzified task: one user, their goals, and how the user describes them."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    task_id: str
    domain: str
    user_id: str
    constraints: list[Constraint]
    descriptions: dict[str, Description] = Field(default_factory=dict)
    instruction: str = ""
    fuzz: str = "full"
    seed: int = 0
    base_db_hash: str = ""
    rewrite: dict[str, Any] | None = None  # an optional LLM rewrite of the scenario: kept or refused, and why
    human_handoff: bool = False  # part of the request is out of scope: a transfer to a human is the right ending (imported tasks)

    @property
    def actions(self) -> list[Action]:
        """Every canonical write action of the task, in constraint order."""
        return [action for constraint in self.constraints for action in constraint.actions]

    def constraint_set_key(self) -> str:
        return canonical_json(sorted(c.key() for c in self.constraints) + [self.user_id])
