"""The values a spec's expressions evaluate to, besides sympy numbers and matrices: spec
strings, lists of tensors (`Seq`), lists of words, lambdas, and what is known about them
(shape, kind, scalar or not), with the size checks of explicit tensors (the sizes are the run's `Limits`).

In: sympy objects and derive's value types.  Out: shapes, kinds, checks (SpecError or
LimitError at the expression)."""
from __future__ import annotations

import math
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Protocol, Union, runtime_checkable

import sympy as sp
from sympy.core.sympify import CantSympify
from sympy.matrices.expressions.matexpr import MatrixExpr

from .. import ast
from ..errors import LimitError, SpecError
from ..limits import current
from .functions import explicit, is_tensor
from ..records import record

if TYPE_CHECKING:
    from .expressions import Evaluator
    from .problem import UserFunction

# The size limits (entries of a tensor, of a matrix product, bits of a number, exponents)
# are fields of the run's `derive.limits.Limits`, read with `current()` where they apply.


def _holds_strings(node: ast.ListLit) -> bool:
    """Whether a list literal (or its first row) has a string literal among its entries."""
    items = node.items[0].items if isinstance(node.items[0], ast.ListLit) else node.items
    return any(isinstance(i, ast.Str) for i in items)


class SpecString(str, CantSympify):
    """A string value of a spec (`let s = "..."`).  sympy refuses to sympify it (CantSympify),
    so no sympy function that sympifies its argument (simplify, Matrix, nsimplify, ...)
    can ever parse a spec's string as an expression: a string that slips past a check is a
    SympifyError, never code that parse_expr runs."""

    __slots__ = ()


class Seq(tuple):
    """A list of tensors (`[x1, x2, x3]`, an attention layer's outputs).  `dims`: the PyTorch
    shape when a layer computed it (a size 1 at the end, which an n×1 matrix cannot carry,
    is kept there), else None."""

    dims: tuple | None = None

    def __repr__(self) -> str:
        return "Seq(" + ", ".join(map(str, self)) + ")"


def shaped(items, dims: tuple | None) -> Seq:
    """A Seq of `items` that knows its PyTorch shape `dims`."""
    out = Seq(items)
    if dims is not None:
        out.dims = tuple(int(n) for n in dims)
    return out


class Words(tuple):
    """A list literal holding strings: class names or categories (`["spam", "ham"]`), or a
    table of them (`[["sunny", "hot"], ["rain", "mild"]]`, a Words of equally long Words).
    Entries are SpecStrings or scalars (`["sunny", 1]`); only the classical-learning goals
    read it, every other use is an error saying what it is."""

    def __repr__(self) -> str:
        return "Words(" + ", ".join(map(str, self)) + ")"


@record
class LambdaValue:
    params: tuple[str, ...]
    body: ast.Expr
    evaluator: "Evaluator"
    locals: tuple[tuple[str, Any], ...] = ()

    def __call__(self, *args: Any) -> Any:
        if len(args) != len(self.params):
            raise SpecError(f"the lambda takes {len(self.params)} arguments, got {len(args)}", self.body.pos)
        env = dict(self.locals)
        env.update(zip(self.params, args))
        return self.evaluator.with_locals(env).eval(self.body)


class FamilyValue(Protocol):
    """A value a goal family's builtin makes (a PyTorch layer: `layer fc = Linear(...)`):
    the model carries it and knows its kind, the family reads the rest."""

    kind: str


@runtime_checkable
class Callee(Protocol):
    """A value that expressions call like a builtin: a user function, a layer."""

    def call(self, ev: "Evaluator", node: ast.Call) -> "Value": ...


# The display symbol of a name: a scalar Symbol or a MatrixSymbol of the tensor's shape.
Symbolic = Union[sp.Symbol, sp.MatrixSymbol]

# What a name of a problem can hold: sympy numbers, expressions and truth values
# (sp.Basic, which includes ImmutableMatrix and matrix expressions), explicit matrices,
# lists of tensors or words, spec strings, lambdas, user functions, shape-only tensors and
# the goal families' values (layers).
Value = Union[sp.Basic, sp.MatrixBase, Seq, Words, SpecString, LambdaValue, "TensorShape", "UserFunction",
              FamilyValue]


def shape_of(x: Any) -> tuple | None:
    """(rows, cols) of a tensor, None for a scalar."""
    if is_tensor(x):
        return tuple(x.shape)
    return None


def show_shape(x: Any) -> str:
    s = shape_of(x)
    if s is None:
        return "a scalar"
    r, c = s
    return f"a vector of length {r}" if c == 1 else f"a {r}×{c} matrix"


def kind_of(v: Any) -> str | None:
    """None if `v` is maths (a number, an expression or a tensor), else what it is in words
    ("a string", "a function", "a layer", ...), for messages that refuse it."""
    if is_tensor(v) or isinstance(v, sp.Expr) and not isinstance(v, sp.logic.boolalg.BooleanAtom):
        return None
    if isinstance(v, sp.logic.boolalg.Boolean):
        return "a truth value"
    if v is None:
        return "nothing"
    if isinstance(v, str):
        return "an empty string" if not v else "a string"
    names = {"Seq": "a list of tensors", "Words": "a list of strings", "LambdaValue": "a lambda", "UserFunction": "a function",
             "TensorShape": "a tensor known only by its shape"}
    for cls in type(v).__mro__:
        if cls.__name__ in names:
            return names[cls.__name__]
        if cls.__name__ == "Layer":
            return "a layer"
    return "not a number, an expression or a tensor"


def scalarize(x: Any) -> Any:
    """A 1×1 tensor as a scalar (explicit: its entry; expression: Trace, printed bare)."""
    if is_tensor(x) and tuple(x.shape) == (1, 1):
        if explicit(x):
            return x[0, 0]
        if isinstance(x, MatrixExpr):
            doit = x.doit() if not x.atoms(sp.MatrixSymbol) else x
            if explicit(doit):
                return doit[0, 0]
            return sp.Trace(x)
    return x


def is_scalar(x: Any) -> bool:
    # sp.Expr, not "Basic but not Boolean": a Symbol is also a Boolean in sympy.
    return isinstance(x, sp.Expr) and not is_tensor(x) or isinstance(x, (int, Fraction))


def _same(a, b) -> bool:
    return sp.simplify(sp.sympify(a, strict=True) - sp.sympify(b, strict=True)) == 0 if a != b else True


def check_entries(n: Any, m: Any, node: ast.Expr, limit: int | None = None) -> tuple[int, int]:
    """(n, m) as ints when an n×m explicit tensor is allowed (at most `limit` entries, by
    default the run's `Limits.entries`); SpecError/LimitError at `node`."""
    limit = current().entries if limit is None else limit
    for v in (n, m):
        if not (isinstance(v, sp.Integer) or isinstance(v, int)) or int(v) < 1:
            raise SpecError(f"a size must be a positive whole number, not {v}", node.pos)
    n, m = int(n), int(m)
    if n * m > limit:
        size = "×".join(str(d) if d < 10 ** 18 else count(d) for d in (n, m))
        raise LimitError(f"a {size} tensor has {count(n * m)} entries; derive computes exactly and "
                         f"refuses more than {limit:,}", node.pos)
    return n, m


def count(n: int) -> str:
    """A whole number for a message: 1,234,567, or "≈10^4400" when it is too long to
    print in full (Python refuses to print integers of more than 4,300 digits)."""
    if abs(n) < 10 ** 18:
        return f"{n:,}"
    return f"≈10^{int(math.log10(abs(n)))}"


class TensorShape:
    """A shape-only input of more than two dimensions (a batch for a layer, say)."""

    def __init__(self, name: str, dims: "tuple[sp.Expr, ...]"):
        self.name = name
        self.dims = dims

    def __repr__(self) -> str:
        return f"TensorShape({self.name}, {self.dims})"
