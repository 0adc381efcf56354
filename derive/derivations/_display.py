"""Display helpers shared by the classical derivations: shown as written, checked as maths.

`Group(x)` prints x in brackets and evaluates to x (`doit`), so a chain can show
(√3 p₁²p₂)(√3 q₁²q₂) and still be checked.  `times`/`plus`/`minus` build unevaluated
products and sums in the order given.  Notation objects, each printed by every printer
from its sympy arguments (never from a LaTeX string): `SumOver(body, i)` (Σ_i body, no
limits), `SumFromTo(body, i, lo, hi)` (nested sums stay nested), `SetOf(z, condition)`,
`Reals(d)` (ℝ^d), `extremum("min", body, i)` and `Minimize(objective, variables,
constraints, i, N)` (an optimisation problem as written).  A value shown under a name is
`derive.notation.Named(display, value)`.  Each class has `_latex`, `_pretty` and
`_mathml_presentation`: every printer prints it natively, its arguments in its own format.
"""
from __future__ import annotations

from typing import Any, Sequence

import sympy as sp
from sympy.core.symbol import Str
from sympy.printing.pretty.stringpict import prettyForm

from ..notation import (mathml_el, mathml_fenced, mathml_infix, mathml_script, pretty_infix, pretty_join,
                        pretty_script)


class Group(sp.Function):
    """(x): shown in brackets, `doit` gives x."""

    nargs = 1
    value_arg = 0          # (derive.fasteval evaluates the wrapper as this argument)

    def doit(self, **hints: Any) -> Any:
        arg = self.args[0]
        return arg.doit(**hints) if hints.get("deep", True) else arg

    def _latex(self, printer: Any) -> str:
        return r"\left(%s\right)" % printer._print(self.args[0])

    def _pretty(self, printer: Any) -> prettyForm:
        return prettyForm(*printer._print(self.args[0]).parens())

    def _mathml_presentation(self, printer: Any) -> Any:
        return mathml_fenced(printer, printer._print(self.args[0]))

    def _sympystr(self, printer: Any) -> str:
        return "(%s)" % printer._print(self.args[0])


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

    def _pretty(self, printer: Any) -> prettyForm:
        inner = pretty_join(printer._print(self.args[0]), " : ", printer._print(self.args[1]))
        return prettyForm(*inner.parens("{", "}"))

    def _mathml_presentation(self, printer: Any) -> Any:
        return mathml_fenced(printer, *(printer._print(a) for a in self.args), left="{", right="}", sep=":")

    def _sympystr(self, printer: Any) -> str:
        return "{%s : %s}" % (printer._print(self.args[0]), printer._print(self.args[1]))


class Reals(sp.Basic):
    """ℝ^d, ℝ^{N×D} (the space of real vectors or matrices of the given sizes); ℝ with none."""

    def _latex(self, printer: Any) -> str:
        dims = r" \times ".join(printer._print(d) for d in self.args)
        return r"\mathbb{R}" + (r"^{%s}" % dims if dims else "")

    def _pretty(self, printer: Any) -> prettyForm:
        if not self.args:
            return prettyForm("ℝ")
        return pretty_script("ℝ", pretty_infix(printer, "×", *self.args), "^")

    def _mathml_presentation(self, printer: Any) -> Any:
        return mathml_script(printer, "ℝ", sup=mathml_infix(printer, "×", *self.args) if self.args else None)

    def _sympystr(self, printer: Any) -> str:
        dims = "×".join(printer._print(d) for d in self.args)
        return "R" + (f"^({dims})" if dims else "")


class Extremum(sp.Basic):
    """min_i body or max_i body as written (args: Str("min"/"max"), body, index); not evaluated."""

    def _latex(self, printer: Any) -> str:
        return r"\%s_{%s} %s" % (self.args[0].name, printer._print(self.args[2]), printer._print(self.args[1]))

    def _pretty(self, printer: Any) -> prettyForm:
        head = pretty_script(self.args[0].name, printer._print(self.args[2]))
        return pretty_join(head, " ", printer._print(self.args[1]))

    def _mathml_presentation(self, printer: Any) -> Any:
        head = mathml_el(printer, "munder", mathml_el(printer, "mi", text=self.args[0].name),
                         printer._print(self.args[2]))
        return mathml_el(printer, "mrow", head, printer._print(self.args[1]))

    def _sympystr(self, printer: Any) -> str:
        return "%s_%s %s" % (self.args[0].name, printer._print(self.args[2]), printer._print(self.args[1]))


def extremum(kind: str, body: Any, index: Any) -> Extremum:
    return Extremum(Str(kind), body, index)


class Minimize(sp.Basic):
    """min over `variables` of `objective` subject to `constraints`, for i = 1, …, N (args:
    objective, Tuple(variables), Tuple(constraints), index, N); an optimisation problem as
    written, never evaluated or checked."""

    def _latex(self, printer: Any) -> str:
        return r" \quad ".join(self.lines_latex(printer))

    def lines_latex(self, printer: Any) -> list[str]:
        """The objective, then its constraints: the two lines a display too wide for one
        puts them on (the textbook layout of an optimisation problem)."""
        obj, vs, cons, i, n = self.args
        out = [r"\min_{%s} \ %s" % (r",\, ".join(printer._print(v) for v in vs), printer._print(obj))]
        if cons:
            out.append(r"\text{subject to} \quad " + r", \quad ".join(printer._print(c) for c in cons)
                       + r", \quad %s = 1, \dots, %s" % (printer._print(i), printer._print(n)))
        return out

    def _pretty(self, printer: Any) -> prettyForm:
        obj, vs, cons, i, n = self.args
        head = pretty_script("min", pretty_infix(printer, ", ", *vs))
        parts: list = [head, " ", printer._print(obj)]
        if cons:
            parts.append(" subject to ")
            parts += [pretty_infix(printer, ", ", *cons), ", ", printer._print(i), " = 1, …, ", printer._print(n)]
        return pretty_join(*parts)

    def _mathml_presentation(self, printer: Any) -> Any:
        obj, vs, cons, i, n = self.args
        under = mathml_fenced(printer, *(printer._print(v) for v in vs), left="", right="")
        parts = [mathml_el(printer, "munder", mathml_el(printer, "mi", text="min"), under), printer._print(obj)]
        if cons:
            parts.append(mathml_el(printer, "mtext", text="\u2003subject to\u2003"))
            parts.append(mathml_fenced(printer, *(printer._print(c) for c in cons), left="", right=""))
            parts += [mathml_el(printer, "mo", text=","), printer._print(i), mathml_el(printer, "mo", text="="),
                      mathml_el(printer, "mn", text="1"), mathml_el(printer, "mo", text=","),
                      mathml_el(printer, "mi", text="…"), mathml_el(printer, "mo", text=","), printer._print(n)]
        return mathml_el(printer, "mrow", *parts)

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

    def _pretty(self, printer: Any) -> prettyForm:
        body, i, lo, hi = (printer._print(a) for a in self.args)
        sign = pretty_script(pretty_script("∑", pretty_join(i, "=", lo)), hi, "^")
        return pretty_join(sign, " ", body)

    def _mathml_presentation(self, printer: Any) -> Any:
        body, i, lo, hi = (printer._print(a) for a in self.args)
        under = mathml_el(printer, "mrow", i, mathml_el(printer, "mo", text="="), lo)
        return mathml_el(printer, "mrow", mathml_script(printer, "∑", under, hi, under=True), body)

    def _sympystr(self, printer: Any) -> str:
        body, i, lo, hi = (printer._print(a) for a in self.args)
        return "Sum(%s, (%s, %s, %s))" % (body, i, lo, hi)
