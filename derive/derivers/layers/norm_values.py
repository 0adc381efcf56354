"""Forward values of BatchNorm1d/2d, LayerNorm and Embedding, exactly, with their steps.

In: the layer (checked constructor arguments: eps, affine flags, and the extensions
`weight =` (γ, or an Embedding's table), `bias =` (β), `training =`, `running_mean =`,
`running_var =`) and an explicit input.  Out: `norm_values(layer, x, dims, node)` (the
output array) and `norm_steps(layer, call, x, value)` (the steps: the mode assumed, each
group's mean and biased variance, each group's output, every chain checked).

PyTorch's rules: a BatchNorm normalises each channel over the batch and the spatial
positions, y = (x − μ)/√(σ² + ε)·γ + β with σ² the biased variance; a freshly constructed
module is in training mode and uses the batch's statistics (derive's default; `training =
false` uses the running statistics, 0 and 1 for a fresh module, unless
track_running_stats = false, when PyTorch uses the batch's statistics in both modes);
training on one value per channel is PyTorch's error.  A LayerNorm normalises over the
trailing `normalized_shape` dims of each sample.  γ = 1 and β = 0 unless given (PyTorch's
initialisation).  The square roots stay exact (sympy radicals).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sympy as sp

from ...errors import SpecError
from ...sentence import Code, Math, say
from ...steps import Step, make_step
from .arrays import to_array

if TYPE_CHECKING:  # pragma: no cover - numpy is imported where values are computed (it costs 0.1 s)
    import numpy as np


def _vector(v: Any, n: int, default: int, what: str, layer: Any) -> np.ndarray:
    """γ, β or a running statistic as n numbers (the default when not given)."""
    import numpy as np
    if v is None or isinstance(v, bool):
        return np.array([sp.Integer(default)] * n, dtype=object)
    a = to_array(v, 1)
    if a is None or a.size != n:
        raise SpecError(f"the {what} of {layer.who()} must have {n} entries",
                        layer.args.pos(what.split()[0], layer.pos))
    return a.reshape(-1)


def _groups(layer: Any, x: np.ndarray) -> tuple[np.ndarray, tuple]:
    """x as (groups, m) rows normalised together, and how to put the rows back."""
    import numpy as np
    if layer.kind.startswith("BatchNorm"):
        moved = np.moveaxis(x, 1, 0)
        return moved.reshape(moved.shape[0], -1), moved.shape
    k = len(layer.args["normalized_shape"])
    lead = x.shape[:x.ndim - k]
    return x.reshape(int(np.prod(lead, dtype=int)), -1), x.shape


def _ungroup(layer: Any, rows: np.ndarray, shape: tuple) -> np.ndarray:
    import numpy as np
    if layer.kind.startswith("BatchNorm"):
        return np.moveaxis(rows.reshape(shape), 0, 1)
    return rows.reshape(shape)


def uses_batch_stats(layer: Any) -> bool:
    a = layer.args.values
    return a.get("training", True) or not a["track_running_stats"]


def statistics(layer: Any, rows: np.ndarray) -> tuple[list, list]:
    """(means, biased variances) of each row, or the running statistics."""
    if layer.kind.startswith("BatchNorm") and not uses_batch_stats(layer):
        n = rows.shape[0]
        return (list(_vector(layer.args.values.get("running_mean"), n, 0, "running_mean", layer)),
                list(_vector(layer.args.values.get("running_var"), n, 1, "running_var", layer)))
    m = rows.shape[1]
    means = [sp.Add(*r) / m for r in rows]
    return means, [sp.Add(*[(v - mu) ** 2 for v in r]) / m for r, mu in zip(rows, means)]


def _affine(layer: Any, n: int, rows_per: int) -> tuple[np.ndarray, np.ndarray]:
    """γ and β per entry of a row (LayerNorm) or per row (BatchNorm), PyTorch's 1 and 0 by default."""
    a = layer.args.values
    affine = a.get("affine", a.get("elementwise_affine", True))
    w = a.get("weight") if affine else None
    b = a.get("bias") if affine and not isinstance(a.get("bias"), bool) else None
    return _vector(w, n, 1, "weight (γ)", layer), _vector(b, n, 0, "bias (β)", layer)


def norm_values(layer: Any, x: Any, dims: tuple, node: Any) -> Any:
    """The normalised output array of an explicit input x of PyTorch shape dims."""
    xa = to_array(x, 2)
    if xa is None:
        return None
    import numpy as np
    xa = xa.reshape(dims)
    rows, shape = _groups(layer, xa)
    if layer.kind.startswith("BatchNorm") and uses_batch_stats(layer) and rows.shape[1] == 1:
        raise SpecError(f"{layer.who()} in training mode needs more than 1 value per channel (PyTorch's error), "
                        f"but its input has shape {tuple(dims)}", node.args[0].pos if node is not None else layer.pos)
    means, vars_ = statistics(layer, rows)
    eps = layer.args["eps"]
    out = np.empty(rows.shape, dtype=object)
    if layer.kind.startswith("BatchNorm"):
        g, b = _affine(layer, rows.shape[0], 1)
        for c in range(rows.shape[0]):
            for j in range(rows.shape[1]):
                out[c, j] = (rows[c, j] - means[c]) / sp.sqrt(vars_[c] + eps) * g[c] + b[c]
    else:
        g, b = _affine(layer, rows.shape[1], rows.shape[0])
        for r in range(rows.shape[0]):
            for j in range(rows.shape[1]):
                out[r, j] = (rows[r, j] - means[r]) / sp.sqrt(vars_[r] + eps) * g[j] + b[j]
    return _ungroup(layer, out, shape)


def _row(vals) -> sp.ImmutableMatrix:
    return sp.ImmutableMatrix(1, len(vals), list(vals))


def norm_steps(layer: Any, name: str, x: Any, dims: tuple) -> list[Step]:
    """The mode assumed, then per group: μ, σ² and the normalised entries, each checked."""
    xa = to_array(x, 2)
    if xa is None:
        return []
    xa = xa.reshape(dims)
    rows, _ = _groups(layer, xa)
    means, vars_ = statistics(layer, rows)
    eps = layer.args["eps"]
    bn = layer.kind.startswith("BatchNorm")
    g, b = _affine(layer, rows.shape[0] if bn else rows.shape[1], 1)
    steps = [make_step("assumption", mode_sentence(layer, name), check=False)]
    m = rows.shape[1]
    for r in range(rows.shape[0]):
        mu, var = sp.Symbol(f"mu_{r + 1}"), sp.Symbol(f"sigma_{r + 1}") ** 2
        what = f"channel {r + 1}" if bn else f"group {r + 1} (sample {r + 1})"
        sub = []
        if not bn or uses_batch_stats(layer):
            with sp.evaluate(False):
                mean_f = sp.Mul(sp.Add(*rows[r]), sp.Pow(sp.Integer(m), -1))
                var_f = sp.Mul(sp.Add(*[sp.Pow(sp.Add(v, -means[r]), 2) for v in rows[r]]), sp.Pow(sp.Integer(m), -1))
            sub.append(make_step("mean", say("The mean of the ", Math(sp.Integer(m)), " values of ", what, ":"),
                                 mu, mean_f, means[r], where={mu: means[r]}))
            sub.append(make_step("variance", say("Their biased variance (divided by ", Math(sp.Integer(m)),
                                                 ", as PyTorch normalises):"), var, var_f, vars_[r],
                                 where={var: vars_[r]}))
        y = sp.MatrixSymbol(f"y_{r + 1}", 1, m)
        gam, bet = (g[r], b[r]) if bn else (sp.diag(*g), _row(b))
        with sp.evaluate(False):
            scale = sp.Pow(sp.sqrt(sp.Add(vars_[r], eps)), -1)
            num = sp.MatAdd(_row(rows[r]), _row([-means[r]] * m))
            formula = sp.MatAdd(sp.MatMul(scale, num, gam) if not bn else sp.MatMul(scale * gam, num),
                                bet if not bn else _row([bet] * m))
        value = _row([(v - means[r]) / sp.sqrt(vars_[r] + eps) * (g[r] if bn else g[j]) + (b[r] if bn else b[j])
                      for j, v in enumerate(rows[r])])
        sub.append(make_step("normalise", say("The normalised values of ", what, ", (x − μ)/√(σ² + ε)·γ + β with ",
                                              Math(sp.Symbol("epsilon")), " = ", Math(eps), ":"),
                             y, formula, value, where={y: value}))
        steps.append(make_step("normalise_group", say("The ", what, ":"), substeps=sub, check=False))
    return steps


def mode_sentence(layer: Any, name: str):
    """The assumption about the mode, stated (PyTorch's default for a fresh module)."""
    if not layer.kind.startswith("BatchNorm"):
        return say("Layer normalisation of ", Code(name), " over its last ",
                   Math(sp.Integer(len(layer.args["normalized_shape"]))), " dimension(s), each sample on its own "
                   "(γ = 1 and β = 0 unless given, PyTorch's initial values).")
    if uses_batch_stats(layer):
        return say("Assumed: ", Code(name), " is in training mode, the state of a freshly constructed PyTorch "
                   "module, so it normalises each channel with the mean and biased variance of this batch "
                   "(over the batch and every position); the running statistics are only updated. γ = 1 and "
                   "β = 0 unless given. Say ", Code("training = false"), " for evaluation mode.")
    return say("Assumed (", Code("training = false"), "): ", Code(name), " is in evaluation mode and normalises "
               "with its running statistics (mean 0 and variance 1 for a fresh module unless given).")
