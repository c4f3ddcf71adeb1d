"""Certificates: what the content chain costs an export, and how fast released rows and a store with its manifest re-verify.

Measured on a real run (`cove run` in-process: embedded nats-server, scripted models, the default retail sandbox).
`python -m bench.bench_certificates [COUNT]`.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

from bench.common import median, row
from cove.audit import StoreAuditor
from cove.certificates import RowBases, RowVerifier
from cove.run import run_dialogues
from cove.settings import RunSettings
from store.eventlog import EventStore
from store.manifest import read_manifest


def _rate(count: int, function, repeats: int = 3) -> float:
    """Items per second: the median over `repeats` runs of `function`, which handles `count` items."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return count / median(times)


def _audit_all(auditor: StoreAuditor, ids: list[str]) -> None:
    results = [auditor.audit(dialogue_id) for dialogue_id in ids]
    assert all(result.ok for result in results), [result.problems for result in results if not result.ok][:2]


def run(count: int = 60) -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        asyncio.run(run_dialogues(RunSettings(domain="retail", count=count, seed=1, concurrency=8, out=out, progress=False)))
        rows = [json.loads(line) for line in (out / "sft.jsonl").read_text().splitlines()]
        manifest = read_manifest(out / "manifest.json")
        with EventStore(out / "events.db", readonly=True) as store:
            ids = store.all_dialogue_ids()
            events = sum(head.events for head in manifest.heads.values())
            heads_ms = 1000 / _rate(len(ids), store.content_heads)
            alone = RowVerifier(RowBases([]))
            alone.bases.default("retail")  # generated once per command, as in `cove verify --rows`
            with_store = RowVerifier(RowBases([], store), store, manifest)
            rows_alone = _rate(len(rows), lambda: [alone.verify(n, r) for n, r in enumerate(rows, 1)])
            rows_store = _rate(len(rows), lambda: [with_store.verify(n, r) for n, r in enumerate(rows, 1)])
            plain = _rate(len(ids), lambda: _audit_all(StoreAuditor(store), ids))
            held = _rate(len(ids), lambda: _audit_all(StoreAuditor(store, manifest), ids))
    note = f"{len(ids)} dialogues, {events} events, {len(rows)} sft rows"
    return [
        row("content-chain heads of a store (export, manifest)", heads_ms, "ms/dialogue", "", note),
        row("verify --rows from the rows alone", rows_alone, "rows/s", "", "certificate, replay on the embedded sandbox, fresh verdict"),
        row("verify --rows with the store and manifest", rows_store, "rows/s", "", "also the store's head and its export of each row"),
        row("verify a store without / with its manifest", plain, "dialogues/s", "", f"with the manifest: {held:,.0f} dialogues/s"),
    ]


if __name__ == "__main__":
    for line in run(*(int(arg) for arg in sys.argv[1:])):
        print(line)
