"""The `calculate` tool's arithmetic, without `eval`.

The accepted language is what τ²-bench accepts (digits, `+ - * / ( ) .` and spaces), evaluated with
Python's arithmetic semantics (so `2**3` and `7//2` work as they would there), but by walking a
parsed syntax tree that only admits numbers and arithmetic operators, with bounded exponents.
"""

from __future__ import annotations

import ast
import math
import operator

from domains.tooling import ToolError

ALLOWED_CHARACTERS = frozenset("0123456789+-*/(). ")
MAX_EXPRESSION_LENGTH = 1000
MAX_EXPONENT = 1000

_BINARY = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Pow: operator.pow,
}
_UNARY = {ast.UAdd: operator.pos, ast.USub: operator.neg}


def _power_too_large(base: int | float, exponent: int | float) -> bool:
    """Whether base ** exponent would be absurdly large (over ~10**300) or the exponent is huge."""
    if abs(exponent) > MAX_EXPONENT:
        return True
    return abs(base) > 1 and exponent > 0 and exponent * math.log10(abs(base)) > 300


def _evaluate(node: ast.AST) -> int | float:
    if isinstance(node, ast.Expression):
        return _evaluate(node.body)
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_evaluate(node.operand))
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _evaluate(node.left), _evaluate(node.right)
        if isinstance(node.op, ast.Pow) and _power_too_large(left, right):
            raise ToolError("Exponent too large")
        value = _BINARY[type(node.op)](left, right)
        if isinstance(value, complex):
            raise ToolError("Invalid expression: the result is not a real number")
        return value
    raise ToolError("Invalid expression")


def calculate_expression(expression: str) -> str:
    """The value of an arithmetic expression, rounded to 2 decimals, as text (e.g. '12.5')."""
    if not all(char in ALLOWED_CHARACTERS for char in expression):
        raise ToolError("Invalid characters in expression")
    if len(expression) > MAX_EXPRESSION_LENGTH:
        raise ToolError("Expression too long")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except (SyntaxError, RecursionError) as exc:
        raise ToolError(f"Invalid expression: {getattr(exc, 'msg', exc)}") from exc
    try:
        value = _evaluate(tree)
        return str(round(float(value), 2))
    except ZeroDivisionError as exc:
        raise ToolError("division by zero") from exc
    except (OverflowError, ValueError, RecursionError) as exc:
        raise ToolError(f"Invalid expression: {exc}") from exc
