"""Apply a list of recorded tool calls to a state, in order, as `cove tools replay` does."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from domains.state import State
from domains.tooling import ErrorKind, Toolkit


def replay_calls(toolkit: Toolkit, state: State, calls: Iterable[Any]) -> tuple[State, list[dict[str, Any]]]:
    """Run each `{"name", "arguments"}` entry on `state`; a malformed entry is an error line, not a crash."""
    lines = []
    for index, call in enumerate(calls):
        if not isinstance(call, dict) or not isinstance(call.get("name"), str):
            lines.append(
                {
                    "name": call.get("name") if isinstance(call, dict) else None,
                    "arguments": call.get("arguments") if isinstance(call, dict) else call,
                    "ok": False,
                    "error": f"call {index} is not an object with a string 'name'",
                    "error_kind": str(ErrorKind.INVALID_ARGUMENTS),
                }
            )
            continue
        lines.append(toolkit.execute(state, call["name"], call.get("arguments", {})).to_line())
    return state, lines
