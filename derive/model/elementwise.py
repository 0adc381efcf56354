"""Elementwise division of two tensors, `a / b` in a spec, as a matrix expression.

In: two tensors of one shape (MatrixSymbols or explicit matrices), or a scalar and a tensor.
Out: `HadamardDiv(a, b)`, shown as a ⊘ b (the Hadamard quotient, as a ∘ b is the Hadamard
product; a scalar a is divided by every entry of b).  It is not
evaluated when built, so a step can show the values put in; `doit()` of two explicit
matrices is the matrix of quotients (an entry of b that is 0 is a ZeroDivisionError:
derive.model.expressions refuses it at the operator before a step is made).
"""
from __future__ import annotations

from typing import Any

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixExpr


class HadamardDiv(MatrixExpr):
    """a ⊘ b: entry (i, j) is a_ij / b_ij."""

    def __new__(cls, a: Any, b: Any) -> "HadamardDiv":
        return MatrixExpr.__new__(cls, a, b)

    @property
    def shape(self) -> tuple[Any, Any]:
        return self.args[1].shape

    def _entry(self, i: Any, j: Any, **kwargs: Any) -> Any:
        a = self.args[0]
        top = a._entry(i, j, **kwargs) if getattr(a, "is_Matrix", False) else a
        return top / self.args[1]._entry(i, j, **kwargs)

    def doit(self, **hints: Any) -> Any:
        a, b = (x.doit(**hints) if hints.get("deep", True) else x for x in self.args)
        scalar = not getattr(a, "is_Matrix", False)
        if isinstance(b, sp.MatrixBase) and (scalar or isinstance(a, sp.MatrixBase)):
            if any(y == 0 for y in b):
                raise ZeroDivisionError("an entry of the divisor is 0")
            tops = [a] * len(b) if scalar else list(a)
            return sp.ImmutableMatrix(b.shape[0], b.shape[1], [x / y for x, y in zip(tops, b)])
        return HadamardDiv(a, b)

    def _side_latex(self, printer: Any, x: Any) -> str:
        s = printer._print(x)
        return r"\left(%s\right)" % s if isinstance(x, (sp.MatAdd, sp.Add)) else s

    def _side_str(self, printer: Any, x: Any) -> str:
        s = printer._print(x)
        return "(%s)" % s if isinstance(x, (sp.MatAdd, sp.Add)) else s

    def _latex(self, printer: Any) -> str:
        return r"%s \oslash %s" % (self._side_latex(printer, self.args[0]), self._side_latex(printer, self.args[1]))

    def _sympystr(self, printer: Any) -> str:
        return "%s/%s" % (self._side_str(printer, self.args[0]), self._side_str(printer, self.args[1]))

    def _pretty(self, printer: Any) -> Any:
        from sympy.printing.pretty.stringpict import prettyForm
        a, b = (printer._print(x) for x in self.args)
        a, b = (prettyForm(*f.parens()) if isinstance(x, (sp.MatAdd, sp.Add)) else f for f, x in zip((a, b), self.args))
        return prettyForm(*prettyForm(*a.right(" ⊘ ")).right(b))

    def _mathml_presentation(self, printer: Any) -> Any:
        dom = printer.dom
        row, op = dom.createElement("mrow"), dom.createElement("mo")
        op.appendChild(dom.createTextNode("⊘"))
        row.appendChild(printer._print(self.args[0]))
        row.appendChild(op)
        row.appendChild(printer._print(self.args[1]))
        return row
