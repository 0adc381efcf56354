"""Reading a metric goal's scores and labels, and the step that makes the predictions.

In: `precision(scores, labels, threshold = 0.5, ...)` and its siblings (see
derive.derivers.metrics).  Out: `Data`, the predicted and true labels with the classes and
the first step (the predictions as a table: thresholded scores, arg-max rows or given
predictions).  Bad input is a SpecError at the argument.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from ... import ast
from ...errors import SpecError
from ...model.expressions import Seq, is_tensor, scalarize, show_shape
from ...model.problem import Problem
from ...sentence import Rel, say
from ...steps import Step, Table, make_step
from ...decimals import decimal  # noqa: F401  (re-exported)

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
        classes = _numbers(classes_v, classes_node, "the classes")
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

S_I, Y_I, YHAT_I, THETA = sp.Symbol("s_i"), sp.Symbol("y_i"), sp.Symbol("y_i_hat"), sp.Symbol("theta")


def _outcome(p: Any, y: Any) -> str:
    return {(1, 1): "TP", (1, 0): "FP", (0, 1): "FN", (0, 0): "TN"}[(int(p), int(y))]


def _threshold_step(d: Data, default: bool) -> Step:
    rows = tuple((str(i), decimal(s), p, y, _outcome(p, y)) for i, (s, p, y) in enumerate(zip(d.scores, d.pred, d.true), 1))
    rule = Rel(S_I, ">" if d.strict else "≥", THETA, kind="definition")
    return make_step("predict", say("Predict positive (", Rel(YHAT_I, "=", 1, kind="definition"), ") when ", rule,
                                    ", with ", Rel(THETA, "=", decimal(d.threshold), kind="definition"),
                                    " (the default)" if default else "", "; compare with the labels ", Y_I, ":"),
                     table=Table(("i", say("score ", S_I), YHAT_I, say("label ", Y_I), "outcome"), rows), check=False)


def _argmax_step(d: Data) -> Step:
    cols = tuple(say("class ", c) for c in d.classes)
    rows = tuple((str(i), *[decimal(v) for v in row], p, y) for i, (row, p, y) in enumerate(zip(d.score_matrix, d.pred, d.true), 1))
    return make_step("predict", say("Predict the class with the largest score in each row (the first one on a tie, "
                                    "as NumPy's argmax):"),
                     table=Table(("i", *cols, YHAT_I, Y_I), rows), check=False)


def _given_step(d: Data) -> Step:
    rows = tuple((str(i), p, y) for i, (p, y) in enumerate(zip(d.pred, d.true), 1))
    return make_step("predict", say("The predicted and the true labels:"),
                     table=Table(("i", YHAT_I, Y_I), rows), check=False)
