"""Problems found in a database file: what is wrong and where, for `cove db check`."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One defect in a database: `where` is a path such as `orders/#W0000001/items[2].item_id`."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def format_location(
    loc: tuple[str | int, ...], mapping_fields: frozenset[str], tagged_mappings: frozenset[str], union_tags: frozenset[str]
) -> str:
    """A pydantic error location as a readable path: `('orders', '#W1', 'items', 2, 'price')` ->
    `orders/#W1/items[2].price`. Keys of `mapping_fields` follow a `/`; the member name pydantic adds
    inside a tagged union (`tagged_mappings` values tagged by `union_tags`) is left out."""
    text = ""
    state = "start"  # what the last rendered part was: start, field, key or index
    field = mapping = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
            state = "index"
        elif state == "field" and field in mapping_fields:
            text += f"/{part}"
            state, mapping = "key", field
        elif state == "key" and mapping in tagged_mappings and part in union_tags:
            mapping = ""  # the record's own key already says which member it is
        elif state == "start":
            text, field = str(part), str(part)
            state = "field" if part in mapping_fields else "key"  # `meta`'s fields follow with `/`
        else:
            text += f"/{part}" if state == "key" else f".{part}"
            state, field = "field", str(part)
    return text


def _as_json(value: Any) -> str:
    return json.dumps(value, default=repr)


def value_kind(value: Any, render: Callable[[Any], str] = _as_json) -> str:
    """A bad value in a problem's words: its JSON type for an object, a list or null, else the value
    itself as `render` writes it (JSON by default), cut at 60 characters."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    shown = render(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."
