"""A symbolic tensor answer as a NumPy expression (`answer.numpy`, issue 10 §5).

In:  a sympy expression over MatrixSymbols (and scalar symbols, sizes).
Out: Python source over the problem's names, vectors as 1-D arrays and matrices as 2-D
     (`X.T @ (y - X @ w)`, `np.outer(a, b)`, `np.linalg.inv(S).T`, `1/(1 + np.exp(-(X @ w)))`,
     `np.linalg.matrix_power(np.linalg.inv(S), 2)` for S⁻², `np.linalg.det(S)`),
     or None when the expression holds a node not written here.  A name that is a Python
     keyword is spelled as SymPy spells it (`lambda` → `lamda`).

Column times row (an outer product) is `np.outer`; a 1×1 product is the scalar `@` gives;
a transpose of a vector is the vector itself.
"""
from __future__ import annotations

import keyword
from typing import Any

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixElement, MatrixExpr

from .model import functions as F

EW = sp.matrices.expressions.applyfunc.ElementwiseApplyFunction


class _No(Exception):
    pass


def numpy_text(e: Any, names: dict | None = None) -> str | None:
    """The NumPy source of e, or None.  `names` maps sympy symbols to the source that
    stands for them (the components of a concrete-sized vector: `w_1` -> `w[0]`)."""
    try:
        return _p(e, dict(names or {}))
    except (_No, TypeError, ValueError, AttributeError):
        return None


def py_name(n: str) -> str:
    """A problem's name as a Python identifier (`lambda` -> `lamda`, `if` -> `if_`); a
    ValueError for a name that cannot be one."""
    try:
        return _name(n)
    except _No:
        raise ValueError(f"{n!r} is not a Python name") from None


def _name(n: str) -> str:
    if n == "lambda":
        return "lamda"                      # as SymPy spells it
    if keyword.iskeyword(n):
        n += "_"
    if not n.isidentifier():
        raise _No
    return n


def _is_vec(shape: tuple) -> bool:
    return shape[1] == 1 and shape[0] != 1


def _is_row(shape: tuple) -> bool:
    return shape[0] == 1 and shape[1] != 1


def _p(e: Any, bound: dict) -> str:
    if e in bound:
        return bound[e]
    if isinstance(e, (int, sp.Integer)):
        return str(int(e))
    if isinstance(e, sp.Rational):
        return f"({e.p}/{e.q})"
    if isinstance(e, sp.Float):
        return repr(float(e))
    if isinstance(e, (sp.Symbol, sp.MatrixSymbol)):
        return _name(e.name if isinstance(e, sp.MatrixSymbol) else str(e))
    if isinstance(e, MatrixElement) and isinstance(e.parent, sp.MatrixSymbol):
        i, j = (_p(k, bound) for k in e.args[1:])
        return f"{_p(e.parent, bound)}[{i}]" if e.parent.shape[1] == 1 else f"{_p(e.parent, bound)}[{i}, {j}]"
    if isinstance(e, MatrixExpr):
        return _matrix(e, bound)
    return _scalar(e, bound)


def _shape_code(shape: tuple, bound: dict) -> str:
    r, c = shape
    if c == 1:
        return _p(r, bound)
    return f"({_p(r, bound)}, {_p(c, bound)})"


def _matrix(e: Any, bound: dict) -> str:
    if isinstance(e, sp.Identity):
        return f"np.eye({_p(e.shape[0], bound)})"
    if isinstance(e, sp.OneMatrix):
        return f"np.ones({_shape_code(e.shape, bound)})"
    if isinstance(e, sp.ZeroMatrix):
        return f"np.zeros({_shape_code(e.shape, bound)})"
    if isinstance(e, sp.MatrixBase):
        rows = e.tolist()
        if e.shape[1] == 1:
            return "np.array([" + ", ".join(_p(r[0], bound) for r in rows) + "])"
        return "np.array([" + ", ".join("[" + ", ".join(_p(t, bound) for t in r) + "]" for r in rows) + "])"
    if isinstance(e, sp.Transpose):
        inner = _p(e.arg, bound)
        return inner if (_is_vec(e.arg.shape) or _is_row(e.arg.shape)) else f"({inner}).T"
    if isinstance(e, sp.MatAdd):
        return "(" + " + ".join(_p(a, bound) for a in e.args) + ")"
    if isinstance(e, sp.MatMul):
        return _product(e, bound)
    if isinstance(e, sp.HadamardProduct):
        return "(" + " * ".join(_p(a, bound) for a in e.args) + ")"
    if isinstance(e, sp.HadamardPower):
        return f"({_p(e.args[0], bound)} ** {_p(e.args[1], bound)})"
    if isinstance(e, sp.Inverse):
        return f"np.linalg.inv({_p(e.arg, bound)})"
    if isinstance(e, sp.MatPow):
        return _matpow(e, bound)
    if isinstance(e, sp.DiagMatrix):
        return f"np.diag({_p(e.args[0], bound)})"
    if isinstance(e, F.SoftmaxMatrix):
        z = _p(e.args[0], bound)
        return f"(np.exp({z}) / np.sum(np.exp({z})))"
    if isinstance(e, EW):
        v = e.function.variables[0]
        return _p(e.function.expr, {**bound, v: _p(e.expr, bound)})
    raise _No


def _matpow(e: Any, bound: dict) -> str:
    """Aⁿ of a whole n: `np.linalg.matrix_power(A, n)`, A⁻ⁿ as the power of `np.linalg.inv(A)`."""
    base, n = e.args
    if not (isinstance(n, sp.Integer) and n != 0):
        raise _No
    code = _p(base, bound)
    if n < 0:
        code = f"np.linalg.inv({code})"
    return code if abs(n) == 1 else f"np.linalg.matrix_power({code}, {abs(int(n))})"


def _product(e: Any, bound: dict) -> str:
    """A matrix product: `@`, with np.outer for a column times a row."""
    coef = [a for a in e.args if not isinstance(a, MatrixExpr)]
    mats = [a for a in e.args if isinstance(a, MatrixExpr)]
    code, shape = _p(mats[0], bound), mats[0].shape
    for m in mats[1:]:
        if _is_vec(shape) and _is_row(m.shape):
            code = f"np.outer({code}, {_p(m, bound)})"
        else:
            code = f"{code} @ {_p(m, bound)}"
        shape = (shape[0], m.shape[1])
    code = f"({code})"
    return "(" + "*".join(_p(c, bound) for c in coef) + f"*{code})" if coef else code


_FUNCS = {sp.exp: "np.exp", sp.log: "np.log", sp.tanh: "np.tanh", sp.cosh: "np.cosh", sp.sinh: "np.sinh",
          sp.cos: "np.cos", sp.sin: "np.sin", sp.Abs: "np.abs", sp.sign: "np.sign"}


def _scalar(e: Any, bound: dict) -> str:
    if isinstance(e, sp.Add):
        return "(" + " + ".join(_p(a, bound) for a in e.args) + ")"
    if isinstance(e, sp.Mul):
        return "(" + "*".join(_p(a, bound) for a in e.args) + ")"
    if isinstance(e, sp.Pow):
        return f"({_p(e.base, bound)} ** {_p(e.exp, bound)})"
    if isinstance(e, sp.Trace):
        return f"np.trace({_p(e.arg, bound)})" if e.arg.shape[0] != 1 else _p(e.arg, bound)
    if isinstance(e, sp.Determinant):
        return f"np.linalg.det({_p(e.arg, bound)})"
    if isinstance(e, F.Norm):
        return f"np.linalg.norm({_p(e.args[0], bound)})"
    if isinstance(e, F.Sum):
        return f"np.sum({_p(e.args[0], bound)})"
    if isinstance(e, F.sigmoid):
        return f"(1/(1 + np.exp(-{_p(e.args[0], bound)})))"
    if type(e) in _FUNCS:
        return f"{_FUNCS[type(e)]}({_p(e.args[0], bound)})"
    return _nonsmooth(e, bound)


def _nonsmooth(e: Any, bound: dict) -> str:
    """relu, leaky_relu, max and min, and the losses of model.functions."""
    args = [_p(a, bound) for a in e.args]
    if isinstance(e, F.relu):
        return f"np.maximum({args[0]}, 0)"
    if isinstance(e, F.leaky_relu):
        slope = args[1] if len(args) > 1 else "(1/100)"
        return f"np.where({args[0]} > 0, {args[0]}, {slope}*{args[0]})"
    if isinstance(e, (sp.Max, sp.Min)):
        return f"np.{'max' if isinstance(e, sp.Max) else 'min'}(np.array([{', '.join(args)}]))"
    if isinstance(e, (F.MaxOf, F.MinOf)):
        return f"np.{'max' if isinstance(e, F.MaxOf) else 'min'}({args[0]})"
    if isinstance(e, F.MSE):
        return f"np.mean(({args[0]} - {args[1]}) ** 2)"
    if isinstance(e, F.CrossEntropy):      # 0·log 0 = 0
        return f"(-np.sum(np.where({args[0]} != 0, {args[0]} * np.log({args[1]}), 0)))"
    if e is sp.pi:
        return "np.pi"
    if e is sp.E:
        return "np.e"
    raise _No
