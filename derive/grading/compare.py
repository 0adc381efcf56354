"""One response compared with one Acceptance, per kind: a `Verdict` (score in [0, 1], a
note tag, per-entry verdicts) or a FormatError for a response of the wrong form.

Numbers: exact (sympy's exact arithmetic, derive.verify's comparison), unless the
Acceptance has `sigfigs` (PrairieLearn's sigfig rule) or `rtol`/`atol` (|r - v| <= atol +
rtol |v|).  A decimal answer to a key without a finite decimal expansion (log(10/7), 5/6)
is right when it is the key rounded to the significant digits written, at least
DECIMAL_DIGITS of them.  Expressions: derive.verify.equal (symbolic, else random points or
random matrices).  Vectors and matrices: entry by entry.
"""
from __future__ import annotations

import functools
from dataclasses import replace
from fractions import Fraction
from typing import Any

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixExpr

from .. import enclose
from ..verify import DIGITS, _same_number
from . import fast
from .acceptance import DECIMAL_DIGITS, Acceptance
from .reading import FormatError, Value, parse, read, scalar
from .verdict import Entry, Verdict, _text


def names_for(acc: Acceptance, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The names a response to `acc` may use: the key's own symbols (the very sympy
    objects, assumptions included) and `extra`."""
    out = dict(_key_names(acc.value, acc.alternatives))
    out.update(extra or {})
    return out


@functools.lru_cache(maxsize=1024)
def _key_names(value: Any, alternatives: tuple) -> tuple[tuple[str, Any], ...]:
    out: dict[str, Any] = {}
    for v in (value, *(a.value for a in alternatives)):
        if isinstance(v, sp.Basic):
            out.update((s.name, s) for s in v.free_symbols if hasattr(s, "name"))
            out.update((m.name, m) for m in v.atoms(sp.MatrixSymbol))
    return tuple(sorted(out.items(), key=lambda kv: kv[0]))


def compare(acc: Acceptance, text: str, names: dict[str, Any] | None = None) -> Verdict:
    """The verdict on `text` as an answer to `acc` (FormatError: not an answer of its
    kind): against the key, then, unless that is right, against each accepted
    alternative (the best wins; its reading is named, its tag ends in `-reading`)."""
    try:
        verdict, failure = _against(acc, text, names), None
    except FormatError as exc:
        if not acc.alternatives:
            raise
        verdict, failure = Verdict(0.0, "wrong"), exc
    for alt in acc.alternatives if (verdict.score or 0) < 1 else ():
        shape = tuple(alt.value.shape) if isinstance(alt.value, sp.MatrixBase) else acc.shape
        try:
            v = _against(replace(acc, value=alt.value, alternatives=(), shape=shape), text, names)
        except FormatError:
            continue
        if (v.score or 0) > (verdict.score or 0):
            verdict, failure = replace(v, tag=v.tag + "-reading", reading=alt.reading), None
    if failure is not None:
        raise failure
    return verdict


def _against(acc: Acceptance, text: str, names: dict[str, Any] | None) -> Verdict:
    """The verdict on `text` against `acc.value` alone."""
    if acc.kind == "choice":
        return _choice(acc, text)
    if acc.kind == "boolean":
        return _boolean(acc, text)
    if acc.kind == "number" or acc.kind in ("vector", "matrix"):
        quick = (fast.number if acc.kind == "number" else fast.tensor)(acc, fast.key_side(acc), text)
        if quick is not None:           # a number literal, or a tensor of them (derive.grading.fast)
            return quick
        if acc.kind == "number" and not names:
            quick = fast.arithmetic(acc, fast.key_side(acc), parse(text))   # `1/2 + 1/4`, in Fractions
            if quick is not None:
                return quick
    if acc.kind == "interval":          # an unbounded end is written oo (or inf)
        names = {"oo": sp.oo, "inf": sp.oo, **(names or {})}
    value = read(text, names_for(acc, names))
    if acc.kind == "shape":
        return _shape(acc, value)
    if acc.kind == "interval" or acc.kind == "set":
        return _interval(acc, value)
    item = _one(value)
    if acc.kind in ("vector", "matrix"):
        return _tensor(acc, item, value)
    if acc.kind == "number":
        if isinstance(item, (sp.MatrixBase, MatrixExpr)) and item.shape != (1, 1):
            raise FormatError(f"expected a number, not a {_shape_of(item)} matrix", 1)
        item = item[0, 0] if isinstance(item, sp.MatrixBase) else item
        ok = same_number(acc, acc.value, item, value.decimals)
        return Verdict(_score(ok), _tag(ok, acc, value, item), (), item)
    return _expression(acc, item)


def _one(value: Value) -> Any:
    if len(value.items) != 1 or isinstance(value.items[0], tuple):
        raise FormatError("expected one value, not a list separated by commas", _col(value.nodes[-1]))
    return value.items[0]


def _col(node: Any) -> int:
    return getattr(getattr(node, "pos", None), "column", 1) or 1


def _score(ok: bool | None) -> float | None:
    return None if ok is None else (1.0 if ok else 0.0)


def _tag(ok: bool | None, acc: Acceptance, value: Value, item: Any) -> str:
    if ok is None:
        return "undecided"
    if ok:
        return "correct-decimal" if value.decimals and not acc.tolerant else "correct"
    try:
        if isinstance(acc.value, sp.Expr) and acc.value != 0 and same_number(acc, acc.value, -item, ()):
            return "wrong-sign"
    except (TypeError, ValueError):
        pass
    return "wrong"


def _shape_of(x: Any) -> str:
    return "×".join(str(n) for n in x.shape)


def _finite_decimal(x: sp.Expr) -> bool:
    if not x.is_Rational:
        return False
    q = int(x.q)
    for p in (2, 5):
        while q % p == 0:
            q //= p
    return q == 1


def _sigfig_ok(key: sp.Expr, given: sp.Expr, digits: int) -> bool:
    """PrairieLearn's sigfig rule: |given - key| <= 0.51 * 10^-n, n = digits - 1 - floor(log10 |key|)."""
    k, mag = fast.approx(key)
    n = digits - 1 - (0 if k == 0 else mag)
    return bool(abs(sp.N(given, 40) - k) <= sp.Rational(51, 100) * sp.Integer(10) ** (-n))


def same_number(acc: Acceptance, key: Any, given: Any, decimals: tuple[int, ...]) -> bool | None:
    """Whether scalar `given` counts as `key` under `acc`'s rule (None: cannot tell)."""
    if isinstance(given, sp.Rational):
        k = fast.key_of(key) if isinstance(key, sp.Expr) else None
        if k is not None:                      # rational or irrational key: in Fractions (fast.number_ok)
            return fast.number_ok(acc, k, Fraction(int(given.p), int(given.q)), decimals)
    if not isinstance(given, sp.Expr) or isinstance(given, MatrixExpr):
        return False
    if given.free_symbols or _symbolic(key):
        return _expression_equal(key, given)
    if not given.is_finite or given.has(sp.zoo, sp.nan):
        return False
    if acc.sigfigs is not None:
        return _sigfig_ok(key, given, acc.sigfigs)
    if acc.rtol is not None or acc.atol is not None:
        off = abs(sp.N(given - key, 40))
        return bool(off <= (acc.atol or 0) + (acc.rtol or 0) * abs(sp.N(key, 40)))
    exact = _numbers_equal(key, given)
    if exact or not decimals or _finite_decimal(key):
        return exact
    digits = min(decimals)
    return digits >= DECIMAL_DIGITS and _sigfig_ok(key, given, digits)


def _symbolic(key: Any) -> bool:
    """Whether a key has free symbols, remembered per key (sympy walks the tree on every
    `free_symbols`)."""
    try:
        return _symbolic_memo(key)
    except TypeError:                    # (an unhashable value)
        return bool(getattr(key, "free_symbols", None))


@functools.lru_cache(maxsize=4096)
def _symbolic_memo(key: Any) -> bool:
    return bool(getattr(key, "free_symbols", None))


def _numbers_equal(key: Any, given: Any) -> bool | None:
    """derive.verify's rule for two numbers (equal to 32 digits, relative): the same
    form is equal; else rigorous enclosures decide (derive.enclose), and only where they
    cannot, sympy's adaptive evalf (derive.verify._same_number), which takes ten times as
    long on a difference that cancels (log(9)/2 against log 3)."""
    if key == given:
        return True
    quick = enclose.same(key, given, DIGITS)
    return quick if quick is not None else _same_number(key, given)


def _expression_equal(key: Any, given: Any) -> bool | None:
    """derive's checker: exact values at random points first (derive.fasteval; a point
    where they differ settles it, agreement at every point of verify.TRIALS is its
    "random points" verdict), else derive.verify.equal (symbolic, then sympy at points)."""
    from ..verify import equal
    quick = _at_random_points(key, given)
    if quick is not None:
        return quick
    ok, _ = equal(key, given)
    return ok


def _at_random_points(key: Any, given: Any) -> bool | None:
    import random

    from .. import fasteval, verify
    if not (isinstance(key, sp.Basic) and isinstance(given, sp.Basic)):
        return None
    rnd = random.Random(0)
    symbols = verify._symbols_of([key, given])
    for _ in range(verify.TRIALS):
        point = verify._random_point([key, given], rnd, symbols)
        env = verify._env_of(point)
        if env is None:
            return None
        a, b = verify._fast_value(key, env, point), verify._fast_value(given, env, point)
        if a is None or b is None:
            return None
        if not fasteval.same(a, b):
            return False
    return True


def _expression(acc: Acceptance, item: Any) -> Verdict:
    key = acc.value
    if not isinstance(key, (sp.MatrixBase, MatrixExpr)):
        item = scalar(item)
    key_m, item_m = isinstance(key, (sp.MatrixBase, MatrixExpr)), isinstance(item, (sp.MatrixBase, MatrixExpr))
    if key_m != item_m or (key_m and tuple(key.shape) != tuple(item.shape)):
        want = f"a {_shape_of(key)} matrix" if key_m else "a scalar"
        got = f"a {_shape_of(item)} matrix" if item_m else "a scalar"
        raise FormatError(f"expected {want}, not {got}", 1)
    quick = fast.expression(fast.key_side(acc), item, sign=not key_m)
    ok = quick[0] if quick is not None else _expression_equal(key, item)
    if ok is None:
        return Verdict(None, "undecided", (), item)
    minus = quick[1] if quick is not None and quick[1] is not None else None
    if not ok and not key_m and (minus if minus is not None else _expression_equal(key, -item)):
        return Verdict(0.0, "wrong-sign", (), item)
    return Verdict(_score(ok), "correct" if ok else "wrong", (), item)


def _tensor(acc: Acceptance, item: Any, value: Value) -> Verdict:
    """Entry by entry; a vector may be written as a column `[1, 2]` or a row `[[1, 2]]`."""
    key = acc.value
    if not isinstance(item, sp.MatrixBase):
        raise FormatError(f"expected a {acc.kind} of shape {_shape_of(key)}, as `[...]`", 1)
    if acc.kind == "vector" and item.shape == (1, key.shape[0]) and key.shape[1] == 1:
        item = item.T
    if item.shape != key.shape:
        raise FormatError(f"expected shape {_shape_of(key)}, not {_shape_of(item)}", 1)
    entries, right = [], 0
    vector = key.shape[1] == 1
    for i in range(key.shape[0]):
        for j in range(key.shape[1]):
            ok = same_number(acc, key[i, j], item[i, j], value.decimals)
            right += bool(ok)
            index = (i + 1,) if vector else (i + 1, j + 1)
            entries.append(Entry(index, ok, _text(key[i, j]), _text(item[i, j])))
    if any(e.correct is None for e in entries):
        return Verdict(None, "undecided", tuple(entries), item)
    n = len(entries)
    score = right / n if acc.per_entry else float(right == n)
    tag = "correct" if right == n else "wrong" if right == 0 else f"entries-{right}/{n}"
    return Verdict(score, tag, tuple(entries), item)


def _letters(text: str) -> frozenset[str]:
    parts = [p.strip() for p in text.replace(";", ",").split(",")]
    if len(parts) == 1 and " " in parts[0].strip():
        parts = parts[0].split()
    parts = [(p[1:-1] if p.startswith("(") and p.endswith(")") else p).strip().lower() for p in parts]
    if parts == ["none"]:
        return frozenset()
    for k, p in enumerate(parts):
        if not (p.isascii() and p.isalpha() and len(p) <= 4 and p.islower()):
            raise FormatError(f"expected option letters such as `a` or `a, c`, not `{p[:20]}`",
                              text.find(p) + 1 if p else 1)
    return frozenset(parts)


def _choice(acc: Acceptance, text: str) -> Verdict:
    """All or nothing; for a select-all key with `per_entry`, (right picks - wrong picks) /
    the key's picks, at least 0 (PrairieLearn's checkbox partial credit)."""
    if len(text) > 200:
        raise FormatError("expected option letters such as `a` or `a, c`")
    picked = _letters(text)
    if acc.options is not None:
        unknown = sorted(picked - set(acc.options))
        if unknown:
            raise FormatError(f"there is no option `{unknown[0]}` (the options are {', '.join(acc.options)})",
                              text.find(unknown[0]) + 1)
    key = acc.value
    if picked == key:
        return Verdict(1.0, "correct", (), picked)
    if acc.select_all and acc.per_entry and key:
        score = max(0.0, (len(picked & key) - len(picked - key)) / len(key))
        return Verdict(score, "partial-options" if score else "wrong", (), picked)
    return Verdict(0.0, "wrong", (), picked)


def _boolean(acc: Acceptance, text: str) -> Verdict:
    word = text.strip().lower()
    if word not in ("yes", "no", "true", "false"):
        raise FormatError("expected yes or no (or true / false)")
    ok = (word in ("yes", "true")) == bool(acc.value)
    return Verdict(_score(ok), "correct" if ok else "wrong", (), word in ("yes", "true"))


def _ints(items: list) -> tuple[int, ...]:
    if not items or not all(isinstance(x, sp.Integer) and x > 0 for x in items):
        raise FormatError("expected a shape: positive whole numbers such as `[5, 332]`")
    return tuple(int(x) for x in items)


def _shape(acc: Acceptance, value: Value) -> Verdict:
    items = value.items
    if len(items) == 1 and isinstance(items[0], tuple):
        got = _ints(list(items[0]))
    elif len(items) == 1 and isinstance(items[0], sp.MatrixBase):
        got = _ints(list(items[0]))
    else:
        got = _ints(list(items))
    ok = got == tuple(acc.value)
    return Verdict(_score(ok), "correct" if ok else "wrong", (), got)


def _interval(acc: Acceptance, value: Value) -> Verdict:
    """`(a, b)` open, `[a, b]` closed; `empty` is not in the grammar's names, so an empty
    set is written `[]`... which is refused: only intervals are read here."""
    item = value.items[0] if len(value.items) == 1 else None
    if isinstance(item, tuple) and len(item) == 2:
        got = sp.Interval.open(*item)
    elif isinstance(item, sp.MatrixBase) and item.shape == (2, 1):
        got = sp.Interval(item[0], item[1])
    else:
        raise FormatError("expected an interval: `(a, b)` (open) or `[a, b]` (closed)")
    key = acc.value
    if not isinstance(key, sp.Interval) or not isinstance(got, sp.Interval):
        ok = got == key
    else:
        ends = [k == g if not (k.is_finite and g.is_finite) else same_number(acc, k, g, value.decimals)
                for k, g in ((key.start, got.start), (key.end, got.end))]
        ok = all(ends) and key.left_open == got.left_open and key.right_open == got.right_open
    return Verdict(_score(ok), "correct" if ok else "wrong", (), got)
