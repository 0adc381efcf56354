"""Unevaluated sympy expressions for display, without `with sympy.evaluate(False)`.

sympy's `evaluate(False)` block clears sympy's whole cache when it is entered and again
when it is left (a cached result built under one setting would be wrong under the other),
so every display form built that way made the computations after it start cold: about a
fifth of a seed-exam run.  These build the same trees by passing `evaluate=False` to each
constructor, which sympy caches under its own key:

* `xreplace(e, where)`: `e.xreplace(where)`, each rebuilt node left unevaluated;
* `add`, `mul`, `power`, `call`: `Add`, `Mul`, `Pow` or a function applied, unevaluated.

In: sympy expressions; out: sympy expressions (never strings).
"""
from __future__ import annotations

from typing import Any, Callable

import sympy as sp


def xreplace(e: Any, where: dict) -> Any:
    """`e.xreplace(where)` with each rebuilt node given `evaluate=False` where its class
    takes it (a class that does not, a matrix entry say, is rebuilt as sympy builds it)."""
    try:
        if e in where:
            return where[e]
    except TypeError:    # an unhashable value
        pass
    if not isinstance(e, sp.Basic) or not e.args:
        return e
    args = tuple(xreplace(a, where) for a in e.args)
    if all(a is b for a, b in zip(args, e.args)):
        return e
    return rebuild(e.func, args)


def rebuild(func: Callable, args: tuple) -> Any:
    """`func(*args)` unevaluated where `func` takes `evaluate=False`, else evaluated."""
    try:
        return func(*args, evaluate=False)
    except TypeError:
        return func(*args)


def add(*args: Any) -> sp.Expr:
    """a + b + ... as written (no collecting, no reordering of the terms' values)."""
    return sp.Add(*args, evaluate=False)


def mul(*args: Any) -> sp.Expr:
    """a · b · ... as written (2 · 3 stays 2 · 3)."""
    return sp.Mul(*args, evaluate=False)


def power(base: Any, exp: Any) -> sp.Expr:
    """base^exp as written (x^(-1) stays a power)."""
    return sp.Pow(base, exp, evaluate=False)


def call(fn: Callable, *args: Any) -> Any:
    """fn(args) left as a call (floor(7/2) stays floor(7/2))."""
    return fn(*args, evaluate=False)
