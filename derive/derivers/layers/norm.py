"""BatchNorm1d/2d and LayerNorm: shape kept, γ and β the trainable tensors.

In: the checked constructor arguments.  Out: `BatchNorm` (input (N, C) or (N, C, L) for
1d, (N, C, H, W) for 2d; weight and bias of length C when affine) and `LayerNorm` (the
trailing dims must equal normalized_shape; weight and bias of that shape).
"""
from __future__ import annotations

import sympy as sp

from ...errors import SpecError
from ...sentence import say
from .base import Layer, ParamInfo, ShapeLine, Sym, eq, mismatch
from .values import dims_of, show_dims


class BatchNorm(Layer):
    """BatchNorm1d (input (N, C) or (N, C, L)) / BatchNorm2d ((N, C, H, W)); γ, β of length C."""

    def params(self):
        a = self.args
        if not a["affine"]:
            return []
        C = Sym("C")
        where = ((C, a["num_features"]),)
        out = [ParamInfo("weight", (a["num_features"],), C, where)]
        if a["bias"]:
            out.append(ParamInfo("bias", (a["num_features"],), C, where))
        return out

    def out_dims(self, dims, node):
        c = dims[1]
        if not eq(c, self.args["num_features"]):
            raise mismatch(self, "num_features =", self.args["num_features"], c, dims, node.args[0])
        return tuple(dims), [ShapeLine(say("Batch normalisation keeps the shape (channels are dimension 1)."))]


class LayerNorm(Layer):
    """LayerNorm(normalized_shape): the trailing dims must equal normalized_shape; shape kept."""

    def params(self):
        a = self.args
        if not a["elementwise_affine"]:
            return []
        shape = a["normalized_shape"]
        syms = [Sym(f"D_{i + 1}") for i in range(len(shape))] if len(shape) > 1 else [Sym("D")]
        formula = sp.Mul(*syms, evaluate=False) if len(syms) > 1 else syms[0]
        where = tuple(zip(syms, shape))
        out = [ParamInfo("weight", tuple(shape), formula, where)]
        if a["bias"]:
            out.append(ParamInfo("bias", tuple(shape), formula, where))
        return out

    def input_dims(self, x, node):
        return dims_of(x, len(self.args["normalized_shape"]))

    def out_dims(self, dims, node):
        shape = self.args["normalized_shape"]
        tail = dims[-len(shape):] if len(dims) >= len(shape) else ()
        if len(tail) != len(shape) or not all(eq(a, b) for a, b in zip(tail, shape)):
            raise SpecError(f"`{self.name or self.kind}` (LayerNorm) normalizes over the last dimensions "
                            f"{show_dims(tuple(shape))}, but its input has shape {show_dims(dims)}", node.args[0].pos)
        return tuple(dims), [ShapeLine(say("Layer normalisation keeps the shape."))]
