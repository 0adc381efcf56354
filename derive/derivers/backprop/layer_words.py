"""The sentences of the layer backprop steps: the index formulas (stated as facts) and the
max-pool windows (each window's maximum a checked claim).

In: a layer vertex's call (LayerCall), display symbols and settings.  Out: Sentences and
the `max_windows` step.
"""
from __future__ import annotations

from itertools import product
from typing import Any

import sympy as sp

from ...sentence import Code, Math, Rel, Sentence, join, say
from ...steps import Step, make_step
from ..layers.grads import _window_entries, argmax_first
from .layer_graph import vertex_array
from .notation import DSym

MAX_WINDOWS = 6


def _idx_symbols(prefix: str, nd: int) -> list[sp.Symbol]:
    return [sp.Symbol(prefix)] if nd == 1 else [sp.Symbol(f"{prefix}_{i + 1}") for i in range(nd)]


def _weight_formula(call: Any, W: Any, xs: Any, G: Any, s: tuple, d: tuple) -> Any:
    """∂L/∂W[c,i,j] = Σ_o ∂L/∂Y[c,o] · X̃[i, s·o + d·j] (Σ_n over a batch too), as sympy."""
    nd = call.layer.nd
    batched = len(call.in_dims) == nd + 2
    c, i = sp.Symbol("c"), sp.Symbol("i")
    js, os_ = _idx_symbols("j", nd), _idx_symbols("o", nd)
    n = sp.Symbol("n")
    L = getattr(G, "name", "∂L/∂").split("/∂")[0][1:]
    dW = sp.IndexedBase(DSym(L, W.name))
    Gi = sp.IndexedBase(DSym(L, call_vertex_name(G)))
    Xp = sp.IndexedBase(sp.Symbol(f"{xs.name}_pad"))
    with sp.evaluate(False):
        pos = [sp.Add(sp.Mul(si, oi) if si != 1 else oi, sp.Mul(di, ji) if di != 1 else ji)
               for si, di, oi, ji in zip(s, d, os_, js)]
    lead = [n] if batched else []
    body = sp.Mul(Gi[tuple(lead + [c] + os_)], Xp[tuple(lead + [i] + pos)], evaluate=False)
    out_sizes = call_out(call)
    limits = [(o, 0, m - 1) for o, m in zip(os_, out_sizes)]
    if batched:
        limits = [(n, 0, call.in_dims[0] - 1)] + limits
    return Rel(dW[tuple([c, i] + js)], "=", sp.Sum(body, *limits), kind="fact")


def call_vertex_name(G: Any) -> str:
    """The vertex a gradient symbol ∂L/∂name is of."""
    return G.name.split("/∂", 1)[1].split("|")[0]


def call_out(call: Any) -> tuple:
    out, _ = call.layer.out_dims(call.in_dims, call.node)
    return tuple(int(v) for v in out[-call.layer.nd:])


def _pad_words(xs: Any, pads: tuple) -> Sentence:
    if all(lo == 0 and hi == 0 for lo, hi in pads):
        return say(" (", Math(sp.Symbol(f"{xs.name}_pad")), " is ", Math(xs), ": no padding)")
    if len(set(pads)) == 1:
        sizes = f"{pads[0][0]} before and {pads[0][1]} after in {'the' if len(pads) == 1 else 'each'} spatial dimension"
    else:
        sizes = "; ".join(f"{lo} before and {hi} after in spatial dimension {i + 1}" for i, (lo, hi) in enumerate(pads))
    return say(" (", Math(sp.Symbol(f"{xs.name}_pad")), " is ", Math(xs), f" with zeros added: {sizes})")


def conv_weight_text(cv: Any, call: Any, W: Any, xs: Any, G: Any, s: tuple, pads: tuple, d: tuple,
                     groups: int) -> Sentence:
    """Why ∂L/∂W is X ⋆ ∂L/∂Y: the index formula with the problem's stride and dilation."""
    text = say("Back through ", Math(cv.symbol), " = ", Math(sp.Function(call.name)(xs)), ": a convolution's "
               "weight gradient is the cross-correlation of its zero-padded input with the upstream gradient, ",
               _weight_formula(call, W, xs, G, s, d), _pad_words(xs, pads))
    if groups > 1:
        text = say(text, f"; with groups = {groups}, output channel c reads only the input channels of its group, "
                   "so i counts within that group")
    return say(text, ":")


def conv_input_text(cv: Any, call: Any, W: Any, G: Any, s: tuple, pads: tuple, d: tuple) -> Sentence:
    """Why ∂L/∂X is ∂L/∂Y ∗ W: the transposed convolution, described with the numbers."""
    k = call.layer.args["kernel_size"]
    with sp.evaluate(False):
        spans = [Rel(sp.Mul(di, sp.Add(ki, -1)), "=", sp.Integer(di * (ki - 1))) for di, ki in zip(d, k)]
    stride = say(" (with ", join([Math(sp.Integer(si - 1)) for si in s]), " zeros between its entries: the stride "
                 "minus 1)") if any(si != 1 for si in s) else say()
    crop = say(", and the padding (", ", ".join(f"{lo} before, {hi} after" for lo, hi in pads), ") is cut off") \
        if any(lo or hi for lo, hi in pads) else say()
    return say("Back through ", Math(cv.symbol), ": a convolution's input gradient is the full convolution of the "
               "upstream gradient with the kernel, the transposed convolution: ", Math(G), stride,
               " gets ", join(spans), " zeros on each side and is cross-correlated with the flipped kernel, ",
               Math(W), " rotated by 180°", crop, ":")


def avg_text(cv: Any, call: Any, xs: Any, a: dict) -> Sentence:
    if a.get("divisor_override"):
        n = say("divisor_override = ", Math(sp.Integer(a["divisor_override"])))
    elif a.get("count_include_pad", True):
        n = say("the number of its entries in the padded input (", Code("count_include_pad"), ")")
    else:
        n = say("the number of its entries inside the input (padding not counted)")
    return say("Back through the average pool ", Math(cv.symbol), " = ", Math(sp.Function(call.name)(xs)), ": each "
               "window's upstream gradient is shared evenly by the entries it averages, each getting it divided "
               "by the window's divisor, ", n, "; an entry in several windows adds their shares:")


def max_windows_step(ex: Any, C: str, call: Any, k: tuple, s: tuple, p: tuple, d: tuple) -> Step:
    """The maximum of the first windows, each a checked claim max(window) = its first maximum."""
    bp = ex.bp
    xv = bp.g.v[call.arg]
    x = vertex_array(xv, call.in_dims)
    nd = len(k)
    lead_dims, size = call.in_dims[:-nd], call.in_dims[-nd:]
    r, c = xv.shape
    parts, where, count, ties = [], {}, 0, False
    out_sp = bp.g.v[C].dims[-nd:]

    def comp(q: tuple) -> Any:
        flat = int(sum(qi * int(sp.prod(call.in_dims[i + 1:])) for i, qi in enumerate(q)))
        sym = bp.comp(call.arg, (flat // c, flat % c))
        where[sym] = bp.where[sym]
        return sym
    for lead in product(*[range(n) for n in lead_dims]):
        for o in product(*[range(n) for n in out_sp]):
            count += 1
            if count > MAX_WINDOWS:
                continue
            win = _window_entries(o, k, s, p, d, size)
            vals = [x[lead + q] for q in win]
            best = argmax_first(vals)
            tie = sum(1 for v in vals if v == vals[best]) > 1
            ties |= tie
            syms = [comp(lead + q) for q in win]
            claim = Rel(sp.Max(*syms, evaluate=False) if len(syms) > 1 else syms[0], "=", syms[best])
            parts.append(say(claim, " (a tie: the first is taken)" if tie else ""))
    more = f" (the first {MAX_WINDOWS} of {count} windows)" if count > MAX_WINDOWS else ""
    return make_step("max_pool_windows", say(f"The maximum of each window{more}: ", join(parts, "; "), "."),
                     where=where)
