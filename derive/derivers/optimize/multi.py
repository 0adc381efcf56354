"""The function of an optimiser goal in several variables, and its start point.

In: a goal call whose first argument names `f(x) = ...` with `vector x : (n)` (n a number)
or `f(u, v, ...)` of several scalars, or of one scalar when an optimiser keyword asks for
the general path.  Out: a `Multi` (the components as symbols, the scalar body, its
gradient column and Hessian, exact), the start as a column checked against the size, or
a SpecError at the offending argument.
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from ... import ast
from ...errors import SpecError
from ...model.expressions import is_scalar, is_tensor, scalarize, show_shape
from ...model.problem import Problem
from .objective import _function, tidy
from ...notation_iterates import VSym, gradient, iterate, vec
from ...records import record


@record
class Multi:
    """f of n real variables: body in the component symbols, gradient column, Hessian.

    `vector` says whether f takes one vector (iterates shown as columns named like it) or
    several scalars (the point is the column of them, named `w`)."""

    name: str
    comps: tuple[sp.Symbol, ...]
    body: Any
    grad: sp.ImmutableMatrix
    hess: sp.ImmutableMatrix
    point: str
    vector: bool

    @property
    def n(self) -> int:
        return len(self.comps)

    def it(self, k: Any, base: str | None = None, hat: bool = False) -> VSym:
        """The display column x⁽ᵏ⁾ (or another state named `base`, as m⁽ᵏ⁾ or m̂⁽ᵏ⁾)."""
        return iterate(base or self.point, k, self.n, hat)

    def g(self, k: Any) -> VSym:
        """∇f(x⁽ᵏ⁾) as shown."""
        return gradient(self.name, self.point, k, self.n)

    def at(self, expr: Any, w: Any) -> Any:
        """expr with the point w (a column or a list) put in for the components."""
        return expr.xreplace(dict(zip(self.comps, list(w))))

    def grad_at(self, w: Any) -> sp.ImmutableMatrix:
        return sp.ImmutableMatrix(self.at(self.grad, w).applyfunc(tidy))

    def hess_at(self, w: Any) -> sp.ImmutableMatrix:
        return sp.ImmutableMatrix(self.at(self.hess, w).applyfunc(tidy))

    def fresh_grad(self, w: Any) -> sp.ImmutableMatrix:
        """∇f at w recomputed from the body (what a step's check compares a gradient with)."""
        return sp.ImmutableMatrix(self.at(vec(sp.diff(self.body, c) for c in self.comps), w))

    @property
    def variable(self) -> Any:
        """x (the vector) or the column (u, v) of scalars, as shown."""
        return sp.Symbol(self.point) if self.vector else vec(self.comps)

    @property
    def quadratic(self) -> bool:
        """f is a polynomial of total degree at most 2 in its components (constant Hessian)."""
        try:
            return bool(self.body.is_polynomial(*self.comps)) and sp.Poly(self.body, *self.comps).total_degree() <= 2
        except (TypeError, ValueError, sp.PolynomialError):
            return False


def multi_objective(problem: Problem, call: ast.Call, goal: str) -> Multi:
    """The named function as a `Multi`; a vector argument needs a numeric length."""
    fn, arg = _function_any(problem, call, goal)
    env, body = fn.symbolic()
    comps: list[sp.Symbol] = []
    vector = False
    for p in fn.params:
        v = env[p]
        if isinstance(v, sp.Symbol):
            comps.append(v)
        elif isinstance(v, sp.MatrixBase) and v.cols == 1 and all(isinstance(e, sp.Symbol) for e in v):
            comps.extend(v)
            vector = len(fn.params) == 1
        else:
            raise SpecError(f"`{goal}` needs a function of scalars or of one vector of known length, but `{p}` is "
                            f"{show_shape(v)} in this problem", arg.pos)
    body = scalarize(body)
    if not (isinstance(body, sp.Expr) and is_scalar(body)) or is_tensor(body):
        raise SpecError(f"`{goal}` needs a scalar function, but `{fn.name}` gives {show_shape(body)}", arg.pos)
    body = tidy(body)
    grad = sp.ImmutableMatrix([tidy(sp.diff(body, c)) for c in comps])
    hess = sp.ImmutableMatrix(len(comps), len(comps), lambda i, j: tidy(sp.diff(grad[i], comps[j])))
    point = fn.params[0] if vector else "w"
    return Multi(fn.name, tuple(comps), body, grad, hess, point, vector)


def _function_any(problem: Problem, call: ast.Call, goal: str) -> tuple[Any, ast.Name]:
    """The user function named by the first argument, whatever its number of parameters."""
    arg = call.args[0]
    if not isinstance(arg, ast.Name):
        return _function(problem, call, goal)
    b = problem.resolve(arg.id, arg.pos)
    if b.kind != "function":
        return _function(problem, call, goal)
    return b.value, arg


def is_multi(problem: Problem, call: ast.Call) -> bool:
    """Whether the goal's function takes a vector or several arguments (not one scalar)."""
    arg = call.args[0] if call.args else None
    if not isinstance(arg, ast.Name) or not problem.has(arg.id):
        return False
    b = problem.names[arg.id]
    if b.kind != "function" or not hasattr(b.value, "params"):
        return False
    if len(b.value.params) != 1:
        return True
    env = b.value.param_values()
    return not isinstance(env[b.value.params[0]], sp.Symbol)


def start_point(problem: Problem, call: ast.Call, obj: Multi, goal: str) -> sp.ImmutableMatrix:
    """The `start` keyword as a column of n real numbers."""
    expr = call.kwarg("start")
    if expr is None:
        example = "[1, 1]" if obj.n > 1 else "1"
        raise SpecError(f"`{goal}` needs `start = ...`, as in `{goal}({obj.name}, start = {example}, ...)`", call.pos)
    v = problem.value(expr)
    if isinstance(v, sp.MatrixBase) and 1 in v.shape:
        v = vec(list(v))
    elif isinstance(v, sp.Expr) and obj.n == 1 and not is_tensor(v):
        v = vec([scalarize(v)])
    else:
        raise SpecError(f"`start` must be a list of {obj.n} numbers, not {show_shape(v)}", expr.pos)
    if len(v) != obj.n:
        raise SpecError(f"`start` has {len(v)} entries but `{obj.name}` takes {obj.n} variable"
                        f"{'s' if obj.n != 1 else ''}", expr.pos)
    for e in v:
        if not (isinstance(e, sp.Expr) and e.is_real is not False and not e.free_symbols
                and not e.has(sp.zoo, sp.nan, sp.oo, -sp.oo)):
            raise SpecError(f"the entries of `start` must be real numbers, not {e}", expr.pos)
    return sp.ImmutableMatrix(v)
