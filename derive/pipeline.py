"""The four stages composed: parse -> build -> derive -> render.

    spec = parse(text, filename)          # ast.Spec
    problems = build(spec)                # list[model.Problem]
    solved = [derive(p) for p in problems]   # list[ProblemSolution]
    out = render(solution, "md")          # str

`solve(text_or_path)` runs the first three and returns a `Solution`.
"""
from __future__ import annotations

import os
from pathlib import Path

from . import ast
from .derivers.registry import derive_goal, load_all
from .errors import DeriveError
from .model import Problem, build
from .steps import Part, ProblemSolution, Solution
from .syntax import parse


def derive(problem: Problem) -> ProblemSolution:
    """Every goal of one problem, in statement order; a failing goal becomes an error result."""
    load_all()
    results = tuple(derive_goal(problem, g) for g in problem.goals)
    parts = tuple(Part(label, text, marks) for label, text, marks in problem.parts)
    return ProblemSolution(problem.title, problem.section, problem.points, problem.text, results, parts,
                           problem.number)


def read_spec(text_or_path: str | os.PathLike, filename: str | None = None) -> tuple[str, str]:
    """(text, filename) from spec text or a path to a spec file."""
    if isinstance(text_or_path, os.PathLike) or (
            isinstance(text_or_path, str) and "\n" not in text_or_path and "{" not in text_or_path
            and text_or_path.strip().endswith(".spec")):
        path = Path(text_or_path)
        try:
            return path.read_text(encoding="utf-8"), filename or str(path)
        except OSError as exc:
            raise DeriveError(f"cannot read {path}: {exc.strerror or exc}", file=str(path)) from None
        except UnicodeDecodeError:
            raise DeriveError(f"{path} is not UTF-8 text", file=str(path)) from None
    return str(text_or_path), filename or "<spec>"


def solve(text_or_path: str | os.PathLike, filename: str | None = None) -> Solution:
    """Parse, build and derive a spec (text, or a path to a `.spec` file).

    Raises `DeriveError` when the spec cannot be read (syntax or meaning); goals that
    cannot be derived are error results inside the returned `Solution`.
    """
    text, name = read_spec(text_or_path, filename)
    spec: ast.Spec = parse(text, name)
    problems = build(spec)
    solved = tuple(derive(p) for p in problems)
    return Solution(solved, spec.meta("title"), spec.meta("course"), spec.meta("date"), name, spec.header)
