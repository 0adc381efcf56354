"""The notation of the attention derivations as sympy objects, printed by every printer.

In: names, shapes and sympy expressions.  Out: display symbols that a chain can still be
checked with (`Shown` Q, S, A⁽ʰ⁾ of one head, `Adjoint` ∂L/∂q₁, `Ix` s_ij, a₁₂, δ₁₂: each a
symbol or matrix symbol bound in the step's `where`) and display-only forms (`Diag`
diag(a), `Iverson` [j = m], `HeadSup` Q⁽¹⁾, `Softmax`; `SumOver` Σ_l comes from derive.notation).  Each class prints
itself from the printer's own printing of its arguments (`_latex`, `_pretty`,
`_mathml_presentation`, `_sympystr`), so no step holds a LaTeX string.
"""
from __future__ import annotations

from typing import Any

import sympy as sp
from sympy.printing.pretty.stringpict import prettyForm

from ...notation import Partial, with_exp
from ...notation import mathml_el as _el


class _PrintsAs:
    """A symbol printed as another sympy object (`_shown()`); its plain string is its name."""

    def _shown(self) -> sp.Basic:
        raise NotImplementedError

    def _latex(self, printer: Any, **kw: Any) -> str:
        return printer._print(self._shown())

    def _pretty(self, printer: Any) -> prettyForm:
        return printer._print(self._shown())

    def _mathml_presentation(self, printer: Any) -> Any:
        return printer._print(self._shown())

    def _sympystr(self, printer: Any) -> str:
        return self.name


class HeadSup(sp.Function):
    """X⁽ʰ⁾: a quantity of head h."""

    nargs = 2

    def _latex(self, printer: Any, **kw: Any) -> str:
        return with_exp("%s^{(%s)}" % (printer._print(self.args[0]), printer._print(self.args[1])), kw)

    def _pretty(self, printer: Any) -> prettyForm:
        return prettyForm(*printer._print(self.args[0]).right("^(%s)" % printer._print(self.args[1])))

    def _mathml_presentation(self, printer: Any) -> Any:
        head = _el(printer, "mrow", _el(printer, "mo", text="("), printer._print(self.args[1]),
                   _el(printer, "mo", text=")"))
        return _el(printer, "msup", printer._print(self.args[0]), head)

    def _sympystr(self, printer: Any) -> str:
        return "%s^(%s)" % (printer._print(self.args[0]), printer._print(self.args[1]))


class Shown(_PrintsAs, sp.MatrixSymbol):
    """A matrix named only for display in steps (X, Q⁽¹⁾, S); name `attn|base|head`."""

    def _shown(self) -> sp.Basic:
        base, head = self.name.split("|")[1:3]
        return HeadSup(sp.Symbol(base), sp.Integer(head)) if head else sp.Symbol(base)


def shown(base: str, head: int | None, shape: tuple) -> Shown:
    """The display matrix `base` (of head `head`, if given) with `shape`."""
    return Shown(f"attn|{base}|{head or ''}", *shape)


class Adjoint(_PrintsAs, sp.MatrixSymbol):
    """∂L/∂v for an intermediate v of the attention block (display and checking only)."""

    def _shown(self) -> sp.Basic:
        f, v = self.name[len("adj|"):].split("|")
        return Partial(sp.Symbol(f), sp.Symbol(v))


def adjoint(f: str, v: str, shape: tuple) -> Adjoint:
    """The matrix symbol ∂f/∂v of the given shape."""
    return Adjoint(f"adj|{f}|{v}", *shape)


class Ix(sp.Symbol):
    """A scalar with indices, s_ij or a₁₂: name `base_ij` (indices one character each) or
    `base_1_12` (any indices); printed with the indices together, or comma-separated when
    one of them has more than one character.  Build with `ix`."""

    def _indices(self) -> tuple[str, list[str]]:
        base, rest = self.name.split("_", 1)
        return base, rest.split("_") if "_" in rest else list(rest)

    def _shown(self) -> tuple[sp.Symbol, str]:
        base, idx = self._indices()
        return sp.Symbol(base), ("," if any(len(i) > 1 for i in idx) else "").join(idx)

    def _latex(self, printer: Any, **kw: Any) -> str:
        base, idx = self._shown()
        return "%s_{%s}" % (printer._print(base), idx)

    def _pretty(self, printer: Any) -> prettyForm:
        base, idx = self._shown()
        return printer._print(sp.Symbol(f"{base.name}_{idx}"))

    def _mathml_presentation(self, printer: Any) -> Any:
        base, idx = self._shown()
        return _el(printer, "msub", printer._print(base), _el(printer, "mi", text=idx))


def ix(base: str, *indices: Any, **assumptions: Any) -> Ix:
    """base with `indices` (letters or whole numbers) as a real scalar symbol."""
    idx = [str(i) for i in indices]
    name = base + "_" + ("".join(idx) if all(len(i) == 1 for i in idx) else "_".join(idx))
    return Ix(name, real=True, **assumptions)


def vec(name: str, rows: Any = 1) -> sp.MatrixSymbol:
    """A column vector symbol (q_i, k_j, v_j, g_i), `rows` long."""
    return sp.MatrixSymbol(name, rows, 1)


class Diag(sp.DiagMatrix):
    """diag(a): the diagonal matrix of a vector."""

    def _latex(self, printer: Any, **kw: Any) -> str:
        return with_exp(r"\operatorname{diag}\left(%s\right)" % printer._print(self.args[0]), kw)

    def _pretty(self, printer: Any) -> prettyForm:
        return prettyForm(*prettyForm(*printer._print(self.args[0]).parens()).left("diag"))

    def _mathml_presentation(self, printer: Any) -> Any:
        return _el(printer, "mrow", _el(printer, "mi", text="diag"), _el(printer, "mo", text="("),
                   printer._print(self.args[0]), _el(printer, "mo", text=")"))

    def _sympystr(self, printer: Any) -> str:
        return "diag(%s)" % printer._print(self.args[0])


class Iverson(sp.Function):
    """[a = b]: 1 when the indices agree, else 0 (shown, not evaluated)."""

    nargs = 2

    def _latex(self, printer: Any, **kw: Any) -> str:
        return with_exp("[%s = %s]" % (printer._print(self.args[0]), printer._print(self.args[1])), kw)

    def _pretty(self, printer: Any) -> prettyForm:
        return prettyForm("[%s = %s]" % (printer._print(self.args[0]), printer._print(self.args[1])))

    def _mathml_presentation(self, printer: Any) -> Any:
        return _el(printer, "mrow", _el(printer, "mo", text="["), printer._print(self.args[0]),
                   _el(printer, "mo", text="="), printer._print(self.args[1]), _el(printer, "mo", text="]"))

    def _sympystr(self, printer: Any) -> str:
        return "[%s = %s]" % (printer._print(self.args[0]), printer._print(self.args[1]))


class Softmax(sp.Function):
    """softmax_j(s_ij) or softmax(s), as written (never evaluated)."""

    nargs = (1, 2)

    def _latex(self, printer: Any, **kw: Any) -> str:
        sub = "_{%s}" % printer._print(self.args[1]) if len(self.args) == 2 else ""
        return with_exp(r"\operatorname{softmax}%s\left(%s\right)" % (sub, printer._print(self.args[0])), kw)

    def _pretty(self, printer: Any) -> prettyForm:
        sub = "_%s" % printer._print(self.args[1]) if len(self.args) == 2 else ""
        return prettyForm(*prettyForm(*printer._print(self.args[0]).parens()).left("softmax" + sub))

    def _mathml_presentation(self, printer: Any) -> Any:
        name = _el(printer, "mi", text="softmax")
        if len(self.args) == 2:
            name = _el(printer, "msub", name, printer._print(self.args[1]))
        return _el(printer, "mrow", name, _el(printer, "mo", text="("), printer._print(self.args[0]),
                   _el(printer, "mo", text=")"))

    def _sympystr(self, printer: Any) -> str:
        return "softmax(%s)" % printer._print(self.args[0])
