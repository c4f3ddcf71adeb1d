"""Information goals: did the agent tell the customer the right value, about the right thing, last?

An answer counts only as a *statement of the fact*: a sentence that names what was asked about (the
gift card's balance, the refund, the tracking number, the flight) and gives a value of the right kind.
Values are compared as whole tokens after normalisation (`domains.text`): "$1,093.30" says 1093.3,
"$450" does not say 45, and digits inside ids never count. A negated value ("not $45", "not delayed")
is no answer. The agent's LAST statement of the fact is what counts: a later correction replaces an
earlier answer, even a right one. Each domain says, per information goal type, which checker applies
and with which words (`domains/<domain>/facts.py`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from domains.text import clauses, keys, negated_at, number_key, pauses, sentences, tokens

# Words that put an amount about something else in a clause: a clause naming one of these (and not
# the fact asked about) is about another figure.
AMOUNT_SUBJECTS = {
    "price": r"\b(?:price|cost|priced|fare|charge|charged|fee|paid|pay|payment|subtotal|spent)\b",
    "order": r"\border\b",
    "refund": r"\b(?:refund|refunded|get back|back to you|reimburse|reimbursed|reimbursement|credited)\b",
    "gift_card": r"\b(?:gift ?card|balance)\b",
    "certificate": r"\b(?:certificate|voucher)\b",
}
# A sentence that corrects an earlier one can state the value without naming the fact again.
CORRECTION = re.compile(
    r"\b(?:actually|correction|correct (?:amount|figure|value|balance|total|number)|sorry|apologi[sz]e|apology|my mistake|mistaken|"
    r"misspoke|misread|miscalculated|i meant|should (?:be|have been)|you(?:'re| are) right|let me correct|to clarify|i was wrong)\b"
)


# An amount said in words: nothing is left ("the card is empty", "it's been used up").
ZERO = re.compile(
    r"\b(?:empty|emptied|nothing (?:left|remaining|on it|on the card)|no (?:balance|money|funds|credit) (?:left|remaining|on it)|"
    r"zero balance|(?:used|spent) up|depleted|drained|run out|ran out|fully used|all used)\b"
)
# In a contrast ("it started at $113.94, but now it has $13.94 left"), a figure of the past gives way to the current one.
PAST = re.compile(r"\b(?:started|starting|originally|initially|previously|used to|at first|was|were|had|had been|before)\b")
NOW = re.compile(r"\b(?:now|currently|today|left|remaining|remains|after that|afterwards|at the moment|as of now)\b")


@dataclass(frozen=True)
class Answer:
    """Whether the information goal is met, and what the agent's last statement of the fact said."""

    satisfied: bool
    said: str | None  # the last statement of the fact (None: never stated)

    def missing(self, expected: Sequence[str]) -> list[str]:
        if self.satisfied:
            return []
        if self.said is None:
            return [f"value(s) {list(expected)} never stated"]
        return [f"value(s) {list(expected)} not what the agent last said: {self.said!r}"]


def _joined(text: str) -> str:
    return " ".join(keys(text))


# --- amounts and codes -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Statement:
    text: str
    positive: frozenset[str]
    negated: frozenset[str]


def _mentions(pattern: re.Pattern[str] | None, clause_keys: tuple[str, ...]) -> list[int]:
    """Token positions where a subject pattern (over the space-joined keys) matches."""
    if pattern is None:
        return []
    starts, offset = [], 0
    for key in clause_keys:
        starts.append(offset)
        offset += len(key) + 1
    return [sum(1 for start in starts if start <= match.start()) - 1 for match in pattern.finditer(" ".join(clause_keys))]


def _values(clause: str, code: str | None, own: list[int], other: list[int]) -> tuple[set[str], set[str], bool]:
    """(stated values, negated values, any written as money) of one clause; `code` is the kind of token a
    code is ("number" for a tracking number), None for amounts. When the clause names both the fact
    (`own` positions) and another figure (`other`), a value belongs to the nearer of the two."""
    clause_tokens, clause_keys = tokens(clause), keys(clause)
    positive, negated, money = set(), set(), False
    if code in ("number", "id"):  # a long number read out in groups ("7615 6204 0224") is one code
        run: list[str] = []
        for token in list(clause_tokens) + [None]:
            group = token is not None and token.kind in ("number", "id") and token.key.isdigit() and 3 <= len(token.key) <= 5
            if group and not (run and token.pause):
                run.append(token.key)
                continue
            if len(run) > 1:
                positive.add("".join(run))
            run = [token.key] if group else []
    for index, token in enumerate(clause_tokens):
        if code:
            if token.kind != code or len(token.key) < 6 or (code == "number" and (token.money or not token.key.isdigit())):
                continue  # an amount is no code
            value = token.key
        else:
            if token.kind != "number":
                continue
            value = clause_keys[index]
        if own and other and _nearest(index, own) > _nearest(index, other):
            continue
        if not code:
            money |= token.money
        (negated if negated_at(clause_keys, index, breaks=pauses(clause)) else positive).add(value)
    return positive, negated, money


def _nearest(index: int, positions: list[int]) -> tuple[int, int]:
    """Distance to the nearest position (a mention before the value wins a tie)."""
    return min((abs(index - p), 0 if p <= index else 1) for p in positions)


def other_subjects(own_key: str) -> str:
    """A pattern for every amount subject but `own_key` (a key of AMOUNT_SUBJECTS)."""
    return "|".join(pattern for key, pattern in AMOUNT_SUBJECTS.items() if key != own_key)


# sentence -> True: about another record of the kind; False: about this one; None: names no record
# (the sentence is about what the agent's previous sentence was about)
Foreign = Callable[[str], bool | None]


def fact_statements(messages: Sequence[str], own: str, others: str, *, code: str | None = None, foreign: Foreign | None = None) -> list[_Statement]:
    """Every statement of one fact, in order: sentences naming it (`own`, a pattern over normalised
    words) with values, and corrections that restate a value right after such a statement.

    Within a sentence, a clause naming another figure (`others`) is left out, and a clause naming
    nothing counts only after a clause that names the fact ("$54.30 in all: $30 for the lamp..."), or,
    when no single clause names it, in a sentence that names no other figure either. A figure of the
    past beside a current one ("started at $113.94, now $13.94 left") is not the answer, and an amount
    said in words ("the card is empty") is one. A sentence about another record of the same kind
    (`foreign`: another order's refund, another customer's gift card) is not one; a sentence naming no
    record is about what the agent spoke of last.
    """
    own_pattern, other_pattern = re.compile(own), re.compile(others) if others else None
    statements: list[_Statement] = []
    elsewhere = False  # the agent is speaking of another record
    ours_last = False  # the last sentence with a figure was a statement of this fact: a correction may follow
    for message in messages:
        for sentence in sentences(message):
            if foreign is not None:
                about = foreign(sentence)
                elsewhere = elsewhere if about is None else about
                if elsewhere:
                    ours_last = ours_last and not _has_figure(sentence)
                    continue
            joined = _joined(sentence)
            named = bool(own_pattern.search(joined))
            correction = ours_last and bool(CORRECTION.search(joined))
            statement = _statement(sentence, own_pattern, other_pattern, code, whole=not named) if named or correction else None
            if statement is not None:
                statements.append(statement)
                ours_last = True
            elif _has_figure(sentence):
                ours_last = False
    return statements


def _has_figure(sentence: str) -> bool:
    return any(token.kind == "number" for token in tokens(sentence))


def _statement(sentence: str, own_pattern: re.Pattern[str], other_pattern: re.Pattern[str] | None, code: str | None, *, whole: bool) -> _Statement | None:
    """What one sentence states of the fact (`whole`: a correction, whose every clause restates it), or None."""
    parts = []
    for clause in clauses(sentence, split_and=True):
        clause_keys = keys(clause)
        parts.append((clause, _mentions(own_pattern, clause_keys), _mentions(other_pattern, clause_keys)))
    first_own = next((i for i, (_, own_at, _) in enumerate(parts) if own_at), None)
    other_named = any(other_at for _, _, other_at in parts)
    found: list[tuple[str, set[str], set[str]]] = []  # (clause, stated, negated) of each clause that counts
    money_values, money_seen = set(), False
    for index, (clause, own_at, other_at) in enumerate(parts):
        if other_at and not own_at:
            continue  # a clause about another figure
        if first_own is not None and index < first_own:
            continue  # before the fact is named, a bare figure is about something else
        if first_own is None and other_named and not whole:
            continue  # the fact is named only across clauses: a bare figure is the other figure's
        stated, denied, money = _values(clause, code, own_at, other_at)
        if not code and not stated and ZERO.search(_joined(clause)):
            stated = {"0"}
        found.append((clause, stated, denied))
        if money:
            money_seen = True
            money_values |= {v for v in stated if v in _money_keys(clause)}
    if not code and len([f for f in found if f[1]]) > 1:
        current = [f for f in found if f[1] and NOW.search(_joined(f[0]))]
        if current:  # "was $113.94, but now $13.94 left": the past figures go
            found = [f for f in found if not (f[1] and PAST.search(_joined(f[0])) and f not in current)]
    positive = {v for _, stated, _ in found for v in stated}
    negated = {v for _, _, denied in found for v in denied}
    if not positive and not negated:
        return None
    if money_seen and not code:
        kept = money_values & positive
        positive = kept | ({"0"} & positive) if kept else positive  # "$30 on 2 cards": the 2 is a count
    return _Statement(sentence, frozenset(positive), frozenset(negated))


def _money_keys(clause: str) -> set[str]:
    return {key for token, key in zip(tokens(clause), keys(clause)) if token.kind == "number" and token.money}


def amount_answer(messages: Sequence[str], expected: str, own: str, others: str, foreign: Foreign | None = None) -> Answer:
    """An amount: the last statement naming the fact must state `expected` (by value)."""
    statements = fact_statements(messages, own, others, foreign=foreign)
    wanted = number_key(expected) or _joined(expected)
    if not statements:
        return Answer(False, None)
    last = statements[-1]
    return Answer(wanted in last.positive, last.text)


def code_answer(messages: Sequence[str], expected: str, own: str, foreign: Foreign | None = None) -> Answer:
    """A code such as a tracking number: the last statement naming the fact must give exactly it."""
    wanted = _joined(expected)
    kind = tokens(expected)[0].kind if tokens(expected) else "id"
    statements = fact_statements(messages, own, "", code=kind, foreign=foreign)
    if not statements:
        return Answer(False, None)
    last = statements[-1]
    return Answer(wanted in last.positive, last.text)


# --- statuses of a named entity ------------------------------------------------------------------

EntityFinder = Callable[[tuple[str, ...]], list[tuple[int, str]]]  # clause keys -> [(position, entity)]


_MODALS = frozenset({"can", "could", "will", "would", "may", "might", "should", "must", "to", "shall", "cannot", "can't", "won't"})


def _hypothetical(clause_keys: tuple[str, ...], index: int) -> bool:
    """'can be cancelled', 'would be delayed', 'to be on time': a possibility, not a status."""
    before = clause_keys[max(0, index - 3) : index]
    return "be" in before and any(key in _MODALS for key in clause_keys[max(0, index - 4) : index])


def _status_positions(clause_keys: tuple[str, ...], lexicon: dict[str, list[tuple[str, ...]]], breaks: tuple[bool, ...] | None = None) -> list[tuple[int, str, bool]]:
    found = []
    for status, phrases in lexicon.items():
        for phrase in phrases:
            n = len(phrase)
            for index in range(len(clause_keys) - n + 1):
                if clause_keys[index : index + n] == phrase and not _hypothetical(clause_keys, index):
                    found.append((index, status, negated_at(clause_keys, index, breaks=breaks)))
    found.sort()
    kept, covered = [], -1  # drop a phrase inside a longer one found at the same place ("running late" / "late")
    for index, status, negated in found:
        if index > covered or not kept:
            kept.append((index, status, negated))
        covered = max(covered, index)
    return kept


def status_assertions(messages: Sequence[str], find_entities: EntityFinder, lexicon: dict[str, list[tuple[str, ...]]]) -> list[tuple[str, str, bool, str]]:
    """(entity, status, negated, sentence) for every status the agent attached to a named entity, in order.

    A status attaches to the entities named before it in its clause since the previous status, else to
    the next one named after it in the clause, else to the last one named earlier in the sentence; in
    a sentence that names a single entity, every status in it is about that entity.
    """
    out = []
    for message in messages:
        for sentence in sentences(message):
            parts = []
            for clause in clauses(sentence):
                clause_keys = keys(clause)
                parts.append((find_entities(clause_keys), _status_positions(clause_keys, lexicon, pauses(clause)), clause_keys))
            named = {entity for entities, _, _ in parts for _, entity in entities}
            if not named:
                continue
            previous: list[str] = []
            for entities, statuses, clause_keys in parts:
                if statuses:
                    for entity, status, negated in _attach(entities, statuses, named, previous, clause_keys):
                        out.append((entity, status, negated, sentence))
                if entities:
                    previous = [entities[-1][1]]
    return out


_LIST_GLUE = frozenset({"and", "or", "flight", "flights", "the", "both", "as", "well", "&", "your", "its"})


def _attach(entities, statuses, named, previous, clause_keys) -> list[tuple[str, str, bool]]:
    if len(named) == 1:
        only = next(iter(named))
        return [(only, status, negated) for _, status, negated in statuses]
    attached, floor = [], -1
    for position, status, negated in statuses:
        before = [(at, entity) for at, entity in entities if floor < at < position]
        if before:
            chosen = [before[-1]]  # the nearest, and the ones listed with it ("HAT1 and HAT2 are delayed")
            for at, entity in reversed(before[:-1]):
                if all(key in _LIST_GLUE for key in clause_keys[at + 1 : chosen[-1][0]]):
                    chosen.append((at, entity))
                else:
                    break
            targets = [entity for _, entity in chosen]
        else:
            targets = [entity for at, entity in entities if at > position][:1] or previous
        floor = position
        attached += [(entity, status, negated) for entity in dict.fromkeys(targets)]
    return attached


def status_answer(messages: Sequence[str], expected: str, target: str, find_entities: EntityFinder, lexicon: dict[str, list[tuple[str, ...]]]) -> Answer:
    """The agent's final word on `target`'s status must be `expected`: a later different status
    replaces it, and a later negation of it ("it is not delayed after all") withdraws it."""
    belief, said = None, None
    for entity, status, negated, sentence in status_assertions(messages, find_entities, lexicon):
        if entity != target:
            continue
        said = sentence
        if not negated:
            belief = status
        elif belief == status:
            belief = None
    return Answer(belief == expected, said)


# --- plain values (imported tasks) -------------------------------------------------------------


def phrase_answer(messages: Sequence[str], expected: str) -> Answer:
    """A value with no known subject (τ²-bench's communicate_info): said somewhere as whole tokens, not negated."""
    wanted = keys(expected)
    if not wanted:
        return Answer(True, None)
    for message in reversed(messages):
        message_keys = keys(message)
        for index in range(len(message_keys) - len(wanted) + 1):
            if message_keys[index : index + len(wanted)] == wanted and not negated_at(message_keys, index, window=2, breaks=pauses(message)):
                return Answer(True, message)
    return Answer(False, None)


__all__ = ["AMOUNT_SUBJECTS", "Answer", "amount_answer", "code_answer", "fact_statements", "other_subjects", "phrase_answer", "status_answer"]


# --- amounts in a summary before a write -------------------------------------------------------------


def attached_amounts(text: str, own: str) -> list[set[str]]:
    """What a text says an amount of a subject is, statement by statement: for the last mention of `own`
    (a pattern over normalised words) in a clause, the amounts after it in the clause ("Total: 2 x $108 +
    2 x $30 = $276"), else the nearest one before it ("$54.30 will be refunded"). Negated amounts ("not
    $45") are left out, and only money written as money ("$45", "45 dollars", "USD 45") is an amount, not
    card digits or counts."""
    pattern = re.compile(own)
    found: list[set[str]] = []
    text = re.sub(r"(?<=\s)=(?=\s)", " total ", text)  # "2 x $108 + 2 x $30 = $276": what follows "=" is the total
    for sentence in sentences(text):
        for clause in clauses(sentence):
            clause_tokens, clause_keys = tokens(clause), keys(clause)
            breaks = pauses(clause)
            numbers = [i for i, token in enumerate(clause_tokens) if token.kind == "number" and token.money and not negated_at(clause_keys, i, breaks=breaks)]
            mentions = _mentions(pattern, clause_keys)
            if not mentions or not numbers:
                continue
            at = mentions[-1]
            after = [clause_keys[i] for i in numbers if i > at]
            before = [clause_keys[i] for i in numbers if i < at]
            found.append(set(after) if after else {before[-1]})
    return found


def amount_judge(value: float, own: str, *, required: bool = False) -> Callable[[str], str]:
    """A summary states this amount for its subject: one of its statements of the subject's amount must
    give `value` (a summary of two refunds states two); stating none is fine unless `required` (a
    booking's total, a certificate's value)."""
    wanted = number_key(f"{abs(value):.2f}")

    def judge(text: str) -> str:
        said = attached_amounts(text, own)
        if not said:
            return "missing" if required else "ok"
        return "ok" if any(wanted in amounts for amounts in said) else "differs"  # one summary may cover several writes

    return judge
