"""Notation of the classical-learning goals as sympy objects, printed by every printer.

* `Log(x, b)`: log_b(x) as a TA writes it (ln for base e); `doit()` is log(x)/log(b), so a
  chain that shows log₂(1/3) is checked on the number.
* `Norm2(v)`: ‖v‖², the squared Euclidean norm of an explicit vector, written as such;
  `doit()` is its value.

Each class has `_latex`, `_pretty`, `_mathml_presentation` and `_sympystr`.
"""
from __future__ import annotations

from typing import Any

import sympy as sp
from sympy.printing.pretty.stringpict import prettyForm

_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def _base_text(b: Any) -> str:
    return "" if b == sp.E else str(b)


class Log(sp.Function):
    """log_b(x), shown with its base; Log(x, E) is ln(x)."""

    nargs = 2

    def doit(self, **hints: Any) -> Any:
        x, b = (a.doit(**hints) for a in self.args)
        return sp.log(x) if b == sp.E else sp.log(x) / sp.log(b)

    def _head(self) -> str:
        b = self.args[1]
        return "ln" if b == sp.E else "log" + _base_text(b).translate(_SUB)

    def _latex(self, printer: Any) -> str:
        b = self.args[1]
        head = r"\ln" if b == sp.E else r"\log_{%s}" % printer._print(b)
        return r"%s\left(%s\right)" % (head, printer._print(self.args[0]))

    def _sympystr(self, printer: Any) -> str:
        b = self.args[1]
        if b == sp.E:
            return "log(%s)" % printer._print(self.args[0])
        return "log(%s, %s)" % (printer._print(self.args[0]), printer._print(b))

    def _pretty(self, printer: Any) -> prettyForm:
        form = prettyForm(*printer._print(self.args[0]).parens())
        return prettyForm(*form.left(self._head()))

    def _mathml_presentation(self, printer: Any) -> Any:
        dom = printer.dom
        b = self.args[1]
        name = dom.createElement("mi")
        name.appendChild(dom.createTextNode("ln" if b == sp.E else "log"))
        head = name
        if b != sp.E:
            head = dom.createElement("msub")
            head.appendChild(name)
            head.appendChild(printer._print(b))
        row = dom.createElement("mrow")
        row.appendChild(head)
        for text, child in (("(", None), (None, self.args[0]), (")", None)):
            if child is not None:
                row.appendChild(printer._print(child))
                continue
            el = dom.createElement("mo")
            el.appendChild(dom.createTextNode(text))
            row.appendChild(el)
        return row


class Norm2(sp.Function):
    """‖v‖² of an explicit vector v (shown as written, `doit` gives the number)."""

    nargs = 1

    def doit(self, **hints: Any) -> Any:
        v = self.args[0].doit(**hints)
        return sp.Add(*[e ** 2 for e in v]) if isinstance(v, sp.MatrixBase) else v ** 2

    def _latex(self, printer: Any) -> str:
        return r"\left\Vert %s\right\Vert^{2}" % printer._print(self.args[0])

    def _sympystr(self, printer: Any) -> str:
        return "norm(%s)^2" % printer._print(self.args[0])

    def _pretty(self, printer: Any) -> prettyForm:
        form = prettyForm(*printer._print(self.args[0]).left("‖"))
        return prettyForm(*form.right("‖²"))

    def _mathml_presentation(self, printer: Any) -> Any:
        dom = printer.dom
        sup = dom.createElement("msup")
        row = dom.createElement("mrow")
        for part in ("‖", self.args[0], "‖"):
            if isinstance(part, str):
                el = dom.createElement("mo")
                el.appendChild(dom.createTextNode(part))
                row.appendChild(el)
            else:
                row.appendChild(printer._print(part))
        two = dom.createElement("mn")
        two.appendChild(dom.createTextNode("2"))
        sup.appendChild(row)
        sup.appendChild(two)
        return sup
