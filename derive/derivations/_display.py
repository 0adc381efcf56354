"""Display helpers shared by the classical derivations: shown as written, checked as maths.

`Group(x)` prints x in brackets and evaluates to x (`doit`), so a chain can show
(√3 p₁²p₂)(√3 q₁²q₂) and still be checked.  `Named(tex, value)` prints a LaTeX name for a
value (K_{ij}, φ(x_i)ᵀφ(x_j)) and evaluates to the value.  `times`/`plus` build
unevaluated products and sums in the order given.
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


class Tex(sp.Basic):
    """A formula given as LaTeX (an optimisation problem, a set): shown as is, never checked."""

    def __new__(cls, tex: str) -> "Tex":
        return super().__new__(cls, Str(tex))

    @property
    def tex(self) -> str:
        return self.args[0].name

    def _latex(self, printer: Any) -> str:
        return self.tex

    def _sympystr(self, printer: Any) -> str:
        return self.tex


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
