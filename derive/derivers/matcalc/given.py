"""`grad(L, x)` of an unspecified loss `L = loss(y1, ...)` whose upstream gradients are
given (`given grad(L, y1) = g1`): the chain rule ∂L/∂x = Σᵢ (∂yᵢ/∂x)ᵀ gᵢ, one Jacobian
per output that depends on x, each derived term by term (for a matrix x, dL = Σ gᵢᵀ dyᵢ).

In: the problem, the goal call, L's symbol and x.  Out: `Derived(answer, steps)`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy as sp

from ... import ast
from ...engines import matpoly as M
from ...engines.matpoly import JacobianOf, Poly
from ...errors import SpecError, Unsupported
from ...model import functions as F
from ...model.expressions import is_tensor, shape_of, show_shape
from ...model.problem import Problem
from ...sentence import Math, Rel, Sentence, join, say
from ...steps import Step, make_step
from ..registry import Derived, make_answer
from .common import LAYOUT, D, _dedupe, _loss_in, _name_of, _text, _vector, leaf_form, shown_alike
from .grad import poly_grad_steps, softmax_hint, zero_grad
from .identities import explain_term, linear_fact, product_rule_fact
from .tidy import tidy


def given_loss_grad(problem: Problem, call: ast.Call, f_sym: Any, display: Any, x: Any,
                    steps: list[Step]) -> Derived:
    """∂L/∂x for `L = loss(...)` from the given upstream gradients."""
    f_node = call.args[0]
    leaf = leaf_form(problem, display, frozenset({x}) | _given_symbols(problem) | _loss_arguments(problem))
    loss = _loss_in(leaf)
    if leaf != loss:
        raise Unsupported("an unspecified loss inside a larger expression is not supported; "
                          "define `L = loss(...)` on its own", f_node.pos)
    loss_name = f_node.id if isinstance(f_node, ast.Name) else None
    ups = upstreams(problem, loss_name, loss, x, call.pos)
    if not ups:
        expr, step = zero_grad(x, f_sym)
        return Derived(make_answer(expr, value=None), tuple(steps) + (step,))
    try:
        g, gsteps, od = given_chain_steps(problem, f_sym, ups, x)
    except Unsupported as exc:
        from .. import attention
        out = attention.given_grad(problem, f_sym, ups, x, call)
        if out is None:
            softmax_hint(exc, leaf)
        return out
    steps = list(steps) + list(gsteps)
    nice, text_expr = M.poly_expr(g, od), M.poly_expr(g, od, text=True)
    fac = M.factor(g, od)
    if fac.gain > 0 and not shown_alike(fac.expr, nice):
        steps.append(make_step("collect", "Grouped by common factors:", nice, fac.expr))
    return Derived(make_answer(nice, text=_text(text_expr), value=None), tuple(steps))


def _loss_arguments(problem: Problem) -> frozenset:
    """The node symbols passed to an unspecified `loss(...)`: where its chain rule starts."""
    out = set()
    nodes = {b.symbol for b in problem.bindings(("node",)) if b.symbol is not None}
    for b in problem.bindings(("node",)):
        if isinstance(b.definition, sp.Basic):
            for lo in b.definition.atoms(F.Loss) if not isinstance(b.definition, F.Loss) else [b.definition]:
                out.update(a for a in lo.args if a in nodes)
    return frozenset(out)


def _given_symbols(problem: Problem) -> frozenset:
    """The symbols of the nodes whose upstream gradients `given grad(L, y) = g` states."""
    out = set()
    for g in problem.givens:
        t = g.target
        if isinstance(t, ast.Call) and t.name == "grad" and len(t.args) == 2 and isinstance(t.args[1], ast.Name) \
                and problem.has(t.args[1].id) and problem.names[t.args[1].id].symbol is not None:
            out.add(problem.names[t.args[1].id].symbol)
    return frozenset(out)


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


@dataclass
class Upstream:
    name: str
    symbol: Any          # the node's symbol (y1)
    leaf: Any            # its value in the leaves (x1, W_Q, ...)
    grad: Any            # the given ∂L/∂y1 (g1)


def upstreams(problem: Problem, loss_name: str | None, loss: F.Loss, var: Any, pos) -> list[Upstream]:
    """The outputs the loss depends on through `var`, each with its given gradient."""
    given: dict[str, Any] = {}
    for g in problem.givens:
        t = g.target
        if isinstance(t, ast.Call) and t.name == "grad" and len(t.args) == 2 \
                and isinstance(t.args[0], ast.Name) and isinstance(t.args[1], ast.Name):
            if loss_name is not None and t.args[0].id != loss_name:
                continue
            given[t.args[1].id] = problem.display(g.value)
    out: list[Upstream] = []
    for arg in loss.args:
        name = _name_of(problem, arg)
        leaf = leaf_form(problem, arg, frozenset({var}))
        depends = isinstance(leaf, sp.Basic) and (var in leaf.free_symbols or var in leaf.atoms(sp.MatrixSymbol))
        if not depends:
            continue
        if name is None or name not in given:
            raise SpecError(f"the loss is unspecified and depends on `{name or arg}`; give its gradient with "
                            f"`given grad({loss_name or 'L'}, {name or '...'}) = ...`", pos)
        g = given[name]
        gs = shape_of(g)
        ys = shape_of(arg)
        if (gs or (1, 1)) != (ys or (1, 1)) and not all(sp.simplify(a - b) == 0 for a, b in zip(gs or (1, 1), ys or (1, 1))):
            raise SpecError(f"the given gradient of `{name}` is {show_shape(g)} but `{name}` is {show_shape(arg)}",
                            pos)
        out.append(Upstream(name, arg, leaf, g))
    return out


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
    from .. import attention
    found = attention.attention_call_of(problem, name)
    if found is None or id(found[0]) in described:
        return say()
    described.add(id(found[0]))
    about = attention.describe_call(problem, found[0])
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
