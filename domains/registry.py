"""The domains cove knows, by name: the `DomainPlugin`s registered in the `cove.domains` entry-point group.

    domain_names()          # ["airline", "retail"]: every registered name, sorted, nothing imported
    get_domain("retail")    # the plug-in, imported on first use; UnknownDomainError / BrokenDomainError otherwise

A plug-in that cannot be imported, or is not a DomainPlugin of its entry point's name, is a
BrokenDomainError naming the entry point, raised only when that domain is asked for: the other domains
work as before.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import EntryPoint, entry_points

from domains import DEFAULT_DOMAIN
from domains.plugin import DomainPlugin
from domains.state import Database, DatabaseError

ENTRY_POINT_GROUP = "cove.domains"

Domain = DomainPlugin  # the name generic code has long used


class UnknownDomainError(ValueError):
    """A domain name no plug-in registers."""


class BrokenDomainError(UnknownDomainError):
    """A registered plug-in that cannot be used: its import fails, or its object is not a DomainPlugin of its name."""


@cache
def _entry_points() -> dict[str, EntryPoint]:
    found: dict[str, EntryPoint] = {}
    for point in entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(point.name, point)  # the first distribution on the path wins, as imports do
    return dict(sorted(found.items()))


_LOADED: dict[str, DomainPlugin] = {}


def domain_names() -> list[str]:
    """Every registered domain's name, sorted (no plug-in is imported)."""
    return list(_entry_points())


def entry_point_of(name: str) -> str:
    """Where a registered domain comes from: 'package.module:OBJECT'."""
    return _entry_points()[name].value


def is_registered(name: str) -> bool:
    return name in _entry_points()


def get_domain(name: str) -> DomainPlugin:
    """The plug-in registered as `name`, imported on first use."""
    if name in _LOADED:
        return _LOADED[name]
    point = _entry_points().get(name)
    if point is None:
        raise UnknownDomainError(f"unknown domain {name!r}: choose one of {', '.join(domain_names()) or '(none registered)'}")
    where = f"domain plug-in {name!r} (entry point {point.value!r} in group {ENTRY_POINT_GROUP!r})"
    try:
        plugin = point.load()
    except Exception as exc:  # any failure of a third party's import: one line, the other domains unharmed
        raise BrokenDomainError(f"{where} cannot be loaded: {type(exc).__name__}: {exc}") from None
    if not isinstance(plugin, DomainPlugin):
        raise BrokenDomainError(f"{where} is a {type(plugin).__name__}, not a domains.plugin.DomainPlugin")
    if plugin.name != name:
        raise BrokenDomainError(f"{where} is named {plugin.name!r}, not {name!r}")
    _LOADED[name] = plugin
    return plugin


def rescan() -> None:
    """Read the entry points again (after a distribution was installed or put on sys.path in this process)."""
    _entry_points.cache_clear()


def loaded_domains() -> list[DomainPlugin]:
    """Every registered domain that loads, in name order (a broken one is left out)."""
    found = []
    for name in domain_names():
        try:
            found.append(get_domain(name))
        except BrokenDomainError:
            continue
    return found


def describe_domain(name: str) -> str:
    """ "this is an airline database (flights, users, reservations)" """
    article = "an" if name[0] in "aeiou" else "a"
    return f"this is {article} {name} database ({', '.join(get_domain(name).tables)})"


__all__ = [
    "DEFAULT_DOMAIN", "ENTRY_POINT_GROUP", "BrokenDomainError", "Database", "DatabaseError", "Domain", "DomainPlugin",
    "UnknownDomainError", "describe_domain", "domain_names", "entry_point_of", "get_domain", "is_registered", "loaded_domains", "rescan",
]
