"""Tool executions: the executor emits `ToolCalled` with its `ToolReturned` or `ToolFailed`."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from events.envelope import Envelope


class ToolCalled(Envelope):
    type: Literal["tool_called"] = "tool_called"
    call_id: str
    name: str
    arguments: str


class ToolReturned(Envelope):
    """`content` is the exact text the agent sees."""

    type: Literal["tool_returned"] = "tool_returned"
    call_id: str
    name: str
    content: str
    mutates_state: bool


class ToolErrorKind(StrEnum):
    UNKNOWN_TOOL = "unknown_tool"
    INVALID_ARGUMENTS = "invalid_arguments"
    TOOL_ERROR = "tool_error"
    CRASH = "crash"


class ToolFailed(Envelope):
    """`content` ("Error: ...") is the exact text the agent sees."""

    type: Literal["tool_failed"] = "tool_failed"
    call_id: str
    name: str
    content: str
    error_kind: ToolErrorKind
    mutates_state: bool = False
