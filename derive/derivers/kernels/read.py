"""Reading a kernel function `k(p, q) = ...` of a spec into components.

In: the problem and the goal call `feature_map(k)`.  Out: a `Kernel` with the argument
components p_1 … p_n, q_1 … q_n (sympy symbols), the body in components and the body as
written (pᵀq kept) for the first step; SpecError / Unsupported at the definition when k
is no kernel of two vectors of one concrete size.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixExpr

from ... import ast
from ...derivations._display import plus
from ...errors import SpecError, Unsupported
from ...model.expressions import Evaluator, scalarize
from ...model.problem import Problem, UserFunction


@dataclass
class Kernel:
    """The kernel function resolved to components."""

    name: str
    params: tuple[str, str]
    p: list[Any]            # p_1 .. p_n (sympy symbols)
    q: list[Any]
    body: Any               # k(p, q) in components
    display: Any            # k(p, q) as written (pᵀq kept), for the first step
    where: dict             # display symbols -> component vectors
    pos: Any

    @property
    def n(self) -> int:
        return len(self.p)

    def inner(self) -> Any:
        """p₁q₁ + … + pₙqₙ, in component order."""
        return plus([sp.Mul(a, b, evaluate=False) for a, b in zip(self.p, self.q)])


def _components(value: Any, name: str, pos: Any) -> list[Any]:
    if isinstance(value, sp.MatrixBase):
        if value.shape[1] != 1:
            raise SpecError(f"a kernel's arguments are vectors; `{name}` is a {value.shape[0]}×{value.shape[1]} "
                            "matrix", pos)
        return list(value)
    if isinstance(value, MatrixExpr):
        raise Unsupported(f"feature_map needs the dimension of `{name}` as a number; declare it as "
                          f"`vector {name} : (2)` (any whole number), not with a symbolic size", pos)
    if isinstance(value, sp.Symbol):
        return [value]
    raise SpecError(f"`{name}` must be a vector (or a scalar) for a kernel", pos)


def _function(problem: Problem, call: ast.Call) -> UserFunction:
    arg = call.args[0]
    if not isinstance(arg, ast.Name):
        raise SpecError("feature_map takes the name of a kernel function, as in `feature_map(k)` after "
                        "`k(p, q) = (p @ q)^2`", arg.pos)
    b = problem.lookup(arg.id, arg.pos)
    if b.kind != "function" or not isinstance(b.value, UserFunction):
        raise SpecError(f"`{arg.id}` is {b.describe()}, not a kernel function `{arg.id}(p, q) = ...`", arg.pos)
    fn: UserFunction = b.value
    if len(fn.params) != 2:
        raise SpecError(f"a kernel takes two arguments, as in `{fn.name}(p, q)`; `{fn.name}` takes "
                        f"{len(fn.params)}", fn.pos)
    return fn


def _as_written(problem: Problem, fn: UserFunction, env: dict, comps: dict, body: Any) -> tuple[Any, dict]:
    """The body with p, q as matrix symbols (pᵀq kept), and those symbols' values."""
    where: dict = {}
    display_env: dict = {}
    for name, cs in comps.items():
        if isinstance(env[name], sp.MatrixBase):
            sym = sp.MatrixSymbol(name, len(cs), 1)
            display_env[name] = sym
            where[sym] = sp.ImmutableMatrix(cs)
        else:
            display_env[name] = env[name]
    try:
        display = scalarize(Evaluator(problem, "value", display_env).eval(fn.body))
    except Exception:   # pragma: no cover - the body evaluated above with explicit vectors
        display = body
    if len(next(iter(comps.values()))) == 1 or not isinstance(display, sp.Expr) or isinstance(display, MatrixExpr) \
            or display.has(sp.HadamardPower, sp.HadamardProduct):   # 1-vectors: p @ q is a 1×1 product
        return body, {}
    return display, where


def read_kernel(problem: Problem, call: ast.Call) -> Kernel:
    """The kernel named by `feature_map(k)`, in components (see the module docstring)."""
    fn = _function(problem, call)
    env, body = fn.symbolic()
    pn, qn = fn.params
    p = _components(env[pn], pn, fn.pos)
    q = _components(env[qn], qn, fn.pos)
    if len(p) != len(q):
        raise SpecError(f"`{pn}` has {len(p)} components and `{qn}` has {len(q)}; a kernel compares two "
                        "vectors of one size", fn.pos)
    if set(p) & set(q):
        raise SpecError("the kernel's two arguments must be different vectors", fn.pos)
    body = scalarize(body)
    if not isinstance(body, sp.Expr) or isinstance(body, MatrixExpr):
        raise SpecError(f"`{fn.name}(p, q)` must be a scalar, not a tensor", fn.body.pos)
    display, where = _as_written(problem, fn, env, {pn: p, qn: q}, body)
    return Kernel(fn.name, (pn, qn), p, q, body, display, where, fn.body.pos)
