"""`cove report` on a 5,000-dialogue run: time to build the HTML, its size, and time to open it in Chromium.

The run (retail, seed 7, 5,000 dialogues, the default scripted error rate) takes about 10-15 minutes of
CPU to make, so it is made once, at low priority, and kept in the bench cache (`COVE_BENCH_CACHE`,
default /tmp/cove-bench-cache); an interrupted one is resumed. Opening is measured in headless Chromium
from navigation start to the page's `cove:ready` mark (the run, every chart and the dialogue list drawn,
filters usable), in a fresh browser context per load; `cove:details` is when the dialogues' details
have been inflated in the background (the first dialogue can be opened).
`python -m bench.bench_report [loads]`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import median, row

COUNT, SEED = 5000, 7
CACHE = Path(os.environ.get("COVE_BENCH_CACHE", Path(tempfile.gettempdir()) / "cove-bench-cache"))
RUN_DIR = CACHE / f"report-retail-{COUNT}-s{SEED}"


def cached_run() -> Path:
    """The 5,000-dialogue run folder, made (or finished) once at low priority."""
    summary = RUN_DIR / "summary.json"
    if summary.exists() and json.loads(summary.read_text()).get("complete"):
        return RUN_DIR
    if (RUN_DIR / "run.json").exists():
        args = ["run", "--resume", str(RUN_DIR)]
    else:
        RUN_DIR.parent.mkdir(parents=True, exist_ok=True)
        args = ["run", "--domain", "retail", "--count", str(COUNT), "--seed", str(SEED), "--concurrency", "32", "--no-progress", "--out", str(RUN_DIR)]
    print(f"# making the {COUNT}-dialogue run in {RUN_DIR} (once; ~10-15 min of CPU)", file=sys.stderr)
    subprocess.run(["nice", "-n", "10", sys.executable, "-m", "cove.cli", *args], check=True)
    return RUN_DIR


def chromium() -> str | None:
    return os.environ.get("COVE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


def open_times(path: Path, executable: str, loads: int) -> list[dict[str, float]]:
    """Per load, in a fresh context: ms from navigation start to the page's marks (cove:ready, cove:details), and
    the renderer's CPU seconds until the details are inflated (`cpu`; main thread: `main_thread_cpu`), which
    depend less than wall time on what else the machine runs."""
    from playwright.sync_api import sync_playwright

    times = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable)
        try:
            for _ in range(loads):
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                page = context.new_page()
                cdp = context.new_cdp_session(page)
                cdp.send("Performance.enable", {"timeDomain": "threadTicks"})
                page.goto(path.as_uri())
                page.wait_for_selector("body[data-details]", state="attached", timeout=120_000)
                metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
                marks = dict(page.evaluate("performance.getEntriesByType('mark').map(m => [m.name, m.startTime])"))
                times.append(marks | {"cpu": metrics["ProcessTime"], "main_thread_cpu": metrics["ThreadTime"]})
                context.close()
        finally:
            browser.close()
    return times


def run(loads: int = 7) -> list[dict]:
    from cove.report import gather_report
    from cove.report_page import render_report

    executable = chromium()
    run_dir = cached_run()
    start, cpu_start = time.perf_counter(), time.process_time()
    report = gather_report(run_dir)
    gathered = time.process_time() - cpu_start
    html = render_report(report)
    built, built_cpu = time.perf_counter() - start, time.process_time() - cpu_start
    out = Path(tempfile.mkdtemp()) / "report.html"
    out.write_text(html, encoding="utf-8")
    size_mb = out.stat().st_size / 1e6
    rows = [
        row("report: build the HTML of 5,000 dialogues (CPU)", built_cpu, "s", note=f"{gathered:.1f} s of it reading the store and replaying writes; {built:.1f} s wall; {size_mb:.1f} MB"),
    ]
    if executable is None:
        rows.append(row("report: open in Chromium", float("nan"), "ms", note="skipped: no chromium browser (apt-get install chromium)"))
        return rows
    load_before = os.getloadavg()[0]
    times = open_times(out, executable, loads)
    load = f"load average {load_before:.1f} -> {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    ready = [t["cove:ready"] for t in times]
    details = [t["cove:details"] for t in times]
    cpu = [t["cpu"] * 1000 for t in times]
    rows += [
        row("report: open 5,000 dialogues in Chromium until the charts and list are drawn (cove:ready)", median(ready), "ms", "< 3,000 ms",
            f"{loads} loads: {', '.join(f'{t:.0f}' for t in sorted(ready))}; {load}"),
        row("report: ... until the dialogues' details are inflated (cove:details)", median(details), "ms", "",
            f"{loads} loads: {', '.join(f'{t:.0f}' for t in sorted(details))}"),
        row("report: renderer CPU until the details are inflated", median(cpu), "ms", "",
            f"main thread {median([t['main_thread_cpu'] * 1000 for t in times]):.0f} ms"),
    ]
    shutil.rmtree(out.parent, ignore_errors=True)
    return rows


if __name__ == "__main__":
    for line in run(int(sys.argv[1]) if len(sys.argv) > 1 else 7):
        print(line)
