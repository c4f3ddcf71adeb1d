"""Our tools speak τ²-bench's interface (names, arguments, kinds) in our own words."""

from __future__ import annotations

import json

import pytest

from domains.registry import get_domain


def _tau2_tools(tau2_dir, domain):
    return json.loads((tau2_dir / "tool_schemas.json").read_text(encoding="utf-8"))[domain]


def _descriptions(schema) -> list[str]:
    if isinstance(schema, dict):
        found = [schema["description"]] if isinstance(schema.get("description"), str) else []
        return found + [text for value in schema.values() for text in _descriptions(value)]
    if isinstance(schema, list):
        return [text for value in schema for text in _descriptions(value)]
    return []


@pytest.mark.parametrize("domain", ["retail", "airline"])
def test_tool_names_arguments_and_kinds_match_tau2(tau2_dir, domain):
    """Our tools have τ²-bench's names, argument names (in order), required lists and kinds."""
    toolkit, theirs = get_domain(domain).toolkit, _tau2_tools(tau2_dir, domain)
    assert sorted(toolkit.tools) == sorted(theirs)
    for name, spec in theirs.items():
        parameters = spec["openai_schema"]["function"]["parameters"]
        ours = toolkit[name]
        assert list(ours.parameters_schema["properties"]) == list(parameters["properties"]), name
        assert ours.parameters_schema["required"] == (parameters.get("required") or []), name
        assert (str(ours.kind), ours.mutates_state) == (spec["tool_type"], spec["mutates_state"]), name


@pytest.mark.parametrize("domain", ["retail", "airline"])
def test_descriptions_are_our_own(tau2_dir, domain):
    """No tool, argument or nested-field description of ours is identical to one of τ²-bench's."""
    theirs = {text for spec in _tau2_tools(tau2_dir, domain).values() for text in _descriptions(spec["openai_schema"])}
    ours = {text for tool in get_domain(domain).toolkit.tools.values() for text in _descriptions(tool.openai_schema)}
    assert ours and not ours & theirs
