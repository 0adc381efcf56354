"""Rigorous enclosures of numeric sympy expressions: telling two numbers apart, or
equal to derive's tolerance, without sympy's adaptive `evalf`.

In:  a sympy expression without symbols, built from rationals, floats, π, e, + and ×,
     powers (whole exponents up to MAX_POWER, rational exponents of positive bases),
     exp (of arguments below MAX_EXP), log, sqrt and Abs.
Out: `bounds(x)`: rationals lo ≤ x ≤ hi (Fractions), proved by mpmath's interval
     arithmetic at PREC bits in a context of derive's own (mpmath's global `iv` is never
     touched); None for anything else (another node, a negative number under a root or
     a log, an interval that grew unbounded).
     `same(a, b, digits)`: derive.verify's rule for numbers, |a − b| ≤ 10^-(digits − 8) ·
     max(|a|, |b|, 1), when the enclosures settle it either way; None when they do not
     (a difference near the tolerance, or cancellation wider than the enclosure): then
     the caller asks sympy's `evalf` as before.

sympy's `N(a - b, 40)` raises its working precision step by step while the difference
cancels, which for log(9)/2 − log(3) (a true zero) takes half a millisecond; an
enclosure at 128 bits takes about a tenth of that and is a proof, not an estimate.
"""
from __future__ import annotations

import functools
import math
from fractions import Fraction
from typing import Any

import mpmath
import sympy as sp
from mpmath.ctx_iv import MPIntervalContext
from mpmath.libmp import to_float, to_rational

PREC = 128                 # bits (about 38 digits): derive.verify's tolerance is 10^-32, relative
MAX_POWER = 256            # |n| of a whole exponent
MAX_EXP = 10_000           # |x| in exp(x)
MAX_NODES = 500            # nodes of an expression (bigger ones go to sympy)

_IV = MPIntervalContext()
_IV._mp, _IV._iv = mpmath.mp, _IV
_IV.prec = PREC
_MP = mpmath.MPContext()            # (the comparisons' own context too: mpmath.mp's precision is the host's)
_MP.prec = PREC


class _Refused(Exception):
    """Outside what this module encloses."""


def bounds(x: Any) -> tuple[Fraction, Fraction] | None:
    """Rationals (lo, hi) with lo ≤ x ≤ hi, or None (see the module docstring)."""
    box = _box(x)
    if box is None:
        return None
    lo, hi = box._mpi_
    return Fraction(*to_rational(lo)), Fraction(*to_rational(hi))


@functools.lru_cache(maxsize=1024)
def _box(x: Any) -> Any:
    """The interval (an mpmath ivmpf) enclosing `x`, finite, or None; remembered for the
    last 1,024 numbers (a key is compared with many answers)."""
    try:
        box = _Walk().enclose(x)
    except (_Refused, ZeroDivisionError, ValueError, OverflowError, ArithmeticError, RecursionError):
        return None
    lo, hi = (_MP.make_mpf(t) for t in box._mpi_)
    return box if _MP.isfinite(lo) and _MP.isfinite(hi) else None


def same(a: Any, b: Any, digits: int) -> bool | None:
    """Whether |a - b| ≤ 10^-(digits - 8) · max(|a|, |b|, 1), when the enclosures
    decide it (None otherwise).  Floats decide first where their rounding (a part in
    10^16) cannot matter, the enclosures' own ends otherwise."""
    ba, bb = _box(a), _box(b)
    if ba is None or bb is None:
        return None
    near_t, far_t = abs(ba - bb)._mpi_              # |a - b| lies in [near, far]
    (a_lo, a_hi, fa_lo, fa_hi), (b_lo, b_hi, fb_lo, fb_hi) = _size(ba), _size(bb)
    tol, ftol = _tolerance(digits)
    f_near, f_far = to_float(near_t), to_float(far_t)
    if all(math.isfinite(v) for v in (f_near, f_far, fa_lo, fa_hi, fb_lo, fb_hi)):
        if f_far * 1.02 <= ftol * max(fa_lo, fb_lo, 1.0) * 0.98:
            return True
        if f_near * 0.98 >= ftol * max(fa_hi, fb_hi, 1.0) * 1.02:
            return False
    near, far = _MP.make_mpf(near_t), _MP.make_mpf(far_t)
    if far * 100 <= tol * max(a_lo, b_lo, 1) * 99:      # (a margin for sympy's own rounding of the sides)
        return True
    if near * 100 >= tol * max(a_hi, b_hi, 1) * 101:
        return False
    return None


@functools.lru_cache(maxsize=1024)
def _size(box: Any) -> tuple[Any, Any, float, float]:
    """The ends of |box|, as mpf and as floats (inf beyond a float's range): a number's
    enclosure is compared with many."""
    lo, hi = abs(box)._mpi_
    return _MP.make_mpf(lo), _MP.make_mpf(hi), to_float(lo), to_float(hi)   # (inf past a float's range)


@functools.lru_cache(maxsize=16)
def _tolerance(digits: int) -> tuple[Any, float]:
    return _MP.mpf(10) ** (8 - digits), 10.0 ** (8 - digits)


class _Walk:
    """One expression's walk, counting its nodes."""

    def __init__(self) -> None:
        self.nodes = 0

    def enclose(self, e: Any) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _Refused
        if isinstance(e, sp.Rational):
            return _IV.mpf(int(e.p)) / int(e.q) if e.q != 1 else _IV.mpf(int(e.p))
        if isinstance(e, sp.Float):
            return _IV.mpf(mpmath.mpf(e._mpf_))
        if e is sp.pi:
            return _IV.pi
        if e is sp.E:
            return _IV.e
        if isinstance(e, sp.Add):
            out = self.enclose(e.args[0])
            for t in e.args[1:]:
                out = out + self.enclose(t)
            return out
        if isinstance(e, sp.Mul):
            out = self.enclose(e.args[0])
            for t in e.args[1:]:
                out = out * self.enclose(t)
            return out
        if isinstance(e, sp.Pow):
            return self._power(e)
        if isinstance(e, sp.exp):
            x = self.enclose(e.args[0])
            if not (-MAX_EXP < x.a and x.b < MAX_EXP):
                raise _Refused
            return _IV.exp(x)
        if isinstance(e, sp.log) and len(e.args) == 1:
            return _IV.log(self._positive(e.args[0]))
        if isinstance(e, sp.Abs):
            return abs(self.enclose(e.args[0]))
        raise _Refused

    def _power(self, e: sp.Pow) -> Any:
        k = e.exp
        if isinstance(k, sp.Integer) and abs(k) <= MAX_POWER:
            base = self.enclose(e.base)
            if k < 0 and base.a <= 0 <= base.b:
                raise _Refused
            return base ** int(k)
        if isinstance(k, sp.Rational) and k.q == 2 and abs(k.p) <= MAX_POWER:
            root = _IV.sqrt(self._positive(e.base))
            return root ** int(k.p)
        if isinstance(k, (sp.Rational, sp.Float)) or k.is_number:
            return _IV.exp(self.enclose(k) * _IV.log(self._positive(e.base)))
        raise _Refused

    def _positive(self, e: Any) -> Any:
        x = self.enclose(e)
        if not x.a > 0:
            raise _Refused
        return x
