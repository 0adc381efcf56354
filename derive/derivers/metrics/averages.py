"""Multi-class precision, recall and F₁: one-vs-rest counts, then a macro, micro or weighted average.

In: `Data` with two or more classes, the metric, the average (as scikit-learn's `average`)
and the zero-division value.  Out: the value; the steps (the per-class counts table, each
class's ratio, the average) are appended to the list given.
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from ...derivations._display import SumOver
from ...notation import Named
from ...sentence import Rel, say
from ...steps import Step, Table, make_step
from .ratios import FN, FP, TP, Counts, _frac, _sum, counts, metric_symbol, ratio_step
from .read import Data


def _label(cls: Any) -> str:
    """A class as a subscript of a symbol name (TP_0, P_2)."""
    return str(cls)


def _class_counts_step(d: Data, per: list[tuple[Any, Counts]]) -> Step:
    c, tpc, fpc, fnc = sp.Symbol("c"), sp.Symbol("TP_c"), sp.Symbol("FP_c"), sp.Symbol("FN_c")
    rows = tuple((cls, str(k.tp), str(k.fp), str(k.fn), str(k.support)) for cls, k in per)
    tp, fn = sum(k.tp for _, k in per), sum(k.fn for _, k in per)
    return make_step("class_counts", say("One-vs-rest counts for every class ", c, ": ", tpc, " (predicted ", c,
                                         ", is ", c, "), ", fpc, " (predicted ", c, ", is not), ", fnc, " (is ", c,
                                         ", predicted otherwise); every sample is a ", tpc, " or an ", fnc,
                                         " of its own class ", c, ":"),
                     _sum([Named(SumOver(tpc, c), TP), Named(SumOver(fnc, c), FN)]),
                     _sum([sp.Integer(tp), sp.Integer(fn)]), sp.Integer(d.n), where={TP: tp, FN: fn},
                     table=Table(("class c", tpc, fpc, fnc, "support"), rows))


def averaged(d: Data, which: str, average: str, zero: Any, steps: list[Step]) -> Any:
    """The `average` of `which` over the classes of `d`; its steps appended to `steps`."""
    per = [(cls, counts(d, cls)) for cls in d.classes]
    steps.append(_class_counts_step(d, per))
    if average == "micro":
        total = Counts(sum(c.tp for _, c in per), sum(c.fp for _, c in per), sum(c.fn for _, c in per), 0)
        steps.append(make_step("micro", say("Micro average: pool the counts over the classes, ",
                                            _is(TP, total.tp), ", ", _is(FP, total.fp), ", ",
                                            _is(FN, total.fn), ", and apply the formula once."),
                               where={TP: total.tp, FP: total.fp, FN: total.fn}))
        step, value = ratio_step(which, total, d.n, zero, symbol=metric_symbol(which, "micro"))
        steps.append(step)
        return value
    values, weights = [], []
    for cls, c in per:
        step, v = ratio_step(which, c, d.n, zero, label=_label(cls))
        steps.append(step)
        values.append(v)
        weights.append(c.support)
    syms = [metric_symbol(which, _label(cls)) for cls, _ in per]
    where = dict(zip(syms, values))
    if average == "macro":
        value = sp.Add(*values) / len(values)
        shown = _frac(_sum(values), sp.Integer(len(values)))
        steps.append(make_step("macro", say(f"Macro average: the unweighted mean over the {len(values)} classes."),
                               _frac(_sum(syms), sp.Integer(len(syms))), shown, value, where=where))
        return value
    value = sp.Add(*[w * v for w, v in zip(weights, values)]) / d.n
    shown = _frac(_sum([sp.Mul(sp.Integer(w), v, evaluate=False) for w, v in zip(weights, values)]), sp.Integer(d.n))
    steps.append(make_step("weighted", say("Weighted average: the mean over the classes weighted by their support "
                                           "(the number of true samples of each class)."),
                           _frac(_sum([sp.Mul(sp.Integer(w), x, evaluate=False) for w, x in zip(weights, syms)]),
                                 sp.Integer(d.n)), shown, value, where=where))
    return value



def _is(sym: Any, value: int) -> Rel:
    """`sym = value`, a claim checked with the step's values."""
    return Rel(sym, "=", sp.Integer(value))
