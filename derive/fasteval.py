"""Exact values of sympy expressions at a numeric point, without sympy's substitution.

In:  a sympy expression (scalar or matrix expression) and a point: values for its symbols,
     matrix symbols and sizes, as the step checker draws them (`verify._random_point`:
     sympy Integers/Rationals and integer ImmutableMatrices).
Out: `evaluate(expr, env)` gives an exact value: a number of `derive.exactnum` (int,
     Fraction, Surd) or a `Mat` of them; `to_sympy` turns it back into a sympy number or
     ImmutableMatrix; `same(a, b)` compares two values exactly.

It walks the tree once, with a memo per node, doing the arithmetic on Python ints and
Fractions (and Σ c·√n for norms and distances), where sympy's `xreplace` + `doit` rebuilds
and re-canonicalises every intermediate expression.  Derivative nodes (`GradientOf`,
`JacobianOf`) are evaluated by forward-mode dual numbers, an independent route to the
closed forms.  A node type it does not know, or a number it cannot keep exact (floats,
exp, log, π), raises `Unsupported`: the caller then takes sympy's route for that value.
The handlers of matrix, tensor and derivative nodes live in derive/fasteval_matrix.py,
which registers them when imported (derive.verify imports both).
"""
from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

import sympy as sp
from sympy.core.symbol import Str
from sympy.matrices.expressions.matexpr import MatrixExpr

from . import exactnum as X
from .exactnum import Unsupported
from .model import functions as F

_ZZ = sp.ZZ


class Mat:
    """An explicit r×c matrix of exact numbers (a list of rows)."""

    __slots__ = ("c", "r", "rows")

    def __init__(self, rows: list, r: int, c: int):
        self.rows, self.r, self.c = rows, r, c

    def entries(self) -> list:
        return [t for row in self.rows for t in row]


def _zero_one(r: int, c: int, fill: Callable[[int, int], Any]) -> Mat:
    return Mat([[fill(i, j) for j in range(c)] for i in range(r)], r, c)


_MISSING = object()


class Evaluator:
    """One point's values (`env`: sympy symbol -> exact value), with a memo per node;
    `point`, the same values as sympy objects, lets a node of unknown type be evaluated
    by sympy (xreplace + doit of that node alone)."""

    def __init__(self, env: dict, point: dict | None = None):
        self.env = env
        self.point = point
        self.memo: dict = {}

    def eval(self, e: Any) -> Any:
        try:
            out = self.memo.get(e, _MISSING)
        except TypeError:               # an unhashable argument (not a sympy node)
            raise Unsupported(type(e).__name__) from None
        if out is _MISSING:             # (a miss is the common case: no KeyError raised for it)
            kind = type(e)
            out = (_RESOLVED.get(kind) or _handler(kind))(self, e)
            self.memo[e] = out
        return out

    def scalar(self, e: Any) -> Any:
        v = self.eval(e)
        if isinstance(v, Mat):
            if (v.r, v.c) != (1, 1):
                raise Unsupported("a matrix where a number is expected")
            return v.rows[0][0]
        if isinstance(v, bool):
            raise Unsupported("a truth value where a number is expected")
        return v

    def matrix(self, e: Any) -> Mat:
        v = self.eval(e)
        if not isinstance(v, Mat):
            raise Unsupported("a number where a matrix is expected")
        return v

    def integer(self, e: Any) -> int:
        v = self.scalar(e)
        if not isinstance(v, int):
            raise Unsupported("not an integer")
        return v

    def truth(self, e: Any) -> bool:
        v = self.eval(e)
        if not isinstance(v, bool):
            raise Unsupported("not a condition")
        return v

    def child(self, extra: dict) -> Evaluator:
        return Evaluator({**self.env, **extra})


# ---- dispatch -------------------------------------------------------------------------

_HANDLERS: dict[Any, Callable] = {}
_RESOLVED: dict[type, Callable] = {}


def handles(*classes: type) -> Callable:
    def deco(fn: Callable) -> Callable:
        for c in classes:
            _HANDLERS[c] = fn
        return fn
    return deco


def _handler(cls: type) -> Callable:
    try:
        return _RESOLVED[cls]
    except KeyError:
        pass
    fn = _unsupported
    for k in cls.__mro__:
        if k in _HANDLERS:
            fn = _HANDLERS[k]
            break
        if k.__name__ == "_DerivativeOf" and k.__module__.endswith("engines.matpoly.derivative"):
            fn = _HANDLERS["_DerivativeOf"]        # (GradientOf, JacobianOf: see fasteval_matrix)
            break
    _RESOLVED[cls] = fn
    return fn


def _unsupported(ev: Evaluator, e: Any) -> Any:
    """A node of a type without a handler: a display wrapper naming the argument that is
    its value (class attribute `value_arg`) is that argument; otherwise sympy's route for
    this node alone (the sympy point substituted, `doit`), whose value must be explicit."""
    k = getattr(type(e), "value_arg", None)
    if isinstance(k, int) and isinstance(e, sp.Basic) and k < len(e.args):
        return ev.eval(e.args[k])
    if ev.point is None or not isinstance(e, sp.Basic) or isinstance(e, (sp.Tuple, Str)):
        raise Unsupported(type(e).__name__)
    mats = {m: v for m, v in ev.point.items() if isinstance(m, sp.MatrixSymbol)}
    scal = {m: v for m, v in ev.point.items() if not isinstance(m, sp.MatrixSymbol)}
    try:
        y = e.xreplace(mats).xreplace(scal).doit()
        if isinstance(y, MatrixExpr):
            y = sp.ImmutableMatrix(y.as_explicit())
    except (TypeError, ValueError, AttributeError, IndexError, sp.ShapeError):
        raise Unsupported(type(e).__name__) from None
    if y.free_symbols or y.atoms(sp.MatrixSymbol):
        raise Unsupported(type(e).__name__)
    return Evaluator({}).eval(y)


# ---- leaves -----------------------------------------------------------------------------

@handles(sp.Rational)
def _rational(ev: Evaluator, e: sp.Rational) -> Any:
    p, q = int(e.p), int(e.q)
    return p if q == 1 else Fraction(p, q)


@handles(sp.Symbol, sp.MatrixSymbol)
def _symbol(ev: Evaluator, e: Any) -> Any:
    try:
        return ev.env[e]
    except KeyError:
        raise Unsupported(f"no value for {e}") from None


@handles(sp.logic.boolalg.BooleanTrue)
def _true(ev: Evaluator, e: Any) -> bool:
    return True


@handles(sp.logic.boolalg.BooleanFalse)
def _false(ev: Evaluator, e: Any) -> bool:
    return False


@handles(sp.MatrixBase)
def _explicit(ev: Evaluator, e: sp.MatrixBase) -> Mat:
    r, c = e.shape
    rows = _integer_rows(e)
    if rows is not None:
        return Mat(rows, r, c)
    return Mat([[ev.scalar(t) for t in row] for row in e.tolist()], r, c)   # (indexing e is slow)


def _integer_rows(e: sp.MatrixBase) -> list | None:
    """The rows of a matrix of integers as Python ints, read off sympy's own integer
    representation (no sympy Integer made per entry), or None."""
    rep = getattr(e, "_rep", None)
    try:
        if rep is None or rep.domain != _ZZ:
            return None
        return [[int(t) for t in row] for row in rep.to_list()]
    except (AttributeError, TypeError):           # pragma: no cover - another sympy
        return None


@handles(sp.Identity)
def _identity(ev: Evaluator, e: Any) -> Mat:
    n = ev.integer(e.shape[0])
    return _zero_one(n, n, lambda i, j: int(i == j))


@handles(sp.ZeroMatrix)
def _zeros(ev: Evaluator, e: Any) -> Mat:
    return _zero_one(ev.integer(e.shape[0]), ev.integer(e.shape[1]), lambda i, j: 0)


@handles(sp.OneMatrix)
def _ones(ev: Evaluator, e: Any) -> Mat:
    return _zero_one(ev.integer(e.shape[0]), ev.integer(e.shape[1]), lambda i, j: 1)


# ---- scalar arithmetic ---------------------------------------------------------------------

@handles(sp.Add)
def _add(ev: Evaluator, e: sp.Add) -> Any:
    out: Any = 0
    for a in e.args:
        out = out + ev.scalar(a)
    return out


@handles(sp.Mul)
def _mul(ev: Evaluator, e: sp.Mul) -> Any:
    out: Any = 1
    for a in e.args:
        out = out * ev.scalar(a)
    return out


@handles(sp.Pow)
def _pow(ev: Evaluator, e: sp.Pow) -> Any:
    if isinstance(e.base, F.Norm) and e.exp.is_Integer and e.exp % 2 == 0:   # ‖v‖²ᵏ: no root taken
        return X.power(_sum_squares(ev, e.base.args[0]), int(e.exp) // 2)
    base, k = ev.scalar(e.base), ev.scalar(e.exp)
    if isinstance(k, int):
        return X.power(base, k)
    if isinstance(k, Fraction) and k.denominator == 2:
        return X.power(X.sqrt(base), k.numerator)
    raise Unsupported("a power that is not exact")


@handles(sp.Abs)
def _abs(ev: Evaluator, e: Any) -> Any:
    v = ev.scalar(e.args[0])
    return v * X.sign(v)


@handles(sp.sign)
def _sign(ev: Evaluator, e: Any) -> Any:
    return X.sign(ev.scalar(e.args[0]))


@handles(sp.Max, sp.Min)
def _maxmin(ev: Evaluator, e: Any) -> Any:
    want = 1 if isinstance(e, sp.Max) else -1
    vals = [ev.scalar(a) for a in e.args]
    best = vals[0]
    for v in vals[1:]:
        if X.sign(v - best) == want:
            best = v
    return best


@handles(F.relu)
def _relu(ev: Evaluator, e: Any) -> Any:
    v = ev.scalar(e.args[0])
    return v if X.sign(v) > 0 else 0


@handles(F.leaky_relu)
def _leaky(ev: Evaluator, e: Any) -> Any:
    v = ev.scalar(e.args[0])
    slope = ev.scalar(e.args[1]) if len(e.args) > 1 else Fraction(1, 100)
    return v if X.sign(v) > 0 else slope * v


# ---- conditions ---------------------------------------------------------------------------

_ORDER = {sp.StrictGreaterThan: lambda s: s > 0, sp.GreaterThan: lambda s: s >= 0,
          sp.StrictLessThan: lambda s: s < 0, sp.LessThan: lambda s: s <= 0}


@handles(*_ORDER)
def _order(ev: Evaluator, e: Any) -> bool:
    return _ORDER[type(e)](X.sign(ev.scalar(e.lhs) - ev.scalar(e.rhs)))


@handles(sp.Eq, sp.Ne)
def _eq(ev: Evaluator, e: Any) -> bool:
    same_ = same(ev.eval(e.lhs), ev.eval(e.rhs))
    return same_ if isinstance(e, sp.Eq) else not same_


@handles(sp.And, sp.Or, sp.Not)
def _logic(ev: Evaluator, e: Any) -> bool:
    vals = [ev.truth(a) for a in e.args]
    if isinstance(e, sp.Not):
        return not vals[0]
    return all(vals) if isinstance(e, sp.And) else any(vals)


@handles(sp.Piecewise)
def _piecewise(ev: Evaluator, e: sp.Piecewise) -> Any:
    for expr, cond in e.args:
        if ev.truth(cond):
            return ev.eval(expr)
    raise Unsupported("no piece applies")


def _entries_of(ev: Evaluator, e: Any) -> list:
    v = ev.eval(e)
    return v.entries() if isinstance(v, Mat) else [v]


def _sum_squares(ev: Evaluator, e: Any) -> Any:
    return sum((t * t for t in _entries_of(ev, e)), 0)


# ---- the interface ----------------------------------------------------------------------

def env_of(point: dict) -> dict:
    """The point's values (sympy numbers and matrices) as exact values."""
    ev = Evaluator({})
    return {k: ev.eval(v) for k, v in point.items()}


def evaluate(expr: Any, env: dict, point: dict | None = None) -> Any:
    """The exact value of `expr` (raises Unsupported, ZeroDivisionError); `point` is the
    sympy form of `env`, for nodes of unknown types (see `_unsupported`)."""
    v = Evaluator(env, point).eval(expr)
    if isinstance(v, Mat) and (v.r, v.c) == (1, 1):
        v = v.rows[0][0]
    if not all(X.is_exact(t) for t in (v.entries() if isinstance(v, Mat) else [v])) and not isinstance(v, bool):
        raise Unsupported("not an exact value")          # (a dual number, a stray float)
    return v


def explicit(expr: Any) -> Any:
    """A closed matrix expression (numbers only: explicit matrices multiplied, added,
    transposed) as an ImmutableMatrix of its exact entries; None where the walk cannot."""
    try:
        v = Evaluator({}).eval(expr)
    except Exception:  # noqa: BLE001  (Unsupported, ZeroDivisionError, a node it mis-reads: sympy decides)
        return None
    if not isinstance(v, Mat) or not all(X.is_exact(t) for t in v.entries()):
        return None
    return to_sympy(v)


def to_sympy(v: Any) -> Any:
    if isinstance(v, Mat):
        return sp.ImmutableMatrix(v.r, v.c, [X.to_sympy(t) for t in v.entries()])
    if isinstance(v, bool):
        return sp.true if v else sp.false
    return X.to_sympy(v)


def same(a: Any, b: Any) -> bool:
    """Exact equality of two values (a matrix never equals a number)."""
    if isinstance(a, Mat) or isinstance(b, Mat):
        if not (isinstance(a, Mat) and isinstance(b, Mat)) or (a.r, a.c) != (b.r, b.c):
            return False
        return all(x == y for x, y in zip(a.entries(), b.entries()))
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    return a == b
