"""Generic code never names a domain: no generic module imports a domain package or compares with a domain's name."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from domains.registry import ENTRY_POINT_GROUP, domain_names, entry_point_of

ROOT = Path(__file__).resolve().parents[1]
GENERIC_PACKAGES = ("actors", "cove", "store", "events", "domains/scripted")  # every module under these, and domains/*.py
GENERIC_DOMAIN_PACKAGES = ("scripted",)  # generic packages under domains/ (what plug-ins build on), not plug-ins


def generic_modules() -> list[Path]:
    """actors/, cove/, store/, events/, domains/scripted/ (all depths) and the top-level files of domains/ (not domains/<plugin>/)."""
    found = [path for package in GENERIC_PACKAGES for path in (ROOT / package).rglob("*.py")]
    return sorted(found + list((ROOT / "domains").glob("*.py")))


def domain_packages() -> set[str]:
    """The packages that are plug-ins: every package folder under domains/ but the generic ones, and each entry point's package."""
    packages = {f"domains.{path.parent.name}" for path in (ROOT / "domains").glob("*/__init__.py") if path.parent.name not in GENERIC_DOMAIN_PACKAGES}
    for name in domain_names():
        module = entry_point_of(name).split(":")[0]
        parts = module.split(".")
        packages.add(".".join(parts[:2]) if parts[0] == "domains" and len(parts) > 1 else parts[0])
    return packages


def _is_within(module: str, packages: set[str]) -> bool:
    return any(module == package or module.startswith(package + ".") for package in packages)


def _names_in(node: ast.AST) -> list[str]:
    """The string constants a comparison operand holds: itself, or the items of a tuple, list or set literal."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return [item.value for item in node.elts if isinstance(item, ast.Constant) and isinstance(item.value, str)]
    return []


def boundary_problems(source: str, where: str, packages: set[str], names: set[str]) -> list[str]:
    """Each place in `source` that imports a domain package or tests a value against a domain's name."""
    problems = []
    for node in ast.walk(ast.parse(source)):
        line = f"{where}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Import):
            problems += [f"{line}: imports {alias.name}" for alias in node.names if _is_within(alias.name, packages)]
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            problems += [f"{line}: imports {module}" for module in modules if _is_within(module, packages)][:1]
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) in ("import_module", "__import__"):
            problems += [f"{line}: imports {name}" for arg in node.args[:1] for name in _names_in(arg) if _is_within(name, packages)]
        elif isinstance(node, ast.Compare):
            for operand in (node.left, *node.comparators):
                problems += [f"{line}: compares with the domain name {name!r}" for name in _names_in(operand) if name in names]
        elif isinstance(node, ast.Dict):
            problems += [f"{line}: keys a dict by the domain name {key.value!r}" for key in node.keys
                         if isinstance(key, ast.Constant) and key.value in names]
        elif isinstance(node, ast.Subscript):
            problems += [f"{line}: indexes by the domain name {name!r}" for name in _names_in(node.slice) if name in names]
        elif isinstance(node, ast.MatchValue):
            problems += [f"{line}: matches the domain name {name!r}" for name in _names_in(node.value) if name in names]
    return problems


def test_no_generic_module_imports_a_domain_or_compares_with_its_name():
    """Every module of actors/, cove/, store/, events/ and domains/*.py is free of domain imports and domain-name tests."""
    packages, names = domain_packages(), set(domain_names())
    assert names, f"no domain is registered in {ENTRY_POINT_GROUP!r}: reinstall with pip install -e ."
    problems = []
    for path in generic_modules():
        problems += boundary_problems(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)), packages, names)
    assert problems == []


@pytest.mark.parametrize(
    "source",
    [
        "from domains.airline.tools import AIRPORTS",
        "import domains.retail.policy",
        "from domains import retail",
        "import importlib\nimportlib.import_module('domains.retail.sampler')",
        "if domain == 'airline':\n    pass",
        "ok = name in ('retail', 'other')",
        "OPENINGS = {'retail': 'Hi'}",
        "rules = RULES['airline']",
        "match domain:\n    case 'retail':\n        pass",
    ],
)
def test_the_check_catches_each_way_of_naming_a_domain(source):
    """The boundary check flags a planted domain import or domain-name test of every kind it looks for."""
    assert boundary_problems(source, "planted.py", {"domains.retail", "domains.airline"}, {"retail", "airline"})


def test_the_check_leaves_generic_uses_alone():
    """Looking a domain up by a variable, naming one in a docstring or default, and importing generic modules pass."""
    source = '"""Works for retail and airline alike."""\nfrom domains.registry import get_domain\nDEFAULT = "retail"\nrules = get_domain(name).policy\n'
    assert boundary_problems(source, "generic.py", {"domains.retail", "domains.airline"}, {"retail", "airline"}) == []


def test_example_domains_import_only_generic_modules():
    """A domain under examples/ is built only through the plug-in interface: no module of it imports another domain's package."""
    packages = sorted((ROOT / "examples").glob("*/*/__init__.py"))
    if not packages:
        pytest.skip("no example domain in this checkout")
    problems = []
    for init in packages:
        others = domain_packages() - {init.parent.name}
        for path in sorted(init.parent.rglob("*.py")):
            problems += boundary_problems(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)), others, set())
    assert problems == []
