"""The worked steps of `find Y` for `attention` and `multihead_attention`, and the one
sentence that defines an attention block in the problem's symbols.

In: the problem, the call and its value.  Out: a Step whose substeps stack the tokens as
the rows of X and show, per head, Q = XW_Qᵀ, K, V (tokens as rows, as PyTorch lays them
out), S = QKᵀ/√d_k, A = softmax(S) row by row, Y = AV, then the concatenation and W_O;
every product is checked with the numbers.  Symbolic inputs give the definitions only.
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from ... import ast
from ...model import functions as F
from ...model.expressions import Seq
from ...model.problem import Problem
from ...notation import SumOver
from ...sentence import Math, Rel, Sentence, say
from ...steps import Step, Table, make_step
from ..evaluate import explains_call, substituted
from .compute import Attention, compute, flag, heads_of, multihead, tokens_of
from .notation import ix, shown, vec

I, J, L = sp.symbols("i j l")


def rows_of(vectors: list) -> Any:
    """The vectors as the rows of a matrix (None unless all are explicit)."""
    if all(isinstance(v, sp.MatrixBase) for v in vectors):
        return sp.ImmutableMatrix([list(v) for v in vectors])
    return None


def kwarg_flag(call: ast.Call, name: str, problem: Problem) -> bool:
    """The call's `softmax` / `scale` flag (true unless given)."""
    e = call.kwarg(name)
    return True if e is None else flag(problem.value(e), name, call)


def score_formula(divisor: Any, dq: Any = 1) -> Any:
    """q_iᵀk_j (/√d_k when scaled), as shown."""
    qk = sp.MatMul(sp.Transpose(vec("q_i", dq)), vec("k_j", dq), evaluate=False)
    return qk if divisor == 1 else sp.MatMul(sp.Pow(sp.sqrt(sp.Symbol("d_k")), -1), qk.args[0], qk.args[1],
                                             evaluate=False)


def softmax_formula() -> Any:
    """e^{s_ij} / Σ_l e^{s_il}."""
    return sp.Mul(sp.exp(ix("s", "i", "j")), sp.Pow(SumOver(sp.exp(ix("s", "i", "l")), L), -1), evaluate=False)


def definitions(syms: tuple, softmax: bool, divisor: Any, dk: Any) -> Sentence:
    """The attention block in the problem's symbols: q_i, k_j, v_j, s_ij, a_ij, y_i (definitions)."""
    WQ, WK, WV = syms
    d = WQ.shape[1]
    x_i, x_j = vec("x_i", d), vec("x_j", d)
    parts = [Rel(vec("q_i", WQ.shape[0]), "=", sp.MatMul(WQ, x_i, evaluate=False), kind="definition"), ", ",
             Rel(vec("k_j", WK.shape[0]), "=", sp.MatMul(WK, x_j, evaluate=False), kind="definition"), ", ",
             Rel(vec("v_j", WV.shape[0]), "=", sp.MatMul(WV, x_j, evaluate=False), kind="definition")]
    score = Rel(ix("s", "i", "j"), "=", score_formula(divisor, WQ.shape[0]), kind="definition")
    key = say(" with ", Rel(sp.Symbol("d_k"), "=", dk, kind="definition")) if divisor != 1 else say()
    weights = (say(Rel(ix("a", "i", "j"), "=", softmax_formula(), kind="definition"), " (softmax over j)")
               if softmax else say(Rel(ix("a", "i", "j"), "=", ix("s", "i", "j"), kind="definition"), " (no softmax)"))
    y = Rel(vec("y_i", WV.shape[0]), "=", SumOver(sp.MatMul(ix("a", "i", "j"), vec("v_j", WV.shape[0])), J),
            kind="definition")
    return say("Self-attention: ", *parts, ", the scores ", score, key, ", the weights ", weights,
               ", and the outputs ", y, ".")


def _qkv_steps(att: Attention, syms: tuple, head: int | None, where: dict) -> list[Step]:
    Xd = next(k for k in where if getattr(k, "name", "") == "attn|X|")
    steps = []
    for nm, M, Ws in (("queries", rows_of(att.q), syms[0]), ("keys", rows_of(att.k), syms[1]),
                      ("values", rows_of(att.v), syms[2])):
        Md = shown(nm[0].upper(), head, M.shape)
        where[Md] = M
        row = sp.Transpose(vec(f"{nm[0]}_i", M.shape[1]))
        text = say(f"The {nm}: row ", Math(I), " is ",
                   Rel(row, "=", sp.Transpose(sp.MatMul(Ws, vec("x_i", Ws.shape[1]), evaluate=False)),
                       kind="definition"), ".")
        prod = sp.MatMul(Xd, sp.Transpose(Ws), evaluate=False)
        steps.append(make_step(nm, text, Md, prod, substituted(prod, where), M, where=where))
    return steps


def _decimal(Md: Any, M: sp.MatrixBase, where: dict) -> Step:
    approx = sp.ImmutableMatrix(M.applyfunc(lambda t: sp.Float(sp.N(t, 15), 6)))
    return make_step("decimal", "As decimals:", Md, approx, where=where, relation="≈")


def _score_steps(att: Attention, head: int | None, where: dict) -> list[Step]:
    Qd, Kd = (next(k for k in where if getattr(k, "name", "") == f"attn|{b}|{head or ''}") for b in "QK")
    S = sp.ImmutableMatrix(att.scores)
    Sd = shown("S", head, S.shape)
    where[Sd] = S
    prod = sp.MatMul(Qd, sp.Transpose(Kd), evaluate=False)
    score = Rel(ix("s", "i", "j"), "=", score_formula(att.divisor, Qd.shape[1]), kind="definition")
    if att.divisor != 1:
        prod = sp.MatMul(1 / att.divisor, Qd, sp.Transpose(Kd), evaluate=False)
        text = say("The scores ", score, " with the key size ", Rel(sp.Symbol("d_k"), "=", att.dk, kind="definition"),
                   "; row ", Math(I), " holds token ", Math(I), "'s scores against every token:")
    else:
        text = say("The scores ", score, " (no scaling); row ", Math(I), " holds token ", Math(I),
                   "'s scores against every token:")
    return [make_step("scores", text, Sd, prod, substituted(prod, where), S, where=where)]


def _weight_steps(att: Attention, head: int | None, where: dict) -> list[Step]:
    S = sp.ImmutableMatrix(att.scores)
    Sd = shown("S", head, S.shape)
    A = sp.ImmutableMatrix(att.weights)
    Ad = shown("A", head, A.shape)
    where[Ad] = A
    if not att.softmax:
        text = say("Without softmax the weights are the raw scores, ",
                   Rel(ix("a", "i", "j"), "=", ix("s", "i", "j"), kind="definition"), ":")
        return [make_step("weights", text, Ad, Sd, A, where=where)]
    # the check: A against softmax applied row by row to S (functions.softmax, another route)
    by_rows = sp.ImmutableMatrix([list(F.softmax(sp.ImmutableMatrix(S.row(i)).T)) for i in range(S.shape[0])])
    text = say("The weights: softmax along each row, ", Rel(ix("a", "i", "j"), "=", softmax_formula(),
                                                            kind="definition"),
               " (so each row sums to 1, ", Rel(SumOver(ix("a", "i", "j"), J), "=", 1, kind="fact"), "):")
    return [make_step("softmax", text, Ad, A, where={**where, Ad: by_rows}), _decimal(Ad, A, where)]


def head_steps(att: Attention, syms: tuple, head: int | None, subs: dict) -> tuple[list[Step], Any]:
    """Q, K, V, S, A, Y of one head with explicit numbers (tokens as rows), and Y's symbol."""
    X = rows_of(att.tokens)
    where = dict(subs)
    where[shown("X", None, X.shape)] = X
    steps = _qkv_steps(att, syms, head, where) + _score_steps(att, head, where) + _weight_steps(att, head, where)
    Ad, Vd = (next(k for k in where if getattr(k, "name", "") == f"attn|{b}|{head or ''}") for b in "AV")
    Y = rows_of(att.outputs)
    Yd = shown("Y", head, Y.shape)
    where[Yd] = Y
    prod = sp.MatMul(Ad, Vd, evaluate=False)
    text = say("The outputs: row ", Math(I), " is ",
               Rel(sp.Transpose(vec("y_i", Y.shape[1])), "=",
                   SumOver(sp.MatMul(ix("a", "i", "j"), sp.Transpose(vec("v_j", Y.shape[1]))), J), kind="definition"),
               ":")
    steps.append(make_step("outputs", text, Yd, prod, substituted(prod, where), Y, where=where))
    if any(not t.is_Rational for t in Y):
        steps.append(_decimal(Yd, Y, where))
    return steps, Yd


def _token_table(tokens_disp: list, outs: list, dv: Any) -> Table:
    return Table(("token", say("output ", Math(vec("y_i", dv)))), tuple((t, o) for t, o in zip(tokens_disp, outs)))


def _token_symbols(problem: Problem, call: ast.Call) -> list:
    X = call.args[0]
    if isinstance(X, ast.ListLit):
        return [problem.display(it) for it in X.items]
    disp = problem.display(X)
    return list(disp) if isinstance(disp, Seq) else [disp]


def _tokens_step(X: sp.MatrixBase) -> Step:
    Xd = shown("X", None, X.shape)
    return make_step("tokens", say("Stack the tokens as the rows of ", Math(Xd), " (row ", Math(I), " is ",
                                   Math(sp.Transpose(vec("x_i", X.shape[1]))), "):"), Xd, X, where={Xd: X})


def _result_step(problem: Problem, call: ast.Call, outs: list) -> Step:
    Y = rows_of(outs)
    text = say("Read off the outputs (row ", Math(I), " of ", Math(shown("Y", None, Y.shape)), ", as a column):")
    return make_step("result", text, check=False, table=_token_table(_token_symbols(problem, call), outs, Y.shape[1]))


@explains_call("attention")
def explain_attention(problem: Problem, call: ast.Call, value: Any, subs: dict) -> Step:
    """The worked steps of one attention call (definitions only when its inputs are symbols)."""
    tokens = tokens_of(problem.value(call.args[0]), call.args[0])
    W = [problem.value(a) for a in call.args[1:4]]
    syms = tuple(problem.display(a) for a in call.args[1:4])
    att = compute(tokens, *W, kwarg_flag(call, "softmax", problem), kwarg_flag(call, "scale", problem))
    if rows_of(att.tokens) is None or not all(isinstance(w, sp.MatrixBase) for w in W):
        return make_step("attention", definitions(syms, att.softmax, att.divisor, att.dk), check=False)
    steps, _ = head_steps(att, syms, None, subs)
    intro = _tokens_step(rows_of(att.tokens))
    return make_step("attention", "Self-attention, computed head by head in matrix form "
                     "(tokens as rows, as in PyTorch):", check=False,
                     substeps=[intro] + steps + [_result_step(problem, call, att.outputs)])


def _head_symbols(problem: Problem, call: ast.Call, n: int) -> list[tuple]:
    H = call.args[1]
    if isinstance(H, ast.ListLit) and all(isinstance(h, ast.ListLit) and len(h.items) == 3 for h in H.items):
        return [tuple(problem.display(m) for m in h.items) for h in H.items]
    return [tuple(shown(nm, h + 1, (1, 1)) for nm in ("W_Q", "W_K", "W_V")) for h in range(n)]


def _projection_steps(problem: Problem, call: ast.Call, parts: list, concat: list, outs: list,
                      subs_all: dict) -> list[Step]:
    Yds = [shown("Y", h, rows_of(p.outputs).shape) for h, p in enumerate(parts, start=1)]
    C = rows_of(concat)
    Cd = shown("C", None, C.shape)
    subs_all[Cd] = C
    dots = [sp.Transpose(shown("y_i", h, (p.outputs[0].shape[0], 1))) for h, p in enumerate(parts, start=1)]
    steps = [make_step("concatenate", say("Concatenate the heads' outputs of each token (row ", Math(I), " is ",
                                          Math(sp.BlockMatrix([dots])), "):"),
                       Cd, sp.BlockMatrix([Yds]), C, where=subs_all)]
    WOs = problem.display(call.args[2])
    Y = rows_of(outs)
    Yd = shown("Y", None, Y.shape)
    prod = sp.MatMul(Cd, sp.Transpose(WOs), evaluate=False)
    text = say("Apply ", Math(WOs), " to each concatenation: row ", Math(I), " is ",
               Rel(sp.Transpose(vec("y_i", Y.shape[1])),
                   "=", sp.Transpose(sp.MatMul(WOs, vec("c_i", C.shape[1]), evaluate=False)), kind="definition"), ":")
    steps.append(make_step("output_projection", text, Yd, prod, substituted(prod, subs_all), Y,
                           where={**subs_all, Yd: Y}))
    steps.append(_result_step(problem, call, outs))
    return steps


@explains_call("multihead_attention")
def explain_multihead(problem: Problem, call: ast.Call, value: Any, subs: dict) -> Step:
    """The worked steps of a multi-head call: every head, the concatenation, W_O."""
    tokens = tokens_of(problem.value(call.args[0]), call.args[0])
    heads = heads_of(problem.value(call.args[1]), call.args[1])
    WO = problem.value(call.args[2])
    soft, scale = kwarg_flag(call, "softmax", problem), kwarg_flag(call, "scale", problem)
    parts, concat, outs = multihead(tokens, heads, WO, soft, scale, call)
    X = rows_of(tokens)
    if X is None or not isinstance(WO, sp.MatrixBase) or not all(isinstance(m, sp.MatrixBase)
                                                                for h in heads for m in h):
        WOs = problem.display(call.args[2])
        return make_step("attention", say("Multi-head self-attention (symbolic): each head's outputs are "
                                          "concatenated per token and multiplied by ", Math(WOs), "."), check=False)
    subs_all = {**subs, shown("X", None, X.shape): X}
    out_steps = [_tokens_step(X)]
    for h, (att, syms) in enumerate(zip(parts, _head_symbols(problem, call, len(heads))), start=1):
        hs, Yd = head_steps(att, syms, h, subs_all)
        subs_all[Yd] = rows_of(att.outputs)
        out_steps.append(make_step("head", f"Head {h}:", check=False, substeps=hs))
    out_steps += _projection_steps(problem, call, parts, concat, outs, subs_all)
    mode = "with softmax" if soft else "without softmax"
    return make_step("multihead_attention", f"Multi-head self-attention ({len(heads)} heads, {mode}), in matrix "
                     "form with the tokens as rows, as in PyTorch:", check=False, substeps=out_steps)


def describe_call(problem: Problem, call: ast.Call) -> Sentence:
    """One sentence defining the attention block of `call` in the problem's symbols."""
    syms = tuple(problem.display(a) for a in call.args[1:4])
    soft, scale = kwarg_flag(call, "softmax", problem), kwarg_flag(call, "scale", problem)
    dk = syms[1].shape[0]
    return definitions(syms, soft, sp.sqrt(dk) if scale else sp.Integer(1), dk)
