"""Small helpers on values shared by the explanation modules.
"""
from __future__ import annotations

from typing import Any

import sympy as sp
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

SHOW_NUMBERS = 400          # substitute tensors into a displayed formula up to this many entries


def _big(x: Any) -> bool:
    if isinstance(x, sp.MatrixBase):
        return x.shape[0] * x.shape[1] > SHOW_NUMBERS
    return False


def _elementwise(fn, m: Any) -> Any:
    x = sp.Dummy("x", real=True)
    return ElementwiseApplyFunction(sp.Lambda(x, fn(x)), m)


def _nice(d: Any) -> Any:
    """A derivative in the textbook's form: factored when that is not longer (2(o − t))."""
    try:
        if sp.count_ops(d) > 40:
            return d
        f = sp.factor(d)
        return f if sp.count_ops(f) <= sp.count_ops(d) else d
    except (sp.PolynomialError, TypeError, ValueError, NotImplementedError):
        return d
