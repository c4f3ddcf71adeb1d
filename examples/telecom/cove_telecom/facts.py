"""Telecom words: how each information goal is checked, and how a customer can ask for each goal.

`check_information` judges an information goal from the agent's messages (`domains.information`): the
data a line used this cycle, the total due on the open bills. `goal_cues` and `write_cues` list what
identifies a goal or a write in the customer's words: the action, and the line, bill, plan or add-on it
is about. Cues come from the records' attributes, never from the scenario's sentences.
"""

from __future__ import annotations

from typing import Any

from domains.constraints import Constraint, Description, Task
from domains.cues import Cue, linked_descriptions, payment_phrases
from domains.fuzzy import money
from domains.information import Answer, Foreign, amount_answer
from domains.state import State
from domains.text import find, keys, number_key

from cove_telecom.fuzzifier import month_text

DATA_USED = r"\b(?:data|gb|gigabyte|gigabytes|used|usage)\b"
AMOUNT_DUE = r"\b(?:owe|owed|due|outstanding|balance|unpaid|overdue|total|amount)\b"
OTHER_FIGURES = r"\b(?:allowance|allows|includes|include|included|limit|plan|price|costs?|per month|monthly)\b"


def line_phrases(line: dict[str, Any]) -> list[str]:
    """How a line is named: its number (whole or its last four digits), who uses it, its phone."""
    return [line["phone_number"], line["phone_number"][-4:], f"{line['holder']}'s", line["device"]]


def about_another_line(state: State, user_id: str, line_id: str) -> Foreign:
    """Whether a sentence is about another line of the account (True), this one (False) or names none (None)."""
    user = state.get("users", user_id) or {"lines": []}
    own = state.get("lines", line_id)
    mine = [keys(p) for p in (line_phrases(own)[:3] if own else [])]
    others = [keys(p) for oid in user["lines"] if oid != line_id and (line := state.get("lines", oid)) for p in line_phrases(line)[:3]]

    def foreign(sentence: str) -> bool | None:
        said = keys(sentence)
        if any(find(said, phrase) >= 0 for phrase in mine):
            return False
        if any(find(said, phrase) >= 0 for phrase in others):
            return True
        return None

    return foreign


def info_checkable(constraint: Constraint, state: State) -> bool:
    """Whether the answer can be checked without guessing: a positive figure."""
    expected = constraint.expected_info[0] if constraint.expected_info else ""
    value = number_key(expected)
    return value is not None and float(value) > 0


def check_information(constraint: Constraint, agent_messages: list[str], task: Task, state: State) -> Answer | None:
    """The verdict on a telecom information goal, or None for a type this domain does not know."""
    expected = constraint.expected_info[0] if constraint.expected_info else ""
    if constraint.type == "info_data_used":
        foreign = about_another_line(state, task.user_id, str(constraint.params.get("line_id", "")))
        return amount_answer(agent_messages, expected, DATA_USED, OTHER_FIGURES, foreign)
    if constraint.type == "info_amount_due":
        return amount_answer(agent_messages, expected, AMOUNT_DUE, OTHER_FIGURES)
    return None


INTENTS: dict[str, Cue] = {  # the action asked for, in the words customers use
    "change_plan": ("plan", "switch", "change", "upgrade", "downgrade", "move"),
    "add_addon": ("add", "roaming", "pass", "top-up", "top up", "hotspot", "calling", "extra", "get"),
    "remove_addon": ("remove", "drop", "take off", "cancel", "get rid of", "stop", "don't need", "no longer"),
    "suspend_line": ("suspend", "pause", "hold", "freeze", "stop", "lost", "stolen", "travel", "travelling", "traveling", "away"),
    "resume_line": ("resume", "reactivate", "turn back on", "restore", "unsuspend", "back on", "active again", "switch back on"),
    "pay_bill": ("pay", "payment", "settle", "bill", "charge"),
    "update_billing_address": ("address", "moved", "move", "moving", "relocated", "live"),
    "info_data_used": ("data", "used", "usage", "how much", "gb", "gigabytes"),
    "info_amount_due": ("owe", "due", "balance", "how much", "outstanding", "total", "unpaid"),
}
TOOL_GOALS = {"change_plan": "change_plan", "add_addon": "add_addon", "remove_addon": "remove_addon", "suspend_line": "suspend_line",
              "resume_line": "resume_line", "pay_bill": "pay_bill", "update_billing_address": "update_billing_address"}


def description_phrases(description: Description) -> list[str]:
    """Every phrase by which a described line, bill, plan, add-on or payment method can be named."""
    a = description.attributes
    if "id" in a:
        return [str(a["id"])]
    if description.kind == "payment_method":
        return payment_phrases(a)
    phrases = [str(a[key]) for key in ("holder", "device", "last_four", "phone", "name", "month") if key in a]
    if "holder" in a:
        phrases.append(f"{a['holder']}'s")
    if "data_gb" in a:
        phrases.append(f"{a['data_gb']} GB")
    if "amount" in a:
        phrases.append(money(a["amount"]))
    return phrases


def goal_cues(constraint: Constraint, task: Task, state: State) -> list[Cue]:
    """What a customer must have said to have asked for this goal: the action, and the line or bill it acts on."""
    cues = [INTENTS[constraint.type]] if constraint.type in INTENTS else []
    linked = linked_descriptions(task.descriptions, {str(v) for v in constraint.params.values() if isinstance(v, str)} - {task.user_id})
    record = [p for d in linked if d.kind in ("line", "bill") for p in description_phrases(d)]
    if record:
        cues.append(tuple(dict.fromkeys(record)))
    if constraint.type == "update_billing_address":
        address = constraint.params["address"]
        cues.append((address["address1"], address["zip"]))
    return cues


def write_cues(state: State, name: str, arguments: dict[str, Any]) -> list[Cue]:
    """What a customer must have said to have asked for this write: its kind of change and its record."""
    cues = [INTENTS[TOOL_GOALS[name]]] if name in TOOL_GOALS else []
    line = state.get("lines", str(arguments.get("line_id", "")))
    if line is not None:
        cues.append(tuple(line_phrases(line)))
    bill = state.get("bills", str(arguments.get("bill_id", "")))
    if bill is not None:
        cues.append((month_text(bill["period"]), money(bill["amount"])))
    if name == "update_billing_address":
        cues.append((str(arguments.get("address1", "")), str(arguments.get("zip", ""))))
    return cues
