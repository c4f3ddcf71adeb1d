"""The actor types of one process: their shared context (base, models, limits) and their routers on a broker.

`cove run` (the controller and its helper processes) and `cove worker` build them the same way.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from actors.bus import ACK_WAIT, RetryPolicy
from actors.runtime import ActorContext, build_router
from actors.sampler import SamplingSettings
from actors.turns import DialogueLimits
from cove.settings import RoleSettings, RunSettings
from domains.state import Database

MODEL_ACTORS = {"agent": "agent", "user": "user"}
# "1": scripted models answer through litellm's custom provider, as before they were called in process
# (the same records; tests and `bench_pipeline l` compare the two paths)
SCRIPTED_VIA_LITELLM = "COVE_SCRIPTED_VIA_LITELLM"


def build_rewrite(settings: RunSettings):
    """The fuzzifier's rewrite model, if one is configured (its key read from the named variable)."""
    import os

    from actors.fuzzifier import RewriteSettings

    if settings.rewrite is None:
        return None
    if settings.rewrite.model.startswith("cove/"):
        from actors.llm import litellm_with_scripted_models
        from actors.scripted import register_scripted_models

        register_scripted_models()
        litellm_with_scripted_models()  # the rewrite calls litellm itself
    key = os.environ.get(settings.rewrite.api_key_env) if settings.rewrite.api_key_env else None
    return RewriteSettings(settings.rewrite.model, settings.rewrite.api_base, key, settings.rewrite.temperature)


def build_models(settings: RunSettings, base: Database | None = None) -> dict[str, Any]:
    """Model clients for the agent and the user simulator (scripted models registered first).

    Scripted models get the run's mistake settings; a scripted agent learns the base's customer ids
    (for its other-customer mistake).
    """
    from actors.scripted import register_scripted_models
    from actors.scripted.world import know_customers

    register_scripted_models()
    if base is not None:
        know_customers(base)
    return {role: _model_client(settings, role, role_settings) for role, role_settings in (("agent", settings.agent), ("user", settings.user))}


def build_user_pool(settings: RunSettings) -> dict[str, Any]:
    """A client per simulator of the run's user pool, by name (empty for a run with one simulator)."""
    from actors.scripted import register_scripted_models

    register_scripted_models()
    return {simulator.name: _model_client(settings, "user", simulator.role) for simulator in settings.user_pool}


def _model_client(settings: RunSettings, role: str, role_settings: RoleSettings):
    """The client of one model for `role`, its key read from the variable it names."""
    import os

    from actors.llm import ModelClient, ModelSettings

    mistakes = {"mistakes": settings.scripted_mistakes} if settings.scripted_mistakes else {}
    extra = {"error_rate": settings.scripted_error_rate, **mistakes} if role_settings.model.startswith("cove/") else {}
    model_settings = ModelSettings(
        model=role_settings.model,
        api_base=role_settings.api_base,
        api_key_env=role_settings.api_key_env,
        temperature=role_settings.temperature,
        max_tokens=role_settings.max_tokens,
        timeout=role_settings.timeout,
        max_attempts=role_settings.max_attempts,
        backoff_base=role_settings.backoff_base,
        backoff_max=role_settings.backoff_max,
        concurrency=role_settings.concurrency,
        extra=extra,
        scripted_via_litellm=os.environ.get(SCRIPTED_VIA_LITELLM) == "1",
    )
    api_key = os.environ.get(role_settings.api_key_env) if role_settings.api_key_env else None
    return ModelClient(role, model_settings, api_key=api_key)


def include_actor_types(settings: RunSettings, broker, base: Database, *, slots: int | None = None) -> ActorContext:
    """The context of `settings.actors` in this process, their routers included in `broker`.

    `slots`: triggers each actor type handles at once here; default: `handler_slots`.
    """
    ctx = ActorContext(
        broker=broker,
        bases={settings.domain: base},
        limits=DialogueLimits(max_turns=settings.max_turns, max_tool_errors=settings.max_tool_errors),
        sampling=SamplingSettings(constraints=settings.constraints, fuzz=settings.fuzz),
        models=build_models(settings, base) if set(settings.actors) & set(MODEL_ACTORS) else {},
        user_pool=build_user_pool(settings) if "user" in settings.actors else {},
        rewrite=build_rewrite(settings) if "fuzzifier" in settings.actors else None,
        retry=RetryPolicy(),
    )
    for actor in settings.actors:
        workers = slots or handler_slots(settings, actor)
        broker.include_router(build_router(actor, ctx, max_workers=workers, ack_wait=_ack_wait(settings, actor)))
    return ctx


def handler_slots(settings: RunSettings, actor: str) -> int:
    """Triggers one replica of `actor` handles at once: model actors wait on models, the rest mostly on the CPU,
    yet each also waits for its PubAcks, so 4 slots made the executor a queue when the event loop was busy
    (a model-bound run of 64 dialogues: triggers waited ~0.5 s for a slot)."""
    return settings.concurrency if actor in MODEL_ACTORS else max(4, settings.concurrency // 2)


def _ack_wait(settings: RunSettings, actor: str) -> float:
    """How long a trigger may stay unacked with no heartbeat (running handlers send one, see actors/bus.py).

    A model actor's triggers may wait in the local queue for a worker as long as one model call,
    so its ack_wait is at least the call timeout (a shorter one would only cause harmless duplicates).
    """
    if actor in MODEL_ACTORS:
        roles = [settings.agent] if actor == "agent" else [simulator.role for simulator in settings.user_simulators()]
        return max(ACK_WAIT, *(role.timeout for role in roles))
    return ACK_WAIT


# The collector's generation thresholds while actors run. Python's (700, 10, 10) collected the young
# generation ~2 times per dialogue and cost ~1.2 ms of its CPU (measured with gc.callbacks, 200 retail
# dialogues); these collect ~14 times less often for ~0.3 ms. Cycles still go: 10,000 net allocations
# bound what waits.
RUNNING_GC_THRESHOLDS = (10_000, 10, 10)


@contextmanager
def start_up_frozen() -> Iterator[None]:
    """Keep what start-up made (the base database, modules, schemas) out of the garbage collector's scans,
    and collect less often while the actors run.

    It lives as long as the actors do, yet every full collection walked all of it again. Garbage is
    collected first, so none is frozen; leaving gives the objects back to the collector and its thresholds.
    """
    gc.collect()
    gc.freeze()
    thresholds = gc.get_threshold()
    gc.set_threshold(*RUNNING_GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
