"""Self-attention: the `attention` and `multihead_attention` builtins, their worked
numeric steps, and closed-form gradients through softmax attention.

In:  `attention(X, W_Q, W_K, W_V, softmax = true, scale = true)` with X a list of token
     column vectors x_1 … x_n; `multihead_attention(X, [[W_Q1, W_K1, W_V1], ...], W_O,
     softmax = ..., scale = ...)`.
Out: the list (Seq) of outputs y_i = Σ_j a_ij W_V x_j with a_i = softmax(s_i) and
     s_ij = q_iᵀk_j / √d_k (q_i = W_Q x_i, k_j = W_K x_j, d_k the key size); without
     softmax a_ij = s_ij, without scale the divisor is 1.  Multi-head concatenates each
     token's head outputs and applies W_O.  Exact when the inputs are numbers, matrix
     expressions when they are symbols.

Steps (`find Y`): per head Q = XW_Qᵀ, K, V (tokens as rows, as PyTorch lays them out),
S = QKᵀ/√d_k, A = softmax(S) row by row, Y = AV; then the concatenation and W_O.

Gradients (`grad(L, x1)` with `given grad(L, y_i) = g_i` through softmax attention):
backprop through the block with named intermediates, every link checked:
∂L/∂v_j = Σ_i a_ij g_i, ∂L/∂a_ij = g_iᵀv_j, the softmax Jacobian diag(a_i) − a_i a_iᵀ
giving δ_ij = ∂L/∂s_ij = a_ij g_iᵀ(v_j − y_i), ∂L/∂q_i = Σ_j δ_ij k_j / c,
∂L/∂k_j = Σ_i δ_ij q_i / c, then x_m, W_Q, W_K, W_V collect their paths.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixExpr

from .. import ast
from ..errors import SpecError, Unsupported
from ..model import functions as F
from ..model.builtins import builtin
from ..model.expressions import Seq, is_tensor, scalarize, show_shape
from ..model.problem import Problem
from ..printing import latex, name_latex
from ..steps import Step, Table, make_step
from .evaluate import explains_call, substituted
from .registry import Derived, make_answer


# ---- display symbols ----------------------------------------------------------------------

class Shown(sp.MatrixSymbol):
    """A matrix named only for display in steps (Q^{(1)}, S, ∂L/∂q_1); name `base|head|tex`."""

    def _latex(self, printer, **kw) -> str:
        base, head = self.name.split("|")[1:3]
        tex = name_latex(base) if not base.startswith("\\") else base
        return f"{tex}^{{({head})}}" if head else tex


def shown(base: str, head: int | None, shape: tuple) -> Shown:
    return Shown(f"attn|{base}|{head or ''}", *shape)


class Diag(sp.DiagMatrix):
    """diag(a): the diagonal matrix of a vector."""

    def _latex(self, printer, **kw) -> str:
        return r"\operatorname{diag}\left(%s\right)" % printer._print(self.args[0])


class Adjoint(sp.MatrixSymbol):
    """∂L/∂v for an intermediate v of the attention block (display and checking only)."""

    def _latex(self, printer, **kw) -> str:
        f, v = self.name[len("adj|"):].split("|")
        return r"\frac{\partial %s}{\partial %s}" % (name_latex(f), name_latex(v))


def adjoint(f: str, v: str, shape: tuple) -> Adjoint:
    return Adjoint(f"adj|{f}|{v}", *shape)


# ---- the computation ------------------------------------------------------------------------

@dataclass
class Attention:
    """Every intermediate of one head: q, k, v per token, scores s, weights a, outputs y."""

    tokens: list
    q: list
    k: list
    v: list
    scores: list      # scores[i][j] = s_ij (scaled)
    weights: list     # weights[i][j] = a_ij
    outputs: list
    softmax: bool
    divisor: Any      # √d_k or 1
    dk: Any


def _flag(v: Any, name: str, node: ast.Call) -> bool:
    if v in (sp.true, True):
        return True
    if v in (sp.false, False):
        return False
    pos = next((k.value.pos for k in node.kwargs if k.name == name), node.pos)
    raise SpecError(f"`{name}` must be true or false", pos)


def _eq(a: Any, b: Any) -> bool:
    return a == b or sp.simplify(sp.sympify(a, strict=True) - sp.sympify(b, strict=True)) == 0


def _size(n: Any) -> str:
    return str(n)


def tokens_of(X: Any, node: ast.Expr) -> list:
    if is_tensor(X) and X.shape[1] == 1:
        X = Seq([X])
    if not isinstance(X, Seq):
        raise SpecError("attention takes a list of token vectors, as in `[x1, x2, x3]`", node.pos)
    d = None
    for i, x in enumerate(X):
        if not is_tensor(x) or x.shape[1] != 1:
            raise SpecError(f"token {i + 1} is {show_shape(x)}; attention takes column vectors", node.pos)
        if d is None:
            d = x.shape[0]
        elif not _eq(d, x.shape[0]):
            raise SpecError(f"the tokens have different lengths: token 1 has {d}, token {i + 1} has "
                            f"{x.shape[0]}", node.pos)
    return list(X)


def _check_weights(WQ: Any, WK: Any, WV: Any, d: Any, nodes: list) -> None:
    names = ("W_Q", "W_K", "W_V")
    for W, n, nm in zip((WQ, WK, WV), nodes, names):
        if not is_tensor(W):
            raise SpecError(f"{nm} must be a matrix, not {show_shape(W)}", n.pos)
        if not _eq(W.shape[1], d):
            raise SpecError(f"shape mismatch: {nm} is {W.shape[0]}×{W.shape[1]} but the tokens have length {d}; "
                            f"{nm} @ x needs {W.shape[1]} = {d}", n.pos)
    if not _eq(WQ.shape[0], WK.shape[0]):
        raise SpecError(f"shape mismatch: queries have size {WQ.shape[0]} (W_Q is {WQ.shape[0]}×{WQ.shape[1]}) but "
                        f"keys have size {WK.shape[0]} (W_K is {WK.shape[0]}×{WK.shape[1]}); q·k needs equal sizes",
                        nodes[1].pos)


def _mul(A: Any, B: Any) -> Any:
    out = A * B
    if isinstance(A, sp.MatrixBase) and isinstance(B, sp.MatrixBase):
        return sp.ImmutableMatrix(out)
    return out


def compute(tokens: list, WQ: Any, WK: Any, WV: Any, softmax: bool, scale: bool) -> Attention:
    q = [_mul(WQ, x) for x in tokens]
    k = [_mul(WK, x) for x in tokens]
    v = [_mul(WV, x) for x in tokens]
    dk = WK.shape[0]
    divisor = sp.sqrt(dk) if scale else sp.Integer(1)
    n = len(tokens)
    scores = [[scalarize(_mul(q[i].T, k[j])) / divisor for j in range(n)] for i in range(n)]
    if softmax:
        weights = []
        for row in scores:
            ex = [sp.exp(s) for s in row]
            tot = sp.Add(*ex)
            weights.append([e / tot for e in ex])
    else:
        weights = scores
    outputs = []
    for i in range(n):
        if all(isinstance(t, sp.MatrixBase) for t in v) and all(sp.sympify(a, strict=True).is_number or
                                                               not sp.sympify(a, strict=True).atoms(sp.MatrixSymbol)
                                                               for a in weights[i]) \
                and all(isinstance(t, sp.MatrixBase) for t in v):
            y = sp.ImmutableMatrix(sp.zeros(v[0].shape[0], 1))
            for j in range(n):
                y = y + weights[i][j] * v[j]
            outputs.append(sp.ImmutableMatrix(y))
        else:
            outputs.append(sp.MatAdd(*[sp.MatMul(weights[i][j], v[j]) for j in range(n)]) if n > 1
                           else sp.MatMul(weights[i][0], v[0]))
    return Attention(tokens, q, k, v, scores, weights, outputs, softmax, divisor, dk)


@builtin("attention", nargs=(4, 4), kwargs=("softmax", "scale"),
         doc="self-attention over a list of token vectors: y_i = Σ_j softmax_j(q_i·k_j/√d_k) W_V x_j")
def _attention(ev, args, kw, node):
    X, WQ, WK, WV = args
    tokens = tokens_of(X, node.args[0])
    _check_weights(WQ, WK, WV, tokens[0].shape[0], list(node.args[1:4]))
    soft = _flag(kw.get("softmax", sp.true), "softmax", node)
    scale = _flag(kw.get("scale", sp.true), "scale", node)
    return Seq(compute(tokens, WQ, WK, WV, soft, scale).outputs)


def _heads(H: Any, node: ast.Expr) -> list:
    if not isinstance(H, Seq) or not all(isinstance(h, Seq) and len(h) == 3 for h in H):
        raise SpecError("the heads are a list of [W_Q, W_K, W_V] triples, as in [[W_Q1, W_K1, W_V1], ...]",
                        node.pos)
    return [list(h) for h in H]


def multihead(tokens: list, heads: list, WO: Any, softmax: bool, scale: bool, node: ast.Call
              ) -> tuple[list[Attention], list, list]:
    parts = [compute(tokens, *h, softmax, scale) for h in heads]
    width = sp.Add(*[h[2].shape[0] for h in heads])
    if not is_tensor(WO) or not _eq(WO.shape[1], width):
        what = f"{WO.shape[0]}×{WO.shape[1]}" if is_tensor(WO) else show_shape(WO)
        raise SpecError(f"shape mismatch: W_O is {what} but the concatenated heads have "
                        f"{width} entries per token", node.args[2].pos)
    concat, outs = [], []
    for i in range(len(tokens)):
        ys = [p.outputs[i] for p in parts]
        if all(isinstance(y, sp.MatrixBase) for y in ys) and isinstance(WO, sp.MatrixBase):
            c = sp.ImmutableMatrix(sp.Matrix.vstack(*ys))
            concat.append(c)
            outs.append(sp.ImmutableMatrix(WO * c))
        else:
            concat.append(sp.BlockMatrix([[y] for y in ys]))
            terms, off = [], 0
            for h, y in zip(heads, ys):
                dv = h[2].shape[0]
                block = WO[:, off:off + dv]
                terms.append(sp.MatMul(block, y))
                off = off + dv
            outs.append(sp.MatAdd(*terms) if len(terms) > 1 else terms[0])
    return parts, concat, outs


@builtin("multihead_attention", nargs=(3, 3), kwargs=("softmax", "scale"),
         doc="heads' attention outputs concatenated per token, then W_O: multihead_attention(X, [[W_Q1, W_K1, W_V1], ...], W_O)")
def _multihead(ev, args, kw, node):
    X, H, WO = args
    tokens = tokens_of(X, node.args[0])
    heads = _heads(H, node.args[1])
    for h in heads:
        _check_weights(*h, tokens[0].shape[0], [node.args[1]] * 3)
    soft = _flag(kw.get("softmax", sp.true), "softmax", node)
    scale = _flag(kw.get("scale", sp.true), "scale", node)
    return Seq(multihead(tokens, heads, WO, soft, scale, node)[2])


# ---- the worked steps of `find Y` ----------------------------------------------------------------

def _rows(vectors: list) -> Any:
    if all(isinstance(v, sp.MatrixBase) for v in vectors):
        return sp.ImmutableMatrix([list(v) for v in vectors])
    return None


def _matrix_of(entries: list[list]) -> sp.ImmutableMatrix:
    return sp.ImmutableMatrix(entries)


def _kw(call: ast.Call, name: str, problem: Problem) -> bool:
    e = call.kwarg(name)
    if e is None:
        return True
    return _flag(problem.value(e), name, call)


def _head_steps(problem: Problem, att: Attention, syms: tuple, head: int | None, n: int, subs: dict) -> tuple[list[Step], Any]:
    """Q, K, V, S, A, Y of one head with explicit numbers (tokens as rows)."""
    WQs, WKs, WVs = syms
    X = _rows(att.tokens)
    d_in = X.shape[1]
    Xd = shown("X", None, X.shape)
    Q, K, V = _rows(att.q), _rows(att.k), _rows(att.v)
    Qd, Kd, Vd = (shown(b, head, m.shape) for b, m in (("Q", Q), ("K", K), ("V", V)))
    where = dict(subs)
    where.update({Xd: X, Qd: Q, Kd: K, Vd: V})
    steps = []
    for nm, Md, Ws, Mv in (("queries", Qd, WQs, Q), ("keys", Kd, WKs, K), ("values", Vd, WVs, V)):
        letter = nm[0]
        prod = sp.MatMul(Xd, sp.Transpose(Ws), evaluate=False)
        steps.append(make_step(nm, f"The {nm}: row $i$ is ${letter}_i^T = ({latex(Ws)} x_i)^T$.", Md, prod,
                               substituted(prod, where), Mv, where=where))
    S = _matrix_of(att.scores)
    Sd = shown("S", head, S.shape)
    where[Sd] = S
    prod = sp.MatMul(Qd, sp.Transpose(Kd), evaluate=False)
    if att.divisor != 1:
        prod = sp.MatMul(1 / att.divisor, Qd, sp.Transpose(Kd), evaluate=False)
        text = (f"The scores $s_{{ij}} = q_i^T k_j / \\sqrt{{d_k}}$ with the key size $d_k = {latex(att.dk)}$; "
                f"row $i$ holds token $i$'s scores against every token:")
    else:
        text = "The scores $s_{ij} = q_i^T k_j$ (no scaling); row $i$ holds token $i$'s scores against every token:"
    steps.append(make_step("scores", text, Sd, prod, substituted(prod, where), S, where=where))
    A = _matrix_of(att.weights)
    Ad = shown("A", head, A.shape)
    where[Ad] = A
    if att.softmax:
        # the check: A against softmax applied row by row to S (functions.softmax, another route)
        by_rows = sp.ImmutableMatrix([list(F.softmax(sp.ImmutableMatrix(S.row(i)).T)) for i in range(S.shape[0])])
        steps.append(make_step("softmax", "The weights: softmax along each row, "
                               "$a_{ij} = e^{s_{ij}} / \\sum_l e^{s_{il}}$ (each row sums to 1):",
                               Ad, A, where={**where, Ad: by_rows}))
        approx = sp.ImmutableMatrix(A.applyfunc(lambda t: sp.Float(sp.N(t, 15), 6)))
        steps.append(make_step("decimal", "As decimals:", Ad, approx, where=where, relation="≈"))
    else:
        steps.append(make_step("weights", "Without softmax the weights are the raw scores, $a_{ij} = s_{ij}$:",
                               Ad, Sd, A, where=where))
    Y = _rows(att.outputs)
    Yd = shown("Y", head, Y.shape)
    where[Yd] = Y
    prod = sp.MatMul(Ad, Vd, evaluate=False)
    steps.append(make_step("outputs", "The outputs: row $i$ is $y_i^T = \\sum_j a_{ij} v_j^T$:", Yd, prod,
                           substituted(prod, where), Y, where=where))
    if any(not t.is_Rational for t in Y):
        approx = sp.ImmutableMatrix(Y.applyfunc(lambda t: sp.Float(sp.N(t, 15), 6)))
        steps.append(make_step("decimal", "As decimals:", Yd, approx, where=where, relation="≈"))
    return steps, Yd


def _token_table(tokens_disp: list, outs: list, label: str) -> Table:
    rows = tuple((f"${latex(t)}$", o) for t, o in zip(tokens_disp, outs))
    return Table(("token", label), rows)


def _token_symbols(problem: Problem, call: ast.Call) -> list:
    X = call.args[0]
    if isinstance(X, ast.ListLit):
        out = []
        for it in X.items:
            out.append(problem.display(it))
        return out
    disp = problem.display(X)
    return list(disp) if isinstance(disp, Seq) else [disp]


@explains_call("attention")
def explain_attention(problem: Problem, call: ast.Call, value: Any, subs: dict) -> Step:
    tokens = tokens_of(problem.value(call.args[0]), call.args[0])
    W = [problem.value(a) for a in call.args[1:4]]
    syms = tuple(problem.display(a) for a in call.args[1:4])
    att = compute(tokens, *W, _kw(call, "softmax", problem), _kw(call, "scale", problem))
    if _rows(att.tokens) is None or not all(isinstance(w, sp.MatrixBase) for w in W):
        return _symbolic_definition(problem, call, att, syms)
    steps, Yd = _head_steps(problem, att, syms, None, len(tokens), subs)
    X = _rows(att.tokens)
    intro = make_step("tokens", "Stack the tokens as the rows of $X$ (row $i$ is $x_i^T$):",
                      shown("X", None, X.shape), X, where={shown("X", None, X.shape): X})
    outs = make_step("result", "Read off the outputs (row $i$ of $Y$, as a column):", check=False,
                     table=_token_table(_token_symbols(problem, call), att.outputs, "output $y_i$"))
    return make_step("attention", "Self-attention, computed head by head in matrix form "
                     "(tokens as rows, as in PyTorch):", check=False, substeps=[intro] + steps + [outs])


@explains_call("multihead_attention")
def explain_multihead(problem: Problem, call: ast.Call, value: Any, subs: dict) -> Step:
    tokens = tokens_of(problem.value(call.args[0]), call.args[0])
    heads = _heads(problem.value(call.args[1]), call.args[1])
    WO = problem.value(call.args[2])
    soft, scale = _kw(call, "softmax", problem), _kw(call, "scale", problem)
    parts, concat, outs = multihead(tokens, heads, WO, soft, scale, call)
    X = _rows(tokens)
    if X is None or not isinstance(WO, sp.MatrixBase) or not all(isinstance(m, sp.MatrixBase)
                                                                for h in heads for m in h):
        return make_step("attention", "Multi-head self-attention (symbolic): each head's outputs are "
                         "concatenated per token and multiplied by $W_O$.", check=False)
    head_syms = _head_symbols(problem, call, len(heads))
    Xd = shown("X", None, X.shape)
    subs_all = dict(subs)
    subs_all[Xd] = X
    out_steps = [make_step("tokens", "Stack the tokens as the rows of $X$ (row $i$ is $x_i^T$):", Xd, X,
                           where={Xd: X})]
    Yds = []
    for h, (att, syms) in enumerate(zip(parts, head_syms), start=1):
        hs, Yd = _head_steps(problem, att, syms, h, len(tokens), subs_all)
        subs_all[Yd] = _rows(att.outputs)
        Yds.append(Yd)
        out_steps.append(make_step("head", f"Head {h}:", check=False, substeps=hs))
    C = _rows(concat)
    Cd = shown("C", None, C.shape)
    subs_all[Cd] = C
    block = sp.BlockMatrix([Yds])
    out_steps.append(make_step("concatenate", "Concatenate the heads' outputs of each token (row $i$ is "
                               "$[y_i^{(1)T}, y_i^{(2)T}, \\dots]$):", Cd, block, C, where=subs_all))
    WOs = problem.display(call.args[2])
    Y = _rows(outs)
    Yd = shown("Y", None, Y.shape)
    prod = sp.MatMul(Cd, sp.Transpose(WOs), evaluate=False)
    out_steps.append(make_step("output_projection", f"Apply ${latex(WOs)}$ to each concatenation: row $i$ is "
                               f"$y_i^T = ({latex(WOs)} c_i)^T$:", Yd, prod, substituted(prod, subs_all), Y,
                               where={**subs_all, Yd: Y}))
    out_steps.append(make_step("result", "Read off the outputs (row $i$ of $Y$, as a column):", check=False,
                               table=_token_table(_token_symbols(problem, call), outs, "output $y_i$")))
    mode = "with softmax" if soft else "without softmax"
    return make_step("multihead_attention", f"Multi-head self-attention ({len(heads)} heads, {mode}), in matrix "
                     "form with the tokens as rows, as in PyTorch:", check=False, substeps=out_steps)


def _head_symbols(problem: Problem, call: ast.Call, n: int) -> list[tuple]:
    H = call.args[1]
    if isinstance(H, ast.ListLit) and all(isinstance(h, ast.ListLit) and len(h.items) == 3 for h in H.items):
        return [tuple(problem.display(m) for m in h.items) for h in H.items]
    return [tuple(shown(nm, h + 1, (1, 1)) for nm in ("W_Q", "W_K", "W_V")) for h in range(n)]


def _symbolic_definition(problem: Problem, call: ast.Call, att: Attention, syms: tuple) -> Step:
    text = definitions_text(syms, att.softmax, att.divisor, att.dk)
    return make_step("attention", text, check=False)


def describe_call(problem: Problem, call: ast.Call) -> str:
    """One sentence defining the attention block of `call` in the problem's symbols."""
    syms = tuple(problem.display(a) for a in call.args[1:4])
    soft, scale = _kw(call, "softmax", problem), _kw(call, "scale", problem)
    dk = syms[1].shape[0]
    return definitions_text(syms, soft, sp.sqrt(dk) if scale else sp.Integer(1), dk)


def definitions_text(syms: tuple, softmax: bool, divisor: Any, dk: Any) -> str:
    WQ, WK, WV = (latex(s) for s in syms)
    score = "q_i^T k_j" if divisor == 1 else f"q_i^T k_j / \\sqrt{{{latex(dk)}}}"
    weights = (f"a_{{ij}} = \\operatorname{{softmax}}_j(s_{{ij}}) = e^{{s_{{ij}}}} / \\sum_l e^{{s_{{il}}}}"
               if softmax else "a_{ij} = s_{ij}")
    return (f"Self-attention: $q_i = {WQ} x_i$, $k_j = {WK} x_j$, $v_j = {WV} x_j$, the scores "
            f"$s_{{ij}} = {score}$, the weights ${weights}$"
            f"{' (no softmax)' if not softmax else ''}, and the outputs $y_i = \\sum_j a_{{ij}} v_j$.")


# ---- gradients through softmax attention ---------------------------------------------------------

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


def given_grad(problem: Problem, f_sym: Any, ups: list, x: Any, call: ast.Call) -> Derived | None:
    """∂L/∂x through one softmax-attention block whose outputs have given gradients."""
    found = [attention_call_of(problem, u.name) for u in ups]
    if any(f is None for f in found) or len({id(f[0]) for f in found}) != 1:
        return None
    acall = found[0][0]
    upstream = {f[1]: u.grad for f, u in zip(found, ups)}
    return backprop(problem, acall, upstream, f_sym, x, call, [u.symbol for u in ups])


def explicit_grad(problem: Problem, f_sym: Any, leaf: Any, x: Any, call: ast.Call) -> Derived | None:
    """∂L/∂x for a loss written out in the outputs of a softmax attention block
    (L = ‖y1 − t‖², ...): ∂L/∂y_i in closed form first, then the backward pass."""
    from . import matcalc as MC
    from . import matpoly as M
    outs = [b for b in problem.bindings(("node",)) if b.symbol is not None
            and attention_call_of(problem, b.name) is not None]
    if not outs:
        return None
    stop = frozenset({b.symbol for b in outs} | {x})
    top = MC.leaf_form(problem, f_sym, stop)
    used = [b for b in outs if b.symbol in top.atoms(sp.MatrixSymbol)]
    calls = {id(attention_call_of(problem, b.name)[0]) for b in used}
    if not used or len(calls) != 1:
        return None
    try:
        p = M.to_poly(top)
    except Unsupported:
        return None
    if p.depends_on(x):
        return None
    steps: list[Step] = []
    upstream, syms, gvals = {}, [], {}
    where = MC.node_where(problem, frozenset({b.symbol for b in outs}))
    for b in used:
        acall, i = attention_call_of(problem, b.name)
        g = M.grad(p, b.symbol)
        ge = MC._nice_answer(g, M.Orient(None, M.preferred(top)))[0]
        steps.append(make_step("gradient", f"The gradient arriving at ${latex(b.symbol)}$ (the loss written in the "
                               "outputs of the attention block):", MC.D(top, b.symbol), ge, where=where))
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


@dataclass
class Backward:
    """The backward pass through one attention block (shared by every variable)."""

    steps: list
    tokens: list
    W: tuple
    q: list
    k: list
    v: list
    dq: dict
    dk: dict
    dv: dict
    soft: bool


def backprop(problem: Problem, acall: ast.Call, upstream: dict, f_sym: Any, x: Any, call: ast.Call,
             out_syms: list) -> Derived | None:
    """∂L/∂x through attention: the shared backward pass, then the paths into x."""
    from .matpoly import GradientOf
    tokens = [problem.display(t) for t in acall.args[0].items] if isinstance(acall.args[0], ast.ListLit) \
        else list(problem.display(acall.args[0]))
    if not all(isinstance(t, sp.MatrixSymbol) for t in tokens):
        return None
    WQ, WK, WV = (problem.display(a) for a in acall.args[1:4])
    if not all(isinstance(W, sp.MatrixSymbol) for W in (WQ, WK, WV)):
        return None   # a weight that is an expression (log(W_K)): its own chain rule, not this pass
    if x not in tokens and x not in (WQ, WK, WV):
        raise Unsupported(f"`{x}` is not an input or weight of the attention block", call.pos)
    cache = problem.__dict__.setdefault("_attention_backward", {})
    key = (id(acall), tuple(sorted(upstream.items(), key=lambda kv: kv[0])), f_sym)
    if key not in cache:
        cache[key] = _backward(problem, acall, upstream, f_sym, out_syms, tokens)
    bw = cache[key]
    n = len(tokens)
    ft, xt = latex(f_sym), latex(x)
    contrib, paths, local = [], [], []
    adj = {}
    for i, t in enumerate(tokens):
        for W, d, nm, vec in ((WQ, bw.dq, "q", bw.q), (WK, bw.dk, "k", bw.k), (WV, bw.dv, "v", bw.v)):
            A = adjoint(str(f_sym), f"{nm}{i + 1}", vec[i].shape)
            adj[A] = d[i]
            local.append(sp.Trace(sp.MatMul(sp.Transpose(A), W, t)))
            if t == x:
                contrib.append(sp.MatMul(sp.Transpose(W), d[i]))
                paths.append(sp.MatMul(sp.Transpose(W), A))
            if W == x:
                contrib.append(sp.MatMul(d[i], sp.Transpose(t)))
                paths.append(sp.MatMul(A, sp.Transpose(t)))
    result = sp.MatAdd(*contrib, evaluate=False) if len(contrib) > 1 else contrib[0]
    path_expr = sp.MatAdd(*paths, evaluate=False) if len(paths) > 1 else paths[0]
    through = [f"$q_{{{m + 1}}} = {latex(WQ)}x_{{{m + 1}}}$, $k_{{{m + 1}}}$, $v_{{{m + 1}}}$"
               for m, t in enumerate(tokens) if t == x]
    if x in (WQ, WK, WV):
        through.append("every " + ("query", "key", "value")[[WQ, WK, WV].index(x)])
    text = (f"Collect the paths from ${xt}$ into ${ft}$ (through {' and '.join(through)}): each contributes "
            "the transposed local derivative times the gradient arriving there, with $\\delta_{ij}$ and "
            "$a_{ij}$ as above:")
    steps = list(bw.steps)
    steps.append(make_step("chain_rule", text, GradientOf(f_sym, x), path_expr, result,
                           where={**adj, f_sym: sp.Add(*local).xreplace(adj)}))
    qkv = {bw.q[i]: sp.MatMul(WQ, tokens[i]) for i in range(n)}
    qkv.update({bw.k[i]: sp.MatMul(WK, tokens[i]) for i in range(n)})
    qkv.update({bw.v[i]: sp.MatMul(WV, tokens[i]) for i in range(n)})
    answer = result.xreplace(qkv)
    steps.append(make_step("substitute", f"In terms of the inputs ($q_i = {latex(WQ)}x_i$, $k_j = {latex(WK)}x_j$, "
                           f"$v_j = {latex(WV)}x_j$):", result, answer, where=qkv))
    return Derived(make_answer(answer, value=None), tuple(steps))


def _backward(problem: Problem, acall: ast.Call, upstream: dict, f_sym: Any, out_syms: list,
              tokens: list) -> Backward:
    """Values, softmax, scores, queries and keys: every local gradient, checked."""
    from .matpoly import GradientOf
    WQ, WK, WV = (problem.display(a) for a in acall.args[1:4])
    soft, scale = _kw(acall, "softmax", problem), _kw(acall, "scale", problem)
    att = compute(tokens, WQ, WK, WV, soft, scale)
    n = len(tokens)
    c = att.divisor
    dk = att.dk
    idx = (lambda i, j: f"{i + 1}{j + 1}") if n < 10 else (lambda i, j: f"{i + 1}_{j + 1}")
    a = [[sp.Symbol(f"a_{idx(i, j)}", real=True) for j in range(n)] for i in range(n)]
    delta = [[sp.Symbol(f"delta_{idx(i, j)}", real=True) for j in range(n)] for i in range(n)]
    d_v = WV.shape[0]
    g = {i: upstream.get(i) for i in range(n)}
    live = [i for i in range(n) if g[i] is not None]
    q = [sp.MatrixSymbol(f"q{i + 1}", WQ.shape[0], 1) for i in range(n)]
    k = [sp.MatrixSymbol(f"k{i + 1}", WK.shape[0], 1) for i in range(n)]
    v = [sp.MatrixSymbol(f"v{i + 1}", d_v, 1) for i in range(n)]
    ft = latex(f_sym)
    steps: list[Step] = []
    steps.append(make_step("definition", definitions_text((WQ, WK, WV), soft, c, dk)
                           + " Backpropagate through these in reverse order, with $g_i = \\partial " + ft + "/"
                           "\\partial y_i$ given.", check=False))
    # 1. values and weights
    surrogate_y = sp.Add(*[sp.Trace(sp.MatMul(sp.Transpose(g[i]), sp.MatAdd(*[sp.MatMul(a[i][j], v[j])
                                                                            for j in range(n)])))
                           for i in live])
    dv = {}
    sub_steps = []
    for j in range(n):
        terms = [sp.MatMul(a[i][j], g[i]) for i in live]
        dv[j] = sp.MatAdd(*terms, evaluate=False) if len(terms) > 1 else terms[0]
        sub_steps.append(make_step("gradient", f"$y_i$ is linear in $v_{{{j + 1}}}$ with weight $a_{{i{j + 1}}}$:",
                                   GradientOf(surrogate_y, v[j]), dv[j]))
    steps.append(make_step("values", "Since $y_i = \\sum_j a_{ij} v_j$: $\\partial " + ft + "/\\partial v_j = "
                           "\\sum_i a_{ij} g_i$.", check=False, substeps=sub_steps))
    # 2. the softmax Jacobian
    if soft:
        s_vec = sp.MatrixSymbol("s", n, 1)
        a_vec = sp.MatrixSymbol("a", n, 1)
        from .matpoly import JacobianOf
        jac = sp.MatAdd(Diag(a_vec), sp.MatMul(-1, a_vec, sp.Transpose(a_vec)), evaluate=False)
        ex = [sp.exp(s_vec[j, 0]) for j in range(n)]
        soft_of_s = sp.ImmutableMatrix(n, 1, [e / sp.Add(*ex) for e in ex])
        sm = make_step("softmax_jacobian", "The Jacobian of softmax, $a = \\operatorname{softmax}(s)$ with "
                       "$a_j = e^{s_j}/\\sum_l e^{s_l}$: $\\partial a_j/\\partial s_m = a_j([j = m] - a_m)$, "
                       "that is", JacobianOf(a_vec, s_vec), jac, where={a_vec: soft_of_s})
        steps.append(sm)
        ga = {(i, j): sp.Trace(sp.MatMul(sp.Transpose(g[i]), v[j])) for i in live for j in range(n)}
        ysym = dict(zip(sorted(upstream), out_syms))
        y_val = {i: sp.MatAdd(*[sp.MatMul(a[i][l], v[l]) for l in range(n)]) for i in live}
        y_of = {i: ysym.get(i, y_val[i]) for i in live}
        dsteps = []
        delta_val = {}
        for i in live:
            s_syms = [sp.Symbol(f"s_{idx(i, j)}", real=True) for j in range(n)]
            exps = [sp.exp(s) for s in s_syms]
            tot = sp.Add(*exps)
            sur = sp.Add(*[ga[(i, j)] * exps[j] / tot for j in range(n)])
            for j in range(n):
                val = sp.MatMul(a[i][j], sp.Transpose(g[i]), sp.MatAdd(v[j], sp.MatMul(-1, y_of[i])))
                delta_val[delta[i][j]] = a[i][j] * sp.Trace(sp.MatMul(sp.Transpose(g[i]),
                                                                      sp.MatAdd(v[j], sp.MatMul(-1, y_of[i]))))
                w_s = {a[i][l]: exps[l] / tot for l in range(n)}
                w_s.update({ysym[i]: y_val[i].xreplace(w_s)} if i in ysym else {})
                dsteps.append(make_step("chain_rule", f"$\\delta_{{{idx(i, j)}}} = \\partial {ft}/\\partial "
                                        f"s_{{{idx(i, j)}}}$:", sp.Derivative(sur, s_syms[j]),
                                        val, where=w_s))
                delta_val[delta[i][j]] = delta_val[delta[i][j]].xreplace({ysym[i]: y_val[i]} if i in ysym else {})
        steps.append(make_step("scores", "Through softmax (chain rule with that Jacobian): "
                               "$\\delta_{ij} = \\partial " + ft + "/\\partial s_{ij} = "
                               "\\sum_l \\frac{\\partial " + ft + "}{\\partial a_{il}} \\frac{\\partial a_{il}}{\\partial s_{ij}} = "
                               "\\sum_l g_i^T v_l\\, a_{il}([l = j] - a_{ij}) = a_{ij}\\, g_i^T (v_j - y_i)$ "
                               "with $\\partial " + ft + "/\\partial a_{ij} = g_i^T v_j$:", check=False, substeps=dsteps))
    else:
        delta_val = {delta[i][j]: sp.Trace(sp.MatMul(sp.Transpose(g[i]), v[j])) for i in live for j in range(n)}
        steps.append(make_step("scores", "Without softmax $a_{ij} = s_{ij}$, so "
                               "$\\delta_{ij} = \\partial " + ft + "/\\partial s_{ij} = g_i^T v_j$.", check=False))
    # 3. queries and keys
    sur_s = sp.Add(*[delta[i][j] * sp.Trace(sp.MatMul(sp.Transpose(q[i]), k[j])) / c for i in live for j in range(n)])
    dq, dk_ = {}, {}
    qk_steps = []
    for i in range(n):
        terms = [sp.MatMul(delta[i][j] / c, k[j]) for j in range(n)] if i in live else []
        dq[i] = (sp.MatAdd(*terms, evaluate=False) if len(terms) > 1 else terms[0]) if terms else \
            sp.ZeroMatrix(WQ.shape[0], 1)
        if terms:
            qk_steps.append(make_step("gradient", f"Query $q_{{{i + 1}}}$:", GradientOf(sur_s, q[i]), dq[i]))
    for j in range(n):
        terms = [sp.MatMul(delta[i][j] / c, q[i]) for i in live]
        dk_[j] = sp.MatAdd(*terms, evaluate=False) if len(terms) > 1 else terms[0]
        qk_steps.append(make_step("gradient", f"Key $k_{{{j + 1}}}$:", GradientOf(sur_s, k[j]), dk_[j]))
    steps.append(make_step("queries_keys", "Since $s_{ij} = q_i^T k_j" + ("" if c == 1 else f"/{latex(c)}") +
                           "$: $\\partial " + ft + "/\\partial q_i = \\sum_j \\delta_{ij} k_j" +
                           ("" if c == 1 else f"/{latex(c)}") + "$ and $\\partial " + ft + "/\\partial k_j = "
                           "\\sum_i \\delta_{ij} q_i" + ("" if c == 1 else f"/{latex(c)}") + "$.",
                           check=False, substeps=qk_steps))
    return Backward(steps, tokens, (WQ, WK, WV), q, k, v, dq, dk_, dv, soft)

