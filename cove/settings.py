"""One settings object for a run, built at the edge (CLI or worker) and passed down.

Secrets are never part of it: a model's API key is read from the environment variable it names,
at the moment the model client is built.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from actors.natsauth import NatsAuth
from domains import DEFAULT_DOMAIN

SCRIPTED_AGENT = "cove/scripted-agent"
SCRIPTED_USER = "cove/scripted-user"


class RoleSettings(BaseModel):
    """How one role (agent or user simulator) reaches its model."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    model: str
    api_base: str | None = None
    api_key_env: str | None = None  # the NAME of the variable holding the key, never the key
    temperature: float = 0.0
    max_tokens: int | None = None
    timeout: float = 60.0
    max_attempts: int = 5
    backoff_base: float = 1.0  # seconds before the 2nd attempt, doubling (Retry-After wins when given)
    backoff_max: float = 30.0
    concurrency: int = 64


class UserSimulator(BaseModel):
    """One user simulator of a pool: its name (what dialogues record), its weight, how to reach its model."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str = Field(min_length=1)
    weight: float = Field(gt=0)
    role: RoleSettings


_CLIENT_LIMITS = {"concurrency", "timeout", "max_attempts", "backoff_base", "backoff_max"}  # how a client calls, not what it answers


class RunSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    domain: str = DEFAULT_DOMAIN
    db: Path | None = None  # a db.json; None: our generated sandbox (db_seed, scale)
    db_seed: int = 0
    scale: float = 1.0
    count: int | None = 20  # None: continuous
    seed: int = 0
    concurrency: int = 8
    processes: int = Field(1, ge=1)  # the controller plus processes-1 helpers serving the same actor types
    out: Path = Path("runs/latest")
    nats_url: str | None = None  # one server, or a cluster's servers separated by commas
    stream_replicas: int | None = Field(None, ge=1, le=5)  # the COVE stream's copies; None: an existing stream's, or 1
    nats_connect_timeout: float = 10.0  # seconds to reach NATS before giving up with a clear error
    nats_auth: NatsAuth = NatsAuth()  # credentials and TLS for an external NATS (secrets never printed)
    actors: tuple[str, ...] = ("sampler", "fuzzifier", "user", "agent", "executor", "verifier")
    agent: RoleSettings = RoleSettings(model=SCRIPTED_AGENT)
    user: RoleSettings = RoleSettings(model=SCRIPTED_USER)  # with a pool: its first simulator's
    user_pool: tuple[UserSimulator, ...] = ()  # two or more simulators, one drawn per dialogue (cove/user_pool.py); empty: `user` alone
    rewrite: RoleSettings | None = None  # an LLM that rewords scenarios (kept only if nothing is lost)
    scripted_error_rate: float = 0.1  # share of dialogues in which a scripted model makes one realistic mistake
    scripted_mistakes: str | None = None  # the classes drawn from, comma-separated in catalogue order; None: all
    constraints: str = "1-3"
    fuzz: str = "full"
    max_turns: int = 100
    max_tool_errors: int = 10
    target_passing: int | None = None
    budget_usd: float | None = None
    infra_failure_limit: int = Field(20, ge=0)  # stop once this many finished dialogues in a row failed on infrastructure (0: never)
    progress: bool = True
    resume: bool = False  # finish the interrupted run in `out` (see cove/run.py); never stored in run.json
    extra: dict[str, Any] = Field(default_factory=dict)

    @field_validator("user_pool")
    @classmethod
    def _pool_of_several(cls, pool: tuple[UserSimulator, ...]) -> tuple[UserSimulator, ...]:
        """A pool names each simulator once and holds two or more (one simulator is `user` alone)."""
        names = [simulator.name for simulator in pool]
        if len(pool) == 1:
            raise ValueError("a pool of one simulator is the `user` setting alone")
        if len(set(names)) != len(names):
            raise ValueError(f"user simulator names repeat: {', '.join(sorted({n for n in names if names.count(n) > 1}))}")
        return pool

    @model_validator(mode="before")
    @classmethod
    def _user_from_pool(cls, data: Any) -> Any:
        """With a pool and no `user`, `user` is the pool's first simulator (its settings stand for the role)."""
        if isinstance(data, dict) and data.get("user_pool") and "user" not in data:
            first = data["user_pool"][0]
            return {**data, "user": first.role if isinstance(first, UserSimulator) else first.get("role")}
        return data

    @model_validator(mode="after")
    def _user_is_pool_first(self) -> RunSettings:
        if self.user_pool and self.user != self.user_pool[0].role:
            raise ValueError("with a user_pool, `user` is its first simulator's settings")
        return self

    def user_simulators(self) -> tuple[UserSimulator, ...]:
        """The run's user simulators: its pool, or the one `user` model (named after it, weight 1)."""
        return self.user_pool or (UserSimulator(name=self.user.model, weight=1.0, role=self.user),)

    @field_validator("nats_url")
    @classmethod
    def _servers_listed(cls, value: str | None) -> str | None:
        """A server list is kept without spaces ("nats://a:4222,nats://b:4222"); an empty entry is an error."""
        from actors.bus import split_servers

        return None if value is None else ",".join(split_servers(value))

    @property
    def run_id(self) -> str:
        return f"{self.domain}-s{self.seed}"

    def dialogue_id(self, index: int) -> str:
        return f"{self.run_id}-{index:06d}"

    def result_config(self) -> dict[str, Any]:
        """The settings that decide a run's results (recorded with every dialogue; no secrets, no paths)."""
        return {
            "domain": self.domain,
            "db_seed": self.db_seed if self.db is None else None,
            "scale": self.scale if self.db is None else None,
            "seed": self.seed,
            "agent": self.agent.model_dump(exclude=_CLIENT_LIMITS),
            "user": self.user.model_dump(exclude=_CLIENT_LIMITS),
            **({"user_pool": [{"name": s.name, "weight": s.weight, **s.role.model_dump(exclude=_CLIENT_LIMITS)} for s in self.user_pool]} if self.user_pool else {}),
            "rewrite": self.rewrite.model_dump(exclude=_CLIENT_LIMITS) if self.rewrite else None,
            "scripted_error_rate": self.scripted_error_rate,
            **({"scripted_mistakes": self.scripted_mistakes} if self.scripted_mistakes else {}),
            "constraints": self.constraints,
            "fuzz": self.fuzz,
            "max_turns": self.max_turns,
            "max_tool_errors": self.max_tool_errors,
        }

    def config_hash(self) -> str:
        return hashlib.sha256(json.dumps(self.result_config(), sort_keys=True).encode()).hexdigest()
