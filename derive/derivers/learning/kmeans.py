"""`kmeans(points, init = [c1, c2, ...], steps = k)`: Lloyd's algorithm, iteration by iteration.

In: the points (rows are samples, or a list of vectors), the initial centroids (a matrix
whose rows are the centroids, or a list of vectors) and `steps`, the most iterations to
run (until the assignments repeat when not given, at most 100).  Out: the final
centroids as a matrix (one row each), with `extra` the assignments (1-based clusters),
the objective and whether the run converged.

Each iteration shows the table of squared distances ‖x_i − μ_k‖² from every point to
every centroid with the cluster each point joins, the new centroids as the means of their
clusters (checked), and the objective J = Σ_i ‖x_i − μ_{c(i)}‖² with the new centroids
(checked).  The run stops early when an iteration's assignments are those of the one
before (the centroids then no longer move), and says so.

Conventions: a tie between centroids goes to the lowest-numbered one (as NumPy's argmin
and scikit-learn); a cluster left empty keeps its old centroid (stated in the step;
scikit-learn instead moves it to a far point).  Errors: ragged points, a centroid of
another dimension, more centroids than points, `steps` not a whole number ≥ 1.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from ... import ast
from ...errors import SpecError
from ...model.expressions import Seq
from ...model.problem import Problem
from ...sentence import Rel, join, say
from ...steps import Step, Table, make_step
from ..registry import Derived, make_answer
from .data import point, rows_of, whole
from .notation import Norm2

MAX_ITERATIONS = 100


@dataclass
class Run:
    """The state of a k-means run: centroids per iteration, assignments, objectives."""

    points: list[list[Any]]
    centroids: list[list[list[Any]]]
    assignments: list[list[int]] = field(default_factory=list)
    objectives: list[Any] = field(default_factory=list)
    converged: bool = False


def sq_dist(x: list[Any], c: list[Any]) -> Any:
    """‖x − c‖², exact."""
    return sp.Add(*[(a - b) ** 2 for a, b in zip(x, c)])


def assign(points: list[list[Any]], centroids: list[list[Any]]) -> list[int]:
    """The nearest centroid of every point (0-based; the first on a tie)."""
    out = []
    for x in points:
        d = [sq_dist(x, c) for c in centroids]
        out.append(d.index(min(d)))
    return out


def means(points: list[list[Any]], labels: list[int], old: list[list[Any]]) -> list[list[Any]]:
    """Each cluster's mean (an empty cluster keeps its old centroid)."""
    out = []
    for k, c in enumerate(old):
        members = [x for x, a in zip(points, labels) if a == k]
        out.append([sp.Add(*col) / len(members) for col in zip(*members)] if members else list(c))
    return out


def _arguments(problem: Problem, call: ast.Call) -> tuple[list, list, int, bool]:
    points = rows_of(problem, call.args[0], "the points")
    init_node = call.kwarg("init")
    if init_node is None:
        raise SpecError("k-means needs its initial centroids: `init = [c1, c2, ...]` (a matrix whose rows are the "
                        "centroids, or a list of vectors)", call.pos)
    init = rows_of(problem, init_node, "the initial centroids")
    if not isinstance(problem.value(init_node), Seq) and len(points[0]) > 1 and len(init[0]) == 1:
        init = [[e[0] for e in init]]             # one centroid written as a vector
    if len(init[0]) != len(points[0]):
        raise SpecError(f"the centroids have {len(init[0])} coordinates but the points have {len(points[0])}",
                        init_node.pos)
    if len(init) > len(points):
        raise SpecError(f"{len(init)} centroids for {len(points)} points: k cannot exceed the number of points",
                        init_node.pos)
    given = call.kwarg("steps") is not None
    steps = whole(problem, call, "steps", MAX_ITERATIONS, 1)
    return points, init, steps, given


def run_kmeans(points: list[list[Any]], init: list[list[Any]], steps: int) -> Run:
    """Up to `steps` iterations (assign, then update), stopping when assignments repeat."""
    run = Run(points, [init])
    for _ in range(steps):
        labels = assign(points, run.centroids[-1])
        if run.assignments and labels == run.assignments[-1]:
            run.converged = True
            break
        run.assignments.append(labels)
        new = means(points, labels, run.centroids[-1])
        run.centroids.append(new)
        run.objectives.append(sp.Add(*[sq_dist(x, new[a]) for x, a in zip(points, labels)]))
    return run


def _mu(k: int) -> sp.Symbol:
    return sp.Symbol(f"mu_{k}")


def _table(points: list[list[Any]], cents: list[list[Any]], labels: list[int]) -> Table:
    x = sp.Symbol("x_i")
    header = ("i", x, *[Norm2(x - _mu(k)) for k in range(1, len(cents) + 1)], "cluster")
    rows = tuple((str(i), point(p), *[sq_dist(p, c) for c in cents], sp.Integer(a + 1))
                 for i, (p, a) in enumerate(zip(points, labels), 1))
    return Table(header, rows, say("Squared distances to the centroids; each point joins the nearest."))


def _assign_step(t: int, points: list, cents: list, labels: list[int]) -> Step:
    shown = join([Rel(_mu(k), "=", point(c), kind="definition") for k, c in enumerate(cents, 1)], ", ", " and ")
    ties = [i for i, p in enumerate(points, 1) if [sq_dist(p, c) for c in cents].count(
        min(sq_dist(p, c) for c in cents)) > 1]
    note = say(" Point", "s " if len(ties) > 1 else " ", ", ".join(map(str, ties)), " tie",
               "" if len(ties) > 1 else "s", ": it goes to the lowest-numbered nearest centroid.") if ties else say()
    return make_step("kmeans_assign", say(f"Iteration {t}, assignment: with the centroids ", shown,
                                          ", every point joins the centroid at the smallest squared distance.",
                                          note), table=_table(points, cents, labels), check=False)


def _update_step(t: int, points: list, labels: list[int], old: list, new: list) -> Step:
    subs = []
    for k, (c_old, c_new) in enumerate(zip(old, new)):
        mu = _mu(k + 1)
        members = [point(x) for x, a in zip(points, labels) if a == k]
        if not members:
            subs.append(make_step("kmeans_empty", say(f"Cluster {k + 1} is empty: its centroid stays where it was, ",
                                                      Rel(mu, "=", point(c_old)), "."), where={mu: point(c_old)}))
            continue
        chain = [mu, point(c_new)]
        if len(members) > 1:
            with sp.evaluate(False):
                matrix = isinstance(members[0], sp.MatrixBase)
                total = (sp.MatAdd if matrix else sp.Add)(*members)
                chain.insert(1, (sp.MatMul if matrix else sp.Mul)(sp.Rational(1, len(members)), total))
        text = say(f"Cluster {k + 1} ({len(members)} point", "s):" if len(members) > 1 else "): it stays at it.")
        subs.append(make_step("kmeans_mean", text, *chain, where={mu: point(c_new)}))
    return make_step("kmeans_update", say(f"Iteration {t}, update: each centroid moves to the mean of its "
                                          "cluster."), substeps=subs)


def _objective_step(t: int, points: list, labels: list[int], new: list, value: Any) -> Step:
    J = sp.Symbol("J")
    numbers = [sq_dist(x, new[a]) for x, a in zip(points, labels)]
    with sp.evaluate(False):
        nums = sp.Add(*numbers) if len(numbers) > 1 else numbers[0]
    return make_step("kmeans_objective", say(f"The objective after iteration {t}: the squared distances of the "
                                             "points, in order, to their cluster's new centroid, added up:"),
                     J, nums, value, where={J: value})


def kmeans(problem: Problem, call: ast.Call) -> Derived:
    """Lloyd's iterations from the given centroids (see the module docstring)."""
    points, init, steps, given = _arguments(problem, call)
    run = run_kmeans(points, init, steps)
    out: list[Step] = []
    for t, labels in enumerate(run.assignments, 1):
        old, new = run.centroids[t - 1], run.centroids[t]
        out.append(_assign_step(t, points, old, labels))
        out.append(_update_step(t, points, labels, old, new))
        out.append(_objective_step(t, points, labels, new, run.objectives[t - 1]))
    t = len(run.assignments) + 1
    if run.converged:
        out.append(make_step("kmeans_converged", say(f"Iteration {t}: every point keeps its cluster (the assignments "
                                                     f"repeat those of iteration {t - 1}), so the centroids no longer "
                                                     "move: k-means has converged."), check=False))
    elif not given:
        out.append(make_step("kmeans_stopped", say(f"Stopped after {MAX_ITERATIONS} iterations without the "
                                                   "assignments repeating."), check=False))
    final = sp.ImmutableMatrix(run.centroids[-1])
    extra = {"assignments": [a + 1 for a in run.assignments[-1]], "objective": float(run.objectives[-1]),
             "iterations": len(run.assignments), "converged": run.converged}
    return Derived(make_answer(final, extra=extra), tuple(out))
