"""The attention computation and the `attention` / `multihead_attention` builtins.

In:  token column vectors x_1 … x_n (a Seq), weight matrices W_Q, W_K, W_V (per head) and
     the flags `softmax`, `scale`.  Out: an `Attention` with every intermediate of one head
     (q_i = W_Q x_i, k_j, v_j, the scores s_ij = q_iᵀk_j / √d_k, the weights a_ij =
     softmax_j(s_ij), the outputs y_i = Σ_j a_ij v_j), exact for numbers and matrix
     expressions for symbols; `multihead` adds the per-token concatenation and W_O.
     Shapes that do not fit are SpecErrors at the argument's position.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy as sp

from ... import ast
from ...errors import SpecError
from ...model.builtins import builtin
from ...model.expressions import Seq, is_tensor, scalarize, show_shape


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


def flag(v: Any, name: str, node: ast.Call) -> bool:
    """A `softmax = ...` / `scale = ...` value as a bool (SpecError unless true or false)."""
    if v in (sp.true, True):
        return True
    if v in (sp.false, False):
        return False
    pos = next((k.value.pos for k in node.kwargs if k.name == name), node.pos)
    raise SpecError(f"`{name}` must be true or false", pos)


def _eq(a: Any, b: Any) -> bool:
    return a == b or sp.simplify(sp.sympify(a, strict=True) - sp.sympify(b, strict=True)) == 0


def tokens_of(X: Any, node: ast.Expr) -> list:
    """The token column vectors of a list (or a single column vector), all of one length."""
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


def check_weights(WQ: Any, WK: Any, WV: Any, d: Any, nodes: list) -> None:
    """SpecError unless W_Q, W_K, W_V are matrices taking tokens of length d, with W_Q and
    W_K of one output size."""
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


def _explicit(x: Any) -> bool:
    x = sp.sympify(x, strict=True)
    return x.is_number or not x.atoms(sp.MatrixSymbol)


def _output(weights: list, v: list) -> Any:
    """y = Σ_j a_j v_j: an explicit vector when the v_j and a_j are, else a matrix expression."""
    if all(isinstance(t, sp.MatrixBase) for t in v) and all(_explicit(a) for a in weights):
        y = sp.ImmutableMatrix(sp.zeros(v[0].shape[0], 1))
        for a, vj in zip(weights, v):
            y = y + a * vj
        return sp.ImmutableMatrix(y)
    terms = [sp.MatMul(a, vj) for a, vj in zip(weights, v)]
    return sp.MatAdd(*terms) if len(terms) > 1 else terms[0]


def compute(tokens: list, WQ: Any, WK: Any, WV: Any, softmax: bool, scale: bool) -> Attention:
    """One head of self-attention over `tokens` (any number of them, any d_k)."""
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
    outputs = [_output(weights[i], v) for i in range(n)]
    return Attention(tokens, q, k, v, scores, weights, outputs, softmax, divisor, dk)


@builtin("attention", nargs=(4, 4), kwargs=("softmax", "scale"),
         doc="self-attention over a list of token vectors: y_i = Σ_j softmax_j(q_i·k_j/√d_k) W_V x_j")
def _attention(ev, args, kw, node):
    X, WQ, WK, WV = args
    tokens = tokens_of(X, node.args[0])
    check_weights(WQ, WK, WV, tokens[0].shape[0], list(node.args[1:4]))
    soft = flag(kw.get("softmax", sp.true), "softmax", node)
    scale = flag(kw.get("scale", sp.true), "scale", node)
    return Seq(compute(tokens, WQ, WK, WV, soft, scale).outputs)


def heads_of(H: Any, node: ast.Expr) -> list:
    """The [W_Q, W_K, W_V] triples of a list of heads."""
    if not isinstance(H, Seq) or not all(isinstance(h, Seq) and len(h) == 3 for h in H):
        raise SpecError("the heads are a list of [W_Q, W_K, W_V] triples, as in [[W_Q1, W_K1, W_V1], ...]",
                        node.pos)
    return [list(h) for h in H]


def _project(heads: list, ys: list, WO: Any) -> tuple[Any, Any]:
    """(the concatenation c of one token's head outputs, W_O c)."""
    if all(isinstance(y, sp.MatrixBase) for y in ys) and isinstance(WO, sp.MatrixBase):
        c = sp.ImmutableMatrix(sp.Matrix.vstack(*ys))
        return c, sp.ImmutableMatrix(WO * c)
    terms, off = [], 0
    for h, y in zip(heads, ys):
        dv = h[2].shape[0]
        terms.append(sp.MatMul(WO[:, off:off + dv], y))
        off = off + dv
    return sp.BlockMatrix([[y] for y in ys]), (sp.MatAdd(*terms) if len(terms) > 1 else terms[0])


_DONE: dict = {}        # multihead's outcomes by its inputs: building a problem and explaining its
_DONE_MAX = 64          # goal ask for the same computation (sympy objects hash by structure)


def multihead(tokens: list, heads: list, WO: Any, softmax: bool, scale: bool, node: ast.Call
              ) -> tuple[list[Attention], list, list]:
    """(each head's Attention, each token's concatenation, each token's output W_O c_i);
    the same inputs give the very same (unmodified) objects again."""
    try:
        key = (tuple(tokens), tuple(tuple(h) for h in heads), WO, bool(softmax), bool(scale))
        hash(key)
    except TypeError:
        return _multihead_of(tokens, heads, WO, softmax, scale, node)
    if key not in _DONE:
        if len(_DONE) >= _DONE_MAX:
            _DONE.clear()
        _DONE[key] = _multihead_of(tokens, heads, WO, softmax, scale, node)
    return _DONE[key]


def _multihead_of(tokens: list, heads: list, WO: Any, softmax: bool, scale: bool, node: ast.Call
                  ) -> tuple[list[Attention], list, list]:
    parts = [compute(tokens, *h, softmax, scale) for h in heads]
    width = sp.Add(*[h[2].shape[0] for h in heads])
    if not is_tensor(WO) or not _eq(WO.shape[1], width):
        what = f"{WO.shape[0]}×{WO.shape[1]}" if is_tensor(WO) else show_shape(WO)
        raise SpecError(f"shape mismatch: W_O is {what} but the concatenated heads have "
                        f"{width} entries per token", node.args[2].pos)
    concat, outs = [], []
    for i in range(len(tokens)):
        c, y = _project(heads, [p.outputs[i] for p in parts], WO)
        concat.append(c)
        outs.append(y)
    return parts, concat, outs


@builtin("multihead_attention", nargs=(3, 3), kwargs=("softmax", "scale"),
         doc="heads' attention outputs concatenated per token, then W_O: multihead_attention(X, [[W_Q1, W_K1, W_V1], ...], W_O)")
def _multihead(ev, args, kw, node):
    X, H, WO = args
    tokens = tokens_of(X, node.args[0])
    heads = heads_of(H, node.args[1])
    for h in heads:
        check_weights(*h, tokens[0].shape[0], [node.args[1]] * 3)
    soft = flag(kw.get("softmax", sp.true), "softmax", node)
    scale = flag(kw.get("scale", sp.true), "scale", node)
    return Seq(multihead(tokens, heads, WO, soft, scale, node)[2])
