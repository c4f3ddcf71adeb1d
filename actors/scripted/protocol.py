"""How the scripted user and the scripted agent read each other: the conversational signals.

The agent uses fixed phrasings (`CLOSING`, `CONFIRM`); the user recognises those and the common
ways any agent says the same things, so the scripted user also works opposite a real model.
"""

from __future__ import annotations

import re

STOP = "###STOP###"
TRANSFER = "###TRANSFER###"
CLOSING = "Is there anything else I can help you with?"
CONFIRM = "Shall I go ahead? Please answer yes to confirm."

_YES = re.compile(r"^\W*(?:yes|yeah|yep|sure|correct|confirm(?:ed)?|go ahead|please do|that's (?:right|correct|it))\b", re.IGNORECASE)
_NO = re.compile(r"^\W*(?:no|nope|don't|do not|wait)\b", re.IGNORECASE)
_CONFIRMATION = re.compile(
    r"\b(?:confirm|shall i|should i|do you want me to|would you like me to|may i|can i go ahead|go ahead|proceed)\b.*\?|\(yes/no\)",
    re.IGNORECASE | re.DOTALL,
)
_IDENTITY = re.compile(r"\b(?:e-?mail|zip(?: code)?|user ?id|your (?:full |first |last )?name|verify your identity|authenticate)\b", re.IGNORECASE)
_DONE = re.compile(
    r"\b(?:anything else|something else|any other (?:request|question|thing)|else (?:i|we) can (?:help|do)|have a (?:great|nice|good) day)\b",
    re.IGNORECASE,
)
_TRANSFER = re.compile(r"\btransferr?(?:ing|ed)? you\b|\btransfer(?:ring)? (?:you )?to a human\b|\bhuman agent\b.*\btransfer", re.IGNORECASE)


def is_yes(text: str) -> bool:
    return bool(_YES.search(text))


def is_no(text: str) -> bool:
    return bool(_NO.search(text)) and not is_yes(text)


def asks_confirmation(text: str) -> bool:
    return bool(_CONFIRMATION.search(text))


def asks_identity(text: str) -> bool:
    return "?" in text and bool(_IDENTITY.search(text))


def closes_request(text: str) -> bool:
    return bool(_DONE.search(text))


def transfers(text: str) -> bool:
    return bool(_TRANSFER.search(text))
