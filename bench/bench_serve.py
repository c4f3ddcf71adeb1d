"""`cove serve` under load: the time a step adds (p50, p99), steps/s and CPU per step, with 1 and with 256 episodes in flight.

The server runs as its own process (`cove serve`, embedded nats-server, scripted user simulator); this
process plays the policy with cove's scripted agent and times each HTTP step from request to answer, so
the policy's own time is not counted; the service's own step time (from its /metrics.json) is reported
beside it, and the CPU each process spent per step. Two loads:

- closed loop (`--think 0`): each episode steps again as soon as it has its answer. With N in flight a
  step then waits for the others' (Little's law: latency = N / steps-per-second): this measures the
  throughput and the queueing, not what a step adds;
- think time (`--think 1.5`): before each step the policy waits a seeded think time (lognormal, that
  mean), as an LLM's generation would, so the server sees a trainer's load; latency is then the time a
  step adds, as long as the machine is not saturated.

With a think time the episodes start spread over the first two think times (a trainer's batches arrive
over time too). At the deadline the episodes still open are abandoned (a run takes `--seconds`, steps
after it are not counted).

    python -m bench.bench_serve [--domain retail] [--inflight 1,256] [--seconds 30] [--think 0,1.5]
    python -m bench.bench_serve --equivalence 200     # 200 served episodes per domain vs `cove run`, same seed: same verdicts
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

SCALE, DB_SEED = 0.2, 1


async def start_server(out: Path, domain: str) -> tuple[asyncio.subprocess.Process, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cove.cli", "serve", "--domain", domain, "--scale", str(SCALE), "--db-seed", str(DB_SEED), "--port", "0", "--out", str(out),
        "--concurrency", "512", stderr=asyncio.subprocess.PIPE, env={**os.environ, "COVE_LOG_LEVEL": "ERROR"},
    )  # fmt: skip
    line = (await asyncio.wait_for(process.stderr.readline(), 120)).decode()
    if " at http://" not in line:
        raise RuntimeError(f"cove serve did not start: {line}")
    return process, line.split(" at ", 1)[1].split()[0]


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children still running (the embedded nats-server), from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total, pids = 0.0, [pid]
    while pids:
        current = pids.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
            pids += [int(c) for c in Path(f"/proc/{current}/task/{current}/children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total


def scripted_policy(domain: str):
    from cove.actor_setup import build_models
    from cove.settings import RunSettings

    client = build_models(RunSettings(domain=domain, actors=("agent",)))["agent"]

    async def policy(system_prompt: str, messages: list, tools: list, seed: int) -> dict:
        return (await client.complete([{"role": "system", "content": system_prompt}, *messages], tools, seed=seed)).message

    return policy


async def load(url: str, domain: str, inflight: int, seconds: float, seed: int, think: float = 0.0) -> dict:
    """Keep `inflight` episodes going for `seconds`; each step timed from request to answer.

    `think` (mean seconds, 0: none): before each step the policy also waits a seeded think time, as an LLM's
    generation would (lognormal, sigma 0.5); the server is then loaded as by a real trainer, not saturated.
    At the deadline the episodes still open are abandoned, so a run takes `seconds` and counts only steps in it.
    """
    import math
    import random

    policy = scripted_policy(domain)
    latencies: list[float] = []
    episodes, deadline = 0, time.monotonic() + seconds
    next_index = iter(range(10**9))
    sigma = 0.5
    mu = math.log(think) - sigma**2 / 2 if think > 0 else 0.0
    # one small client per 8 episodes: httpx scans its whole pool for every request, so one client of 256
    # connections spends more CPU than the server does per step, and its loop's lag would count as the server's
    clients = [httpx.AsyncClient(base_url=url, timeout=600, limits=httpx.Limits(max_connections=8, max_keepalive_connections=8)) for _ in range(0, inflight, 8)]
    async with contextlib.AsyncExitStack() as stack:
        for each in clients:
            await stack.enter_async_context(each)

        async def worker(number: int) -> None:
            nonlocal episodes
            client = clients[number // 8]
            thinking = random.Random(f"{seed}:{number}")
            await asyncio.sleep(thinking.uniform(0, 2 * think))  # episodes start spread over two think times, not all at once
            while time.monotonic() < deadline:
                [observation] = (await client.post("/episodes", json={"seed": seed, "task_index": next(next_index)}, params={"with_acts": True})).json()
                messages, answer = list(observation["messages"]), observation
                while not answer["done"]:
                    message = await policy(observation["system_prompt"], messages, observation["tools"], answer["policy_seed"])
                    if think > 0:
                        await asyncio.sleep(thinking.lognormvariate(mu, sigma))
                    if time.monotonic() >= deadline:
                        await client.delete(f"/episodes/{observation['episode_id']}")
                        return
                    started = time.perf_counter()
                    response = await client.post(f"/episodes/{observation['episode_id']}/step", json={"message": message}, params={"with_acts": True})
                    latencies.append(time.perf_counter() - started)
                    answer = response.json()
                    messages += [m for m in [answer["recorded"], *answer["messages"]] if m is not None]
                episodes += 1

        started = time.monotonic()
        await asyncio.gather(*(worker(n) for n in range(inflight)))
        elapsed = time.monotonic() - started
        served = (await clients[0].get("/metrics.json")).json()  # the service's own step time: the last 4096 steps, request in to answer out
    latencies.sort()
    return {"inflight": inflight, "think_s": think, "episodes": episodes, "steps": len(latencies), "seconds": round(elapsed, 2), "steps_per_s": round(len(latencies) / elapsed, 1),
            "step_ms_p50": round(statistics.median(latencies) * 1000, 2), "step_ms_p99": round(latencies[int(0.99 * (len(latencies) - 1))] * 1000, 2),
            "service_step_ms_p50": served["step_ms_p50"], "service_step_ms_p99": served["step_ms_p99"]}  # fmt: skip


async def equivalence(count: int, domain: str, seed: int = 5) -> dict:
    """`count` served episodes (scripted agent as policy) against `cove run --count count --seed seed`: verdicts equal, ids aside."""
    from cove.run import run_dialogues
    from cove.settings import RunSettings
    from store.eventlog import EventStore

    folder = Path(tempfile.mkdtemp(prefix="cove-bench-serve-"))
    try:
        run = RunSettings(domain=domain, count=count, seed=seed, concurrency=32, out=folder / "run", scale=SCALE, db_seed=DB_SEED, progress=False)
        await run_dialogues(run)
        with EventStore(run.out / "events.db", readonly=True) as store:
            expected = [json.dumps(store.events(run.dialogue_id(i))[-1].verdict, sort_keys=True).replace(run.dialogue_id(i), "<d>") for i in range(count)]
        process, url = await start_server(folder / "serve", domain)
        policy = scripted_policy(domain)
        try:
            async with httpx.AsyncClient(base_url=url, timeout=600) as client:
                semaphore = asyncio.Semaphore(64)

                async def episode(index: int) -> str:
                    async with semaphore:
                        [observation] = (await client.post("/episodes", json={"seed": seed, "task_index": index}, params={"with_acts": True})).json()
                        messages, answer = list(observation["messages"]), observation
                        while not answer["done"]:
                            message = await policy(observation["system_prompt"], messages, observation["tools"], answer["policy_seed"])
                            answer = (await client.post(f"/episodes/{observation['episode_id']}/step", json={"message": message}, params={"with_acts": True})).json()
                            messages += [m for m in [answer["recorded"], *answer["messages"]] if m is not None]
                        return json.dumps(answer["verdict"], sort_keys=True).replace(observation["episode_id"], "<d>")

                served = await asyncio.gather(*(episode(i) for i in range(count)))
        finally:
            process.send_signal(signal.SIGTERM)
            await process.wait()
        same = sum(a == b for a, b in zip(served, expected, strict=True))
        return {"domain": domain, "episodes": count, "same_verdicts": same, "passing": sum('"score": 1.0' in v for v in expected)}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--domain", default="retail")
    parser.add_argument("--inflight", default="1,256")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--think", default="0", help="policy think time per step, mean seconds (comma-separated for several runs; 0: closed loop)")
    parser.add_argument("--equivalence", type=int, default=0, help="instead: this many served episodes per domain against `cove run`")
    args = parser.parse_args()
    if args.equivalence:
        for domain in ("retail", "airline"):
            print(json.dumps(await equivalence(args.equivalence, domain)))
        return
    runs = [(int(n), float(t)) for t in args.think.split(",") for n in args.inflight.split(",")]
    for inflight, think in runs:
        folder = Path(tempfile.mkdtemp(prefix="cove-bench-serve-"))
        process, url = await start_server(folder, args.domain)
        try:
            cpu, own = cpu_seconds(process.pid), cpu_seconds(os.getpid())
            result = await load(url, args.domain, inflight, args.seconds, seed=inflight, think=think)
            steps = max(1, result["steps"])
            result["server_cpu_ms_per_step"] = round((cpu_seconds(process.pid) - cpu) * 1000 / steps, 2)  # cove serve and its nats-server
            result["policy_cpu_ms_per_step"] = round((cpu_seconds(os.getpid()) - own) * 1000 / steps, 2)  # this process: the scripted policy and the HTTP client
            print(json.dumps({"domain": args.domain, **result}), flush=True)
        finally:
            process.send_signal(signal.SIGTERM)
            await process.wait()
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
