"""The steps of backprop through layer vertices (a mixin of Explain).

In: a finished Backprop whose graph holds layer vertices (Conv1d/2d, pools, Flatten,
Dropout; the norms and Embedding in derive.derivers.backprop.norm_steps) or tensors of
rank 3 or 4.  Out: the forward step of such a vertex and the δ
steps of the vertices that feed one: ∂L/∂W = X ⋆ ∂L/∂Y (the cross-correlation of the
padded input with the upstream gradient), ∂L/∂X = ∂L/∂Y ∗ W (the full convolution with the
flipped kernel), max-pool routing, avg-pool spreading, Flatten's reshape, Dropout's
identity, ⊙ f′(Z) through an activation.  Every chain is checked by evaluating its display
operators (derive.derivers.backprop.layer_notation) on the step's values.
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from ...sentence import Code, Math, Sentence, say
from ...steps import Step, dedupe_chain, make_step
from ..layers.conv import given_weight
from ..layers.values import LayerRef
from .layer_backward import conv_setup, pool_setup, upstream
from .layer_graph import display_dims, vertex_array
from .layer_notation import (Act, ActPrime, AvgSpread, ChannelSum, Corr, EntryOf, FullConv, Hadamard,
                             LayerOf, MaxRoute, Plus, Reshape, conv_settings, nd_display)
from .layer_words import avg_text, conv_input_text, conv_weight_text, max_windows_step
from .norm_steps import embedding_term, norm_term
from .notation import DSym
from .layer_notation import nd_array


def _tuple(xs) -> sp.Tuple:
    return sp.Tuple(*[sp.Integer(int(v)) for v in xs])


class LayerSteps:
    """Forward and backward steps of layer vertices and rank-3/4 tensors."""

    def shown_value(self, name: str) -> Any:
        vx = self.g.v[name]
        return nd_display(vertex_array(vx, display_dims(vx))) if not vx.scalar else vx.value[0, 0]

    def shown_symbol(self, name: str) -> Any:
        """The vertex's symbol, bound to its shown value."""
        vx = self.g.v[name]
        self.bp.where[vx.symbol] = self.shown_value(name)
        return vx.symbol

    def grad_symbol(self, name: str) -> Any:
        """∂L/∂name, bound to δ of name as shown (a Tuple of matrices for rank 3 or 4)."""
        bp, vx = self.bp, self.g.v[name]
        if vx.scalar:
            return bp.gsym(name, (0, 0))
        if not vx.nd:
            return bp.gsym(name)
        s = DSym(self.g.v[bp.root].key((0, 0)), name)
        bp.where[s] = nd_display(upstream(bp, name))
        return s

    def needs_layer_steps(self, V: str, kids: list[str]) -> bool:
        g = self.g
        return g.v[V].nd or any(g.v[c].kind == "layer" or g.v[c].nd for c in kids)

    # forward
    def layer_forward_step(self, name: str) -> Step:
        vx = self.g.v[name]
        x = vx.layer.arg if vx.kind == "layer" else vx.parents[0]
        xs = self.shown_symbol(x)
        if vx.kind == "layer":
            settings = [LayerRef(vx.layer.name, vx.layer.layer), _tuple(vx.layer.in_dims), _tuple(vx.dims)]
            op, what = LayerOf, say(" (", Code(vx.layer.name), f": {vx.layer.layer.kind})")
        else:
            settings = [sp.Symbol(vx.act), vx.slope if vx.slope is not None else sp.Integer(0)]
            op, what = Act, say(f" (activation {vx.act}, entrywise)")
        value = self.shown_value(name)
        chain = [vx.symbol, op(xs, *settings), op(self.bp.where[xs], *settings), value]
        return make_step("forward", say(Math(vx.symbol), what, ":"), *chain, where={xs: self.bp.where[xs],
                                                                                    vx.symbol: value})

    # backward
    def layer_delta(self, V: str, kids: list[str]) -> list[Step]:
        """δ of V when a child is a layer vertex (or a tensor of rank 3 or 4 is involved)."""
        bp = self.bp
        vv = self.g.v[V]
        terms, extra, texts = [], [], []
        for C in kids:
            formula, numbers, text, steps = self.child_term(C, V)
            terms.append((formula, numbers))
            extra.extend(steps)
            texts.append(text)
        full = len(bp.mask[V]) == len(vv.entries())
        formula, numbers = terms[0]
        for f, n in terms[1:]:
            formula = Plus(formula, f)
            numbers = Plus(numbers, n) if numbers is not None and n is not None else None
        text = texts[0] if len(kids) == 1 else say(Math(vv.symbol), " feeds several quantities: the chain rule adds "
                                                   "one contribution per path (fan-out).")
        if full:
            G = self.grad_symbol(V)
            chain = [G, formula] + ([numbers] if numbers is not None else []) + [bp.where[G]]
            return extra + [make_step("backprop", text, *dedupe_chain(chain), where=bp.W(*chain))]
        out = []
        for e in sorted(bp.mask[V]):
            idx = self._index(vv, e)
            G = bp.gsym(V, e)
            chain = [G, EntryOf(formula, idx)] + ([EntryOf(numbers, idx)] if numbers is not None else [])
            chain.append(bp.where[G])
            out.append(make_step("backprop", text, *dedupe_chain(chain), where=bp.W(*chain)))
        return extra + out

    def _index(self, vx: Any, e: tuple[int, int]) -> sp.Tuple:
        import numpy as np
        r, c = vx.shape
        dims = display_dims(vx) if vx.dims is not None else (r, c)
        return _tuple(np.unravel_index(e[0] * c + e[1], dims))

    def child_term(self, C: str, V: str) -> tuple[Any, Any, Sentence, list[Step]]:
        """(formula, formula with numbers or None, sentence, extra steps) of C's contribution to δV."""
        cv = self.g.v[C]
        if cv.kind == "layer":
            return self.layer_term(C, V)
        if cv.kind == "act" and cv.act != "softmax":
            G = self.grad_symbol(C)
            zs = self.shown_symbol(V)
            slope = cv.slope if cv.slope is not None else sp.Integer(0)
            d = ActPrime(zs, sp.Symbol(cv.act), slope)
            text = say("Back through ", Math(cv.symbol), f" = {cv.act}(", Math(zs), "), entrywise: ",
                       Math(G), " times the activation's derivative at every entry",
                       " (relu′ is 1 where the input is > 0 and 0 elsewhere, PyTorch's convention at 0):"
                       if cv.act == "relu" else ":")
            return Hadamard(G, d), Hadamard(self.bp.where[G], ActPrime(self.bp.where[zs], sp.Symbol(cv.act), slope)), \
                text, []
        formula, numbers, extra = self.tensor_formula(V, [C])
        return formula, numbers, say("Back through ", Math(cv.symbol), ":"), extra

    def layer_term(self, C: str, V: str) -> tuple[Any, Any, Sentence, list[Step]]:
        bp = self.bp
        cv = self.g.v[C]
        call = cv.layer
        layer = call.layer
        G = self.grad_symbol(C)
        Gv = bp.where[G]
        kind = layer.kind
        if kind.startswith("Conv"):
            return self.conv_term(C, V, G, Gv)
        if kind.startswith("BatchNorm") or kind == "LayerNorm":
            return norm_term(self, C, V, G, Gv)
        if kind == "Embedding":
            return embedding_term(self, C, V, G, Gv)
        xs = self.shown_symbol(call.arg)
        if kind.startswith("MaxPool"):
            k, s, p, d = pool_setup(layer)
            settings = [_tuple(k), _tuple(s), _tuple(p), _tuple(d)]
            steps = [max_windows_step(self, C, call, k, s, p, d)]
            text = say("Back through the max pool ", Math(cv.symbol), " = ", Math(sp.Function(call.name)(xs)), ": ",
                       "each window's upstream gradient goes to the window's maximum (the first one when entries "
                       "tie, as PyTorch picks it) and every other entry gets 0:")
            return (*self._shaped(MaxRoute(xs, G, *settings), MaxRoute(bp.where[xs], Gv, *settings), V), text, steps)
        if kind.startswith("AvgPool"):
            k, s, p, _ = pool_setup(layer)
            a = layer.args.values
            flags = sp.Tuple(sp.Integer(int(a.get("count_include_pad", True))), sp.Integer(a.get("divisor_override") or 0))
            settings = [_tuple(call.in_dims), _tuple(k), _tuple(s), _tuple(p), flags]
            return (*self._shaped(AvgSpread(G, *settings), AvgSpread(Gv, *settings), V), avg_text(cv, call, xs, a), [])
        if kind == "Flatten":
            text = say("Back through ", Math(cv.symbol), " = ", Math(sp.Function(call.name)(xs)), ": Flatten only "
                       "rearranges the entries, so the gradient is the upstream gradient in the input's shape:")
            return (*self._reshaped(G, Gv, V), text, [])
        text = say("Back through ", Math(cv.symbol), " = ", Math(sp.Function(call.name)(xs)), ": Dropout in "
                   "evaluation mode (derive's assumption, as for its values) is the identity, so the gradient "
                   "passes unchanged:")
        return (*self._shaped(G, Gv, V), text, [])     # the identity: no reshape unless the shapes differ

    def conv_term(self, C: str, V: str, G: Any, Gv: Any) -> tuple[Any, Any, Sentence, list[Step]]:
        bp = self.bp
        cv = self.g.v[C]
        call = cv.layer
        layer = call.layer
        s, pads, d, groups = conv_setup(layer, call.in_dims)
        w = given_weight(layer)
        wname = next((n for n, pre in call.weight if not pre), None) or f"W_{call.name}"
        W = sp.Symbol(wname)
        bp.where[W] = nd_display(w)
        if V == call.arg:
            settings = conv_settings(s, pads, d, groups, call.in_dims[-layer.nd:])
            f, n = self._shaped(FullConv(G, W, *settings), FullConv(Gv, bp.where[W], *settings), V)
            return f, n, conv_input_text(cv, call, W, G, s, pads, d), []
        xs = self.shown_symbol(call.arg)
        for parts, is_w in ((call.weight, True), (call.bias, False)):
            for name, prefix in parts:
                if name != V:
                    continue
                if is_w:
                    settings = conv_settings(s, pads, d, groups, tuple(layer.args["kernel_size"]))
                    f, n = Corr(xs, G, *settings), Corr(bp.where[xs], Gv, *settings)
                    text = conv_weight_text(cv, call, W, xs, G, s, pads, d, groups)
                else:
                    f, n = ChannelSum(G, sp.Integer(layer.nd)), ChannelSum(Gv, sp.Integer(layer.nd))
                    text = say("Back through ", Math(cv.symbol), ": each output channel adds its bias to every "
                               "position, so a bias's gradient is the sum of that channel's upstream gradient:")
                if prefix:
                    f, n = EntryOf(f, _tuple(prefix)), EntryOf(n, _tuple(prefix))
                    text = say(text, " ", Code(V), f" is part {', '.join(str(i + 1) for i in prefix)} of the "
                               f"{'weight' if is_w else 'bias'}:")
                f, n = self._shaped(f, n, V)
                return f, n, text, []
        raise ValueError(f"{V} is not a parent of {C}")

    def _reshaped(self, G: Any, Gv: Any, V: str) -> tuple[Any, Any]:
        want = _tuple(display_dims(self.g.v[V]))
        return Reshape(G, want), Reshape(Gv, want)

    def _shaped(self, f: Any, n: Any, V: str) -> tuple[Any, Any]:
        """f, n reshaped to how V is shown, when the layer sees it in another shape."""
        vx = self.g.v[V]
        want = display_dims(vx)
        want = (want[0], 1) if len(want) == 1 else want
        got = nd_display_shape(n)
        if got is None or tuple(got) == tuple(want):
            return f, n
        return Reshape(f, _tuple(want)), Reshape(n, _tuple(want))


def nd_display_shape(v: Any) -> tuple | None:
    """The shape of a shown value, computed (None when it holds symbols)."""
    a = nd_array(v.doit() if isinstance(v, sp.Basic) else v)
    if a is None:
        return None
    return a.shape if a.ndim != 1 else (a.shape[0], 1)
