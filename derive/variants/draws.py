"""One problem of one variant: drawn, built, derived and checked, or drawn again.

`solve_problem(pdef, seed, ...)` draws the problem's `vary`s from streams keyed by
(seed, the problem's own key, the attempt, the `vary`'s name), so a `vary` added to one
problem changes no other problem's numbers (nor another `vary`'s in the same problem).
A draw is rejected, and the next attempt drawn, when a `require` is false, when building
the problem with the drawn values fails (a division by zero, a limit), or when a goal
cannot be derived or checked; after MAX_TRIES rejected attempts the problem starves: a
SpecError at the `require` (or goal) that rejected most draws.  A problem without `vary`
is derived as `derive solve` derives it, its errors kept as results.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

from .. import ast
from ..derivers.registry import FAMILIES
from ..errors import DeriveError, Pos, SpecError
from ..model.builder import build_problem
from ..model.problem import Problem
from ..model.varying import RequireFailed
from ..pipeline import derive
from ..randomness import Stream
from ..steps import ProblemSolution

MAX_TRIES = 100       # attempts per problem and variant before it starves


@dataclass
class Rejections:
    """Why draws were rejected: (reason, where) -> count; reason is a sentence."""
    counts: Counter = field(default_factory=Counter)
    places: dict = field(default_factory=dict)

    def add(self, reason: str, pos: Pos | None) -> None:
        self.counts[reason] += 1
        self.places.setdefault(reason, pos)

    def merge(self, other: "Rejections") -> None:
        self.counts.update(other.counts)
        for k, v in other.places.items():
            self.places.setdefault(k, v)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def varies(pdef: ast.ProblemDef) -> bool:
    """Whether the problem has a `vary` (else every variant derives it alike)."""
    return any(isinstance(s, ast.Vary) for s in pdef.statements)


def problem_keys(problems: tuple[ast.ProblemDef, ...] | list[ast.ProblemDef]) -> list[str]:
    """Each problem's key for its random streams: its own name, else its title, with the
    count of earlier problems of that name (never its position, so that inserting or
    editing another problem leaves its numbers alone)."""
    seen: Counter = Counter()
    out = []
    for p in problems:
        name = p.name or p.title
        out.append(f"{name}\x1e{seen[name]}")
        seen[name] += 1
    return out


def _source(pos: Pos | None) -> str:
    return pos.snippet() if pos is not None else ""


def literal(value: Any, pos: Pos) -> ast.Expr | None:
    """A drawn value as the AST of a literal (a rational, or a vector or matrix of them);
    None for anything else (a symbolic list item)."""
    import sympy as sp
    from fractions import Fraction
    if isinstance(value, sp.Rational):
        frac = Fraction(int(value.p), int(value.q))
        num = ast.Num(pos, abs(frac), str(abs(frac)))
        return ast.UnaryOp(pos, "-", num) if frac < 0 else num
    if isinstance(value, sp.MatrixBase):
        rows = [[literal(value[i, j], pos) for j in range(value.cols)] for i in range(value.rows)]
        if any(e is None for r in rows for e in r):
            return None
        if value.cols == 1:
            return ast.ListLit(pos, tuple(r[0] for r in rows))
        return ast.ListLit(pos, tuple(ast.ListLit(pos, tuple(r)) for r in rows))
    return None


def pinned(pdef: ast.ProblemDef, values: dict[str, Any]) -> ast.ProblemDef:
    """`pdef` with each `vary` defaulting to its drawn value, so that building it without a
    draw (grading's re-derivation with a student's answers) gives this very variant."""
    from dataclasses import replace
    out = []
    for s in pdef.statements:
        lit = literal(values[s.name], s.pos) if isinstance(s, ast.Vary) and s.name in values else None
        out.append(replace(s, default=lit) if lit is not None else s)
    return replace(pdef, statements=tuple(out))


def _attempt(pdef: ast.ProblemDef, number: int, ref: str, draw) -> tuple[Problem, ProblemSolution]:
    problem = build_problem(pdef, number, FAMILIES, ref, draw)
    if draw is not None:       # (a Problem is frozen: the variant is a copy with its own definition)
        problem = replace(problem, definition=pinned(pdef, problem.varies))
    return problem, derive(problem)


def solve_problem(pdef: ast.ProblemDef, number: int, ref: str, key: str, seed: int | None,
                  rejections: Rejections) -> tuple[Problem, ProblemSolution]:
    """(the built problem, its solution) for the variant `seed` (None: the defaults);
    every rejected draw is counted in `rejections`."""
    if seed is None or not varies(pdef):
        return _attempt(pdef, number, ref, None)
    for attempt in range(MAX_TRIES):
        def draw(name: str, _a: int = attempt) -> Stream:
            return Stream(seed, key, _a, name)
        try:
            problem, solved = _attempt(pdef, number, ref, draw)
        except RequireFailed as exc:
            rejections.add(f"`require {_source(exc.stmt.cond.pos)}` was false", exc.stmt.pos)
            continue
        except DeriveError as exc:       # the drawn values break a definition (1/0, a limit)
            rejections.add(f"a definition failed: {exc.message}", exc.pos)
            continue
        failed = next((r for r in solved.results if r.error is not None), None)
        if failed is None:
            return problem, solved
        what = failed.id if getattr(failed, "id", None) else (failed.label or failed.goal or "a goal")
        rejections.add(f"{what} could not be derived ({failed.error.kind}): {failed.error.message}", failed.pos)
    raise _starved(pdef, rejections)


def _starved(pdef: ast.ProblemDef, rejections: Rejections) -> SpecError:
    """The error of a problem none of whose MAX_TRIES draws held: at what rejected most."""
    reason, count = rejections.counts.most_common(1)[0]
    pos = rejections.places.get(reason) or pdef.pos
    return SpecError(f"problem \"{pdef.title}\": none of {MAX_TRIES} draws was accepted; {count} were "
                     f"rejected because {reason} (widen the `vary` domains or relax this condition)", pos)


def drawn_values(problem: Problem) -> dict[str, Any]:
    """The value of each `vary` of a built problem, by name, in statement order."""
    return dict(problem.varies)
