"""`det(A)`, `inv(A)` and `solve(A, b)` on given matrices, by exact elimination.

In: the goal call; A a square matrix with given entries (numbers, or expressions in
declared symbols), b a vector or matrix with as many rows.  Out: a `Derived`:
* det: the echelon form U of A by row operations, det A = (−1)^(swaps) · u₁₁ ⋯ uₙₙ
  (checked against the determinant of A);
* inv: A⁻¹ by Gauss–Jordan on [A | I], checked by A A⁻¹ = I;
* solve: x from the echelon form of [A | b], checked by A x = b.
A singular A is an error at the goal for `inv` and `solve` (det A = 0 shown), with a
vector u ≠ 0 with A u = 0 as the reason.
"""
from __future__ import annotations

from typing import Any, NoReturn

import sympy as sp

from ... import ast
from ...errors import SpecError
from ...model.problem import Problem
from ...sentence import Math, Rel, say
from ...steps import Step, make_step
from ..optimize.display import Shown
from ..optimize.objective import guarded
from ..registry import Derived, make_answer
from .matrices import Given, elimination, given_matrix
from ..definite import integral


def _tidy(M: Any) -> Any:
    return M.applyfunc(lambda e: e if e.is_Rational else sp.simplify(e))


def det_steps(g: Given) -> tuple[list[Step], Any]:
    """The echelon form and det A = ± product of its diagonal, checked."""
    A, name = g.value, g.name
    el = elimination(A)
    U = el.echelon
    diag = [U[i, i] for i in range(A.rows)]
    value = _tidy(sp.ImmutableMatrix([sp.prod(diag) * (-1) ** el.swaps]))[0]
    swaps = say(" row swap flips its sign") if el.swaps == 1 else say(f" each of the {el.swaps} row swaps flips its sign")
    lead = say("Adding multiples of one row to another keeps the determinant",
               say(" and the") + swaps if el.swaps else say(), "; row operations reduce ", Math(name),
               " to the upper triangular")
    steps = [make_step("echelon", lead, sp.Symbol("U"), U, check=False)]
    product = sp.Mul(*([sp.Integer(-1)] * (el.swaps % 2)), *[Shown(d) for d in diag],
                     evaluate=False) if A.rows > 1 else diag[0]
    steps.append(make_step("determinant", say("so the determinant is the signed product of its diagonal:"),
                           sp.Determinant(name), product, value, where={name: A}))
    return steps, value


def null_vector(A: sp.MatrixBase) -> sp.ImmutableMatrix | None:
    """A nonzero u with A u = 0 (integer entries when rational), or None."""
    basis = sp.Matrix(A).nullspace()
    if not basis:
        return None
    return integral(basis[0])


def _singular(goal: str, g: Given, node: ast.Expr) -> NoReturn:
    """Raise the error for a singular matrix, with a vector it maps to zero."""
    u = null_vector(g.value)
    why = f"; it maps {list(u)} to zero" if u is not None else ""
    what = "it has no inverse" if goal == "inv" else "the system has no unique solution"
    raise SpecError(f"`{node.pos.snippet()}` is singular (its determinant is 0{why}), so {what}", node.pos)


@guarded
def det(problem: Problem, call: ast.Call) -> Derived:
    """det(A): by elimination, exact."""
    g = given_matrix(problem, call.args[0], "det")
    steps, value = det_steps(g)
    return Derived(make_answer(value), tuple(g.steps) + tuple(steps))


@guarded
def inv(problem: Problem, call: ast.Call) -> Derived:
    """inv(A): Gauss–Jordan on [A | I], checked by A A⁻¹ = I."""
    g = given_matrix(problem, call.args[0], "inv")
    A, n = g.value, g.value.rows
    steps, d = det_steps(g)
    if d == 0:
        _singular("inv", g, call.args[0])
    steps.append(make_step("nonsingular", say("It is not zero, so ", Math(g.name), " is invertible:"),
                           sp.Determinant(g.name), sp.Integer(0), relation="≠", where={g.name: A}))
    aug = sp.Matrix(A).row_join(sp.eye(n))
    R, _ = aug.rref(simplify=True)
    Ainv = _tidy(sp.ImmutableMatrix(R[:, n:]))
    steps.append(make_step("gauss_jordan", say("Row-reducing ", Math(sp.ImmutableMatrix(aug)), " until the left "
                                               "block is the identity leaves the inverse on the right:"),
                           sp.ImmutableMatrix(R), check=False))
    steps.append(make_step("check", say("Check:"), sp.MatMul(A, Ainv, evaluate=False), sp.ImmutableMatrix(sp.eye(n))))
    return Derived(make_answer(Ainv), tuple(g.steps) + tuple(steps))


@guarded
def solve(problem: Problem, call: ast.Call) -> Derived:
    """solve(A, b): the solution of A x = b, checked."""
    g = given_matrix(problem, call.args[0], "solve")
    b = given_matrix(problem, call.args[1], "solve", square=False, default="b")
    A, B = g.value, b.value
    if B.rows != A.rows:
        raise SpecError(f"`solve(A, b)` needs b with {A.rows} rows (as A), not {B.rows}", call.args[1].pos)
    steps, d = det_steps(g)
    if d == 0:
        _singular("solve", g, call.args[0])
    aug = sp.Matrix(A).row_join(sp.Matrix(B))
    R, _ = aug.rref(simplify=True)
    x = _tidy(sp.ImmutableMatrix(R[:, A.cols:]))
    xs = sp.MatrixSymbol("x", *x.shape)
    steps.append(make_step("eliminate", say("Since ", Rel(sp.Determinant(g.name), "≠", 0), ", the system ",
                                            Rel(sp.MatMul(g.name, xs), "=", b.name, kind="definition"),
                                            " has one solution; row-reducing the augmented matrix ",
                                            Math(sp.ImmutableMatrix(aug)), " gives it in the last column:"),
                           sp.ImmutableMatrix(R), check=False, where={g.name: A}))
    steps.append(make_step("check", say("Check:"), sp.MatMul(A, x, evaluate=False), B))
    return Derived(make_answer(x), tuple(g.steps) + tuple(b.steps) + tuple(steps))
