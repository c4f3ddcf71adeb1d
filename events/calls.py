"""Model calls: what was asked of which model, what it cost, what it answered, why it failed."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from events.envelope import Envelope, FrozenModel


class TokenUsage(FrozenModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


class ModelCall(FrozenModel):
    """One completed model request, recorded so replay never needs the model."""

    model: str
    parameters: dict[str, Any] = {}
    usage: TokenUsage = TokenUsage()
    cost_usd: float = 0.0
    latency_s: float = 0.0
    attempts: int = 1
    raw_response: dict[str, Any] | None = None


class ModelRole(StrEnum):
    USER = "user"
    AGENT = "agent"


class ModelCallFailed(Envelope):
    """A model request that failed after its retries; `retryable`: trying later may help."""

    type: Literal["model_call_failed"] = "model_call_failed"
    role: ModelRole
    model: str
    error_type: str
    message: str
    attempts: int
    retryable: bool
