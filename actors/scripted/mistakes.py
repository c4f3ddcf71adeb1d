"""The scripted agent's realistic mistakes: which dialogues get one, and of which kind.

The decision is a pure function of the dialogue's first customer message, so every turn of one
dialogue (each a fresh, stateless call) reaches the same decision; a per-turn seed could not give
that. `error_rate` is the share of dialogues with a mistake, which falls on the first request.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum


class Mistake(StrEnum):
    WRONG_TARGET = "wrong_target"  # the wrong item, variant, method, amount or option
    REDUNDANT_WRITE = "redundant_write"  # an extra write nobody asked for
    GIVE_UP = "give_up"  # tells the customer it cannot help


KINDS = tuple(Mistake)


def planned_mistake(first_user_message: str, error_rate: float) -> Mistake | None:
    """The mistake this dialogue's agent makes, or None; the same message always gives the same answer."""
    if error_rate <= 0.0:
        return None
    digest = hashlib.sha256(first_user_message.encode("utf-8")).digest()
    draw = int.from_bytes(digest[:8], "big") / 2**64
    if draw >= error_rate:
        return None
    return KINDS[digest[8] % len(KINDS)]
