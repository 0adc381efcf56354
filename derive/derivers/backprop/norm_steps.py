"""The backprop steps through BatchNorm1d/2d, LayerNorm and Embedding.

In: the Explain of a finished Backprop (its LayerSteps methods: shown symbols and values),
the layer vertex C, the parent V whose gradient is shown, and the upstream gradient (its
symbol G and shown value Gv).  Out: `norm_term` and `embedding_term`, each
(formula, formula with numbers, sentence, extra steps) like LayerSteps.layer_term:
* a norm's input: ∂L/∂X = normgrad(X, ∂L/∂Y, γ), the index formula stated as a fact
  (∂L/∂x_j = (ĝ_j − mean ĝ − x̂_j mean(ĝ x̂))/√(σ² + ε), ĝ = γ ∂L/∂y; ĝ_j/√(σ² + ε) with
  running statistics), after a step giving x̂ = standardize(X) with each group's μ and σ²;
* γ: the sum of ∂L/∂Y ⊙ X̂ over the dimensions γ is shared along, β: the sum of ∂L/∂Y;
* an Embedding's weight: index_add(I, ∂L/∂Y), the rows of the indexed tokens accumulating
  the upstream gradient, the padding row 0.
The operators (derive.derivers.backprop.norm_notation) compute another way than the sweep.
"""
from __future__ import annotations

import re
from typing import Any

import sympy as sp

from ...notation import SumOver
from ...sentence import Code, Math, Rel, Sentence, join, say
from ...steps import Step, make_step
from ..layers import norm_grads
from ..layers.values import LayerRef
from .layer_graph import vertex_array
from .layer_notation import EntryOf, Hadamard, nd_display
from .norm_notation import AxisSum, IndexAdd, NormGrad, Standardize
from .notation import DSym

MAX_GROUPS = 6


def _tuple(xs) -> sp.Tuple:
    return sp.Tuple(*[sp.Integer(int(v)) for v in xs])


def _fresh(bp: Any, names: list[str], value: Any) -> sp.Symbol:
    """The first display symbol of `names` not bound to another value in bp.where, bound to value."""
    for name in names:
        s = sp.Symbol(name)
        if s not in bp.where or bp.where[s] == value:
            break
    else:
        raise ValueError(f"no free display symbol among {names}")
    bp.where[s] = value
    return s


def _gamma(ex: Any, call: Any) -> tuple[sp.Symbol, Any]:
    """γ as shown (its symbol bound to the vector or tensor of the layer's γ)."""
    layer = call.layer
    x = vertex_array(ex.g.v[call.arg], call.in_dims)
    rows = norm_grads._groups(layer, x)[0].shape
    g = norm_grads.gamma_of(layer, rows).reshape(norm_grads.param_shape(layer))
    return _fresh(ex.bp, [f"gamma_{call.name}", "gamma", "gamma'"], nd_display(g)), g


def _groups_words(layer: Any, call: Any) -> tuple[Sentence, int]:
    """How the entries are grouped, and the size m of a group."""
    dims = call.in_dims
    if norm_grads.is_batch_norm(layer):
        m = int(sp.prod([dims[0]] + list(dims[2:])))
        if not norm_grads.batch_statistics(layer):
            return say("each channel is normalised with its running mean and variance"), m
        return say("each channel is normalised over the batch and every position"), m
    k = len(layer.args["normalized_shape"])
    m = int(sp.prod(dims[len(dims) - k:]))
    return say(f"each sample is normalised over its last {k} dimension{'s' if k > 1 else ''}"), m


def standardize_step(ex: Any, call: Any, xs: Any) -> tuple[Step, sp.Symbol]:
    """x̂ = standardize(X) = standardize(numbers) = values, with each group's μ and σ² claimed."""
    bp, layer = ex.bp, call.layer
    x = vertex_array(ex.g.v[call.arg], call.in_dims)
    xh, s, shape = norm_grads.standardized(layer, x)
    value = nd_display(norm_grads._ungroup(layer, xh, shape))
    base = [xs.name] if re.fullmatch(r"[A-Za-z]", xs.name) else []
    H = _fresh(bp, [f"{b}_hat" for b in base + ["x", "u", "v", "r", "s", "q"]], value)
    settings = [LayerRef(call.name, layer), _tuple(call.in_dims)]
    rows, _ = norm_grads._groups(layer, x)
    means, vars_ = norm_grads.statistics(layer, rows)
    what, m = _groups_words(layer, call)
    claims = []
    for r in range(min(rows.shape[0], MAX_GROUPS)):
        if norm_grads.batch_statistics(layer):
            with sp.evaluate(False):
                mean_f = sp.Mul(sp.Add(*rows[r]), sp.Pow(sp.Integer(m), -1))
            claims.append(say(Rel(sp.Symbol(f"mu_{r + 1}"), "=", mean_f, kind="definition"), " = ",
                              Math(means[r]), ", ", Rel(sp.Symbol(f"sigma_{r + 1}") ** 2, "=", vars_[r],
                                                         kind="definition")))
        else:
            claims.append(say(Rel(sp.Symbol(f"mu_{r + 1}"), "=", means[r], kind="definition"), ", ",
                              Rel(sp.Symbol(f"sigma_{r + 1}") ** 2, "=", vars_[r], kind="definition")))
    more = f" (the first {MAX_GROUPS} of {rows.shape[0]})" if rows.shape[0] > MAX_GROUPS else ""
    stats = say("the batch's mean and biased variance")
    groups = say(f" (groups of {m} entries), with ", stats) if norm_grads.batch_statistics(layer) else say()
    text = say("The normalised input of ", Code(call.name), ": ", what, groups,
               f"; per group{more}: ", join(claims, "; "), ", and ", Math(sp.Symbol("epsilon")), " = ",
               Math(layer.args["eps"]), ":")
    chain = [H, Standardize(xs, *settings), Standardize(bp.where[xs], *settings), value]
    return make_step("normalised_input", text, *chain, where={H: value, xs: bp.where[xs]}), H


def _input_formula(ex: Any, C: str, V: str, batch: bool) -> Rel:
    """∂L/∂x_j in terms of ĝ and x̂ over one group, as a stated fact."""
    L = ex.g.v[ex.bp.root].key((0, 0))
    j, k, m = sp.Symbol("j"), sp.Symbol("k"), sp.Symbol("m")
    dX = sp.IndexedBase(DSym(L, V))
    gh, xh = sp.IndexedBase(sp.Symbol("g_hat")), sp.IndexedBase(sp.Symbol("x_hat"))
    with sp.evaluate(False):
        scale = sp.Pow(sp.sqrt(sp.Add(sp.Symbol("sigma") ** 2, sp.Symbol("epsilon"))), -1)
        if batch:
            inner = sp.Add(gh[j], sp.Mul(-1, sp.Pow(m, -1), SumOver(gh[k], k)),
                           sp.Mul(-1, xh[j], sp.Pow(m, -1), SumOver(sp.Mul(gh[k], xh[k]), k)))
        else:
            inner = gh[j]
        rhs = sp.Mul(scale, inner)
    return Rel(dX[j], "=", rhs, kind="fact")


def _input_text(ex: Any, C: str, V: str, call: Any, xs: Any, G: Any, gam: Any) -> Sentence:
    layer = call.layer
    cv = ex.g.v[C]
    what, m = _groups_words(layer, call)
    batch = norm_grads.batch_statistics(layer)
    head = say("Back through ", Math(cv.symbol), " = ", Code(call.name), "(", Math(xs), "): ", what, "; ")
    gdef = Rel(sp.Symbol("g_hat"), "=", Hadamard(gam, G), kind="definition")
    if not batch:
        return say(head, "with the running statistics fixed it is an affine map of each entry, so with ", gdef,
                   " (γ of its channel times the upstream gradient) ", _input_formula(ex, C, V, False),
                   ", σ² the running variance:")
    return say(head, "every entry also moves its group's mean and variance, so with ", gdef,
               " (γ times the upstream gradient, entrywise) and ", Math(sp.Symbol("x_hat")),
               " the normalised input, over each group of ",
               Rel(sp.Symbol("m"), "=", sp.Integer(m), kind="definition"), " entries ",
               _input_formula(ex, C, V, True), ":")


def norm_term(ex: Any, C: str, V: str, G: Any, Gv: Any) -> tuple[Any, Any, Sentence, list[Step]]:
    """C's contribution to δV for a BatchNorm or LayerNorm vertex C (V its input, γ or β)."""
    bp = ex.bp
    call = ex.g.v[C].layer
    layer = call.layer
    xs = ex.shown_symbol(call.arg)
    ref, dims = LayerRef(call.name, layer), _tuple(call.in_dims)
    if V == call.arg:
        gam, _ = _gamma(ex, call)
        f = NormGrad(xs, G, gam, ref, dims)
        n = NormGrad(bp.where[xs], Gv, bp.where[gam], ref, dims)
        steps = [standardize_step(ex, call, xs)[0]] if norm_grads.batch_statistics(layer) else []
        return (*ex._shaped(f, n, V), _input_text(ex, C, V, call, xs, G, gam), steps)
    axes = _tuple(norm_grads.summed_axes(layer, len(call.in_dims)))
    for parts, is_w in ((call.weight, True), (call.bias, False)):
        for name, prefix in parts:
            if name != V:
                continue
            extra = []
            if is_w:
                step, H = standardize_step(ex, call, xs)
                extra = [step]
                f, n = AxisSum(Hadamard(G, H), axes, dims), AxisSum(Hadamard(Gv, bp.where[H]), axes, dims)
            else:
                f, n = AxisSum(G, axes, dims), AxisSum(Gv, axes, dims)
            text = _param_text(ex, C, call, xs, is_w, axes)
            f, n, text = _part(f, n, text, V, prefix, is_w)
            return (*ex._shaped(f, n, V), text, extra)
    raise ValueError(f"{V} is not a parent of {C}")


def _param_text(ex: Any, C: str, call: Any, xs: Any, is_w: bool, axes: sp.Tuple) -> Sentence:
    cv = ex.g.v[C]
    dims = ", ".join(str(int(a)) for a in axes)
    shared = say(f" (summed over dimension{'s' if len(axes) > 1 else ''} {dims}, 0-based as in PyTorch: "
                 "every entry there shares the same one)")
    if is_w:
        return say("Back through ", Math(cv.symbol), " = ", Code(call.name), "(", Math(xs), "): y = γ x̂ + β, so each "
                   "γ gets the upstream gradient times the normalised input x̂ at every entry it scales", shared, ":")
    return say("Back through ", Math(cv.symbol), " = ", Code(call.name), "(", Math(xs), "): y = γ x̂ + β, so each "
               "β gets the sum of the upstream gradient at every entry it shifts", shared, ":")


def _part(f: Any, n: Any, text: Sentence, V: str, prefix: tuple, is_w: bool) -> tuple[Any, Any, Sentence]:
    """The formulas restricted to V's part of the weight (`weight = [g1, g2]`)."""
    if not prefix:
        return f, n, text
    text = say(text, " ", Code(V), f" is part {', '.join(str(i + 1) for i in prefix)} of the "
               f"{'weight' if is_w else 'bias'}:")
    return EntryOf(f, _tuple(prefix)), EntryOf(n, _tuple(prefix)), text


def embedding_term(ex: Any, C: str, V: str, G: Any, Gv: Any) -> tuple[Any, Any, Sentence, list[Step]]:
    """C's contribution to δV for an Embedding vertex C (V its weight or a part of it)."""
    bp = ex.bp
    cv = ex.g.v[C]
    call = cv.layer
    layer = call.layer
    xs = ex.shown_symbol(call.arg)
    pad = norm_grads.padding_row(layer)
    scale = bool(layer.args["scale_grad_by_freq"])
    settings = [sp.Integer(int(layer.args["num_embeddings"])), sp.Integer(-1 if pad is None else pad),
                sp.Integer(int(scale)), _tuple(cv.dims)]
    f, n = IndexAdd(xs, G, *settings), IndexAdd(bp.where[xs], Gv, *settings)
    L = ex.g.v[bp.root].key((0, 0))
    i, j, p = sp.Symbol("i"), sp.Symbol("j"), sp.Symbol("p")
    E, Y = sp.IndexedBase(DSym(L, V)), sp.IndexedBase(DSym(L, cv.name))
    t = sp.IndexedBase(sp.Symbol(xs.name))
    with sp.evaluate(False):
        rhs = SumOver(Y[p, j], sp.Eq(t[p], i, evaluate=False))
        if scale:
            rhs = sp.Mul(sp.Pow(sp.Symbol("c_i"), -1), rhs)
        formula = Rel(E[i, j], "=", rhs, kind="fact")
    notes = say(", and row ", Math(sp.Integer(pad)), ", the padding_idx row, gets 0 as in PyTorch") \
        if pad is not None else say()
    if scale:
        notes = say(notes, "; with scale_grad_by_freq, row i is divided by ", Math(sp.Symbol("c_i")),
                    ", how often i occurs in the input")
    text = say("Back through ", Math(cv.symbol), " = ", Code(call.name), "(", Math(xs), "): each position p of the "
               "input (counted in order) copies the row of the weight its index ", Math(t[p]), " selects (indices "
               "from 0), so a row's gradient is the sum of the upstream gradient at the positions holding its "
               "index, ", formula, "; repeated indices add up, rows no index selects get 0", notes)
    for name, prefix in call.weight:
        if name == V:
            f, n, text = _part(f, n, say(text, ":" if not prefix else "."), V, prefix, True)
            return (*ex._shaped(f, n, V), text, [])
    raise ValueError(f"{V} is not a parent of {C}")
