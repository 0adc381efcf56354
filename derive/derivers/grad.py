"""The `grad(L, v)` goal: one entry point for both gradient families.

In: a problem and the goal's call.  Out: the Derived of the first family that takes it:
numeric backpropagation (`backprop.numeric_grad`, for graphs of explicit numbers) and
otherwise the symbolic matrix calculus (`matcalc.symbolic_grad`, imported lazily when
that module exists).  Neither family registers `grad` itself.
"""
from __future__ import annotations

import importlib
import importlib.util

from .. import ast
from ..errors import Unsupported
from ..model.problem import Problem
from .registry import Derived, deriver


def derive_grad(problem: Problem, call: ast.Call) -> Derived:
    """∂L/∂v by the first gradient family that handles the problem."""
    from .backprop import numeric_grad
    out = numeric_grad(problem, call)
    if out is not None:
        return out
    if importlib.util.find_spec(f"{__package__}.matcalc") is None:
        raise Unsupported("this gradient involves symbolic tensors; symbolic matrix calculus is not "
                          "available in this build", call.pos)
    matcalc = importlib.import_module(f"{__package__}.matcalc")
    symbolic = getattr(matcalc, "symbolic_grad", None)
    if symbolic is None:
        raise Unsupported("this gradient involves symbolic tensors, which no deriver handles yet", call.pos)
    return symbolic(problem, call)


@deriver("grad", nargs=(2, 2), doc="∂L/∂v by the chain rule (numeric backprop or matrix calculus)")
def grad(problem: Problem, call: ast.Call) -> Derived:
    return derive_grad(problem, call)
