"""The verifier's confusion matrix: 1,000 dialogues per domain with every mistake class enabled.

Dialogues run in-process (`simulate_task`: the pipeline's own decisions and verifier, no bus), half
of the tasks at fuzz level full and half at partial (a few classes, such as reading a record before
authenticating, need an id the customer knows). Every dialogue draws a mistake (`--scripted-error-rate
1`); a class that cannot happen in a dialogue is not committed there, so some dialogues stay
mistake-free. Per class: dialogues that committed it, the share the verifier scored below 1.0, and
the share of those it blamed on the right party; for mistake-free dialogues, the share rejected.

    python -m bench.bench_confusion [retail|airline] [dialogues]
"""

from __future__ import annotations

import json
import sys

from actors.scripted.simulate import simulate_task
from bench.common import row
from cove.confusion import ConfusionMatrix, committed_mistakes
from domains.generators import generate_database
from domains.registry import domain_names, get_domain
from domains.sampling import sample_tasks

DIALOGUES = 1000
SEED = 11


def measure(domain: str, n: int = DIALOGUES, seed: int = SEED, error_rate: float = 1.0) -> dict:
    base = get_domain(domain).from_json(generate_database(domain, seed=0, scale=1.0), source=f"<generated {domain}>")
    matrix = ConfusionMatrix()
    for fuzz in ("full", "partial"):
        for index, task in enumerate(sample_tasks(domain, base, n // 2, seed=seed, k_range="1-3", fuzz=fuzz).tasks):
            dialogue = simulate_task(task, base, error_rate=error_rate, seed=seed * 10_000 + index)
            matrix.add(committed_mistakes(dialogue.events), dialogue.score, dialogue.attribution)
    return matrix.to_json()


def run() -> list[dict]:
    rows = []
    for domain in domain_names():
        result = measure(domain)
        for name, counts in result["classes"].items():
            blame = "n/a" if counts["right_blame"] is None else f"{100 * counts['right_blame']:.0f}%"
            rows.append(row(f"verifier recall {domain} {name}", 100 * (counts["rejected"] or 0.0), "% rejected", "100%",
                            f"{counts['dialogues']} dialogues; right blame {blame} (target >= 99%)"))
        free = result["mistake_free"]
        rows.append(row(f"verifier {domain} mistake-free dialogues rejected", 100 * (free["rejected"] or 0.0), "%", "0%", f"{free['dialogues']} dialogues"))
    return rows


if __name__ == "__main__":
    domains = [arg for arg in sys.argv[1:] if not arg.isdigit()] or domain_names()
    count = next((int(arg) for arg in sys.argv[1:] if arg.isdigit()), DIALOGUES)
    for name in domains:
        result = measure(name, count)
        print(name)
        for cls, counts in result["classes"].items():
            print(f"  {cls:30} {counts['dialogues']:5}  rejected {counts['rejected']}  right blame {counts['right_blame']}")
        print(f"  {'mistake-free':30} {result['mistake_free']['dialogues']:5}  rejected {result['mistake_free']['rejected']}")
        print(json.dumps(result), file=sys.stderr)
