"""The domains cove knows, by name: a plain dict registry."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from typing import Any

from pydantic import BaseModel

from domains.airline.models import Meta as AirlineMeta
from domains.airline.tools import TOOLKIT as AIRLINE_TOOLKIT
from domains.retail.models import GeneratorMeta as RetailMeta
from domains.retail.tools import TOOLKIT as RETAIL_TOOLKIT
from domains.sidecar import with_sidecar
from domains.state import Database, DatabaseError, JsonLayout, read_json_file
from domains.tooling import Toolkit


@dataclass(frozen=True)
class Domain:
    """A world: its tables, its tools, the shape of its sidecar, and how to load a database of it."""

    name: str
    tables: tuple[str, ...]
    toolkit: Toolkit
    meta_model: type[BaseModel]  # the sidecar beside a db file (`retail.json` -> `retail.meta.json`), `meta` in memory

    def load(self, path: str | Path) -> Database:
        """Read a db.json file of this domain and its sidecar, if any; a clear DatabaseError names the file and the problem."""
        text, data = read_json_file(path)
        self.refuse_other_domain(data, str(path))
        return self.from_json(with_sidecar(path, data, self.meta_model), source=str(path), layout=JsonLayout.sniff(text))

    def from_json(self, data: Any, source: str = "<memory>", **kwargs: Any) -> Database:
        self.refuse_other_domain(data, source)
        return Database.from_json(self.name, data, self.tables, source=source, **kwargs)

    def refuse_other_domain(self, data: Any, source: str) -> None:
        """A DatabaseError naming the right --domain when `data` is a database of another domain."""
        other = self.other_domain(data)
        if other is not None:
            raise DatabaseError(f"{source}: {describe_domain(other)}, not {self.name}: use --domain {other}")

    def other_domain(self, data: Any) -> str | None:
        """The name of another domain whose tables a parsed db.json holds while it lacks some of ours."""
        if not isinstance(data, dict) or all(table in data for table in self.tables):
            return None
        return next((name for name, domain in DOMAINS.items() if name != self.name and all(table in data for table in domain.tables)), None)

    def module(self, part: str) -> ModuleType:
        """One of the domain's rule modules: `policy`, `facts`, `conversation`, `sampler`, `fuzzifier`..."""
        return importlib.import_module(f"{self.package}.{part}")

    @property
    def package(self) -> str:
        return f"domains.{self.name}"


DOMAINS: dict[str, Domain] = {
    "retail": Domain("retail", ("products", "users", "orders"), RETAIL_TOOLKIT, RetailMeta),
    "airline": Domain("airline", ("flights", "users", "reservations"), AIRLINE_TOOLKIT, AirlineMeta),
}


def describe_domain(name: str) -> str:
    """ "this is an airline database (flights, users, reservations)" """
    article = "an" if name[0] in "aeiou" else "a"
    return f"this is {article} {name} database ({', '.join(DOMAINS[name].tables)})"


class UnknownDomainError(ValueError):
    """A domain name cove does not know."""


def get_domain(name: str) -> Domain:
    try:
        return DOMAINS[name]
    except KeyError:
        raise UnknownDomainError(f"unknown domain {name!r}: choose one of {', '.join(sorted(DOMAINS))}") from None


__all__ = ["DOMAINS", "Database", "DatabaseError", "Domain", "UnknownDomainError", "get_domain"]
