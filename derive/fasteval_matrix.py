"""derive.fasteval's handlers for matrix expressions, derive's tensor functions, concrete
sums and derivative nodes (registered on import; see derive/fasteval.py for the values).

In:  a node and the Evaluator at a point.  Out: a `Mat` or an exact number, or
`Unsupported` when shapes do not fit or a matrix is singular (sympy then decides).
"""
from __future__ import annotations

from fractions import Fraction
from itertools import count, product
from typing import Any

import sympy as sp
from sympy.concrete.summations import Sum as SympySum
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.matexpr import MatrixElement

from . import exactnum as X
from .exactnum import Dual, Unsupported
from .fasteval import (
    _HANDLERS,
    Evaluator,
    Mat,
    _entries_of,
    _sum_squares,
    _zero_one,
    handles,
)
from .model import functions as F

MAX_SUM_TERMS = 10_000
_tags = count(1)


def _matmul(A: Mat, B: Mat) -> Mat:
    if A.c != B.r:
        raise Unsupported("shapes do not match")
    cols = list(zip(*B.rows))
    return Mat([[sum(a * b for a, b in zip(row, col)) for col in cols] for row in A.rows], A.r, B.c)


def _matadd(A: Mat, B: Mat) -> Mat:
    if (A.r, A.c) != (B.r, B.c):
        raise Unsupported("shapes do not match")
    return Mat([[a + b for a, b in zip(ra, rb)] for ra, rb in zip(A.rows, B.rows)], A.r, A.c)


def _scale(A: Mat, k: Any) -> Mat:
    return Mat([[k * a for a in row] for row in A.rows], A.r, A.c)


def _solve_inverse(A: Mat) -> tuple[Mat, Any]:
    """(A⁻¹, det A) by Gauss–Jordan elimination in exact arithmetic (A⁻¹ None if singular)."""
    n = A.r
    if A.c != n:
        raise Unsupported("not square")
    M = [list(row) + [1 if i == j else 0 for j in range(n)] for i, row in enumerate(A.rows)]
    det: Any = 1
    for col in range(n):
        piv = next((r for r in range(col, n) if not X.is_zero(M[r][col])), None)
        if piv is None:
            return None, 0
        if piv != col:
            M[col], M[piv] = M[piv], M[col]
            det = -det
        p = M[col][col]
        det = det * p
        inv = X.reciprocal(p)
        M[col] = [t * inv for t in M[col]]
        for r in range(n):
            if r != col and not X.is_zero(M[r][col]):
                f = M[r][col]
                M[r] = [a - f * b for a, b in zip(M[r], M[col])]
    return Mat([row[n:] for row in M], n, n), det


# ---- matrices ---------------------------------------------------------------------------

@handles(sp.MatAdd)
def _matadd_node(ev: Evaluator, e: Any) -> Mat:
    out = ev.matrix(e.args[0])
    for a in e.args[1:]:
        out = _matadd(out, ev.matrix(a))
    return out


@handles(sp.MatMul)
def _matmul_node(ev: Evaluator, e: Any) -> Any:
    k: Any = 1
    out: Mat | None = None
    for a in e.args:
        v = ev.eval(a)
        if isinstance(v, Mat):
            out = v if out is None else _matmul(out, v)
        elif isinstance(v, bool):
            raise Unsupported("a truth value in a product")
        else:
            k = k * v
    if out is None:
        return k
    return out if k == 1 and not isinstance(k, Dual) else _scale(out, k)


@handles(sp.Transpose)
def _transpose(ev: Evaluator, e: Any) -> Mat:
    v = ev.matrix(e.arg)
    return Mat([list(col) for col in zip(*v.rows)], v.c, v.r)


@handles(sp.Trace)
def _trace(ev: Evaluator, e: Any) -> Any:
    v = ev.eval(e.arg)
    if not isinstance(v, Mat):
        return v
    if v.r != v.c:
        raise Unsupported("trace of a non-square matrix")
    return sum((v.rows[i][i] for i in range(v.r)), 0)


@handles(sp.Inverse)
def _inverse(ev: Evaluator, e: Any) -> Mat:
    inv, _ = _solve_inverse(ev.matrix(e.arg))
    if inv is None:
        raise Unsupported("singular matrix")
    return inv


@handles(sp.Determinant)
def _det(ev: Evaluator, e: Any) -> Any:
    return _solve_inverse(ev.matrix(e.arg))[1]


@handles(sp.MatPow)
def _matpow(ev: Evaluator, e: Any) -> Mat:
    A, k = ev.matrix(e.base), ev.integer(e.exp)
    if A.r != A.c:
        raise Unsupported("power of a non-square matrix")
    if k < 0:
        A, k = _inverse(ev, sp.Inverse(e.base)), -k
    out = _zero_one(A.r, A.r, lambda i, j: int(i == j))
    for _ in range(k):
        out = _matmul(out, A)
    return out


@handles(sp.HadamardProduct)
def _hadamard(ev: Evaluator, e: Any) -> Mat:
    out = ev.matrix(e.args[0])
    for a in e.args[1:]:
        B = ev.matrix(a)
        if (B.r, B.c) != (out.r, out.c):
            raise Unsupported("shapes do not match")
        out = Mat([[x * y for x, y in zip(ra, rb)] for ra, rb in zip(out.rows, B.rows)], out.r, out.c)
    return out


@handles(MatrixElement)
def _element(ev: Evaluator, e: Any) -> Any:
    P = ev.matrix(e.parent)
    i, j = ev.integer(e.i), ev.integer(e.j)
    if not (0 <= i < P.r and 0 <= j < P.c):
        raise Unsupported("index out of range")
    return P.rows[i][j]


@handles(sp.BlockMatrix)
def _blocks(ev: Evaluator, e: Any) -> Mat:
    rows: list = []
    nb, mb = e.blocks.shape
    for bi in range(nb):
        parts = [ev.matrix(e.blocks[bi, bj]) for bj in range(mb)]
        if len({p.r for p in parts}) != 1:
            raise Unsupported("blocks do not line up")
        rows += [[t for p in parts for t in p.rows[i]] for i in range(parts[0].r)]
    if len({len(r) for r in rows}) != 1:
        raise Unsupported("blocks do not line up")
    return Mat(rows, len(rows), len(rows[0]))


@handles(ElementwiseApplyFunction)
def _elementwise(ev: Evaluator, e: Any) -> Mat:
    A = ev.matrix(e.expr)
    fn = e.function
    if isinstance(fn, sp.Lambda) and len(fn.variables) == 1:
        var, body = fn.variables[0], fn.expr
        return Mat([[ev.child({var: t}).eval(body) for t in row] for row in A.rows], A.r, A.c)
    raise Unsupported("elementwise function")


# ---- derive's tensor functions -------------------------------------------------------------

@handles(F.Norm)
def _norm(ev: Evaluator, e: Any) -> Any:
    return X.sqrt(_sum_squares(ev, e.args[0]))


@handles(F.Sum)
def _tsum(ev: Evaluator, e: Any) -> Any:
    return sum(_entries_of(ev, e.args[0]), 0)


@handles(F.MSE)
def _mse(ev: Evaluator, e: Any) -> Any:
    a, b = (_entries_of(ev, t) for t in e.args)
    if len(a) != len(b):
        raise Unsupported("shapes do not match")
    return sum(((x - y) * (x - y) for x, y in zip(a, b)), 0) * Fraction(1, len(a))


@handles(F.MaxOf, F.MinOf)
def _tmaxmin(ev: Evaluator, e: Any) -> Any:
    want = 1 if isinstance(e, F.MaxOf) else -1
    vals = _entries_of(ev, e.args[0])
    best = vals[0]
    for v in vals[1:]:
        if X.sign(v - best) == want:
            best = v
    return best


@handles(SympySum)
def _concrete_sum(ev: Evaluator, e: Any) -> Any:
    """Σ over integer ranges (limits evaluated at the point), term by term."""
    ranges, n = [], 1
    for var, lo, hi in e.limits:
        a, b = ev.integer(lo), ev.integer(hi)
        ranges.append((var, range(a, b + 1)))
        n *= max(0, b - a + 1)
    if n > MAX_SUM_TERMS:
        raise Unsupported("too many terms")
    total: Any = 0
    for idx in product(*(r for _, r in ranges)):
        total = total + ev.child({var: i for (var, _), i in zip(ranges, idx)}).scalar(e.function)
    return total


# ---- derivatives by dual numbers -----------------------------------------------------------

def _part(v: Any, tag: int) -> Any:
    return v.b if isinstance(v, Dual) and v.tag == tag else 0


def _derivative(ev: Evaluator, e: Any) -> Mat:
    """GradientOf(f, x): ∂f/∂x in the shape of x; JacobianOf(y, x): rows are y's entries,
    columns x's entries (row-major).  One dual-number evaluation per entry of x."""
    f, x = e.args
    V = ev.matrix(x)
    tag = next(_tags)
    columns = []
    for k in range(V.r * V.c):
        i, j = divmod(k, V.c)
        rows = [list(row) for row in V.rows]
        rows[i][j] = Dual(tag, rows[i][j], 1)
        val = ev.child({x: Mat(rows, V.r, V.c)}).eval(f)
        columns.append(val)
    if type(e).__name__ == "GradientOf":
        flat = [_part(_only_scalar(v), tag) for v in columns]
        return Mat([flat[i * V.c:(i + 1) * V.c] for i in range(V.r)], V.r, V.c)
    if type(e).__name__ == "JacobianOf":
        if not all(isinstance(v, Mat) and v.c == 1 for v in columns):
            raise Unsupported("Jacobian of a non-vector")
        r = columns[0].r
        return Mat([[_part(col.rows[i][0], tag) for col in columns] for i in range(r)], r, len(columns))
    raise Unsupported(type(e).__name__)


def _only_scalar(v: Any) -> Any:
    if isinstance(v, Mat):
        if (v.r, v.c) != (1, 1):
            raise Unsupported("gradient of a non-scalar")
        return v.rows[0][0]
    return v


_HANDLERS["_DerivativeOf"] = _derivative
