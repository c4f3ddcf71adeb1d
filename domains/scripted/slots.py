"""What a request is made of: the slot groups of every goal type, shared by the scripted user and agent.

A goal sentence of the scenario templates parses into fields (`order`, `items`, `method`, ...: the
named groups of the domain's goal patterns, each a phrase in the templates' grammar). The scripted
user discloses a request group by group; the scripted agent asks for a group it still misses with a
fixed question, and the user recognises which group any agent asks for by its topic words.

Each domain plug-in's scripted-agent rules give its goal types' groups (`SLOT_GROUPS`), and the
question and topic words of its own groups (`SLOT_QUESTIONS`, `SLOT_TOPICS`); the groups every
domain shares (a payment method, a reason) are here. Goal types of two domains never share a name.

    slot_groups("return_items")  # (("order", ("order",)), ("items", ("items",)), ("method", ("method",)))
    asked_groups("Which item would you like to return?", ["items", "method"])  # ["items"]
"""

from __future__ import annotations

import re
from functools import cache

from domains.registry import loaded_domains

Groups = tuple[tuple[str, tuple[str, ...]], ...]

# The scripted agent's question for a group it misses (each says its topic in the user's topic words).
QUESTIONS = {
    "reason": "What is the reason for the cancellation?",
    "method": "Which payment method would you like to use for this?",
}

# Words by which any agent's question names a group (checked on the lower-cased question).
_TOPICS = {
    "reason": r"\breason\b|\bwhy\b",
    "method": r"\bpay(?:ment|ing)?\b|\bcard\b|\brefund\b|\bcharge\b|\bmethod\b|\bsettle\b",
}


@cache
def _tables() -> tuple[dict[str, Groups], dict[str, str], dict[str, str]]:
    """Every registered domain's slot groups, questions and topic words, with the shared ones (which a domain cannot redefine)."""
    groups: dict[str, Groups] = {}
    questions, topics = dict(QUESTIONS), dict(_TOPICS)
    for plugin in loaded_domains():
        rules = plugin.scripted_agent
        for goal_type, goal_groups in rules.SLOT_GROUPS.items():
            groups.setdefault(goal_type, goal_groups)
        for group, question in rules.SLOT_QUESTIONS.items():
            questions.setdefault(group, question)
        for group, topic in rules.SLOT_TOPICS.items():
            topics.setdefault(group, topic)
    return groups, questions, topics


def slot_groups(goal_type: str | None) -> Groups:
    """((group, its fields), ...) of a goal type, in the order a customer would naturally give them; () if unknown."""
    return _tables()[0].get(goal_type or "", ())


def groups_of(goal_type: str) -> tuple[str, ...]:
    return tuple(group for group, _ in slot_groups(goal_type))


def fields_of(goal_type: str, group: str) -> tuple[str, ...]:
    return next((fields for name, fields in slot_groups(goal_type) if name == group), ())


def group_of(goal_type: str, field: str) -> str | None:
    return next((name for name, fields in slot_groups(goal_type) if field in fields), None)


def asked_groups(question: str, candidates: list[str]) -> list[str]:
    """The groups among `candidates` that a question asks for, by its topic words (in candidate order)."""
    asked = question.lower()
    return [group for group in candidates if re.search(_tables()[2][group], asked)]


def question_for(group: str) -> str:
    return _tables()[1][group]


def is_slot_question(text: str) -> str | None:
    """The group a scripted agent's fixed question asks for, if `text` holds one."""
    return next((group for group, question in _tables()[1].items() if question in text), None)
