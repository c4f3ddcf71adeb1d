"""Both scripted models behind one chat endpoint, such as an OpenAI-compatible HTTP server in a test.

Over HTTP a scripted user's acts cannot travel with its words (a server answers with a plain chat
message), so the relay hands them on itself: it remembers the acts of every text the scripted user
said and puts them back on that text when a later request (the agent's, or the user's own) holds it.

    relay = ScriptedRelay()
    message = relay(request["messages"], request.get("tools"), {"seed": request.get("seed")})
"""

from __future__ import annotations

from typing import Any

from actors.scripted.agent import respond_agent
from actors.scripted.user import respond_user
from actors.view import ACTS_KEY


class ScriptedRelay:
    """A request with tools goes to the scripted agent, one without to the scripted user."""

    def __init__(self) -> None:
        self.acts: dict[str, list[dict[str, Any]]] = {}  # what the scripted user said -> the acts it said it with

    def __call__(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None, params: dict[str, Any]) -> dict[str, Any]:
        own = "user" if tools else "assistant"  # where the scripted user's texts sit in this transcript
        messages = [{**m, ACTS_KEY: self.acts[m["content"]]} if m.get("role") == own and m.get("content") in self.acts else m for m in messages]
        if tools:
            return respond_agent(messages, tools, params)
        message = respond_user(messages, None, params)
        self.acts[message["content"]] = message["script"]["acts"]
        return message
