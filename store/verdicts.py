"""What a recorded verdict may look like, by the verifier version that wrote it, and how it differs from a fresh one.

`cove verify` judges every dialogue again with this verifier. A verdict recorded by this version must
equal the fresh one. A verdict of an older version may differ (the rules changed since), but it must
look like what that version wrote: a version this code does not know, or an older label on fields
only a later version writes, is a damaged or forged verdict, never "an older verifier".
"""

from __future__ import annotations

import json
import math
from typing import Any

from domains.verification import VERIFIER_VERSION
from events import DialogueVerified

V1, V2 = "1", "2"
OLDER_VERSIONS = (V1, V2)  # versions whose verdicts may differ from this code's: the rules changed since
KNOWN_VERSIONS = (*OLDER_VERSIONS, VERIFIER_VERSION)

# Verifier 2 wrote the current verdict's fields; its `checks` had these keys, and no conversation rule
# added since (verifier 3: unrequested_offer) can appear in it.
_V2_CHECKS = frozenset({"state", "information", "policy", "authentication", "confirmation", "confirmed_write_differs", "one_tool_call_per_turn",
                        "text_with_tool_call", "unjustified_transfer", "other_customer_records"})

# Verifier 1 (domains/verification.py up to commit f1945d8) wrote exactly these keys; its constraints,
# violations (policy rules only, by call index) and redundant writes had these fields.
_V1_KEYS = frozenset({"score", "scored", "vector", "constraints", "redundant_writes", "violations", "unexpected_changes", "termination", "attribution", "reasons", "verifier_version"})
_V1_CONSTRAINT_KEYS = frozenset({"type", "satisfied", "missing"})
_V1_VIOLATION_KEYS = frozenset({"call", "name", "rule", "message"})
_V1_REDUNDANT_KEYS = frozenset({"name", "arguments"})
# The policy rules of domains/retail/policy.py and domains/airline/policy.py while the verifier was 1.
_V1_RULES = frozenset({
    "already_cancelled", "bags_removed", "basic_economy_change", "cabin_change_after_flying", "cancel_after_flying",
    "cancel_not_allowed", "compensation_not_allowed", "exchange_same_item", "flown_segment_changed",
    "inconsistent_itinerary", "order_locked", "other_customer", "payment_limits", "reservation_cancelled",
    "route_changed", "too_many_passengers", "wrong_bag_charge",
})  # fmt: skip
_V1_ATTRIBUTIONS = frozenset({"none", "agent", "user_simulator", "tool", "infrastructure"})
_V1_UNSCORED = ("infrastructure_failure",)
_V1_SCORING_TERMINATION = "user_stop"
_ABSENT = object()


def label_problems(event: DialogueVerified) -> list[str]:
    """A verdict's version label must be one this code knows, and the same in the event and the verdict."""
    label = event.verdict.get("verifier_version", _ABSENT)
    problems = []
    if label != event.verifier_version:
        inner = "no version" if label is _ABSENT else f"version {label!r}"
        problems.append(f"the verdict event says verifier {event.verifier_version!r} but its verdict carries {inner}")
    if event.verifier_version not in KNOWN_VERSIONS:
        problems.append(f"the verdict is labelled verifier {event.verifier_version!r}, a version this code does not know (known: {', '.join(KNOWN_VERSIONS)})")
    return problems


def older_problems(version: str, verdict: dict[str, Any], task_types: list[str], termination: str | None) -> list[str]:
    """What is wrong with a verdict labelled an older verifier: fields that version never wrote, or figures that do not add up."""
    shape = _v1_shape_problems(verdict) if version == V1 else _v2_shape_problems(verdict)
    if shape:
        return [f"the verdict is labelled verifier {version} but holds what verifier {version} never wrote: {'; '.join(shape)}"]
    wrong = _figures_problems(verdict, task_types, termination)
    if wrong:
        return [f"the verdict labelled verifier {version} does not add up: {'; '.join(wrong)}"]
    return []


def _v2_shape_problems(verdict: dict[str, Any]) -> list[str]:
    checks = verdict.get("checks")
    if not isinstance(checks, dict):
        return ["no checks"]
    problems = []
    if set(checks) != _V2_CHECKS:
        extra, missing = sorted(set(checks) - _V2_CHECKS), sorted(_V2_CHECKS - set(checks))
        problems.append("checks " + ", ".join(filter(None, [f"with {', '.join(extra)}" if extra else "", f"without {', '.join(missing)}" if missing else ""])))
    later = sorted({str(v.get("rule")) for v in verdict.get("violations") or [] if isinstance(v, dict) and v.get("rule") not in _V2_CHECKS and v.get("kind") == "conversation"})
    if later:
        problems.append(f"violation(s) of rule(s) {', '.join(later)}, which verifier 2 did not check")
    for key in ("score", "scored", "vector", "constraints", "redundant_writes", "violations", "termination", "attribution"):
        if key not in verdict:
            problems.append(f"no field {key}")
    return problems


def _figures_problems(verdict: dict[str, Any], task_types: list[str], termination: str | None) -> list[str]:
    """Whether a verdict's own figures add up: its termination, goals, vector, scored flag and score."""
    constraints, score = verdict["constraints"], verdict["score"]
    wrong = []
    if termination is not None and verdict["termination"] != termination:
        wrong.append(f"termination {verdict['termination']!r}, the dialogue ended by {termination!r}")
    if constraints and [c["type"] for c in constraints] != task_types:
        wrong.append(f"goals {[c['type'] for c in constraints]}, the task's are {task_types}")
    if verdict["vector"] != [1.0 if c["satisfied"] else 0.0 for c in constraints]:
        wrong.append(f"vector {verdict['vector']} does not follow its goals")
    if verdict["scored"] is False and score is None and not constraints and verdict["attribution"] == "infrastructure":
        pass  # the verifier actor's verdict on a dialogue it could not judge (no task, or a log that does not replay)
    elif verdict["scored"] != (verdict["termination"] not in _V1_UNSCORED):
        wrong.append(f"scored {verdict['scored']} after termination {verdict['termination']!r}")
    elif not verdict["scored"]:
        if score is not None:
            wrong.append(f"score {score!r} on an unscored verdict")
    elif constraints:
        expected = _older_score(verdict)
        if not isinstance(score, (int, float)) or not math.isclose(score, expected, abs_tol=1e-9):
            wrong.append(f"score {score!r}, its own goals, redundant writes and violations give {expected}")
    return wrong


def _v1_shape_problems(verdict: dict[str, Any]) -> list[str]:
    extra = sorted(set(verdict) - _V1_KEYS)
    if extra:
        return [f"field(s) {', '.join(extra)}"]
    missing = sorted(_V1_KEYS - set(verdict))
    if missing:
        return [f"no field(s) {', '.join(missing)}"]
    problems = []
    for key, allowed in (("constraints", _V1_CONSTRAINT_KEYS), ("violations", _V1_VIOLATION_KEYS), ("redundant_writes", _V1_REDUNDANT_KEYS)):
        items = verdict[key]
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            problems.append(f"{key} not a list of objects")
            continue
        extra = sorted({name for item in items for name in item} - allowed)
        if extra:
            problems.append(f"{key} with field(s) {', '.join(extra)}")
        elif any(set(item) != allowed for item in items):
            problems.append(f"{key} without all of {', '.join(sorted(allowed))}")
    if not problems:
        rules = sorted({str(v.get("rule")) for v in verdict["violations"]} - _V1_RULES)
        if rules:
            problems.append(f"violation(s) of rule(s) {', '.join(rules)}, which verifier 1 did not check")
    if verdict["attribution"] not in _V1_ATTRIBUTIONS:
        problems.append(f"attribution {verdict['attribution']!r}")
    if not isinstance(verdict["vector"], list) or not isinstance(verdict["scored"], bool):
        problems.append("a vector or scored flag of another type")
    return problems


def _older_score(verdict: dict[str, Any]) -> float:
    """An older verifier's score from its own parts (verifiers 1 and 2 score alike): 0 unless the user stopped, else met goals x 0.5 per redundant write or violation."""
    if verdict["termination"] != _V1_SCORING_TERMINATION:
        return 0.0
    constraints = verdict["constraints"]
    met = sum(bool(c["satisfied"]) for c in constraints) / len(constraints)
    return met * 0.5 ** (len(verdict["redundant_writes"]) + len(verdict["violations"]))


def older_verdict_changes(recorded: dict[str, Any], fresh: dict[str, Any]) -> dict[str, Any]:
    """What this verifier changes in an older verifier's verdict: score, scored, attribution, vector, termination, violations, redundant writes."""
    out: dict[str, Any] = {}
    for key in ("score", "scored", "attribution", "vector", "termination"):
        if recorded.get(key) != fresh.get(key):
            out[key] = {"recorded": recorded.get(key), "now": fresh.get(key)}
    for key in ("violations", "redundant_writes"):
        before = sorted(str(v.get("rule", v.get("name"))) for v in recorded.get(key, []) if isinstance(v, dict))
        after = sorted(str(v.get("rule", v.get("name"))) for v in fresh.get(key, []))
        if before != after:
            out[key] = {"recorded": before, "now": after}
    return out


_HEADLINE = ("score", "scored", "attribution", "termination", "vector")  # said first: what a reader of a verdict looks at


def verdict_differences(recorded: Any, fresh: Any) -> dict[str, dict[str, Any]]:
    """Every leaf where two verdicts differ, by path ('score', 'checks/confirmation', 'constraints/0/satisfied'):
    {"recorded": ..., "now": ...}, a side left out where the path is absent from it; score and blame first."""
    found = _differences(recorded, fresh, "")
    rank = {key: place for place, key in enumerate(_HEADLINE)}
    return dict(sorted(found.items(), key=lambda item: rank.get(item[0].split("/")[0], len(rank))))


def _differences(recorded: Any, fresh: Any, path: str) -> dict[str, dict[str, Any]]:
    if isinstance(recorded, dict) and isinstance(fresh, dict):
        out: dict[str, dict[str, Any]] = {}
        for key in list(recorded) + [k for k in fresh if k not in recorded]:
            out |= _differences(recorded.get(key, _ABSENT), fresh.get(key, _ABSENT), f"{path}/{key}" if path else str(key))
        return out
    if isinstance(recorded, list) and isinstance(fresh, list) and len(recorded) == len(fresh):
        out = {}
        for index, (old, new) in enumerate(zip(recorded, fresh)):
            out |= _differences(old, new, f"{path}/{index}" if path else str(index))
        return out
    if recorded is not _ABSENT and fresh is not _ABSENT and recorded == fresh:
        return {}
    sides = {"recorded": recorded, "now": fresh}
    return {path or "verdict": {side: value for side, value in sides.items() if value is not _ABSENT}}


def recorded_score_higher(recorded: dict[str, Any], fresh: dict[str, Any]) -> bool:
    """Whether the recorded verdict claims a better score than a fresh verification gives (an unscored fresh verdict counts as lower)."""
    old, new = recorded.get("score"), fresh.get("score")
    if not isinstance(old, (int, float)) or isinstance(old, bool):
        return False
    return new is None or old > new


def differences_text(changes: dict[str, dict[str, Any]], limit: int = 6) -> str:
    """'score recorded 1.0, now 0.5; checks/confirmation recorded passed, now failed' (the first `limit` paths)."""
    said = [
        f"{path} " + ", ".join(f"{side} {text}" for side, text in _shown(sides).items()) + ("" if len(sides) == 2 else f", {'now' if 'recorded' in sides else 'recorded'} absent")
        for path, sides in list(changes.items())[:limit]
    ]
    more = len(changes) - limit
    return "; ".join(said) + (f"; and {more} more (see --json)" if more > 0 else "")


def _shown(sides: dict[str, Any], width: int = 80) -> dict[str, str]:
    """Each side as at most `width` characters; two long texts are both cut from just before where they first differ."""
    texts = {side: value if isinstance(value, str) else json.dumps(value, default=str) for side, value in sides.items()}
    start = 0
    if len(texts) == 2 and any(len(text) > width for text in texts.values()):
        first, second = texts.values()
        same = next((index for index, (a, b) in enumerate(zip(first, second)) if a != b), min(len(first), len(second)))
        start = max(0, same - 20)
    return {side: _short(text, width, start) for side, text in texts.items()}


def _short(text: str, width: int = 80, start: int = 0) -> str:
    head = "..." if start else ""
    text = text[start:]
    return head + (text if len(text) <= width else text[: width - 3] + "...")
