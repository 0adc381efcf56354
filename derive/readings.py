"""Accepted alternative readings of a question: `(b) find o accept reading "NAME" { ... }`.

In:  a built Problem, one of its goals with readings, the goal's index.
Out: for each reading, (its name, the goal's Answer derived with the reading's
     statements in place of the problem's own; None when it cannot be derived, with the
     error's message).  A reading's definition of a name the problem defines replaces
     that definition where it stands (`param W1 = ...`: what depends on W1 follows); a
     new name is defined before the problem's first goal.  Readings hold definitions only.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from . import ast
from .errors import DeriveError, SpecError

DEFINITIONS = (ast.Define, ast.SymbolDecl, ast.DimDecl, ast.TensorDecl, ast.FuncDef, ast.Given)


def with_reading(pdef: ast.ProblemDef, statements: tuple) -> ast.ProblemDef:
    """The problem's definition with a reading's statements in place (and no readings)."""
    for s in statements:
        if not isinstance(s, DEFINITIONS):
            raise SpecError("a reading holds definitions only (`param`, `let`, `input`, `x = ...`)", s.pos)
    named = {s.name: s for s in statements if isinstance(s, (ast.Define, ast.FuncDef))}
    defined = {s.name for s in pdef.statements if isinstance(s, (ast.Define, ast.FuncDef))}
    new = [s for s in statements if not (isinstance(s, (ast.Define, ast.FuncDef)) and s.name in defined)]
    out: list = []
    for s in pdef.statements:
        if isinstance(s, (ast.Define, ast.FuncDef)) and s.name in named:
            out.append(named[s.name])
            continue
        if isinstance(s, ast.Find):
            out.extend(new)
            new = []
            s = replace(s, readings=())
        out.append(s)
    return replace(pdef, statements=tuple(out))


def derive_readings(problem: Any, index: int) -> tuple[tuple[str, Any, str | None], ...]:
    """(name, Answer or None, error message or None) for each reading of goal `index`."""
    from .derivers.registry import FAMILIES, derive_goal
    from .model.builder import build_problem
    goal = problem.goals[index]
    out = []
    for name, statements in goal.readings:
        try:
            other = build_problem(with_reading(problem.definition, statements), problem.number, FAMILIES,
                                  problem.ref)
            r = derive_goal(other, other.goals[index])
        except DeriveError as exc:
            out.append((name, None, exc.message))
            continue
        out.append((name, r.answer, r.error.message if r.error else None))
    return tuple(out)
