"""Gradients through softmax attention: `grad(L, x)` for a loss of the block's outputs.

In: the problem, the loss symbol, the variable x (a token or a weight of the block) and
either the given upstream gradients (`given grad(L, y_i) = g_i`) or a loss written out in
the outputs (L = ‖y1 − t‖² + ...).  Out: a `Derived` with the backward pass of
derive.derivers.attention.backward, the paths from x collected by the chain rule, and the
answer in the inputs; None when the loss is not of that kind (the next strategy is tried).
"""
from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

import sympy as sp

from ... import ast
from ...errors import Unsupported
from ...model.expressions import scalarize
from ...model.problem import Problem
from ...sentence import Math, Rel, join, say
from ...steps import Step, make_step
from ...engines import matpoly as M
from ...engines.matpoly import GradientOf
from ..matcalc.common import D, _loss_in, differentiated, leaf_form, node_where
from ..matcalc.grad import _nice_answer
from ..matcalc.upstream import given_loss
from ..registry import Derived, make_answer
from ..request import GoalCall
from .backward import Backward, backward
from .notation import adjoint, ix, vec

# The shared backward passes of each problem, by (call, upstream, loss): a problem is
# frozen, so the cache is kept beside it and goes with it.
_BACKWARD: "WeakKeyDictionary[Problem, dict]" = WeakKeyDictionary()


def attention_call_of(problem: Problem, name: str) -> tuple[ast.Call, int] | None:
    """(the attention call, the output index) for a node `y1 = Y[1]` with `Y = attention(...)`."""
    b = problem.names.get(name)
    if b is None or b.expr is None:
        return None
    e = b.expr
    if isinstance(e, ast.Index) and isinstance(e.target, ast.Name) and len(e.indices) == 1:
        i = problem.value(e.indices[0])
        inner = problem.names.get(e.target.id)
        if inner is not None and isinstance(inner.expr, ast.Call) and inner.expr.name == "attention":
            return inner.expr, int(scalarize(i)) - 1
        if isinstance(e.target, ast.Call) and e.target.name == "attention":
            return e.target, int(scalarize(i)) - 1
    return None


def given_grad(problem: Problem, call: GoalCall) -> Derived | None:
    """∂L/∂x through one softmax-attention block whose outputs have given gradients; None
    when L is not an unspecified loss of the outputs of one block."""
    given = given_loss(problem, call)
    if given is None or not given.ups:
        return None
    found = [attention_call_of(problem, u.name) for u in given.ups]
    if any(f is None for f in found) or len({id(f[0]) for f in found}) != 1:
        return None
    acall = found[0][0]
    upstream = {f[1]: u.grad for f, u in zip(found, given.ups)}
    return backprop(problem, acall, upstream, given.f_sym, given.x, call, [u.symbol for u in given.ups])


def explicit_grad(problem: Problem, call: GoalCall) -> Derived | None:
    """∂L/∂x for a loss written out in the outputs of a softmax attention block
    (L = ‖y1 − t‖², ...): ∂L/∂y_i in closed form first, then the backward pass; None for
    any other L."""
    t = differentiated(problem, call, "grad")
    f_sym, x = t.f_sym, t.x
    if _loss_in(t.leaf) is not None:
        return None
    outs = [b for b in problem.bindings(("node",)) if b.symbol is not None
            and attention_call_of(problem, b.name) is not None]
    if not outs:
        return None
    top = leaf_form(problem, f_sym, frozenset({b.symbol for b in outs} | {x}))
    used = [b for b in outs if b.symbol in top.atoms(sp.MatrixSymbol)]
    if not used or len({id(attention_call_of(problem, b.name)[0]) for b in used}) != 1:
        return None
    try:
        p = M.to_poly(top)
    except Unsupported:
        return None
    if p.depends_on(x):
        return None
    steps: list[Step] = []
    upstream, syms, gvals = {}, [], {}
    where = node_where(problem, frozenset({b.symbol for b in outs}))
    for b in used:
        acall, i = attention_call_of(problem, b.name)
        ge = _nice_answer(M.grad(p, b.symbol), M.Orient(None, M.preferred(top)))[0]
        steps.append(make_step("gradient", say("The gradient arriving at ", Math(b.symbol), " (the loss written in "
                                               "the outputs of the attention block):"),
                               D(top, b.symbol), ge, where=where))
        G = adjoint(str(f_sym), b.name, tuple(b.symbol.shape))     # held fixed in the backward pass
        upstream[i] = G
        gvals[G] = ge
        syms.append(b.symbol)
    out = backprop(problem, acall, upstream, f_sym, x, call, syms)
    if out is None:
        return None
    final = M.replace_keep_order(out.answer.expr, gvals)
    last = make_step("substitute", "Put in the gradients arriving at the outputs:", out.answer.expr, final,
                     where=gvals)
    return Derived(make_answer(final, value=None), tuple(steps) + tuple(out.steps) + (last,))


def _block_inputs(problem: Problem, acall: ast.Call) -> tuple[list, tuple] | None:
    """The token and weight symbols of the block, None unless all are plain symbols."""
    tokens = [problem.display(t) for t in acall.args[0].items] if isinstance(acall.args[0], ast.ListLit) \
        else list(problem.display(acall.args[0]))
    if not all(isinstance(t, sp.MatrixSymbol) for t in tokens):
        return None
    W = tuple(problem.display(a) for a in acall.args[1:4])
    if not all(isinstance(w, sp.MatrixSymbol) for w in W):
        return None   # a weight that is an expression (log(W_K)): its own chain rule, not this pass
    return tokens, W


def _paths(bw: Backward, f_sym: Any, x: Any) -> tuple[list, list, list, dict]:
    """(the contributions, the same through named adjoints, the local surrogate terms, the
    adjoints' values) of every path from x into the block."""
    contrib, paths, local, adj = [], [], [], {}
    for i, t in enumerate(bw.tokens):
        for W, d, nm, vecs in zip(bw.W, (bw.dq, bw.dk, bw.dv), "qkv", (bw.q, bw.k, bw.v)):
            A = adjoint(str(f_sym), f"{nm}{i + 1}", vecs[i].shape)
            adj[A] = d[i]
            local.append(sp.Trace(sp.MatMul(sp.Transpose(A), W, t)))
            if t == x:
                contrib.append(sp.MatMul(sp.Transpose(W), d[i]))
                paths.append(sp.MatMul(sp.Transpose(W), A))
            if W == x:
                contrib.append(sp.MatMul(d[i], sp.Transpose(t)))
                paths.append(sp.MatMul(A, sp.Transpose(t)))
    return contrib, paths, local, adj


def _through(bw: Backward, x: Any) -> Any:
    """Where x enters the block, in words: `q₁ = W_Q x₁, k₁, v₁` and/or `every query`."""
    WQ = bw.W[0]
    parts: list[Any] = [say(Rel(bw.q[m], "=", sp.MatMul(WQ, t, evaluate=False), kind="definition"), ", ",
                            Math(bw.k[m]), ", ", Math(bw.v[m])) for m, t in enumerate(bw.tokens) if t == x]
    if x in bw.W:
        parts.append("every " + ("query", "key", "value")[list(bw.W).index(x)])
    return join(parts, " and ")


def _collect_step(bw: Backward, f_sym: Any, x: Any) -> tuple[Step, Any]:
    contrib, paths, local, adj = _paths(bw, f_sym, x)
    result = sp.MatAdd(*contrib, evaluate=False) if len(contrib) > 1 else contrib[0]
    path_expr = sp.MatAdd(*paths, evaluate=False) if len(paths) > 1 else paths[0]
    text = say("Collect the paths from ", Math(x), " into ", Math(f_sym), " (through ", _through(bw, x),
               "): each contributes the transposed local derivative times the gradient arriving there, with ",
               Math(ix("delta", "i", "j")), " and ", Math(ix("a", "i", "j")), " as above:")
    return make_step("chain_rule", text, GradientOf(f_sym, x), path_expr, result,
                     where={**adj, f_sym: sp.Add(*local).xreplace(adj)}), result


def backprop(problem: Problem, acall: ast.Call, upstream: dict, f_sym: Any, x: Any, call: GoalCall,
             out_syms: list) -> Derived | None:
    """∂L/∂x through attention: the shared backward pass, then the paths into x."""
    found = _block_inputs(problem, acall)
    if found is None:
        return None
    tokens, (WQ, WK, WV) = found
    if x not in tokens and x not in (WQ, WK, WV):
        raise Unsupported(f"`{x}` is not an input or weight of the attention block", call.pos)
    cache = _BACKWARD.setdefault(problem, {})
    key = (id(acall), tuple(sorted(upstream.items(), key=lambda kv: kv[0])), f_sym)
    if key not in cache:
        cache[key] = backward(problem, acall, upstream, f_sym, out_syms, tokens)
    bw = cache[key]
    step, result = _collect_step(bw, f_sym, x)
    steps = list(bw.steps) + [step]
    qkv = {}
    for W, vecs in zip((WQ, WK, WV), (bw.q, bw.k, bw.v)):
        qkv.update({vecs[i]: sp.MatMul(W, tokens[i]) for i in range(len(tokens))})
    answer = result.xreplace(qkv)
    d = WQ.shape[1]
    defs = [Rel(vec(f"{nm}_{ij}", W.shape[0]), "=", sp.MatMul(W, vec(f"x_{ij}", d), evaluate=False),
                kind="definition") for nm, ij, W in (("q", "i", WQ), ("k", "j", WK), ("v", "j", WV))]
    steps.append(make_step("substitute", say("In terms of the inputs (", join(defs), "):"), result, answer, where=qkv))
    return Derived(make_answer(answer, value=None), tuple(steps))
