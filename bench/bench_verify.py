"""Verification speed: the 155 τ²-bench gold trajectories, and re-verification from an event store.

τ²-bench's own evaluator needs about 0.4 s per gold trajectory; the target is >= 1,000x faster.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from bench.common import TAU2_DIR, median, row
from cove.audit import audit_dialogue
from domains.registry import get_domain
from domains.tau2 import gold_calls, task_from_tau2
from domains.verification import DialogueRecord, RecordedCall, verify_dialogue
from store.eventlog import EventStore

TAU2_SECONDS = 0.4


def _gold_records():
    for domain in ("retail", "airline"):
        base = get_domain(domain).load(TAU2_DIR / domain / "db.json")
        toolkit = get_domain(domain).toolkit
        for tau2_task in json.loads((TAU2_DIR / domain / "tasks.json").read_text()):
            calls = gold_calls(tau2_task)
            if not calls:
                continue
            state = base.new_state()
            recorded = []
            for call in calls:
                outcome = toolkit.execute(state, call["name"], call["arguments"])
                recorded.append(RecordedCall(call["name"], call["arguments"], outcome.ok, outcome.content))
            info = " ".join(tau2_task["evaluation_criteria"].get("communicate_info") or [])
            yield domain, base, tau2_task, DialogueRecord(task_from_tau2(domain, tau2_task, base.content_hash), recorded, [info], [], "user_stop")


def _owner(base, calls) -> str | None:
    """The customer a retail gold trajectory serves: the user id or the order's owner in its first call that names one."""
    for call in calls:
        arguments = call["arguments"]
        if arguments.get("user_id"):
            return arguments["user_id"]
        order = base.tables["orders"].get(arguments.get("order_id", ""))
        if order:
            return order["user_id"]
    return None


def run(repeats: int = 5) -> list[dict]:
    if not TAU2_DIR.exists():
        return [row("verification", float("nan"), "ms", note=f"skipped: {TAU2_DIR} not found")]
    records = list(_gold_records())
    per_verdict = []
    for _ in range(repeats):
        for _, base, _, record in records:
            start = time.perf_counter()
            verify_dialogue(record, base)
            per_verdict.append(time.perf_counter() - start)
    gold_ms = median(per_verdict) * 1000

    from tests.dialogues import confirmed_turns, dialogue_events

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.db"
        with EventStore(path) as store:
            for index, (domain, base, tau2_task, record) in enumerate(records):
                store.put_base(base)
                calls = gold_calls(tau2_task)
                if domain == "retail" and calls and not calls[0]["name"].startswith("find_user_id"):  # a gold list may skip the lookup
                    owner = _owner(base, calls)
                    calls = [{"name": "find_user_id_by_email", "arguments": {"email": base.tables["users"][owner]["email"]}}] + calls if owner else calls
                turns = [("user", f"Hi, my user id is {record.task.user_id}.")] + confirmed_turns(domain, calls)
                turns += [("agent", record.agent_messages[0]), ("user", "###STOP###")]
                store.append(dialogue_events(f"d{index:04d}", record.task, base, turns))
        rates = []
        with EventStore(path, readonly=True) as store:
            ids = store.dialogue_ids()
            store.base(records[0][1].content_hash)  # warm the first base
            for _ in range(3):
                start = time.perf_counter()
                results = [audit_dialogue(store, dialogue_id) for dialogue_id in ids]
                rates.append(len(ids) / (time.perf_counter() - start))
                assert all(r.ok and r.verdict.score == 1.0 for r in results), [r.verdict.reasons for r in results if r.verdict.score != 1.0][:3]
    store_rate = median(rates)
    return [
        row(f"verify gold trajectory ({len(records)} τ²-bench tasks)", gold_ms, "ms/trajectory", "<= 0.4 ms", f"{TAU2_SECONDS * 1000 / gold_ms:,.0f}x faster than τ²-bench's evaluator"),
        row("re-verify from event store (chain + replay + verdict)", store_rate, "dialogues/s", "", f"{store_rate * TAU2_SECONDS:,.0f}x τ²-bench's rate; includes loading each base from the store"),
    ]


if __name__ == "__main__":
    for line in run():
        print(line)
