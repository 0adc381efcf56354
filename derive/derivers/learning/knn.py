"""`knn(points, labels, query, k = 3, metric = "euclidean")`: the k-nearest-neighbour vote.

In: the training points (rows are samples, or a list of vectors), one label per point
(numbers or strings), the query point, k (1 ≤ k ≤ number of points) and the metric,
`"euclidean"` (‖x − q‖₂, exact: square roots kept) or `"manhattan"` (Σ|x_j − q_j|).
Out: the predicted class (a number or a string), with `extra` the k nearest points
(1-based) and the vote counts.

Steps: the distance table sorted nearest first (a tie in distance keeps the points'
order), the k nearest (a tie across the k-th place is stated: the earlier point is
taken), the vote count per class, and the winner (a tied vote goes to the first class
in scikit-learn's order: numbers increasing, strings alphabetical, as
`KNeighborsClassifier`, which takes the arg-max over its sorted classes).
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from ... import ast
from ...errors import SpecError
from ...model.problem import Problem
from ...sentence import Math, join, say
from ...steps import Step, Table, make_step
from ..registry import Derived, make_answer
from .data import choice, classes_of, label_cell, label_part, labels_of, point, rows_of, vector_of, whole


def distance(x: list[Any], q: list[Any], metric: str) -> Any:
    """‖x − q‖ in the metric, exact."""
    if metric == "manhattan":
        return sp.Add(*[abs(a - b) for a, b in zip(x, q)])
    return sp.sqrt(sp.Add(*[(a - b) ** 2 for a, b in zip(x, q)]))


def _shown(x: list[Any], q: list[Any], metric: str) -> Any:
    """The distance with the numbers put in, as a TA writes it."""
    with sp.evaluate(False):
        if metric == "manhattan":
            terms = [sp.Abs(sp.Add(a, -b)) for a, b in zip(x, q)]
            return sp.Add(*terms) if len(terms) > 1 else terms[0]
        terms = [sp.Pow(sp.Add(a, -b), 2) for a, b in zip(x, q)]
        return sp.sqrt(sp.Add(*terms) if len(terms) > 1 else terms[0])


def _arguments(problem: Problem, call: ast.Call) -> dict[str, Any]:
    points = rows_of(problem, call.args[0], "the points")
    labels = labels_of(problem, call.args[1], len(points))
    classes = classes_of(labels, call.args[1])
    q = vector_of(problem, call.args[2], "the query", len(points[0]))
    if any(isinstance(v, str) for v in q):
        raise SpecError("the query must be numbers", call.args[2].pos)
    k = whole(problem, call, "k", 3, 1, len(points), f" (there are {len(points)} points)")
    if call.kwarg("k") is None and len(points) < 3:
        raise SpecError(f"k is 3 unless given, but there are only {len(points)} points: give `k`", call.pos)
    metric = choice(problem, call, "metric", ("euclidean", "manhattan"))
    return {"points": points, "labels": labels, "classes": classes, "q": q, "k": k, "metric": metric}


def _table(a: dict, order: list[int], dists: list[Any]) -> Table:
    d = sp.Symbol("d_i")
    rows = tuple((str(r), str(i + 1), point(a["points"][i]), label_cell(a["labels"][i]),
                  dists[i], sp.Float(sp.N(dists[i], 20), 6) if not dists[i].is_Rational else "",
                  "yes" if r <= a["k"] else "")
                 for r, i in enumerate(order, 1))
    return Table(("rank", "i", sp.Symbol("x_i"), "label", d, "decimal", f"among the {a['k']} nearest"), rows,
                 say("Distances to the query, nearest first."))


def _distance_step(a: dict, dists: list[Any], order: list[int]) -> Step:
    i0 = order[0]
    d0 = sp.Symbol(f"d_{i0 + 1}")
    name = "Euclidean distance" if a["metric"] == "euclidean" else "Manhattan distance"
    return make_step("knn_distances", say(f"The {name} from the query ", Math(point(a["q"])), " to every point, "
                                          f"for example to the nearest, point {i0 + 1}:"),
                     d0, _shown(a["points"][i0], a["q"], a["metric"]), dists[i0], where={d0: dists[i0]},
                     table=_table(a, order, dists))


def _boundary(a: dict, dists: list[Any], order: list[int]) -> Any:
    """The sentence stating a tie across the k-th place, or nothing."""
    k = a["k"]
    if k == len(order) or sp.simplify(dists[order[k - 1]] - dists[order[k]]) != 0:
        return say()
    tied = [i + 1 for i in order if sp.simplify(dists[i] - dists[order[k - 1]]) == 0]
    return say(" Points ", ", ".join(map(str, tied)), " are equally far at the k-th place: the earlier ones in "
               "the data are taken (a stable sort; which of them scikit-learn takes is not specified).")


def knn(problem: Problem, call: ast.Call) -> Derived:
    """The k nearest neighbours of the query and their majority vote."""
    a = _arguments(problem, call)
    dists = [distance(x, a["q"], a["metric"]) for x in a["points"]]
    order = sorted(range(len(dists)), key=lambda i: (sp.N(dists[i], 30), i))
    steps = [_distance_step(a, dists, order)]
    near = order[:a["k"]]
    votes = {c: sum(1 for i in near if a["labels"][i] == c) for c in a["classes"]}
    counts = join([say(label_part(c), f" {votes[c]} vote{'s' if votes[c] != 1 else ''}") for c in a["classes"]],
                  ", ", " and ")
    steps.append(make_step("knn_vote", say(f"The {a['k']} nearest are point", "s " if a["k"] > 1 else " ",
                                           ", ".join(str(i + 1) for i in near), ".", _boundary(a, dists, order),
                                           " Their votes: ", counts, "."), check=False))
    best = max(votes.values())
    winners = [c for c in a["classes"] if votes[c] == best]
    tie = say(" The vote is tied between ", join([label_part(c) for c in winners], ", ", " and "),
              ": the first in scikit-learn's class order wins.") if len(winners) > 1 else say()
    steps.append(make_step("knn_predict", say("The prediction is the class with the most votes, ",
                                              label_part(winners[0]), ".", tie), check=False))
    extra = {"neighbours": [i + 1 for i in near], "votes": {str(c): v for c, v in votes.items()}}
    return Derived(make_answer(winners[0], extra=extra), tuple(steps))
