"""The user simulator's scenario text: deterministic templates, and an optional checked LLM rewrite.

The template instruction has four parts: why the user calls (one line per goal, in the order they are
to be raised), what the user knows (identity and the facts their goals need), what they do not know,
and how to behave. A rewrite by a language model is kept only if every fact the goals need is still
there and no raw id appears that the template did not already show; otherwise the template stands and
the record says why the rewrite was refused.
"""

from __future__ import annotations

import os
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from domains.constraints import Description, Task
from domains.fuzzy import attribute_facts, facts_in
from domains.plugin import rule

STOP_TOKEN = "###STOP###"


@dataclass
class ScenarioParts:
    """What a fuzzifier hands to the templates: descriptions and the sentences built from them."""

    descriptions: dict[str, Description]
    identity: list[str]
    goals: list[str]
    known: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


_TEMPERS = (
    "You are polite and patient.",
    "You are in a hurry and keep your messages short.",
    "You are friendly and a little chatty, but you stay on topic.",
    "You are matter-of-fact and expect clear answers.",
)


def compose_instruction(domain: str, parts: ScenarioParts, rng: random.Random) -> str:
    """The scenario text from the template, with wording variants drawn from `rng`."""
    many = len(parts.goals) > 1
    from domains.registry import get_domain  # the plug-in's wording, found by name

    reason = [rng.choice(get_domain(domain).scenario_openings), "What you want, in this order:" if many else "What you want:"]
    reason += [f"{index}. {goal}" for index, goal in enumerate(parts.goals, 1)]
    unknown = parts.unknown or ["Nothing beyond what is written here: anything else you do not know."]
    behaviour = [rng.choice(_TEMPERS)]
    if many:
        behaviour.append("Raise your requests one at a time, in the order above, and move to the next only once the agent has dealt with the current one.")
    behaviour += [
        "Give details only when the agent asks for them. Never make up an id, a number or any other detail that is not written here; if the agent asks for something you do not know, say that you do not know it.",
        "When the agent sums up an action and asks you to confirm, say yes if it matches what you want.",
        *parts.notes,
        f"Once everything above has been handled, end the conversation with {STOP_TOKEN}.",
    ]
    sections = [
        ("Reason for call", reason),
        ("Known info", parts.identity + parts.known),
        ("Unknown info", unknown),
        ("Task instructions", behaviour),
    ]
    return "\n\n".join(f"{title}:\n" + "\n".join(lines) for title, lines in sections)


# --- what a rewrite must keep and must not add -------------------------------------------------


def required_facts(task: Task) -> list[str]:
    """Every literal fact the scenario must convey: description attributes, stated values, the stop token."""
    from domains.registry import get_domain  # a domain's fuzzifier builds on this module: found by name, not imported

    fuzzifier = get_domain(task.domain).fuzzifier
    stated_facts, own = fuzzifier.stated_facts, rule(fuzzifier, "ATTRIBUTE_FACTS")
    facts: list[str] = []
    for description in task.descriptions.values():
        facts.extend(attribute_facts(description.attributes, own))
    for constraint in task.constraints:
        facts.extend(stated_facts(constraint))
    facts.append(STOP_TOKEN)
    return list(dict.fromkeys(fact for fact in facts if fact))


def raw_ids(task: Task) -> list[str]:
    """The raw record ids a task is about: the values of its domain's `id_keys` (orders, items, payment methods...)."""
    from domains.registry import get_domain  # a domain's fuzzifier builds on this module: found by name, not imported

    id_keys = get_domain(task.domain).id_keys
    found: dict[str, None] = {}

    def collect(value: Any, key: str | None = None) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                collect(v, k)
        elif isinstance(value, list):
            for v in value:
                collect(v, key)
        elif isinstance(value, str) and key in id_keys:
            found[value] = None

    for constraint in task.constraints:
        collect(constraint.params)
        for action in constraint.actions:
            collect(action.arguments)
    return list(found)


def id_shaped(domain: str) -> re.Pattern[str]:
    """Anything shaped like one of the domain's record ids (its plug-in's `id_pattern`)."""
    from domains.registry import get_domain  # a domain's fuzzifier builds on this module: found by name, not imported

    return get_domain(domain).id_pattern


def leaked_ids(text: str, ids: list[str]) -> list[str]:
    """The ids that appear in a text."""
    folded = facts_in(text)
    return [i for i in ids if facts_in(i) in folded]


def check_rewrite(task: Task, candidate: str) -> tuple[list[str], list[str]]:
    """(facts the candidate lost, raw ids it shows that the template did not)."""
    folded = facts_in(candidate)
    missing = [fact for fact in required_facts(task) if facts_in(fact) not in folded]
    allowed = set(leaked_ids(task.instruction, raw_ids(task)))
    leaked = [i for i in leaked_ids(candidate, raw_ids(task)) if i not in allowed]
    invented = [i for i in id_shaped(task.domain).findall(candidate) if i not in task.instruction and i not in leaked]
    return missing, leaked + invented


class RewriteRecord(BaseModel):
    """What happened to one rewrite request: the model's reply, and whether it was kept and why."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    accepted: bool
    reason: str
    model: str
    parameters: dict[str, Any] = Field(default_factory=dict)
    reply: str | None = None
    usage: dict[str, Any] | None = None
    missing_facts: list[str] = Field(default_factory=list)
    leaked_ids: list[str] = Field(default_factory=list)


_REWRITE_PROMPT = """You edit role-play briefs for a simulated customer.
Rewrite the brief below so that it reads naturally and varies in wording, keeping its four sections
(Reason for call, Known info, Unknown info, Task instructions) and the order of the requests.
Keep every name, product, option, amount, date, address, card detail and email exactly as written.
Do not add any id, order number, reservation code or detail that is not in the brief.
Keep the line telling the customer to end with ###STOP###. Reply with the rewritten brief only.

Brief:
{instruction}"""


def _reply_text(response: Any) -> tuple[str | None, dict[str, Any] | None]:
    """The text and usage of a litellm (or OpenAI-shaped) completion response."""
    try:
        choice = response["choices"][0] if isinstance(response, dict) else response.choices[0]
        message = choice["message"] if isinstance(choice, dict) else choice.message
        text = message["content"] if isinstance(message, dict) else message.content
    except (AttributeError, IndexError, KeyError, TypeError):
        return None, None
    usage = response.get("usage") if isinstance(response, dict) else getattr(response, "usage", None)
    if usage is not None and not isinstance(usage, dict):
        usage = usage.model_dump() if hasattr(usage, "model_dump") else dict(usage)
    return text, usage


def rewrite_instruction(
    task: Task,
    model: str,
    completion: Callable[..., Any] | None = None,
    temperature: float = 0.7,
    api_key: str | None = None,
    **parameters: Any,
) -> tuple[str, RewriteRecord]:
    """Ask a model to reword the scenario; keep its text only if no fact is lost and no id leaks.

    `api_key` goes to the call only, never into the record.
    """
    if completion is None:
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        import litellm

        completion = litellm.completion
    settings = {"temperature": temperature, **parameters}
    messages = [{"role": "user", "content": _REWRITE_PROMPT.format(instruction=task.instruction)}]
    try:
        response = completion(model=model, messages=messages, **settings, **({"api_key": api_key} if api_key else {}))
    except Exception as exc:  # a failed call keeps the template; the record says why
        reason = f"call failed: {type(exc).__name__}: {exc}"
        reason = reason.replace(api_key, "***") if api_key else reason
        return task.instruction, RewriteRecord(accepted=False, reason=reason, model=model, parameters=settings)
    text, usage = _reply_text(response)
    if not text or not text.strip():
        return task.instruction, RewriteRecord(accepted=False, reason="empty reply", model=model, parameters=settings, usage=usage)
    missing, leaked = check_rewrite(task, text)
    if missing or leaked:
        problems = []
        if missing:
            problems.append(f"lost {len(missing)} fact(s)")
        if leaked:
            problems.append(f"shows {len(leaked)} raw id(s)")
        record = RewriteRecord(
            accepted=False, reason="; ".join(problems), model=model, parameters=settings, reply=text, usage=usage, missing_facts=missing, leaked_ids=leaked
        )
        return task.instruction, record
    return text.strip(), RewriteRecord(accepted=True, reason="every fact kept, no id added", model=model, parameters=settings, reply=text, usage=usage)
