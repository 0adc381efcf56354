"""The output-size rule of sliding windows (convolutions and pools), worked out per dimension.

In: a layer's kernel_size, stride, padding, dilation (and ceil_mode) and the input's
spatial sizes.  Out: the output sizes and one `ShapeLine` per dimension: the sentence
naming the hyperparameters and the checked chain L_out = ⌊(L + 2p − d(k − 1) − 1)/s⌋ + 1
with the numbers substituted (PyTorch's formula; `padding="same"` keeps the size).
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from ... import ast, unevaluated
from ...errors import SpecError
from ...sentence import Code, Rel, say
from .base import Layer, ShapeLine, Sym
from .values import show_dims


def conv_formula(L: Any, k: Any, s: Any, p: Any, d: Any, *, ceil: bool = False, with_d: bool = True):
    """PyTorch's output-size formula ⌊(L + 2p − d(k − 1) − 1)/s⌋ + 1 (⌈⌉ with ceil_mode), for
    display (unevaluated, in the textbook's order), and the values of its symbols."""
    Ls, ks, ss, ps, ds = Sym("L_in"), Sym("k"), Sym("s"), Sym("p"), Sym("d")
    rnd = sp.ceiling if ceil else sp.floor
    mul, add = unevaluated.mul, unevaluated.add
    span = mul(-1, ds, add(ks, -1)) if with_d else mul(-1, add(ks, -1))
    numer = add(Ls, mul(2, ps), span, -1)
    formula = add(unevaluated.call(rnd, mul(numer, unevaluated.power(ss, -1))), 1)
    where = {Ls: L, ks: k, ss: s, ps: p}
    if with_d:
        where[ds] = d
    return formula, {key: sp.sympify(v, strict=True) for key, v in where.items()}


def _defs(*pairs: tuple[str, Any, Any]) -> list:
    """'kernel k = 3, stride s = 1' as sentence parts: each value a definition."""
    out: list = []
    for k, (word, sym, value) in enumerate(pairs):
        out += [", " if k else "", f"{word} ", Rel(sym, "=", sp.sympify(value, strict=True), kind="definition")]
    return out


class Windowed(Layer):
    """Shared rules of convolutions and pools over `nd` spatial dimensions."""

    nd = 1
    pooling = False
    spatial_names = ("L",)

    def _dim_name(self, i: int) -> tuple[str, str]:
        nm = self.spatial_names[i] if self.nd > 1 else "L"
        return nm, ("Length" if self.nd == 1 else ("Height" if i == 0 else "Width"))

    def _check_window(self, i: int, L: Any, p: int, dims: tuple, node: ast.Call) -> None:
        a = self.args
        k, d = a["kernel_size"], self._dilation()
        if self.pooling and p > sp.Rational(k[i], 2):    # PyTorch: pad ≤ kernel_size / 2 (not the dilated span)
            raise SpecError(f"{self.who()}: padding {p} must be at most half of "
                            f"the kernel size {k[i]}", a.pos("padding", node.pos))
        padded, eff = L + 2 * p, d[i] * (k[i] - 1) + 1
        if not self.pooling and isinstance(padded, (int, sp.Integer)) and padded < eff:
            nm, _ = self._dim_name(i)
            what = "padded input" if p else "input"
            raise SpecError(f"{self.who()}: the {what} is shorter than the kernel: "
                            f"{nm} = {padded}{f' (with padding {p})' if p else ''} < {eff}"
                            f"{' = d·(k − 1) + 1' if d[i] != 1 else ''} (kernel size {k[i]}); input shape "
                            f"{show_dims(dims)}", node.args[0].pos)

    def _dilation(self) -> tuple:
        return self.args["dilation"] if "dilation" in self.args.values else (1,) * self.nd

    def _one(self, i: int, L: Any, dims: tuple, node: ast.Call) -> tuple[Any, ShapeLine]:
        """The output size of spatial dimension i and the line deriving it."""
        a = self.args
        k, s, d, pad = a["kernel_size"], a["stride"], self._dilation(), a["padding"]
        ceil = a.values.get("ceil_mode", False)
        nm, word = self._dim_name(i)
        if pad == "same":
            return L, ShapeLine(say(Code('padding="same"'), " keeps the size: ",
                                    Rel(Sym(f"{nm}_out"), "=", Sym(f"{nm}_in"), kind="definition"), ", ",
                                    Rel(Sym(f"{nm}_in"), "=", sp.sympify(L, strict=True), kind="definition"), "."))
        p = 0 if pad == "valid" else pad[i]
        self._check_window(i, L, p, dims, node)
        with_d = "dilation" in a.values
        formula, where = conv_formula(L, k[i], s[i], p, d[i], ceil=ceil, with_d=with_d)
        sym = Sym(f"{nm}_out")
        value = formula.xreplace(where).doit()
        if ceil and value.is_Integer and (value - 1) * s[i] >= L + p:
            start = unevaluated.mul(value - 1, s[i])
            end = unevaluated.add(sp.sympify(L, strict=True), p)
            text = say("With ", Code("ceil_mode"), ", the last window would start in the padding (",
                       Rel(start, "≥", end), "), so it is dropped.")
            return value - 1, ShapeLine(text, (sym, formula - 1, value - 1),
                                        tuple(list(where.items()) + [(sym, value - 1)]))
        shown = unevaluated.xreplace(formula, where)
        numer = sp.sympify(L + 2 * p - d[i] * (k[i] - 1) - 1, strict=True)
        frac = unevaluated.mul(numer, unevaluated.power(sp.Integer(s[i]), -1))
        step2 = unevaluated.add(unevaluated.call(sp.ceiling if ceil else sp.floor, frac), sp.Integer(1)) \
            if s[i] != 1 else unevaluated.add(numer, sp.Integer(1))
        pairs = [("kernel", Sym("k"), k[i]), ("stride", Sym("s"), s[i]), ("padding", Sym("p"), p)]
        if with_d:
            pairs.append(("dilation", Sym("d"), d[i]))
        text = say(f"{word}: ", Rel(Sym(f"{nm}_in"), "=", sp.sympify(L, strict=True), kind="definition"), ", ", *_defs(*pairs), ".")
        return value, ShapeLine(text, (sym, formula, shown, step2, value), tuple(list(where.items()) + [(sym, value)]))

    def spatial(self, dims: tuple, node: ast.Call) -> tuple[list, list[ShapeLine]]:
        """The output sizes of the last `nd` dimensions of `dims`, with one line each."""
        out, lines = [], []
        for i, L in enumerate(dims[-self.nd:]):
            value, line = self._one(i, L, dims, node)
            lines.append(line)
            if isinstance(value, sp.Integer) and value < 1:
                raise SpecError(f"{self.who()} gives an empty output for input shape "
                                f"{show_dims(dims)}", node.args[0].pos)
            out.append(value)
        return out, lines
