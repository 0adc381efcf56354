"""Neural-network layers with PyTorch's constructor signatures and shape rules.

In: `layer conv = Conv1d(in_channels = 3, out_channels = 5, kernel_size = 7)` (positional
or keyword arguments exactly as `torch.nn` takes them; `(3, 5)` tuples for 2-D sizes) and
calls `conv(x)` on a shape-only input (`input x : (12, 3, 100)`) or a concrete tensor.
Out: a `Layer` object bound to the name; a call gives the output: explicit values where
they are known (Linear with concrete `weight =`/`bias =` tensors, pooling of an explicit
(C, L) matrix, Flatten, Dropout), otherwise a shape-only result; a layer with several
outputs (RNN, LSTM, GRU, MultiheadAttention) gives a list of them, PyTorch's tuple.

Arguments PyTorch accepts but that change neither shapes nor parameter counts
(`padding_mode`, `eps`, `momentum`, `dropout`, ...) are accepted and checked; wrong or
missing arguments are SpecErrors at the argument.

The package, one concern a module: `args` (signatures, argument checking), `values`
(shape-only values, PyTorch shapes), `base` (the Layer protocol), the families `linear`,
`window`/`conv`/`pool`, `norm`, `recurrent`, `transformer`, `table` (kind -> class and
signature, builtin registration), `network` (what an expression uses), and the goals
`count` (`params`, `shapes`) and `shape`.
"""
from __future__ import annotations

from .args import REQUIRED, Args, Param
from .base import CountSymbol, Layer, Outputs, ParamInfo, ShapeLine, count_symbol
from .count import count_params, params, shapes
from .network import collect, layer_bindings
from .shape import shape
from .table import CLASSES, LAYERS, make_layer
from .values import LayerApply, LayerRef, dims_of, shape_only, show_dims

__all__ = ["REQUIRED", "Args", "Param", "CountSymbol", "Layer", "Outputs", "ParamInfo", "ShapeLine",
           "count_symbol", "count_params", "params", "shapes", "collect", "layer_bindings", "shape", "CLASSES",
           "LAYERS", "make_layer", "LayerApply", "LayerRef", "dims_of", "shape_only", "show_dims"]
