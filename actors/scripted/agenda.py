"""The scripted user's agenda: its scenario read into who it is and what it wants, goal by goal.

Each goal sentence the scenario templates write parses (with the domain's goal grammar, the same the
scripted agent understands) into a goal type and its fields, phrases in the templates' grammar:

    agenda = Agenda.of(system_prompt)
    agenda.needs[0]   # Need(index=0, type="return_items", fields={"order": "your order with the Lamp", ...})
    agenda.email      # "leo.lindqvist7919@example.com"

A sentence no pattern reads (a scenario an LLM reworded) stays an opaque need: the user then says it
in the first person, as it is.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from typing import Any

from actors.memo import Kept
from domains.scripted.slots import slot_groups
from domains.plugin import rule
from domains.registry import get_domain, loaded_domains


@dataclass(frozen=True)
class Need:
    """One goal of the scenario: its sentence, and (when the grammar reads it) its type and fields."""

    index: int
    sentence: str
    type: str | None = None
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def groups(self) -> tuple[str, ...]:
        """The slot groups this need has values for, in the order a customer gives them."""
        return tuple(group for group, names in slot_groups(self.type) if any(name in self.fields for name in names))

    def group_fields(self, group: str) -> dict[str, str]:
        names = next((names for name, names in slot_groups(self.type) if name == group), ())
        return {name: self.fields[name] for name in names if name in self.fields}

    @property
    def need_fields(self) -> dict[str, str]:
        """Fields that belong to no group: part of the request itself (a delay, not a cancellation)."""
        grouped = {name for _, names in slot_groups(self.type) for name in names}
        return {name: value for name, value in self.fields.items() if name not in grouped}


@dataclass(frozen=True)
class Agenda:
    """What the scenario tells the customer: the requests in order, and who they are."""

    text: str
    needs: tuple[Need, ...]
    domain: str | None  # the registered domain whose scenario this is (None: no domain is registered)
    name: str | None = None
    email: str | None = None
    zip_code: str | None = None
    user_id: str | None = None

    @classmethod
    def of(cls, system_prompt: str) -> Agenda:
        """The agenda of a user system prompt. The scripted user reads the same prompt at every turn: the
        reading is kept (per prompt and set of loaded domains) and each call gets its own copy of the
        needs' fields, so a caller that changes them changes nothing for the next turn."""
        plugins = tuple(loaded_domains())
        kept = _AGENDAS.get(system_prompt, plugins)
        if kept is None:
            kept = _AGENDAS.put(system_prompt, cls._read(system_prompt), plugins)
        return replace(kept, needs=tuple(replace(need, fields=dict(need.fields)) for need in kept.needs))

    @classmethod
    def _read(cls, system_prompt: str) -> Agenda:
        inside = re.search(r"<scenario>(.*?)</scenario>", system_prompt, re.DOTALL)
        text = inside.group(1).strip() if inside else system_prompt
        reason = _section(text, "Reason for call")
        sentences = [line.strip() for line in re.findall(r"^\s*\d+\.\s+(.+)$", reason, re.MULTILINE)]
        if not sentences:  # a reworded scenario without numbers: every line that is not the opening or a heading
            sentences = [line.strip() for line in reason.splitlines() if line.strip() and not line.strip().endswith(":") and not line.strip().startswith("You are ")]
        domain = domain_of(text, sentences)
        needs = tuple(_need(index, sentence, domain) for index, sentence in enumerate(sentences))
        known = _section(text, "Known info")
        name = re.search(r"You are ([^\W\d_a-z][^,.\n]*?)(?:, zip code (\d{5}))?\.", known)
        email = re.search(r"Your email address is (\S+?)\.(?:\s|$)", text)
        user_id = re.search(r"Your user id is (\S+?)\.(?:\s|$)", text)
        return cls(
            text=text,
            needs=needs,
            domain=domain,
            name=name.group(1) if name else None,
            zip_code=name.group(2) if name else None,
            email=email.group(1) if email else None,
            user_id=user_id.group(1) if user_id else None,
        )

    @property
    def digest(self) -> bytes:
        """A fingerprint of the scenario: the customer's fixed traits (how it discloses, its habits) come from it."""
        return hashlib.sha256(self.text.encode("utf-8")).digest()

    def trait(self, name: str, index: int = 0) -> float:
        """A fixed number in [0, 1) for one trait of this customer (the same on every turn of the dialogue)."""
        digest = hashlib.sha256(self.digest + f"{name}:{index}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64

    @property
    def identity_facts(self) -> dict[str, Any]:
        """What the customer can say to be identified, best first: a user id, an email, or a name and zip."""
        if self.user_id:
            return {"user_id": self.user_id}
        if self.email:
            return {"email": self.email}
        if self.name and self.zip_code:
            return {"name": self.name, "zip": self.zip_code}
        return {}


_AGENDAS: Kept[Agenda] = Kept(1024)  # a user system prompt's agenda, for the plug-ins loaded when it was read


def _section(text: str, title: str) -> str:
    """The body of one titled section of the scenario ('Known info:' ...), or the whole text without titles."""
    found = re.search(rf"{title}:(.*?)(?:\n\s*\n[A-Z][\w ]+:|\Z)", text, re.DOTALL)
    return found.group(1) if found else text


def domain_of(text: str, sentences: list[str]) -> str | None:
    """The domain a scenario belongs to: the one plug-in that recognises it, else (of those that do, or of
    all) the one whose goal grammar reads the most of its goal sentences, the first by name on a tie."""
    plugins = loaded_domains()
    claimed = [plugin for plugin in plugins if plugin.scripted_user.recognises(text)]
    if len(claimed) == 1:
        return claimed[0].name
    candidates = claimed or plugins
    if not candidates:
        return None
    return max(candidates, key=lambda plugin: sum(plugin.scripted_agent.parse_goal(s) is not None for s in sentences)).name


def _need(index: int, sentence: str, domain: str | None) -> Need:
    goal = get_domain(domain).scripted_agent.parse_goal(sentence) if domain is not None else None
    if goal is None:
        return Need(index, sentence)
    fields = dict(goal.fields)
    for name, value in rule(get_domain(domain).scripted_user, "GOAL_DEFAULTS").get(goal.type, {}).items():
        fields.setdefault(name, value)  # a sentence that leaves a field out ("no bags") answers it too
    return Need(index, sentence, goal.type, fields)
