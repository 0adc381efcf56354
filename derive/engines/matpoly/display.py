"""Polynomials back to sympy expressions for display and for answer text.

In: a `Poly` or a `Term`, and how to orient each 1×1 product (`Orient`).  Out: sympy
matrix expressions in a stable order (smaller terms first).
"""
from __future__ import annotations

from typing import Any

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixExpr
from sympy.printing.pretty.stringpict import prettyForm

from .chains import ONE, Chain, Factor, chain_expr, chain_key, chain_shape, chain_T, is_one, split_chain, \
    _strip_identities
from .convert import ATOMS
from .differentiate import occurrences
from .poly import Poly, Term
from ...notation import mathml_fenced

# ---- display -------------------------------------------------------------------------

class Inner(sp.Trace):
    """A 1×1 product used as a scalar factor: prints as (aᵀMb), reads back as Trace(aᵀMb)."""

    def _latex(self, printer, **kw) -> str:
        return r"\left(%s\right)" % printer._print(self.arg)

    def _pretty(self, printer) -> prettyForm:
        return prettyForm(*printer._print(self.arg).parens())

    def _mathml_presentation(self, printer) -> Any:
        return mathml_fenced(printer, printer._print(self.arg))

    def _sympystr(self, printer) -> str:
        return "Trace(%s)" % printer._print(self.arg)


def term_expr(t: Term, orient: Any = None, text: bool = False) -> Any:
    """The term as a sympy expression; scalars in front in parentheses (display), or
    absorbed into the chain where the product stays valid (text)."""
    traces = [s for s in t.scalars if not (is_one(chain_shape(s)[0]) and is_one(chain_shape(s)[1]))]
    if traces:     # tr(MᵀM) and friends: scalar factors that are traces of square products
        rest = Term(t.coef, tuple(s for s in t.scalars if s not in traces), t.chain, t.shape)
        tr = [sp.Trace(chain_expr(s)) for s in traces]
        if not rest.scalars and not rest.chain:
            return sp.Mul(rest.coef, *tr)
        inner = term_expr(Term(ONE, rest.scalars, rest.chain, rest.shape), orient, text)
        return scaled(sp.Mul(rest.coef, *tr), inner) if isinstance(inner, MatrixExpr) else sp.Mul(rest.coef, *tr) * inner
    scal = [orient_scalar(s, orient) for s in t.scalars]
    if not t.chain and not scal:
        return t.coef
    if not t.chain:
        mats = [chain_expr(s) for s in scal]
        if len(mats) == 1:
            body = mats[0]
        elif text:
            body = sp.MatMul(*mats)
        else:
            body = sp.MatMul(*[Inner(m) for m in mats[:-1]], mats[-1])
        return body if t.coef == 1 else sp.MatMul(t.coef, body)
    r, c = chain_shape(t.chain)
    factors = [f.expr() for f in t.chain]
    if text and scal and is_one(c):
        factors = factors + [g.expr() for s in scal for g in s]
        scal = []
    elif text and scal and is_one(r):
        factors = [g.expr() for s in scal for g in s] + factors
        scal = []
    coef_parts = ([t.coef] if t.coef != 1 else []) + [Inner(chain_expr(s)) for s in scal]
    if not coef_parts and len(factors) == 1:
        return factors[0]
    return sp.MatMul(*coef_parts, *factors)


class Orient:
    """How to write each 1×1 product: with the variable `x` last when it occurs once
    (aᵀx rather than xᵀa), else as the original expression wrote it (`prefer`: chain keys
    of the 1×1 products found there, e.g. q_iᵀk_j = x_iᵀW_QᵀW_Kx_j), else with fewer
    transposes."""

    def __init__(self, x: Any = None, prefer: frozenset = frozenset()):
        self.x = x
        self.prefer = prefer


def preferred(*exprs: Any) -> frozenset:
    """The chain keys of the 1×1 products written in `exprs`, in their written orientation."""
    keys: set = set()
    for e in exprs:
        if not isinstance(e, sp.Basic):
            continue
        for m in e.atoms(sp.MatMul):
            ch = _raw_chain(m)
            if ch is None:
                continue
            if is_one(chain_shape(ch)[0]) and is_one(chain_shape(ch)[1]):
                keys.add(chain_key(_strip_identities(ch)))
            for seg in split_chain(ch):
                r, c = chain_shape(seg)
                if is_one(r) and is_one(c):
                    keys.add(chain_key(_strip_identities(seg)))
    return frozenset(keys)


def _raw_chain(e: Any) -> Chain | None:
    if isinstance(e, ATOMS):
        return (Factor(e),)
    if isinstance(e, sp.Transpose):
        inner = _raw_chain(e.arg)
        return chain_T(inner) if inner is not None else None
    if isinstance(e, sp.MatMul):
        out: list = []
        for a in e.args:
            if not isinstance(a, (MatrixExpr, sp.MatrixBase)):
                continue
            ch = _raw_chain(a)
            if ch is None:
                return None
            out.extend(ch)
        return tuple(out) if out else None
    return None


def orient_scalar(s: Chain, x: Any = None) -> Chain:
    """A 1×1 product written as `x` (an Orient, or the variable) asks."""
    r, c = chain_shape(s)
    if not (is_one(r) and is_one(c)):
        return s
    o = x if isinstance(x, Orient) else Orient(x)
    sT = chain_T(s)
    if o.x is not None:
        for cand in (s, sT):
            occ = occurrences(cand, o.x)
            if len(occ) == 1 and occ[0].index == len(cand) - 1 and not occ[0].transposed:
                return cand
    for cand in (s, sT):
        if chain_key(cand) in o.prefer:
            return cand
    # prefer the orientation with fewer transposes
    tcount = lambda ch: sum(1 for f in ch if f.t)
    return min((s, sT), key=lambda ch: (tcount(ch), chain_key(ch)))


def scaled(c: Any, *factors: Any) -> Any:
    """c · factors as one flat product (no coefficient 1, nested products opened)."""
    flat: list = []
    for f in factors:
        if isinstance(f, sp.MatMul):
            for a in f.args:
                if isinstance(a, (MatrixExpr, sp.MatrixBase)):
                    flat.append(a)
                else:
                    c = c * a
        elif f is not None:
            flat.append(f)
    coef = [c] if c != 1 else []
    if not coef and len(flat) == 1:
        return flat[0]
    return sp.MatMul(*coef, *flat, evaluate=False)


def poly_expr(p: Poly, orient: Any = None, text: bool = False, order: list[Term] | None = None) -> Any:
    """The polynomial as a sympy expression in a stable order (smaller terms first)."""
    terms = order if order is not None else p.sorted_terms()
    if not terms:
        r, c = p.shape
        return sp.ZeroMatrix(r, c) if not (is_one(r) and is_one(c)) else sp.Integer(0)
    exprs = [term_expr(t, orient, text) for t in terms]
    if len(exprs) == 1:
        return exprs[0]
    if all(not isinstance(e, (MatrixExpr, sp.MatrixBase)) for e in exprs):
        return sp.Add(*exprs, evaluate=False)
    if any(not isinstance(e, (MatrixExpr, sp.MatrixBase)) for e in exprs):   # 1×1: all as scalars
        wrap = Inner if text else sp.Trace       # Inner reads back as Trace(...); a bare 1×1 product would not
        return sp.Add(*[wrap(e) if isinstance(e, MatrixExpr) else e for e in exprs], evaluate=False)
    return sp.MatAdd(*exprs, evaluate=False)


def replace_keep_order(e: Any, mapping: dict) -> Any:
    """xreplace that keeps the written order of sums and products (for display)."""
    if not isinstance(e, sp.Basic):
        return e
    if e in mapping:
        return mapping[e]
    if not e.args:
        return e
    args = [replace_keep_order(a, mapping) for a in e.args]
    if all(a is b for a, b in zip(args, e.args)):
        return e
    if isinstance(e, (sp.MatAdd, sp.MatMul)):
        return e.func(*args, evaluate=False)
    if isinstance(e, (sp.Add, sp.Mul)):
        return e.func(*args, evaluate=False)
    return e.func(*args)
