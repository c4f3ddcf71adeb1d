"""`cove serve`: cove as an RL environment. The trainer's policy plays the agent; cove's actors play everyone else.

The service runs the machinery of `cove run` minus the agent's model and minus the controller: the
sampler, fuzzifier, user simulator, executor and verifier actors (or, with `--actors none`, only
`cove worker`s elsewhere), the recorder into `--out/events.db`, and the agent actor with a decision
that makes every move that needs no model (the greeting, the turn and error limits) and leaves the
others to the policy. An episode is a dialogue: creating one publishes its DialogueRequested; a step
publishes the policy's message as the agent's AgentSpoke, exactly as the agent actor would from a
model reply, then waits for the next policy turn or the verdict. So every episode is in the event log
and `cove verify` re-verifies it like any dialogue.

The service keeps nothing a restart would lose: an episode's events are read back from the stream (the
log of record) the first time it is touched, and a plain subscription keeps them current after that.
An episode left at the policy's turn past `idle_timeout` seconds (by the events' own clock, so across
restarts too) is ended unscored (`policy_timeout`).
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import structlog

from actors.stream import read_subject
from actors.drafts import Draft, draft, stamp
from actors.prompts import agent_system_prompt
from actors.runtime import ActorContext, delivered_event
from actors.turns import DialogueLimits, agent_step
from actors.view import DialogueView
from cove.episodes import POLICY_MODEL, Phase, TaskChoice, member_user_seed, phase, policy_seed, policy_turn, transcript
from cove.settings import RunSettings
from cove.user_pool import request_simulator
from domains.registry import get_domain
from domains.state import Database
from events import DialogueEnded, DialogueRequested, Event, EventError, subject_pattern
from events.subjects import SUBJECT_PREFIX, dialogue_token

log = structlog.get_logger(__name__)

SERVE_PREFIX = "serve-"
RESYNC_SECONDS = 1.0  # after a reconnect, a wait that hears nothing this long reads the episode back from the stream
QUIET_RESYNC_SECONDS = 15.0  # without one, only after this long (a message lost some other way); not per second per episode


class EpisodeError(Exception):
    """A request the episode cannot take; `status` is the HTTP status that says so."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


@dataclass
class ServeMetrics:
    created: int = 0
    steps: int = 0
    done: int = 0
    timed_out: int = 0
    abandoned: int = 0
    step_seconds: list[float] = field(default_factory=list)  # the last few thousand steps' time in the service

    def observe_step(self, seconds: float) -> None:
        self.steps += 1
        self.step_seconds.append(seconds)
        if len(self.step_seconds) > 4096:
            del self.step_seconds[:2048]


@dataclass
class _Episode:
    """What this process knows of one episode: its events (a contiguous prefix), those that came early, a wake-up."""

    events: list[Event] = field(default_factory=list)
    ahead: dict[int, Event] = field(default_factory=dict)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    synced: bool = False  # read back from the stream once
    synced_at_reconnect: int = 0  # the connection's reconnect count when it was last read back
    _phase_at: int = -1  # how many events `_phase` was computed for
    _phase: Phase = Phase.RUNNING

    def add(self, event: Event) -> bool:
        if event.seq < len(self.events):
            return False
        self.ahead[event.seq] = event
        grew = False
        while len(self.events) in self.ahead:
            self.events.append(self.ahead.pop(len(self.events)))
            grew = True
        if grew:
            self.changed.set()
        return grew

    def current_phase(self, base: Database, limits: DialogueLimits) -> Phase:
        """The episode's phase, computed once per change (a wait wakes on every event: no view rebuilt each time)."""
        if self._phase_at != len(self.events):
            self._phase_at, self._phase = len(self.events), phase(DialogueView.of(self.events), base, limits) if self.events else Phase.RUNNING
        return self._phase


class EpisodeService:
    """Episodes over a started broker whose actors (and the served agent) run here or elsewhere."""

    def __init__(self, settings: RunSettings, ctx: ActorContext, base: Database, *, idle_timeout: float = 600.0, step_timeout: float = 300.0,
                 clock: Callable[[], float] = time.time) -> None:  # fmt: skip
        self.settings, self.ctx, self.base = settings, ctx, base
        self.idle_timeout, self.step_timeout, self.clock = idle_timeout, step_timeout, clock
        self.system_prompt = agent_system_prompt(settings.domain, base)
        self.tools = get_domain(settings.domain).toolkit.openai_schemas
        self.metrics = ServeMetrics()
        self._episodes: OrderedDict[str, _Episode] = OrderedDict()
        self._tokens: dict[str, str] = {}  # subject token -> episode id, for the episodes tracked here
        self._next_index: dict[str, int] = {}  # run id -> the next task index to hand out
        self._open: set[str] = set()
        self._checked: set[tuple[str, str]] = set()  # goal ranges and fuzz levels found usable
        self._reaper: asyncio.Task | None = None
        self._subscription = None

    # --- life -----------------------------------------------------------------------------------

    async def start(self) -> None:
        """Hear every event as it is published, take up the episodes still open in the stream, start the idle reaper."""
        connection = self.ctx.broker.config.connection_state.connection
        self._subscription = await connection.subscribe(f"{SUBJECT_PREFIX}.>", cb=self._heard, pending_msgs_limit=1_000_000)
        for request in await self._requests_in_stream():
            index = self._next_index.get(request.run_id, 0)
            self._next_index[request.run_id] = max(index, request.task_index + 1)
            self._track(request.dialogue_id)
        for episode_id in list(self._episodes):
            await self._sync(episode_id)
            if self._episodes[episode_id].events and self._phase(episode_id) is not Phase.DONE:
                self._open.add(episode_id)
            else:
                self._drop(episode_id)
        self._reaper = asyncio.create_task(self._reap_idle(), name="serve-idle-reaper")
        log.info("serve_started", open_episodes=len(self._open))

    async def stop(self) -> None:
        if self._reaper is not None:
            self._reaper.cancel()
        if self._subscription is not None:
            try:
                await self._subscription.unsubscribe()
            except Exception:  # the connection is already closing
                pass

    # --- the API's operations ---------------------------------------------------------------------

    async def create(self, *, seed: int | None = None, task_index: int | None = None, n: int = 1, constraints: str | None = None, fuzz: str | None = None,
                     with_acts: bool = False) -> list[dict[str, Any]]:  # fmt: skip
        """`n` episodes of one task (a group: same task, each its own user seed), each up to the policy's first turn."""
        choice = TaskChoice(self.settings.domain, self.settings.seed if seed is None else seed, constraints or self.settings.constraints, fuzz or self.settings.fuzz)
        self._check_choice(choice)
        if task_index is None:
            task_index = self._next_index.get(choice.run_id, 0)
        self._next_index[choice.run_id] = max(self._next_index.get(choice.run_id, 0), task_index + 1)
        config = {**self.settings.result_config(), "seed": choice.seed, "constraints": choice.constraints, "fuzz": choice.fuzz, "agent": {"model": POLICY_MODEL}}
        simulator = request_simulator(self.settings.user_pool, choice.seed, task_index)
        ids = [choice.episode_id(task_index, member) for member in range(n)]
        for member, episode_id in enumerate(ids):
            episode = self._track(episode_id)
            if episode.events or await self._requested_before(episode_id):
                if not episode.synced:
                    await self._sync(episode_id)
                continue  # asked for before (a retried create, or one before a restart): the same episode
            episode.synced, episode.synced_at_reconnect = True, self._reconnects()  # nothing to read back: what is published from now on is heard
            request = draft(DialogueRequested, domain=choice.domain, run_id=choice.run_id, seed=choice.seed, task_index=task_index, config=config,
                            user_simulator=simulator, user_seed=member_user_seed(choice.seed, task_index, member))  # fmt: skip
            await self.ctx.publish(stamp([request], episode_id, 0, "serve", None, self.clock))
            self._open.add(episode_id)
            self.metrics.created += 1
        return [await self._observation(episode_id, await self._wait(episode_id, 0), with_acts, first=True) for episode_id in ids]

    async def step(self, episode_id: str, message: dict[str, Any], *, model: str | None = None, usage: dict[str, int] | None = None, with_acts: bool = False) -> dict[str, Any]:
        """Publish the policy's message as the agent's turn; answer with what follows, up to its next turn or the verdict."""
        started = time.perf_counter()
        episode = await self._known(episode_id)
        async with episode.lock:
            view = DialogueView.of(episode.events)
            current = self._phase(episode_id)
            if current is not Phase.POLICY_TURN:
                raise EpisodeError(409, f"episode {episode_id} is {current}: it is not the policy's turn")
            before = len(transcript(view, self.system_prompt))
            drafts = policy_turn(view, message, model or POLICY_MODEL, usage)
            await self._publish(episode_id, view, drafts, "agent")
            view = await self._wait(episode_id, view.next_seq + len(drafts) - 1)
        answer = await self._observation(episode_id, view, with_acts, since=before)
        self.metrics.observe_step(time.perf_counter() - started)
        return answer

    async def read(self, episode_id: str, *, with_acts: bool = False) -> dict[str, Any]:
        episode = await self._known(episode_id)
        return await self._observation(episode_id, DialogueView.of(episode.events), with_acts, first=True, events=True)

    async def abandon(self, episode_id: str) -> dict[str, Any]:
        """End an episode that is not done, unscored (`abandoned`), and answer with its verdict."""
        episode = await self._known(episode_id)
        async with episode.lock:
            view = DialogueView.of(episode.events)
            last = view.next_seq - 1
            if view.ended is None:
                await self._publish(episode_id, view, [draft(DialogueEnded, reason="abandoned", detail="abandoned by the trainer")], "serve")
                self.metrics.abandoned += 1
                last += 1
            view = await self._wait(episode_id, last)
        return await self._observation(episode_id, view, False, since=len(transcript(view, self.system_prompt)))

    def health(self) -> dict[str, Any]:
        connection = self.ctx.broker.config.connection_state.connection
        return {"status": "ok" if connection.is_connected else "degraded", "nats_connected": connection.is_connected, "domain": self.settings.domain}

    def metrics_json(self) -> dict[str, Any]:
        seconds = sorted(self.metrics.step_seconds)

        def quantile(q: float) -> float | None:
            return round(seconds[min(len(seconds) - 1, int(q * len(seconds)))] * 1000, 3) if seconds else None

        return {"episodes_created": self.metrics.created, "episodes_open": len(self._open), "episodes_done": self.metrics.done, "steps": self.metrics.steps,
                "timed_out": self.metrics.timed_out, "abandoned": self.metrics.abandoned, "step_ms_p50": quantile(0.5), "step_ms_p99": quantile(0.99)}  # fmt: skip

    def metrics_prometheus(self) -> str:
        """The metrics in Prometheus' text exposition format (counters, the open-episode gauge, step-time quantiles)."""
        values = self.metrics_json()
        lines = []
        for name, kind, help_text, value in (
            ("cove_serve_episodes_created_total", "counter", "Episodes created.", values["episodes_created"]),
            ("cove_serve_episodes_done_total", "counter", "Episodes verified (scored or not).", values["episodes_done"]),
            ("cove_serve_episodes_timed_out_total", "counter", "Episodes ended unscored by the idle timeout.", values["timed_out"]),
            ("cove_serve_episodes_abandoned_total", "counter", "Episodes abandoned by the trainer.", values["abandoned"]),
            ("cove_serve_steps_total", "counter", "Policy steps answered.", values["steps"]),
            ("cove_serve_episodes_open", "gauge", "Episodes not yet verified.", values["episodes_open"]),
        ):  # fmt: skip
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}", f"{name} {value}"]
        lines += ["# HELP cove_serve_step_seconds Time a step spends in the service (the last few thousand steps).", "# TYPE cove_serve_step_seconds summary"]
        for quantile, key in (("0.5", "step_ms_p50"), ("0.99", "step_ms_p99")):
            if values[key] is not None:
                lines.append(f'cove_serve_step_seconds{{quantile="{quantile}"}} {values[key] / 1000:.6f}')
        lines += [f"cove_serve_step_seconds_sum {sum(self.metrics.step_seconds):.6f}", f"cove_serve_step_seconds_count {len(self.metrics.step_seconds)}"]
        return "\n".join(lines) + "\n"

    # --- inside -----------------------------------------------------------------------------------

    def _check_choice(self, choice: TaskChoice) -> None:
        """422 for a goal range or fuzz level the sampler cannot use on this base (the check `cove run` makes)."""
        from domains.sampling import SamplingError, check_sampling

        if (choice.constraints, choice.fuzz) in self._checked:
            return
        try:
            check_sampling(choice.domain, self.base, choice.constraints, choice.fuzz)
        except (SamplingError, ValueError) as exc:
            raise EpisodeError(422, str(exc)) from None
        self._checked.add((choice.constraints, choice.fuzz))

    def _phase(self, episode_id: str) -> Phase:
        return self._episodes[episode_id].current_phase(self.base, self.ctx.limits)

    def _track(self, episode_id: str) -> _Episode:
        episode = self._episodes.get(episode_id)
        if episode is None:
            episode = self._episodes[episode_id] = _Episode()
            self._tokens[dialogue_token(episode_id)] = episode_id
            self._trim()
        return episode

    def _drop(self, episode_id: str) -> None:
        self._episodes.pop(episode_id, None)
        self._tokens.pop(dialogue_token(episode_id), None)
        self._open.discard(episode_id)

    def _trim(self, keep: int = 8192) -> None:
        """Forget the oldest finished episodes past `keep` (they are read back from the stream when asked for)."""
        if len(self._episodes) <= keep:
            return
        for episode_id in [e for e in self._episodes if e not in self._open][: len(self._episodes) - keep]:
            self._drop(episode_id)

    async def _heard(self, msg: Any) -> None:
        token = msg.subject.rsplit(".", 1)[-1]
        episode_id = self._tokens.get(token)
        episode = self._episodes.get(episode_id) if episode_id is not None else None
        if episode is None:
            return
        msg_id = (msg.headers or {}).get("Nats-Msg-Id") or ""
        seq_text = msg_id.rpartition(":")[2]
        if seq_text.isdigit() and int(seq_text) < len(episode.events):
            return  # known already (this service's own publish, or read back): not parsed again
        try:
            event = delivered_event(self.ctx.cache, msg)  # published by an actor of this process: its event, not parsed again
        except EventError:
            return
        self._remember(episode_id, event)

    def _remember(self, episode_id: str, event: Event) -> None:
        episode = self._episodes.get(episode_id)
        if episode is None or event.dialogue_id != episode_id:
            return
        if episode.add(event) and episode.events[-1].type == "dialogue_verified" and episode_id in self._open:
            self._open.discard(episode_id)
            self.metrics.done += 1

    async def _known(self, episode_id: str) -> _Episode:
        """A tracked episode (read back from the stream if this process has not seen it); 404 if it does not exist."""
        if not episode_id.startswith(SERVE_PREFIX):
            raise EpisodeError(404, f"no episode {episode_id}")
        episode = self._track(episode_id)
        if not episode.synced:
            await self._sync(episode_id)
        if not episode.events:
            self._drop(episode_id)
            raise EpisodeError(404, f"no episode {episode_id}")
        if self._phase(episode_id) is not Phase.DONE:
            self._open.add(episode_id)
        return episode

    async def _sync(self, episode_id: str) -> None:
        """Read the episode's events after those known here back from the stream (the log of record)."""
        episode = self._episodes[episode_id]
        episode.synced_at_reconnect = self._reconnects()
        for event in await self._read_back(episode_id, len(episode.events)):
            self._remember(episode_id, event)
        episode.synced = True

    async def _requested_before(self, episode_id: str) -> bool:
        """The stream holds the episode's DialogueRequested (one indexed look-up of its own subject, not a read-back)."""
        from nats.js.errors import NotFoundError

        from actors.outages import until_answered
        from actors.stream import STREAM_NAME

        state = self.ctx.broker.config.connection_state
        try:
            await until_answered(lambda: state.stream.get_last_msg(STREAM_NAME, subject_pattern(DialogueRequested, episode_id)), state.connection, "serve_create")
        except NotFoundError:
            return False
        return True

    def _reconnects(self) -> int:
        return self.ctx.broker.config.connection_state.connection.stats["reconnects"]

    async def _read_back(self, dialogue_id: str, from_seq: int) -> list[Event]:
        return [event async for event in read_subject(self.ctx.broker, subject_pattern(None, dialogue_id)) if event.seq >= from_seq]

    async def _requests_in_stream(self) -> list[DialogueRequested]:
        """Every episode ever requested of this service's domain (the stream's DialogueRequested events)."""
        return [
            event async for event in read_subject(self.ctx.broker, subject_pattern(DialogueRequested))
            if isinstance(event, DialogueRequested) and event.dialogue_id.startswith(SERVE_PREFIX) and event.domain == self.settings.domain
        ]

    async def _publish(self, episode_id: str, view: DialogueView, drafts: list[Draft], actor: str) -> None:
        events = stamp(drafts, episode_id, view.next_seq, actor, view.last.event_id, self.clock)
        await self.ctx.publish(events)
        for event in events:
            self._remember(episode_id, event)

    async def _wait(self, episode_id: str, after_seq: int) -> DialogueView:
        """The episode once it holds event `after_seq` and is at the policy's turn or done."""
        episode = self._episodes[episode_id]
        deadline = time.monotonic() + self.step_timeout
        quiet_since = time.monotonic()
        while True:
            episode.changed.clear()
            if len(episode.events) > after_seq and self._phase(episode_id) is not Phase.RUNNING:
                return DialogueView.of(episode.events)
            left = deadline - time.monotonic()
            if left <= 0:
                raise EpisodeError(504, f"episode {episode_id}: no next turn in {self.step_timeout:g} s (the actors may be down)")
            try:
                await asyncio.wait_for(episode.changed.wait(), min(left, RESYNC_SECONDS))
                quiet_since = time.monotonic()
            except TimeoutError:
                # heard nothing for a while: read back if the connection dropped since the last read-back (messages
                # published meanwhile never reached the subscription), else only after a long silence
                if self._reconnects() != episode.synced_at_reconnect or time.monotonic() - quiet_since >= QUIET_RESYNC_SECONDS:
                    await self._sync(episode_id)
                    quiet_since = time.monotonic()

    async def _observation(self, episode_id: str, view: DialogueView, with_acts: bool, *, since: int | None = None, first: bool = False, events: bool = False) -> dict[str, Any]:
        messages = transcript(view, self.system_prompt, with_acts)
        current = phase(view, self.base, self.ctx.limits)
        verdict = view.verified.verdict if view.verified is not None else None
        answer: dict[str, Any] = {"episode_id": episode_id, "status": str(current), "done": current is Phase.DONE}
        if first:
            answer |= {"system_prompt": self.system_prompt, "tools": self.tools, "messages": messages}
            if view.task_event is not None:
                answer["task_index"], answer["group_member"] = view.request.task_index, int(episode_id.rsplit("-g", 1)[1])
        else:
            start = since or 0
            spoke = start < len(messages) and messages[start]["role"] == "assistant"
            answer |= {"recorded": messages[start] if spoke else None, "messages": messages[start + 1 :] if spoke else messages[start:]}
        answer |= {"reward": verdict.get("score") if verdict else None, "verdict": verdict, "policy_seed": policy_seed(view) if current is Phase.POLICY_TURN else None}
        if view.ended is not None:
            answer["termination"] = {"reason": str(view.ended.reason), "detail": view.ended.detail}
        if events:
            answer["events"] = len(view.events)
        return answer

    async def _reap_idle(self) -> None:
        """End, unscored, every open episode whose policy turn has waited past the idle timeout."""
        interval = max(0.05, min(self.idle_timeout / 4, 5.0))
        while True:
            await asyncio.sleep(interval)
            now = self.clock()
            for episode_id in list(self._open):
                episode = self._episodes.get(episode_id)
                if episode is None or not episode.events or now - episode.events[-1].time < self.idle_timeout:
                    continue
                if episode.lock.locked() or self._phase(episode_id) is not Phase.POLICY_TURN:
                    continue
                async with episode.lock:
                    view = DialogueView.of(episode.events)
                    idle = now - view.last.time
                    drafts = [draft(DialogueEnded, reason="policy_timeout", detail=f"the policy left its turn idle for {idle:.0f} s (timeout {self.idle_timeout:g} s)")]
                    try:
                        await self._publish(episode_id, view, drafts, "serve")
                    except Exception as exc:  # NATS away: the next round tries again
                        log.warning("serve_timeout_not_published", episode_id=episode_id, error=repr(exc))
                        continue
                    self.metrics.timed_out += 1
                    log.info("episode_timed_out", episode_id=episode_id, idle_s=round(idle, 1))


async def served_agent(ctx: ActorContext, view: DialogueView) -> list[Draft]:
    """The agent actor's decision in `cove serve`: every move that needs no model (greeting, limits); the policy makes the rest."""
    step = agent_step(view, ctx.base(view.domain), ctx.limits)
    return step if isinstance(step, list) else []
