"""`grad(L, x)` of an unspecified loss `L = loss(y1, ...)` whose upstream gradients are
given (`given grad(L, y1) = g1`): the chain rule ∂L/∂x = Σᵢ (∂yᵢ/∂x)ᵀ gᵢ, one Jacobian
per output that depends on x, each derived term by term (for a matrix x, dL = Σ gᵢᵀ dyᵢ).

In: the problem and the goal call.  Out: `Derived(answer, steps)`, or None when the
strategy does not apply (the table of derive.derivers.goals tries the next); `why_not`
says why no strategy of `grad` applied.
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from ...engines import matpoly as M
from ...engines.matpoly import JacobianOf, Poly
from ...errors import Unsupported
from ...model.expressions import is_tensor
from ...model.problem import Problem
from ...sentence import Math, Rel, Sentence, join, say
from ...steps import Step, make_step
from ..attention import attention_call_of, describe_call
from ..registry import Derived, make_answer
from ..request import GoalCall
from .common import LAYOUT, D, _dedupe, _text, _vector, differentiated, leaf_form, polynomial_obstacle, shown_alike
from .grad import poly_grad_steps, softmax_hint, zero_grad
from .identities import explain_term, linear_fact, product_rule_fact
from .tidy import tidy
from .upstream import Upstream, given_loss, loss_leaf


def given_grad(problem: Problem, call: GoalCall) -> Derived | None:
    """∂L/∂x for `L = loss(...)` from the given upstream gradients, each output's Jacobian a
    polynomial's; None when L is not such a loss or an output is not a polynomial in the
    matrices (attention's backward pass is tried next)."""
    given = given_loss(problem, call)
    if given is None:
        return None
    x, f_sym, steps = given.x, given.f_sym, given.steps
    if not given.ups:
        expr, step = zero_grad(x, f_sym)
        return Derived(make_answer(expr, value=None), tuple(steps) + (step,))
    try:
        g, gsteps, od = given_chain_steps(problem, f_sym, given.ups, x)
    except Unsupported:
        return None
    nice, text_expr = M.poly_expr(g, od), M.poly_expr(g, od, text=True)
    out = list(steps) + list(gsteps)
    fac = M.factor(g, od)
    if fac.gain > 0 and not shown_alike(fac.expr, nice):
        out.append(make_step("collect", "Grouped by common factors:", nice, fac.expr))
    return Derived(make_answer(nice, text=_text(text_expr), value=None), tuple(out))


def why_not(problem: Problem, call: GoalCall) -> Unsupported:
    """Why no strategy of `grad` applied: an unspecified loss inside a larger expression, or
    the polynomial engine's reason (a clearer one when softmax is what stops it)."""
    found = loss_leaf(problem, call)
    if found is not None:
        leaf, loss = found
        if leaf != loss:
            return Unsupported("an unspecified loss inside a larger expression is not supported; "
                               "define `L = loss(...)` on its own", call.args[0].pos)
        given = given_loss(problem, call)
        assert given is not None
        try:
            given_chain_steps(problem, given.f_sym, given.ups, given.x)
        except Unsupported as exc:
            return softmax_hint(exc, leaf)
    else:
        leaf = differentiated(problem, call, "grad").leaf
        exc = polynomial_obstacle(leaf)
        if exc is not None:
            return softmax_hint(exc.at(call.pos), leaf)
    return Unsupported("`grad` of this kind is not supported yet", call.pos)


def _differential(y: Any) -> Any:
    """dy: the differential of a symbol or a matrix symbol, as a symbol of its shape."""
    if isinstance(y, sp.MatrixSymbol):
        return sp.MatrixSymbol("d" + y.name, *y.shape)
    return sp.Symbol("d" + str(y))


def _differential_term(u: "Upstream") -> Any:
    """gᵀ dy (tr(Gᵀ dY) for a matrix) of one output."""
    if is_tensor(u.symbol):
        return sp.Trace(sp.MatMul(sp.Transpose(u.grad), _differential(u.symbol)))
    return u.grad * _differential(u.symbol)


def given_chain_steps(problem: Problem, f_sym: Any, ups: list[Upstream], x: Any
                      ) -> tuple[Poly, list[Step], Any]:
    """∂L/∂x = Σᵢ (∂yᵢ/∂x)ᵀ gᵢ, with every Jacobian derived term by term."""
    steps: list[Step] = []
    names = join([Math(u.symbol) for u in ups], last=" and ")
    pref = M.preferred(*[u.leaf for u in ups])
    od = M.Orient(None, pref)
    # 1. the outputs in terms of the inputs
    polys: dict[str, Poly] = {}
    described: set = set()
    for u in ups:
        p = M.to_poly(u.leaf)
        polys[u.name] = p
        shown = M.poly_expr(p, od)
        about = _about(problem, u.name, described)
        steps.append(make_step("substitute", say(about, Math(u.symbol), " in terms of the inputs:"), u.symbol,
                               shown, where={u.symbol: u.leaf}))
    vec = _vector(x) or isinstance(x, sp.Symbol)
    if not vec:
        return _given_matrix(problem, f_sym, ups, x, steps, names) + (od,)
    # 2. the chain rule
    def jac(u):
        return sp.MatMul(sp.Transpose(JacobianOf(u.symbol, x)), u.grad) if is_tensor(u.symbol) \
            else sp.MatMul(D(u.symbol, x), u.grad)
    law = sp.MatAdd(*[jac(u) for u in ups], evaluate=False) if len(ups) > 1 else jac(ups[0])
    text = say(Math(f_sym), " depends on ", Math(x), " only through ", names, ", whose gradients are given. By the "
               f"chain rule ({LAYOUT}), each output contributes its Jacobian transposed times its upstream gradient:")
    steps.append(make_step("chain_rule", text, D(f_sym, x), law, check=False))
    contribs: list[Poly] = []
    for u in ups:
        p = polys[u.name]
        if not is_tensor(u.symbol):
            gp = M.grad(p, x)
            steps.append(make_step("gradient", say("Gradient of ", Math(u.symbol), ":"), D(u.symbol, x),
                                   M.poly_expr(gp, od), where={u.symbol: u.leaf}))
            contribs.append(gp.times_scalar(M.to_poly(u.grad)))
            continue
        J, jsteps = jacobian_steps(u.symbol, u.leaf, p, x, pref)
        steps.extend(jsteps)
        c = J.T @ M.to_poly(u.grad)
        steps.append(make_step("transpose_apply",
                               say("Transpose and apply to the given ",
                                   Rel(D(f_sym, u.symbol), "=", u.grad, kind="assumption"), ":"),
                               jac(u), M.poly_expr(c, od), where={u.symbol: u.leaf}))
        contribs.append(c)
    total = M.total(contribs, x.shape)
    where = {u.symbol: u.leaf for u in ups}
    chain = [law, M.poly_expr(total, od)]
    if not any(x in leaf_form(problem, u.grad).atoms(sp.MatrixSymbol) for u in ups if is_tensor(u.grad)):
        # Σ gᵢᵀyᵢ has exactly these gradients while the gᵢ do not depend on x: check against it
        chain.insert(0, D(f_sym, x))
        where = {**where, f_sym: _surrogate(ups, leaf=True)}
    steps.append(make_step("collect", say("Add the contributions of ", names, ":"), *chain, where=where))
    return total, steps, od


def _surrogate(ups: list[Upstream], leaf: bool = False) -> Any:
    """Σᵢ gᵢᵀyᵢ: a scalar with the same gradients as L wherever the gᵢ are held fixed."""
    return sp.Add(*[sp.Trace(sp.MatMul(sp.Transpose(u.grad), u.leaf if leaf else u.symbol))
                    if is_tensor(u.symbol) else u.grad * (u.leaf if leaf else u.symbol) for u in ups])


def _about(problem: Problem, name: str, described: set) -> Sentence:
    """A sentence defining the attention block that computes `name` (once per block), when
    attention.describe_call gives one as a Sentence (its older LaTeX string is not shown)."""
    found = attention_call_of(problem, name)
    if found is None or id(found[0]) in described:
        return say()
    described.add(id(found[0]))
    about = describe_call(problem, found[0])
    return say(about, " So ") if isinstance(about, Sentence) else say()


def _given_matrix(problem: Problem, f_sym: Any, ups: list[Upstream], x: Any, steps: list[Step],
                  names: Sentence) -> tuple[Poly, list[Step]]:
    """A matrix variable: the Jacobian would be a 4-index tensor, so use dL = Σ gᵢᵀ dyᵢ."""
    surrogate = _surrogate(ups)
    text = say(Math(f_sym), " depends on ", Math(x), " only through ", names, ", whose gradients are given, so by "
               "the chain rule ", Rel(_differential(f_sym), "=", sp.Add(*[_differential_term(u) for u in ups]),
                                      kind="fact"),
               ": the gradient is that of ", Math(tidy(surrogate)), f" with the given gradients held fixed ({LAYOUT}).")
    steps.append(make_step("chain_rule", text, check=False))
    leaf = _surrogate(ups, leaf=True)
    res = poly_grad_steps(tidy(surrogate), tidy(surrogate), leaf, x, {u.symbol: u.leaf for u in ups})
    steps.extend(res.steps)
    return res.poly, steps


def jacobian_steps(y_sym: Any, y_leaf: Any, p: Poly, x: Any, pref: frozenset = frozenset()
                   ) -> tuple[Poly, list[Step]]:
    """∂y/∂x of a column polynomial, by the product rule ∂(s·u)/∂x = u (∂s/∂x)ᵀ + s ∂u/∂x."""
    ox, od = M.Orient(x, pref), M.Orient(None, pref)
    subs: list[Step] = []
    pieces: list[Any] = []
    for t in p.sorted_terms():
        if not M.term_depends(t, x):
            continue
        for k, s in enumerate(t.scalars):
            if not any(f.base == x for f in s):
                continue
            st = M.Term(M.ONE, (s,), (), (M.ONE, M.ONE))
            tg = explain_term(st, x, pref)
            se, shown = M.term_expr(st, ox), M.term_expr(st, od)
            g_expr = M.poly_expr(tg.result, od)
            chain = [D(shown, x)] + ([tg.middle] if tg.middle is not None else []) + [g_expr]
            flip = say() if shown_alike(se, shown) else \
                say(" (a scalar equals its transpose: ", Rel(shown, "=", se), ")")
            subs.append(make_step("identity", say("The scalar ", Math(shown), flip, " ", tg.text), *_dedupe(chain)))
            others = t.scalars[:k] + t.scalars[k + 1:]
            rest = M.Term(t.coef, others, t.chain, t.shape)
            u = M.term_expr(rest, od) if t.chain or others else None
            gexpr = tg.middle if tg.middle is not None else g_expr
            pieces.append(M.scaled(1, u, sp.Transpose(gexpr)) if u is not None else sp.Transpose(gexpr))
        for occ in M.occurrences(t.chain, x):
            P = M.chain_expr(occ.before) if occ.before else sp.Identity(x.shape[0])
            pieces.append(M.scaled(t.coef, *[M.Inner(M.chain_expr(M.orient_scalar(s, od))) for s in t.scalars], P))
    J = M.jacobian(p, x)
    rule = say("Each term of ", Math(y_sym), " is a scalar times a vector; by the product rule ",
               product_rule_fact(x), " and ", linear_fact(x), ":")
    chain = [JacobianOf(y_sym, x)]
    if pieces:
        chain.append(sp.MatAdd(*pieces, evaluate=False) if len(pieces) > 1 else pieces[0])
    chain.append(M.poly_expr(J, od))
    step = make_step("product_rule", rule, *_dedupe(chain), where={y_sym: y_leaf}, substeps=subs)
    return J, [step]
