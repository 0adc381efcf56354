"""The goals `params(...)` and `shapes(params())`: trainable tensors counted and listed.

In: a Problem and the goal call (`params(net)` counts what `net` uses; `params()` every
`param` and `layer` of the problem).  Out: a Derived with one checked step per layer (its
count formula, the numbers substituted, the count) or param, a table of the layers, and
the total; `shapes` gives the name -> shape of every trainable tensor (PyTorch's names,
`fc1.weight`, `lstm.weight_ih_l0`).
"""
from __future__ import annotations

from typing import Any

import sympy as sp
from sympy.printing.pretty.stringpict import prettyForm

from ... import ast, unevaluated
from ...errors import InternalError, SpecError
from ...model.expressions import is_tensor
from ...model.problem import Binding, Problem
from ...notation import mathml_el, pretty_join
from ...sentence import Code, Math, say
from ...steps import Step, Table, make_step
from ..registry import Derived, make_answer
from .base import Layer, Sym, count_symbol
from .network import Found, collect
from .values import show_dims
from ...records import record


def entries(dims: tuple) -> Any:
    return sp.Mul(*[sp.Integer(d) for d in dims]) if dims else sp.Integer(1)


def param_dims(b: Binding) -> tuple:
    v = b.value
    if is_tensor(v):
        r, c = v.shape
        return (r,) if c == 1 else (r, c)
    return ()


def describe_dims(dims: tuple) -> str:
    if not dims:
        return "a scalar"
    if len(dims) == 1:
        return f"a vector of length {dims[0]}"
    if len(dims) == 2:
        return f"a {dims[0]}×{dims[1]} matrix"
    return f"a tensor of shape {show_dims(dims)}"


@record
class Counted:
    """One row of the parameter table."""

    owner: str                  # binding name
    label: str                  # "fc1.weight" / "W1"
    dims: tuple
    count: Any
    step: Step | None


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _layer_rows(b: Binding, named_params: set[str]) -> tuple[list[Counted], Step | None, tuple]:
    layer: Layer = b.value
    infos = layer.params()
    given = {k for k in ("weight", "bias") if isinstance(layer.args.nodes.get(k), ast.Name)
             and layer.args.nodes[k].id in named_params}
    infos = [i for i in infos if i.name not in given]
    code = Code(f"{b.name} = {layer.describe()}")
    if not infos:
        note = " (its parameters are the named tensors counted separately)" if given else ""
        return [Counted(b.name, b.name, (), sp.Integer(0), None)], make_step(
            "count_params", say(code, f" has no trainable parameters{note}."), check=False), \
            (b.name, layer.describe(), "none", "", sp.Integer(0))
    formula, where = layer.count_formula(infos)
    num = {k: sp.Integer(v) for k, v in where.items()}
    shown = unevaluated.xreplace(formula, num)
    total = formula.xreplace(num).doit()
    if total != sum(entries(i.dims) for i in infos):      # the formula must count the tensors listed
        raise InternalError(f"the count formula of {layer.kind} gives {total}, its tensors "
                            f"{sum(entries(i.dims) for i in infos)}")
    cnt = count_symbol(b.name)
    parts = _listed([f"{i.name} of shape {show_dims(i.dims)}" for i in infos]) if len(infos) <= 4 else \
        f"{len(infos)} trainable tensors (listed in the table below)"
    step = make_step("count_params", say(code, f" has {parts}:"), cnt, formula, shown, total, where={**num, cnt: total})
    rows = [Counted(b.name, f"{b.name}.{i.name}", i.dims, entries(i.dims), None) for i in infos]
    tensors = ", ".join(f"{i.name} {show_dims(i.dims)}" for i in infos)
    return rows, step, (b.name, layer.describe(), tensors, formula, total)


def _param_rows(b: Binding) -> tuple[Counted, Step, tuple]:
    dims = param_dims(b)
    n = entries(dims)
    if not n.is_Integer:
        raise SpecError(f"`{b.name}` has a symbolic size {show_dims(dims)}; its entries cannot be counted "
                        "as a number", b.pos)
    cnt = count_symbol(b.name)
    text = say(Math(sp.Symbol(b.name)), f" is {describe_dims(dims)}:")
    if len(dims) > 1:
        prod = unevaluated.mul(*[sp.Integer(d) for d in dims])
        step = make_step("count_params", text, cnt, prod, n, where={cnt: n})
    else:
        prod = n
        step = make_step("count_params", text, cnt, n, where={cnt: n})
    return Counted(b.name, b.name, dims, n, None), step, (b.name, "param", show_dims(dims) if dims else "scalar",
                                                          prod, n)


def _items(problem: Problem, call: ast.Call, what: str) -> list[Binding]:
    if call.kwargs:
        raise SpecError(f"`{what}` takes no keyword arguments", call.kwargs[0].pos)
    if call.args:
        found = Found()
        for a in call.args:
            collect(problem, a, found)
        if not found.items:
            raise SpecError(f"`{call.args[0].pos.snippet()}` uses no layer and no `param`, so it has no "
                            "trainable parameters to count", call.args[0].pos)
        return found.items
    items = [b for b in problem.names.values() if b.kind in ("param", "layer")]
    if not items:
        raise SpecError("this problem declares no `param` and no `layer`", call.pos)
    return items


def count_params(problem: Problem, call: ast.Call, what: str = "params") \
        -> tuple[list[Counted], list[Step], list[tuple]]:
    """Rows (one per trainable tensor), the steps counting them and one table row per layer
    or param (name, what it is, its tensors, the count formula, the count), for `params(...)`."""
    items = _items(problem, call, what)
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
        else:
            one, st, trow = _param_rows(b)
            rows.append(one)
        steps.append(st)
        table.append(trow)
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
        steps.append(make_step("sum_params", say("Add up the trainable tensors:"), n_sym, by_name, summed, total,
                               where={n_sym: total, **{count_symbol(o): sp.Integer(v) for o, v in owners.items()}},
                               table=table))
    else:
        steps.append(make_step("sum_params", say("In total:"), n_sym, total, where={n_sym: total}, table=table))
    return Derived(make_answer(sp.Integer(total)), tuple(steps))


class TensorName(sp.Symbol):
    """A trainable tensor's name, `fc1.weight`: the owner as a spec name, the rest as text."""

    def _latex(self, printer) -> str:
        if "." in self.name:
            owner, what = self.name.split(".", 1)
            return r"%s.\text{%s}" % (printer._print(sp.Symbol(owner)), what)
        return printer._print(sp.Symbol(self.name))

    def _pretty(self, printer) -> Any:
        if "." in self.name:
            owner, what = self.name.split(".", 1)
            return pretty_join(printer._print(sp.Symbol(owner)), "." + what)
        return printer._print(sp.Symbol(self.name))

    def _mathml_presentation(self, printer) -> Any:
        if "." in self.name:
            owner, what = self.name.split(".", 1)
            return mathml_el(printer, "mrow", printer._print(sp.Symbol(owner)), mathml_el(printer, "mtext", text="." + what))
        return printer._print(sp.Symbol(self.name))


class ShapeList(sp.Basic):
    """name -> shape rows, shown as a two-column array (the answer of `shapes`)."""

    def _latex(self, printer) -> str:
        rows = [r"%s & %s" % (printer._print(name), printer._print(dims)) for name, dims in self.args]
        return r"\begin{array}{ll}" + r" \\ ".join(rows) + r"\end{array}"

    def _pretty(self, printer) -> Any:
        cells = [(printer._print(name), printer._print(dims)) for name, dims in self.args]
        width = max((c[0].width() for c in cells), default=0)
        rows = [pretty_join(n, " " * (width - n.width() + 2), d) for n, d in cells]
        return prettyForm(*rows[0].below(*rows[1:])) if rows else prettyForm("")

    def _mathml_presentation(self, printer) -> Any:
        rows = [mathml_el(printer, "mtr", *(mathml_el(printer, "mtd", printer._print(x)) for x in row))
                for row in self.args]
        table = mathml_el(printer, "mtable", *rows)
        table.setAttribute("columnalign", "left")
        return table

    def _sympystr(self, printer) -> str:
        return "{" + ", ".join(f"{name}: {list(dims)}" for name, dims in self.args) + "}"


def shapes(problem: Problem, call: ast.Call) -> Derived:
    inner = call
    if len(call.args) == 1 and isinstance(call.args[0], ast.Call) and call.args[0].name == "params" \
            and not problem.has("params"):
        inner = call.args[0]
    rows, steps, _ = count_params(problem, inner, "shapes")
    rows = [r for r in rows if r.dims or r.count]
    out = {r.label: [int(d) if sp.sympify(d, strict=True).is_Integer else d for d in r.dims] for r in rows}
    table = Table(("tensor", "shape"), tuple((TensorName(r.label), show_dims(r.dims) if r.dims else "scalar")
                                             for r in rows))
    steps = [make_step("shapes", say("The shape of each trainable tensor:"), table=table, check=False)]
    value = {k: list(v) for k, v in out.items()}
    value = None if any(not all(isinstance(d, int) for d in v) for v in out.values()) else value
    text = "{" + ", ".join(f"{k!r}: {list(v)}" for k, v in out.items()) + "}"
    display = ShapeList(*[sp.Tuple(TensorName(k), sp.Tuple(*v)) for k, v in out.items()])
    return Derived(make_answer(out, text=text, value=value, display=display), tuple(steps))
