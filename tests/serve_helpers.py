"""Helpers for the `cove serve` tests: the service in this event loop on a real nats-server, and cove's scripted agent as the policy."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from cove.serve_main import SERVE_ACTORS, ServeOptions, Serving, serving
from cove.settings import RunSettings

BASE = dict(scale=0.2, db_seed=1, progress=False)


def serve_settings(out: Path, domain: str, nats_url: str | None, **overrides: Any) -> RunSettings:
    values = dict(domain=domain, out=out, nats_url=nats_url, actors=SERVE_ACTORS, concurrency=64, **BASE)
    return RunSettings(**(values | overrides))


@asynccontextmanager
async def served(out: Path, domain: str, nats_url: str | None, *, idle_timeout: float = 600.0, **overrides: Any) -> AsyncIterator[tuple[Serving, httpx.AsyncClient]]:
    """`cove serve` on a free port of this machine, and an HTTP client of it."""
    async with serving(serve_settings(out, domain, nats_url, **overrides), ServeOptions(port=0, idle_timeout=idle_timeout)) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=120) as client:
            yield server, client


class ScriptedPolicy:
    """cove's scripted agent, called in process exactly as `cove run` calls it (same client, messages, tools and seeds)."""

    def __init__(self, settings: RunSettings) -> None:
        from cove.actor_setup import build_models

        self.client = build_models(settings.model_copy(update={"actors": ("agent",)}))["agent"]

    async def __call__(self, system_prompt: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]], seed: int) -> dict[str, Any]:
        reply = await self.client.complete([{"role": "system", "content": system_prompt}, *messages], tools, seed=seed)
        return reply.message


async def play(client: httpx.AsyncClient, policy: ScriptedPolicy, observation: dict[str, Any], *, max_steps: int = 200) -> dict[str, Any]:
    """Run one episode to its end with `policy` (scripted acts asked for, as cove's scripted agent reads them); the last answer."""
    messages, answer = list(observation["messages"]), observation
    for _ in range(max_steps):
        if answer["done"]:
            return answer
        message = await policy(observation["system_prompt"], messages, observation["tools"], answer["policy_seed"])
        response = await client.post(f"/episodes/{observation['episode_id']}/step", params={"with_acts": True}, json={"message": message, "model": "cove/scripted-agent"})
        response.raise_for_status()
        answer = response.json()
        if answer.get("recorded") is not None:
            messages.append(answer["recorded"])
        messages += answer["messages"]
    raise AssertionError(f"episode {observation['episode_id']} did not end in {max_steps} steps")
