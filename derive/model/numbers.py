"""Fast paths for explicit numbers: what a big weight matrix needs, without the expression
evaluator's dispatch (and its checks for ∞ and NaN) once per entry.

In:  AST list items, or a value.  Out: sympy Rationals, or None / False when the slow
general path must decide.
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from .. import ast


def plain_numbers(items: tuple) -> list | None:
    """The values of list items that are all number literals, optionally signed (what a
    weight matrix holds), without the evaluator's dispatch per entry; None otherwise."""
    out = []
    for it in items:
        sign = 1
        if isinstance(it, ast.UnaryOp) and it.op in "+-" and isinstance(it.operand, ast.Num):
            sign, it = (-1 if it.op == "-" else 1), it.operand
        if not isinstance(it, ast.Num):
            return None
        out.append(sp.Rational(sign * it.value.numerator, it.value.denominator))
    return out or None


def rational_entries(x: Any) -> bool:
    """An explicit matrix whose entries are all rationals (sympy keeps it over ZZ or QQ)."""
    dom = getattr(getattr(x, "_rep", None), "domain", None)
    return dom is not None and (getattr(dom, "is_ZZ", False) or getattr(dom, "is_QQ", False))
