"""Per-domain database generation and checking, by domain name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from domains.problems import Problem
from domains.registry import get_domain


def generate_database(domain: str, seed: int, scale: float = 1.0) -> dict[str, Any]:
    """A seeded sandbox database of `domain` in db.json form; same arguments, same content."""
    get_domain(domain)
    if domain == "retail":
        from domains.retail.generate import generate
    else:
        from domains.airline.generate import generate
    return generate(seed, scale)


def check_database_file(domain: str, path: str | Path) -> list[Problem]:
    """Every problem found in a database file (empty list: the file is a valid database)."""
    get_domain(domain)
    if domain == "retail":
        from domains.retail.check import check_file
    else:
        from domains.airline.check import check_file
    return check_file(path)
