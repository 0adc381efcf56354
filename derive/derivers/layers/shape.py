"""The goal `shape(EXPR)`: the output shape of an expression or layer stack, with the size
rule worked out for every layer on the way.

In: a Problem and the goal call.  Out: a Derived whose steps are one per layer application
inside EXPR (arguments first), each with its size formulas as checked substeps; the answer
is the shape as a tuple (nested for a layer with several outputs: an LSTM's
(output, (h_n, c_n))).
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from ... import ast
from ...errors import SpecError
from ...model.problem import Problem, TensorShape
from ...sentence import Code, Math, say
from ...steps import Step, make_step
from ..registry import Derived, make_answer
from .base import Layer, Outputs
from .count import describe_dims
from .network import children
from .values import LayerApply, declared_dims, dims_of, nested_dims

ENTRYWISE = ("relu", "sigmoid", "tanh", "leaky_relu", "softmax")


def _as_sympy(out: Any) -> Any:
    """A shape (or nested Outputs) as sympy Tuples, for display."""
    if isinstance(out, Outputs):
        return sp.Tuple(*[_as_sympy(x) for x in out.items])
    return tuple(out)


def _layer_step(problem: Problem, expr: ast.Call, b: Any) -> Step:
    layer: Layer = b.value
    dims = [layer.checked_dims(problem.value(a), a, problem) for a in expr.args]
    out, lines = layer.apply(dims, expr)
    subs = []
    for ln in lines:
        if ln.chain:
            subs.append(make_step("size_formula", ln.text, *ln.chain, where=dict(ln.where)))
        else:
            subs.append(make_step("size_rule", ln.text, check=False))
    ins = say(Math(tuple(dims[0]))) if len(dims) == 1 else \
        say("shapes ", *[p for k, d in enumerate(dims) for p in ((", " if k else ""), Math(tuple(d)))])
    text = say(Code(expr.pos.snippet()), ": ", Code(f"{b.name} = {layer.describe()}"),
               " maps shape " if len(dims) == 1 else " maps ", ins, " to ")
    if isinstance(out, Outputs):
        text = say(text, _outputs_names(out), " of shapes ", Math(_as_sympy(out)), ".")
    else:
        text = say(text, Math(tuple(out)), ".")
    return make_step("layer_shape", text, substeps=subs, check=False)


def _outputs_names(out: Outputs) -> str:
    inner = [(_outputs_names(x) if isinstance(x, Outputs) else n) for n, x in zip(out.names, out.items)]
    return "(" + ", ".join(inner) + ")"


def _shape_steps(problem: Problem, expr: ast.Expr, steps: list[Step], seen: set[str]) -> None:
    """One step per layer application inside `expr` (arguments first)."""
    if isinstance(expr, ast.Name) and problem.has(expr.id):
        b = problem.names[expr.id]
        if b.kind == "node" and b.expr is not None and b.name not in seen:
            seen.add(b.name)
            _shape_steps(problem, b.expr, steps, seen)
        return
    if isinstance(expr, ast.Lambda):
        return
    for c in children(expr):
        if not (isinstance(expr, ast.Call) and c is expr.func):
            _shape_steps(problem, c, steps, seen)
    if isinstance(expr, ast.Call) and expr.name and problem.has(expr.name):
        b = problem.names[expr.name]
        if b.kind == "layer" and isinstance(b.value, Layer) and expr.args:
            steps.append(_layer_step(problem, expr, b))
    elif isinstance(expr, ast.Call) and expr.name in ENTRYWISE and not problem.has(expr.name) and expr.args:
        x = problem.value(expr.args[0])
        if isinstance(x, (TensorShape, LayerApply)):
            steps.append(make_step("size_rule", say(Code(expr.name), " acts entrywise: the shape ",
                                                    Math(tuple(dims_of(x))), " is kept."), check=False))


def _nested(out: Any) -> tuple[Any, str, Any]:
    """(sympy tuple, text, JSON value) of a shape or a nested list of shapes."""
    if isinstance(out, list):
        parts = [_nested(x) for x in out]
        value = None if any(p[2] is None for p in parts) else [p[2] for p in parts]
        return tuple(p[0] for p in parts), "[" + ", ".join(p[1] for p in parts) + "]", value
    dims = tuple(sp.Integer(d) if isinstance(d, int) else d for d in out)
    value = [int(d) for d in dims] if all(sp.sympify(d, strict=True).is_Integer for d in dims) else None
    return dims, "[" + ", ".join(str(d) for d in dims) + "]", value


def shape(problem: Problem, call: ast.Call) -> Derived:
    expr = call.args[0]
    value = problem.value(expr)
    if isinstance(value, Layer):
        raise SpecError(f"`{expr.pos.snippet()}` is a layer; give it an input, as in "
                        f"`shape({expr.pos.snippet()}(x))`", expr.pos)
    steps: list[Step] = []
    _shape_steps(problem, expr, steps, set())
    dims = declared_dims(problem, expr) or nested_dims(value)
    if not steps:
        what = describe_dims(dims) if isinstance(dims, tuple) else "a list of tensors"
        steps.append(make_step("shape", say(Code(expr.pos.snippet()), f" is {what}."), check=False))
    out, text, value_json = _nested(dims)
    return Derived(make_answer(out, text=text, value=value_json), tuple(steps))
