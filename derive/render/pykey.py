"""What a runnable answer key checks (`--format python`, issue 10 §5): each result of a
solution planned as a `Check` or left `Unchecked` with the reason (pynames).

In:  a Solution.  Each problem is built again from its definition (`Result.origin`, as
     grading re-derives a goal; without the goal families, which render does not import),
     so that the goal's own definitions are at hand as sympy objects: the function of
     `grad(L, w)` / `hessian(L, w)` is `L` as the spec defines it, every computed name
     replaced by its definition, translated to NumPy by `numpy_text` (never from spec text).
Out: `plan(solution)` -> [(ProblemSolution, [Check | Unchecked, ...])], in goal order.

A Check names the inputs to draw (the declared shapes; symbolic sizes get fixed ones), the
NumPy source of the definition and of the answer (`answer.numpy` where the answer has it),
and how they are compared: `grad`/`hessian` against central finite differences of the
definition, `value` (an expression goal, `expand`, `simplify`, a numeric answer) against
the definition evaluated at the same inputs; argmin, solve, eigenvalues, gd and newton by
their own routes (pykey_goals).  The script itself is printed by pyscript.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixExpr

from .. import ast
from ..errors import DeriveError
from ..numpy_text import numpy_text, py_name
from .pykey_goals import GOALS, definition, entry_of
from .pynames import Check, Names, Skip, Unchecked, as_sympy, check_size, free

if TYPE_CHECKING:
    from ..model.problem import Binding, Problem
    from ..steps import ProblemSolution, Result, Solution

KEY_KINDS = ("number", "vector", "matrix")    # answers whose value the script prints when it cannot check


def plan(solution: Solution) -> list[tuple[ProblemSolution, list]]:
    """Every problem with the Check or Unchecked of each of its results, in order."""
    out, seed = [], 0
    for p in solution.problems:
        problem, why = _rebuilt(p, solution)
        items = []
        for r in p.results:
            seed += 1
            items.append(_item(problem, why, r, seed))
        out.append((p, items))
    return out


def _rebuilt(p: ProblemSolution, solution: Solution) -> tuple[Problem | None, str]:
    """The problem built again from its definition, or (None, why not)."""
    origin = next((r.origin for r in p.results if r.origin is not None and r.origin[0] is not None), None)
    if origin is None:
        return None, "its problem's definition is not at hand"
    pdef, number, ref, _ = origin
    if solution.variant is not None and any(isinstance(s, ast.Vary) for s in pdef.statements):
        return None, "a drawn variant (its drawn values are not rebuilt by this script)"
    from ..model.builder import build_problem
    try:      # (without the goal families: render imports no deriver; their builtins stay deferred errors)
        return build_problem(pdef, number, None, ref), ""
    except DeriveError:      # (its message may quote the spec: the script prints only its own words)
        return None, "the problem could not be built again"


def _key(r: Result) -> str | None:
    """The answer's text when it is numeric (a number, vector, matrix, list of numbers)."""
    kind = dict(r.answer.extra).get("kind") if r.answer is not None else None
    if kind in KEY_KINDS or (kind == "list" and _numbers(r.answer.value)):
        return r.answer.text
    return None


def _numbers(v: Any) -> bool:
    if isinstance(v, (list, tuple)):
        return bool(v) and all(_numbers(x) for x in v)
    return isinstance(v, (int, float, Fraction)) and not isinstance(v, bool)


def _item(problem: Problem | None, why: str, r: Result, seed: int) -> Check | Unchecked:
    """The Check of result `r` (its goal in the rebuilt problem), or why there is none."""
    rid, goal = r.id or r.label or "?", r.goal or ""
    if r.error is not None or r.answer is None:
        return Unchecked(rid, goal, f"not derived ({r.error.kind if r.error else 'no answer'})")
    if problem is None:
        return Unchecked(rid, goal, why, _key(r))
    index = r.origin[3] if r.origin is not None else len(problem.goals)
    g = problem.goals[index].expr if index < len(problem.goals) else None
    if g is None:
        return Unchecked(rid, goal, "an authored answer")
    try:
        return _plan(problem, g, r, rid, goal, seed)
    except Skip as exc:
        return Unchecked(rid, goal, str(exc), _key(r))
    except (TypeError, ValueError, AttributeError, IndexError, KeyError):   # an object not written here
        return Unchecked(rid, goal, "no check is written for its objects", _key(r))


@dataclass
class Context:
    """One goal being planned: its problem, the names, the result and the answer."""

    problem: Problem
    names: Names
    result: Result
    id: str
    goal: str
    seed: int

    @property
    def raw(self) -> Any:
        return self.result.answer.expr

    @property
    def answer(self) -> Any:
        a = as_sympy(self.raw)
        check_size(a)
        return a

    def closed(self) -> str:
        return _closed_code(self.result, self.answer, self.names)


def _plan(problem: Problem, g: ast.Expr, r: Result, rid: str, goal: str, seed: int) -> Check:
    """The Check of one goal (a Skip with the reason when there is none)."""
    ctx = Context(problem, Names(problem), r, rid, goal, seed)
    name = g.name if isinstance(g, ast.Call) else None
    if name in GOALS:
        return GOALS[name](ctx, g)
    if name in ("grad", "hessian") and len(g.args) == 2 and not g.kwargs:
        return _derivative(ctx, name, g.args[0], g.args[1])
    if name in ("expand", "simplify") and len(g.args) == 1 and not g.kwargs:
        g = g.args[0]
    else:
        from ..model.builtins import BUILTINS
        user = problem.names.get(name) if name is not None else None
        if name is not None and name not in BUILTINS and (user is None or user.kind != "function"):
            raise Skip(f"`{name}` is not a closed form this script recomputes")
    f, function = definition(ctx, g)
    setup = ctx.names.setup([f, ctx.answer])
    return Check(rid, goal, "value", setup, None, "", ctx.closed(), function, seed)


def _derivative(ctx: Context, kind: str, target: ast.Expr, var: ast.Expr) -> Check:
    """grad / hessian in a name, or grad in one entry of a vector or matrix (`W1[1, 2]`)."""
    f, function = definition(ctx, target)
    entry = ""
    if isinstance(var, ast.Index) and kind == "grad":
        entry, var = entry_of(ctx, var), var.target
    b = ctx.names.input_binding(var)
    variable = py_name(b.name)
    _check_shapes(kind, f, b)
    if entry and isinstance(f, (MatrixExpr, sp.MatrixBase)) and tuple(f.shape) != (1, 1):
        raise Skip("only the derivative of a scalar in one entry is checked")
    setup = ctx.names.setup([f, ctx.answer, b.symbol])
    return Check(ctx.id, ctx.goal, kind, setup, variable, function, ctx.closed(),
                 f"{'_grad' if kind == 'grad' else '_hess'}(_f, {variable}){entry}", ctx.seed)


def _check_shapes(kind: str, f: Any, b: Binding) -> None:
    """Only what the script compares entry by entry: a scalar's gradient or Hessian, a vector's
    Jacobian in a vector."""
    tensor = isinstance(f, (MatrixExpr, sp.MatrixBase))
    if tensor and tuple(f.shape) == (1, 1):
        return
    if tensor and (kind == "hessian" or f.shape[1] != 1 or not isinstance(b.symbol, MatrixExpr)
                   or b.symbol.shape[1] != 1):
        raise Skip("only gradients and Hessians of scalars and Jacobians of vectors in vectors are checked")


def _closed_code(r: Result, answer: Any, names: Names) -> str:
    """The answer's NumPy source: `answer.numpy`, else printed here (scalar and numeric
    answers, explicit components)."""
    given = dict(r.answer.extra).get("numpy")
    if given and not (free(answer) & set(names.components)):
        return given
    code = numpy_text(answer, names.components)
    if code is None:
        raise Skip("its answer has no NumPy form")
    return code
