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
from .args import Args, boolean, integer, number, Param, positive, REQUIRED, shape_arg
from .base import Layer
from .conv import Conv, ConvTranspose, conv_sig, conv_transpose_sig, optional_array, tensor_or_boolean
from .linear import Dropout, Embedding, Flatten, Linear
from .norm import BatchNorm, LayerNorm
from .pool import AdaptiveAvgPool, Pool, adaptive_sig, pool_sig
from .recurrent import SIGS as RNN_SIGS, Recurrent
from .transformer import SIGS as BLOCK_SIGS, MultiheadAttention, TransformerDecoder, TransformerLayer

_EPS = sp.Rational(1, 100000)
_HW = {"nd": 2, "spatial_names": ("H", "W")}
_VALUES = [Param("weight", None, optional_array, kwonly=True)]     # derive's extension: concrete values
_BN = [Param("num_features", REQUIRED, positive), Param("eps", _EPS, number(0, open_lo=True)),
       Param("momentum", sp.Rational(1, 10), number(0, 1)), Param("affine", True, boolean),
       Param("track_running_stats", True, boolean), Param("bias", True, tensor_or_boolean, kwonly=True),
       *_VALUES, Param("training", True, boolean, kwonly=True),
       Param("running_mean", None, optional_array, kwonly=True), Param("running_var", None, optional_array, kwonly=True)]

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
                              Param("scale_grad_by_freq", False, boolean), Param("sparse", False, boolean),
                              *_VALUES], {}),
    "BatchNorm1d": (BatchNorm, _BN, {"ranks": (2, 3)}),
    "BatchNorm2d": (BatchNorm, _BN, {"ranks": (4,)}),
    "LayerNorm": (LayerNorm, [Param("normalized_shape", REQUIRED, shape_arg), Param("eps", _EPS, number(0, open_lo=True)),
                              Param("elementwise_affine", True, boolean), Param("bias", True, tensor_or_boolean),
                              *_VALUES], {}),
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
    _, sig, _ = LAYERS[kind]
    bound = Args(kind, sig, args, kwargs, node)
    if "stride" in bound.values and bound["stride"] is None:
        bound.values["stride"] = bound["kernel_size"]
    return CLASSES[kind](kind, bound, node.pos)


# One line per kind for `derive goals`.
DOCS = {
    "Linear": "y = x Wᵀ + b: (*, in_features) -> (*, out_features)",
    "Conv1d": "(N, C_in, L) or (C_in, L) -> (N, C_out, L_out)",
    "Conv2d": "(N, C_in, H, W) or (C_in, H, W) -> (N, C_out, H_out, W_out)",
    "ConvTranspose1d": "the transposed convolution: L_out = (L − 1)s − 2p + d(k − 1) + output_padding + 1",
    "ConvTranspose2d": "the transposed convolution over (H, W), the 1-d rule per dimension",
    "MaxPool1d": "the maximum over sliding windows; channels and batch pass through",
    "MaxPool2d": "the maximum over sliding (h, w) windows; channels and batch pass through",
    "AvgPool1d": "the mean over sliding windows; channels and batch pass through",
    "AvgPool2d": "the mean over sliding (h, w) windows; channels and batch pass through",
    "AdaptiveAvgPool1d": "the mean over PyTorch's windows, to a length of output_size",
    "AdaptiveAvgPool2d": "the mean over PyTorch's windows, to an (H, W) of output_size",
    "Flatten": "the dimensions start_dim..end_dim multiplied into one",
    "Embedding": "indices of shape (*) -> (*, embedding_dim)",
    "BatchNorm1d": "normalises (N, C) or (N, C, L) per channel; γ, β of length C",
    "BatchNorm2d": "normalises (N, C, H, W) per channel; γ, β of length C",
    "LayerNorm": "normalises over the trailing normalized_shape; γ, β of that shape",
    "Dropout": "the identity at evaluation; no parameters",
    "RNN": "(L, N, input_size) -> (output, h_n); 1·(h·i + h·h + 2h) parameters a layer",
    "LSTM": "(L, N, input_size) -> (output, (h_n, c_n)); 4·(h·i + h·h + 2h) parameters a layer",
    "GRU": "(L, N, input_size) -> (output, h_n); 3·(h·i + h·h + 2h) parameters a layer",
    "MultiheadAttention": "mha(query, key, value) -> (attn_output, attn_weights)",
    "TransformerEncoderLayer": "self-attention and a feed-forward block; enc(src) keeps its shape",
    "TransformerDecoderLayer": "self-attention, cross-attention, feed-forward; dec(tgt, memory) has tgt's shape",
}


def _register(kind: str) -> None:
    _, sig, _ = LAYERS[kind]

    @builtin(kind, nargs=(0, 99), kwargs=tuple(p.name for p in sig), tuples=True,
             doc=f"torch.nn.{kind}: {DOCS[kind]}")
    def construct(ev, args, kwargs, node):
        return make_layer(kind, args, kwargs, node)


for _kind in LAYERS:
    _register(_kind)
