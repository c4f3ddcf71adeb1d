"""`cove serve` and `cove run` make the same events of the same bad agent output (pure functions, no NATS)."""

from __future__ import annotations

import pytest

from actors.drafts import stamp
from actors.llm import _assistant_message, _unusable_reply
from actors.turns import DialogueLimits, ModelNeeded, agent_reply, agent_step, model_failure
from actors.view import GREETING, DialogueView
from cove.episodes import policy_turn
from events import AgentSpoke, DialogueEnded, InstructionFuzzified, ModelCall, ModelCallFailed, TaskSampled, UserSpoke


def _call(name: str, arguments: str) -> dict:
    return {"id": "call_bad", "type": "function", "function": {"name": name, "arguments": arguments}}


BAD_OUTPUT = {
    "malformed_arguments": (None, [_call("get_user_details", "{not json")]),
    "unknown_tool": (None, [_call("launch_rockets", "{}")]),
    "text_and_tool_call": ("Let me look you up.", [_call("get_user_details", '{"user_id": "nobody_1"}')]),
    "empty_content": ("", None),
    "blank_content": ("  \n ", None),
    "no_content": (None, None),
}


@pytest.fixture(scope="module")
def view() -> DialogueView:
    from actors.drafts import draft

    task = {"task_id": "t0", "domain": "retail", "user_id": "u1", "constraints": [], "instruction": "Ask about an order."}
    drafts = [draft(TaskSampled, domain="retail", task=task, seed=1, base_db_hash="h"), draft(InstructionFuzzified, instruction="Ask.", descriptions={}, fuzz_level="exact"),
              draft(AgentSpoke, content=GREETING), draft(UserSpoke, content="Where is my order?")]  # fmt: skip
    return DialogueView.of(stamp(drafts, "d1", 0, "test", None, lambda: 0.0))


def _run_path(view: DialogueView, content: str | None, tool_calls: list | None) -> list:
    """What `cove run`'s agent makes of a model's reply with this content and these tool calls (actors/llm.py, then actors/turns.py)."""
    message = _assistant_message(content, tool_calls)
    failure = _unusable_reply(message, "stop")
    if failure is not None:
        return model_failure("agent", {"role": "agent", "model": "m", "error_type": failure.error_type, "message": failure.message, "attempts": 1, "retryable": failure.retryable})
    return agent_reply(view, message, ModelCall(model="m"))


def _shape(drafts: list) -> list:
    """The events without what names the model or words the failure."""
    shaped = []
    for d in drafts:
        fields = {k: v for k, v in d.fields.items() if k not in ("call", "model", "message")}
        shaped.append((d.cls.__name__, fields))
    return shaped


@pytest.mark.parametrize("kind", sorted(BAD_OUTPUT))
def test_serve_and_run_make_the_same_events_of_bad_agent_output(view, kind):
    """Malformed arguments, an unknown tool, text beside a call and an empty message become the same events whether a trainer's policy sent them or `cove run`'s model did."""
    content, tool_calls = BAD_OUTPUT[kind]
    served = policy_turn(view, {"role": "assistant", "content": content, **({"tool_calls": tool_calls} if tool_calls else {})}, "policy")
    assert _shape(served) == _shape(_run_path(view, content, tool_calls))
    assert not any(d.cls is DialogueEnded for d in served)  # an observation, never the end by itself


@pytest.mark.parametrize("kind", ["empty_content", "no_content"])
def test_after_an_empty_message_the_turn_is_the_agents_again(view, kind):
    """After the failure an empty message is recorded as, the agent's next move needs its model (the policy's turn), with the error in its transcript."""
    content, _ = BAD_OUTPUT[kind]
    [failure] = policy_turn(view, {"content": content}, "policy")
    assert failure.cls is ModelCallFailed
    after = DialogueView.of([*view.events, *stamp([failure], "d1", view.next_seq, "serve", None, lambda: 0.0)])
    step = agent_step(after, None, DialogueLimits())  # type: ignore[arg-type]  # the base only renders the system prompt
    assert isinstance(step, ModelNeeded) and step.messages[-1]["role"] == "system" and step.messages[-1]["content"].startswith("Error: ")
