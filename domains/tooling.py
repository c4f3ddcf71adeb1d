"""Tools as plain functions over a `State`, their OpenAI schemas, and one safe way to call them.

A tool is a function `name(state, **arguments)` decorated with `@tool(ToolKind.X)`. Its signature
and docstring are the schema the agent reads (the docstring is product text, not a comment); its
arguments are validated by a pydantic model derived from that signature before it runs. Domain
errors raise `ToolError`; `execute` turns every failure (unknown tool, bad arguments, domain error,
even a bug) into an error outcome, and a failed call leaves the state untouched.
"""

from __future__ import annotations

import inspect
import json
import re
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from domains.state import State


class ToolKind(StrEnum):
    READ = "read"
    WRITE = "write"
    GENERIC = "generic"


class ToolError(Exception):
    """A tool refused the call: the message is what the agent sees after 'Error: '."""


class ErrorKind(StrEnum):
    UNKNOWN_TOOL = "unknown_tool"
    INVALID_ARGUMENTS = "invalid_arguments"
    TOOL_ERROR = "tool_error"
    CRASH = "crash"


_ARGS_HEADER = re.compile(r"^Args:\s*$", re.MULTILINE)
_ARG_LINE = re.compile(r"^ {4}(\w+):\s*(.*)$")


def _split_docstring(doc: str) -> tuple[str, dict[str, str]]:
    """Summary text and per-argument descriptions from a Google-style docstring."""
    parts = _ARGS_HEADER.split(inspect.cleandoc(doc or ""), maxsplit=1)
    summary = " ".join(parts[0].split())
    descriptions: dict[str, str] = {}
    current = None
    for line in parts[1].splitlines() if len(parts) == 2 else []:
        if match := _ARG_LINE.match(line):
            current = match.group(1)
            descriptions[current] = match.group(2).strip()
        elif current and line.strip():
            descriptions[current] += " " + line.strip()
    return summary, descriptions


class _Arguments(BaseModel):
    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class Tool:
    name: str
    kind: ToolKind
    function: Callable[..., Any]
    description: str
    arguments_model: type[BaseModel]

    @property
    def mutates_state(self) -> bool:
        return self.kind is ToolKind.WRITE

    @cached_property
    def parameters_schema(self) -> dict[str, Any]:
        schema = self.arguments_model.model_json_schema()
        schema.pop("title", None)
        schema.pop("additionalProperties", None)
        schema.setdefault("properties", {})
        schema.setdefault("required", [])
        return schema

    @cached_property
    def openai_schema(self) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": self.parameters_schema},
        }

    def validate(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """Checked, normalised keyword arguments (nested objects become plain dicts)."""
        model = self.arguments_model.model_validate(dict(arguments))
        return {name: _plain(getattr(model, name)) for name in type(model).model_fields}


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump()
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, StrEnum):
        return value.value
    return value


def tool(kind: ToolKind) -> Callable[[Callable[..., Any]], Tool]:
    """Turn `fn(state, **arguments)` into a `Tool`; the docstring becomes its schema text."""

    def wrap(function: Callable[..., Any]) -> Tool:
        summary, arg_docs = _split_docstring(function.__doc__ or "")
        hints = typing.get_type_hints(function)
        fields: dict[str, Any] = {}
        for index, param in enumerate(inspect.signature(function).parameters.values()):
            if index == 0:
                continue  # the state
            default = ... if param.default is inspect.Parameter.empty else param.default
            fields[param.name] = (hints[param.name], Field(default, description=arg_docs.get(param.name)))
        model = create_model(f"{function.__name__}_arguments", __base__=_Arguments, **fields)
        return Tool(function.__name__, kind, function, summary, model)

    return wrap


@dataclass(frozen=True)
class ToolOutcome:
    """What one call did: `content` is the exact text the agent sees."""

    name: str
    arguments: Any
    ok: bool
    content: str
    error_kind: ErrorKind | None = None
    mutates_state: bool = False
    is_text: bool = False  # the tool returned plain text rather than a JSON value

    @property
    def result(self) -> Any:
        """The result as a JSON value (a text result stays a string)."""
        if not self.ok:
            return None
        return self.content if self.is_text else json.loads(self.content)

    @property
    def error(self) -> str | None:
        return None if self.ok else self.content.removeprefix("Error: ")

    def to_line(self) -> dict[str, Any]:
        """The replay line: name, arguments, ok, then result or error."""
        line: dict[str, Any] = {"name": self.name, "arguments": self.arguments, "ok": self.ok}
        if self.ok:
            line["result"] = self.result
        else:
            line["error"] = self.error
            line["error_kind"] = str(self.error_kind)
        return line


MAX_ABS_INTEGER = 10**15  # no count, amount or price in these worlds comes near it


def _check_numbers(value: Any) -> None:
    """Refuse integers too large to be a real quantity and non-finite floats, anywhere in the arguments."""
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        if abs(value) > MAX_ABS_INTEGER:
            raise ValueError(f"number out of range (at most {MAX_ABS_INTEGER:.0e} in size)")
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("numbers must be finite")
    elif isinstance(value, dict):
        for item in value.values():
            _check_numbers(item)
    elif isinstance(value, list):
        for item in value:
            _check_numbers(item)


def render_result(value: Any) -> str:
    """The text of a tool result: strings as they are, anything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value)


def _format_validation_error(tool_name: str, exc: ValidationError) -> str:
    problems = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(part) for part in err["loc"]) or "arguments"
        problems.append(f"{where}: {err['msg']}")
    return f"Invalid arguments for {tool_name}: " + "; ".join(problems)


class Toolkit:
    """The tools of one domain, by name."""

    def __init__(self, domain: str, tools: list[Tool]) -> None:
        self.domain = domain
        self.tools: dict[str, Tool] = {t.name: t for t in tools}

    def __contains__(self, name: object) -> bool:
        return name in self.tools

    def __getitem__(self, name: str) -> Tool:
        return self.tools[name]

    @cached_property
    def openai_schemas(self) -> list[dict[str, Any]]:
        return [self.tools[name].openai_schema for name in sorted(self.tools)]

    def execute(self, state: State, name: Any, arguments: Any) -> ToolOutcome:
        """Run one call on `state`. Never raises: every failure is an error outcome."""
        tool_ = self.tools.get(name) if isinstance(name, str) else None
        if tool_ is None:
            return ToolOutcome(str(name), arguments, False, f"Error: Unknown tool {name!r}", ErrorKind.UNKNOWN_TOOL)
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments) if arguments.strip() else {}
            except (ValueError, RecursionError) as exc:
                message = f"Error: Invalid arguments for {name}: not valid JSON ({exc})"
                return ToolOutcome(name, arguments, False, message, ErrorKind.INVALID_ARGUMENTS, tool_.mutates_state)
        if arguments is None:
            arguments = {}
        if not isinstance(arguments, Mapping):
            message = f"Error: Invalid arguments for {name}: expected a JSON object, got {type(arguments).__name__}"
            return ToolOutcome(name, arguments, False, message, ErrorKind.INVALID_ARGUMENTS, tool_.mutates_state)
        try:
            _check_numbers(arguments)
            kwargs = tool_.validate(arguments)
        except ValidationError as exc:
            message = "Error: " + _format_validation_error(name, exc)
            return ToolOutcome(name, arguments, False, message, ErrorKind.INVALID_ARGUMENTS, tool_.mutates_state)
        except (ValueError, TypeError, RecursionError) as exc:
            message = f"Error: Invalid arguments for {name}: {type(exc).__name__}: {exc}"
            return ToolOutcome(name, arguments, False, message, ErrorKind.INVALID_ARGUMENTS, tool_.mutates_state)
        state.begin()
        try:
            value = tool_.function(state, **kwargs)
            content = render_result(value)
        except ToolError as exc:
            state.rollback()
            return ToolOutcome(name, arguments, False, f"Error: {exc}", ErrorKind.TOOL_ERROR, tool_.mutates_state)
        except Exception as exc:  # a bug or an input no check foresaw: still an outcome, never a crash
            state.rollback()
            message = f"Error: {type(exc).__name__}: {exc}"
            return ToolOutcome(name, arguments, False, message, ErrorKind.CRASH, tool_.mutates_state)
        state.commit()
        return ToolOutcome(name, arguments, True, content, None, tool_.mutates_state, isinstance(value, str))
