"""Which family a kernel belongs to: a polynomial in pᵀq, or a Gaussian.

In: a `Kernel`.  Out: `as_polynomial_in_inner(k)` -> {degree: a_k} with k = Σ a_k (pᵀq)^k
(None when k involves exp, for the Gaussian reader), `as_gaussian(k)` -> (A, γ, β) with
k = A·exp(−γ‖p‖² − γ‖q‖² + β pᵀq) or None.  SpecErrors at the definition say why a
kernel has no feature map of these forms (a witness where k is not a function of pᵀq).

Bounded time: k is recognised as g(pᵀq) by substituting q₁ = (t − Σ_{i>1} p_i q_i)/p₁
(cheap, exact), the number of components is counted from g alone, and no expression is
expanded whose expansion would have more than MAX_TERMS terms (a LimitError at the
definition instead), so `(p @ q + 1)^10` in ℝ¹⁰⁰ is refused at once.
"""
from __future__ import annotations

import math
import random
from typing import Any

import sympy as sp

from ...errors import LimitError, SpecError
from .monomials import check_count
from .read import Kernel

MAX_TERMS = 20000


def expansion_terms(e: Any, cap: int = 10 ** 12) -> int:
    """An upper bound on the number of terms of sp.expand(e) (capped), from its tree alone."""
    if isinstance(e, sp.Add):
        return min(cap, sum(expansion_terms(a, cap) for a in e.args))
    if isinstance(e, sp.Mul):
        out = 1
        for a in e.args:
            out = min(cap, out * expansion_terms(a, cap))
        return out
    if isinstance(e, sp.Pow):
        m = expansion_terms(e.base, cap)
        if e.exp.is_Integer and e.exp > 0:
            return min(cap, math.comb(m + int(e.exp) - 1, int(e.exp)))
        return m
    if isinstance(e, sp.Function):      # exp(a + b) expands to exp(a)·exp(b): one term
        return max([1] + [min(cap, expansion_terms(a, cap)) for a in e.args])
    return 1


def _expand(k: Kernel, e: Any) -> Any:
    """sp.expand(e), or a LimitError at the kernel when the result would be too large."""
    terms = expansion_terms(e)
    if terms > MAX_TERMS:
        raise LimitError(f"writing `{k.name}(p, q)` out in the {2 * k.n} components of p and q would take "
                         f"up to {terms:,} terms; derive expands at most {MAX_TERMS:,}", k.pos)
    return sp.expand(e)


def inner_form(k: Kernel, t: sp.Symbol) -> Any:
    """g(t) with k(p, q) = g(pᵀq) read off the body, or None when that substitution leaves
    p or q behind (then k may still be g(pᵀq), only not visibly so)."""
    rest = sp.Add(*[a * b for a, b in zip(k.p[1:], k.q[1:])])
    try:
        g = k.body.xreplace({k.q[0]: (t - rest) / k.p[0]})
    except (TypeError, ValueError, ZeroDivisionError):   # pragma: no cover
        return None
    return g if not (g.free_symbols & set(k.p + k.q)) else None


def _witness(k: Kernel, g: Any, t: sp.Symbol) -> str:
    """Two (p, q) pairs with the same pᵀq but different k: the reason k ≠ g(pᵀq)."""
    rnd = random.Random(3)
    for trial in range(200):
        vals_p = [sp.Integer(rnd.randint(-2, 3)) for _ in k.p]
        vals_q = [sp.Integer(rnd.randint(-2, 3)) for _ in k.q]
        s = sum(a * b for a, b in zip(vals_p, vals_q))
        sub = dict(zip(k.p, vals_p)) | dict(zip(k.q, vals_q))
        try:
            here = sp.nsimplify(k.body.xreplace(sub))
            axis = sp.nsimplify(g.xreplace({t: s}))
        except (TypeError, ValueError, ZeroDivisionError):
            continue
        if here.is_number and axis.is_number and sp.simplify(here - axis) != 0:
            p0 = [s] + [0] * (k.n - 1)
            q0 = [1] + [0] * (k.n - 1)
            return (f"p = {list(map(int, vals_p))}, q = {list(map(int, vals_q))} and p = {p0}, q = {q0} have the "
                    f"same pᵀq = {s} but k = {here} and {axis}")
    return "its expansion has monomials p^α q^β with α ≠ β"


def _differs_somewhere(k: Kernel, g: Any, t: sp.Symbol, trials: int = 6) -> bool:
    """True if k(p, q) ≠ g(pᵀq) at one of a few random integer points (exact arithmetic, so
    True is certain; False means "equal so far", which the expansion then settles)."""
    if k.body.has(sp.exp):
        return False
    rnd = random.Random(11)
    for _ in range(trials):
        vals = {x: sp.Integer(rnd.randint(-9, 9)) for x in k.p + k.q}
        s = sum(vals[a] * vals[b] for a, b in zip(k.p, k.q))
        try:
            here, axis = k.body.xreplace(vals), g.xreplace({t: s})
        except (TypeError, ValueError, ZeroDivisionError):
            continue
        if here.is_Rational and axis.is_Rational and here != axis:
            return True
    return False


def _along_inner(k: Kernel, t: sp.Symbol) -> tuple[Any, bool]:
    """(g, whether k = g(pᵀq)): g read off exactly when possible, else along the p₁ axis and
    compared with k (at random points, then by a bounded expansion)."""
    g = inner_form(k, t)
    if g is not None:
        return g, True
    axis = {x: 0 for x in k.p[1:] + k.q[1:]}
    axis.update({k.p[0]: t, k.q[0]: sp.Integer(1)})
    g = k.body.xreplace(axis)
    if k.body.has(sp.exp) or _differs_somewhere(k, g, t):
        return g, False      # (an exp of pᵀq would have been read off above: the Gaussian reader's)
    s = sp.Add(*[a * b for a, b in zip(k.p, k.q)])
    if not k.body.has(sp.exp) and g.is_polynomial(t):
        check_count(k.n, [int(m[0]) for m in sp.Poly(g, t).monoms()], k.pos)   # before expanding
    try:
        return g, _expand(k, k.body - g.xreplace({t: s})) == 0
    except (TypeError, ValueError):   # pragma: no cover
        return g, False


def as_polynomial_in_inner(k: Kernel) -> dict[int, Any] | None:
    """{k: a_k} with k(p, q) = Σ a_k (pᵀq)^k, None if k is not a polynomial in pᵀq but has exp.

    Raises SpecError when k is no polynomial in pᵀq (and has no exp), LimitError when its
    feature map would be too large to list.
    """
    t = sp.Dummy("t")
    g, same = _along_inner(k, t)
    if not same:
        if k.body.has(sp.exp):
            return None
        raise SpecError(f"`{k.name}(p, q)` is not a polynomial in pᵀq, so it has no feature map of this "
                        f"form: {_witness(k, g, t)}", k.pos)
    if not g.is_polynomial(t):
        if g.has(sp.exp):
            return None
        raise SpecError(f"`{k.name}(p, q)` = g(pᵀq) with g(s) = {g.xreplace({t: sp.Symbol('s')})}, which is not a "
                        "polynomial (the powers of pᵀq must be whole numbers ≥ 0)", k.pos)
    poly = sp.Poly(g, t)
    check_count(k.n, [int(m[0]) for m in poly.monoms()], k.pos)
    coeffs = {int(m[0]): c for m, c in zip(poly.monoms(), poly.coeffs()) if c != 0}
    for deg, c in sorted(coeffs.items()):
        if c.is_number and c.is_negative:
            raise SpecError(f"`{k.name}(p, q)` has the coefficient {c} < 0 on (pᵀq)^{deg}; a valid kernel needs "
                            "every coefficient ≥ 0, so no real feature map exists", k.pos)
    return coeffs


def polynomial_or_none(k: Kernel) -> dict | None:
    """as_polynomial_in_inner, with None for a kernel that is no polynomial in pᵀq."""
    try:
        return as_polynomial_in_inner(k)
    except SpecError:
        return None


def as_gaussian(k: Kernel) -> tuple[Any, Any, Any] | None:
    """(A, γ, β) with k = A·exp(−γ‖p‖² − γ‖q‖² + β pᵀq), or None."""
    pq = set(k.p) | set(k.q)
    amp, rest = k.body.as_independent(*pq, as_Add=False)
    if not isinstance(rest, sp.exp):
        return None
    e = _expand(k, rest.args[0])
    if not e.is_polynomial(*pq) or sp.Poly(e, *pq).total_degree() > 2:
        return None
    zero = {x: 0 for x in pq}
    gamma = -e.coeff(k.p[0], 2).xreplace(zero)
    beta = sp.expand(e.diff(k.p[0]).diff(k.q[0])).xreplace(zero)
    sq_p = sp.Add(*[x ** 2 for x in k.p])
    sq_q = sp.Add(*[x ** 2 for x in k.q])
    s = sp.Add(*[a * b for a, b in zip(k.p, k.q)])
    if sp.expand(e - (-gamma * (sq_p + sq_q) + beta * s)) != 0 or beta == 0:
        return None
    for what, v in (("γ", gamma), ("the factor in front", amp)):
        if v.is_number and v.is_negative:
            raise SpecError(f"`{k.name}(p, q)` has {what} = {v} < 0, so it is not a valid kernel", k.pos)
    if beta.is_number and beta.is_negative:
        raise SpecError(f"`{k.name}(p, q)` = exp(... {beta}·pᵀq): a negative coefficient on pᵀq gives no real "
                        "feature map", k.pos)
    return amp, gamma, beta
