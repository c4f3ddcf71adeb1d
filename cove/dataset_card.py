"""The dataset card (README.md) of an `hf` export: YAML metadata `datasets` reads, and what a user must know.

The checks and violation kinds are read from the verifier's code (its conversation rules, its
outcome checks, each domain's policy module), so the card says what this cove's verifier checks.
"""

from __future__ import annotations

import ast
import inspect
from collections import Counter
from typing import Any

from cove.chat_messages import row_messages
from cove.hf_dataset import DECODE_SNIPPET, features_yaml, split_path

# What each check of a verdict's `checks` means (keys must cover domains.conversation.Rule; a test holds them together).
CHECKS = {
    "state": "the database after replaying the dialogue's tool calls on the base is, path by path, what the goals' canonical actions give",
    "information": "for each question the customer asked, the agent's last statement of the fact gives the expected value",
    "policy": "no write the tools accepted breaks a rule of the domain's policy",
    "authentication": "nothing about the customer's account is read or changed before the customer is authenticated",
    "confirmation": "every write follows an explicit yes to a summary that names all of the write's details",
    "confirmed_write_differs": "the write made is the one summarised (same order or reservation, items, amounts, payment)",
    "one_tool_call_per_turn": "an agent turn makes at most one tool call",
    "text_with_tool_call": "an agent turn either writes to the customer or calls a tool, not both",
    "unjustified_transfer": "no transfer to a human unless the customer asked for one or the request is out of scope",
    "other_customer_records": "no lookup of another customer's details, orders or reservations",
    "unrequested_offer": "a write the policy grants only on request (compensation) is not offered before the customer asks",
}


def check_names() -> list[str]:
    """The checks a verdict reports: the outcome checks, then the conversation rules, as the verifier names them."""
    from domains.conversation import Rule

    return ["state", "information", "policy", *(str(rule) for rule in Rule)]


def policy_rules(domain: str) -> list[str]:
    """The rule names of a domain's policy violations, read from its policy module (`Violation("name", ...)`)."""
    from domains.registry import get_domain, is_registered

    if not is_registered(domain):
        return []
    tree = ast.parse(inspect.getsource(get_domain(domain).policy))
    return sorted({
        node.args[0].value for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Violation" and node.args
        and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
    })  # fmt: skip


def _meta_value(row: dict[str, Any], *path: str) -> Any:
    """A value inside a row's meta, or None: the card reads meta only where it is there."""
    value: Any = row.get("meta")
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _size_category(count: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if count < limit:
            return name
    return "1M<n<10M"


def _and(names: list[str]) -> str:
    return " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)


def _counted(counter: Counter) -> str:
    return ", ".join(f"`{value}` ({count})" for value, count in sorted(counter.items(), key=lambda item: (-item[1], str(item[0])))) or "not recorded"


def _front_matter(splits: dict[str, list[dict[str, Any]]]) -> list[str]:
    """configs (a split per domain, from its parquet file) and the features; no split sizes (`datasets` wants Arrow byte counts there)."""
    total = sum(len(rows) for rows in splits.values())
    lines = ["---", "license: apache-2.0", "pretty_name: cove verified tool-use dialogues", "language:", "- en",
             "task_categories:", "- text-generation", "tags:", "- tool-use", "- function-calling", "- agents", "- synthetic",
             "- customer-service", "- cove", "size_categories:", f"- {_size_category(total)}", "configs:", "- config_name: default",
             "  data_files:"]  # fmt: skip
    for split in splits:
        lines += [f"  - split: {split}", f"    path: {split_path(split)}"]
    return lines + ["dataset_info:", "  features:", *features_yaml(indent=2), "---"]


def _counts_table(splits: dict[str, list[dict[str, Any]]], drop_greeting: bool) -> list[str]:
    lines = ["| split | dialogues | messages | tool calls |", "|---|---|---|---|"]
    for split, rows in splits.items():
        messages = [m for row in rows for m in row_messages(row, drop_greeting)]
        calls = sum(len(m.get("tool_calls") or ()) for m in messages)
        lines.append(f"| `{split}` | {len(rows)} | {len(messages)} | {calls} |")
    return lines


def dataset_card(splits: dict[str, list[dict[str, Any]]], drop_greeting: bool = False) -> str:
    """README.md of the dataset folder; the same rows give the same text."""
    from domains.verification import VERIFIER_VERSION

    rows = [row for split_rows in splits.values() for row in split_rows]
    models: dict[str, Counter] = {}
    for row in rows:
        for role, usage in sorted((_meta_value(row, "models") or {}).items()):
            if isinstance(usage, dict):
                models.setdefault(role, Counter())[str(usage.get("model"))] += 1
    versions = Counter(str(v) for v in (_meta_value(row, "verdict", "verifier_version") for row in rows) if v is not None)
    scores = Counter(v for v in (_meta_value(row, "verdict", "score") for row in rows) if v is not None)
    bases = Counter(str(h)[:12] for h in (_meta_value(row, "base_db_hash") for row in rows) if h)
    first_split = next(iter(splits))
    lines = [
        *_front_matter(splits),
        "",
        "# cove: verified multi-turn tool-use dialogues",
        "",
        f"{len(rows)} customer-service dialogues between a simulated customer and a tool-calling agent, in the "
        f"{_and(list(splits))} world{'s' if len(splits) > 1 else ''}, each verified deterministically before it was kept. "
        "One split per domain:",
        "",
        *_counts_table(splits, drop_greeting),
        "",
        "## Loading",
        "",
        "```python",
        "import json",
        "from datasets import load_dataset",
        "",
        "ds = load_dataset(\"path/to/this/folder\")  # one split per domain",
        f"row = ds[\"{first_split}\"][0]",
        DECODE_SNIPPET,
        "```",
        "",
        "The last three lines give back the row exactly as cove wrote it in `sft.jsonl`.",
        "",
        "## Columns",
        "",
        "- `messages`: the conversation in OpenAI chat format (`system`, `user`, `assistant`, `tool`). An assistant turn "
        "holds text or `tool_calls` (`arguments` is a JSON string, as OpenAI sends it); a tool turn holds the result and "
        "the `tool_call_id` it answers; the last user turn holds the simulator's end token `###STOP###`. Arrow gives every "
        "message all four keys: `tool_calls` and `tool_call_id` are null where a message has none (drop them with the last "
        "line above, for chat templates that test `'tool_calls' in message`).",
        "- `tools`: the OpenAI function schemas offered to the agent; each `parameters` is the JSON schema as a JSON string "
        "(tool schemas differ in shape, so one fixed column type cannot hold them as objects without padding them with nulls).",
        "- `data_source`: the domain, also the split's name.",
        "- `meta`: a JSON string with what makes a row auditable: the dialogue id, the task (constraints with their canonical "
        "actions, the customer's scenario, the fuzzy descriptions and what they resolve to), the verdict, the models and "
        "their parameters, tokens, cost, the base database's content hash and the seed, and a `certificate` (base hash, "
        "constraints hash, the dialogue's chain head, verifier version) with which `cove verify --rows` re-checks a row "
        "without trusting us. As a string it keeps every value's type (dates stay strings).",
        "",
        "## How the data was made",
        "",
        "With cove and the CoVe method: (1) **sample** exact goals that the domain's policy allows "
        "and that execute on a copy of the database; (2) **fuzzify** them into the words a customer would use, each still "
        "pointing at exactly one record; (3) **simulate** the conversation: a user-simulator model reveals the goals step by "
        "step, the agent model looks things up and calls the domain's tools, the user ends with `###STOP###`; (4) **verify** "
        "deterministically, with no model: replay the recorded tool calls on the base database and compare the final state "
        "with what the goals demand, check the answers to the customer's questions and the policy's rules. Only dialogues "
        "that scored 1.0 are here.",
        "",
        *(f"- {role} model: {_counted(counter)}" for role, counter in sorted(models.items())),
        *(["- `cove/scripted-…` models are cove's offline scripts, made to run and test the pipeline with no key and no "
           "network: dialogues worth training on come from real models."] if any(m.startswith("cove/scripted-") for c in models.values() for m in c) else []),
        f"- base databases (content hash): {_counted(bases)}",
        "- the agent's opening greeting (before the first customer turn): "
        + ("removed (`--drop-greeting`)" if drop_greeting else "kept, as the first assistant turn"),
        "",
        "## Verification",
        "",
        f"Verifier version of the rows: {_counted(versions)}; scores: {_counted(scores)}. The rules below are those of "
        f"verifier version `{VERIFIER_VERSION}`, the version of the cove that wrote this card.",
        "",
        "score = (satisfied goals / goals) × 0.5^(redundant writes + violations), and 0 when the dialogue did not end with "
        "the customer's stop token. **A 1.0 means** every goal met, no write that no goal needs, no policy or conversation "
        "violation, and a proper stop. Each verdict's `checks` (in `meta`) says, per check, `passed`, `failed` or "
        "`not_applicable`:",
        "",
        *(f"- `{name}`: {CHECKS.get(name, 'see the cove README')}" for name in check_names()),
        "",
        "Violation kinds: `conversation` (the rules above from `authentication` on) and `policy`, a write the tools "
        "accept but the domain's policy forbids:",
        "",
        *(f"- `{domain}` policy rules: {', '.join(f'`{r}`' for r in policy_rules(domain)) or 'none known to this cove'}" for domain in splits),
        "",
        "## License",
        "",
        "Apache-2.0, like cove. Dialogues made with third-party models may also fall under those models' terms.",
        "",
    ]
    return "\n".join(lines)


__all__ = ["CHECKS", "check_names", "dataset_card", "policy_rules"]
