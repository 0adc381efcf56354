"""Answers: the `Answer` of a goal made from its sympy object (derive.derivers' one way to
build one), with the printed forms the JSON contract keeps.

In: the answer's object (a sympy object or a Python value), optionally a display object,
text, value, choice, prose.  Out: an `Answer` whose `latex` (derive.printing's LaTeX of what
is shown), `text` (parse_expr-readable) and `value` (JSON-ready) are printed here, outside
the derivers, which hold maths as data (tests/test_maths_as_data.py).  `answer_kind` says
what an answer is (docs/json.md), `decimal_tensor` gives the checked decimals of an exact
tensor, `printed_chars` the printed size of a chain (for derive.limits).
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from .printing import answer_text, answer_value, latex
from .steps import Answer

# Every `answer.kind` (docs/json.md has a row for each; a test checks).  The first ones'
# `text` is what SymPy's parse_expr reads back; QUOTED_KINDS' is a quoted string literal
# (for a statement, derive's own words); a choice's is its option label(s).
ANSWER_KINDS = ("number", "expression", "vector", "matrix", "matrix_expression", "list", "shape", "mapping",
                "interval", "set", "boolean", "choice", "string", "prose", "statement")
QUOTED_KINDS = ("string", "prose", "statement")
def answer_kind(expr: Any, choice: str | None = None, prose: str | None = None) -> str:
    """What an answer is, for `Answer.extra["kind"]` and the JSON `answer.kind` (docs/json.md).

    number, expression (a scalar with symbols), vector, matrix (explicit), matrix_expression
    (MatrixSymbol algebra), list, shape, mapping (name -> value), interval, set, boolean,
    choice, string (a string value), prose (Markdown: an authored answer or pseudocode),
    statement (derive's words: the conclusion of a derivation, no value).
    """
    import sympy as sp
    from fractions import Fraction
    from sympy.matrices.expressions import MatrixExpr
    if choice is not None:
        return "choice"
    if expr is None:
        return "statement"
    if isinstance(expr, str):
        return "prose" if prose is not None else "string"
    if isinstance(expr, (bool, sp.logic.boolalg.BooleanAtom)):
        return "boolean"
    if isinstance(expr, dict):
        return "mapping"
    if isinstance(expr, tuple) and type(expr) is tuple and all(
            isinstance(d, (int, sp.Expr)) and not isinstance(d, bool) for d in expr):
        return "shape"                     # (a Seq, the language's list, is a tuple subclass)
    if isinstance(expr, (list, tuple)):
        return "list"
    if isinstance(expr, sp.Interval):
        return "interval"
    if isinstance(expr, sp.Set):
        return "set"
    if isinstance(expr, sp.MatrixBase):
        if expr.shape == (1, 1):
            return answer_kind(expr[0, 0])
        return "vector" if expr.shape[1] == 1 else "matrix"
    if isinstance(expr, MatrixExpr):
        return "matrix_expression"
    if isinstance(expr, (int, float, Fraction)):
        return "number"
    if isinstance(expr, sp.Basic) and not expr.free_symbols:
        return "number"
    return "expression"


def make_answer(expr: Any, *, text: str | None = None, value: Any = "auto", tex: str | None = None,
                choice: str | None = None, prose: Any = None, extra: dict | None = None,
                display: Any = None) -> Answer:
    """An Answer with text, LaTeX and JSON value worked out from `expr` unless given.

    `display` is the object to show instead of `expr` (its LaTeX becomes `latex`); `tex`
    is the older way of saying the same with a LaTeX string (being retired: maths is data).
    Its kind (`answer_kind`) is the first item of `extra`.  A string's or prose's text is
    quoted (`json.dumps`: a literal that parse_expr, ast.literal_eval and JSON read back
    as the string), so no text ever holds spec-written code; a string's value is itself.
    A statement (expr None) must bring its words as `text` ("diverges", never "None");
    without a `display` its LaTeX is those words as text.
    """
    import json
    kind = answer_kind(expr, choice, prose)
    if kind == "statement":
        if not text or text == "None":
            raise ValueError("a statement answer needs derive's words as its text")
        if display is None and tex is None:
            display = text
    if display is not None:
        tex = latex(display)
    text = answer_text(expr) if text is None else text
    if kind in QUOTED_KINDS:
        text = json.dumps(text, ensure_ascii=False)
        if kind == "string" and value == "auto":
            value = expr
    extra = dict(extra or {})
    if isinstance(expr, sp.Basic) and expr.atoms(sp.MatrixSymbol) and "numpy" not in extra:
        from .numpy_text import numpy_text       # (issue 10 §5: a runnable form of a symbolic tensor answer)
        code = numpy_text(expr)
        if code is not None:
            extra["numpy"] = code
    return Answer(expr, text, latex(expr) if tex is None else tex,
                  answer_value(expr) if value == "auto" else value, choice, prose,
                  (("kind", kind),) + tuple(extra.items()), display,
                  decimal_tensor(expr) if display is None and tex is None else None)


def decimal_tensor(expr: Any) -> sp.ImmutableMatrix | None:
    """The decimal form of an explicit exact matrix or vector with a non-integer entry
    (rationals, roots, logs: no float, no free symbol), each entry to APPROX_DIGITS
    significant digits, checked `expr ≈ decimals` by the ≈ bound of derive.verify (it
    raises CheckFailed if it did not hold); None for anything else."""
    from .printing import APPROX_DIGITS
    from .verify import check_chain
    if not isinstance(expr, sp.MatrixBase) or expr.shape == (1, 1) or not all(expr.shape):
        return None
    entries = list(expr)
    if not all(isinstance(e, sp.Expr) and e.is_number and e.is_real and not e.has(sp.Float) for e in entries) \
            or all(e.is_Integer for e in entries):
        return None
    approx = sp.ImmutableMatrix(expr.shape[0], expr.shape[1],
                                [e if e.is_Integer else sp.Float(sp.N(e, APPROX_DIGITS + 10), APPROX_DIGITS) for e in entries])
    ok, _ = check_chain((expr, approx), {}, relation="≈", rule="decimal_answer")
    return approx if ok else None


def printed_chars(chain: Any) -> int:
    """Characters the chain's objects take in LaTeX (the output limit's measure)."""
    return sum(len(latex(c)) for c in chain)
