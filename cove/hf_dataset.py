"""The `hf` export: parquet files with one fixed Arrow schema, one split per domain, and a dataset card.

JSON tool schemas differ from tool to tool and from domain to domain (airline's carry `$defs`), and
`meta` holds dates and whatever the run recorded. Arrow cannot unify such JSON across files without
padding every object with every other's keys as nulls, and `datasets` reads date strings as
timestamps. So each value whose shape varies is one JSON string: a tool's `parameters` and the row's
`meta`. The conversation keeps its structure, which is what chat templates and trainers read.
"""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from cove.chat_messages import row_messages

_STRING = pa.string()
TOOL_CALL = pa.struct([("id", _STRING), ("type", _STRING), ("function", pa.struct([("name", _STRING), ("arguments", _STRING)]))])
MESSAGE = pa.struct([("role", _STRING), ("content", _STRING), ("tool_calls", pa.list_(TOOL_CALL)), ("tool_call_id", _STRING)])
TOOL = pa.struct([("type", _STRING), ("function", pa.struct([("name", _STRING), ("description", _STRING), ("parameters", _STRING)]))])
SCHEMA = pa.schema([("messages", pa.list_(MESSAGE)), ("tools", pa.list_(TOOL)), ("data_source", _STRING), ("meta", _STRING)])

# Fixed writer settings: the same rows give the same bytes (for one pyarrow version, which the file names in created_by).
PARQUET_OPTIONS: dict[str, Any] = {
    "compression": "zstd", "compression_level": 3, "use_dictionary": True, "write_statistics": True,
    "version": "2.6", "data_page_version": "1.0", "row_group_size": 256,
}  # fmt: skip

# The lines that turn a loaded row back into its sft.jsonl row (README and the dataset card show them).
DECODE_SNIPPET = """\
row["meta"] = json.loads(row["meta"])
for tool in row["tools"]: tool["function"]["parameters"] = json.loads(tool["function"]["parameters"])
row["messages"] = [{k: v for k, v in m.items() if v is not None or k == "content"} for m in row["messages"]]"""


def split_path(split: str) -> str:
    return f"data/{split}-00000-of-00001.parquet"


def hf_record(row: dict[str, Any], drop_greeting: bool = False) -> dict[str, Any]:
    """An sft.jsonl row in the fixed schema: parameters and meta as JSON strings, absent message keys as nulls."""
    messages = row_messages(row, drop_greeting)
    return {
        "messages": [{"role": m["role"], "content": m["content"], "tool_calls": m.get("tool_calls"), "tool_call_id": m.get("tool_call_id")} for m in messages],
        "tools": [{"type": t["type"], "function": {**t["function"], "parameters": json.dumps(t["function"]["parameters"], ensure_ascii=False)}} for t in row["tools"]],
        "data_source": row["data_source"],
        "meta": json.dumps(row["meta"], ensure_ascii=False),
    }


def parquet_bytes(records: list[dict[str, Any]]) -> bytes:
    """One parquet file of records in SCHEMA, written with PARQUET_OPTIONS."""
    sink = pa.BufferOutputStream()
    pq.write_table(pa.Table.from_pylist(records, schema=SCHEMA), sink, **PARQUET_OPTIONS)
    return sink.getvalue().to_pybytes()


def features_yaml(schema: pa.Schema = SCHEMA, indent: int = 2) -> list[str]:
    """The `dataset_info.features` lines of a dataset card for `schema` (strings, structs, lists of structs)."""
    lines: list[str] = []
    for field in schema:
        lines += _feature_lines(field.name, field.type, indent)
    return lines


def _feature_lines(name: str, type_: pa.DataType, indent: int) -> list[str]:
    pad = " " * indent
    if pa.types.is_string(type_):
        return [f"{pad}- name: {name}", f"{pad}  dtype: string"]
    if pa.types.is_list(type_) and pa.types.is_struct(type_.value_type):
        kind, fields = "list", type_.value_type
    elif pa.types.is_struct(type_):
        kind, fields = "struct", type_
    else:
        raise ValueError(f"no card feature for {name}: {type_}")
    lines = [f"{pad}- name: {name}", f"{pad}  {kind}:"]
    for child in fields:
        lines += _feature_lines(child.name, child.type, indent + 2)
    return lines


def hf_files(splits: dict[str, list[dict[str, Any]]], drop_greeting: bool = False) -> dict[str, bytes]:
    """The dataset folder's data: one parquet file per split (the card, README.md, is cove/dataset_card.py's)."""
    return {split_path(split): parquet_bytes([hf_record(row, drop_greeting) for row in rows]) for split, rows in splits.items()}
