"""`argmin(f)` for a function of a vector or several scalars defined in the problem.

In: the goal call, f a quadratic (constant Hessian with numbers).  Out: a `Derived`: the
gradient and Hessian (optimize.vgd), ∇f = H x + ∇f(0) (checked), the Hessian's verdict
on its numbers (derive.derivers.definite): positive definite gives the unique minimiser
x* = H⁻¹(−∇f(0)), solved exactly and checked by ∇f(x*) = 0; a Hessian that is not
positive semi-definite means f is unbounded below (no minimiser, answer none, with the
direction); a singular positive semi-definite one is Unsupported (a set of minimisers).
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from ... import ast
from ...errors import Unsupported
from ...model.problem import Problem
from ...sentence import Math, Rel, say
from ...steps import Step, make_step
from ..definite import verdict_steps
from ..optimize.multi import multi_objective
from ..optimize.display import Shown
from ...notation_iterates import vec
from ..optimize.vgd import gradient_steps
from ..registry import Derived, make_answer


def argmin_function(problem: Problem, call: ast.Call) -> Derived:
    """argmin(f): the unique minimiser of a convex quadratic, exactly."""
    obj = multi_objective(problem, call, "argmin")
    if not obj.quadratic or obj.hess.free_symbols or obj.body.free_symbols - set(obj.comps):
        raise Unsupported("`argmin(f)` solves quadratics with numbers; for an expression in a vector use "
                          "`argmin(L, w)`", call.args[0].pos)
    steps = gradient_steps(obj, hessian=True)
    return linear_minimiser(obj.grad, obj.comps, obj.hess, obj.body, steps, call.pos)


def linear_minimiser(grad: sp.MatrixBase, comps: tuple, H: sp.MatrixBase, what: Any, steps: list[Step],
                     pos: Any) -> Derived:
    """The minimiser of a quadratic from its explicit gradient column and numeric Hessian."""
    n = len(comps)
    x = vec(comps)
    zero = {cmp: 0 for cmp in comps}
    c = sp.ImmutableMatrix(grad.xreplace(zero))
    steps.append(make_step("linear", say("The gradient is the Hessian times the point plus its value at 0:"),
                           grad, sp.MatAdd(sp.MatMul(H, x, evaluate=False), c, evaluate=False)))
    Hs = sp.MatrixSymbol("H", n, n)
    verdict = verdict_steps(sp.ImmutableMatrix(H), Hs)
    if verdict is None:
        raise Unsupported("could not decide the definiteness of the Hessian", pos)
    steps.append(make_step("verdict", say("The Hessian's definiteness:"), check=False, substeps=verdict.steps))
    if verdict.kind == "not_psd":
        text = say("The Hessian is not positive semi-definite (", verdict.reason, "): along that direction ",
                   Math(what), " decreases without bound, so it has no minimiser.")
        steps.append(make_step("unbounded", text, check=False))
        return Derived(make_answer(None, text="no minimiser", value=None, display="no minimiser", prose=text), tuple(steps))
    if verdict.kind != "pd":
        raise Unsupported("the Hessian is singular: the minimisers (if any) form a line or a plane, not one point",
                          pos)
    star = sp.ImmutableMatrix(sp.Matrix(H).LUsolve(-c))
    g0 = sp.MatrixSymbol("g_0", n, 1)
    steps.append(make_step("solve", say("It is positive definite, so ", Math(what), " is strictly convex and its one "
                                        "stationary point is the minimiser: solving ",
                                        Rel(sp.MatMul(Hs, sp.MatrixSymbol("x", n, 1)), "=", -g0, kind="definition"),
                                        " with ", Rel(g0, "=", c), ","),
                           sp.MatMul(H, star, evaluate=False), -c, where={g0: c}))
    put_in = grad.applyfunc(lambda e: e.xreplace({cmp: Shown(v) for cmp, v in zip(comps, star)}))
    steps.append(make_step("check", say("Check: the gradient there is 0,"), put_in,
                           sp.ImmutableMatrix(sp.zeros(n, 1))))
    return Derived(make_answer(star), tuple(steps))
