"""The `expand` and `simplify` goals: an expression written out in the given names, common
factors pulled out of sums (L xᵢ − L xⱼ = L(xᵢ − xⱼ)), multiplied out and collected.

In: a problem and `expand(E)` / `simplify(E)`.  Out: `Derived(answer, steps)`.
"""
from __future__ import annotations

from typing import Any

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixExpr

from ... import ast
from ...engines import matpoly as M
from ...errors import SpecError, Unsupported
from ...model.expressions import Seq
from ...model.problem import Problem
from ...sentence import Rel, join, say
from ...steps import Step, make_step
from ..registry import Derived, make_answer
from .common import _dedupe, _name_of, _need_math, _text, leaf_form, node_where, shown_alike
from .identities import GENERIC_SIZE
from .tidy import tidy


def _transpose_fact() -> Rel:
    """(AB)ᵀ = BᵀAᵀ, checked at random matrices."""
    n = GENERIC_SIZE
    A, B = sp.MatrixSymbol("A", n, n), sp.MatrixSymbol("B", n, n)
    return Rel(sp.Transpose(sp.MatMul(A, B)), "=", sp.MatMul(B.T, A.T))


def _factor_sums(e: Any, transposes: bool = True) -> tuple[Any, bool]:
    """Pull common factors out of every sum inside e (L x_i − L x_j = L(x_i − x_j)); with
    `transposes`, also open transposed products ((AB)ᵀ = BᵀAᵀ)."""
    if not isinstance(e, sp.Basic) or not e.args:
        return e, False
    changed = False
    args = []
    for a in e.args:
        na, c = _factor_sums(a, transposes)
        args.append(na)
        changed |= c
    if isinstance(e, sp.MatAdd):
        try:
            p = M.to_poly(sp.MatAdd(*args, evaluate=False))
        except Unsupported:
            return sp.MatAdd(*args, evaluate=False), changed
        fac = M.factor(p)
        if fac.gain > 0:
            return fac.expr, True
        return sp.MatAdd(*args, evaluate=False), changed
    if isinstance(e, sp.Transpose):
        inner = args[0]
        if isinstance(inner, sp.MatMul) and transposes:
            coef = [a for a in inner.args if not isinstance(a, MatrixExpr)]
            mats = [a for a in inner.args if isinstance(a, MatrixExpr)]
            return sp.MatMul(*coef, *[sp.Transpose(m) if not isinstance(m, sp.Transpose) else m.arg
                                      for m in reversed(mats)], evaluate=False), True
        return sp.Transpose(inner), changed
    if isinstance(e, sp.MatMul):
        flat = []
        for a in args:
            if isinstance(a, sp.MatMul):
                flat.extend(a.args)
            else:
                flat.append(a)
        return sp.MatMul(*flat, evaluate=False), changed
    if not changed:
        return e, False
    try:
        with sp.evaluate(False):
            return e.func(*args), True
    except (TypeError, ValueError):
        return e, False


def _rewrite_target(problem: Problem, node: ast.Expr, goal: str) -> tuple[Any, Any, list[Step], bool]:
    """(what the chain starts from, the leaf form, the substitution step, whether nodes were
    substituted) of the expression `expand` or `simplify` rewrites."""
    display = problem.display(node)
    if isinstance(display, Seq):
        raise SpecError(f"`{goal}` rewrites one expression; this is a list of tensors", node.pos)
    _need_math(display, node, goal)
    if isinstance(node, ast.Name) and problem.has(node.id):
        b = problem.names[node.id]
        if b.kind == "node" and b.definition is not None:
            display = b.definition
            sym = b.symbol
        else:
            sym = None
    else:
        sym = None
    leaf = leaf_form(problem, display)
    steps = []
    substituted = not shown_alike(tidy(leaf), tidy(display))
    chain = ([sym] if sym is not None else []) + [tidy(display)]
    if substituted:
        nodes = sorted({_name_of(problem, s) for s in display.free_symbols | display.atoms(sp.MatrixSymbol)
                        if _name_of(problem, s) and problem.names[_name_of(problem, s)].kind == "node"})
        defs = join([Rel(problem.names[n].symbol, "=", tidy(problem.names[n].definition), kind="definition")
                     for n in nodes])
        chain.append(tidy(leaf))
        steps.append(make_step("substitute", say("Substitute the definitions (", defs, "):") if defs else
                               "Substitute the definitions:", *_dedupe(chain), where=node_where(problem)))
    return (sym if sym is not None else tidy(display)), leaf, steps, substituted


def expand(problem: Problem, call: ast.Call) -> Derived:
    """Substitute the definitions, pull common factors out of the sums this creates and
    multiply out; the answer is the factored form when a factor came out, else the
    multiplied-out sum."""
    node = call.args[0]
    head, leaf, steps, substituted = _rewrite_target(problem, node, "expand")
    where = node_where(problem)
    p = M.to_poly(leaf)
    shown = tidy(leaf)
    pulled, _ = _factor_sums(shown, transposes=False)
    factored, changed = _factor_sums(pulled)
    answer = None
    if changed and not shown_alike(factored, shown):
        steps.append(make_step("factor", say("Pull the common factor out of each sum, then open the transposed "
                                             "product with ", _transpose_fact(), ":"), *_dedupe([head, shown, pulled, factored]),
                               where=where))
        answer = factored
    multiplied = M.poly_expr(p)
    if not shown_alike(multiplied, answer if answer is not None else shown):
        text = "Multiplied out (a 1×1 product equals its transpose, so the cross terms combine):" \
            if p.is_scalar() else "Multiplied out:"
        steps.append(make_step("expand", text, head, answer if answer is not None else shown, multiplied,
                               where=where))
    if answer is None:
        answer = multiplied
        text = _text(M.poly_expr(p, text=True))
    else:
        text = _text(answer)
    return Derived(make_answer(answer, text=text, value=None if answer.atoms(sp.MatrixSymbol) else "auto"),
                   tuple(steps))


def simplify(problem: Problem, call: ast.Call) -> Derived:
    """Multiply out and collect, then pull common factors out when that is shorter."""
    node = call.args[0]
    head, leaf, steps, substituted = _rewrite_target(problem, node, "simplify")
    where = node_where(problem)
    p = M.to_poly(leaf)
    shown = tidy(leaf)
    multiplied = M.poly_expr(p)
    if not shown_alike(multiplied, shown):
        steps.append(make_step("expand", "Multiply out and collect like terms:", head, shown, multiplied, where=where))
    best = M.factor(p)
    if p.is_scalar():
        sym = M.factor(p.symmetrized())
        if sym.gain > best.gain:
            best = sym
    answer = multiplied
    if best.gain > 0 and not shown_alike(best.expr, multiplied):
        steps.append(make_step("factor", "Collect the common factors:", head, multiplied, best.expr, where=where))
        answer = best.expr
        text = _text(answer)
    else:
        text = _text(M.poly_expr(p, text=True))
    return Derived(make_answer(answer, text=text, value=None if answer.atoms(sp.MatrixSymbol) else "auto"),
                   tuple(steps))
