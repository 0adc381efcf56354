"""Confusion counts and the ratios built from them: precision, recall, F₁, their averages.

In: `Counts` (TP, FP, FN, TN), from predictions (`counts`) or given by the problem.  Out:
checked steps: the formula, the counts put in, the exact value (`ratio_step`); one-vs-rest
counts per class with the macro, micro and weighted averages (`averaged`).  A ratio with a
zero denominator is reported as `zero_division`, as scikit-learn does.
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from ... import unevaluated
from ...errors import SpecError
from ...model.expressions import scalarize

from ...sentence import Code, Rel, Sentence, say
from ...steps import Step, Table, make_step

from .read import _kw, _outcome, Data
from ...records import record

NAMES = {"precision": "precision", "recall": "recall", "f1": "F_1 score", "accuracy": "accuracy"}


@record
class Counts:
    """The four outcome counts of one (one-vs-rest) class."""

    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def support(self) -> int:
        return self.tp + self.fn


def counts(d: Data, cls: Any) -> Counts:
    """The counts of class `cls` (positive: predicted or actually `cls`) in `d`."""
    tp = sum(1 for p, y in zip(d.pred, d.true) if p == cls and y == cls)
    fp = sum(1 for p, y in zip(d.pred, d.true) if p == cls and y != cls)
    fn = sum(1 for p, y in zip(d.pred, d.true) if p != cls and y == cls)
    return Counts(tp, fp, fn, d.n - tp - fp - fn)


TP, FP, FN, TN, N = (sp.Symbol(n, nonnegative=True, integer=True) for n in ("TP", "FP", "FN", "TN", "N"))
P_, R_, F1_ = sp.Symbol("P"), sp.Symbol("R"), sp.Symbol("F1")


def _f1_meaning() -> Sentence:
    return say("the harmonic mean of precision and recall, ",
               Rel(F1_, "=", _frac(2 * P_ * R_, _sum([P_, R_])), kind="definition"), ", which is ",
               Rel(_frac(2 * P_ * R_, _sum([P_, R_])), "=", _frac(2 * TP, _sum([2 * TP, FP, FN])), kind="fact"),
               " when ", Rel(P_, "=", _frac(TP, _sum([TP, FP])), kind="definition"), " and ",
               Rel(R_, "=", _frac(TP, _sum([TP, FN])), kind="definition"))


FORMULAS = {"precision": ((TP,), (TP, FP), "of the samples predicted positive, the fraction that are positive"),
            "recall": ((TP,), (TP, FN), "of the positive samples, the fraction predicted positive"),
            "f1": ((2 * TP,), (2 * TP, FP, FN), None),
            "accuracy": ((TP, TN), (N,), "the fraction of samples classified correctly")}


def _sum(terms: Any) -> Any:
    terms = list(terms)
    return terms[0] if len(terms) == 1 else sp.Add(*terms, evaluate=False)


def _frac(num: Any, den: Any) -> Any:
    """num/den shown as a fraction, terms in the order given."""
    if num == 1:
        return sp.Pow(den, -1, evaluate=False)
    return sp.Mul(num, sp.Pow(den, -1, evaluate=False), evaluate=False)


def binary_counts_step(d: Data) -> tuple[Step, Counts]:
    """The four counts of predictions `d` (class 1 positive), listed by sample, with their total."""
    c = counts(d, 1)
    idx = {k: [str(i) for i, (p, y) in enumerate(zip(d.pred, d.true), 1) if _outcome(p, y) == k]
           for k in ("TP", "FP", "FN", "TN")}
    listing = "; ".join(f"{k}: sample{'s' if len(v) > 1 else ''} {', '.join(v)}" if v else f"{k}: none"
                        for k, v in idx.items())
    step = make_step("confusion_counts", say(f"Count the outcomes ({listing}). The four counts cover every sample:"),
                     _sum([TP, FP, FN, TN]), _sum([sp.Integer(v) for v in (c.tp, c.fp, c.fn, c.tn)]), sp.Integer(d.n),
                     where={TP: c.tp, FP: c.fp, FN: c.fn, TN: c.tn}, table=counts_table(c))
    return step, c


def counts_table(c: Counts) -> Table:
    """The 2×2 table of the counts, rows actual, columns predicted."""
    def cell(sym: sp.Symbol, v: int) -> Sentence:
        return say(Rel(sym, "=", sp.Integer(v), kind="definition"))
    return Table(("", "predicted 1", "predicted 0"),
                 (("actual 1", cell(TP, c.tp), cell(FN, c.fn)), ("actual 0", cell(FP, c.fp), cell(TN, c.tn))),
                 "confusion counts")


def approx_step(value: Any) -> list[Step]:
    """value ≈ its decimal, for a non-integer rational (as the exam writes answers)."""
    if isinstance(value, sp.Rational) and not isinstance(value, sp.Integer):
        return [make_step("decimal", say("As a decimal:"), value, sp.Float(value, 6), relation="≈")]
    return []


def metric_symbol(which: str, label: str = "") -> sp.Symbol:
    """P, R, F1, Acc (with a class or "micro" subscript)."""
    head = {"precision": "P", "recall": "R", "f1": "F1", "accuracy": "Acc"}[which]
    return sp.Symbol(head + (f"_{label}" if label else ""))


def zero_division(problem: Any, call: Any) -> Any:
    """The value of `zero_division = ...` (0 or 1; 0 unless given)."""
    v, node = _kw(problem, call, "zero_division")
    if v is None:
        return sp.Integer(0)
    v = scalarize(v)
    if v not in (0, 1):
        raise SpecError("`zero_division` is 0 or 1: the value reported when a ratio is 0/0", node.pos)
    return v


def _meaning(which: str) -> Any:
    m = FORMULAS[which][2]
    return _f1_meaning() if m is None else m


def ratio_step(which: str, c: Counts, n: int, zero: Any, label: str = "", symbol: Any = None) -> tuple[Step, Any]:
    """The step `which` = num/den with the counts `c` put in, and its value (or `zero` for 0/0)."""
    nums, dens, _ = FORMULAS[which]
    if label:   # TP_c, FP_c, ... for one class
        sub = {x: sp.Symbol(f"{x.name}_{label}", nonnegative=True, integer=True) for x in (TP, FP, FN, TN)}
        nums = tuple(t.xreplace(sub) for t in nums)
        dens = tuple(t.xreplace(sub) for t in dens)
    else:
        sub = {x: x for x in (TP, FP, FN, TN)}
    where = {sub[TP]: c.tp, sub[FP]: c.fp, sub[FN]: c.fn, sub[TN]: c.tn, N: n}
    num, den = _sum(nums), _sum(dens)
    num_v, den_v = num.xreplace(where), den.xreplace(where)
    shown = _frac(_sum([unevaluated.xreplace(t, where) for t in nums]),
                  _sum([unevaluated.xreplace(t, where) for t in dens]))
    sym = symbol if symbol is not None else metric_symbol(which, label)
    name = say(F1_, " score") if which == "f1" else NAMES[which].capitalize()
    title = say(name, f" of class {label}" if label else "", ": ", _meaning(which))
    if den_v == 0:
        step = make_step(which, say(title, ". Here the denominator of ", _frac(num, den), " is ", Rel(den, "=", 0),
                                    ", so the ratio is undefined and is reported as ", zero, ", as scikit-learn's ",
                                    Code("zero_division"), " does."),
                         sym, zero, where={**where, sym: zero})
        return step, zero
    value = sp.Rational(num_v, den_v)
    step = make_step(which, say(title, "."), sym, _frac(num, den), shown, value, where={**where, sym: value})
    return step, value
