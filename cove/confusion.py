"""The verifier against the ground truth: which deliberate mistakes it rejects, and whom it blames.

The scripted models record each mistake they commit on their model call (`raw_response['script']
['mistakes']`); the verifier never reads it. This module reads it back beside the verdict's score
and attribution only, so it works the same whatever the verifier checks inside:

    matrix = ConfusionMatrix()
    matrix.add(committed_mistakes(view.events), verdict["score"], verdict["attribution"])
    matrix.to_json()  # {"classes": {"digit_swap": {"dialogues": 12, "rejected": 1.0, "right_blame": 1.0}, ...},
                      #  "mistake_free": {"dialogues": 900, "rejected": 0.0}}

`rejected` is the share of a class's dialogues scored below 1.0; `right_blame` the share of those
rejected dialogues that the verdict blames on the right party (the agent, or the user simulator for
the user's classes): a dialogue that keeps 1.0 has no one to blame.

A mistake whose record names a `call_id` counts only if that call went through: a duplicate write,
an undo, an extra write or a lookup the tool refused changed and revealed nothing. A customer's
request outside its scenario counts only if a write went through after it (a refused one changed
nothing). Other mistakes count once made, even when the tool refused the call (a write to the wrong
record that failed still left the customer's goal undone).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from domains.scripted.mistakes import ALL, expected_blame
from events import AgentSpoke, Event, ToolReturned, UserSpoke


_NEEDS_A_WRITE = frozenset({"asks_outside_scenario"})


def committed_mistakes(events: Sequence[Event]) -> list[str]:
    """The mistake classes the scripted models committed in this dialogue, in order (each once)."""
    succeeded = {e.call_id for e in events if isinstance(e, ToolReturned)}
    writes_after = {e.seq for e in events if isinstance(e, ToolReturned) and e.mutates_state}
    found: list[str] = []
    for event in events:
        if not isinstance(event, (AgentSpoke, UserSpoke)) or event.call is None:
            continue
        script = (event.call.raw_response or {}).get("script") or {}
        for record in script.get("mistakes") or []:
            if "call_id" in record and record["call_id"] not in succeeded:
                continue
            if record.get("class") in _NEEDS_A_WRITE and not any(seq > event.seq for seq in writes_after):
                continue
            if record.get("class") and record["class"] not in found:
                found.append(record["class"])
    return found


@dataclass
class _Counts:
    dialogues: int = 0
    rejected: int = 0  # scored below 1.0
    right_blame: int = 0
    unscored: int = 0


@dataclass
class ConfusionMatrix:
    classes: dict[str, _Counts] = field(default_factory=dict)
    mistake_free: _Counts = field(default_factory=_Counts)

    def add(self, mistakes: list[str], score: float | None, attribution: Any) -> None:
        """One verified dialogue: its committed mistakes, the verdict's score and attribution."""
        blamed = str(attribution.value if hasattr(attribution, "value") else attribution)
        if not mistakes:
            self.mistake_free.dialogues += 1
            self.mistake_free.unscored += score is None
            self.mistake_free.rejected += score is not None and score < 1.0
            return
        for name in mistakes:
            counts = self.classes.setdefault(name, _Counts())
            counts.dialogues += 1
            counts.unscored += score is None
            rejected = score is not None and score < 1.0
            counts.rejected += rejected
            counts.right_blame += rejected and blamed == expected_blame(name)

    def to_json(self) -> dict[str, Any]:
        def share(part: int, whole: int) -> float | None:
            return round(part / whole, 4) if whole else None

        order = {name.value: index for index, name in enumerate(ALL)}
        classes = {
            name: {"dialogues": c.dialogues, "rejected": share(c.rejected, c.dialogues), "right_blame": share(c.right_blame, c.rejected),
                   "expected_blame": expected_blame(name), **({"unscored": c.unscored} if c.unscored else {})}
            for name, c in sorted(self.classes.items(), key=lambda item: order.get(item[0], len(order)))
        }
        free = self.mistake_free
        return {"classes": classes, "mistake_free": {"dialogues": free.dialogues, "rejected": share(free.rejected, free.dialogues),
                                                     **({"unscored": free.unscored} if free.unscored else {})}}
