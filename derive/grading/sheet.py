"""`grade_solution(solution, responses)`: one student's answer sheet, every result graded.

    grades = grade_solution(solution, {"II.1(b)": "23", "II.1(c)": "64"})

Results are graded in order; with `ecf` each wrong answer is re-graded against the
student's own earlier answers of the same problem (derive.grading.ecf).  A result
without a response is `incorrect` (note `ID-blank`), or `undecided` when it is marked by
hand.  An id that names no result is a ValueError naming it (before anything is graded).
"""
from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from typing import Any

from .acceptance import Acceptance, accept_once
from .grade import grade
from .record import Grade


def unknown_ids(solution: Any, responses: dict[str, str]) -> list[str]:
    """The ids in `responses` that name no result of `solution`, in the order given."""
    known = {r.id for r in solution.results}
    return [i for i in responses if i not in known]


def grade_solution(solution: Any, responses: dict[str, str], *, ecf: bool = True, ecf_credit: float = 1.0,
                   accept: dict[str, Acceptance] | None = None, time_limit: float = 3.0) -> list[Grade]:
    """One Grade per result of `solution` (derived results only; a result that failed to
    derive is skipped), in order.  `accept` overrides the Acceptance of some ids.  A
    result's marks are its own (`(c) [2] find ...`) or its part's (`(c) [2] text ...`)."""
    bad = unknown_ids(solution, responses)
    if bad:
        raise ValueError(f"no result has the id {bad[0]!r}" + (f" (nor {', '.join(map(repr, bad[1:4]))})"
                                                                 if len(bad) > 1 else ""))
    grades: list[Grade] = []
    for problem in solution.problems:
        earlier: dict[str, str] = {}
        wrong: list[str] = []
        for r in problem.results:
            if r.answer is None:
                continue
            acc = (accept or {}).get(r.id)
            if acc is None:                     # the default, made once per result (its key's work kept)
                acc = accept_once(r, r.marks if r.marks is not None else marks_of(problem, r))
            elif acc.marks is None and marks_of(problem, r) is not None:
                acc = replace(acc, marks=marks_of(problem, r))
            g = _one(r, acc, responses.get(r.id), earlier if ecf else None, time_limit, ecf_credit)
            first = next((w for w in wrong if w in _inputs(r)), None) if g.status in ("incorrect", "partial") \
                and g.ecf is None else None
            if first is not None:
                g = replace(g, feedback=g.feedback + f" It depends on {first}, your first wrong answer on the way.")
            if g.status in ("incorrect", "partial", "invalid") and r.id in responses or g.ecf is not None:
                wrong.append(r.id)
            if r.id in responses:
                earlier[r.id] = responses[r.id]
            grades.append(g)
    return grades


def marks_of(problem: Any, result: Any) -> Fraction | None:
    """The marks of a result without its own: its part's (`(c) [2] text "..."`), shared
    equally by the results under that label; else, when no result or part of the problem
    has marks, the problem's points shared equally by its results; else None."""
    label = result.label
    marks = next((p.marks for p in problem.parts if p.label == label and p.marks is not None), None)
    if marks is not None and label is not None:
        return Fraction(marks) / sum(1 for r in problem.results if r.label == label)
    if problem.points is None or any(r.marks is not None for r in problem.results) \
            or any(p.marks is not None for p in problem.parts):
        return None
    return Fraction(problem.points) / len(problem.results)


def _inputs(result: Any) -> set[str]:
    """The ids of the earlier results of the same problem whose goal is a name `result`'s
    goal depends on (II.1(c) `L` depends on II.1(b) `o`)."""
    from .. import ast
    from .ecf import _goal_table, dependencies
    if getattr(result, "origin", None) is None or result.origin[0] is None:
        return set()
    pdef, _, ref, index = result.origin
    table = _goal_table(pdef, ref)
    goal = table.get(result.id, (index, None))[1]
    if goal is None:
        return set()
    needed = dependencies(pdef, goal)
    return {i for i, (k, g) in table.items() if k < index and isinstance(g, ast.Name) and g.id in needed}


def _one(result: Any, acc: Acceptance, response: str | None, given: dict[str, str] | None, time_limit: float,
         ecf_credit: float) -> Grade:
    if response is None or (isinstance(response, str) and not response.strip()):
        status = "undecided" if acc.kind == "manual" else "incorrect"
        return Grade(acc.id, result.goal, acc.marks, status, 0.0, 0.0 if acc.marks is not None else None,
                     acc.check, feedback="No answer.", note=f"{acc.id}-blank")
    return grade(result, response, accept=acc, given=dict(given) if given else None, time_limit=time_limit,
                 ecf_credit=ecf_credit)
