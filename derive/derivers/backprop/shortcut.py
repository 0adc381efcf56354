"""Closed forms at the output: softmax + cross-entropy (ŷ − y), sigmoid + BCE (p − y).
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from ... import ast
from ...model import functions as F
from ...notation import Named, Partial
from ...sentence import Math, Rel, Sentence, say
from ...steps import Step, make_step
from ..evaluate import substituted
from .graph import Vertex
from .notation import SumOver, sigmoid_grad


class Shortcuts:
    """The output layer's closed form, checked against the chain rule's value."""

    def output_shortcut(self) -> tuple[str, str, Step] | None:
        """softmax + cross-entropy (∂L/∂z = ŷ − y) or sigmoid + binary cross-entropy (p − y):
        the closed form, checked against the value the chain rule gives."""
        bp, g = self.bp, self.g
        root = g.v[bp.root]
        on = set(self.path)
        for sname in self.path:
            sv = g.v[sname]
            if sv.kind != "act" or sv.act not in ("softmax", "sigmoid"):
                continue
            if [c for c in bp.children[sname] if c in on] != [bp.root] or sv.parents[0] not in on:
                continue
            zname = sv.parents[0]
            if [c for c in bp.children[zname] if c in on] != [sname]:
                continue
            if len(bp.grad.get(zname, {})) != len(g.v[zname].entries()):
                continue
            step = self._softmax_ce(sv, g.v[zname], root) if sv.act == "softmax" else \
                self._sigmoid_bce(sv, g.v[zname], root)
            if step is not None:
                return sname, zname, step
        return None

    def _softmax_ce(self, sv: Vertex, zv: Vertex, root: Vertex) -> Step | None:
        bp, g = self.bp, self.g
        e = root.expr
        if not (isinstance(e, ast.Call) and e.name == "cross_entropy" and not bp.p.has("cross_entropy")
                and len(e.args) == 2 and isinstance(e.args[1], ast.Name) and e.args[1].id == sv.name
                and isinstance(e.args[0], ast.Name) and e.args[0].id in g.v and e.args[0].id not in bp.mask):
            return None
        yv = g.v[e.args[0].id]
        y = yv.value
        ysum = sp.Add(*list(y))
        s = bp.sym(sv.name)
        ys = bp.sym(yv.name)
        G = bp.gsym(zv.name)
        text = _softmax_ce_text(list(y), ysum)
        formula = sp.MatAdd(s, -ys) if ysum == 1 else sp.MatAdd(ysum * s, -ys)
        chain = [G, formula]
        num = substituted(formula, bp.W(formula))
        chain += [num, bp.where[G]]
        return make_step("softmax_cross_entropy", text, *chain, where=bp.W(*chain))

    def _sigmoid_bce(self, sv: Vertex, zv: Vertex, root: Vertex) -> Step | None:
        bp, g = self.bp, self.g
        if not (sv.scalar and zv.scalar and root.kind == "generic"):
            return None
        expr = bp.entry_exprs(root)[0, 0]
        p = bp.comp(sv.name, (0, 0))
        zd = sp.Dummy("z", real=True)
        d = sp.diff(expr.xreplace({p: F.sigmoid(zd)}), zd)
        for other in root.parents:
            if other == sv.name or not g.v[other].scalar or other in bp.mask:
                continue
            y = bp.comp(other, (0, 0))
            try:
                same = sp.simplify((d - (F.sigmoid(zd) - y)).rewrite(sp.exp)) == 0
            except (TypeError, ValueError, NotImplementedError):
                same = False
            if same:
                G = bp.gsym(zv.name, (0, 0))
                formula = p - y
                chain = [G, formula, substituted(formula, bp.W(formula)), bp.where[G]]
                lhs = sp.Mul(Partial(g.v[bp.root].symbol, p), sigmoid_grad(zv.symbol), evaluate=False)
                text = say("Sigmoid followed by binary cross-entropy: ", Rel(lhs, "=", formula, kind="fact"),
                           " (σ′ cancels the denominator p(1 − p) of ∂L/∂p), prediction minus target:")
                return make_step("sigmoid_cross_entropy", text, *chain, where=bp.W(*chain))
        return None


def _softmax_ce_text(y: list[Any], ysum: Any) -> Sentence:
    """The closed form of softmax + cross-entropy, with the targets' sum checked on the
    problem's y: ∂L/∂z_k = ŷ_k Σᵢ yᵢ − y_k, which is ŷ_k − y_k when Σᵢ yᵢ = 1."""
    L, z, i, k = sp.symbols("L z i k")
    zk, yk, yi, yhat, yhatk = (sp.Symbol(n) for n in ("z_k", "y_k", "y_i", "y_hat", "y_k_hat"))
    total = Named(SumOver(yi, i), sp.Add(*y, evaluate=False))
    if ysum == 1:
        general = -SumOver(sp.Mul(yi, sp.KroneckerDelta(i, k) - yhatk, evaluate=False), i)
        return say("Softmax followed by cross-entropy: with ", Rel(yhat, "=", sp.Function("softmax")(z),
                                                                   kind="definition"), " and ",
                   Rel(total, "=", 1), ", ", Rel(Partial(L, zk), "=", general, kind="fact"), ", which is ",
                   Math(yhatk - yk), ", so the gradient is prediction minus target:")
    return say("Softmax followed by cross-entropy: ",
               Rel(Partial(L, zk), "=", yhatk * SumOver(yi, i) - yk, kind="fact"), " (here ",
               Rel(total, "=", ysum), "):")
