"""`sgd_step(v, L, lr, momentum, dampening, nesterov, weight_decay)`: PyTorch SGD's first step.

In: the goal call with at least one of PyTorch SGD's keywords (without them the plain
step of derive.derivers.backprop takes the goal: this returns None).  Out: a `Derived`
whose answer is the new value of v after torch.optim.SGD's first `step()` from a fresh
optimiser: g = ∂L/∂v + λv; the momentum buffer starts as b = g (no dampening on the first
step); the step is g + μb with Nesterov, else b; v ← v − η·step.  The gradient is derived
by the `grad` goal (shown below its step); each quantity is checked with its numbers.
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from ... import ast
from ...errors import SpecError, Unsupported
from ...model.expressions import is_tensor, scalarize
from ...model.problem import Problem
from ...sentence import Math, Rel, say
from ...steps import Step, make_step
from ..registry import Derived, make_answer, subgoal
from .display import Shown, num
from .formulas import ETA, LAM, MU
from .hyper import read_optimizer
from .objective import guarded

KEYWORDS = ("momentum", "dampening", "nesterov", "weight_decay")


def _add(a: Any, coeff: Any, b: Any) -> Any:
    """a + coeff·b as shown (matrices or scalars), unevaluated."""
    if isinstance(a, sp.MatrixBase):
        return sp.MatAdd(a, sp.MatMul(Shown(num(coeff)), b, evaluate=False), evaluate=False)
    return sp.Add(a, sp.Mul(Shown(num(coeff)), Shown(b), evaluate=False), evaluate=False)


def _value(x: Any) -> Any:
    return sp.ImmutableMatrix(x) if isinstance(x, sp.MatrixBase) else x


@guarded
def sgd_step_torch(problem: Problem, call: ast.Call) -> Derived | None:
    """sgd_step with PyTorch SGD's keywords: the first step of torch.optim.SGD."""
    if not any(call.kwarg(k) is not None for k in KEYWORDS):
        return None
    v_ast, L_ast = call.args
    opt = read_optimizer(problem, call, "sgd")
    v = scalarize(problem.value(v_ast))
    derived = subgoal(problem, "grad", (L_ast, v_ast), call.pos)
    g = derived.answer.expr
    if is_tensor(v) and not isinstance(v, sp.MatrixBase) or getattr(g, "free_symbols", None) \
            or getattr(v, "free_symbols", None):
        raise Unsupported("`sgd_step` with PyTorch's keywords needs the value of the parameter and of its gradient",
                          call.pos)
    if isinstance(v, sp.MatrixBase) != isinstance(g, sp.MatrixBase):
        raise SpecError("the gradient and the parameter have different shapes", call.pos)
    steps: list[Step] = [make_step("gradient", say("The gradient (derived below):"), g, substeps=derived.steps,
                                   check=False)]
    grad = g
    if opt.weight_decay != 0:
        grad = _value(g + opt.weight_decay * v)
        steps.append(make_step("weight_decay", say("Weight decay adds ", Math(LAM), " times the parameter, with ",
                                                   Rel(LAM, "=", num(opt.weight_decay), kind="definition"), ":"),
                               _add(g, opt.weight_decay, v), grad))
    step = grad
    if opt.momentum != 0:
        steps.append(make_step("momentum", say("A fresh optimiser's momentum buffer is this gradient itself (PyTorch "
                                               "applies no dampening at the first step), so ",
                                               Rel(MU, "=", num(opt.momentum), kind="definition"),
                                               " changes the step only with Nesterov."), check=False))
        if opt.nesterov:
            step = _value(grad + opt.momentum * grad)
            steps.append(make_step("nesterov", say("Nesterov's step adds ", Math(MU), " times the buffer:"),
                                   _add(grad, opt.momentum, grad), step))
    new = _value(v - opt.lr * step)
    steps.append(make_step("sgd_update", say("The update with ", Rel(ETA, "=", num(opt.lr), kind="definition"), ":"),
                           _add(v, -opt.lr, step), new))
    return Derived(make_answer(new), tuple(steps))
