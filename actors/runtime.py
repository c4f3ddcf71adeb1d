"""The thin FastStream adapters: load the dialogue, call the actor's decision, publish what it returns.

Every actor type is one `ActorRouter` whose durable pull consumer (filtering every event type it
reacts to) is shared by all its replicas. A handler publishes its events to JetStream (each with its event id
as `Nats-Msg-Id`, waiting for the PubAck) and only then returns, so the trigger is acked after the
effect is durable. A redelivered trigger finds its answer already known and does nothing; if it
does run again, its events carry the same ids and JetStream drops the copies.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import structlog
from faststream.nats import NatsBroker, NatsMessage
from nats.aio.msg import Msg

from actors.bus import ACK_WAIT, ActorRouter, Delivery, Received, RetryPolicy, publish_event
from actors.cache import DialogueCache
from actors.drafts import Draft, stamp
from actors.executor import execute_tool_calls, rebuild_world, runs_calls
from actors.fuzzifier import RewriteSettings, rewritten_instruction, template_instruction
from actors.sampler import SamplingSettings, TaskSequence, sample_requested_task
from actors.stream import read_subject
from actors.turns import DialogueLimits, ModelNeeded, agent_reply, agent_step, model_failure, user_answers, user_reply, user_step
from actors.verifier import unscored, verify_ended_dialogue
from actors.view import DialogueView
from domains.state import Database
from events import (
    AgentSpoke,
    DialogueEnded,
    DialogueRequested,
    DialogueVerified,
    Event,
    EventError,
    InstructionFuzzified,
    MessageDeadLettered,
    ModelCallFailed,
    TaskSampled,
    ToolFailed,
    ToolReturned,
    UserSpoke,
    dead_letter_subject,
    event_to_json,
    parse_event,
    subject_for,
    subject_pattern,
)

log = structlog.get_logger(__name__)

ACTORS = ("sampler", "fuzzifier", "user", "agent", "executor", "verifier", "recorder")
TRIGGERS: dict[str, tuple[type, ...]] = {
    "sampler": (DialogueRequested,),
    "fuzzifier": (TaskSampled,),
    "agent": (InstructionFuzzified, UserSpoke, ToolReturned, ToolFailed, ModelCallFailed),  # its own unusable reply: ask again
    "user": (AgentSpoke,),
    "executor": (AgentSpoke,),
    "verifier": (DialogueEnded,),
}


class BaseMismatchError(RuntimeError):
    """A dialogue was sampled from another base database than the one this worker loaded."""


class UnknownSimulatorError(RuntimeError):
    """A dialogue drew a user simulator that this worker's pool does not hold (started with another pool)."""


@dataclass
class ActorContext:
    """What every actor of one process shares: the broker, the dialogue cache, the bases, the models."""

    broker: NatsBroker
    bases: dict[str, Database]  # by domain
    limits: DialogueLimits = field(default_factory=DialogueLimits)
    sampling: SamplingSettings = field(default_factory=SamplingSettings)
    models: dict[str, Any] = field(default_factory=dict)  # role -> ModelClient
    user_pool: dict[str, Any] = field(default_factory=dict)  # simulator name -> ModelClient, for runs with several (cove/user_pool.py)
    rewrite: RewriteSettings | None = None  # an LLM that may reword scenarios (fuzzifier)
    cache: DialogueCache = field(default_factory=DialogueCache)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    clock: Callable[[], float] = time.time
    on_published: Callable[[Event], None] | None = None
    _sequences: dict[tuple[str, int, str, str], TaskSequence] = field(default_factory=dict)

    def base(self, domain: str, content_hash: str | None = None) -> Database:
        base = self.bases.get(domain)
        if base is None:
            raise BaseMismatchError(f"this worker has no {domain} database loaded")
        if content_hash and base.content_hash != content_hash:
            raise BaseMismatchError(f"dialogue needs base {content_hash[:12]}, this worker has {base.content_hash[:12]}")
        return base

    def user_client(self, view: DialogueView) -> Any:
        """The user simulator's client for this dialogue: the one its request names, else the run's one user model."""
        name = view.request.user_simulator if view.request is not None else None
        if name is None:
            return self.models["user"]
        if name not in self.user_pool:
            raise UnknownSimulatorError(f"dialogue {view.dialogue_id} needs user simulator {name!r}; this worker has {', '.join(sorted(self.user_pool)) or 'no pool'}")
        return self.user_pool[name]

    def sequence(self, request: DialogueRequested) -> TaskSequence:
        """The task sequence of the request's seed, with the goal range and fuzz level its config records (else this worker's)."""
        sampling = SamplingSettings(constraints=request.config.get("constraints", self.sampling.constraints), fuzz=request.config.get("fuzz", self.sampling.fuzz))
        key = (request.domain, request.seed, sampling.constraints, sampling.fuzz)
        if key not in self._sequences:
            self._sequences[key] = TaskSequence(request.domain, self.base(request.domain), request.seed, sampling)
        return self._sequences[key]

    async def fetch(self, dialogue_id: str, up_to: int) -> list[Event]:
        """Events 0..up_to of a dialogue, read back from the stream (the log of record)."""
        found: dict[int, Event] = {}
        async for event in read_subject(self.broker, subject_pattern(None, dialogue_id), dialogue_id=dialogue_id):
            found.setdefault(event.seq, event)
            if len(found) > up_to:
                break
        events = [found[seq] for seq in range(up_to + 1) if seq in found]
        if len(events) != up_to + 1:
            raise LookupError(f"dialogue {dialogue_id}: stream holds {len(events)} of its first {up_to + 1} events")
        return events

    async def publish(self, events: list[Event]) -> None:
        """Publish in order, each durable before the next; the cache learns them first."""
        for event in events:
            self.cache.remember(event)
            body = event_to_json(event)
            self.cache.published(event, body)
            ack = await publish_event(self.broker, subject_for(event), body, event.event_id)
            if isinstance(event, DialogueVerified):
                self.cache.finish(event.dialogue_id)  # over: nobody in this process needs it any more
            elif getattr(ack, "duplicate", False):
                self.cache.forget(event.dialogue_id)  # the stream kept an earlier copy: read it back next time
            if self.on_published is not None:
                self.on_published(event)


Decide = Callable[[ActorContext, DialogueView], Awaitable[list[Draft]]]


async def _sampler(ctx: ActorContext, view: DialogueView) -> list[Draft]:
    request = view.last
    return sample_requested_task(request, ctx.sequence(request)) if isinstance(request, DialogueRequested) else []


async def _fuzzifier(ctx: ActorContext, view: DialogueView) -> list[Draft]:
    if ctx.rewrite is None:
        return template_instruction(view)
    return await asyncio.to_thread(rewritten_instruction, view, ctx.rewrite)  # a blocking model call


async def _executor(ctx: ActorContext, view: DialogueView) -> list[Draft]:
    if not runs_calls(view.last):
        return []
    entry = ctx.cache.entry(view.dialogue_id)
    base = ctx.base(view.domain, view.task_event.base_db_hash if view.task_event else None)
    world, done = rebuild_world(view, base, entry.world, entry.world_calls)
    drafts = execute_tool_calls(view, world)
    entry.world, entry.world_calls = world, done + sum(1 for d in drafts if d.cls in (ToolReturned, ToolFailed))
    return drafts


async def _verifier(ctx: ActorContext, view: DialogueView) -> list[Draft]:
    if not isinstance(view.last, DialogueEnded):
        return []
    if view.task_event is None:
        return unscored(view, f"no task was sampled: {view.last.detail}")
    return verify_ended_dialogue(view, ctx.base(view.domain, view.task_event.base_db_hash))


def call_seed(view: DialogueView, role: str) -> int:
    """The seed of a model call at this point of the dialogue: the run's seed (or, for the user, the request's
    `user_seed`) times a stride, plus the call's position."""
    request = view.request
    base = 0 if request is None else request.user_seed if role == "user" and request.user_seed is not None else request.seed
    return base * 1_000_003 + view.next_seq


async def _with_model(ctx: ActorContext, view: DialogueView, role: str, step: Any, reply: Callable[..., list[Draft]], client: Any = None) -> list[Draft]:
    if isinstance(step, list):
        return step
    assert isinstance(step, ModelNeeded)
    from actors.llm import ModelCallError

    client = client if client is not None else ctx.models[role]
    seed = call_seed(view, role)
    try:
        result = await client.complete(step.messages, step.tools, seed=seed)
    except ModelCallError as error:
        log.warning("model_call_failed", role=role, dialogue_id=view.dialogue_id, error_type=error.error_type)
        return model_failure(role, error.to_event_fields())
    return reply(result.message, result.call)


async def _agent(ctx: ActorContext, view: DialogueView) -> list[Draft]:
    base = ctx.base(view.domain)
    scripted = ctx.models["agent"].settings.model.startswith("cove/")  # only a scripted agent reads the scripted user's acts
    step = agent_step(view, base, ctx.limits, with_acts=scripted)
    return await _with_model(ctx, view, "agent", step, lambda m, c: agent_reply(view, m, c))


async def _user(ctx: ActorContext, view: DialogueView) -> list[Draft]:
    client = ctx.user_client(view)  # the simulator the dialogue drew (cove/user_pool.py)
    scripted = client.settings.model.startswith("cove/")  # a scripted user re-reads its own acts
    return await _with_model(ctx, view, "user", user_step(view, ctx.limits, with_acts=scripted), user_reply, client)


DECISIONS: dict[str, Decide] = {
    "sampler": _sampler,
    "fuzzifier": _fuzzifier,
    "agent": _agent,
    "user": _user,
    "executor": _executor,
    "verifier": _verifier,
}


async def dead_letter(broker: NatsBroker, actor: str, msg: Received | NatsMessage | Msg, error: str) -> None:
    """Keep a message nobody can handle (FastStream's or nats-py's) as a dead-letter event, and say so in the log."""
    raw = getattr(msg, "raw_message", msg)  # NatsMessage is a generic alias: no isinstance
    delivery = Delivery.of(raw)
    dead = MessageDeadLettered(
        actor=actor, subject=delivery.subject, payload=bytes(raw.data),
        headers=delivery.headers, error=error, num_delivered=delivery.num_delivered, stream_seq=delivery.stream_seq,
    )  # fmt: skip
    await publish_event(broker, dead_letter_subject(actor), dead, f"deadletter.{actor}.{delivery.stream_seq}")
    log.error("poison_message_dead_lettered", actor=actor, subject=delivery.subject, error=error)


def delivered_event(cache: DialogueCache | None, raw: Msg) -> Event:
    """The event in a delivery: the one this process published with these very bytes, or else parsed (EventError if malformed)."""
    if cache is not None:
        event = cache.delivered((raw.headers or {}).get("Nats-Msg-Id"), raw.data)
        if event is not None:
            return event
    return parse_event(raw.data)


# Both the user simulator and the executor get every agent turn; each decision passes over the other's.
_ANSWERS: dict[str, Callable[[Event], bool]] = {"user": user_answers, "executor": runs_calls}


def may_answer(actor: str, event: Event) -> bool:
    """False for a trigger that the actor's own decision answers with nothing, whatever came before it."""
    answers = _ANSWERS.get(actor)
    return answers is None or answers(event)


async def handle_trigger(ctx: ActorContext, actor: str, msg: Received, decide: Decide | None = None) -> None:
    """One delivery: parse (or take the event this process published), rebuild the dialogue, decide (`decide`, default
    the actor's own), publish; idempotent under redelivery."""
    try:
        event = delivered_event(ctx.cache, msg.raw_message)
    except EventError as error:
        await dead_letter(ctx.broker, actor, msg, f"EventError: {error}")
        return
    if ctx.cache.finished(event.dialogue_id):
        return  # a trigger that arrived after the verdict (e.g. the agent's turn after the user stopped)
    structlog.contextvars.bind_contextvars(dialogue_id=event.dialogue_id)
    try:
        if ctx.cache.known(event.dialogue_id) > event.seq + 1:
            return  # this trigger was already answered (a redelivery): no view to build
        if decide is None and not may_answer(actor, event):
            ctx.cache.remember(event)  # the dialogue's prefix stays whole for the triggers that need a view
            return
        view = await ctx.cache.view(event, ctx.fetch)
        if ctx.cache.known(event.dialogue_id) > event.seq + 1:
            return  # (the same, should the events read back go further)
        drafts = await (decide or DECISIONS[actor])(ctx, view)
        if drafts:
            await ctx.publish(stamp(drafts, event.dialogue_id, event.seq + 1, actor, event.event_id, ctx.clock))
    finally:
        structlog.contextvars.unbind_contextvars("dialogue_id")


def build_router(actor: str, ctx: ActorContext, *, max_workers: int = 1, ack_wait: float = ACK_WAIT, decide: Decide | None = None) -> ActorRouter:
    """The subscribers of one actor type (not the recorder: see actors/recorder.py); `decide` replaces its decision
    (`cove serve` plays the agent with one that leaves the model's turns to the trainer's policy)."""
    router = ActorRouter(actor, ctx.retry)
    subjects = [subject_pattern(event_type) for event_type in TRIGGERS[actor]]

    # One consumer for all the actor's triggers, so `max_workers` bounds what a replica holds. A pull asks
    # for as many as it has free slots (never more: the rest of the backlog stays with its peers); pulling
    # one at a time made the executor's 4 slots a queue of its own (one pull round trip per trigger).
    batch_size = max_workers

    @router.consumes(subjects, consumer=actor, max_workers=max_workers, batch_size=batch_size, ack_wait=ack_wait)
    async def on_event(msg: Received) -> None:
        await handle_trigger(ctx, actor, msg, decide)

    return router
