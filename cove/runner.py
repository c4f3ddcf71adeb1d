"""The edges of `cove run` and `cove worker`: signals, progress display, clear errors, exit codes."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys

import structlog

from cove.settings import RunSettings

log = structlog.get_logger(__name__)


def _progress_display(settings: RunSettings):
    """A rich progress bar (done, passing, rejected, yield, tokens, cost, rate), or nothing when not wanted."""
    if not settings.progress or not sys.stderr.isatty():
        return None, None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[stats]}"),
        TimeElapsedColumn(),
        transient=False,
    )
    task = bar.add_task(settings.run_id, total=settings.count, stats="")

    def update(progress) -> None:
        stats = (
            f"pass {progress.passing}  rejected {progress.rejected}  yield {progress.yield_:.0%}  "
            f"tokens {progress.tokens:,}  ${progress.cost_usd:.4f}  {progress.rate:.1f}/s"
        )
        bar.update(task, completed=progress.done, stats=stats)

    return bar, update


def run_command(settings: RunSettings) -> int:
    """Run, print the summary; Ctrl-C drains the dialogues in flight, a second Ctrl-C aborts.

    Exit codes: 0 the run made what was asked (a continuous run stopped by Ctrl-C included), 1 it
    failed or stopped on a failure, 2 bad input (nothing was started), 130 interrupted before its end.
    """
    from cove.logs import configure_logging
    from cove.preflight import describe_error
    from cove.run import RunError, run_dialogues

    # errors only by default: what a run's failures mean is said in one line at its end, and every one is an event
    configure_logging(os.environ.get("COVE_LOG_LEVEL", "ERROR"))
    bar, update = _progress_display(settings)

    async def main() -> dict:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()

        def on_signal() -> None:
            if stop.is_set():
                raise KeyboardInterrupt
            print("cove: draining the dialogues in flight (Ctrl-C again to abort)", file=sys.stderr)
            stop.set()

        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, on_signal)
        return await run_dialogues(settings, update, stop)

    try:
        if bar is not None:
            with bar:
                summary = asyncio.run(main())
        else:
            summary = asyncio.run(main())
    except RunError as exc:
        print(f"cove: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"cove: aborted (`cove run --resume {settings.out}` finishes the run)", file=sys.stderr)
        return 130
    except Exception as exc:  # a failure mid-run (e.g. NATS lost for good): one line; the traceback at COVE_LOG_LEVEL=DEBUG
        log.debug("run_failed", exc_info=exc)
        print(f"cove: error: the run failed: {describe_error(exc)} (`cove run --resume {settings.out}` goes on from here)", file=sys.stderr)
        return 1
    return _report(settings, summary)


def _report(settings: RunSettings, summary: dict) -> int:
    """Print what the run made (or why it stopped) and return its exit code."""
    resume = f"`cove run --resume {settings.out}`"
    if summary["stopped_by"] in ("model_refused", "infrastructure_failures"):
        print(f"cove: error: {summary['stop_detail']}; run stopped after {summary['finished']} dialogue(s), fix it and {resume} goes on", file=sys.stderr)
        return 1
    brief = {k: summary[k] for k in ("run_id", "requested", "finished", "complete", "scored", "passing", "yield", "tokens", "cost_usd", "timings")}
    print(json.dumps(brief, indent=2))
    if summary["complete"]:
        print(f"wrote {settings.out}/sft.jsonl, rewards.jsonl, manifest.json, summary.json, events.db", file=sys.stderr)
        return 0
    if summary["stopped_by"] == "interrupted":
        print(f"cove: interrupted: {summary['finished']} of {summary['requested']} dialogue(s) finished, files written; {resume} finishes the run", file=sys.stderr)
        return 130
    print(f"cove: error: {summary['unfinished']} dialogue(s) unfinished; {resume} finishes them", file=sys.stderr)
    return 1


def worker_command(settings: RunSettings) -> int:
    """Serve one actor type until SIGTERM or Ctrl-C."""
    from actors.natsauth import NatsAuthError
    from cove.logs import configure_logging
    from cove.replicas import serve_until_stopped

    from cove.preflight import RunError, check_inputs

    configure_logging(os.environ.get("COVE_LOG_LEVEL", "INFO"))
    try:
        auth = settings.nats_auth.connect_kwargs()
        base = check_inputs(settings)
    except (NatsAuthError, RunError) as exc:
        print(f"cove: error: {exc}", file=sys.stderr)
        return 2
    return serve_until_stopped(settings, auth, slots=settings.concurrency, base=base)


def serve_command(settings: RunSettings, options) -> int:
    """Serve until SIGINT or SIGTERM; exit 0 then, 2 for input the service cannot use."""
    from cove.logs import configure_logging
    from cove.preflight import RunError
    from cove.serve_main import serving

    configure_logging(os.environ.get("COVE_LOG_LEVEL", "ERROR"))

    async def main() -> None:
        async with serving(settings, options) as server:
            print(f"cove serve: {settings.domain} episodes at {server.url} (OpenAPI page: {server.url}/docs; events in {settings.out / 'events.db'})", file=sys.stderr, flush=True)
            await server.wait_closed()

    try:
        asyncio.run(main())
    except RunError as exc:
        print(f"cove: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    return 0
