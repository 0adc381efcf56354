"""The four stages composed: parse -> build -> derive -> render.

    spec = parse(text, filename)          # ast.Spec
    problems = build(spec)                # list[model.Problem]
    solved = [derive(p) for p in problems]   # list[ProblemSolution]
    out = render(solution, "md")          # str

`solve(text_or_path, limits=Limits(time=30))` runs the first three under one budget
and returns a `Solution`.
"""
from __future__ import annotations

import os
from dataclasses import replace
from typing import Sequence

from . import ast
from . import handout
from . import model
from .assumptions import assumptions
from .derivers.registry import FAMILIES, derive_goal, load_for, memo_scope
from .errors import DeriveError, LimitError
from .includes import read_spec_file
from .limits import Limits, interruptible, running
from .model import Problem
from .steps import Part, ProblemSolution, Result, Solution
from .syntax import MAX_SPEC_BYTES, parse


def build(spec: ast.Spec) -> list[Problem]:
    """Every problem of a parsed spec, built with the goal families available."""
    return model.build(spec, families=FAMILIES)


def derive(problem: Problem, *, limits: Limits | None = None) -> ProblemSolution:
    """Every goal of one problem, in statement order; a failing goal becomes an error
    result (kind "limit" once the time budget of `limits` is spent: the goals after it
    are error results too, at once)."""
    load_for("evaluate")
    with running(limits), memo_scope():
        results = tuple(derive_goal(problem, g) for g in problem.goals)
        if any(g.readings for g in problem.goals) and problem.definition is not None:
            from .readings import derive_readings
            results = tuple(replace(r, readings=derive_readings(problem, k)) if g.readings else r
                            for k, (r, g) in enumerate(zip(results, problem.goals)))
    parts = tuple(Part(label, text, marks) for label, text, marks in problem.parts)
    return ProblemSolution(problem.title, problem.section, problem.points, problem.text,
                           with_ids(results, problem.ref or str(problem.number),
                                    (problem.definition, problem.number)), parts,
                           problem.number, assumptions(problem), problem.ref or str(problem.number),
                           handout.data(problem), handout.options(problem))


def result_ids(labels: "list[str | None]", ref: str) -> list[str]:
    """The ids of a problem's results from their labels: the problem's `ref` and the label
    (`"4(d)"`, `"4"` for a result without one), then `#k` for the k-th result under the
    same label (k > 1: the goals of one multi-goal `find`, `"4(a)#2"`)."""
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        key = ref + (label or "")
        seen[key] = seen.get(key, 0) + 1
        out.append(key if seen[key] == 1 else f"{key}#{seen[key]}")
    return out


def with_ids(results: tuple[Result, ...], ref: str, origin: tuple = (None, 0)) -> tuple[Result, ...]:
    """The results with their ids (`result_ids`) and their origin: (the problem's
    definition, its number, `ref`, the goal's index), so that grading can re-derive a goal
    with a student's own earlier answers."""
    ids = result_ids([r.label for r in results], ref)
    return tuple(replace(r, id=i, origin=(*origin, ref, k)) for k, (r, i) in enumerate(zip(results, ids)))


def _is_path(text_or_path: str | os.PathLike) -> bool:
    """Whether `solve`'s argument names a file: a PathLike; or one line of text, no `{`, that
    ends with `.spec` or names an existing file (`exam.txt`); spec text otherwise."""
    if isinstance(text_or_path, os.PathLike):
        return True
    if not isinstance(text_or_path, str) or "\n" in text_or_path or "{" in text_or_path:
        return False
    return text_or_path.strip().endswith(".spec") or os.path.isfile(text_or_path)


def _check_not_empty(text: str, name: str) -> None:
    """An empty spec (nothing, or only blanks and comments) is an error that says so."""
    if all(not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()):
        what = "empty" if not text.strip() else "only comments"
        raise DeriveError(f"the spec is {what}: there is nothing to solve (a spec holds "
                          '`problem "Title" { ... }` blocks; see docs/language.md)', file=name)


def read_spec(text_or_path: str | os.PathLike, filename: str | None = None,
              max_bytes: int = MAX_SPEC_BYTES) -> tuple[str, str]:
    """(text, filename) from spec text or a path to a spec file (any extension, at most
    `max_bytes`); a DeriveError if the file cannot be read or the spec is empty."""
    if _is_path(text_or_path):
        name = filename or str(text_or_path)
        try:
            text = read_spec_file(text_or_path, max_bytes, regular_only=False)
        except DeriveError as exc:
            exc.file = name
            raise exc from None
    else:
        text, name = str(text_or_path), filename or "<spec>"
    _check_not_empty(text, name)
    return text, name


def solve(text_or_path: str | os.PathLike, filename: str | None = None, *, limits: Limits | None = None,
          include_path: Sequence[str | os.PathLike] = ()) -> Solution:
    """Parse, build and derive a spec (text, or a path to a spec file: see `read_spec`).

    `limits` bounds the whole run (see derive.limits.Limits; default: sizes only, no time
    budget); `include_path` names folders besides the spec's own that `include` may read.
    Raises `DeriveError` when the spec cannot be read (syntax or meaning, or a limit hit
    before the goals); goals that cannot be derived are error results inside the returned
    `Solution`.
    """
    with running(limits) as lim:
        try:
            text, name = read_spec(text_or_path, filename, lim.spec_bytes)
            with interruptible():
                spec: ast.Spec = parse(text, name, include_path=include_path)
                problems = build(spec)
        except MemoryError:
            raise LimitError("derive ran out of memory reading the spec", file=filename or _name(text_or_path)) \
                from None
        solved = tuple(derive(p) for p in problems)
    return Solution(solved, spec.meta("title"), spec.meta("course"), spec.meta("date"), name, spec.header)


def _name(text_or_path: str | os.PathLike) -> str:
    return str(text_or_path) if isinstance(text_or_path, os.PathLike) else "<spec>"
