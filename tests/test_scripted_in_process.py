"""Scripted models called in process give exactly what litellm's custom provider gave, and never import litellm."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from actors.llm import ModelClient, ModelSettings, register_scripted_model
from cove.actor_setup import SCRIPTED_VIA_LITELLM
from cove.run import run_dialogues
from cove.settings import RunSettings
from tests.plugins import registered_domains

REPO = Path(__file__).resolve().parents[1]
MESSAGES = [
    {"role": "system", "content": "You help."},
    {"role": "user", "content": "Where is my order?", "scripted_acts": ["ask"]},
    {"role": "assistant", "content": None, "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "get_order", "arguments": "{}"}}]},
    {"role": "tool", "tool_call_id": "call_1", "name": "get_order", "content": "shipped"},
]
TOOLS = [{"type": "function", "function": {"name": "get_order", "parameters": {"type": "object", "properties": {}}}}]


def _scripted(messages: list[dict], tools: list[dict] | None, params: dict) -> dict[str, Any]:
    """Text, or a tool call with dict arguments, and a script, chosen by the seed."""
    if params.get("seed", 0) % 2:
        call = {"function": {"name": "get_order", "arguments": {"order_id": "#W1", "n": len(messages)}}}
        return {"content": None, "tool_calls": [call], "script": {"mistakes": ("wrong_id",)}}
    return {"content": f"seen {len(messages)} messages, {len(tools or [])} tools, {sorted(params)}", "script": {"acts": ["greet"]}}


def _calls(via_litellm: bool, **settings: Any) -> list[dict[str, Any]]:
    client = ModelClient("agent", ModelSettings(model="cove/same", scripted_via_litellm=via_litellm, **settings))

    async def go() -> list[dict[str, Any]]:
        replies = [await client.complete(MESSAGES, tools, seed=seed) for seed in (None, 1, 2) for tools in (None, TOOLS)]
        return [{"message": r.message, "call": r.call.model_dump(mode="json", exclude={"latency_s"})} for r in replies]

    return asyncio.run(go())


@pytest.mark.parametrize("settings", [{}, {"max_tokens": 64, "temperature": 0.3, "extra": {"error_rate": 0.1, "mistakes": "a,b"}}])
def test_a_call_in_process_is_recorded_as_through_litellm(settings):
    """Messages and ModelCall records (id, usage, parameters, script, cost) are the same on both paths."""
    register_scripted_model("same", _scripted)
    assert _calls(False, **settings) == _calls(True, **settings)


def _payloads(events_db: Path) -> list[tuple[str, int, dict[str, Any]]]:
    """Every stored event's payload, in dialogue and sequence order, without its clock readings."""
    rows = sqlite3.connect(events_db).execute("SELECT dialogue_id, seq, payload FROM events ORDER BY dialogue_id, seq").fetchall()
    payloads = []
    for dialogue_id, seq, payload in rows:
        event = json.loads(payload)
        event.pop("time")
        if isinstance(event.get("call"), dict):
            event["call"].pop("latency_s")  # the model call's own clock reading
        payloads.append((dialogue_id, seq, event))
    return payloads


@pytest.mark.parametrize("domain", registered_domains())
def test_a_run_in_process_writes_what_the_litellm_path_writes(domain, tmp_path, monkeypatch):
    """The same run with scripted models in process and through litellm stores the same events and writes identical files."""
    outputs = {}
    for path, via_litellm in (("in-process", "0"), ("litellm", "1")):
        monkeypatch.setenv(SCRIPTED_VIA_LITELLM, via_litellm)
        out = tmp_path / path
        settings = RunSettings(domain=domain, scale=0.2, db_seed=1, count=6, seed=9, concurrency=3, out=out, progress=False, scripted_error_rate=0.6)
        summary = asyncio.run(run_dialogues(settings))
        assert summary["dialogues"] == 6 and summary["unfinished"] == 0
        outputs[path] = out
    mine, theirs = outputs["in-process"], outputs["litellm"]
    assert _payloads(mine / "events.db") == _payloads(theirs / "events.db")
    assert any('"script"' in json.dumps(event) for _, _, event in _payloads(mine / "events.db")), "scripts were recorded"
    for name in ("sft.jsonl", "rewards.jsonl"):
        assert (mine / name).read_bytes() == (theirs / name).read_bytes(), name


def test_scripted_models_alone_never_import_litellm(tmp_path):
    """A run whose every model is scripted leaves litellm unimported (it costs seconds and ~190 MB)."""
    code = (
        "import asyncio, sys; from pathlib import Path; from cove.run import run_dialogues; from cove.settings import RunSettings\n"
        f"s = RunSettings(domain='retail', scale=0.2, count=2, seed=1, concurrency=2, out=Path({str(tmp_path / 'out')!r}), progress=False)\n"
        "assert asyncio.run(run_dialogues(s))['dialogues'] == 2\n"
        "print('litellm' in sys.modules)\n"
    )
    env = {key: value for key, value in __import__("os").environ.items() if key != SCRIPTED_VIA_LITELLM}
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "False"
