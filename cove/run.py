"""`cove run`: keep C dialogues in flight over NATS until done, then export the training files.

The controller starts (or joins) a NATS server, runs the recorder and the chosen actor types in this
process, asks for dialogues by publishing `DialogueRequested` events, and counts a dialogue done when
the recorder has stored its verdict (the last event of a dialogue, so everything before it is stored).

`run.json` in the output folder keeps the settings (no secrets) and their config hash, so
`cove run --resume DIR` can finish an interrupted run: the stream and its durable consumers still
hold every dialogue's trigger, so a resumed controller only re-attaches to the dialogues already
requested (a trigger held by the dead process is redelivered within one ack_wait) and requests
the rest.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import structlog

from actors.bus import ACK_WAIT, STREAM_NAME, RetryPolicy, make_broker, start_bus, stop_bus
from actors.drafts import draft, stamp
from actors.outages import until_answered
from actors.recorder import Recorder, build_recorder_router
from actors.runtime import ActorContext, build_router
from actors.sampler import SamplingSettings
from actors.stream import StreamReplicasError
from actors.turns import DialogueLimits
from cove.export import export_run
from cove.files import atomic_write_text
from cove.settings import RunSettings
from domains.state import Database
from events import AgentSpoke, DialogueRequested, DialogueVerified, Event, UserSpoke, parse_event, subject_pattern
from store.eventlog import EventStore

log = structlog.get_logger(__name__)

MODEL_ACTORS = {"agent": "agent", "user": "user"}
RUN_FILE = "run.json"


class RunError(RuntimeError):
    """A run that cannot start or go on: a clear message for the user."""


@dataclass
class Progress:
    """Live counts of a run, fed by the recorder as events are stored."""

    started: float = field(default_factory=time.monotonic)
    requested: int = 0
    done: int = 0
    scored: int = 0
    passing: int = 0
    rejected: int = 0
    tokens: int = 0
    cost_usd: float = 0.0

    @property
    def rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.done / elapsed if elapsed > 0 else 0.0

    @property
    def yield_(self) -> float:
        return self.passing / self.scored if self.scored else 0.0

    def to_json(self) -> dict[str, Any]:
        return {"done": self.done, "scored": self.scored, "passing": self.passing, "rejected": self.rejected, "tokens": self.tokens, "cost_usd": round(self.cost_usd, 6)}


def load_base(settings: RunSettings) -> Database:
    """The run's base database: the given file, or our generated sandbox for (db_seed, scale)."""
    from domains.registry import get_domain

    if settings.db is not None:
        return get_domain(settings.domain).load(settings.db)
    from domains.generators import generate_database

    data = generate_database(settings.domain, seed=settings.db_seed, scale=settings.scale)
    return get_domain(settings.domain).from_json(data, source=f"<generated {settings.domain} seed {settings.db_seed} scale {settings.scale}>")


def build_rewrite(settings: RunSettings):
    """The fuzzifier's rewrite model, if one is configured (its key read from the named variable)."""
    import os

    from actors.fuzzifier import RewriteSettings

    if settings.rewrite is None:
        return None
    if settings.rewrite.model.startswith("cove/"):
        from actors.scripted import register_scripted_models

        register_scripted_models()
    key = os.environ.get(settings.rewrite.api_key_env) if settings.rewrite.api_key_env else None
    return RewriteSettings(settings.rewrite.model, settings.rewrite.api_base, key, settings.rewrite.temperature)


def build_models(settings: RunSettings, base: Database | None = None) -> dict[str, Any]:
    """Model clients for the agent and the user simulator (scripted models registered first).

    Scripted models get the run's mistake settings; a scripted agent learns the base's customer ids
    (for its other-customer mistake).
    """
    import os

    from actors.llm import ModelClient, ModelSettings
    from actors.scripted import register_scripted_models
    from actors.scripted.world import know_customers

    register_scripted_models()
    if base is not None:
        know_customers(base)
    clients = {}
    for role, role_settings in (("agent", settings.agent), ("user", settings.user)):
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
        )
        api_key = os.environ.get(role_settings.api_key_env) if role_settings.api_key_env else None
        clients[role] = ModelClient(role, model_settings, api_key=api_key)
    return clients


def write_run_file(settings: RunSettings) -> None:
    """Keep the run's settings (never its NATS credentials) and config hash beside its results."""
    record = {"config_hash": settings.config_hash(), "settings": settings.model_dump(mode="json", exclude={"nats_auth", "resume"})}
    atomic_write_text(settings.out / RUN_FILE, json.dumps(record, indent=2) + "\n")


def load_run_file(out: Path) -> RunSettings:
    """The settings a run in `out` was started with, or a clear RunError."""
    path = out / RUN_FILE
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        settings = RunSettings.model_validate(record["settings"])
    except FileNotFoundError:
        raise RunError(f"{out} holds no run to resume (no {RUN_FILE})") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RunError(f"{path}: cannot read the run's settings: {exc}") from exc
    if settings.config_hash() != record.get("config_hash"):
        raise RunError(f"{path}: its config_hash does not match its settings (edited by hand?)")
    return settings.model_copy(update={"out": out})


def config_differences(stored: RunSettings, given: RunSettings, keys: set[str]) -> dict[str, tuple[Any, Any]]:
    """The result-relevant settings among `keys` whose given value differs from the stored run's."""
    before, after = stored.result_config(), given.result_config()
    return {key: (before.get(key), after.get(key)) for key in sorted(keys) if before.get(key) != after.get(key)}


async def run_dialogues(settings: RunSettings, on_progress: Callable[[Progress], None] | None = None, stop: asyncio.Event | None = None, *, resume: bool = False) -> dict[str, Any]:
    """Run the dialogues (or finish an interrupted run), export the files into `settings.out`, return the summary."""
    from actors.natsauth import NatsAuthError
    from actors.natsserver import EmbeddedNats

    try:
        auth = settings.nats_auth.connect_kwargs()
    except NatsAuthError as exc:
        raise RunError(str(exc)) from exc
    if settings.nats_url is None and (settings.stream_replicas or 1) > 1:
        raise RunError(f"--stream-replicas {settings.stream_replicas} needs a NATS cluster: the embedded nats-server is a single server (give the cluster's servers to --nats-url)")
    out = settings.out
    resume = resume or settings.resume
    if resume and not (out / RUN_FILE).exists():
        raise RunError(f"{out} holds no run to resume (no {RUN_FILE})")
    if not resume and (out / "events.db").exists():
        raise RunError(f"{out} already holds a run (events.db): choose a new --out")
    out.mkdir(parents=True, exist_ok=True)
    base = load_base(settings)
    if not resume:
        write_run_file(settings)
    store = EventStore(out / "events.db")
    store.put_base(base)
    progress = Progress()
    done_queue: asyncio.Queue[str] = asyncio.Queue()
    mine: set[str] = set()
    verified: set[str] = set(_verified_in_store(store, settings)) if resume else set()

    def count_verdict(verdict: dict[str, Any]) -> None:
        progress.done += 1
        progress.scored += bool(verdict.get("scored"))
        progress.passing += verdict.get("score") == 1.0
        progress.rejected += bool(verdict.get("scored")) and verdict.get("score") != 1.0

    for dialogue_id in sorted(verified):
        count_verdict(store.events(dialogue_id)[-1].verdict)

    def on_stored(events: list[Event]) -> None:
        for event in events:
            if isinstance(event, (AgentSpoke, UserSpoke)) and event.call is not None:
                progress.tokens += event.call.usage.total_tokens
                progress.cost_usd += event.call.cost_usd
            elif isinstance(event, DialogueVerified) and event.dialogue_id not in verified and event.dialogue_id.startswith(f"{settings.run_id}-"):
                verified.add(event.dialogue_id)  # once, though a redelivered verdict is "stored" again
                count_verdict(event.verdict)
                done_queue.put_nowait(event.dialogue_id)

    server = None
    url = settings.nats_url
    if url is None:
        server = EmbeddedNats(store_dir=out / "nats")
        server.start()
        url = server.url
    broker = make_broker(url, name="cove-run", **auth)
    ctx = include_actor_types(settings, broker, base)
    recorder = Recorder(store, on_stored=on_stored)
    broker.include_router(build_recorder_router(recorder, broker, ctx.retry))
    started = time.monotonic()
    helpers = None
    try:
        try:
            await asyncio.wait_for(start_bus(broker, stream_replicas=settings.stream_replicas), settings.nats_connect_timeout)
        except StreamReplicasError as exc:
            raise RunError(str(exc)) from exc
        except (Exception, TimeoutError) as exc:
            raise RunError(f"cannot use NATS at {url}: {exc or 'no answer in %.0f s' % settings.nats_connect_timeout}") from exc
        recorder.start()
        if settings.actors and (settings.processes > 1 or settings.nats_url is not None):
            # other processes publish too: learn their events as they go by instead of reading them back
            from actors.cache import feed_from_stream

            await feed_from_stream(broker.config.connection_state.connection, ctx.cache)
        if settings.processes > 1 and settings.actors:
            from cove.replicas import HelperProcesses

            helpers = HelperProcesses(settings.model_copy(update={"nats_url": url}), settings.processes - 1)
            helpers.start()
            try:
                await asyncio.to_thread(helpers.wait_ready)
            except RuntimeError as exc:
                raise RunError(str(exc)) from exc
        requested = await _requested_indices(broker, settings) if resume else set()
        mine.update(settings.dialogue_id(index) for index in requested)
        progress.requested = len(requested)
        in_flight = {settings.dialogue_id(index) for index in requested} - verified
        if resume:
            log.info("run_resumed", requested=len(requested), verified=len(requested) - len(in_flight), in_flight=len(in_flight))
        await _dispatch(settings, ctx, progress, done_queue, mine, on_progress, stop, requested=requested, in_flight=in_flight)
        await _recorder_caught_up(broker)
    finally:
        log.info("controller_stopped", cache_hits=ctx.cache.hits, cache_misses=ctx.cache.misses)
        if helpers is not None:
            await asyncio.to_thread(helpers.stop)
        await stop_bus(broker)
        await recorder.stop()
        if server is not None:
            server.stop()
    elapsed = time.monotonic() - started
    totals = export_run(store, out, sorted(mine))
    summary = {
        "run_id": settings.run_id,
        "domain": settings.domain,
        "seed": settings.seed,
        "base_db_hash": base.content_hash,
        "config_hash": settings.config_hash(),
        "config": settings.result_config(),
        **totals.to_json(),
        "timings": {"seconds": round(elapsed, 3), "dialogues_per_second": round(totals.dialogues / elapsed, 3) if elapsed else None},
        "dead_letters": len(store.dead_letters()),
    }
    atomic_write_text(out / "summary.json", json.dumps(summary, indent=2) + "\n")
    store.close()
    return summary


async def _recorder_caught_up(broker, timeout: float = 30.0) -> None:
    """Wait until the recorder has stored everything the stream holds for it (dead letters included)."""
    state = broker.config.connection_state
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        infos = [
            await until_answered(partial(state.stream.consumer_info, STREAM_NAME, name), state.connection, "consumer_info")
            for name in ("recorder-events", "recorder-deadletters")
        ]
        if all(info.num_pending == 0 and info.num_ack_pending == 0 for info in infos):
            return
        await asyncio.sleep(0.05)
    log.warning("recorder_not_caught_up", timeout=timeout)


def _verified_in_store(store: EventStore, settings: RunSettings) -> list[str]:
    """This run's dialogues whose verdict the store already holds."""
    prefix = f"{settings.run_id}-"
    return [d for d in store.dialogue_ids() if d.startswith(prefix) and (summary := store.dialogue_summary(d)) is not None and summary.scored is not None]


async def _requested_indices(broker, settings: RunSettings) -> set[int]:
    """Task indices of this run's `DialogueRequested` events in the stream (the log of record)."""
    from nats.js.errors import NotFoundError

    state = broker.config.connection_state
    subject, indices, next_seq = subject_pattern(DialogueRequested), set(), 1
    while True:
        try:
            raw = await until_answered(partial(state.stream.get_msg, STREAM_NAME, seq=next_seq, subject=subject, next=True), state.connection, "read_back")
        except NotFoundError:
            return indices
        event = parse_event(raw.data)
        if isinstance(event, DialogueRequested) and event.run_id == settings.run_id and event.dialogue_id == settings.dialogue_id(event.task_index):
            indices.add(event.task_index)
        next_seq = raw.seq + 1


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
        rewrite=build_rewrite(settings) if "fuzzifier" in settings.actors else None,
        retry=RetryPolicy(),
    )
    for actor in settings.actors:
        workers = slots or handler_slots(settings, actor)
        broker.include_router(build_router(actor, ctx, max_workers=workers, ack_wait=_ack_wait(settings, actor)))
    return ctx


def handler_slots(settings: RunSettings, actor: str) -> int:
    """Triggers one replica of `actor` handles at once: model actors wait on models, the rest on the CPU."""
    return settings.concurrency if actor in MODEL_ACTORS else 4


def _ack_wait(settings: RunSettings, actor: str) -> float:
    """How long a trigger may stay unacked with no heartbeat (running handlers send one, see actors/bus.py).

    A model actor's triggers may wait in the local queue for a worker as long as one model call,
    so its ack_wait is at least the call timeout (a shorter one would only cause harmless duplicates).
    """
    if actor in MODEL_ACTORS:
        role = settings.agent if actor == "agent" else settings.user
        return max(ACK_WAIT, role.timeout)
    return ACK_WAIT


async def _dispatch(settings: RunSettings, ctx: ActorContext, progress: Progress, done_queue: asyncio.Queue[str], mine: set[str], on_progress: Callable[[Progress], None] | None, stop: asyncio.Event | None, *, requested: set[int] = frozenset(), in_flight: set[str] | None = None) -> None:
    """Keep `concurrency` dialogues in flight until the count, target or budget is reached, or `stop`.

    On a resume, `requested` task indices are not asked for again and `in_flight` holds those not yet verified.
    """
    in_flight = set() if in_flight is None else in_flight
    index = 0

    def may_start() -> bool:
        if stop is not None and stop.is_set():
            return False
        if settings.count is not None and index >= settings.count:
            return False
        if settings.target_passing is not None and progress.passing >= settings.target_passing:
            return False
        if settings.budget_usd is not None and progress.cost_usd >= settings.budget_usd:
            return False
        return True

    while True:
        while len(in_flight) < settings.concurrency and may_start():
            if index in requested:
                index += 1
                continue
            dialogue_id = settings.dialogue_id(index)
            request = draft(DialogueRequested, domain=settings.domain, run_id=settings.run_id, seed=settings.seed, task_index=index, config=settings.result_config())
            mine.add(dialogue_id)
            in_flight.add(dialogue_id)
            await ctx.publish(stamp([request], dialogue_id, 0, "run", None, ctx.clock))
            progress.requested += 1
            index += 1
        if not in_flight:
            return
        waiter = asyncio.ensure_future(done_queue.get())
        stopper = asyncio.ensure_future(stop.wait()) if stop is not None and not stop.is_set() else None
        finished, _ = await asyncio.wait([w for w in (waiter, stopper) if w is not None], return_when=asyncio.FIRST_COMPLETED)
        if stopper is not None and not stopper.done():
            stopper.cancel()
        if waiter in finished:
            in_flight.discard(waiter.result())
            if on_progress is not None:
                on_progress(progress)
        else:
            waiter.cancel()
            log.info("run_draining", in_flight=len(in_flight))
