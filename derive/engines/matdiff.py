"""Gradients of scalar functions that are not polynomials in the matrices, by reverse-mode
rules on the expression (the adjoint Ḡ of every subexpression has that subexpression's
shape: denominator layout, as the Matrix Cookbook writes it).

In:  a scalar sympy expression s over MatrixSymbols and the variable X (a MatrixSymbol).
Out: `gradient(s, X)`: a matrix expression with the shape of X, or Unsupported.

Rules (each is a Matrix Cookbook identity; the result is checked by the caller at random
matrices against entry-by-entry differentiation, so none is trusted):
  A + B, cA, A B: Ḡ_A = Ḡ Bᵀ, Ḡ_B = Aᵀ Ḡ;  Aᵀ: Ḡᵀ;  tr(A): Ḡ I;  A ⊙ B: Ḡ ⊙ B;
  f(A) elementwise: Ḡ ⊙ f′(A);  A⁻¹: −A⁻ᵀ Ḡ A⁻ᵀ;  Aⁿ, A⁻ⁿ: the product of n factors A or A⁻¹;  det A: Ḡ det(A) A⁻ᵀ;  log det A: Ḡ A⁻ᵀ;
  ‖v‖: Ḡ v/‖v‖;  ‖v‖²: 2Ḡ v;  sum(A): Ḡ 𝟏𝟏ᵀ;  softmax(z): s ⊙ Ḡ − s (sᵀḠ);
  sum(g(u, c…)) of an elementwise expression in one u that depends on X: the scalar
  derivative g′ simplified (so the logistic loss gives σ(Xw) − y, not a quotient).
"""
from __future__ import annotations

from typing import Any

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixExpr

from ..errors import Unsupported
from ..model import functions as F
from ..notation import mathml_call, pretty_call

EW = sp.matrices.expressions.applyfunc.ElementwiseApplyFunction


class Ones(MatrixExpr):
    """𝟏 of a shape for the checker: explicit ones as soon as both sizes are numbers (sympy
    leaves `Matrix + OneMatrix` unevaluated, so `1 - y` could not be checked at random
    matrices).  `for_check(e)` maps every OneMatrix of e to it (a `where` map)."""

    def __new__(cls, r: Any, c: Any):
        r, c = sp.sympify(r, strict=True), sp.sympify(c, strict=True)
        if r.is_Integer and c.is_Integer:
            return sp.ImmutableMatrix.ones(int(r), int(c))
        return MatrixExpr.__new__(cls, r, c)

    @property
    def shape(self) -> tuple:
        return self.args

    def _entry(self, i: Any, j: Any, **kw: Any) -> Any:
        return sp.Integer(1)


def for_check(*exprs: Any) -> dict:
    """{OneMatrix(r, c): Ones(r, c)} for the ones matrices of `exprs` (see Ones)."""
    out = {}
    for e in exprs:
        if isinstance(e, sp.Basic):
            out.update({o: Ones(*o.shape) for o in e.atoms(sp.OneMatrix)})
    return out


class Diag(sp.matrices.expressions.diagonal.DiagMatrix):
    """diag(a): the square matrix with the vector a on its diagonal (prints as diag(a);
    its text is sympy's DiagMatrix(a), which parse_expr reads back)."""

    def _latex(self, printer: Any, **kw: Any) -> str:
        return r"\operatorname{diag}\left(%s\right)" % printer._print(self.args[0])

    def _pretty(self, printer: Any) -> Any:
        return pretty_call(printer, "diag", self.args[0])

    def _mathml_presentation(self, printer: Any) -> Any:
        return mathml_call(printer, "diag", self.args[0])


def times_vector(e: Any, v: Any) -> Any:
    """M with e = M v for an expression e linear in the vector v (None when e is not of a
    form handled here): a ⊙ (B v) = diag(a) B v, sums and products ending in v."""
    if e == v:
        return sp.Identity(v.shape[0])
    if isinstance(e, sp.MatAdd):
        parts = [times_vector(a, v) for a in e.args if depends(a, v)]
        if any(p is None for p in parts) or len(parts) != sum(depends(a, v) for a in e.args) or \
                len(parts) != len(e.args):
            return None
        return sp.MatAdd(*parts)
    if isinstance(e, sp.MatMul):
        mats = [a for a in e.args if isinstance(a, MatrixExpr)]
        coef = [a for a in e.args if not isinstance(a, MatrixExpr)]
        if any(depends(c, v) for c in coef):
            return _scalar_times_vector(sp.Mul(*coef), mats, v)
        if not mats or any(depends(a, v) for a in mats[:-1]):
            return None
        last = times_vector(mats[-1], v)
        return None if last is None else sp.MatMul(*coef, *mats[:-1], last)
    if isinstance(e, sp.HadamardProduct) and len(e.args) >= 2:
        dep = [a for a in e.args if depends(a, v)]
        if len(dep) != 1:
            return None
        rest = [a for a in e.args if a is not dep[0]]
        inner = times_vector(dep[0], v)
        diag = Diag(rest[0] if len(rest) == 1 else sp.HadamardProduct(*rest))
        return None if inner is None else sp.MatMul(diag, inner)
    return None


def _scalar_times_vector(c: Any, mats: list, v: Any) -> Any:
    """M with c·(mats) = M v, for a coefficient c = k·(r v) linear in one 1×1 product r v."""
    if any(depends(m, v) for m in mats) or not mats:
        return None
    traces = [t for t in c.atoms(sp.Trace) if depends(t, v)]
    if len(traces) != 1:
        return None
    tau = sp.Dummy("tau")
    k = sp.cancel(c.xreplace({traces[0]: tau}) / tau)
    r = _row_of(traces[0].arg, v)
    if k.has(tau) or depends(k, v) or r is None:
        return None
    return sp.MatMul(k, *mats, r)


def _row_of(p: Any, v: Any) -> Any:
    """r with tr(p) = r v, for a product p in which v (or vᵀ) occurs once."""
    p = p.doit()                                        # (nested transposes and products flattened)
    fs = list(p.args) if isinstance(p, sp.MatMul) else [p]
    if any(not isinstance(f, MatrixExpr) for f in fs):
        return None
    if sp.Transpose(v) in fs and v not in fs:           # tr(p) = tr(pᵀ)
        fs = [f.arg if isinstance(f, sp.Transpose) else sp.Transpose(f) for f in reversed(fs)]
    if fs.count(v) != 1 or any(depends(f, v) for f in fs if f != v):
        return None
    k = fs.index(v)
    rest = fs[k + 1:] + fs[:k]                          # tr(A v B) = B A v
    return sp.MatMul(*rest) if len(rest) > 1 else (rest[0] if rest else None)


def hessian(s: Any, x: Any) -> Any:
    """∂²s/∂x∂xᵀ of a scalar s in a column x: the gradient g, then ∇ₓ(vᵀg) = H v for a fresh
    v, and H read off (None when H v is not of a form `times_vector` handles)."""
    g = gradient(s, x)
    v = sp.MatrixSymbol("v_H", *x.shape)
    hv = gradient(sp.Trace(sp.MatMul(v.T, g)), x)
    return g, hv, v


def depends(e: Any, X: Any) -> bool:
    return isinstance(e, sp.Basic) and X in e.atoms(sp.MatrixSymbol)


def gradient(s: Any, X: Any) -> Any:
    """∂s/∂X for a scalar s (the shape of X); ZeroMatrix when s does not depend on X."""
    out: list = []
    _back(s, sp.Integer(1), X, out)
    if not out:
        return sp.ZeroMatrix(*X.shape)
    return out[0] if len(out) == 1 else sp.MatAdd(*out)


def _times(G: Any, *factors: Any) -> Any:
    """G · factors: a scalar product when all are scalars, else one matrix product."""
    if not any(isinstance(f, MatrixExpr) for f in (G, *factors)):
        return sp.Mul(G, *factors)
    return sp.MatMul(G, *factors).doit(deep=False) if G == 1 else sp.MatMul(G, *factors)


def _inner(G: Any, A: Any) -> Any:
    """Σᵢⱼ Gᵢⱼ Aᵢⱼ = tr(GᵀA) (G A for a scalar G and a 1×1 A)."""
    if not isinstance(G, MatrixExpr):
        return G * (sp.Trace(A) if isinstance(A, MatrixExpr) else A)
    return sp.Trace(sp.MatMul(sp.Transpose(G), A))


def _back(e: Any, G: Any, X: Any, out: list) -> None:
    """Add to `out` the contributions of e (with adjoint G) to ∂s/∂X."""
    if not depends(e, X):
        return
    if e == X:
        out.append(G if isinstance(G, MatrixExpr) else sp.MatMul(G, sp.Identity(1)) if X.shape == (1, 1) else G)
        return
    if isinstance(e, MatrixExpr):
        return _back_matrix(e, G, X, out)
    return _back_scalar(e, G, X, out)


def _back_matrix(e: Any, G: Any, X: Any, out: list) -> None:
    if isinstance(e, sp.MatAdd):
        for a in e.args:
            _back(a, G, X, out)
    elif isinstance(e, sp.MatMul):
        coef = [a for a in e.args if not isinstance(a, MatrixExpr)]
        mats = [a for a in e.args if isinstance(a, MatrixExpr)]
        c = sp.Mul(*coef)
        for k, m in enumerate(mats):
            if depends(m, X):
                left = [sp.Transpose(a) for a in reversed(mats[:k])]
                right = [sp.Transpose(a) for a in reversed(mats[k + 1:])]
                if isinstance(G, MatrixExpr):
                    adj = sp.MatMul(*([c] if c != 1 else []), *left, G, *right)
                else:
                    adj = _times(c * G, *left, *right) if left or right else c * G
                _back(m, adj, X, out)
        if depends(c, X):
            _back(c, _inner(G, sp.MatMul(*mats)), X, out)
    elif isinstance(e, sp.Transpose):
        _back(e.arg, sp.Transpose(G) if isinstance(G, MatrixExpr) else G, X, out)
    elif isinstance(e, sp.HadamardProduct):
        for k, a in enumerate(e.args):
            others = e.args[:k] + e.args[k + 1:]
            _back(a, sp.HadamardProduct(_as_matrix(G, e.shape), *others), X, out)
    elif isinstance(e, sp.HadamardPower):
        b, n = e.args
        _back(b, sp.HadamardProduct(_as_matrix(G, e.shape), n * sp.HadamardPower(b, n - 1)), X, out)
    elif isinstance(e, EW):
        _back(e.expr, sp.HadamardProduct(_as_matrix(G, e.shape), _ew_derivative(e)), X, out)
    elif isinstance(e, sp.Inverse):
        Ait = sp.Transpose(e)
        _back(e.arg, -sp.MatMul(Ait, _as_matrix(G, e.shape), Ait), X, out)
    elif isinstance(e, sp.MatPow) and e.exp.is_Integer and e.exp != 0:   # Aⁿ = A·…·A, A⁻ⁿ = A⁻¹·…·A⁻¹
        b, n = e.args
        factor = b if n > 0 else sp.Inverse(b)
        _back(sp.MatMul(*[factor] * abs(int(n))) if abs(n) > 1 else factor, G, X, out)
    elif isinstance(e, F.SoftmaxMatrix) and e.shape[1] == 1:
        Gm = _as_matrix(G, e.shape)
        _back(e.args[0], sp.MatAdd(sp.HadamardProduct(e, Gm), -sp.MatMul(e, sp.Trace(sp.MatMul(e.T, Gm)))), X, out)
    else:
        raise Unsupported(f"{type(e).__name__} has no closed-form matrix derivative here")


def _back_scalar(e: Any, G: Any, X: Any, out: list) -> None:
    if isinstance(e, sp.Add):
        for a in e.args:
            _back(a, G, X, out)
    elif isinstance(e, sp.Mul):
        for k, a in enumerate(e.args):
            if depends(a, X):
                _back(a, G * sp.Mul(*(e.args[:k] + e.args[k + 1:])), X, out)
    elif isinstance(e, sp.Pow) and not depends(e.exp, X):
        b, n = e.args
        if isinstance(b, F.Norm) and n == 2:
            _back(b.args[0], _times(2 * G, b.args[0]), X, out)
        else:
            _back(b, G * n * b ** (n - 1), X, out)
    elif isinstance(e, sp.log) and isinstance(e.args[0], sp.Determinant):
        A = e.args[0].arg
        _back(A, _times(G, sp.Transpose(sp.Inverse(A))), X, out)
    elif isinstance(e, sp.Determinant):
        _back(e.arg, _times(G * e, sp.Transpose(sp.Inverse(e.arg))), X, out)
    elif isinstance(e, sp.Trace):
        A = e.arg
        _back(A, _times(G, sp.Identity(A.shape[0])) if A.shape != (1, 1) else G, X, out)
    elif isinstance(e, F.Norm):
        v = e.args[0]
        _back(v, _times(G / e, v), X, out)
    elif isinstance(e, F.Sum):
        _sum_rule(e.args[0], G, X, out)
    elif isinstance(e, sp.Function) and len(e.args) == 1:
        t = sp.Dummy("t")
        _back(e.args[0], G * e.func(t).diff(t).subs(t, e.args[0]), X, out)
    else:
        raise Unsupported(f"{type(e).__name__} has no closed-form derivative here")


def _as_matrix(G: Any, shape: tuple) -> Any:
    return G if isinstance(G, MatrixExpr) else sp.MatMul(G, sp.OneMatrix(*shape)) if G != 1 else sp.OneMatrix(*shape)


def _ew_derivative(e: Any) -> Any:
    """f′(A) entrywise for f(A) = ElementwiseApplyFunction(f, A)."""
    lam = e.function
    v = lam.variables[0]
    d = sp.simplify(lam.expr.diff(v))
    return _rebuild(d, {v: e.expr}, e.shape)


def _sum_rule(A: Any, G: Any, X: Any, out: list) -> None:
    """sum(A): an elementwise expression in one u is differentiated as a scalar function."""
    ce = _softmax_ce(A, X)
    if ce is not None:                       # Σ y ⊙ log softmax(z): y − softmax(z)·Σy
        y, z = ce
        _back(z, _scale(G, sp.MatAdd(y, -sp.MatMul(F.Sum(y), F.SoftmaxMatrix(z)))), X, out)
        return
    found = _elementwise_scalar(A, X)
    if found is None:
        _back(A, _as_matrix(G, A.shape), X, out)
        return
    g, t, leaves = found
    dg = nicer(g.diff(t), t)
    if not isinstance(G, MatrixExpr):
        dg, G = sp.expand(G * dg), sp.Integer(1)
    _back(leaves[t], _scale(G, _rebuild(dg, leaves, A.shape)), X, out)


def nicer(d: Any, t: Any) -> Any:
    """d (a scalar function of t) simplified: σ′ = σ(1 − σ) cancelled as a rational function of
    σ(t), and eᵗ/(1 + eᵗ) written σ(t) when that is shorter."""
    s = sp.Dummy("s")
    sig = F.sigmoid(t)
    if d.has(sig):
        return sp.expand(sp.cancel(sp.together(d.xreplace({sig: s})))).xreplace({s: sig})
    d = sp.simplify(d)
    if d.has(sp.exp(t)) or d.has(sp.exp(-t)):
        cand = sp.cancel(sp.together(d.xreplace({sp.exp(t): s / (1 - s), sp.exp(-t): (1 - s) / s})))
        if not cand.has(t):
            cand = sp.expand(cand).xreplace({s: sig})
            if sp.count_ops(cand) < sp.count_ops(d):
                return cand
    return d


def _softmax_ce(A: Any, X: Any) -> tuple | None:
    """(y, z) when A = y ⊙ log(softmax(z)) with y free of X."""
    if not (isinstance(A, sp.HadamardProduct) and len(A.args) == 2):
        return None
    for y, lg in (A.args, reversed(A.args)):
        if isinstance(lg, EW) and isinstance(lg.expr, F.SoftmaxMatrix) and not depends(y, X):
            v = lg.function.variables[0]
            if lg.function.expr == sp.log(v):
                return y, lg.expr.args[0]
    return None


def _scale(G: Any, M: Any) -> Any:
    return M if G == 1 else sp.MatMul(G, M)


def _elementwise_scalar(A: Any, X: Any) -> tuple | None:
    """(g(t, c…), t, {symbol: matrix}) when A is built entrywise (+, ⊙, numbers, elementwise
    functions) from leaves of which exactly one depends on X; else None."""
    leaves: dict = {}
    syms: dict = {}

    def walk(e: Any) -> Any:
        if isinstance(e, sp.MatAdd):
            return sp.Add(*[walk(a) for a in e.args])
        if isinstance(e, sp.HadamardProduct):
            return sp.Mul(*[walk(a) for a in e.args])
        if isinstance(e, sp.MatMul) and sum(isinstance(a, MatrixExpr) for a in e.args) == 1 \
                and all(not depends(a, X) for a in e.args if not isinstance(a, MatrixExpr)):
            return sp.Mul(*[walk(a) if isinstance(a, MatrixExpr) else a for a in e.args])
        if isinstance(e, sp.OneMatrix):
            return sp.Integer(1)
        if isinstance(e, EW):
            return e.function(walk(e.expr))
        if isinstance(e, sp.HadamardPower):
            return walk(e.args[0]) ** e.args[1]
        if e not in syms:
            syms[e] = sp.Dummy("u", real=True)
            leaves[syms[e]] = e
        return syms[e]
    g = walk(A)
    dep = [u for u, m in leaves.items() if depends(m, X)]
    if len(dep) != 1 or not leaves or (len(leaves) == 1 and isinstance(A, type(leaves[dep[0]]))):
        return None
    return g, dep[0], leaves


def _rebuild(d: Any, leaves: dict, shape: tuple) -> Any:
    """The scalar expression d (in the leaves' symbols) as an entrywise matrix expression."""
    if d in leaves:
        return leaves[d]
    if not (d.free_symbols & set(leaves)):
        return sp.MatMul(d, sp.OneMatrix(*shape)) if d != 1 else sp.OneMatrix(*shape)
    if isinstance(d, sp.Add):
        return sp.MatAdd(*[_rebuild(a, leaves, shape) for a in d.args])
    if isinstance(d, sp.Mul):
        nums = [a for a in d.args if not (a.free_symbols & set(leaves))]
        rest = [_rebuild(a, leaves, shape) for a in d.args if a.free_symbols & set(leaves)]
        body = rest[0] if len(rest) == 1 else sp.HadamardProduct(*rest)
        return body if not nums else sp.MatMul(sp.Mul(*nums), body)
    if isinstance(d, sp.Pow) and d.exp.is_number:
        return sp.HadamardPower(_rebuild(d.base, leaves, shape), d.exp)
    if isinstance(d, sp.Function) and len(d.args) == 1:
        v = sp.Dummy("d")
        return EW(sp.Lambda(v, d.func(v)), _rebuild(d.args[0], leaves, shape))
    raise Unsupported(f"cannot write {d} entrywise")
