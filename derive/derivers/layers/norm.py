"""BatchNorm1d/2d and LayerNorm: shape kept, γ and β the trainable tensors.

In: the checked constructor arguments.  Out: `BatchNorm` (input (N, C) or (N, C, L) for
1d, (N, C, H, W) for 2d; weight and bias of length C when affine) and `LayerNorm` (the
trailing dims must equal normalized_shape; weight and bias of that shape).
"""
from __future__ import annotations

import sympy as sp

from ...errors import SpecError
from ...sentence import say
from ...steps import make_step
from .arrays import from_array
from .base import Layer, ParamInfo, ShapeLine, Sym, eq, mismatch
from .norm_values import norm_steps, norm_values
from .values import dims_of, show_dims


class Normalising(Layer):
    """The values of a norm layer (derive.derivers.layers.norm_values) and their steps."""

    def values(self, x, dims, node):
        out = norm_values(self, x, dims, node)
        return None if out is None else from_array(out)

    def explain(self, name: str, x, dims) -> list:
        """The steps of the values (norm_values), then the output as decimals."""
        steps = norm_steps(self, name, x, dims)
        out = self.values(x, dims, None)
        if isinstance(out, sp.MatrixBase) and any(not e.is_Rational for e in out):
            approx = out.applyfunc(lambda e: sp.Float(sp.N(e, 15), 6))
            steps.append(make_step("decimal", say("As decimals:"), out, approx, relation="≈"))
        return steps


class BatchNorm(Normalising):
    """BatchNorm1d (input (N, C) or (N, C, L)) / BatchNorm2d ((N, C, H, W)); γ, β of length C."""

    def params(self):
        a = self.args
        if not a["affine"]:
            return []
        C = Sym("C")
        where = ((C, a["num_features"]),)
        out = [ParamInfo("weight", (a["num_features"],), C, where)]
        if a["bias"] is not False:
            out.append(ParamInfo("bias", (a["num_features"],), C, where))
        return out

    def out_dims(self, dims, node):
        c = dims[1]
        if not eq(c, self.args["num_features"]):
            raise mismatch(self, "num_features =", self.args["num_features"], c, dims, node.args[0])
        return tuple(dims), [ShapeLine(say("Batch normalisation keeps the shape (channels are dimension 1)."))]


class LayerNorm(Normalising):
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
        if a["bias"] is not False:
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
