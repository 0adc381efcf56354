"""The common answers checked on a short route, with the verdicts of the general one
(derive.grading.compare), and what one Acceptance's key needs worked out only once.

    side = key_side(acc)                 # once per Acceptance (kept while the Acceptance lives)
    number(acc, side, "0.75")            # a Verdict, or None: take the general route
    tensor(acc, side, "[[1, 2], [3, 4]]")
    expression(side, item)               # (equal, wrong sign) at the key's random points, or None

* A number literal (`18`, `-0.75`, `3/4`, `1e-3`) is read by the grammar's own NUMBER
  terminal into a Fraction (no parser, no sympy) and compared with the key as Fractions:
  exactly, then by the tolerance or significant-figure rule (`number_ok`, the one rule
  both routes use).  An irrational key is compared through its 40-digit value, as a
  Fraction.
* A vector or matrix of number literals (the grammar's NUMTENSOR) is read into Fractions
  and compared entry by entry with the key's entries, worked out once.
* An expression is evaluated at the key's random points (derive.verify's points and
  derive.fasteval's exact evaluator); the key's values there are worked out once.

Anything else, or anything unusual (a literal too long, a shape that does not fit, a
point where a value cannot be kept exact), returns None and the general route decides,
with its messages.  `recall` / `remember` keep the verdicts of the last CACHE_SIZE
distinct responses to each Acceptance (a class's answers repeat): the verdict on a
response depends only on the response and the Acceptance.
"""
from __future__ import annotations

import functools
import math
import re
import weakref
from collections import OrderedDict
from fractions import Fraction
from typing import Any

import sympy as sp

from .. import limits
from ..errors import DeriveError
from ..literals import _TENSOR_PART
from ..literals import number as literal_number
from . import modular
from .acceptance import DECIMAL_DIGITS, Acceptance
from .arith import rational
from .reading import FormatError, _literal_res, _parsed, significant_digits
from .verdict import Entry, Verdict, _text

CACHE_SIZE = 2048           # distinct responses remembered per Acceptance
CACHED_CHARS = 400          # longer responses are never remembered
LITERAL_CHARS = 80          # longer number literals take the general route (its size limits)
_SIDES: dict[int, tuple[weakref.ref, KeySide]] = {}    # id(Acceptance) -> (a weak reference to it, its KeySide)
_ERA = [0]                  # bumped by forget_responses: a KeySide's verdicts from an older era are dropped


class Key:
    """One exact scalar of a key: `exact` (a Fraction) when rational, else `approx` (its
    40-digit value as a Fraction); `mag` is floor(log10 |key|) (0 for 0), on demand."""
    __slots__ = ("_mag", "approx", "exact", "value")

    def __init__(self, value: sp.Expr):
        self.value = value
        self.exact = Fraction(int(value.p), int(value.q)) if isinstance(value, sp.Rational) else None
        self.approx = None if self.exact is not None else _approx40(value)
        self._mag: int | None = None

    @property
    def near(self) -> Fraction:
        return self.exact if self.exact is not None else self.approx

    @property
    def mag(self) -> int:
        if self._mag is None:
            self._mag = _exact_mag(self.exact) if self.exact is not None else _approx_mag(self.value)
        return self._mag


@functools.lru_cache(maxsize=4096)
def key_of(value: Any) -> Key | None:
    """The Key of a numeric key that is rational or known irrational (None otherwise)."""
    if isinstance(value, sp.Rational):
        return Key(value)
    if isinstance(value, sp.Expr) and value.is_number and value.is_rational is False and value.is_finite:
        return Key(value)
    return None


def _approx40(value: sp.Expr) -> Fraction:
    r = sp.Rational(sp.N(value, 40))
    return Fraction(int(r.p), int(r.q))


@functools.lru_cache(maxsize=4096)
def approx(key: sp.Expr) -> tuple[sp.Float, int]:
    """`key` to 40 digits and floor(log10 |key|) (0 for 0), once per key."""
    k = sp.N(key, 40)
    return k, (0 if k == 0 else math.floor(sp.log(abs(k), 10).evalf(40)))


def _approx_mag(value: sp.Expr) -> int:
    return approx(value)[1]


def _exact_mag(k: Fraction) -> int:
    """floor(log10 |k|) of a rational, in integer arithmetic (0 for 0)."""
    k = abs(k)
    if k == 0:
        return 0
    m = len(str(k.numerator)) - len(str(k.denominator))
    while Fraction(10) ** m > k:
        m -= 1
    while Fraction(10) ** (m + 1) <= k:
        m += 1
    return m


def sigfig_ok(key: Key, given: Fraction, digits: int) -> bool:
    """PrairieLearn's sigfig rule: |given - key| <= 0.51 * 10^-n, n = digits - 1 - floor(log10 |key|)."""
    n = digits - 1 - key.mag
    return abs(given - key.near) <= Fraction(51, 100) * Fraction(10) ** (-n)


def finite_decimal(k: Fraction) -> bool:
    q = k.denominator
    for p in (2, 5):
        while q % p == 0:
            q //= p
    return q == 1


def number_ok(acc: Acceptance, key: Key, given: Fraction, decimals: tuple[int, ...]) -> bool:
    """Whether the rational `given` counts as `key` under `acc`'s rule: sigfigs, else
    rtol/atol (|given - key| <= atol + rtol |key|), else exactly, except that a decimal
    to a key with no finite decimal expansion is right when it is the key rounded to the
    significant digits written (at least DECIMAL_DIGITS)."""
    if acc.sigfigs is not None:
        return sigfig_ok(key, given, acc.sigfigs)
    if acc.rtol is not None or acc.atol is not None:
        return abs(given - key.near) <= Fraction(acc.atol or 0) + Fraction(acc.rtol or 0) * abs(key.near)
    if key.exact is not None and (key.exact == given or not decimals or finite_decimal(key.exact)):
        return key.exact == given
    return bool(decimals) and min(decimals) >= DECIMAL_DIGITS and sigfig_ok(key, given, min(decimals))


class KeySide:
    """What grading responses to one Acceptance needs of its key, each part worked out
    on first use: the scalar Key, the entries' Keys, the random points with the key's
    values there, and the verdicts on responses seen."""

    def __init__(self, acc: Acceptance):
        self.kind, self.value = acc.kind, acc.value      # (not the Acceptance: the KeySide dies with it)
        self._seen: OrderedDict = OrderedDict()
        self._era = _ERA[0]

    @property
    def seen(self) -> OrderedDict:
        """The verdicts on the responses seen since the last forget_responses()."""
        if self._era != _ERA[0]:
            self._seen, self._era = OrderedDict(), _ERA[0]
        return self._seen

    @functools.cached_property
    def scalar(self) -> Key | None:
        return key_of(self.value) if self.kind == "number" else None

    @functools.cached_property
    def entries(self) -> tuple[tuple[Key, ...], ...] | None:
        v = self.value
        if not isinstance(v, sp.MatrixBase) or not all(isinstance(e, sp.Rational) for e in v):
            return None
        return tuple(tuple(Key(v[i, j]) for j in range(v.shape[1])) for i in range(v.shape[0]))

    @functools.cached_property
    def texts(self) -> tuple[str, ...]:
        return tuple(_text(e) for e in self.value)

    @functools.cached_property
    def points(self) -> tuple[tuple, tuple[Any, ...]] | None:
        """((matrix symbols, scalar symbols), ((point, env, key value), ...)), or None."""
        import random

        from .. import verify
        key = self.value
        if not isinstance(key, sp.Basic):
            return None
        rnd = random.Random(0)                       # the points _at_random_points draws
        symbols = verify._symbols_of([key])
        out = []
        for _ in range(verify.TRIALS):
            point = verify._random_point([key], rnd, symbols)
            env = verify._env_of(point)
            value = verify._fast_value(key, env, point) if env is not None else None
            if value is None:
                return None
            out.append((point, env, value))
        return symbols, tuple(out)

    @functools.cached_property
    def residues(self) -> tuple[dict, tuple[int, ...]] | None:
        """The points' residues mod P per symbol and the key's residues there
        (derive.grading.modular), or None (a matrix symbol, a key value not rational)."""
        pts = self.points
        if pts is None:
            return None
        lanes = modular.lanes([point for point, _, _ in pts[1]])
        keys = tuple(modular.residue(v) for _, _, v in pts[1])
        return None if lanes is None or None in keys else (lanes, keys)


def key_side(acc: Acceptance) -> KeySide:
    """The KeySide of `acc`, made once per Acceptance object and dropped when it is."""
    hit = _SIDES.get(id(acc))
    if hit is not None and hit[0]() is acc:
        return hit[1]
    side = KeySide(acc)
    _SIDES[id(acc)] = (weakref.ref(acc, functools.partial(_drop, id(acc))), side)
    return side


def _drop(key: int, ref: weakref.ref) -> None:
    hit = _SIDES.get(key)
    if hit is not None and hit[0] is ref:
        del _SIDES[key]


def recall(acc: Acceptance, text: Any, names: Any) -> Any:
    """The verdict (or FormatError) remembered for `text`, or None."""
    if names or not isinstance(text, str) or len(text) > CACHED_CHARS:
        return None
    seen = key_side(acc).seen
    hit = seen.get(text)
    if hit is None:
        return None
    try:
        seen.move_to_end(text)
    except KeyError:                                 # (dropped by another thread meanwhile)
        pass
    if isinstance(hit, tuple):                       # a FormatError, raised afresh each time
        return FormatError(*hit)
    return hit


def remember(acc: Acceptance, text: Any, names: Any, outcome: Any) -> None:
    """Keep the verdict (or FormatError) on `text`, unless the time ran out on the way."""
    if names or not isinstance(text, str) or len(text) > CACHED_CHARS or limits.expired():
        return
    seen = key_side(acc).seen
    seen[text] = (outcome.message, outcome.column) if isinstance(outcome, FormatError) else outcome
    if len(seen) > CACHE_SIZE:
        try:
            seen.popitem(last=False)
        except KeyError:
            pass


def _patterns() -> tuple[re.Pattern, re.Pattern]:
    return _literal_res()


def literal(text: str) -> tuple[Fraction, tuple[int, ...]] | None:
    """A signed number literal or a fraction of two (`-3/4`, `0.75`, `1e-3`) as a Fraction
    and the significant digits of its decimal literals, or None."""
    body = text.strip()
    if len(body) > LITERAL_CHARS:
        return None
    m = _patterns()[0].fullmatch(body)
    if m is None:
        return None
    sign, top, bottom = m.groups()
    try:
        value = literal_number(top)
        if bottom:
            below = literal_number(bottom)
            if below == 0:
                return None
            value = value / below
    except DeriveError:
        return None
    decimals = tuple(significant_digits(t) for t in (top, bottom) if t and not t.isdigit())   # (with `.` or `e`)
    if value.numerator.bit_length() > 3000 or value.denominator.bit_length() > 3000:
        return None
    return (-value if sign == "-" else value), decimals


def _tag(acc: Acceptance, key: Key, ok: bool, given: Fraction, decimals: tuple[int, ...]) -> str:
    if ok:
        return "correct-decimal" if decimals and not acc.tolerant else "correct"
    if acc.value != 0 and number_ok(acc, key, -given, ()):
        return "wrong-sign"
    return "wrong"


def number(acc: Acceptance, side: KeySide, text: str) -> Any:
    """The Verdict on a number literal answering a numeric key, or None."""
    key = side.scalar
    if key is None:
        return None
    read = literal(text)
    return None if read is None else _number_verdict(acc, key, *read)


def arithmetic(acc: Acceptance, side: KeySide, nodes: tuple) -> Any:
    """The Verdict on an answer of rational arithmetic (`1/2 + 1/4`: derive.grading.arith)
    to a numeric key, or None."""
    key = side.scalar
    if key is None or len(nodes) != 1:
        return None
    read = rational(nodes[0])
    return None if read is None else _number_verdict(acc, key, *read)


def _number_verdict(acc: Acceptance, key: Key, given: Fraction, decimals: tuple[int, ...]) -> Any:
    ok = number_ok(acc, key, given, decimals)
    return Verdict(1.0 if ok else 0.0, _tag(acc, key, ok, given, decimals), (),
                   sp.Rational(given.numerator, given.denominator))


def _tensor_literal(text: str) -> tuple[list[list[Fraction]], bool, tuple[int, ...]] | None:
    """A vector or matrix of number literals (the grammar's NUMTENSOR) as rows of
    Fractions, whether it was written as a matrix, and the decimals' significant digits."""
    body = text.strip()
    if not body.startswith("[") or _patterns()[1].fullmatch(body) is None:
        return None
    rows: list[list[Fraction]] = []
    depth, sign, decimals, nested = 0, 1, [], body[1:].lstrip().startswith("[")
    for m in _TENSOR_PART.finditer(body):
        kind = m.lastindex
        if kind == 1:
            depth += 1
            if depth == 2 or not nested:
                rows.append([])
        elif kind == 2:
            depth -= 1
        elif kind == 4:
            sign = -1 if m.group(4) == "-" else 1
        elif kind == 5:
            lit = m.group(5)
            try:
                v = literal_number(lit)
            except DeriveError:
                return None
            if any(c in lit for c in ".eE"):
                decimals.append(significant_digits(lit))
            rows[-1].append(-v if sign < 0 else v)
            sign = 1
    if len({len(r) for r in rows}) != 1:
        return None
    return rows, nested, tuple(decimals)


def tensor(acc: Acceptance, side: KeySide, text: str) -> Any:
    """The Verdict on a vector or matrix of number literals answering a key of rational
    entries, entry by entry (None: anything else, or a shape the general route explains).
    Its `given` is the matrix read when every entry is right (the feedback shows it),
    else None (the feedback shows the entries)."""
    keys = side.entries
    if keys is None:
        return None
    read = _tensor_literal(text)
    if read is None:
        return None
    rows, nested, decimals = read
    r, c = len(keys), len(keys[0])
    if not nested:                                   # `[1, 2, 3]`: a column
        rows = [[v] for v in rows[0]]
    elif acc.kind == "vector" and len(rows) == 1 and c == 1 and len(rows[0]) == r:
        rows = [[v] for v in rows[0]]                # a row `[[1, 2, 3]]` for a column key
    if (len(rows), len(rows[0])) != (r, c):
        return None
    entries, right, exact = [], 0, True
    for i in range(r):
        for j in range(c):
            g = rows[i][j]
            ok = number_ok(acc, keys[i][j], g, decimals)
            right += ok
            exact = exact and g == keys[i][j].exact
            entries.append(Entry((i + 1,) if c == 1 else (i + 1, j + 1), ok, side.texts[i * c + j],
                                 _fraction_text(g)))
    n = len(entries)
    given = acc.value if exact else None if right < n else \
        sp.ImmutableMatrix(r, c, [sp.Rational(g.numerator, g.denominator) for row in rows for g in row])
    score = right / n if acc.per_entry else float(right == n)
    tag = "correct" if right == n else "wrong" if right == 0 else f"entries-{right}/{n}"
    return Verdict(score, tag, tuple(entries), given)


def _fraction_text(g: Fraction) -> str:
    return str(g.numerator) if g.denominator == 1 else f"{g.numerator}/{g.denominator}"


def expression(side: KeySide, item: Any, sign: bool) -> tuple[bool, bool | None] | None:
    """(whether `item` equals the key at each of the key's random points, whether it is
    minus the key there: None when `sign` is False or that cannot be told on this route),
    or None when a value cannot be kept exact (or `item` has symbols the key has not):
    then derive's checker decides as before (compare._expression_equal)."""
    from .. import fasteval, verify
    pts = side.points
    if pts is None or not isinstance(item, sp.Basic):
        return None
    mod = side.residues
    got = modular.values(item, mod[0], len(mod[1])) if mod is not None else None
    if got is not None:                               # a rational function of the key's symbols: mod P
        if got == mod[1]:
            return True, False
        return False, (all((k + g) % modular.P == 0 for k, g in zip(mod[1], got)) if sign else None)
    (mats, scalars), points = pts
    more_mats, more_scalars = verify._symbols_of([item])
    if not (more_mats <= mats and more_scalars <= scalars):
        return None
    values = []
    for point, env, key_value in points:
        v = verify._fast_value(item, env, point)
        if v is None:
            return None
        values.append(v)
        if not fasteval.same(key_value, v):
            break
    else:
        return True, False
    if not sign:
        return False, None
    for point, env, key_value in points[len(values):]:
        v = verify._fast_value(item, env, point)
        if v is None:
            return False, None
        values.append(v)
    return False, all(fasteval.same(kv, -v) for (_, _, kv), v in zip(points, values))


def forget_responses() -> None:
    """Forget every remembered verdict and parsed answer (the keys' own work is kept):
    bench/grading.py's cold measurement, and tests.  O(1): each KeySide drops its
    verdicts when it is next used."""
    _ERA[0] += 1
    _parsed.cache_clear()
