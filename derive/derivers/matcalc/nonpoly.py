"""`grad(L, X)` of a scalar L that is not a polynomial in the matrices: traces, Hadamard
products, sums of elementwise products, elementwise exp/log/sigmoid/tanh, softmax (and
the softmax cross-entropy), norms that are not squared, inverses, det and log det.

In:  the problem and the goal call (`grad_steps`: also L's symbol, its display and leaf forms, and X).
Out: `Derived(answer, steps)` from derive.engines.matdiff, or None when L has a part no
     rule covers.  The identities the step names are facts of the Matrix Cookbook; the
     gradient itself is checked by make_step at random matrices against entry-by-entry
     differentiation of L.
"""
from __future__ import annotations

import math
from typing import Any

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixExpr

from ...engines import matdiff
from ...engines.matpoly import GradientOf
from ...errors import Unsupported
from ...model import functions as F
from ...model.problem import Problem
from ...sentence import Math, Rel, join, say
from ...steps import make_step
from ..registry import Derived, make_answer
from ..request import GoalCall
from .common import LAYOUT, D, _definition_steps, _loss_in, _text, _with_values, differentiated, node_where
from .identities import GENERIC_SIZE
from .tidy import tidy


def nonpoly_grad(problem: Problem, call: GoalCall) -> Derived | None:
    """The reverse-mode gradient with the identities it uses, or None (an unspecified loss,
    a variable that is not a matrix symbol, a part no rule covers)."""
    t = differentiated(problem, call, "grad")
    if _loss_in(t.leaf) is not None:
        return None
    found = grad_steps(problem, call, t.f_sym, t.display, t.leaf, t.x)
    if found is None:
        return None
    shown, steps, _ = found
    value, answer, text_expr, more = _with_values(problem, shown, shown)
    return Derived(make_answer(answer, text=_text(text_expr), value=value), tuple(steps + more))


def grad_steps(problem: Problem, call: GoalCall, f_sym: Any, display: Any, leaf: Any, x: Any
               ) -> tuple[Any, list, dict] | None:
    """(∂L/∂x shown, the steps, the check's where map), or None when no rule covers L."""
    if not isinstance(x, sp.MatrixSymbol):
        return None
    try:
        shown = one_inverse_transpose(tidy(clean(matdiff.gradient(leaf, x))))
    except Unsupported:
        return None
    where = check_where(problem, x, f_sym, leaf, shown)
    steps = list(_definition_steps(problem, call.args[0], f_sym, display, leaf))
    facts = identities(leaf, x)
    text = say(Math(f_sym), " is not a polynomial in ", Math(x), ": differentiate it backwards through the "
               f"expression by the chain rule ({LAYOUT})" + (", with " if facts else ""),
               join(facts, last=" and ") if facts else "", ":")
    steps.append(checked_step(call, "chain_rule", text, D(f_sym, x), shown, where=where))
    return shown, steps, where


def one_inverse_transpose(e: Any) -> Any:
    """(S⁻¹)ᵀ written (Sᵀ)⁻¹ where e also holds (Sᵀ)⁻¹, so that a sum such as
    ∂/∂S [log det S + xᵀS⁻¹x] writes S⁻ᵀ one way."""
    if not isinstance(e, sp.Basic):
        return e
    inverted = {p.base.arg for p in e.atoms(sp.MatPow)
                if isinstance(p.base, sp.Transpose) and p.exp.is_negative}
    swap = {t: sp.Inverse(sp.Transpose(t.arg.arg)) for t in e.atoms(sp.Transpose)
            if isinstance(t.arg, sp.Inverse) and t.arg.arg in inverted}
    return e.xreplace(swap) if swap else e


def check_where(problem: Problem, x: Any, f_sym: Any, leaf: Any, *shown: Any) -> dict:
    """The where map of a check: the nodes' values, L's, and explicit ones for every 𝟏."""
    ones = matdiff.for_check(leaf, *shown)
    return {**node_where(problem, frozenset({x})), f_sym: leaf.xreplace(ones), **ones}


def checked_step(call: GoalCall, rule: str, text: Any, *chain: Any, where: dict) -> Any:
    """make_step, with a closed form the checker cannot evaluate an Unsupported at the goal."""
    try:
        return make_step(rule, text, *chain, where=where)
    except (TypeError, ValueError):
        raise Unsupported(f"derive found a closed form ({chain[-1]}) but could not evaluate it at random "
                          "matrices to check it, so it is not shown", call.pos) from None


def clean(e: Any) -> Any:
    """Identity factors dropped, −(a + b) opened, nested products flattened."""
    if not isinstance(e, sp.Basic) or not e.args or not isinstance(e, MatrixExpr):
        return e
    args = [clean(a) for a in e.args]
    if isinstance(e, sp.MatMul):
        args = [b for a in args for b in (a.args if isinstance(a, sp.MatMul) else (a,))]
        args = [b for a in args for b in (_content(a) if isinstance(a, sp.MatAdd) else (a,))]
        mats = [a for a in args if isinstance(a, MatrixExpr) and not isinstance(a, sp.Identity)]
        coef = sp.Mul(*[a for a in args if not isinstance(a, MatrixExpr)])
        if not mats:
            return e
        if coef == -1 and len(mats) == 1 and isinstance(mats[0], sp.MatAdd):
            return sp.MatAdd(*[clean(sp.MatMul(-1, a)) for a in mats[0].args])
        return sp.MatMul(coef, *mats) if coef != 1 else (mats[0] if len(mats) == 1 else sp.MatMul(*mats))
    if isinstance(e, sp.MatAdd):
        return collect([b for a in args for b in (a.args if isinstance(a, sp.MatAdd) else (a,))])
    if isinstance(e, sp.Transpose):
        return transposed(args[0])
    try:
        return e.func(*args)
    except (TypeError, ValueError):
        return e


def _content(s: Any) -> tuple:
    """A factor ½x − ½μ of a product as (½, x − μ): the terms' common rational factor
    pulled out; (s,) when there is none."""
    coefs = []
    for t in s.args:
        c = sp.Mul(*[f for f in t.args if not isinstance(f, MatrixExpr)]) if isinstance(t, sp.MatMul) else sp.S.One
        if not c.is_Rational or c == 0:
            return (s,)
        coefs.append(abs(c))
    k = sp.Rational(math.gcd(*[int(c.p) for c in coefs]), math.lcm(*[int(c.q) for c in coefs]))
    if k == 1:
        return (s,)
    return k, sp.MatAdd(*[clean(sp.MatMul(1 / k, t)) for t in s.args])


def transposed(a: Any) -> Any:
    """aᵀ pushed inside: (Aᵀ)ᵀ = A, (cAB)ᵀ = cBᵀAᵀ, (A + B)ᵀ = Aᵀ + Bᵀ; a symbol's stays."""
    if isinstance(a, sp.Transpose):
        return a.arg
    if isinstance(a, sp.MatMul):
        coef = [f for f in a.args if not isinstance(f, MatrixExpr)]
        mats = [transposed(f) for f in reversed([f for f in a.args if isinstance(f, MatrixExpr)])]
        return clean(sp.MatMul(*coef, *mats))
    if isinstance(a, sp.MatAdd):
        return clean(sp.MatAdd(*[transposed(t) for t in a.args]))
    return sp.Transpose(a)


def collect(terms: list) -> Any:
    """c₁·M + c₂·M + ... as (c₁ + c₂ + ...)·M, the coefficient simplified (σ(t) − y for
    −y(1 − σ(t)) + (1 − y)σ(t))."""
    groups: dict = {}
    for a in terms:
        coef, mats = (sp.Mul(*[f for f in a.args if not isinstance(f, MatrixExpr)]),
                      tuple(f for f in a.args if isinstance(f, MatrixExpr))) if isinstance(a, sp.MatMul) \
            else (sp.Integer(1), (a,))
        groups.setdefault(mats, []).append(coef)
    out = []
    for mats, coefs in groups.items():
        c = sp.Add(*coefs)
        sig = sorted(c.atoms(F.sigmoid), key=sp.default_sort_key)
        if len(sig) == 1:
            c = matdiff.nicer(c, sig[0].args[0])
        if c != 0:
            out.append(mats[0] if c == 1 and len(mats) == 1 else sp.MatMul(*([c] if c != 1 else []), *mats))
    if not out:
        return sp.ZeroMatrix(*terms[0].shape)
    return out[0] if len(out) == 1 else sp.MatAdd(*out)


CLAIM = "claim"


def identities(leaf: Any, x: Any) -> list[Rel]:
    """The Matrix Cookbook identities behind the rules that L's parts need: claims on
    generic symbols, each checked at random matrices (∂Σlog u/∂u = u^∘−1 too: both sides
    are the same analytic function of each entry, so the check holds at any point off 0)."""
    n = GENERIC_SIZE
    A, Xg = sp.MatrixSymbol("A", n, n), sp.MatrixSymbol("X", n, n)
    u, a = sp.MatrixSymbol("u", n, 1), sp.MatrixSymbol("a", n, 1)
    out = []
    if leaf.atoms(sp.Trace):
        out.append(Rel(GradientOf(sp.Trace(sp.MatMul(Xg, A)), Xg), "=", A.T, kind=CLAIM))
    if leaf.atoms(sp.HadamardProduct):
        out.append(Rel(GradientOf(F.Sum(sp.HadamardProduct(a, u)), u), "=", a, kind=CLAIM))
    if leaf.atoms(sp.Determinant):
        out.append(Rel(GradientOf(sp.log(sp.Determinant(Xg)), Xg), "=", sp.Transpose(sp.Inverse(Xg)), kind=CLAIM))
    if leaf.atoms(sp.Inverse):
        out.append(Rel(GradientOf(sp.Trace(sp.MatMul(A, sp.Inverse(Xg))), Xg), "=",
                       -sp.MatMul(sp.Transpose(sp.Inverse(Xg)), A.T, sp.Transpose(sp.Inverse(Xg))), kind=CLAIM))
    if any(not (isinstance(p, sp.Pow) and p.exp == 2) for p in _norm_parents(leaf)):
        out.append(Rel(GradientOf(F.Norm(u), u), "=", sp.MatMul(sp.Pow(F.Norm(u), -1), u), kind=CLAIM))
    for f in sorted({type(w.function.expr).__name__ for w in leaf.atoms(matdiff.EW)}):
        fn = {"exp": sp.exp, "log": sp.log, "sigmoid": F.sigmoid, "tanh": sp.tanh}.get(f)
        if fn is not None:
            ew = F.elementwise(fn, u)
            out.append(Rel(GradientOf(F.Sum(ew), u), "=", matdiff._ew_derivative(ew), kind=CLAIM))
    if leaf.atoms(F.SoftmaxMatrix):
        s = F.SoftmaxMatrix(u)
        out.append(Rel(GradientOf(F.Sum(sp.HadamardProduct(a, F.elementwise(sp.log, s))), u), "=",
                       sp.MatAdd(a, -sp.MatMul(F.Sum(a), s)), kind=CLAIM))
    return out


def _norm_parents(e: Any) -> list:
    """Each norm in e with what it sits in (its Pow when squared)."""
    out = []
    for node in sp.preorder_traversal(e):
        if isinstance(node, sp.Pow) and isinstance(node.base, F.Norm):
            out.append(node)
    bare = [m for m in e.atoms(F.Norm) if not any(p.base == m for p in out)]
    return out + bare
