"""The scripted user talks like a customer: its own words, gradual disclosure, acts for the scripted agent only."""

from __future__ import annotations

import re

import pytest

from actors.prompts import user_system_prompt
from actors.scripted import respond_user
from actors.scripted.measure import TalkStats, echoes
from actors.scripted.protocol import STOP, TRANSFER
from actors.scripted.simulate import simulate_task
from domains.scripted.slots import question_for, slot_groups
from actors.view import ACTS_KEY, GREETING, DialogueView, scripted_acts
from cove.export import sft_messages
from domains.generators import generate_database
from domains.registry import get_domain
from domains.sampling import sample_tasks
from events import UserSpoke
from tests.plugins import registered_domains

DOMAINS = tuple(registered_domains())


@pytest.fixture(scope="module")
def generated():
    """Our sandbox databases, one per domain."""
    return {d: get_domain(d).from_json(generate_database(d, seed=1, scale=0.3), source=f"<generated {d}>") for d in DOMAINS}


@pytest.fixture(scope="module")
def dialogues(generated):
    """60 simulated dialogues per domain at error rate 0 (seed 11)."""
    out = {}
    for domain in DOMAINS:
        tasks = sample_tasks(domain, generated[domain], 60, seed=11, k_range="1-3").tasks
        out[domain] = [simulate_task(task, generated[domain], seed=i) for i, task in enumerate(tasks)]
    return out


def _goals(instruction: str) -> list[str]:
    return re.findall(r"^\d+\. (.+)$", instruction, re.MULTILINE)


def _spoken(dialogue) -> list[UserSpoke]:
    return [e for e in dialogue.events if isinstance(e, UserSpoke)]


@pytest.mark.parametrize("domain", DOMAINS)
def test_user_talk_meets_the_targets_on_a_small_sample(domain, dialogues):
    """No turn echoes the scenario, confirmations vary, no sentence dominates, and every dialogue scores 1.0."""
    stats = TalkStats()
    for dialogue in dialogues[domain]:
        spoken = _spoken(dialogue)
        confirmations = [e.content for e in spoken if any(a["act"] == "confirm" for a in scripted_acts(e))]
        stats.add(_goals(dialogue.task.instruction), [e.content for e in spoken], confirmations)
        assert dialogue.score == 1.0, dialogue.user_texts
    summary = stats.summary()
    assert summary["echo_share"] <= 0.01, summary["echo_examples"]
    assert summary["confirmation_phrasings"] >= 20
    assert summary["top_sentence_share"] <= 0.04, summary["top_sentence"]


def test_echo_detects_the_scenario_read_aloud():
    """A turn that repeats five words of a goal, its second person or its imperative opening counts as an echo."""
    goals = ["Return the Electric Bike from your order with the Electric Scooter, with the refund going to your credit card."]
    assert echoes("Hi! Return the Electric Bike please.", goals)
    assert echoes("I want it refunded to your credit card", goals)
    assert echoes("It's from my order with the Electric Scooter.", goals)
    assert echoes("I'd like to send back my electric bike; it came with the scooter order.", goals) is None


@pytest.mark.parametrize("domain", DOMAINS)
def test_user_discloses_gradually(domain, dialogues):
    """Openings carry at most one need; some needs come without details; some details come partly (the agent asks again, or the user corrects its read-back)."""
    bare_needs = partial_then_full = 0
    for dialogue in dialogues[domain]:
        acts = [scripted_acts(e) for e in _spoken(dialogue)]
        assert sum(a["act"] == "request" for a in acts[0]) <= 1
        for turn in acts:
            for act in turn:
                if act["act"] == "request" and act.get("type") and not act.get("fields"):
                    bare_needs += 1
        corrected = any(act["act"] == "correct" for turn in acts for act in turn)  # a read-back missed what was left out
        identities = [act["facts"] for turn in acts for act in turn if act["act"] == "identify"]
        corrected = corrected or (len(identities) > 1 and len(identities[0]) < len(identities[-1]))  # a name only, then in full
        if corrected or any("more than one" in text for text in dialogue.agent_texts):
            partial_then_full += 1
    assert bare_needs >= 5 and partial_then_full >= 2


@pytest.mark.parametrize("domain", DOMAINS)
def test_user_raises_every_need_and_stops_when_the_agent_never_helps(domain, generated):
    """Opposite an agent that never gets anywhere, the user still raises every need in turn, then stops."""
    for task in sample_tasks(domain, generated[domain], 10, seed=2, k_range="2-3").tasks:
        messages = [{"role": "system", "content": user_system_prompt(task.instruction)}, {"role": "user", "content": GREETING}]
        requested: list[int] = []
        for turn in range(100):
            reply = respond_user(messages, None, {"seed": turn})
            requested += [a["goal"] for a in reply["script"]["acts"] if a["act"] == "request"]
            messages += [{"role": "assistant", "content": reply["content"], ACTS_KEY: reply["script"]["acts"]},
                         {"role": "user", "content": "Hmm, let me think about that."}]
            if STOP in reply["content"]:
                break
        assert STOP in reply["content"] and turn <= 10 * len(task.constraints) + 2
        assert sorted(set(requested)) == list(range(len(task.constraints)))


def _first_reply(task, agent_says: str) -> dict:
    opening = respond_user([{"role": "system", "content": user_system_prompt(task.instruction)}, {"role": "user", "content": GREETING}], None, {"seed": 1})
    messages = [
        {"role": "system", "content": user_system_prompt(task.instruction)}, {"role": "user", "content": GREETING},
        {"role": "assistant", "content": opening["content"], ACTS_KEY: opening["script"]["acts"]}, {"role": "user", "content": agent_says},
    ]
    return respond_user(messages, None, {"seed": 1})


@pytest.mark.parametrize(
    ("goal_type", "agent_says", "expected_acts", "fields"),
    [
        ("cancel_order", "I'm transferring you to a human agent now.", ["transfer"], set()),
        ("cancel_order", "Could you tell me the order number?", ["no_id", "inform"], {"order"}),
        ("cancel_order", "What is the reason for the cancellation?", ["inform"], {"reason"}),
        ("return_items", "Which payment method should the refund go to?", ["inform"], {"method"}),
        ("modify_user_address", "What is the new address?", ["inform"], {"address"}),
        ("cancel_order", "What is your favourite colour?", ["dont_know"], set()),
        ("cancel_order", "I will cancel order #W1234567. Shall I go ahead? (yes/no)", ["confirm"], set()),
    ],
)
def test_retail_user_answers_only_from_its_scenario(goal_type, agent_says, expected_acts, fields, generated):
    """The retail user gives the asked detail from its scenario, says it does not know the rest, and follows transfers."""
    tasks = sample_tasks("retail", generated["retail"], 200, seed=4, k_range="1").tasks
    task = next(t for t in tasks if t.constraints[0].type == goal_type)
    reply = _first_reply(task, agent_says)
    acts = reply["script"]["acts"]
    assert [a["act"] for a in acts] == expected_acts
    said = {name for a in acts for name in a.get("fields", {})}
    assert fields <= said
    assert "#W" not in reply["content"] and (TRANSFER in reply["content"]) == ("transfer" in expected_acts)


def _reply_once_requested(task, agent_says: str) -> dict:
    """The user's reply to `agent_says`, asked once it has raised its first request (and identified itself, if asked)."""
    messages = [{"role": "system", "content": user_system_prompt(task.instruction)}, {"role": "user", "content": GREETING}]
    for prompt in ("How can I help you today?", "How can I help you today?", agent_says):
        reply = respond_user(messages, None, {"seed": 1})
        messages += [{"role": "assistant", "content": reply["content"], ACTS_KEY: reply["script"]["acts"]}, {"role": "user", "content": prompt}]
        if prompt == agent_says:
            break
        if any(a["act"] == "request" for a in reply["script"]["acts"]):
            messages[-1]["content"] = agent_says
            return respond_user(messages, None, {"seed": 1})
    return respond_user(messages, None, {"seed": 1})


@pytest.mark.parametrize("domain", DOMAINS)
def test_user_gives_every_group_it_is_asked_for(domain, generated):
    """For every goal type of the domain, asked the scripted agent's question for any of its slot groups (the
    domain's or the shared one), the user answers with details of that goal, never a don't-know."""
    tasks = sample_tasks(domain, generated[domain], 300, seed=4, k_range="1").tasks
    asked = 0
    for goal_type in get_domain(domain).sampler.GOAL_TYPES:
        task = next((t for t in tasks if t.constraints[0].type == goal_type), None)
        assert task is not None, f"no {domain} task of goal type {goal_type} among 300 sampled"
        own = {name for _, names in slot_groups(goal_type) for name in names}
        for group, _ in slot_groups(goal_type):
            acts = _reply_once_requested(task, question_for(group))["script"]["acts"]
            said = {name for a in acts if a["act"] == "inform" for name in a.get("fields", {})}
            assert said and said <= own, (goal_type, group, acts)
            asked += 1
    assert asked > 0


@pytest.mark.parametrize("domain", DOMAINS)
def test_user_wording_varies_with_the_seed_but_not_its_acts(domain, generated):
    """Different seeds change the customer's words, never what it does."""
    task = sample_tasks(domain, generated[domain], 1, seed=1).tasks[0]
    messages = [{"role": "system", "content": user_system_prompt(task.instruction)}, {"role": "user", "content": GREETING}]
    replies = [respond_user(messages, None, {"seed": s}) for s in range(12)]
    assert len({r["content"] for r in replies}) > 6
    assert all(r["script"]["acts"] == replies[0]["script"]["acts"] for r in replies)


@pytest.mark.parametrize("domain", DOMAINS)
def test_acts_reach_only_scripted_models(domain, dialogues):
    """Acts are on a scripted agent's and user's messages only: never in the SFT messages or a real model's transcript."""
    dialogue = dialogues[domain][0]
    view = DialogueView.of(dialogue.events)
    assert any(ACTS_KEY in m for m in view.agent_messages("system", with_acts=True))
    assert any(ACTS_KEY in m for m in view.user_messages("system", with_acts=True))
    assert not any(ACTS_KEY in m for m in view.agent_messages("system"))
    assert not any(ACTS_KEY in m for m in view.user_messages("system"))
    assert "scripted_acts" not in str(sft_messages(view, "system"))


@pytest.mark.parametrize("domain", DOMAINS)
def test_agenda_read_once_per_prompt_hands_each_turn_its_own_fields(domain, generated):
    """The scripted user reads its scenario once; a turn that changes its agenda's fields changes nothing for the next."""
    from actors.prompts import agent_system_prompt
    from actors.scripted.agenda import Agenda

    task = sample_tasks(domain, generated[domain], 3, seed=5, k_range="1-2").tasks[0]
    prompt = user_system_prompt(task.instruction)
    assert user_system_prompt(task.instruction) is prompt  # the same text object every turn
    assert agent_system_prompt(domain, generated[domain]) is agent_system_prompt(domain, generated[domain])
    first = Agenda.of(prompt)
    fresh = Agenda._read(prompt)
    assert first == fresh and first.needs and any(need.fields for need in first.needs)
    for need in first.needs:
        need.fields["order"] = "changed by a caller"
    again = Agenda.of(prompt)
    assert again == fresh and again.needs[0].fields is not first.needs[0].fields
