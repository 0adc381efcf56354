"""Checking the equalities that steps show, before they are rendered.

`check_chain((e0, e1, ..., en), where)` replaces the symbols bound in `where` by their
values, evaluates (`doit`) every link and checks each against the next:

* no free symbols left: exact comparison (rationals, radicals, logs compared exactly,
  or to 40 digits when sympy cannot decide);
* scalar symbols left: `expand`/`cancel` to zero ("symbolic"), else evaluation at random
  points that respect the symbols' assumptions ("random points");
* matrix expressions (MatrixSymbol, symbolic sizes): evaluation at random integer
  matrices of random concrete sizes ("random matrices").

It returns `(True, how)` or raises `CheckFailed`; `(None, why)` when a link is not
mathematical (prose, a relation between non-numbers).  `A ⇔ B` between conditions on one
real symbol compares their solution sets (derive.solution_sets).
"""
from __future__ import annotations

import functools
import random
from typing import Any

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixExpr

from . import fasteval, fasteval_matrix  # noqa: F401  (the second registers matrix handlers)
from .errors import CheckFailed
from .intervals import same_intervals
from .intmatrix import int_matrix
from . import unevaluated
from .limits import check as _deadline
from .solution_sets import domain_of as _domain, solution_set as _solution_set
from .exactnum import Unsupported
from .model.numbers import rational_entries

TRIALS, DIGITS = 4, 40


def _items(x: Any) -> list | None:
    if isinstance(x, (list, tuple, sp.Tuple)):
        return list(x)
    return None


def realize(expr: Any, where: dict | None = None) -> Any:
    """`expr` with the symbols in `where` replaced by their values and evaluated."""
    if isinstance(expr, (list, tuple)):
        return type(expr)(realize(e, where) for e in expr)
    if isinstance(expr, dict):
        return {k: realize(v, where) for k, v in expr.items()}
    if not isinstance(expr, sp.Basic):
        return expr
    if isinstance(expr, sp.ImmutableMatrix) and all(isinstance(e, sp.Number) for e in expr):
        return expr                  # (numbers only: nothing to put in, nothing to work out)
    if where:
        expr = expr.xreplace(where)
    try:
        out = expr.doit()
    except (TypeError, ValueError, AttributeError):
        out = expr
    if isinstance(out, MatrixExpr) and not out.free_symbols - set(out.atoms(sp.Symbol)) and _explicit(out):
        out = sp.ImmutableMatrix(out.as_explicit())
    return out


def _may_keep_matrix_symbols(expr: Any, where: dict, values_hold: bool | None = None) -> bool:
    """Whether substituting `where` into `expr` can leave a matrix symbol: one of `expr`'s
    is not replaced, or a value holds one (`values_hold`, when the caller has asked
    `values_hold_matrix_symbols` already; False only when none can be left)."""
    if any(m not in where for m in matrix_symbols(expr)):
        return True
    return values_hold_matrix_symbols(where) if values_hold is None else values_hold


def values_hold_matrix_symbols(where: dict) -> bool:
    """Whether a value of `where` holds a matrix symbol (for `checkable`'s `values_hold`)."""
    return any(isinstance(v, sp.Basic) and _holds_matrix_symbol(v) for v in where.values())


def _holds_matrix_symbol(v: sp.Basic) -> bool:
    """Whether `v` holds a matrix symbol (remembered per explicit matrix: a problem's values
    come back in every check of its steps, and a matrix is searched entry by entry)."""
    if not isinstance(v, sp.ImmutableMatrix):   # (a scalar is searched quickly; comparing one with
        return bool(matrix_symbols(v))          # a remembered one, as a lookup does, can cost more)
    return not rational_entries(v) and _holds_matrix_symbol_memo(v)


@functools.lru_cache(maxsize=4096)
def _holds_matrix_symbol_memo(v: sp.Basic) -> bool:
    return bool(v.atoms(sp.MatrixSymbol))


def checkable(expr: Any, where: dict | None, values_hold: bool | None = None) -> Any:
    """`realize(expr, where)`, except that an expression still holding matrix symbols after
    the substitution is neither evaluated nor `doit`-ed: it can only be checked at random
    matrices, where it is evaluated as it stands (sympy's canonicalising of symbolic matrix
    products would only rewrite it, and took most of a check's time); a closed matrix
    expression is worked out by derive.fasteval (exact; sympy's doit where it cannot).
    `values_hold`: whether a value of `where` holds a matrix symbol, if the caller knows
    (one answer for every link of a chain)."""
    if isinstance(expr, sp.Basic) and not isinstance(expr, sp.MatrixBase):
        if not where:
            e = expr
        elif _may_keep_matrix_symbols(expr, where, values_hold) or isinstance(expr, MatrixExpr):
            e = unevaluated.xreplace(expr, where)     # no canonicalising on the way (|−v| calls doit on −v)
        else:
            return realize(expr, where)   # (sympy's evaluate(False) clears its whole cache: not here)
        if isinstance(e, sp.Basic) and matrix_symbols(e):   # (a symbol bound to a plain int is no Basic)
            return e
        m = fasteval.explicit(e) if isinstance(e, MatrixExpr) and not e.free_symbols else None
        if m is not None:
            return m
    return realize(expr, where)


def _explicit(m: MatrixExpr) -> bool:
    return not m.atoms(sp.MatrixSymbol) and all(sp.sympify(s, strict=True).is_Integer for s in m.shape)


def _is_matrix(x: Any) -> bool:
    return isinstance(x, (sp.MatrixBase, MatrixExpr))


def _scalarize(x: Any) -> Any:
    if isinstance(x, sp.MatrixBase) and x.shape == (1, 1):
        return x[0, 0]
    return x


def _has_matrix_symbols(x: Any) -> bool:
    if isinstance(x, (list, tuple)):
        return any(_has_matrix_symbols(e) for e in x)
    return isinstance(x, sp.Basic) and bool(matrix_symbols(x))


def matrix_symbols(x: Any) -> set:
    """The matrix symbols in `x`, as `x.atoms(sp.MatrixSymbol)`, without looking through the
    entries of an explicit matrix of rationals (a 64×64 weight matrix has none, and sympy
    would visit all 4,096 entries)."""
    if isinstance(x, sp.MatrixSymbol):
        return {x}
    if isinstance(x, sp.MatrixBase):
        return set() if rational_entries(x) else x.atoms(sp.MatrixSymbol)
    if not isinstance(x, sp.Basic) or not x.args:
        return set()
    out: set = set()
    for a in x.args:
        out |= matrix_symbols(a)
    return out


def _sample_scalar(sym: sp.Symbol, rnd: random.Random) -> sp.Expr:
    if sym.is_integer:
        v = sp.Integer(rnd.randint(1, 6))
        return v if sym.is_nonnegative or sym.is_positive or rnd.random() < 0.5 else -v
    v = sp.Rational(rnd.randint(1, 29), rnd.randint(2, 11))
    if sym.is_positive or sym.is_nonnegative:
        return v
    return v if rnd.random() < 0.6 else -v


def _symbols_of(exprs: list) -> tuple[set, set]:
    """The matrix symbols and scalar symbols of `exprs`."""
    mats: set[sp.MatrixSymbol] = set()
    scalars: set[sp.Symbol] = set()
    for e in exprs:
        for x in (e if isinstance(e, (list, tuple)) else [e]):
            if isinstance(x, sp.Basic):
                mats |= matrix_symbols(x)
                scalars |= {s for s in x.free_symbols if isinstance(s, sp.Symbol)}
    return mats, scalars


def _random_point(exprs: list, rnd: random.Random, symbols: tuple[set, set] | None = None) -> dict:
    """Values for every free symbol and matrix symbol of `exprs` (sizes chosen first)."""
    mats, scalars = symbols if symbols is not None else _symbols_of(exprs)
    dims: dict = {}
    for m in sorted(mats, key=lambda m: m.name):
        for s in m.shape:
            for d in getattr(s, "free_symbols", ()):
                if d not in dims:
                    dims[d] = sp.Integer(rnd.randint(2, 4))
    point: dict = dict(dims)
    for s in sorted(scalars - set(dims), key=lambda s: s.name):
        point[s] = _sample_scalar(s, rnd)
    for m in sorted(mats, key=lambda m: m.name):
        r, c = (sp.sympify(n, strict=True).xreplace(dims) for n in m.shape)
        rows, cols = int(r), int(c)   # (entries drawn row by row, as a per-entry function would be called)
        point[m] = int_matrix(rows, cols, [rnd.randint(-4, 4) for _ in range(rows * cols)])
    return point


def _env_of(point: dict) -> dict | None:
    try:
        return fasteval.env_of(point)
    except (Unsupported, ZeroDivisionError):
        return None


# Fast exact evaluators tried (after derive.fasteval) before sympy's xreplace + doit at a random point: each takes
# (expr, point) and returns the explicit value or None (a family registers its own).
EVALUATORS: list = []


def _fast_value(x: Any, env: dict, point: dict | None = None) -> Any:
    """The exact value of `x` by derive.fasteval, or None where it cannot (then sympy's
    route is taken)."""
    if not isinstance(x, sp.Basic):
        return None
    try:
        return fasteval.evaluate(x, env, point)
    except Exception:  # noqa: BLE001  (Unsupported, ZeroDivisionError, a node it mis-reads: sympy decides)
        return None


def _subs_point(x: Any, point: dict, env: dict | None = None, fast: bool = True) -> Any:
    """The value of `x` at `point` as a sympy number or explicit matrix (derive.fasteval
    first unless `fast` is False, then the registered EVALUATORS, then sympy's xreplace +
    doit)."""
    if isinstance(x, (list, tuple)):
        return [_subs_point(e, point, env, fast) for e in x]
    if not isinstance(x, sp.Basic):
        return x
    if fast and env is None:
        env = _env_of(point)
    if fast and env is not None:
        v = _fast_value(x, env, point)
        if v is not None:
            return _scalarize(fasteval.to_sympy(v))
    for evaluator in EVALUATORS:
        v = evaluator(x, point)
        if v is not None:
            return _scalarize(v)
    mats = {k: v for k, v in point.items() if isinstance(k, sp.MatrixSymbol)}
    scal = {k: v for k, v in point.items() if not isinstance(k, sp.MatrixSymbol)}
    # Sizes first (so MatrixSymbol shapes become concrete), then the values.
    y = x.xreplace({sp.MatrixSymbol(m.name, *m.shape): v for m, v in mats.items()})
    y = y.xreplace(scal)
    y = y.doit()
    if isinstance(y, MatrixExpr):
        y = sp.ImmutableMatrix(y.as_explicit())
    return _scalarize(y)


def _same_number(a: sp.Expr, b: sp.Expr) -> bool | None:
    d = sp.nsimplify(a - b) if False else a - b
    if d == 0:
        return True
    try:
        if d.is_Rational:
            return d == 0
        z = sp.N(d, DIGITS)
        if z.is_Float and not z.is_comparable:   # radicals that cancel: 0.e-172, a zero with no digits
            import mpmath
            return bool(abs(mpmath.mpf(z._mpf_)) <= mpmath.mpf(10) ** (-DIGITS + 8))
        if z.is_Number or z.is_number:   # (sympy floats: magnitudes beyond a Python float are fine)
            mag = sp.Max(abs(sp.N(a, 20)), abs(sp.N(b, 20)), 1)
            return bool(abs(z) <= sp.Float(10) ** (-DIGITS + 8) * mag)
    except (TypeError, ValueError):
        return None
    return None


def _equal_values(a: Any, b: Any) -> bool | None:
    """Exact comparison of two fully numeric values (scalars, matrices, lists)."""
    a, b = _scalarize(a), _scalarize(b)
    la, lb = _items(a), _items(b)
    if la is not None or lb is not None:
        if la is None or lb is None or len(la) != len(lb):
            return False
        res = [_equal_values(x, y) for x, y in zip(la, lb)]
        return None if None in res else all(res)
    if isinstance(a, sp.MatrixBase) or isinstance(b, sp.MatrixBase):
        if not (isinstance(a, sp.MatrixBase) and isinstance(b, sp.MatrixBase)) or a.shape != b.shape:
            return False
        if a == b:                     # the same entries (sympy compares the stored forms at once)
            return True
        res = [_same_number(x, y) for x, y in zip(_flat(a), _flat(b))]
        return None if None in res else all(res)
    if isinstance(a, (bool, sp.logic.boolalg.BooleanAtom)) or isinstance(b, (bool, sp.logic.boolalg.BooleanAtom)):
        return bool(a) == bool(b)
    if not (isinstance(a, sp.Basic) and isinstance(b, sp.Basic)):
        return a == b
    return _same_number(a, b)


def _flat(m: sp.MatrixBase) -> list:
    """The entries of a matrix row by row (read at once, not one `m[i, j]` at a time)."""
    return [e for row in m.tolist() for e in row]


def _free(x: Any) -> bool:
    if isinstance(x, (list, tuple)):
        return any(_free(e) for e in x)
    return isinstance(x, sp.Basic) and bool(x.free_symbols)


def equal(a: Any, b: Any, *, seed: int = 0) -> tuple[bool | None, str]:
    """Whether two realized values are equal, and how that was decided."""
    if not _free(a) and not _free(b):
        return _equal_values(a, b), "exact"
    if not _has_matrix_symbols([a, b]) and not _is_matrix(a) and not _is_matrix(b) \
            and isinstance(a, sp.Expr) and isinstance(b, sp.Expr):
        differs = _differs_at_first_point(a, b, seed)
        if differs is not None:             # refuted exactly: no need for the costly algebra
            return False, differs
        d = a - b
        try:
            if sp.expand(d) == 0 or sp.cancel(sp.together(d)) == 0:
                return True, "symbolic"
        except (sp.PolynomialError, TypeError, ValueError):
            pass
    rnd = random.Random(seed)
    symbols = _symbols_of([a, b])
    for _ in range(TRIALS):
        _deadline()
        point = _random_point([a, b], rnd, symbols)
        env = _env_of(point)
        fa, fb = (_fast_value(x, env, point) if env is not None else None for x in (a, b))
        if fa is not None and fb is not None:        # both exact: compare them as they are
            if not fasteval.same(fa, fb):
                return False, f"differs at {point}"
            continue
        try:
            va = _scalarize(fasteval.to_sympy(fa)) if fa is not None else _subs_point(a, point, env, fast=False)
            vb = _scalarize(fasteval.to_sympy(fb)) if fb is not None else _subs_point(b, point, env, fast=False)
        except (sp.ShapeError, TypeError, ValueError, ZeroDivisionError):
            return None, "could not evaluate at random points"
        ok = _equal_values(va, vb)
        if ok is False:
            return False, f"differs at {point}"
        if ok is None:
            return None, "could not decide at random points"
    how = "random matrices" if _has_matrix_symbols([a, b]) else "random points"
    return True, how


def _differs_at_first_point(a: sp.Expr, b: sp.Expr, seed: int) -> str | None:
    """How `a` and `b` differ at the first random point of `equal`'s trials (the same point,
    so the verdict reads the same), when both evaluate there exactly and differ; else None."""
    point = _random_point([a, b], random.Random(seed), _symbols_of([a, b]))
    env = _env_of(point)
    if env is None:
        return None
    fa, fb = _fast_value(a, env, point), _fast_value(b, env, point)
    if fa is not None and fb is not None and not fasteval.same(fa, fb):
        return f"differs at {point}"
    return None


_SIGN = {"<": "is_negative", "≤": "is_nonpositive", ">": "is_positive", "≥": "is_nonnegative"}
_OPS = {"<=": "≤", ">=": "≥"}


def order_holds(a: Any, op: str, b: Any) -> tuple[bool | None, str]:
    """Whether `a op b` holds (op one of < ≤ > ≥), and how that was decided: exactly on
    numbers ("exact", to 40 digits when sympy cannot decide the exact sign), else from the
    symbols' assumptions on a − b ("assumptions"); (None, why) when it cannot be decided."""
    op = _OPS.get(op, op)
    a, b = _scalarize(a), _scalarize(b)
    if not (isinstance(a, (sp.Expr, int)) and isinstance(b, (sp.Expr, int))):
        return None, "not comparable"
    d = sp.sympify(a, strict=True) - sp.sympify(b, strict=True)
    if not d.is_number:
        sign = getattr(d, _SIGN[op])
        if sign is None:
            sign = getattr(sp.factor_terms(d), _SIGN[op])
        return (None, "not decided from the symbols' assumptions") if sign is None else \
            (bool(sign), "assumptions")
    sign = getattr(d, _SIGN[op])
    if sign is None:   # exact comparison not decided: decide to 40 digits, well away from 0
        n = sp.N(d, 40)
        if n.is_real and abs(n) > sp.Float("1e-30"):
            sign = getattr(n, _SIGN[op])
    return (None, "not decided") if sign is None else (bool(sign), "exact")


def _link_holds(a: Any, relation: str, b: Any) -> tuple[bool | None, str]:
    """One link `a relation b` of an order (or ≠) chain."""
    if relation == "≠":
        try:
            return bool(sp.simplify(sp.sympify(_scalarize(a), strict=True)
                                    - sp.sympify(_scalarize(b), strict=True)) != 0), "exact"
        except (TypeError, ValueError):   # (SympifyError is a ValueError: never parse a string)
            return None, "not comparable"
    try:
        return order_holds(a, relation, b)
    except (TypeError, ValueError):
        return None, "not comparable"


_ORDER = {"<", "<=", "≤", ">", ">=", "≥", "≠"}


def check_chain(chain: tuple, where: dict, *, relation: str = "=", rule: str = "", text: object = "") \
        -> tuple[bool | None, str]:
    """Check every link of an equation chain; raise CheckFailed on a false one (`text`, the
    step's sentence or string, is printed only into that error)."""
    if relation == "≈":
        return _check_approx(chain, where, rule, text)
    if relation == "⇔":
        return _check_equivalent(chain, where, rule, text)
    if relation not in ("=",) and relation not in _ORDER:
        return None, f"relation {relation} is stated, not checked"
    holds = values_hold_matrix_symbols(where) if where and relation == "=" else None
    vals = [checkable(e, where, holds) if relation == "=" else realize(e, where) for e in chain]
    hows = []
    for i in range(len(vals) - 1):
        _deadline()
        a, b = vals[i], vals[i + 1]
        if relation == "=":
            ok, how = equal(a, b, seed=i)
        else:
            ok, how = _link_holds(a, relation, b)
        if ok is False:
            raise CheckFailed(f"step `{rule}` ({text}) shows {chain[i]} {relation} {chain[i + 1]}, "
                              f"which does not hold ({how})")
        if ok is None:
            return None, how
        hows.append(how)
    order = ["exact", "assumptions", "symbolic", "random points", "random matrices"]
    return True, max(hows, key=lambda h: order.index(h) if h in order else 0) if hows else "exact"


def _check_approx(chain: tuple, where: dict, rule: str, text: object) -> tuple[bool | None, str]:
    """`exact ≈ decimal`: the decimal must agree with the exact value to its printed digits
    (entry by entry for matrices of one shape)."""
    vals = [realize(e, where) for e in chain]
    for a, b in zip(vals, vals[1:]):
        a, b = _scalarize(a), _scalarize(b)
        if isinstance(a, sp.MatrixBase) and isinstance(b, sp.MatrixBase) and a.shape == b.shape:
            pairs = list(zip(a, b))
        else:
            pairs = [(a, b)]
        for ea, eb in pairs:
            try:   # in sympy's arbitrary-precision floats: exp(1000) does not fit a Python float
                x, y = sp.N(ea, 30), sp.N(eb, 30)
                off = abs(x - y)
                bad = bool(off > sp.Rational(5, 10 ** 6) * sp.Max(1, abs(x)))
            except (TypeError, ValueError):
                return None, "not numeric"
            if bad:
                raise CheckFailed(f"step `{rule}` ({text}) shows {a} ≈ {b}, which is off by {sp.N(off, 3)}")
    return True, "numeric"


def _check_equivalent(chain: tuple, where: dict, rule: str, text: object) -> tuple[bool | None, str]:
    """`A ⇔ B ⇔ ...` between conditions on one real symbol: their solution sets must agree.

    Conditions on several symbols (or not conditions at all) are stated, not checked."""
    vals = [realize(e, where) for e in chain]
    for a, b in zip(vals, vals[1:]):
        if not all(isinstance(x, (sp.logic.boolalg.Boolean, bool)) for x in (a, b)):
            return None, "relation ⇔ is stated, not checked"
        syms = set(getattr(a, "free_symbols", set())) | set(getattr(b, "free_symbols", set()))
        if len(syms) > 1:
            return None, "relation ⇔ between conditions on several symbols is stated, not checked"
        if not syms:
            if bool(a) != bool(b):
                raise CheckFailed(f"step `{rule}` ({text}) shows {a} ⇔ {b}, which does not hold")
            continue
        (s,) = syms
        if not (isinstance(s, sp.Symbol) and s.is_real):
            return None, "relation ⇔ is stated, not checked"
        dom = _domain(s)
        try:
            sa, sb = _solution_set(a, s, dom), _solution_set(b, s, dom)
            if sa == sb:              # the same set, written the same: no set algebra needed
                continue
            only_a, only_b = sp.Complement(sa, sb), sp.Complement(sb, sa)
        except (NotImplementedError, TypeError, ValueError):
            return None, "could not solve the conditions"
        if only_a is sp.S.EmptySet and only_b is sp.S.EmptySet or same_intervals(sa, sb):
            continue
        if any(isinstance(x, (sp.Interval, sp.FiniteSet, sp.Union)) and x is not sp.S.EmptySet
               for x in (only_a, only_b)):
            raise CheckFailed(f"step `{rule}` ({text}) shows {a} ⇔ {b}, but the first holds "
                              f"on {sa} and the second on {sb}")
        return None, "could not compare the solution sets"
    return True, "solution sets"
