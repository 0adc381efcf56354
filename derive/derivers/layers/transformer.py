"""MultiheadAttention, TransformerEncoderLayer and TransformerDecoderLayer as PyTorch builds them.

In: the checked constructor arguments.  Out: layers whose trainable tensors carry
PyTorch's names (`in_proj_weight`, `out_proj.weight`, `self_attn.in_proj_bias`,
`linear1.weight`, `norm1.bias`, ...) and shapes, counted per projection: attention is
3·E·E + 3E (the q, k, v projections; E·E + E·d_k + E·d_v when kdim or vdim differ) plus
E·E + E (out_proj); a transformer layer adds the feed-forward block d·f + f + f·d + d and
2d per LayerNorm.  Calls: `mha(q, k, v)` gives (attn_output, attn_weights) with shapes
(L, N, E) and (N, L, S) ((N, L, E) with batch_first; (L, E), (L, S) unbatched; S grows by
one for add_bias_kv and one for add_zero_attn); `enc(src)` and `dec(tgt, memory)` keep
the shape of their first input.
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from ...errors import SpecError
from ...sentence import Code, Math, say
from .args import REQUIRED, Param, boolean, choice, number, optional_positive, positive
from .base import Layer, Outputs, ParamInfo, ShapeLine, Sym, eq, mismatch
from .values import show_dims


def attention_params(E: int, kdim: int, vdim: int, bias: bool, bias_kv: bool, prefix: str = "") -> list[ParamInfo]:
    """The tensors of nn.MultiheadAttention(E, ..., kdim, vdim), with count formulas in E, d_k, d_v."""
    Es, ks, vs = Sym("E"), Sym("d_k"), Sym("d_v")
    where = ((Es, E), (ks, kdim), (vs, vdim))
    with sp.evaluate(False):
        if kdim == E and vdim == E:
            out = [ParamInfo(prefix + "in_proj_weight", (3 * E, E), sp.Mul(3, Es, Es), where)]
        else:
            out = [ParamInfo(prefix + "q_proj_weight", (E, E), sp.Mul(Es, Es), where),
                   ParamInfo(prefix + "k_proj_weight", (E, kdim), sp.Mul(Es, ks), where),
                   ParamInfo(prefix + "v_proj_weight", (E, vdim), sp.Mul(Es, vs), where)]
        if bias:
            out.append(ParamInfo(prefix + "in_proj_bias", (3 * E,), sp.Mul(3, Es), where))
        if bias_kv:
            out += [ParamInfo(prefix + "bias_k", (1, 1, E), Es, where), ParamInfo(prefix + "bias_v", (1, 1, E), Es, where)]
        out.append(ParamInfo(prefix + "out_proj.weight", (E, E), sp.Mul(Es, Es), where))
        if bias:
            out.append(ParamInfo(prefix + "out_proj.bias", (E,), Es, where))
    return out


def _check_last(layer: Layer, d: tuple, want: int, what: str, node) -> None:
    if not eq(d[-1], want):
        raise mismatch(layer, f"a last dimension ({what}) of", want, d[-1], d, node)


def _check_batch(layer: Layer, dims: list[tuple], node) -> None:
    """All inputs of the same rank, and (batched) of the same batch size."""
    if len({len(d) for d in dims}) != 1:
        raise SpecError(f"{layer.who()}: the inputs must all be batched or all unbatched, not "
                        + ", ".join(show_dims(d) for d in dims), node.pos)
    if len(dims[0]) == 3:
        at = 0 if layer.args["batch_first"] else 1
        if len({d[at] for d in dims}) != 1:
            raise SpecError(f"{layer.who()}: the inputs' batch sizes differ: "
                            + ", ".join(show_dims(d) for d in dims), node.pos)


class MultiheadAttention(Layer):
    """nn.MultiheadAttention(embed_dim, num_heads, ...): mha(query, key, value)."""

    ranks = (2, 3)
    n_inputs = (3, 3)

    def __init__(self, kind, args, pos):
        super().__init__(kind, args, pos)
        E, h = args["embed_dim"], args["num_heads"]
        if E % h:
            raise SpecError(f"embed_dim = {E} must be divisible by num_heads = {h}", args.pos("num_heads", pos))

    def dims_kv(self) -> tuple[int, int]:
        E = self.args["embed_dim"]
        return self.args["kdim"] or E, self.args["vdim"] or E

    def params(self):
        a = self.args
        k, v = self.dims_kv()
        return attention_params(a["embed_dim"], k, v, a["bias"], a["add_bias_kv"])

    def apply(self, dims, node):
        a = self.args
        q, k, v = dims
        kd, vd = self.dims_kv()
        for d, want, what, n in ((q, a["embed_dim"], "embed_dim", node.args[0]), (k, kd, "kdim", node.args[1]),
                                 (v, vd, "vdim", node.args[2])):
            _check_last(self, d, want, what, n)
        _check_batch(self, dims, node)
        seq = 1 if (len(q) == 3 and a["batch_first"]) else 0
        if not eq(k[seq], v[seq]):
            raise SpecError(f"{self.who()}: key and value must have the same length, not {show_dims(k)} and "
                            f"{show_dims(v)}", node.args[2].pos)
        extra = int(a["add_bias_kv"]) + int(a["add_zero_attn"])
        S = sp.sympify(k[seq], strict=True) + extra
        Lq = q[seq]
        weights = (Lq, S) if len(q) == 2 else (q[0 if seq else 1], Lq, S)
        text = say(Code("attn_output"), " has the query's shape; ", Code("attn_weights"),
                   " (averaged over the heads) has one row per query and one column per key")
        extras = [Code(n) for n in ("add_bias_kv", "add_zero_attn") if a[n]]
        if extras:
            text = say(text, ", plus one column for ", *extras[:1], *([" and ", extras[1]] if len(extras) > 1 else []))
        return Outputs(("attn_output", "attn_weights"), (tuple(q), tuple(sp.sympify(w, strict=True) for w in weights))), \
            [ShapeLine(say(text, "."))]


def _block_formula(d: Any, f: Any, bias: bool, n_attn: int, n_norm: int) -> Any:
    """n_attn·4(d·d + d) + (d·f + f) + (f·d + d) + n_norm·2d (the bias terms only with bias)."""
    with sp.evaluate(False):
        attn = sp.Mul(4, sp.Add(sp.Mul(d, d), d)) if bias else sp.Mul(4, d, d)
        ff = [sp.Add(sp.Mul(d, f), f), sp.Add(sp.Mul(f, d), d)] if bias else [sp.Mul(d, f), sp.Mul(f, d)]
        norm = sp.Mul(2, d) if bias else d
        return sp.Add(sp.Mul(n_attn, attn) if n_attn > 1 else attn, *ff, sp.Mul(n_norm, norm))


class TransformerLayer(Layer):
    """TransformerEncoderLayer(src) / TransformerDecoderLayer(tgt, memory): the shape is kept."""

    ranks = (2, 3)
    decoder = False

    def __init__(self, kind, args, pos):
        super().__init__(kind, args, pos)
        if args["d_model"] % args["nhead"]:
            raise SpecError(f"d_model = {args['d_model']} must be divisible by nhead = {args['nhead']}",
                            args.pos("nhead", pos))
        self.n_inputs = (2, 2) if self.decoder else (1, 1)

    def params(self):
        a = self.args
        d, f, b = a["d_model"], a["dim_feedforward"], a["bias"]
        out = attention_params(d, d, d, b, False, "self_attn.")
        if self.decoder:
            out += attention_params(d, d, d, b, False, "multihead_attn.")
        ds, fs = Sym("d"), Sym("f")
        where = ((ds, d), (fs, f))
        out += [ParamInfo("linear1.weight", (f, d), sp.Mul(fs, ds, evaluate=False), where)]
        out += [ParamInfo("linear1.bias", (f,), fs, where)] if b else []
        out += [ParamInfo("linear2.weight", (d, f), sp.Mul(ds, fs, evaluate=False), where)]
        out += [ParamInfo("linear2.bias", (d,), ds, where)] if b else []
        for n in range(1, 4 if self.decoder else 3):
            out += [ParamInfo(f"norm{n}.weight", (d,), ds, where)] + ([ParamInfo(f"norm{n}.bias", (d,), ds, where)]
                                                                       if b else [])
        return out

    def count_formula(self, infos):
        a = self.args
        ds, fs = Sym("d"), Sym("f")
        n_attn, n_norm = (2, 3) if self.decoder else (1, 2)
        formula = _block_formula(ds, fs, a["bias"], n_attn, n_norm)
        return formula, {ds: sp.Integer(a["d_model"]), fs: sp.Integer(a["dim_feedforward"])}

    def apply(self, dims, node):
        for d, n in zip(dims, node.args):
            _check_last(self, d, self.args["d_model"], "d_model", n)
        _check_batch(self, dims, node)
        what = say("Every sublayer (attention, the feed-forward block) maps d_model = ", Math(sp.Integer(
            self.args["d_model"])), " features to d_model and is added to its input (a residual connection), "
            "and the norms act on the last dimension: the shape ", Math(tuple(dims[0])), " is kept.")
        return tuple(dims[0]), [ShapeLine(what)]


class TransformerDecoder(TransformerLayer):
    decoder = True


_ATTN_SIG = [Param("embed_dim", REQUIRED, positive), Param("num_heads", REQUIRED, positive),
             Param("dropout", 0, number(0, 1)), Param("bias", True, boolean), Param("add_bias_kv", False, boolean),
             Param("add_zero_attn", False, boolean), Param("kdim", None, optional_positive),
             Param("vdim", None, optional_positive), Param("batch_first", False, boolean)]

_BLOCK_SIG = [Param("d_model", REQUIRED, positive), Param("nhead", REQUIRED, positive),
              Param("dim_feedforward", 2048, positive), Param("dropout", sp.Rational(1, 10), number(0, 1)),
              Param("activation", "relu", choice("relu", "gelu")),
              Param("layer_norm_eps", sp.Rational(1, 100000), number(0, open_lo=True)),
              Param("batch_first", False, boolean), Param("norm_first", False, boolean), Param("bias", True, boolean)]

SIGS = {"MultiheadAttention": _ATTN_SIG, "TransformerEncoderLayer": _BLOCK_SIG, "TransformerDecoderLayer": _BLOCK_SIG}
