"""Factoring a polynomial for display: common left/right factors and common coefficients
pulled out of sums (sympy cannot factor non-commutative products).

In: a `Poly`.  Out: `Factored(expr, gain)`, gain the number of factors pulled out.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from typing import Any

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixExpr

from .chains import ONE, Chain, Factor, chain_expr, chain_key, chain_shape, is_one
from .display import orient_scalar, poly_expr, scaled
from .poly import Poly, Term, make_term

# ---- factoring ------------------------------------------------------------------------

def _numeric_content(coefs: list) -> Any:
    """The common factor of the coefficients: gcd of the numbers, common symbolic factors,
    with the sign of the first coefficient."""
    nums, rests = [], []
    for c in coefs:
        n, r = sp.sympify(c, strict=True).as_coeff_Mul()
        nums.append(n)
        rests.append(r)
    g = reduce(sp.gcd, [abs(n) for n in nums]) if all(n.is_Rational for n in nums) else ONE
    common = ONE
    if all(r == rests[0] for r in rests) and rests[0] != 1:
        common = rests[0]
    sign = -1 if nums[0] < 0 else 1
    return sign * g * common


@dataclass
class Factored:
    """A display form: coef · left · (inner sum) · right, or a plain term list."""

    expr: Any
    gain: int   # how many factors were pulled out (0: nothing factored)


def factor(p: Poly, orient: Any = None) -> Factored:
    """A compact display form of p, pulling common factors out of its sum."""
    terms = p.sorted_terms()
    if len(terms) <= 1:
        return Factored(poly_expr(p, orient), 0)
    expr, gain = _factor_terms(terms, p.shape, orient)
    return Factored(expr, gain)


def _as_flat(t: Term, orient: Any = None) -> Chain:
    """A term's scalars and chain as one flat chain (only for terms whose scalars can
    be absorbed: 1×1 terms and column/row terms)."""
    scal = [orient_scalar(s, orient) for s in t.scalars]
    if not t.chain:
        return tuple(f for s in scal for f in s)
    r, c = chain_shape(t.chain)
    if is_one(c):
        return t.chain + tuple(f for s in scal for f in s)
    if is_one(r):
        return tuple(f for s in scal for f in s) + t.chain
    return t.chain if not t.scalars else ()


def _factor_terms(terms: list[Term], shape: tuple, orient: Any) -> tuple[Any, int]:
    flats = [_as_flat(t, orient) for t in terms]
    if any(not f for f in flats):
        return poly_expr(Poly(shape, terms), orient, order=terms), 0
    coefs = [t.coef for t in terms]
    return _factor_flat(list(zip(coefs, flats)), shape, orient, depth=0)


def _flat_poly(items: list[tuple[Any, Chain]], shape: tuple) -> Poly:
    out = []
    for c, ch in items:
        out.append(make_term(c, (), ch, shape) if ch else make_term(c, (), (), shape))
    return Poly(shape, out)


def _sum_expr(items: list[tuple[Any, Chain]], shape: tuple, orient: Any, depth: int) -> tuple[Any, int]:
    """Σ coef·chain with factoring tried on the sum."""
    if len(items) == 1:
        c, ch = items[0]
        body = chain_expr(ch) if ch else _identity_for(shape)
        return (body if c == 1 else sp.MatMul(c, body) if isinstance(body, MatrixExpr) else c * body), 0
    if depth < 4:
        return _factor_flat(items, shape, orient, depth + 1)
    return _plain_sum(items, shape), 0


def _identity_for(shape: tuple) -> Any:
    r, c = shape
    if is_one(r) and is_one(c):
        return ONE
    return sp.Identity(r)


def _plain_sum(items: list[tuple[Any, Chain]], shape: tuple) -> Any:
    exprs = []
    for c, ch in items:
        body = chain_expr(ch) if ch else _identity_for(shape)
        if c == 1:
            exprs.append(body)
        elif isinstance(body, (MatrixExpr, sp.MatrixBase)):
            exprs.append(sp.MatMul(c, body))
        else:
            exprs.append(c * body)
    if len(exprs) == 1:
        return exprs[0]
    if all(not isinstance(e, (MatrixExpr, sp.MatrixBase)) for e in exprs):
        return sp.Add(*exprs, evaluate=False)
    return _tidy_sum(exprs)


def _tidy_sum(exprs: list) -> Any:
    """x_iᵀ − x_jᵀ shown as (x_i − x_j)ᵀ."""
    if all(isinstance(e, sp.Transpose) or (isinstance(e, sp.MatMul) and len(e.args) == 2 and
                                           not isinstance(e.args[0], MatrixExpr) and
                                           isinstance(e.args[1], sp.Transpose)) for e in exprs):
        inner = [e.arg if isinstance(e, sp.Transpose) else sp.MatMul(e.args[0], e.args[1].arg) for e in exprs]
        return sp.Transpose(sp.MatAdd(*inner, evaluate=False))
    return sp.MatAdd(*exprs, evaluate=False)


def _prefix_len(chains: list[Chain]) -> int:
    n = 0
    while all(len(ch) > n for ch in chains) and len({ch[n].key for ch in chains}) == 1:
        n += 1
    return n


def _suffix_len(chains: list[Chain], pre: int) -> int:
    n = 0
    while all(len(ch) - pre > n for ch in chains) and len({ch[len(ch) - 1 - n].key for ch in chains}) == 1:
        n += 1
    return n


def _normalize(items: list[tuple[Any, Chain]]) -> tuple[Any, tuple]:
    """(c, key) with the items divided by c so that the first coefficient is 1."""
    items = sorted(items, key=lambda it: (len(it[1]), chain_key(it[1])))
    c0 = items[0][0]
    return c0, tuple((sp.simplify(c / c0), chain_key(ch)) for c, ch in items)


def _factor_flat(items: list[tuple[Any, Chain]], shape: tuple, orient: Any, depth: int) -> tuple[Any, int]:
    items = sorted(items, key=lambda it: (len(it[1]), chain_key(it[1])))
    chains = [ch for _, ch in items]
    coefs = [c for c, _ in items]
    content = _numeric_content(coefs) if len(items) > 1 else ONE
    pre = _prefix_len(chains)
    suf = _suffix_len(chains, pre)
    if pre or suf:
        left = chains[0][:pre]
        right = chains[0][len(chains[0]) - suf:] if suf else ()
        mids = [(c / content, ch[pre:len(ch) - suf]) for c, ch in items]
        mid_shape = (left[-1].shape[1] if left else shape[0], right[0].shape[0] if right else shape[1])
        if any(not ch for _, ch in mids) and not (mid_shape[0] == mid_shape[1]):
            return _plain_sum(items, shape), 0
        inner, g = _sum_expr(mids, mid_shape, orient, depth)
        parts = [f.expr() for f in left] + [inner] + [f.expr() for f in right]
        parts = [p for p in parts if not (isinstance(p, sp.Identity))] or [inner]
        body = sp.MatMul(*parts, evaluate=False) if len(parts) > 1 else parts[0]
        out = body if content == 1 else scaled(content, body)
        return out, pre + suf + g
    # group by the first factor: Σ_f f · R_f with all R_f equal up to a scalar
    for side in ("left", "right") if all(chains) else ():   # (an empty chain, the identity, has no first factor)
        groups: dict[tuple, list] = {}
        heads: dict[tuple, Factor] = {}
        for c, ch in items:
            f = ch[0] if side == "left" else ch[-1]
            groups.setdefault(f.key, []).append((c, ch[1:] if side == "left" else ch[:-1]))
            heads[f.key] = f
        if len(groups) < 2 or any(not ch for g in groups.values() for _, ch in g):
            continue
        norms = {k: _normalize(g) for k, g in groups.items()}
        keys = {n[1] for n in norms.values()}
        if len(keys) != 1:
            continue
        first = next(iter(groups))
        core_items = [(c / norms[first][0], ch) for c, ch in groups[first]]
        f0 = heads[first]
        core_shape = (f0.shape[1], shape[1]) if side == "left" else (shape[0], f0.shape[0])
        core, g = _sum_expr(core_items, core_shape, orient, depth)
        outer_items = [(norms[k][0], (heads[k],)) for k in groups]
        outer_shape = (shape[0], f0.shape[1]) if side == "left" else (f0.shape[0], shape[1])
        outer, g2 = _sum_expr(outer_items, outer_shape, orient, depth)
        parts = [outer, core] if side == "left" else [core, outer]
        return sp.MatMul(*parts, evaluate=False), 1 + g + g2
    if content != 1 and len(items) > 1:
        inner = _plain_sum([(c / content, ch) for c, ch in items], shape)
        return scaled(content, inner), 0
    return _plain_sum(items, shape), 0
