"""The actors' pure decisions, without NATS: who speaks next, and what their events say."""

from __future__ import annotations

import asyncio
import json

import pytest

from actors.drafts import stamp
from actors.executor import execute_tool_calls, rebuild_world
from actors.recorder import Recorder
from actors.turns import DialogueLimits, ModelNeeded, agent_reply, agent_step, model_failure, user_reply, user_step
from actors.view import GREETING, DialogueView
from domains.constraints import Action, Constraint, Task
from domains.registry import get_domain
from events import AgentSpoke, DialogueEnded, InstructionFuzzified, ModelCall, ModelCallFailed, TaskSampled, ToolCallRequest, ToolFailed, ToolReturned, UserSpoke, event_to_json, parse_event
from store.eventlog import EventStore

LIMITS = DialogueLimits(max_turns=6, max_tool_errors=2)


@pytest.fixture(scope="module")
def world():
    """A small generated retail world and a task on one of its pending orders."""
    from domains.generators import generate_database

    base = get_domain("retail").from_json(generate_database("retail", seed=3, scale=0.05))
    order_id, order = next((o, order) for o, order in base.tables["orders"].items() if order["status"] == "pending")
    action = Action(name="cancel_pending_order", arguments={"order_id": order_id, "reason": "no longer needed"})
    task = Task(task_id="t0", domain="retail", user_id=order["user_id"], constraints=[Constraint(type="cancel_order", actions=[action], params={"order_id": order_id})], instruction="Cancel it.")
    return base, task, order_id


def _view(task, base, *drafted) -> DialogueView:
    """A view over TaskSampled, InstructionFuzzified and the given (class, fields) events."""
    from actors.drafts import draft

    drafts = [draft(TaskSampled, domain="retail", task=task.model_dump(mode="json"), seed=1, base_db_hash=base.content_hash), draft(InstructionFuzzified, instruction=task.instruction, descriptions={}, fuzz_level="exact")]
    drafts += [draft(cls, **fields) for cls, fields in drafted]
    return DialogueView.of(stamp(drafts, "d1", 0, "test", None, lambda: 0.0))


def test_agent_greets_after_the_instruction(world):
    """The agent's first move is the fixed greeting, without a model call."""
    base, task, _ = world
    drafts = agent_step(_view(task, base), base, LIMITS)
    assert [(d.cls, d.fields["content"]) for d in drafts] == [(AgentSpoke, GREETING)]


def test_agent_asks_its_model_with_the_transcript_and_tools(world):
    """After a user message the agent needs its model: system prompt with policy, the turns so far, every tool."""
    base, task, _ = world
    step = agent_step(_view(task, base, (AgentSpoke, {"content": GREETING}), (UserSpoke, {"content": "Cancel my order"})), base, LIMITS)
    assert isinstance(step, ModelNeeded)
    assert step.messages[0]["role"] == "system" and "<policy>" in step.messages[0]["content"]
    assert [m["role"] for m in step.messages[1:]] == ["assistant", "user"]
    assert len(step.tools) == 16


def test_agent_stays_silent_after_a_stop_token(world):
    """A user message with ###STOP### gets no agent reply (the user simulator ends the dialogue)."""
    base, task, _ = world
    assert agent_step(_view(task, base, (UserSpoke, {"content": "thanks ###STOP###"})), base, LIMITS) == []


def test_agent_waits_for_every_tool_result_of_its_turn(world):
    """With two tool calls in a turn, only the second result lets the agent speak again."""
    base, task, _ = world
    calls = [ToolCallRequest(id="a", name="list_all_product_types", arguments="{}"), ToolCallRequest(id="b", name="list_all_product_types", arguments="{}")]
    first = _view(task, base, (AgentSpoke, {"tool_calls": calls}), (ToolReturned, {"call_id": "a", "name": "list_all_product_types", "content": "{}", "mutates_state": False}))
    assert agent_step(first, base, LIMITS) == []
    second = _view(task, base, (AgentSpoke, {"tool_calls": calls}), (ToolReturned, {"call_id": "a", "name": "list_all_product_types", "content": "{}", "mutates_state": False}), (ToolReturned, {"call_id": "b", "name": "list_all_product_types", "content": "{}", "mutates_state": False}))
    assert isinstance(agent_step(second, base, LIMITS), ModelNeeded)


@pytest.mark.parametrize("limit, expected", [("turns", "max_turns"), ("errors", "too_many_errors")])
def test_limits_end_the_dialogue(world, limit, expected):
    """Past the turn limit, or with too many failed tool calls, the agent ends the dialogue instead of speaking."""
    base, task, _ = world
    if limit == "turns":
        events = [(UserSpoke, {"content": f"hello {i}"}) for i in range(LIMITS.max_turns)]
    else:
        bad = [ToolCallRequest(id=f"c{i}", name="nope", arguments="{}") for i in range(2)]
        events = [(AgentSpoke, {"tool_calls": bad})] + [(ToolFailed, {"call_id": f"c{i}", "name": "nope", "content": "Error: x", "error_kind": "unknown_tool"}) for i in range(2)]
    drafts = agent_step(_view(task, base, *events), base, LIMITS)
    assert [(d.cls, d.fields["reason"]) for d in drafts] == [(DialogueEnded, expected)]


def test_agent_reply_keeps_arguments_exactly_and_names_missing_ids(world):
    """A tool call's arguments string is kept byte for byte; a call without id gets a deterministic one."""
    base, task, _ = world
    view = _view(task, base)
    message = {"content": None, "tool_calls": [{"type": "function", "function": {"name": "get_order_details", "arguments": '{"order_id":  "#W1"}'}}]}
    (spoke,) = agent_reply(view, message, ModelCall(model="m"))
    assert spoke.fields["tool_calls"][0].arguments == '{"order_id":  "#W1"}'
    assert spoke.fields["tool_calls"][0].id == f"call_{view.next_seq}_0"


@pytest.mark.parametrize("text, reason", [("All done ###STOP###", "user_stop"), ("###TRANSFER###", "transfer"), ("###OUT-OF-SCOPE###", "out_of_scope"), ("yes please", None)])
def test_user_reply_ends_the_dialogue_on_an_end_token(text, reason):
    """The user's end tokens end the dialogue with the matching reason; other replies just speak."""
    drafts = user_reply({"content": text}, ModelCall(model="m"))
    assert drafts[0].cls is UserSpoke
    assert [d.fields["reason"] for d in drafts[1:]] == ([reason] if reason else [])


def test_user_answers_only_agent_text(world):
    """The user simulator answers the agent's messages, not its tool calls, and sees no tools."""
    base, task, _ = world
    assert isinstance(user_step(_view(task, base, (AgentSpoke, {"content": GREETING})), LIMITS), ModelNeeded)
    call = [ToolCallRequest(id="a", name="list_all_product_types", arguments="{}")]
    assert user_step(_view(task, base, (AgentSpoke, {"tool_calls": call})), LIMITS) == []


def test_user_sees_the_fuzzified_instruction_else_the_sampled_one(world):
    """The user's system prompt holds `view.task.instruction`, read without validating the task each turn."""
    from actors.drafts import draft

    base, task, _ = world
    fuzzified = _view(task.model_copy(update={"instruction": "Sampled words."}), base, (AgentSpoke, {"content": GREETING}))
    fuzzified.instruction = fuzzified.instruction.model_copy(update={"instruction": "You want the order with the lamp gone."})
    sampled_only = DialogueView.of(stamp([draft(TaskSampled, domain="retail", task=task.model_dump(mode="json", exclude={"instruction"}), seed=1, base_db_hash=base.content_hash)], "d2", 0, "test", None, lambda: 0.0))
    with_instruction = DialogueView.of(stamp([draft(TaskSampled, domain="retail", task=task.model_dump(mode="json"), seed=1, base_db_hash=base.content_hash)], "d3", 0, "test", None, lambda: 0.0))
    for view, expected in ((fuzzified, "You want the order with the lamp gone."), (sampled_only, ""), (with_instruction, "Cancel it.")):
        assert view.instruction_text == view.task.instruction == expected
    prompt = user_step(fuzzified, LIMITS).messages[0]["content"]
    assert "You want the order with the lamp gone." in prompt and "Sampled words." not in prompt


@pytest.mark.parametrize(
    "role, error_type, retryable, reason",
    [("agent", "rate_limit_error", True, "infrastructure_failure"), ("agent", "authentication_error", False, "infrastructure_failure"),
     ("agent", "empty_reply", False, None), ("agent", "truncated_reply", False, None), ("user", "empty_reply", False, "user_error")],
)
def test_model_failure_blames_the_right_party(role, error_type, retryable, reason):
    """The agent's unusable reply is recorded and the dialogue goes on; the user's ends it as the user's fault; any other failure as infrastructure's (unscored)."""
    failure = {"role": role, "model": "m", "error_type": error_type, "message": "m", "attempts": 5, "retryable": retryable}
    drafts = model_failure(role, failure)
    assert drafts[0].cls is ModelCallFailed
    assert [d.fields["reason"] for d in drafts[1:]] == ([reason] if reason else [])


def test_after_an_unusable_reply_the_agent_is_asked_again_with_the_error_until_the_limit(world):
    """After the agent's unusable reply the agent's model is asked again, its transcript showing the error; it counts towards max_tool_errors."""
    base, task, _ = world
    failure = (ModelCallFailed, {"role": "agent", "model": "m", "error_type": "empty_reply", "message": "reply had no content", "attempts": 1, "retryable": False})
    view = _view(task, base, (AgentSpoke, {"content": GREETING}), (UserSpoke, {"content": "hi"}), failure)
    step = agent_step(view, base, LIMITS)
    assert isinstance(step, ModelNeeded) and step.messages[-2:] == [{"role": "assistant", "content": ""}, {"role": "system", "content": "Error: reply had no content. Write to the customer or call one tool."}]
    assert view.tool_errors == 1
    limited = agent_step(view, base, DialogueLimits(max_turns=100, max_tool_errors=1))
    assert [d.fields["reason"] for d in limited] == ["too_many_errors"]


def test_executor_runs_calls_in_order_and_rebuilds_the_same_world(world):
    """The executor applies the turn's calls on the dialogue's world; rebuilding from the events gives the same world."""
    base, task, order_id = world
    calls = [ToolCallRequest(id="a", name="cancel_pending_order", arguments=json.dumps({"order_id": order_id, "reason": "no longer needed"})), ToolCallRequest(id="b", name="cancel_pending_order", arguments=json.dumps({"order_id": order_id, "reason": "no longer needed"}))]
    view = _view(task, base, (AgentSpoke, {"tool_calls": calls}))
    state = base.new_state()
    drafts = execute_tool_calls(view, state)
    assert [d.cls.__name__ for d in drafts] == ["ToolCalled", "ToolReturned", "ToolCalled", "ToolFailed"]
    assert "Non-pending" in drafts[3].fields["content"]
    full = DialogueView.of(view.events + stamp(drafts, "d1", view.next_seq, "executor", None, lambda: 0.0))
    rebuilt, done = rebuild_world(full, base)
    assert done == 2 and rebuilt.changes() == state.changes()


def test_recorder_stores_in_sequence_even_when_events_arrive_out_of_order(tmp_path, world):
    """An event that arrives before its predecessor waits, and both are stored in order once the gap fills."""
    base, task, _ = world
    events = _view(task, base, (AgentSpoke, {"content": GREETING}), (UserSpoke, {"content": "hi"})).events

    async def scenario():
        recorder = Recorder(EventStore(tmp_path / "events.db"))
        early = asyncio.create_task(recorder.record(events[3]))
        await asyncio.sleep(0)
        for event in events[:3]:
            await recorder.record(event)
        await asyncio.wait_for(early, 5)
        await recorder.stop()
        return recorder.store.events("d1")

    assert [e.seq for e in asyncio.run(scenario())] == [0, 1, 2, 3]


def test_cache_reads_back_only_what_it_lacks_and_forgets_finished_dialogues(world):
    """A view fetches missing events from the stream once; a finished dialogue is dropped and remembered as over."""
    from actors.cache import DialogueCache

    base, task, _ = world
    events = _view(task, base, (AgentSpoke, {"content": GREETING}), (UserSpoke, {"content": "hi"})).events
    fetched = []

    async def fetch(dialogue_id, up_to):
        fetched.append(up_to)
        return events[: up_to + 1]

    async def scenario():
        cache = DialogueCache(max_finished=2)
        first = await cache.view(events[2], fetch)  # nothing known yet: read back 0..2
        second = await cache.view(events[3], fetch)  # extends the known prefix: no read
        cache.finish("d1")
        assert cache.finished("d1") and cache.known("d1") == 0
        for other in ("d2", "d3"):
            cache.finish(other)
        return first, second, cache

    first, second, cache = asyncio.run(scenario())
    assert fetched == [2] and len(first.events) == 3 and len(second.events) == 4
    assert not cache.finished("d1") and cache.finished("d3")  # bounded: the oldest verdict is forgotten first


def test_cache_views_extend_the_last_one_and_equal_a_fold_of_the_prefix(world):
    """Views handed out in any order of triggers (a late one too) equal a fresh fold of the dialogue up to the trigger, and are the caller's own."""
    from actors.cache import DialogueCache

    base, task, _ = world
    events = _view(task, base, (AgentSpoke, {"content": GREETING}), (UserSpoke, {"content": "hi"}), (AgentSpoke, {"content": "hello"})).events

    async def fetch(dialogue_id, up_to):
        return events[: up_to + 1]

    async def scenario():
        cache = DialogueCache()
        for seq in (2, 3, 4, 3, 4):  # the second 3 comes after 4 was seen: shorter than the last view built
            view = await cache.view(events[seq], fetch)
            assert view == DialogueView.of(events[: seq + 1])
            view.turns += 100  # a caller's change stays in its own copy
            view.events.pop()

    asyncio.run(scenario())


@pytest.mark.parametrize("case", ["same bytes", "other bytes", "other id", "no id", "forgotten"])
def test_cache_hands_back_a_published_event_only_for_the_very_bytes_published(world, case):
    """A delivery of the bytes this process published under that event id yields the remembered event; anything else is parsed."""
    base, task, _ = world
    events = _view(task, base, (AgentSpoke, {"content": GREETING})).events
    from actors.cache import DialogueCache

    cache = DialogueCache()
    for event in events:
        cache.remember(event)
        cache.published(event, event_to_json(event))
    event = events[2]
    body, msg_id = event_to_json(event), event.event_id
    if case == "other bytes":
        body = event_to_json(event.model_copy(update={"time": event.time + 1}))
    elif case == "other id":
        msg_id = events[1].event_id
    elif case == "no id":
        msg_id = None
    elif case == "forgotten":
        cache.forget("d1")
    found = cache.delivered(msg_id, body)
    assert (found is event) if case == "same bytes" else found is None
    assert parse_event(body) == event or case == "other bytes"  # what a parse would have given


@pytest.mark.parametrize("fields", [
    {"content": "Which order is it?"},
    {"content": None, "tool_calls": [ToolCallRequest(id="a", name="list_all_product_types", arguments="{}")]},
    {"content": "Let me look.", "tool_calls": [ToolCallRequest(id="a", name="list_all_product_types", arguments="{}")]},
    {"content": ""},
    {"content": "   "},  # a model's blank reply: the user is asked (and its own model answers as it may)
    {"content": "Sorry, I meant the other order, let me check it.", "tool_calls": [ToolCallRequest(id="b", name="get_order_details", arguments='{"order_id": "#W0000000"}')]},
    {"content": "I'll cancel it now, no wait, first: is it the blue lamp you mean?"},
])
def test_a_trigger_skipped_without_a_view_is_one_the_decision_answers_with_nothing(world, fields):
    """`may_answer` lets the user simulator and the executor pass over an agent turn without building a view
    only where their decisions would give nothing for it anyway."""
    from actors.runtime import may_answer

    base, task, _ = world
    view = _view(task, base, (AgentSpoke, {"content": GREETING}), (UserSpoke, {"content": "I want to cancel an order."}), (AgentSpoke, fields))
    user_answers = user_step(view, LIMITS) != []
    executor_answers = execute_tool_calls(view, rebuild_world(view, base)[0]) != []
    assert may_answer("user", view.last) or not user_answers
    assert may_answer("executor", view.last) or not executor_answers
    assert may_answer("user", view.last) == user_answers and may_answer("executor", view.last) == executor_answers
    assert may_answer("agent", view.last) and may_answer("verifier", view.last)
