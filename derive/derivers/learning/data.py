"""Reading the arguments of the classical-learning goals, and small display helpers.

In: a `Problem`, a goal `ast.Call` and its argument nodes.  Out: plain Python lists of
exact sympy numbers (points as rows, labels as SpecStrings or numbers), keyword values
checked, or a `SpecError` at the offending argument's position.

* points / features: a matrix whose rows are the samples, a column vector (N samples of
  one feature), a list of vectors (`[x1, x2, x3]`) or a table of strings (categories);
* labels: a vector of numbers or a list of strings (`["spam", "ham"]`), one per sample;
* keywords: whole numbers in a range, true/false, one of a few strings.
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from ... import ast
from ...errors import SpecError
from ...model.expressions import Seq, Words, kind_of, scalarize, show_shape
from ...model.problem import Problem
from ...sentence import Sentence, say


def exact(e: Any) -> Any:
    """A real number as an exact sympy number (a Float, if one slips in, as its rational)."""
    return sp.nsimplify(e, rational=True) if isinstance(e, sp.Float) else e


def _real(e: Any, node: ast.Expr, what: str) -> Any:
    if not (isinstance(e, sp.Expr) and e.is_number and e.is_real):
        raise SpecError(f"{what} must be real numbers; {e} is not", node.pos)
    return exact(e)


def _describe(value: Any) -> str:
    if isinstance(value, sp.Basic) and kind_of(value) is None:
        return show_shape(value)
    return kind_of(value) or "this value"


def rows_of(problem: Problem, node: ast.Expr, what: str, *, words: bool = False) -> list[list[Any]]:
    """The samples of a points/features argument as rows of exact numbers (or, with
    `words`, of strings and numbers: categories).  A column vector is N samples of one
    feature; a row vector one sample."""
    value = problem.value(node)
    if isinstance(value, Words):
        if not words:
            raise SpecError(f"{what} must be numbers, not strings", node.pos)
        rows = [list(r) if isinstance(r, Words) else [r] for r in value]
        if len({len(r) for r in rows}) != 1:
            raise SpecError(f"the samples of {what} have different lengths", node.pos)
        return rows
    if isinstance(value, Seq):
        rows = []
        for v in value:
            if not isinstance(v, sp.MatrixBase) or 1 not in v.shape:
                raise SpecError(f"{what}: every sample must be a vector, not {_describe(v)}", node.pos)
            rows.append([_real(e, node, what) for e in v])
        if len({len(r) for r in rows}) != 1:
            lengths = ", ".join(str(len(r)) for r in rows)
            raise SpecError(f"the samples of {what} have different lengths ({lengths})", node.pos)
        return rows
    if not isinstance(value, sp.MatrixBase):
        raise SpecError(f"{what} must be a matrix whose rows are the samples (or a list of vectors), "
                        f"not {_describe(value)}", node.pos)
    r, c = value.shape
    if c == 1:
        return [[_real(e, node, what)] for e in value]
    return [[_real(value[i, j], node, what) for j in range(c)] for i in range(r)]


def vector_of(problem: Problem, node: ast.Expr, what: str, length: int | None = None) -> list[Any]:
    """One point (a vector of exact reals, or a list of categories) of `length` entries."""
    value = problem.value(node)
    if isinstance(value, Words):
        out = list(value)
    elif isinstance(value, sp.MatrixBase) and 1 in value.shape:
        out = [_real(e, node, what) for e in value]
    elif isinstance(value, sp.Expr) and kind_of(value) is None:
        out = [_real(scalarize(value), node, what)]
    else:
        raise SpecError(f"{what} must be a vector, not {_describe(value)}", node.pos)
    if length is not None and len(out) != length:
        raise SpecError(f"{what} has {len(out)} entries but the samples have {length} features", node.pos)
    return out


def labels_of(problem: Problem, node: ast.Expr, n: int, what: str = "the labels") -> list[Any]:
    """One label per sample: strings, or exact numbers (a vector)."""
    value = problem.value(node)
    if isinstance(value, Words):
        if any(isinstance(v, Words) for v in value):
            raise SpecError(f"{what} must be a list, not a table", node.pos)
        out = list(value)
    elif isinstance(value, sp.MatrixBase) and 1 in value.shape:
        out = [_real(e, node, what) for e in value]
    else:
        raise SpecError(f"{what} must be a vector or a list of strings, not {_describe(value)}", node.pos)
    if len(out) != n:
        raise SpecError(f"there are {n} samples but {len(out)} labels", node.pos)
    return out


def classes_of(labels: list[Any], node: ast.Expr | None = None) -> list[Any]:
    """The distinct labels in scikit-learn's order: numbers increasing, strings
    alphabetical (so that "the first class" on a tie is scikit-learn's too)."""
    seen = list(dict.fromkeys(labels))
    if all(isinstance(y, str) for y in seen):
        return sorted(seen)
    if all(not isinstance(y, str) for y in seen):
        return sorted(seen)
    raise SpecError("the labels mix strings and numbers; use one kind", node.pos if node is not None else None)


def kw(problem: Problem, call: ast.Call, name: str) -> tuple[Any, ast.Expr | None]:
    """(value, node) of keyword `name`, (None, None) when absent."""
    node = call.kwarg(name)
    return (None, None) if node is None else (problem.value(node), node)


def whole(problem: Problem, call: ast.Call, name: str, default: int, lo: int, hi: int | None = None,
          why: str = "") -> int:
    """A whole-number keyword in [lo, hi] (hi None: no upper bound)."""
    value, node = kw(problem, call, name)
    if node is None:
        return default
    v = scalarize(value)
    if not (isinstance(v, sp.Integer) and v >= lo and (hi is None or v <= hi)):
        rng = f"from {lo} to {hi}" if hi is not None else f"at least {lo}"
        raise SpecError(f"`{name}` must be a whole number {rng}{why}, not {v}", node.pos)
    return int(v)


def flag(problem: Problem, call: ast.Call, name: str, default: bool) -> bool:
    """A true/false keyword."""
    value, node = kw(problem, call, name)
    if node is None:
        return default
    if value not in (sp.true, sp.false):
        raise SpecError(f"`{name}` is true or false", node.pos)
    return value == sp.true


def choice(problem: Problem, call: ast.Call, name: str, options: tuple[str, ...]) -> str:
    """A string keyword among `options` (the first is the default)."""
    value, node = kw(problem, call, name)
    if node is None:
        return options[0]
    if not isinstance(value, str) or value not in options:
        raise SpecError(f"`{name}` is one of {', '.join(repr(o) for o in options)}", node.pos)
    return str(value)


def label_cell(y: Any) -> Any:
    """A label or category as a table cell: a string as plain text, a number as maths."""
    return say(str(y)) if isinstance(y, str) else y


def label_part(y: Any) -> Any:
    """A label inside a sentence: a string quoted as plain text, a number as maths."""
    return say("“", str(y), "”") if isinstance(y, str) else say(y)


def row(entries: list[Any]) -> sp.ImmutableMatrix:
    """A point shown as a row vector (samples are rows)."""
    return sp.ImmutableMatrix([list(entries)])


def point(entries: list[Any]) -> Any:
    """A point as shown: a row vector, or the number itself in one dimension."""
    return entries[0] if len(entries) == 1 else row(entries)


def plain(parts: Any) -> Sentence:
    """A sentence of plain parts (for table captions)."""
    return say(parts)
