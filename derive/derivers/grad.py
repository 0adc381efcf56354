"""The `grad` goal: numeric backprop first, closed-form matrix calculus as the fallback.

In: `grad(L, v)`.  Out: the Derived of `derive.derivers.backprop.numeric_grad` when that
module exists and returns one, else `derive.derivers.matcalc.symbolic_grad`.
"""
from __future__ import annotations

from .. import ast
from ..model.problem import Problem
from .registry import Derived, deriver


@deriver("grad", nargs=(2, 2), doc="∂L/∂v by the chain rule (numeric backprop, or closed form when symbolic)")
def grad(problem: Problem, call: ast.Call) -> Derived:
    try:
        from .backprop import numeric_grad
    except ImportError:
        numeric_grad = None
    if numeric_grad is not None:
        out = numeric_grad(problem, call)
        if out is not None:
            return out
    from .matcalc import symbolic_grad
    return symbolic_grad(problem, call)
