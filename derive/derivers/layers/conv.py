"""Conv1d/Conv2d and ConvTranspose1d/ConvTranspose2d: PyTorch's shape rules and weights.

In: the checked constructor arguments.  Out: `Conv` ((N, C_in, *spatial) or (C_in,
*spatial) -> (…, C_out, *spatial_out), weight (C_out, C_in/g, *k)) and `ConvTranspose`
(weight (C_in, C_out/g, *k), L_out = (L_in − 1)s − 2p + d(k − 1) + output_padding + 1).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sympy as sp

from ... import unevaluated
from ...errors import SpecError
from ...model.expressions import Seq, is_tensor
from ...sentence import Math, Rel, say
from .args import REQUIRED, Param, boolean, choice, padding_arg, positive, sizes
from .base import Layer, ParamInfo, ShapeLine, Sym, eq, mismatch
from .arrays import correlate, from_array, to_array
from .values import show_dims
from .window import Windowed, _defs

if TYPE_CHECKING:  # pragma: no cover - numpy is imported where values are computed (it costs 0.1 s)
    import numpy as np


def _check_groups(args, pos) -> None:
    cin, cout, g = args["in_channels"], args["out_channels"], args["groups"]
    if cin % g:
        raise SpecError(f"in_channels = {cin} must be divisible by groups = {g}", args.pos("groups", pos))
    if cout % g:
        raise SpecError(f"out_channels = {cout} must be divisible by groups = {g}", args.pos("groups", pos))


def _weight(layer: Layer, first: int, second: int, per_sym: Any) -> list[ParamInfo]:
    """weight (first, second/g, *k) (+ bias (C_out)) with the count formula in symbols."""
    a = layer.args
    cin, cout, g, k = a["in_channels"], a["out_channels"], a["groups"], a["kernel_size"]
    Ci, Co, G = Sym("C_in"), Sym("C_out"), Sym("g")
    ks = [Sym("k")] if layer.nd == 1 else [Sym("k_h"), Sym("k_w")]
    other = Co if per_sym is Ci else Ci
    per = sp.Mul(per_sym, sp.Pow(G, -1, evaluate=False), evaluate=False) if g != 1 else per_sym
    formula = sp.Mul(other, per, *ks, evaluate=False)
    where = tuple([(Ci, cin), (Co, cout), (G, g)] + list(zip(ks, k)))
    out = [ParamInfo("weight", (first, second // g) + tuple(k), formula, where)]
    if a["bias"] is not False:
        out.append(ParamInfo("bias", (cout,), Co, where))
    return out


def _channels(layer: Layer, dims: tuple, node) -> tuple[tuple, list[ShapeLine]]:
    """The leading dims and the channel line, after checking the input's channels."""
    cin, cout = layer.args["in_channels"], layer.args["out_channels"]
    c = dims[-layer.nd - 1]
    if not eq(c, cin):
        raise mismatch(layer, "in_channels =", cin, c, dims, node.args[0])
    lead = dims[:-layer.nd - 1]
    text = say("Channels: in_channels = ", Math(sp.sympify(c, strict=True)), " becomes out_channels = ", Math(sp.Integer(cout)))
    if lead:
        text = say(text, "; the batch size ", Math(sp.sympify(lead[0], strict=True)), " passes through")
    return tuple(lead), [ShapeLine(say(text, "."))]


def given_weight(layer: Layer) -> np.ndarray | None:
    """The layer's `weight =` as an array of its PyTorch shape (dims of size 1 may be left
    out: a Conv1d kernel of one input channel may be a vector), None if not given or not
    explicit; a SpecError if its shape is not the layer's."""
    w = layer.args["weight"]
    if w is None:
        return None
    want = layer.weight_dims()
    wa = to_array(w, 2)
    if wa is None:
        return None
    if wa.shape != want and [n for n in wa.shape if n != 1] == [n for n in want if n != 1]:
        wa = wa.reshape(want)
    if wa.shape != want:
        raise SpecError(f"the weight of {layer.who()} must have shape {show_dims(want)} "
                        f"(out_channels, in_channels / groups, *kernel_size), not {show_dims(wa.shape)}",
                        layer.args.pos("weight", layer.pos))
    return wa


class Conv(Windowed):
    """Conv1d / Conv2d: (N, C_in, *spatial) or (C_in, *spatial) -> (…, C_out, *spatial_out)."""

    def __init__(self, kind, args, pos):
        super().__init__(kind, args, pos)
        _check_groups(args, pos)
        b = args["bias"]
        if args["weight"] is not None and b is True:
            raise SpecError("with a concrete weight, give the bias too (`bias = b`), or `bias = false`",
                            args.pos("weight", pos))
        if is_tensor(b) and b.shape[0] * b.shape[1] != args["out_channels"]:
            raise SpecError(f"the bias of {kind} must have out_channels = {args['out_channels']} entries, not "
                            f"{b.shape[0] * b.shape[1]}", args.pos("bias", pos))
        given_weight(self)
        if args["padding"] == "same" and any(s != 1 for s in args["stride"]):
            raise SpecError('padding="same" is not supported for strided convolutions (PyTorch refuses it)',
                            args.pos("padding", pos))

    def params(self):
        a = self.args
        return _weight(self, a["out_channels"], a["in_channels"], Sym("C_in"))

    def weight_dims(self) -> tuple:
        a = self.args
        return (a["out_channels"], a["in_channels"] // a["groups"]) + tuple(a["kernel_size"])

    def values(self, x, dims, node):
        """The output with numbers, when the input and `weight =` (and `bias =`) are explicit."""
        w = given_weight(self)
        xa = to_array(x, 2) if w is not None else None
        if w is None or xa is None or not self.zero_padded():
            return None
        import numpy as np
        b = self.args["bias"]
        ba = to_array(b).reshape(-1) if is_tensor(b) else None
        out, _ = self.out_dims(dims, node)
        xa = xa.reshape(dims)
        a = self.args
        p = (0,) * self.nd if a["padding"] in ("valid", "same") else a["padding"]
        if a["padding"] == "same":      # PyTorch pads d(k − 1) in all, the extra one on the right
            total = [d * (k - 1) for d, k in zip(a["dilation"], a["kernel_size"])]
            width = [(0, 0)] * (xa.ndim - self.nd) + [(t // 2, t - t // 2) for t in total]
            xa = np.pad(xa, width, constant_values=sp.Integer(0))

        def run(one):
            return correlate(one, w, ba, a["stride"], p, a["dilation"], a["groups"], out[-self.nd:])
        res = run(xa) if len(dims) == self.nd + 1 else np.stack([run(one) for one in xa])
        return from_array(res)

    def zero_padded(self) -> bool:
        """Whether the padding is zeros (the values derive computes): padding_mode "zeros" or none."""
        p = self.args["padding"]
        return self.args["padding_mode"] == "zeros" or p == "valid" or (p != "same" and not any(p))

    def out_dims(self, dims, node):
        lead, head = _channels(self, dims, node)
        spatial, lines = self.spatial(dims, node)
        return lead + (sp.Integer(self.args["out_channels"]),) + tuple(spatial), head + lines


class ConvTranspose(Layer):
    """ConvTranspose1d / ConvTranspose2d: the transposed convolution (the gradient of a
    convolution with respect to its input); spatial sizes grow by the stride."""

    def __init__(self, kind, args, pos):
        super().__init__(kind, args, pos)
        _check_groups(args, pos)
        for op, s, d in zip(args["output_padding"], args["stride"], args["dilation"]):
            if op >= max(s, d):
                raise SpecError(f"output_padding = {op} must be smaller than the stride or the dilation "
                                f"(here {max(s, d)}), as PyTorch requires", args.pos("output_padding", pos))

    def params(self):
        a = self.args
        return _weight(self, a["in_channels"], a["out_channels"], Sym("C_out"))

    def _one(self, i: int, L: Any, dims: tuple, node) -> tuple[Any, ShapeLine]:
        a = self.args
        k, s, p, d, op = (a[n][i] for n in ("kernel_size", "stride", "padding", "dilation", "output_padding"))
        nm = self.spatial_names[i] if self.nd > 1 else "L"
        word = "Length" if self.nd == 1 else ("Height" if i == 0 else "Width")
        Ls, ks, ss, ps, ds, os_ = (Sym(f"{nm}_in"), Sym("k"), Sym("s"), Sym("p"), Sym("d"), Sym("p_out"))
        mul, add = unevaluated.mul, unevaluated.add
        formula = add(mul(add(Ls, -1), ss), mul(-2, ps), mul(ds, add(ks, -1)), os_, 1)
        where = {Ls: sp.sympify(L, strict=True), ks: sp.Integer(k), ss: sp.Integer(s), ps: sp.Integer(p), ds: sp.Integer(d),
                 os_: sp.Integer(op)}
        shown = unevaluated.xreplace(formula, where)
        value = formula.xreplace(where).doit()
        if isinstance(value, sp.Integer) and value < 1:     # (PyTorch: "Output size is too small")
            raise SpecError(f"{self.who()} gives an output size of {value} for input shape "
                            f"{show_dims(dims)}: too small (each size must be at least 1)", node.args[0].pos)
        sym = Sym(f"{nm}_out")
        pairs = [("kernel", ks, k), ("stride", ss, s), ("padding", ps, p), ("dilation", ds, d),
                 ("output padding", os_, op)]
        text = say(f"{word}: ", Rel(Ls, "=", sp.sympify(L, strict=True), kind="definition"), ", ", *_defs(*pairs), ".")
        return value, ShapeLine(text, (sym, formula, shown, value), tuple(list(where.items()) + [(sym, value)]))

    def out_dims(self, dims, node):
        lead, head = _channels(self, dims, node)
        out, lines = [], []
        for i, L in enumerate(dims[-self.nd:]):
            v, line = self._one(i, L, dims, node)
            out.append(v)
            lines.append(line)
        return lead + (sp.Integer(self.args["out_channels"]),) + tuple(out), head + lines


def conv_sig(nd: int) -> list[Param]:
    return [Param("in_channels", REQUIRED, positive), Param("out_channels", REQUIRED, positive),
            Param("kernel_size", REQUIRED, sizes(nd, 1)), Param("stride", 1, sizes(nd, 1)),
            Param("padding", 0, padding_arg(nd)), Param("dilation", 1, sizes(nd, 1)),
            Param("groups", 1, positive), Param("bias", True, tensor_or_boolean),
            Param("padding_mode", "zeros", choice("zeros", "reflect", "replicate", "circular")),
            Param("weight", None, optional_array, kwonly=True)]


def tensor_or_boolean(what, v, node):
    """`bias = true/false`, or (an extension, with `weight =`) the bias values."""
    return v if is_tensor(v) else boolean(what, v, node)


def optional_array(what, v, node):
    """`weight =`: a matrix, or a list of matrices (3-D) or of lists of matrices (4-D)."""
    if v is None or is_tensor(v) or isinstance(v, Seq):
        return v
    raise SpecError(f"{what} must be a tensor (a matrix, or a list of matrices), not {v}", node.pos)


def conv_transpose_sig(nd: int) -> list[Param]:
    """PyTorch's order: ..., output_padding, groups, bias, dilation, padding_mode."""
    return [Param("in_channels", REQUIRED, positive), Param("out_channels", REQUIRED, positive),
            Param("kernel_size", REQUIRED, sizes(nd, 1)), Param("stride", 1, sizes(nd, 1)),
            Param("padding", 0, sizes(nd, 0)), Param("output_padding", 0, sizes(nd, 0)),
            Param("groups", 1, positive), Param("bias", True, boolean), Param("dilation", 1, sizes(nd, 1)),
            Param("padding_mode", "zeros", choice("zeros"))]
