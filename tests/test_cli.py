"""The `cove db` and `cove tools` commands, run in-process and once through the installed script."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cove.cli import app
from tests.plugins import registered_domains

runner = CliRunner()


def cove(*args: str):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def retail_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("db") / "retail.json"
    assert cove("db", "generate", "--domain", "retail", "--seed", 7, "--scale", 0.2, "--out", path).exit_code == 0
    return path


@pytest.mark.parametrize("domain", registered_domains())
def test_generate_is_deterministic_and_passes_check(domain, tmp_path):
    """Two generations with one seed give identical bytes (file and sidecar), a different seed differs, and the result checks clean."""
    paths = [tmp_path / f"{name}.json" for name in ("a", "b", "c")]
    for path, seed in zip(paths, (3, 3, 4)):
        result = cove("db", "generate", "--domain", domain, "--seed", seed, "--scale", 0.2, "--out", path)
        assert result.exit_code == 0, result.output
    assert paths[0].read_bytes() == paths[1].read_bytes() != paths[2].read_bytes()
    sidecars = [tmp_path / f"{name}.meta.json" for name in ("a", "b", "c")]
    assert sidecars[0].read_bytes() == sidecars[1].read_bytes() != sidecars[2].read_bytes()
    checked = cove("db", "check", "--domain", domain, "--db", paths[0])
    assert checked.exit_code == 0 and "ok" in checked.output


@pytest.mark.parametrize(
    "corrupt, expected",
    [
        (lambda text, data: text[: len(text) // 2], "invalid JSON at line"),
        (lambda text, data: json.dumps({**data, "orders": []}), "orders"),
        (lambda text, data: json.dumps(_without_email(data)), "email"),
        (lambda text, data: json.dumps(_with_ghost_owner(data)), "ghost_user_0000"),
    ],
    ids=["truncated", "wrong-shape", "missing-field", "dangling-reference"],
)
def test_check_names_what_is_broken_and_where(retail_db, tmp_path, corrupt, expected):
    """A broken database gets a non-zero exit and a message naming the problem and its place."""
    text = retail_db.read_text()
    broken = tmp_path / "broken.json"
    broken.write_text(corrupt(text, json.loads(text)))
    result = cove("db", "check", "--domain", "retail", "--db", broken)
    assert result.exit_code == 1
    assert expected in result.output and str(broken) in result.output


def _without_email(data):
    first = next(iter(data["users"]))
    del data["users"][first]["email"]
    return data


def _with_ghost_owner(data):
    first = next(iter(data["orders"]))
    data["orders"][first]["user_id"] = "ghost_user_0000"
    return data


def test_replay_of_reads_only_writes_the_input_back_byte_for_byte(retail_db, tmp_path):
    """Read-only calls change nothing, so the final database file equals the input file exactly."""
    user_id = next(iter(json.loads(retail_db.read_text())["users"]))
    calls = tmp_path / "calls.json"
    calls.write_text(json.dumps([{"name": "get_user_details", "arguments": {"user_id": user_id}}]))
    out = tmp_path / "final.json"
    result = cove("tools", "replay", "--domain", "retail", "--db", retail_db, "--calls", calls, "--out", out)
    assert result.exit_code == 0
    line = json.loads(result.output.splitlines()[0])
    assert line["ok"] and line["result"]["user_id"] == user_id
    assert out.read_bytes() == retail_db.read_bytes()


def test_replay_turns_bad_calls_into_error_lines_and_applies_the_good_ones(retail_db, tmp_path):
    """Unknown tools, malformed arguments and malformed entries are error lines; valid writes still apply."""
    data = json.loads(retail_db.read_text())
    order_id = next(o for o, order in data["orders"].items() if order["status"] == "pending")
    calls = [
        {"name": "fly_to_the_moon", "arguments": {}},
        {"name": "cancel_pending_order", "arguments": {"order_id": order_id}},
        {"name": "cancel_pending_order", "arguments": "{not json"},
        ["not", "an", "object"],
        {"name": "cancel_pending_order", "arguments": {"order_id": order_id, "reason": "ordered by mistake"}},
    ]
    path = tmp_path / "calls.json"
    path.write_text(json.dumps(calls))
    out = tmp_path / "final.json"
    result = cove("tools", "replay", "--domain", "retail", "--db", retail_db, "--calls", path, "--out", out)
    assert result.exit_code == 0
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["ok"] for line in lines] == [False, False, False, False, True]
    assert lines[0]["error_kind"] == "unknown_tool"
    assert "reason" in lines[1]["error"] and lines[1]["error_kind"] == "invalid_arguments"
    assert json.loads(out.read_text())["orders"][order_id]["status"] == "cancelled"


@pytest.mark.parametrize("content", ["{oops", '{"name": "x"}'], ids=["bad-json", "not-a-list"])
def test_replay_rejects_a_malformed_calls_file_without_writing(retail_db, tmp_path, content):
    """A calls file that is not a JSON list exits non-zero with a clear message and writes no output."""
    path = tmp_path / "calls.json"
    path.write_text(content)
    out = tmp_path / "final.json"
    result = cove("tools", "replay", "--domain", "retail", "--db", retail_db, "--calls", path, "--out", out)
    assert result.exit_code == 2 and "calls file" in result.output
    assert not out.exists()


def test_replay_on_a_missing_database_is_a_clear_error(tmp_path):
    """A database path that does not exist is named in the error, with a non-zero exit."""
    calls = tmp_path / "calls.json"
    calls.write_text("[]")
    result = cove("tools", "replay", "--domain", "airline", "--db", tmp_path / "nope.json", "--calls", calls)
    assert result.exit_code == 2 and "nope.json" in result.output


def test_installed_console_script_runs():
    """The `cove` console script is installed with the package and answers --help."""
    script = shutil.which("cove", path=str(Path(sys.executable).parent))
    assert script, "the cove console script is not installed next to the interpreter"
    completed = subprocess.run([script, "--help"], capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0 and "db" in completed.stdout and "tools" in completed.stdout


def test_worker_takes_the_run_model_parameters(monkeypatch):
    """`cove worker` passes each role's temperature and token limit on, as `cove run` does."""
    from cove import runner as edges

    seen = []
    monkeypatch.setattr(edges, "worker_command", lambda settings: seen.append(settings) or 0)
    result = cove("worker", "agent", "--nats-url", "nats://127.0.0.1:1", "--agent-temperature", 0.7, "--agent-max-tokens", 256, "--user-temperature", 0.3)
    assert result.exit_code == 0, result.output
    (settings,) = seen
    assert (settings.agent.temperature, settings.agent.max_tokens) == (0.7, 256)
    assert (settings.user.temperature, settings.user.max_tokens) == (0.3, None)
