"""The offline default models: the scripted user and agent solve sampled tasks, deterministically."""

from __future__ import annotations

import json
import re

import pytest

from actors.scripted import register_scripted_models, respond_agent, respond_user
from actors.scripted.protocol import CLOSING, STOP, is_yes
from actors.scripted.simulate import SimulatedDialogue, simulate_task
from actors.view import GREETING
from domains.generators import generate_database
from domains.registry import get_domain
from domains.sampling import sample_tasks
from domains.scripted.transcript import Transcript
from domains.conversation import TRANSFER_TOOL
from tests.plugins import registered_domains, tau2_domains

DOMAINS = tuple(registered_domains())
TASKS = 120
SAMPLE_SEED = 7


@pytest.fixture(scope="module")
def generated():
    """Our sandbox databases, one per domain."""
    return {d: get_domain(d).from_json(generate_database(d, seed=1, scale=0.3), source=f"<generated {d}>") for d in DOMAINS}


@pytest.fixture(scope="module")
def runs():
    """Simulated dialogues, cached per (database, error rate) so that several tests can inspect them."""
    cache: dict[tuple, list[tuple[SimulatedDialogue, dict]]] = {}

    def run(base, error_rate: float = 0.0, n: int = TASKS, k_range: str = "1-3", mistakes: str | None = None):
        key = (base.domain, base.source, error_rate, n, k_range, mistakes)
        if key not in cache:
            tasks = sample_tasks(base.domain, base, n, seed=SAMPLE_SEED, k_range=k_range).tasks
            cache[key] = []
            for task in tasks:
                dialogue = simulate_task(task, base, error_rate=error_rate, mistakes=mistakes)
                cache[key].append((dialogue, dialogue.verdict))
        return cache[key]

    return run


def _pass_rates(results) -> tuple[float, dict[str, str]]:
    solved = sum(verdict["score"] == 1.0 for _, verdict in results)
    per_type: dict[str, list[int]] = {}
    for _, verdict in results:
        for constraint in verdict["constraints"]:
            counts = per_type.setdefault(constraint["type"], [0, 0])
            counts[0] += constraint["satisfied"] and verdict["score"] == 1.0
            counts[1] += 1
    return solved / len(results), {t: f"{a}/{b}" for t, (a, b) in sorted(per_type.items())}


@pytest.mark.parametrize("domain", DOMAINS)
def test_scripted_pair_solves_tasks_on_generated_databases(domain, generated, runs):
    """With error_rate 0 the scripted pair fully solves every sampled task on our databases, of every goal type the sampler has."""
    results = runs(generated[domain])
    rate, per_type = _pass_rates(results)
    print(f"\n{domain} generated: {rate:.1%} of {len(results)} tasks scored 1.0; per goal type {per_type}")
    assert len(results) >= 100
    assert rate == 1.0
    assert set(per_type) == set(get_domain(domain).sampler.GOAL_TYPES)


@pytest.mark.parametrize("domain", tau2_domains())
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
            goal = get_domain(domain).scripted_agent.parse_goal(line)
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
def test_agent_turns_are_text_or_one_tool_call(domain, generated, runs):
    """The agent never writes text and calls a tool in the same turn, and makes one call at a time."""
    for dialogue, _ in runs(generated[domain]):
        for message in dialogue.agent_messages:
            if message["role"] == "assistant" and message.get("tool_calls"):
                assert message["content"] is None and len(message["tool_calls"]) == 1


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_write_follows_an_explicit_yes_to_its_read_back(domain, generated, runs):
    """Every write comes right after the customer's explicit yes to a read-back that asked for it."""
    writes = get_domain(domain).scripted_agent.WRITES
    count = 0
    for dialogue, _ in runs(generated[domain]):
        last_user, last_agent, previous = "", "", None
        for message in dialogue.agent_messages:
            if message["role"] == "user":
                last_user = message["content"]
            elif message["role"] == "assistant" and not message.get("tool_calls"):
                last_agent = message["content"]
            elif message["role"] == "assistant" and message["tool_calls"][0]["function"]["name"] in writes:
                assert is_yes(last_user) and "Shall I go ahead?" in last_agent
                assert previous is not None and previous["role"] == "user"  # nothing between the yes and the write
                count += 1
            previous = message
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
                assert all(raw in known for raw in get_domain(domain).id_pattern.findall(message["content"])), message["content"]



@pytest.mark.parametrize("domain", DOMAINS)
def test_agent_identifies_the_customer_before_anything_else(domain, generated):
    """Given only a request, the agent's first move is to ask who the customer is, in text."""
    task = sample_tasks(domain, generated[domain], 1, seed=1).tasks[0]
    request = re.findall(r"^\d+\. (.+)$", task.instruction, re.MULTILINE)[0]
    messages = [{"role": "system", "content": "policy"}, {"role": "assistant", "content": GREETING}, {"role": "user", "content": request}]
    reply = respond_agent(messages, get_domain(domain).toolkit.openai_schemas, {"seed": 0})
    assert not reply.get("tool_calls")
    assert reply["content"] == get_domain(domain).scripted_agent.ASK_IDENTITY


@pytest.mark.parametrize("domain", DOMAINS)
def test_agent_reports_and_closes_every_request(domain, generated, runs):
    """Every request the agent settles ends with its closing question, which moves the user on."""
    for dialogue, _ in runs(generated[domain]):
        closings = sum(CLOSING in text for text in dialogue.agent_texts)
        assert closings == len(dialogue.task.constraints)


def test_register_scripted_models_serves_both_roles(monkeypatch):
    """register_scripted_models registers the scripted user and agent under their litellm names."""
    llm = pytest.importorskip("actors.llm")
    registered = {}
    monkeypatch.setattr(llm, "register_scripted_model", lambda name, respond: registered.__setitem__(name, respond))
    register_scripted_models()
    assert registered == {"scripted-user": respond_user, "scripted-agent": respond_agent}


def _template_reader(task, messages: list[dict]) -> str:
    """A user that sends no acts and reads its scenario's own sentences, as a plain LLM user might."""
    lines = re.findall(r"^\d+\. (.+)$", task.instruction, re.MULTILINE)
    identity = re.search(r"Your (?:email address|user id) is (\S+?)\.\s", task.instruction)
    said = [m["content"] for m in messages if m["role"] == "assistant"]
    heard = messages[-1]["content"]
    if not said:
        who = f"My {'user id' if 'user id' in identity.group(0) else 'email address'} is {identity.group(1)}." if identity else ""
        return f"Hi! {who} {lines[0]}"
    if "Shall I go ahead?" in heard:
        return "Yes, please."
    if CLOSING in heard:
        raised = sum(any(line in text for line in lines) for text in said)
        return f"Thanks. {lines[raised]}" if raised < len(lines) else STOP
    return "I'm sorry, I don't know that."


@pytest.mark.parametrize("domain", DOMAINS)
def test_agent_understands_a_user_that_sends_no_acts(domain, generated):
    """Opposite a user that sends plain text in the scenario's wording (no acts), the agent still solves the tasks."""
    base = generated[domain]
    tools = get_domain(domain).toolkit.openai_schemas
    tasks = [t for t in sample_tasks(domain, base, 40, seed=9, k_range="1-2").tasks if re.search(r"Your (?:email address|user id) is", t.instruction)][:12]
    assert len(tasks) >= 8
    for task in tasks:
        agent = [{"role": "system", "content": "policy"}, {"role": "assistant", "content": GREETING}]
        user = [{"role": "system", "content": task.instruction}, {"role": "user", "content": GREETING}]
        state, calls = base.new_state(), []
        for _ in range(80):
            text = _template_reader(task, user)
            user.append({"role": "assistant", "content": text})
            agent.append({"role": "user", "content": text})
            if text == STOP:
                break
            reply = respond_agent(agent, tools, {"seed": 0})
            while reply.get("tool_calls"):
                call = reply["tool_calls"][0]
                outcome = get_domain(domain).toolkit.execute(state, call["function"]["name"], call["function"]["arguments"])
                calls.append((call["function"]["name"], outcome.ok))
                agent += [{"role": "assistant", "content": None, "tool_calls": reply["tool_calls"]},
                          {"role": "tool", "tool_call_id": call["id"], "name": call["function"]["name"], "content": outcome.content}]
                reply = respond_agent(agent, tools, {"seed": 0})
            agent.append({"role": "assistant", "content": reply["content"]})
            user.append({"role": "user", "content": reply["content"]})
        assert user[-1]["content"] == STOP, task.instruction
        writes = [name for name, ok in calls if name in get_domain(domain).scripted_agent.WRITES and ok]
        expected = sum(1 for c in task.constraints for a in c.actions if a.name in get_domain(domain).scripted_agent.WRITES)
        assert len(writes) == expected, (task.instruction, calls)


def _listed(write: str, arguments: dict, read_back: str, methods: dict) -> list[str]:
    """The details of a write that its read-back fails to list (the verifier's confirmation rule)."""
    missing = []
    for key in ("order_id", "reservation_id"):
        if key in arguments and arguments[key] not in read_back:
            missing.append(key)
    payment_ids = [arguments[k] for k in ("payment_method_id", "payment_id") if k in arguments]
    payment_ids += [p["payment_id"] for p in arguments.get("payment_methods", [])]
    for method_id in payment_ids:
        last_four = methods.get(method_id, {}).get("last_four")
        if method_id not in read_back and not (last_four and last_four in read_back):
            missing.append(method_id)
    if "zip" in arguments and (arguments["zip"] not in read_back or arguments["address1"].split()[0] not in read_back):
        missing.append("address")
    for flight in arguments.get("flights", []):
        if flight["flight_number"] not in read_back:
            missing.append(flight["flight_number"])
    for person in arguments.get("passengers", []):
        if person["first_name"] not in read_back and write == "book_reservation":
            missing.append(person["first_name"])
    if "amount" in arguments and f"{arguments['amount']:.2f}" not in read_back:
        missing.append("amount")
    if "total_baggages" in arguments and str(arguments["total_baggages"]) not in read_back:
        missing.append("bags")
    if "cabin" in arguments and arguments["cabin"].replace("_", " ") not in read_back:
        missing.append("cabin")
    return missing


@pytest.mark.parametrize("domain", DOMAINS)
def test_agent_keeps_the_conversation_rules(domain, generated, runs):
    """At error rate 0 the agent authenticates first, never transfers or reads another customer, and the
    verifier finds every conversation rule kept (each write's details read back and confirmed)."""
    base, plugin = generated[domain], get_domain(domain)
    rules = plugin.scripted_agent
    account = plugin.conversation.ACCOUNT_TOOLS | rules.WRITES
    for dialogue, verdict in runs(base):
        user_id, stated = dialogue.task.user_id, False
        for index, message in enumerate(dialogue.agent_messages[1:], 1):
            if message["role"] == "user":
                stated = stated or user_id in message["content"]
            elif message["role"] == "assistant" and message.get("tool_calls"):
                function = message["tool_calls"][0]["function"]
                arguments = json.loads(function["arguments"])
                assert function["name"] != TRANSFER_TOOL
                assert arguments.get("user_id", user_id) == user_id
                if function["name"] in account:
                    authenticated = rules.authenticated_user(Transcript.of(dialogue.agent_messages[:index])) == user_id
                    assert authenticated or (rules.STATED_ID_ALLOWS_READS and stated), (function, dialogue.user_texts)
        kept = {rule: result for rule, result in verdict["checks"].items() if rule not in ("state", "information", "policy")}
        assert kept and set(kept.values()) <= {"passed", "not_applicable"}, (kept, dialogue.task.task_id)


@pytest.mark.parametrize("domain", [name for name in ("retail", "airline") if name in DOMAINS])
def test_read_backs_list_the_details_of_each_write(domain, generated, runs):
    """Retail and airline read-backs name the write's record, payment method, address, flights, passengers, amount, bags and cabin."""
    base = generated[domain]
    for dialogue, _ in runs(base):
        user, read_back = base.tables["users"][dialogue.task.user_id], ""
        for message in dialogue.agent_messages[1:]:
            if message["role"] == "assistant" and not message.get("tool_calls"):
                read_back = message["content"]
            elif message["role"] == "assistant" and message["tool_calls"][0]["function"]["name"] in get_domain(domain).scripted_agent.WRITES:
                function = message["tool_calls"][0]["function"]
                arguments = json.loads(function["arguments"])
                assert not _listed(function["name"], arguments, read_back, user["payment_methods"]), (read_back, arguments)
