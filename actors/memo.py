"""A bounded memory of values worked out from objects, found again only for those very objects.

The scripted models and the prompts read the same things at every turn of a dialogue (the prompt's
messages, the system prompts, the scenario): what they work out is kept here, oldest out first. A value
that depends on objects (a base database, the loaded plug-ins) is kept with them and found again only
for the same objects, not merely ones at the same address (an id can be reused once its object is freed).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any, Generic, TypeVar

V = TypeVar("V")


class Kept(Generic[V]):
    def __init__(self, size: int) -> None:
        self.size = size
        self._values: dict[Hashable, tuple[tuple[Any, ...], V]] = {}

    def get(self, key: Hashable, objects: Sequence[Any] = ()) -> V | None:
        found = self._values.get((key, tuple(map(id, objects))))
        if found is None or any(a is not b for a, b in zip(found[0], objects)):
            return None
        return found[1]

    def put(self, key: Hashable, value: V, objects: Sequence[Any] = ()) -> V:
        if len(self._values) >= self.size:
            del self._values[next(iter(self._values))]  # the oldest
        self._values[(key, tuple(map(id, objects)))] = (tuple(objects), value)
        return value
