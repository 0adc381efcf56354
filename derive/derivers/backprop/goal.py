"""The `grad` goal's numeric strategy: `numeric_grad(problem, call) -> Derived | None`.
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from ... import ast
from ...errors import SpecError
from ...model.expressions import is_tensor, scalarize, show_shape
from ...model.problem import Binding, Problem
from ...notation import Partial
from ...sentence import Code, Math, Rel, say
from ...steps import make_step
from ..evaluate import decimal_step
from ..registry import Derived, make_answer
from .explain import Explain
from ..layers.arrays import from_array
from .graph import Entry, Graph, Symbolic, Vertex
from .layer_backward import upstream
from .sweep import Backprop


def _target(problem: Problem, expr: ast.Expr) -> tuple[str, tuple[int, ...] | None]:
    if isinstance(expr, ast.Name):
        problem.lookup(expr.id, expr.pos)
        return expr.id, None
    if isinstance(expr, ast.Index) and isinstance(expr.target, ast.Name):
        b = problem.lookup(expr.target.id, expr.target.pos)
        idx = []
        for i in expr.indices:
            v = scalarize(problem.value(i))
            if not isinstance(v, sp.Integer):
                raise SpecError(f"an index must be a whole number (indexing is 1-based), not {v}", i.pos)
            idx.append(int(v))
        return b.name, tuple(idx)
    raise SpecError("the second argument of grad is what to differentiate by: a name (`W1`, `x`) or an entry "
                    "(`W1[1, 1]`)", expr.pos)


def _entry(vx: Vertex, idx: tuple[int, ...], node: ast.Expr) -> Entry:
    r, c = vx.shape
    if vx.nd:
        import numpy as np
        if len(idx) != len(vx.dims):
            raise SpecError(f"`{vx.name}` has {len(vx.dims)} dimensions {vx.dims}: give {len(vx.dims)} indices",
                            node.pos)
        for k, n in zip(idx, vx.dims):
            if not 1 <= k <= n:
                raise SpecError(f"index {k} is out of range 1..{n} (indexing is 1-based)", node.pos)
        flat = int(np.ravel_multi_index(tuple(i - 1 for i in idx), vx.dims))
        return (flat // c, flat % c)
    if vx.scalar:
        raise SpecError(f"`{vx.name}` is a scalar and has no entries", node.pos)
    if len(idx) == 1:
        if c != 1 and r != 1:
            raise SpecError(f"`{vx.name}` is a {r}×{c} matrix: give two indices, as in {vx.name}[1, 2]", node.pos)
        i = idx[0]
        n = r if c == 1 else c
        if not 1 <= i <= n:
            raise SpecError(f"index {i} is out of range 1..{n} (indexing is 1-based)", node.pos)
        return (i - 1, 0) if c == 1 else (0, i - 1)
    if len(idx) == 2:
        for k, n in zip(idx, (r, c)):
            if not 1 <= k <= n:
                raise SpecError(f"index {k} is out of range 1..{n} (indexing is 1-based)", node.pos)
        return (idx[0] - 1, idx[1] - 1)
    raise SpecError("at most two indices", node.pos)


def _is_symbolic_problem(problem: Problem, L: ast.Expr) -> bool:
    return bool(problem.givens)


def numeric_grad(problem: Problem, call: ast.Call) -> Derived | None:
    """∂L/∂v with every step (see the module docstring), or None for a symbolic graph."""
    if len(call.args) != 2:
        raise SpecError(f"grad takes two arguments, grad(L, v), got {len(call.args)}", call.pos)
    if call.kwargs:
        raise SpecError("grad takes no keyword arguments", call.kwargs[0].pos)
    L_ast, v_ast = call.args
    if _is_symbolic_problem(problem, L_ast):
        return None
    name, idx = _target(problem, v_ast)
    graph = Graph(problem)
    try:
        root = graph.add_root(L_ast)
    except Symbolic:
        return None
    rv = graph.v[root]
    if not rv.scalar and rv.shape != (1, 1):
        raise SpecError(f"grad(L, v) needs a scalar L; `{L_ast.pos.snippet()}` is "
                        f"{show_shape(rv.value)}", L_ast.pos)
    Lsym = rv.symbol
    if name not in graph.v:
        b = problem.lookup(name, v_ast.pos)
        return _zero(problem, b, idx, v_ast, Lsym, L_ast)
    tv = graph.v[name]
    entry = _entry(tv, idx, v_ast) if idx is not None else None
    bp = Backprop(problem, graph, root, name, entry)
    if name == root:
        value = sp.Integer(1)
        return Derived(make_answer(value), (make_step("trivial", say(Rel(Partial(Lsym, Lsym), "=", 1, kind="fact"),
                                                                     "."), check=False),))
    bp.propagate()
    path = bp.on_path()
    if not path:
        b = problem.lookup(name, v_ast.pos)
        return _zero(problem, b, idx, v_ast, Lsym, L_ast, graph)
    bp.backward(path)
    ex = Explain(bp, path)
    steps = ex.run()
    if entry is not None or tv.scalar:
        value = bp.grad[name][entry or (0, 0)]
    elif tv.nd:
        value = from_array(upstream(bp, name))
    else:
        value = sp.ImmutableMatrix(*tv.shape, lambda i, j: bp.grad[name][(i, j)])
        if tv.shape == (1, 1):
            value = value[0, 0]
    steps.extend(decimal_step(value))
    return Derived(make_answer(value), tuple(steps))


def _zero(problem: Problem, b: Binding, idx, v_ast: ast.Expr, Lsym: Any, L_ast: ast.Expr,
          graph: Graph | None = None) -> Derived:
    v = b.value
    if is_tensor(v) and idx is None:
        r, c = v.shape
        if (r, c) == (1, 1):
            value = sp.Integer(0)
        elif all(isinstance(n, (int, sp.Integer)) for n in (r, c)):
            value = sp.ImmutableMatrix(sp.zeros(r, c))
        else:   # a tensor of symbolic shape (`vector w : (n)`): the zero matrix of that shape
            value = sp.ZeroMatrix(r, c)
    else:
        value = sp.Integer(0)
    why = say(Math(Lsym), " is computed without ", Code(b.name), ": no path in the computation graph leads from ",
              Code(v_ast.pos.snippet()), " to ", Math(Lsym), ", so changing it does not change ", Math(Lsym),
              " and the derivative is 0.")
    if graph is not None and b.name in graph.v:
        why = say(Code(v_ast.pos.snippet()), " enters the graph, but none of the quantities computed from it is used "
                  "in ", Math(Lsym), ", so the derivative is 0.")
    return Derived(make_answer(value), (make_step("independent", why, check=False),))
