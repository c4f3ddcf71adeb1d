"""Reading what people wrote, deterministically: tokens, numbers, dates, sentences, clauses, negation.

Every check on dialogue text (information answers, confirmations, the details a confirmation lists,
whether a user stated a goal) goes through these functions, so all of them agree on what counts as
"the same words": case, hyphens, spacing, plurals and thousands separators do not matter; numbers are
compared by value ("$1,234.50" = "1234.5", "450" is not "45"); a number inside an id ("#W4512345",
"credit_card_450") is part of that id, never a number; dates in any common spelling become ISO dates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from functools import lru_cache

_MONTHS = {
    name: index
    for index, names in enumerate(
        (("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
         ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
         ("dec", "december")),
        start=1,
    )
    for name in names
}
_MONTH = r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_DATE_MDY = re.compile(rf"\b{_MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.IGNORECASE)
_DATE_DMY = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+(\d{{4}})\b", re.IGNORECASE)
_DATE_SLASH = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")  # US order: month/day/year
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_TOKEN = re.compile(r"[#$]?[\w'’]+(?:[.\-][\w'’]+)*")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_NUMBER_UNIT = re.compile(r"(\d+(?:\.\d+)?)([a-z]+)")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_CURRENCY_WORDS = frozenset({"dollar", "dollars", "usd", "buck", "bucks"})
_CURRENCY_BEFORE = frozenset({"usd", "us$", "us"})
_PAUSE = re.compile(r"[,;:.!?()\[\]→•|]|\s/|/\s|\s->")  # also " / " between list items, "→", "•"; not "S/M"
_SPELLING = {"canceled": "cancelled", "canceling": "cancelling", "cancelation": "cancellation", "okay": "ok", "ontime": "on-time"}


@dataclass(frozen=True, slots=True)
class Token:
    """One token: `key` is what comparisons use; `kind` is word, number, id or date."""

    key: str
    kind: str
    value: Decimal | None = None  # numbers only
    money: bool = False  # written with "$" or followed by "dollars"/"USD"
    pause: bool = False  # a comma, colon, semicolon or stop stands right before it


def _iso(year: str, month: int, day: str) -> str:
    return f"{int(year):04d}-{month:02d}-{int(day):02d}"


def _normalise_dates(text: str) -> str:
    text = _DATE_MDY.sub(lambda m: _iso(m.group(3), _MONTHS[m.group(1).lower().rstrip(".")], m.group(2)), text)
    text = _DATE_DMY.sub(lambda m: _iso(m.group(3), _MONTHS[m.group(2).lower().rstrip(".")], m.group(1)), text)
    return _DATE_SLASH.sub(lambda m: _iso(m.group(3), int(m.group(1)), m.group(2)) if 1 <= int(m.group(1)) <= 12 else m.group(0), text)


def singular(word: str) -> str:
    """A crude singular, the same on both sides of every comparison ("boxes" -> "box", "shoes" -> "shoe")."""
    if len(word) <= 3 or not word.endswith("s") or word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "zes", "ches", "shes")):
        return word[:-2]
    return word[:-1]


def _word_tokens(raw: str) -> list[Token]:
    word = raw.replace("’", "'").lower()
    if word.endswith("'s"):
        word = word[:-2]
    word = _SPELLING.get(word, word)
    parts = [p for p in re.split(r"[.\-]", word) if p] if not any(c.isdigit() for c in word) else [word]
    return [Token(singular(_SPELLING.get(p, p)), "word") for p in parts]


def _classify(raw: str) -> list[Token]:
    money = raw.startswith("$")
    hashed = raw.startswith("#")
    body = raw.lstrip("#$")
    if not body:
        return []
    lowered = body.lower()
    if _ISO_DATE.fullmatch(lowered):
        return [Token(lowered, "date")]
    if len(lowered) > 1 and lowered[0] == "0" and lowered.isdigit():
        return [Token(lowered, "id")]  # "0226", "02139": card digits or a zip code, never the amount 226
    if _NUMBER.fullmatch(lowered) and not hashed:
        try:
            return [Token(lowered, "number", Decimal(lowered), money)]
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
            return [Token(lowered, "id")]
    unit = _NUMBER_UNIT.fullmatch(lowered)
    if unit and not hashed and len(unit.group(2)) <= 4:  # "64gb", "1000ml", "15in": a number and its unit
        return [Token(unit.group(1), "number", Decimal(unit.group(1))), Token(singular(unit.group(2)), "word")]
    if hashed or "_" in lowered or any(c.isdigit() for c in lowered):
        return [Token(lowered.strip("'’"), "id")]
    return _word_tokens(body)


@lru_cache(maxsize=16384)
def _classified(raw: str) -> tuple[Token, ...]:
    """`_classify`, kept per raw token: texts differ, their words mostly do not (tokens are frozen, so shared)."""
    return tuple(_classify(raw))


@lru_cache(maxsize=8192)
def tokens(text: str) -> tuple[Token, ...]:
    """The tokens of a text, in order (cached: texts are compared again and again)."""
    cleaned = _THOUSANDS.sub("", _normalise_dates(text))
    out: list[Token] = []
    previous_end = 0
    for match in _TOKEN.finditer(cleaned):
        found = list(_classified(match.group(0)))
        if found and _PAUSE.search(cleaned, previous_end, match.start()):
            found[0] = replace(found[0], pause=True)
        previous_end = match.end()
        if found and found[0].kind == "word" and found[0].key in _CURRENCY_WORDS and out and out[-1].kind == "number":
            last = out[-1]
            out[-1] = replace(last, money=True)
        if found and found[0].kind == "number" and out and out[-1].kind == "word" and out[-1].key in _CURRENCY_BEFORE:
            found[0] = replace(found[0], money=True)  # "USD 200"
        out.extend(found)
    return tuple(out)


_DOUBLED = re.compile(r"([bdfgklmnprtz])\1$")


def stem(word: str) -> str:
    """A crude stem for matching words in any inflection: 'changed', 'changing', 'change' -> 'chang';
    'cancelled' -> 'cancel'; 'shipped' -> 'ship'. Ids, numbers and short words stay as they are."""
    if len(word) < 4 or not word.isalpha():
        return word
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            if _DOUBLED.search(word):
                word = word[:-1]
            elif suffix == "ed" and word.endswith("i"):
                word = word[:-1] + "y"
            break
    return word[:-1] if len(word) >= 4 and word.endswith("e") else word


@lru_cache(maxsize=8192)
def stems(text_keys: tuple[str, ...]) -> tuple[str, ...]:
    """The stems of a run of keys (for matching words whatever their inflection)."""
    return tuple(stem(key) for key in text_keys)


@lru_cache(maxsize=8192)
def keys(text: str) -> tuple[str, ...]:
    """The comparison keys of a text's tokens (a number's normalised value); the same texts are matched again and again."""
    return tuple(token.key if token.kind != "number" else _number_key(token.value) for token in tokens(text))


def _number_key(value: Decimal | None) -> str:
    return format(value.normalize(), "f") if value is not None else ""


def number_key(text: str) -> str | None:
    """The comparison key of a text that is one number ("$1,093.30" -> "1093.3"), else None."""
    found = tokens(text)
    return _number_key(found[0].value) if len(found) == 1 and found[0].kind == "number" else None


def find(haystack: tuple[str, ...], needle: tuple[str, ...], start: int = 0) -> int:
    """The first position of `needle` as a contiguous run of keys in `haystack` (from `start`), or -1."""
    n = len(needle)
    if n == 0:
        return -1
    first = needle[0]
    for index in range(start, len(haystack) - n + 1):
        if haystack[index] == first and haystack[index : index + n] == needle:
            return index
    return -1


def positions(haystack: tuple[str, ...], needle: tuple[str, ...]) -> list[int]:
    found, index = [], find(haystack, needle)
    while index >= 0:
        found.append(index)
        index = find(haystack, needle, index + 1)
    return found


def mentions(text: str, phrase: str) -> bool:
    """Whether `phrase` occurs in `text` as whole tokens, after normalisation."""
    return find(keys(text), keys(phrase)) >= 0


# --- sentences and clauses ---------------------------------------------------------------------

_SENTENCE_BREAK = re.compile(r"(?<=[.!?])[\"')\]]*\s+|\n+|(?:^|\s)[*•]\s+|\s+-\s+(?=\S)(?<=^-\s)")
_CLAUSE_BREAK = re.compile(
    r"\s*[;()\[\]]\s*|\s+[—–]\s+|\s+-{1,2}\s+|,?\s+\b(?:but|while|whereas|however|although|though|because|since|so that|which means)\b\s+",
    re.IGNORECASE,
)
_AND_CLAUSE = re.compile(r",?\s+\band\b\s+(?=(?:your|the|it|its|that|this|my|you|i|we|there|then)\b)", re.IGNORECASE)


def sentences(text: str) -> list[str]:
    return [part.strip() for part in _SENTENCE_BREAK.split(text) if part and part.strip()]


def clauses(sentence: str, *, split_and: bool = False) -> list[str]:
    """The clauses of a sentence: split at semicolons, dashes, brackets and contrasting conjunctions
    ("but", "while"...); with `split_and`, also at "and" before a new subject ("... and your refund")."""
    parts = [p for p in _CLAUSE_BREAK.split(sentence) if p and p.strip()]
    if split_and:
        parts = [q for p in parts for q in _AND_CLAUSE.split(p) if q and q.strip()]
    return parts


# --- negation ----------------------------------------------------------------------------------

_NEGATORS = frozenset({"not", "no", "never", "without", "neither", "nor", "none", "isnt", "wasnt", "arent", "werent", "hasnt", "hadnt",
                       "havent", "doesnt", "dont", "didnt", "wont", "cant", "cannot"})


def pauses(text: str) -> tuple[bool, ...]:
    """For each key of `text`, whether punctuation (a comma, colon, stop...) stands right before it."""
    return tuple(token.pause for token in tokens(text))


def negated_at(text_keys: tuple[str, ...], index: int, window: int = 4, breaks: tuple[bool, ...] | None = None) -> bool:
    """Whether a negation ("not", "isn't", "never", "no longer"...) stands within `window` tokens before
    `index`, in the same stretch of words (`breaks`: punctuation before each key, from `pauses`); a bare
    "no" only right before it ("no delay", "no longer delayed")."""
    for position in range(index - 1, max(-1, index - window - 1), -1):
        if breaks is not None and breaks[position + 1]:
            return False  # "insurance: no, $348": the "no" is another phrase's
        key = text_keys[position]
        if key == "no":
            if position == index - 1 or (position == index - 2 and text_keys[index - 1] == "longer"):
                return True
            continue
        if key in _NEGATORS or key.endswith("n't"):
            return True
    return False
