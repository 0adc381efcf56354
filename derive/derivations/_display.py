"""Display helpers shared by the classical derivations: shown as written, checked as maths.

`Group(x)` prints x in brackets and evaluates to x (`doit`), so a chain can show
(√3 p₁²p₂)(√3 q₁²q₂) and still be checked.  `times`/`plus`/`minus` build unevaluated
products and sums in the order given.  Notation objects, each printed by every printer
from its sympy arguments (never from a LaTeX string): `SumOver(body, i)` (Σ_i body, no
limits), `SumFromTo(body, i, lo, hi)` (nested sums stay nested), `SetOf(z, condition)`,
`Reals(d)` (ℝ^d), `extremum("min", body, i)` and `Minimize(objective, variables,
constraints, i, N)` (an optimisation problem as written).  A value shown under a name is
`derive.notation.Named(display, value)`.  The terminal and MathML printers print a derive
class without a `_mathml_presentation` from its `_latex` (derive.pretty, derive.mathml),
so `_latex` is all these need.

`named(tex, value)` (a LaTeX string as the name) is retiring: derive.derivers.kernels
still uses it.
"""
from __future__ import annotations

from typing import Any, Sequence

import sympy as sp
from sympy.core.symbol import Str


class Group(sp.Function):
    """(x): shown in brackets, `doit` gives x."""

    nargs = 1
    value_arg = 0          # (derive.fasteval evaluates the wrapper as this argument)

    def doit(self, **hints: Any) -> Any:
        arg = self.args[0]
        return arg.doit(**hints) if hints.get("deep", True) else arg

    def _latex(self, printer: Any) -> str:
        return r"\left(%s\right)" % printer._print(self.args[0])

    def _sympystr(self, printer: Any) -> str:
        return "(%s)" % printer._print(self.args[0])


class Named(sp.Function):
    """A value shown under a LaTeX name: Named(Str(tex), value); `doit` gives the value.

    The name is a `Str`, not a Symbol, so it is no free symbol and never substituted."""

    nargs = 2
    value_arg = 1

    def doit(self, **hints: Any) -> Any:
        return self.args[1].doit(**hints)

    def _latex(self, printer: Any) -> str:
        return self.args[0].name

    def _sympystr(self, printer: Any) -> str:
        return printer._print(self.args[1])


def named(tex: str, value: Any) -> Named:
    return Named(Str(tex), value)


def times(*factors: Any) -> Any:
    """A product shown in the given order, dropping factors equal to 1."""
    fs = [f for f in factors if not (isinstance(f, sp.Basic) and f == 1) and f != 1]
    if not fs:
        return sp.Integer(1)
    return fs[0] if len(fs) == 1 else sp.Mul(*fs, evaluate=False)


def plus(terms: Sequence[Any]) -> Any:
    """A sum shown in the given order."""
    terms = list(terms)
    if not terms:
        return sp.Integer(0)
    return terms[0] if len(terms) == 1 else sp.Add(*terms, evaluate=False)


def group(x: Any) -> Any:
    """x in brackets unless it is a single symbol or number."""
    if isinstance(x, (sp.Symbol, sp.Number)) or (isinstance(x, sp.Pow) and isinstance(x.base, sp.Symbol)):
        return x
    return Group(x)


def minus(a: Any, b: Any) -> Any:
    """a − b shown in that order."""
    return sp.Add(a, sp.Mul(-1, b, evaluate=False), evaluate=False)


class SumOver(sp.Function):
    """Σ_i body: a sum over an index named without limits (Σ_c TP_c), as written; not evaluated.

    Wrap it in `derive.notation.Named` to give it a value."""

    nargs = 2

    def _latex(self, printer: Any) -> str:
        return r"\sum_{%s} %s" % (printer._print(self.args[1]), printer._print(self.args[0]))

    def _pretty(self, printer: Any) -> Any:
        from sympy.printing.pretty.stringpict import prettyForm
        index = printer._print(self.args[1])
        return prettyForm(*printer._print(self.args[0]).left("Σ_%s " % index))

    def _mathml_presentation(self, printer: Any) -> Any:
        dom = printer.dom
        under, op, row = dom.createElement("munder"), dom.createElement("mo"), dom.createElement("mrow")
        op.appendChild(dom.createTextNode("∑"))
        under.appendChild(op)
        under.appendChild(printer._print(self.args[1]))
        row.appendChild(under)
        row.appendChild(printer._print(self.args[0]))
        return row

    def _sympystr(self, printer: Any) -> str:
        return "Sum_%s(%s)" % (printer._print(self.args[1]), printer._print(self.args[0]))


class SetOf(sp.Basic):
    """{var : condition}, a set written by its condition (the hyperplane {z : wᵀz + b = 0}); not evaluated."""

    def _latex(self, printer: Any) -> str:
        return r"\left\{%s : %s\right\}" % (printer._print(self.args[0]), printer._print(self.args[1]))

    def _sympystr(self, printer: Any) -> str:
        return "{%s : %s}" % (printer._print(self.args[0]), printer._print(self.args[1]))


class Reals(sp.Basic):
    """ℝ^d, ℝ^{N×D} (the space of real vectors or matrices of the given sizes); ℝ with none."""

    def _latex(self, printer: Any) -> str:
        dims = r" \times ".join(printer._print(d) for d in self.args)
        return r"\mathbb{R}" + (r"^{%s}" % dims if dims else "")

    def _sympystr(self, printer: Any) -> str:
        dims = "×".join(printer._print(d) for d in self.args)
        return "R" + (f"^({dims})" if dims else "")


class Extremum(sp.Basic):
    """min_i body or max_i body as written (args: Str("min"/"max"), body, index); not evaluated."""

    def _latex(self, printer: Any) -> str:
        return r"\%s_{%s} %s" % (self.args[0].name, printer._print(self.args[2]), printer._print(self.args[1]))

    def _sympystr(self, printer: Any) -> str:
        return "%s_%s %s" % (self.args[0].name, printer._print(self.args[2]), printer._print(self.args[1]))


def extremum(kind: str, body: Any, index: Any) -> Extremum:
    return Extremum(Str(kind), body, index)


class Minimize(sp.Basic):
    """min over `variables` of `objective` subject to `constraints`, for i = 1, …, N (args:
    objective, Tuple(variables), Tuple(constraints), index, N); an optimisation problem as
    written, never evaluated or checked."""

    def _latex(self, printer: Any) -> str:
        obj, vs, cons, i, n = self.args
        out = r"\min_{%s} \ %s" % (r",\, ".join(printer._print(v) for v in vs), printer._print(obj))
        if cons:
            out += r" \quad \text{subject to} \quad " + r", \quad ".join(printer._print(c) for c in cons)
            out += r", \quad %s = 1, \dots, %s" % (printer._print(i), printer._print(n))
        return out

    def _sympystr(self, printer: Any) -> str:
        obj, vs, cons, i, n = self.args
        out = "minimize_(%s) %s" % (", ".join(printer._print(v) for v in vs), printer._print(obj))
        if cons:
            out += " subject to " + ", ".join(printer._print(c) for c in cons)
            out += ", %s = 1..%s" % (printer._print(i), printer._print(n))
        return out


class SumFromTo(sp.Basic):
    """Σ_{i=lo}^{hi} body as written (args: body, index, lo, hi); nested ones stay nested
    (Σ_i Σ_j, not one sum over a set of pairs).  Wrap it in `derive.notation.Named` for a value."""

    def _latex(self, printer: Any) -> str:
        body, i, lo, hi = (printer._print(a) for a in self.args)
        return r"\sum_{%s=%s}^{%s} %s" % (i, lo, hi, body)

    def _sympystr(self, printer: Any) -> str:
        body, i, lo, hi = (printer._print(a) for a in self.args)
        return "Sum(%s, (%s, %s, %s))" % (body, i, lo, hi)
