"""The telecom domain as cove finds it: `telecom = "cove_telecom.plugin:PLUGIN"` in this package's
`cove.domains` entry points. Everything the domain is lives in this package; it imports only generic cove modules."""

from __future__ import annotations

import re
from pathlib import Path

from domains.plugin import DomainPlugin, no_prompt_extras

from cove_telecom import check, conversation, facts, fuzzifier, generate, policy, sampler, scripted_agent, scripted_user
from cove_telecom.models import Meta, TelecomDB
from cove_telecom.tools import TOOLKIT

PLUGIN = DomainPlugin(
    name="telecom",
    tables=("plans", "addons", "users", "lines", "bills"),
    data_model=TelecomDB,
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
        "You are calling your mobile carrier's account service.",
        "You are contacting your phone company's customer service about your mobile account.",
    ),
    prompt_extras=no_prompt_extras,
    scripted_agent=scripted_agent,
    scripted_user=scripted_user,
    id_pattern=re.compile(r"\b(?:line|bill|credit_card|paypal)_\d{7}\b|\bplan_[a-z]+\b|\baddon_[a-z_]+\b"),  # a line, bill, payment method, plan or add-on id
    id_keys=("line_id", "bill_id", "plan_id", "addon_id", "payment_method_id", "bill_ids"),
    record_keys=("line_id", "bill_id"),
)
