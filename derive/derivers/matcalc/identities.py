"""The identity that differentiates one scalar term, as a student names it.

In:  a canonical term of a polynomial (derive.engines.matpoly.Term) and the variable.
Out: `TermGrad`: a sentence naming the identity, the identity's form instantiated for the
     term (e.g. (A + Aᵀ)x) and the term's gradient as a Poly.

The identity is a `Rel` claim on generic symbols (∂(aᵀx)/∂x = a with a a fresh vector of
the right shape), so make_step checks it at random matrices like any other equality; the
symbols are tied to the term by definitions (`a = Xᵀy`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy as sp

from ...engines import matpoly as M
from ...engines.matpoly import GradientOf, JacobianOf, Poly
from ...sentence import Math, Rel, Sentence, say
from .common import _vector


# The size of the generic symbols an identity is stated in (a name no spec can declare, so
# a step's `where` never binds a matrix of this shape).
GENERIC_SIZE = sp.Symbol("n_identity", integer=True, positive=True)


@dataclass
class TermGrad:
    """The derivative of one term: what identity it uses and the result."""

    term: M.Term
    text: Sentence
    middle: Any          # the identity's form (e.g. (A + Aᵀ)x), or None
    result: Poly


def generic(name: str, shape: tuple, avoid: set) -> sp.MatrixSymbol:
    """A fresh matrix symbol for an identity (`name`, primed while it would clash with a
    name of the term)."""
    while name in avoid:
        name += "'"
    return sp.MatrixSymbol(name, *shape)


def _names(t: M.Term, x: Any) -> set:
    return {f.base.name for s in (*t.scalars, t.chain) for f in s if isinstance(f.base, sp.MatrixSymbol)} \
        | {getattr(x, "name", "")}


def _constant(t: M.Term, others: tuple, od: Any) -> Any:
    """The constant factor of a term: its coefficient times the scalars free of x (or None)."""
    inner = [M.Inner(M.chain_expr(M.orient_scalar(s, od))) for s in others]
    if not inner:
        return None if t.coef == 1 else t.coef
    return sp.Mul(*([] if t.coef == 1 else [t.coef]), *inner, evaluate=False)


def _with_constant(k: Any, body: Any) -> Any:
    return body if k is None else M.scaled(k, body)


def explain_term(t: M.Term, x: Any, prefer: frozenset = frozenset()) -> TermGrad:
    """Name the identity that differentiates the scalar term t with respect to x."""
    res = Poly(M.vshape(x), M.term_grad(t, x))
    if not M.term_depends(t, x):
        return TermGrad(t, say("does not depend on ", Math(x), ", so its derivative is ", Math(sp.Integer(0)), "."),
                        None, res)
    if isinstance(x, sp.Symbol):
        return TermGrad(t, say("depends on ", Math(x), " only through its coefficient:"), None, res)
    od = M.Orient(None, prefer)
    dep = [s for s in t.scalars if any(f.base == x for f in s)]
    if len(dep) == 1:
        others = tuple(s for s in t.scalars if s is not dep[0])
        k = _constant(t, others, od)
        c = M.scaled(t.coef, *[M.Inner(M.chain_expr(M.orient_scalar(o, od))) for o in others]) if others \
            else t.coef
        s = M.orient_scalar(dep[0], M.Orient(x, prefer))
        found = (_vector_identity if _vector(x) else _matrix_identity)(t, s, x, k, c, _names(t, x), res)
        if found is not None:
            return found
    return _product_rule(t, x, res)


def _vector_identity(t: M.Term, s: M.Chain, x: Any, k: Any, c: Any, avoid: set, res: Poly) -> TermGrad | None:
    """aᵀx, xᵀx and xᵀAx (symmetric or not)."""
    occ = M.occurrences(s, x)
    if len(occ) == 1 and occ[0].index == len(s) - 1 and not occ[0].transposed:
        a_chain = M.chain_T(occ[0].before)
        a = generic("a", M.chain_shape(a_chain), avoid)
        return TermGrad(t, say("is ", Math(_with_constant(k, sp.MatMul(a.T, x))), " with ",
                               Rel(a, "=", M.chain_expr(a_chain), kind="definition"), "; by ",
                               Rel(GradientOf(sp.MatMul(a.T, x), x), "=", a), ":"), None, res)
    if not (len(occ) == 2 and occ[0].index == 0 and occ[0].transposed and occ[1].index == len(s) - 1
            and not occ[1].transposed):
        return None
    inner = s[1:-1]
    if not inner:
        return TermGrad(t, say("is ", Math(_with_constant(k, sp.MatMul(x.T, x))), "; by ",
                               Rel(GradientOf(sp.MatMul(x.T, x), x), "=", sp.MatMul(2, x)), ":"), None, res)
    Ae = M.chain_expr(inner)
    A = generic("A", M.chain_shape(inner), avoid)
    quad = sp.MatMul(x.T, A, x)
    text = say("is ", Math(_with_constant(k, quad)), " with ", Rel(A, "=", Ae, kind="definition"), "; by ",
               Rel(GradientOf(quad, x), "=", sp.MatMul(sp.MatAdd(A, A.T), x)))
    if M.symmetric_chain(inner):
        mid = M.scaled(c, sp.MatAdd(Ae, sp.Transpose(Ae), evaluate=False), x)
        return TermGrad(t, say(text, ", and ", Rel(Ae, "=", sp.Transpose(Ae)), " here, so it is ",
                               Math(sp.MatMul(2, A, x)), ":"), mid, res)
    mid = M.scaled(c, sp.MatAdd(Ae, sp.Transpose(M.chain_expr(inner)), evaluate=False), x)
    return TermGrad(t, say(text, ":"), mid, res)


def _matrix_identity(t: M.Term, s: M.Chain, X: Any, k: Any, c: Any, avoid: set, res: Poly) -> TermGrad | None:
    """aᵀXb, aᵀXᵀb and tr(AXB), tr(AXᵀB) for one occurrence of a matrix X."""
    occ = M.occurrences(s, X)
    if len(occ) != 1:
        return None
    o = occ[0]
    P, Q = o.before, o.after
    Xo = sp.Transpose(X) if o.transposed else X
    if P and Q and M.is_one(M.chain_shape(P)[0]) and M.is_one(M.chain_shape(Q)[1]):
        a_chain, b_chain = M.chain_T(P), Q
        a, b = generic("a", M.chain_shape(a_chain), avoid), generic("b", M.chain_shape(b_chain), avoid)
        form = sp.MatMul(a.T, Xo, b)
        rhs = sp.MatMul(b, a.T) if o.transposed else sp.MatMul(a, b.T)
        return TermGrad(t, say("is ", Math(_with_constant(k, form)), " with ",
                               Rel(a, "=", M.chain_expr(a_chain), kind="definition"), ", ",
                               Rel(b, "=", M.chain_expr(b_chain), kind="definition"), "; by ",
                               Rel(GradientOf(form, X), "=", rhs), ":"), None, res)
    rows, cols = Xo.shape
    outer = M.chain_shape(P)[0] if P else (M.chain_shape(Q)[1] if Q else cols)
    A, B = generic("A", (outer, rows), avoid), generic("B", (cols, outer), avoid)
    form = sp.Trace(sp.MatMul(A, Xo, B))
    rhs = sp.MatMul(B, A) if o.transposed else sp.MatMul(A.T, B.T)
    return TermGrad(t, say("has one factor ", Math(X), "; by ", Rel(GradientOf(form, X), "=", rhs), ":"),
                    None, res)


def _product_rule(t: M.Term, X: Any, res: Poly) -> TermGrad:
    """Several occurrences: one contribution each, from the trace identities."""
    n = sum(len(M.occurrences(s, X)) for s in t.scalars)
    avoid = _names(t, X)
    rows, cols = X.shape
    P, Q = generic("P", (1, rows), avoid), generic("Q", (cols, 1), avoid)
    Pt, Qt = generic("P", (1, cols), avoid), generic("Q", (rows, 1), avoid)
    return TermGrad(t, say("contains ", Math(X), f" {n} times; by the product rule it contributes one term per "
                           "occurrence, each from ", Rel(GradientOf(sp.MatMul(P, X, Q), X), "=", sp.MatMul(P.T, Q.T)),
                           " (and ", Rel(GradientOf(sp.MatMul(Pt, X.T, Qt), X), "=", sp.MatMul(Qt, Pt)),
                           " for an occurrence of the transpose), the other occurrences held fixed:"), None, res)


def product_rule_fact(x: Any) -> Rel:
    """∂(s u)/∂x = u (∂s/∂x)ᵀ + s ∂u/∂x for a scalar s and a vector u of x: a stated fact."""
    n = x.shape[0]
    s, u = sp.Symbol("s"), sp.MatrixSymbol("u", n, 1)
    return Rel(JacobianOf(sp.MatMul(s, u), x), "=",
               sp.MatAdd(sp.MatMul(u, sp.Transpose(GradientOf(s, x))), sp.MatMul(s, JacobianOf(u, x))),
               kind="fact")


def linear_fact(x: Any) -> Rel:
    """∂(Ax)/∂x = A, checked at random matrices."""
    A = sp.MatrixSymbol("A", GENERIC_SIZE, x.shape[0])
    return Rel(JacobianOf(sp.MatMul(A, x), x), "=", A)
