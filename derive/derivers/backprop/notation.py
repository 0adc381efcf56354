"""The notation of a backprop derivation as sympy objects, printed by every printer.

In: entry keys (`W1[1,2]`, `z[3]`, `o`) and sympy expressions.  Out: symbols a chain can
be checked with (`Comp`, `DSym`, `DMat`, `Updated`, `UpdatedM`: each stands for a value in
the step's `where`) and display-only forms (`DPartial` ∂/∂x (…), `Col` a column, the
activation derivatives relu′, σ′, tanh′).  Each class prints itself from the printer's own
printing of sympy objects (`_latex`, `_pretty`, `_mathml_presentation`, `_sympystr`), so
no step holds a LaTeX string.
"""
from __future__ import annotations

import re
from typing import Any

import sympy as sp
from sympy.printing.pretty.stringpict import prettyForm

from ...model import functions as F
from ...notation import Partial
from ...notation import mathml_el as _el

BIG = 10 ** 9
DIRECT = "|direct"
HOLE = "zzDPartialHolezz"      # a name no spec uses, replaced by the printed variable


def key_display(key: str) -> sp.Basic:
    """The sympy object an entry key is shown as: `W1[1,2]` -> (W₁)₁,₂, `z[3]` -> z₃, `o` -> o."""
    m = re.fullmatch(r"(\w+)\[(\d+)(?:,(\d+))?\]", key)
    if not m:
        return sp.Symbol(key)
    if m.group(3) is None:
        return sp.MatrixSymbol(m.group(1), BIG, 1)[int(m.group(2)) - 1, 0]
    return sp.MatrixSymbol(m.group(1), BIG, BIG)[int(m.group(2)) - 1, int(m.group(3)) - 1]


class Shown:
    """A symbol printed as another sympy object (`_shown()`); its plain string is its name."""

    def _shown(self) -> sp.Basic:
        raise NotImplementedError

    def _latex(self, printer: Any) -> str:
        return printer._print(self._shown())

    def _pretty(self, printer: Any) -> prettyForm:
        form = printer._print(self._shown())
        if form.binding == prettyForm.FUNC and not hasattr(form, "prettyFunc"):
            form = prettyForm(*form.left(""))      # an entry (W₁)₁,₂ as an atom: a power of it prints
        return form

    def _mathml_presentation(self, printer: Any) -> Any:
        return printer._print(self._shown())

    def _sympystr(self, printer: Any) -> str:
        return self.name


class Direct(sp.Function):
    """∂a/∂b|direct: the part of a derivative through a's own formula only."""

    nargs = 1

    def _latex(self, printer: Any) -> str:
        return r"\left.%s\right|_{\text{direct}}" % printer._print(self.args[0])

    def _pretty(self, printer: Any) -> prettyForm:
        return prettyForm(*printer._print(self.args[0]).right(" |direct"))

    def _mathml_presentation(self, printer: Any) -> Any:
        row = _el(printer, "mrow", printer._print(self.args[0]), _el(printer, "mo", text="|"))
        return _el(printer, "msub", row, _el(printer, "mtext", text="direct"))

    def _sympystr(self, printer: Any) -> str:
        return "%s|direct" % printer._print(self.args[0])


class New(sp.Function):
    """x^new: a quantity after an update."""

    nargs = 1

    def _latex(self, printer: Any) -> str:
        return r"%s^{\text{new}}" % printer._print(self.args[0])

    def _pretty(self, printer: Any) -> prettyForm:
        return prettyForm(*printer._print(self.args[0]).right("ⁿᵉʷ"))

    def _mathml_presentation(self, printer: Any) -> Any:
        return _el(printer, "msup", printer._print(self.args[0]), _el(printer, "mtext", text="new"))

    def _sympystr(self, printer: Any) -> str:
        return "%s_new" % printer._print(self.args[0])


def _fraction(name: str) -> sp.Basic:
    """∂a/∂b (or its direct part, for a `|direct` name) as notation objects."""
    num, den = name[1:].removesuffix(DIRECT).split("/∂", 1)
    d = Partial(key_display(num), key_display(den))
    return Direct(d) if name.endswith(DIRECT) else d


class Comp(Shown, sp.Symbol):
    """One entry of a vertex as a real scalar symbol, printed like the entry: (W_1)_{1,1}."""

    def __new__(cls, key: str):
        return super().__new__(cls, key, real=True)

    def __getnewargs_ex__(self):
        return ((self.name,), {})

    def _shown(self) -> sp.Basic:
        return key_display(self.name)


class DSym(Shown, sp.Symbol):
    """∂a/∂b for scalars a, b (entry keys), printed as a fraction.  With `direct`, the part
    of ∂a/∂b through a's own formula only (when b also reaches a by other paths)."""

    def __new__(cls, num: str, den: str, direct: bool = False):
        return super().__new__(cls, f"∂{num}/∂{den}" + (DIRECT if direct else ""), real=True)

    def __getnewargs_ex__(self):
        num, den = self.name[1:].removesuffix(DIRECT).split("/∂", 1)
        return ((num, den, self.name.endswith(DIRECT)), {})

    def _shown(self) -> sp.Basic:
        return _fraction(self.name)


class DMat(Shown, sp.MatrixSymbol):
    """∂L/∂U for a tensor U (same shape as U), printed as a fraction; build with `dmat`."""

    def _shown(self) -> sp.Basic:
        return _fraction(self.name)


def dmat(num: str, den: str, rows: Any, cols: Any, direct: bool = False) -> DMat:
    """The symbol ∂num/∂den of a rows × cols gradient."""
    return DMat(f"∂{num}/∂{den}" + (DIRECT if direct else ""), rows, cols)


class Updated(Shown, sp.Symbol):
    """The value of a parameter (or entry) after the update, printed v^{new}."""

    def _shown(self) -> sp.Basic:
        return New(key_display(self.name))


class UpdatedM(Shown, sp.MatrixSymbol):
    """A tensor after the update, printed W^{new}."""

    def _shown(self) -> sp.Basic:
        return New(sp.Symbol(self.name))


def _abbreviated(e: Any) -> Any:
    """A long sum as its first two and last two terms with ⋯ between (unevaluated)."""
    if isinstance(e, sp.Add) and len(e.args) > 6:
        t = list(e.args)
        return sp.Add(t[0], t[1], sp.Symbol("⋯"), t[-2], t[-1], evaluate=False)
    return e


def _abbreviate_latex(e: Any, printer: Any) -> str:
    if isinstance(e, sp.Add) and len(e.args) > 6:
        terms = list(e.args)
        head = " + ".join(printer._print(t) for t in terms[:2])
        tail = " + ".join(printer._print(t) for t in terms[-2:])
        return (head + r" + \dots + " + tail).replace("+ -", "- ")
    return printer._print(e)


def _prime_of(e: Any, v: Any) -> bool:
    return isinstance(e, sp.Function) and e.args == (v,)


class DPartial(sp.Expr):
    """∂expr/∂var, shown unevaluated.  It is worked out (differentiated) before values are
    put in, so a checked chain `∂/∂o (t − o)² = −2(t − o) = −2(15 − 24) = 18` means the
    derivative at the point."""

    def __new__(cls, expr: Any, var: Any):
        return sp.Expr.__new__(cls, sp.sympify(expr, strict=True), var)

    def doit(self, **hints):
        return sp.diff(self.args[0], self.args[1])

    def _xreplace(self, rule):
        if self in rule:
            return rule[self], True
        return self.doit()._xreplace(rule)[0], True

    def _latex(self, printer) -> str:
        e, v = self.args
        if _prime_of(e, v):
            return printer._print(e.func(sp.Symbol(HOLE))).replace(HOLE, printer._print(v)).replace(
                r"\left(", r"'\left(", 1) if r"\left(" in printer._print(e) else printer._print(e) + "'"
        return r"\frac{\partial}{\partial %s} \left(%s\right)" % (printer._print(v), _abbreviate_latex(e, printer))

    def bracketed_sum(self) -> tuple[Any, Any] | None:
        """(v, the sum in the brackets) when this prints as ∂/∂v (sum): a renderer may break
        a long one over lines (derive.render.breaking)."""
        e, v = self.args
        inner = _abbreviated(e)
        return None if _prime_of(e, v) or not isinstance(inner, sp.Add) else (v, inner)

    def _pretty(self, printer) -> prettyForm:
        e, v = self.args
        if _prime_of(e, v):
            return prettyForm(*prettyForm(*printer._print(v).parens()).left(f"{e.func.__name__}′"))
        op = prettyForm("∂") / prettyForm(*printer._print(v).left("∂"))
        return prettyForm(*op.right(prettyForm(*printer._print(_abbreviated(e)).parens())))

    def _mathml_presentation(self, printer) -> Any:
        e, v = self.args
        if _prime_of(e, v):
            return _el(printer, "mrow", _el(printer, "mi", text=f"{e.func.__name__}′"),
                       _el(printer, "mo", text="("), printer._print(v), _el(printer, "mo", text=")"))
        op = _el(printer, "mfrac", _el(printer, "mo", text="∂"),
                 _el(printer, "mrow", _el(printer, "mo", text="∂"), printer._print(v)))
        return _el(printer, "mrow", op, _el(printer, "mo", text="("), printer._print(_abbreviated(e)),
                   _el(printer, "mo", text=")"))

    def _sympystr(self, printer) -> str:
        return "d/d%s(%s)" % (printer._print(self.args[1]), printer._print(self.args[0]))


class Col(sp.MatrixExpr):
    """Column k (0-based) of a matrix expression, printed (W_2)_{:,k+1}."""

    def __new__(cls, m: Any, k: int):
        return sp.Basic.__new__(cls, m, sp.Integer(k))

    @property
    def shape(self):
        return (self.args[0].shape[0], sp.Integer(1))

    def doit(self, **hints):
        m = self.args[0].doit(**hints) if hasattr(self.args[0], "doit") else self.args[0]
        if isinstance(m, sp.MatrixBase):
            return sp.ImmutableMatrix(m[:, int(self.args[1])])
        return Col(m, int(self.args[1]))

    def _entry(self, i, j, **kwargs):
        return self.args[0][i, self.args[1]]

    def _latex(self, printer) -> str:
        inner = printer._print(self.args[0])
        if "_" in inner or "^" in inner:
            inner = r"\left(%s\right)" % inner
        return r"%s_{:,%d}" % (inner, int(self.args[1]) + 1)

    def _pretty(self, printer) -> prettyForm:
        return prettyForm(*printer._print(self.args[0]).right(f"[:,{int(self.args[1]) + 1}]"))

    def _mathml_presentation(self, printer) -> Any:
        inner = _el(printer, "mrow", _el(printer, "mo", text="("), printer._print(self.args[0]),
                    _el(printer, "mo", text=")"))
        return _el(printer, "msub", inner, _el(printer, "mtext", text=f":,{int(self.args[1]) + 1}"))

    def _sympystr(self, printer) -> str:
        return "%s[:,%d]" % (printer._print(self.args[0]), int(self.args[1]) + 1)


class PrimeFn(sp.Function):
    """f′(x) of an activation f, printed with the activation's name (`head`)."""

    head_latex = "f"
    head_text = "f"

    def _latex(self, printer):
        return r"%s'\left(%s\right)" % (self.head_latex, printer._print(self.args[0]))

    def _pretty(self, printer) -> prettyForm:
        return prettyForm(*prettyForm(*printer._print(self.args[0]).parens()).left(self.head_text + "′"))

    def _mathml_presentation(self, printer) -> Any:
        return _el(printer, "mrow", _el(printer, "mi", text=self.head_text + "′"), _el(printer, "mo", text="("),
                   printer._print(self.args[0]), _el(printer, "mo", text=")"))

    def _sympystr(self, printer) -> str:
        return "%s'(%s)" % (self.head_text, printer._print(self.args[0]))


class relu_grad(PrimeFn):
    """relu'(x): 1 for x > 0, 0 for x ≤ 0 (PyTorch's convention at 0)."""

    head_latex, head_text = r"\operatorname{relu}", "relu"

    @classmethod
    def eval(cls, x):
        if x.is_number and x.is_real:
            return sp.Integer(1) if x > 0 else sp.Integer(0)


class leaky_relu_grad(PrimeFn):
    """leaky_relu'(x) = 1 for x > 0, the slope for x ≤ 0."""

    head_latex, head_text = r"\operatorname{leaky\_relu}", "leaky_relu"

    @classmethod
    def eval(cls, x, slope):
        if x.is_number and x.is_real:
            return sp.Integer(1) if x > 0 else slope


class sigmoid_grad(PrimeFn):
    """σ'(x) = σ(x)(1 − σ(x))."""

    head_latex, head_text = r"\sigma", "σ"

    @classmethod
    def eval(cls, x):
        if x.is_number:
            sg = F.sigmoid(x)
            return sg * (1 - sg)


class tanh_grad(PrimeFn):
    """tanh'(x) = 1 − tanh²(x)."""

    head_latex, head_text = r"\tanh", "tanh"

    @classmethod
    def eval(cls, x):
        if x.is_number:
            return 1 - sp.tanh(x) ** 2


def act_grad_fn(act: str, slope: Any = None):
    """The derivative of an activation as a sympy function of the pre-activation."""
    return {"relu": relu_grad, "sigmoid": sigmoid_grad, "tanh": tanh_grad,
            "leaky_relu": lambda x: leaky_relu_grad(x, slope)}[act]


class SumOver(sp.Function):
    """Σ_c expr: a sum over an index set named in words (the children c of u), as written."""

    nargs = 2

    def _latex(self, printer: Any) -> str:
        return r"\sum_{%s} %s" % (printer._print(self.args[1]), printer._print(self.args[0]))

    def _pretty(self, printer: Any) -> prettyForm:
        return prettyForm(*printer._print(self.args[0]).left("Σ_%s " % printer._print(self.args[1])))

    def _mathml_presentation(self, printer: Any) -> Any:
        op = _el(printer, "munder", _el(printer, "mo", text="∑"), printer._print(self.args[1]))
        return _el(printer, "mrow", op, printer._print(self.args[0]))

    def _sympystr(self, printer: Any) -> str:
        return "Sum_%s(%s)" % (printer._print(self.args[1]), printer._print(self.args[0]))
