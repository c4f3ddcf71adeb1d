"""The optional LLM rewrite of scenarios, through litellm: kept when nothing is lost, refused and recorded otherwise."""

from __future__ import annotations

import asyncio
import json
import re

import pytest
from typer.testing import CliRunner

from actors.llm import register_scripted_model
from cove.cli import app
from domains.generators import generate_database


def _brief(messages) -> str:
    return messages[-1]["content"].split("Brief:\n", 1)[1]


def _reword(messages, tools, params):
    """A faithful rewording: only the opening sentence changes."""
    brief = _brief(messages)
    return {"content": re.sub(r"^(Reason for call:\n)[^\n]*", r"\1You reach out to customer service today.", brief)}


def _leak(messages, tools, params):
    """A rewording that invents an order number the customer was never given."""
    return {"content": _brief(messages) + "\nYour order number is #W0000001."}


def _lose(messages, tools, params):
    """A rewording that drops every fact."""
    return {"content": "Reason for call:\nYou need help.\n\nTask instructions:\nEnd with ###STOP###."}


@pytest.fixture(scope="module")
def retail_db(tmp_path_factory):
    for name, respond in (("test-reword", _reword), ("test-leak", _leak), ("test-lose", _lose)):
        register_scripted_model(name, respond)
    path = tmp_path_factory.mktemp("db") / "retail.json"
    path.write_text(json.dumps(generate_database("retail", seed=4, scale=0.2)))
    return path


@pytest.mark.parametrize("model, accepted, reason", [("cove/test-reword", True, "every fact kept"), ("cove/test-leak", False, "raw id"), ("cove/test-lose", False, "lost")])
def test_sample_keeps_only_faithful_rewrites(retail_db, tmp_path, model, accepted, reason):
    """`cove sample --rewrite-model` keeps a faithful rewording, and keeps the template (recording why) otherwise."""
    plain, rewritten = tmp_path / "plain.jsonl", tmp_path / "rewritten.jsonl"
    base = ["sample", "--domain", "retail", "--db", str(retail_db), "--n", "4", "--seed", "2"]
    assert CliRunner().invoke(app, [*base, "--out", str(plain)]).exit_code == 0
    result = CliRunner().invoke(app, [*base, "--out", str(rewritten), "--rewrite-model", model])
    assert result.exit_code == 0, result.output
    for before, after in zip(map(json.loads, plain.read_text().splitlines()), map(json.loads, rewritten.read_text().splitlines())):
        assert after["rewrite"]["accepted"] is accepted and reason in after["rewrite"]["reason"]
        assert after["rewrite"]["model"] == model
        if accepted:
            assert after["instruction"] != before["instruction"] and "You reach out to customer service today." in after["instruction"]
        else:
            assert after["instruction"] == before["instruction"]


def test_fuzzifier_actor_records_the_rewrite(tmp_path):
    """In a run with a rewrite model, each InstructionFuzzified event carries the rewrite record and the kept text."""
    from cove.run import run_dialogues
    from cove.settings import RoleSettings, RunSettings
    from store.eventlog import EventStore

    register_scripted_model("test-reword", _reword)
    settings = RunSettings(domain="retail", scale=0.2, db_seed=4, count=2, seed=3, concurrency=2, out=tmp_path, progress=False, rewrite=RoleSettings(model="cove/test-reword"))
    summary = asyncio.run(run_dialogues(settings))
    assert summary["dialogues"] == 2
    with EventStore(tmp_path / "events.db", readonly=True) as store:
        fuzzified = [e for d in store.dialogue_ids() for e in store.events(d) if e.type == "instruction_fuzzified"]
    assert len(fuzzified) == 2 and all(e.rewrite["accepted"] and "You reach out" in e.instruction for e in fuzzified)
