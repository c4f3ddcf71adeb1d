"""The scripted user's telecom words: its lines, plans, add-ons and bills as a customer says them.

    group_words("suspend_line", "line", {"line": "the line used by Maya with the Pixel 8"}, rng)
    # "Maya's line, the one with the Pixel 8"
"""

from __future__ import annotations

import random
import re

from domains.scripted.wording import address_words, pick

from cove_telecom.scripted_agent import line_attributes

_SCENARIO = re.compile(r"\bmobile\b|\bphone company\b|\bcarrier\b")


def recognises(scenario: str) -> bool:
    """A telecom scenario: it is about the mobile account or the phone company."""
    return _SCENARIO.search(scenario) is not None


def line_words(phrase: str, rng: random.Random) -> str:
    wanted = line_attributes(phrase)
    if "id" in wanted:
        return f"line {wanted['id']}"
    if "phone" in wanted:
        return pick(rng, f"the number {wanted['phone']}", f"my line {wanted['phone']}", wanted["phone"])
    parts = []
    if "holder" in wanted:
        parts.append(pick(rng, f"{wanted['holder']}'s line", f"the line {wanted['holder']} uses", f"the one {wanted['holder']} has"))
    if "device" in wanted:
        parts.append(pick(rng, f"the one on the {wanted['device']}", f"the {wanted['device']} line", f"the line on the {wanted['device']}"))
    if "last_four" in wanted:
        parts.append(pick(rng, f"the number ending in {wanted['last_four']}", f"the line that ends in {wanted['last_four']}"))
    return ", ".join(parts) if parts else phrase.replace("your ", "my ")


def plan_words(phrase: str, rng: random.Random) -> str:
    data = re.fullmatch(r"the plan with (\d+) GB of data", phrase)
    if data:
        return pick(rng, f"the {data.group(1)} GB plan", f"the plan with {data.group(1)} gigs of data", f"the one with {data.group(1)} GB")
    name = re.fullmatch(r"the (.+?) plan", phrase)
    return pick(rng, f"the {name.group(1)} plan", f"{name.group(1)}", f"your {name.group(1)} plan") if name else phrase


def addon_words(phrase: str, rng: random.Random) -> str:
    """'the Europe Roaming Pass' -> 'the roaming pass for Europe'; 'the Data Top-Up 5 GB' -> 'the 5 GB data top-up'."""
    if phrase.startswith("add-on "):
        return phrase
    name = phrase.removeprefix("the ")
    roaming = re.fullmatch(r"(.+) Roaming Pass", name)
    if roaming:
        return pick(rng, f"the roaming pass for {roaming.group(1)}", f"the {roaming.group(1)} pass", f"that {roaming.group(1)} roaming pass")
    topup = re.fullmatch(r"Data Top-Up (\d+ GB)", name)
    if topup:
        return pick(rng, f"the {topup.group(1)} data top-up", f"the extra {topup.group(1)} of data", f"the {topup.group(1)} top-up")
    return pick(rng, f"the {name.lower()}", f"the {name} add-on", f"that {name.lower()} extra")


def bill_words(phrase: str, rng: random.Random) -> str:
    month = re.fullmatch(r"your bill for (.+)", phrase)
    if month:
        return pick(rng, f"my {month.group(1)} bill", f"the bill for {month.group(1)}", f"the {month.group(1)} one")
    amount = re.fullmatch(r"your bill of (.+)", phrase)
    return pick(rng, f"the bill for {amount.group(1)}", f"my {amount.group(1)} bill", f"the one that came to {amount.group(1)}") if amount else phrase


CAUSE_WORDS = {
    "the person who uses it is travelling": ("they're travelling", "they'll be away travelling", "they're going on a long trip"),
    "the phone was lost or stolen": ("the phone has gone missing, maybe stolen", "someone may have stolen the phone, or I lost it", "I lost the phone, or it was stolen"),
}


def group_words(goal_type: str, group: str, fields: dict[str, str], rng: random.Random) -> str | None:
    """The words for one telecom group's fields; None for a group the generic wording says."""
    value = fields.get(group, "")
    if group == "line":
        return line_words(value, rng)
    if group == "plan":
        return plan_words(value, rng)
    if group == "addon":
        return addon_words(value, rng)
    if group == "bill":
        return bill_words(value, rng)
    if group == "days":
        return pick(rng, f"{value} days", f"for {value} days", f"{value} days, please")
    if group == "cause":
        return rng.choice(CAUSE_WORDS.get(value, (value,)))
    if group == "address":
        return address_words(value, rng)  # the shared way to say an address ("12 Elm St in Austin, Texas 78701")
    return None


NEEDS = {  # goal type -> first-person ways to raise it
    "change_plan": ("I'd like to change the plan on one of my lines", "can I switch one of my lines to a different plan",
                    "I want to move a line to another plan", "I need a different plan for one of our phones"),
    "add_addon": ("I'd like to add something to one of my lines", "can you put an add-on on one of our lines",
                  "I want to add an extra to a line", "I need an add-on for one of my phones"),
    "remove_addon": ("I'd like to take an add-on off one of my lines", "can you remove an extra from a line",
                     "I don't need one of the add-ons on my account anymore", "please drop an add-on from one of our lines"),
    "suspend_line": ("I need to suspend one of my lines for a while", "can you put a line on hold", "I'd like to pause service on one of our phones",
                     "one of our lines needs to be suspended"),
    "resume_line": ("I'd like to turn a suspended line back on", "can you resume service on one of my lines",
                    "please reactivate a line that's on hold", "I want a suspended line working again"),
    "pay_bill": ("I'd like to pay a bill", "can I pay one of my bills", "I want to settle a bill", "I need to make a payment on my account"),
    "update_billing_address": ("I've moved and need to update my billing address", "I'd like to change the address on my account",
                               "my address has changed, can you update it", "please change the address you send my bills to"),
    "info_data_used": ("how much data has one of my lines used this month", "I'd like to check the data usage on a line",
                       "could you tell me how much data a line has used", "I'm wondering how much data one of our phones went through"),
    "info_amount_due": ("how much do I owe right now", "I'd like to know my balance due", "could you tell me what I owe on my bills",
                        "what's the total I still have to pay"),
}
INFORMS = {  # group -> templates for its words ({x}; {X} capitalised)
    "line": ("It's {x}.", "I mean {x}.", "It's about {x}.", "That's {x}.", "The line is {x}."),
    "plan": ("I'd like {x}.", "{X}, please.", "Please switch it to {x}.", "I want {x}."),
    "addon": ("It's {x}.", "I mean {x}.", "{X}.", "That would be {x}."),
    "cause": ("It's because {x}.", "The reason is that {x}.", "{X}."),
    "days": ("{X}.", "I'd like it suspended {x}.", "Make it {x}."),
    "bill": ("It's {x}.", "I mean {x}.", "That's {x}.", "It's {x}, please."),
    "address": ("The new address is {x}.", "It's {x}.", "I'm now at {x}.", "Please make it {x}."),
}



# --- optional members: what the generic user asks of its domain when its mistakes are on ----------


RECORD_NOUNS = ("line", "bill", "plan", "add-on")  # asked for one's id, the customer says it has none


def wrong_details(goal_type: str, fields: dict[str, str]) -> dict[str, str] | None:
    """A suspension a day shorter (still within the policy), or an address with another house number (confirms_wrong_details)."""
    if goal_type == "suspend_line":
        return {**fields, "days": str(int(fields["days"]) - 1)}
    number = re.match(r"\d+", fields.get("address", "")) if goal_type == "update_billing_address" else None
    return {"address": str(int(number.group(0)) + 2) + fields["address"][number.end():]} if number else None


def outside_request(goal_type: str, fields: dict[str, str]) -> tuple[str, dict[str, str]] | None:
    """Suspending for a trip the active line the scenario only wants changed (asks_outside_scenario)."""
    if goal_type in ("change_plan", "add_addon"):
        return "suspend_line", {"line": fields["line"], "cause": "the person who uses it is travelling", "days": "14"}
    return None


def invented_id(fields: dict[str, str], digest: bytes) -> dict[str, str] | None:
    """A line or bill id of the right shape that the scenario never gave (invents_id)."""
    digits = f"{int.from_bytes(digest[:4], 'big') % 10**7:07d}"
    if "line" in fields:
        return {"line": f"line line_{digits}"}
    if "bill" in fields:
        return {"bill": f"bill bill_{digits}"}
    return None


__all__ = ["INFORMS", "NEEDS", "RECORD_NOUNS", "group_words", "invented_id", "outside_request", "recognises", "wrong_details"]
