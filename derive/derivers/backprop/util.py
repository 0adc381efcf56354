"""Small helpers on values shared by the explanation modules.
"""
from __future__ import annotations

from typing import Any

import sympy as sp
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

SHOW_NUMBERS = 400          # substitute tensors into a displayed formula up to this many entries
FACTOR_SYMBOLS = 8          # factor a derivative of at most this many symbols (the cost of factoring
                            # doubles with every two more: 5 s for the 32 of a 4×4 read-out)


def _big(x: Any) -> bool:
    if isinstance(x, sp.MatrixBase):
        return x.shape[0] * x.shape[1] > SHOW_NUMBERS
    return False


def _elementwise(fn, m: Any) -> Any:
    x = sp.Dummy("x", real=True)
    return ElementwiseApplyFunction(sp.Lambda(x, fn(x)), m)


def _nice(d: Any) -> Any:
    """A derivative in the textbook's form: factored when that is not longer (2(o − t)); one
    of many symbols (a read-out of a whole feature map) is left as the rules built it."""
    try:
        if sp.count_ops(d) > 40 or len(getattr(d, "free_symbols", ())) > FACTOR_SYMBOLS:
            return d
        f = sp.factor(d)
        return f if sp.count_ops(f) <= sp.count_ops(d) else d
    except (sp.PolynomialError, TypeError, ValueError, NotImplementedError):
        return d
