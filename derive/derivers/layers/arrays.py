"""Explicit tensors of any rank for layer values: a spec's nested values as NumPy object arrays.

In: a model value: a scalar, an explicit matrix (an n×1 column is the 1-D tensor (n,)), or
a list of such (`[X1, X2]`, a 3-D tensor of two matrices; a list of lists is 4-D).  Out:
`to_array` (a NumPy array of sympy numbers, or None when an entry is not known),
`from_array` (the model value of an array: column vector, matrix, list of matrices) and
the forward rules on arrays, exactly as PyTorch computes them: `correlate` (Conv1d/Conv2d:
cross-correlation, zero padding, stride, dilation, groups), `pool` (max / mean windows,
PyTorch's padding and ceil_mode rules).
"""
from __future__ import annotations

from itertools import product
from typing import TYPE_CHECKING, Any

import sympy as sp

from ...model import functions as F
from ...model.expressions import Seq
from ...model.values import shaped

if TYPE_CHECKING:  # pragma: no cover - numpy is imported where values are computed (it costs 0.1 s)
    import numpy as np


def to_array(v: Any, min_rank: int = 1) -> np.ndarray | None:
    """The value as an object array (entries sympy), None if some entry is not explicit."""
    if not isinstance(v, (Seq, sp.MatrixBase)) and not (isinstance(v, sp.Basic) and v.is_number):
        return None                     # (a symbolic input: shapes only, and no numpy imported)
    import numpy as np
    if isinstance(v, Seq):
        items = [to_array(x, 1) for x in v]
        if any(i is None for i in items) or len({i.shape for i in items}) != 1:
            return None
        out = np.stack(items)
        return out.reshape(v.dims) if v.dims is not None and int(np.prod(v.dims)) == out.size else out
    if isinstance(v, sp.MatrixBase):
        if not F.explicit(v):
            return None
        a = np.empty(v.shape, dtype=object)
        for i, j in product(range(v.shape[0]), range(v.shape[1])):
            a[i, j] = v[i, j]
        return a[:, 0] if v.shape[1] == 1 and min_rank <= 1 else a
    if isinstance(v, sp.Basic) and v.is_number:
        return np.array(v, dtype=object)
    return None


def from_array(a: np.ndarray) -> Any:
    """The model value of an array: a scalar, a column vector, a matrix, a list of those."""
    if a.ndim == 0:
        return a.item()
    if a.ndim == 1:
        return sp.ImmutableMatrix(len(a), 1, list(a))
    if a.ndim == 2:
        return sp.ImmutableMatrix(a.tolist())
    return shaped([from_array(x) for x in a], a.shape)


def pad(x: np.ndarray, p: tuple, fill: Any = sp.Integer(0)) -> np.ndarray:
    """x with p[i] entries of `fill` on both sides of spatial dimension i (the last len(p))."""
    import numpy as np
    nd = len(p)
    width = [(0, 0)] * (x.ndim - nd) + [(q, q) for q in p]
    out = np.full(tuple(n + 2 * q for n, (q, _) in zip(x.shape, width)), fill, dtype=object)
    out[tuple(slice(q, q + n) for n, (q, _) in zip(x.shape, width))] = x
    return out


def _windows(out: tuple, k: tuple, s: tuple, d: tuple):
    """For every output index, the input offsets of its window (in padded coordinates)."""
    for o in product(*[range(n) for n in out]):
        yield o, [tuple(oi * si + ji * di for oi, si, ji, di in zip(o, s, j, d)) for j in product(*[range(n) for n in k])]


def correlate(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, s: tuple, p: tuple, d: tuple, groups: int,
              out: tuple) -> np.ndarray:
    """PyTorch's convolution of one unbatched input x (C_in, *spatial) with weight
    w (C_out, C_in/g, *k) and bias b (C_out): out[c] = b[c] + Σ_ic Σ_j w[c, ic, j] x[g·C_in/g + ic, o·s + j·d − p]."""
    import numpy as np
    xp = pad(x, p)
    c_out, per = w.shape[0], w.shape[1]
    res = np.empty((c_out,) + tuple(out), dtype=object)
    for c in range(c_out):
        first = (c // (c_out // groups)) * per
        for o, offs in _windows(out, w.shape[2:], s, d):
            terms = [w[(c, ic) + j] * xp[(first + ic,) + off]
                     for ic in range(per) for j, off in zip(product(*[range(n) for n in w.shape[2:]]), offs)]
            res[(c,) + o] = sp.Add(*terms) + (b[c] if b is not None else 0)
    return res


def pool(x: np.ndarray, k: tuple, s: tuple, p: tuple, d: tuple, out: tuple, *, is_max: bool,
         count_include_pad: bool = True, divisor: int | None = None) -> np.ndarray:
    """PyTorch's max / average pooling of x (…, *spatial): padding is −∞ for the maximum and
    zeros for the mean; the mean divides by the window clipped to the padded input
    (count_include_pad) or by the entries inside the input."""
    import numpy as np
    nd = len(k)
    lead = x.shape[:-nd]
    size = x.shape[-nd:]
    res = np.empty(lead + tuple(out), dtype=object)
    for li in product(*[range(n) for n in lead]):
        for o, offs in _windows(out, k, s, d):
            starts = [oi * si - pi for oi, si, pi in zip(o, s, p)]
            inside = [x[li + tuple(q - pi for q, pi in zip(off, p))] for off in offs
                      if all(0 <= q - pi < n for q, pi, n in zip(off, p, size))]
            if is_max:
                res[li + o] = sp.Max(*inside)
                continue
            if divisor is not None:
                count = divisor
            elif count_include_pad:
                count = 1
                for st, ki, n, pi in zip(starts, k, size, p):
                    count *= min(st + ki, n + pi) - st
            else:
                count = len(inside)
            res[li + o] = sp.Add(*inside) / count
    return res
