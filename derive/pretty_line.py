"""sympy objects as one line of Unicode (derive.pretty.inline, for sentences and table cells).

`LineMixin` makes derive's pretty printer (derive.pretty.LinePrinter) write every 2-D construct
on one line, as an exam typed in plain text writes it: a fraction `a/b` (brackets around
a compound part), a power `x²`, `x^(n+1)`, a root `√x`, a transpose `Wᵀ`, a matrix
`[[1, 2], [3, 4]]` and a column vector `[1, 2]ᵀ`, a sum `∑_(i=1)^N body`, a derivative
`d/dx(f)`.  Display classes print through their own `_pretty` with their arguments
printed here, so they come out on one line too.  In: a sympy object; out: a prettyForm of
height 1.
"""
from __future__ import annotations

import re


import sympy as sp
from sympy.printing.conventions import requires_partial
from sympy.printing.precedence import PRECEDENCE, precedence_traditional
from sympy.printing.pretty.stringpict import prettyForm

from .texunicode import script


def _text(form: prettyForm) -> str:
    return "; ".join(line.rstrip() for line in form.picture) if form.height() > 1 else form.picture[0]


def _bare(form: prettyForm) -> bool:
    return form.binding in (prettyForm.ATOM, prettyForm.FUNC)


class LineMixin:
    """derive's pretty printer on one line (see the module docstring); mixed in before
    derive.pretty.DerivePrettyPrinter."""

    def _divide(self, num: prettyForm, den: prettyForm) -> prettyForm:
        n = num if _bare(num) else prettyForm(*num.parens())
        d = den if _bare(den) else prettyForm(*den.parens())
        return prettyForm(_text(n) + "/" + _text(d), binding=prettyForm.MUL)

    def _raise(self, base: prettyForm, exp: prettyForm) -> prettyForm:
        b = base if _bare(base) else prettyForm(*base.parens())
        return prettyForm(_text(b) + script(_text(exp), "^"), binding=prettyForm.POW)

    def _print_Rational(self, e):
        if e.q == 1:
            return super()._print_Rational(e)
        return prettyForm(f"{e.p}/{e.q}", binding=prettyForm.NEG if e.p < 0 else prettyForm.MUL)

    def _print_Fraction(self, f):
        return self._print_Rational(sp.Rational(f.numerator, f.denominator))

    def _print_Pow(self, power):
        b, e = power.as_base_exp()
        if power.is_commutative:
            if e is sp.S.NegativeOne:
                return self._divide(prettyForm("1"), self._print(b))
            if e == sp.S.Half:
                inner = self._print(b)
                return prettyForm("√" + _text(inner if _bare(inner) else prettyForm(*inner.parens())))
            if e.is_Rational and e < 0:
                return self._divide(prettyForm("1"), self._print(sp.Pow(b, -e, evaluate=False)))
        return self._raise(self._print(b), self._print(e))

    def _print_ExpBase(self, e):
        return self._raise(prettyForm("ℯ"), self._print(e.exp))

    def _print_HadamardPower(self, e):
        base = self._print(e.base)
        b = base if _bare(base) else prettyForm(*base.parens())
        return prettyForm(_text(b) + script("∘" + _text(self._print(e.exp)), "^"), binding=prettyForm.POW)

    def _print_MatPow(self, e):
        return self._raise(self._print(e.base), self._print(e.exp))

    def _print_Transpose(self, expr):
        if isinstance(expr.arg, sp.MatrixBase) and expr.arg.rows == 1 and expr.arg.cols > 1:
            return prettyForm("[" + ", ".join(_text(self._print(x)) for x in expr.arg) + "]ᵀ")  # a column as a transposed row
        form = self._print(expr.arg)          # (a name bare, anything with an operator in brackets: (∂s/∂w)ᵀ)
        if not isinstance(expr.arg, sp.MatrixBase) and (not _bare(form) or re.search(r"[/+\-⋅∘ ]", _text(form))):
            form = prettyForm(*form.parens())
        return prettyForm(_text(form) + "ᵀ")

    def _print_MatrixBase(self, e, lparens="[", rparens="]"):
        rows = [[_text(self._print(e[i, j])) for j in range(e.cols)] for i in range(e.rows)]
        if e.cols == 1 and e.rows > 1:
            return prettyForm("[" + ", ".join(r[0] for r in rows) + "]ᵀ")
        return prettyForm("[" + ", ".join("[" + ", ".join(r) + "]" for r in rows) + "]")

    def _print_Sum(self, expr):
        sign = ""
        for var, lo, hi in reversed(expr.limits):     # (the outermost sum first, as written)
            sign += "∑" + script(f"{_text(self._print(var))}={_text(self._print(lo))}", "_") + \
                script(_text(self._print(hi)), "^") + " "
        body = self._print(expr.function)
        if precedence_traditional(expr.function) < PRECEDENCE["Mul"]:
            body = prettyForm(*body.parens())
        return prettyForm(sign + _text(body), binding=prettyForm.MUL)

    def _print_Derivative(self, deriv):
        d = "∂" if requires_partial(deriv.expr) else "d"
        den = "".join(f"{d}{_text(self._print(v))}" + (script(str(n), "^") if n != 1 else "")
                      for v, n in reversed(deriv.variable_count))
        order = sum(n for _, n in deriv.variable_count)
        head = d + (script(str(order), "^") if order != 1 else "") + "/" + den
        body = prettyForm(*self._print(deriv.expr).parens())
        return prettyForm(head + _text(body), binding=prettyForm.MUL)

    def _print_binomial(self, e):
        return prettyForm("C(%s, %s)" % tuple(_text(self._print(a)) for a in e.args), binding=prettyForm.FUNC)

    def _print_Piecewise(self, pexpr):
        parts = [f"{_text(self._print(e))} if {_text(self._print(c))}" if c is not sp.true
                 else f"{_text(self._print(e))} otherwise" for e, c in pexpr.args]
        return prettyForm("{" + "; ".join(parts) + "}")
