"""Display forms of matrix expressions: (a − b)ᵀ for aᵀ − bᵀ, positive terms first, and
squared norms written as inner products for the "multiply out" step.

In: sympy matrix expressions.  Out: sympy expressions equal to them, written as a
student would (every rewrite shown in a step is checked there).
"""
from __future__ import annotations

from typing import Any

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixExpr

from ...engines import matpoly as M
from ...model import functions as F

def tidy(e: Any) -> Any:
    """Display form: (a − b)ᵀ for aᵀ − bᵀ, (AB)ᵀ kept together, 1×1 traces bare."""
    if not isinstance(e, sp.Basic) or not e.args:
        return e
    if isinstance(e, sp.Trace) and not isinstance(e, M.Inner) and tuple(e.arg.shape) == (1, 1):
        return tidy(e.arg)
    args = [tidy(a) for a in e.args]
    if isinstance(e, sp.MatAdd):
        args = sorted(args, key=_sum_order)
        if len(args) > 1 and all(_is_transposed(a) for a in args):
            return sp.Transpose(sp.MatAdd(*[_untranspose(a) for a in args], evaluate=False))
        return sp.MatAdd(*args, evaluate=False)
    if isinstance(e, sp.MatMul):   # a scalar factor stays a scalar (1/tr(zᵀz) does not become (zᵀz)⁻¹)
        args = [t if isinstance(a, MatrixExpr) or t.is_commutative is not False else a for a, t in zip(e.args, args)]
        return sp.MatMul(*args, evaluate=False)
    if isinstance(e, (sp.Add, sp.Mul, sp.Pow)):
        return e.func(*args, evaluate=False)
    try:
        return e.func(*args)
    except (TypeError, ValueError):
        return e


def _sum_order(a: Any) -> tuple:
    """Positive terms first, then shorter products: y − Xw rather than −Xw + y."""
    neg = isinstance(a, sp.MatMul) and a.args and not isinstance(a.args[0], MatrixExpr) \
        and sp.sympify(a.args[0], strict=True).could_extract_minus_sign()
    size = len([x for x in a.args if isinstance(x, MatrixExpr)]) if isinstance(a, sp.MatMul) else 1
    return (bool(neg), size)


def _is_transposed(a: Any) -> bool:
    if isinstance(a, sp.Transpose):
        return True
    if isinstance(a, sp.MatMul):
        mats = [x for x in a.args if isinstance(x, MatrixExpr)]
        return bool(mats) and all(isinstance(x, sp.Transpose) for x in mats) and \
            all(not isinstance(x, MatrixExpr) or isinstance(x, sp.Transpose) for x in a.args)
    return False


def _untranspose(a: Any) -> Any:
    if isinstance(a, sp.Transpose):
        return a.arg
    coef = [x for x in a.args if not isinstance(x, MatrixExpr)]
    mats = [x.arg for x in a.args if isinstance(x, MatrixExpr)]
    return sp.MatMul(*coef, *reversed(mats), evaluate=False)


def as_products(e: Any) -> Any:
    """‖v‖² written as vᵀv (‖M‖² as tr(MᵀM)) for the 'multiply out' step."""
    if not isinstance(e, sp.Basic) or not e.args:
        return e
    if isinstance(e, sp.Pow) and isinstance(e.base, F.Norm) and e.exp == 2:
        v = e.base.args[0]
        r, c = v.shape
        if c == 1:
            return sp.MatMul(sp.Transpose(v), v, evaluate=False)
        if r == 1:
            return sp.MatMul(v, sp.Transpose(v), evaluate=False)
        return sp.Trace(sp.MatMul(sp.Transpose(v), v, evaluate=False))
    args = [as_products(a) for a in e.args]
    if args == list(e.args):
        return e
    if isinstance(e, (sp.MatAdd, sp.MatMul)):
        return e.func(*args, evaluate=False)
    if isinstance(e, (sp.Add, sp.Mul)) and any(isinstance(a, MatrixExpr) for a in args):
        # a sum of 1×1 products: keep it a matrix expression
        parts = [M.Inner(a) if isinstance(a, MatrixExpr) else a for a in args]   # (scalar factors such as λ)
        return e.func(*parts, evaluate=False)
    return e.func(*args)
