"""Metrics from the confusion counts themselves: `precision(tp = 96, fp = 8)` and its siblings.

In: a metric goal with no positional argument and the counts as keywords, each a whole
number ≥ 0: `tp`, `fp`, `fn`, `tn` (true/false positives/negatives).  Precision needs tp
and fp, recall tp and fn, f1 tp, fp and fn, accuracy and confusion all four; a count a
metric does not need may still be given.  Out: the same formula steps as from scores and
labels (derive.derivers.metrics.ratios), the confusion matrix [[TN, FP], [FN, TP]] (rows
actual 0, 1; columns predicted 0, 1, as scikit-learn's confusion_matrix).

Bad input (SpecError at the argument): a missing count (at the call), a negative, fractional
or non-numeric count, scores given beside counts, or a keyword that applies to scores only.
"""
from __future__ import annotations


import sympy as sp

from ... import ast
from ...errors import SpecError
from ...model.expressions import is_tensor, scalarize, show_shape
from ...model.problem import Problem
from ...sentence import Rel, join, say
from ...steps import Step, make_step
from ..registry import Derived, make_answer
from .read import decimal
from .ratios import FN, FP, TN, TP, Counts, _sum, approx_step, counts_table, ratio_step, zero_division

COUNTS = {"tp": (TP, "true positives"), "fp": (FP, "false positives"), "fn": (FN, "false negatives"),
          "tn": (TN, "true negatives")}
NEEDS = {"precision": ("tp", "fp"), "recall": ("tp", "fn"), "f1": ("tp", "fp", "fn"),
         "accuracy": ("tp", "fp", "fn", "tn"), "confusion": ("tp", "fp", "fn", "tn")}
SCORES_ONLY = ("threshold", "strict", "average", "classes")


def uses_counts(call: ast.Call) -> bool:
    """Whether the goal gives counts (any of tp, fp, fn, tn) rather than scores and labels."""
    return any(call.kwarg(k) is not None for k in COUNTS)


def _count(problem: Problem, node: ast.Expr, name: str) -> int:
    value = scalarize(problem.value(node))
    if isinstance(value, sp.Basic) and is_tensor(value):
        raise SpecError(f"`{name}` (the number of {COUNTS[name][1]}) is a whole number, not {show_shape(value)}",
                        node.pos)
    if isinstance(value, sp.Float) and value == int(value):
        value = sp.Integer(int(value))
    if not (isinstance(value, sp.Expr) and value.is_number and value.is_Integer):
        shown = decimal(value) if isinstance(value, sp.Rational) else f'the text "{value}"' if isinstance(value, str) \
            else value
        raise SpecError(f"`{name}` (the number of {COUNTS[name][1]}) is a whole number, not {shown}", node.pos)
    if value < 0:
        raise SpecError(f"`{name}` (the number of {COUNTS[name][1]}) cannot be negative; it is {value}", node.pos)
    return int(value)


def read_counts(problem: Problem, call: ast.Call, which: str) -> dict[str, int]:
    """The counts of the call by keyword, each checked; a SpecError names what is missing."""
    if call.args:
        raise SpecError(f"give `{which}` either the scores and the labels or the counts (tp = ..., ...), not both",
                        call.args[0].pos)
    for k in SCORES_ONLY:
        if call.kwarg(k) is not None:
            raise SpecError(f"`{k}` applies to scores and labels; these are counts", call.kwarg(k).pos)
    given = {k: _count(problem, call.kwarg(k), k) for k in COUNTS if call.kwarg(k) is not None}
    missing = [k for k in NEEDS[which] if k not in given]
    if missing:
        example = ", ".join(f"{k} = ..." for k in NEEDS[which])
        raise SpecError(f"`{which}` from counts needs {' and '.join(f'`{k}` ({COUNTS[k][1]})' for k in missing)}: "
                        f"{which}({example})", call.pos)
    return given


def _given_step(given: dict[str, int]) -> Step:
    """The counts as given (definitions), with the 2×2 table and the total when all four are known."""
    rels = [Rel(COUNTS[k][0], "=", sp.Integer(v), kind="definition") for k, v in given.items()]
    if len(given) < 4:
        return make_step("counts", say("The counts given: ", join(rels, ", ", " and "), "."), check=False)
    c = Counts(given["tp"], given["fp"], given["fn"], given["tn"])
    n = sp.Symbol("N", nonnegative=True, integer=True)
    return make_step("counts", say("The counts given: ", join(rels, ", ", " and "), "; the number of samples is ",
                                   "their sum:"),
                     n, _sum([TP, FP, FN, TN]), _sum([sp.Integer(v) for v in (c.tp, c.fp, c.fn, c.tn)]),
                     sp.Integer(c.tp + c.fp + c.fn + c.tn),
                     where={TP: c.tp, FP: c.fp, FN: c.fn, TN: c.tn, n: c.tp + c.fp + c.fn + c.tn},
                     table=counts_table(c))


def from_counts(problem: Problem, call: ast.Call, which: str) -> Derived:
    """The metric `which` (or the confusion matrix) of the counts the call gives."""
    given = read_counts(problem, call, which)
    steps = [_given_step(given)]
    c = Counts(*(given.get(k, 0) for k in ("tp", "fp", "fn", "tn")))
    n = c.tp + c.fp + c.fn + c.tn
    if which == "confusion":
        return _confusion(c, steps)
    step, value = ratio_step(which, c, n, zero_division(problem, call))
    steps.append(step)
    steps.extend(approx_step(value))
    return Derived(make_answer(value), tuple(steps))


def _confusion(c: Counts, steps: list[Step]) -> Derived:
    m = sp.ImmutableMatrix([[c.tn, c.fp], [c.fn, c.tp]])
    cmat = sp.Symbol("C")
    steps.append(make_step("confusion_matrix", say("The confusion matrix ", cmat, ": rows are the actual class, "
                                                   "columns the predicted class, in the order [0, 1] (as "
                                                   "scikit-learn's confusion_matrix):"),
                           cmat, sp.ImmutableMatrix([[TN, FP], [FN, TP]]), m,
                           where={TP: c.tp, FP: c.fp, FN: c.fn, TN: c.tn, cmat: m}))
    return Derived(make_answer(m), tuple(steps))
