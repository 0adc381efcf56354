"""What counts as a right answer to one result: the `Acceptance`, read by the graders
(derive.grading.grade) and by every export.

    acc = accept(solution.result("II.1(b)"))            # exact: 24
    acc = accept(result, rtol=0.01)                     # within 1 % (PrairieLearn's relabs)
    acc = accept(result, sigfigs=3)                     # to 3 significant figures (PrairieLearn's sigfig)

`accept` reads a derived `Result` (its answer's exact sympy value and kind) and returns a
frozen `Acceptance`; nothing is parsed from text.  Its fields are stable (only ever
added to): `id`, `kind`, `value` (the exact sympy value), `text`, `latex`, `rtol`, `atol`,
`sigfigs`, `shape`, `options`, `select_all`, `per_entry`, `alternatives`, `symbols`,
`marks`, `check`.
"""
from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from typing import Any

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixExpr

from ..records import record

# The kinds a response can be graded as, and "manual" (prose, a statement, named values:
# a person marks it; grade() says "undecided").
KINDS = ("number", "vector", "matrix", "expression", "choice", "interval", "shape", "set", "boolean", "manual")
_FROM_ANSWER = {"number": "number", "expression": "expression", "matrix_expression": "expression",
                "vector": "vector", "matrix": "matrix", "shape": "shape", "interval": "interval",
                "set": "set", "choice": "choice", "boolean": "boolean"}
DECIMAL_DIGITS = 3      # a decimal answer to an irrational key: right when the key rounds to it, >= 3 digits


@record
class Alternative:
    """Another accepted answer: `value` (exact, sympy), accepted under the `reading` named."""
    reading: str
    value: Any
    text: str = ""


@record
class Acceptance:
    """What counts as right for one result.

    `kind`: one of KINDS; `value`: the exact value (a sympy number or expression, an
    ImmutableMatrix for vectors and matrices (vectors as columns), a tuple of ints for a
    shape, a sympy Interval or Set, a frozenset of letters for a choice, a bool);
    `rtol`/`atol`: PrairieLearn's relabs rule |r - v| <= atol + rtol |v| (None: exact);
    `sigfigs`: PrairieLearn's sigfig rule; `shape`: the (rows, cols) of a vector or matrix;
    `options`: every option letter of a choice (None when not known); `select_all`: the
    key picks several letters; `per_entry`: proportional credit for entries / options
    (else all or nothing); `alternatives`: other accepted answers with the reading they
    follow; `symbols`: the names a response may use (with `W_Q`-style matrix names);
    `check`: how a response is compared, in words ("exact", "rtol=0.01", "symbolic or
    random points", ...)."""
    id: str | None
    kind: str
    value: Any
    text: str = ""
    latex: str = ""
    rtol: float | None = None
    atol: float | None = None
    sigfigs: int | None = None
    shape: tuple[int, ...] | None = None
    options: tuple[str, ...] | None = None
    select_all: bool = False
    per_entry: bool = True
    alternatives: tuple[Alternative, ...] = ()
    symbols: tuple[str, ...] = ()
    marks: Fraction | None = None
    check: str = "exact"

    @property
    def tolerant(self) -> bool:
        return self.rtol is not None or self.atol is not None or self.sigfigs is not None

    def to_json(self) -> dict:
        """JSON-ready: kind, the key's text and LaTeX, tolerances and the rest (the value as text)."""
        return {"id": self.id, "kind": self.kind, "text": self.text, "latex": self.latex,
                "rtol": self.rtol, "atol": self.atol, "sigfigs": self.sigfigs,
                "shape": list(self.shape) if self.shape is not None else None,
                "options": list(self.options) if self.options is not None else None,
                "select_all": self.select_all, "per_entry": self.per_entry,
                "alternatives": [{"reading": a.reading, "text": a.text or str(a.value)} for a in self.alternatives],
                "symbols": list(self.symbols),
                "marks": (int(self.marks) if self.marks is not None and self.marks.denominator == 1
                          else float(self.marks) if self.marks is not None else None),
                "check": self.check}


def accept(result: Any, *, rtol: float | None = None, atol: float | None = None, sigfigs: int | None = None,
           options: tuple[str, ...] | None = None, per_entry: bool = True,
           alternatives: tuple[Alternative, ...] = ()) -> Acceptance:
    """The Acceptance of a derived `Result` (derive.steps.Result).

    Defaults: exact comparison (numbers, vectors and matrices entry by entry; a decimal
    response to an irrational key must be the key rounded to the digits written, at
    least DECIMAL_DIGITS significant ones); expressions by derive's own checker (symbolic,
    then random points or random matrices); `rtol`/`atol` or `sigfigs` make numeric
    comparisons tolerant.  The result's readings (`accept reading "..." { ... }` in the
    spec) are accepted alternatives too, after those given.  A result without an answer
    (an error) raises ValueError."""
    _check_tolerances(rtol, atol, sigfigs)
    if result.answer is None:
        raise ValueError(f"result {result.id} has no answer to accept ({result.error.message if result.error else ''})")
    a = result.answer
    answer_kind = dict(a.extra).get("kind", "expression")
    kind, value = _kind_and_value(answer_kind, a)
    shape = tuple(value.shape) if isinstance(value, sp.MatrixBase) else None
    alternatives = tuple(alternatives) + tuple(
        Alternative(name, _kind_and_value(dict(alt.extra).get("kind", "expression"), alt)[1], alt.text)
        for name, alt, _ in getattr(result, "readings", ()) if alt is not None)
    letters = frozenset(value) if kind == "choice" else None
    acc = Acceptance(result.id, kind, value, a.text, a.latex, rtol, atol, sigfigs, shape,
                     tuple(options) if options is not None else None,
                     bool(letters and len(letters) > 1), per_entry, tuple(alternatives),
                     _symbol_names(value), result.marks)
    return replace(acc, check=describe(acc))


_ONCE: dict[tuple[int, Any], tuple[Any, Acceptance]] = {}


def accept_once(result: Any, marks: Fraction | None = None) -> Acceptance:
    """`accept(result)` (with `marks` in place of the result's own when given), made once
    per Result while it lives, so that the key's work and the verdicts on responses seen
    (derive.grading.fast) serve every student graded against it."""
    import weakref
    key = (id(result), marks)
    hit = _ONCE.get(key)
    if hit is not None and hit[0]() is result:
        return hit[1]
    acc = accept(result)
    if marks is not None:
        acc = replace(acc, marks=marks)
    try:
        ref = weakref.ref(result, lambda _, k=key: _ONCE.pop(k, None))
    except TypeError:                       # (an object that cannot be weakly referenced: made each time)
        return acc
    _ONCE[key] = (ref, acc)
    return acc


def _check_tolerances(rtol: Any, atol: Any, sigfigs: Any) -> None:
    for name, v in (("rtol", rtol), ("atol", atol)):
        if v is not None and not (isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v < 1e6):
            raise ValueError(f"{name} must be a non-negative number, not {v!r}")
    if sigfigs is not None and not (isinstance(sigfigs, int) and not isinstance(sigfigs, bool) and 1 <= sigfigs <= 30):
        raise ValueError(f"sigfigs must be a whole number from 1 to 30, not {sigfigs!r}")


def _kind_and_value(answer_kind: str, a: Any) -> tuple[str, Any]:
    """The grading kind and exact value of an Answer."""
    expr = a.expr
    if answer_kind == "choice" and a.choice:
        return "choice", frozenset(x.strip() for x in a.choice.split(",") if x.strip() and x.strip() != "none")
    if answer_kind == "list":
        return _list_kind(expr)
    kind = _FROM_ANSWER.get(answer_kind, "manual")
    if kind == "shape":
        return kind, tuple(int(n) for n in expr)
    if kind == "boolean":
        return kind, bool(expr)
    if kind in ("vector", "matrix") and isinstance(expr, sp.MatrixBase):
        return kind, sp.ImmutableMatrix(expr)
    if kind == "manual":
        return kind, expr
    if isinstance(expr, sp.MatrixBase) and expr.shape == (1, 1):
        return kind, expr[0, 0]
    return kind, expr


def _list_kind(expr: Any) -> tuple[str, Any]:
    """A list answer: scalars as a vector (gradient-descent iterates), equal-length vectors
    as the rows of a matrix (attention outputs); anything else is marked by hand."""
    items = list(expr.args) if isinstance(expr, sp.Tuple) else list(expr) if isinstance(expr, (list, tuple)) else []
    if items and all(isinstance(x, sp.Expr) and not isinstance(x, MatrixExpr) for x in items):
        return "vector", sp.ImmutableMatrix(len(items), 1, items)
    if items and all(isinstance(x, sp.MatrixBase) and 1 in x.shape for x in items) \
            and len({len(x) for x in items}) == 1:
        return "matrix", sp.ImmutableMatrix([list(x) for x in items])
    return "manual", expr


def _symbol_names(value: Any) -> tuple[str, ...]:
    if not isinstance(value, sp.Basic):
        return ()
    names = {s.name for s in value.free_symbols if hasattr(s, "name")}
    names |= {m.name for m in value.atoms(sp.MatrixSymbol)}
    return tuple(sorted(names))


def describe(acc: Acceptance) -> str:
    """How a response to `acc` is compared, in a few words (the Grade's `check`)."""
    if acc.kind == "manual":
        return "marked by hand"
    if acc.kind == "expression" and acc.symbols:
        return "derive's checker: symbolic, else random points or matrices"
    if acc.kind == "choice":
        return "the letters chosen" + (", per option" if acc.select_all and acc.per_entry else "")
    if acc.sigfigs is not None:
        how = f"to {acc.sigfigs} significant figures"
    elif acc.tolerant:
        how = f"within rtol={acc.rtol or 0:g}, atol={acc.atol or 0:g}"
    else:
        how = "exact, or a decimal rounded correctly" if acc.kind in ("number", "vector", "matrix") else "exact"
    if acc.kind in ("vector", "matrix"):
        how += ", entry by entry"
    return how
