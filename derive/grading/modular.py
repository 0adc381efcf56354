"""An answer's values at the key's random points, modulo the prime P = 2^61 - 1: the
short route for polynomial and rational answers ((x + 1)^2 (x - y) against its
expansion), in machine-sized integers where exact rationals grow.

In:  `lanes(points)`: the key's random points (derive.verify's draws: symbol -> sympy
     rational), as one tuple of residues per symbol; `residue(v)`: an exact value (int,
     Fraction) as a residue; `values(expr, lanes)`: a sympy expression built from
     rationals, symbols of the points, + and ×, and whole powers up to MAX_POWER.
Out: the residues, one per point, or None for anything else (another node, a symbol
     without a value, a denominator that is 0 mod P: a point where the exact value is not
     defined, or one chance in 2^61 that it is a multiple of P).

The verdict it serves is derive.grading.fast's "equal at each of the key's random
points".  Values that are equal are equal mod P; values that differ agree mod P only if
their difference is a multiple of P, about one chance in 2^61 (4·10^-19) at a point
where they differ, so the short route gives the exact route's verdict except with odds
of that order.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Any

import sympy as sp

P = (1 << 61) - 1
MAX_POWER = 4_096          # |n| in x^n (the reader's MAX_DEGREE)


class _Outside(Exception):
    """Not a rational function of the points' symbols: the exact route decides."""


def residue(v: Any) -> int | None:
    """An int or Fraction mod P (None: anything else, or a denominator that is 0 mod P)."""
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v % P
    if isinstance(v, Fraction) and v.denominator % P:
        return v.numerator * pow(v.denominator, -1, P) % P
    return None


def lanes(points: list[dict]) -> dict[Any, tuple[int, ...]] | None:
    """Each scalar symbol's residues at the points (None: a matrix symbol, or a value that
    is not a rational)."""
    out: dict[Any, list[int]] = {}
    for point in points:
        for s, v in point.items():
            r = residue(Fraction(int(v.p), int(v.q))) if isinstance(v, sp.Rational) else None
            if r is None or not isinstance(s, sp.Symbol):
                return None
            out.setdefault(s, []).append(r)
    return {s: tuple(rs) for s, rs in out.items()}


def values(expr: Any, lanes_: dict[Any, tuple[int, ...]], n: int) -> tuple[int, ...] | None:
    """The residues of `expr` at the n points of `lanes_`, or None (see the module docstring)."""
    try:
        return _walk(expr, lanes_, n)
    except (_Outside, ValueError, RecursionError):     # (ValueError: an inverse of 0 mod P)
        return None


def _walk(e: Any, lanes_: dict, n: int) -> tuple[int, ...]:
    if isinstance(e, sp.Symbol):
        try:
            return lanes_[e]
        except KeyError:
            raise _Outside from None
    if isinstance(e, sp.Rational):
        p, q = int(e.p), int(e.q)
        if q % P == 0:
            raise _Outside
        return ((p if q == 1 else p * pow(q, -1, P)) % P,) * n
    if isinstance(e, sp.Add):
        out = _walk(e.args[0], lanes_, n)
        for t in e.args[1:]:
            out = [(a + b) % P for a, b in zip(out, _walk(t, lanes_, n))]
        return tuple(out)
    if isinstance(e, sp.Mul):
        out = _walk(e.args[0], lanes_, n)
        for t in e.args[1:]:
            out = [a * b % P for a, b in zip(out, _walk(t, lanes_, n))]
        return tuple(out)
    if isinstance(e, sp.Pow) and isinstance(e.exp, sp.Integer):
        k = int(e.exp)
        if abs(k) > MAX_POWER:
            raise _Outside
        return tuple([pow(a, k, P) for a in _walk(e.base, lanes_, n)])
    raise _Outside
