"""The `grad` goal in closed form: ∂L/∂x of a scalar function of symbolic vectors and
matrices, with the steps (the strategy tried after numeric backprop).

In:  a problem and `grad(L, x)`.  Out: `Derived(answer, steps)`; the answer text is a sympy
matrix expression that `parse_expr` reads back with MatrixSymbols (`-2*X.T*(y - X*w)`).

A polynomial L is multiplied out into terms (derive.engines.matpoly), each term is
differentiated by a named identity (identities.py) and the results are collected; a
squared norm of an affine residual also gets the chain-rule form 2(∂r/∂x)ᵀr.  An
unspecified `loss(...)` is given.py's strategy, and what is not a polynomial (elementwise
functions, traces of products with inverses, log det) attention's and nonpoly.py's (the
table of derive.derivers.goals).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy as sp

from ...engines import matpoly as M
from ...engines.matpoly import GradientOf, JacobianOf, Poly
from ...errors import Unsupported
from ...model import functions as F
from ...model.problem import Problem
from ...sentence import Math, Rel, say
from ...steps import Step, make_step
from ..registry import Derived, make_answer
from ..request import GoalCall
from .common import (LAYOUT, D, _dedupe, _definition_steps, _loss_in, _text, _vector, _with_values, _zero_like,
                     differentiated, node_where, polynomial_obstacle, shown_alike)
from .identities import GENERIC_SIZE, explain_term, generic
from .tidy import as_products, tidy


@dataclass
class GradResult:
    poly: Poly                 # ∂f/∂x, canonical
    expr: Any                  # display form (factored when that is shorter)
    text_expr: Any             # a valid matrix expression for answer.text
    steps: list[Step]


def _nice_answer(g: Poly, od: Any) -> tuple[Any, Any]:
    fac = M.factor(g, od)
    if fac.gain > 0:
        return fac.expr, fac.expr
    return M.poly_expr(g, od), M.poly_expr(g, od, text=True)


def _expand_step(f_sym: Any, leaf: Any, shown: Any, expanded: Any, terms: list, where: dict) -> Step:
    """L = its written form = the terms multiplied out (a 1×1 product's transpose named)."""
    cross = any(not t.chain and any(not M.symmetric_chain(s) for s in t.scalars) for t in terms)
    text = say("Multiply out into terms.")
    if cross:
        d = GENERIC_SIZE
        a, B, c = sp.MatrixSymbol("a", d, 1), sp.MatrixSymbol("B", d, d), sp.MatrixSymbol("c", d, 1)
        text = say(text, " A 1×1 product is a scalar and equals its transpose (e.g. ",
                   Rel(sp.MatMul(a.T, B, c), "=", sp.MatMul(c.T, B.T, a)), "), so such terms are collected.")
    return make_step("expand", text, f_sym, shown, expanded, where=where)


def poly_grad_steps(f_sym: Any, f_display: Any, leaf: Any, x: Any, where: dict) -> GradResult:
    """The gradient of a polynomial scalar with the steps: products, terms, identities, sum."""
    steps: list[Step] = []
    p = M.to_poly(leaf)
    pref = M.preferred(leaf)
    ox, od = M.Orient(x, pref), M.Orient(None, pref)
    prod = as_products(tidy(leaf))
    shown = tidy(leaf)
    if not shown_alike(prod, shown):
        v = sp.MatrixSymbol("v", GENERIC_SIZE, 1)
        steps.append(make_step("norm_as_product", say("Write the squared norm as an inner product, ",
                                                      Rel(F.Norm(v) ** 2, "=", sp.MatMul(v.T, v), kind="definition"),
                                                      ":"), f_sym, shown, prod, where=where))
        shown = prod
    terms = p.sorted_terms()
    expanded = M.poly_expr(p, ox)
    if not shown_alike(expanded, shown):
        steps.append(_expand_step(f_sym, leaf, shown, expanded, terms, where))
    subs: list[Step] = []
    contribs: list[Poly] = []
    for t in terms:
        tg = explain_term(t, x, pref)
        te = M.term_expr(t, ox)
        res_expr = M.poly_expr(tg.result, od) if tg.result else _zero_like(x)
        chain = [D(te, x)] + ([tg.middle] if tg.middle is not None else []) + [res_expr]
        subs.append(make_step("identity", say("The term ", Math(te), " ", tg.text), *_dedupe(chain)))
        contribs.append(tg.result)
    g = M.total(contribs, M.vshape(x))
    summed = M.poly_expr(g, od)
    steps.append(make_step("term_by_term", say("Differentiate term by term (", LAYOUT, ", so ", Math(D(f_sym, x)),
                                               " has the shape of ", Math(x), ")."), check=False, substeps=subs))
    nice, text_expr = _nice_answer(g, od)
    text = "Add the terms" + (" and pull out the common factor." if not shown_alike(nice, summed) else ".")
    steps.append(make_step("collect", text, *_dedupe([D(f_sym, x), summed, nice]), where=where))
    return GradResult(g, nice, text_expr, steps)


def affine_chain_rule(f_sym: Any, leaf: Any, x: Any, where: dict) -> tuple[Step, Any] | None:
    """For L = c‖r‖² with r affine in a vector x: ∂L/∂x = 2c (∂r/∂x)ᵀ r, the named identity
    ∂‖y − Xw‖²/∂w = −2Xᵀ(y − Xw).  None when L is not of that form."""
    coef, rest = sp.S.One, leaf
    if isinstance(leaf, sp.Mul):
        nums = [a for a in leaf.args if not a.atoms(sp.MatrixSymbol)]
        others = [a for a in leaf.args if a.atoms(sp.MatrixSymbol)]
        if len(others) != 1:
            return None
        coef, rest = sp.Mul(*nums), others[0]
    if not (isinstance(rest, sp.Pow) and isinstance(rest.base, F.Norm) and rest.exp == 2 and _vector(x)):
        return None
    r = rest.base.args[0]
    if not M.is_one(r.shape[1]):
        return None
    try:
        J = M.jacobian(M.to_poly(r), x)
    except (Unsupported, ValueError):
        return None
    if J.depends_on(x) or not J:
        return None
    Je = M.poly_expr(J, x)
    rt = tidy(r)
    out = M.scaled(2 * coef, M.poly_expr(J.T, x), rt)
    rs = generic("r", r.shape, {getattr(s, "name", "") for s in leaf.atoms(sp.MatrixSymbol)})
    text = say("The same by the chain rule: with ", Rel(rs, "=", rt, kind="definition"), ", ",
               Rel(GradientOf(F.Norm(rs) ** 2, rs), "=", sp.MatMul(2, rs)), " and the Jacobian ",
               Rel(JacobianOf(rt, x), "=", Je), ", so ", Math(D(f_sym, x)), " is ",
               Math(M.scaled(2 * coef, sp.Transpose(JacobianOf(rt, x)), rt)), ":")
    return make_step("chain_rule", text, D(f_sym, x), M.scaled(2 * coef, sp.Transpose(Je), rt), out,
                     where=where), out


def symbolic_grad(problem: Problem, call: GoalCall) -> Derived | None:
    """∂L/∂x in closed form (matrix notation, denominator layout), with the steps; None when
    L is an unspecified loss (given.py) or not a polynomial in the matrices (attention's
    strategy and nonpoly.py are tried next)."""
    t = differentiated(problem, call, "grad")
    x, f_sym, display, leaf = t.x, t.f_sym, t.display, t.leaf
    if _loss_in(leaf) is not None or polynomial_obstacle(leaf) is not None:
        return None
    where = {**node_where(problem, frozenset({x})), f_sym: leaf}
    steps = list(t.steps) + _definition_steps(problem, call.args[0], f_sym, display, leaf)
    res = poly_grad_steps(f_sym, display, leaf, x, where)
    steps.extend(res.steps)
    answer, text_expr = res.expr, res.text_expr
    alt = affine_chain_rule(f_sym, leaf, x, where)
    if alt is not None:
        steps.append(alt[0])
        answer = text_expr = alt[1]
    value, answer, text_expr, more = _with_values(problem, answer, text_expr)
    steps.extend(more)
    return Derived(make_answer(answer, text=_text(text_expr), value=value), tuple(steps))


def softmax_hint(exc: Unsupported, leaf: Any) -> Unsupported:
    """`exc`, or a clearer error when softmax (exp) is what stops the closed form."""
    if isinstance(leaf, sp.Basic) and leaf.atoms(sp.exp):
        return Unsupported("closed-form gradients through softmax are derived for one `attention` block whose "
                           "outputs feed an unspecified loss (`given grad(L, y1) = g1`) or a polynomial loss; "
                           "for other softmax graphs give the tensors values and differentiate numerically",
                           exc.pos)
    return exc


def zero_grad(x: Any, f_sym: Any) -> tuple[Any, Step]:
    """∂L/∂x = 0 for an L that does not depend on x (its gradient and the step saying so)."""
    return _zero_like(x), make_step("constant", say(Math(f_sym), " does not depend on ", Math(x), "."), check=False)

