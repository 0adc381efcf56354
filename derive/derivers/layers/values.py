"""Shape-only values of layer outputs and the PyTorch shape of any value.

In: values of the model (explicit matrices, tensor symbols, `TensorShape`s of shape-only
inputs, layer outputs).  Out: `LayerApply` (a layer's output whose entries are unknown, a
sympy matrix expression, for 1-D and 2-D outputs), `dims_of` (PyTorch's shape of a value),
`shape_only` (the output value of a layer call whose values are unknown).

Conventions: a vector is a column, so an n×1 tensor is the 1-D tensor (n,) unless the
layer needs at least two dimensions (then it is (n, 1)).
"""
from __future__ import annotations

from typing import Any

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixExpr

from ... import ast
from ...errors import SpecError, Unsupported
from ...model.expressions import Seq, is_tensor
from ...model.problem import Problem, TensorShape
from ...notation import mathml_call, pretty_call


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
        return r"\operatorname{%s}\left(%s\right)" % (printer._print(sp.Symbol(self.layer_name)), printer._print(self.args[1]))

    def _pretty(self, printer) -> Any:
        return pretty_call(printer, printer._print(sp.Symbol(self.layer_name)), self.args[1])

    def _mathml_presentation(self, printer) -> Any:
        return mathml_call(printer, printer._print(sp.Symbol(self.layer_name)), self.args[1])

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
    if isinstance(value, Seq) and value.dims is not None:       # a layer's output knows its shape
        return value.dims
    if isinstance(value, Seq):             # [X1, X2]: the tensor stacking them, when they agree
        inner = {dims_of(v, max(1, min_rank - 1)) for v in value}
        if len(inner) != 1:
            raise SpecError("the tensors of a list have different shapes, so the list has no single shape: "
                            + ", ".join(show_dims(dims_of(v, max(1, min_rank - 1))) for v in value))
        return (len(value),) + inner.pop()
    return ()


def declared_dims(problem: Problem, node: ast.Expr) -> tuple | None:
    """The shape a shape-only input was declared with (`input x : (10, 1)` is 2-D)."""
    if isinstance(node, ast.Name) and problem.has(node.id):
        return problem.names[node.id].dims
    return None


def show_dims(dims: tuple) -> str:
    return "(" + ", ".join(str(d) for d in dims) + ("," if len(dims) == 1 else "") + ")"


def label(value: Any, node: ast.Expr) -> str:
    """The name a shape-only value is shown by: its own, or the input's source text."""
    if isinstance(value, TensorShape):
        return value.name
    return node.pos.snippet() or "input"


def shape_only(name: str, x: Any, out: tuple, node: ast.Expr, layer: Any = None) -> Any:
    """The value of `name(x)` when only its shape `out` is known."""
    if len(out) in (1, 2):
        arg = x if isinstance(x, sp.Basic) else sp.Symbol(label(x, node))
        return LayerApply(LayerRef(name, layer), arg, out)
    return TensorShape(f"{name}({label(x, node)})", tuple(out))


def nested_dims(value: Any) -> Any:
    """dims_of through the nested outputs of a layer with several (an LSTM's
    (output, (h_n, c_n))): a tuple of dims for a tensor, a list of such for a Seq."""
    if isinstance(value, Seq) and value.dims is None:
        return [nested_dims(v) for v in value]
    return dims_of(value)
