"""`vary` and `require`: a problem's values that change from one variant to the next.

    vary t in 10..20                         a whole number from 10 to 20
    vary lr in [0.1, 0.2, 0.5]               one of the listed values
    vary x = random_vector(4, -3, 3)         4 entries, each a whole number from -3 to 3
    vary A = random_matrix(2, 2, -1, 1, denominator = 2)    entries -1, -1/2, 0, 1/2, 1
    vary t in 10..20 default 12              the value when no seed is given
    require det(A) != 0                      a draw that fails is drawn again

`vary_value(problem, stmt, draw)` is the value a `vary` takes: with `draw` None (no seed:
`derive solve` without `--seed`) its default: the `default` written, else the first value
of a range or list (a random vector or matrix has no first value: it needs a `default`);
otherwise a uniform draw from `draw(name)`, a `derive.randomness.Stream`.  Every bound
and the default are checked here (empty range, a default outside the domain) with the
error at its position.  `check_requires` decides each `require` with the problem's
values; a false one raises `RequireFailed` (the variant generator draws again).
`interpolate` writes the values into the problem's text: `{{t}}` becomes the value of `t`.
"""
from __future__ import annotations

import re
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Callable

import sympy as sp

from .. import ast
from ..errors import LimitError, SpecError
from ..randomness import MAX_SPAN, Stream
from ..printing import latex

if TYPE_CHECKING:
    from .problem import PartText, Problem

Draw = Callable[[str], Stream]
MAX_DENOMINATOR = 1000
MAX_DRAWN_ENTRIES = 10_000     # entries of one drawn vector or matrix


def scalarize(v: Any) -> Any:
    """A 1×1 explicit matrix as its entry (as the evaluator's scalarize does)."""
    return v[0, 0] if isinstance(v, sp.MatrixBase) and v.shape == (1, 1) else v


class RequireFailed(SpecError):
    """A `require` that the drawn values do not satisfy (`stmt` is the statement)."""

    def __init__(self, message: str, stmt: ast.Require):
        super().__init__(message, stmt.pos)
        self.stmt = stmt


def _whole(problem: "Problem", expr: ast.Expr, what: str) -> int:
    v = scalarize(problem.value(expr))
    if not isinstance(v, sp.Integer):
        raise SpecError(f"{what} must be a whole number, not {v}", expr.pos)
    return int(v)


def _rational(problem: "Problem", expr: ast.Expr, what: str) -> Fraction:
    v = scalarize(problem.value(expr))
    if not isinstance(v, sp.Rational):
        raise SpecError(f"{what} must be a number, not {v}", expr.pos)
    return Fraction(int(v.p), int(v.q))


class _Range:
    """`LO..HI`: the whole numbers from LO to HI."""

    def __init__(self, problem: "Problem", stmt: ast.Vary):
        lo_e, hi_e = stmt.domain
        self.lo, self.hi = _whole(problem, lo_e, "a range's start"), _whole(problem, hi_e, "a range's end")
        if self.hi < self.lo:
            raise SpecError(f"the range {self.lo}..{self.hi} is empty (its end is below its start)", stmt.pos)
        if self.hi - self.lo + 1 > MAX_SPAN:
            raise LimitError(f"the range {self.lo}..{self.hi} holds more than {MAX_SPAN:.0e} values", stmt.pos)

    def first(self, stmt: ast.Vary) -> Any:
        return sp.Integer(self.lo)

    def pick(self, stream: Stream) -> Any:
        return sp.Integer(self.lo + stream.integer(self.hi - self.lo + 1))

    def holds(self, v: Any) -> bool:
        return isinstance(v, sp.Integer) and self.lo <= int(v) <= self.hi

    def describe(self) -> str:
        return f"{self.lo}..{self.hi}"


class _List:
    """`[v1, v2, ...]`: one of the values listed."""

    def __init__(self, problem: "Problem", stmt: ast.Vary):
        self.items = [scalarize(problem.value(e)) for e in stmt.domain]

    def first(self, stmt: ast.Vary) -> Any:
        return self.items[0]

    def pick(self, stream: Stream) -> Any:
        return self.items[stream.integer(len(self.items))]

    def holds(self, v: Any) -> bool:
        return any(_same(v, item) for item in self.items)

    def describe(self) -> str:
        return "the list"


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, sp.MatrixBase) or isinstance(b, sp.MatrixBase):
        return isinstance(a, sp.MatrixBase) and isinstance(b, sp.MatrixBase) and a.shape == b.shape and a == b
    return a == b


class _Random:
    """`random_vector(n, lo, hi)` / `random_matrix(n, m, lo, hi)`, `denominator = q`: each
    entry one of lo, lo + 1/q, ..., hi."""

    def __init__(self, problem: "Problem", stmt: ast.Vary):
        call = stmt.domain[0]
        assert isinstance(call, ast.Call)     # (the transformer makes only calls of kind "call")
        want = 3 if call.name == "random_vector" else 4
        sig = "random_vector(n, lo, hi)" if want == 3 else "random_matrix(n, m, lo, hi)"
        bad = [k for k in call.kwargs if k.name != "denominator"]
        if len(call.args) != want or bad:
            raise SpecError(f"`{call.name}` takes {want} arguments, as in `{sig}`, and `denominator = q`",
                            bad[0].pos if bad else call.pos)
        sizes = [_whole(problem, a, "a size") for a in call.args[:want - 2]]
        self.rows, self.cols = sizes[0], sizes[-1] if want == 4 else 1
        if min(self.rows, self.cols) < 1:
            raise SpecError("a size must be a positive whole number", call.pos)
        if self.rows * self.cols > MAX_DRAWN_ENTRIES:
            raise LimitError(f"a drawn tensor holds at most {MAX_DRAWN_ENTRIES:,} entries", call.pos)
        self.lo = _rational(problem, call.args[-2], "a bound")
        self.hi = _rational(problem, call.args[-1], "a bound")
        q_e = call.kwarg("denominator")
        self.q = _whole(problem, q_e, "a denominator") if q_e is not None else 1
        if not 1 <= self.q <= MAX_DENOMINATOR:
            raise SpecError(f"a denominator is a whole number from 1 to {MAX_DENOMINATOR}", (q_e or call).pos)
        lo_k, hi_k = self.lo * self.q, self.hi * self.q
        if lo_k.denominator != 1 or hi_k.denominator != 1:
            raise SpecError(f"the bounds must be multiples of 1/{self.q}", call.pos)
        self.lo_k, self.span = int(lo_k), int(hi_k) - int(lo_k) + 1
        if self.span < 1:
            raise SpecError(f"the range {self.lo}..{self.hi} of `{call.name}` is empty", call.pos)
        self.name = call.name

    def first(self, stmt: ast.Vary) -> Any:
        raise SpecError(f"a `vary` drawn by `{self.name}` needs a `default` (the value used without a seed), "
                        f"as in `vary {stmt.name} = {self.name}(...) default [...]`", stmt.pos)

    def pick(self, stream: Stream) -> Any:
        entries = [sp.Rational(self.lo_k + stream.integer(self.span), self.q) for _ in range(self.rows * self.cols)]
        return sp.ImmutableMatrix(self.rows, self.cols, entries)

    def holds(self, v: Any) -> bool:
        if not isinstance(v, sp.MatrixBase) or tuple(v.shape) != (self.rows, self.cols):
            return False
        return all(isinstance(e, sp.Rational) and self.lo <= Fraction(int(e.p), int(e.q)) <= self.hi
                   and (e * self.q).is_integer for e in v)

    def describe(self) -> str:
        shape = f"{self.rows}" if self.name == "random_vector" else f"{self.rows}×{self.cols}"
        step = f" in steps of 1/{self.q}" if self.q > 1 else ""
        return f"{shape} entries from {self.lo} to {self.hi}{step}"


def domain(problem: "Problem", stmt: ast.Vary) -> "_Range | _List | _Random":
    """The set a `vary` draws from, its bounds evaluated and checked."""
    if stmt.kind == "range":
        return _Range(problem, stmt)
    return _List(problem, stmt) if stmt.kind == "list" else _Random(problem, stmt)


def vary_value(problem: "Problem", stmt: ast.Vary, draw: Draw | None) -> Any:
    """The value of `stmt` in this variant: drawn from `draw(name)`, or without a draw the
    default (written, else the domain's first value), checked to lie in the domain."""
    dom = domain(problem, stmt)
    if draw is not None:
        return dom.pick(draw(stmt.name))
    if stmt.default is None:
        return dom.first(stmt)
    value = scalarize(problem.value(stmt.default))
    if isinstance(dom, _Random) and isinstance(value, sp.MatrixBase) and value.shape == (1, dom.rows) \
            and dom.cols == 1:
        value = value.T
    if not dom.holds(value):
        raise SpecError(f"the default of `{stmt.name}` is not one of the values it varies over "
                        f"({dom.describe()})", stmt.default.pos)
    return value


def vary_statement(problem: "Problem", stmt: ast.Vary, draw: Draw | None) -> list:
    """[(name, symbol, value)] of a `vary` (the builder records the value in the problem's
    `varies`; a `require` is decided by `finish`)."""
    value = vary_value(problem, stmt, draw)
    if isinstance(value, sp.MatrixBase):
        return [(stmt.name, sp.MatrixSymbol(stmt.name, value.rows, value.cols), value)]
    return [(stmt.name, sp.Symbol(stmt.name, real=True), value)]


def check_requires(problem: "Problem", requires: list[ast.Require], drawn: bool) -> None:
    """Each `require` decided with the problem's values: a RequireFailed for the first that
    is false (for the defaults, `drawn` False, the message says the defaults fail it)."""
    for stmt in requires:
        v = scalarize(problem.value(stmt.cond))
        if v is True or v is sp.true:
            continue
        if v is False or v is sp.false:
            what = "the drawn values fail" if drawn else \
                "the default values (what `derive solve` shows without --seed) fail"
            raise RequireFailed(f"{what} this `require`; change a `default` or the condition", stmt)
        raise SpecError(f"a `require` needs a condition the problem's values decide (true or false), "
                        f"not {v}", stmt.cond.pos)


def finish(problem: "Problem", requires: list[ast.Require], texts: list[ast.TextStmt], drawn: bool,
           text: str, parts: "list[PartText]") -> "tuple[str, list[PartText]]":
    """After building: the `require`s decided, and (the problem's text, its parts) with the
    values written into the texts' `{{name}}` slots."""
    check_requires(problem, requires, drawn)
    if any("{{" in t.text for t in texts):
        unlabelled = [t for t in texts if t.label is None]
        text = "\n\n".join(interpolate(t.text, problem, t.pos) for t in unlabelled).strip()
        labelled = iter(t for t in texts if t.label is not None)
        parts = [(lab, interpolate(part, problem, next(labelled).pos), marks) for lab, part, marks in parts]
    return text, parts


_SLOT = re.compile(r"\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}")


def interpolate(text: str, problem: "Problem", pos: Any) -> str:
    """`text` with each `{{name}}` replaced by the value of `name` (a number as a decimal
    where it has one, else LaTeX; outside `$...$` anything but a plain number is put in
    `$...$`).  An unknown name, or one without a concrete value, is a SpecError."""
    if "{{" not in text:
        return text
    out, last = [], 0
    for m in _SLOT.finditer(text):
        b = problem.names.get(m.group(1))
        value = scalarize(b.value) if b is not None else None
        if b is None or not isinstance(value, (sp.Expr, sp.MatrixBase)) or getattr(value, "free_symbols", True):
            what = "unknown name" if b is None else "a name without a number value"
            raise SpecError(f"`{{{{{m.group(1)}}}}}` in a text: {what} (a slot names a `vary`, `let`, "
                            "`input` or `param` with a value)", pos)
        shown = _decimal(value)
        in_maths = text.count("$", 0, m.start()) % 2 == 1
        if shown is None:
            shown = latex(value) if in_maths else f"${latex(value)}$"
        out += [text[last:m.start()], shown]
        last = m.end()
    return "".join(out) + text[last:]


def _decimal(v: Any) -> str | None:
    """A rational with a finite decimal expansion written as a decimal (`-0.25`), else None."""
    if not isinstance(v, sp.Rational):
        return None
    q, twos, fives = int(v.q), 0, 0
    while q % 2 == 0:
        q, twos = q // 2, twos + 1
    while q % 5 == 0:
        q, fives = q // 5, fives + 1
    k = max(twos, fives)
    if q != 1 or k > 12:
        return None
    if k == 0:
        return str(int(v.p))
    digits = str(abs(int(v.p)) * 10 ** k // int(v.q)).rjust(k + 1, "0")
    return ("-" if v < 0 else "") + digits[:-k] + "." + digits[-k:]
