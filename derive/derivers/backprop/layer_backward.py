"""The backward rule of a layer vertex: ∂L/∂(input), ∂L/∂(weight parts), ∂L/∂(bias parts).

In: a Backprop whose δ of the layer vertex C is known (`bp.grad[C]`).  Out:
`layer_grads(bp, C) -> {parent vertex: {entry: value}}` (cached on bp), computed on
arrays by derive.derivers.layers.grads (the scatter route); `conv_setup` and `pool_setup`
give the settings both the rule and the displayed formulas use.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sympy as sp

from ..layers import grads
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
    out = {call.arg: (np.stack(gx) if batched else gx[0]).reshape(-1)}
    for parts, total in ((call.weight, gw), (call.bias, gb)):
        for name, prefix in parts:
            part = (total[prefix] if prefix else total).reshape(-1)
            out[name] = out[name] + part if name in out and out[name].size == part.size else part
    return out


def _rule(bp: Any, C: str) -> dict[str, np.ndarray]:
    cv = bp.g.v[C]
    call = cv.layer
    layer = call.layer
    g = upstream(bp, C)
    x = vertex_array(bp.g.v[call.arg], call.in_dims)
    kind = layer.kind
    if kind.startswith("Conv"):
        return _conv(bp, C, x, g)
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
    for name, arr in _rule(bp, C).items():
        vx = bp.g.v[name]
        r, c = vx.shape
        flat = arr.reshape(-1)
        if flat.size != r * c:
            raise ValueError(f"gradient of {name} has {flat.size} entries, the vertex {r * c}")
        out[name] = {(i, j): sp.sympify(flat[i * c + j], strict=True) for i in range(r) for j in range(c)}
    cache[C] = out
    return out
