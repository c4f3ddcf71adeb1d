"""The offline default models: the scripted user and agent solve sampled tasks, deterministically."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from actors.prompts import user_system_prompt
from actors.scripted import airline_agent, register_scripted_models, respond_agent, respond_user, retail_agent
from actors.scripted.mistakes import planned_mistake
from actors.scripted.protocol import CLOSING, STOP, TRANSFER, is_yes
from actors.scripted.simulate import SimulatedDialogue, simulate_task
from actors.view import GREETING
from domains.generators import generate_database
from domains.registry import get_domain
from domains.sampling import sample_tasks
from domains.verification import verify_dialogue

DOMAINS = ("retail", "airline")
RULES = {"retail": retail_agent, "airline": airline_agent}
TASKS = 120
SAMPLE_SEED = 7
# Ids a customer cannot know unless told: orders, items, payment methods, reservations.
RAW_ID = re.compile(r"#W\d{7}|\b(?:credit_card|gift_card|paypal|certificate)_\d{7}\b|\b\d{10}\b|\b(?=[A-Z0-9]*\d)(?=[A-Z0-9]*[A-Z])[A-Z0-9]{6}\b")


@pytest.fixture(scope="module")
def generated():
    """Our sandbox databases, one per domain."""
    return {d: get_domain(d).from_json(generate_database(d, seed=1, scale=0.3), source=f"<generated {d}>") for d in DOMAINS}


@pytest.fixture(scope="module")
def runs():
    """Simulated dialogues, cached per (database, error rate) so that several tests can inspect them."""
    cache: dict[tuple, list[tuple[SimulatedDialogue, object]]] = {}

    def run(base, error_rate: float = 0.0, n: int = TASKS, k_range: str = "1-3"):
        key = (base.domain, base.source, error_rate, n, k_range)
        if key not in cache:
            tasks = sample_tasks(base.domain, base, n, seed=SAMPLE_SEED, k_range=k_range).tasks
            cache[key] = []
            for task in tasks:
                dialogue = simulate_task(task, base, error_rate=error_rate)
                cache[key].append((dialogue, verify_dialogue(dialogue.record(), base)))
        return cache[key]

    return run


def _pass_rates(results) -> tuple[float, dict[str, str]]:
    solved = sum(verdict.score == 1.0 for _, verdict in results)
    per_type: dict[str, list[int]] = {}
    for _, verdict in results:
        for constraint in verdict.constraints:
            counts = per_type.setdefault(constraint["type"], [0, 0])
            counts[0] += constraint["satisfied"] and verdict.score == 1.0
            counts[1] += 1
    return solved / len(results), {t: f"{a}/{b}" for t, (a, b) in sorted(per_type.items())}


@pytest.mark.parametrize("domain", DOMAINS)
def test_scripted_pair_solves_tasks_on_generated_databases(domain, generated, runs):
    """With error_rate 0 the scripted pair fully solves at least 90% of sampled tasks on our databases."""
    results = runs(generated[domain])
    rate, per_type = _pass_rates(results)
    print(f"\n{domain} generated: {rate:.1%} of {len(results)} tasks scored 1.0; per goal type {per_type}")
    assert len(results) >= 100
    assert rate >= 0.9


@pytest.mark.parametrize("domain", DOMAINS)
def test_scripted_pair_solves_tasks_on_tau2_databases(domain, tau2_databases, runs):
    """With error_rate 0 the scripted pair fully solves at least 90% of sampled tasks on τ²-bench's databases."""
    results = runs(tau2_databases[domain])
    rate, per_type = _pass_rates(results)
    print(f"\n{domain} tau2: {rate:.1%} of {len(results)} tasks scored 1.0; per goal type {per_type}")
    assert len(results) >= 100
    assert rate >= 0.9


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_sampled_goal_sentence_is_understood(domain, generated):
    """The agent's request parser reads every goal sentence the sampler writes as the right goal type."""
    for task in sample_tasks(domain, generated[domain], 200, seed=3, k_range="1-4").tasks:
        lines = re.findall(r"^\d+\. (.+)$", task.instruction, re.MULTILINE)
        assert len(lines) == len(task.constraints)
        for line, constraint in zip(lines, task.constraints):
            goal = RULES[domain].parse_goal(line)
            assert goal is not None and goal.type == constraint.type, (line, constraint.type)


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("seed", [0, 5])
def test_same_task_gives_the_same_transcript(domain, seed, generated):
    """Simulating a task twice gives identical transcripts and calls: both models are deterministic."""
    base = generated[domain]
    for task in sample_tasks(domain, base, 8, seed=seed).tasks:
        first, second = simulate_task(task, base, seed=seed), simulate_task(task, base, seed=seed)
        assert first.agent_messages == second.agent_messages
        assert first.user_messages == second.user_messages
        assert first.calls == second.calls


@pytest.mark.parametrize("domain", DOMAINS)
def test_mistakes_lower_the_score_and_are_blamed_on_the_agent(domain, generated, runs):
    """With error_rate 1 most dialogues score below 1, and the verifier blames the agent for them."""
    results = runs(generated[domain], error_rate=1.0, n=60)
    failed = [verdict for _, verdict in results if verdict.score < 1.0]
    assert len(failed) >= 0.8 * len(results)
    assert Counter(verdict.attribution for verdict in failed) == {"agent": len(failed)}
    assert all(dialogue.termination == "user_stop" for dialogue, _ in results)


def test_error_rate_is_the_share_of_dialogues_with_a_mistake():
    """The mistake decision depends only on the first customer message, and its rate follows error_rate."""
    openings = [f"Hi! Cancel your order with the Lamp number {i}." for i in range(2000)]
    chosen = [planned_mistake(text, 0.3) for text in openings]
    assert chosen == [planned_mistake(text, 0.3) for text in openings]
    assert 0.26 < sum(kind is not None for kind in chosen) / len(chosen) < 0.34
    assert set(chosen) - {None} == {"wrong_target", "redundant_write", "give_up"}
    assert all(planned_mistake(text, 0.0) is None for text in openings)


@pytest.mark.parametrize("error_rate", [0.0, 1.0])
@pytest.mark.parametrize("domain", DOMAINS)
def test_agent_turns_are_text_or_one_tool_call(domain, error_rate, generated, runs):
    """The agent never writes text and calls a tool in the same turn, and makes one call at a time."""
    for dialogue, _ in runs(generated[domain], error_rate=error_rate, n=TASKS if error_rate == 0 else 60):
        for message in dialogue.agent_messages:
            if message["role"] == "assistant" and message.get("tool_calls"):
                assert message["content"] is None and len(message["tool_calls"]) == 1


@pytest.mark.parametrize("error_rate", [0.0, 1.0])
@pytest.mark.parametrize("domain", DOMAINS)
def test_every_write_follows_a_yes(domain, error_rate, generated, runs):
    """Every write the agent makes comes right after the customer's explicit yes to its read-back."""
    writes = RULES[domain].WRITES
    count = 0
    for dialogue, _ in runs(generated[domain], error_rate=error_rate, n=TASKS if error_rate == 0 else 60):
        last_user, last_agent = "", ""
        for message in dialogue.agent_messages:
            if message["role"] == "user":
                last_user = message["content"]
            elif message["role"] == "assistant" and not message.get("tool_calls"):
                last_agent = message["content"]
            elif message["role"] == "assistant" and message["tool_calls"][0]["function"]["name"] in writes:
                assert is_yes(last_user) and "Shall I go ahead?" in last_agent
                count += 1
    assert count > 50


@pytest.mark.parametrize("domain", DOMAINS)
def test_user_never_says_an_id_it_was_not_told(domain, generated, runs):
    """The scripted user only repeats ids from its scenario or from the agent's earlier messages."""
    for dialogue, _ in runs(generated[domain]):
        known = dialogue.task.instruction
        for message in dialogue.user_messages[1:]:
            if message["role"] == "user":
                known += " " + message["content"]
            else:
                assert all(raw in known for raw in RAW_ID.findall(message["content"])), message["content"]


def _scenario_messages(task, agent_lines: list[str], user_lines: list[str]) -> list[dict]:
    messages = [{"role": "system", "content": user_system_prompt(task.instruction)}]
    for agent_line, user_line in zip(agent_lines, user_lines + [None]):
        messages.append({"role": "user", "content": agent_line})
        if user_line is not None:
            messages.append({"role": "assistant", "content": user_line})
    return messages


@pytest.mark.parametrize("domain", DOMAINS)
def test_user_moves_on_and_stops_when_the_agent_never_helps(domain, generated):
    """Opposite an agent that never gets anywhere, the user still raises every request and then stops."""
    for task in sample_tasks(domain, generated[domain], 10, seed=2, k_range="2-3").tasks:
        agent_lines, user_lines = [GREETING], []
        while len(user_lines) < 100:
            reply = respond_user(_scenario_messages(task, agent_lines, user_lines), None, {"seed": len(user_lines)})["content"]
            user_lines.append(reply)
            if reply == STOP:
                break
            agent_lines.append("Hmm, let me think about that.")
        assert user_lines[-1] == STOP and len(user_lines) <= 10 * len(task.constraints) + 2
        lines = re.findall(r"^\d+\. (.+)$", task.instruction, re.MULTILINE)
        assert all(any(line in said for said in user_lines) for line in lines)


@pytest.mark.parametrize(
    ("goal_type", "agent_says", "expected"),
    [
        ("cancel_order", "I'm transferring you to a human agent now.", TRANSFER),
        ("cancel_order", "Could you tell me the order number?", "I'm sorry, I don't know that."),
        ("cancel_order", "What is the reason for the cancellation?", "Because I"),
        ("return_items", "Which payment method should the refund go to?", "Please use my"),
        ("modify_user_address", "What is the new address?", "The address is"),
        ("cancel_order", "What is your favourite colour?", "I'm sorry, I don't know that."),
        ("cancel_order", "I will cancel order #W1234567. Shall I go ahead? (yes/no)", "Yes"),
    ],
)
def test_user_answers_only_from_its_scenario(goal_type, agent_says, expected, generated):
    """The user answers questions its scenario covers, says it does not know the rest, and follows transfers."""
    tasks = sample_tasks("retail", generated["retail"], 200, seed=4, k_range="1").tasks
    task = next(t for t in tasks if t.constraints[0].type == goal_type)
    opening = respond_user(_scenario_messages(task, [GREETING], []), None, {"seed": 1})["content"]
    reply = respond_user(_scenario_messages(task, [GREETING, agent_says], [opening]), None, {"seed": 1})["content"]
    assert expected in reply
    assert not RAW_ID.findall(reply)


@pytest.mark.parametrize("domain", DOMAINS)
def test_agent_identifies_the_customer_before_anything_else(domain, generated):
    """Given only a request, the agent's first move is to ask who the customer is, in text."""
    task = sample_tasks(domain, generated[domain], 1, seed=1).tasks[0]
    request = re.findall(r"^\d+\. (.+)$", task.instruction, re.MULTILINE)[0]
    messages = [{"role": "system", "content": "policy"}, {"role": "assistant", "content": GREETING}, {"role": "user", "content": request}]
    reply = respond_agent(messages, get_domain(domain).toolkit.openai_schemas, {"seed": 0})
    assert not reply.get("tool_calls")
    assert ("user id" if domain == "airline" else "email address") in reply["content"]


def test_agent_reports_and_closes_every_request(generated, runs):
    """Every request the agent settles ends with its closing question, which moves the user on."""
    for dialogue, _ in runs(generated["retail"]):
        closings = sum(CLOSING in text for text in dialogue.agent_texts)
        assert closings == len(dialogue.task.constraints)


def test_register_scripted_models_serves_both_roles(monkeypatch):
    """register_scripted_models registers the scripted user and agent under their litellm names."""
    llm = pytest.importorskip("actors.llm")
    registered = {}
    monkeypatch.setattr(llm, "register_scripted_model", lambda name, respond: registered.__setitem__(name, respond))
    register_scripted_models()
    assert registered == {"scripted-user": respond_user, "scripted-agent": respond_agent}


def test_user_wording_varies_with_the_seed_but_not_its_content(generated):
    """Different seeds may change the user's phrasing, never the request it states."""
    task = sample_tasks("retail", generated["retail"], 1, seed=1).tasks[0]
    request = re.findall(r"^\d+\. (.+)$", task.instruction, re.MULTILINE)[0]
    openings = {respond_user(_scenario_messages(task, [GREETING], []), None, {"seed": s})["content"] for s in range(12)}
    assert len(openings) > 1 and all(request in text for text in openings)
