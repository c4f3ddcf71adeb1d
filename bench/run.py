"""Run every benchmark in bench/ and print one table: `python -m bench.run`."""

from __future__ import annotations

import importlib
import math
import sys
import time

BENCHMARKS = ["bench.bench_replay", "bench.bench_sampler", "bench.bench_verify", "bench.bench_certificates", "bench.bench_store", "bench.bench_talk", "bench.bench_confusion", "bench.bench_pipeline", "bench.bench_cluster", "bench.bench_report"]


def main(selected: list[str]) -> int:
    rows = []
    for module_name in BENCHMARKS:
        if selected and not any(name in module_name for name in selected):
            continue
        start = time.perf_counter()
        try:
            module = importlib.import_module(module_name)
            rows.extend(module.run())
        except Exception as exc:  # one broken benchmark must not hide the others
            rows.append({"benchmark": module_name, "median": math.nan, "unit": "", "target": "", "note": f"FAILED: {exc!r}"})
        print(f"# {module_name}: {time.perf_counter() - start:.1f} s", file=sys.stderr)
    width = max(len(r["benchmark"]) for r in rows) if rows else 10
    print(f"{'benchmark':<{width}}  {'median':>12}  {'unit':<16} {'target':<12} note")
    for r in rows:
        print(f"{r['benchmark']:<{width}}  {r['median']:>12,.3f}  {r['unit']:<16} {r.get('target', ''):<12} {r.get('note', '')}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
