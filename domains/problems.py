"""Problems found in a database file: what is wrong and where, for `cove db check`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One defect in a database: `where` is a path such as `orders/#W0000001/items[2].item_id`."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"
