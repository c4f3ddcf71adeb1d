"""Policy rules that the tools themselves do not enforce, as checkable predicates.

A write that a tool accepts can still break the domain's policy (cancelling a basic-economy trip
that is not eligible, charging for bags that are free, acting for another customer...). Each domain's
`policy.violations(before, name, arguments, context)` lists the rules a call breaks, judged on the
world as it was just before the call. The sampler never samples a goal whose canonical actions
break a rule; the verifier reports every violating write in a dialogue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Violation:
    """A broken policy rule: a stable rule name and a sentence saying what was wrong."""

    rule: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"rule": self.rule, "message": self.message}


@dataclass(frozen=True)
class PolicyContext:
    """What the policy needs to know besides the world: who the agent serves, and what happened.

    `user_id` is the customer the dialogue is about (None when not known); `reason` is the reason
    the customer gave for a cancellation (None when not known: rules that need it are not judged);
    `prior_writes` are the successful writes earlier in the dialogue, as (name, arguments) pairs.
    """

    user_id: str | None = None
    reason: str | None = None
    prior_writes: tuple[tuple[str, dict[str, Any]], ...] = field(default_factory=tuple)
