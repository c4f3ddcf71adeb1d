"""The `calculate` tool: τ²-bench's character set and rounding, Python's arithmetic, no eval, bounded work."""

from __future__ import annotations

import inspect
import subprocess
import sys
import time

import pytest

import domains.calculator as calculator_module
from domains.calculator import calculate_expression
from domains.registry import get_domain
from domains.tooling import ToolError
from worlds import airline_state, retail_state

SLOW = 1.0  # seconds; every refusal here must come well within this


@pytest.mark.parametrize(
    "expression, result",
    [
        ("2 + 2", "4.0"),
        ("2**3", "8.0"),
        ("10 / 3", "3.33"),
        ("2 / 3", "0.67"),
        ("1 / 8", "0.12"),  # round(0.125, 2) is 0.12 in Python, as in τ²-bench
        ("0.1 + 0.2", "0.3"),
        ("-5 + 2", "-3.0"),
        ("+5", "5.0"),
        ("7 // 2", "3.0"),
        ("(20 + 5.5) * 2", "51.0"),
        ("  (1 + 2)  *  3 ", "9.0"),
        ("2 ** -1", "0.5"),
        ("2 ** 0.5", "1.41"),
        ("1000000 * 1000000", "1000000000000.0"),
        (".5 + 1.", "1.5"),
        ("((((1))))", "1.0"),
    ],
)
def test_arithmetic_is_rounded_to_two_decimals_as_text(expression, result):
    """The result is str(round(float(value), 2)) with Python's arithmetic semantics."""
    assert calculate_expression(expression) == result


@pytest.mark.parametrize(
    "expression",
    ["2 ^ 3", "abs(-1)", "1e3", "x + 1", "__import__('os')", "1,000", "5 % 2", "\t1 + 1", "1 + 1\n", "１ + 1", "[1]", "2 < 3", "0x10"],
)
def test_only_digits_operators_parentheses_dots_and_spaces_are_allowed(expression):
    """Any character outside τ²-bench's '0123456789+-*/(). ' is refused as 'Invalid characters in expression'."""
    with pytest.raises(ToolError, match=r"^Invalid characters in expression$"):
        calculate_expression(expression)


@pytest.mark.parametrize("expression", ["1 / 0", "1 / (2 - 2)", "5 // 0", "0.0 / 0", "0 ** -1"])
def test_division_by_zero_is_an_error(expression):
    """Dividing by zero is refused with 'division by zero'."""
    with pytest.raises(ToolError, match=r"^division by zero$"):
        calculate_expression(expression)


@pytest.mark.parametrize(
    "expression",
    [
        "2 ** 1001",
        "2 ** -1001",
        "9 ** 999 ** 999",
        "10 ** 1000",
        "(9 ** 999) ** 999",
        "10.0 ** 400",
        "(2 ** 999) * (2 ** 999)",
    ],
)
def test_huge_powers_are_refused_quickly(expression):
    """An exponent above the bound, or a result too large for a float, is a quick ToolError."""
    started = time.perf_counter()
    with pytest.raises(ToolError):
        calculate_expression(expression)
    assert time.perf_counter() - started < SLOW


def test_a_tower_of_allowed_exponents_is_refused_quickly():
    """Chained powers whose every exponent is within the bound still must not run for ages ('((9**999)**999)**999')."""
    program = (
        "from domains.calculator import calculate_expression\n"
        "from domains.tooling import ToolError\n"
        "try:\n"
        "    calculate_expression('((9**999)**999)**999')\n"
        "except ToolError:\n"
        "    print('refused')\n"
    )
    try:
        finished = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=1.5)
    except subprocess.TimeoutExpired:
        pytest.fail("calculate_expression('((9**999)**999)**999') was still computing after 1.5 s")
    assert finished.stdout.strip() == "refused", finished.stderr


@pytest.mark.parametrize(
    "expression, message",
    [
        ("(" * 300 + "1" + ")" * 300, "Invalid expression"),
        ("-" * 999 + "1", "Invalid expression"),
        ("1" + " + 1" * 300, "Expression too long"),
        ("(" * 1001, "Expression too long"),
        ("", "Invalid expression"),
        ("   ", "Invalid expression"),
        ("()", "Invalid expression"),
        ("1 +", "Invalid expression"),
        ("1 2", "Invalid expression"),
        ("1..2", "Invalid expression"),
        ("(1) (2)", "Invalid expression"),
        ("(-8) ** (1 / 3)", ""),  # a complex result: any clean refusal
        ("(-1) ** 0.5", ""),
    ],
)
def test_malformed_deep_or_long_input_is_refused_cleanly(expression, message):
    """Bad syntax, deep nesting, over-long input and non-real results all end as a ToolError, never another exception."""
    started = time.perf_counter()
    with pytest.raises(ToolError, match=f"^{message}"):
        calculate_expression(expression)
    assert time.perf_counter() - started < SLOW


def test_the_module_never_uses_eval():
    """The calculator walks a syntax tree: no eval, exec or compile appears in its source."""
    source = inspect.getsource(calculator_module)
    assert "eval(" not in source and "exec(" not in source and "compile(" not in source


@pytest.mark.parametrize("make_state", [retail_state, airline_state], ids=["retail", "airline"])
def test_calculate_tool_reports_results_and_errors_as_outcomes(make_state):
    """Through the toolkit, a result is the content and a refusal is a tool_error with the same message."""
    state = make_state()
    toolkit = get_domain(state.base.domain).toolkit
    good = toolkit.execute(state, "calculate", {"expression": "100 / 3"})
    bad = toolkit.execute(state, "calculate", {"expression": "2 ^ 3"})
    assert (good.ok, good.content, good.mutates_state) == (True, "33.33", False)
    assert (bad.ok, bad.error_kind, bad.content) == (False, "tool_error", "Error: Invalid characters in expression")
    assert state.changes() == {}
