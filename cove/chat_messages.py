"""OpenAI chat messages of an sft.jsonl row, as the exports lay them out."""

from __future__ import annotations

from typing import Any


def without_greeting(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The messages without the agent's opening words: its text turns before the first user turn."""
    first_user = next((i for i, m in enumerate(messages) if m["role"] == "user"), len(messages))
    return [m for i, m in enumerate(messages) if not (i < first_user and m["role"] == "assistant" and not m.get("tool_calls"))]


def row_messages(row: dict[str, Any], drop_greeting: bool) -> list[dict[str, Any]]:
    """A row's messages, the greeting left out when asked (for templates that want the user's turn first)."""
    return without_greeting(row["messages"]) if drop_greeting else row["messages"]
