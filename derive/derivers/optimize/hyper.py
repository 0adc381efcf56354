"""The hyperparameters of the optimiser goals, read with PyTorch's names and defaults.

In: a goal call (`gd`, `adam`, `rmsprop`, `adagrad`, `newton`).  Out: an `Optimizer`
whose numbers are the keywords given or torch.optim's defaults (Adam: lr 0.001, betas
(0.9, 0.999), eps 1e-8; RMSprop: lr 0.01, alpha 0.99, eps 1e-8; Adagrad: lr 0.01, eps
1e-10), each checked as torch.optim checks it (a SpecError at the keyword otherwise), and
the `steps` count.
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from ... import ast
from ...errors import SpecError
from ...model.expressions import scalarize, show_shape
from ...model.problem import Problem
from .objective import steps_count
from .rules import Optimizer

DEFAULT_LR = {"adam": sp.Rational(1, 1000), "rmsprop": sp.Rational(1, 100), "adagrad": sp.Rational(1, 100)}
DEFAULT_EPS = {"adam": sp.Rational(1, 10 ** 8), "rmsprop": sp.Rational(1, 10 ** 8), "adagrad": sp.Rational(1, 10 ** 10)}


def _number(problem: Problem, call: ast.Call, name: str, default: Any, *, lo: Any = 0, below: Any = None) -> Any:
    """Keyword `name` as a real number ≥ lo (and < below), or the default."""
    expr = call.kwarg(name)
    if expr is None:
        return default
    v = scalarize(problem.value(expr))
    if not (isinstance(v, sp.Expr) and v.is_number and v.is_real):
        raise SpecError(f"`{name}` must be a real number, not {show_shape(v) if isinstance(v, sp.Basic) else v}",
                        expr.pos)
    if v < lo or (below is not None and v >= below):
        rng = f"from {lo} up to (not including) {below}" if below is not None else f"at least {lo}"
        raise SpecError(f"`{name}` must be {rng}, as torch.optim requires; got {v}", expr.pos)
    return v


def _betas(problem: Problem, call: ast.Call) -> tuple:
    expr = call.kwarg("betas")
    if expr is None:
        return (sp.Rational(9, 10), sp.Rational(999, 1000))
    v = problem.value(expr)
    if not (isinstance(v, sp.MatrixBase) and len(v) == 2 and all(e.is_number and e.is_real for e in v)):
        raise SpecError("`betas` must be a list of two numbers, as in `betas = [0.9, 0.999]`", expr.pos)
    if not all(0 <= e < 1 for e in v):
        raise SpecError(f"each of `betas` must be from 0 up to (not including) 1, as torch.optim requires; got "
                        f"{list(v)}", expr.pos)
    return tuple(v)


def _flag(problem: Problem, call: ast.Call, name: str) -> bool:
    expr = call.kwarg(name)
    if expr is None:
        return False
    v = problem.value(expr)
    if v not in (sp.true, sp.false):
        raise SpecError(f"`{name}` must be `true` or `false`", expr.pos)
    return bool(v)


def read_optimizer(problem: Problem, call: ast.Call, kind: str) -> Optimizer:
    """The optimiser of goal `kind` with its keywords checked (torch.optim's defaults)."""
    if kind == "newton":
        return Optimizer("newton")
    lr_expr = call.kwarg("lr")
    if kind == "sgd" and lr_expr is None:
        raise SpecError(f"`{call.name}` needs `lr = ...`, as in `{call.name}(f, start = [1, 1], lr = 0.1, steps = 2)`",
                        call.pos)
    lr = _number(problem, call, "lr", DEFAULT_LR.get(kind), lo=0)
    if lr == 0:
        raise SpecError("a learning rate must be positive, not 0", (lr_expr or call).pos)
    wd = _number(problem, call, "weight_decay", sp.Integer(0))
    if kind == "sgd":
        mu, tau = _number(problem, call, "momentum", sp.Integer(0)), _number(problem, call, "dampening", sp.Integer(0))
        nesterov = _flag(problem, call, "nesterov")
        if nesterov and (mu == 0 or tau != 0):
            raise SpecError("Nesterov momentum needs a momentum and zero dampening, as torch.optim.SGD requires",
                            call.kwarg("nesterov").pos)
        return Optimizer("sgd", lr, mu, tau, nesterov, wd)
    eps = _number(problem, call, "eps", DEFAULT_EPS[kind])
    if kind == "adam":
        return Optimizer("adam", lr, weight_decay=wd, betas=_betas(problem, call), eps=eps)
    if kind == "rmsprop":
        return Optimizer("rmsprop", lr, weight_decay=wd, eps=eps, alpha=_number(problem, call, "alpha",
                                                                               sp.Rational(99, 100)))
    return Optimizer("adagrad", lr, weight_decay=wd, eps=eps, lr_decay=_number(problem, call, "lr_decay", sp.Integer(0)))


def steps_keyword(problem: Problem, call: ast.Call) -> int:
    """`steps`: a whole number from 1 to MAX_STEPS (required), read as gd reads it."""
    return steps_count(problem, call)[0]
