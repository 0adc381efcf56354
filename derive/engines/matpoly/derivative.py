"""Derivatives the step checker can evaluate: `GradientOf(f, X)` and `JacobianOf(y, x)`.

They stay unevaluated while symbolic; when the checker puts a value in for the variable,
the derivative is taken entry by entry at that value (derive.engines.numderiv, or sympy
`diff` of the explicit expression): an independent route to every closed form shown.
"""
from __future__ import annotations

from typing import Any

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixExpr

from ... import verify
from ...limits import check
from ...notation import Partial, mathml_el, mathml_fenced, pretty_join
from ..numderiv import DerivativeNode, derivative, evaluate_at


# ---- derivatives that the step checker can evaluate --------------------------------------

def _register_fast_evaluator() -> None:
    """The forward-mode evaluator joins the checker's fast evaluators (once)."""
    if evaluate_at not in verify.EVALUATORS:
        verify.EVALUATORS.append(evaluate_at)


_register_fast_evaluator()

def _explicit_symbols(shape: tuple, tag: str) -> sp.ImmutableMatrix:
    r, c = (int(s) for s in shape)
    return sp.ImmutableMatrix(r, c, lambda i, j: sp.Dummy(f"{tag}{i}{j}", real=True))


def _scalar_value(v: Any) -> Any:
    if isinstance(v, MatrixExpr):
        v = v.doit()
        if isinstance(v, MatrixExpr) and all(sp.sympify(s, strict=True).is_Integer for s in v.shape):
            v = v.as_explicit()
    if isinstance(v, sp.MatrixBase):
        if v.shape != (1, 1):
            raise ValueError("not a scalar")
        return v[0, 0]
    return v


class _DerivativeOf(DerivativeNode):
    """Base of GradientOf / JacobianOf: unevaluated while symbolic; when the checker puts
    a value in for the variable, the derivative is taken entry by entry (sympy `diff` of
    the explicit polynomial) at that value: an independent route to the closed form."""

    def __new__(cls, f: Any, x: Any):
        return sp.Basic.__new__(cls, sp.sympify(f, strict=True), x)

    @property
    def f(self) -> Any:
        return self.args[0]

    @property
    def var(self) -> Any:
        return self.args[1]

    def _xreplace(self, rule):
        x = self.var
        if x in rule and isinstance(rule[x], sp.MatrixBase):
            rest = {k: v for k, v in rule.items() if k != x}
            f = self.f._xreplace(rest)[0] if rest else self.f
            return _DerivativeAt(sp.Symbol(self._kind), f, x, sp.ImmutableMatrix(rule[x])), True
        return super()._xreplace(rule)

    def doit(self, **hints):
        return self

    def _var_tex(self, printer) -> str:
        return printer._print(self.var)

    def _f_tex(self, printer) -> str:
        f = self.f
        if isinstance(f, (sp.Symbol, sp.MatrixSymbol)):
            return printer._print(f)
        return None

    def _latex(self, printer, **kw) -> str:
        ft = self._f_tex(printer)
        if ft is not None:
            return r"\frac{\partial %s}{\partial %s}" % (ft, self._var_tex(printer))
        return r"\frac{\partial}{\partial %s}\left(%s\right)" % (self._var_tex(printer), printer._print(self.f))

    def _pretty(self, printer) -> Any:
        """∂f/∂X on one line for a named f, else ∂/∂X (f)."""
        from sympy.printing.pretty.stringpict import prettyForm
        if isinstance(self.f, (sp.Symbol, sp.MatrixSymbol)):
            return printer._print(Partial(self.f, self.var))
        return pretty_join("∂/∂", printer._print(self.var), prettyForm(*printer._print(self.f).parens()))

    def _mathml_presentation(self, printer) -> Any:
        if isinstance(self.f, (sp.Symbol, sp.MatrixSymbol)):
            return printer._print(Partial(self.f, self.var))
        den = mathml_el(printer, "mrow", mathml_el(printer, "mo", text="∂"), printer._print(self.var))
        frac = mathml_el(printer, "mfrac", mathml_el(printer, "mo", text="∂"), den)
        return mathml_el(printer, "mrow", frac, mathml_fenced(printer, printer._print(self.f)))

    def _sympystr(self, printer) -> str:
        return f"{type(self).__name__}({printer._print(self.f)}, {printer._print(self.var)})"


class GradientOf(_DerivativeOf):
    """∂f/∂X of a scalar f: the shape of X (denominator layout)."""

    _kind = "grad"

    @property
    def shape(self):
        return self.var.shape


class JacobianOf(_DerivativeOf):
    """∂y/∂x of a column vector y by a column vector x: rows are the entries of y."""

    _kind = "jac"

    @property
    def shape(self):
        return (self.f.shape[0], self.var.shape[0])


class _DerivativeAt(MatrixExpr):
    """A derivative at a point: (kind, f, x, value); `doit` computes it entry by entry."""

    @property
    def shape(self):
        kind, f, x, v = self.args
        if str(kind) == "grad":
            return v.shape
        return (f.shape[0], v.shape[0])

    def doit(self, **hints):
        kind, f, x, v = self.args
        fast = derivative(GradientOf(f, x) if str(kind) == "grad" else JacobianOf(f, x), v)
        if fast is not None:
            return fast
        try:
            return self._by_diff(kind, f, x, v)
        except (NotImplementedError, AttributeError) as exc:   # not differentiable entry by entry
            raise ValueError(f"cannot differentiate {f} entry by entry: {exc}") from None

    @staticmethod
    def _by_diff(kind: Any, f: Any, x: Any, v: Any) -> sp.ImmutableMatrix:
        """sympy's route (forward mode could not evaluate f): f of explicit symbols, expanded
        and differentiated entry by entry; the run's budget is checked between the calls
        (one `expand` of a symbolic inverse can still run long: the watchdog stops it)."""
        check()
        E = _explicit_symbols(v.shape, "e")
        fx = f.xreplace({x: E})
        flat = list(E)
        point = dict(zip(flat, list(v)))
        if str(kind) == "grad":
            s = _scalar_value(fx)
            s = _expand(s.doit()) if isinstance(s, sp.Basic) else s
            return sp.ImmutableMatrix(E.shape[0], E.shape[1], lambda i, j: _diff_at(s, E[i, j], point))
        y = fx.doit()
        if isinstance(y, MatrixExpr):
            y = y.as_explicit()
        y = [_expand(e) for e in y]
        return sp.ImmutableMatrix(len(y), len(flat), lambda i, j: _diff_at(y[i], flat[j], point))


def _expand(e: Any) -> Any:
    """sp.expand(e), once the run's budget is checked."""
    check()
    return sp.expand(e)


def _diff_at(s: Any, t: Any, point: dict) -> Any:
    """∂s/∂t at `point`, once the run's budget is checked."""
    check()
    return sp.diff(s, t).xreplace(point)
