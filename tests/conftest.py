"""Shared fixtures: where τ²-bench's reference data is, and the loaded reference databases."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import pytest

from tests.nats_cluster import nats_cluster  # noqa: F401  (a 3-node JetStream cluster)
from tests.nats_fixtures import *  # noqa: F403  (the nats_server fixture)
from tests.openai_server import openai_server  # noqa: F401  (a local OpenAI-compatible server)
from tests.plugins import registered_domains, tau2_domains

TAU2_DIR = Path(os.environ.get("COVE_TAU2_DIR", Path(__file__).resolve().parents[2] / "shared" / "tau2"))
REQUIRE_TAU2 = os.environ.get("COVE_REQUIRE_TAU2") == "1"


def require_tau2() -> Path:
    """The τ²-bench data folder; skips the test (or fails it, in CI) when it is absent."""
    if (TAU2_DIR / "tool_schemas.json").exists():
        return TAU2_DIR
    message = f"τ²-bench reference data not found at {TAU2_DIR} (../shared/tau2 exists beside the checkout only for developers and CI)"
    if REQUIRE_TAU2:
        pytest.fail(message + "; COVE_REQUIRE_TAU2=1 makes its absence an error")
    pytest.skip(message)


@pytest.fixture(scope="session")
def tau2_dir() -> Path:
    return require_tau2()


@pytest.fixture(scope="session")
def tau2_databases(tau2_dir):
    """The τ²-bench retail and airline databases, loaded once per test session."""
    from domains.registry import get_domain

    return {name: get_domain(name).load(tau2_dir / name / "db.json") for name in tau2_domains()}


@pytest.fixture
def restore_logging():
    """structlog's configuration as it was before the test (`cove run` in-process configures it for the whole process)."""
    import structlog

    saved = structlog.get_config()
    yield
    structlog.configure(**saved)


@cache
def generated_base(domain: str):
    """A generated database of each domain (scale 1), built once per test process."""
    from domains.generators import generate_database
    from domains.registry import get_domain

    return get_domain(domain).from_json(generate_database(domain, seed=20, scale=1.0), source=f"generated-{domain}")


@pytest.fixture(params=[f"tau2-{name}" for name in tau2_domains()] + [f"generated-{name}" for name in registered_domains()])
def world(request):
    """(domain, base database) for τ²-bench's databases and our generated one of every registered domain."""
    origin, domain = request.param.split("-", 1)
    if origin == "tau2":
        return domain, request.getfixturevalue("tau2_databases")[domain]
    return domain, generated_base(domain)
