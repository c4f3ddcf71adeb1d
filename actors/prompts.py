"""The system prompts: the agent's (our instructions plus the domain's policy) and the user simulator's."""

from __future__ import annotations

from functools import lru_cache

from actors.memo import Kept
from domains.registry import get_domain
from domains.state import Database

AGENT_INSTRUCTIONS = """You are a customer service agent. Serve the customer by following the policy below exactly.
Each turn, do ONE of two things: write a message to the customer, or make a tool call. Never both in one turn.
Do not invent information, procedures or promises that neither the policy nor the tools give you."""

USER_GUIDELINES = """You play a customer talking to a customer-service agent, following the scenario below.

How to play the customer:
- Write one short message at a time, in your own words, as a real customer would.
- Follow the scenario: say what you want in the order it gives, and reveal details only when they are needed or asked for.
- Never make up facts that are not in the scenario (ids, numbers, names, addresses). If asked for something you do not know, say you do not know.
- You do not know any internal ids (order ids, item ids, payment method ids) unless the scenario gives them: describe things instead.
- When the agent sums up an action and asks for confirmation, answer yes if it is what you want, otherwise explain what is wrong.
- When everything in the scenario is done, send a message containing only ###STOP###.
- If the agent transfers you to a human, send ###TRANSFER###. If the scenario does not tell you how to go on, send ###OUT-OF-SCOPE###."""


def policy_text(domain: str) -> str:
    return get_domain(domain).policy_text


# The prompts are asked for at every turn and are the same text for every turn of a run: each is made
# once per plug-in and base (per instruction for the user's), and the same string handed back, so what
# hashes or compares it (the scripted models' kept prompt JSON) does so at once.
_AGENT_PROMPTS: Kept[str] = Kept(1024)


def agent_system_prompt(domain: str, base: Database) -> str:
    """Our instructions, the domain's policy, and the lines its plug-in adds (airline's current time, for one)."""
    plugin = get_domain(domain)
    kept = _AGENT_PROMPTS.get(domain, (plugin, base))
    if kept is not None:
        return kept
    parts = [f"<instructions>\n{AGENT_INSTRUCTIONS}\n</instructions>", f"<policy>\n{plugin.policy_text}</policy>", *plugin.prompt_extras(base)]
    return _AGENT_PROMPTS.put(domain, "\n\n".join(parts), (plugin, base))


@lru_cache(maxsize=4096)
def user_system_prompt(instruction: str) -> str:
    return f"{USER_GUIDELINES}\n\n<scenario>\n{instruction}\n</scenario>"
