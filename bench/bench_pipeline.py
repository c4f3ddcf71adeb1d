"""The actor pipeline over a real nats-server: throughput, model-call concurrency, scaling, memory.

(a) dialogues/s with the zero-latency scripted models, everything in one process;
(b) models behind an OpenAI-compatible HTTP server answering after 200 ms, 64 dialogues in flight:
    achieved model calls/s against the ideal 64 / 0.2 s = 320/s;
(c) 1 vs 2 `cove worker agent` processes when the agent is the bottleneck;
(d) resident memory per worker type, and RSS over a long run (flat = no leak).
(l) CPU per model call on litellm's path alone (the floor under (b)), and a scripted model's called in process;
(p) CPU per dialogue, all processes (nats-server included), start-up excluded: `cove run` as a fresh
    process at two sizes, the difference divided by the difference in dialogues; scripted models in
    process, and through litellm as they were called before.
`python -m bench.bench_pipeline [l|p|a|b|c|d] [--long]`; `--long` runs (d) over 5,000 dialogues.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import median, row

REPO = Path(__file__).resolve().parents[1]
SERVER_SCRIPT = """
import json, sys, time
sys.path.insert(0, {repo!r})
from tests.openai_server import OpenAIServer, Reply
from actors.scripted.relay import ScriptedRelay
relay = ScriptedRelay()

def script(request):
    if request.get("model") == "bench-echo":
        return Reply(content="ok")
    params = {{"seed": request.get("seed"), "error_rate": 0.0}}
    message = relay(request["messages"], request.get("tools"), params)
    return Reply(content=message.get("content"), tool_calls=tuple(message.get("tool_calls") or ()), finish_reason="tool_calls" if message.get("tool_calls") else "stop").after({latency})

server = OpenAIServer(script).start()
print(server.url, flush=True)
sys.stdin.read()
"""


def _settings(out: Path, **overrides):
    from cove.settings import RunSettings

    values = dict(domain="retail", count=120, seed=11, concurrency=32, out=out, progress=False, scripted_error_rate=0.0)
    values.update(overrides)
    return RunSettings(**values)


def _run(settings) -> dict:
    from cove.run import run_dialogues

    return asyncio.run(run_dialogues(settings))


def bench_throughput(repeats: int = 3) -> list[dict]:
    """(a) dialogues/s, scripted models: all actors in one process, then in two (`--processes 2`)."""
    rows = []
    for processes, count in ((1, 120), (2, 300)):
        rates, events, cpu = [], [], []
        for index in range(repeats):
            with tempfile.TemporaryDirectory() as tmp:
                before = _cpu_seconds()
                summary = _run(_settings(Path(tmp), seed=20 + index, count=count, processes=processes))
                cpu.append((_cpu_seconds() - before) / summary["dialogues"] * 1000)
                rates.append(summary["timings"]["dialogues_per_second"])
                events.append(_events_per_dialogue(Path(tmp) / "events.db"))
        rows.append(row(f"pipeline dialogues/s, scripted models, {_processes(processes)}", median(rates), "dialogues/s", ">= 50/s", f"retail, {count} dialogues x {repeats}, 32 in flight, {median(events):.0f} events and {median(cpu):.0f} ms CPU per dialogue (all processes, nats-server included), start-up included"))
    return rows


CPU_SIZES = (20, 220)  # dialogues in the short and the long run; the difference is 200 steady-state dialogues


def bench_cpu_per_dialogue(repeats: int = 3) -> list[dict]:
    """(p) ms of CPU per dialogue in every process of `cove run` (itself, nats-server), start-up excluded."""
    rows = []
    for label, via_litellm in (("scripted models in process", "0"), ("scripted models through litellm", "1")):
        costs = []
        for index in range(repeats):
            cpu = {}
            for count in CPU_SIZES:
                with tempfile.TemporaryDirectory() as tmp:
                    cpu[count] = _cove_run_cpu(Path(tmp) / "out", count, seed=30 + index, via_litellm=via_litellm)
            costs.append((cpu[CPU_SIZES[1]] - cpu[CPU_SIZES[0]]) / (CPU_SIZES[1] - CPU_SIZES[0]) * 1000)
        low, high = min(costs), max(costs)
        rows.append(row(f"CPU per dialogue, all processes, {label}", median(costs), "ms/dialogue", "<= 25 ms", f"retail, one process, 32 in flight, error rate 0; `cove run` {CPU_SIZES[1]} minus {CPU_SIZES[0]} dialogues (start-up excluded), nats-server included; {low:.1f}-{high:.1f} over {repeats} seeds"))
    return rows


def _cove_run_cpu(out: Path, count: int, seed: int, via_litellm: str) -> float:
    """CPU seconds of one `cove run` and every process it started and reaped (nats-server)."""
    import resource

    from cove.actor_setup import SCRIPTED_VIA_LITELLM

    env = {**os.environ, "COVE_LOG_LEVEL": "WARNING", SCRIPTED_VIA_LITELLM: via_litellm}
    command = [sys.executable, "-m", "cove.cli", "run", "--domain", "retail", "--count", str(count), "--seed", str(seed),
               "--concurrency", "32", "--scripted-error-rate", "0", "--no-progress", "--out", str(out)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"cove run failed: {done.stderr[-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _processes(count: int) -> str:
    return "one process" if count == 1 else f"{count} processes"


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (helpers, nats-server)."""
    import resource

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def bench_model_call_cost(calls: int = 400) -> list[dict]:
    """CPU per model call on litellm's path alone: a scripted model that answers at once, and an HTTP server."""
    from actors.llm import ModelClient, ModelSettings, register_scripted_model

    register_scripted_model("bench-echo", lambda messages, tools, params: {"content": "ok"})
    messages = [{"role": "user", "content": "hello"}]

    def cost(client) -> float:
        async def go(n: int) -> None:
            for index in range(n):
                await client.complete(messages, seed=index)

        asyncio.run(go(20))  # warm: imports, first connection
        started = time.process_time()
        asyncio.run(go(calls))
        return (time.process_time() - started) / calls * 1000

    scripted = cost(ModelClient("agent", ModelSettings(model="cove/bench-echo", scripted_via_litellm=True)))
    in_process = cost(ModelClient("agent", ModelSettings(model="cove/bench-echo")))
    server = _ModelServer(0.0)
    try:
        http = cost(ModelClient("user", ModelSettings(model="openai/bench-echo", api_base=server.url, api_key_env="COVE_BENCH_KEY")))
    finally:
        server.close()
    return [
        row("litellm CPU per call, scripted model (its custom provider, in process)", scripted, "ms/call", "", f"what each scripted call cost before they were called in process (COVE_SCRIPTED_VIA_LITELLM=1 still does): ~14 calls per dialogue, ~{14 * scripted:.0f} ms"),
        row("model client CPU per call, scripted model called in process", in_process, "ms/call", "", "what `cove/` models cost now: no litellm"),
        row("litellm CPU per call, OpenAI-compatible HTTP", http, "ms/call", "", f"client side only; the floor under (b): 320 calls/s need {320 * http / 1000:.1f} cores for litellm alone"),
    ]


def _events_per_dialogue(path: Path) -> float:
    import sqlite3

    events, dialogues = sqlite3.connect(path).execute("SELECT count(*), count(DISTINCT dialogue_id) FROM events").fetchone()
    return events / dialogues


class _ModelServer:
    """The scripted agent and user behind a local OpenAI-compatible HTTP server that answers after `latency` s."""

    def __init__(self, latency: float) -> None:
        self.process = subprocess.Popen([sys.executable, "-c", SERVER_SCRIPT.format(repo=str(REPO), latency=latency)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.url = self.process.stdout.readline().strip()
        os.environ["COVE_BENCH_KEY"] = "sk-local-bench"

    def role(self, model: str, concurrency: int):
        from cove.settings import RoleSettings

        return RoleSettings(model=model, api_base=self.url, api_key_env="COVE_BENCH_KEY", concurrency=concurrency, timeout=30.0)

    def cpu_seconds(self) -> float | None:
        """CPU time the server process has used so far (Linux /proc), None where that cannot be read."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
        except (OSError, ValueError, IndexError):
            return None

    def close(self) -> None:
        self.process.stdin.close()
        self.process.terminate()
        self.process.wait(10)


def bench_model_latency() -> list[dict]:
    """(b) model calls/s through litellm over HTTP with 200 ms latency and 64 dialogues in flight, 1 and 2 processes."""
    server = _ModelServer(0.2)
    rows = []
    try:
        for processes in (1, 2):
            with tempfile.TemporaryDirectory() as tmp:
                settings = _settings(Path(tmp), count=192 * processes, concurrency=64, processes=processes, agent=server.role("openai/bench-agent", 128), user=server.role("openai/bench-user", 128))
                started, cpu, served = time.monotonic(), _cpu_seconds(), server.cpu_seconds()
                summary = _run(settings)
                elapsed, cpu = time.monotonic() - started, _cpu_seconds() - cpu
                calls = _model_calls(Path(tmp) / "events.db")
                after = server.cpu_seconds()
            rate = calls / summary["timings"]["seconds"]
            per_call = cpu / calls * 1000
            ceiling = ""
            if served is not None and after is not None:
                server_per_call = (after - served) / calls * 1000
                # what 2 cores could do if every cycle went to calls: the machine's CPU over the CPU one call costs everywhere
                ceiling = f"; the model server {server_per_call:.1f} ms: at {per_call + server_per_call:.1f} ms per call, 2 cores cap the rate at {2000 / (per_call + server_per_call):.0f}/s ({2000 / (per_call + server_per_call) / 320:.0%})"
            rows.append(row(f"model calls/s, 200 ms latency server, 64 in flight, {_processes(processes)}", rate, "calls/s", ">= 288/s (90% of 320)", f"{rate / 320:.0%} of ideal; {calls} calls, {summary['dialogues']} dialogues in {elapsed:.1f} s; {per_call:.1f} ms CPU per call in cove's processes and nats-server (litellm's share: row l){ceiling}"))
    finally:
        server.close()
    return rows


def _model_calls(path: Path) -> int:
    import sqlite3

    return sqlite3.connect(path).execute("SELECT count(*) FROM events WHERE type IN ('agent_spoke', 'user_spoke') AND payload LIKE '%\"call\":{%'").fetchone()[0]


def _start_workers(url: str, actors: list[str], *extra: str, concurrency: int = 32) -> list[subprocess.Popen]:
    env = {**os.environ, "COVE_LOG_LEVEL": "WARNING"}
    command = [sys.executable, "-m", "cove.cli", "worker"]
    options = ["--nats-url", url, "--concurrency", str(concurrency), "--scripted-error-rate", "0", *extra]
    return [subprocess.Popen([*command, actor, *options], env=env) for actor in actors]


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(30)


AGENT_SLOTS = 4  # model calls one agent worker keeps in flight (its --concurrency)


def bench_agent_scaling() -> list[dict]:
    """(c) dialogues/s with 1 vs 2 `cove worker agent` processes when the agent is the bottleneck.

    The agent's model answers over HTTP after 200 ms and each agent worker keeps at most
    AGENT_SLOTS calls in flight, as a worker with a per-replica rate or connection limit does; the
    user simulator (scripted, in the controller) and everything else have room to spare, so the
    agent's capacity decides the rate. Scaling out adds agent capacity: the rate should double.
    """
    from actors.natsserver import EmbeddedNats

    rates = {}
    server = _ModelServer(0.2)
    try:
        for replicas in (1, 2):
            with tempfile.TemporaryDirectory() as tmp, EmbeddedNats(Path(tmp) / "nats") as nats:
                agent = ("--agent-model", "openai/bench-agent", "--agent-base-url", server.url, "--agent-api-key-env", "COVE_BENCH_KEY")
                workers = _start_workers(nats.url, ["agent"] * replicas, *agent, concurrency=AGENT_SLOTS)
                try:
                    settings = _settings(Path(tmp) / "out", count=100, concurrency=32, nats_url=nats.url, actors=("sampler", "fuzzifier", "user", "executor", "verifier"), agent=server.role("openai/bench-agent", AGENT_SLOTS))
                    rates[replicas] = _run(settings)["timings"]["dialogues_per_second"]
                finally:
                    _stop(workers)
    finally:
        server.close()
    return [row("agent workers: 2 vs 1 (agent-bound)", rates[2] / rates[1], "x speed-up", "> 1.6", f"1 worker {rates[1]:.2f}/s, 2 workers {rates[2]:.2f}/s; each worker {AGENT_SLOTS} model calls in flight, 200 ms per call")]


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def bench_memory(long: bool = False) -> list[dict]:
    """(d) RSS of each worker type after a run, and RSS growth across a long run."""
    from actors.natsserver import EmbeddedNats

    actors = ["sampler", "fuzzifier", "user", "agent", "executor", "verifier"]
    count = 5000 if long else 600
    rows = []
    with tempfile.TemporaryDirectory() as tmp, EmbeddedNats(Path(tmp) / "nats") as server:
        workers = _start_workers(server.url, actors)
        try:
            samples: dict[str, list[float]] = {actor: [] for actor in actors}

            def sample(_progress) -> None:
                if _progress.done % max(1, count // 10) == 0:
                    for actor, process in zip(actors, workers):
                        samples[actor].append(_rss_mb(process.pid))

            from cove.run import run_dialogues

            settings = _settings(Path(tmp) / "out", count=count, concurrency=48, nats_url=server.url, actors=())
            asyncio.run(run_dialogues(settings, sample))
        finally:
            for actor, process in zip(actors, workers):
                samples[actor].append(_rss_mb(process.pid))
            _stop(workers)
    for actor in actors:
        values = samples[actor]
        middle = values[len(values) // 2] if values else float("nan")
        rows.append(row(f"RSS of `cove worker {actor}`", values[-1], "MB", "", f"after {count} dialogues; mid-run {middle:.0f} MB, growth second half {values[-1] - middle:+.1f} MB"))
    return rows


def run(long: bool = False, parts: str = "lpabcd") -> list[dict]:
    rows = []
    for part, function in (("l", bench_model_call_cost), ("p", bench_cpu_per_dialogue), ("a", bench_throughput), ("b", bench_model_latency), ("c", bench_agent_scaling)):
        if part in parts:
            rows += function()
    if "d" in parts:
        rows += bench_memory(long)
    return rows


if __name__ == "__main__":
    arguments = [a for a in sys.argv[1:] if not a.startswith("--")]
    for line in run(long="--long" in sys.argv, parts="".join(arguments) or "lpabcd"):
        print(json.dumps(line))
