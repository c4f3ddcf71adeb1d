"""How the scripted agent commits the retail mistakes (the catalogue and the draw are domains/scripted/mistakes.py).

Each helper returns None when the mistake cannot really happen in this dialogue (no second order with
that product, no other variant); the agent then does the right thing and records nothing.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from domains.scripted.mistakes import Mistake as M
from domains.scripted.plans import Context, Plan, Write


def paid_with(write: Write, ctx: Context) -> set[str]:
    """The methods an order was already paid with: a payment change to one of them is refused or changes nothing."""
    if write.name != "modify_pending_order_payment":
        return set()
    order = ctx.knowledge.read("get_order_details", order_id=write.arguments["order_id"])
    return {p["payment_method_id"] for p in order.get("payment_history", [])}


def wrong_order(plan: Plan, ctx: Context) -> Plan | None:
    """The same products taken from another of the customer's orders (one with the same status if there is one)."""
    write = plan.writes[0]
    if "order_id" not in write.arguments:
        return None
    user = ctx.knowledge.read("get_user_details", user_id=ctx.user_id)
    order = ctx.knowledge.read("get_order_details", order_id=write.arguments["order_id"])
    wanted = [next(i for i in order["items"] if i["item_id"] == item_id) for item_id in write.arguments["item_ids"]]
    others = [ctx.knowledge.read("get_order_details", order_id=order_id) for order_id in user["orders"] if order_id != order["order_id"]]
    others.sort(key=lambda other: other["status"] != order["status"])  # one the tool accepts first; else the attempt fails
    for other in others:
        order_id = other["order_id"]
        taken: list[str] = []
        for item in wanted:
            match = next((i for i in other["items"] if i["product_id"] == item["product_id"] and i["item_id"] not in taken), None)
            if match is None:
                break
            taken.append(match["item_id"])
        else:
            if "new_item_ids" in write.arguments and set(taken) & set(write.arguments["new_item_ids"]):
                continue
            arguments = {**write.arguments, "order_id": order_id, "item_ids": taken}
            summary = write.summary.replace(order["order_id"], order_id)
            return replace(plan, writes=(replace(write, arguments=arguments, summary=summary, mistake=M.WRONG_RECORD),) + plan.writes[1:])
    return None


def wrong_variant(plan: Plan, ctx: Context, variant_text: Any) -> Plan | None:
    """The wrong variant: for a swap, another available variant of the product than the one asked for;
    for a return, another line item of the same product in the order. Read back by product name only."""
    write = plan.writes[0]
    if "item_ids" not in write.arguments:
        return None
    order = ctx.knowledge.read("get_order_details", order_id=write.arguments["order_id"])
    chosen = write.arguments["item_ids"]
    new_ids = write.arguments.get("new_item_ids")
    for position, item_id in enumerate(chosen):
        item = next(i for i in order["items"] if i["item_id"] == item_id)
        if new_ids:
            product = ctx.knowledge.read("get_product_details", product_id=item["product_id"])
            asked = product["variants"].get(new_ids[position])
            other = next((v for vid, v in product["variants"].items() if v["available"] and vid not in (item_id, new_ids[position])), None)
            if asked is None or other is None:
                continue
            ids = list(new_ids)
            ids[position] = other["item_id"]
            summary = write.summary.replace(variant_text({"name": product["name"], **asked}), product["name"])
            return replace(plan, writes=(replace(write, arguments={**write.arguments, "new_item_ids": ids}, summary=summary, mistake=M.WRONG_VARIANT),) + plan.writes[1:])
        sibling = next((i for i in order["items"] if i["product_id"] == item["product_id"] and i["item_id"] not in chosen), None)
        if sibling is not None:
            ids = list(chosen)
            ids[position] = sibling["item_id"]
            summary = write.summary.replace(variant_text(item), item["name"])
            return replace(plan, writes=(replace(write, arguments={**write.arguments, "item_ids": ids}, summary=summary, mistake=M.WRONG_VARIANT),) + plan.writes[1:])
    return None


def undo(write: Write, ctx: Context) -> dict[str, Any] | None:
    """The arguments that put back what `write` changed, from the reads made before it."""
    arguments = write.arguments
    if write.name == "modify_pending_order_address":
        before = ctx.knowledge.read("get_order_details", order_id=arguments["order_id"])["address"]
        return {"order_id": arguments["order_id"], **{k: before.get(k, "") for k in ("address1", "address2", "city", "state", "country", "zip")}}
    if write.name == "modify_user_address":
        before = ctx.knowledge.read("get_user_details", user_id=arguments["user_id"])["address"]
        return {"user_id": arguments["user_id"], **{k: before.get(k, "") for k in ("address1", "address2", "city", "state", "country", "zip")}}
    if write.name == "modify_pending_order_payment":
        history = ctx.knowledge.read("get_order_details", order_id=arguments["order_id"]).get("payment_history", [])
        return {"order_id": arguments["order_id"], "payment_method_id": history[0]["payment_method_id"]} if history else None
    return None
