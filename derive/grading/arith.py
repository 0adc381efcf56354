"""The exact value of an answer that is rational arithmetic (`1/2 + 1/4`, `-(2^-3) * 6`),
read off its AST in Fractions, without building sympy objects.

In: one AST node of an answer (derive.grading.reading.parse).  Out: (value, decimals):
the Fraction and the significant digits of each decimal literal, in the order written
(as the general route's reading collects them), or None for anything else: a name, a
call, a bracket, a division by zero, a power whose exponent is not a small whole number,
or a number bigger than MAX_BITS on the way.  The general route (reading + compare) then
decides, with its messages and its own limits, which are never reached here: a value
this module returns is the one sympy would compute from the same answer.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Any

from .. import ast
from .reading import significant_digits

MAX_BITS = 3_000           # of a numerator or denominator on the way (the reader allows 2,000 digits)
MAX_POWER = 64             # |n| in a^n


class _Outside(Exception):
    """Not rational arithmetic within the bounds: the general route decides."""


def rational(node: ast.Expr) -> tuple[Fraction, tuple[int, ...]] | None:
    """(value, decimals) of a rational-arithmetic answer, or None (see the module docstring)."""
    decimals: list[int] = []
    try:
        return _value(node, decimals), tuple(decimals)
    except (_Outside, RecursionError):
        return None


def _value(node: Any, decimals: list[int]) -> Fraction:
    kind = type(node)
    if kind is ast.Num:
        if not node.text.isdigit():          # (a NUMBER with `.` or an exponent: a decimal)
            decimals.append(significant_digits(node.text))
        return node.value
    if kind is ast.UnaryOp and node.op in "+-":
        v = _value(node.operand, decimals)
        return -v if node.op == "-" else v
    if kind is not ast.BinOp or node.op == "@":
        raise _Outside
    a, b = _value(node.left, decimals), _value(node.right, decimals)
    if node.op == "^":
        if b.denominator != 1 or abs(b) > MAX_POWER or (a == 0 and b < 0):
            raise _Outside
        out = a ** int(b)
    elif node.op == "/":
        if b == 0:
            raise _Outside
        out = a / b
    else:
        out = a + b if node.op == "+" else a - b if node.op == "-" else a * b
    if max(out.numerator.bit_length(), out.denominator.bit_length()) > MAX_BITS:
        raise _Outside
    return out
