"""sympy matrix expressions -> `Poly`.

In: an expression built by the model (MatrixSymbol, MatAdd, MatMul, Transpose, Trace of
products, Norm(v)^2, Sum, MSE, scalar coefficients).  Out: its `Poly`, or `Unsupported`
for what is not a polynomial in the matrices.
"""
from __future__ import annotations

from typing import Any

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixExpr

from ...errors import Unsupported
from ...model import functions as F
from .chains import ONE, is_one
from .poly import Poly, make_term, total

# ---- sympy -> Poly ------------------------------------------------------------------------

ATOMS = (sp.MatrixSymbol, sp.Identity, sp.OneMatrix, sp.ZeroMatrix)


def _matrix_free(e: Any) -> bool:
    return not (e.atoms(sp.MatrixSymbol) or e.atoms(sp.MatrixBase))


def to_poly(e: Any) -> Poly:
    """A matrix or scalar expression as a Poly; Unsupported for what is not a polynomial."""
    if isinstance(e, (MatrixExpr, sp.MatrixBase)):
        return _matrix_poly(e)
    return _scalar_poly(sp.sympify(e, strict=True))


def _matrix_poly(e: Any) -> Poly:
    """A matrix expression (an atom, an explicit matrix, a sum, product, power, transpose or
    trace of them) as a Poly."""
    if isinstance(e, ATOMS) or isinstance(e, sp.MatrixSlice):
        return Poly.atom(e)
    if isinstance(e, sp.MatrixBase):
        if not _matrix_free(sp.Add(*list(e))) if e.shape[0] * e.shape[1] else False:
            raise Unsupported("an explicit matrix whose entries involve symbolic matrices cannot be "
                              "differentiated in closed form")
        if e.shape == (1, 1):
            return Poly.scalar(e[0, 0])
        return Poly.atom(sp.ImmutableMatrix(e))
    if isinstance(e, sp.Transpose):
        return to_poly(e.arg).T
    if isinstance(e, sp.MatAdd):
        parts = [to_poly(a) for a in e.args]
        return total(parts, parts[0].shape)
    if isinstance(e, sp.MatMul):
        coef, mats = _split_matmul(e)
        out = None
        for m in mats:
            p = to_poly(m)
            out = p if out is None else _product(out, p)
        return _scaled(out, coef)
    if isinstance(e, sp.MatPow):
        base, n = e.args
        if not (n.is_Integer and n >= 1):
            raise Unsupported(f"the matrix power {e} is not a polynomial (only positive whole powers are)")
        p = to_poly(base)
        out = p
        for _ in range(int(n) - 1):
            out = out @ p
        return out
    if isinstance(e, MatrixExpr):
        name = type(e).__name__
        what = {"HadamardProduct": "an elementwise product", "HadamardPower": "an elementwise power",
                "ElementwiseApplyFunction": "an elementwise function", "Inverse": "a matrix inverse",
                "BlockMatrix": "a block matrix"}.get(name, name)
        raise Unsupported(f"{what} has no closed-form matrix derivative here; "
                          "give the tensors concrete values to differentiate numerically")
    raise Unsupported(f"{type(e).__name__} has no closed-form derivative here")


def _scalar_poly(e: Any) -> Poly:
    """A scalar expression in the matrices (sums, products, whole powers, squared norms,
    Sum, MSE of them) as a 1×1 Poly."""
    if _matrix_free(e):
        return Poly.scalar(e)
    if isinstance(e, sp.Trace):
        p = to_poly(e.arg)
        if p.is_scalar():
            return p
        return Poly((ONE, ONE), [make_term(t.coef, t.scalars + (t.chain,), (), (ONE, ONE)) for t in p.terms])
    if isinstance(e, sp.Add):
        return total([to_poly(a) for a in e.args], (ONE, ONE))
    if isinstance(e, sp.Mul):
        out = Poly.scalar(ONE)
        for a in e.args:
            out = _product(out, to_poly(a))
        return out
    if isinstance(e, sp.Pow):
        base, n = e.args
        if isinstance(base, F.Norm) and n.is_Integer and n > 0 and n % 2 == 0:
            sq = _norm_squared(base.args[0])
            return _power(sq, int(n) // 2)
        if n.is_Integer and n >= 1:
            return _power(to_poly(base), int(n))
        raise Unsupported(f"{e} is not a polynomial in the matrices (only whole positive powers and "
                          "squared norms have closed-form derivatives here)")
    if isinstance(e, F.Sum):
        v = e.args[0]
        r, c = v.shape
        p = to_poly(v)
        left = Poly.atom(sp.OneMatrix(1, r)) if not is_one(r) else Poly.scalar(1)
        right = Poly.atom(sp.OneMatrix(c, 1)) if not is_one(c) else Poly.scalar(1)
        return _product(_product(left, p), right)
    if isinstance(e, F.MSE):
        a, b = e.args
        diff = to_poly(a) - to_poly(b)
        n = a.shape[0] * a.shape[1]
        return _norm_squared_poly(diff).scale(1 / sp.sympify(n, strict=True))
    if isinstance(e, F.Norm):
        raise Unsupported(f"the norm ‖{e.args[0]}‖ is not a polynomial; write norm(...)^2 for a closed form")
    if isinstance(e, F.Loss):
        raise Unsupported("the loss is unspecified; give its gradients with `given grad(L, y) = g`")
    raise Unsupported(f"{type(e).__name__} of matrices has no closed-form derivative here")


def _split_matmul(e: sp.MatMul) -> tuple[Any, list]:
    coef, mats = ONE, []
    for a in e.args:
        if isinstance(a, (MatrixExpr, sp.MatrixBase)):
            mats.append(a)
        else:
            coef = coef * a
    return coef, mats


def _scaled(p: Poly, coef: Any) -> Poly:
    if coef == 1:
        return p
    c = to_poly(coef)
    return p.times_scalar(c)


def _product(a: Poly, b: Poly) -> Poly:
    """a·b: a matrix product, or a scalar (1×1) times a tensor."""
    if a.is_scalar() and not is_one(b.shape[0]):
        return b.times_scalar(a)
    if b.is_scalar() and not is_one(a.shape[1]):
        return a.times_scalar(b)
    return a @ b


def _power(p: Poly, n: int) -> Poly:
    out = p
    for _ in range(n - 1):
        out = _product(out, p)
    return out


def _norm_squared_poly(p: Poly) -> Poly:
    r, c = p.shape
    if is_one(c):
        return p.T @ p
    if is_one(r):
        return p @ p.T
    m = p.T @ p
    return Poly((ONE, ONE), [make_term(t.coef, t.scalars + (t.chain,), (), (ONE, ONE)) for t in m.terms])


def _norm_squared(v: Any) -> Poly:
    return _norm_squared_poly(to_poly(v))
