"""The scripted user: a deterministic customer that plays its scenario as an agenda of dialogue acts.

Each call reads its scenario into an `Agenda` (who it is; each goal's type and described records),
re-reads the conversation, including the acts it recorded with its own earlier messages, and decides
the acts of its next message: greet and state its first need, identify itself (up front or when
asked), give a detail when the agent asks for it (sometimes more than asked, sometimes less than
needed, so the agent has to ask again), confirm a read-back that fits its goal or correct one that
does not, thank and raise its next need when the agent closes one, and end with ###STOP### once all
is done (###TRANSFER### when transferred). It then says them in varied first-person words
(`phrasebank`, `wording`). It never says an id its scenario did not give it, unless its planned
mistake is to invent one.

The acts travel with the message in the model call's record (`raw_response['script']['acts']`); the
scripted agent reads them, no export and no verifier does.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from actors.scripted import phrasebank as bank
from domains.scripted import wording
from actors.scripted.agenda import Agenda, Need
from domains.scripted.phrases import item_attributes, split_listing, strip_asides
from domains.scripted.mistakes import USER_MISTAKES, Mistake, committed, mistake_settings, planned_mistake
from actors.scripted.protocol import STOP, TRANSFER, asks_confirmation, asks_identity, closes_request, transfers
from domains.scripted.slots import asked_groups, is_slot_question, slot_groups
from actors.view import ACTS_KEY
from domains.plugin import rule
from domains.registry import get_domain

MAX_EXCHANGES = 8  # agent messages without progress on one request before the customer moves on
_HOW_CAN_I_HELP = re.compile(r"how can i help|what can i (?:do|help)|what do you need|how may i help", re.IGNORECASE)
_AMBIGUOUS = re.compile(r"more than one|several|which one|which of", re.IGNORECASE)


@dataclass
class History:
    """What the customer did so far, from the acts it recorded with its own messages."""

    first_text: str | None = None
    current: int = -1  # index of the need being dealt with (the last one requested)
    extra: bool = False  # asked for something outside its scenario already
    said: dict[int, dict[str, str]] = field(default_factory=dict)  # need -> fields said so far (latest wins)
    identified: bool = False
    changed_wrongly: bool = False
    invented: bool = False
    since_request: int = 0  # agent messages since the customer last got anywhere with the current need
    own_acts: list[dict[str, Any]] = field(default_factory=list)
    believed: set[tuple[int, str]] = field(default_factory=set)  # (need, field) it gave an invented value for, and stands by

    @classmethod
    def of(cls, messages: list[dict[str, Any]]) -> History:
        history = cls()
        for message in messages:
            if message.get("role") == "user":
                history.since_request += 1
            if message.get("role") != "assistant":
                continue
            if history.first_text is None:
                history.first_text = message.get("content") or ""
            for act in message.get(ACTS_KEY) or []:
                history.own_acts.append(act)
                kind, goal = act.get("act"), act.get("goal")
                if kind == "identify":
                    history.identified = history.identified or len(act.get("facts") or {}) > 1 or "name" not in (act.get("facts") or {})
                elif kind == "request" and isinstance(goal, int):
                    if goal > history.current:
                        history.current, history.since_request = goal, 0
                    history.extra = history.extra or bool(act.get("extra"))
                if kind in ("request", "inform", "correct") and isinstance(goal, int):
                    history.said.setdefault(goal, {}).update(act.get("fields") or {})
                if kind in ("inform", "correct", "confirm", "identify"):
                    history.since_request = 0  # the conversation moves: the customer is not stuck
                history.changed_wrongly = history.changed_wrongly or bool(act.get("change"))
                if act.get("invented"):
                    history.invented = True
                    history.believed |= {(goal, name) for name in act.get("fields") or {}}
        return history

    def disclosed(self, need: Need) -> list[str]:
        """Groups of `need` said in full (a partial description does not count)."""
        said = self.said.get(need.index, {})
        return [group for group in need.groups
                if all(said.get(name) == value or (need.index, name) in self.believed for name, value in need.group_fields(group).items())]


def respond_user(messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None, params: dict[str, Any]) -> dict[str, Any]:
    """The customer's next message (the agent's words arrive as role 'user'), with its acts and any mistake."""
    system = next((m.get("content") or "" for m in messages if m.get("role") == "system"), "")
    seed = params.get("seed")
    agenda = Agenda.of(system)
    # never the OS's entropy; the scenario too, since a run gives every dialogue's n-th call the same seed
    rng = random.Random(f"user:{len(messages) if seed is None else seed}:{agenda.digest.hex()}")
    history = History.of(messages)
    rate, enabled = mistake_settings(params)
    planned = planned_mistake(history.first_text or "", rate, enabled)
    mistake = planned if planned in USER_MISTAKES else None
    heard = messages[-1].get("content") or "" if messages and messages[-1].get("role") == "user" else ""
    acts, made = Customer(agenda, history, mistake).next_acts(heard)
    script: dict[str, Any] = {"acts": acts}
    if made:
        script["mistakes"] = [made]
    return {"role": "assistant", "content": say(acts, agenda, rng), "script": script}


@cache
def id_question(record_nouns: tuple[str, ...]) -> re.Pattern[str]:
    """A question for a record's number, id or code (the domain's `RECORD_NOUNS`, a booking, a payment method id)."""
    nouns = "|".join((*record_nouns, "confirmation", "booking"))
    return re.compile(rf"\b(?:{nouns}) (?:number|id|code)\b|\bpayment method id\b", re.IGNORECASE)


def user_rules(agenda: Agenda) -> Any:
    """The scripted-user rules of the scenario's domain (None: no domain, so every optional rule's default)."""
    return get_domain(agenda.domain).scripted_user if agenda.domain is not None else None


class Customer:
    """The decision of one turn: which acts to perform, given the agenda, the history and the agent's words."""

    def __init__(self, agenda: Agenda, history: History, mistake: Mistake | None) -> None:
        self.agenda, self.history, self.mistake = agenda, history, mistake

    @property
    def need(self) -> Need | None:
        needs = self.agenda.needs
        return needs[self.history.current] if 0 <= self.history.current < len(needs) else None

    def next_acts(self, heard: str) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        agenda, history = self.agenda, self.history
        if not agenda.needs:
            return [{"act": "stop"}], None
        if transfers(heard):
            return [{"act": "transfer"}], None
        if history.first_text is None:
            return self.opening(), None
        if history.current < 0:
            if asks_identity(heard):
                return [self.identify()], None
            if self.mistake is Mistake.STOPS_BEFORE_GOAL:
                return [{"act": "give_up"}, {"act": "stop"}], committed(self.mistake, goal=0)
            return [self.request(0)], None
        if history.since_request > MAX_EXCHANGES:
            return self.move_on()
        if is_slot_question(heard):
            return self.answer(heard)
        if asks_confirmation(heard):
            return self.answer_confirmation(heard)
        if asks_identity(heard):
            return [self.identify()], None
        if closes_request(heard):
            return self.move_on()
        if "?" in heard:
            return self.answer(heard)
        return [{"act": "ack"}], None

    # --- the acts ------------------------------------------------------------------------------

    def opening(self) -> list[dict[str, Any]]:
        acts: list[dict[str, Any]] = [{"act": "greet"}]
        if self.agenda.identity_facts and self.agenda.trait("identity_up_front") < 0.4:
            acts.append(self.identify())
        if self.agenda.trait("vague_opening") < 0.15:
            return [*acts, {"act": "vague"}]
        return [*acts, self.request(0)]

    def identify(self) -> dict[str, Any]:
        """Who the customer is; the first time, by habit, only its name (so the agent has to ask again)."""
        facts = self.agenda.identity_facts
        if not self.history.identified and self.history.first_text is not None and self.agenda.name and self.agenda.trait("name_only") < 0.25:
            if not any(act.get("act") == "identify" for act in self.history.own_acts):
                return {"act": "identify", "facts": {"name": self.agenda.name}}
        return {"act": "identify", "facts": facts}

    def request(self, index: int) -> dict[str, Any]:
        need = self.agenda.needs[index]
        if need.type is None:
            return {"act": "request", "goal": index, "type": None, "text": need.sentence}
        fields = dict(need.need_fields)
        for position, group in enumerate(need.groups):
            threshold = 0.65 if position == 0 else 0.2
            if self.agenda.trait(f"lead:{index}:{group}") < threshold:
                fields.update(self.group_said(need, group))
        return {"act": "request", "goal": index, "type": need.type, "fields": fields}

    def group_said(self, need: Need, group: str) -> dict[str, str]:
        """The fields of a group as the customer gives them this time: in full, or (first time, by habit) partly."""
        fields = need.group_fields(group)
        first_time = group not in self.history.said.get(need.index, {}) and not any(name in self.history.said.get(need.index, {}) for name in fields)
        if first_time and self.agenda.trait(f"partial:{need.index}:{group}") < 0.35:
            rules = user_rules(self.agenda)
            for name, value in fields.items():
                items = name == "items" and need.type in rule(rules, "LISTED_ITEMS_GOALS")  # a read-back will show what is missing
                methods = name == "method" or name in rule(rules, "PAYMENT_FIELDS")
                shorter = wording.partial_method(value) if methods else wording.partial_items(value) if items else None
                if shorter:
                    return {**fields, name: shorter}
        return fields

    def inform(self, need: Need, groups: list[str]) -> dict[str, Any]:
        fields: dict[str, str] = {}
        for group in groups:
            fields.update(self.group_said(need, group))
        return {"act": "inform", "goal": need.index, "fields": fields}

    def answer(self, heard: str) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        need = self.need
        if need is None or need.type is None:
            return [{"act": "dont_know"}], None
        if self.mistake is Mistake.INVENTS_ID and not self.history.invented and (invented := self.invented_id(need)):
            return [invented], committed(self.mistake, goal=need.index, said=next(iter(invented["fields"].values())))
        missing = [group for group in need.groups if group not in self.history.disclosed(need)]
        asked = asked_groups(heard, missing) or asked_groups(heard, list(need.groups))  # asked again: say it again
        if asked:
            groups = asked[:2]
            rest = [group for group in missing if group not in groups]
            if rest and self.agenda.trait(f"volunteer:{need.index}:{rest[0]}") < 0.25:
                groups.append(rest[0])  # says a bit more than asked
            if _AMBIGUOUS.search(heard):
                return [{"act": "inform", "goal": need.index, "fields": {k: v for g in groups for k, v in need.group_fields(g).items()}}], None
            return [self.inform(need, groups)], None
        if id_question(rule(user_rules(self.agenda), "RECORD_NOUNS")).search(heard) and need.groups:
            return [{"act": "no_id"}, {"act": "inform", "goal": need.index, "fields": need.group_fields(need.groups[0])}], None
        if _HOW_CAN_I_HELP.search(heard):
            return [self.request(need.index)], None
        return [{"act": "dont_know"}], None

    def invented_id(self, need: Need) -> dict[str, Any] | None:
        """A record id the scenario never gave, said as if it were the right one."""
        fields = rule(user_rules(self.agenda), "invented_id")(need.fields, self.agenda.digest)
        return {"act": "inform", "goal": need.index, "fields": fields, "invented": True} if fields else None

    def answer_confirmation(self, heard: str) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        need = self.need
        if need is None:
            return [{"act": "confirm", "goal": self.history.current}], None
        if self.mistake is Mistake.CONFIRMS_WRONG_DETAILS and need.type:
            if not self.history.changed_wrongly and (wrong := rule(user_rules(self.agenda), "wrong_details")(need.type, need.fields)):
                return [{"act": "correct", "goal": need.index, "fields": wrong, "change": True}], None
            if self.history.changed_wrongly:
                return [{"act": "confirm", "goal": need.index}], committed(self.mistake, goal=need.index)
        contradicted = contradiction(need, heard, user_rules(self.agenda))
        if contradicted:
            return [{"act": "correct", "goal": need.index, "fields": contradicted}], None
        return [{"act": "confirm", "goal": need.index}], None

    def move_on(self) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        following = self.history.current + 1
        if following < len(self.agenda.needs):
            if self.mistake is Mistake.STOPS_BEFORE_GOAL:
                return [{"act": "thank"}, {"act": "stop"}], committed(self.mistake, goal=following)
            return [{"act": "thank"}, {"act": "next"}, self.request(following)], None
        if self.mistake is Mistake.ASKS_OUTSIDE_SCENARIO and not self.history.extra and (extra := outside_request(self.agenda)):
            return [{"act": "thank"}, {"act": "next"}, extra], committed(self.mistake, asked=extra["type"])
        return [{"act": "thank"}, {"act": "stop"}], None


def outside_request(agenda: Agenda) -> dict[str, Any] | None:
    """A write the scenario never asks for, about one of its own records (for asks_outside_scenario)."""
    rules = user_rules(agenda)
    for need in agenda.needs:
        extra = rule(rules, "outside_request")(need.type, need.fields) if need.type is not None else None
        if extra is not None:
            goal_type, fields = extra
            return {"act": "request", "goal": len(agenda.needs), "type": goal_type, "extra": True, "fields": fields}
    return None


def contradiction(need: Need, heard: str, rules: Any) -> dict[str, str] | None:
    """The details to restate when a read-back does not fit the goal: another card, or items missing."""
    for name in ("method", *rule(rules, "PAYMENT_FIELDS")):
        wanted = re.search(r"ending in (\d{4})", need.fields.get(name, ""))
        read_back = re.findall(r"ending in (\d{4})", heard)
        if wanted and read_back and wanted.group(1) not in read_back:
            return {name: need.fields[name]}
    if need.type in rule(rules, "LISTED_ITEMS_GOALS"):
        names = [item_attributes(part).get("name", "") for part in split_listing(strip_asides(need.fields["items"]), "(?:the |item )")]
        if any(name.lower() not in heard.lower() for name in names):
            return {"items": need.fields["items"]}
    return None


# --- saying the acts ---------------------------------------------------------------------------


_CANNED = {"confirm": "CONFIRMS", "dont_know": "DONT_KNOW", "no_id": "NO_ID", "ack": "ACKS", "thank": "THANKS", "next": "NEXT",
           "give_up": "GIVE_UPS"}  # acts said in one of the phrase bank's stock sentences


def say(acts: list[dict[str, Any]], agenda: Agenda, rng: random.Random) -> str:
    """The acts in words: one or a few sentences, first person, varied by `rng`."""
    parts: list[str] = []
    for act in acts:
        kind = act["act"]
        if kind == "greet":
            parts.append(rng.choice(bank.GREETINGS) + rng.choice(("!", ".", ",")))
        elif kind == "identify":
            parts.append(_identity_words(act["facts"], agenda, rng))
        elif kind == "vague":
            parts.append(rng.choice(bank.VAGUE))
        elif kind == "request":
            parts.append(_request_words(act, agenda, rng))
        elif kind in ("inform", "correct"):
            text = _fields_words(agenda.needs[act["goal"]] if act["goal"] < len(agenda.needs) else None, act, agenda, rng)
            if kind == "correct":
                text = rng.choice(bank.CHANGES if act.get("change") else bank.CORRECTIONS).format(x=text)
            parts.append(text)
        elif kind in _CANNED:
            parts.append(rng.choice(getattr(bank, _CANNED[kind])))
        elif kind == "stop":
            parts.append((rng.choice(bank.STOPS) + " " if len(acts) > 1 or rng.random() < 0.7 else "") + STOP)
        elif kind == "transfer":
            parts.append(TRANSFER)
    text = ""
    for part in parts:
        if text.endswith(",") and not re.match(r"I\b|[A-Z]{2}|[A-Z]\w*\d", part):
            part = part[:1].lower() + part[1:]  # "Hi, could you ..."
        text = f"{text} {part}" if text else part
    return text


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _identity_words(facts: dict[str, Any], agenda: Agenda, rng: random.Random) -> str:
    kind = "user_id" if "user_id" in facts else "email" if "email" in facts else "name" if "zip" in facts else "name_only" if "name" in facts else None
    if kind is None:
        return rng.choice(bank.DONT_KNOW)
    return rng.choice(bank.IDENTITY[kind]).format(name=agenda.name or "", email=facts.get("email", ""), zip=facts.get("zip", ""), user_id=facts.get("user_id", ""))


def _request_words(act: dict[str, Any], agenda: Agenda, rng: random.Random) -> str:
    need = agenda.needs[act["goal"]] if act["goal"] < len(agenda.needs) else None
    if act.get("type") is None:
        return rng.choice(bank.OPAQUE).format(x=_first_person(act["text"]))
    sentence = need.sentence if need is not None else ""
    key = rule(user_rules(agenda), "request_key")(act["type"], sentence, act["fields"])
    opening = _cap(rng.choice(_phrases("NEEDS", key, agenda.domain)))
    opening += "?" if re.match(r"(?:how|could|can|is|where|what)\b", opening, re.IGNORECASE) else "."
    details = _fields_words(need if need is not None and not act.get("extra") else Need(act["goal"], "", act["type"], act["fields"]), act, agenda, rng)
    return f"{opening} {details}".strip()


def _fields_words(need: Need | None, act: dict[str, Any], agenda: Agenda, rng: random.Random) -> str:
    """One sentence per group the act says something about, in the group order of the goal type."""
    fields = act.get("fields") or {}
    goal_type = act.get("type") or (need.type if need else None)
    if goal_type is None:
        return ""
    sentences = []
    for group, names in slot_groups(goal_type):
        present = {name: fields[name] for name in names if name in fields}
        if present:
            bank_name = rule(user_rules(agenda), "INFORM_KEYS").get((goal_type, group), group)
            x = group_words(agenda.domain, goal_type, group, present, rng)
            template = rng.choice(_phrases("INFORMS", bank_name, agenda.domain))
            sentences.append(template.replace("{X}", _cap(x)).replace("{x}", x))
    return " ".join(sentences)


def _phrases(bank_name: str, key: str, domain: str | None) -> tuple[str, ...]:
    """One entry of a phrase bank (`NEEDS` by goal type, `INFORMS` by group): the shared one, else the domain's own."""
    shared = getattr(bank, bank_name)
    if key in shared or domain is None:
        return shared[key]
    return getattr(get_domain(domain).scripted_user, bank_name)[key]


_ONE_FIELD = {"method": wording.method_words}  # shared groups said from their one field of the same name, in any domain


def group_words(domain: str | None, goal_type: str, group: str, fields: dict[str, str], rng: random.Random) -> str:
    """The words for one group's fields: the domain's own words first (its records), then the shared ones."""
    if domain is not None:
        said = get_domain(domain).scripted_user.group_words(goal_type, group, fields, rng)
        if said is not None:
            return said
    if group == "reason":
        return wording.reason_words(fields[group], rng, rule(get_domain(domain).scripted_user if domain is not None else None, "REASON_WORDS"))
    if group in _ONE_FIELD:
        return _ONE_FIELD[group](fields[group], rng)
    return " ".join(fields.values())


def _first_person(phrase: str) -> str:
    """A goal sentence no template grammar reads, turned to the first person as it is."""
    phrase = re.sub(r"\byour\b", "my", phrase)
    phrase = re.sub(r"\b(keeps|keep|for|to|with) you\b", r"\1 me", phrase)
    return re.sub(r"\byou\b", "I", phrase)
