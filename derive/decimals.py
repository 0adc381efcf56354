"""Terminating decimals as display objects, for derivers and handouts alike.

In: a rational.  Out: `decimal_text(1/10)` is "0.1"; `Dec(q)` is a sympy object printed as
that decimal in every format whose `doit()` is the rational; `decimal(r)` is `Dec(r)` when r
has a finite decimal (0.7) and r otherwise.
"""
from __future__ import annotations

from typing import Any

import sympy as sp
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.pretty.stringpict import prettyForm

from .notation import mathml_el


def decimal_text(x: sp.Rational) -> str:
    """A terminating rational exactly as a decimal string (1/10 -> 0.1, -71/25 -> -2.84)."""
    p, q = int(x.p), int(x.q)              # (integers: sympy's own comparisons cost more than the rest)
    sign = "-" if p < 0 else ""
    whole, rest = divmod(abs(p), q)
    digits = ""
    while rest:
        rest *= 10
        d, rest = divmod(rest, q)
        digits += str(d)
    return f"{sign}{whole}" + (f".{digits}" if digits else "")


class Dec(sp.Expr):
    """A terminating rational shown as its exact decimal (0.1, −2.84); `doit()` is the rational."""

    is_commutative = True

    def __new__(cls, q: Any) -> "Dec":
        return sp.Expr.__new__(cls, sp.Rational(q))

    @property
    def precedence(self) -> int:
        return PRECEDENCE["Add"] if self.args[0] < 0 else PRECEDENCE["Atom"]

    def could_extract_minus_sign(self) -> bool:
        return bool(self.args[0] < 0)

    def doit(self, **hints: Any) -> Any:
        return self.args[0]

    def _latex(self, printer: Any) -> str:
        return decimal_text(self.args[0])

    def _pretty(self, printer: Any) -> prettyForm:
        return prettyForm(decimal_text(self.args[0]))

    def _mathml_presentation(self, printer: Any) -> Any:
        text = decimal_text(self.args[0])
        if not text.startswith("-"):
            return mathml_el(printer, "mn", text=text)
        return mathml_el(printer, "mrow", mathml_el(printer, "mo", text="-"), mathml_el(printer, "mn", text=text[1:]))

    def _sympystr(self, printer: Any) -> str:
        return decimal_text(self.args[0])


def decimal(r: Any) -> Any:
    """A rational shown as the decimal it was written as (0.7) when it has a finite one."""
    if isinstance(r, sp.Rational) and not isinstance(r, sp.Integer):
        q = int(r.q)
        for p in (2, 5):
            while q % p == 0:
                q //= p
        if q == 1:
            return Dec(r)
    return r
