"""Backward rules of the value layers on exact arrays: convolutions, pools, Flatten, Dropout.

In: the layer's input `x` (a NumPy object array of sympy numbers, PyTorch's shape), its
weight where it has one, and the upstream gradient `g` = ∂L/∂y (the output's shape).
Out: ∂L/∂x, ∂L/∂weight, ∂L/∂bias as arrays of the same kind, exact.

Two routes for every convolution gradient, so that a step's formula is checked against a
value computed another way:
* `conv_backward` scatters: each output entry y[c, o] = b[c] + Σ w[c, i, j] x̃[i, o·s + j·d]
  (x̃ the zero-padded input) sends g[c, o]·x̃[...] to ∂w[c, i, j] and g[c, o]·w[c, i, j] to
  ∂x̃[...] (the values the sweep uses);
* `weight_correlation` gathers ∂w[c, i, j] = Σ_o g[c, o] x̃[i, o·s + j·d], the
  cross-correlation of the padded input with the upstream gradient, and
  `input_full_convolution` computes ∂x as the full convolution of g (stride-dilated: s − 1
  zeros between entries) with the kernel, i.e. the correlation of the zero-padded g with the
  flipped kernel rot180(w), cropped by the padding: the transposed convolution.
Pools: `max_route` sends each window's gradient to its first maximum (PyTorch's rule for
ties), `avg_spread` shares it evenly (divided by the window's divisor).
"""
from __future__ import annotations

from itertools import product
from typing import TYPE_CHECKING, Any

import sympy as sp

ZERO = sp.Integer(0)

if TYPE_CHECKING:  # pragma: no cover - numpy is imported where values are computed (it costs 0.1 s)
    import numpy as np


def zeros(shape: tuple) -> np.ndarray:
    import numpy as np
    out = np.empty(shape, dtype=object)
    out.fill(ZERO)
    return out


def pad_asym(x: np.ndarray, pads: tuple) -> np.ndarray:
    """x with (left, right) zeros on each of its last len(pads) dimensions."""
    nd = len(pads)
    out = zeros(x.shape[:-nd] + tuple(n + lo + hi for n, (lo, hi) in zip(x.shape[-nd:], pads)))
    out[(Ellipsis,) + tuple(slice(lo, lo + n) for n, (lo, _) in zip(x.shape[-nd:], pads))] = x
    return out


def crop(x: np.ndarray, pads: tuple, size: tuple) -> np.ndarray:
    """The entries of x (padded by `pads`) that lie in the unpadded input of spatial `size`."""
    return x[(Ellipsis,) + tuple(slice(lo, lo + n) for n, (lo, _) in zip(size, pads))]


def _group_first(c: int, c_out: int, groups: int, per: int) -> int:
    return (c // (c_out // groups)) * per


def conv_backward(x: np.ndarray, w: np.ndarray, g: np.ndarray, s: tuple, pads: tuple, d: tuple,
                  groups: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(∂x, ∂w, ∂b) of one unbatched convolution by scattering each output's gradient."""
    import numpy as np
    nd = len(s)
    xp = pad_asym(x, pads)
    gxp, gw = zeros(xp.shape), zeros(w.shape)
    c_out, per = w.shape[0], w.shape[1]
    ks = list(product(*[range(n) for n in w.shape[2:]]))
    for c in range(c_out):
        first = _group_first(c, c_out, groups, per)
        for o in product(*[range(n) for n in g.shape[1:]]):
            go = g[(c,) + o]
            if go == 0:
                continue
            for ic in range(per):
                for j in ks:
                    pos = (first + ic,) + tuple(oi * si + ji * di for oi, si, ji, di in zip(o, s, j, d))
                    gw[(c, ic) + j] += go * xp[pos]
                    gxp[pos] += go * w[(c, ic) + j]
    gb = np.array([sp.Add(*g[c].reshape(-1)) for c in range(c_out)], dtype=object)
    return crop(gxp, pads, x.shape[-nd:]), gw, gb


def weight_correlation(x: np.ndarray, g: np.ndarray, s: tuple, pads: tuple, d: tuple, groups: int,
                       k: tuple) -> np.ndarray:
    """∂w[c, i, j] = Σ_o g[c, o] x̃[first(c) + i, o·s + j·d]: the padded input correlated with g."""
    xp = pad_asym(x, pads)
    c_out, per = g.shape[0], x.shape[0] // groups
    out = zeros((c_out, per) + tuple(k))
    O = g.shape[1:]
    for c, i in product(range(c_out), range(per)):
        src = xp[_group_first(c, c_out, groups, per) + i]
        for j in product(*[range(n) for n in k]):
            window = src[tuple(slice(ji * di, ji * di + si * (n - 1) + 1, si) for ji, di, si, n in zip(j, d, s, O))]
            out[(c, i) + j] = sp.Add(*(window * g[c]).reshape(-1))
    return out


def input_full_convolution(g: np.ndarray, w: np.ndarray, s: tuple, pads: tuple, d: tuple, groups: int,
                           size: tuple) -> np.ndarray:
    """∂x: g dilated by the stride, zero-padded by d(k − 1), correlated with rot180(w), cropped."""
    c_out, per = w.shape[0], w.shape[1]
    k = w.shape[2:]
    padded = tuple(n + lo + hi for n, (lo, hi) in zip(size, pads))
    gd = zeros((c_out,) + tuple(si * (n - 1) + 1 for si, n in zip(s, g.shape[1:])))
    gd[(slice(None),) + tuple(slice(None, None, si) for si in s)] = g
    span = tuple(di * (ki - 1) for di, ki in zip(d, k))
    right = tuple(max(0, P - gn) for P, gn in zip(padded, gd.shape[1:]))
    gdp = pad_asym(gd, tuple(zip(span, right)))
    flipped = w[(slice(None), slice(None)) + tuple(slice(None, None, -1) for _ in k)]
    out = zeros((per * groups,) + padded)
    for c in range(c_out):
        first = _group_first(c, c_out, groups, per)
        for i in range(per):
            for pos in product(*[range(n) for n in padded]):
                block = gdp[(c,) + tuple(slice(p, p + di * (ki - 1) + 1, di) for p, di, ki in zip(pos, d, k))]
                out[(first + i,) + pos] += sp.Add(*(block * flipped[c, i]).reshape(-1))
    return crop(out, pads, size)


def _window_entries(o: tuple, k: tuple, s: tuple, p: tuple, d: tuple, size: tuple) -> list[tuple]:
    """The input positions (unpadded) of window o, in PyTorch's scan order (row-major)."""
    out = []
    for j in product(*[range(n) for n in k]):
        q = tuple(oi * si + ji * di - pi for oi, si, ji, di, pi in zip(o, s, j, d, p))
        if all(0 <= qi < n for qi, n in zip(q, size)):
            out.append(q)
    return out


def argmax_first(vals: list[Any]) -> int:
    """The index of the first maximum (a later equal value does not replace it)."""
    best = 0
    for i, v in enumerate(vals):
        if v > vals[best]:
            best = i
    return best


def max_route(x: np.ndarray, g: np.ndarray, k: tuple, s: tuple, p: tuple, d: tuple) -> np.ndarray:
    """∂x of a max pool: each window's g goes to its first maximum; the rest get 0."""
    nd = len(k)
    out = zeros(x.shape)
    size = x.shape[-nd:]
    for lead in product(*[range(n) for n in x.shape[:-nd]]):
        for o in product(*[range(n) for n in g.shape[-nd:]]):
            win = _window_entries(o, k, s, p, d, size)
            best = win[argmax_first([x[lead + q] for q in win])]
            out[lead + best] += g[lead + o]
    return out


def window_divisor(o: tuple, k: tuple, s: tuple, p: tuple, size: tuple, count_include_pad: bool,
                   divisor: int | None, inside: int) -> int:
    """What PyTorch's AvgPool divides window o by (as the forward pass in arrays.pool)."""
    if divisor is not None:
        return divisor
    if not count_include_pad:
        return inside
    count = 1
    for oi, si, ki, n, pi in zip(o, s, k, size, p):
        st = oi * si - pi
        count *= min(st + ki, n + pi) - st
    return count


def avg_spread(x_shape: tuple, g: np.ndarray, k: tuple, s: tuple, p: tuple, *, count_include_pad: bool = True,
               divisor: int | None = None) -> np.ndarray:
    """∂x of an average pool: each window's g divided by its divisor, added to every entry."""
    nd = len(k)
    out = zeros(x_shape)
    size = x_shape[-nd:]
    for lead in product(*[range(n) for n in x_shape[:-nd]]):
        for o in product(*[range(n) for n in g.shape[-nd:]]):
            win = _window_entries(o, k, s, p, (1,) * nd, size)
            share = g[lead + o] / window_divisor(o, k, s, p, size, count_include_pad, divisor, len(win))
            for q in win:
                out[lead + q] += share
    return out
