"""Is this customer message an explicit yes to what the agent just listed?

Real customers confirm in many words ("sure, go ahead", "yep, do it", "that's right, please proceed",
"confirmed", "sounds good") and refuse or correct in as many ("no", "wait", "not quite", "yes, but the
blue one", "actually, use my Visa", "hold on"). A message is a confirmation when it says yes in one of
those ways and nothing in it refuses, hesitates or corrects: a yes that comes with a "but" is not a
yes to the details as listed. Deterministic, no model.
"""

from __future__ import annotations

import re

from domains.text import keys, sentences

_AFFIRM = re.compile(
    r"(?:^|\s)(?:👍|✅|👌|🙏)|"
    r"\b(?:yes+|yeah|yea|yep|yup|ya|yah|yas|aye|sure|ok|okay|k|kk|alright|all right|absolutely|definitely|certainly|of course|affirmative|"
    r"indeed|exactly|perfect|great|fine|confirm|confirmed|confirming|proceed|go ahead|go for it|please do|do it|do that|"
    r"make it so|sounds (?:good|great|right|fine|perfect)|looks (?:good|great|right|fine|perfect|correct)|that works|works for me|"
    r"let'?s do (?:it|that)|i agree|agreed|i'?d like (?:that|to proceed|to go ahead)|please (?:go ahead|proceed|continue|do)|"
    r"(?:that'?s|that is|this is|it'?s|it is|that all|all of that|everything'?s|everything is) (?:right|correct|fine|good|accurate)|"
    r"(?:^|[.!,]\s*)(?:right|correct)\b|"
    r"please (?:go ahead and )?(?:cancel|return|exchange|change|update|modify|book|process|submit|make|send|swap|switch|upgrade|"
    r"downgrade|move|add|refund|apply|issue|correct)\b|"
    r"(?:book|cancel|return|exchange|change|update|process|submit|swap|switch|send|issue|make|apply) (?:it|them|that|those|both|all)\b)",
    re.IGNORECASE,
)
_REFUSE = re.compile(
    r"\b(?:no|nope|nah|not|never|don'?t|do not|doesn'?t|does not|didn'?t|did not|isn'?t|is not|aren'?t|wasn'?t|won'?t|can'?t|cannot|"
    r"shouldn'?t|wouldn'?t|wait|hold on|hang on|hold off|one moment|one sec|actually|but|however|although|though|wrong|incorrect|"
    r"mistake|mistaken|never ?mind|hmm+|unsure|rethink|reconsider|second thought|not yet|before you|instead of that|"
    r"change (?:that|it|the)|other one|different one|rather not)\b",
    re.IGNORECASE,
)
# Phrases that contain a refusal word without refusing anything.
_HARMLESS = re.compile(
    r"\b(?:no longer (?:need|want|use|required)|no problem|no worries|not a problem|no rush|nothing else|no other|"
    r"not needed anymore|ordered (?:it )?by mistake|by mistake|don'?t need (?:it|them|this|that)(?: anymore)?|"
    r"why not(?=\s*(?:[,.!;:]|$)))",  # "why not, yes please": assent, not a refusal
    re.IGNORECASE,
)
_FILLER = frozenset({"please", "pls", "plz", "ok", "okay", "then", "now", "thanks", "thank", "you", "thx", "ty", "yes", "sure", "it", "that"})


def is_confirmation(text: str, question: str | None = None) -> bool:
    """An explicit yes with no refusal, hesitation, condition or correction in the same message.

    `question`: the agent message it answers. A short reply that echoes its closing yes/no question's own
    verb ("Go ahead?" - "go", "Save?" - "save", "Shall I cancel it?" - "cancel") is a yes too.
    """
    cleaned = _HARMLESS.sub(" ", text.replace("’", "'"))
    if _REFUSE.search(cleaned):
        return False
    statements = [part for part in re.split(r"(?<=[.!?])\s+", cleaned.strip()) if part]
    if any(_AFFIRM.search(part) and not part.rstrip().endswith("?") for part in statements):
        return True
    return question is not None and _echoes(text, question)


def _echoes(text: str, question: str) -> bool:
    asked = [part for part in sentences(question) if part.strip()]
    if not asked or not asked[-1].rstrip().endswith("?") or re.search(r"\bor\b", asked[-1], re.IGNORECASE) or text.rstrip().endswith("?"):
        return False
    words = [key for key in keys(text) if key not in _FILLER]
    return 0 < len(words) <= 3 and set(words) <= set(keys(asked[-1]))
