"""The backward rule of a layer vertex: ∂L/∂(input), ∂L/∂(weight parts), ∂L/∂(bias parts).

In: a Backprop whose δ of the layer vertex C is known (`bp.grad[C]`).  Out:
`layer_grads(bp, C) -> {parent vertex: {entry: value}}` (cached on bp), computed on
arrays by derive.derivers.layers.grads (the scatter route) and norm_grads (the norms' closed
form, an Embedding's scatter); `conv_setup` and `pool_setup` give the settings both the
rule and the displayed formulas use.  A parent the layer does not differentiate by (an
Embedding's indices, a BatchNorm's running statistics) on the path is refused.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sympy as sp

from ...errors import Unsupported
from ..layers import grads, norm_grads
from ..layers.conv import given_weight
from ..layers.grads import zeros
from .layer_graph import vertex_array

if TYPE_CHECKING:  # pragma: no cover - numpy is imported where values are computed (it costs 0.1 s)
    import numpy as np


def conv_setup(layer: Any, in_dims: tuple) -> tuple[tuple, tuple, tuple, int]:
    """(stride, (left, right) zero padding per dimension, dilation, groups) as PyTorch pads."""
    a = layer.args
    nd = layer.nd
    if a["padding"] == "same":      # d(k − 1) in all, the extra one on the right
        total = [d * (k - 1) for d, k in zip(a["dilation"], a["kernel_size"])]
        pads = tuple((t // 2, t - t // 2) for t in total)
    elif a["padding"] == "valid":
        pads = ((0, 0),) * nd
    else:
        pads = tuple((p, p) for p in a["padding"])
    return tuple(a["stride"]), pads, tuple(a["dilation"]), int(a["groups"])


def pool_setup(layer: Any) -> tuple[tuple, tuple, tuple, tuple]:
    """(kernel, stride, padding, dilation) of a pool."""
    a = layer.args
    d = a["dilation"] if "dilation" in a.values else (1,) * layer.nd
    return tuple(a["kernel_size"]), tuple(a["stride"]), tuple(a["padding"]), tuple(d)


def upstream(bp: Any, C: str) -> np.ndarray:
    """δ of vertex C as an array of its PyTorch shape (entries off the path are 0)."""
    cv = bp.g.v[C]
    r, c = cv.shape
    flat = zeros((r * c,))
    for (i, j), v in bp.grad[C].items():
        flat[i * c + j] = v
    return flat.reshape(cv.dims)


def _conv(bp: Any, C: str, x: np.ndarray, g: np.ndarray) -> dict[str, np.ndarray]:
    import numpy as np
    call = bp.g.v[C].layer
    layer = call.layer
    w = given_weight(layer)
    s, pads, d, groups = conv_setup(layer, call.in_dims)
    batched = len(call.in_dims) == layer.nd + 2
    xs, gs = (x, g) if batched else (x[None], g[None])
    gx, gw, gb = [], zeros(w.shape), zeros((w.shape[0],))
    for xi, gi in zip(xs, gs):
        a, b, c = grads.conv_backward(xi, w, gi, s, pads, d, groups)
        gx.append(a)
        gw, gb = gw + b, gb + c
    return _distribute(call, {call.arg: (np.stack(gx) if batched else gx[0]).reshape(-1)}, gw, gb)


def _distribute(call: Any, out: dict, gw: np.ndarray, gb: np.ndarray | None) -> dict[str, np.ndarray]:
    """`out` with the weight's and the bias's gradients given to the names they are read from."""
    import numpy as np
    for parts, total in ((call.weight, gw), (call.bias, gb)):
        for name, prefix in parts:
            part = np.asarray(total[prefix] if prefix else total, dtype=object).reshape(-1)   # (an entry: one)
            out[name] = out[name] + part if name in out and out[name].size == part.size else part
    return out


def _norm(call: Any, x: np.ndarray, g: np.ndarray) -> dict[str, np.ndarray]:
    gx, gw, gb = norm_grads.norm_backward(call.layer, x, g)
    return _distribute(call, {call.arg: gx.reshape(-1)}, gw, gb)


def _embedding(call: Any, x: np.ndarray, g: np.ndarray) -> dict[str, np.ndarray]:
    layer = call.layer
    n = int(layer.args["num_embeddings"])
    gw = norm_grads.embedding_scatter(x, g, n, norm_grads.padding_row(layer), bool(layer.args["scale_grad_by_freq"]))
    return _distribute(call, {}, gw, None)


def _rule(bp: Any, C: str) -> dict[str, np.ndarray]:
    cv = bp.g.v[C]
    call = cv.layer
    layer = call.layer
    g = upstream(bp, C)
    x = vertex_array(bp.g.v[call.arg], call.in_dims)
    kind = layer.kind
    if kind.startswith("Conv"):
        return _conv(bp, C, x, g)
    if kind.startswith("BatchNorm") or kind == "LayerNorm":
        return _norm(call, x, g)
    if kind == "Embedding":
        return _embedding(call, x, g)
    if kind.startswith("MaxPool"):
        return {call.arg: grads.max_route(x, g, *pool_setup(layer))}
    if kind.startswith("AvgPool"):
        k, s, p, _ = pool_setup(layer)
        a = layer.args.values
        return {call.arg: grads.avg_spread(x.shape, g, k, s, p, count_include_pad=a.get("count_include_pad", True),
                                           divisor=a.get("divisor_override"))}
    return {call.arg: g.reshape(call.in_dims)}          # Flatten; Dropout (the identity at evaluation)


def layer_grads(bp: Any, C: str) -> dict[str, dict[tuple[int, int], Any]]:
    """{parent: {entry: ∂L/∂parent[entry] through C}} for the layer vertex C (cached)."""
    cache = bp.__dict__.setdefault("_layer_grads", {})
    if C in cache:
        return cache[C]
    out = {}
    rule = _rule(bp, C)
    call = bp.g.v[C].layer
    for p in bp.g.v[C].parents:
        if p in bp.mask and p not in rule:
            _refuse(call, p)
    for name, arr in rule.items():
        vx = bp.g.v[name]
        r, c = vx.shape
        flat = arr.reshape(-1)
        if flat.size != r * c:
            raise ValueError(f"gradient of {name} has {flat.size} entries, the vertex {r * c}")
        out[name] = {(i, j): sp.sympify(flat[i * c + j], strict=True) for i in range(r) for j in range(c)}
    cache[C] = out
    return out


def _refuse(call: Any, p: str) -> None:
    """Unsupported, at the layer call: the layer gives no gradient to its parent p."""
    if call.layer.kind == "Embedding" and p == call.arg:
        raise Unsupported(f"`{call.name}` reads `{p}` as indices (whole numbers): the loss has no gradient with "
                          "respect to them (PyTorch gives none); ask for the gradient of the weight", call.node.pos)
    raise Unsupported(f"`{p}` is a running statistic of `{call.name}` (a buffer, not a parameter): PyTorch gives no "
                      "gradient for it, and derive does not derive one", call.node.pos)
