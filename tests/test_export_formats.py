"""`cove export`: run folders' sft.jsonl as a Hugging Face dataset folder, OpenAI fine-tuning JSONL and ShareGPT for LLaMA-Factory.

The run folders are real: scripted dialogues played and verified as the pipeline does, stored in a
real event store and exported by cove/export.py. The hf folder is read with the real `datasets`.
"""

from __future__ import annotations

import copy
import importlib
import json
import shutil
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from actors.scripted.simulate import simulate_task
from cove.cli import app
from cove.export import export_run
from domains.sampling import sample_tasks
from store.eventlog import EventStore
from tests.conftest import generated_base

DIALOGUES_PER_DOMAIN = 3


def cove(*args) -> object:
    return CliRunner().invoke(app, [str(a) for a in args])


def sft_rows(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "sft.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    """A retail and an airline run folder whose sft.jsonl cove/export.py wrote from real verified dialogues."""
    folders = {}
    for domain in ("retail", "airline"):
        folder = tmp_path_factory.mktemp(domain)
        base = generated_base(domain)
        with EventStore(folder / "events.db") as store:
            store.put_base(base)
            for task in sample_tasks(domain, base, DIALOGUES_PER_DOMAIN, seed=5).tasks:
                store.append(simulate_task(task, base).events)
            export_run(store, folder)
        assert len(sft_rows(folder)) == DIALOGUES_PER_DOMAIN
        folders[domain] = folder
    return folders


@pytest.fixture(scope="module")
def datasets(tmp_path_factory):
    """The real `datasets` library, offline, with its home and caches in a temporary folder."""
    home = tmp_path_factory.mktemp("hf-home")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {"HF_HOME": home, "HF_DATASETS_CACHE": home / "datasets", "HF_HUB_CACHE": home / "hub",
                            "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1"}.items():  # fmt: skip
            patch.setenv(name, str(value))
        yield importlib.import_module("datasets")


def decoded(row: dict) -> dict:
    """A row loaded from the hf folder made back into its sft.jsonl row: the lines the dataset card shows."""
    row = copy.deepcopy(dict(row))
    row["meta"] = json.loads(row["meta"])
    for tool in row["tools"]: tool["function"]["parameters"] = json.loads(tool["function"]["parameters"])  # noqa: E701
    row["messages"] = [{k: v for k, v in m.items() if v is not None or k == "content"} for m in row["messages"]]
    return row


def test_the_hf_folder_loads_both_domains_in_one_call_and_every_row_comes_back_exactly(runs, datasets, tmp_path):
    """load_dataset(folder) gives a split per domain; decoding the JSON-string columns gives each sft.jsonl row back, types and all."""
    out = tmp_path / "hf"
    result = cove("export", runs["retail"], runs["airline"], "--format", "hf", "--out", out)
    assert result.exit_code == 0, result.output
    loaded = datasets.load_dataset(str(out), cache_dir=str(tmp_path / "cache"))
    assert sorted(loaded) == ["airline", "retail"]
    for domain, run in runs.items():
        source = sft_rows(run)
        rows = [decoded(row) for row in loaded[domain]]
        assert rows == sorted(source, key=lambda r: r["meta"]["dialogue_id"])  # dicts compare values and types: "2024-05-20" != a timestamp
        tool_keys = [sorted(t["function"]["parameters"].get("properties", {})) for t in rows[0]["tools"]]
        assert tool_keys == [sorted(t["function"]["parameters"].get("properties", {})) for t in source[0]["tools"]]  # no padded null keys
    assert any("$defs" in t["function"]["parameters"] for t in decoded(loaded["airline"][0])["tools"])  # what broke the plain JSON load
    assert any(re.search(r'": "\d{4}-\d\d-\d\d"', json.dumps(decoded(row)["meta"])) for row in loaded["airline"])  # dates were there, as strings


def test_an_hf_row_with_two_tool_calls_in_a_turn_and_a_date_in_meta_comes_back_exactly(datasets, tmp_path):
    """Parallel tool calls, a null content beside them and a date in meta survive parquet and `datasets` unchanged."""
    run = tmp_path / "run"
    run.mkdir()
    (run / "sft.jsonl").write_text(json.dumps(greeting_and_parallel_calls_row()) + "\n")
    assert cove("export", run, "--out", tmp_path / "hf").exit_code == 0
    (row,) = datasets.load_dataset(str(tmp_path / "hf"), cache_dir=str(tmp_path / "cache"))["retail"]
    row = decoded(row)
    assert row == greeting_and_parallel_calls_row() and row["meta"]["when"] == "2024-05-20"


def test_both_parquet_files_load_in_one_call_with_the_cards_features(runs, datasets, tmp_path):
    """load_dataset("parquet", data_files=[retail, airline]) reads both in one call, with the features the card declares."""
    out = tmp_path / "hf"
    assert cove("export", runs["airline"], runs["retail"], "--out", out).exit_code == 0
    files = sorted(str(p) for p in (out / "data").glob("*.parquet"))
    assert len(files) == 2
    both = datasets.load_dataset("parquet", data_files=files, cache_dir=str(tmp_path / "cache"))["train"]
    assert sorted(both["data_source"]) == sorted(["retail"] * DIALOGUES_PER_DOMAIN + ["airline"] * DIALOGUES_PER_DOMAIN)
    card = datasets.load_dataset(str(out), cache_dir=str(tmp_path / "cache2"))
    assert both.features == card["retail"].features == card["airline"].features


@pytest.mark.parametrize("fmt", ["hf", "openai", "sharegpt"])
def test_an_export_is_byte_identical_whatever_the_order_of_the_run_folders(runs, tmp_path, fmt):
    """Exporting the same runs twice, in either order (into a new folder, then an empty one), writes the same files byte for byte."""
    outs = [tmp_path / "a", tmp_path / "b"]
    outs[1].mkdir()
    assert cove("export", runs["retail"], runs["airline"], "--format", fmt, "--out", outs[0]).exit_code == 0
    assert cove("export", runs["airline"], runs["retail"], "--format", fmt, "--out", outs[1]).exit_code == 0
    files = [{str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()} for out in outs]
    assert files[0] == files[1] and len(files[0]) >= 2


def test_openai_rows_are_exactly_messages_and_tools(runs, tmp_path):
    """Each line is OpenAI's fine-tuning example: messages as recorded (string arguments, tool_call_id) and tools, no other key."""
    out = tmp_path / "openai"
    assert cove("export", runs["retail"], runs["airline"], "--format", "openai", "--out", out).exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == ["airline.jsonl", "retail.jsonl"]
    for domain, run in runs.items():
        rows = [json.loads(line) for line in (out / f"{domain}.jsonl").read_text().splitlines()]
        source = sorted(sft_rows(run), key=lambda r: r["meta"]["dialogue_id"])
        assert rows == [{"messages": r["messages"], "tools": r["tools"]} for r in source]
        assert all(list(row) == ["messages", "tools"] for row in rows)
        calls = [c for row in rows for m in row["messages"] for c in m.get("tool_calls") or ()]
        assert calls and all(isinstance(c["function"]["arguments"], str) for c in calls)


def llamafactory_accepts(conversations: list[dict]) -> bool:
    """LLaMA-Factory's sharegpt rule: human/observation at even positions, gpt/function_call at odd ones, an even count."""
    allowed = (("human", "observation"), ("gpt", "function_call"))
    return len(conversations) % 2 == 0 and all(turn["from"] in allowed[i % 2] for i, turn in enumerate(conversations))


def greeting_and_parallel_calls_row() -> dict:
    """A dialogue cove's verifier would not pass (two calls in one turn) but an export must still lay out: greeting first."""
    calls = [{"id": f"call_{i}", "type": "function", "function": {"name": "get_order_details", "arguments": json.dumps({"order_id": f"#W{i}"})}} for i in (1, 2)]
    tools = [{"type": "function", "function": {"name": "get_order_details", "description": "An order.", "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}}}}}]
    return {
        "messages": [
            {"role": "system", "content": "policy"},
            {"role": "assistant", "content": "Hi! How can I help you today?"},
            {"role": "user", "content": "Where are orders #W1 and #W2?"},
            {"role": "assistant", "content": None, "tool_calls": calls},
            {"role": "tool", "tool_call_id": "call_1", "content": '{"status": "pending"}'},
            {"role": "tool", "tool_call_id": "call_2", "content": '{"status": "delivered"}'},
            {"role": "assistant", "content": "#W1 is pending and #W2 was delivered."},
            {"role": "user", "content": "Thanks! ###STOP###"},
        ],
        "tools": tools,
        "data_source": "retail",
        "meta": {"dialogue_id": "hand-1", "when": "2024-05-20"},
    }


def test_sharegpt_lays_out_a_greeting_and_two_tool_calls_in_one_turn_as_llamafactory_reads_them(tmp_path):
    """The greeting follows an empty human turn, two calls are one function_call list, their results one observation, the STOP is left out."""
    run = tmp_path / "run"
    run.mkdir()
    (run / "sft.jsonl").write_text(json.dumps(greeting_and_parallel_calls_row()) + "\n")
    assert cove("export", run, "--format", "sharegpt", "--out", tmp_path / "kept").exit_code == 0
    (row,) = [json.loads(line) for line in (tmp_path / "kept" / "retail.jsonl").read_text().splitlines()]
    assert [t["from"] for t in row["conversations"]] == ["human", "gpt", "human", "function_call", "observation", "gpt"]
    assert row["conversations"][0]["value"] == "" and row["conversations"][1]["value"] == "Hi! How can I help you today?"
    assert json.loads(row["conversations"][3]["value"]) == [{"name": "get_order_details", "arguments": {"order_id": "#W1"}},
                                                             {"name": "get_order_details", "arguments": {"order_id": "#W2"}}]  # fmt: skip
    assert row["conversations"][4]["value"] == '{"status": "pending"}\n</tool_response>\n<tool_response>\n{"status": "delivered"}'
    assert row["system"] == "policy" and json.loads(row["tools"]) == greeting_and_parallel_calls_row()["tools"]
    assert llamafactory_accepts(row["conversations"])
    info = json.loads((tmp_path / "kept" / "dataset_info.json").read_text())
    assert info == {"cove_retail": {"file_name": "retail.jsonl", "formatting": "sharegpt", "columns": {"messages": "conversations", "system": "system", "tools": "tools"},
                                    "tags": {"role_tag": "from", "content_tag": "value", "user_tag": "human", "assistant_tag": "gpt",
                                             "observation_tag": "observation", "function_tag": "function_call"}}}  # fmt: skip
    assert cove("export", run, "--format", "sharegpt", "--drop-greeting", "--out", tmp_path / "dropped").exit_code == 0
    (row,) = [json.loads(line) for line in (tmp_path / "dropped" / "retail.jsonl").read_text().splitlines()]
    assert [t["from"] for t in row["conversations"]] == ["human", "function_call", "observation", "gpt"]
    assert row["conversations"][0]["value"] == "Where are orders #W1 and #W2?"


def test_every_real_dialogue_is_a_sharegpt_row_llamafactory_accepts(runs, tmp_path):
    """Each exported dialogue alternates as LLaMA-Factory requires, with function_call always followed by its observation."""
    out = tmp_path / "sharegpt"
    assert cove("export", runs["retail"], runs["airline"], "--format", "sharegpt", "--out", out).exit_code == 0
    for domain, run in runs.items():
        rows = [json.loads(line) for line in (out / f"{domain}.jsonl").read_text().splitlines()]
        assert len(rows) == DIALOGUES_PER_DOMAIN
        for row in rows:
            turns = row["conversations"]
            assert llamafactory_accepts(turns) and set(row) == {"conversations", "system", "tools"}
            assert all(turns[i + 1]["from"] == "observation" for i, t in enumerate(turns) if t["from"] == "function_call")
            assert all(isinstance(json.loads(t["value"])["arguments"], dict) for t in turns if t["from"] == "function_call")
            assert "###STOP###" not in turns[-1]["value"] and turns[-1]["from"] == "gpt"


@pytest.mark.parametrize("fmt", ["hf", "openai", "sharegpt"])
def test_drop_greeting_makes_the_users_turn_come_first_in_every_format(runs, datasets, tmp_path, fmt):
    """With --drop-greeting the first turn after the system prompt is the user's; the rest of the conversation is unchanged."""
    out = tmp_path / fmt
    assert cove("export", runs["retail"], "--format", fmt, "--drop-greeting", "--out", out).exit_code == 0
    source = sorted(sft_rows(runs["retail"]), key=lambda r: r["meta"]["dialogue_id"])
    assert all(r["messages"][1]["role"] == "assistant" for r in source)  # the runs do open with a greeting
    if fmt == "sharegpt":
        rows = [json.loads(line) for line in (out / "retail.jsonl").read_text().splitlines()]
        assert [r["conversations"][0] for r in rows] == [{"from": "human", "value": s["messages"][2]["content"]} for s in source]
        return
    if fmt == "hf":
        messages = [decoded(row)["messages"] for row in datasets.load_dataset(str(out), cache_dir=str(tmp_path / "cache"))["retail"]]
    else:
        messages = [json.loads(line)["messages"] for line in (out / "retail.jsonl").read_text().splitlines()]
    assert messages == [[r["messages"][0], *r["messages"][2:]] for r in source]


def test_the_dataset_card_names_every_check_the_verifier_reports(runs, tmp_path):
    """The card describes each check of the verifier's code, its version, and each domain's policy rules."""
    from cove.dataset_card import CHECKS, check_names, policy_rules
    from domains.verification import VERIFIER_VERSION

    assert set(check_names()) <= set(CHECKS)
    out = tmp_path / "hf"
    assert cove("export", runs["retail"], runs["airline"], "--out", out).exit_code == 0
    card = (out / "README.md").read_text()
    assert card.startswith("---\nlicense: apache-2.0\n")
    assert f"verifier version `{VERIFIER_VERSION}`" in card
    assert all(f"- `{name}`: {CHECKS[name]}" in card for name in check_names())
    for domain in runs:
        assert policy_rules(domain) and all(f"`{rule}`" in card for rule in policy_rules(domain))


@pytest.mark.parametrize("case", ["missing_run", "no_sft", "malformed_line", "unknown_format", "out_not_empty", "out_is_file", "bad_row", "twice", "copied", "empty", "sharegpt_text_and_call"])
def test_bad_input_is_one_line_and_exit_2_with_nothing_written(runs, tmp_path, case):
    """Each bad input gives one 'cove: error:' line on stderr, exit 2, and no export folder."""
    out, args = tmp_path / "out", [runs["retail"]]
    broken = tmp_path / "broken"
    broken.mkdir()
    if case == "missing_run":
        args = [tmp_path / "nowhere"]
    elif case == "no_sft":
        args = [broken]
    elif case in ("malformed_line", "bad_row", "empty"):
        good = (runs["retail"] / "sft.jsonl").read_text()
        bad = {"malformed_line": good + "{oops\n", "bad_row": good + json.dumps({**sft_rows(runs["retail"])[0], "score": 1}) + "\n", "empty": ""}[case]
        (broken / "sft.jsonl").write_text(bad)
        args = [broken]
    elif case == "unknown_format":
        args = [runs["retail"], "--format", "alpaca"]
    elif case == "out_not_empty":
        out.mkdir()
        (out / "keep.txt").write_text("mine")
    elif case == "out_is_file":
        out.write_text("mine")
    elif case == "twice":
        args = [runs["retail"], runs["retail"]]
    elif case == "copied":  # the same dialogues in another folder: one dialogue id twice
        shutil.copy(runs["retail"] / "sft.jsonl", broken / "sft.jsonl")
        args = [runs["retail"], broken]
    elif case == "sharegpt_text_and_call":  # ShareGPT has no turn with both: refused, not silently cut
        row = greeting_and_parallel_calls_row()
        row["messages"][3]["content"] = "Let me look."
        (broken / "sft.jsonl").write_text(json.dumps(row) + "\n")
        args = [broken, "--format", "sharegpt"]
    result = cove("export", *args, "--out", out)
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1 and lines[0].startswith("cove: error: "), result.stderr
    assert "Traceback" not in result.output
    if case in ("out_not_empty", "out_is_file"):
        assert (out / "keep.txt" if case == "out_not_empty" else out).read_text() == "mine"
    else:
        assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.")] == []  # no temporary folder left behind
