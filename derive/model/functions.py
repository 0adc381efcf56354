"""sympy classes behind the builtins: activation functions, softmax, norms and losses.

Scalar functions (`relu`, `sigmoid`, ...) are sympy `Function`s that evaluate on numbers
and stay symbolic otherwise.  Applied to a tensor they are wrapped in `elementwise`, a
sympy `ElementwiseApplyFunction` (a proper matrix expression with a shape), so
`relu(W @ x + b)` is a matrix expression that `doit()` evaluates once W, x, b are numbers.
Tensor functions (`softmax`, `norm`, `sum`, `cross_entropy`, `mse`) evaluate when their
arguments are explicit matrices.
"""
from __future__ import annotations

from typing import TypeGuard

from sympy.printing.pretty.stringpict import prettyForm

import sympy as sp
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.matexpr import MatrixElement, MatrixExpr

from ..notation import mathml_call, mathml_el, mathml_fenced, pretty_call, pretty_join


def is_tensor(x: object) -> "TypeGuard[sp.MatrixBase | MatrixExpr]":
    """Whether `x` is a vector or matrix: explicit (ImmutableMatrix) or an expression."""
    return isinstance(x, (sp.MatrixBase, MatrixExpr))


def explicit(x) -> bool:
    """An explicit matrix (all entries known), as opposed to a matrix expression."""
    return isinstance(x, sp.MatrixBase)


class _Call:
    """Printed `head(arg, ...)` by the Unicode and MathML printers (its `_latex` is its own):
    `head` the name as shown, the first `shown` arguments printed (all when None)."""

    head = ""
    shown: int | None = None

    def _pretty(self, printer):
        return pretty_call(printer, self.head, *self.args[:self.shown])

    def _mathml_presentation(self, printer):
        return mathml_call(printer, self.head, *self.args[:self.shown])


class _Over:
    """Printed `op (arg)` (Σ, max, min of a tensor's entries), the argument always bracketed
    as the LaTeX printer brackets it; `mo` says whether the sign is an operator."""

    head = ""
    mo = False

    def _pretty(self, printer):
        return pretty_join(self.head + " ", prettyForm(*printer._print(self.args[0]).parens()))

    def _mathml_presentation(self, printer):
        op = mathml_el(printer, "mo" if self.mo else "mi", text=self.head)
        return mathml_el(printer, "mrow", op, mathml_fenced(printer, printer._print(self.args[0])))


class relu(_Call, sp.Function):
    """max(0, x); its derivative is the step function (0 at and below 0)."""

    head = "relu"

    @classmethod
    def eval(cls, x):
        if x.is_Rational:                     # the common case, without Max's assumption machinery
            return x if x > 0 else sp.S.Zero
        if x.is_number and x.is_real:
            return sp.Max(0, x)
        if x.is_nonnegative:
            return x
        if x.is_nonpositive:
            return sp.S.Zero

    def fdiff(self, argindex=1):
        return sp.Piecewise((1, self.args[0] > 0), (0, True))

    def _latex(self, printer, exp=None):
        tex = r"\operatorname{relu}\left(%s\right)" % printer._print(self.args[0])
        return tex if exp is None else r"\left(%s\right)^{%s}" % (tex, exp)


class leaky_relu(_Call, sp.Function):
    """x for x > 0, slope·x otherwise (slope 1/100 by default, as in PyTorch)."""

    head = "leaky_relu"
    shown = 1

    @classmethod
    def eval(cls, x, slope=sp.Rational(1, 100)):
        if x.is_number and x.is_real:
            return x if x > 0 else slope * x

    def _latex(self, printer, exp=None):
        tex = r"\operatorname{leaky\_relu}\left(%s\right)" % printer._print(self.args[0])
        return tex if exp is None else r"\left(%s\right)^{%s}" % (tex, exp)


class sigmoid(_Call, sp.Function):
    """1 / (1 + e^{-x}); derivative σ(x)(1 − σ(x))."""

    head = "σ"

    @classmethod
    def eval(cls, x):
        if x.is_number:
            return 1 / (1 + sp.exp(-x))

    def fdiff(self, argindex=1):
        return sigmoid(self.args[0]) * (1 - sigmoid(self.args[0]))

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return 1 / (1 + sp.exp(-x))

    def _latex(self, printer, exp=None):
        tex = r"\sigma\left(%s\right)" % printer._print(self.args[0])
        return tex if exp is None else r"\left(%s\right)^{%s}" % (tex, exp)


def elementwise(fn, arg):
    """`fn` applied to each entry of a tensor (a matrix expression), or to a scalar."""
    if not is_tensor(arg):
        return fn(arg)
    if explicit(arg):
        return sp.ImmutableMatrix(arg.applyfunc(fn))
    return ElementwiseApplyFunction(fn, arg)


def _entries(m) -> list:
    return list(m) if explicit(m) else []


class softmax(_Call, sp.Function):
    """softmax(v)_i = e^{v_i} / Σ_j e^{v_j}; explicit when v is."""

    head = "softmax"

    nargs = 1

    @classmethod
    def eval(cls, v):
        if explicit(v):
            ex = [sp.exp(t) for t in v]
            s = sp.Add(*ex)
            return sp.ImmutableMatrix(v.shape[0], v.shape[1], [e / s for e in ex])

    @property
    def shape(self):
        return self.args[0].shape

    def _latex(self, printer, exp=None):
        tex = r"\operatorname{softmax}\left(%s\right)" % printer._print(self.args[0])
        return tex if exp is None else r"\left(%s\right)^{%s}" % (tex, exp)


class SoftmaxMatrix(_Call, MatrixExpr):
    """softmax(v) of a symbolic vector (or matrix, column by column): a matrix expression
    with v's shape, so it can be indexed, transposed, summed and multiplied like v.
    `doit()` gives the explicit `softmax` once v is explicit; its entries stay
    `softmax(v)[i]` until then."""

    head = "softmax"

    def __new__(cls, v):
        return MatrixExpr.__new__(cls, v)

    @property
    def shape(self):
        return self.args[0].shape

    def _entry(self, i, j, **kwargs):
        return MatrixElement(self, i, j)

    def doit(self, **hints):
        v = self.args[0].doit(**hints) if hints.get("deep", True) else self.args[0]
        if isinstance(v, MatrixExpr) and not v.free_symbols - set(v.atoms(sp.Symbol)) \
                and not v.atoms(sp.MatrixSymbol) and all(sp.sympify(n, strict=True).is_Integer for n in v.shape):
            v = sp.ImmutableMatrix(v.as_explicit())
        if explicit(v):
            return softmax(v)
        return SoftmaxMatrix(v)

    def _latex(self, printer, exp=None):
        tex = r"\operatorname{softmax}\left(%s\right)" % printer._print(self.args[0])
        return tex if exp is None else r"\left(%s\right)^{%s}" % (tex, exp)

    def _sympystr(self, printer):
        return "softmax(%s)" % printer._print(self.args[0])


class Norm(sp.Function):
    """The Euclidean norm ‖v‖ (Frobenius for a matrix)."""

    nargs = 1
    is_nonnegative = True
    is_real = True

    @classmethod
    def eval(cls, v):
        if explicit(v):
            return sp.sqrt(sp.Add(*[sp.Abs(t) ** 2 if not t.is_real else t ** 2 for t in v]))

    def _latex(self, printer, exp=None):
        tex = r"\left\lVert %s \right\rVert" % printer._print(self.args[0])
        return tex if exp is None else r"%s^{%s}" % (tex, exp)

    def _pretty(self, printer):
        """‖v‖ in 2-D Unicode (the text format)."""
        inner = printer._print(self.args[0])
        return prettyForm(*prettyForm(*inner.left("‖")).right("‖"))

    def _mathml_presentation(self, printer):
        return mathml_fenced(printer, printer._print(self.args[0]), left="‖", right="‖")


class Sum(_Over, sp.Function):
    """Σ of a tensor's entries."""

    head = "∑"
    mo = True

    nargs = 1
    is_commutative = True    # a scalar, also of a MatrixSymbol (which does not commute)

    @classmethod
    def eval(cls, v):
        if explicit(v):
            return sp.Add(*list(v))
        if not is_tensor(v):
            return v

    def _latex(self, printer, exp=None):
        tex = r"\sum %s" % printer.parenthesize(self.args[0], 1000)
        return tex if exp is None else r"\left(%s\right)^{%s}" % (tex, exp)

    def _sympystr(self, printer):
        # (the str printer would otherwise take this for sympy's Sum, which has limits)
        return "Sum(%s)" % printer._print(self.args[0])


class CrossEntropy(_Call, sp.Function):
    """H(y, ŷ) = −Σ_i y_i log ŷ_i, with 0·log 0 = 0 (terms with y_i = 0 are dropped)."""

    head = "H"

    nargs = 2
    is_commutative = True    # a scalar, also of a MatrixSymbol (which does not commute)

    @classmethod
    def eval(cls, y, yhat):
        if explicit(y) and explicit(yhat):
            if y.shape != yhat.shape:
                return None
            return -sp.Add(*[a * sp.log(b) for a, b in zip(y, yhat) if a != 0])

    def _latex(self, printer, exp=None):
        tex = r"H\left(%s, %s\right)" % (printer._print(self.args[0]), printer._print(self.args[1]))
        return tex if exp is None else r"\left(%s\right)^{%s}" % (tex, exp)


class MSE(_Call, sp.Function):
    """(1/n) Σ_i (y_i − ŷ_i)²."""

    head = "MSE"

    nargs = 2
    is_commutative = True    # a scalar, also of a MatrixSymbol (which does not commute)

    @classmethod
    def eval(cls, y, yhat):
        if explicit(y) and explicit(yhat) and y.shape == yhat.shape:
            n = len(list(y))
            return sp.Add(*[(a - b) ** 2 for a, b in zip(y, yhat)]) / n

    def _latex(self, printer, exp=None):
        tex = r"\operatorname{MSE}\left(%s, %s\right)" % (printer._print(self.args[0]), printer._print(self.args[1]))
        return tex if exp is None else r"\left(%s\right)^{%s}" % (tex, exp)


class MaxOf(_Over, sp.Function):
    """The largest entry of a tensor."""

    head = "max"

    nargs = 1
    is_commutative = True    # a scalar, also of a MatrixSymbol (which does not commute)

    @classmethod
    def eval(cls, v):
        if explicit(v):
            return sp.Max(*list(v))

    def _latex(self, printer, exp=None):
        tex = r"\max %s" % printer.parenthesize(self.args[0], 1000)
        return tex if exp is None else r"\left(%s\right)^{%s}" % (tex, exp)


class MinOf(_Over, sp.Function):
    """The smallest entry of a tensor."""

    head = "min"

    nargs = 1
    is_commutative = True    # a scalar, also of a MatrixSymbol (which does not commute)

    @classmethod
    def eval(cls, v):
        if explicit(v):
            return sp.Min(*list(v))

    def _latex(self, printer, exp=None):
        tex = r"\min %s" % printer.parenthesize(self.args[0], 1000)
        return tex if exp is None else r"\left(%s\right)^{%s}" % (tex, exp)


class Loss(_Call, sp.Function):
    """An unspecified scalar loss of some outputs (`loss(y1, y2)`).

    It has no value even at numbers (`loss(1)` is not a number: nothing evaluates it to a
    decimal), as sympy's undefined functions."""

    head = "ℒ"

    is_number = False
    is_commutative = True

    def _latex(self, printer, exp=None):
        tex = r"\mathcal{L}\left(%s\right)" % ", ".join(printer._print(a) for a in self.args)
        return tex if exp is None else r"\left(%s\right)^{%s}" % (tex, exp)
