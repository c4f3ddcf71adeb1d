"""The messaging layer every actor uses: one JetStream stream, durable publishes, settled consumers.

    router = ActorRouter("recorder")

    @router.consumes("cove.dialogue.>")
    async def record_event(msg: Received) -> None:
        event = parse_event(msg.body)
        ...  # make the effect durable, e.g. `await publish_event(...)`; never ack here

    broker = make_broker(url); broker.include_router(router); await start_bus(broker)

Handlers receive the delivery (`msg.raw_message` is the nats-py `Msg`, `msg.body` its bytes) and
parse its body themselves with `events.parse_event`. The router settles every message: ack after the
handler returned, nak with backoff when it raised, and after `RetryPolicy.max_deliver` deliveries a `MessageDeadLettered` event on
`cove-deadletter.<actor>`, then term. All replicas of an actor share one durable pull consumer.
FastStream declares the consumers and documents them; messages go from the pull to the handler
without its per-message machinery (`_DirectPull`), and `make_broker` turns its dependency
injection off (resolving a message argument costs two thread-pool hops per delivery).
"""

import asyncio
from dataclasses import dataclass
from functools import partial
from typing import Any

import structlog
from faststream import AckPolicy, BaseMiddleware
from faststream.nats import ConsumerConfig, JStream, NatsBroker, NatsRouter, PubAck, PullSub
from faststream.exceptions import IncorrectState
from nats.aio.msg import Msg
from nats.errors import ConnectionClosedError, ConnectionReconnectingError
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.errors import ServiceUnavailableError
from pydantic import BaseModel

from actors.natsflush import gather_flushes
from actors.natslean import cheap_request_tokens, lean_next_msg
from actors.outages import pause_when_leaderless, until_answered
from actors.stream import STREAM_CONFIG, STREAM_NAME, declare_stream
from events.dead_letters import MessageDeadLettered, dead_letter_subject

log = structlog.get_logger(__name__)
gather_flushes()  # fewer, larger socket writes (actors/natsflush.py)
cheap_request_tokens()  # no system call per request (actors/natslean.py)

__all__ = ["STREAM_CONFIG", "STREAM_NAME", "ActorRouter", "Delivery", "Received", "RetryPolicy", "make_broker", "publish_event", "retry_or_dead_letter", "split_servers", "start_bus", "stop_bus", "unsettled"]

# declare=False: FastStream turns `declare` off on a JStream after the first broker start, so a
# second broker in the same process would not create it; `start_bus` declares the stream instead.
COVE_STREAM = JStream(name=STREAM_NAME, declare=False)
# A running handler tells JetStream it is alive this often (seconds), so ack_wait can be short:
# a trigger held by a dead process is redelivered within one ack_wait, however long a model call is.
HEARTBEAT_INTERVAL = 3.0
ACK_WAIT = 10.0  # default ack_wait of every consumer (must stay well above HEARTBEAT_INTERVAL)
RECONNECT_WAIT = 1.0  # seconds before the client tries a server it just failed to reach again


class UnsettledDeliveriesError(RuntimeError):
    """Delivered past max_deliver without a nak: earlier tries hung, killed the worker, or lost the ack."""


@dataclass(frozen=True)
class RetryPolicy:
    """How often a failing message is tried, and how long JetStream waits between tries."""

    max_deliver: int = 5
    first_delay: float = 1.0  # seconds before the 2nd delivery, doubling after each failure
    max_delay: float = 60.0

    def delay(self, num_delivered: int) -> float:
        return min(self.first_delay * 2 ** (num_delivered - 1), self.max_delay)


@dataclass(frozen=True)
class Delivery:
    """What JetStream says about one delivery (from `NatsMessage.raw_message` or a raw `Msg`)."""

    subject: str
    msg_id: str | None  # the publisher's Nats-Msg-Id
    num_delivered: int  # 1 on the first delivery
    stream_seq: int
    headers: dict[str, str]

    @classmethod
    def of(cls, raw: Msg) -> "Delivery":
        headers = dict(raw.headers or {})
        num_delivered, stream_seq = delivery_counts(raw)
        return cls(raw.subject, headers.get("Nats-Msg-Id"), num_delivered, stream_seq, headers)


def delivery_counts(raw: Msg) -> tuple[int, int]:
    """(times delivered, stream sequence) of a JetStream delivery, read straight from its reply subject.

    `$JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<time>.<pending>`, or with a domain
    and an account hash after `ACK` (12 tokens; 11 from older servers): nats-py's `Msg.metadata` parses
    the same tokens into dataclasses and a datetime on every delivery. Anything else goes to `Msg.metadata`.
    """
    tokens = (raw.reply or "").split(".")
    if len(tokens) >= 9 and tokens[0] == "$JS" and tokens[1] == "ACK":
        at = 4 if len(tokens) == 9 else 6 if len(tokens) >= 11 else -1
        if at >= 0 and tokens[at].isdigit() and tokens[at + 1].isdigit():
            return int(tokens[at]), int(tokens[at + 1])
    meta = raw.metadata
    return meta.num_delivered, meta.sequence.stream


@dataclass(frozen=True, slots=True)
class Received:
    """A delivery as a `consumes` handler gets it: the nats-py message and its body, as FastStream's `NatsMessage` names them."""

    raw_message: Msg

    @property
    def body(self) -> bytes:
        return self.raw_message.data


class NatsUrlError(ValueError):
    """A `--nats-url` that names no server, or an empty one in its list."""


def split_servers(urls: str | list[str]) -> list[str]:
    """The servers of a comma-separated `--nats-url` ("nats://a:4222,nats://b:4222"), in order."""
    servers = [url.strip() for url in (urls.split(",") if isinstance(urls, str) else urls)]
    if not servers or not all(servers):
        raise NatsUrlError(f"--nats-url {','.join(servers)!r} has an empty server: give URLs separated by commas, e.g. nats://a:4222,nats://b:4222")
    return servers


def server_address(url: Any) -> str:
    """host:port of a server URL (a string or a parsed URL), without any credentials it holds (safe to log)."""
    netloc = url.netloc if hasattr(url, "netloc") else str(url).partition("://")[2] or str(url)
    return netloc.rpartition("@")[2]


class _ConnectionLog:
    """nats-py callbacks that log a client losing its server and finding one again (which one)."""

    def __init__(self, name: str) -> None:
        self.name, self.broker = name, None

    def _connection(self) -> Any:
        return getattr(self.broker, "_connection", None)

    def _server(self) -> str | None:
        current = getattr(self._connection(), "_current_server", None)  # nats-py keeps it set while it reconnects
        return server_address(current.uri) if current is not None else None

    async def disconnected(self) -> None:
        connection = self._connection()
        if connection is not None and (connection.is_closed or connection.is_draining):
            return  # our own shutdown
        log.warning("nats_disconnected", client=self.name, server=self._server())

    async def reconnected(self) -> None:
        log.warning("nats_reconnected", client=self.name, server=self._server())


def make_broker(servers: str | list[str], *, name: str = "cove", **connect: Any) -> NatsBroker:
    """A NATS broker for our routers: no dependency injection, no FastStream access log.

    `servers`: one URL, a comma-separated list, or a list: the client connects to any of them and,
    when its server goes away, reconnects to the others for ever (waiting RECONNECT_WAIT before
    trying one it just failed on). `name` shows in the servers' connection lists; `connect` goes to
    nats-py (credentials, timeouts).
    """
    connection_log = _ConnectionLog(name)
    connect.setdefault("logger", None)
    connect.setdefault("connect_timeout", 5.0)
    connect.setdefault("max_reconnect_attempts", -1)
    connect.setdefault("reconnect_time_wait", RECONNECT_WAIT)
    connect.setdefault("disconnected_cb", connection_log.disconnected)
    connect.setdefault("reconnected_cb", connection_log.reconnected)
    broker = connection_log.broker = NatsBroker(split_servers(servers), apply_types=False, name=name, **connect)
    return broker


async def _message_itself(msg: Any) -> Any:
    """FastStream decoder: hand the handler the `NatsMessage` (it parses the body itself)."""
    return msg


async def start_bus(broker: NatsBroker, *, stream_replicas: int | None = None) -> None:
    """Connect, create the COVE stream (or use it as it is: see actors/stream.py), then start the subscribers.

    `stream_replicas`: keep the stream on that many servers of a cluster; None: an existing
    stream's replicas, or 1 for a new one. StreamReplicasError when that cannot be had.
    """
    await broker.connect()
    connection = broker.config.connection_state.connection
    js = broker.config.connection_state.stream
    await until_answered(lambda: declare_stream(js, stream_replicas), connection, "declare_stream")
    for subscriber in broker.subscribers:
        if (direct := getattr(subscriber, "_cove_direct", None)) is not None:
            direct.broker = broker
    await broker.start()
    for subscriber in broker.subscribers:
        pause_when_leaderless(subscriber)
        if (pulled := getattr(getattr(subscriber, "subscription", None), "_sub", None)) is not None:
            lean_next_msg(pulled)  # actors/natslean.py


async def stop_bus(broker: NatsBroker) -> None:
    """Stop the subscribers and drain the connection; just close it when no server is there to drain to."""
    try:
        connection = broker.config.connection_state.connection
    except IncorrectState:  # never connected
        return
    try:
        await broker.stop()
    except ConnectionReconnectingError:  # between servers (or the cluster is down): nothing to flush to
        await connection.close()


async def publish_event(
    broker: NatsBroker, subject: str, payload: bytes | BaseModel, msg_id: str, *, timeout: float = 5.0
) -> PubAck:
    """Store `payload` in the COVE stream once per `msg_id`; returns after JetStream's PubAck."""
    # stream= makes FastStream publish through JetStream and wait for the PubAck; without it the
    # publish is fire-and-forget core NATS. Its default timeout (0.5 s) is too short under load.
    # While a server restarts, the client fails over or the stream elects a leader, the publish
    # times out or finds no stream: it is tried again with the same msg id for as long as the
    # connection lives (a copy that did get stored is acked as a duplicate, not stored twice).
    # nats-py's JetStream publish itself, not FastStream's `broker.publish`: that spent a uuid (a
    # correlation id nothing reads) and its publisher machinery on every event. The body is what
    # FastStream would have sent (a model as its JSON), with the same Nats-Msg-Id and expected stream.
    connection = broker.config.connection_state.connection
    js = broker.config.connection_state.stream
    body = payload if isinstance(payload, bytes) else payload.model_dump_json().encode()
    headers = {"Nats-Msg-Id": msg_id}

    def publish() -> Any:
        return js.publish(subject, body, timeout=timeout, stream=STREAM_NAME, headers=headers)

    return await until_answered(publish, connection, "publish", subject=subject, msg_id=msg_id)


async def retry_or_dead_letter(broker: NatsBroker, actor: str, retry: RetryPolicy, raw: Msg, exc: Exception) -> None:
    """Settle a delivery whose handling failed: nak with backoff, or after `retry.max_deliver` tries dead-letter and term it."""
    d = Delivery.of(raw)
    delivered = d.num_delivered
    if delivered < retry.max_deliver:
        delay = retry.delay(delivered)
        log.warning("handler_failed_retrying", error=repr(exc), num_delivered=delivered, delay=delay)
        await raw.nak(delay=delay)
        return
    dead = MessageDeadLettered(
        actor=actor, subject=d.subject, payload=raw.data, headers=d.headers,
        error=repr(exc), num_delivered=delivered, stream_seq=d.stream_seq,
    )  # fmt: skip
    try:  # the msg id turns a repeated dead-lettering of this message into a no-op
        await publish_event(broker, dead_letter_subject(actor), dead, f"deadletter.{actor}.{d.stream_seq}")
    except Exception as publish_error:  # keep the message: it is tried again later
        log.error("dead_letter_publish_failed", error=repr(publish_error))
        await raw.nak(delay=retry.max_delay)
        return
    log.error("handler_failed_dead_lettered", error=repr(exc), num_delivered=delivered)
    await raw.term()


def unsettled(retry: RetryPolicy, raw: Msg) -> UnsettledDeliveriesError | None:
    """The error for a delivery past `max_deliver` that was never settled (its handler must not run again)."""
    delivered = delivery_counts(raw)[0]
    return UnsettledDeliveriesError(f"delivery {delivered}, none settled") if delivered > retry.max_deliver else None


class SettleMessage(BaseMiddleware):
    """Acks, naks with backoff, or dead-letters each message once its handler has finished.

    A batch (from `ActorRouter.consumes_batches`) passes through untouched: its handler settles
    each message of it itself. Single messages are settled by `_DirectPull`, which delivers them
    around FastStream; this settles them only should FastStream's own path ever deliver one.
    """

    def __init__(self, msg: Msg | None, /, *, context: Any, actor: str, retry: RetryPolicy) -> None:
        super().__init__(msg, context=context)  # msg is None when FastStream wraps a publish
        self.actor, self.retry = actor, retry
        self.single = not isinstance(msg, list)

    async def on_receive(self) -> None:
        if not self.single:
            self._log_tokens = structlog.contextvars.bind_contextvars(actor=self.actor)
            return
        self.delivery = Delivery.of(self.msg)
        self._log_tokens = structlog.contextvars.bind_contextvars(
            actor=self.actor, subject=self.delivery.subject, stream_seq=self.delivery.stream_seq
        )

    async def consume_scope(self, call_next: Any, msg: Any) -> Any:
        if not self.single:
            return await call_next(msg)
        if error := unsettled(self.retry, self.msg):
            raise error
        # A timer, not a task per message: most handlers end long before the first beat
        loop = asyncio.get_running_loop()
        self._beat_timer = loop.call_later(HEARTBEAT_INTERVAL, self._beat, loop)
        try:
            return await call_next(msg)
        finally:
            self._beat_timer.cancel()

    def _beat(self, loop: asyncio.AbstractEventLoop) -> None:
        """Reset the message's ack_wait while the handler runs (a dead process stops doing so)."""
        self._in_progress = loop.create_task(self._tell_in_progress())
        self._beat_timer = loop.call_later(HEARTBEAT_INTERVAL, self._beat, loop)

    async def _tell_in_progress(self) -> None:
        try:
            await self.msg.in_progress()
        except Exception as error:  # e.g. disconnected: the next beat tries again
            log.debug("heartbeat_failed", error=repr(error))

    async def after_processed(self, exc_type: Any = None, exc: Any = None, tb: Any = None) -> bool:
        try:
            if not self.single:
                return False
            if exc is None:
                await self.msg.ack()
                return False
            if not isinstance(exc, Exception):  # cancelled: redelivered after ack_wait
                return False
            broker = self.context.get("broker")  # FastStream's per-message context
            await retry_or_dead_letter(broker, self.actor, self.retry, self.msg, exc)
            return True  # settled here: FastStream need not log it again
        finally:
            structlog.contextvars.reset_contextvars(**self._log_tokens)


class _DirectPull:
    """A `consumes` subscriber's pull loop and settling, without FastStream's per-message machinery.

    FastStream still declares the durable consumer, makes the pull subscription, documents the
    subjects, and starts and stops this loop (it stands in for the subscriber's `_consume_pull`).
    Its concurrent pull spends two tasks, a memory stream, a semaphore, its middleware stack and a
    context scope per message; here a message costs one task and settles as `SettleMessage` does:
    ack after the handler returned, nak with backoff or dead-letter when it raised, a heartbeat
    while it runs. At most `max_workers` messages are held at once (pulled only for free slots).
    """

    def __init__(self, subscriber: Any, handler: Any, *, actor: str, retry: RetryPolicy, max_workers: int, batch_size: int, timeout: float) -> None:
        self.subscriber, self.handler = subscriber, handler
        self.actor, self.retry = actor, retry
        self.max_workers, self.batch_size, self.timeout = max_workers, batch_size, timeout
        self.broker: NatsBroker | None = None  # set by `start_bus`, for dead letters
        self.running: set[asyncio.Task] = set()
        self._slot_free = asyncio.Event()
        # instance attributes shadow the subscriber's methods: `_create_subscription` starts `pull` as its task
        subscriber._consume_pull = self.pull
        subscriber.start_consume_task = lambda: None  # FastStream's queue-serving task is not needed
        subscriber._cove_direct = self

    async def pull(self, cb: Any = None) -> None:
        loop = asyncio.get_running_loop()
        subscriber = self.subscriber
        try:
            while subscriber.running:
                free = self.max_workers - len(self.running)
                if free <= 0:
                    self._slot_free.clear()
                    await self._slot_free.wait()
                    continue
                try:
                    messages = await subscriber.subscription.fetch(min(self.batch_size, free), self.timeout)
                except (NatsTimeoutError, ConnectionClosedError, ServiceUnavailableError):
                    continue
                for raw in messages:
                    task = loop.create_task(self.settle(raw, loop))
                    self.running.add(task)
                    task.add_done_callback(self._done)
        except asyncio.CancelledError:  # stopped: handlers still running are cancelled (redelivered after ack_wait), as FastStream's were
            for task in list(self.running):
                task.cancel()
            raise

    def _done(self, task: asyncio.Task) -> None:
        self.running.discard(task)
        self._slot_free.set()

    async def settle(self, raw: Msg, loop: asyncio.AbstractEventLoop) -> None:
        num_delivered, stream_seq = delivery_counts(raw)
        structlog.contextvars.bind_contextvars(actor=self.actor, subject=raw.subject, stream_seq=stream_seq)  # in this task's context only
        try:
            if num_delivered > self.retry.max_deliver:  # earlier tries hung or killed the process: not again
                raise UnsettledDeliveriesError(f"delivery {num_delivered}, none settled")
            beat = _Heartbeat(raw, loop)
            try:
                await self.handler(Received(raw))
            finally:
                beat.cancel()
        except Exception as exc:
            await retry_or_dead_letter(self.broker, self.actor, self.retry, raw, exc)
            return
        await raw.ack()


class _Heartbeat:
    """Resets a message's ack_wait every HEARTBEAT_INTERVAL while its handler runs (a dead process stops doing so).

    A timer, not a task per message: most handlers end long before the first beat.
    """

    def __init__(self, raw: Msg, loop: asyncio.AbstractEventLoop) -> None:
        self.raw, self.loop = raw, loop
        self.timer = loop.call_later(HEARTBEAT_INTERVAL, self._beat)

    def _beat(self) -> None:
        self.loop.create_task(self._tell_in_progress())
        self.timer = self.loop.call_later(HEARTBEAT_INTERVAL, self._beat)

    def cancel(self) -> None:
        self.timer.cancel()

    async def _tell_in_progress(self) -> None:
        try:
            await self.raw.in_progress()
        except Exception as error:  # e.g. disconnected: the next beat tries again
            log.debug("heartbeat_failed", error=repr(error))


class ActorRouter(NatsRouter):
    """The subscribers of one actor type; every replica of that actor shares their consumers."""

    def __init__(self, actor: str, retry: RetryPolicy = RetryPolicy()) -> None:
        settle = partial(SettleMessage, actor=actor, retry=retry)
        super().__init__(middlewares=(settle,), ack_policy=AckPolicy.MANUAL, decoder=_message_itself)
        self.actor, self.retry = actor, retry

    def consumes(
        self,
        subjects: str | list[str],
        *,
        consumer: str | None = None,
        max_workers: int = 1,
        batch_size: int = 1,
        ack_wait: float = ACK_WAIT,
    ) -> Any:
        """Subscriber decorator on the durable pull consumer `consumer` (default: the actor's name).

        `subjects` is one pattern or several (one consumer filters them all, so `max_workers`
        bounds everything this replica holds for the actor). `max_workers` handlers run at once in
        this replica (use it for LLM-bound actors); `batch_size` messages are fetched per pull
        request (keep it at most `max_workers`, or one replica hoards work its peers could do). A
        running handler keeps its message with a heartbeat; a message whose process died (or that
        waited in a replica's local queue longer than `ack_wait` seconds) is redelivered, and
        idempotent handlers make that harmless. The handler gets a `Received`.
        """
        durable = consumer or self.actor
        patterns = [subjects] if isinstance(subjects, str) else list(subjects)
        pull = PullSub(batch_size=batch_size, timeout=1.0)
        subscriber = self.subscriber(
            patterns[0],
            stream=COVE_STREAM,
            durable=durable,
            max_workers=max_workers,
            pull_sub=pull,
            # max_deliver=-1: the settling is what stops retries, never silently
            config=ConsumerConfig(
                durable_name=durable, ack_wait=ack_wait, max_deliver=-1,
                filter_subjects=patterns if len(patterns) > 1 else None,
            ),  # fmt: skip
        )

        def register(handler: Any) -> Any:
            async def through_faststream(msg: Any) -> None:  # FastStream's own path, SettleMessage settling: not taken
                await handler(Received(msg.raw_message))

            _DirectPull(subscriber, handler, actor=self.actor, retry=self.retry, max_workers=max_workers, batch_size=batch_size, timeout=pull.timeout)
            subscriber(through_faststream)
            return handler

        return register

    def consumes_batches(
        self, subjects: str, *, consumer: str, batch_size: int = 256, max_wait: float = 0.25, ack_wait: float = ACK_WAIT
    ) -> Any:
        """Subscriber decorator for a handler of whole batches (`msg.raw_message` is a list of nats-py `Msg`).

        Each call gets what arrived within `max_wait` seconds (at most `batch_size` messages): one
        FastStream pass, and a handful of pull requests, per batch instead of per message. The
        handler settles every message itself (`Msg.ack`, `retry_or_dead_letter`), and must not
        wait on later batches: the next pull starts when it returns.
        """
        return self.subscriber(
            subjects,
            stream=COVE_STREAM,
            durable=consumer,
            pull_sub=PullSub(batch_size=batch_size, timeout=max_wait, batch=True),
            config=ConsumerConfig(durable_name=consumer, ack_wait=ack_wait, max_deliver=-1),
        )
