"""Other customers' ids, for the one mistake that needs them: looking up someone else's account.

A real model can come up with another customer's id from memory (τ²-bench's ids are public); the
scripted agent has no memory, so the process that serves it tells it who the customers are. Only the
ids are kept, once per domain; nothing else of the database reaches the agent.
"""

from __future__ import annotations

import hashlib

from domains.state import Database

_CUSTOMERS: dict[str, tuple[str, ...]] = {}


def know_customers(base: Database) -> None:
    """Remember the customer ids of `base` (its `users` table) for its domain."""
    _CUSTOMERS[base.domain] = tuple(sorted(base.tables.get("users", {})))


def other_customer(domain: str, user_id: str, key: str) -> str | None:
    """Another customer's id than `user_id`, the same for the same key; None if none is known."""
    others = [customer for customer in _CUSTOMERS.get(domain, ()) if customer != user_id]
    if not others:
        return None
    return others[int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % len(others)]
