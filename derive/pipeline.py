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
from . import model
from .assumptions import assumptions
from .derivers.registry import FAMILIES, derive_goal, load_for
from .errors import DeriveError, LimitError
from .model import Problem
from .steps import Part, ProblemSolution, Solution
from .syntax import MAX_SPEC_BYTES, parse


def build(spec: ast.Spec) -> list[Problem]:
    """Every problem of a parsed spec, built with the goal families available."""
    return model.build(spec, families=FAMILIES)


def derive(problem: Problem) -> ProblemSolution:
    """Every goal of one problem, in statement order; a failing goal becomes an error result."""
    load_for("evaluate")
    results = tuple(derive_goal(problem, g) for g in problem.goals)
    parts = tuple(Part(label, text, marks) for label, text, marks in problem.parts)
    return ProblemSolution(problem.title, problem.section, problem.points, problem.text, results, parts,
                           problem.number, assumptions(problem))


def read_spec(text_or_path: str | os.PathLike, filename: str | None = None) -> tuple[str, str]:
    """(text, filename) from spec text or a path to a spec file."""
    if isinstance(text_or_path, os.PathLike) or (
            isinstance(text_or_path, str) and "\n" not in text_or_path and "{" not in text_or_path
            and text_or_path.strip().endswith(".spec")):
        path = Path(text_or_path)
        name = filename or str(path)
        try:
            if path.stat().st_size > MAX_SPEC_BYTES:
                raise LimitError(f"the spec is larger than {MAX_SPEC_BYTES // 1000:,} kB; split it into files "
                                 "joined with `include`", file=name)
            with open(path, encoding="utf-8-sig") as fh:   # (-sig: a byte-order mark is not part of the text)
                return fh.read(), name
        except FileNotFoundError:
            raise DeriveError("no such file", file=name) from None
        except IsADirectoryError:
            raise DeriveError("is a directory, not a spec file", file=name) from None
        except OSError as exc:
            raise DeriveError(f"cannot read it: {exc.strerror or exc}", file=name) from None
        except UnicodeDecodeError as exc:
            raise DeriveError(f"not UTF-8 text (byte {exc.start} cannot be decoded)", file=name) from None
    return str(text_or_path), filename or "<spec>"


def solve(text_or_path: str | os.PathLike, filename: str | None = None) -> Solution:
    """Parse, build and derive a spec (text, or a path to a `.spec` file).

    Raises `DeriveError` when the spec cannot be read (syntax or meaning); goals that
    cannot be derived are error results inside the returned `Solution`.
    """
    from . import limits
    text, name = read_spec(text_or_path, filename)
    spec: ast.Spec = parse(text, name)
    with limits.time_limit(limits.GOAL_SECONDS, "working out the definitions"):
        problems = build(spec)
    solved = tuple(derive(p) for p in problems)
    return Solution(solved, spec.meta("title"), spec.meta("course"), spec.meta("date"), name, spec.header)
