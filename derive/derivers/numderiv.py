"""Exact derivatives of small explicit matrix expressions by the complex step.

In:  a sympy expression f whose only unknown is the matrix symbol x (everything else
     already replaced by explicit numbers: what the step checker produces at a random
     point), the value V of x, and whether f is a scalar ("grad") or a column ("jac").
Out: ∂f/∂x at V as an explicit sympy matrix of rationals, or None when the fast route
     does not apply (a node type it does not know, or irrational numbers), in which case
     the caller falls back to sympy's `diff` of the explicit polynomial.

Method: evaluate f once with numpy on complex matrices, all directions at once (a batch
of x = V + i·h·E_k, one per entry k of x); Im f / h is the derivative in direction E_k,
exact up to rounding (no subtraction, so h can be 1e-30).  The inputs are integers and
the expression's rationals have a known common denominator D, so the exact derivative is
an integer over D: it is rounded to that and accepted only when the rounding is clean.
"""
from __future__ import annotations

from functools import reduce
from math import lcm
from typing import Any

import numpy as np
import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixExpr

from ..model import functions as F

H = 1e-30


class _Skip(Exception):
    pass


def _num(e: Any) -> complex:
    if e.is_Integer or e.is_Rational:
        return complex(float(e))
    raise _Skip


def _eval(e: Any, x: Any, X: np.ndarray, B: int) -> np.ndarray:
    """Value of e as an array of shape (B, r, c) (matrices) or (B,) (scalars)."""
    if e == x:
        return X
    if isinstance(e, sp.MatrixBase):
        a = np.array([[_num(t) for t in row] for row in e.tolist()], dtype=complex)
        return np.broadcast_to(a, (B,) + a.shape)
    if isinstance(e, sp.Identity):
        n = int(e.shape[0])
        return np.broadcast_to(np.eye(n, dtype=complex), (B, n, n))
    if isinstance(e, sp.ZeroMatrix):
        return np.zeros((B, int(e.shape[0]), int(e.shape[1])), dtype=complex)
    if isinstance(e, sp.OneMatrix):
        return np.ones((B, int(e.shape[0]), int(e.shape[1])), dtype=complex)
    if isinstance(e, sp.MatAdd):
        return reduce(lambda a, b: a + b, (_as_matrix(_eval(a, x, X, B)) for a in e.args))
    if isinstance(e, sp.MatMul):
        out = None
        scal = np.ones(B, dtype=complex)
        for a in e.args:
            v = _eval(a, x, X, B)
            if v.ndim == 1:
                scal = scal * v
            else:
                out = v if out is None else out @ v
        if out is None:
            return scal
        return out * scal[:, None, None]
    if isinstance(e, sp.Transpose):
        return np.swapaxes(_eval(e.arg, x, X, B), 1, 2)
    if isinstance(e, sp.Trace):
        v = _eval(e.arg, x, X, B)
        return np.trace(v, axis1=1, axis2=2) if v.ndim == 3 else v
    if isinstance(e, sp.MatPow):
        base, n = e.args
        if not n.is_Integer or n < 1:
            raise _Skip
        v = _eval(base, x, X, B)
        out = v
        for _ in range(int(n) - 1):
            out = out @ v
        return out
    if isinstance(e, MatrixExpr):
        raise _Skip
    if e.is_Number:
        return np.full(B, _num(e))
    if isinstance(e, sp.Add):
        return reduce(lambda a, b: a + b, (_scalar(_eval(a, x, X, B)) for a in e.args))
    if isinstance(e, sp.Mul):
        return reduce(lambda a, b: a * b, (_scalar(_eval(a, x, X, B)) for a in e.args))
    if isinstance(e, sp.Pow):
        base, n = e.args
        if isinstance(base, F.Norm) and n.is_Integer and n > 0 and n % 2 == 0:
            v = _eval(base.args[0], x, X, B)
            sq = (v * v).sum(axis=(1, 2))
            return sq ** (int(n) // 2)
        if not n.is_Integer:
            raise _Skip
        return _scalar(_eval(base, x, X, B)) ** int(n)
    if isinstance(e, F.Sum):
        return _eval(e.args[0], x, X, B).sum(axis=(1, 2))
    if isinstance(e, F.MSE):
        a, b = (_eval(t, x, X, B) for t in e.args)
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
    try:
        if any(isinstance(a, (sp.Float,)) for a in f.atoms(sp.Number)):
            return None
        r, c = (int(s) for s in V.shape)
        n = r * c
        base = np.array([[_num(t) for t in row] for row in V.tolist()], dtype=complex)
        X = np.broadcast_to(base, (n, r, c)).copy()
        for k in range(n):
            X[k, k // c, k % c] += 1j * H
        val = _eval(f, x, X, n)
    except (_Skip, TypeError, ValueError, AttributeError):
        return None
    D = _denominator(f)
    if kind == "grad":
        val = _scalar(val)
        d = val.imag / H
        ints = _exact(d * D)
        if ints is None:
            return None
        return sp.ImmutableMatrix(r, c, [sp.Rational(int(v), D) for v in ints])
    if val.ndim != 3 or val.shape[2] != 1:
        return None
    d = val[:, :, 0].imag / H            # (entries of x, rows of f)
    ints = _exact(d * D)
    if ints is None:
        return None
    ints = ints.reshape(d.shape)
    return sp.ImmutableMatrix(d.shape[1], n, lambda i, j: sp.Rational(int(ints[j, i]), D))


def _exact(a: np.ndarray) -> np.ndarray | None:
    if not np.all(np.isfinite(a)) or np.max(np.abs(a), initial=0) > 2 ** 50:
        return None
    rounded = np.rint(a)
    if np.max(np.abs(rounded - a), initial=0) > 1e-6:
        return None
    return rounded
