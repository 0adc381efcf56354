"""The builtin functions of the language, one registry.

A builtin is registered with `@builtin(name, nargs=(min, max), kwargs=(...))` and receives
the evaluator, its evaluated positional arguments, its evaluated keyword arguments and the
call node (for positions).  Families outside this module (layers, attention, kernels)
register theirs the same way in their own modules; `derive.derivers` imports them all.

A call to a name that is a goal (`posterior`, `grad`, ...) inside an expression runs that
goal's deriver and uses its answer, so `choice(posterior(prior, likelihood, 1))` works.
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from .. import ast
from ..errors import SpecError
from ..limits import current
from . import functions as F
from .calls import BUILTINS as BUILTINS
from .calls import Builtin as Builtin
from .calls import builtin as builtin
from .calls import call_builtin as call_builtin
from .loading import load_tensor
from .values import TensorShape, shaped
from .expressions import (
    LambdaValue,
    Seq,
    check_entries,
    is_scalar,
    is_tensor,
    kind_of,
    scalarize,
    show_shape,
)


def _int(v: Any, node: ast.Expr, what: str = "a size") -> int:
    v = scalarize(v)
    if not isinstance(v, sp.Integer):
        raise SpecError(f"{what} must be a whole number, not {v}", node.pos)
    return int(v)


def _math(v: Any, node: ast.Expr, fname: str) -> Any:
    """`v` if it is a number, an expression or a tensor; else a SpecError naming what it is."""
    if is_tensor(v) or (isinstance(v, sp.Expr) and not isinstance(v, sp.logic.boolalg.BooleanAtom)):
        return v
    what = "a truth value" if isinstance(v, sp.logic.boolalg.Boolean) else \
        (kind_of(v) or "this value")
    raise SpecError(f"`{fname}` needs a number or a tensor, not {what}", node.pos)


def _tensor(v: Any, node: ast.Expr, fname: str) -> Any:
    if not is_tensor(v):
        what = show_shape(v) if isinstance(v, sp.Expr) else \
            "a truth value" if isinstance(v, sp.logic.boolalg.Boolean) else \
            (kind_of(v) or "this value")
        raise SpecError(f"`{fname}` needs a vector or matrix, not {what}", node.pos)
    return v


# ---- constructors ----------------------------------------------------------------------

def _size(v: Any, node: ast.Expr) -> int:
    """A tensor size: a positive whole number, else a SpecError at the argument."""
    v = scalarize(v)
    if not isinstance(v, sp.Integer) or v < 1:
        hint = " (a concrete size is needed here; declare `vector z : (n)` for a symbolic one)" \
            if isinstance(v, sp.Expr) and v.free_symbols else ""
        raise SpecError(f"a size must be a positive whole number, not {_brief(v)}{hint}", node.pos)
    return int(v)


def _brief(v: Any) -> str:
    return show_shape(v) if is_tensor(v) else str(v)


def _dims(ev, args, node):
    n = _size(args[0], node.args[0])
    m = _size(args[1], node.args[1]) if len(args) > 1 else 1
    return check_entries(n, m, node)


@builtin("zeros", nargs=(1, 2), doc="zeros(n) is a zero vector, zeros(n, m) a zero matrix")
def _zeros(ev, args, kw, node):
    n, m = _dims(ev, args, node)
    return sp.ImmutableMatrix(sp.zeros(n, m))


@builtin("ones", nargs=(1, 2), doc="ones(n), ones(n, m): all entries 1")
def _ones(ev, args, kw, node):
    n, m = _dims(ev, args, node)
    return sp.ImmutableMatrix(sp.ones(n, m))


@builtin("full", nargs=(2, 3), doc="full(n, v) or full(n, m, v): all entries v")
def _full(ev, args, kw, node):
    v = scalarize(args[-1])
    if not is_scalar(v):
        raise SpecError(f"the fill value of `full` must be a scalar, not {_brief(v)}", node.args[-1].pos)
    n, m = _dims(ev, args[:-1], node)
    return sp.ImmutableMatrix(sp.Matrix(n, m, [v] * (n * m)))


@builtin("eye", nargs=(1, 2), doc="eye(n): the n×n identity")
def _eye(ev, args, kw, node):
    n = _size(args[0], node.args[0])
    m = _size(args[1], node.args[1]) if len(args) > 1 else n
    check_entries(n, m, node)
    return sp.ImmutableMatrix(sp.eye(n, m))


@builtin("matrix", nargs=(3, 3), doc="matrix(n, m, (i, j) -> EXPR): entries from a 1-based rule")
def _matrix(ev, args, kw, node):
    n = _size(args[0], node.args[0])
    m = _size(args[1], node.args[1])
    check_entries(n, m, node, current().rule_entries)
    rule = args[2]
    if not isinstance(rule, LambdaValue) or len(rule.params) != 2:
        raise SpecError("the third argument of `matrix` is a rule `(i, j) -> EXPR`", node.args[2].pos)
    rows = []
    for i in range(1, n + 1):
        row = []
        for j in range(1, m + 1):
            v = scalarize(rule(sp.Integer(i), sp.Integer(j)))
            if not is_scalar(v):
                raise SpecError(f"the rule must give a scalar, but at ({i}, {j}) gives {show_shape(v)}",
                                node.args[2].pos)
            row.append(v)
        rows.append(row)
    return sp.ImmutableMatrix(rows)


@builtin("vector", nargs=(2, 2), doc="vector(n, i -> EXPR): entries from a 1-based rule")
def _vector(ev, args, kw, node):
    n = _size(args[0], node.args[0])
    check_entries(n, 1, node, current().rule_entries)
    rule = args[1]
    if not isinstance(rule, LambdaValue) or len(rule.params) != 1:
        raise SpecError("the second argument of `vector` is a rule `i -> EXPR`", node.args[1].pos)
    entries = []
    for i in range(1, n + 1):
        v = scalarize(rule(sp.Integer(i)))
        if not is_scalar(v):
            raise SpecError(f"the rule must give a scalar, but at {i} gives {_brief(v)}", node.args[1].pos)
        entries.append(v)
    return sp.ImmutableMatrix(n, 1, entries)


@builtin("odd", doc="odd(i): whether the whole number i is odd")
def _odd(ev, args, kw, node):
    return sp.true if _int(args[0], node.args[0], "the argument of odd") % 2 else sp.false


@builtin("even", doc="even(i): whether the whole number i is even")
def _even(ev, args, kw, node):
    return sp.false if _int(args[0], node.args[0], "the argument of even") % 2 else sp.true


@builtin("concat", nargs=(1, 99), doc="concat(a, b, ...): vectors stacked into one vector")
def _concat(ev, args, kw, node):
    parts = []
    for a, n in zip(args, node.args):
        if isinstance(a, Seq):
            parts.extend(a)
        else:
            parts.append(scalarize(_math(a, n, "concat")) if not is_tensor(a) else a)
    cols = {p.shape[1] if is_tensor(p) else 1 for p in parts}
    if len(cols) != 1:
        raise SpecError("concat needs tensors with the same number of columns", node.pos)
    total = sum(p.shape[0] if is_tensor(p) else 1 for p in parts)
    if all(isinstance(r, (int, sp.Integer)) for r in [total, *cols]):
        check_entries(total, next(iter(cols)), node)
    if all(not is_tensor(p) or F.explicit(p) for p in parts):
        rows = []
        for p in parts:
            rows.extend(p.tolist() if is_tensor(p) else [[p]])
        return sp.ImmutableMatrix(rows)
    return sp.BlockMatrix([[p if is_tensor(p) else sp.ImmutableMatrix([[p]])] for p in parts])


@builtin("stack", nargs=(1, 1), doc="stack([x1, x2, ...]): the vectors as the rows of a matrix")
def _stack(ev, args, kw, node):
    seq = args[0]
    if not isinstance(seq, Seq):
        raise SpecError("stack takes a list of vectors", node.args[0].pos)
    if all(F.explicit(v) for v in seq):
        check_entries(len(seq), max(len(v) for v in seq), node)
        return sp.ImmutableMatrix([list(v) for v in seq])
    return sp.BlockMatrix([[v.T] for v in seq])


# ---- elementwise functions -------------------------------------------------------------

def _shape_only(name: str, x: Any) -> Any:
    """An activation of a shape-only tensor (a layer's input batch): the shape passes through."""
    if isinstance(x, TensorShape):
        return TensorShape(f"{name}({x.name})", x.dims)
    return None


def _per_tensor(apply):
    """`apply` mapped over a list of tensors (a 3-D or 4-D layer value: `relu(conv(x))` of a
    Conv2d), entrywise as on one tensor."""
    def run(ev, args, kw, node):
        if isinstance(args[0], Seq) and args[0]:
            return shaped([run(ev, [x] + list(args[1:]), kw, node) for x in args[0]], args[0].dims)
        return apply(ev, args, kw, node)
    return run


def _elementwise(name: str, fn, doc: str):
    @builtin(name, doc=doc)
    @_per_tensor
    def apply(ev, args, kw, node):
        passed = _shape_only(name, args[0])
        if passed is not None:
            return passed
        x = _math(args[0], node.args[0], name)
        if name in ("log", "log2", "sqrt") and F.explicit(x) or (is_scalar(x) and x.is_number):
            for t in (list(x) if F.explicit(x) else [x]):
                if name in ("log", "log2") and t.is_number and t.is_nonpositive:
                    hint = (" (for an entropy or a divergence, where 0·log 0 = 0, write `entropy(p)`, `kl(p, q)` "
                            "or `cross_entropy(p, q, base = 2)`)") if t == 0 and F.explicit(x) else ""
                    raise SpecError(f"log of {t} is undefined{hint}", node.args[0].pos)
                if name == "sqrt" and t.is_number and t.is_negative:
                    raise SpecError(f"the square root of {t} is not a real number", node.args[0].pos)
        return F.elementwise(fn, x)
    return apply


for _name, _fn, _doc in [
    ("exp", sp.exp, "e^x, entrywise on tensors"),
    ("log", sp.log, "the natural logarithm, entrywise"),
    ("log2", lambda t: sp.log(t, 2), "the base-2 logarithm, entrywise"),
    ("sqrt", sp.sqrt, "the square root, entrywise"),
    ("abs", sp.Abs, "|x|, entrywise"),
    ("relu", F.relu, "max(0, x), entrywise"),
    ("sigmoid", F.sigmoid, "1/(1 + e^-x), entrywise"),
    ("tanh", sp.tanh, "tanh, entrywise"),
]:
    _elementwise(_name, _fn, _doc)


@builtin("leaky_relu", nargs=(1, 2), kwargs=("negative_slope",), doc="x or slope·x, entrywise (slope 0.01)")
@_per_tensor
def _leaky(ev, args, kw, node):
    passed = _shape_only("leaky_relu", args[0])
    if passed is not None:
        return passed
    slope = kw.get("negative_slope", args[1] if len(args) > 1 else sp.Rational(1, 100))
    where = node.kwarg("negative_slope") or (node.args[1] if len(args) > 1 else node)
    slope = scalarize(_math(slope, where, "leaky_relu"))
    if not is_scalar(slope):
        raise SpecError(f"the negative slope must be a scalar, not {_brief(slope)}", where.pos)
    return F.elementwise(lambda t: F.leaky_relu(t, slope), _math(args[0], node.args[0], "leaky_relu"))


# ---- reductions and losses -------------------------------------------------------------

@builtin("softmax", doc="softmax(v)_i = e^{v_i} / Σ_j e^{v_j}")
def _softmax(ev, args, kw, node):
    passed = _shape_only("softmax", args[0])
    if passed is not None:
        return passed
    v = _tensor(args[0], node.args[0], "softmax")
    return F.softmax(v) if F.explicit(v) else F.SoftmaxMatrix(v)


@builtin("sum", doc="the sum of a tensor's entries")
def _sum(ev, args, kw, node):
    x = args[0]
    if not isinstance(x, Seq):
        x = _math(x, node.args[0], "sum")
    if isinstance(x, Seq):
        out = x[0]
        for t in x[1:]:
            out = out + t
        return out
    return F.Sum(x) if is_tensor(x) else x


@builtin("mean", doc="the mean of a tensor's entries")
def _mean(ev, args, kw, node):
    x = _tensor(args[0], node.args[0], "mean")
    return F.Sum(x) / (x.shape[0] * x.shape[1])


@builtin("norm", doc="the Euclidean norm ‖v‖ (Frobenius for matrices)")
def _norm(ev, args, kw, node):
    return F.Norm(_tensor(args[0], node.args[0], "norm"))


def _square(v: Any, node: ast.Expr, fname: str) -> Any:
    """A square matrix argument, else a SpecError at it."""
    _tensor(v, node, fname)
    r, c = v.shape
    if sp.simplify(sp.sympify(r, strict=True) - sp.sympify(c, strict=True)) != 0:
        raise SpecError(f"`{fname}` needs a square matrix, not {show_shape(v)}", node.pos)
    return v


@builtin("trace", doc="tr(A): the sum of the diagonal of a square matrix")
def _trace(ev, args, kw, node):
    A = _square(args[0], node.args[0], "trace")
    return A.trace() if F.explicit(A) else sp.Trace(A)


@builtin("det", doc="det(A): the determinant of a square matrix")
def _det(ev, args, kw, node):
    A = _square(args[0], node.args[0], "det")
    return A.det() if F.explicit(A) else sp.Determinant(A)


@builtin("logdet", doc="log det(A): the logarithm of the determinant (A positive definite)")
def _logdet(ev, args, kw, node):
    A = _square(args[0], node.args[0], "logdet")
    return sp.log(A.det()) if F.explicit(A) else sp.log(sp.Determinant(A))


@builtin("inv", doc="inv(A): the inverse of a square matrix")
def _inv(ev, args, kw, node):
    A = _square(args[0], node.args[0], "inv")
    if F.explicit(A):
        if A.det() == 0:
            raise SpecError("the matrix is singular: it has no inverse", node.args[0].pos)
        return sp.ImmutableMatrix(A.inv())
    return sp.Inverse(A)


@builtin("max", nargs=(1, 99), doc="max(v): the largest entry; max(a, b, ...): the largest argument")
def _max(ev, args, kw, node):
    if len(args) == 1 and is_tensor(args[0]):
        return F.MaxOf(args[0])
    return _extremum(sp.Max, _scalars(args, node, "max"))


def _extremum(fn, values):
    """max/min of scalars; unevaluated when sympy cannot order symbolic ones (Sum(v), ...)."""
    if len(values) == 1:
        return values[0]
    try:
        return fn(*values)
    except (ValueError, TypeError):
        return fn(*values, evaluate=False)


def _scalars(args, node, fname):
    out = []
    for i, (a, n) in enumerate(zip(args, node.args), 1):
        a = scalarize(_math(a, n, fname))
        if not is_scalar(a):
            raise SpecError(f"`{fname}(a, b, ...)` compares scalars, but argument {i} is {show_shape(a)} "
                            f"(`{fname}(v)` alone gives the {'largest' if fname == 'max' else 'smallest'} entry of v)",
                            n.pos)
        out.append(a)
    return out


@builtin("min", nargs=(1, 99), doc="min(v): the smallest entry; min(a, b, ...): the smallest argument")
def _min(ev, args, kw, node):
    if len(args) == 1 and is_tensor(args[0]):
        return F.MinOf(args[0])
    return _extremum(sp.Min, _scalars(args, node, "min"))


def _pair(args, node, fname):
    y, yh = args
    for v, n in zip(args, node.args):
        _tensor(v, n, fname)
    if tuple(y.shape) != tuple(yh.shape):
        raise SpecError(f"`{fname}` needs two tensors of one shape, got {show_shape(y)} and {show_shape(yh)}",
                        node.pos)
    return y, yh


@builtin("cross_entropy", nargs=(2, 2), doc="−Σ y_i log ŷ_i (target first), with 0·log 0 = 0")
def _ce(ev, args, kw, node):
    y, yh = _pair(args, node, "cross_entropy")
    if F.explicit(y) and F.explicit(yh):
        for a, b in zip(y, yh):
            if a != 0 and b.is_number and b.is_nonpositive:
                raise SpecError(f"cross-entropy is infinite: a target entry {a} meets a predicted "
                                f"probability {b}", node.pos)
    return F.CrossEntropy(y, yh)


@builtin("mse", nargs=(2, 2), doc="(1/n) Σ (y_i − ŷ_i)²")
def _mse(ev, args, kw, node):
    y, yh = _pair(args, node, "mse")
    return F.MSE(y, yh)


@builtin("loss", nargs=(1, 99), doc="an unspecified scalar loss of its arguments; pair with `given grad(...)`")
def _loss(ev, args, kw, node):
    return F.Loss(*[_math(a, n, "loss") for a, n in zip(args, node.args)])



@builtin("load", nargs=(1, 1), doc='load("w.csv") or load("w.npy"): a vector or matrix from a file '
                                   "under the spec's folder, exactly")
def _load(ev, args, kw, node):
    (name,) = args
    if not isinstance(name, str):
        raise SpecError('`load` needs a file name in quotes, such as load("w1.csv")', node.args[0].pos)
    return load_tensor(name, node, check_entries)


def _drawn_only(name: str):
    def refuse(ev, args, kw, node):
        raise SpecError(f"`{name}` draws a value for a variant: write it in a `vary`, as in "
                        f"`vary x = {name}(...) default ...` (see docs/variants.md)", node.pos)
    return refuse


for _name in ("random_vector", "random_matrix"):
    builtin(_name, nargs=(0, 99), kwargs=("denominator",),
            doc="a value drawn for each variant, only in `vary NAME = ...`")(_drawn_only(_name))
