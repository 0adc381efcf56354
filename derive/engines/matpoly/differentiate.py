"""Differentiating polynomials: the gradient of a scalar and the Jacobian of a column.

In: a `Poly` and the variable (a MatrixSymbol or a scalar Symbol).  Out: a `Poly` in
denominator layout (∂f/∂X has the shape of X; ∂y/∂x has one row per entry of y), one
contribution per occurrence of the variable, from ∂tr(P X Q)/∂X = PᵀQᵀ and
∂tr(P Xᵀ Q)/∂X = QP (the product rule over occurrences).
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from ...errors import Unsupported
from .chains import ONE, Chain, Factor, chain_T
from .poly import Poly, Term, make_term
from ...records import record

# ---- differentiation -------------------------------------------------------------------

@record
class Occurrence:
    """One place where the variable occurs in a scalar chain: s = P X Q (or P Xᵀ Q)."""

    index: int
    transposed: bool
    before: Chain
    after: Chain


def occurrences(s: Chain, x: Any) -> list[Occurrence]:
    return [Occurrence(i, f.t, s[:i], s[i + 1:]) for i, f in enumerate(s) if f.base == x]


def _identity_chain(n: Any) -> Chain:
    return (Factor(sp.Identity(n)),)


def occurrence_grad(occ: Occurrence, x: Any) -> Chain:
    """∂tr(P X Q)/∂X = PᵀQᵀ = (QP)ᵀ;  ∂tr(P Xᵀ Q)/∂X = QP."""
    qp = occ.after + occ.before
    if not qp:
        return _identity_chain(x.shape[0])
    return qp if occ.transposed else chain_T(qp)


def scalar_chain_grad(s: Chain, x: Any) -> list[Chain]:
    return [occurrence_grad(o, x) for o in occurrences(s, x)]


def grad(f: Poly, x: Any) -> Poly:
    """∂f/∂x of a scalar polynomial f (denominator layout: the shape of x)."""
    if not f.is_scalar():
        raise ValueError("grad needs a scalar polynomial")
    if isinstance(x, sp.Symbol):
        return Poly((ONE, ONE), [make_term(sp.diff(t.coef, x), t.scalars, t.chain, t.shape) for t in f.terms])
    out: list[Term | None] = []
    for t in f.terms:
        out.extend(term_grad(t, x))
    return Poly(x.shape, out)


def vshape(x: Any) -> tuple:
    """The shape of a variable (1×1 for a scalar symbol)."""
    return tuple(x.shape) if hasattr(x, "shape") else (ONE, ONE)


def term_grad(t: Term, x: Any) -> list[Term | None]:
    """Product rule over the scalar factors of a 1×1 term, then over occurrences."""
    if isinstance(x, sp.Symbol):
        return [make_term(sp.diff(t.coef, x), t.scalars, t.chain, t.shape)]
    out: list[Term | None] = []
    for k, s in enumerate(t.scalars):
        others = t.scalars[:k] + t.scalars[k + 1:]
        for ch in scalar_chain_grad(s, x):
            out.append(make_term(t.coef, others, ch, x.shape))
    return out


def jacobian(y: Poly, x: Any) -> Poly:
    """∂y/∂x for a column polynomial y (m×1) and a column variable x (n×1): an m×n Poly."""
    m = y.shape[0]
    n = x.shape[0]
    shape = (m, n)
    out: list[Term | None] = []
    for t in y.terms:
        out.extend(term_jacobian(t, x, shape))
    return Poly(shape, out)


def term_jacobian(t: Term, x: Any, shape: tuple) -> list[Term | None]:
    """∂(Π tr(sₖ) · u)/∂x = Σₖ u (∇tr(sₖ))ᵀ Π_{l≠k} + Π tr(sₖ) · ∂u/∂x."""
    out: list[Term | None] = []
    u = t.chain
    for k, s in enumerate(t.scalars):
        others = t.scalars[:k] + t.scalars[k + 1:]
        for g in scalar_chain_grad(s, x):
            out.append(make_term(t.coef, others, u + chain_T(g), shape))
    for occ in occurrences(u, x):
        if occ.after or occ.transposed:
            raise Unsupported("this Jacobian needs a tensor beyond matrices")
        p = occ.before if occ.before else _identity_chain(x.shape[0])
        out.append(make_term(t.coef, t.scalars, p, shape))
    return out


def hessian(f: Poly, x: Any) -> Poly:
    return jacobian(grad(f, x), x)
