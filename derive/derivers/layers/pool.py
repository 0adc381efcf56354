"""Pooling: MaxPool/AvgPool 1d/2d (sliding windows) and AdaptiveAvgPool 1d/2d.

In: the checked constructor arguments.  Out: `Pool` (channels and batch pass through,
spatial sizes by the window formula; values of an explicit (C, L) matrix for the 1-D
pools) and `AdaptiveAvgPool` (spatial sizes become output_size; window i averages
entries ⌊iL/n⌋ .. ⌈(i + 1)L/n⌉ − 1, as PyTorch).
"""
from __future__ import annotations

import sympy as sp

from ...model import functions as F
from ...sentence import Code, Rel, say
from .args import REQUIRED, Param, boolean, positive, sizes, sizes_or_none
from .base import Layer, ShapeLine, Sym, passes_through
from .window import Windowed


class Pool(Windowed):
    """MaxPool/AvgPool 1d/2d: channels and batch pass through, spatial sizes shrink."""

    pooling = True

    def out_dims(self, dims, node):
        spatial, lines = self.spatial(dims, node)
        lead = dims[:-self.nd]
        head = [ShapeLine(say(passes_through(lead), "; stride defaults to the kernel size."))]
        return tuple(lead) + tuple(spatial), head + lines

    def values(self, x, dims, node):
        if self.nd != 1 or not F.explicit(x) or len(dims) != 2:
            return None
        a = self.args
        k, s, p = a["kernel_size"][0], a["stride"][0], a["padding"][0]
        d = a["dilation"][0] if "dilation" in a.values else 1
        out, _ = self.out_dims(dims, node)
        is_max = self.kind.startswith("Max")
        rows = []
        for c in range(x.shape[0]):
            row = []
            for o in range(int(out[-1])):
                start = o * s - p
                inside = [x[c, i] for i in (start + d * j for j in range(k)) if 0 <= i < x.shape[1]]
                if is_max:
                    row.append(sp.Max(*inside))
                else:
                    last = min(start + k, x.shape[1] + p)
                    count = (last - start) if a["count_include_pad"] else len(inside)
                    row.append(sp.Add(*inside) / count)
            rows.append(row)
        return sp.ImmutableMatrix(rows)


def adaptive_window(i: int, L: int, n: int) -> tuple[int, int]:
    """PyTorch's window of output i of n over a length L: [⌊iL/n⌋, ⌈(i + 1)L/n⌉)."""
    return (i * L) // n, -(-(i + 1) * L // n)


class AdaptiveAvgPool(Layer):
    """AdaptiveAvgPool1d / AdaptiveAvgPool2d(output_size): the spatial sizes become
    output_size (None keeps a size); channels and batch pass through; no parameters."""

    def out_dims(self, dims, node):
        size = self.args["output_size"]
        lead, ins = dims[:-self.nd], dims[-self.nd:]
        out = tuple(sp.sympify(L) if n is None else sp.Integer(n) for n, L in zip(size, ins))
        lines = [ShapeLine(say(passes_through(lead), "."))]
        for i, o in enumerate(out):
            nm = self.spatial_names[i] if self.nd > 1 else "L"
            lines.append(ShapeLine(say(Code("output_size"), " sets the size: ",
                                       Rel(Sym(f"{nm}_out"), "=", o, kind="definition"), ".")))
        return tuple(lead) + out, lines

    def values(self, x, dims, node):
        if self.nd != 1 or not F.explicit(x) or len(dims) != 2:
            return None
        L = x.shape[1]
        n = self.args["output_size"][0] or L
        rows = []
        for c in range(x.shape[0]):
            row = []
            for i in range(n):
                lo, hi = adaptive_window(i, L, n)
                row.append(sp.Add(*[x[c, j] for j in range(lo, hi)]) / (hi - lo))
            rows.append(row)
        return sp.ImmutableMatrix(rows)


def pool_sig(nd: int, is_max: bool) -> list[Param]:
    sig = [Param("kernel_size", REQUIRED, sizes(nd, 1)), Param("stride", None, sizes(nd, 1)),
           Param("padding", 0, sizes(nd, 0))]
    if is_max:
        sig += [Param("dilation", 1, sizes(nd, 1)), Param("return_indices", False, boolean),
                Param("ceil_mode", False, boolean)]
    else:
        sig += [Param("ceil_mode", False, boolean), Param("count_include_pad", True, boolean)]
        if nd == 2:
            sig.append(Param("divisor_override", None, positive))
    return sig


def adaptive_sig(nd: int) -> list[Param]:
    return [Param("output_size", REQUIRED, sizes_or_none(nd))]
