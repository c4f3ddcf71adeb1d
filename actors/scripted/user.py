"""The scripted user: a deterministic customer that plays the scenario in its system prompt.

It raises the scenario's numbered requests one at a time, in the scenario's own words; identifies
itself up front or when asked; says yes when the agent reads an action back and asks to confirm;
moves to the next request when the agent closes the current one (or after too many exchanges on
it); answers what the scenario tells it and admits not knowing anything else; never says an id it
was not given; and ends with ###STOP### once every request was raised, or ###TRANSFER### when
transferred. Like the agent it keeps no state: every call re-reads the conversation.
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass
from typing import Any

from actors.scripted.phrases import PAYMENT
from actors.scripted.protocol import STOP, TRANSFER, asks_confirmation, asks_identity, closes_request, transfers

MAX_EXCHANGES = 8  # agent messages on one request before the customer moves on

_OPENINGS = ("Hi! {goal}", "Hello, I need some help. {goal}", "Hi there. {goal}")
_NEXT = ("Thanks. Next: {goal}", "Thank you. I also need something else. {goal}", "Great, thanks. One more thing: {goal}")
_YES = ("Yes, please go ahead.", "Yes, that's right.", "Yes, please.")


@dataclass(frozen=True)
class Scenario:
    """What the scenario tells the customer: the requests in order, and who they are."""

    text: str
    goals: tuple[str, ...]
    name: str | None = None
    email: str | None = None
    zip_code: str | None = None
    user_id: str | None = None

    @classmethod
    def of(cls, system_prompt: str) -> Scenario:
        inside = re.search(r"<scenario>(.*?)</scenario>", system_prompt, re.DOTALL)
        text = inside.group(1).strip() if inside else system_prompt
        reason = _section(text, "Reason for call")
        goals = tuple(line.strip() for line in re.findall(r"^\s*\d+\.\s+(.+)$", reason, re.MULTILINE))
        if not goals:  # a reworded scenario without numbers: every line that is not the opening or a heading
            goals = tuple(line.strip() for line in reason.splitlines() if line.strip() and not line.strip().endswith(":") and not line.strip().startswith("You are "))
        known = _section(text, "Known info")
        name = re.search(r"You are ([^\W\d_a-z][^,.\n]*?)(?:, zip code (\d{5}))?\.", known)
        email = re.search(r"Your email address is (\S+?)\.(?:\s|$)", text)
        user_id = re.search(r"Your user id is (\S+?)\.(?:\s|$)", text)
        return cls(
            text=text,
            goals=goals,
            name=name.group(1) if name else None,
            zip_code=name.group(2) if name else None,
            email=email.group(1) if email else None,
            user_id=user_id.group(1) if user_id else None,
        )

    @property
    def identity(self) -> str:
        if self.user_id:
            return f"My user id is {self.user_id}."
        if self.email:
            return f"My email address is {self.email}."
        if self.name and self.zip_code:
            return f"I'm {self.name}, zip code {self.zip_code}."  # the scenario's own words
        return "I'm sorry, I don't know that."

    @property
    def identity_up_front(self) -> bool:
        """Whether this customer introduces themselves in the first message (fixed per scenario)."""
        return hashlib.sha256(self.text.encode("utf-8")).digest()[0] % 2 == 0


def _section(text: str, title: str) -> str:
    """The body of one titled section of the scenario ('Known info:' ...), or the whole text without titles."""
    found = re.search(rf"{title}:(.*?)(?:\n\s*\n[A-Z][\w ]+:|\Z)", text, re.DOTALL)
    return found.group(1) if found else text


def respond_user(messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None, params: dict[str, Any]) -> dict[str, Any]:
    """The customer's next message for this conversation (the agent's words arrive as role 'user')."""
    system = next((m.get("content") or "" for m in messages if m.get("role") == "system"), "")
    seed = params.get("seed")
    rng = random.Random(len(messages) if seed is None else seed)  # never the OS's entropy: replies stay reproducible
    return {"role": "assistant", "content": next_line(Scenario.of(system), messages, rng)}


def next_line(scenario: Scenario, messages: list[dict[str, Any]], rng: random.Random) -> str:
    goals = scenario.goals
    if not goals:
        return STOP
    heard = messages[-1].get("content") or "" if messages and messages[-1].get("role") == "user" else ""
    if transfers(heard):
        return TRANSFER
    current, raised_at = -1, 0
    for index, message in enumerate(messages):
        if message.get("role") == "assistant":
            for number, goal in enumerate(goals):
                if number > current and goal in (message.get("content") or ""):
                    current, raised_at = number, index
    if current < 0:
        opening = rng.choice(_OPENINGS).format(goal=goals[0])
        return f"{scenario.identity} {opening}" if scenario.identity_up_front else opening
    exchanges = sum(m.get("role") == "user" for m in messages[raised_at + 1 :])
    if exchanges > MAX_EXCHANGES:
        return _next_request(goals, current, rng)
    if asks_confirmation(heard):
        return rng.choice(_YES)
    if asks_identity(heard):
        return scenario.identity
    if closes_request(heard):
        return _next_request(goals, current, rng)
    if "?" in heard:
        return _answer(heard, goals[current])
    return "Okay."


def _next_request(goals: tuple[str, ...], current: int, rng: random.Random) -> str:
    if current + 1 >= len(goals):
        return STOP
    return rng.choice(_NEXT).format(goal=goals[current + 1])


def _answer(question: str, goal: str) -> str:
    """What the scenario lets the customer say in reply to a question about the current request."""
    asked = question.lower()
    if re.search(r"\b(?:order|reservation|item|confirmation) (?:number|id|code)\b|\bpayment method id\b", asked):
        return f"I'm sorry, I don't know that. What I need is this: {goal}"
    if re.search(r"\breason\b|\bwhy\b", asked) and (because := re.search(r"because ([^.]+)\.", goal)):
        return f"Because {_first_person(because.group(1))}."
    if re.search(r"\b(?:pay|payment|card|refund|method)\b", asked) and (method := re.search(PAYMENT, goal)):
        return f"Please use {_first_person(method.group(0))}."
    if "address" in asked and (address := re.search(r"(?:profile to|shipped to) (.+?)(?: instead)?\.(?=\s|$)", goal)):
        return f"The address is {_first_person(address.group(1))}."
    if re.search(r"how can i help|what can i (?:do|help)|what do you need|which (?:order|reservation|trip|item|flight)|could you (?:describe|tell me)", asked):
        return goal
    return "I'm sorry, I don't know that."


def _first_person(phrase: str) -> str:
    """The scenario speaks to the customer ("your card", "keeps you from"); the customer speaks for themself."""
    phrase = re.sub(r"\byour\b", "my", phrase)
    phrase = re.sub(r"\b(keeps|keep|for|to|with) you\b", r"\1 me", phrase)
    return re.sub(r"\byou\b", "I", phrase)
