"""Exports that trainers load as they are, from run folders' sft.jsonl.

- `hf`: a Hugging Face dataset folder (parquet with one fixed Arrow schema, one split per domain, and
  a dataset card) that `datasets.load_dataset(folder)` reads with both domains in one call.
- `openai`: OpenAI's chat fine-tuning JSONL, exactly `messages` and `tools` per line.
- `sharegpt`: the ShareGPT function-calling layout LLaMA-Factory reads, with its dataset_info.json entry.

The rows are read whole and checked before anything is written; the folder appears in one rename.
The same inputs give byte-identical files: rows are sorted by dialogue id within each split.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cove.chat_messages import row_messages

FORMATS = ("hf", "openai", "sharegpt")
MESSAGE_KEYS = ("role", "content", "tool_calls", "tool_call_id")
ROLES = ("system", "user", "assistant", "tool")
SPLIT_NAME = re.compile(r"[a-z][a-z0-9_]*")
TOOL_RESULTS_SEPARATOR = "\n</tool_response>\n<tool_response>\n"  # several results in one observation, as Hermes templates wrap them


class ExportError(ValueError):
    """Input that cannot be exported: one line saying which file, which line and why."""


@dataclass(frozen=True)
class SourceRow:
    """One sft.jsonl row and where it came from."""

    row: dict[str, Any]
    origin: str  # "runs/x/sft.jsonl line 3"

    @property
    def dialogue_id(self) -> str:
        meta = self.row.get("meta")
        return str(meta.get("dialogue_id") or "") if isinstance(meta, dict) else ""


# --- reading ---------------------------------------------------------------------------------


def read_runs(run_dirs: Iterable[Path]) -> dict[str, list[SourceRow]]:
    """The sft.jsonl rows of the run folders, by split (the row's data_source), each split sorted by dialogue id."""
    splits: dict[str, list[SourceRow]] = {}
    seen: set[Path] = set()
    for run_dir in run_dirs:
        if not run_dir.is_dir():
            raise ExportError(f"{run_dir}: no such run folder")
        if run_dir.resolve() in seen:
            raise ExportError(f"{run_dir}: given twice (its dialogues would be exported twice)")
        seen.add(run_dir.resolve())
        path = run_dir / "sft.jsonl"
        if not path.is_file():
            raise ExportError(f"{run_dir}: no sft.jsonl (is this a cove run folder?)")
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ExportError(f"{path}: cannot be read ({exc})") from None
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            origin = f"{path} line {number}"
            source = SourceRow(_parsed(line, origin), origin)
            splits.setdefault(source.row["data_source"], []).append(source)
    if not splits:
        raise ExportError(f"no dialogues to export: the sft.jsonl of {', '.join(str(d) for d in run_dirs)} {'is' if len(seen) == 1 else 'are'} empty")
    first: dict[str, str] = {}
    for rows in splits.values():
        for source in rows:
            if source.dialogue_id in first:  # a copied run, or two runs made with one seed: a training set must not hold a dialogue twice
                raise ExportError(f"dialogue {source.dialogue_id} is in {first[source.dialogue_id]} and in {source.origin}: export each dialogue once (runs with one seed share dialogue ids)")
            first[source.dialogue_id] = source.origin
    return {split: sorted(rows, key=lambda s: s.dialogue_id) for split, rows in sorted(splits.items())}


def _parsed(line: str, origin: str) -> dict[str, Any]:
    try:
        row = json.loads(line)
    except ValueError as exc:
        raise ExportError(f"{origin}: not JSON ({exc})") from None
    problem = row_problem(row)
    if problem:
        raise ExportError(f"{origin}: {problem}")
    return row


def row_problem(row: Any) -> str | None:
    """What keeps a row from being an sft.jsonl row (messages, tools, data_source, meta), or None."""
    if not isinstance(row, dict):
        return "not a JSON object"
    extra = sorted(set(row) - {"messages", "tools", "data_source", "meta"})
    if extra:
        return f"unexpected key(s) {', '.join(extra)} (an sft.jsonl row has messages, tools, data_source, meta)"
    source = row.get("data_source")
    if not isinstance(source, str) or not SPLIT_NAME.fullmatch(source):
        return f"data_source {source!r} is not a domain name (lowercase letters, digits, _)"
    if not isinstance(row.get("meta"), dict):
        return "meta is missing or not a JSON object"
    if not isinstance(row["meta"].get("dialogue_id"), str) or not row["meta"]["dialogue_id"]:
        return "meta.dialogue_id is missing or not a non-empty string"
    messages = row.get("messages")
    if not isinstance(messages, list) or not messages:
        return "messages is not a non-empty list"
    for index, message in enumerate(messages):
        problem = _message_problem(message)
        if problem:
            return f"message {index}: {problem}"
    tools = row.get("tools")
    if not isinstance(tools, list):
        return "tools is not a list"
    for index, tool in enumerate(tools):
        problem = _tool_problem(tool)
        if problem:
            return f"tool {index}: {problem}"
    return None


def _message_problem(message: Any) -> str | None:
    if not isinstance(message, dict):
        return "not a JSON object"
    extra = sorted(set(message) - set(MESSAGE_KEYS))
    if extra:
        return f"unexpected key(s) {', '.join(extra)} (a message has {', '.join(MESSAGE_KEYS)})"
    if message.get("role") not in ROLES:
        return f"role {message.get('role')!r} is not one of {', '.join(ROLES)}"
    if "content" not in message or not isinstance(message["content"], (str, type(None))):
        return "content is missing or not a string or null"
    if message.get("tool_call_id") is not None and not isinstance(message["tool_call_id"], str):
        return "tool_call_id is not a string"
    if (message["role"] == "tool") != ("tool_call_id" in message):
        return "a tool message, and only a tool message, carries tool_call_id"
    calls = message.get("tool_calls")
    if calls is None:
        return None
    if message["role"] != "assistant" or not isinstance(calls, list):
        return "tool_calls is not a list on an assistant message"
    for call in calls:
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict) or set(call) != {"id", "type", "function"} or set(function) != {"name", "arguments"}:
            return "a tool call is not {id, type, function: {name, arguments}}"
        if not all(isinstance(v, str) for v in (call["id"], call["type"], function["name"], function["arguments"])):
            return "a tool call's id, type, name and arguments must be strings"
    return None


def _tool_problem(tool: Any) -> str | None:
    function = tool.get("function") if isinstance(tool, dict) else None
    if not isinstance(function, dict) or set(tool) != {"type", "function"} or set(function) != {"name", "description", "parameters"}:
        return "not {type, function: {name, description, parameters}}"
    if not all(isinstance(v, str) for v in (tool["type"], function["name"], function["description"])) or not isinstance(function["parameters"], dict):
        return "type, name and description must be strings and parameters an object"
    return None


# --- openai ----------------------------------------------------------------------------------


def openai_row(row: dict[str, Any], drop_greeting: bool = False) -> dict[str, Any]:
    """OpenAI's chat fine-tuning example: the conversation and the tools offered, nothing else."""
    return {"messages": row_messages(row, drop_greeting), "tools": row["tools"]}


# --- sharegpt --------------------------------------------------------------------------------


def sharegpt_row(row: dict[str, Any], drop_greeting: bool = False) -> dict[str, Any]:
    """The ShareGPT function-calling layout LLaMA-Factory reads (human/gpt/function_call/observation).

    LLaMA-Factory wants human or observation at even positions and gpt or function_call at odd ones,
    ending on the model's turn: a kept greeting follows an empty human turn, the customer's last
    message (the ###STOP###, which nothing answers) is left out, a turn with several tool calls is one
    function_call whose value is a JSON list, and their results are one observation.
    """
    messages = row_messages(row, drop_greeting)
    system = messages[0]["content"] if messages[0]["role"] == "system" else None
    turns: list[dict[str, str]] = []
    for index, message in enumerate(messages[1:] if system is not None else messages, 1 if system is not None else 0):
        role, content = message["role"], message["content"]
        if role == "system":
            raise ExportError(f"message {index}: a system message after the first cannot be laid out in ShareGPT")
        if role == "user":
            turns.append({"from": "human", "value": content or ""})
        elif role == "tool":
            if turns and turns[-1]["from"] == "observation":
                turns[-1]["value"] += TOOL_RESULTS_SEPARATOR + (content or "")
            else:
                turns.append({"from": "observation", "value": content or ""})
        elif message.get("tool_calls"):
            if content:
                raise ExportError(f"message {index}: an assistant turn with both text and tool calls cannot be laid out in ShareGPT")
            turns.append({"from": "function_call", "value": _function_call_value(message["tool_calls"], index)})
        else:
            turns.append({"from": "gpt", "value": content or ""})
    if turns and turns[0]["from"] in ("gpt", "function_call"):
        turns.insert(0, {"from": "human", "value": ""})
    while turns and turns[-1]["from"] in ("human", "observation"):
        turns.pop()
    _check_alternation(turns)
    return {"conversations": turns, "system": system or "", "tools": json.dumps(row["tools"], ensure_ascii=False)}


def _function_call_value(calls: list[dict[str, Any]], index: int) -> str:
    """`{"name", "arguments": {...}}` for one call, a list of them for several (arguments as objects, not strings)."""
    values = []
    for call in calls:
        try:
            arguments = json.loads(call["function"]["arguments"])
        except ValueError:
            arguments = None
        if not isinstance(arguments, dict):
            raise ExportError(f"message {index}: the arguments of {call['function']['name']} are not a JSON object")
        values.append({"name": call["function"]["name"], "arguments": arguments})
    return json.dumps(values[0] if len(values) == 1 else values, ensure_ascii=False)


def _check_alternation(turns: list[dict[str, str]]) -> None:
    if not turns:
        raise ExportError("no turn of the model's to learn from")
    for position, turn in enumerate(turns):
        expected = ("human", "observation") if position % 2 == 0 else ("gpt", "function_call")
        if turn["from"] not in expected:
            raise ExportError(f"ShareGPT turn {position} is {turn['from']} where {' or '.join(expected)} must be (two model turns in a row?)")
        if (turn["from"] == "observation") != (position > 0 and turns[position - 1]["from"] == "function_call"):
            raise ExportError(f"ShareGPT turn {position}: a function_call must be followed by its observation, and an observation follow a function_call")


def llamafactory_dataset_info(splits: Iterable[str]) -> dict[str, Any]:
    """The dataset_info.json entries LLaMA-Factory needs for the per-domain ShareGPT files."""
    entry = {
        "formatting": "sharegpt",
        "columns": {"messages": "conversations", "system": "system", "tools": "tools"},
        "tags": {"role_tag": "from", "content_tag": "value", "user_tag": "human", "assistant_tag": "gpt",
                 "observation_tag": "observation", "function_tag": "function_call"},
    }  # fmt: skip
    return {f"cove_{split}": {"file_name": f"{split}.jsonl", **entry} for split in splits}


# --- writing ---------------------------------------------------------------------------------


def _jsonl(rows: Iterable[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode("utf-8")


def export_files(splits: dict[str, list[SourceRow]], fmt: str, drop_greeting: bool = False) -> dict[str, bytes]:
    """The export's files (relative path -> bytes) in format `fmt`; an ExportError names the row it cannot lay out."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}: choose one of {', '.join(FORMATS)}")
    if fmt == "hf":
        from cove.dataset_card import dataset_card
        from cove.hf_dataset import hf_files

        rows_by_split = {split: [s.row for s in rows] for split, rows in splits.items()}
        return {**hf_files(rows_by_split, drop_greeting), "README.md": dataset_card(rows_by_split, drop_greeting).encode("utf-8")}
    make = openai_row if fmt == "openai" else sharegpt_row
    files: dict[str, bytes] = {}
    for split, rows in splits.items():
        lines = []
        for source in rows:
            try:
                lines.append(make(source.row, drop_greeting))
            except ExportError as exc:
                raise ExportError(f"{source.origin}: {exc}") from None
        files[f"{split}.jsonl"] = _jsonl(lines)
    if fmt == "sharegpt":
        files["dataset_info.json"] = (json.dumps(llamafactory_dataset_info(splits), indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    return files


def check_new_folder(out: Path) -> None:
    """Refuse an --out that is a file or a folder with something in it (an export is written whole, into a new folder)."""
    if out.exists() and not out.is_dir():
        raise ExportError(f"--out {out} is a file: give a new or empty folder")
    if out.is_dir() and any(out.iterdir()):
        raise ExportError(f"--out {out} is not empty: give a new or empty folder")
    for parent in out.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ExportError(f"--out {out}: {parent} is a file, not a folder")
            break


def write_folder(out: Path, files: dict[str, bytes]) -> None:
    """Write `files` into a temporary sibling folder, then rename it to `out` (new or empty): all of it or nothing."""
    check_new_folder(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        from cove.files import current_umask

        for relative, data in sorted(files.items()):
            path = tmp / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        tmp.chmod(0o777 & ~current_umask())  # mkdtemp makes it 0700; files and subfolders already have the usual mode
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def export_runs(run_dirs: list[Path], fmt: str, out: Path, drop_greeting: bool = False) -> dict[str, int]:
    """Export the run folders' sft.jsonl rows to `out` in format `fmt`; return the rows per split."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}: choose one of {', '.join(FORMATS)}")
    check_new_folder(out)
    splits = read_runs(run_dirs)
    write_folder(out, export_files(splits, fmt, drop_greeting))
    return {split: len(rows) for split, rows in splits.items()}


__all__ = [
    "ExportError", "FORMATS", "SourceRow", "check_new_folder", "export_files", "export_runs", "llamafactory_dataset_info",
    "openai_row", "read_runs", "row_problem", "sharegpt_row", "write_folder",
]
