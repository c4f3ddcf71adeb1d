"""Micro benchmarks of the SQLite event store: append (batched, one by one) and read + parse.

    python bench/bench_store.py

Synthetic dialogues of 20 realistic events (task, fuzzified instruction, turns with tool calls and
model-call records, end, verdict); each figure is the median of 5 runs on a fresh file in a temp dir.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from events import (
    AgentSpoke,
    DialogueEnded,
    DialogueVerified,
    Event,
    InstructionFuzzified,
    ModelCall,
    TaskSampled,
    TerminationReason,
    TokenUsage,
    ToolCallRequest,
    ToolCalled,
    ToolReturned,
    UserSpoke,
)
from store import EventStore

RUNS = 5
DIALOGUES = 1_000
EVENTS_PER_DIALOGUE = 20
BATCH_SIZE = 500
ONE_BY_ONE_DIALOGUES = 100


def synthetic_dialogue(dialogue_id: str, n_events: int = EVENTS_PER_DIALOGUE) -> list[Event]:
    """A dialogue of `n_events` events shaped like a real one."""
    call = ModelCall(model="openai/gpt-4.1-mini", parameters={"temperature": 0.0},
                     usage=TokenUsage(prompt_tokens=1800, completion_tokens=60, total_tokens=1860),
                     cost_usd=0.0008, latency_s=1.1)
    arguments = '{"order_id": "#W2378156"}'
    turn = [
        lambda **e: UserSpoke(**e, content="I would like to return the kettle I bought.", call=call),
        lambda **e: AgentSpoke(**e, call=call, tool_calls=[
            ToolCallRequest(id=f"call_{e['seq']}", name="get_order_details", arguments=arguments)]),
        lambda **e: ToolCalled(**e, call_id=f"call_{e['seq'] - 1}", name="get_order_details",
                               arguments=arguments),
        lambda **e: ToolReturned(**e, call_id=f"call_{e['seq'] - 2}", name="get_order_details",
                                 mutates_state=False,
                                 content='{"order_id": "#W2378156", "status": "delivered", '
                                         '"items": [{"name": "Electric Kettle", "price": 98.5}]}'),
        lambda **e: AgentSpoke(**e, content="Your order #W2378156 was delivered. Shall I proceed?",
                               call=call),
    ]

    def envelope(seq: int) -> dict:
        return {"dialogue_id": dialogue_id, "seq": seq, "time": 1_750_000_000.0 + seq,
                "actor": "bench"}

    events: list[Event] = [
        TaskSampled(**envelope(0), domain="retail", seed=7, base_db_hash="b" * 64,
                    task={"task_id": dialogue_id, "user_id": "mia_li_3668",
                          "constraints": [{"type": "return_items", "order_id": "#W2378156"}],
                          "instruction": "Return the kettle."},
                    config={"max_turns": 30}),
        InstructionFuzzified(**envelope(1), instruction="Return the kettle from my last order.",
                             descriptions={"#W2378156": "my last order"}, fuzz_level="medium"),
    ]
    events += [turn[(seq - 2) % len(turn)](**envelope(seq)) for seq in range(2, n_events - 2)]
    events += [
        DialogueEnded(**envelope(n_events - 2), reason=TerminationReason.USER_STOP),
        DialogueVerified(**envelope(n_events - 1), verifier_version="1",
                         verdict={"score": 1.0, "scored": True, "attribution": None}),
    ]
    return events


def interleaved(dialogues: list[list[Event]]) -> list[Event]:
    """All events in the order many concurrent dialogues would produce them."""
    return [event for step in zip(*dialogues, strict=True) for event in step]


def median_rate(measure: Callable[[], tuple[int, float]], *, warm_up: bool = False) -> float:
    """Median events per second of `measure() -> (events, seconds)` over RUNS runs."""
    if warm_up:
        measure()
    rates = []
    for _ in range(RUNS):
        count, seconds = measure()
        rates.append(count / seconds)
    return statistics.median(rates)


def timed(action: Callable[[], int]) -> tuple[int, float]:
    start = time.perf_counter()
    count = action()
    return count, time.perf_counter() - start


def run() -> list[dict]:
    """Benchmark rows: {"benchmark", "median", "unit"}."""
    dialogues = [synthetic_dialogue(f"bench-{index:05d}") for index in range(DIALOGUES)]
    stream = interleaved(dialogues)
    few = interleaved(dialogues[:ONE_BY_ONE_DIALOGUES])
    batches = [stream[i : i + BATCH_SIZE] for i in range(0, len(stream), BATCH_SIZE)]

    def append_batched() -> tuple[int, float]:
        with tempfile.TemporaryDirectory() as directory:
            with EventStore(Path(directory) / "events.db") as store:
                return timed(lambda: sum(store.append(batch).inserted for batch in batches))

    def append_one_by_one() -> tuple[int, float]:
        with tempfile.TemporaryDirectory() as directory:
            with EventStore(Path(directory) / "events.db") as store:
                return timed(lambda: sum(store.append([event]).inserted for event in few))

    appends = [median_rate(append_batched), median_rate(append_one_by_one)]
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "events.db"
        with EventStore(path) as store:
            store.append(stream)
        with EventStore(path, readonly=True) as store:
            ids = store.dialogue_ids()
            reads = [
                median_rate(lambda: timed(lambda: sum(1 for _ in store.iter_events())),
                            warm_up=True),
                median_rate(lambda: timed(lambda: sum(len(store.events(id_)) for id_ in ids)),
                            warm_up=True),
                median_rate(lambda: timed(lambda: 0 if store.verify_all_chains() else len(stream)),
                            warm_up=True),
            ]

    n = f"{DIALOGUES} dialogues x {EVENTS_PER_DIALOGUE} events"
    return [
        {"benchmark": f"append, batches of {BATCH_SIZE}, interleaved ({n})",
         "median": round(appends[0]), "unit": "events/s"},
        {"benchmark": f"append one by one ({ONE_BY_ONE_DIALOGUES * EVENTS_PER_DIALOGUE} events)",
         "median": round(appends[1]), "unit": "events/s"},
        {"benchmark": f"read + parse all events, iter_events ({n})",
         "median": round(reads[0]), "unit": "events/s"},
        {"benchmark": f"read + parse per dialogue, events(id) ({n})",
         "median": round(reads[1]), "unit": "events/s"},
        {"benchmark": f"verify_all_chains ({n})", "median": round(reads[2]), "unit": "events/s"},
    ]


if __name__ == "__main__":
    for row in run():
        print(f"{row['benchmark']:<72} {row['median']:>10,} {row['unit']}")
