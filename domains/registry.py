"""The domains cove knows, by name: a plain dict registry."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from domains.airline.tools import TOOLKIT as AIRLINE_TOOLKIT
from domains.retail.tools import TOOLKIT as RETAIL_TOOLKIT
from domains.state import Database, DatabaseError
from domains.tooling import Toolkit


@dataclass(frozen=True)
class Domain:
    """A world: its tables, its tools, and how to load a database of it."""

    name: str
    tables: tuple[str, ...]
    toolkit: Toolkit

    def load(self, path: str | Path) -> Database:
        return Database.load(self.name, path, self.tables)

    def from_json(self, data: dict, source: str = "<memory>") -> Database:
        return Database.from_json(self.name, data, self.tables, source=source)

    def module(self, part: str) -> ModuleType:
        """One of the domain's rule modules: `policy`, `facts`, `conversation`, `sampler`, `fuzzifier`..."""
        return importlib.import_module(f"{self.package}.{part}")

    @property
    def package(self) -> str:
        return f"domains.{self.name}"


DOMAINS: dict[str, Domain] = {
    "retail": Domain("retail", ("products", "users", "orders"), RETAIL_TOOLKIT),
    "airline": Domain("airline", ("flights", "users", "reservations"), AIRLINE_TOOLKIT),
}


class UnknownDomainError(ValueError):
    """A domain name cove does not know."""


def get_domain(name: str) -> Domain:
    try:
        return DOMAINS[name]
    except KeyError:
        raise UnknownDomainError(f"unknown domain {name!r}: choose one of {', '.join(sorted(DOMAINS))}") from None


__all__ = ["DOMAINS", "Database", "DatabaseError", "Domain", "UnknownDomainError", "get_domain"]
