"""Reading a given matrix (or vector) argument of a solving goal, exactly.

In: a goal call's argument (a `let` with a value, a node, an expression).  Out: a
`Given`: the explicit sympy matrix, the symbol it is shown as (its own name, or A), and
the step that puts the given values in when the argument is a name; a SpecError at the
argument when it is not an explicit matrix of the needed shape.  `elimination(A)`:
Gaussian elimination with partial pivoting by exact arithmetic (the pivots, the number
of row swaps, the echelon form), shared by det, solve and inv.
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from ... import ast
from ...errors import SpecError, Unsupported
from ...model.expressions import is_tensor, show_shape
from ...model.problem import Problem
from ...sentence import say
from ...steps import Step, make_step
from ..definite import explicit
from ...records import record

MAX_SIZE = 12             # exact elimination on matrices up to this size


@record
class Given:
    """An explicit matrix argument: value, display symbol, the step putting values in."""

    value: sp.ImmutableMatrix
    name: Any
    steps: tuple[Step, ...]


def given_matrix(problem: Problem, node: ast.Expr, goal: str, *, square: bool = True, default: str = "A") -> Given:
    """The argument `node` as an explicit matrix (square unless `square` is False)."""
    value, display = problem.value(node), problem.display(node)
    if not is_tensor(value) and not isinstance(value, sp.MatrixBase):
        raise SpecError(f"`{goal}` needs a matrix, not {show_shape(value)}", node.pos)
    M = explicit(value)
    if not isinstance(M, sp.MatrixBase):
        raise Unsupported(f"`{goal}` needs the entries of the matrix; give it a value (`let {default} = ...`)", node.pos)
    if square and M.rows != M.cols:
        raise SpecError(f"`{goal}` needs a square matrix, but `{node.pos.snippet()}` is {M.rows}×{M.cols}", node.pos)
    if M.rows > MAX_SIZE or M.cols > MAX_SIZE:
        raise Unsupported(f"`{goal}` works exactly on matrices up to {MAX_SIZE}×{MAX_SIZE}", node.pos)
    name = display if isinstance(display, sp.MatrixSymbol) else sp.MatrixSymbol(default, *M.shape)
    steps: tuple[Step, ...] = ()
    if isinstance(display, sp.MatrixSymbol) and display != M:
        steps = (make_step("substitute", say("With the given values:"), display, M, where={display: M}),)
    return Given(sp.ImmutableMatrix(M), name, steps)


@record
class Elimination:
    """U = P A reduced to echelon form by row operations: the pivots (diagonal of U), the
    number of row swaps, the echelon form and the rank."""

    pivots: tuple
    swaps: int
    echelon: sp.ImmutableMatrix
    rank: int


def _nonzero(x: Any) -> bool:
    return not (sp.simplify(x) == 0 if not x.is_Rational else x == 0)


def elimination(A: sp.MatrixBase) -> Elimination:
    """Exact Gaussian elimination (the first nonzero entry of a column as its pivot)."""
    U = sp.Matrix(A)
    rows, cols = U.shape
    swaps, r, pivots = 0, 0, []
    for c in range(cols):
        if r >= rows:
            break
        p = next((i for i in range(r, rows) if _nonzero(U[i, c])), None)
        if p is None:
            pivots.append(sp.Integer(0))
            continue
        if p != r:
            U.row_swap(p, r)
            swaps += 1
        for i in range(r + 1, rows):
            m = U[i, c] / U[r, c]
            if m != 0:
                U[i, :] = (U[i, :] - m * U[r, :]).applyfunc(lambda e: e if e.is_Rational else sp.simplify(e))
        pivots.append(U[r, c])
        r += 1
    return Elimination(tuple(pivots), swaps, sp.ImmutableMatrix(U), r)
