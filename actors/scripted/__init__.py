"""The offline default models: a deterministic scripted user and scripted agent, called in process.

    register_scripted_models()   # then the model client's "cove/scripted-user" and "cove/scripted-agent" answer
    respond_user(messages, tools, params) -> {"content": ..., "script": {"acts": [...], "mistakes": [...]}}
    respond_agent(messages, tools, params) -> {"content": ...} or {"tool_calls": [...]} (+ "script" when it errs)
    simulate_task(task, base, error_rate=0.0, seed=0, mistakes=None) -> SimulatedDialogue   (in-process, no litellm)

`params` may hold `error_rate` and `mistakes` (see `mistakes`); the user's acts reach the scripted
agent as `scripted_acts` on its user messages (`actors.view.ACTS_KEY`).
"""

from __future__ import annotations

from actors.scripted.agent import respond_agent
from actors.scripted.user import respond_user

SCRIPTED_USER = "scripted-user"
SCRIPTED_AGENT = "scripted-agent"


def register_scripted_models() -> None:
    """Serve the scripted user and agent as `cove/scripted-user` and `cove/scripted-agent`."""
    from actors.llm import register_scripted_model

    register_scripted_model(SCRIPTED_USER, respond_user)
    register_scripted_model(SCRIPTED_AGENT, respond_agent)


__all__ = ["SCRIPTED_AGENT", "SCRIPTED_USER", "register_scripted_models", "respond_agent", "respond_user"]
