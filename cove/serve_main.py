"""Start `cove serve`: NATS (embedded, or `--nats-url`), the actors, the recorder, the episode service and the HTTP API, in one event loop."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import structlog

from actors.dead_ends import end_dead_lettered_dialogue
from actors.recorder import Recorder, build_recorder_router
from actors.runtime import build_router
from cove.actor_setup import include_actor_types
from cove.preflight import RunError, check_inputs, describe_error, probe_nats
from cove.serve import SERVE_PREFIX, EpisodeService, served_agent
from cove.settings import RunSettings
from store.eventlog import EventStore

log = structlog.get_logger(__name__)

SERVE_ACTORS = ("sampler", "fuzzifier", "user", "executor", "verifier")


@dataclass(frozen=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 8080  # 0: any free port
    idle_timeout: float = 600.0  # seconds a policy turn may wait before the episode ends unscored
    step_timeout: float = 300.0  # seconds a request waits for the actors before answering 504


@dataclass
class Serving:
    service: EpisodeService
    url: str  # the HTTP API's base URL
    nats_url: str
    server: object  # the uvicorn server
    task: asyncio.Task

    async def wait_closed(self) -> None:
        await self.task


@asynccontextmanager
async def serving(settings: RunSettings, options: ServeOptions = ServeOptions()) -> AsyncIterator[Serving]:
    """The whole service, up and answering HTTP until the block ends (or, for `wait_closed`, until a signal stops uvicorn).

    RunError, before anything is written, for input the service cannot use (the checks `cove run` makes).
    """
    from actors.natsauth import NatsAuthError
    from cove.run import _nats_for

    try:
        auth = settings.nats_auth.connect_kwargs()
    except NatsAuthError as exc:
        raise RunError(str(exc)) from exc
    if settings.out.exists() and not settings.out.is_dir():
        raise RunError(f"--out {settings.out} is not a folder")
    base = check_inputs(settings)
    listener = _listen(options.host, options.port)
    try:
        async with _nats_for(settings) as nats_url:
            await probe_nats(nats_url, auth, settings.nats_connect_timeout)
            settings.out.mkdir(parents=True, exist_ok=True)
            store = EventStore(settings.out / "events.db")
            try:
                store.put_base(base)
                async with _actors(settings, base, nats_url, auth, store, options) as service:
                    async with _http(service, listener) as (server, task):
                        host, port = listener.getsockname()[:2]
                        yield Serving(service, f"http://{host}:{port}", nats_url, server, task)
            finally:
                store.close()
    finally:
        listener.close()


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket (connections queue in its backlog from now on, before the server accepts them)."""
    try:
        sock = socket.create_server((host, port), reuse_port=False, backlog=2048)
    except OSError as exc:
        raise RunError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    # accepted connections inherit it: an answer written in parts must not wait for the client's delayed ACK (~40 ms)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


@asynccontextmanager
async def _actors(settings: RunSettings, base, nats_url: str, auth: dict, store: EventStore, options: ServeOptions) -> AsyncIterator[EpisodeService]:
    from actors.bus import ACK_WAIT, make_broker, start_bus, stop_bus

    broker = make_broker(nats_url, name="cove-serve", **auth)
    ctx = include_actor_types(settings, broker, base)
    broker.include_router(build_router("agent", ctx, max_workers=max(8, settings.concurrency), decide=served_agent))
    recorder = Recorder(store)

    async def on_dead_letter(dead) -> None:
        await end_dead_lettered_dialogue(ctx, dead, lambda dialogue_id: dialogue_id.startswith(SERVE_PREFIX))

    broker.include_router(build_recorder_router(recorder, broker, ctx.retry, on_dead_letter=on_dead_letter))
    service = EpisodeService(settings, ctx, base, idle_timeout=options.idle_timeout, step_timeout=options.step_timeout)
    try:
        try:
            await asyncio.wait_for(start_bus(broker, stream_replicas=settings.stream_replicas), settings.nats_connect_timeout)
        except (Exception, TimeoutError) as exc:
            reason = f"no answer in {settings.nats_connect_timeout:g} s" if isinstance(exc, TimeoutError) else describe_error(exc)
            raise RunError(f"cannot use NATS at {nats_url}: {reason}") from exc
        recorder.start()
        if settings.nats_url is not None:  # workers elsewhere publish too: learn their events as they go by
            from actors.cache import feed_from_stream

            await feed_from_stream(broker.config.connection_state.connection, ctx.cache)
        await service.start()
        yield service
        from cove.run import _recorder_caught_up

        await _recorder_caught_up(broker, timeout=2 * ACK_WAIT + 5)  # a graceful stop leaves events.db complete (a dead process's unacked events come back after ack_wait)
    finally:
        await service.stop()
        await stop_bus(broker)
        await recorder.stop()


@asynccontextmanager
async def _http(service: EpisodeService, listener: socket.socket) -> AsyncIterator[tuple[object, asyncio.Task]]:
    import uvicorn

    from cove.serve_api import build_app

    config = uvicorn.Config(build_app(service), log_level="warning", lifespan="off", access_log=False, timeout_keep_alive=30)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[listener]), name="serve-http")
    try:
        yield server, task
    finally:
        server.should_exit = True
        try:
            await task
        except BaseException:  # noqa: BLE001 - the server is going away either way
            pass
