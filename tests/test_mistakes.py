"""The mistake catalogue: one class per dialogue, committed only where it really happens, recorded as ground truth."""

from __future__ import annotations

import json

import pytest

from domains.scripted.mistakes import ALL, KIND_OF, MistakeKind, UnknownMistakeError, expected_blame, parse_mistakes, planned_mistake
from actors.scripted.simulate import simulate_task
from domains.scripted.slips import digit_swapped
from actors.view import scripted_acts
from cove.confusion import ConfusionMatrix, committed_mistakes
from domains.generators import generate_database
from domains.registry import get_domain
from domains.sampling import sample_tasks
from domains.conversation import TRANSFER_TOOL
from events import AgentSpoke, ToolReturned, UserSpoke
from tests.plugins import registered_domains

DOMAINS = tuple(registered_domains())


def writes_of(domain: str) -> set[str]:
    """The domain's tools that change the world, from its toolkit."""
    return {name for name, tool in get_domain(domain).toolkit.tools.items() if tool.mutates_state}


@pytest.fixture(scope="module")
def mistaken():
    """Per domain, 240 dialogues (half at fuzz full, half partial) where every dialogue draws a mistake class."""
    out = {}
    for domain in DOMAINS:
        base = get_domain(domain).from_json(generate_database(domain, seed=1, scale=0.5), source=f"<generated {domain}>")
        dialogues = []
        for fuzz in ("full", "partial"):
            for index, task in enumerate(sample_tasks(domain, base, 120, seed=3, fuzz=fuzz).tasks):
                dialogues.append(simulate_task(task, base, error_rate=1.0, seed=index))
        out[domain] = dialogues
    return out


def test_mistake_classes_parse_by_name_or_kind():
    """--scripted-mistakes takes class names and kinds, keeps catalogue order, and refuses an unknown name."""
    assert parse_mistakes(None) == ALL and len(ALL) == 25
    assert parse_mistakes("digit_swap,unconfirmed_write") == ("unconfirmed_write", "digit_swap")
    assert set(parse_mistakes("user")) == {m for m in ALL if KIND_OF[m] is MistakeKind.USER}
    with pytest.raises(UnknownMistakeError, match="no_such_thing"):
        parse_mistakes("digit_swap,no_such_thing")
    assert expected_blame("invents_id") == "user_simulator" and expected_blame("wrong_record") == "agent"


def test_the_draw_is_one_class_per_dialogue_at_the_given_rate():
    """The class depends only on the first customer message; its rate follows error_rate, spread over the enabled classes."""
    openings = [f"Hi, I need help with order number {i}." for i in range(4000)]
    chosen = [planned_mistake(text, 0.3) for text in openings]
    assert chosen == [planned_mistake(text, 0.3) for text in openings]
    assert 0.27 < sum(c is not None for c in chosen) / len(chosen) < 0.33
    assert set(chosen) - {None} == set(ALL)
    assert {planned_mistake(text, 1.0, "digit_swap,no_answer") for text in openings} == {"digit_swap", "no_answer"}
    assert all(planned_mistake(text, 0.0) is None for text in openings)


def test_digit_swap_needs_two_different_digits():
    """A digit swap changes the value only where two adjacent digits differ, and never makes a leading zero."""
    assert digit_swapped("$135.90") == "$315.90"
    assert digit_swapped("$100.00") is None and digit_swapped("$111.11") is None


def _signature(name: str, dialogue, domain: str) -> bool:
    """Whether the dialogue's events show the committed mistake (independent of any verifier)."""
    events, task = dialogue.events, dialogue.task
    turns = [e for e in events if isinstance(e, AgentSpoke)]
    returned = {e.call_id for e in events if isinstance(e, ToolReturned)}
    calls = [(c, e.seq) for e in turns for c in e.tool_calls]
    user_acts = [a for e in events if isinstance(e, UserSpoke) for a in scripted_acts(e) or []]
    if name == "two_tool_calls_in_one_turn":
        return any(len(e.tool_calls) > 1 for e in turns)
    if name == "text_with_tool_call":
        return any(e.content and e.tool_calls for e in turns)
    if name == "unjustified_transfer":
        return any(c.name == TRANSFER_TOOL for c, _ in calls) and dialogue.termination == "transfer"
    if name == "other_customer_lookup":
        return any(c.name == "get_user_details" and json.loads(c.arguments)["user_id"] != task.user_id and c.id in returned for c, _ in calls)
    if name == "skips_authentication":
        account_tools = get_domain(domain).conversation.ACCOUNT_TOOLS  # a record read: an account tool not given the customer
        account = [seq for c, seq in calls if c.name in account_tools and "user_id" not in json.loads(c.arguments)]
        found = [seq for c, seq in calls if c.id in returned and c.name not in writes_of(domain) and (c.name not in account_tools or "user_id" in json.loads(c.arguments))]
        return bool(account) and (not found or min(account) < min(found))
    if name == "unconfirmed_write":
        texts = [(e.seq, e.content) for e in events if isinstance(e, (AgentSpoke, UserSpoke)) and e.content and not getattr(e, "tool_calls", None)]
        for call, seq in calls:
            if call.name in writes_of(domain):
                agent_before = [text for s, text in texts if s < seq and "Shall I go ahead?" in text]
                if not agent_before:
                    return True
        return False
    if name == "stops_before_goal":
        return len({a["goal"] for a in user_acts if a["act"] == "request"}) < len(task.constraints)
    if name == "invents_id":
        said = " ".join(dialogue.user_texts)
        return any(found not in task.instruction for found in get_domain(domain).id_pattern.findall(said))
    if name == "asks_outside_scenario":
        return any(a["act"] == "request" and a.get("extra") for a in user_acts)
    if name == "confirms_wrong_details":
        return any(a["act"] == "correct" and a.get("change") for a in user_acts) and dialogue.score < 1.0
    if name == "corrected_to_wrong":
        return any("I misread that" in (e.content or "") for e in turns)
    if name == "negated_status":
        return any(" is not " in (e.content or "") for e in turns)
    if name == "no_answer":
        return any("cannot give you that information" in (e.content or "") for e in turns)
    # outcome classes, and wrong answers: the customer does not get what the task asks for
    return dialogue.score is not None and dialogue.score < 1.0 or name in ("amount_containing_answer", "wrong_status")


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_committed_mistake_really_happens(domain, mistaken):
    """Each recorded mistake shows in the dialogue's events; most classes occur; mistake-free dialogues all score 1.0."""
    seen: set[str] = set()
    for dialogue in mistaken[domain]:
        found = committed_mistakes(dialogue.events)
        assert len(found) <= 1
        for name in found:
            seen.add(name)
            assert _signature(name, dialogue, domain), (name, dialogue.user_texts, dialogue.agent_texts)
        if not found:
            assert dialogue.score == 1.0, dialogue.agent_texts
    assert len(seen) >= 18, sorted(set(ALL) - seen)


def test_confusion_matrix_counts_rejections_and_blame():
    """The matrix counts per class the rejected dialogues and, among those, the ones blamed on the right party."""
    matrix = ConfusionMatrix()
    matrix.add(["digit_swap"], 0.0, "agent")
    matrix.add(["digit_swap"], 1.0, "none")
    matrix.add(["invents_id"], 0.0, "agent")
    matrix.add([], 1.0, "none")
    matrix.add([], 0.5, "agent")
    result = matrix.to_json()
    assert result["classes"]["digit_swap"] == {"dialogues": 2, "rejected": 0.5, "right_blame": 1.0, "expected_blame": "agent"}
    assert result["classes"]["invents_id"]["right_blame"] == 0.0
    assert result["mistake_free"] == {"dialogues": 2, "rejected": 0.5}


def test_a_refused_duplicate_write_is_not_counted():
    """A mistake made through a call that the tool refused counts only for classes that need the call to go through."""
    from events import ModelCall, ToolCallRequest, ToolFailed

    call = ModelCall(model="cove/scripted-agent", raw_response={"script": {"mistakes": [{"class": "duplicate_write", "kind": "outcome", "call_id": "call_009"}]}})
    spoke = AgentSpoke(dialogue_id="d", seq=0, time=0.0, actor="agent", tool_calls=[ToolCallRequest(id="call_009", name="cancel_pending_order", arguments="{}")], call=call)
    failed = ToolFailed(dialogue_id="d", seq=1, time=0.0, actor="executor", call_id="call_009", name="cancel_pending_order", content="Error: x", error_kind="tool_error")
    assert committed_mistakes([spoke, failed]) == []
    returned = ToolReturned(dialogue_id="d", seq=1, time=0.0, actor="executor", call_id="call_009", name="cancel_pending_order", content="{}", mutates_state=True)
    assert committed_mistakes([spoke, returned]) == ["duplicate_write"]
