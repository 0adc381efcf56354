"""Classification metrics: precision, recall, f1, accuracy, confusion, roc, auc.

In: goals such as `precision(scores, labels, threshold = 0.5)`, or the counts themselves,
`precision(tp = 96, fp = 8)`.  Out: the exact metric (a Rational; its float in JSON) with
the predicted labels and the confusion counts shown as tables and every formula checked.

* Binary (labels 0/1): a sample is predicted positive when its score is ≥ θ (the exam's
  rule; `strict = true` uses >), θ = `threshold`, 1/2 unless given.
* Multi-class: `scores` is a vector of predicted labels, or an N×C matrix of class scores
  (the prediction is the arg-max of each row, ties to the first class as NumPy does, and
  the classes are 0 … C−1 unless `classes = [...]` names them).  `average = "macro"`,
  `"micro"` or `"weighted"` (as scikit-learn) is required for precision, recall and f1.
  A binary problem takes `average` too (both classes then count).
* From counts (derive.derivers.metrics.counts): `precision(tp =, fp =)`, `recall(tp =,
  fn =)`, `f1(tp =, fp =, fn =)`, `accuracy(tp =, fp =, fn =, tn =)` and
  `confusion(tp =, fp =, fn =, tn =)`, each a whole number ≥ 0.
* A ratio whose denominator is 0 (no predicted positives, no actual positives) is
  reported as `zero_division` (0 unless given, as scikit-learn's zero_division), with a note.
* `roc(scores, labels)`: the (FPR, TPR) points at every distinct threshold; `auc(...)`:
  the area under them by the trapezoid rule, checked against the rank (Mann–Whitney)
  statistic: the probability that a random positive outscores a random negative.

Bad input (SpecError at the argument): labels other than 0/1 (or outside `classes`),
lengths that differ, scores or a threshold that are not real numbers, counts that are
missing, negative or not whole numbers.
"""
from __future__ import annotations

import sympy as sp

from ... import ast
from ...errors import SpecError
from ...model.problem import Problem
from ...sentence import say
from ...steps import Step, Table, make_step
from ..registry import Derived, make_answer
from .averages import averaged
from .counts import from_counts, uses_counts
from .ratios import NAMES, approx_step, binary_counts_step, ratio_step, zero_division
from .read import Data, _kw, _list, read
from .roc import auc, roc

__all__ = ["precision", "recall", "f1", "accuracy", "confusion", "roc", "auc", "approx_step"]

AVERAGES = ("binary", "macro", "micro", "weighted")


def _average(problem: Problem, call: ast.Call, d: Data, which: str) -> str:
    v, node = _kw(problem, call, "average")
    if v is None:
        if d.binary or which == "accuracy":
            return "binary"
        raise SpecError(f"{len(d.classes)} classes: choose how to average the {NAMES[which]}, "
                        'average = "macro", "micro" or "weighted"', call.pos)
    if not isinstance(v, str) or v not in AVERAGES:
        raise SpecError(f'`average` is one of {", ".join(repr(a) for a in AVERAGES)}, not {v}', node.pos)
    if v == "binary" and not d.binary:
        raise SpecError('average = "binary" needs the labels 0 and 1; with these classes use "macro", "micro" or '
                        '"weighted"', node.pos)
    return v


def _scores_and_labels(call: ast.Call, goal: str) -> None:
    if len(call.args) != 2:
        raise SpecError(f"`{goal}` takes the scores (or predictions) and the labels, as in {goal}(scores, labels), "
                        f"or the counts, as in {goal}(tp = 96, fp = 8, fn = 4, tn = 92)", call.pos)


def _metric(problem: Problem, call: ast.Call, which: str) -> Derived:
    if uses_counts(call):
        return from_counts(problem, call, which)
    _scores_and_labels(call, which)
    d = read(problem, call, which)
    zero = zero_division(problem, call)
    average = _average(problem, call, d, which)
    steps = list(d.steps)
    if which == "accuracy":
        correct = sum(1 for p, y in zip(d.pred, d.true) if p == y)
        acc = sp.Symbol("Acc")
        with sp.evaluate(False):
            shown = sp.Integer(correct) / sp.Integer(d.n)
        steps.append(make_step("accuracy", say(f"Accuracy: the fraction of the {d.n} samples whose prediction equals "
                                               f"the label ({correct} of them)."), acc, shown,
                               sp.Rational(correct, d.n), where={acc: sp.Rational(correct, d.n)}))
        value = sp.Rational(correct, d.n)
    elif average == "binary":
        step, c = binary_counts_step(d)
        steps.append(step)
        step, value = ratio_step(which, c, d.n, zero)
        steps.append(step)
    else:
        value = averaged(d, which, average, zero, steps)
    steps.extend(approx_step(value))
    return Derived(make_answer(value), tuple(steps))


def precision(problem: Problem, call: ast.Call) -> Derived:
    return _metric(problem, call, "precision")


def recall(problem: Problem, call: ast.Call) -> Derived:
    return _metric(problem, call, "recall")


def f1(problem: Problem, call: ast.Call) -> Derived:
    return _metric(problem, call, "f1")


def accuracy(problem: Problem, call: ast.Call) -> Derived:
    return _metric(problem, call, "accuracy")


def confusion(problem: Problem, call: ast.Call) -> Derived:
    """Rows = actual class, columns = predicted class, classes in order (as scikit-learn)."""
    if uses_counts(call):
        return from_counts(problem, call, "confusion")
    _scores_and_labels(call, "confusion")
    d = read(problem, call, "confusion")
    steps: list[Step] = list(d.steps)
    m = sp.ImmutableMatrix(len(d.classes), len(d.classes),
                           lambda i, j: sum(1 for p, y in zip(d.pred, d.true)
                                            if y == d.classes[i] and p == d.classes[j]))
    rows = tuple((say("actual ", c), *[str(m[i, j]) for j in range(len(d.classes))])
                 for i, c in enumerate(d.classes))
    table = Table(("", *[say("predicted ", c) for c in d.classes]), rows, "confusion matrix")
    if d.binary:
        step, c = binary_counts_step(d)
        steps.append(step)
    total, cmat = sp.Symbol("N"), sp.Symbol("C")
    shown = sp.Add(*[sp.Integer(v) for v in m], evaluate=False) if len(m) > 1 else sp.Integer(m[0])
    steps.append(make_step("confusion_matrix", say("The confusion matrix ", cmat, ": ", sp.Symbol("C_i_j"),
                                                   " counts the samples of class ", sp.Symbol("i"),
                                                   " predicted as class ", sp.Symbol("j"), " (rows: actual, columns: predicted, classes in the order "
                                                   f"{_list(d.classes)}); its entries add up to N:"),
                           total, shown, sp.Integer(d.n), where={total: d.n}, table=table))
    return Derived(make_answer(m), tuple(steps))
