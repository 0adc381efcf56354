"""The layer object every family builds on: its trainable tensors, shape rule and call.

In: a layer kind (`"Conv1d"`), its checked constructor `Args` and position.  Out: a `Layer`
whose `params()` lists its trainable tensors (`ParamInfo`: name, shape, count formula in
the hyperparameter symbols), `count_formula()` the formula of its whole count (the sum of
its tensors' unless the family groups them, e.g. one LSTM layer as 4·(h·i + h·h + 2h)),
`apply(dims, node)` the output shape(s) of an input shape (with one `ShapeLine` sentence
per dimension), and `call(ev, node)` the value of `layer(x)` in a spec.

Outputs: one tensor's shape is a tuple of sizes; a layer with several outputs (an LSTM's
(output, (h_n, c_n))) gives `Outputs`: names and items, each a shape or an `Outputs`.
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from ... import ast
from ...errors import Pos, SpecError, quoted
from ...model.expressions import Evaluator, Seq, is_tensor, scalarize
from ...model.problem import Problem, TensorShape
from ...notation import mathml_script, pretty_script
from ...sentence import Sentence, join, say
from .args import Args, _show
from .values import declared_dims, dims_of, label, shape_only, show_dims
from ...records import record

Sym = sp.Symbol      # formula symbols (n_in, k, ...); not sympy's S, which sympifies


@record
class ParamInfo:
    """One trainable tensor of a layer: name (`weight`, `bias`), shape, count formula."""

    name: str
    dims: tuple[int, ...]
    formula: Any           # sympy expression in the hyperparameter symbols
    where: tuple[tuple[Any, Any], ...]


@record
class ShapeLine:
    """How one output dimension comes about: a sentence, with a checked chain if any."""

    text: Sentence
    chain: tuple = ()
    where: tuple = ()


@record
class Outputs:
    """The several outputs of one layer call, by name (`output`, `h_n`), in PyTorch's order."""

    names: tuple[str, ...]
    items: tuple[Any, ...]       # each a tuple of sizes or an Outputs

    def dims(self) -> list:
        return [x.dims() if isinstance(x, Outputs) else tuple(x) for x in self.items]


class CountSymbol(sp.Symbol):
    """n_{NAME}: the number of trainable entries of NAME (printed n_{W_{Q1}}, not n_{W,Q1})."""

    def _latex(self, printer) -> str:
        if self.name.startswith("n_"):
            return r"n_{%s}" % printer._print(sp.Symbol(self.name[2:]))
        return printer._print(sp.Symbol(self.name))

    def _pretty(self, printer) -> Any:
        if self.name.startswith("n_"):
            return pretty_script("n", printer._print(sp.Symbol(self.name[2:])))
        return printer._print(sp.Symbol(self.name))

    def _mathml_presentation(self, printer) -> Any:
        if self.name.startswith("n_"):
            return mathml_script(printer, "n", printer._print(sp.Symbol(self.name[2:])))
        return printer._print(sp.Symbol(self.name))


def count_symbol(owner: str) -> CountSymbol:
    return CountSymbol(f"n_{owner}")


def eq(a: Any, b: Any) -> bool:
    """Whether two sizes are equal (numbers, or symbolic sizes that simplify to the same)."""
    return a == b or sp.simplify(sp.sympify(a, strict=True) - sp.sympify(b, strict=True)) == 0


class Layer:
    """A layer object (see the module docstring); subclasses implement the family rules."""

    ranks: tuple[int, ...] = ()        # accepted input ranks (empty: any)
    nd = 1                             # spatial dimensions (convolutions and pools)
    spatial_names: tuple[str, ...] = ("L",)
    n_inputs: tuple[int, int] = (1, 1)

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

    def count_formula(self, infos: list[ParamInfo]) -> tuple[Any, dict]:
        """The formula of the layer's count (of the tensors `infos`) and its symbols' values."""
        formula = sp.Add(*[i.formula for i in infos], evaluate=False) if len(infos) > 1 else infos[0].formula
        return formula, dict(w for i in infos for w in i.where)

    def describe(self) -> str:
        shown = []
        for k, v in self.args.raw.items():
            if k not in ("weight",) and not is_tensor(v):
                shown.append(f"{k}={_show(v)}")
            elif is_tensor(v):
                shown.append(f"{k}={self.args.nodes[k].pos.snippet()}")
        return f"{self.kind}({', '.join(shown)})"

    def who(self) -> str:
        """How error messages name the layer: `fc` (Linear)."""
        return f"{quoted(self.name or self.kind)} ({self.kind})"

    # -- application
    def out_dims(self, dims: tuple, node: ast.Expr) -> tuple[tuple, list[ShapeLine]]:
        raise NotImplementedError

    def apply(self, dims: list[tuple], node: ast.Call) -> tuple[Any, list[ShapeLine]]:
        """The output shape (or `Outputs`) for the inputs' shapes `dims`, with the lines
        that explain it.  One input by default."""
        return self.out_dims(dims[0], node)

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
            raise SpecError(f"{self.who()} expects a {want} input, but "
                            f"{label(x, node)} has shape {show_dims(dims)}", node.pos)
        return dims

    def _inputs(self, ev: Evaluator, node: ast.Call, name: str) -> list:
        if node.kwargs:
            raise SpecError(f"a layer is called with its inputs only, as in `{name}(x)`", node.kwargs[0].pos)
        lo, hi = self.n_inputs
        if not lo <= len(node.args) <= hi:
            want = "one input" if hi == 1 else f"{lo} inputs" if lo == hi else f"{lo} to {hi} inputs"
            raise SpecError(f"`{name}` takes {want}, got {len(node.args)}", node.pos)
        xs = [ev.eval(a) for a in node.args]
        for x, a in zip(xs, node.args):
            if not (is_tensor(x) or isinstance(x, (TensorShape, Seq))):
                raise SpecError(f"`{name}` needs a tensor input, not {_show(scalarize(x))}", a.pos)
        return xs

    def call(self, ev: Evaluator, node: ast.Call) -> Any:
        """The value of `layer(x, ...)`: explicit values where known, else shape-only."""
        name = node.name or self.kind
        if not self.name:
            self.name = name
        xs = self._inputs(ev, node, name)
        dims = [self.checked_dims(x, a, ev.problem) for x, a in zip(xs, node.args)]
        out, _ = self.apply(dims, node)
        if isinstance(out, Outputs):
            return _outputs_value(name, xs[0], out, node.args[0])
        vals = self.values(xs[0], dims[0], node)
        if vals is not None:
            return vals
        return shape_only(name, xs[0], out, node.args[0], self)


def _outputs_value(name: str, x: Any, out: Outputs, node: ast.Expr) -> Seq:
    """The shape-only values of a layer's several outputs, as a (nested) list."""
    items = []
    for nm, item in zip(out.names, out.items):
        if isinstance(item, Outputs):
            items.append(_outputs_value(f"{name}.{nm}", x, item, node))
        else:
            items.append(TensorShape(f"{name}({label(x, node)}).{nm}", tuple(item)))
    return Seq(items)


def mismatch(layer: Layer, what: str, want: Any, got: Any, dims: tuple, node: ast.Expr) -> SpecError:
    return SpecError(f"{layer.who()} expects {what} {want}, but its input "
                     f"has shape {show_dims(dims)} ({what} {got})", node.pos)


def passes_through(lead: tuple) -> Sentence:
    """'the leading dimension(s) a, b pass(es) through'."""
    many = len(lead) > 1
    return say(f"the leading dimension{'s' if many else ''} ", join([sp.sympify(d, strict=True) for d in lead]),
               f" pass{'' if many else 'es'} through")
