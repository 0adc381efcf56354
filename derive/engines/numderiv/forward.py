"""Exact values and derivatives of matrix expressions at a numeric point, fast.

In:  a sympy expression (MatAdd, MatMul, Transpose, Trace, Identity, explicit matrices,
     scalar Add/Mul/Pow, exp, Norm(v)^2, Sum, MSE, BlockMatrix, GradientOf/JacobianOf)
     and values for its matrix symbols, scalar symbols and sizes (what the step checker
     draws at random).
Out: the value as an explicit sympy matrix or number, or None when a node is not
     supported here (the caller then falls back to sympy's own `doit`).

Method: forward-mode differentiation with a batch of tangents.  Every value is an object
array whose first axis holds the value and then one tangent per direction, so a
derivative ∂f/∂x (one direction per entry of x) costs one evaluation of f.  Numbers are
Python Fractions, so values and derivatives of rational expressions are exact; when the
expression holds exp, roots or other irrationals, mpmath numbers at 60 digits are used
and the result is returned as 50-digit Floats (the checker compares to 40 digits).
This is an independent route to every derivative the derivers claim: it never looks at
their closed forms.
"""
from __future__ import annotations

from fractions import Fraction
from functools import lru_cache, reduce
from typing import Any, Callable

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixElement, MatrixExpr

from ...model import functions as F
from .node import DerivativeNode
from .rules import EXTRA as _EXTRA
from .rules import Mat, _madd, _mm, _mscale, _Skip

DPS = 60


class _Ctx:
    """Exact (int/Fraction) or precise (mpmath, 60 digits) numbers."""

    def __init__(self, precise: bool):
        self.precise = precise
        if precise:
            import mpmath
            self.mp = mpmath.MPContext()       # a private context: 60 digits, global state untouched
            self.mp.dps = DPS

    def num(self, e: Any) -> Any:
        e = sp.sympify(e, strict=True)
        if e.is_Rational:
            if self.precise:
                return self.mp.mpf(int(e.p)) / int(e.q)
            return int(e.p) if e.q == 1 else Fraction(int(e.p), int(e.q))   # ints are much faster
        if not self.precise or not e.is_number:
            raise _Skip
        v = sp.N(e, DPS + 5)
        if not v.is_real:
            raise _Skip
        return self.mp.mpf(str(v))

    def out(self, v: Any) -> Any:
        if self.precise:
            if isinstance(v, self.mp.mpc):      # a principal log of a negative number: re + i·im
                re, im = (sp.Float(self.mp.nstr(t, 55), 50) for t in (v.real, v.imag))
                return re if im == 0 else re + sp.I * im
            return sp.Float(self.mp.nstr(v, 55), 50)
        if isinstance(v, Fraction):
            return sp.Rational(v.numerator, v.denominator)
        if not isinstance(v, int):          # a float slipped in: not exact, let sympy decide
            raise _Skip
        return sp.Integer(v)


class Forward:
    """Evaluates an expression with value + tangents (see the module docstring)."""

    def __init__(self, ctx: _Ctx, env: dict, dims: dict, nd: int = 0, seed: Any = None):
        self.ctx = ctx
        self.env = env          # MatrixSymbol/Symbol -> sympy value
        self.dims = dims        # size Symbol -> int
        self.nd = nd            # number of tangent directions
        self.seed = seed        # (x, Mat) for the variable being differentiated
        self._cache: dict = {}
        self.zero = ctx.num(0)
        self.bound: dict = {}     # a Lambda's variable -> its value stack (elementwise functions)

    def const(self, M: sp.MatrixBase) -> Mat:
        r, c = M.shape
        val = [[self.ctx.num(t) for t in row] for row in M.tolist()]
        zeros = [[self.zero] * c for _ in range(r)]
        return Mat([val] + [zeros] * self.nd, r, c)

    def scalar_const(self, v: Any) -> list:
        return [self.ctx.num(v)] + [self.zero] * self.nd

    def size(self, n: Any) -> int:
        n = sp.sympify(n, strict=True).xreplace(self.dims)
        if not n.is_Integer:
            raise _Skip
        return int(n)

    def mul(self, U: Any, V: Any) -> Any:
        """Product rule on value/tangent stacks (matrix or scalar operands)."""
        nd = self.nd
        if isinstance(U, Mat) and isinstance(V, Mat):
            if U.c != V.r:
                raise _Skip
            A, B = U.layers, V.layers
            out = [_mm(A[0], B[0])] + [_madd(_mm(A[k], B[0]), _mm(A[0], B[k])) for k in range(1, nd + 1)]
            return Mat(out, U.r, V.c)
        if isinstance(U, Mat):
            U, V = V, U
        if isinstance(V, Mat):
            A = V.layers
            out = [_mscale(A[0], U[0])] + [_madd(_mscale(A[k], U[0]), _mscale(A[0], U[k])) for k in range(1, nd + 1)]
            return Mat(out, V.r, V.c)
        return [U[0] * V[0]] + [U[k] * V[0] + U[0] * V[k] for k in range(1, nd + 1)]

    def add(self, U: Any, V: Any) -> Any:
        if isinstance(U, Mat) != isinstance(V, Mat):
            U, V = self._as_matrix(U), self._as_matrix(V)
        if isinstance(U, Mat):
            if (U.r, U.c) != (V.r, V.c):
                raise _Skip
            return Mat([_madd(a, b) for a, b in zip(U.layers, V.layers)], U.r, U.c)
        return [a + b for a, b in zip(U, V)]

    def eval(self, e: Any) -> Any:
        if e in self._cache:
            return self._cache[e]
        out = self._eval(e)
        self._cache[e] = out
        return out

    def _eval(self, e: Any) -> Any:
        """The value/tangent stack of one node: a rule of rules.EXTRA, else the
        first matching rule of `_matrix_rules`, else (a scalar) a number or the first
        matching rule of `_SCALAR_RULES`; _Skip for anything else."""
        if e in self.bound:
            return self.bound[e]
        handler = _EXTRA.get(type(e)) or next((h for t, h in _EXTRA.items() if isinstance(e, t)), None)
        if handler is not None:
            return handler(self, e)
        for types, rule in _matrix_rules():
            if isinstance(e, types):
                return rule(self, e)
        if isinstance(e, MatrixExpr):
            raise _Skip
        if e.is_number:
            return self.scalar_const(e)
        for types, rule in _SCALAR_RULES:
            if isinstance(e, types):
                return rule(self, e)
        raise _Skip

    # -- the rules of `_eval`, matrices first
    def _symbol(self, e: Any) -> Any:
        if self.seed is not None and e == self.seed[0]:
            return self.seed[1]
        if e not in self.env:
            if isinstance(e, sp.Symbol) and e in self.dims:
                return self.scalar_const(self.dims[e])
            raise _Skip
        v = self.env[e]
        return self.const(v) if isinstance(v, sp.MatrixBase) else self.scalar_const(v)

    def _identity(self, e: Any) -> Mat:
        return self.const(sp.eye(self.size(e.shape[0])))

    def _zeros(self, e: Any) -> Mat:
        return self.const(sp.zeros(self.size(e.shape[0]), self.size(e.shape[1])))

    def _ones(self, e: Any) -> Mat:
        return self.const(sp.ones(self.size(e.shape[0]), self.size(e.shape[1])))

    def _element(self, e: Any) -> list:
        P = self.eval(e.parent)
        i, j = int(e.i), int(e.j)
        return [layer[i][j] for layer in P.layers]

    def _sum_of(self, e: Any) -> Any:
        return reduce(self.add, (self.eval(a) for a in e.args))

    def _product_of(self, e: Any) -> Any:
        out = None
        for a in e.args:
            v = self.eval(a)
            out = v if out is None else self.mul(out, v)
        return out

    def _transpose(self, e: Any) -> Mat:
        v = self.eval(e.arg)
        return Mat([[list(col) for col in zip(*layer)] for layer in v.layers], v.c, v.r)

    def _trace(self, e: Any) -> Any:
        v = self.eval(e.arg)
        if not isinstance(v, Mat):
            return v
        return [sum(layer[i][i] for i in range(v.r)) for layer in v.layers]

    def _matpow(self, e: Any) -> Any:
        """Aⁿ for a whole n ≥ 1, and A⁻ⁿ = (A⁻¹)ⁿ (the inverse's rule) for n ≥ 1."""
        base, n = e.args
        if not n.is_Integer or n == 0:
            raise _Skip
        if n < 0:
            base, n = sp.Inverse(base), -n
        v = self.eval(base)
        out = v
        for _ in range(int(n) - 1):
            out = self.mul(out, v)
        return out

    def _block(self, e: Any) -> Mat:
        rows = []
        for i in range(e.blocks.shape[0]):
            parts = [self._as_matrix(self.eval(e.blocks[i, j])) for j in range(e.blocks.shape[1])]
            layers = [[sum((p.layers[k][row] for p in parts), []) for row in range(parts[0].r)]
                      for k in range(self.nd + 1)]
            rows.append(Mat(layers, parts[0].r, sum(p.c for p in parts)))
        layers = [sum((m.layers[k] for m in rows), []) for k in range(self.nd + 1)]
        return Mat(layers, sum(m.r for m in rows), rows[0].c)

    def _diag(self, e: Any) -> Mat:
        v = self.eval(e.args[0])
        n = v.r
        layers = [[[layer[i][0] if i == j else self.zero for j in range(n)] for i in range(n)] for layer in v.layers]
        return Mat(layers, n, n)

    # -- scalars
    def _scalar_sum(self, e: Any) -> list:
        return reduce(self.add, (self._as_scalar(self.eval(a)) for a in e.args))

    def _scalar_product(self, e: Any) -> Any:
        out = None
        for a in e.args:
            v = self._as_scalar(self.eval(a))
            out = v if out is None else self.mul(out, v)
        return out

    def _pow(self, e: Any) -> list:
        base, n = e.args
        if isinstance(base, F.Norm) and n.is_Integer and n > 0 and n % 2 == 0:
            v = self._as_matrix(self.eval(base.args[0]))
            return self.power(self._sum_squares(v), int(n) // 2)
        if n.is_Integer:
            b = self._as_scalar(self.eval(base))
            return self.power(b, int(n)) if n >= 0 else self.inverse(self.power(b, -int(n)))
        if not self.ctx.precise or not n.is_number:
            raise _Skip
        b = self._as_scalar(self.eval(base))
        p = self.ctx.num(n)
        mp = self.ctx.mp
        return [mp.power(b[0], p)] + [p * mp.power(b[0], p - 1) * t for t in b[1:]]

    def _exp(self, e: Any) -> list:
        if not self.ctx.precise:
            raise _Skip
        b = self._as_scalar(self.eval(e.args[0]))
        ex = self.ctx.mp.exp(b[0])
        return [ex] + [ex * t for t in b[1:]]

    def _entry_sum(self, e: Any) -> list:
        v = self._as_matrix(self.eval(e.args[0]))
        return [sum(sum(row) for row in layer) for layer in v.layers]

    def _mse(self, e: Any) -> list:
        a, b = (self._as_matrix(self.eval(t)) for t in e.args)
        d = self.add(a, self.mul(self.scalar_const(-1), b))
        sq = self._sum_squares(d)
        k = self.ctx.num(sp.Rational(1, d.r * d.c))
        return [t * k for t in sq]

    def _sum_squares(self, v: Mat) -> list:
        val = v.layers[0]
        out = [sum(t * t for row in val for t in row)]
        for k in range(1, self.nd + 1):
            out.append(2 * sum(a * b for ra, rb in zip(val, v.layers[k]) for a, b in zip(ra, rb)))
        return out

    def power(self, b: list, n: int) -> list:
        out = self.scalar_const(1)
        for _ in range(n):
            out = self.mul(out, b)
        return out

    def inverse(self, b: list) -> list:
        if b[0] == 0:
            raise _Skip
        one = self.ctx.mp.mpf(1) if self.ctx.precise else Fraction(1)
        inv = one / b[0]
        return [inv] + [-t * inv * inv for t in b[1:]]

    def _as_matrix(self, v: Any) -> Mat:
        return v if isinstance(v, Mat) else Mat([[[t]] for t in v], 1, 1)

    def _as_scalar(self, v: Any) -> list:
        if isinstance(v, Mat):
            if (v.r, v.c) != (1, 1):
                raise _Skip
            return [layer[0][0] for layer in v.layers]
        return v

    def derivative(self, e: Any) -> Mat:
        """∂f/∂x at the current values (no tangents of our own: first order only)."""
        if self.nd:
            raise _Skip
        f, x = e.args
        V = self.env.get(x)
        if V is None:
            raise _Skip
        r, c = V.shape
        n = r * c
        inner = Forward(self.ctx, self.env, self.dims, nd=n)
        X = inner.const(V)
        one = self.ctx.num(1)
        for k in range(n):
            layer = [[self.zero] * c for _ in range(r)]
            layer[k // c][k % c] = one
            X.layers[1 + k] = layer
        inner.seed = (x, X)
        val = inner.eval(f)
        if e._kind == "grad":
            s = inner._as_scalar(val)
            return Mat([[[s[1 + i * c + j] for j in range(c)] for i in range(r)]], r, c)
        if e._kind == "jac":
            y = inner._as_matrix(val)
            if y.c != 1:
                raise _Skip
            return Mat([[[y.layers[1 + k][i][0] for k in range(n)] for i in range(y.r)]], y.r, n)
        raise _Skip


Rule = Callable[[Forward, Any], Any]


@lru_cache(maxsize=1)
def _matrix_rules() -> tuple[tuple[Any, Rule], ...]:
    """(types, rule) for the matrix nodes (and symbols), tried in order: the first whose
    types match evaluates the node."""
    return (((sp.MatrixSymbol, sp.Symbol), Forward._symbol), (sp.MatrixBase, Forward.const),
            (sp.Identity, Forward._identity), (sp.ZeroMatrix, Forward._zeros), (sp.OneMatrix, Forward._ones),
            (MatrixElement, Forward._element), (sp.MatAdd, Forward._sum_of), (sp.MatMul, Forward._product_of),
            (sp.Transpose, Forward._transpose), (sp.Trace, Forward._trace), (sp.MatPow, Forward._matpow),
            (sp.BlockMatrix, Forward._block), (sp.DiagMatrix, Forward._diag), (DerivativeNode, Forward.derivative))


# (types, rule) for scalar nodes that are not plain numbers, tried in order.
_SCALAR_RULES: tuple[tuple[Any, Rule], ...] = (
    (sp.Add, Forward._scalar_sum), (sp.Mul, Forward._scalar_product), (sp.Pow, Forward._pow),
    (sp.exp, Forward._exp), (F.Sum, Forward._entry_sum), (F.MSE, Forward._mse))


@lru_cache(maxsize=512)
def _precise(expr: Any) -> bool:
    """Whether exact Fractions cannot represent the expression's numbers."""
    if expr.atoms(F.sigmoid, sp.tanh, F.SoftmaxMatrix):
        return True
    for a in expr.atoms(sp.Number, sp.NumberSymbol, sp.exp, sp.log, sp.Pow):
        if isinstance(a, (sp.exp, sp.log)) or (isinstance(a, sp.Pow) and not a.exp.is_Integer) \
                or (isinstance(a, (sp.Number, sp.NumberSymbol)) and not a.is_Rational):
            return True
    return False


def _to_sympy(ctx: _Ctx, v: Any) -> Any:
    if isinstance(v, Mat):
        if (v.r, v.c) == (1, 1):
            return ctx.out(v.layers[0][0][0])
        return sp.ImmutableMatrix(v.r, v.c, [ctx.out(t) for row in v.layers[0] for t in row])
    return ctx.out(v[0])


def evaluate_at(expr: Any, point: dict) -> Any | None:
    """The value of `expr` at `point` (matrix symbols, scalar symbols and sizes), or None."""
    if not isinstance(expr, sp.Basic):
        return None
    dims = {k: v for k, v in point.items() if isinstance(k, sp.Symbol) and not isinstance(k, sp.MatrixSymbol)
            and getattr(k, "is_integer", False) and isinstance(v, sp.Integer)}
    env = {k: v for k, v in point.items()}
    try:
        ctx = _Ctx(_precise(expr) or any(isinstance(v, sp.Basic) and v.is_number and not v.is_Rational
                                         for v in point.values() if not isinstance(v, sp.MatrixBase)))
        val = Forward(ctx, env, dims).eval(expr)
        return _to_sympy(ctx, val)
    except (_Skip, TypeError, ValueError, ZeroDivisionError, AttributeError, KeyError, IndexError):
        return None


def derivative(node: "DerivativeNode", V: sp.MatrixBase) -> sp.ImmutableMatrix | None:
    """∂f/∂x of `node` = (f, x) at x = V, f otherwise explicit ("grad": the shape of V;
    "jac": rows × entries of V), or None where it is not evaluated here."""
    f, x = node.args
    try:
        ctx = _Ctx(_precise(f) or not all(t.is_Rational for t in V))
        val = Forward(ctx, {x: V}, {}).derivative(node)
        return sp.ImmutableMatrix(val.r, val.c, [ctx.out(t) for row in val.layers[0] for t in row])
    except (_Skip, TypeError, ValueError, ZeroDivisionError, AttributeError, KeyError, IndexError):
        return None
