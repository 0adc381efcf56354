"""Display symbols of the optimisers in several variables.

In: a base name and an index.  Out: `iterate("x", 3, n)`, a column MatrixSymbol printed
x⁽³⁾ (LaTeX x^{(3)}, MathML msup; with a hat for Adam's bias-corrected moments) and
`gradient("f", "x", 3, n)`, printed ∇f(x⁽³⁾).  They are matrix symbols, so a step binds
them to the columns they stand for in `where` and the check substitutes those.
`vec(values)` is a column of sympy values.
"""
from __future__ import annotations

from typing import Any

import sympy as sp
from sympy.printing.pretty.stringpict import prettyForm

SUPERSCRIPT = str.maketrans("0123456789()+-k*t", "⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾⁺⁻ᵏ*ᵗ")


def _el(dom: Any, tag: str, text: str) -> Any:
    el = dom.createElement(tag)
    el.appendChild(dom.createTextNode(text))
    return el


class _Shows:
    """Printing of a name that encodes what it shows: "it|x|3|" is x⁽³⁾, "it|m|3|hat" is
    m̂⁽³⁾, "grad|f|x|3" is ∇f(x⁽³⁾)."""

    name: str

    def _parts(self) -> list[str]:
        return self.name.split("|")

    def _latex(self, printer: Any) -> str:
        kind, base, a, b = self._parts()
        if kind == "at":
            return r"\nabla %s\left(%s\right)" % (printer._print(sp.Symbol(base)), printer._print(sp.Symbol(a)))
        if kind in ("grad", "hess"):
            return r"\nabla%s %s\left(%s^{(%s)}\right)" % ("^2" if kind == "hess" else "", printer._print(sp.Symbol(base)),
                                                            printer._print(sp.Symbol(a)), b)
        head = printer._print(sp.Symbol(base))
        return (r"\hat{%s}^{(%s)}" if b else r"%s^{(%s)}") % (head, a)

    def _sympystr(self, printer: Any) -> str:
        kind, base, a, b = self._parts()
        if kind == "at":
            return f"grad_{base}({a})"
        if kind in ("grad", "hess"):
            return f"{kind}_{base}({a}^({b}))"
        return f"{base}{'hat' if b else ''}^({a})"

    def _pretty(self, printer: Any) -> prettyForm:
        kind, base, a, b = self._parts()
        if kind == "at":
            return prettyForm(f"∇{base}({a})")
        if kind in ("grad", "hess"):
            return prettyForm(f"∇{'²' if kind == 'hess' else ''}{base}({a}{f'({b})'.translate(SUPERSCRIPT)})")
        return prettyForm(base + ("\u0302" if b else "") + f"({a})".translate(SUPERSCRIPT))

    def _mathml_presentation(self, printer: Any) -> Any:
        dom = printer.dom
        kind, base, a, b = self._parts()
        if kind == "at":
            row = dom.createElement("mrow")
            for node in (_el(dom, "mo", "∇"), printer._print(sp.Symbol(base)), _el(dom, "mo", "("),
                         printer._print(sp.Symbol(a)), _el(dom, "mo", ")")):
                row.appendChild(node)
            return row
        if kind in ("grad", "hess"):
            row = dom.createElement("mrow")
            nabla = _el(dom, "mo", "∇")
            if kind == "hess":
                nabla = _sup_plain(dom, nabla, "2")
            row.appendChild(nabla)
            row.appendChild(printer._print(sp.Symbol(base)))
            row.appendChild(_el(dom, "mo", "("))
            row.appendChild(_sup(dom, printer._print(sp.Symbol(a)), b))
            row.appendChild(_el(dom, "mo", ")"))
            return row
        head = printer._print(sp.Symbol(base))
        if b:
            over = dom.createElement("mover")
            over.appendChild(head)
            over.appendChild(_el(dom, "mo", "^"))
            head = over
        return _sup(dom, head, a)


class VSym(_Shows, sp.MatrixSymbol):
    """A column shown as written (x⁽³⁾, m̂⁽³⁾, ∇f(x⁽³⁾)); a step binds it to its value in
    `where`.  Build it with `iterate` or `gradient`."""


class Iterate(_Shows, sp.Symbol):
    """One coordinate of an iterate or optimiser state, x⁽ᵗ⁾, in a rule applied to every
    coordinate (a real Symbol).  Build it with `scalar`."""


class Approx(sp.Expr):
    """A decimal computed to 30 digits, shown to 6; `doit()` is the full value, so a check
    compares the full value (and the relation shown is ≈)."""

    is_commutative = True

    def __new__(cls, x: Any) -> "Approx":
        return sp.Expr.__new__(cls, sp.Float(x, 30))

    def could_extract_minus_sign(self) -> bool:
        return bool(self.args[0] < 0)

    def doit(self, **hints: Any) -> Any:
        return self.args[0]

    def _shown(self) -> sp.Float:
        return sp.Float(self.args[0], 6)

    def _latex(self, printer: Any) -> str:
        return printer._print(self._shown())

    def _sympystr(self, printer: Any) -> str:
        return printer._print(self._shown())

    def _pretty(self, printer: Any) -> prettyForm:
        return printer._print(self._shown())

    def _mathml_presentation(self, printer: Any) -> Any:
        return printer._print(self._shown())


def scalar(base: str, index: Any, hat: bool = False) -> Iterate:
    """The coordinate symbol x⁽ⁱⁿᵈᵉˣ⁾ (m̂⁽ⁱⁿᵈᵉˣ⁾ with `hat`)."""
    return Iterate(f"it|{base}|{index}|{'hat' if hat else ''}", real=True)


def _sup_plain(dom: Any, base: Any, text: str) -> Any:
    sup = dom.createElement("msup")
    sup.appendChild(base)
    sup.appendChild(_el(dom, "mn", text))
    return sup


def _sup(dom: Any, base: Any, index: str) -> Any:
    sup = dom.createElement("msup")
    sup.appendChild(base)
    row = dom.createElement("mrow")
    row.appendChild(_el(dom, "mo", "("))
    row.appendChild(_el(dom, "mn" if index.isdigit() else "mi", index))
    row.appendChild(_el(dom, "mo", ")"))
    sup.appendChild(row)
    return sup


def iterate(base: str, index: Any, n: int, hat: bool = False) -> VSym:
    """x⁽ⁱⁿᵈᵉˣ⁾ (m̂⁽ⁱⁿᵈᵉˣ⁾ with `hat`), a column of n entries."""
    return VSym(f"it|{base}|{index}|{'hat' if hat else ''}", n, 1)


def gradient(fname: str, point: str, index: Any, n: int) -> VSym:
    """∇f(x⁽ⁱⁿᵈᵉˣ⁾), a column of n entries."""
    return VSym(f"grad|{fname}|{point}|{index}", n, 1)


def vec(values: Any) -> sp.ImmutableMatrix:
    """A column of the given sympy values."""
    values = list(values)
    return sp.ImmutableMatrix(len(values), 1, values)


def short_vec(v: Any, digits: int = 6) -> sp.ImmutableMatrix:
    """A column with its decimal entries to `digits` significant digits (exact entries stay)."""
    return sp.ImmutableMatrix(v.applyfunc(lambda e: sp.Float(e, digits) if isinstance(e, sp.Float) else e))
