"""The function an optimisation goal is about, and the goal's keyword arguments.

In: a goal call whose first argument names a function of one scalar variable defined in
the problem (`f(w) = EXPR`), and keywords `start`, `lr`, `steps`.
Out: an `Objective` (body, f', f'', display functions named as the problem names them),
the keyword values as sympy numbers or expressions, or a SpecError / LimitError at the
offending argument.  `guarded` turns a sympy failure inside a deriver into an error at
the goal.
"""
from __future__ import annotations

import functools
from typing import Any, Callable

import sympy as sp

from ... import ast
from ...errors import DeriveError, LimitError, SpecError, Unsupported
from ...model.expressions import is_scalar, is_tensor, scalarize, show_shape
from ...model.problem import Problem, UserFunction
from ..derivatives import derivative
from ..registry import Derived
from .display import Head, prime_function
from ...records import record

MAX_STEPS = 10_000        # gd(steps = k) refuses larger k


@record
class Objective:
    """f of one variable: its body, first and second derivatives and display functions."""

    name: str
    var: sp.Symbol
    body: Any
    d1: Any
    d2: Any

    @property
    def F(self) -> Any:
        return prime_function(self.name, 0)

    @property
    def Fp(self) -> Any:
        return prime_function(self.name, 1)

    @property
    def Fpp(self) -> Any:
        return prime_function(self.name, 2)

    def head(self, order: int = 0) -> Head:
        """The bare name f, f' or f'' (for sentences such as "f is a convex quadratic")."""
        return Head(self.name, order)

    def sym(self, suffix: Any) -> sp.Symbol:
        """The iterate symbol w_0, w_k, w_{k+1}, w^* of this function's variable."""
        return sp.Symbol(f"{self.var.name}_{suffix}", real=True)

    def at(self, expr: Any, x: Any) -> Any:
        return expr.xreplace({self.var: x})

    def deriv_at(self, x: Any, order: int = 1) -> Any:
        """f^(order)(x) computed afresh from the body (what a step's check compares with):
        at the variable itself the derivative unevaluated, elsewhere the body differentiated
        and x put in (as sympy's Subs would work it out; a Subs object cost more to hash and
        compare, in every check that meets it, than to work out)."""
        if x == self.var:
            return sp.Derivative(self.body, (self.var, order))
        return derivative(self.body, self.var, order).subs(self.var, x)

    @property
    def quadratic(self) -> bool:
        """f is a polynomial of degree at most 2 in its variable (so f'' is one constant).

        A constant f'' alone is not enough: relu(w - 1) + w^2/2 has f'' = 1 wherever it exists."""
        try:
            return bool(self.body.is_polynomial(self.var)) and sp.degree(self.body, self.var) <= 2
        except (TypeError, ValueError, sp.PolynomialError):
            return False


def _function(problem: Problem, call: ast.Call, goal: str) -> tuple[UserFunction, ast.Name]:
    arg = call.args[0]
    if not isinstance(arg, ast.Name):
        raise SpecError(f"the first argument of `{goal}` is the name of a function of one variable, "
                        f"as in `f(w) = w^2` and `{goal}(f, ...)`", arg.pos)
    b = problem.resolve(arg.id, arg.pos)
    if b.kind != "function" or not isinstance(b.value, UserFunction):
        raise SpecError(f"`{arg.id}` is {b.describe()}, not a function; `{goal}` needs a function of one "
                        f"variable, defined as `f(w) = ...`", arg.pos)
    fn: UserFunction = b.value
    if len(fn.params) != 1:
        raise SpecError(f"`{goal}` needs a function of one variable, but `{fn.name}` takes {len(fn.params)} "
                        f"({', '.join(fn.params)})", arg.pos)
    return fn, arg


def objective(problem: Problem, call: ast.Call, goal: str) -> Objective:
    """The function named by the goal's first argument, checked to be one of one scalar."""
    fn, arg = _function(problem, call, goal)
    env, body = fn.symbolic()
    var = env[fn.params[0]]
    if not isinstance(var, sp.Symbol):
        raise SpecError(f"`{goal}` needs a function of one scalar variable, but `{fn.params[0]}` is declared "
                        f"as {show_shape(var)} in this problem", arg.pos)
    body = scalarize(body)
    if not (isinstance(body, sp.Expr) and is_scalar(body)) or is_tensor(body):
        raise SpecError(f"`{goal}` needs a scalar function, but `{fn.name}` gives {show_shape(body)}", arg.pos)
    d1 = sp.diff(body, var)
    d2 = sp.diff(d1, var)
    return Objective(fn.name, var, body, tidy(d1), tidy(d2))


def tidy(x: Any) -> Any:
    """Numbers stay; polynomials in their symbols are expanded; everything else as sympy left it."""
    if not isinstance(x, sp.Expr) or x.is_Number:
        return x
    syms = sorted(x.free_symbols, key=str)
    if syms and x.is_polynomial(*syms):
        return sp.expand(x)
    if syms and x.is_rational_function(*syms):
        return sp.cancel(x)
    return x


def keyword(problem: Problem, call: ast.Call, name: str, goal: str, *, required: bool, example: str) \
        -> tuple[Any, ast.Expr] | tuple[None, None]:
    """The value of keyword `name` (a real scalar) and its expression, or (None, None)."""
    expr = call.kwarg(name)
    if expr is None:
        if required:
            raise SpecError(f"`{goal}` needs `{name} = ...`, as in `{example}`", call.pos)
        return None, None
    v = scalarize(problem.value(expr))
    if not (isinstance(v, sp.Expr) and is_scalar(v)) or is_tensor(v):
        what = "a string" if isinstance(v, str) else show_shape(v) if v is not None else "nothing"
        raise SpecError(f"`{name}` must be a scalar, not {what}", expr.pos)
    if v.is_real is False or v.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        raise SpecError(f"`{name}` must be a real number, not {v}", expr.pos)
    return v, expr


def learning_rate(problem: Problem, call: ast.Call, goal: str, *, required: bool) \
        -> tuple[Any, ast.Expr] | tuple[None, None]:
    """The `lr` keyword: a positive (or not provably negative) real scalar."""
    lr, pos = keyword(problem, call, "lr", goal, required=required,
                      example=f"{goal}(f, start = 5, lr = 0.1, steps = 2)")
    if lr is not None and pos is not None and lr.is_positive is False:
        raise SpecError(f"a learning rate must be positive, not {lr}", pos.pos)
    return lr, pos


def steps_count(problem: Problem, call: ast.Call) -> tuple[int, ast.Expr]:
    """The `steps` keyword of gd and the other optimizers (required): a whole number from 1
    to MAX_STEPS, and the expression it was written as."""
    expr = call.kwarg("steps")
    if expr is None:
        raise SpecError(f"`{call.name}` needs `steps = ...` (how many iterations)"
                        + (", as in `gd(f, start = 5, lr = 0.1, steps = 2)`" if call.name == "gd" else ""), call.pos)
    v = scalarize(problem.value(expr))
    if not isinstance(v, sp.Integer) or v < 1:
        raise SpecError(f"`steps` must be a positive whole number, not {v if isinstance(v, sp.Basic) else 'this'}",
                        expr.pos)
    if v > MAX_STEPS:
        raise LimitError(f"`steps = {v}` is too many: derive shows at most {MAX_STEPS:,} iterations", expr.pos)
    return int(v), expr


def guarded(fn: Callable[[Problem, ast.Call], Derived]) -> Callable[[Problem, ast.Call], Derived]:
    """sympy failures inside a deriver become an error at the goal, never a traceback.

    The wrapper keeps the deriver's name, docstring and module (the registry's index
    names the module that defines each goal)."""
    @functools.wraps(fn)
    def run(problem: Problem, call: ast.Call) -> Derived:
        try:
            return fn(problem, call)
        except DeriveError:
            raise
        except RecursionError:
            raise LimitError("the expression is nested too deeply", call.pos) from None
        except (TypeError, ValueError, NotImplementedError, ZeroDivisionError, AttributeError,
                sp.PolynomialError) as exc:
            raise Unsupported(f"`{call.name}` could not be derived for this function ({type(exc).__name__}: "
                              f"{str(exc)[:200]})", call.pos) from None
    return run
