"""RNN, LSTM and GRU: PyTorch's trainable tensors, count per gate and output shapes.

In: the checked constructor arguments (input_size, hidden_size, num_layers, bias,
batch_first, dropout, bidirectional, proj_size for LSTM, nonlinearity for RNN).
Out: `Recurrent` layers.  Per layer l and direction (suffix `_reverse`), PyTorch has
weight_ih_l{l} (G·h, in_l), weight_hh_l{l} (G·h, H_out), bias_ih/bias_hh (G·h) and, for an
LSTM with proj_size p > 0, weight_hr_l{l} (p, h); G = 1 (RNN), 3 (GRU), 4 (LSTM), H_out = p
or h, in_0 = input_size and in_l = D·H_out after (D = 2 when bidirectional).  The count is
shown per layer: G·(h·i + h·H_out + 2h) (+ p·h), times D.  A call `lstm(x)` gives
(output, (h_n, c_n)) (RNN and GRU: (output, h_n)) with PyTorch's shapes: output
(L, N, D·H_out) ((N, L, D·H_out) with batch_first, (L, D·H_out) unbatched), h_n
(D·num_layers, N, H_out), c_n (D·num_layers, N, h).
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from ... import unevaluated
from ...errors import SpecError
from ...sentence import Code, Math, Rel, say
from .args import REQUIRED, Param, boolean, choice, nonneg, number, positive
from .base import Layer, Outputs, ParamInfo, ShapeLine, Sym, eq, mismatch

GATES = {"RNN": 1, "GRU": 3, "LSTM": 4}


class Recurrent(Layer):
    """RNN / LSTM / GRU (see the module docstring)."""

    ranks = (2, 3)

    def __init__(self, kind, args, pos):
        super().__init__(kind, args, pos)
        p, h = args.values.get("proj_size", 0), args["hidden_size"]
        if p and p >= h:
            raise SpecError(f"proj_size = {p} must be smaller than hidden_size = {h}", args.pos("proj_size", pos))

    @property
    def gates(self) -> int:
        return GATES[self.kind]

    @property
    def directions(self) -> int:
        return 2 if self.args["bidirectional"] else 1

    @property
    def proj(self) -> int:
        return self.args.values.get("proj_size", 0)

    @property
    def h_out(self) -> int:
        return self.proj or self.args["hidden_size"]

    def params(self) -> list[ParamInfo]:
        a = self.args
        h, G, p, D = a["hidden_size"], self.gates, self.proj, self.directions
        out = []
        for layer in range(a["num_layers"]):
            n_in = a["input_size"] if layer == 0 else D * self.h_out
            for sfx in ("", "_reverse")[:D]:
                tag = f"_l{layer}{sfx}"
                out += [ParamInfo("weight_ih" + tag, (G * h, n_in), None, ()),
                        ParamInfo("weight_hh" + tag, (G * h, self.h_out), None, ())]
                if a["bias"]:
                    out += [ParamInfo("bias_ih" + tag, (G * h,), None, ()), ParamInfo("bias_hh" + tag, (G * h,), None, ())]
                if p:
                    out.append(ParamInfo("weight_hr" + tag, (p, h), None, ()))
        return out

    def _per_layer(self, n_in: Any, factors: tuple = ()) -> Any:
        """One layer, one direction: G·(h·n_in + h·H_out + 2h) (+ p·h), in symbols; the
        `factors` (number of layers, directions) in front, numbers first so that none is
        printed after a symbol (4·D·(...), not D·4·(...))."""
        h, p = Sym("h"), Sym("p")
        hs = p if self.proj else h
        with sp.evaluate(False):
            terms = [sp.Mul(h, n_in), sp.Mul(h, hs)] + ([sp.Mul(2, h)] if self.args["bias"] else [])
            inner = sp.Add(*terms)
            if self.proj:       # the projection sits outside the gates: D·(G·(...) + p·h)
                body = sp.Add(sp.Mul(self.gates, inner) if self.gates > 1 else inner, sp.Mul(p, h))
                return sp.Mul(*factors, body) if factors else body
            lead = ((self.gates,) if self.gates > 1 else ()) + tuple(factors)
            return sp.Mul(*lead, inner) if lead else inner

    def count_formula(self, infos):
        a = self.args
        D, L = self.directions, a["num_layers"]
        Ds, Ls, i = Sym("D"), Sym("n_layers"), Sym("i")
        hs = Sym("p") if self.proj else Sym("h")
        dirs = (Ds,) if D > 1 else ()
        with sp.evaluate(False):
            parts = [self._per_layer(i, dirs)]
            if L > 1:
                parts.append(self._per_layer(sp.Mul(Ds, hs) if D > 1 else hs, (sp.Add(Ls, -1),) + dirs))
            formula = sp.Add(*parts) if len(parts) > 1 else parts[0]
        where = {i: a["input_size"], Sym("h"): a["hidden_size"], Ds: D, Ls: L}
        if self.proj:
            where[Sym("p")] = self.proj
        return formula, {k: sp.Integer(v) for k, v in where.items() if k in formula.free_symbols}

    def apply(self, dims, node):
        (d,) = dims
        a = self.args
        if not eq(d[-1], a["input_size"]):
            raise mismatch(self, "a last dimension (input_size) of", a["input_size"], d[-1], d, node.args[0])
        D, L, hout, h = self.directions, a["num_layers"], self.h_out, a["hidden_size"]
        batch = () if len(d) == 2 else (d[0] if a["batch_first"] else d[1],)
        out = tuple(d[:-1]) + (sp.Integer(D * hout),)
        h_n = (sp.Integer(D * L),) + tuple(batch) + (sp.Integer(hout),)
        lines = self._lines(d, D, L, hout)
        if self.kind == "LSTM":
            c_n = (sp.Integer(D * L),) + tuple(batch) + (sp.Integer(h),)
            lines.append(ShapeLine(say(Code("c_n"), " holds the cell states, of length hidden_size = ",
                                       Math(sp.Integer(h)), " (proj_size does not apply to them).")))
            return Outputs(("output", "state"), (out, Outputs(("h_n", "c_n"), (h_n, c_n)))), lines
        return Outputs(("output", "h_n"), (out, h_n)), lines

    def _lines(self, d: tuple, D: int, L: int, hout: int) -> list[ShapeLine]:
        a = self.args
        Ds, Hs, Ls = Sym("D"), Sym("H_out"), Sym("n_layers")
        where = ((Ds, sp.Integer(D)), (Hs, sp.Integer(hout)), (Ls, sp.Integer(L)))
        layout = ("(N, L, features)" if a["batch_first"] else "(L, N, features)") if len(d) == 3 else "(L, features)"
        h_def = say(Rel(Hs, "=", sp.Integer(hout), kind="definition"),
                    " (proj_size)" if self.proj else " (hidden_size)")
        mul = unevaluated.mul
        feat = (mul(Ds, Hs), mul(sp.Integer(D), sp.Integer(hout)), sp.Integer(D * hout))
        stack = (mul(Ds, Ls), mul(sp.Integer(D), sp.Integer(L)), sp.Integer(D * L))
        return [
            ShapeLine(say(Code("output"), f" keeps the input's layout {layout} and holds, at every step, the last "
                          "layer's hidden state of each direction: ", Rel(Ds, "=", sp.Integer(D), kind="definition"),
                          " direction(s), ", h_def, ":"), feat, where),
            ShapeLine(say(Code("h_n"), " holds the final hidden state of each layer and direction, stacked first "
                          "(whatever batch_first says), with ", Rel(Ls, "=", sp.Integer(L), kind="definition"),
                          " layer(s):"), stack, where),
        ]


def _sig(kind: str) -> list[Param]:
    """PyTorch's positional order (RNN has nonlinearity after num_layers; only LSTM has proj_size)."""
    head = [Param("input_size", REQUIRED, positive), Param("hidden_size", REQUIRED, positive),
            Param("num_layers", 1, positive)]
    if kind == "RNN":
        head.append(Param("nonlinearity", "tanh", choice("tanh", "relu")))
    tail = [Param("bias", True, boolean), Param("batch_first", False, boolean),
            Param("dropout", 0, number(0, 1)), Param("bidirectional", False, boolean)]
    if kind == "LSTM":
        tail.append(Param("proj_size", 0, nonneg))
    return head + tail


SIGS = {kind: _sig(kind) for kind in GATES}
