"""`roc(scores, labels)` and `auc(scores, labels)`: the ROC points and the area under them.

In: one real score per sample and the labels 0/1.  Out: the (FPR, TPR) points at every
distinct threshold (a matrix, one row per point), or the area by the trapezoid rule,
checked against the rank (Mann–Whitney) statistic.
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from ... import ast
from ...derivations._display import Group, SumOver as SumK, minus
from ...errors import SpecError
from ...model.problem import Problem
from ...sentence import Rel, Sentence, say
from ...steps import Table, make_step
from ..registry import Derived, make_answer
from .ratios import _frac, _sum, approx_step
from .read import S_I, THETA, Data, decimal, read


def _roc(problem: Problem, call: ast.Call) -> tuple[Data, list[tuple[Any, int, int]], int, int]:
    if call.kwarg("threshold") is not None:
        raise SpecError("the ROC curve sweeps every threshold; give none", call.kwarg("threshold").pos)
    if len(call.args) != 2:
        raise SpecError("`roc` and `auc` take the scores and the labels", call.pos)
    d = read(problem, call, "roc")
    if not d.binary or d.scores is None:
        raise SpecError("ROC needs one real score per sample and the labels 0/1", call.args[0].pos)
    pos = sum(1 for y in d.true if y == 1)
    neg = d.n - pos
    if pos == 0 or neg == 0:
        raise SpecError(f"the ROC curve is undefined: the labels have {'no positives' if pos == 0 else 'no negatives'}",
                        call.args[1].pos)
    points = [(sp.oo, 0, 0)]
    for t in sorted(set(d.scores), reverse=True):
        tp = sum(1 for s, y in zip(d.scores, d.true) if s >= t and y == 1)
        fp = sum(1 for s, y in zip(d.scores, d.true) if s >= t and y == 0)
        points.append((t, tp, fp))
    return d, points, pos, neg


def _roc_table(points, pos, neg) -> Table:
    rows = tuple((t if t == sp.oo else decimal(t), str(tp), str(fp), sp.Rational(fp, neg), sp.Rational(tp, pos))
                 for t, tp, fp in points)
    tp, fp, P, N = (sp.Symbol(n) for n in ("TP", "FP", "P", "N"))
    fpr = say(Rel(sp.Symbol("FPR"), "=", sp.Mul(fp, sp.Pow(N, -1), evaluate=False), kind="definition"))
    tpr = say(Rel(sp.Symbol("TPR"), "=", sp.Mul(tp, sp.Pow(P, -1), evaluate=False), kind="definition"))
    return Table(("threshold θ", "TP", "FP", fpr, tpr), rows, "ROC points")


def _counts(pos: int, neg: int) -> Sentence:
    """P = … positives and N = … negatives, as definitions."""
    return say(Rel(sp.Symbol("P"), "=", sp.Integer(pos), kind="definition"), " positives and ",
               Rel(sp.Symbol("N"), "=", sp.Integer(neg), kind="definition"), " negatives")


def roc(problem: Problem, call: ast.Call) -> Derived:
    d, points, pos, neg = _roc(problem, call)
    steps = [make_step("roc", say("Sweep the threshold θ down through the distinct scores (predict positive when ",
                                  Rel(S_I, "≥", THETA, kind="definition"), "); with ", _counts(pos, neg),
                                  " each θ gives the point (FPR, TPR):"),
                       table=_roc_table(points, pos, neg), check=False)]
    m = sp.ImmutableMatrix([[sp.Rational(fp, neg), sp.Rational(tp, pos)] for _, tp, fp in points])
    return Derived(make_answer(m), tuple(steps))


def auc(problem: Problem, call: ast.Call) -> Derived:
    d, points, pos, neg = _roc(problem, call)
    steps = [make_step("roc", say("The ROC points (", _counts(pos, neg), "):"),
                       table=_roc_table(points, pos, neg), check=False)]
    pts = [(sp.Rational(fp, neg), sp.Rational(tp, pos)) for _, tp, fp in points]
    with sp.evaluate(False):
        traps = [sp.Mul(Group(minus(x1, x0)), _frac(_sum([y0, y1]), sp.Integer(2)))
                 for (x0, y0), (x1, y1) in zip(pts, pts[1:]) if x1 != x0]
    area = sp.Add(*[(x1 - x0) * (y0 + y1) / 2 for (x0, y0), (x1, y1) in zip(pts, pts[1:])])
    a = sp.Symbol("AUC")
    k, x, y = sp.Symbol("k"), sp.IndexedBase("x"), sp.IndexedBase("y")
    k1 = sp.Add(k, 1, evaluate=False)
    rule = SumK(sp.Mul(Group(minus(x[k1], x[k])), _frac(_sum([y[k], y[k1]]), sp.Integer(2)), evaluate=False), k)
    steps.append(make_step("trapezoids", say("Area under the curve by the trapezoid rule, ", rule,
                                             " (vertical segments add nothing):"),
                           a, sp.Add(*traps, evaluate=False) if traps else sp.Integer(0), area, where={a: area}))
    wins = sum(1 for s, y in zip(d.scores, d.true) if y == 1 for t, z in zip(d.scores, d.true) if z == 0 and s > t)
    ties = sum(1 for s, y in zip(d.scores, d.true) if y == 1 for t, z in zip(d.scores, d.true) if z == 0 and s == t)
    rank = _frac(_sum([sp.Integer(wins), sp.Mul(sp.Rational(1, 2), sp.Integer(ties), evaluate=False)]),
                 sp.Mul(sp.Integer(pos), sp.Integer(neg), evaluate=False))
    steps.append(make_step("rank_check", say("Check by ranks: AUC is the probability that a random positive scores "
                                             f"above a random negative (ties count ½); of the {pos}·{neg} pairs, "
                                             f"{wins} are ordered correctly and {ties} tie:"),
                           a, rank, area, where={a: area}))
    steps.extend(approx_step(area))
    return Derived(make_answer(area), tuple(steps))
