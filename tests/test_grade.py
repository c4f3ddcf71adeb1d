"""`cove grade`: dialogues written outside cove, in the sft.jsonl shape, graded by the same verifier."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from actors.scripted.simulate import simulate_task
from cove.cli import app
from domains.sampling import sample_tasks
from tests.conftest import generated_base

runner = CliRunner()


def _row(task, dialogue) -> dict:
    """A row as `cove run` exports one: the agent's messages, the domain, the task in meta."""
    return {
        "messages": dialogue.agent_messages,
        "data_source": task.domain,
        "meta": {"task_id": task.task_id, "user_id": task.user_id, "constraints": [c.model_dump(mode="json") for c in task.constraints],
                 "descriptions": {k: d.model_dump(mode="json") for k, d in task.descriptions.items()}, "instruction": task.instruction},
    }


def _setup(tmp_path):
    base = generated_base("retail")
    db = tmp_path / "retail.json"
    db.write_text(json.dumps(base.to_json()))
    task = next(t for t in sample_tasks("retail", base, 40, seed=4).tasks if t.constraints[0].type == "cancel_order")
    return db, task, simulate_task(task, base)


def test_a_cove_dialogue_grades_like_its_verdict_and_a_broken_one_is_caught(tmp_path):
    """The scripted pair's dialogue grades 1.0; without the customer's yes the write is a confirmation violation."""
    db, task, dialogue = _setup(tmp_path)
    good = _row(task, dialogue)
    unconfirmed = json.loads(json.dumps(good))
    for message in unconfirmed["messages"]:
        if message["role"] == "user" and message["content"].lower().startswith("yes"):
            message["content"] = "Hmm, not sure. Let me think."
    rows = tmp_path / "rows.jsonl"
    rows.write_text(json.dumps(good) + "\n" + json.dumps(unconfirmed) + "\n")
    result = runner.invoke(app, ["grade", "--rows", str(rows), "--db", str(db), "--json"])
    assert result.exit_code == 0, result.output
    first, second = (json.loads(line) for line in result.output.splitlines())
    assert first["verdict"]["score"] == 1.0 and first["ok"]
    assert [v["rule"] for v in second["verdict"]["violations"]] == ["confirmation"] and second["verdict"]["score"] == 0.5


def test_a_forged_tool_result_and_a_bad_line_are_problems_and_the_rest_is_graded(tmp_path):
    """A tool result that re-execution does not give and a line that is not JSON are reported; exit 1; other rows still graded."""
    db, task, dialogue = _setup(tmp_path)
    forged = _row(task, dialogue)
    tool = next(m for m in forged["messages"] if m["role"] == "tool")
    tool["content"] = '"somebody_else_1234"'
    rows = tmp_path / "rows.jsonl"
    rows.write_text("{oops\n" + json.dumps(forged) + "\n" + json.dumps({"messages": []}) + "\n")
    result = runner.invoke(app, ["grade", "--rows", str(rows), "--db", str(db), "--json"])
    assert result.exit_code == 1
    bad, graded, empty = (json.loads(line) for line in result.output.splitlines())
    assert not bad["ok"] and "not JSON" in bad["problems"][0]
    assert not graded["ok"] and "differs from re-executing it" in graded["problems"][0] and graded["verdict"]["score"] == 1.0
    assert not empty["ok"] and empty["verdict"] is None


def test_tool_results_pair_with_their_calls_in_order_even_when_ids_repeat(tmp_path):
    """A model that names every call 'call_0' still has each result held against its own call; a result with no call, or a call with no result, is a problem."""
    db, task, dialogue = _setup(tmp_path)
    reused = _row(task, dialogue)
    for message in reused["messages"]:
        for call in message.get("tool_calls") or []:
            call["id"] = "call_0"
        if message["role"] == "tool":
            message["tool_call_id"] = "call_0"
    unpaired = json.loads(json.dumps(reused))
    last_tool = max(i for i, m in enumerate(unpaired["messages"]) if m["role"] == "tool")
    unpaired["messages"].insert(1, {"role": "tool", "tool_call_id": "call_9", "content": "{}"})
    del unpaired["messages"][last_tool + 1]
    rows = tmp_path / "rows.jsonl"
    rows.write_text(json.dumps(reused) + "\n" + json.dumps(unpaired) + "\n")
    result = runner.invoke(app, ["grade", "--rows", str(rows), "--db", str(db), "--json"])
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first["ok"] and first["verdict"]["score"] == 1.0
    last_call = [c["function"]["name"] for m in reused["messages"] for c in m.get("tool_calls") or []][-1]
    assert sorted(p.split(": ", 1)[1].split(" (")[0] for p in second["problems"]) == ["a tool result for call 'call_9', which no earlier assistant message made", f"the call of {last_call}"]
