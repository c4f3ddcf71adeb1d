"""Retail policy rules that the retail tools do not enforce themselves.

Rules (see `domains/retail/policy.md` for the agent-facing text):
- serve only the authenticated customer: no write on another customer's order or profile;
- once an order's items have been modified, the order is locked: no more address or payment changes;
- an exchange must swap each item for a different variant;
- item changes, exchanges and returns name each unit at most as often as the order holds it (tool-checked)
  and every item of one kind of request goes into a single call (the tools make a second call fail).
"""

from __future__ import annotations

from typing import Any

from domains.policy import PolicyContext, Violation
from domains.state import State

ORDER_WRITES = {
    "cancel_pending_order",
    "modify_pending_order_address",
    "modify_pending_order_payment",
    "modify_pending_order_items",
    "exchange_delivered_order_items",
    "return_delivered_order_items",
}


def violations(before: State, name: str, arguments: dict[str, Any], context: PolicyContext) -> list[Violation]:
    """Policy rules broken by the write `name(arguments)` on the world `before` it ran."""
    found: list[Violation] = []
    order = before.get("orders", arguments.get("order_id", "")) if name in ORDER_WRITES else None
    owner = order["user_id"] if order else arguments.get("user_id") if name == "modify_user_address" else None
    if context.user_id is not None and owner is not None and owner != context.user_id:
        found.append(Violation("other_customer", f"{name} acts for {owner}, not for the authenticated {context.user_id}"))
    if order and name in ("modify_pending_order_address", "modify_pending_order_payment"):
        if order["status"] == "pending (item modified)":
            found.append(Violation("order_locked", f"order {order['order_id']} had its items modified and can no longer be changed"))
    if name == "exchange_delivered_order_items":
        same = [old for old, new in zip(arguments.get("item_ids", []), arguments.get("new_item_ids", [])) if old == new]
        if same:
            found.append(Violation("exchange_same_item", f"exchange swaps item(s) {same} for themselves"))
    return found
