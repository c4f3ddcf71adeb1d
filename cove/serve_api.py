"""`cove serve`'s HTTP API (FastAPI): small resource routes, pydantic models in and out, the OpenAPI page at /docs.

    POST   /episodes                 create a group of n episodes of one task   -> [Observation]
    POST   /episodes/{id}/step       the policy's next assistant message       -> StepResult
    GET    /episodes/{id}            the transcript so far and, once done, the verdict
    DELETE /episodes/{id}            abandon (ended unscored)                   -> StepResult
    GET    /health, GET /metrics
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from cove.serve import EpisodeError, EpisodeService

WITH_ACTS = Query(False, description="Add the scripted user's dialogue acts to its messages (`scripted_acts`), as cove's scripted agent reads them; for tests and baselines, never for a trained policy.")


class CreateEpisodes(BaseModel):
    """Which task, and how many rollouts of it (a GRPO group: the same task, each with its own user-simulator seed)."""

    model_config = ConfigDict(extra="forbid")
    seed: int | None = Field(None, description="Task sequence seed; default: the server's --seed.")
    task_index: int | None = Field(None, ge=0, description="The task's place in the sequence; default: the next one this server has not handed out.")
    n: int = Field(1, ge=1, le=256, description="Episodes of this task (group size).")
    constraints: str | None = Field(None, description="Goals per task, e.g. 2 or 1-3; default: the server's --constraints.")
    fuzz: str | None = Field(None, description="exact, partial or full; default: the server's --fuzz.")


class PolicyStep(BaseModel):
    """The policy's next assistant message in OpenAI chat format (`content` or `tool_calls`), taken as it is:
    what is wrong in it is the episode's to judge, never a rejected request."""

    model_config = ConfigDict(extra="forbid")
    message: dict[str, Any] = Field(description='{"role": "assistant", "content": ..., "tool_calls": [{"id", "type": "function", "function": {"name", "arguments"}}]}')
    model: str | None = Field(None, description="The policy's model name, recorded on the agent's call.")
    usage: dict[str, int] | None = Field(None, description="prompt_tokens, completion_tokens, total_tokens, recorded on the agent's call.")


class Observation(BaseModel):
    """An episode at the policy's turn (or done): its prompt, tools and transcript."""

    episode_id: str
    status: str
    done: bool
    system_prompt: str
    tools: list[dict[str, Any]]
    messages: list[dict[str, Any]]
    task_index: int | None = None
    group_member: int | None = None
    reward: float | None = None
    verdict: dict[str, Any] | None = None
    policy_seed: int | None = None
    termination: dict[str, Any] | None = None
    events: int | None = None


class StepResult(BaseModel):
    """What followed the policy's message: the message as recorded, the new messages (tool results, then the
    customer's reply when the agent spoke), and at the end the verdict (its score is the reward)."""

    episode_id: str
    status: str
    done: bool
    recorded: dict[str, Any] | None = None
    messages: list[dict[str, Any]]
    reward: float | None = None
    verdict: dict[str, Any] | None = None
    policy_seed: int | None = None
    termination: dict[str, Any] | None = None


def build_app(service: EpisodeService) -> FastAPI:
    app = FastAPI(title="cove serve", version="1", description="cove as an RL environment: the trainer's policy plays the customer-service agent; "
                  "cove samples the task, plays the customer, runs the tools and verifies the episode. Every episode is in the event log.")  # fmt: skip

    @app.exception_handler(EpisodeError)
    async def episode_error(request: Request, exc: EpisodeError) -> JSONResponse:
        return JSONResponse({"detail": exc.message}, status_code=exc.status)

    @app.post("/episodes", response_model=list[Observation], tags=["episodes"])
    async def create_episodes(body: CreateEpisodes, with_acts: bool = WITH_ACTS) -> list[dict[str, Any]]:
        """Create `n` episodes of one task; each answer holds the system prompt, the tools and the messages so far."""
        return await service.create(seed=body.seed, task_index=body.task_index, n=body.n, constraints=body.constraints, fuzz=body.fuzz, with_acts=with_acts)

    @app.post("/episodes/{episode_id}/step", response_model=StepResult, tags=["episodes"])
    async def step_episode(episode_id: str, body: PolicyStep, with_acts: bool = WITH_ACTS) -> dict[str, Any]:
        """Play the policy's message; answer with what happens next, and the verdict when the episode is done."""
        return await service.step(episode_id, body.message, model=body.model, usage=body.usage, with_acts=with_acts)

    @app.get("/episodes/{episode_id}", response_model=Observation, tags=["episodes"])
    async def read_episode(episode_id: str, with_acts: bool = WITH_ACTS) -> dict[str, Any]:
        """The episode's transcript, status and (once done) verdict."""
        return await service.read(episode_id, with_acts=with_acts)

    @app.delete("/episodes/{episode_id}", response_model=StepResult, tags=["episodes"])
    async def abandon_episode(episode_id: str) -> dict[str, Any]:
        """End the episode unscored (termination `abandoned`); an episode already ended keeps its verdict."""
        return await service.abandon(episode_id)

    @app.get("/health", tags=["service"])
    async def health() -> dict[str, Any]:
        return service.health()

    @app.get("/metrics", tags=["service"], response_class=PlainTextResponse)
    async def metrics() -> str:
        """Episodes created, open, done, timed out and abandoned, steps, and step time, in Prometheus' text format."""
        return service.metrics_prometheus()

    @app.get("/metrics.json", tags=["service"])
    async def metrics_json() -> dict[str, Any]:
        """The same metrics as JSON (step time p50 and p99 in ms)."""
        return service.metrics_json()

    return app
