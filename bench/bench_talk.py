"""How the scripted user talks: 300 dialogues per domain (seed 11) on the default sandbox, error rate 0.

Targets (issue 11): at most 1% of user turns echo the scenario's wording (`actors.scripted.measure`),
at least 30 distinct confirmation phrasings, no user sentence above 2% of all user sentences, and
every dialogue still scoring 1.0. `python -m bench.bench_talk` prints the numbers and a few examples;
`python -m bench.bench_talk --store runs/x/events.db` measures a finished `cove run` the same way.
"""

from __future__ import annotations

import re
import sys

from actors.scripted.measure import TalkStats
from actors.scripted.simulate import simulate_task
from actors.view import scripted_acts
from bench.common import row
from domains.generators import generate_database
from domains.registry import domain_names, get_domain
from domains.sampling import sample_tasks
from events import UserSpoke

DIALOGUES = 300
SEED = 11


def goal_sentences(instruction: str) -> list[str]:
    return re.findall(r"^\s*\d+\.\s+(.+)$", instruction, re.MULTILINE)


def measure(domain: str, n: int = DIALOGUES, seed: int = SEED, db_seed: int = 0, scale: float = 1.0) -> tuple[dict, int]:
    """(talk statistics, dialogues that scored 1.0) over `n` simulated dialogues at error rate 0."""
    base = get_domain(domain).from_json(generate_database(domain, seed=db_seed, scale=scale), source=f"<generated {domain}>")
    stats, solved = TalkStats(), 0
    for index, task in enumerate(sample_tasks(domain, base, n, seed=seed, k_range="1-3").tasks):
        dialogue = simulate_task(task, base, seed=seed * 10_000 + index)
        solved += dialogue.score == 1.0
        spoken = [e for e in dialogue.events if isinstance(e, UserSpoke)]
        confirmations = [e.content for e in spoken if any(a.get("act") == "confirm" for a in scripted_acts(e) or [])]
        stats.add(goal_sentences(task.instruction), [e.content for e in spoken], confirmations)
    return stats.summary(), solved


def measure_store(path: str) -> tuple[dict, int, int]:
    """The same statistics over a finished run's event store (`cove run ... --out DIR`: DIR/events.db)."""
    from actors.view import DialogueView
    from store.eventlog import EventStore

    stats, solved, total = TalkStats(), 0, 0
    with EventStore(path, readonly=True) as store:
        for dialogue_id in store.dialogue_ids():
            view = DialogueView.of(store.events(dialogue_id))
            spoken = [e for e in view.events if isinstance(e, UserSpoke)]
            confirmations = [e.content for e in spoken if any(a.get("act") == "confirm" for a in scripted_acts(e) or [])]
            stats.add(goal_sentences(view.task.instruction), [e.content for e in spoken], confirmations)
            total += 1
            solved += bool(view.verified and view.verified.verdict.get("score") == 1.0)
    return stats.summary(), solved, total


def run() -> list[dict]:
    rows = []
    for domain in domain_names():
        summary, solved = measure(domain)
        rows += [
            row(f"scripted user {domain}: turns echoing the scenario", 100 * summary["echo_share"], "% of user turns", "<= 1%", f"{summary['user_turns']} turns"),
            row(f"scripted user {domain}: confirmation phrasings", summary["confirmation_phrasings"], "distinct", ">= 30"),
            row(f"scripted user {domain}: most frequent sentence", 100 * summary["top_sentence_share"], "% of sentences", "<= 2%", repr(summary["top_sentence"])),
            row(f"scripted pair {domain}: dialogues scoring 1.0 (error rate 0)", 100 * solved / DIALOGUES, "%", "100%"),
        ]
    return rows


if __name__ == "__main__":
    if sys.argv[1:2] == ["--store"]:
        summary, solved, total = measure_store(sys.argv[2])
        examples = summary.pop("echo_examples")
        print({**summary, "scored_1.0": f"{solved}/{total}"})
        for turn, reason in examples:
            print("   ECHO", reason, "|", turn)
        sys.exit(0)
    domains = sys.argv[1:] or domain_names()
    for name in domains:
        summary, solved = measure(name)
        examples = summary.pop("echo_examples")
        print(name, {**summary, "scored_1.0": solved})
        for turn, reason in examples:
            print("   ECHO", reason, "|", turn)
