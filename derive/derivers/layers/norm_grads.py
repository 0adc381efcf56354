"""Backward rules of BatchNorm1d/2d, LayerNorm and Embedding on exact arrays.

In: the layer (checked arguments, as for its values in derive.derivers.layers.norm_values),
its input `x` (a NumPy object array of sympy numbers, PyTorch's shape) and the upstream
gradient `g` = ∂L/∂y (the output's shape).  Out: ∂L/∂x, ∂L/∂γ, ∂L/∂β (norms) and ∂L/∂E
(an Embedding's weight), exact (square roots stay radicals).

Each group of entries normalised together (a sample's trailing `normalized_shape`
entries for LayerNorm; a channel's batch and positions for BatchNorm) has x̂ = (x − μ)/s,
s = √(σ² + ε), y = γ x̂ + β.  Two routes for every gradient, so that a step's formula is
checked against a value computed another way:
* `norm_backward` (the sweep's values): the closed form per group, with ĝ = γ ∂L/∂y,
  ∂L/∂x_j = (ĝ_j − mean(ĝ) − x̂_j mean(ĝ x̂))/s (batch statistics), ĝ_j/s (running ones);
  ∂L/∂γ = Σ ∂L/∂y x̂, ∂L/∂β = Σ ∂L/∂y over the entries sharing each γ;
* `norm_input_by_jacobian`: ∂L/∂x_j = Σ_k ĝ_k ∂x̂_k/∂x_j with the Jacobian entries
  ∂x̂_k/∂x_j = (δ_kj − 1/m − x̂_k x̂_j/m)/s, and `axis_sum` for γ and β;
* an Embedding's weight: `embedding_scatter` adds each position's upstream gradient to the
  row of its index (the sweep), `embedding_gather` sums, row by row, the positions holding
  that index (the check); the padding_idx row gets 0, `scale_grad_by_freq` divides a row by
  how often its index occurs, as PyTorch does.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sympy as sp

from .grads import zeros
from .norm_values import _affine, _groups, _ungroup, statistics, uses_batch_stats

if TYPE_CHECKING:  # pragma: no cover - numpy is imported where values are computed (it costs 0.1 s)
    import numpy as np


def tidy(v: Any) -> Any:
    """An exact number in sympy's canonical form (products of radicals multiplied out)."""
    v = sp.sympify(v, strict=True)
    return v if v.is_Rational else sp.expand(v)


def is_batch_norm(layer: Any) -> bool:
    return layer.kind.startswith("BatchNorm")


def batch_statistics(layer: Any) -> bool:
    """Whether μ and σ² are computed from the input (always for LayerNorm), not given."""
    return not is_batch_norm(layer) or uses_batch_stats(layer)


def standardized(layer: Any, x: np.ndarray) -> tuple[np.ndarray, list, tuple]:
    """(x̂ as rows of entries normalised together, s = √(σ² + ε) of each row, the layout)."""
    rows, shape = _groups(layer, x)
    means, vars_ = statistics(layer, rows)
    eps = layer.args["eps"]
    s = [sp.sqrt(v + eps) for v in vars_]
    xh = zeros(rows.shape)
    for r in range(rows.shape[0]):
        for j in range(rows.shape[1]):
            xh[r, j] = tidy((rows[r, j] - means[r]) / s[r])
    return xh, s, shape


def gamma_of(layer: Any, rows: tuple) -> np.ndarray:
    """γ as a vector: one entry per channel (BatchNorm) or per entry of a group (LayerNorm)."""
    n = rows[0] if is_batch_norm(layer) else rows[1]
    return _affine(layer, n, 1)[0]


def _gamma_rows(layer: Any, shape: tuple) -> np.ndarray:
    """γ spread over the rows layout."""
    import numpy as np
    g = gamma_of(layer, shape)
    if is_batch_norm(layer):
        return np.repeat(g.reshape(-1, 1), shape[1], axis=1)
    return np.repeat(g.reshape(1, -1), shape[0], axis=0)


def param_shape(layer: Any) -> tuple:
    """The shape of γ and β: (C,) or normalized_shape."""
    if is_batch_norm(layer):
        return (int(layer.args["num_features"]),)
    return tuple(int(n) for n in layer.args["normalized_shape"])


def norm_backward(layer: Any, x: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(∂L/∂x, ∂L/∂γ, ∂L/∂β) by the closed form per group (see the module docstring)."""
    import numpy as np
    xh, s, shape = standardized(layer, x)
    grows, _ = _groups(layer, g)
    gh = grows * _gamma_rows(layer, xh.shape)
    gx = zeros(xh.shape)
    m = xh.shape[1]
    for r in range(xh.shape[0]):
        if batch_statistics(layer):
            mg = sp.Add(*gh[r]) / m
            mgx = sp.Add(*(gh[r] * xh[r])) / m
            for j in range(m):
                gx[r, j] = tidy((gh[r, j] - mg - xh[r, j] * mgx) / s[r])
        else:
            for j in range(m):
                gx[r, j] = tidy(gh[r, j] / s[r])
    prod = grows * xh
    per = (lambda a: a) if is_batch_norm(layer) else (lambda a: a.T)    # one line per entry of γ
    gamma = np.array([tidy(sp.Add(*v)) for v in per(prod)], dtype=object)
    beta = np.array([tidy(sp.Add(*v)) for v in per(grows)], dtype=object)
    ps = param_shape(layer)
    return _ungroup(layer, gx, shape), gamma.reshape(ps), beta.reshape(ps)


def norm_input_by_jacobian(layer: Any, x: np.ndarray, g: np.ndarray, gamma: np.ndarray) -> np.ndarray:
    """∂L/∂x = Jᵀ ĝ group by group, J the Jacobian of x̂ (ĝ = γ ∂L/∂y, γ as `gamma_of` gives)."""
    import numpy as np
    xh, s, shape = standardized(layer, x)
    grows, _ = _groups(layer, g)
    gam = np.asarray(gamma, dtype=object).reshape(-1)
    spread = (lambda r, j: gam[r]) if is_batch_norm(layer) else (lambda r, j: gam[j])
    m = xh.shape[1]
    batch = batch_statistics(layer)
    out = zeros(xh.shape)
    for r in range(xh.shape[0]):
        gh = [grows[r, k] * spread(r, k) for k in range(m)]
        for j in range(m):
            if batch:
                terms = [gh[k] * ((1 if k == j else 0) - sp.Rational(1, m) - xh[r, k] * xh[r, j] / m)
                         for k in range(m)]
            else:
                terms = [gh[j]]
            out[r, j] = tidy(sp.Add(*terms) / s[r])
    return _ungroup(layer, out, shape)


def summed_axes(layer: Any, ndim: int) -> tuple[int, ...]:
    """The dimensions of the input ∂L/∂γ and ∂L/∂β sum over (all but γ's own)."""
    if is_batch_norm(layer):
        return tuple(a for a in range(ndim) if a != 1)
    return tuple(range(ndim - len(param_shape(layer))))


def axis_sum(t: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """t summed over `axes`, entry by entry (exact)."""
    import numpy as np
    keep = [a for a in range(t.ndim) if a not in axes]
    moved = np.moveaxis(t, keep, list(range(len(keep))))
    kept = moved.shape[:len(keep)]
    flat = moved.reshape(kept + (-1,))
    out = zeros(kept)
    for idx in np.ndindex(*kept):
        out[idx] = tidy(sp.Add(*flat[idx]))
    return out


# ---- Embedding --------------------------------------------------------------------------

def padding_row(layer: Any) -> int | None:
    """The padding_idx row (a negative one counted from the end, as PyTorch does), or None."""
    p = layer.args["padding_idx"]
    if p is None:
        return None
    p = int(p)
    return p + int(layer.args["num_embeddings"]) if p < 0 else p


def _counts(idx: np.ndarray) -> dict[int, int]:
    out: dict[int, int] = {}
    for i in idx.reshape(-1):
        out[int(i)] = out.get(int(i), 0) + 1
    return out


def embedding_scatter(idx: np.ndarray, g: np.ndarray, n: int, pad: int | None, scale: bool) -> np.ndarray:
    """∂L/∂E: each position's upstream gradient added to its index's row (padding row 0)."""
    d = g.shape[-1]
    rows = g.reshape(-1, d)
    counts = _counts(idx)
    out = zeros((n, d))
    for p, i in enumerate(idx.reshape(-1)):
        i = int(i)
        if i == pad:
            continue
        out[i] = out[i] + (rows[p] / counts[i] if scale else rows[p])
    for i in range(n):
        for j in range(d):
            out[i, j] = tidy(out[i, j])
    return out


def embedding_gather(idx: np.ndarray, g: np.ndarray, n: int, pad: int | None, scale: bool) -> np.ndarray:
    """∂L/∂E row by row: the sum of the upstream gradient at the positions holding index i."""
    d = g.shape[-1]
    rows = g.reshape(-1, d)
    flat = [int(i) for i in idx.reshape(-1)]
    out = zeros((n, d))
    for i in range(n):
        where = [p for p, t in enumerate(flat) if t == i]
        if i == pad or not where:
            continue
        for j in range(d):
            total = sp.Add(*[rows[p, j] for p in where])
            out[i, j] = tidy(total / len(where) if scale else total)
    return out
