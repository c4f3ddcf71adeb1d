"""Events of a dialogue's life: its task, its turns, how it ended and how it was scored."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import SerializerFunctionWrapHandler, model_serializer

from events.calls import ModelCall
from events.envelope import Envelope, FrozenModel


class DialogueRequested(Envelope):
    """A run asks for one more dialogue: task number `task_index` of the run seeded `seed`.
    `config` holds the run settings that matter for the result (domain, models, limits), never secrets.
    `user_simulator`: the simulator of the run's pool (`config.user_pool`) drawn for this dialogue; left out
    of the JSON when the run has one simulator, so such a run's events are what they were before pools.
    `user_seed`: the seed of the user simulator's calls when it is not the run's `seed` (the members of a
    `cove serve` group share a task and differ in it); left out of the JSON when None, like `user_simulator`."""

    type: Literal["dialogue_requested"] = "dialogue_requested"
    domain: str
    run_id: str
    seed: int
    task_index: int
    config: dict[str, Any] = {}
    user_simulator: str | None = None
    user_seed: int | None = None

    @model_serializer(mode="wrap")
    def _leave_out_no_simulator(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data = handler(self)
        for name in ("user_simulator", "user_seed"):
            if data.get(name) is None:
                data.pop(name, None)
        return data


class TaskSampled(Envelope):
    """A task drawn from a domain (`task`: task_id, user_id, constraints, descriptions, instruction,
    ...); `config` holds the run settings that matter for scoring, never secrets."""

    type: Literal["task_sampled"] = "task_sampled"
    domain: str
    task: dict[str, Any]
    seed: int
    base_db_hash: str
    config: dict[str, Any] = {}
    sampler_version: str | None = None  # domains.sampling.SAMPLER_VERSION of the sampler that drew it (None: before it was recorded)


class InstructionFuzzified(Envelope):
    """The user's instruction once exact values became fuzzy descriptions; `rewrite` is an optional
    LLM rewrite attempt: {"accepted": bool, "reason": str, "model": str, ...}."""

    type: Literal["instruction_fuzzified"] = "instruction_fuzzified"
    instruction: str
    descriptions: dict[str, Any]
    fuzz_level: str
    rewrite: dict[str, Any] | None = None


class UserSpoke(Envelope):
    type: Literal["user_spoke"] = "user_spoke"
    content: str
    call: ModelCall | None = None


class ToolCallRequest(FrozenModel):
    """A tool call as the model asked for it; `arguments` is the JSON string exactly as sent."""

    id: str
    name: str
    arguments: str


class AgentSpoke(Envelope):
    type: Literal["agent_spoke"] = "agent_spoke"
    content: str | None = None
    tool_calls: list[ToolCallRequest] = []
    call: ModelCall | None = None


class TerminationReason(StrEnum):
    USER_STOP = "user_stop"
    TRANSFER = "transfer"
    OUT_OF_SCOPE = "out_of_scope"
    MAX_TURNS = "max_turns"
    TOO_MANY_ERRORS = "too_many_errors"
    TIMEOUT = "timeout"
    INFRASTRUCTURE_FAILURE = "infrastructure_failure"
    AGENT_ERROR = "agent_error"
    USER_ERROR = "user_error"
    POLICY_TIMEOUT = "policy_timeout"  # `cove serve`: the trainer's policy left its turn idle past the timeout (unscored)
    ABANDONED = "abandoned"  # `cove serve`: the trainer abandoned the episode (unscored)


class DialogueEnded(Envelope):
    type: Literal["dialogue_ended"] = "dialogue_ended"
    reason: TerminationReason
    detail: str | None = None


class DialogueVerified(Envelope):
    """The verifier's verdict (score, scored, constraint vector, redundant writes, violations,
    attribution: its content is the verifier's to define)."""

    type: Literal["dialogue_verified"] = "dialogue_verified"
    verdict: dict[str, Any]
    verifier_version: str
