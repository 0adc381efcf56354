"""The upstream gradients of an unspecified loss `L = loss(y1, ...)`: which outputs L
depends on through the variable, each with its gradient given by `given grad(L, y1) = g1`.

In: the problem and a goal call `grad(L, x)`.  Out: a `GivenLoss` (None when L is not an
unspecified loss on its own), shared by the strategies that differentiate through the
outputs (given.py's polynomial chain rule, attention's backward pass).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy as sp

from ... import ast
from ...errors import SpecError
from ...model import functions as F
from ...model.expressions import shape_of, show_shape
from ...model.problem import Problem
from ...steps import Step
from ..request import GoalCall
from .common import _loss_in, _name_of, differentiated, leaf_form
from ...records import record


@record
class GivenLoss:
    """`grad(L, x)` of L = loss(...): L's symbol, L as written, x, the loss in the leaves
    (the given outputs kept as symbols), the outputs that depend on x and the steps so far."""

    f_sym: Any
    display: Any
    x: Any
    leaf: Any
    loss: F.Loss
    ups: list["Upstream"]
    steps: tuple[Step, ...]


def loss_leaf(problem: Problem, call: GoalCall) -> tuple[Any, Any] | None:
    """(L in the leaves with the given outputs kept, the loss in it) when L has an
    unspecified loss in it; None otherwise."""
    t = differentiated(problem, call, "grad")
    if _loss_in(t.leaf) is None:
        return None
    leaf = leaf_form(problem, t.display, frozenset({t.x}) | _given_symbols(problem) | _loss_arguments(problem))
    return leaf, _loss_in(leaf)


def given_loss(problem: Problem, call: GoalCall) -> GivenLoss | None:
    """The `GivenLoss` of `grad(L, x)`, or None unless L is an unspecified loss on its own (a
    SpecError when an output it depends on has no given gradient)."""
    t = differentiated(problem, call, "grad")
    found = loss_leaf(problem, call)
    if found is None or found[0] != found[1]:
        return None
    leaf, loss = found
    f_node = call.args[0]
    loss_name = f_node.id if isinstance(f_node, ast.Name) else None
    ups = upstreams(problem, loss_name, loss, t.x, call.pos)
    return GivenLoss(t.f_sym, t.display, t.x, leaf, loss, ups, t.steps)


def _loss_arguments(problem: Problem) -> frozenset:
    """The node symbols passed to an unspecified `loss(...)`: where its chain rule starts."""
    out = set()
    nodes = {b.symbol for b in problem.bindings(("node",)) if b.symbol is not None}
    for b in problem.bindings(("node",)):
        if isinstance(b.definition, sp.Basic):
            for lo in b.definition.atoms(F.Loss) if not isinstance(b.definition, F.Loss) else [b.definition]:
                out.update(a for a in lo.args if a in nodes)
    return frozenset(out)


def _given_symbols(problem: Problem) -> frozenset:
    """The symbols of the nodes whose upstream gradients `given grad(L, y) = g` states."""
    out = set()
    for g in problem.givens:
        t = g.target
        if isinstance(t, ast.Call) and t.name == "grad" and len(t.args) == 2 and isinstance(t.args[1], ast.Name) \
                and problem.has(t.args[1].id) and problem.names[t.args[1].id].symbol is not None:
            out.add(problem.names[t.args[1].id].symbol)
    return frozenset(out)


@dataclass
class Upstream:
    name: str
    symbol: Any          # the node's symbol (y1)
    leaf: Any            # its value in the leaves (x1, W_Q, ...)
    grad: Any            # the given ∂L/∂y1 (g1)


def upstreams(problem: Problem, loss_name: str | None, loss: F.Loss, var: Any, pos) -> list[Upstream]:
    """The outputs the loss depends on through `var`, each with its given gradient."""
    given: dict[str, Any] = {}
    for g in problem.givens:
        t = g.target
        if isinstance(t, ast.Call) and t.name == "grad" and len(t.args) == 2 \
                and isinstance(t.args[0], ast.Name) and isinstance(t.args[1], ast.Name):
            if loss_name is not None and t.args[0].id != loss_name:
                continue
            given[t.args[1].id] = problem.display(g.value)
    out: list[Upstream] = []
    for arg in loss.args:
        name = _name_of(problem, arg)
        leaf = leaf_form(problem, arg, frozenset({var}))
        depends = isinstance(leaf, sp.Basic) and (var in leaf.free_symbols or var in leaf.atoms(sp.MatrixSymbol))
        if not depends:
            continue
        if name is None or name not in given:
            raise SpecError(f"the loss is unspecified and depends on `{name or arg}`; give its gradient with "
                            f"`given grad({loss_name or 'L'}, {name or '...'}) = ...`", pos)
        g = given[name]
        gs = shape_of(g)
        ys = shape_of(arg)
        if (gs or (1, 1)) != (ys or (1, 1)) and not all(sp.simplify(a - b) == 0 for a, b in zip(gs or (1, 1), ys or (1, 1))):
            raise SpecError(f"the given gradient of `{name}` is {show_shape(g)} but `{name}` is {show_shape(arg)}",
                            pos)
        out.append(Upstream(name, arg, leaf, g))
    return out


