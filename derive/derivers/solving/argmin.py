"""`argmin(L, w)`: the minimiser of a quadratic objective, from ∇L = 0, confirmed by the Hessian.

In: the goal call: L an expression or node, w the vector (or scalar) it is minimised
over; or `argmin(f)` for a function `f(x) = ...` of a vector or several scalars.
Out: a `Derived`.  The gradient and the Hessian H come from the `grad` and `hessian`
goals (matrix calculus); ∇L is checked to be linear, ∇L = H w + ∇L(0) (at random
matrices), so ∇L = 0 is the linear system H w = −∇L(0) (common factors cancelled: the
normal equations XᵀX w = Xᵀy, ridge (XᵀX + λI) w = Xᵀy); convexity (the `convex` goal)
makes the stationary point a global minimiser, and w* = H⁻¹(−∇L(0)) is checked by
putting it back into ∇L.  When the problem gives the values of X, y, λ the system is
solved with those numbers, exactly, and H's verdict (positive definite: the minimiser
is unique) is decided on the numbers.  An L whose gradient is not linear is Unsupported.
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from ... import ast
from ...errors import CheckFailed, SpecError, Unsupported
from ...model.problem import Problem
from ...sentence import Math, Rel, say
from ...steps import Step, make_step
from ..definite import explicit, given_values, uses, verdict_steps
from ..optimize.objective import guarded
from ..registry import Derived, make_answer, subgoal
from .argmin_multi import argmin_function, linear_minimiser


def _variable(problem: Problem, node: ast.Expr, g: Any) -> Any:
    """The symbol of w as it appears in the gradient (a MatrixSymbol or a Symbol)."""
    if not isinstance(node, ast.Name):
        raise SpecError("the second argument of `argmin` is the variable, as in `argmin(L, w)`", node.pos)
    for s in list(g.atoms(sp.MatrixSymbol)) + list(g.free_symbols):
        if str(s) == node.id:
            return s
    raise Unsupported(f"`L` does not depend on `{node.id}`: every `{node.id}` minimises it", node.pos)


def _components(g: Any, name: str) -> tuple | None:
    """The symbols name_1, ..., name_d of an explicit gradient column, in order (None if others remain)."""
    syms = {s for s in g.free_symbols if s.name.startswith(name + "_") and s.name[len(name) + 1:].isdigit()}
    if g.free_symbols - syms or len(syms) > g.rows:
        return None
    by_index = {int(s.name[len(name) + 1:]): s for s in syms}
    return tuple(by_index.get(i, sp.Symbol(f"{name}_{i}", real=True)) for i in range(1, g.rows + 1))


def _factor(*exprs: Any) -> Any:
    """The common positive rational factor of the terms of the given matrix expressions."""
    coeffs = []
    for e in exprs:
        for t in (e.args if isinstance(e, (sp.MatAdd, sp.Add)) else (e,)):
            c = t.as_coeff_mmul()[0] if isinstance(t, sp.MatrixExpr) else t.as_coeff_Mul()[0]
            c = sp.sympify(c, strict=True).as_coeff_Mul()[0]
            if c.is_Rational and c != 0:
                coeffs.append(abs(c))
    if not coeffs:
        return sp.Integer(1)
    num = sp.igcd(*[c.p for c in coeffs]) if len(coeffs) > 1 else coeffs[0].p
    den = sp.ilcm(*[c.q for c in coeffs]) if len(coeffs) > 1 else coeffs[0].q
    return sp.Rational(num, den)


def _scaled(e: Any, k: Any) -> Any:
    return (e * (1 / k)).doit() if k != 1 else e


def _linear_steps(g: Any, W: Any, H: Any, pos: Any) -> tuple[list[Step], Any, Any, Any]:
    """∇L = H w + ∇L(0), and ∇L = k (H/k w − r): the system H/k w = r."""
    zero = sp.ZeroMatrix(*W.shape) if isinstance(W, sp.MatrixSymbol) else sp.Integer(0)
    c = g.xreplace({W: zero}).doit()
    mul = sp.MatMul if isinstance(W, sp.MatrixSymbol) else sp.Mul
    add = sp.MatAdd if isinstance(W, sp.MatrixSymbol) else sp.Add
    k = _factor(H, c)
    Hk, r = _scaled(H, k), _scaled(-c, k)
    try:
        steps = [make_step("linear", say("The gradient is linear in ", Math(W), ", its Hessian times ", Math(W),
                                         " plus its value at 0 (checked):"), g, add(mul(H, W), c))]
    except CheckFailed:
        raise Unsupported("`argmin` solves objectives whose gradient is linear (quadratics); this one's is not",
                          pos) from None
    system = add(mul(Hk, W), mul(-1, r)) if r != 0 else mul(Hk, W)
    steps.append(make_step("normal_equations", say("So the gradient vanishes exactly where ",
                                                   Rel(mul(Hk, W), "=", r, kind="definition"),
                                                   " (the normal equations):"), g, mul(k, system, evaluate=False)
                           if k != 1 else system))
    return steps, Hk, r, k


def _not_convex(problem: Problem, H: Any, W: Any, pos: Any) -> None:
    """Raises why `argmin` stops when `convex` did not say yes: the objective is not convex, or,
    when its Hessian holds matrices or symbols without values (a symbolic G), convexity
    depends on them and is not decided (no declaration makes a matrix positive definite)."""
    given = given_values(problem, skip=frozenset({W}))
    free = [s for s in H.atoms(sp.MatrixSymbol) if s != W and s not in given]
    free += [s for s in H.free_symbols if not s.is_integer and s not in given and s != W]
    if not free:
        raise Unsupported("`argmin`: the objective is not convex, so a stationary point need not be a minimiser",
                          pos)
    names = ", ".join(sorted({str(s) for s in free}))
    raise Unsupported(f"`argmin`: whether the objective is convex depends on `{names}`, which "
                      f"{'has' if len(set(free)) == 1 else 'have'} no value: convexity is not decided for a "
                      f"symbolic `{names}` (its Hessian {H} is not positive semi-definite for every value), so a "
                      "stationary point need not be a minimiser; give values to decide it", pos)


def _symbolic(problem: Problem, call: ast.Call, L: ast.Expr, w: ast.Expr) -> Derived:
    grad = subgoal(problem, "grad", (L, w), call.pos)
    g = grad.answer.expr
    H = subgoal(problem, "hessian", (L, w), call.pos).answer.expr
    steps = [make_step("gradient", say("The gradient (derived below):"), g, substeps=grad.steps, check=False)]
    if isinstance(g, sp.MatrixBase) and isinstance(H, sp.MatrixBase) and isinstance(w, ast.Name):
        comps = _components(g, w.id)       # the given values are already in: a column in w_1, ..., w_d
        if comps is not None and not H.free_symbols:
            return linear_minimiser(sp.ImmutableMatrix(g), comps, sp.ImmutableMatrix(H), problem.display(L),
                                    steps, call.pos)
    W = _variable(problem, w, g)
    more, Hk, r, k = _linear_steps(g, W, H, call.pos)
    steps.extend(more)
    convex = subgoal(problem, "convex", (L, w), call.pos)
    steps.append(make_step("convex", say("Its Hessian is positive semi-definite (derived below), so ",
                                         Math(problem.display(L)), " is convex and every stationary point is a "
                                         "global minimiser:"), check=False, substeps=convex.steps))
    if convex.answer.expr is not sp.true:
        _not_convex(problem, H, W, call.pos)
    matrix = isinstance(W, sp.MatrixSymbol)
    star = sp.MatMul(sp.Inverse(Hk), *(r.args if isinstance(r, sp.MatMul) else (r,))) if matrix else r / Hk
    values = given_values(problem, skip=frozenset({W}))
    if (uses(Hk, values) or uses(r, values)) and matrix:
        return _numeric(W, H, Hk, r, star, values, steps, call.pos)
    inv = Rel(sp.Determinant(Hk) if matrix else Hk, "≠", 0, kind="assumption")
    steps.append(make_step("minimiser", say("Where ", Math(Hk), " is invertible (", inv, ") the minimiser is "
                                            "unique; putting it back into the gradient gives 0:"),
                           g.xreplace({W: star}), sp.ZeroMatrix(*W.shape) if matrix else sp.Integer(0)))
    return Derived(make_answer(star), tuple(steps))


def _numeric(W: Any, H: Any, Hk: Any, r: Any, star: Any, values: dict, steps: list[Step], pos: Any) -> Derived:
    """The system with the problem's numbers: solved exactly, H's verdict on the numbers."""
    Hn, rn, Hfull = (explicit(e.xreplace(values)) for e in (Hk, r, H))
    if not all(isinstance(m, sp.MatrixBase) and not m.free_symbols for m in (Hn, rn, Hfull)):
        return Derived(make_answer(star), tuple(steps))
    Hs = sp.MatrixSymbol("H", *Hfull.shape)
    verdict = verdict_steps(sp.ImmutableMatrix(Hfull), Hs)
    if verdict is None or verdict.kind != "pd":
        raise Unsupported("with the given values the Hessian is singular: the minimisers form a whole subspace, "
                          "not one point", pos)
    steps.append(make_step("hessian_values", say("With the given values the Hessian is"), Hs, Hfull,
                           where={Hs: Hfull}, substeps=verdict.steps))
    wn = sp.ImmutableMatrix(Hn.LUsolve(rn))
    steps.append(make_step("solve", say("It is positive definite (", verdict.reason, "), so the minimiser is "
                                        "unique; solving the normal equations with the numbers:"),
                           sp.MatMul(Hn, W), rn, relation="=", where={W: wn}))
    steps.append(make_step("minimiser", say("The minimiser:"), W, star.xreplace(values), wn, where={W: wn}))
    return Derived(make_answer(wn), tuple(steps))


@guarded
def argmin(problem: Problem, call: ast.Call) -> Derived:
    """argmin(L, w) (matrix calculus), or argmin(f) for a function of several variables."""
    if len(call.args) == 2:
        return _symbolic(problem, call, call.args[0], call.args[1])
    return argmin_function(problem, call)
