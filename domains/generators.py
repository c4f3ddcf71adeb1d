"""Per-domain database generation and checking, by domain name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from domains.problems import Problem
from domains.registry import describe_domain, get_domain


def generate_database(domain: str, seed: int, scale: float = 1.0) -> dict[str, Any]:
    """A seeded sandbox database of `domain` as cove holds it: τ²-bench's tables, and under `meta` what
    goes to the sidecar (generator, seed, scale; airline's `now`). Same arguments, same content."""
    return get_domain(domain).generate(seed, scale)


def check_database_file(domain: str, path: str | Path) -> list[Problem]:
    """Every problem found in a database file and its sidecar (empty list: a valid database that tasks can be sampled from)."""
    from domains.sampling import SamplingError, check_sampling
    from domains.sidecar import checked_with_sidecar
    from domains.state import UnreadableJsonError, read_json_file

    checked = get_domain(domain)
    try:
        _, data = read_json_file(path)
    except UnreadableJsonError as exc:
        return [Problem(exc.where, exc.reason)]
    other = checked.other_domain(data)
    if other is not None:
        return [Problem(str(path), f"{describe_domain(other)}, not {domain}: check it with --domain {other}")]
    data, problems = checked_with_sidecar(path, data, checked.meta_model)
    if data is None:
        return problems
    problems += checked.check(data)
    if problems:
        return problems
    try:
        check_sampling(domain, checked.from_json(data, source=str(path)))
    except SamplingError as exc:
        return [Problem(str(path), str(exc).removeprefix(f"{path}: "))]
    return []
