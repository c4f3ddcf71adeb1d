"""How much the scripted user sounds like a person rather than its scenario read aloud.

A user turn *echoes* its scenario when it
- shares any run of 5 words with one of the scenario's goal sentences (lower case, punctuation and the
  stop tokens ignored, so "the tracking number of your order" and "Tracking number of your order!" match),
- or uses the scenario's second person: a "your <word>" pair that a goal sentence has ("your order",
  "your card", "your trip"),
- or opens a sentence with a goal sentence's first two words (its imperative: "Return the", "Ask how").

    stats = TalkStats()
    stats.add(goal_sentences, user_turns, confirmations)   # per dialogue
    stats.summary()  # {"user_turns", "echo_share", "confirmation_phrasings", "top_sentence_share", ...}
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

_TOKENS = ("###STOP###", "###TRANSFER###", "###OUT-OF-SCOPE###")


def words(text: str) -> list[str]:
    for token in _TOKENS:
        text = text.replace(token, " ")
    return re.findall(r"[a-z0-9]+", text.lower())


def sentences(text: str) -> list[str]:
    """The sentences of a message, the end tokens left out (they are protocol, not speech)."""
    for token in _TOKENS:
        text = text.replace(token, " ")
    return [part.strip() for part in re.split(r"(?<=[.!?])\s+", text.strip()) if part.strip()]


def grams(tokens: list[str], n: int = 5) -> set[tuple[str, ...]]:
    return {tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}


def echoes(turn: str, goal_sentences: list[str]) -> str | None:
    """Why `turn` echoes the scenario (the first reason found), or None."""
    scenario_grams: set[tuple[str, ...]] = set()
    second_person: set[str] = set()
    openings: set[tuple[str, ...]] = set()
    for sentence in goal_sentences:
        tokens = words(sentence)
        scenario_grams |= grams(tokens)
        second_person |= {tokens[i + 1] for i in range(len(tokens) - 1) if tokens[i] == "your"}
        openings.add(tuple(tokens[:2]))
    tokens = words(turn)
    shared = grams(tokens) & scenario_grams
    if shared:
        return "5 words: " + " ".join(sorted(shared)[0])
    for i in range(len(tokens) - 1):
        if tokens[i] == "your" and tokens[i + 1] in second_person:
            return f"second person: your {tokens[i + 1]}"
    for sentence in sentences(turn):
        if tuple(words(sentence)[:2]) in openings:
            return "imperative opening: " + " ".join(words(sentence)[:2])
    return None


@dataclass
class TalkStats:
    turns: int = 0
    echoed: int = 0
    examples: list[tuple[str, str]] = field(default_factory=list)
    sentence_counts: Counter = field(default_factory=Counter)
    confirmations: Counter = field(default_factory=Counter)

    def add(self, goal_sentences: list[str], user_turns: list[str], confirmations: list[str]) -> None:
        for turn in user_turns:
            self.turns += 1
            reason = echoes(turn, goal_sentences)
            if reason:
                self.echoed += 1
                if len(self.examples) < 10:
                    self.examples.append((turn, reason))
            self.sentence_counts.update(sentences(turn))
        self.confirmations.update(confirmations)

    def summary(self) -> dict:
        total = sum(self.sentence_counts.values())
        top, top_count = self.sentence_counts.most_common(1)[0] if total else ("", 0)
        return {
            "user_turns": self.turns,
            "echo_share": self.echoed / self.turns if self.turns else 0.0,
            "confirmation_phrasings": len(self.confirmations),
            "sentences": total,
            "distinct_sentences": len(self.sentence_counts),
            "top_sentence": top,
            "top_sentence_share": top_count / total if total else 0.0,
            "echo_examples": self.examples,
        }
