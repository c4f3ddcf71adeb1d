"""Property tests of every tool of every registered domain: any arguments give an outcome, never an exception.

Each domain gets one small generated world (seed 7, scale 0.05), built once per module, and (if
tests/worlds.py has one) its hand-built world, whose odd records (payments by methods no longer on file, a
reservation without a user) make some tools fail after they began to write. Random JSON arguments
(as dicts and as raw, possibly malformed, JSON text) prove `Toolkit.execute`'s contract; arguments
shaped by each tool's own JSON schema, with real ids half of the time, reach the tool bodies and
must never crash; random call sequences must leave exactly the changes of their successful calls.
The real values come from the domain's own sampler: the tasks it draws on each world, the records
they name, and their goals' actions as complete calls, so a new plug-in needs nothing here.
Every run is derandomized, so a failure reproduces as it is reported.
"""

from __future__ import annotations

import ast
import inspect
import json
import math
import time
import warnings
from dataclasses import dataclass
from functools import cache
from typing import Any

import pytest
import worlds
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import domains.calculator as calculator_module
from domains.calculator import ALLOWED_CHARACTERS
from domains.generators import generate_database
from domains.registry import Domain, get_domain
from domains.sampling import sample_tasks
from domains.state import Database, State, canonical_json, clone
from domains.tooling import ErrorKind, Tool, ToolKind, ToolOutcome
from tests.plugins import registered_domains

SEED = 7
SCALE = 0.05
DOMAIN_NAMES = tuple(registered_domains())
SLOW_CALL = 2.0  # seconds; a bounded call finishes far within this


def _settings(max_examples: int) -> settings:
    return settings(
        derandomize=True,
        database=None,
        deadline=None,
        max_examples=max_examples,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )


# --- the worlds ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class World:
    """One domain's base (generated or hand-built), its canonical text, a state with committed changes, and real values."""

    source: str
    domain: Domain
    base: Database
    base_text: str
    primed: State  # already changed, so a rollback must restore overlay records, not just drop them
    anchors: tuple[dict[str, list[Any]], ...]  # per sampled task: argument name -> related real values ("$tool": complete calls)


ANCHOR_TASKS = 40  # sampled tasks per world, each an anchor
RECORD_DEPTH = 2  # records named by a task, then the records those name (an order's user and products)
GENERIC_VALUES = {"expression": ["2 + 2", "(120.5 - 30) * 2"]}  # the shared `calculate` tool's argument


def _collect(value: Any, key: str, pool: dict[str, list[Any]]) -> None:
    """Every value under its argument name: scalars, whole lists (and their items under `name[]`), nested objects' fields."""
    if isinstance(value, dict):
        for inner_key, inner in value.items():
            _collect(inner, inner_key, pool)
    elif isinstance(value, list):
        pool.setdefault(key, []).append(value)
        for item in value:
            _collect(item, key + "[]" if not isinstance(item, dict) else key, pool)
    elif value is not None:
        pool.setdefault(key, []).append(value)


def _anchors(domain: Domain, base: Database) -> list[dict[str, list[Any]]]:
    """Real values around each task the domain's own sampler draws on this world: every value its goals name,
    every value of the records those name (to RECORD_DEPTH), and its goals' actions as complete calls that can succeed."""
    records = {record_id: record for table in base.tables.values() if isinstance(table, dict) for record_id, record in table.items() if isinstance(record, dict)}
    anchors = []
    for task in sample_tasks(domain.name, base, ANCHOR_TASKS, SEED).tasks:
        pool: dict[str, list[Any]] = {"user_id": [task.user_id], **{key: list(values) for key, values in GENERIC_VALUES.items()}}
        for constraint in task.constraints:
            _collect(constraint.params, "", pool)
            for action in constraint.actions:
                _collect(action.arguments, "", pool)
                pool.setdefault("$" + action.name, []).append(clone(action.arguments))
        seen: set[str] = set()
        for _ in range(RECORD_DEPTH):
            named = [v for values in list(pool.values()) for v in values if isinstance(v, str) and v in records and v not in seen]
            for record_id in dict.fromkeys(named):
                seen.add(record_id)
                _collect(records[record_id], "", pool)
        anchors.append({key: list({canonical_json(v): v for v in values}.values()) for key, values in pool.items() if key})
    assert anchors, f"the {domain.name} sampler drew no task on this world: no anchors for the tool properties"
    return anchors


def _prime(domain: Domain, base: Database, anchors: list[dict[str, list[Any]]]) -> State:
    """A state with a few committed changes: the first sampled goal actions that succeed on it, one after another."""
    state = base.new_state()
    made = 0
    for name, arguments in ((key[1:], call) for anchor in anchors for key, calls in anchor.items() if key.startswith("$") for call in calls):
        if made == 2:
            break
        made += domain.toolkit.execute(state, name, clone(arguments)).ok
    assert state.changes(), f"no sampled {domain.name} goal action succeeded: the world cannot be primed"
    return state


WORLD_SOURCES = ("generated", "hand-built")  # hand-built: tests/worlds.py (`<domain>_data`), whose odd records make tools fail mid-write


def sources(name: str) -> list[str]:
    """The worlds a domain is tested on: its generated sandbox, and its hand-built world if tests/worlds.py has one."""
    return [source for source in WORLD_SOURCES if source == "generated" or hasattr(worlds, f"{name}_data")]


@cache
def world(name: str, source: str = "generated") -> World:
    domain = get_domain(name)
    data = generate_database(name, SEED, SCALE) if source == "generated" else getattr(worlds, f"{name}_data")()
    base = domain.from_json(data)
    anchors = _anchors(domain, base)
    return World(source, domain, base, canonical_json(base.to_json()), _prime(domain, base, anchors), tuple(anchors))


TOOL_CASES = [pytest.param(name, tool_name, id=f"{name}.{tool_name}") for name in DOMAIN_NAMES for tool_name in get_domain(name).toolkit.tools]
TOOL_CASES_BY_SOURCE = [
    pytest.param(source, name, tool_name, id=f"{source}.{name}.{tool_name}")
    for name in DOMAIN_NAMES
    for source in sources(name)
    for tool_name in get_domain(name).toolkit.tools
]
WORLD_CASES = [pytest.param(source, name, id=f"{source}.{name}") for name in DOMAIN_NAMES for source in sources(name)]
CALCULATING_DOMAINS = [name for name in DOMAIN_NAMES if "calculate" in get_domain(name).toolkit.tools]  # the shared calculator tool


# --- strategies ----------------------------------------------------------------------------------

ODD_CHARACTERS = ["\x00", "\n", "\t", "\ud800", "\udfff", "\u202e", "\ufeff", "é", "日", "🙂", "'", '"', "\\", "#", "%s", "{}"]
HUGE_INTEGERS = [2**63, -(2**63) - 1, 10**309, -(10**309), 10**4299, -(10**4299)]  # all readable from JSON text

texts = st.one_of(
    st.text(max_size=12),
    st.lists(st.sampled_from(ODD_CHARACTERS) | st.characters(), max_size=6).map("".join),
)
integers = st.one_of(st.integers(-5, 10), st.integers(), st.sampled_from(HUGE_INTEGERS))
json_scalars = st.one_of(st.none(), st.booleans(), integers, st.floats(allow_nan=True, allow_infinity=True), texts)
json_values = st.recursive(
    json_scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4), max_leaves=12
)
MALFORMED_JSON = [
    "",
    "   ",
    "null",
    "NaN",
    "-Infinity",
    "{",
    "}",
    "{'a': 1}",
    '{"a": 1,}',
    '{"a": 1} trailing',
    "\ufeff{}",
    '"\\ud800"',
    '{"a": "\\ud800"}',
    "[" * 100_000,
    '{"a":' * 100_000,
    "1" * 5000,
    '{"amount": ' + "9" * 5000 + "}",
    '{"x": 1e999999}',
]


def _argument_dicts(tool: Tool) -> st.SearchStrategy[dict[str, Any]]:
    """Dicts whose keys are mostly the tool's own argument names, with any JSON values."""
    names = list(tool.parameters_schema["properties"])
    keys = st.sampled_from(names) | texts if names else texts
    everything = st.fixed_dictionaries({name: json_values for name in names})
    return st.one_of(st.dictionaries(keys, json_values, max_size=len(names) + 2), everything)


def _argument_texts(tool: Tool) -> st.SearchStrategy[str]:
    """Raw argument text: JSON of any value (NaN and Infinity tokens included), cut short, or garbage."""
    dumped = st.one_of(_argument_dicts(tool), json_values).map(json.dumps)
    truncated = dumped.flatmap(lambda text: st.integers(0, len(text)).map(lambda cut: text[:cut]))
    return st.one_of(dumped, truncated, st.text(max_size=30), st.sampled_from(MALFORMED_JSON))


def _from_schema(
    schema: dict[str, Any], defs: dict[str, Any], name: str, pool: dict[str, list[Any]], all_real: bool
) -> st.SearchStrategy[Any]:
    """Values of one JSON schema; where `pool` has real values for this argument, those always or half of the time."""
    if "$ref" in schema:
        schema = defs[schema["$ref"].rsplit("/", 1)[-1]]
    if "enum" in schema:
        shaped: st.SearchStrategy[Any] = st.sampled_from(schema["enum"])
    elif schema.get("type") == "string":
        shaped = texts
    elif schema.get("type") == "integer":
        shaped = integers
    elif schema.get("type") == "array":
        shaped = st.lists(_from_schema(schema["items"], defs, name + "[]", pool, all_real), max_size=4)
    elif schema.get("type") == "object":
        properties = schema.get("properties", {})
        required = set(schema.get("required", properties))
        shaped = st.fixed_dictionaries(
            {key: _from_schema(sub, defs, key, pool, all_real) for key, sub in properties.items() if key in required},
            optional={key: _from_schema(sub, defs, key, pool, all_real) for key, sub in properties.items() if key not in required},
        )
    else:
        raise AssertionError(f"schema of {name!r} uses a shape this test does not generate: {schema}")
    real = pool.get(name)
    if not real:
        return shaped
    if all_real:
        return st.sampled_from(real)
    return st.booleans().flatmap(lambda use_real: st.sampled_from(real) if use_real else shaped)


@cache
def _anchored_arguments(source: str, domain_name: str, tool_name: str, index: int, all_real: bool) -> st.SearchStrategy[dict[str, Any]]:
    """The schema strategy of one tool around one anchor (built once: building strategies is the slow part)."""
    anchor = world(domain_name, source).anchors[index]
    schema = get_domain(domain_name).toolkit[tool_name].parameters_schema
    shaped = _from_schema(schema, schema.get("$defs", {}), "", anchor, all_real)
    templates = anchor.get("$" + tool_name)
    if templates:  # complete calls that can succeed, a quarter of the time
        return st.integers(0, 3).flatmap(lambda pick: st.sampled_from(templates).map(clone) if pick == 0 else shaped)
    return shaped


@st.composite
def schema_arguments(draw: st.DrawFn, world_: World, tool: Tool) -> dict[str, Any]:
    """Arguments of the tool's schema around one sampled task's records: half of the calls use real
    values wherever there are some (so deep paths run), the others mix real and random values field by field."""
    index = draw(st.integers(0, len(world_.anchors) - 1))
    return draw(_anchored_arguments(world_.source, world_.domain.name, tool.name, index, draw(st.booleans())))


# --- checks --------------------------------------------------------------------------------------


def assert_well_formed(outcome: ToolOutcome, tool: Tool, state: State, before: dict[str, Any]) -> None:
    """The outcome's shape, and that failed calls and non-writing tools leave the change set as it was."""
    assert isinstance(outcome.content, str)
    assert outcome.ok == (outcome.error_kind is None)
    if not outcome.ok:
        assert outcome.error_kind in set(ErrorKind)
        assert outcome.content.startswith("Error: ")
    if not outcome.ok or tool.kind is not ToolKind.WRITE:
        assert state.changes() == before
    json.dumps(outcome.to_line())


def run(world_: World, state: State, tool_name: str, arguments: Any) -> ToolOutcome:
    """Execute one call, checking it is well formed; an exception escaping `execute` fails the test."""
    tool = world_.domain.toolkit[tool_name]
    before = clone(state.changes())
    outcome = world_.domain.toolkit.execute(state, tool_name, arguments)
    assert_well_formed(outcome, tool, state, before)
    return outcome


def assert_no_crash(outcome: ToolOutcome) -> None:
    assert outcome.error_kind is not ErrorKind.CRASH, f"{outcome.name} crashed on {outcome.arguments!r}: {outcome.content}"


# --- 1. random JSON arguments --------------------------------------------------------------------


@pytest.mark.parametrize("domain_name, tool_name", TOOL_CASES)
def test_random_json_argument_dicts_give_well_formed_outcomes(domain_name, tool_name):
    """Any dict of JSON values gives a well-formed outcome, and a failed call leaves the changes as they were."""
    world_ = world(domain_name)
    tool = world_.domain.toolkit[tool_name]

    @_settings(30)
    @given(_argument_dicts(tool) | json_values)
    def check(arguments):
        run(world_, world_.primed.fork(), tool_name, arguments)

    check()


@pytest.mark.parametrize("domain_name, tool_name", TOOL_CASES)
def test_raw_argument_text_gives_well_formed_outcomes(domain_name, tool_name):
    """Any argument text, valid JSON or not, gives a well-formed outcome and leaves failed calls without trace."""
    world_ = world(domain_name)
    tool = world_.domain.toolkit[tool_name]

    @_settings(30)
    @given(_argument_texts(tool))
    def check(text):
        run(world_, world_.primed.fork(), tool_name, text)

    check()


# --- 2. schema-shaped arguments ------------------------------------------------------------------


@pytest.mark.parametrize("source, domain_name, tool_name", TOOL_CASES_BY_SOURCE)
def test_schema_shaped_arguments_never_crash_and_reach_success(source, domain_name, tool_name):
    """Arguments shaped by the tool's schema, real ids half of the time, never crash it (and reach its success path)."""
    world_ = world(domain_name, source)
    tool = world_.domain.toolkit[tool_name]
    succeeded = []

    @_settings(80)
    @given(schema_arguments(world_, tool))
    def check(arguments):
        outcome = run(world_, world_.primed.fork(), tool_name, arguments)
        assert_no_crash(outcome)
        succeeded.append(outcome.ok)

    check()
    if source == "generated":  # the hand-built worlds are too small to promise a success of every tool
        assert any(succeeded), f"no schema-shaped call of {tool_name} succeeded: the strategy no longer reaches its body"


# --- 3. sequences --------------------------------------------------------------------------------


@st.composite
def call_sequences(draw: st.DrawFn, world_: World) -> list[tuple[str, dict[str, Any]]]:
    """1 to 6 schema-shaped calls of any tools of the world's domain."""
    names = sorted(world_.domain.toolkit.tools)
    length = draw(st.integers(1, 6))
    calls = []
    for _ in range(length):
        name = draw(st.sampled_from(names))
        calls.append((name, draw(schema_arguments(world_, world_.domain.toolkit[name]))))
    return calls


@pytest.mark.parametrize("source, domain_name", WORLD_CASES)
def test_a_sequence_leaves_exactly_the_changes_of_its_successful_calls(source, domain_name):
    """Replaying only the successful calls of a random sequence on a fresh state gives the same change set and results."""
    world_ = world(domain_name, source)

    @_settings(100)
    @given(call_sequences(world_))
    def check(calls):
        state = world_.base.new_state()
        outcomes = [run(world_, state, name, clone(arguments)) for name, arguments in calls]
        for outcome in outcomes:
            assert_no_crash(outcome)
        fresh = world_.base.new_state()
        for (name, arguments), outcome in zip(calls, outcomes):
            if outcome.ok:
                replayed = world_.domain.toolkit.execute(fresh, name, clone(arguments))
                assert (replayed.ok, replayed.content) == (True, outcome.content)
        assert fresh.changes() == state.changes()
        assert canonical_json(world_.base.to_json()) == world_.base_text

    check()


# --- crashes found by the properties above, as plain examples -------------------------------------


JSON_MAX_DIGITS = 10**4299  # 4300 digits: the largest integer json.loads reads


def _methods_by_source(world_: World, user_id: str) -> dict[str, str]:
    return {method["source"]: pid for pid, method in world_.base.tables["users"][user_id]["payment_methods"].items()}


def _booking(world_: World, **overrides: Any) -> dict[str, Any]:
    """book_reservation arguments for one passenger on the first bookable economy seat, paid by credit card."""
    user_id = next(uid for uid in world_.base.tables["users"] if {"gift_card", "credit_card"} <= set(_methods_by_source(world_, uid)))
    number, date, day = next(
        (number, date, day)
        for number, flight in world_.base.tables["flights"].items()
        for date, day in flight["dates"].items()
        if day["status"] == "available" and day["available_seats"]["economy"] > 0
    )
    flight = world_.base.tables["flights"][number]
    arguments = {
        "user_id": user_id,
        "origin": flight["origin"],
        "destination": flight["destination"],
        "flight_type": "one_way",
        "cabin": "economy",
        "flights": [{"flight_number": number, "date": date}],
        "passengers": [{"first_name": "Ada", "last_name": "Lovelace", "dob": "1990-01-01"}],
        "payment_methods": [{"payment_id": _methods_by_source(world_, user_id)["credit_card"], "amount": day["prices"]["economy"]}],
        "total_baggages": 0,
        "nonfree_baggages": 0,
        "insurance": "no",
    }
    return {**arguments, **{key: value(arguments) if callable(value) else value for key, value in overrides.items()}}


def _huge_integer_call(world_: World, case: str) -> tuple[str, dict[str, Any]]:
    """The tool and arguments of one crash case found by the properties above, on this world's real ids."""
    if case == "send_certificate amount over float range":
        return "send_certificate", {"user_id": next(iter(world_.base.tables["users"])), "amount": 10**309}
    if case == "update_reservation_baggages charge over 4300 digits":
        reservation = next(
            r for r in world_.base.tables["reservations"].values() if "credit_card" in _methods_by_source(world_, r["user_id"])
        )
        payment_id = _methods_by_source(world_, reservation["user_id"])["credit_card"]
        arguments = {"reservation_id": reservation["reservation_id"], "total_baggages": 1, "nonfree_baggages": JSON_MAX_DIGITS}
        return "update_reservation_baggages", {**arguments, "payment_id": payment_id}
    if case == "book_reservation total over 4300 digits":
        return "book_reservation", _booking(world_, flights=[], passengers=[], payment_methods=[], nonfree_baggages=JSON_MAX_DIGITS)

    def negative_gift_card(arguments: dict[str, Any]) -> list[dict[str, Any]]:
        gift_card = _methods_by_source(world_, arguments["user_id"])["gift_card"]
        (card_payment,) = arguments["payment_methods"]
        huge = 10**400
        return [{"payment_id": gift_card, "amount": -huge}, {**card_payment, "amount": card_payment["amount"] + huge}]

    return "book_reservation", _booking(world_, payment_methods=negative_gift_card)


HUGE_INTEGER_CASES = [
    "send_certificate amount over float range",  # float(amount), airline/tools.py send_certificate
    "update_reservation_baggages charge over 4300 digits",  # json.dumps of the result, tooling.render_result
    "book_reservation total over 4300 digits",  # the f-string of "Payment amount does not add up"
    "book_reservation gift card paid a huge negative amount",  # float balance - huge int
]


@pytest.mark.parametrize("case", HUGE_INTEGER_CASES)
def test_huge_integers_that_json_can_carry_never_crash_an_airline_tool(case):
    """An integer argument that json.loads reads (up to 4300 digits), sent as JSON text, is refused or used, never a crash."""
    world_ = world("airline")
    tool_name, arguments = _huge_integer_call(world_, case)
    outcome = run(world_, world_.primed.fork(), tool_name, json.dumps(arguments))
    assert_no_crash(outcome)


# --- 4. calculate --------------------------------------------------------------------------------

ALPHABET = "".join(sorted(ALLOWED_CHARACTERS))
numbers = st.one_of(
    st.integers(0, 10**6).map(str),
    st.decimals(0, 10**4, places=2, allow_nan=False, allow_infinity=False).map(str),
    st.sampled_from([".5", "5.", "0.0", "007", "1.2.3"]),
)
expressions = st.recursive(
    numbers,
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from([" + ", "-", " * ", "/", " // ", "**"]), inner).map("".join),
        inner.map(lambda text: f"({text})"),
        inner.map(lambda text: f"-{text}"),
    ),
    max_leaves=8,
)


def _python_value(expression: str) -> float | None:
    """round(float(eval(expression)), 2) when Python evaluates it to a finite real number, else None."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = eval(expression, {"__builtins__": {}}, {})
    except (ArithmeticError, SyntaxError, TypeError, ValueError, RecursionError, MemoryError):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        result = float(value)
    except OverflowError:
        return None
    return round(result, 2) if math.isfinite(result) else None


def _calculate(domain_name: str, expression: Any) -> ToolOutcome:
    world_ = world(domain_name)
    started = time.perf_counter()
    outcome = run(world_, world_.base.new_state(), "calculate", {"expression": expression})
    assert time.perf_counter() - started < SLOW_CALL
    assert_no_crash(outcome)
    if outcome.ok:
        assert outcome.content == str(round(float(outcome.content), 2))
    else:
        assert outcome.error_kind is ErrorKind.TOOL_ERROR
    return outcome


@pytest.mark.parametrize("domain_name", CALCULATING_DOMAINS)
@_settings(300)
@given(st.one_of(st.text(alphabet=ALPHABET, max_size=60), expressions.filter(lambda text: len(text) <= 200)))
def test_calculate_agrees_with_python_on_the_allowed_alphabet(domain_name, expression):
    """On '0-9+-*/(). ' text, calculate gives Python's rounded value whenever Python gets a finite real one."""
    outcome = _calculate(domain_name, expression)
    if outcome.error in ("Exponent too large", "Expression too long"):
        return  # bounded work: Python would compute these (or hang); the calculator refuses on purpose
    expected = _python_value(expression)
    if expected is not None:
        assert outcome.ok, f"{expression!r}: Python gives {expected}, calculate says {outcome.content!r}"
        assert float(outcome.content) == expected


@pytest.mark.parametrize("domain_name", CALCULATING_DOMAINS)
@_settings(200)
@given(st.one_of(st.text(max_size=60), st.text(alphabet=ALPHABET, min_size=990, max_size=1100)))
def test_calculate_on_any_text_is_a_number_or_a_clean_error(domain_name, expression):
    """Any text gives a rounded number or a tool error, quickly; a character outside the alphabet is always refused."""
    outcome = _calculate(domain_name, expression)
    if not set(expression) <= ALLOWED_CHARACTERS:
        assert outcome.error == "Invalid characters in expression"


@pytest.mark.parametrize("domain_name", CALCULATING_DOMAINS)
@_settings(50)
@given(json_values)
def test_calculate_on_a_non_string_expression_is_invalid_arguments(domain_name, expression):
    """A JSON value that is not a string is refused as invalid arguments before the calculator runs."""
    world_ = world(domain_name)
    outcome = run(world_, world_.base.new_state(), "calculate", {"expression": expression})
    assert_no_crash(outcome)
    if not isinstance(expression, str):
        assert outcome.error_kind is ErrorKind.INVALID_ARGUMENTS


def test_calculator_module_calls_no_eval():
    """The calculator's source has no eval(, exec( or compile( call: it walks a parsed tree instead."""
    source = inspect.getsource(calculator_module)
    assert "eval(" not in source
    called = {
        node.func.id
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    assert not called & {"eval", "exec", "compile", "__import__"}
