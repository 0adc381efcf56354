"""`hessian(L, x)` of a scalar L that is not a polynomial in x (the logistic loss): the
gradient by reverse mode, then H from ∇ₓ(vᵀ∇L) = H v for a fixed vector v, reading H off
with a ⊙ (Bv) = diag(a) B v (so the logistic loss gives Xᵀ diag(σ ⊙ (1 − σ)) X).

In: a problem and `hessian(L, x)`.  Out: `Derived(answer, steps)` or None when H v is
not of a form read off here.
"""
from __future__ import annotations


import sympy as sp

from ...engines import matdiff
from ...engines.matpoly import GradientOf, JacobianOf
from ...model.problem import Problem
from ...sentence import Math, Rel, say
from ..registry import Derived, make_answer
from ..request import GoalCall
from .common import D, _f_symbol, _loss_in, _text, _vector, _with_values, target, variable
from .nonpoly import check_where, checked_step, clean, grad_steps
from .identities import GENERIC_SIZE
from .tidy import tidy


def nonpoly_hessian(problem: Problem, call: GoalCall) -> Derived | None:
    """The Hessian as the Jacobian of the reverse-mode gradient, checked at random matrices."""
    f_node, x_node = call.args
    x, _ = variable(problem, x_node, "hessian")
    if not _vector(x):
        return None
    display, leaf, steps = target(problem, f_node, x, "hessian")
    if _loss_in(leaf) is not None:
        return None
    f_sym = _f_symbol(problem, f_node, display)
    found = grad_steps(problem, call, f_sym, display, leaf, x)
    if found is None:
        return None
    g, gsteps, _ = found
    v = sp.MatrixSymbol("v", *x.shape)
    H = matdiff.times_vector(clean(matdiff.gradient(sp.Trace(sp.MatMul(v.T, g)), x)), v)
    if H is None:
        return None
    H = tidy(clean(H))
    where = check_where(problem, x, f_sym, leaf, H)
    n = GENERIC_SIZE
    a, B, u = sp.MatrixSymbol("a", n, 1), sp.MatrixSymbol("B", n, n), sp.MatrixSymbol("u", n, 1)
    text = say("The Hessian is the Jacobian of the gradient, ", Math(JacobianOf(D(f_sym, x), x)), ": for a fixed ",
               Math(v), ", ", Rel(GradientOf(sp.Trace(sp.MatMul(v.T, D(f_sym, x))), x), "=",
                                  sp.MatMul(JacobianOf(D(f_sym, x), x), v), kind="fact"),
               ", which the same rules give; read the matrix off with ",
               Rel(sp.HadamardProduct(a, sp.MatMul(B, u)), "=", sp.MatMul(matdiff.Diag(a), B, u)), ":")
    steps = list(steps) + gsteps
    steps.append(checked_step(call, "hessian", text, JacobianOf(D(f_sym, x), x), H, where=where))
    value, answer, text_expr, more = _with_values(problem, H, H)
    return Derived(make_answer(answer, text=_text(text_expr), value=value), tuple(steps + more))
