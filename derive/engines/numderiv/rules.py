"""Rules of derive.engines.numderiv's forward evaluator for the nodes of non-polynomial
matrix calculus: elementwise functions, Hadamard products and powers, inverses,
determinants, softmax, and exp/log/tanh/sigmoid/abs of scalars.

In: the evaluator (`fw`: its numbers, values and tangent count) and a node.  Out: the
node's value stack (value, then one tangent per direction), or `_Skip` when it cannot be
evaluated here (the checker then falls back to sympy).  `EXTRA` maps node types to rules.
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from ..matdiff import Ones
from ...model import functions as F


class _Skip(Exception):
    pass



# A value is a list of 1 + nd layers (the value, then one tangent per direction); a layer
# is a matrix (a list of rows) for Mat, a number for a scalar.

class Mat:
    __slots__ = ("layers", "r", "c")

    def __init__(self, layers: list, r: int, c: int):
        self.layers, self.r, self.c = layers, r, c


def _mm(A: list, B: list) -> list:
    Bt = list(zip(*B))
    return [[sum(a * b for a, b in zip(row, col)) for col in Bt] for row in A]


def _madd(A: list, B: list) -> list:
    return [[a + b for a, b in zip(ra, rb)] for ra, rb in zip(A, B)]


def _mscale(A: list, k: Any) -> list:
    return [[a * k for a in row] for row in A]



# ---- elementwise functions, Hadamard products, inverses, determinants --------------------

def _entrywise(fw: Any, v: Mat, fn: Any) -> Mat:
    """fn (value stack -> value stack) applied to every entry of v."""
    entries = [[fn([layer[i][j] for layer in v.layers]) for j in range(v.c)] for i in range(v.r)]
    return Mat([[[entries[i][j][k] for j in range(v.c)] for i in range(v.r)] for k in range(fw.nd + 1)], v.r, v.c)


def _ew(fw: Any, e: Any) -> Mat:
    v = fw._as_matrix(fw.eval(e.expr))
    lam = e.function
    var = lam.variables[0]

    def one(stack: list) -> list:
        sub = type(fw)(fw.ctx, fw.env, fw.dims, fw.nd, fw.seed)
        sub.bound = {**fw.bound, var: stack}
        return sub._as_scalar(sub.eval(lam.expr))
    return _entrywise(fw, v, one)


def _hadamard(fw: Any, e: Any) -> Mat:
    vals = [fw._as_matrix(fw.eval(a)) for a in e.args]
    out = vals[0]
    for v in vals[1:]:
        if (v.r, v.c) != (out.r, out.c):
            raise _Skip
        out = Mat([[[fw.mul([L[i][j] for L in out.layers], [M[i][j] for M in v.layers])[k]
                     for j in range(v.c)] for i in range(v.r)] for k in range(fw.nd + 1)], v.r, v.c)
    return out


def _hadamard_power(fw: Any, e: Any) -> Mat:
    b, n = e.args
    if not n.is_Integer:
        raise _Skip
    pw = (lambda st: fw.power(st, int(n))) if n >= 0 else (lambda st: fw.inverse(fw.power(st, -int(n))))
    return _entrywise(fw, fw._as_matrix(fw.eval(b)), pw)


def _scalar_fn(name: str):
    """exp/log/tanh/sigmoid/Abs on a value stack (the tangents by the chain rule)."""
    def apply(fw: Any, e: Any) -> list:
        if not fw.ctx.precise and name != "Abs":
            raise _Skip
        b = fw._as_scalar(fw.eval(e.args[0]))
        mp = fw.ctx.mp if fw.ctx.precise else None
        x = b[0]
        if name == "exp":
            f = d = mp.exp(x)
        elif name == "log":
            if x == 0:
                raise _Skip
            f, d = mp.log(x), 1 / x      # principal branch off the positive reals (log det of det < 0), as sympy
        elif name == "tanh":
            f = mp.tanh(x)
            d = 1 - f * f
        elif name == "sigmoid":
            f = 1 / (1 + mp.exp(-x))
            d = f * (1 - f)
        else:
            if x == 0:
                raise _Skip
            f, d = abs(x), (1 if x > 0 else -1)
        return [f] + [d * t for t in b[1:]]
    return apply


def _inverse_matrix(fw: Any, e: Any) -> Mat:
    """A⁻¹ with d(A⁻¹) = −A⁻¹ dA A⁻¹ (exact over the rationals: sympy's inverse of the value)."""
    A = fw._as_matrix(fw.eval(e.arg))
    val = sp.Matrix(A.r, A.c, [fw.ctx.out(t) for row in A.layers[0] for t in row])
    if val.det() == 0:
        raise _Skip
    inv = [[fw.ctx.num(t) for t in row] for row in val.inv().tolist()]
    layers = [inv] + [_mscale(_mm(_mm(inv, A.layers[k]), inv), -1) for k in range(1, fw.nd + 1)]
    return Mat(layers, A.r, A.c)


def _determinant(fw: Any, e: Any) -> list:
    """det A with d det = det(A) tr(A⁻¹ dA)."""
    A = fw._as_matrix(fw.eval(e.arg))
    val = sp.Matrix(A.r, A.c, [fw.ctx.out(t) for row in A.layers[0] for t in row])
    det = val.det()
    out = [fw.ctx.num(det)]
    if fw.nd:
        adj = [[fw.ctx.num(t) for t in row] for row in val.adjugate().tolist()]    # det·A⁻¹, also for det 0
        out += [sum(r[i] for i, r in enumerate(_mm(adj, A.layers[k]))) for k in range(1, fw.nd + 1)]
    return out


def _softmax(fw: Any, e: Any) -> Mat:
    """softmax of a column: eᶻ / Σ eᶻ (tangents by the quotient rule)."""
    if not fw.ctx.precise:
        raise _Skip
    z = fw._as_matrix(fw.eval(e.args[0]))
    if z.c != 1:
        raise _Skip
    mp = fw.ctx.mp
    exps = [[mp.exp(z.layers[0][i][0])] + [mp.exp(z.layers[0][i][0]) * z.layers[k][i][0] for k in range(1, fw.nd + 1)]
            for i in range(z.r)]
    total = [sum(st[k] for st in exps) for k in range(fw.nd + 1)]
    inv = fw.inverse(total)
    rows = [fw.mul(st, inv) for st in exps]
    return Mat([[[rows[i][k]] for i in range(z.r)] for k in range(fw.nd + 1)], z.r, 1)


EXTRA: dict = {
    Ones: lambda fw, e: fw.const(sp.ones(fw.size(e.shape[0]), fw.size(e.shape[1]))),
    sp.matrices.expressions.applyfunc.ElementwiseApplyFunction: _ew,
    sp.HadamardProduct: _hadamard, sp.HadamardPower: _hadamard_power,
    sp.Inverse: _inverse_matrix, sp.Determinant: _determinant, F.SoftmaxMatrix: _softmax,
    sp.log: _scalar_fn("log"), sp.tanh: _scalar_fn("tanh"), F.sigmoid: _scalar_fn("sigmoid"),
    sp.Abs: _scalar_fn("Abs"),
}


