"""`cove run`: keep C dialogues in flight over NATS until done, then export the training files.

The controller checks its input (cove/preflight.py), starts (or joins) a NATS server, runs the
recorder and the chosen actor types in this process, asks for dialogues by publishing
`DialogueRequested` events, and counts a dialogue done when the recorder has stored its verdict (the
last event of a dialogue, so everything before it is stored). Nothing is written into the output
folder before NATS answers, so a run that never started leaves it reusable.

It stops asking for dialogues at its count, target or budget, on Ctrl-C, at the first model call
that no retry gets past (a refused key, an unknown model), or when the last `infra_failure_limit`
finished dialogues all failed on infrastructure; then it drains what is in flight (after a failure,
for at most FAILURE_DRAIN_SECONDS), exports, and says in summary.json why it stopped and whether it
is complete. A dialogue whose trigger an actor gave up on (a dead letter) is ended as failed
(actors/dead_ends.py), so no run waits for it.

`run.json` in the output folder keeps the settings (no secrets), their config hash and the time
spent so far (cove/runfile.py), so `cove run --resume DIR` can finish an interrupted run: the stream
and its durable consumers still hold every dialogue's trigger, so a resumed controller only
re-attaches to the dialogues already requested (a trigger held by the dead process is redelivered
within one ack_wait) and requests the rest.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from functools import partial
from typing import Any

import structlog

from actors.bus import STREAM_NAME, make_broker, start_bus, stop_bus
from actors.dead_ends import end_dead_lettered_dialogue
from actors.drafts import draft, stamp
from actors.llm import stops_the_run
from actors.outages import until_answered
from actors.recorder import Recorder, build_recorder_router
from actors.runtime import ActorContext
from actors.stream import StreamReplicasError, read_subject
from cove.actor_setup import include_actor_types, start_up_frozen
from cove.export import export_run
from cove.files import OutputPathError, atomic_write_text, check_output_folder
from cove.preflight import RunError, check_inputs, describe_error, load_base, probe_nats
from cove.runfile import RUN_FILE, RunRecord, config_differences, load_run_file, load_run_record, write_run_file
from cove.settings import RunSettings
from cove.user_pool import request_simulator
from domains.state import Database
from events import AgentSpoke, DialogueEnded, DialogueRequested, DialogueVerified, Event, ModelCallFailed, UserSpoke, subject_pattern
from store.eventlog import EventStore

log = structlog.get_logger(__name__)

__all__ = ["RUN_FILE", "Progress", "RunError", "StopReason", "config_differences", "include_actor_types", "load_base", "load_run_file", "run_dialogues"]

FAILURE_DRAIN_SECONDS = 15.0  # after a failure stop, how long the dialogues in flight may take to finish
CLOCK_INTERVAL = 10.0  # seconds between updates of run.json's elapsed time while a part runs


class StopReason(StrEnum):
    """Why a run stopped asking for dialogues (summary.json's `stopped_by`)."""

    COUNT = "count"  # every one of --count dialogues was asked for
    TARGET_PASSING = "target_passing"
    BUDGET = "budget"
    INTERRUPTED = "interrupted"  # Ctrl-C or SIGTERM: the dialogues in flight were drained
    MODEL_REFUSED = "model_refused"  # a model call failed in a way no retry gets past
    INFRASTRUCTURE_FAILURES = "infrastructure_failures"  # the last infra_failure_limit dialogues all failed on infrastructure


FAILURES = frozenset({StopReason.MODEL_REFUSED, StopReason.INFRASTRUCTURE_FAILURES})


@dataclass
class Halt:
    """A stop before the run's own end: the first reason given wins."""

    event: asyncio.Event = field(default_factory=asyncio.Event)
    reason: StopReason | None = None
    detail: str | None = None
    since: float = 0.0

    def __call__(self, reason: StopReason, detail: str | None = None) -> None:
        if self.reason is None:
            self.reason, self.detail, self.since = reason, detail, time.monotonic()
            (log.info if reason is StopReason.INTERRUPTED else log.warning)("run_stopping", reason=str(reason), detail=detail)
        self.event.set()

    def is_set(self) -> bool:
        return self.event.is_set()


@dataclass
class Progress:
    """Live counts of a run, fed by the recorder as events are stored."""

    started: float = field(default_factory=time.monotonic)  # moved back by the seconds of earlier parts
    requested: int = 0
    done: int = 0
    scored: int = 0
    passing: int = 0
    rejected: int = 0
    tokens: int = 0
    cost_usd: float = 0.0
    infra_streak: int = 0  # finished dialogues in a row (latest last) that failed on infrastructure

    @property
    def rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.done / elapsed if elapsed > 0 else 0.0

    @property
    def yield_(self) -> float:
        return self.passing / self.scored if self.scored else 0.0

    def to_json(self) -> dict[str, Any]:
        return {"done": self.done, "scored": self.scored, "passing": self.passing, "rejected": self.rejected, "tokens": self.tokens, "cost_usd": round(self.cost_usd, 6)}


@asynccontextmanager
async def _nats_for(settings: RunSettings) -> AsyncIterator[str]:
    """The URL of the run's NATS: the given one, or an embedded nats-server's (stopped on the way out, whatever happens)."""
    from actors.natsserver import EmbeddedNats, NatsServerStartError

    if settings.nats_url is not None:
        yield settings.nats_url
        return
    server = EmbeddedNats(store_dir=settings.out / "nats", die_with_parent=True)
    try:
        server.start()
    except NatsServerStartError as exc:
        raise RunError(str(exc).splitlines()[0]) from None
    try:
        yield server.url
    finally:
        server.stop()


async def run_dialogues(settings: RunSettings, on_progress: Callable[[Progress], None] | None = None, stop: asyncio.Event | None = None, *, resume: bool = False) -> dict[str, Any]:
    """Run the dialogues (or finish an interrupted run), export the files into `settings.out`, return the summary.

    RunError, before anything is started or written, for input the run cannot use.
    """
    from actors.natsauth import NatsAuthError

    try:
        auth = settings.nats_auth.connect_kwargs()
    except NatsAuthError as exc:
        raise RunError(str(exc)) from exc
    out = settings.out
    resume = resume or settings.resume
    try:
        check_output_folder(out)
    except OutputPathError as exc:
        raise RunError(f"{'--resume' if resume else '--out'} {exc}") from None
    record = load_run_record(out) if resume else None
    if not resume and (out / "events.db").exists():
        raise RunError(f"{out} already holds a run (events.db): choose a new --out")
    if settings.nats_url is None and (settings.stream_replicas or 1) > 1:
        raise RunError(f"--stream-replicas {settings.stream_replicas} needs a NATS cluster: the embedded nats-server is a single server (give the cluster's servers to --nats-url)")
    base = check_inputs(settings)
    async with _nats_for(settings) as url:
        await probe_nats(url, auth, settings.nats_connect_timeout)
        return await _run(settings, base, url, auth, record, on_progress, stop)


async def _run(settings: RunSettings, base: Database, url: str, auth: dict[str, Any], record: RunRecord | None, on_progress: Callable[[Progress], None] | None, stop: asyncio.Event | None) -> dict[str, Any]:
    """The run proper, once its input is checked and NATS answers; a run that asked for nothing leaves no files."""
    out = settings.out
    out.mkdir(parents=True, exist_ok=True)
    store = EventStore(out / "events.db")
    progress = Progress(started=time.monotonic() - (record.elapsed_seconds if record else 0.0))
    try:
        store.put_base(base)
        summary = await _run_part(settings, base, url, auth, store, progress, record, on_progress, stop)
    except BaseException:
        if record is None and progress.requested == 0:  # nothing started: leave --out as it was
            store.close()
            for name in ("events.db", "events.db-wal", "events.db-shm", RUN_FILE):
                (out / name).unlink(missing_ok=True)
        raise
    finally:
        store.close()
    return summary


async def _run_part(settings: RunSettings, base: Database, url: str, auth: dict[str, Any], store: EventStore, progress: Progress, record: RunRecord | None, on_progress: Callable[[Progress], None] | None, stop: asyncio.Event | None) -> dict[str, Any]:
    """One part of a run (the first, or a resume): dispatch, drain, export, summarise."""
    out, resume = settings.out, record is not None
    before = record.elapsed_seconds if record else 0.0
    parts = (record.parts if record else 0) + 1
    write_run_file(settings, before, parts)
    prefix = f"{settings.run_id}-"
    halt = Halt()
    done_queue: asyncio.Queue[str] = asyncio.Queue()
    mine: set[str] = set()
    verified: set[str] = set(_verified_in_store(store, settings)) if resume else set()
    endings: dict[str, str] = {}  # how each of our dialogues ended, until its verdict

    def count_verdict(verdict: dict[str, Any]) -> None:
        progress.done += 1
        progress.scored += bool(verdict.get("scored"))
        progress.passing += verdict.get("score") == 1.0
        progress.rejected += bool(verdict.get("scored")) and verdict.get("score") != 1.0

    for dialogue_id in sorted(verified):
        count_verdict(store.events(dialogue_id)[-1].verdict)

    def watch_failures(dialogue_id: str, verdict: dict[str, Any]) -> None:
        """Stop the run once the last `infra_failure_limit` finished dialogues all failed on infrastructure."""
        ending = endings.pop(dialogue_id, None)
        infrastructure = not verdict.get("scored") and verdict.get("attribution") == "infrastructure"
        progress.infra_streak = progress.infra_streak + 1 if infrastructure else 0
        limit = settings.infra_failure_limit
        if limit and progress.infra_streak >= limit:
            halt(StopReason.INFRASTRUCTURE_FAILURES, f"the last {limit} finished dialogues all failed on infrastructure (the last one: {ending or 'no detail'})")

    def on_stored(events: list[Event]) -> None:
        for event in events:
            if not event.dialogue_id.startswith(prefix):
                continue
            if isinstance(event, (AgentSpoke, UserSpoke)) and event.call is not None:
                progress.tokens += event.call.usage.total_tokens
                progress.cost_usd += event.call.cost_usd
            elif isinstance(event, ModelCallFailed) and stops_the_run(event.error_type, event.retryable):
                halt(StopReason.MODEL_REFUSED, f"the {event.role} model {event.model} cannot be used: {event.error_type}: {_one_line(event.message)}")
            elif isinstance(event, DialogueEnded):
                endings[event.dialogue_id] = _one_line(f"{event.reason}: {event.detail}" if event.detail else str(event.reason))
            elif isinstance(event, DialogueVerified) and event.dialogue_id not in verified:
                verified.add(event.dialogue_id)  # once, though a redelivered verdict is "stored" again
                count_verdict(event.verdict)
                watch_failures(event.dialogue_id, event.verdict)
                done_queue.put_nowait(event.dialogue_id)

    broker = make_broker(url, name="cove-run", **auth)
    ctx = include_actor_types(settings, broker, base)
    recorder = Recorder(store, on_stored=on_stored)

    async def on_dead_letter(dead) -> None:
        await end_dead_lettered_dialogue(ctx, dead, lambda dialogue_id: dialogue_id.startswith(prefix))

    broker.include_router(build_recorder_router(recorder, broker, ctx.retry, on_dead_letter=on_dead_letter, cache=ctx.cache))
    started = time.monotonic()
    helpers = None
    background: list[asyncio.Task] = []
    try:
        try:
            await asyncio.wait_for(start_bus(broker, stream_replicas=settings.stream_replicas), settings.nats_connect_timeout)
        except StreamReplicasError as exc:
            raise RunError(str(exc)) from exc
        except (Exception, TimeoutError) as exc:
            reason = f"no answer in {settings.nats_connect_timeout:g} s" if isinstance(exc, TimeoutError) else describe_error(exc)
            raise RunError(f"cannot use NATS at {url}: {reason}") from exc
        recorder.start()
        background.append(asyncio.create_task(_keep_time(settings, before, started, parts)))
        if stop is not None:
            background.append(asyncio.create_task(_interrupt_on(stop, halt)))
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
        with start_up_frozen():
            await _dispatch(settings, ctx, progress, done_queue, mine, on_progress, halt, stop, requested=requested, in_flight=in_flight)
            await _recorder_caught_up(broker)
    finally:
        log.info("controller_stopped", cache_hits=ctx.cache.hits, cache_misses=ctx.cache.misses)
        for task in background:
            task.cancel()
        if helpers is not None:
            await asyncio.to_thread(helpers.stop)
        await stop_bus(broker)
        await recorder.stop()
        part_seconds = time.monotonic() - started
        write_run_file(settings, before + part_seconds, parts)
    elapsed = before + part_seconds
    totals = export_run(store, out, sorted(mine), max_sft_rows=settings.target_passing)
    for simulator in settings.user_simulators():
        totals.simulator(simulator.name)  # a simulator no dialogue drew is listed too, with zeros
    reason = halt.reason or _natural_end(settings, progress)
    summary = {
        "run_id": settings.run_id,
        "domain": settings.domain,
        "seed": settings.seed,
        "base_db_hash": base.content_hash,
        "config_hash": settings.config_hash(),
        "config": settings.result_config(),
        "requested": settings.count if settings.count is not None else progress.requested,
        "finished": totals.verified,
        "complete": _complete(settings, reason, totals.verified, totals.unfinished),
        "stopped_by": str(reason),
        **({"stop_detail": halt.detail} if halt.detail else {}),
        **totals.to_json(),
        "timings": {"seconds": round(elapsed, 3), "dialogues_per_second": round(totals.verified / elapsed, 3) if elapsed else None, "parts": parts, "last_part_seconds": round(part_seconds, 3)},
        "dead_letters": len(store.dead_letters()),
    }
    atomic_write_text(out / "summary.json", json.dumps(summary, indent=2) + "\n")
    return summary


def _one_line(text: str, limit: int = 300) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _natural_end(settings: RunSettings, progress: Progress) -> StopReason:
    """Why a run that was not halted stopped asking for dialogues."""
    if settings.count is not None:
        return StopReason.COUNT
    if settings.target_passing is not None and progress.passing >= settings.target_passing:
        return StopReason.TARGET_PASSING
    return StopReason.BUDGET


def _complete(settings: RunSettings, reason: StopReason, finished: int, unfinished: int) -> bool:
    """Did the run make what was asked of it? A continuous run with no target or budget is complete when stopped."""
    if reason in FAILURES or unfinished:
        return False
    if reason is StopReason.INTERRUPTED:
        return settings.count is None and settings.target_passing is None and settings.budget_usd is None
    if reason is StopReason.COUNT:
        return finished >= (settings.count or 0)
    return True


async def _interrupt_on(stop: asyncio.Event, halt: Halt) -> None:
    await stop.wait()
    halt(StopReason.INTERRUPTED)


async def _keep_time(settings: RunSettings, before: float, started: float, parts: int) -> None:
    """Keep run.json's elapsed time current, so a part that is killed still counts its seconds."""
    while True:
        await asyncio.sleep(CLOCK_INTERVAL)
        write_run_file(settings, before + time.monotonic() - started, parts)


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
    return {
        event.task_index async for event in read_subject(broker, subject_pattern(DialogueRequested))
        if isinstance(event, DialogueRequested) and event.run_id == settings.run_id and event.dialogue_id == settings.dialogue_id(event.task_index)
    }


async def _dispatch(settings: RunSettings, ctx: ActorContext, progress: Progress, done_queue: asyncio.Queue[str], mine: set[str], on_progress: Callable[[Progress], None] | None, halt: Halt, stop: asyncio.Event | None = None, *, requested: set[int] = frozenset(), in_flight: set[str] | None = None) -> None:
    """Keep `concurrency` dialogues in flight until the count, target or budget is reached, or a halt (`stop`: Ctrl-C).

    After a halt the dialogues in flight are drained (after a failure, for at most FAILURE_DRAIN_SECONDS).
    On a resume, `requested` task indices are not asked for again and `in_flight` holds those not yet verified.
    """
    in_flight = set() if in_flight is None else in_flight
    index = 0

    def may_start() -> bool:
        if stop is not None and stop.is_set():  # seen at once, not only when _interrupt_on wakes up
            halt(StopReason.INTERRUPTED)
        if halt.is_set():
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
            request = draft(DialogueRequested, domain=settings.domain, run_id=settings.run_id, seed=settings.seed, task_index=index, config=settings.result_config(),
                            user_simulator=request_simulator(settings.user_pool, settings.seed, index))
            mine.add(dialogue_id)
            in_flight.add(dialogue_id)
            await ctx.publish(stamp([request], dialogue_id, 0, "run", None, ctx.clock))
            progress.requested += 1
            index += 1
        if not in_flight:
            return
        timeout = max(0.0, halt.since + FAILURE_DRAIN_SECONDS - time.monotonic()) if halt.reason in FAILURES else None
        waiter = asyncio.ensure_future(done_queue.get())
        stopper = asyncio.ensure_future(halt.event.wait()) if not halt.is_set() else None
        finished, _ = await asyncio.wait([w for w in (waiter, stopper) if w is not None], timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if stopper is not None and not stopper.done():
            stopper.cancel()
        if waiter in finished:
            in_flight.discard(waiter.result())
            if on_progress is not None:
                on_progress(progress)
            continue
        waiter.cancel()
        if not finished:  # the failure drain is over: the rest stay unfinished (a resume finishes them)
            log.warning("run_stopped_with_dialogues_in_flight", in_flight=len(in_flight))
            return
        log.info("run_draining", in_flight=len(in_flight))
