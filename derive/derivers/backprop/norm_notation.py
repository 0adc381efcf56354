"""The notation of backprop through BatchNorm1d/2d, LayerNorm and Embedding, as sympy objects.

In: tensors as shown in steps (derive.derivers.backprop.layer_notation: matrices, Tuples of
matrices, or symbols bound to them) and settings (a LayerRef to the layer, Tuples of ints).
Out: display operators that also compute, so that a chain is checked by evaluating them
another way than the backward sweep (derive.derivers.layers.norm_grads):
`Standardize` (x̂ = (x − μ)/√(σ² + ε) per group, the variance computed as the mean of the
squares minus the squared mean), `NormGrad` (∂L/∂X = Jᵀ ĝ through the Jacobian of x̂),
`AxisSum` (a sum over some dimensions: ∂L/∂γ, ∂L/∂β) and `IndexAdd` (an Embedding weight's
gradient, row by row: the positions holding each index).
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from ..layers import norm_grads
from ..layers.grads import zeros
from ..layers.norm_values import _groups, _ungroup, statistics
from .layer_notation import Op


def _ints(t: Any) -> tuple:
    return tuple(int(v) for v in t)


class Standardize(Op):
    """standardize(X): every group of X (a sample's trailing dims, or a channel) less its mean,
    divided by √(σ² + ε); with given running statistics for a BatchNorm in evaluation mode."""

    shown, head_latex, word = 1, r"\operatorname{standardize}", "standardize"

    def compute(self, arrays, settings):
        ref, dims = settings
        layer = ref.layer
        rows, shape = _groups(layer, arrays[0].reshape(_ints(dims)))
        m = rows.shape[1]
        if norm_grads.batch_statistics(layer):
            means = [sp.Add(*r) / m for r in rows]
            vars_ = [sp.Add(*[v ** 2 for v in r]) / m - mu ** 2 for r, mu in zip(rows, means)]
        else:
            means, vars_ = statistics(layer, rows)
        out = zeros(rows.shape)
        for r in range(rows.shape[0]):
            scale = sp.sqrt(vars_[r] + layer.args["eps"])
            for j in range(m):
                out[r, j] = norm_grads.tidy((rows[r, j] - means[r]) / scale)
        return _ungroup(layer, out, shape)


class NormGrad(Op):
    """normgrad(X, G, γ): ∂L/∂X of a norm layer with input X and upstream gradient G, computed
    through the Jacobian of x̂ (each x moves its group's μ and σ² too)."""

    shown, head_latex, word = 3, r"\operatorname{normgrad}", "normgrad"

    def compute(self, arrays, settings):
        x, g, gamma = arrays
        ref, dims = settings
        d = _ints(dims)
        return norm_grads.norm_input_by_jacobian(ref.layer, x.reshape(d), g.reshape(d), gamma)


class AxisSum(Op):
    """sum_{dims}(T): T summed over the listed dimensions (0-based, as PyTorch counts)."""

    shown = 1

    @property
    def word(self):
        return "sum_" + ",".join(str(int(a)) for a in self.args[1])

    @property
    def head_latex(self):
        return r"\operatorname{sum}_{%s}" % ",".join(str(int(a)) for a in self.args[1])

    def compute(self, arrays, settings):
        axes, dims = settings
        return norm_grads.axis_sum(arrays[0].reshape(_ints(dims)), _ints(axes))


class IndexAdd(Op):
    """index_add(I, G): the gradient of an Embedding's weight; row i is the sum of G's rows
    at the positions where I holds i (0 for the padding row; divided by the count of i
    with scale_grad_by_freq)."""

    shown, head_latex, word = 2, r"\operatorname{index\_add}", "index_add"

    def compute(self, arrays, settings):
        idx, g = arrays
        n, pad, scale, dims = settings
        d = _ints(dims)
        return norm_grads.embedding_gather(idx.reshape(d[:-1]), g.reshape(d), int(n),
                                           None if int(pad) < 0 else int(pad), bool(scale))
