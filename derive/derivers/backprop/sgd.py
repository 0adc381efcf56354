"""The `sgd_step` goal: one gradient-descent update v − η ∂L/∂v, the gradient derived.
"""
from __future__ import annotations

import sympy as sp

from ... import ast
from ...errors import SpecError
from ...model.expressions import Seq, is_tensor, scalarize
from ...model.problem import Problem
from ...notation import Partial
from ...sentence import Math, Rel, say
from ...steps import make_step
from ..evaluate import decimal_step, substituted
from ..registry import Derived, make_answer, subgoal
from ..layers.arrays import from_array, to_array
from .goal import _target
from .layer_notation import Minus, Scaled, nd_display
from .notation import Comp, DSym, Updated, UpdatedM, dmat, key_display


def sgd_step(problem: Problem, call: ast.Call) -> Derived:
    """One gradient-descent update of `v` (a scalar, an entry or a whole tensor) for loss L."""
    v_ast, L_ast = call.args
    lr_ast = call.kwarg("lr")
    if lr_ast is None:
        raise SpecError("sgd_step needs a learning rate, as in sgd_step(w, L, lr = 0.1)", call.pos)
    lr = scalarize(problem.value(lr_ast))
    if is_tensor(lr) or not isinstance(lr, sp.Basic):
        raise SpecError("the learning rate must be a scalar", lr_ast.pos)
    derived = subgoal(problem, "grad", (L_ast, v_ast), call.pos)   # numeric backprop or matrix calculus
    g = derived.answer.expr
    v = scalarize(problem.value(v_ast))
    name, idx = _target(problem, v_ast)
    key = name
    if idx is not None:
        key = f"{name}[{','.join(map(str, idx))}]"
    Lkey = L_ast.id if isinstance(L_ast, ast.Name) else "L"
    eta = sp.Symbol("eta", positive=True)
    if isinstance(v, Seq):
        return _sgd_nd(name, Lkey, v, g, lr, eta, derived)
    if is_tensor(v):
        r, c = v.shape
        vs = sp.MatrixSymbol(name, r, c)
        gs = dmat(Lkey, name, r, c)
        new = UpdatedM(name, r, c)
        value = sp.ImmutableMatrix(v - lr * g) if isinstance(v, sp.MatrixBase) and isinstance(g, sp.MatrixBase) \
            else v - lr * g
    else:
        vs = Comp(key)
        gs = DSym(Lkey, key)
        new = Updated(key)
        value = v - lr * g
    where = {vs: v, gs: g, eta: lr, new: value}
    with sp.evaluate(False):
        formula = sp.Add(vs, sp.Mul(-1, eta, gs)) if not is_tensor(v) else sp.MatAdd(vs, sp.MatMul(-1, eta, gs))
    num = substituted(formula, {vs: v, gs: g, eta: lr})
    Lshown = problem.display(L_ast) if not isinstance(L_ast, ast.Name) else key_display(Lkey)
    steps = [make_step("gradient", say("The gradient ", Math(Partial(Lshown, key_display(key))), " (derived below):"),
                       gs, g, where=where, substeps=derived.steps),
             make_step("sgd_update", say("Gradient-descent update with learning rate ",
                                         Rel(eta, "=", lr, kind="definition"), ": move against the gradient."),
                       new, formula, num, value, where=where)]
    steps.extend(decimal_step(value))
    return Derived(make_answer(value), tuple(steps))


def _sgd_nd(name: str, Lkey: str, v: Seq, g: Seq, lr, eta, derived: Derived) -> Derived:
    """The update of a tensor of three or four dimensions (a convolution's weight)."""
    va, ga = to_array(v, 2), to_array(g, 2).reshape(to_array(v, 2).shape)
    value = from_array(va - lr * ga)
    vs, gs, new = sp.Symbol(name), DSym(Lkey, name), Updated(name)
    shown = {vs: nd_display(va), gs: nd_display(ga), eta: lr, new: nd_display(va - lr * ga)}
    formula = Minus(vs, Scaled(eta, gs))
    num = Minus(shown[vs], Scaled(lr, shown[gs]))
    steps = [make_step("gradient", say("The gradient ", Math(gs), " (derived below):"), gs, shown[gs], where=shown,
                       substeps=derived.steps),
             make_step("sgd_update", say("Gradient-descent update with learning rate ",
                                         Rel(eta, "=", lr, kind="definition"), ": move against the gradient."),
                       new, formula, num, shown[new], where=shown)]
    return Derived(make_answer(value), tuple(steps))
