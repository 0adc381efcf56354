"""Symbolic derivatives that derivers take again and again, remembered.

`derivative(expr, var, order)` is `sympy.diff(expr, var, order)`, kept for the last 1,024
distinct (expression, variable, order): a problem's expressions are the same symbols
whatever its numbers, so the variants of an exam, a grader re-deriving with a student's
values and several goals of one problem differentiate the same expression again.

In: a sympy expression, a symbol (or any object sympy differentiates by) and an order;
out: the sympy derivative.
"""
from __future__ import annotations

import functools
from typing import Any

import sympy as sp


@functools.lru_cache(maxsize=1024)
def derivative(expr: Any, var: Any, order: int = 1) -> Any:
    return sp.diff(expr, var, order)
