"""The airline domain as cove finds it: registered as `airline = "domains.airline.plugin:PLUGIN"` in the
`cove.domains` entry-point group, exactly as a third-party domain is."""

from __future__ import annotations

import re
from pathlib import Path

from domains.airline import check, conversation, facts, fuzzifier, generate, policy, sampler, scripted_agent, scripted_user
from domains.airline.models import AirlineDB, Meta
from domains.airline.tools import TOOLKIT, domain_now
from domains.plugin import DomainPlugin
from domains.state import Database


def clock(base: Database) -> list[str]:
    """The agent's prompt ends with the world's current time: the policy's rules (24 hours, flown segments) depend on it."""
    return [f"The current time is {domain_now(base).replace('T', ' ')} EST."]


PLUGIN = DomainPlugin(
    name="airline",
    tables=("flights", "users", "reservations"),
    data_model=AirlineDB,
    meta_model=Meta,
    check=check.check,
    generate=generate.generate,
    toolkit=TOOLKIT,
    policy_text=(Path(__file__).parent / "policy.md").read_text(encoding="utf-8"),
    policy=policy,
    facts=facts,
    conversation=conversation,
    sampler=sampler,
    fuzzifier=fuzzifier,
    scenario_openings=(
        "You are calling the airline's reservations desk.",
        "You are contacting the airline's customer service about your trips.",
    ),
    prompt_extras=clock,
    scripted_agent=scripted_agent,
    scripted_user=scripted_user,
    id_pattern=re.compile(r"\b(?:credit_card|gift_card|certificate)_\d{7}\b|\b(?=[A-Z0-9]{6}\b)(?=[A-Z]*\d)[A-Z0-9]{6}\b"),  # a payment method, a reservation or flight
    id_keys=("reservation_id", "payment_id", "payment_method_ids"),
    record_keys=("reservation_id",),
)
