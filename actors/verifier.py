"""The verifier's decision: once a dialogue has ended, judge it from its events and the base world."""

from __future__ import annotations

from actors.drafts import Draft, draft
from actors.view import DialogueView
from domains.state import Database
from domains.verification import VERIFIER_VERSION, verify_dialogue
from events import DialogueEnded, DialogueVerified
from store.replay import ReplayError, replay_dialogue


def verify_ended_dialogue(view: DialogueView, base: Database) -> list[Draft]:
    """A DialogueVerified for the dialogue that `view.last` ended; a log that does not replay is unscored."""
    if not isinstance(view.last, DialogueEnded) or view.verified is not None:
        return []
    try:
        replayed = replay_dialogue(view.events, lambda domain, content_hash: base)
    except ReplayError as exc:
        return unscored(view, f"replay failed: {exc}")
    verdict = verify_dialogue(replayed.record, base)
    return [draft(DialogueVerified, verdict=verdict.to_json(), verifier_version=VERIFIER_VERSION)]


def unscored(view: DialogueView, reason: str) -> list[Draft]:
    """A verdict that gives no score: the dialogue could not be judged (never a reward of 0)."""
    verdict = {
        "score": None,
        "scored": False,
        "vector": [],
        "constraints": [],
        "redundant_writes": [],
        "violations": [],
        "unexpected_changes": [],
        "termination": str(view.ended.reason) if view.ended else "unfinished",
        "attribution": "infrastructure",
        "reasons": [reason],
        "checks": {},
        "verifier_version": VERIFIER_VERSION,
    }
    return [draft(DialogueVerified, verdict=verdict, verifier_version=VERIFIER_VERSION)]
