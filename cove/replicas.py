"""Actor replicas: serve actor types against a shared NATS, in this process or in helper processes.

`cove worker ACTOR` serves one actor type; `cove run --processes N` starts N-1 helper processes
that each serve every actor type the controller runs, so one machine's cores share the work. All
replicas of an actor type pull from one durable consumer, so any of them may take any trigger,
and the results do not depend on how many there are.

A helper gets its settings on standard input (NATS secrets included, so they never appear in a
command line or a file), says "ready" on standard output once its consumers pull, and stops on
SIGTERM, or when its standard input closes because the controller that started it is gone (on Linux
the kernel kills it with the controller, even one killed with -9).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Any

import structlog

from cove.settings import RunSettings
from domains.state import Database

log = structlog.get_logger(__name__)


async def serve_actors(
    settings: RunSettings, stop: asyncio.Event, auth: dict[str, Any], *, slots: int | None = None,
    on_ready: Callable[[], None] | None = None, base: Database | None = None,
) -> None:  # fmt: skip
    """Serve `settings.actors` on `settings.nats_url` until `stop` is set (OSError if NATS is unreachable).

    `slots`: triggers each actor type handles at once here; default: as `cove run` does (see `handler_slots`).
    `on_ready` is called once the consumers are pulling. `base`: the database, if already loaded.
    """
    from actors.bus import make_broker, start_bus, stop_bus
    from actors.cache import feed_from_stream
    from cove.actor_setup import include_actor_types, start_up_frozen
    from cove.preflight import load_base

    base = base if base is not None else load_base(settings)
    actors = settings.actors
    broker = make_broker(settings.nats_url, name=f"cove-{'+'.join(actors)}-{os.getpid()}", **auth)
    ctx = include_actor_types(settings, broker, base, slots=slots)
    try:
        await asyncio.wait_for(start_bus(broker, stream_replicas=settings.stream_replicas), settings.nats_connect_timeout)
    except TimeoutError:
        raise OSError(f"no answer in {settings.nats_connect_timeout:.0f} s") from None
    try:
        await feed_from_stream(broker.config.connection_state.connection, ctx.cache)
        log.info("replica_started", actors=",".join(actors), nats_url=settings.nats_url, base=base.content_hash[:12], pid=os.getpid())
        if on_ready is not None:
            on_ready()
        with start_up_frozen():
            await stop.wait()
    finally:
        await stop_bus(broker)
    log.info("replica_stopped", actors=",".join(actors), cache_hits=ctx.cache.hits, cache_misses=ctx.cache.misses)


def _settings_message(settings: RunSettings) -> str:
    """One JSON line: the settings, with the NATS secrets revealed (it only ever travels through a pipe)."""
    auth = settings.nats_auth
    secrets = {name: value.get_secret_value() for name in ("password", "token") if (value := getattr(auth, name)) is not None}
    return json.dumps({"settings": settings.model_dump(mode="json", exclude={"nats_auth"}), "nats_auth": auth.model_dump(mode="json") | secrets}) + "\n"


READY = "ready"


def _read_line(process: subprocess.Popen, timeout: float) -> str:
    """One line of the process's standard output, or "" after `timeout` seconds or at its end."""
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return lines[0] if lines else ""


def _forward_to_stderr(stream) -> None:
    for line in stream:
        sys.stderr.write(line)


class HelperProcesses:
    """Helper processes serving `settings.actors` beside the controller: `start`, `wait_ready`, `stop` (reaps them)."""

    def __init__(self, settings: RunSettings, count: int) -> None:
        self.settings, self.count = settings, count
        self.processes: list[subprocess.Popen] = []

    def start(self) -> None:
        """Start the helpers; on Linux each is killed when this thread ends, even by kill -9 (start them from the main thread)."""
        from actors.natsserver import die_with_parent

        env = {**os.environ, "COVE_LOG_LEVEL": os.environ.get("COVE_LOG_LEVEL", "ERROR")}  # as the controller logs
        message = _settings_message(self.settings)
        for _ in range(self.count):
            # SIGKILL: a helper holds nothing a redelivery does not recover, and its NATS may be gone with the controller
            process = subprocess.Popen([sys.executable, "-m", "cove.replicas"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True, preexec_fn=die_with_parent(signal.SIGKILL))
            process.stdin.write(message)
            process.stdin.flush()  # kept open: its end tells the helper that the controller is gone
            self.processes.append(process)
        log.info("helpers_started", count=self.count, pids=[p.pid for p in self.processes])

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Block until every helper's consumers pull (RuntimeError if one exits or stays silent)."""
        for process in self.processes:
            line = _read_line(process, timeout)
            if line.strip() != READY:
                code = process.poll()
                raise RuntimeError(f"helper process {process.pid} did not start" + (f" (exit code {code})" if code is not None else f" within {timeout:.0f} s"))
            # anything it prints later goes to our stderr, so a full pipe can never block it
            threading.Thread(target=_forward_to_stderr, args=(process.stdout,), daemon=True).start()

    def stop(self, timeout: float = 30.0) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stdin is not None:
                process.stdin.close()
        self.processes.clear()


def serve_until_stopped(
    settings: RunSettings, auth: dict[str, Any], *, slots: int | None = None,
    on_ready: Callable[[], None] | None = None, until_end_of_input: bool = False, base: Database | None = None,
) -> int:  # fmt: skip
    """Serve until SIGTERM or Ctrl-C (or the end of standard input); exit code 2 if NATS cannot be reached."""

    async def serve() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        if until_end_of_input:

            def wait_for_end_of_input() -> None:
                sys.stdin.read()
                loop.call_soon_threadsafe(stop.set)

            threading.Thread(target=wait_for_end_of_input, daemon=True).start()
        await serve_actors(settings, stop, auth, slots=slots, on_ready=on_ready, base=base)

    from actors.stream import JetStreamMissingError, StreamReplicasError

    try:
        asyncio.run(serve())
    except StreamReplicasError as exc:
        print(f"cove: error: {exc}", file=sys.stderr)
        return 2
    except JetStreamMissingError as exc:
        print(f"cove: error: cannot use NATS at {settings.nats_url}: {exc}", file=sys.stderr)
        return 2
    except (OSError, TimeoutError) as exc:
        from cove.preflight import describe_error

        print(f"cove: error: cannot reach NATS at {settings.nats_url}: {describe_error(exc)}", file=sys.stderr)
        return 2
    return 0


def main() -> int:
    """A helper process: read the settings line, serve until SIGTERM or the end of standard input."""
    from actors.natsauth import NatsAuth
    from cove.logs import configure_logging

    configure_logging(os.environ.get("COVE_LOG_LEVEL", "WARNING"))
    message = json.loads(sys.stdin.readline())
    settings = RunSettings.model_validate(message["settings"] | {"nats_auth": NatsAuth.model_validate(message["nats_auth"])})
    ready = lambda: print(READY, flush=True)  # noqa: E731
    return serve_until_stopped(settings, settings.nats_auth.connect_kwargs(), on_ready=ready, until_end_of_input=True)


if __name__ == "__main__":
    sys.exit(main())
