"""Error carried forward: a later goal re-derived with the student's own earlier answers.

When a goal depends through the graph on an earlier result whose goal is a name of the
problem (II.1: `(c) find L` with `L = (t - o)^2` and `(b) find o`), the problem's
definition is rebuilt with that name defined as the student's answer (`o = 23`, an AST
from derive's grammar, never eval), the goal is derived again, and the student's later
answer is compared with that.  The rule (docs/grading.md):

* only earlier results (by id, same problem) whose goal is a bare name the later goal
  depends on are used, and only answers that read as values (numbers, vectors,
  matrices: no names);
* the credit is capped by `ecf_credit` (1: full marks for the later part);
* no credit is carried from a trivial chain: when the answer expected under the
  student's values is 0 and the key's is not (o = 0 can make a gradient vanish, so the
  later part would need no method), or when it equals the key (nothing was carried).
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any

import sympy as sp

from .. import ast
from ..errors import DeriveError
from ..model.graph import Graph, names_in
from .acceptance import Acceptance, accept as _accept
from .reading import FormatError, parse, read


def dependencies(pdef: ast.ProblemDef, goal: ast.Expr) -> set[str]:
    """The names `goal` reads and every name of the problem they depend on, through the
    problem's computation graph (derive.model.graph)."""
    read = names_in(goal)
    return set(read) | set(Graph.of(pdef.statements).closure(read))


def _goal_table(pdef: ast.ProblemDef, ref: str) -> dict[str, tuple[int, ast.Expr | None]]:
    """id -> (goal index, goal expression) for every goal of the problem."""
    from ..pipeline import result_ids
    goals: list[tuple[str | None, ast.Expr | None]] = []
    for s in pdef.statements:
        if isinstance(s, ast.Find):
            goals.extend((s.label.text if s.label else None, g) for g in s.goals)
        elif isinstance(s, ast.AnswerStmt):
            goals.append((s.label.text if s.label else None, None))
    ids = result_ids([lab for lab, _ in goals], ref)
    return {i: (k, g) for k, (i, (_, g)) in enumerate(zip(ids, goals))}


def substitutions(result: Any, given: dict[str, str]) -> dict[str, tuple[str, ast.Expr, Any]]:
    """name -> (id, the student's AST, its value) for the earlier answers `result`'s goal
    depends on."""
    pdef, _, ref, index = result.origin
    table = _goal_table(pdef, ref)
    goal = table.get(result.id, (index, None))[1]
    if goal is None:
        return {}
    needed = dependencies(pdef, goal)
    defined = {s.name for s in pdef.statements if isinstance(s, ast.Define)}
    out: dict[str, tuple[str, ast.Expr]] = {}
    for gid, text in sorted(given.items()):
        k, expr = table.get(gid, (None, None))
        if k is None or k >= index or not isinstance(expr, ast.Name) or expr.id not in needed \
                or expr.id not in defined:
            continue
        try:
            value = read(text, {})
            (node,) = parse(text)
        except (FormatError, ValueError):
            continue
        if len(value.items) == 1 and not isinstance(value.items[0], tuple):
            out[expr.id] = (gid, node, value.items[0])
    return out


def _literal(x: Any, pos: Any) -> ast.Expr | None:
    """A rational number or matrix as an AST literal (None for anything else)."""
    from fractions import Fraction
    if isinstance(x, sp.MatrixBase):
        rows = [[_literal(x[i, j], pos) for j in range(x.shape[1])] for i in range(x.shape[0])]
        if any(e is None for row in rows for e in row):
            return None
        if x.shape[1] == 1:
            return ast.ListLit(pos, tuple(row[0] for row in rows))
        return ast.ListLit(pos, tuple(ast.ListLit(pos, tuple(row)) for row in rows))
    if isinstance(x, sp.Rational):
        num = ast.Num(pos, Fraction(abs(int(x.p)), int(x.q)), str(abs(x)))
        return ast.UnaryOp(pos, "-", num) if x < 0 else num
    return None


def _shifted(stmt: ast.Define, student: Any, node: ast.Expr, original: Any) -> ast.Expr:
    """The new definition of a name the student answered: its own definition shifted by
    (the student's value - the key's), so that what depends on it through the graph (a
    gradient) still does; the student's value alone when the shift is not a rational
    literal of the same shape."""
    from ..verify import realize
    if stmt.value is None or stmt.kind not in ("node", "let"):
        return node
    try:
        if isinstance(original, sp.MatrixBase) and original.shape == (1, 1):
            original = original[0, 0]
        if isinstance(student, sp.MatrixBase) and student.shape == (1, 1):
            student = student[0, 0]
        offset = realize(student - original)
    except (TypeError, ValueError, sp.ShapeError):
        return node
    lit = _literal(offset, stmt.pos)
    if lit is None:
        return node
    return ast.BinOp(stmt.pos, "+", stmt.value, lit)


def rederive(result: Any, subs: dict[str, tuple[str, ast.Expr, Any]]) -> Any:
    """`result`'s goal derived again with the names in `subs` defined as the student's
    values (`_shifted`); the new Result, or None when it cannot be derived."""
    from ..derivers.registry import FAMILIES, derive_goal, load_for
    from ..model.builder import build_problem
    pdef, number, ref, index = result.origin
    try:
        base = build_problem(pdef, number, FAMILIES, ref)
        statements = tuple(
            replace(s, value=_shifted(s, subs[s.name][2], subs[s.name][1], base.names[s.name].value))
            if isinstance(s, ast.Define) and s.name in subs and s.name in base.names else s
            for s in pdef.statements)
        problem = build_problem(replace(pdef, statements=statements), number, FAMILIES, ref)
        load_for("evaluate")
        new = derive_goal(problem, problem.goals[index])
    except (DeriveError, IndexError):
        return None
    return new if new.error is None and new.answer is not None else None


def carry_forward(result: Any, acc: Acceptance, response: str, given: dict[str, str], time_limit: float,
                  ecf_credit: float = 1.0) -> Any:
    """The Grade of `response` under the student's earlier answers (`given`: id -> text),
    or None when no earlier answer carries (see the module docstring)."""
    from .. import limits
    from .record import Ecf, judge, make_grade
    if getattr(result, "origin", None) is None or result.origin[0] is None:
        return None
    try:
        with limits.running(limits.Limits(time=max(time_limit, 1.0) * 4)):
            subs = substitutions(result, given)
            new = rederive(result, subs) if subs else None
    except DeriveError:
        return None
    if new is None:
        return None
    new_acc = replace(_accept(new, rtol=acc.rtol, atol=acc.atol, sigfigs=acc.sigfigs, options=acc.options,
                              per_entry=acc.per_entry), id=acc.id, marks=acc.marks)
    if _trivial(new_acc.value, acc.value):
        return None
    verdict, error = judge(new_acc, response, time_limit)
    if error is not None or verdict is None or not verdict.score:
        return None
    used = tuple(sorted((gid, given[gid]) for gid, _, _ in subs.values()))   # (all the substituted answers)
    from ..printing import latex
    ecf = Ecf(used, latex(new_acc.value), float(ecf_credit))
    return make_grade(acc, result, response, verdict, None, ecf)


def _trivial(expected: Any, key: Any) -> bool:
    """No credit to carry: the chain's answer is the key itself, or 0 where the key is not."""
    try:
        if isinstance(expected, sp.MatrixBase) and isinstance(key, sp.MatrixBase):
            return expected == key or (expected.is_zero_matrix and not key.is_zero_matrix)
        if isinstance(expected, sp.Basic) and isinstance(key, sp.Basic):
            from ..verify import equal
            return equal(expected, key)[0] is True or (expected == 0 and key != 0)
    except (TypeError, ValueError):
        return True
    return expected == key
