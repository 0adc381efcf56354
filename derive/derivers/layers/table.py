"""The table of layer kinds: PyTorch's name -> family class, signature, attributes.

In: nothing (data), and `make_layer(kind, args, kwargs, node)` for a constructor call.
Out: `LAYERS` (kind -> (class, signature, attributes such as accepted ranks)), `CLASSES`
(one class per kind) and the `@builtin` registration of every kind, so that
`layer conv = Conv1d(3, 5, 7)` builds a checked `Layer`.
"""
from __future__ import annotations

import sympy as sp

from ... import ast
from ...model.builtins import builtin
from .args import REQUIRED, Param, boolean, integer, number, positive, shape_arg
from .base import Layer
from .conv import Conv, ConvTranspose, conv_sig, conv_transpose_sig
from .linear import Dropout, Embedding, Flatten, Linear
from .norm import BatchNorm, LayerNorm
from .pool import AdaptiveAvgPool, Pool, adaptive_sig, pool_sig
from .recurrent import SIGS as RNN_SIGS, Recurrent
from .transformer import SIGS as BLOCK_SIGS, MultiheadAttention, TransformerDecoder, TransformerLayer

_EPS = sp.Rational(1, 100000)
_HW = {"nd": 2, "spatial_names": ("H", "W")}
_BN = [Param("num_features", REQUIRED, positive), Param("eps", _EPS, number(0, open_lo=True)),
       Param("momentum", sp.Rational(1, 10), number(0, 1)), Param("affine", True, boolean),
       Param("track_running_stats", True, boolean), Param("bias", True, boolean, kwonly=True)]

LAYERS: dict[str, tuple[type, list[Param], dict]] = {
    "Linear": (Linear, Linear.SIG, {}),
    "Conv1d": (Conv, conv_sig(1), {"ranks": (2, 3)}),
    "Conv2d": (Conv, conv_sig(2), {"ranks": (3, 4), **_HW}),
    "ConvTranspose1d": (ConvTranspose, conv_transpose_sig(1), {"ranks": (2, 3)}),
    "ConvTranspose2d": (ConvTranspose, conv_transpose_sig(2), {"ranks": (3, 4), **_HW}),
    "MaxPool1d": (Pool, pool_sig(1, True), {"ranks": (2, 3)}),
    "MaxPool2d": (Pool, pool_sig(2, True), {"ranks": (3, 4), **_HW}),
    "AvgPool1d": (Pool, pool_sig(1, False), {"ranks": (2, 3)}),
    "AvgPool2d": (Pool, pool_sig(2, False), {"ranks": (3, 4), **_HW}),
    "AdaptiveAvgPool1d": (AdaptiveAvgPool, adaptive_sig(1), {"ranks": (2, 3)}),
    "AdaptiveAvgPool2d": (AdaptiveAvgPool, adaptive_sig(2), {"ranks": (3, 4), **_HW}),
    "Flatten": (Flatten, [Param("start_dim", 1, integer), Param("end_dim", -1, integer)], {}),
    "Embedding": (Embedding, [Param("num_embeddings", REQUIRED, positive), Param("embedding_dim", REQUIRED, positive),
                              Param("padding_idx", None, integer), Param("max_norm", None, number(0, open_lo=True)),
                              Param("norm_type", 2, number(0, open_lo=True)),
                              Param("scale_grad_by_freq", False, boolean), Param("sparse", False, boolean)], {}),
    "BatchNorm1d": (BatchNorm, _BN, {"ranks": (2, 3)}),
    "BatchNorm2d": (BatchNorm, _BN, {"ranks": (4,)}),
    "LayerNorm": (LayerNorm, [Param("normalized_shape", REQUIRED, shape_arg), Param("eps", _EPS, number(0, open_lo=True)),
                              Param("elementwise_affine", True, boolean), Param("bias", True, boolean)], {}),
    "Dropout": (Dropout, [Param("p", sp.Rational(1, 2), number(0, 1)), Param("inplace", False, boolean)], {}),
    **{kind: (Recurrent, sig, {}) for kind, sig in RNN_SIGS.items()},
    "MultiheadAttention": (MultiheadAttention, BLOCK_SIGS["MultiheadAttention"], {}),
    "TransformerEncoderLayer": (TransformerLayer, BLOCK_SIGS["TransformerEncoderLayer"], {}),
    "TransformerDecoderLayer": (TransformerDecoder, BLOCK_SIGS["TransformerDecoderLayer"], {}),
}
# one class per kind, carrying its rank and spatial attributes
CLASSES: dict[str, type] = {kind: type(kind, (cls,), dict(attrs)) for kind, (cls, _, attrs) in LAYERS.items()}


def make_layer(kind: str, args: list, kwargs: dict, node: ast.Call) -> Layer:
    """The layer `kind(*args, **kwargs)`, arguments checked (SpecError at the bad one)."""
    from .args import Args
    _, sig, _ = LAYERS[kind]
    bound = Args(kind, sig, args, kwargs, node)
    if "stride" in bound.values and bound["stride"] is None:
        bound.values["stride"] = bound["kernel_size"]
    return CLASSES[kind](kind, bound, node.pos)


def _register(kind: str) -> None:
    cls, sig, _ = LAYERS[kind]

    @builtin(kind, nargs=(0, 99), kwargs=tuple(p.name for p in sig), tuples=True,
             doc=f"torch.nn.{kind}: " + (cls.__doc__ or "").strip().split("\n")[0])
    def construct(ev, args, kwargs, node):
        return make_layer(kind, args, kwargs, node)


for _kind in LAYERS:
    _register(_kind)
