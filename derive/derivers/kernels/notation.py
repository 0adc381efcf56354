"""The notation of the feature-map derivations as sympy objects, printed by every printer.

In: sympy objects.  Out: display-only forms: `MultiBinom(k, α₁, …)` the multinomial
coefficient (k choose α₁, …, αₙ), `Dot(a, b)` aᵀb of two named vectors, `Space(F, n)`
ℝⁿ or ℕⁿ, `CDOTS` ⋯; and helpers for the names a step uses (`phi(p)`, `phi_alpha(p)`,
`inner_display`).  Each class prints itself from the printer's own printing of its
arguments (`_latex`, `_pretty`, `_mathml_presentation`, `_sympystr`).
"""
from __future__ import annotations

from typing import Any

import sympy as sp
from sympy.printing.pretty.stringpict import prettyForm

from ...notation import mathml_el as _el
from ...notation import with_exp


class MultiBinom(sp.Function):
    """(k choose α₁, …, αₙ) = k!/(α₁!⋯αₙ!), shown, not evaluated."""

    def _latex(self, printer: Any, **kw: Any) -> str:
        low = ", ".join(printer._print(a) for a in self.args[1:])
        return with_exp(r"\binom{%s}{%s}" % (printer._print(self.args[0]), low), kw)

    def _pretty(self, printer: Any) -> prettyForm:
        low = ", ".join(str(printer._print(a)) for a in self.args[1:])
        return prettyForm("C(%s; %s)" % (printer._print(self.args[0]), low))

    def _mathml_presentation(self, printer: Any) -> Any:
        low = _el(printer, "mrow")
        for i, a in enumerate(self.args[1:]):
            if i:
                low.appendChild(_el(printer, "mo", text=","))
            low.appendChild(printer._print(a))
        frac = _el(printer, "mfrac", printer._print(self.args[0]), low)
        frac.setAttribute("linethickness", "0")
        return _el(printer, "mrow", _el(printer, "mo", text="("), frac, _el(printer, "mo", text=")"))

    def _sympystr(self, printer: Any) -> str:
        return "multinomial(%s)" % ", ".join(printer._print(a) for a in self.args)


class Dot(sp.Function):
    """aᵀb of two named vectors (a, b any sympy objects, e.g. φ(p) and φ(q))."""

    nargs = 2

    def _latex(self, printer: Any, **kw: Any) -> str:
        return with_exp("%s^{T} %s" % (printer._print(self.args[0]), printer._print(self.args[1])), kw)

    def _pretty(self, printer: Any) -> prettyForm:
        return prettyForm("%sᵀ%s" % (printer._print(self.args[0]), printer._print(self.args[1])))

    def _mathml_presentation(self, printer: Any) -> Any:
        return _el(printer, "mrow", _el(printer, "msup", printer._print(self.args[0]), _el(printer, "mi", text="T")),
                   printer._print(self.args[1]))

    def _sympystr(self, printer: Any) -> str:
        return "%s.T*%s" % (printer._print(self.args[0]), printer._print(self.args[1]))


class Space(sp.Function):
    """ℝⁿ or ℕⁿ: Space(Symbol('R') or Symbol('N'), n)."""

    nargs = 2

    def _latex(self, printer: Any, **kw: Any) -> str:
        return r"\mathbb{%s}^{%s}" % (self.args[0], printer._print(self.args[1]))

    def _pretty(self, printer: Any) -> prettyForm:
        return prettyForm(*prettyForm("ℝ" if str(self.args[0]) == "R" else "ℕ").right(
            prettyForm("^%s" % printer._print(self.args[1]))))

    def _mathml_presentation(self, printer: Any) -> Any:
        base = _el(printer, "mi", text="ℝ" if str(self.args[0]) == "R" else "ℕ")
        return _el(printer, "msup", base, printer._print(self.args[1]))

    def _sympystr(self, printer: Any) -> str:
        return "%s^%s" % (self.args[0], printer._print(self.args[1]))


def space(field: str, n: Any) -> Space:
    """ℝⁿ (`field` "R") or ℕⁿ ("N")."""
    return Space(sp.Symbol(field), n)


class _CDots(sp.Symbol):
    """⋯ inside a product."""

    def _latex(self, printer: Any, **kw: Any) -> str:
        return r"\cdots"

    def _pretty(self, printer: Any) -> prettyForm:
        return prettyForm("⋯")

    def _mathml_presentation(self, printer: Any) -> Any:
        return _el(printer, "mo", text="⋯")


CDOTS = _CDots("cdots")
ALPHA = sp.Symbol("alpha")
K = sp.Symbol("k", integer=True, nonnegative=True)


def phi(arg: str) -> Any:
    """φ(p) as written."""
    return sp.Function("phi")(sp.Symbol(arg))


def phi_alpha(arg: str) -> Any:
    """φ_α(p) as written."""
    return sp.Function("phi_alpha")(sp.Symbol(arg))


def alpha_factorial() -> Any:
    """α₁! ⋯ αₙ!."""
    return sp.Mul(sp.factorial(sp.Symbol("alpha_1")), CDOTS, sp.factorial(sp.Symbol("alpha_n")), evaluate=False)


def inner_display(params: tuple[str, str], n: int, vectors: bool) -> Any:
    """pᵀq for vectors p, q ∈ ℝⁿ, x y for scalars."""
    a, b = params
    if vectors:
        return sp.MatMul(sp.Transpose(sp.MatrixSymbol(a, n, 1)), sp.MatrixSymbol(b, n, 1), evaluate=False)
    return sp.Mul(sp.Symbol(a), sp.Symbol(b), evaluate=False)
