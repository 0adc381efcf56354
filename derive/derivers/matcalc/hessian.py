"""The `hessian` goal: ∂²L/∂x∂xᵀ of a scalar function of a vector, as the Jacobian of the
gradient (each term by a named identity); convexity.py reads its verdict from it.  When L is
not a polynomial, hessian_nonpoly.py's strategy is next in the table (derive.derivers.goals).

In: a problem and `hessian(L, x)`.  Out: `Derived(answer, steps)`.
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from ...engines import matpoly as M
from ...engines.matpoly import JacobianOf, Poly
from ...errors import Unsupported
from ...model.problem import Problem
from ...sentence import Math, say
from ...steps import Step, make_step
from ..registry import Derived, make_answer
from ..request import GoalCall
from .common import (D, _dedupe, _definition_steps, _f_symbol, _loss_in, _matrix, _text, _with_values, node_where,
                     polynomial_obstacle, target, variable)
from .grad import poly_grad_steps
from .identities import linear_fact, product_rule_fact


def hessian(problem: Problem, call: GoalCall) -> Derived | None:
    """∂²L/∂x∂xᵀ in closed form (factored when shorter), with its given values put in; None
    when L is not a polynomial in the matrices (hessian_nonpoly.py is tried next)."""
    if _obstacle(problem, call, "hessian") is not None:
        return None
    H, steps, x, f_sym, where = hessian_steps(problem, call, "hessian")
    fac = M.factor(H, x)
    answer = fac.expr if fac.gain > 0 else M.poly_expr(H, x)
    text_expr = answer if fac.gain > 0 else M.poly_expr(H, x, text=True)
    value, answer, text_expr, more = _with_values(problem, answer, text_expr)
    steps.extend(more)
    return Derived(make_answer(answer, text=_text(text_expr), value=value), tuple(steps))


def why_not(problem: Problem, call: GoalCall) -> Unsupported:
    """Why no strategy of `hessian` applied: a matrix variable, an unspecified loss, or the
    polynomial engine's reason."""
    return _obstacle(problem, call, "hessian") or Unsupported("`hessian` of this kind is not supported yet",
                                                             call.pos)


def _obstacle(problem: Problem, call: GoalCall, goal: str) -> Unsupported | None:
    """Why `hessian_steps` cannot derive the Hessian of `goal(L, x)`, or None when it can."""
    f_node, x_node = call.args
    x, xb = variable(problem, x_node, goal)
    if _matrix(x):
        return Unsupported(f"the Hessian with respect to the matrix `{xb.name}` is a 4-index tensor; "
                           "differentiate with respect to a vector", x_node.pos)
    display, leaf, steps = target(problem, f_node, x, goal)
    if _loss_in(leaf) is not None:
        return Unsupported("the Hessian of an unspecified loss is not determined by its gradients", f_node.pos)
    return polynomial_obstacle(leaf)


def hessian_steps(problem: Problem, call: GoalCall, goal: str) -> tuple[Poly, list[Step], Any, Any, dict]:
    """(H, steps, x, L's symbol, where): the gradient term by term, then its Jacobian term by
    term (convexity.py decides from the same H); Unsupported when that has no closed form."""
    obstacle = _obstacle(problem, call, goal)
    if obstacle is not None:
        raise obstacle
    f_node, x_node = call.args
    x, _ = variable(problem, x_node, goal)
    display, leaf, steps = target(problem, f_node, x, goal)
    f_sym = _f_symbol(problem, f_node, display)
    where = {**node_where(problem, frozenset({x})), f_sym: leaf}
    steps.extend(_definition_steps(problem, f_node, f_sym, display, leaf))
    g = poly_grad_steps(f_sym, display, leaf, x, where)
    steps.append(make_step("gradient", "The gradient, term by term:", D(f_sym, x), g.expr,
                           where=where, substeps=g.steps))
    if isinstance(x, sp.Symbol):
        H = M.grad(g.poly, x)
        steps.append(make_step("second_derivative", "Differentiate once more:", D(D(f_sym, x), x),
                               M.poly_expr(H), where=where))
        return H, steps, x, f_sym, where
    subs = []
    for t in g.poly.sorted_terms():
        tp = Poly(x.shape, [t])
        J = M.jacobian(tp, x)
        te = M.term_expr(t, x)
        if not M.term_depends(t, x):
            text = say(Math(te), " does not depend on ", Math(x), ": its Jacobian is ", Math(sp.Integer(0)), ".")
        elif not t.scalars and t.chain and t.chain[-1].base == x and not t.chain[-1].t \
                and not any(f.base == x for f in t.chain[:-1]):
            text = say(Math(te), " is linear in ", Math(x), "; by ", linear_fact(x), ":")
        else:
            text = say(Math(te), ": by the product rule ", product_rule_fact(x), ":")
        subs.append(make_step("identity", text, JacobianOf(te, x),
                              M.poly_expr(J, x) if J else sp.ZeroMatrix(x.shape[0], x.shape[0])))
    H = M.jacobian(g.poly, x)
    fac = M.factor(H, x)
    chain = [JacobianOf(D(f_sym, x), x), M.poly_expr(H, x)]
    if fac.gain > 0:
        chain.append(fac.expr)
    steps.append(make_step("hessian", say("The Hessian is the Jacobian of the gradient, ",
                                          Math(JacobianOf(D(f_sym, x), x)), " (one row per entry of the gradient); "
                                          "differentiate each term of the gradient:"),
                           *_dedupe(chain), where=where, substeps=subs))
    return H, steps, x, f_sym, where
