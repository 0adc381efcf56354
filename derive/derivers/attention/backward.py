"""The backward pass through one softmax-attention block, every local gradient checked.

In: the problem, the attention call, the gradients g_i = ∂L/∂y_i arriving at its outputs
(token index -> matrix expression), the loss symbol and the output symbols.  Out: a
`Backward` with the steps and ∂L/∂q_i, ∂L/∂k_j, ∂L/∂v_j in the named intermediates:
∂L/∂v_j = Σ_i a_ij g_i; through the softmax Jacobian diag(a_i) − a_i a_iᵀ,
δ_ij = ∂L/∂s_ij = a_ij g_iᵀ(v_j − y_i) (g_iᵀv_j without softmax);
∂L/∂q_i = Σ_j δ_ij k_j / c and ∂L/∂k_j = Σ_i δ_ij q_i / c (c = √d_k or 1).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from ... import ast
from ...model.problem import Problem
from ...notation import Partial, SumOver
from ...sentence import Math, Rel, say
from ...steps import Step, make_step
from ...engines.matpoly import GradientOf, JacobianOf
from .compute import compute
from .forward import definitions, kwarg_flag
from .notation import Diag, Iverson, Softmax, ix, vec

I, J, L, M = sp.symbols("i j l m")


@dataclass
class Backward:
    """The backward pass through one attention block (shared by every variable)."""

    steps: list
    tokens: list
    W: tuple
    q: list
    k: list
    v: list
    dq: dict = field(default_factory=dict)
    dk: dict = field(default_factory=dict)
    dv: dict = field(default_factory=dict)
    soft: bool = True


@dataclass
class _Pass:
    """What every stage of the backward pass shares."""

    f: Any                 # the loss symbol
    n: int
    c: Any                 # √d_k or 1
    g: dict                # token -> upstream gradient (None where none arrives)
    live: list             # tokens with an upstream gradient
    a: list                # a[i][j]: the weight symbols
    delta: list            # delta[i][j]: ∂L/∂s_ij
    q: list
    k: list
    v: list
    ysym: dict             # token -> the output's own symbol (y1), where the loss names it

    def matadd(self, terms: list) -> Any:
        return sp.MatAdd(*terms, evaluate=False) if len(terms) > 1 else terms[0]


def _setup(WQ: Any, WK: Any, WV: Any, c: Any, f_sym: Any, upstream: dict, out_syms: list, n: int) -> _Pass:
    a = [[ix("a", i + 1, j + 1) for j in range(n)] for i in range(n)]
    delta = [[ix("delta", i + 1, j + 1) for j in range(n)] for i in range(n)]
    g = {i: upstream.get(i) for i in range(n)}
    q = [sp.MatrixSymbol(f"q{i + 1}", WQ.shape[0], 1) for i in range(n)]
    k = [sp.MatrixSymbol(f"k{i + 1}", WK.shape[0], 1) for i in range(n)]
    v = [sp.MatrixSymbol(f"v{i + 1}", WV.shape[0], 1) for i in range(n)]
    return _Pass(f_sym, n, c, g, [i for i in range(n) if g[i] is not None], a, delta, q, k, v,
                 dict(zip(sorted(upstream), out_syms)))


def _value_step(P: _Pass, dv_rows: Any) -> tuple[Step, dict]:
    """∂L/∂v_j = Σ_i a_ij g_i, one checked substep per value."""
    surrogate = sp.Add(*[sp.Trace(sp.MatMul(sp.Transpose(P.g[i]), P.matadd([sp.MatMul(P.a[i][j], P.v[j])
                                                                           for j in range(P.n)])))
                         for i in P.live])
    dv, subs = {}, []
    for j in range(P.n):
        dv[j] = P.matadd([sp.MatMul(P.a[i][j], P.g[i]) for i in P.live])
        subs.append(make_step("gradient", say(Math(vec("y_i", dv_rows)), " is linear in ", Math(P.v[j]),
                                              " with weight ", Math(ix("a", "i", j + 1)), ":"),
                              GradientOf(surrogate, P.v[j]), dv[j]))
    y_i, v_j, g_i = vec("y_i", dv_rows), vec("v_j", dv_rows), vec("g_i", dv_rows)
    text = say("Since ", Rel(y_i, "=", SumOver(sp.MatMul(ix("a", "i", "j"), v_j), J), kind="definition"), ": ",
               Rel(Partial(P.f, v_j), "=", SumOver(sp.MatMul(ix("a", "i", "j"), g_i), I), kind="fact"), ".")
    return make_step("values", text, check=False, substeps=subs), dv


def _jacobian_step(n: int) -> Step:
    """The softmax Jacobian diag(a) − aaᵀ, checked against softmax written out in s."""
    s_vec, a_vec = sp.MatrixSymbol("s", n, 1), sp.MatrixSymbol("a", n, 1)
    jac = sp.MatAdd(Diag(a_vec), sp.MatMul(-1, a_vec, sp.Transpose(a_vec)), evaluate=False)
    ex = [sp.exp(s_vec[j, 0]) for j in range(n)]
    soft_of_s = sp.ImmutableMatrix(n, 1, [e / sp.Add(*ex) for e in ex])
    a_j, s_m, a_m = ix("a", "j"), ix("s", "m"), ix("a", "m")
    a_def = sp.Mul(sp.exp(ix("s", "j")), sp.Pow(SumOver(sp.exp(ix("s", "l")), L), -1), evaluate=False)
    text = say("The Jacobian of softmax, ", Rel(a_vec, "=", Softmax(s_vec), kind="definition"), " with ",
               Rel(a_j, "=", a_def, kind="definition"), ": ",
               Rel(Partial(a_j, s_m), "=", sp.Mul(a_j, sp.Add(Iverson(J, M), -a_m, evaluate=False), evaluate=False),
                   kind="fact"), ", that is")
    return make_step("softmax_jacobian", text, JacobianOf(a_vec, s_vec), jac, where={a_vec: soft_of_s})


def _delta_substeps(P: _Pass, i: int) -> list[Step]:
    """δ_ij = ∂L/∂s_ij for one token i: the loss as a function of s_i, differentiated."""
    s_syms = [ix("s", i + 1, j + 1) for j in range(P.n)]
    exps = [sp.exp(s) for s in s_syms]
    tot = sp.Add(*exps)
    ga = [sp.Trace(sp.MatMul(sp.Transpose(P.g[i]), P.v[j])) for j in range(P.n)]
    sur = sp.Add(*[ga[j] * exps[j] / tot for j in range(P.n)])
    y_val = P.matadd([sp.MatMul(P.a[i][l], P.v[l]) for l in range(P.n)])
    y_of = P.ysym.get(i, y_val)
    out = []
    for j in range(P.n):
        diff = sp.MatAdd(P.v[j], sp.MatMul(-1, y_of))
        val = sp.MatMul(P.a[i][j], sp.Transpose(P.g[i]), diff)
        w_s = {P.a[i][l]: exps[l] / tot for l in range(P.n)}
        w_s.update({P.ysym[i]: y_val.xreplace(w_s)} if i in P.ysym else {})
        text = say(Rel(P.delta[i][j], "=", Partial(P.f, s_syms[j]), kind="definition"), ":")
        out.append(make_step("chain_rule", text, sp.Derivative(sur, s_syms[j]), val, where=w_s))
    return out


def _softmax_scores_step(P: _Pass, rows: Any) -> Step:
    """δ_ij = a_ij g_iᵀ(v_j − y_i), one checked substep per (i, j)."""
    subs = [s for i in P.live for s in _delta_substeps(P, i)]
    f = P.f
    a_ij, a_il, s_ij, d_ij = ix("a", "i", "j"), ix("a", "i", "l"), ix("s", "i", "j"), ix("delta", "i", "j")
    g_i, v_j, v_l, y_i = (vec(nm, rows) for nm in ("g_i", "v_j", "v_l", "y_i"))
    chain = SumOver(sp.Mul(Partial(f, a_il), Partial(a_il, s_ij), evaluate=False), L)
    local = SumOver(sp.MatMul(a_il, sp.Add(Iverson(L, J), -a_ij, evaluate=False), sp.Transpose(g_i), v_l,
                              evaluate=False), L)
    text = say("Through softmax (chain rule with that Jacobian): ", Rel(d_ij, "=", Partial(f, s_ij), kind="definition"),
               ", where ", Rel(Partial(f, s_ij), "=", chain, kind="fact"), " with ",
               Rel(Partial(f, a_ij), "=", sp.MatMul(sp.Transpose(g_i), v_j, evaluate=False), kind="fact"), ", so ",
               Rel(local, "=", sp.MatMul(a_ij, sp.Transpose(g_i), sp.MatAdd(v_j, sp.MatMul(-1, y_i), evaluate=False),
                                         evaluate=False), kind="fact"), ":")
    return make_step("scores", text, check=False, substeps=subs)


def _raw_scores_step(P: _Pass, rows: Any) -> Step:
    a_ij, s_ij, d_ij = ix("a", "i", "j"), ix("s", "i", "j"), ix("delta", "i", "j")
    gv = sp.MatMul(sp.Transpose(vec("g_i", rows)), vec("v_j", rows), evaluate=False)
    text = say("Without softmax ", Rel(a_ij, "=", s_ij, kind="definition"), ", so ",
               Rel(d_ij, "=", Partial(P.f, s_ij), kind="definition"), " and ",
               Rel(Partial(P.f, s_ij), "=", gv, kind="fact"), ".")
    return make_step("scores", text, check=False)


def _query_key_step(P: _Pass, dq_rows: Any) -> tuple[Step, dict, dict]:
    """∂L/∂q_i = Σ_j δ_ij k_j / c and ∂L/∂k_j = Σ_i δ_ij q_i / c, one checked substep each."""
    c = P.c
    sur_s = sp.Add(*[P.delta[i][j] * sp.Trace(sp.MatMul(sp.Transpose(P.q[i]), P.k[j])) / c
                     for i in P.live for j in range(P.n)])
    dq, dk, subs = {}, {}, []
    for i in range(P.n):
        terms = [sp.MatMul(P.delta[i][j] / c, P.k[j]) for j in range(P.n)] if i in P.live else []
        dq[i] = P.matadd(terms) if terms else sp.ZeroMatrix(dq_rows, 1)
        if terms:
            subs.append(make_step("gradient", say("Query ", Math(P.q[i]), ":"), GradientOf(sur_s, P.q[i]), dq[i]))
    for j in range(P.n):
        dk[j] = P.matadd([sp.MatMul(P.delta[i][j] / c, P.q[i]) for i in P.live])
        subs.append(make_step("gradient", say("Key ", Math(P.k[j]), ":"), GradientOf(sur_s, P.k[j]), dk[j]))
    d_ij = ix("delta", "i", "j")
    q_i, k_j = vec("q_i", dq_rows), vec("k_j", dq_rows)
    qk = sp.MatMul(sp.Transpose(q_i), k_j, evaluate=False)
    score = qk if c == 1 else sp.MatMul(1 / c, qk.args[0], qk.args[1], evaluate=False)
    text = say("Since ", Rel(ix("s", "i", "j"), "=", score, kind="definition"), ": ",
               Rel(Partial(P.f, q_i), "=", SumOver(sp.MatMul(d_ij / c, k_j), J), kind="fact"), " and ",
               Rel(Partial(P.f, k_j), "=", SumOver(sp.MatMul(d_ij / c, q_i), I), kind="fact"), ".")
    return make_step("queries_keys", text, check=False, substeps=subs), dq, dk


def backward(problem: Problem, acall: ast.Call, upstream: dict, f_sym: Any, out_syms: list,
             tokens: list) -> Backward:
    """Values, softmax, scores, queries and keys: every local gradient, checked."""
    WQ, WK, WV = (problem.display(a) for a in acall.args[1:4])
    soft, scale = kwarg_flag(acall, "softmax", problem), kwarg_flag(acall, "scale", problem)
    att = compute(tokens, WQ, WK, WV, soft, scale)
    P = _setup(WQ, WK, WV, att.divisor, f_sym, upstream, out_syms, len(tokens))
    g_i, y_i = vec("g_i", WV.shape[0]), vec("y_i", WV.shape[0])
    steps = [make_step("definition", definitions((WQ, WK, WV), soft, att.divisor, att.dk)
                       + say(" Backpropagate through these in reverse order, with ",
                             Rel(g_i, "=", Partial(f_sym, y_i), kind="definition"), " given."), check=False)]
    vstep, dv = _value_step(P, WV.shape[0])
    steps.append(vstep)
    if soft:
        steps.append(_jacobian_step(P.n))
        steps.append(_softmax_scores_step(P, WV.shape[0]))
    else:
        steps.append(_raw_scores_step(P, WV.shape[0]))
    qk, dq, dk = _query_key_step(P, WQ.shape[0])
    steps.append(qk)
    return Backward(steps, tokens, (WQ, WK, WV), P.q, P.k, P.v, dq, dk, dv, soft)
