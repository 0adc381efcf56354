"""Pooling: MaxPool/AvgPool 1d/2d (sliding windows) and AdaptiveAvgPool 1d/2d.

In: the checked constructor arguments.  Out: `Pool` (channels and batch pass through,
spatial sizes by the window formula; values of an explicit (C, L) matrix for the 1-D
pools) and `AdaptiveAvgPool` (spatial sizes become output_size; window i averages
entries ⌊iL/n⌋ .. ⌈(i + 1)L/n⌉ − 1, as PyTorch).
"""
from __future__ import annotations

import sympy as sp

from ...sentence import Code, Rel, say
from .arrays import from_array, pool, to_array
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
        """The pooled values of an explicit input (any batch and channel dimensions)."""
        xa = to_array(x, min(self.ranks))
        if xa is None:
            return None
        a = self.args
        out, _ = self.out_dims(dims, node)
        d = a["dilation"] if "dilation" in a.values else (1,) * self.nd
        res = pool(xa.reshape(dims), a["kernel_size"], a["stride"], a["padding"], d, tuple(out[-self.nd:]),
                   is_max=self.kind.startswith("Max"), count_include_pad=a.values.get("count_include_pad", True),
                   divisor=a.values.get("divisor_override"))
        return from_array(res)


def adaptive_window(i: int, L: int, n: int) -> tuple[int, int]:
    """PyTorch's window of output i of n over a length L: [⌊iL/n⌋, ⌈(i + 1)L/n⌉)."""
    return (i * L) // n, -(-(i + 1) * L // n)


class AdaptiveAvgPool(Layer):
    """AdaptiveAvgPool1d / AdaptiveAvgPool2d(output_size): the spatial sizes become
    output_size (None keeps a size); channels and batch pass through; no parameters."""

    def out_dims(self, dims, node):
        size = self.args["output_size"]
        lead, ins = dims[:-self.nd], dims[-self.nd:]
        out = tuple(sp.sympify(L, strict=True) if n is None else sp.Integer(n) for n, L in zip(size, ins))
        lines = [ShapeLine(say(passes_through(lead), "."))]
        for i, o in enumerate(out):
            nm = self.spatial_names[i] if self.nd > 1 else "L"
            lines.append(ShapeLine(say(Code("output_size"), " sets the size: ",
                                       Rel(Sym(f"{nm}_out"), "=", o, kind="definition"), ".")))
        return tuple(lead) + out, lines

    def values(self, x, dims, node):
        """The averages of PyTorch's adaptive windows, for an explicit input."""
        xa = to_array(x, min(self.ranks))
        if xa is None:
            return None
        import numpy as np
        out, _ = self.out_dims(dims, node)
        xa = xa.reshape(dims)
        sizes = xa.shape[-self.nd:]
        lead = xa.shape[:-self.nd]
        res = np.empty(lead + tuple(int(n) for n in out[-self.nd:]), dtype=object)
        for idx in np.ndindex(*res.shape):
            o = idx[len(lead):]
            win = [adaptive_window(i, L, int(n)) for i, L, n in zip(o, sizes, out[-self.nd:])]
            block = xa[idx[:len(lead)] + tuple(slice(lo, hi) for lo, hi in win)]
            res[idx] = sp.Add(*block.reshape(-1)) / block.size
        return from_array(res)


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
