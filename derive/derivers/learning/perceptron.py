"""`perceptron(points, labels, start = w0, lr = 1, epochs = 1, bias = true)`: Rosenblatt's rule.

In: the points (rows are samples, or a list of vectors), two-class labels, the start
weights (zeros unless given; with `bias` one more entry, the bias b, last), the learning
rate η > 0, the number of epochs (passes over the data in the given order) and whether
there is a bias.  Out: the final weights as a vector (w₁ … w_d, then b with a bias),
with `extra` the bias, the weights after each epoch and the mistakes per epoch.

The labels are taken as y = −1 for the first class and +1 for the second, in
scikit-learn's order (−1/+1 as given; 0/1: 0 is −1; strings alphabetical).  An example is
a mistake when y·s ≤ 0 with the score s = wᵀx + b (a score of 0 counts as a mistake, as
scikit-learn's Perceptron); then w ← w + η y x and b ← b + η y.  Each epoch is a table
(score, y·s, mistake, the new weights), then the weights after the epoch, checked as the
start plus η Σ y_i x_i over the mistakes.  An epoch without mistakes ends the run (the
data is separated; further epochs change nothing), said so.
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from ... import ast
from ...errors import SpecError
from ...model.problem import Problem
from ...sentence import Rel, say
from ...steps import Step, Table, make_step
from ..registry import Derived, make_answer
from .data import classes_of, exact, flag, kw, label_cell, labels_of, rows_of, vector_of, whole


def _signs(labels: list[Any], node: ast.Expr) -> tuple[list[int], list[Any]]:
    classes = classes_of(labels, node)
    if len(classes) != 2:
        raise SpecError(f"the perceptron separates two classes; the labels have {len(classes)}", node.pos)
    return [(-1 if y == classes[0] else 1) for y in labels], classes


def _lr(problem: Problem, call: ast.Call) -> Any:
    value, node = kw(problem, call, "lr")
    if node is None:
        return sp.Integer(1)
    v = exact(value) if isinstance(value, sp.Expr) else value
    if not (isinstance(v, sp.Expr) and v.is_number and v.is_real and v > 0):
        raise SpecError("`lr` must be a positive number", node.pos)
    return v


def _arguments(problem: Problem, call: ast.Call) -> dict[str, Any]:
    points = rows_of(problem, call.args[0], "the points")
    labels = labels_of(problem, call.args[1], len(points))
    signs, classes = _signs(labels, call.args[1])
    bias = flag(problem, call, "bias", True)
    d = len(points[0])
    node = call.kwarg("start")
    start = [sp.Integer(0)] * (d + bias)
    if node is not None:
        start = vector_of(problem, node, "the start weights")
        if len(start) != d + bias:
            raise SpecError(f"`start` has {len(start)} entries; it needs {d + bias} (the {d} weights"
                            + (", then the bias)" if bias else ")"), node.pos)
    epochs = whole(problem, call, "epochs", 1, 1)
    return {"points": points, "labels": labels, "signs": signs, "classes": classes, "bias": bias,
            "start": start, "lr": _lr(problem, call), "epochs": epochs}


def _vec(w: list[Any]) -> sp.ImmutableMatrix:
    return sp.ImmutableMatrix([list(w)])


def _epoch(a: dict, w: list[Any], e: int) -> tuple[list[Any], list[int], Table]:
    """One pass: the new weights, the mistaken examples (0-based) and the table."""
    rows, mistakes = [], []
    d = len(a["points"][0])
    for i, (x, y, label) in enumerate(zip(a["points"], a["signs"], a["labels"])):
        xa = list(x) + ([sp.Integer(1)] if a["bias"] else [])
        s = sp.Add(*[wi * xi for wi, xi in zip(w, xa)])
        wrong = y * s <= 0
        if wrong:
            mistakes.append(i)
            w = [wi + a["lr"] * y * xi for wi, xi in zip(w, xa)]
        rows.append((str(i + 1), _vec(x), label_cell(label), sp.Integer(y), s, y * s,
                     "yes" if wrong else "no", _vec(w[:d]), *((w[d],) if a["bias"] else ())))
    yi, si = sp.Symbol("y_i"), sp.Symbol("s_i")
    header = ("i", sp.Symbol("x_i"), "label", yi, si, sp.Mul(yi, si, evaluate=False),
              "mistake", sp.Symbol("w"), *((sp.Symbol("b"),) if a["bias"] else ()))
    return w, mistakes, Table(header, tuple(rows), say(f"Epoch {e}: score, mistake test and weights after each "
                                                       "example."))


def _epoch_check(a: dict, e: int, before: list[Any], after: list[Any], mistakes: list[int]) -> Step:
    """w after the epoch = w before + η Σ_{mistakes} y_i x̃_i, checked."""
    aug = [list(a["points"][i]) + ([sp.Integer(1)] if a["bias"] else []) for i in mistakes]
    W = sp.Symbol("w")
    terms = [_vec(x) if a["lr"] * a["signs"][i] == 1 else sp.MatMul(a["lr"] * a["signs"][i], _vec(x), evaluate=False)
             for i, x in zip(mistakes, aug)]
    with sp.evaluate(False):
        chain = [W, sp.MatAdd(_vec(before), *terms), _vec(after)] if terms else [W, _vec(after)]
    what = "(w₁, …, w_d, b)" if a["bias"] else "(w₁, …, w_d)"
    text = say(f"After epoch {e}, {len(mistakes)} mistake{'s' if len(mistakes) != 1 else ''}: the weights {what} "
               "are the ones the epoch started from plus η y_i x_i for every mistake",
               " (x_i with a 1 appended for the bias)" if a["bias"] else "", ":")
    return make_step("perceptron_epoch", text, *chain, where={W: _vec(after)})


def _rule_step(a: dict) -> Step:
    """The labels as ±1, the score, the mistake test and the update rule (definitions)."""
    c0, c1 = a["classes"]
    y, s_, w, x, b, eta = (sp.Symbol(n) for n in ("y", "s", "w", "x", "b", "eta"))
    score = sp.Mul(w, x, evaluate=False) + (b if a["bias"] else 0)
    labels = say() if (c0, c1) == (-1, 1) else say(
        "Labels: ", label_cell(c0), " is ", Rel(y, "=", -1, kind="definition"), " and ", label_cell(c1), " is ",
        Rel(y, "=", 1, kind="definition"), ". ")
    return make_step("perceptron_rule", say(
        labels, "Score ", Rel(s_, "=", score, kind="definition"), "; an example is a mistake when ",
        Rel(sp.Mul(y, s_, evaluate=False), "≤", 0, kind="definition"), ", and then w ← w + η y x",
        ", b ← b + η y" if a["bias"] else "", ", with ", Rel(eta, "=", a["lr"], kind="definition"), "."),
        check=False)


def perceptron(problem: Problem, call: ast.Call) -> Derived:
    """The perceptron's passes over the data (see the module docstring)."""
    a = _arguments(problem, call)
    w = list(a["start"])
    steps = [_rule_step(a)]
    history, counts = [], []
    for e in range(1, a["epochs"] + 1):
        before = w
        w, mistakes, table = _epoch(a, w, e)
        steps.append(make_step("perceptron_pass", say(f"Epoch {e}, the examples in order:"), table=table,
                               check=False))
        steps.append(_epoch_check(a, e, before, w, mistakes))
        history.append(list(w))
        counts.append(len(mistakes))
        if not mistakes:
            if e < a["epochs"]:
                steps.append(make_step("perceptron_converged", say(f"Epoch {e} made no mistake: every example is "
                                                                   "on its correct side, so the remaining epochs "
                                                                   "change nothing."), check=False))
            break
    d = len(a["points"][0])
    extra = {"bias": float(w[d]) if a["bias"] else None, "mistakes": counts,
             "history": [[float(x) for x in h] for h in history]}
    return Derived(make_answer(sp.ImmutableMatrix(w), extra=extra), tuple(steps))
