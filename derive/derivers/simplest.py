"""The simplest form of a value as derivers show it: `factor(cancel(together(x)))`.

In: a sympy expression.  Out: its fractions combined, cancelled and factored; a value
without symbols that is a rational number is that number at once (sympy's polynomial
routines take milliseconds to say so: a quarter of the Bayes posterior's derivation),
and each result is remembered for the run's repeated values.
"""
from __future__ import annotations

import functools
from typing import Any

import sympy as sp


def simplest(x: Any) -> Any:
    """factor(cancel(together(x))), at once for a rational number."""
    try:
        return _simplest(x)
    except TypeError:                  # (an unhashable value)
        return _work(x)


@functools.lru_cache(maxsize=1024)
def _simplest(x: Any) -> Any:
    return _work(x)


def _work(x: Any) -> Any:
    if isinstance(x, sp.Basic) and not x.free_symbols:
        value = x.doit()
        if isinstance(value, sp.Rational):
            return value
    return sp.factor(sp.cancel(sp.together(x)))
