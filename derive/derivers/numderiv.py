"""Exact derivatives of small explicit matrix expressions by the complex step.

In:  a sympy expression f whose only unknown is the matrix symbol x (everything else
     already replaced by explicit numbers: what the step checker produces at a random
     point), the value V of x, and whether f is a scalar ("grad") or a column ("jac").
Out: ∂f/∂x at V as an explicit sympy matrix of rationals, or None when the fast route
     does not apply (a node type it does not know, or irrational numbers), in which case
     the caller falls back to sympy's `diff` of the explicit polynomial.

Method: evaluate f once on complex matrices, all directions at once (a batch of
x = V + i·h·E_k, one per entry k of x); Im f / h is the derivative in direction E_k,
exact up to rounding (no subtraction, so h can be tiny).  When f holds only rationals,
numpy's complex128 is used: the inputs are integers and the rationals have a known
common denominator D, so the exact derivative is an integer over D; it is rounded to
that and accepted only when the rounding is clean.  When f holds exp, square roots or
other irrationals, the same evaluation runs on mpmath numbers at 60 digits (h = 1e-40)
and the derivative is returned as 50-digit Floats, which the checker compares with the
exact claim to 40 digits.
"""
from __future__ import annotations

from functools import reduce
from math import lcm
from typing import Any

import mpmath
import numpy as np
import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixElement, MatrixExpr

from ..model import functions as F

H = 1e-30
DPS = 60
H_MP = mpmath.mpf("1e-40")


class _Skip(Exception):
    pass


class _Ctx:
    """The number system of one evaluation: numpy complex128 (rationals) or mpmath (precise)."""

    def __init__(self, precise: bool):
        self.precise = precise
        self.dtype = object if precise else complex
        if precise:
            self._exp = np.frompyfunc(mpmath.exp, 1, 1)

    def num(self, e: Any) -> Any:
        if not self.precise:
            if e.is_Rational:
                return complex(float(e))
            raise _Skip
        if not e.is_number:
            raise _Skip
        with mpmath.workdps(DPS):
            return mpmath.mpc(mpmath.mpmathify(str(sp.N(e, DPS + 5))))

    def exp(self, v: np.ndarray) -> np.ndarray:
        if not self.precise:
            raise _Skip
        with mpmath.workdps(DPS):
            return self._exp(v)

    def power(self, v: np.ndarray, n: Any) -> np.ndarray:
        if n.is_Integer:
            return v ** int(n)
        if not self.precise:
            raise _Skip
        with mpmath.workdps(DPS):
            p = self.num(n)
            return np.frompyfunc(lambda t: mpmath.power(t, p), 1, 1)(v)


_CTX = _Ctx(False)


def _eval(e: Any, x: Any, X: np.ndarray, B: int, ctx: _Ctx = _CTX) -> np.ndarray:
    """Value of e as an array of shape (B, r, c) (matrices) or (B,) (scalars)."""
    if e == x:
        return X
    if isinstance(e, sp.MatrixBase):
        a = np.array([[ctx.num(t) for t in row] for row in e.tolist()], dtype=ctx.dtype)
        return np.broadcast_to(a, (B,) + a.shape)
    if isinstance(e, sp.Identity):
        n = int(e.shape[0])
        return np.broadcast_to(np.eye(n).astype(ctx.dtype), (B, n, n))
    if isinstance(e, sp.ZeroMatrix):
        return np.zeros((B, int(e.shape[0]), int(e.shape[1]))).astype(ctx.dtype)
    if isinstance(e, sp.OneMatrix):
        return np.ones((B, int(e.shape[0]), int(e.shape[1]))).astype(ctx.dtype)
    if isinstance(e, MatrixElement) and e.parent == x:
        return X[:, int(e.i), int(e.j)]
    if isinstance(e, sp.MatAdd):
        return reduce(lambda a, b: a + b, (_as_matrix(_eval(a, x, X, B, ctx)) for a in e.args))
    if isinstance(e, sp.MatMul):
        out = None
        scal = np.ones(B).astype(ctx.dtype)
        for a in e.args:
            v = _eval(a, x, X, B, ctx)
            if v.ndim == 1:
                scal = scal * v
            else:
                out = v if out is None else out @ v
        if out is None:
            return scal
        return out * scal[:, None, None]
    if isinstance(e, sp.Transpose):
        return np.swapaxes(_eval(e.arg, x, X, B, ctx), 1, 2)
    if isinstance(e, sp.Trace):
        v = _eval(e.arg, x, X, B, ctx)
        return np.trace(v, axis1=1, axis2=2) if v.ndim == 3 else v
    if isinstance(e, sp.MatPow):
        base, n = e.args
        if not n.is_Integer or n < 1:
            raise _Skip
        v = _eval(base, x, X, B, ctx)
        out = v
        for _ in range(int(n) - 1):
            out = out @ v
        return out
    if isinstance(e, MatrixExpr):
        raise _Skip
    if e.is_number and not e.free_symbols:
        return np.full(B, ctx.num(e), dtype=ctx.dtype)
    if isinstance(e, sp.exp):
        return ctx.exp(_scalar(_eval(e.args[0], x, X, B, ctx)))
    if isinstance(e, sp.Add):
        return reduce(lambda a, b: a + b, (_scalar(_eval(a, x, X, B, ctx)) for a in e.args))
    if isinstance(e, sp.Mul):
        return reduce(lambda a, b: a * b, (_scalar(_eval(a, x, X, B, ctx)) for a in e.args))
    if isinstance(e, sp.Pow):
        base, n = e.args
        if isinstance(base, F.Norm) and n.is_Integer and n > 0 and n % 2 == 0:
            v = _eval(base.args[0], x, X, B, ctx)
            sq = (v * v).sum(axis=(1, 2))
            return sq ** (int(n) // 2)
        if not n.is_number:
            raise _Skip
        return ctx.power(_scalar(_eval(base, x, X, B, ctx)), n)
    if isinstance(e, F.Sum):
        return _eval(e.args[0], x, X, B, ctx).sum(axis=(1, 2))
    if isinstance(e, F.MSE):
        a, b = (_eval(t, x, X, B, ctx) for t in e.args)
        d = a - b
        return (d * d).sum(axis=(1, 2)) / (d.shape[1] * d.shape[2])
    raise _Skip


def _as_matrix(v: np.ndarray) -> np.ndarray:
    return v if v.ndim == 3 else v[:, None, None]


def _scalar(v: np.ndarray) -> np.ndarray:
    if v.ndim == 3:
        if v.shape[1:] != (1, 1):
            raise _Skip
        return v[:, 0, 0]
    return v


def _denominator(f: Any) -> int:
    dens = [int(r.q) for r in f.atoms(sp.Rational)]
    return reduce(lcm, dens, 1)


def derivative(kind: str, f: Any, x: Any, V: sp.MatrixBase) -> sp.ImmutableMatrix | None:
    """∂f/∂x at x = V ("grad": scalar f, the shape of V; "jac": column f, rows × entries of V)."""
    if any(isinstance(a, sp.Float) for a in f.atoms(sp.Number)):
        return None
    rational = all(not a.is_number or a.is_Rational for a in f.atoms(sp.Number, sp.NumberSymbol)) \
        and not f.atoms(sp.exp, sp.log) and all(p.exp.is_Integer for p in f.atoms(sp.Pow)
                                                   if not isinstance(p.base, F.Norm))
    try:
        r, c = (int(s) for s in V.shape)
        n = r * c
        if rational:
            base = np.array([[_CTX.num(t) for t in row] for row in V.tolist()], dtype=complex)
            X = np.broadcast_to(base, (n, r, c)).copy()
            for k in range(n):
                X[k, k // c, k % c] += 1j * H
            val = _eval(f, x, X, n, _CTX)
        else:
            ctx = _Ctx(True)
            with mpmath.workdps(DPS):
                base = np.array([[ctx.num(t) for t in row] for row in V.tolist()], dtype=object)
                X = np.empty((n, r, c), dtype=object)
                X[:] = base
                for k in range(n):
                    X[k, k // c, k % c] = X[k, k // c, k % c] + mpmath.mpc(0, H_MP)
                val = _eval(f, x, X, n, ctx)
    except (_Skip, TypeError, ValueError, AttributeError, ZeroDivisionError):
        return None
    if kind == "grad":
        val = _scalar(val)
        cols = val.reshape(n, 1)
    else:
        if val.ndim != 3 or val.shape[2] != 1:
            return None
        cols = val[:, :, 0]                    # (entries of x, rows of f)
    if not rational:
        with mpmath.workdps(DPS):
            d = [[sp.Float(mpmath.im(v) / H_MP, 50) for v in row] for row in cols]
        if kind == "grad":
            return sp.ImmutableMatrix(r, c, [row[0] for row in d])
        return sp.ImmutableMatrix(len(d[0]), n, lambda i, j: d[j][i])
    D = _denominator(f)
    ints = _exact(cols.imag / H * D)
    if ints is None:
        return None
    if kind == "grad":
        return sp.ImmutableMatrix(r, c, [sp.Rational(int(v), D) for v in ints[:, 0]])
    return sp.ImmutableMatrix(cols.shape[1], n, lambda i, j: sp.Rational(int(ints[j, i]), D))


def _exact(a: np.ndarray) -> np.ndarray | None:
    if not np.all(np.isfinite(a)) or np.max(np.abs(a), initial=0) > 2 ** 50:
        return None
    rounded = np.rint(a)
    if np.max(np.abs(rounded - a), initial=0) > 1e-6:
        return None
    return rounded
