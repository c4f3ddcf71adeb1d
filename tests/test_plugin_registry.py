"""Domains are found through the `cove.domains` entry points: a separate package adds one, a broken one is one line."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cove.cli import app
from domains import registry
from domains.generators import generate_database

TOY_PACKAGE = '''
"""A throwaway domain with one read tool: enough for cove to list its tools."""

from types import SimpleNamespace

from pydantic import BaseModel

from domains.plugin import DomainPlugin, no_prompt_extras
from domains.tooling import Toolkit, ToolKind, tool


@tool(ToolKind.READ)
def get_lamp_details(db, lamp_id: str) -> dict:
    """Get the details of a lamp.

    Args:
        lamp_id: The lamp's id, such as 'lamp_1'.
    """
    return {"lamp_id": lamp_id}


class Meta(BaseModel):
    seed: int = 0


UNUSED = SimpleNamespace()  # rule modules this test does not reach
PLUGIN = DomainPlugin(
    name="toy", tables=("lamps",), data_model=Meta, meta_model=Meta, check=lambda data: [], generate=lambda seed, scale: {"lamps": {}},
    toolkit=Toolkit("toy", [get_lamp_details]), policy_text="Be kind.", policy=UNUSED, facts=UNUSED, conversation=UNUSED,
    sampler=UNUSED, fuzzifier=UNUSED, scenario_openings=("You are at the lamp shop.",), prompt_extras=no_prompt_extras,
    scripted_agent=UNUSED, scripted_user=UNUSED,
)
NOT_A_PLUGIN = "just a string"
'''

ENTRY_POINTS = """
[cove.domains]
toy = cove_toy_domain:PLUGIN
vanished = cove_vanished_domain:PLUGIN
stringly = cove_toy_domain:NOT_A_PLUGIN
misnamed = cove_toy_domain:PLUGIN
"""


@pytest.fixture
def toy_distribution(tmp_path, monkeypatch):
    """A folder holding an installed-looking distribution (dist-info with entry_points.txt) and its package, on sys.path."""
    (tmp_path / "cove_toy_domain.py").write_text(TOY_PACKAGE)
    info = tmp_path / "cove_toy_domain-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: cove-toy-domain\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(textwrap.dedent(ENTRY_POINTS))
    monkeypatch.syspath_prepend(str(tmp_path))
    registry.rescan()
    yield tmp_path
    monkeypatch.undo()
    for name in ("toy", "vanished", "stringly", "misnamed"):
        registry._LOADED.pop(name, None)
    sys.modules.pop("cove_toy_domain", None)
    registry.rescan()


def cove(*args: str):
    return CliRunner().invoke(app, list(args))


def test_a_plugin_of_another_distribution_is_found_and_its_tools_listed(toy_distribution):
    """An entry point in another distribution's dist-info is a domain: the registry loads it and `cove tools list` prints its tools."""
    assert "toy" in registry.domain_names() and {"airline", "retail"} <= set(registry.domain_names())
    assert registry.get_domain("toy").toolkit.tools.keys() == {"get_lamp_details"}
    result = cove("tools", "list", "--domain", "toy")
    assert result.exit_code == 0, result.output
    assert '"name": "get_lamp_details"' in result.stdout and "lamp_id" in result.stdout


@pytest.mark.parametrize(
    "name, reason",
    [
        ("vanished", "cannot be loaded: ModuleNotFoundError: No module named 'cove_vanished_domain'"),
        ("stringly", "is a str, not a domains.plugin.DomainPlugin"),
        ("misnamed", "is named 'toy', not 'misnamed'"),
    ],
)
def test_a_broken_plugin_is_one_line_naming_its_entry_point(toy_distribution, name, reason):
    """A plug-in that fails to import, is no DomainPlugin, or has another name is one error line naming the entry point, exit 2."""
    result = cove("tools", "list", "--domain", name)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output
    assert result.stderr.startswith(f"cove: error: domain plug-in {name!r} (entry point ") and "in group 'cove.domains')" in result.stderr
    assert reason in result.stderr


def test_a_broken_plugin_leaves_the_other_domains_working(toy_distribution, tmp_path):
    """With broken plug-ins registered, built-in domains still list tools, load databases and name each other's files."""
    assert cove("tools", "list", "--domain", "retail").exit_code == 0
    airline = {key: value for key, value in generate_database("airline", seed=1, scale=0.05).items() if key != "meta"}
    with pytest.raises(registry.DatabaseError, match="this is an airline database"):
        registry.get_domain("retail").from_json(airline)
    listed = cove("domains")
    assert listed.exit_code == 1
    assert "retail\tdomains.retail.plugin:PLUGIN" in listed.stdout and "toy\tcove_toy_domain:PLUGIN" in listed.stdout
    assert listed.stderr.count("cove: error: domain plug-in") == 3


def test_an_unknown_domain_lists_the_registered_ones():
    """`--domain` with a name no plug-in registers is one line listing the registered domains, exit 2."""
    result = cove("tools", "list", "--domain", "nowhere")
    assert result.exit_code == 2
    assert result.stderr == f"cove: error: unknown domain 'nowhere': choose one of {', '.join(registry.domain_names())}\n"


def test_the_installed_script_finds_a_plugin_on_its_path(toy_distribution):
    """A fresh `cove` process with the distribution on PYTHONPATH lists the toy domain's tools (the real entry-point scan)."""
    script = Path(sys.executable).parent / "cove"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(toy_distribution), env_path] if (env_path := os.environ.get("PYTHONPATH")) else [str(toy_distribution)])}
    result = subprocess.run([str(script), "tools", "list", "--domain", "toy"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "get_lamp_details" in result.stdout


def test_an_optional_rule_left_out_reads_as_its_default():
    """A rule module without an optional member gets the default `OPTIONAL` lists; a module's own value wins; a name that is not optional is an error."""
    from types import SimpleNamespace

    from domains.plugin import OPTIONAL, rule

    bare, own = SimpleNamespace(), SimpleNamespace(REFRESHES={"write": ("read", "id")})
    assert rule(bare, "REFRESHES") == {} and rule(own, "REFRESHES") == {"write": ("read", "id")}
    assert rule(bare, "result_note")("book", {"id": 1}) == "" and rule(bare, "wrong_details")("type", {}) is None
    assert rule(None, "USER_READ") == OPTIONAL["USER_READ"]
    with pytest.raises(AttributeError, match="'parse_goal'.*not optional"):
        rule(bare, "parse_goal")


# --- the example domain in examples/telecom --------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "telecom"


def test_the_example_domain_in_the_repository_is_registered():
    """examples/telecom is part of the repository's contract suite: a checkout that has it must have it installed, or CI would silently test two domains."""
    if not (EXAMPLE / "pyproject.toml").exists():
        pytest.skip("no examples/telecom in this checkout")
    assert registry.is_registered("telecom"), f"examples/telecom exists but the telecom domain is not registered: pip install -e {EXAMPLE.relative_to(ROOT)}"


def _without(distribution_name: str, site_dir: Path, shadow: Path) -> None:
    """`shadow` becomes `site_dir` as it would be with the distribution uninstalled: a link to every entry the distribution does not own."""
    from importlib.metadata import distribution

    owned_files = {str(path) for path in distribution(distribution_name).files or ()}
    shadow.mkdir()
    for entry in site_dir.iterdir():
        inside = [str(p.relative_to(site_dir)) for p in entry.rglob("*") if p.is_file()] if entry.is_dir() else [entry.name]
        if inside and all(name in owned_files for name in inside):
            continue  # the distribution's own file or folder: uninstalling removes it
        (shadow / entry.name).symlink_to(entry)


def _domains_seen(site_dir: Path) -> list[str]:
    """The domain names a fresh interpreter finds with `site_dir` as its only site directory."""
    script = f"import site; site.addsitedir({str(site_dir)!r}); from domains.registry import domain_names; print(' '.join(domain_names()))"
    result = subprocess.run([sys.executable, "-S", "-c", script], capture_output=True, text=True, timeout=60, cwd="/")
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_removing_the_example_package_removes_its_domain(tmp_path):
    """The telecom domain exists only through its installed distribution: the same environment without the
    distribution's files (its dist-info and editable-install hooks) lists retail and airline, not telecom."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        dist = distribution("cove-telecom")
    except PackageNotFoundError:
        pytest.skip("cove-telecom is not installed (pip install -e examples/telecom)")
    site_dir = Path(str(dist.locate_file(""))).resolve()
    _without("cove-telecom", site_dir, tmp_path / "site")
    assert "telecom" in _domains_seen(site_dir)
    assert _domains_seen(tmp_path / "site") == [name for name in registry.domain_names() if name != "telecom"]
