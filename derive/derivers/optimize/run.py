"""Running gradient descent: the iterates w_0 ... w_k, exact while short, then decimals.

In: an `Objective`, a start w0, a rate η and a count k.  Out: a `Run` (the iterates and
which of them are exact), or an error at the goal when an iterate leaves the function's
domain (log(w) at w ≤ 0) or grows too large symbolically.  A numeric iterate past GROWTH
times the start's size (or 1) stops the run with `diverged` set, the same rule as for
several variables (`bound`), so a divergent run is answered "diverges", not with huge numbers.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import mpmath
import sympy as sp

from ... import ast
from ...errors import LimitError, SpecError
from .display import DIGITS
from .objective import Objective, tidy

MAX_EXACT_CHARS = 40      # an exact rational longer than this turns into a decimal
MAX_EXACT_OPS = 12        # ... and so does an exact irrational expression this large
MAX_SYMBOLIC_OPS = 400    # symbolic iterates larger than this are refused
MAX_MAGNITUDE = 1e300     # iterates beyond this: gradient descent has diverged
GROWTH = 1e12             # an iterate this many times the start's size (or 1): the run has diverged


@dataclass
class Run:
    """The iterates w_0 ... w_k; `exact[i]` says whether w_i is exact or a decimal."""

    ws: list
    exact: list
    switched: int | None = None     # the first decimal iterate
    diverged: int | None = None     # the iteration whose new point passed `bound(start)` (not in `ws`)
    escaped: Any = None             # ... and that point


def bound(w0: Any) -> float | None:
    """The size past which a run counts as diverged: GROWTH times the start's largest entry
    (or 1); None for a symbolic start (no size to compare with)."""
    try:
        return GROWTH * max([1.0] + [abs(float(sp.N(x, 20))) for x in w0])
    except (TypeError, ValueError):
        return None


def _escapes(run: Run, new: Any, i: int) -> bool:
    """Whether `new` (w_i) passed the divergence bound; if so the run records it and stops."""
    limit = bound([run.ws[0]])
    if limit is None or not abs(sp.N(new, 20)) > limit:
        return False
    run.diverged, run.escaped = i, new
    return True


def _too_long(x: Any) -> bool:
    if isinstance(x, sp.Rational):
        return len(str(x.p)) + len(str(x.q)) > MAX_EXACT_CHARS
    return sp.count_ops(x) > MAX_EXACT_OPS or len(str(x)) > 3 * MAX_EXACT_CHARS


def _text(x: Any) -> str:
    return str(sp.Float(x, 6)) if isinstance(x, sp.Float) else str(x)


def _undefined(obj: Objective, w: Any, i: int, pos: ast.Expr, what: str = "'") -> SpecError:
    return SpecError(f"{obj.name}{what}({obj.var.name}_{i}) is not a real number at {obj.var.name}_{i} = {_text(w)}: "
                     f"gradient descent has left the domain of {obj.name}", pos.pos)


def _diverged(obj: Objective, i: int, pos: ast.Expr) -> LimitError:
    return LimitError(f"gradient descent diverges: |{obj.var.name}_{i}| exceeds {MAX_MAGNITUDE:.0e}; the learning "
                      "rate is too large for this function and start", pos.pos)


def _real_finite(z: Any) -> bool:
    if isinstance(z, mpmath.mpc):
        if abs(z.imag) > 1e-12 * max(1, abs(z.real)):
            return False
        z = z.real
    return bool(mpmath.isfinite(z))


def _check_defined(obj: Objective, g: Any, w: Any, i: int, pos: ast.Expr, what: str = "'") -> None:
    """f'(w_i) (or f(w_i), what="") must be a finite real number (log(w) at w <= 0 is not)."""
    if g.free_symbols:
        return
    if g.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        raise _undefined(obj, w, i, pos, what)
    try:
        z = mpmath.mpmathify(sp.N(g, 20))
    except (TypeError, ValueError):
        raise _undefined(obj, w, i, pos, what) from None
    if not _real_finite(z):
        raise _undefined(obj, w, i, pos, what)


_MP_FUNCS: dict = {sp.exp: mpmath.exp, sp.log: mpmath.log, sp.sin: mpmath.sin, sp.cos: mpmath.cos,
                   sp.tan: mpmath.tan, sp.tanh: mpmath.tanh, sp.sinh: mpmath.sinh, sp.cosh: mpmath.cosh,
                   sp.atan: mpmath.atan, sp.Abs: abs}


def numeric(expr: Any, var: sp.Symbol) -> Callable[[Any], Any]:
    """`expr` as a function of `var` on mpmath numbers, built from the tree (no code is generated).

    Nodes it does not know are evaluated by sympy at the point, so every expression works."""
    if expr == var:
        return lambda x: x
    if var not in expr.free_symbols:
        c = mpmath.mpmathify(sp.N(expr, DIGITS + 5))
        return lambda x: c
    parts = [numeric(a, var) for a in expr.args]
    if isinstance(expr, sp.Add):
        return lambda x: mpmath.fsum(p(x) for p in parts)
    if isinstance(expr, sp.Mul):
        def mul(x: Any) -> Any:
            out = mpmath.mpf(1)
            for p in parts:
                out = out * p(x)
            return out
        return mul
    if isinstance(expr, sp.Pow):
        base, ex = parts
        if expr.exp.is_Integer:
            n = int(expr.exp)
            return lambda x: base(x) ** n
        return lambda x: mpmath.power(base(x), ex(x))
    fn = _MP_FUNCS.get(type(expr))
    if fn is not None and len(parts) == 1:
        (p,) = parts
        return lambda x: fn(p(x))
    return lambda x: mpmath.mpmathify(sp.N(expr.xreplace({var: sp.Float(x, DIGITS)}), DIGITS))


def _exact_phase(obj: Objective, run: Run, lr: Any, k: int, where: ast.Expr) -> None:
    """Exact (or symbolic) iterates until k of them, or until one grows too long."""
    for i in range(1, k + 1):
        w = run.ws[-1]
        g = obj.at(obj.d1, w)
        _check_defined(obj, g, w, i - 1, where)
        new = tidy(w - lr * g)
        _check_defined(obj, obj.at(obj.body, new), new, i, where, what="")
        if new.free_symbols:
            if sp.count_ops(new) > MAX_SYMBOLIC_OPS:
                raise LimitError(f"the symbolic iterates grow too large by {obj.var.name}_{i} "
                                 f"({sp.count_ops(new)} operations); give numbers for `start` and `lr`, "
                                 f"or ask for fewer steps", where.pos)
        else:
            if _escapes(run, new, i):
                return
            if not abs(sp.N(new, 20)) <= MAX_MAGNITUDE:
                raise _diverged(obj, i, where)
            if _too_long(new):
                run.switched = i
                return
        run.ws.append(new)
        run.exact.append(True)


def _decimal_phase(obj: Objective, run: Run, lr: Any, k: int, where: ast.Expr) -> None:
    """The iterates from `run.switched` on, to DIGITS significant digits."""
    grad, value = numeric(obj.d1, obj.var), numeric(obj.body, obj.var)
    with mpmath.workdps(DIGITS):
        rate = mpmath.mpmathify(sp.N(lr, DIGITS + 5))
        w = mpmath.mpmathify(sp.N(run.ws[-1], DIGITS + 5))
        for i in range(run.switched or 1, k + 1):
            try:
                g = grad(w)
            except (ZeroDivisionError, ValueError, TypeError):
                raise _undefined(obj, sp.Float(w, DIGITS), i - 1, where) from None
            if not _real_finite(g):
                raise _undefined(obj, sp.Float(w, DIGITS), i - 1, where)
            w = w - rate * (g.real if isinstance(g, mpmath.mpc) else g)
            if _escapes(run, sp.Float(w, DIGITS), i):
                return
            if not abs(w) <= MAX_MAGNITUDE:
                raise _diverged(obj, i, where)
            try:
                fw = value(w)
            except (ZeroDivisionError, ValueError, TypeError):
                fw = mpmath.mpc(0, 1)
            if not _real_finite(fw):
                raise _undefined(obj, sp.Float(w, DIGITS), i, where, what="")
            run.ws.append(sp.Float(w, DIGITS))
            run.exact.append(False)


def run_gd(obj: Objective, w0: Any, lr: Any, k: int, where: ast.Expr) -> Run:
    """k steps of gradient descent, exact while the numbers stay short, then to DIGITS digits."""
    run = Run([w0], [True])
    _exact_phase(obj, run, lr, k, where)
    if run.switched is not None and run.diverged is None:
        _decimal_phase(obj, run, lr, k, where)
    return run
