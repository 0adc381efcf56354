"""Neural-network layers with PyTorch's constructor signatures and shape rules.

In: `layer conv = Conv1d(in_channels = 3, out_channels = 5, kernel_size = 7)` (positional
or keyword arguments exactly as `torch.nn` takes them; `(3, 5)` tuples for 2-D sizes) and
calls `conv(x)` on a shape-only input (`input x : (12, 3, 100)`) or a concrete tensor.
Out: a `Layer` object bound to the name; a call gives the output: explicit values where
they are known (Linear with concrete `weight =`/`bias =` tensors, pooling of an explicit
(C, L) matrix, Flatten, Dropout), otherwise a shape-only result (`LayerApply`, a sympy
matrix expression, for 1-D and 2-D outputs; `TensorShape` for more dimensions).

Conventions: a vector is a column, so an n×1 tensor is the 1-D tensor (n,) unless the
layer needs at least two dimensions (then it is (n, 1)).  Arguments PyTorch accepts but
that change neither shapes nor parameter counts (`padding_mode`, `eps`, `momentum`, ...)
are accepted and checked; wrong or missing arguments are SpecErrors at the argument.

Goals registered here: `params(net)` / `params()` (count per layer and total, each count
a checked step), `shapes(params())` (name -> shape), `shape(EXPR)` (output shape with the
size formula worked out for every layer on the way).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixExpr

from .. import ast
from ..errors import Pos, SpecError, Unsupported
from ..model import functions as F
from ..model.builtins import builtin
from ..model.expressions import Evaluator, Seq, is_tensor, scalarize, show_shape
from ..model.problem import Binding, Problem, TensorShape
from ..printing import latex, name_latex
from ..steps import Step, Table, make_step
from .registry import Derived, make_answer

REQUIRED = object()


# ---- shape-only values ---------------------------------------------------------------------

class LayerRef(sp.Atom):
    """A layer object inside a sympy expression (compared by the layer's identity)."""

    def __new__(cls, name: str, layer: Any):
        obj = sp.Atom.__new__(cls)
        obj.layer_name = name
        obj.layer = layer
        return obj

    def _hashable_content(self):
        return (self.layer_name, id(self.layer))

    def __getnewargs__(self):
        return (self.layer_name, self.layer)


class LayerApply(MatrixExpr):
    """`layer(input)` whose entries are not known yet: its shape is.

    args: (a LayerRef, the input (a tensor expression, or a Symbol naming a shape-only
    input), the PyTorch shape as a Tuple of one or two sizes).  `doit` gives the values
    once the input is explicit and the layer has concrete weights.
    """

    is_commutative = False

    def __new__(cls, ref: Any, arg: Any, dims: Any):
        dims = dims if isinstance(dims, sp.Tuple) else sp.Tuple(*dims)
        return sp.Basic.__new__(cls, ref, sp.sympify(arg, strict=True), dims)

    @property
    def layer_name(self) -> str:
        return self.args[0].layer_name

    @property
    def dims(self) -> tuple:
        return tuple(self.args[2])

    @property
    def shape(self):
        d = self.args[2]
        return (d[0], sp.Integer(1)) if len(d) == 1 else (d[0], d[1])

    def doit(self, **hints):
        arg = self.args[1].doit(**hints) if isinstance(self.args[1], sp.Basic) else self.args[1]
        if isinstance(arg, MatrixExpr) and not arg.free_symbols and all(sp.sympify(n, strict=True).is_Integer for n in arg.shape):
            arg = sp.ImmutableMatrix(arg.as_explicit())
        if isinstance(arg, sp.MatrixBase):
            layer = self.args[0].layer
            vals = layer.values(arg, dims_of(arg, min(layer.ranks) if layer.ranks else 1), None)
            if vals is not None:
                return vals
        return LayerApply(self.args[0], arg, self.args[2])

    def _entry(self, i, j, **kwargs):
        raise Unsupported(f"the entries of {self.layer_name}(...) are unknown: give the layer concrete weights")

    def _latex(self, printer) -> str:
        return r"\operatorname{%s}\left(%s\right)" % (name_latex(self.layer_name), printer._print(self.args[1]))

    def _sympystr(self, printer) -> str:
        return f"{self.layer_name}({printer._print(self.args[1])})"


def dims_of(value: Any, min_rank: int = 1) -> tuple:
    """The PyTorch shape of a value: () for a scalar, (n,) for an n×1 vector (unless the
    caller needs `min_rank` ≥ 2 dimensions), (r, c) for a matrix, the dims of a shape-only tensor."""
    if isinstance(value, TensorShape):
        return tuple(value.dims)
    if isinstance(value, LayerApply):
        d = value.dims
        if len(d) >= min_rank:
            return d
        return tuple(value.shape)
    if is_tensor(value):
        r, c = value.shape
        if c == 1 and min_rank <= 1:
            return (r,)
        return (r, c)
    if isinstance(value, Seq):
        raise SpecError("a list of tensors has no single shape; stack it first")
    return ()


def declared_dims(problem: Problem, node: ast.Expr) -> tuple | None:
    """The shape a shape-only input was declared with (`input x : (10, 1)` is 2-D)."""
    if isinstance(node, ast.Name) and problem.has(node.id):
        return problem.names[node.id].dims
    return None


def show_dims(dims: tuple) -> str:
    return "(" + ", ".join(str(d) for d in dims) + ("," if len(dims) == 1 else "") + ")"


def _label(value: Any, node: ast.Expr) -> str:
    if isinstance(value, TensorShape):
        return value.name
    return node.pos.snippet() or "input"


# ---- argument checking -------------------------------------------------------------------

@dataclass(frozen=True)
class Param:
    """One constructor parameter: name, default (REQUIRED if none), checker, keyword-only."""

    name: str
    default: Any
    check: Callable[[str, Any, Any], Any]
    kwonly: bool = False


class Args:
    """The bound constructor arguments of one layer call, with the nodes for positions."""

    def __init__(self, kind: str, sig: list[Param], args: list, kwargs: dict, node: ast.Call):
        self.kind = kind
        self.values: dict[str, Any] = {}
        self.raw: dict[str, Any] = {}
        self.nodes: dict[str, ast.Expr] = {}
        positional = [p for p in sig if not p.kwonly]
        if len(args) > len(positional):
            raise SpecError(f"`{kind}` takes at most {len(positional)} positional arguments "
                            f"({', '.join(p.name for p in positional)}), got {len(args)}",
                            node.args[len(positional)].pos)
        for p, v, n in zip(positional, args, node.args):
            self.values[p.name], self.nodes[p.name] = v, n
        for k in node.kwargs:
            if k.name in self.values:
                raise SpecError(f"`{kind}` got two values for `{k.name}` (positionally and by keyword)", k.pos)
            self.values[k.name], self.nodes[k.name] = kwargs[k.name], k.value
        for p in sig:
            if p.name not in self.values:
                if p.default is REQUIRED:
                    raise SpecError(f"`{kind}` is missing the required argument `{p.name}`", node.pos)
                default = p.default
                if isinstance(default, int) and not isinstance(default, bool):
                    default = sp.Integer(default)
                self.values[p.name] = None if default is None else p.check(p.name, default, node)
                continue
            self.raw[p.name] = self.values[p.name]
            self.values[p.name] = p.check(f"`{p.name}` of {kind}", self.values[p.name], self.nodes[p.name])

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def pos(self, name: str, default: Pos) -> Pos:
        n = self.nodes.get(name)
        return n.pos if n is not None else default


def _whole(what: str, v: Any, node: ast.Expr, lo: int) -> int:
    v = scalarize(v)
    if isinstance(v, bool) or not isinstance(v, (int, sp.Integer)):
        raise SpecError(f"{what} must be a whole number, not {_show(v)}", node.pos)
    if int(v) < lo:
        raise SpecError(f"{what} must be {'positive' if lo == 1 else f'at least {lo}'}, not {int(v)}", node.pos)
    return int(v)


def _show(v: Any) -> str:
    if isinstance(v, tuple):
        return "(" + ", ".join(_show(x) for x in v) + ")"
    if isinstance(v, str):
        return f'"{v}"'
    if v is sp.true or v is True:
        return "true"
    if v is sp.false or v is False:
        return "false"
    if is_tensor(v):
        return show_shape(v)
    return str(v)


def positive(what, v, node):
    return _whole(what, v, node, 1)


def nonneg(what, v, node):
    return _whole(what, v, node, 0)


def integer(what, v, node):
    v = scalarize(v)
    if isinstance(v, bool) or not isinstance(v, (int, sp.Integer)):
        raise SpecError(f"{what} must be a whole number, not {_show(v)}", node.pos)
    return int(v)


def boolean(what, v, node):
    if v is sp.true or v is True:
        return True
    if v is sp.false or v is False:
        return False
    raise SpecError(f"{what} must be true or false, not {_show(v)}", node.pos)


def number(lo: Any = None, hi: Any = None, *, open_lo: bool = False):
    def check(what, v, node):
        v = scalarize(v)
        if not (isinstance(v, sp.Basic) and v.is_number and v.is_real):
            raise SpecError(f"{what} must be a number, not {_show(v)}", node.pos)
        if lo is not None and (v < lo or (open_lo and v == lo)):
            raise SpecError(f"{what} must be {'>' if open_lo else '≥'} {lo}, not {v}", node.pos)
        if hi is not None and v > hi:
            raise SpecError(f"{what} must be ≤ {hi}, not {v}", node.pos)
        return v
    return check


def sizes(n: int, lo: int):
    """An int, or a tuple/list of n ints (PyTorch's `_single`/`_pair`)."""
    def check(what, v, node):
        if isinstance(v, tuple) or (is_tensor(v) and isinstance(v, sp.MatrixBase)):
            items = list(v)
            if len(items) != n:
                raise SpecError(f"{what} must be a whole number or {n} whole numbers"
                                f"{' (one per spatial dimension)' if n > 1 else ''}, not {_show(tuple(items))}",
                                node.pos)
            return tuple(_whole(what, x, node, lo) for x in items)
        return (_whole(what, v, node, lo),) * n
    return check


def padding_arg(n: int):
    base = sizes(n, 0)

    def check(what, v, node):
        if isinstance(v, str):
            if v not in ("same", "valid"):
                raise SpecError(f'{what} must be a whole number, a tuple, "same" or "valid", not "{v}"', node.pos)
            return v
        return base(what, v, node)
    return check


def choice(*options: str):
    def check(what, v, node):
        if not isinstance(v, str) or v not in options:
            raise SpecError(f"{what} must be one of {', '.join(repr(o) for o in options)}, not {_show(v)}", node.pos)
        return v
    return check


def optional_tensor(what, v, node):
    if v is None:
        return None
    if not is_tensor(v):
        raise SpecError(f"{what} must be a tensor, not {_show(v)}", node.pos)
    return v


def shape_arg(what, v, node):
    if isinstance(v, tuple) or (isinstance(v, sp.MatrixBase) and v.shape[1] == 1):
        return tuple(_whole(what, x, node, 1) for x in v)
    return (_whole(what, v, node, 1),)


# ---- layers ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ParamInfo:
    """One trainable tensor of a layer: name (`weight`, `bias`), shape, count formula."""

    name: str
    dims: tuple[int, ...]
    formula: Any           # sympy expression in the hyperparameter symbols
    where: tuple[tuple[Any, Any], ...]


@dataclass(frozen=True)
class ShapeLine:
    """How one output dimension comes about: a checked chain or a sentence."""

    text: str
    chain: tuple = ()
    where: tuple = ()


class Layer:
    """A layer object (see the module docstring); subclasses implement the family rules."""

    ranks: tuple[int, ...] = ()        # accepted input ranks (empty: any)
    nd = 1                             # spatial dimensions (convolutions and pools)
    spatial_names: tuple[str, ...] = ("L",)

    def __init__(self, kind: str, args: Args, pos: Pos):
        self.kind = kind
        self.args = args
        self.pos = pos
        self.name = ""

    def __repr__(self) -> str:
        return self.describe()

    # -- constructor-level
    def params(self) -> list[ParamInfo]:
        return []

    def describe(self) -> str:
        shown = []
        for k, v in self.args.raw.items():
            if k not in ("weight",) and not is_tensor(v):
                shown.append(f"{k}={_show(v)}")
            elif is_tensor(v):
                shown.append(f"{k}={self.args.nodes[k].pos.snippet()}")
        return f"{self.kind}({', '.join(shown)})"

    # -- application
    def out_dims(self, dims: tuple, node: ast.Expr) -> tuple[tuple, list[ShapeLine]]:
        raise NotImplementedError

    def values(self, x: Any, dims: tuple, node: ast.Call) -> Any:
        """Explicit output values when they are known, else None."""
        return None

    def checked_dims(self, x: Any, node: ast.Expr, problem: Problem) -> tuple:
        """The input's shape: as declared for a shape-only input name, else from its value."""
        declared = declared_dims(problem, node)
        if declared is None:
            return self.input_dims(x, node)
        return self.check_rank(declared, x, node)

    def input_dims(self, x: Any, node: ast.Expr) -> tuple:
        need = min(self.ranks) if self.ranks else 1
        return self.check_rank(dims_of(x, need), x, node)

    def check_rank(self, dims: tuple, x: Any, node: ast.Expr) -> tuple:
        """`dims`, if the layer accepts an input of that many dimensions."""
        if self.ranks and len(dims) not in self.ranks:
            want = " or ".join(f"{r}-D" for r in self.ranks)
            raise SpecError(f"`{self.name or self.kind}` ({self.kind}) expects a {want} input, but "
                            f"{_label(x, node)} has shape {show_dims(dims)}", node.pos)
        return dims

    def call(self, ev: Evaluator, node: ast.Call) -> Any:
        name = node.name or self.kind
        if not self.name:
            self.name = name
        if node.kwargs:
            raise SpecError(f"a layer is called with its input only, as in `{name}(x)`", node.kwargs[0].pos)
        if len(node.args) != 1:
            raise SpecError(f"`{name}` takes one input, got {len(node.args)}", node.pos)
        x = ev.eval(node.args[0])
        if not (is_tensor(x) or isinstance(x, TensorShape)):
            raise SpecError(f"`{name}` needs a tensor input, not {_show(scalarize(x))}", node.args[0].pos)
        dims = self.checked_dims(x, node.args[0], ev.problem)
        out, _ = self.out_dims(dims, node)
        vals = self.values(x, dims, node)
        if vals is not None:
            return vals
        return shape_only(name, x, out, node.args[0], self)


def shape_only(name: str, x: Any, out: tuple, node: ast.Expr, layer: Any = None) -> Any:
    if len(out) in (1, 2):
        arg = x if isinstance(x, sp.Basic) else sp.Symbol(_label(x, node))
        return LayerApply(LayerRef(name, layer), arg, out)
    return TensorShape(f"{name}({_label(x, node)})", tuple(out))


def _mismatch(layer: Layer, what: str, want: Any, got: Any, dims: tuple, node: ast.Expr) -> SpecError:
    return SpecError(f"`{layer.name or layer.kind}` ({layer.kind}) expects {what} {want}, but its input "
                     f"has shape {show_dims(dims)} ({what} {got})", node.pos)


def _eq(a: Any, b: Any) -> bool:
    return a == b or sp.simplify(sp.sympify(a, strict=True) - sp.sympify(b, strict=True)) == 0


Sym = sp.Symbol      # formula symbols (n_in, k, ...); not sympy's S, which sympifies


class CountSymbol(sp.Symbol):
    """n_{NAME}: the number of trainable entries of NAME (printed n_{W_{Q1}}, not n_{W,Q1})."""

    def _latex(self, printer) -> str:
        return r"n_{%s}" % name_latex(self.name[2:]) if self.name.startswith("n_") else name_latex(self.name)


def count_symbol(owner: str) -> CountSymbol:
    return CountSymbol(f"n_{owner}")


class Linear(Layer):
    """y = x Wᵀ + b: (*, in_features) -> (*, out_features); weight (out, in), bias (out)."""

    SIG = [Param("in_features", REQUIRED, positive), Param("out_features", REQUIRED, positive),
           Param("bias", True, lambda w, v, n: v if is_tensor(v) else boolean(w, v, n)),
           Param("weight", None, optional_tensor, kwonly=True)]
    ranks = ()

    def __init__(self, kind, args, pos):
        super().__init__(kind, args, pos)
        n_in, n_out = args["in_features"], args["out_features"]
        w, b = args["weight"], args["bias"]
        if w is not None and tuple(w.shape) != (n_out, n_in):
            raise SpecError(f"the weight of Linear({n_in}, {n_out}) must be {n_out}×{n_in} "
                            f"(out_features × in_features), not {w.shape[0]}×{w.shape[1]}", args.pos("weight", pos))
        if w is not None and b is True:
            raise SpecError("with a concrete weight, give the bias too (`bias = b`), or `bias = false`",
                            args.pos("weight", pos))
        if is_tensor(b) and tuple(b.shape) not in ((n_out, 1), (1, n_out)):
            raise SpecError(f"the bias of Linear({n_in}, {n_out}) must have {n_out} entries, not "
                            f"{show_shape(b)}", args.pos("bias", pos))

    @property
    def has_bias(self) -> bool:
        return self.args["bias"] is not False

    def params(self):
        n_in, n_out = self.args["in_features"], self.args["out_features"]
        i, o = Sym("n_in"), Sym("n_out")
        where = ((i, n_in), (o, n_out))
        out = [ParamInfo("weight", (n_out, n_in), sp.Mul(o, i, evaluate=False), where)]
        if self.has_bias:
            out.append(ParamInfo("bias", (n_out,), o, where))
        return out

    def input_dims(self, x, node):
        dims = dims_of(x, 1)
        if not dims:
            raise SpecError(f"`{self.name}` (Linear) needs at least a 1-D input", node.pos)
        if len(dims) == 1 and not isinstance(x, (LayerApply, TensorShape)) and self.args["in_features"] == 1 \
                and dims[0] != 1:     # an n×1 column fed to Linear(1, ·) is a batch of n
            return (dims[0], sp.Integer(1))
        return dims

    def out_dims(self, dims, node):
        n_in, n_out = self.args["in_features"], self.args["out_features"]
        if not _eq(dims[-1], n_in):
            raise _mismatch(self, "a last dimension (in_features) of", n_in, dims[-1], dims, node.args[0])
        out = dims[:-1] + (sp.Integer(n_out),)
        return out, [ShapeLine(f"The last dimension, in_features $= {n_in}$, becomes out_features $= {n_out}$"
                               + (f"; the leading dimension{'s' if len(dims) > 2 else ''} "
                                  f"${', '.join(latex(d) for d in dims[:-1])}$ pass{'' if len(dims) > 2 else 'es'}"
                                  " through" if len(dims) > 1 else "") + ".")]

    def values(self, x, dims, node):
        w, b = self.args["weight"], self.args["bias"]
        if w is None or not F.explicit(x):
            return None
        if not F.explicit(w) or (is_tensor(b) and not F.explicit(b)):
            return None
        bcol = (sp.ImmutableMatrix(b.reshape(b.shape[0] * b.shape[1], 1)) if is_tensor(b) else None)
        if len(dims) == 1:
            col = x if x.shape[1] == 1 else x.T
            out = w * col
            if bcol is not None:
                out = out + bcol
            return sp.ImmutableMatrix(out)
        out = x * w.T
        if bcol is not None:
            out = out + sp.ones(out.shape[0], 1) * bcol.T
        return sp.ImmutableMatrix(out)


def conv_formula(L: Any, k: Any, s: Any, p: Any, d: Any, *, ceil: bool = False, with_d: bool = True):
    """PyTorch's output-size formula ⌊(L + 2p − d(k − 1) − 1)/s⌋ + 1 (⌈⌉ with ceil_mode), for
    display (unevaluated, in the textbook's order), and the values of its symbols."""
    Ls, ks, ss, ps, ds = Sym("L_in"), Sym("k"), Sym("s"), Sym("p"), Sym("d")
    rnd = sp.ceiling if ceil else sp.floor
    with sp.evaluate(False):
        span = sp.Mul(-1, ds, sp.Add(ks, -1)) if with_d else sp.Mul(-1, sp.Add(ks, -1))
        numer = sp.Add(Ls, sp.Mul(2, ps), span, -1)
        formula = sp.Add(rnd(sp.Mul(numer, sp.Pow(ss, -1))), 1)
    where = {Ls: L, ks: k, ss: s, ps: p}
    if with_d:
        where[ds] = d
    return formula, {key: sp.sympify(v, strict=True) for key, v in where.items()}


class _Windowed(Layer):
    """Shared rules of convolutions and pools over `nd` spatial dimensions."""

    nd = 1
    pooling = False
    spatial_names = ("L",)

    def spatial(self, dims: tuple, node: ast.Call) -> tuple[list, list[ShapeLine]]:
        a = self.args
        k, s = a["kernel_size"], a["stride"]
        d = a["dilation"] if "dilation" in a.values else (1,) * self.nd
        pad = a["padding"]
        ceil = a.values.get("ceil_mode", False)
        out, lines = [], []
        ins = dims[-self.nd:]
        for i, L in enumerate(ins):
            nm = self.spatial_names[i] if self.nd > 1 else "L"
            if pad == "same":
                out.append(L)
                lines.append(ShapeLine(f'`padding="same"` keeps the size: ${nm}_{{out}} = {nm}_{{in}} = {latex(L)}$.'))
                continue
            p = 0 if pad == "valid" else pad[i]
            if self.pooling:
                limit = sp.Rational(k[i], 2)          # PyTorch: pad ≤ kernel_size / 2 (not the dilated span)
                if p > limit:
                    raise SpecError(f"`{self.name or self.kind}` ({self.kind}): padding {p} must be at most half of "
                                    f"the kernel size {k[i]}", a.pos("padding", node.pos))
            formula, where = conv_formula(L, k[i], s[i], p, d[i], ceil=ceil, with_d="dilation" in a.values)
            sym = Sym(f"{nm}_out")
            padded = L + 2 * p
            eff = d[i] * (k[i] - 1) + 1
            if not self.pooling and isinstance(padded, (int, sp.Integer)) and padded < eff:
                what = "padded input" if p else "input"
                raise SpecError(f"`{self.name or self.kind}` ({self.kind}): the {what} is shorter than the kernel: "
                                f"{nm} = {padded}{f' (with padding {p})' if p else ''} < {eff}"
                                f"{f' = d·(k − 1) + 1' if d[i] != 1 else ''} (kernel size {k[i]}); input shape "
                                f"{show_dims(dims)}", node.args[0].pos)
            value = formula.xreplace(where).doit()
            if ceil and value.is_Integer and (value - 1) * s[i] >= L + p:
                lines.append(ShapeLine(
                    f"With `ceil_mode`, the last window would start in the padding "
                    f"(({latex(value)} − 1)·{s[i]} ≥ {latex(L)} + {p}), so it is dropped.",
                    (sym, formula - 1, value - 1), tuple(list(where.items()) + [(sym, value - 1)])))
                value = value - 1
            else:
                with sp.evaluate(False):
                    shown = formula.xreplace(where)
                numer = sp.sympify(L + 2 * p - d[i] * (k[i] - 1) - 1, strict=True)
                with sp.evaluate(False):
                    frac = sp.Mul(numer, sp.Pow(sp.Integer(s[i]), -1))
                    step2 = sp.Add(sp.ceiling(frac) if ceil else sp.floor(frac), sp.Integer(1)) if s[i] != 1 \
                        else sp.Add(numer, sp.Integer(1))
                chain = (sym, formula, shown, step2, value)
                text = (f"{'Length' if self.nd == 1 else ('Height' if i == 0 else 'Width')}: "
                        f"${nm}_{{in}} = {latex(L)}$, kernel $k = {k[i]}$, stride $s = {s[i]}$, padding $p = {p}$"
                        + (f", dilation $d = {d[i]}$" if "dilation" in a.values else "") + ".")
                lines.append(ShapeLine(text, chain, tuple(list(where.items()) + [(sym, value)])))
            if isinstance(value, sp.Integer) and value < 1:
                raise SpecError(f"`{self.name or self.kind}` ({self.kind}) gives an empty output for input shape "
                                f"{show_dims(dims)}", node.args[0].pos)
            out.append(value)
        return out, lines


class Conv(_Windowed):
    """Conv1d / Conv2d: (N, C_in, *spatial) or (C_in, *spatial) -> (…, C_out, *spatial_out)."""

    def __init__(self, kind, args, pos):
        super().__init__(kind, args, pos)
        cin, cout, g = args["in_channels"], args["out_channels"], args["groups"]
        if cin % g:
            raise SpecError(f"in_channels = {cin} must be divisible by groups = {g}", args.pos("groups", pos))
        if cout % g:
            raise SpecError(f"out_channels = {cout} must be divisible by groups = {g}", args.pos("groups", pos))
        if args["padding"] == "same" and any(s != 1 for s in args["stride"]):
            raise SpecError('padding="same" is not supported for strided convolutions (PyTorch refuses it)',
                            args.pos("padding", pos))

    @property
    def has_bias(self) -> bool:
        return bool(self.args["bias"])

    def params(self):
        a = self.args
        cin, cout, g = a["in_channels"], a["out_channels"], a["groups"]
        k = a["kernel_size"]
        Ci, Co, G = Sym("C_in"), Sym("C_out"), Sym("g")
        ks = [Sym("k")] if self.nd == 1 else [Sym("k_h"), Sym("k_w")]
        per = sp.Mul(Ci, sp.Pow(G, -1, evaluate=False), evaluate=False) if g != 1 else Ci
        formula = sp.Mul(Co, per, *ks, evaluate=False)
        where = [(Ci, cin), (Co, cout), (G, g)] + list(zip(ks, k))
        out = [ParamInfo("weight", (cout, cin // g) + tuple(k), formula, tuple(where))]
        if self.has_bias:
            out.append(ParamInfo("bias", (cout,), Co, tuple(where)))
        return out

    def out_dims(self, dims, node):
        cin, cout = self.args["in_channels"], self.args["out_channels"]
        c = dims[-self.nd - 1]
        if not _eq(c, cin):
            raise _mismatch(self, "in_channels =", cin, c, dims, node.args[0])
        spatial, lines = self.spatial(dims, node)
        lead = dims[:-self.nd - 1]
        head = [ShapeLine(f"Channels: ${latex(c)} \\to {cout}$ (out_channels)"
                          + (f"; the batch size ${latex(lead[0])}$ passes through" if lead else "") + ".")]
        return tuple(lead) + (sp.Integer(cout),) + tuple(spatial), head + lines


class Pool(_Windowed):
    """MaxPool/AvgPool 1d/2d: channels and batch pass through, spatial sizes shrink."""

    pooling = True

    def out_dims(self, dims, node):
        spatial, lines = self.spatial(dims, node)
        lead = dims[:-self.nd]
        head = [ShapeLine(f"The leading dimension{'s' if len(lead) > 1 else ''} "
                          f"${', '.join(latex(d) for d in lead)}$ pass{'' if len(lead) > 1 else 'es'} through; "
                          f"stride defaults to the kernel size.")]
        return tuple(lead) + tuple(spatial), head + lines

    def values(self, x, dims, node):
        if self.nd != 1 or not F.explicit(x) or len(dims) != 2:
            return None
        a = self.args
        k, s, p = a["kernel_size"][0], a["stride"][0], a["padding"][0]
        d = a["dilation"][0] if "dilation" in a.values else 1
        out, _ = self.out_dims(dims, node)
        n = int(out[-1])
        rows = []
        is_max = self.kind.startswith("Max")
        for c in range(x.shape[0]):
            row = []
            for o in range(n):
                start = o * s - p
                idx = [start + d * j for j in range(k)]
                inside = [x[c, i] for i in idx if 0 <= i < x.shape[1]]
                if is_max:
                    row.append(sp.Max(*inside))
                else:
                    last = min(start + k, x.shape[1] + p)
                    count = (last - start) if a["count_include_pad"] else len(inside)
                    row.append(sp.Add(*inside) / count)
            rows.append(row)
        return sp.ImmutableMatrix(rows)


class Flatten(Layer):
    """Flatten(start_dim=1, end_dim=-1): the dimensions start_dim..end_dim multiplied into one."""

    def out_dims(self, dims, node):
        n = len(dims)
        st, en = self.args["start_dim"], self.args["end_dim"]
        lo, hi = (st + n if st < 0 else st), (en + n if en < 0 else en)
        for v, raw, nm in ((lo, st, "start_dim"), (hi, en, "end_dim")):
            if not 0 <= v < max(n, 1):
                raise SpecError(f"{nm} = {raw} is out of range for an input of shape {show_dims(dims)} "
                                f"({n} dimension{'s' if n != 1 else ''})", self.args.pos(nm, node.pos))
        if lo > hi:
            raise SpecError(f"start_dim ({st}) must not come after end_dim ({en})", self.args.pos("start_dim", node.pos))
        merged = sp.Mul(*dims[lo:hi + 1])
        out = tuple(dims[:lo]) + (merged,) + tuple(dims[hi + 1:])
        if hi > lo:
            with sp.evaluate(False):
                prod = sp.Mul(*dims[lo:hi + 1])
            line = ShapeLine(f"Dimensions {lo} to {hi} (0-based, as in PyTorch) are multiplied into one.",
                             (prod, merged))
        else:
            line = ShapeLine("Only one dimension is flattened: the shape is unchanged.")
        return out, [line]

    def values(self, x, dims, node):
        out, _ = self.out_dims(dims, node)
        if F.explicit(x) and len(out) == 1:
            return sp.ImmutableMatrix(len(list(x)), 1, list(x))
        if F.explicit(x) and tuple(out) == tuple(dims):
            return x
        return None


class Embedding(Layer):
    """Embedding(num_embeddings, embedding_dim): indices of shape (*) -> (*, embedding_dim)."""

    def params(self):
        n, d = self.args["num_embeddings"], self.args["embedding_dim"]
        N, D = Sym("n_emb"), Sym("d_emb")
        return [ParamInfo("weight", (n, d), sp.Mul(N, D, evaluate=False), ((N, n), (D, d)))]

    def out_dims(self, dims, node):
        d = self.args["embedding_dim"]
        return tuple(dims) + (sp.Integer(d),), [ShapeLine(
            f"Each index is replaced by its embedding vector of length {d}: a dimension of size {d} is appended.")]

    def values(self, x, dims, node):
        if F.explicit(x):
            n = self.args["num_embeddings"]
            for e in x:
                if not (e.is_Integer and 0 <= e < n):
                    raise SpecError(f"an Embedding index must be a whole number in 0..{n - 1} (PyTorch indexes "
                                    f"from 0), not {e}", node.args[0].pos)
        return None


class BatchNorm(Layer):
    """BatchNorm1d (input (N, C) or (N, C, L)) / BatchNorm2d ((N, C, H, W)); γ, β of length C."""

    def params(self):
        a = self.args
        if not a["affine"]:
            return []
        C = Sym("C")
        where = ((C, a["num_features"]),)
        out = [ParamInfo("weight", (a["num_features"],), C, where)]
        if a["bias"]:
            out.append(ParamInfo("bias", (a["num_features"],), C, where))
        return out

    def out_dims(self, dims, node):
        c = dims[1]
        if not _eq(c, self.args["num_features"]):
            raise _mismatch(self, "num_features =", self.args["num_features"], c, dims, node.args[0])
        return tuple(dims), [ShapeLine("Batch normalisation keeps the shape (channels are dimension 1).")]


class LayerNorm(Layer):
    """LayerNorm(normalized_shape): the trailing dims must equal normalized_shape; shape kept."""

    def params(self):
        a = self.args
        if not a["elementwise_affine"]:
            return []
        shape = a["normalized_shape"]
        syms = [Sym(f"D_{i + 1}") for i in range(len(shape))] if len(shape) > 1 else [Sym("D")]
        formula = sp.Mul(*syms, evaluate=False) if len(syms) > 1 else syms[0]
        where = tuple(zip(syms, shape))
        out = [ParamInfo("weight", tuple(shape), formula, where)]
        if a["bias"]:
            out.append(ParamInfo("bias", tuple(shape), formula, where))
        return out

    def input_dims(self, x, node):
        return dims_of(x, len(self.args["normalized_shape"]))

    def out_dims(self, dims, node):
        shape = self.args["normalized_shape"]
        tail = dims[-len(shape):] if len(dims) >= len(shape) else ()
        if len(tail) != len(shape) or not all(_eq(a, b) for a, b in zip(tail, shape)):
            raise SpecError(f"`{self.name or self.kind}` (LayerNorm) normalizes over the last dimensions "
                            f"{show_dims(tuple(shape))}, but its input has shape {show_dims(dims)}", node.args[0].pos)
        return tuple(dims), [ShapeLine("Layer normalisation keeps the shape.")]


class Dropout(Layer):
    """Dropout(p): no parameters; at evaluation it is the identity (shape and values kept)."""

    def out_dims(self, dims, node):
        return tuple(dims), [ShapeLine("Dropout keeps the shape (and is the identity at evaluation).")]

    def values(self, x, dims, node):
        return x if F.explicit(x) else None


def _conv_sig(nd: int) -> list[Param]:
    return [Param("in_channels", REQUIRED, positive), Param("out_channels", REQUIRED, positive),
            Param("kernel_size", REQUIRED, sizes(nd, 1)), Param("stride", 1, sizes(nd, 1)),
            Param("padding", 0, padding_arg(nd)), Param("dilation", 1, sizes(nd, 1)),
            Param("groups", 1, positive), Param("bias", True, boolean),
            Param("padding_mode", "zeros", choice("zeros", "reflect", "replicate", "circular"))]


def _pool_sig(nd: int, is_max: bool) -> list[Param]:
    sig = [Param("kernel_size", REQUIRED, sizes(nd, 1)), Param("stride", None, sizes(nd, 1)),
           Param("padding", 0, sizes(nd, 0))]
    if is_max:
        sig += [Param("dilation", 1, sizes(nd, 1)), Param("return_indices", False, boolean),
                Param("ceil_mode", False, boolean)]
    else:
        sig += [Param("ceil_mode", False, boolean), Param("count_include_pad", True, boolean)]
        if nd == 2:
            sig.append(Param("divisor_override", None, positive))
    return sig


_HW = {"nd": 2, "spatial_names": ("H", "W")}
LAYERS: dict[str, tuple[type, list[Param], dict]] = {
    "Linear": (Linear, Linear.SIG, {}),
    "Conv1d": (Conv, _conv_sig(1), {"ranks": (2, 3)}),
    "Conv2d": (Conv, _conv_sig(2), {"ranks": (3, 4), **_HW}),
    "MaxPool1d": (Pool, _pool_sig(1, True), {"ranks": (2, 3)}),
    "MaxPool2d": (Pool, _pool_sig(2, True), {"ranks": (3, 4), **_HW}),
    "AvgPool1d": (Pool, _pool_sig(1, False), {"ranks": (2, 3)}),
    "AvgPool2d": (Pool, _pool_sig(2, False), {"ranks": (3, 4), **_HW}),
    "Flatten": (Flatten, [Param("start_dim", 1, integer), Param("end_dim", -1, integer)], {}),
    "Embedding": (Embedding, [Param("num_embeddings", REQUIRED, positive), Param("embedding_dim", REQUIRED, positive),
                              Param("padding_idx", None, integer), Param("max_norm", None, number(0, open_lo=True)),
                              Param("norm_type", 2, number(0, open_lo=True)),
                              Param("scale_grad_by_freq", False, boolean), Param("sparse", False, boolean)], {}),
    "BatchNorm1d": (BatchNorm, [Param("num_features", REQUIRED, positive), Param("eps", sp.Rational(1, 100000),
                                number(0, open_lo=True)), Param("momentum", sp.Rational(1, 10), number(0, 1)),
                                Param("affine", True, boolean), Param("track_running_stats", True, boolean),
                                Param("bias", True, boolean, kwonly=True)], {"ranks": (2, 3)}),
    "LayerNorm": (LayerNorm, [Param("normalized_shape", REQUIRED, shape_arg),
                              Param("eps", sp.Rational(1, 100000), number(0, open_lo=True)),
                              Param("elementwise_affine", True, boolean), Param("bias", True, boolean)], {}),
    "Dropout": (Dropout, [Param("p", sp.Rational(1, 2), number(0, 1)), Param("inplace", False, boolean)], {}),
}
LAYERS["BatchNorm2d"] = (BatchNorm, LAYERS["BatchNorm1d"][1], {"ranks": (4,)})
# one class per kind, carrying its rank and spatial attributes
CLASSES: dict[str, type] = {kind: type(kind, (cls,), dict(attrs)) for kind, (cls, _, attrs) in LAYERS.items()}


def make_layer(kind: str, args: list, kwargs: dict, node: ast.Call) -> Layer:
    """The layer `kind(*args, **kwargs)`, arguments checked (SpecError at the bad one)."""
    _, sig, _ = LAYERS[kind]
    bound = Args(kind, sig, args, kwargs, node)
    if "stride" in bound.values and bound["stride"] is None:
        bound.values["stride"] = bound["kernel_size"]
    return CLASSES[kind](kind, bound, node.pos)


def _register(kind: str) -> None:
    cls, sig, _ = LAYERS[kind]

    @builtin(kind, nargs=(0, 99), kwargs=tuple(p.name for p in sig), tuples=True,
             doc=f"torch.nn.{kind}: " + (cls.__doc__ or "").strip().split("\n")[0])
    def construct(ev, args, kwargs, node):
        return make_layer(kind, args, kwargs, node)


for _kind in LAYERS:
    _register(_kind)


# ---- walking a network ------------------------------------------------------------------

def layer_bindings(problem: Problem) -> list[Binding]:
    return [b for b in problem.names.values() if b.kind == "layer" and isinstance(b.value, Layer)]


def _name_layers(problem: Problem) -> None:
    for b in layer_bindings(problem):
        b.value.name = b.name


@dataclass
class Found:
    """What a network uses, in forward order: layers (by binding) and named params."""

    items: list[Binding] = field(default_factory=list)

    def add(self, b: Binding) -> None:
        if all(x.name != b.name for x in self.items):
            self.items.append(b)


def _children(e: ast.Expr) -> list[ast.Expr]:
    out: list[ast.Expr] = []
    for v in vars(e).values():
        if isinstance(v, ast.Expr):
            out.append(v)
        elif isinstance(v, ast.Keyword):
            out.append(v.value)
        elif isinstance(v, tuple):
            for x in v:
                if isinstance(x, ast.Expr):
                    out.append(x)
                elif isinstance(x, ast.Keyword):
                    out.append(x.value)
    return out


def collect(problem: Problem, expr: ast.Expr, found: Found, seen: set[str] | None = None) -> Found:
    """Layers and params `expr` uses, following named nodes, inputs before the layers they feed."""
    seen = set() if seen is None else seen
    if isinstance(expr, ast.Name) and problem.has(expr.id):
        b = problem.names[expr.id]
        if b.kind == "node" and b.expr is not None and b.name not in seen:
            seen.add(b.name)
            collect(problem, b.expr, found, seen)
        elif b.kind in ("param", "layer"):
            if b.kind == "layer" and isinstance(b.value, Layer):
                for k in ("weight", "bias"):
                    node = b.value.args.nodes.get(k)
                    if node is not None:
                        collect(problem, node, found, seen)
            found.add(b)
        return found
    if isinstance(expr, ast.Call) and expr.name and problem.has(expr.name):
        for a in expr.args:
            collect(problem, a, found, seen)
        collect(problem, expr.func, found, seen)
        return found
    if isinstance(expr, ast.Lambda):
        return found
    for c in _children(expr):
        collect(problem, c, found, seen)
    return found


def _entries(dims: tuple) -> Any:
    return sp.Mul(*[sp.Integer(d) for d in dims]) if dims else sp.Integer(1)


def param_dims(b: Binding) -> tuple:
    v = b.value
    if is_tensor(v):
        r, c = v.shape
        return (r,) if c == 1 else (r, c)
    return ()


@dataclass(frozen=True)
class Counted:
    """One row of the parameter table."""

    owner: str                  # binding name
    label: str                  # "fc1.weight" / "W1"
    dims: tuple
    count: Any
    step: Step | None


def _layer_rows(b: Binding, named_params: set[str]) -> tuple[list[Counted], Step | None, tuple]:
    layer: Layer = b.value
    rows: list[Counted] = []
    infos = layer.params()
    given = {k for k in ("weight", "bias") if isinstance(layer.args.nodes.get(k), ast.Name)
             and layer.args.nodes[k].id in named_params}
    infos = [i for i in infos if i.name not in given]
    if not infos:
        note = " (its parameters are the named tensors counted separately)" if given else ""
        return [Counted(b.name, b.name, (), sp.Integer(0), None)], make_step(
            "count_params", f"`{b.name} = {layer.describe()}` has no trainable parameters{note}.", check=False), \
            (b.name, layer.describe(), "none", "", sp.Integer(0))
    formula = sp.Add(*[i.formula for i in infos], evaluate=False) if len(infos) > 1 else infos[0].formula
    where = dict(w for i in infos for w in i.where)
    num = {k: sp.Integer(v) for k, v in where.items()}
    with sp.evaluate(False):
        shown = formula.xreplace(num)
    total = formula.xreplace(num).doit()
    cnt = count_symbol(b.name)
    parts = " and ".join(f"{i.name} of shape {show_dims(i.dims)}" for i in infos)
    step = make_step("count_params", f"`{b.name} = {layer.describe()}` has {parts}:",
                     cnt, formula, shown, total, where={**num, cnt: total})
    for i in infos:
        rows.append(Counted(b.name, f"{b.name}.{i.name}", i.dims, _entries(i.dims), None))
    tensors = ", ".join(f"{i.name} {show_dims(i.dims)}" for i in infos)
    return rows, step, (b.name, layer.describe(), tensors, formula, total)


def count_params(problem: Problem, call: ast.Call, what: str = "params") \
        -> tuple[list[Counted], list[Step], list[tuple]]:
    """Rows (one per trainable tensor), the steps counting them and one table row per layer
    or param (name, what it is, its tensors, the count formula, the count), for `params(...)`."""
    _name_layers(problem)
    if call.kwargs:
        raise SpecError(f"`{what}` takes no keyword arguments", call.kwargs[0].pos)
    if call.args:
        found = Found()
        for a in call.args:
            collect(problem, a, found)
        items = found.items
        if not items:
            raise SpecError(f"`{call.args[0].pos.snippet()}` uses no layer and no `param`, so it has no "
                            "trainable parameters to count", call.args[0].pos)
    else:
        items = [b for b in problem.names.values() if b.kind in ("param", "layer")]
        if not items:
            raise SpecError("this problem declares no `param` and no `layer`", call.pos)
    named = {b.name for b in items if b.kind == "param"}
    rows: list[Counted] = []
    steps: list[Step] = []
    table: list[tuple] = []
    for b in items:
        if b.error is not None:
            raise b.error
        if b.kind == "layer":
            r, st, trow = _layer_rows(b, named)
            rows.extend(r)
            steps.append(st)
            table.append(trow)
        else:
            dims = param_dims(b)
            n = _entries(dims)
            if not n.is_Integer:
                raise SpecError(f"`{b.name}` has a symbolic size {show_dims(dims)}; its entries cannot be counted "
                                "as a number", b.pos)
            rows.append(Counted(b.name, b.name, dims, n, None))
            cnt = count_symbol(b.name)
            what = _describe_dims(dims)
            if len(dims) > 1:
                with sp.evaluate(False):
                    prod = sp.Mul(*[sp.Integer(d) for d in dims])
                steps.append(make_step("count_params", f"${name_latex(b.name)}$ is {what}:", cnt, prod, n,
                                       where={cnt: n}))
            else:
                prod = n
                steps.append(make_step("count_params", f"${name_latex(b.name)}$ is {what}:", cnt, n, where={cnt: n}))
            table.append((b.name, "param", show_dims(dims) if dims else "scalar", prod, n))
    return rows, steps, table


def params(problem: Problem, call: ast.Call) -> Derived:
    rows, steps, trows = count_params(problem, call)
    table = Table(("name", "what", "trainable tensors", "formula", "count"), tuple(trows))
    owners: dict[str, Any] = {}
    for r in rows:
        owners[r.owner] = owners.get(r.owner, 0) + r.count
    total = sp.Integer(sum(owners.values()))
    terms = [sp.Integer(v) for v in owners.values() if v]
    n_sym = Sym("n_params")
    if len(owners) > 1:
        with sp.evaluate(False):
            by_name = sp.Add(*[count_symbol(o) for o in owners])
            summed = sp.Add(*terms) if len(terms) > 1 else total
        steps.append(make_step("sum_params", "Add up the trainable tensors:", n_sym, by_name, summed, total,
                               where={n_sym: total, **{count_symbol(o): sp.Integer(v) for o, v in owners.items()}},
                               table=table))
    else:
        steps.append(make_step("sum_params", "In total:", n_sym, total, where={n_sym: total}, table=table))
    return Derived(make_answer(sp.Integer(total)), tuple(steps))


def shapes(problem: Problem, call: ast.Call) -> Derived:
    inner = call
    if len(call.args) == 1 and isinstance(call.args[0], ast.Call) and call.args[0].name == "params" \
            and not problem.has("params"):
        inner = call.args[0]
    rows, steps, _ = count_params(problem, inner, "shapes")
    rows = [r for r in rows if r.dims or r.count]
    out = {r.label: [int(d) if sp.sympify(d, strict=True).is_Integer else d for d in r.dims] for r in rows}
    table = Table(("tensor", "shape"), tuple((r.label, show_dims(r.dims) if r.dims else "scalar") for r in rows))
    steps = [make_step("shapes", "The shape of each trainable tensor:", table=table, check=False)]
    value = {k: [d for d in v] if all(isinstance(d, int) for d in v) else None for k, v in out.items()}
    tex = r"\begin{array}{ll}" + r" \\ ".join(
        r"%s & %s" % (_tensor_tex(k), latex(tuple(v))) for k, v in out.items()) + r"\end{array}"
    text = "{" + ", ".join(f"{k!r}: {list(v)}" for k, v in out.items()) + "}"
    value = None if any(v is None for v in value.values()) else value
    return Derived(make_answer(out, text=text, value=value, tex=tex), tuple(steps))


def _tensor_tex(label: str) -> str:
    if "." in label:
        owner, what = label.split(".", 1)
        return r"%s.\text{%s}" % (name_latex(owner), what)
    return name_latex(label)


def _shape_steps(problem: Problem, expr: ast.Expr, steps: list[Step], seen: set[str]) -> None:
    """One step per layer application inside `expr` (arguments first)."""
    if isinstance(expr, ast.Name) and problem.has(expr.id):
        b = problem.names[expr.id]
        if b.kind == "node" and b.expr is not None and b.name not in seen:
            seen.add(b.name)
            _shape_steps(problem, b.expr, steps, seen)
        return
    if isinstance(expr, ast.Lambda):
        return
    for c in _children(expr):
        if not (isinstance(expr, ast.Call) and c is expr.func):
            _shape_steps(problem, c, steps, seen)
    if isinstance(expr, ast.Call) and expr.name and problem.has(expr.name):
        b = problem.names[expr.name]
        if b.kind == "layer" and isinstance(b.value, Layer) and len(expr.args) == 1:
            layer = b.value
            x = problem.value(expr.args[0])
            dims = layer.checked_dims(x, expr.args[0], problem)
            out, lines = layer.out_dims(dims, expr)
            subs = []
            for ln in lines:
                if ln.chain:
                    subs.append(make_step("size_formula", ln.text, *ln.chain, where=dict(ln.where)))
                else:
                    subs.append(make_step("size_rule", ln.text, check=False))
            steps.append(make_step("layer_shape",
                                   f"`{expr.pos.snippet()}`: `{b.name} = {layer.describe()}` maps shape "
                                   f"${latex(tuple(dims))}$ to ${latex(tuple(out))}$.", substeps=subs, check=False))
    elif isinstance(expr, ast.Call) and expr.name in ("relu", "sigmoid", "tanh", "leaky_relu", "softmax") \
            and not problem.has(expr.name) and expr.args:
        x = problem.value(expr.args[0])
        if isinstance(x, (TensorShape, LayerApply)):
            steps.append(make_step("size_rule", f"`{expr.name}` acts entrywise: the shape "
                                   f"${latex(tuple(dims_of(x)))}$ is kept.", check=False))


def shape(problem: Problem, call: ast.Call) -> Derived:
    _name_layers(problem)
    expr = call.args[0]
    value = problem.value(expr)
    if isinstance(value, Layer):
        raise SpecError(f"`{expr.pos.snippet()}` is a layer; give it an input, as in "
                        f"`shape({expr.pos.snippet()}(x))`", expr.pos)
    steps: list[Step] = []
    _shape_steps(problem, expr, steps, set())
    dims = declared_dims(problem, expr) or dims_of(value)
    if not steps:
        steps.append(make_step("shape", f"`{expr.pos.snippet()}` is {_describe_dims(dims)}.", check=False))
    out = tuple(sp.Integer(d) if isinstance(d, int) else d for d in dims)
    value_json = [int(d) for d in out] if all(sp.sympify(d, strict=True).is_Integer for d in out) else None
    text = "[" + ", ".join(str(d) for d in out) + "]"
    return Derived(make_answer(out, text=text, value=value_json, tex=latex(out)), tuple(steps))


def _describe_dims(dims: tuple) -> str:
    if not dims:
        return "a scalar"
    if len(dims) == 1:
        return f"a vector of length {dims[0]}"
    if len(dims) == 2:
        return f"a {dims[0]}×{dims[1]} matrix"
    return f"a tensor of shape {show_dims(dims)}"
