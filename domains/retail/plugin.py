"""The retail domain as cove finds it: registered as `retail = "domains.retail.plugin:PLUGIN"` in the
`cove.domains` entry-point group, exactly as a third-party domain is."""

from __future__ import annotations

import re
from pathlib import Path

from domains.plugin import DomainPlugin, no_prompt_extras
from domains.retail import check, conversation, facts, fuzzifier, generate, policy, sampler, scripted_agent, scripted_user
from domains.retail.models import GeneratorMeta, RetailDB
from domains.retail.tools import TOOLKIT

PLUGIN = DomainPlugin(
    name="retail",
    tables=("products", "users", "orders"),
    data_model=RetailDB,
    meta_model=GeneratorMeta,
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
        "You are getting in touch with the online store's customer service.",
        "You are contacting the store's support team about your account and orders.",
    ),
    prompt_extras=no_prompt_extras,
    scripted_agent=scripted_agent,
    scripted_user=scripted_user,
    id_pattern=re.compile(r"#W\d{7}|\b(?:credit_card|gift_card|paypal)_\d{7}\b|\b\d{10}\b"),  # an order, payment method, product or item
    id_keys=("order_id", "item_ids", "new_item_ids", "payment_method_id", "payment_method_ids"),
    record_keys=("order_id",),
)
