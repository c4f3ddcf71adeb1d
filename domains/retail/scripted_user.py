"""The scripted user's retail words: an order as a customer describes it.

    group_words("cancel_order", "order", {"order": "your order with the Desk Lamp"}, rng)
    # 'the order I got my desk lamp in'
"""

from __future__ import annotations

import random
import re

from actors.scripted.wording import item_words, joined, pick
from domains.retail.scripted_agent import order_attributes

_SCENARIO = re.compile(r"\bstore\b|\bemail address\b|\bzip code\b")


def recognises(scenario: str) -> bool:
    """A retail scenario: it is about the store, or identifies the customer by email, or by name and zip code."""
    return _SCENARIO.search(scenario) is not None


def order_words(phrase: str, rng: random.Random) -> str:
    """'your order with the A and the B' -> 'the order I got the a and the b in', 'my A order', ..."""
    wanted = order_attributes(phrase)
    if "id" in wanted:
        return pick(rng, f"order {wanted['id']}", f"my order {wanted['id']}", f"order number {wanted['id']}")
    names = [item_words(f"the {item['name']}" + (f" ({', '.join(f'{k}: {v}' for k, v in item['options'].items())})" if item.get("options") else ""), rng)
             for item in wanted["items"]]
    bare = [re.sub(r"^(?:the|my) ", "", name) for name in names]
    status = f"{wanted['status']} " if "status" in wanted else ""
    listed = "my " + joined(bare, rng)
    forms = [
        f"the {status}order I got {listed} in",
        f"my {status}order that had {listed} in it",
        f"the {status}order containing {listed}",
        f"the {status}one where I bought {listed}",
        f"my {status}order, the one with {listed}",
        f"the {status}order I placed for {listed}",
    ]
    if len(bare) == 1:
        forms.append(f"my {status}{bare[0]} order")
    return rng.choice(forms)


def group_words(goal_type: str, group: str, fields: dict[str, str], rng: random.Random) -> str | None:
    """The words for one retail group's fields; None for a group the generic wording says."""
    if group == "order":
        return order_words(fields[group], rng)
    return None


__all__ = ["group_words", "order_words", "recognises"]
