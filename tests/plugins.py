"""The domains a per-domain contract test runs over: every registered plug-in, so a new one gets the suite for free.

    @pytest.mark.parametrize("domain", registered_domains())

Tests that compare with τ²-bench's own data run over `TAU2_DOMAINS` (the domains τ²-bench has), and
tests of one domain's facts name it; neither is a contract every plug-in must meet.
"""

from __future__ import annotations

from domains.registry import domain_names

TAU2_DOMAINS = ("retail", "airline")  # the domains τ²-bench ships reference data for


def registered_domains() -> list[str]:
    """Every domain registered in the `cove.domains` entry-point group, sorted by name."""
    return domain_names()


def tau2_domains() -> list[str]:
    """The registered domains τ²-bench has reference data for."""
    return [name for name in TAU2_DOMAINS if name in domain_names()]
