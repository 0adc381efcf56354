"""Classification metrics: precision, recall, f1, accuracy, confusion, roc, auc.

In: goals such as `precision(scores, labels, threshold = 0.5)`.  Out: the exact metric
(a Rational; its float in JSON) with the predicted labels and the confusion counts shown
as tables and every formula checked.

* Binary (labels 0/1): a sample is predicted positive when its score is ≥ θ (the exam's
  rule; `strict = true` uses >), θ = `threshold`, 1/2 unless given.
* Multi-class: `scores` is a vector of predicted labels, or an N×C matrix of class scores
  (the prediction is the arg-max of each row, ties to the first class as NumPy does, and
  the classes are 0 … C−1 unless `classes = [...]` names them).  `average = "macro"`,
  `"micro"` or `"weighted"` (as scikit-learn) is required for precision, recall and f1.
  A binary problem takes `average` too (both classes then count).
* A ratio whose denominator is 0 (no predicted positives, no actual positives) is
  reported as `zero_division` (0 unless given, as scikit-learn's zero_division), with a note.
* `roc(scores, labels)`: the (FPR, TPR) points at every distinct threshold; `auc(...)`:
  the area under them by the trapezoid rule, checked against the rank (Mann–Whitney)
  statistic: the probability that a random positive outscores a random negative.

Bad input (SpecError at the argument): labels other than 0/1 (or outside `classes`),
lengths that differ, scores or a threshold that are not real numbers.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from .. import ast
from ..errors import SpecError
from ..model.expressions import Seq, is_tensor, scalarize, show_shape
from ..model.problem import Problem
from ..printing import latex
from ..derivations._display import Group, minus, named
from ..steps import Step, Table, make_step
from .registry import Derived, make_answer

AVERAGES = ("binary", "macro", "micro", "weighted")
KWARGS = ("threshold", "strict", "average", "classes", "zero_division")
NAMES = {"precision": "precision", "recall": "recall", "f1": "F_1 score", "accuracy": "accuracy"}


# ---- reading the arguments --------------------------------------------------------------

def _numbers(value: Any, node: ast.Expr, what: str, *, allow_matrix: bool = False) -> Any:
    """A list of exact real numbers (or, when allowed, rows of them) from a vector or matrix."""
    if isinstance(value, Seq) or not is_tensor(value) or not isinstance(value, sp.MatrixBase):
        shown = show_shape(value) if isinstance(value, sp.Basic) else "this value"
        raise SpecError(f"{what} must be a vector of numbers, not {shown}", node.pos)
    r, c = value.shape
    for e in value:
        if not (isinstance(e, sp.Expr) and e.is_number and e.is_real):
            raise SpecError(f"{what} must be real numbers; {e} is not", node.pos)
    entries = [sp.nsimplify(e) if isinstance(e, sp.Float) else e for e in value]
    if c == 1 or r == 1:
        return entries
    if not allow_matrix:
        raise SpecError(f"{what} must be a vector, not a {r}×{c} matrix", node.pos)
    return [entries[i * c:(i + 1) * c] for i in range(r)]


def _labels(value: Any, node: ast.Expr, classes: list | None) -> list:
    labels = _numbers(value, node, "the labels")
    allowed = classes if classes is not None else [sp.Integer(0), sp.Integer(1)]
    for i, y in enumerate(labels, 1):
        if y not in allowed:
            if classes is None:
                raise SpecError(f"the labels must be 0 or 1, but label {i} is {y} (name the classes with "
                                "`classes = [...]` for more than two)", node.pos)
            raise SpecError(f"label {i} is {y}, which is not one of the classes {_list(classes)}", node.pos)
    return labels


def _list(xs: list) -> str:
    return "[" + ", ".join(str(x) for x in xs) + "]"


def _kw(problem: Problem, call: ast.Call, name: str) -> tuple[Any, ast.Expr | None]:
    node = call.kwarg(name)
    return (None, None) if node is None else (problem.value(node), node)


@dataclass
class Data:
    """Predictions and truths of one metric goal, and how the predictions were made."""

    true: list
    pred: list
    classes: list
    binary: bool
    scores: list | None = None
    threshold: Any = None
    strict: bool = False
    score_matrix: list | None = None
    steps: list[Step] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.true)


def read(problem: Problem, call: ast.Call, goal: str) -> Data:
    s_node, y_node = call.args
    s_value = problem.value(s_node)
    classes_v, classes_node = _kw(problem, call, "classes")
    classes = None
    if classes_v is not None:
        classes = _numbers(classes_v, classes_node, "`classes`")
        if len(set(classes)) != len(classes) or len(classes) < 2:
            raise SpecError("`classes` lists two or more different labels", classes_node.pos)
    scores = _numbers(s_value, s_node, "the scores", allow_matrix=True)
    thr_v, thr_node = _kw(problem, call, "threshold")
    strict_v, strict_node = _kw(problem, call, "strict")
    strict = False
    if strict_v is not None:
        if strict_v not in (sp.true, sp.false):
            raise SpecError("`strict` is true or false", strict_node.pos)
        strict = strict_v == sp.true
    if scores and isinstance(scores[0], list):                 # an N×C matrix of class scores
        width = len(scores[0])
        if classes is None:
            classes = [sp.Integer(c) for c in range(width)]
        elif len(classes) != width:
            raise SpecError(f"the scores have {width} columns but `classes` names {len(classes)} classes",
                            classes_node.pos)
        if thr_node is not None:
            raise SpecError("a threshold applies to one score per sample; with a score per class the prediction "
                            "is the arg-max", thr_node.pos)
        labels = _labels(problem.value(y_node), y_node, classes)
        _same_length(scores, labels, call)
        pred = [classes[max(range(width), key=lambda c: (row[c], -c))] for row in scores]
        data = Data(labels, pred, classes, False, score_matrix=scores)
        data.steps.append(_argmax_step(data))
        return data
    binary = classes is None or len(classes) == 2 and set(classes) == {0, 1}
    labels = _labels(problem.value(y_node), y_node, classes)
    _same_length(scores, labels, call)
    if binary and (thr_node is not None or classes is None and any(s not in (0, 1) for s in scores)):
        theta = sp.Rational(1, 2)
        if thr_node is not None:
            theta = scalarize(thr_v)
            if not (isinstance(theta, sp.Expr) and not is_tensor(theta) and theta.is_number and theta.is_real):
                shown = show_shape(theta) if isinstance(theta, sp.Basic) and is_tensor(theta) else str(theta)
                raise SpecError(f"the threshold must be a real number, like the scores, not {shown}", thr_node.pos)
        pred = [sp.Integer(1) if (s > theta if strict else s >= theta) else sp.Integer(0) for s in scores]
        data = Data(labels, pred, [sp.Integer(0), sp.Integer(1)], True, scores, theta, strict)
        data.steps.append(_threshold_step(data, thr_node is None))
        return data
    if thr_node is not None:
        raise SpecError("a threshold applies to scores; these are predicted labels", thr_node.pos)
    classes = classes or [sp.Integer(0), sp.Integer(1)]
    for i, p in enumerate(scores, 1):
        if p not in classes:
            raise SpecError(f"prediction {i} is {p}, which is not one of the classes {_list(classes)} (scores need "
                            "a threshold: binary labels 0/1 without `classes`)", s_node.pos)
    data = Data(labels, list(scores), classes, binary and len(classes) == 2 and set(classes) == {0, 1})
    data.steps.append(_given_step(data))
    return data


def _same_length(scores: list, labels: list, call: ast.Call) -> None:
    if len(scores) != len(labels):
        raise SpecError(f"there are {len(scores)} scores but {len(labels)} labels", call.pos)


# ---- steps ---------------------------------------------------------------------------------

def _outcome(p: Any, y: Any) -> str:
    return {(1, 1): "TP", (1, 0): "FP", (0, 1): "FN", (0, 0): "TN"}[(int(p), int(y))]


def _threshold_step(d: Data, default: bool) -> Step:
    rel = ">" if d.strict else "\\ge"
    rows = tuple((str(i), decimal(s), p, y, _outcome(p, y)) for i, (s, p, y) in enumerate(zip(d.scores, d.pred, d.true), 1))
    theta = f"$\\theta = {decimal(d.threshold)[1:-1]}$" + (" (the default)" if default else "")
    return make_step("predict", f"Predict positive ($\\hat y_i = 1$) when $s_i {rel} \\theta$, with {theta}; "
                                "compare with the labels $y_i$:",
                     table=Table(("i", "score $s_i$", "$\\hat y_i$", "label $y_i$", "outcome"), rows), check=False)


def _argmax_step(d: Data) -> Step:
    cols = tuple(f"class {latex(c)}" for c in d.classes)
    rows = tuple((str(i), *[decimal(v) for v in row], p, y) for i, (row, p, y) in enumerate(zip(d.score_matrix, d.pred, d.true), 1))
    return make_step("predict", "Predict the class with the largest score in each row (the first one on a tie, as "
                                "NumPy's argmax):",
                     table=Table(("i", *cols, "$\\hat y_i$", "$y_i$"), rows), check=False)


def _given_step(d: Data) -> Step:
    rows = tuple((str(i), p, y) for i, (p, y) in enumerate(zip(d.pred, d.true), 1))
    return make_step("predict", "The predicted and the true labels:",
                     table=Table(("i", "$\\hat y_i$", "$y_i$"), rows), check=False)


@dataclass(frozen=True)
class Counts:
    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def support(self) -> int:
        return self.tp + self.fn


def counts(d: Data, cls: Any) -> Counts:
    tp = sum(1 for p, y in zip(d.pred, d.true) if p == cls and y == cls)
    fp = sum(1 for p, y in zip(d.pred, d.true) if p == cls and y != cls)
    fn = sum(1 for p, y in zip(d.pred, d.true) if p != cls and y == cls)
    return Counts(tp, fp, fn, d.n - tp - fp - fn)


TP, FP, FN, TN, N = (sp.Symbol(n, nonnegative=True, integer=True) for n in ("TP", "FP", "FN", "TN", "N"))


def _binary_counts_step(d: Data) -> tuple[Step, Counts]:
    c = counts(d, 1)
    idx = {k: [str(i) for i, (p, y) in enumerate(zip(d.pred, d.true), 1) if _outcome(p, y) == k]
           for k in ("TP", "FP", "FN", "TN")}
    table = Table(("", "predicted 1", "predicted 0"),
                  (("actual 1", f"TP = {c.tp}", f"FN = {c.fn}"), ("actual 0", f"FP = {c.fp}", f"TN = {c.tn}")),
                  "confusion counts")
    listing = "; ".join(f"{k}: sample{'s' if len(v) > 1 else ''} {', '.join(v)}" if v else f"{k}: none"
                        for k, v in idx.items())
    step = make_step("confusion_counts", f"Count the outcomes ({listing}). The four counts cover every sample:",
                     _sum([TP, FP, FN, TN]), _sum([sp.Integer(v) for v in (c.tp, c.fp, c.fn, c.tn)]), sp.Integer(d.n),
                     where={TP: c.tp, FP: c.fp, FN: c.fn, TN: c.tn}, table=table)
    return step, c


FORMULAS = {"precision": ((TP,), (TP, FP), "of the samples predicted positive, the fraction that are positive"),
            "recall": ((TP,), (TP, FN), "of the positive samples, the fraction predicted positive"),
            "f1": ((2 * TP,), (2 * TP, FP, FN), "the harmonic mean of precision and recall, "
                                                  "$F_1 = \\frac{2PR}{P + R} = \\frac{2TP}{2TP + FP + FN}$"),
            "accuracy": ((TP, TN), (N,), "the fraction of samples classified correctly")}


def _sum(terms: Any) -> Any:
    terms = list(terms)
    return terms[0] if len(terms) == 1 else sp.Add(*terms, evaluate=False)


def _frac(num: Any, den: Any) -> Any:
    """num/den shown as a fraction, terms in the order given."""
    if num == 1:
        return sp.Pow(den, -1, evaluate=False)
    return sp.Mul(num, sp.Pow(den, -1, evaluate=False), evaluate=False)


def decimal(r: Any) -> str:
    """A rational as the decimal it was written as (0.7), when it has a finite one; else LaTeX."""
    if isinstance(r, sp.Rational) and not isinstance(r, sp.Integer):
        q = int(r.q)
        for p in (2, 5):
            while q % p == 0:
                q //= p
        if q == 1:
            return "$" + _exact_decimal(r) + "$"
    return "$" + latex(r) + "$"


def _exact_decimal(r: sp.Rational) -> str:
    from decimal import Decimal, getcontext
    getcontext().prec = 60
    return format(Decimal(int(r.p)) / Decimal(int(r.q)), "f")


def approx_step(value: Any) -> list[Step]:
    """value ≈ its decimal, for a non-integer rational (as the exam writes answers)."""
    if isinstance(value, sp.Rational) and not isinstance(value, sp.Integer):
        return [make_step("decimal", "As a decimal:", value, sp.Float(value, 6), relation="≈")]
    return []


def metric_symbol(which: str, label: str = "") -> sp.Symbol:
    """P, R, F1, Acc (with a class or "micro" subscript)."""
    head = {"precision": "P", "recall": "R", "f1": "F1", "accuracy": "Acc"}[which]
    return sp.Symbol(head + (f"_{label}" if label else ""))


def _zero_division(problem: Problem, call: ast.Call) -> Any:
    v, node = _kw(problem, call, "zero_division")
    if v is None:
        return sp.Integer(0)
    v = scalarize(v)
    if v not in (0, 1):
        raise SpecError("`zero_division` is 0 or 1: the value reported when a ratio is 0/0", node.pos)
    return v


def _ratio_step(which: str, c: Counts, n: int, zero: Any, label: str = "", symbol: Any = None) -> tuple[Step, Any]:
    nums, dens, meaning = FORMULAS[which]
    if label:   # TP_c, FP_c, ... for one class
        sub = {x: sp.Symbol(f"{x.name}_{label}", nonnegative=True, integer=True) for x in (TP, FP, FN, TN)}
        nums = tuple(t.xreplace(sub) for t in nums)
        dens = tuple(t.xreplace(sub) for t in dens)
    else:
        sub = {x: x for x in (TP, FP, FN, TN)}
    where = {sub[TP]: c.tp, sub[FP]: c.fp, sub[FN]: c.fn, sub[TN]: c.tn, N: n}
    num, den = _sum(nums), _sum(dens)
    num_v, den_v = num.xreplace(where), den.xreplace(where)
    with sp.evaluate(False):
        shown = _frac(_sum([t.xreplace(where) for t in nums]), _sum([t.xreplace(where) for t in dens]))
    sym = symbol if symbol is not None else metric_symbol(which, label)
    title = NAMES[which].capitalize()
    if den_v == 0:
        step = make_step(which, f"{title}{' of class ' + label if label else ''}: {meaning}. Here "
                                f"${latex(_frac(num, den))} = \\frac{{0}}{{0}}$ is undefined (its denominator is "
                                f"0), so it is reported as {zero}, as scikit-learn's `zero_division` does.",
                         sym, zero, where={sym: zero})
        return step, zero
    value = sp.Rational(num_v, den_v)
    step = make_step(which, f"{title}{' of class ' + label if label else ''}: {meaning}.",
                     sym, _frac(num, den), shown, value, where={**where, sym: value})
    return step, value


# ---- the goals -----------------------------------------------------------------------------

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


def _metric(problem: Problem, call: ast.Call, which: str) -> Derived:
    d = read(problem, call, which)
    zero = _zero_division(problem, call)
    average = _average(problem, call, d, which)
    steps = list(d.steps)
    if which == "accuracy":
        correct = sum(1 for p, y in zip(d.pred, d.true) if p == y)
        acc = sp.Symbol("Acc")
        with sp.evaluate(False):
            shown = sp.Integer(correct) / sp.Integer(d.n)
        steps.append(make_step("accuracy", f"Accuracy: the fraction of the {d.n} samples whose prediction equals the "
                                           f"label ({correct} of them).", acc, shown, sp.Rational(correct, d.n),
                               where={acc: sp.Rational(correct, d.n)}))
        value = sp.Rational(correct, d.n)
    elif average == "binary":
        step, c = _binary_counts_step(d)
        steps.append(step)
        step, value = _ratio_step(which, c, d.n, zero)
        steps.append(step)
    else:
        value = _averaged(d, which, average, zero, steps)
    steps.extend(approx_step(value))
    return Derived(make_answer(value), tuple(steps))


def _averaged(d: Data, which: str, average: str, zero: Any, steps: list[Step]) -> Any:
    per = [(cls, counts(d, cls)) for cls in d.classes]
    rows = tuple((latex(cls), str(c.tp), str(c.fp), str(c.fn), str(c.support)) for cls, c in per)
    steps.append(make_step("class_counts", "One-vs-rest counts for every class $c$: $TP_c$ (predicted $c$, is $c$), "
                                           "$FP_c$ (predicted $c$, is not), $FN_c$ (is $c$, predicted otherwise); "
                                           "every sample is a $TP_c$ or an $FN_c$ of its own class $c$:",
                           _sum([named(r"\sum_c TP_c", TP), named(r"\sum_c FN_c", FN)]),
                           _sum([sp.Integer(sum(c.tp for _, c in per)), sp.Integer(sum(c.fn for _, c in per))]),
                           sp.Integer(d.n), where={TP: sum(c.tp for _, c in per), FN: sum(c.fn for _, c in per)},
                           table=Table(("class c", "TP_c", "FP_c", "FN_c", "support"), rows)))
    if average == "micro":
        total = Counts(sum(c.tp for _, c in per), sum(c.fp for _, c in per), sum(c.fn for _, c in per), 0)
        steps.append(make_step("micro", f"Micro average: pool the counts over the classes, $TP = {total.tp}$, "
                                        f"$FP = {total.fp}$, $FN = {total.fn}$, and apply the formula once.",
                               check=False))
        step, value = _ratio_step(which, total, d.n, zero, symbol=metric_symbol(which, "micro"))
        steps.append(step)
        return value
    values, weights = [], []
    for cls, c in per:
        step, v = _ratio_step(which, c, d.n, zero, label=latex(cls))
        steps.append(step)
        values.append(v)
        weights.append(c.support)
    syms = [metric_symbol(which, latex(cls)) for cls, _ in per]
    where = dict(zip(syms, values))
    if average == "macro":
        value = sp.Add(*values) / len(values)
        shown = _frac(_sum(values), sp.Integer(len(values)))
        steps.append(make_step("macro", f"Macro average: the unweighted mean over the {len(values)} classes.",
                               _frac(_sum(syms), sp.Integer(len(syms))), shown, value, where=where))
        return value
    value = sp.Add(*[w * v for w, v in zip(weights, values)]) / d.n
    shown = _frac(_sum([sp.Mul(sp.Integer(w), v, evaluate=False) for w, v in zip(weights, values)]), sp.Integer(d.n))
    steps.append(make_step("weighted", "Weighted average: the mean over the classes weighted by their support "
                                       "(the number of true samples of each class).",
                           _frac(_sum([sp.Mul(sp.Integer(w), x, evaluate=False) for w, x in zip(weights, syms)]),
                                 sp.Integer(d.n)), shown, value, where=where))
    return value


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
    d = read(problem, call, "confusion")
    steps = list(d.steps)
    m = sp.ImmutableMatrix(len(d.classes), len(d.classes),
                           lambda i, j: sum(1 for p, y in zip(d.pred, d.true)
                                            if y == d.classes[i] and p == d.classes[j]))
    rows = tuple((f"actual {latex(c)}", *[str(m[i, j]) for j in range(len(d.classes))])
                 for i, c in enumerate(d.classes))
    table = Table(("", *[f"predicted {latex(c)}" for c in d.classes]), rows, "confusion matrix")
    if d.binary:
        step, c = _binary_counts_step(d)
        steps.append(step)
    total = sp.Symbol("N")
    shown = _sum([sp.Integer(v) for v in m])
    steps.append(make_step("confusion_matrix", "The confusion matrix $C$: $C_{ij}$ counts the samples of class $i$ "
                                               "predicted as class $j$ (rows: actual, columns: predicted, classes in "
                                               f"the order {_list(d.classes)}); its entries add up to N:",
                           total, shown, sp.Integer(d.n), where={total: d.n}, table=table))
    return Derived(make_answer(m), tuple(steps))


# ---- ROC and AUC ---------------------------------------------------------------------------

def _roc(problem: Problem, call: ast.Call) -> tuple[Data, list[tuple[Any, int, int]], int, int]:
    if call.kwarg("threshold") is not None:
        raise SpecError("the ROC curve sweeps every threshold; give none", call.kwarg("threshold").pos)
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
    return Table(("threshold θ", "TP", "FP", "FPR = FP/N", "TPR = TP/P"), rows, "ROC points")


def roc(problem: Problem, call: ast.Call) -> Derived:
    d, points, pos, neg = _roc(problem, call)
    steps = [make_step("roc", f"Sweep the threshold θ down through the distinct scores (predict positive when "
                              f"$s_i \\ge \\theta$); with P = {pos} positives and N = {neg} negatives each θ gives "
                              "the point (FPR, TPR):", table=_roc_table(points, pos, neg), check=False)]
    m = sp.ImmutableMatrix([[sp.Rational(fp, neg), sp.Rational(tp, pos)] for _, tp, fp in points])
    return Derived(make_answer(m), tuple(steps))


def auc(problem: Problem, call: ast.Call) -> Derived:
    d, points, pos, neg = _roc(problem, call)
    steps = [make_step("roc", f"The ROC points (P = {pos} positives, N = {neg} negatives):",
                       table=_roc_table(points, pos, neg), check=False)]
    pts = [(sp.Rational(fp, neg), sp.Rational(tp, pos)) for _, tp, fp in points]
    with sp.evaluate(False):
        traps = [sp.Mul(Group(minus(x1, x0)), _frac(_sum([y0, y1]), sp.Integer(2)))
                 for (x0, y0), (x1, y1) in zip(pts, pts[1:]) if x1 != x0]
    area = sp.Add(*[(x1 - x0) * (y0 + y1) / 2 for (x0, y0), (x1, y1) in zip(pts, pts[1:])])
    a = sp.Symbol("AUC")
    steps.append(make_step("trapezoids", "Area under the curve by the trapezoid rule, "
                                         "$\\sum_k (x_{k+1} - x_k) \\frac{y_k + y_{k+1}}{2}$ (vertical segments add "
                                         "nothing):", a, sp.Add(*traps, evaluate=False) if traps else sp.Integer(0),
                           area, where={a: area}))
    wins = sum(1 for s, y in zip(d.scores, d.true) if y == 1 for t, z in zip(d.scores, d.true) if z == 0 and s > t)
    ties = sum(1 for s, y in zip(d.scores, d.true) if y == 1 for t, z in zip(d.scores, d.true) if z == 0 and s == t)
    rank = _frac(_sum([sp.Integer(wins), sp.Mul(sp.Rational(1, 2), sp.Integer(ties), evaluate=False)]),
                 sp.Mul(sp.Integer(pos), sp.Integer(neg), evaluate=False))
    steps.append(make_step("rank_check", f"Check by ranks: AUC is the probability that a random positive scores above "
                                         f"a random negative (ties count ½); of the {pos}·{neg} pairs, {wins} are "
                                         f"ordered correctly and {ties} tie:", a, rank, area, where={a: area}))
    steps.extend(approx_step(area))
    return Derived(make_answer(area), tuple(steps))
