"""Layer calls on the backprop graph: Conv1d/Conv2d, Max/AvgPool1d/2d, Flatten, Dropout,
BatchNorm1d/2d, LayerNorm, Embedding.

In: a Problem and a local expression `conv(a)` (a layer bound by `layer conv = ...` applied
to a vertex name).  Out: `layer_call` (the Layer when the expression is such a call),
`layer_vertex` (turns a Vertex into kind "layer": its input vertex and, for a convolution,
a norm or an Embedding, the names its `weight =` / `bias =` are read from are its parents;
so are those of a BatchNorm's `running_mean =` / `running_var =`, to refuse a gradient
with respect to them: they are buffers, not parameters), `flat_matrix` (the
matrix a value of any rank is kept as on the graph: rows = all dimensions but the last)
and `nd_symbol` (the symbol shown for a tensor of rank 3 or 4).

A layer's weight reaches the gradient when `weight =` is a name (`param K = [K1, K2]`) or a
list of names (`weight = [K1, K2]`); a weight written as numbers is a constant (a norm's
γ = 1 and β = 0 when not given).  A weight given as any other expression is refused (name
it), as is a layer derive cannot differentiate (recurrent, attention, adaptive pools).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sympy as sp

from ... import ast
from ...errors import Unsupported
from ...model.expressions import Seq
from ...model.graph import names_in
from ..layers.arrays import to_array
from ..layers.norm_values import uses_batch_stats
from ..layers.values import show_dims

DIFFERENTIABLE = ("Conv1d", "Conv2d", "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "Flatten", "Dropout",
                  "BatchNorm1d", "BatchNorm2d", "LayerNorm", "Embedding")
WEIGHTED = ("Conv1d", "Conv2d", "BatchNorm1d", "BatchNorm2d", "LayerNorm", "Embedding")

if TYPE_CHECKING:  # pragma: no cover - numpy is imported where values are computed (it costs 0.1 s)
    import numpy as np


@dataclass
class LayerCall:
    """What the backward rule of one layer vertex needs."""

    name: str                         # the layer's name in the spec
    layer: Any                        # the Layer object
    node: ast.Call
    arg: str                          # the input vertex
    in_dims: tuple                    # the input's PyTorch shape
    weight: list[tuple[str, tuple]] = field(default_factory=list)   # (vertex, index prefix) parts
    bias: list[tuple[str, tuple]] = field(default_factory=list)
    buffers: list[str] = field(default_factory=list)          # a BatchNorm's running statistics


def flat_matrix(v: Any) -> tuple[Any, tuple | None]:
    """(the value as the graph keeps it, its PyTorch dims when of rank 3 or more, else None)."""
    if not isinstance(v, Seq):
        return v, None
    a = to_array(v, 2)
    if a is None:
        return v, None
    import numpy as np
    if v.dims is not None and int(np.prod(v.dims)) == a.size:
        a = a.reshape(v.dims)
    return sp.ImmutableMatrix(a.reshape(-1, a.shape[-1]).tolist()), tuple(int(n) for n in a.shape)


def nd_symbol(name: str, dims: tuple | None) -> sp.Symbol:
    """The symbol of a tensor of rank 3 or 4 (shown by its name; bound to a Tuple of matrices)."""
    return sp.Symbol(name)


def layer_call(problem: Any, e: ast.Expr) -> Any:
    """The Layer `e` applies, when e is `name(x)` for a layer this module differentiates
    (with its weight given, for a convolution); None for any other expression."""
    if not (isinstance(e, ast.Call) and e.name and problem.has(e.name) and len(e.args) == 1):
        return None
    b = problem.names[e.name]
    layer = b.value
    if b.kind != "layer" or getattr(layer, "kind", None) == "Linear":
        return None
    if layer.kind not in DIFFERENTIABLE:
        raise Unsupported(f"backpropagation through {layer.kind} is not implemented (only through "
                          f"{', '.join(DIFFERENTIABLE)} and Linear)", e.pos)
    if layer.kind.startswith("Conv") and layer.args["weight"] is None:
        raise Unsupported(f"`{e.name}` has no concrete weight: give `weight =` (and `bias =`) to "
                          "backpropagate through it", e.pos)
    if layer.kind == "Embedding" and layer.table() is None:
        raise Unsupported(f"`{e.name}` has no concrete weight: give `weight =` (the num_embeddings × "
                          "embedding_dim table) to backpropagate through it", e.pos)
    if layer.kind.startswith("Conv") and not layer.zero_padded():
        raise Unsupported(f"`{e.name}` pads with padding_mode = \"{layer.args['padding_mode']}\": values and "
                          "gradients are computed for zero padding only", e.pos)
    return layer


def _parts(graph: Any, node: ast.Expr | None, what: str, prefix: tuple = ()) -> list[tuple[str, tuple]]:
    """The vertex names a `weight =` / `bias =` argument is read from, with their position in it."""
    if node is None:
        return []
    if isinstance(node, ast.Name):
        graph.add_name(node.id, node)
        return [(node.id, prefix)]
    if isinstance(node, ast.ListLit) and any(not isinstance(i, ast.Num) for i in node.items):
        out = []
        for i, item in enumerate(node.items):
            out += _parts(graph, item, what, prefix + (i,))
        return out
    if _reads_names(node):
        raise Unsupported(f"the {what} is an expression: give it a name (`param K = ...`, then "
                          f"`{what} = K`) to backpropagate to it", node.pos)
    return []


def layer_vertex(graph: Any, vx: Any) -> None:
    """Make `vx` (whose expression is `layer(a)`) a layer vertex with its parents and dims."""
    e = vx.expr
    problem = graph.problem
    layer = problem.names[e.name].value
    value = graph.gen_values.get(e.args[0].id, problem.names[e.args[0].id].value
                                 if problem.has(e.args[0].id) else None)
    in_dims = tuple(int(n) for n in layer.checked_dims(value, e.args[0], problem))
    src = graph.v.get(e.args[0].id)
    if src is not None and src.dims is not None and src.dims != in_dims and (src.kind == "layer" or src.nd) \
            and layer.kind not in ("Flatten", "Dropout"):        # (those two see only the entries' order)
        raise Unsupported(f"`{e.name}` reads its input as {show_dims(in_dims)}, but it is a tensor of shape "
                          f"{show_dims(src.dims)}: a value whose last size is 1 cannot be told from one "
                          "dimension fewer in a spec (an n×1 value is a vector), so its gradient is not derived",
                          e.pos)
    call = LayerCall(e.name, layer, e, e.args[0].id, in_dims)
    if layer.kind in WEIGHTED and _affine(layer):
        call.weight = _parts(graph, layer.args.nodes.get("weight"), "weight")
        call.bias = _parts(graph, layer.args.nodes.get("bias"), "bias")
    if layer.kind.startswith("BatchNorm") and not uses_batch_stats(layer):     # (read in evaluation mode only)
        for stat in ("running_mean", "running_var"):
            node = layer.args.nodes.get(stat)
            for n in (names_in(node, calls=False, lambdas=False) if node is not None else ()):
                graph.add_name(n, node)
                call.buffers.append(n)
    out, _ = layer.out_dims(in_dims, e)
    vx.kind, vx.layer = "layer", call
    vx.dims = tuple(int(n) for n in out)
    vx.scalar = False
    if len(vx.dims) >= 3:
        vx.symbol = nd_symbol(vx.name, vx.dims)
    vx.parents = list(dict.fromkeys([call.arg] + [n for n, _ in call.weight + call.bias] + call.buffers))


def _affine(layer: Any) -> bool:
    """Whether the layer has a trainable weight (a norm may have none)."""
    a = layer.args.values
    return bool(a.get("affine", a.get("elementwise_affine", True)))


def vertex_array(vx: Any, dims: tuple) -> np.ndarray:
    """A vertex's value as an array of PyTorch shape `dims` (its matrix read row by row)."""
    import numpy as np
    return np.array(list(vx.value), dtype=object).reshape(dims)


def display_dims(vx: Any) -> tuple:
    """The shape a vertex is shown in: its PyTorch dims when known, else its matrix shape."""
    return vx.dims if vx.dims is not None else vx.shape


def inherit_dims(graph: Any, vx: Any) -> None:
    """An activation of a tensor with known dims keeps them (a relu of a Conv2d output is
    3-D even when its last size is 1); any other vertex reading a tensor of rank 3 or 4 is
    refused (flatten it first)."""
    if vx.kind == "act":
        src = graph.v[vx.parents[0]]
        if src.dims is not None and len(src.dims) >= 3:
            vx.dims = src.dims
            vx.scalar = False
            vx.symbol = nd_symbol(vx.name, vx.dims)
        return
    for p in vx.parents:
        if graph.v[p].nd:
            raise Unsupported(f"backprop through `{vx.expr.pos.snippet()}` on a tensor of {len(graph.v[p].dims)} "
                              f"dimensions (`{p}`) is not implemented: apply a Flatten layer first", vx.expr.pos)


def _reads_names(e: Any) -> bool:
    """Whether an expression reads any name."""
    if isinstance(e, ast.Name):
        return True
    for v in vars(e).values():
        for x in (v if isinstance(v, tuple) else (v,)):
            if isinstance(x, ast.Keyword):
                x = x.value
            if isinstance(x, ast.Expr) and _reads_names(x):
                return True
    return False
