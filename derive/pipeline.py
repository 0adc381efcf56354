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
from typing import Sequence

from . import ast
from . import model
from .assumptions import assumptions
from .derivers.registry import FAMILIES, derive_goal, load_for
from .errors import DeriveError, LimitError
from .includes import read_spec_file
from .limits import Limits, interruptible, running
from .model import Problem
from .steps import Part, ProblemSolution, Solution
from .syntax import MAX_SPEC_BYTES, parse


def build(spec: ast.Spec) -> list[Problem]:
    """Every problem of a parsed spec, built with the goal families available."""
    return model.build(spec, families=FAMILIES)


def derive(problem: Problem, *, limits: Limits | None = None) -> ProblemSolution:
    """Every goal of one problem, in statement order; a failing goal becomes an error
    result (kind "limit" once the time budget of `limits` is spent: the goals after it
    are error results too, at once)."""
    load_for("evaluate")
    with running(limits):
        results = tuple(derive_goal(problem, g) for g in problem.goals)
    parts = tuple(Part(label, text, marks) for label, text, marks in problem.parts)
    return ProblemSolution(problem.title, problem.section, problem.points, problem.text, results, parts,
                           problem.number, assumptions(problem))


def read_spec(text_or_path: str | os.PathLike, filename: str | None = None,
              max_bytes: int = MAX_SPEC_BYTES) -> tuple[str, str]:
    """(text, filename) from spec text or a path to a spec file (at most `max_bytes`)."""
    if isinstance(text_or_path, os.PathLike) or (
            isinstance(text_or_path, str) and "\n" not in text_or_path and "{" not in text_or_path
            and text_or_path.strip().endswith(".spec")):
        name = filename or str(text_or_path)
        try:
            return read_spec_file(text_or_path, max_bytes, regular_only=False), name
        except DeriveError as exc:
            exc.file = name
            raise exc from None
    return str(text_or_path), filename or "<spec>"


def solve(text_or_path: str | os.PathLike, filename: str | None = None, *, limits: Limits | None = None,
          include_path: Sequence[str | os.PathLike] = ()) -> Solution:
    """Parse, build and derive a spec (text, or a path to a `.spec` file).

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
