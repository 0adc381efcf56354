"""Notation as sympy objects: names for values, probabilities, partial derivatives.

A derivation shows `P(H₁ | E)` or `∂L/∂w` beside the value it stands for without writing
LaTeX: it builds one of these objects and every printer prints it in its own format
(each class has `_latex`, `_pretty`, `_mathml_presentation` and `_sympystr`).

* `Named(display, value)`: `display` (any sympy object) shown for `value`; `doit()` gives
  the value, so a chain `P(E) = 0.3·0.5 + ...` is checked on the value.  The display is
  not a free symbol of the expression.
* `Prob(event)`, `Prob(event, given)`: P(A), P(A | B).
* `Partial(f, x)`: ∂f/∂x (f and x are sympy objects, typically symbols).
* `SumOver(body, under)`, `ProdOver(body, under)`: Σ and ∏ with what is summed over
  written under the sign (an index `l`, or a condition such as |α| = k), never evaluated.
* `Norm(x)`: ‖x‖.
"""
from __future__ import annotations

import html
from typing import Any

import sympy as sp
from sympy.printing.pretty.stringpict import prettyForm


class Named(sp.Function):
    """`display` shown, `value` meant: Named(display, value).doit() is the value."""

    nargs = 2
    value_arg = 1      # derive.fasteval evaluates the value, not the display

    @property
    def free_symbols(self) -> set:
        return self.args[1].free_symbols

    def doit(self, **hints: Any) -> Any:
        return self.args[1].doit(**hints)

    def _latex(self, printer: Any) -> str:
        return printer._print(self.args[0])

    def _pretty(self, printer: Any) -> prettyForm:
        return printer._print(self.args[0])

    def _mathml_presentation(self, printer: Any) -> Any:
        return printer._print(self.args[0])

    def _sympystr(self, printer: Any) -> str:
        return printer._print(self.args[1])


class Prob(sp.Function):
    """P(A) or P(A | B): a probability as written (not a value; wrap it in Named for one)."""

    nargs = (1, 2)

    def _parts(self, printer: Any, bar: str) -> str:
        inner = printer._print(self.args[0])
        if len(self.args) == 2:
            inner += bar + printer._print(self.args[1])
        return inner

    def _latex(self, printer: Any) -> str:
        return r"P(%s)" % self._parts(printer, r" \mid ")

    def _sympystr(self, printer: Any) -> str:
        return "P(%s)" % self._parts(printer, " | ")

    def _pretty(self, printer: Any) -> prettyForm:
        args = [printer._print(a) for a in self.args]
        form = args[0]
        if len(args) == 2:
            form = prettyForm(*form.right(" | "))
            form = prettyForm(*form.right(args[1]))
        form = prettyForm(*form.parens())
        return prettyForm(*form.left("P"))

    def _mathml_presentation(self, printer: Any) -> Any:
        dom = printer.dom
        row = dom.createElement("mrow")
        for tag, text in (("mi", "P"), ("mo", "(")):
            el = dom.createElement(tag)
            el.appendChild(dom.createTextNode(text))
            row.appendChild(el)
        row.appendChild(printer._print(self.args[0]))
        if len(self.args) == 2:
            bar = dom.createElement("mo")
            bar.appendChild(dom.createTextNode("|"))
            row.appendChild(bar)
            row.appendChild(printer._print(self.args[1]))
        close = dom.createElement("mo")
        close.appendChild(dom.createTextNode(")"))
        row.appendChild(close)
        return row


class Partial(sp.Function):
    """∂f/∂x as written (Leibniz notation); not evaluated."""

    nargs = 2

    def _latex(self, printer: Any) -> str:
        return r"\frac{\partial %s}{\partial %s}" % (printer._print(self.args[0]), printer._print(self.args[1]))

    def _sympystr(self, printer: Any) -> str:
        return "d%s/d%s" % (printer._print(self.args[0]), printer._print(self.args[1]))

    def _pretty(self, printer: Any) -> prettyForm:
        """On one line, ∂L/∂w₁, as a sentence or a table cell shows it."""
        form = prettyForm(*printer._print(self.args[0]).left("∂"))
        form = prettyForm(*form.right("/∂"))
        return prettyForm(*form.right(printer._print(self.args[1])))

    def _mathml_presentation(self, printer: Any) -> Any:
        dom = printer.dom
        frac = dom.createElement("mfrac")
        for arg in self.args:
            row = dom.createElement("mrow")
            d = dom.createElement("mo")
            d.appendChild(dom.createTextNode("∂"))
            row.appendChild(d)
            row.appendChild(printer._print(arg))
            frac.appendChild(row)
        return frac


def with_exp(tex: str, kw: dict, group: bool = False) -> str:
    """`tex` raised to the power the LaTeX printer passes a function's printer as `exp`."""
    if kw.get("exp") is None:
        return tex
    return (r"\left(%s\right)^{%s}" if group else "%s^{%s}") % (tex, kw["exp"])


def mathml_el(printer: Any, tag: str, *children: Any, text: str | None = None) -> Any:
    """A MathML element of the printer's document, with children or a text node (for the
    `_mathml_presentation` methods of display classes)."""
    el = printer.dom.createElement(tag)
    if text is not None:     # (sympy's DOM writes text as it is: escaped here, `<` as &lt;)
        el.appendChild(printer.dom.createTextNode(html.escape(text, quote=False)))
    for c in children:
        el.appendChild(c)
    return el


def mathml_fenced(printer: Any, *nodes: Any, left: str = "(", right: str = ")", sep: str = ",") -> Any:
    """`left node, node, ... right` as one `<mrow>` (an argument list, a bracketed group)."""
    row = [mathml_el(printer, "mo", text=left)] if left else []
    for k, n in enumerate(nodes):
        row += ([mathml_el(printer, "mo", text=sep)] if k else []) + [n]
    return mathml_el(printer, "mrow", *row, *([mathml_el(printer, "mo", text=right)] if right else []))


def mathml_call(printer: Any, head: Any, *args: Any) -> Any:
    """`head(arg, ...)` in MathML: `head` a word (one `<mi>`: relu, softmax, σ) or a node;
    each argument printed by the printer."""
    node = mathml_el(printer, "mi", text=head) if isinstance(head, str) else head
    return mathml_el(printer, "mrow", node, mathml_fenced(printer, *[printer._print(a) for a in args]))


def mathml_infix(printer: Any, op: str, *args: Any) -> Any:
    """`a op b op ...` in MathML, each argument printed by the printer."""
    row: list = []
    for k, a in enumerate(args):
        row += ([mathml_el(printer, "mo", text=op)] if k else []) + [printer._print(a)]
    return mathml_el(printer, "mrow", *row)


def pretty_join(*parts: Any) -> prettyForm:
    """Forms and strings side by side on one baseline (a string is a one-line form)."""
    forms = [prettyForm(p) if isinstance(p, str) else p for p in parts]
    return prettyForm(*forms[0].right(*forms[1:])) if len(forms) > 1 else forms[0]


def pretty_call(printer: Any, head: Any, *args: Any) -> prettyForm:
    """`head(arg, ...)` in Unicode with sympy's function binding (so a power goes on the
    head: σ²(x)); `head` a string or a form, each argument printed by the printer."""
    func = prettyForm(head) if isinstance(head, str) else head
    inner = prettyForm(*printer._print_seq(list(args), delimiter=", ").parens())
    form = prettyForm(*func.right(inner), binding=prettyForm.FUNC)
    form.prettyFunc, form.prettyArgs = func, inner
    return form


def pretty_script(base: Any, arg: Any, kind: str = "_") -> prettyForm:
    """`base` with `arg` (a form or a string) as a subscript (`kind` "_") or superscript
    ("^"): in Unicode sub/superscript letters when `arg` is one line and has them (xᵢ, ℝᵈ),
    else `base_(arg)` / `base^(arg)` on one line, or a 2-D superscript for a tall one."""
    from .texunicode import script
    base = prettyForm(base) if isinstance(base, str) else base
    arg = prettyForm(arg) if isinstance(arg, str) else arg
    if arg.height() == 1:
        return pretty_join(base, script(arg.picture[0], kind))
    if kind == "^":
        return base ** arg
    return pretty_join(base, "_", prettyForm(*arg.parens()))


_SUBSCRIPT_MARKS = set("₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ_")


def has_subscript(form: prettyForm) -> bool:
    """Whether a printed one-line name already carries a subscript (x₁, W_Q)."""
    return form.height() == 1 and any(c in _SUBSCRIPT_MARKS for c in form.picture[0])


def mathml_script(printer: Any, base: Any, sub: Any = None, sup: Any = None, under: bool = False) -> Any:
    """`base` (a word or a node) with a subscript and/or superscript node, or (`under`)
    with them set under and over it (∑, min in display style)."""
    node = mathml_el(printer, "mo" if under else "mi", text=base) if isinstance(base, str) else base
    kids = [k for k in (sub, sup) if k is not None]
    if not kids:
        return node
    tag = {(True, False): "sub", (False, True): "sup", (True, True): "subsup"}[(sub is not None, sup is not None)]
    if under:
        tag = {"sub": "under", "sup": "over", "subsup": "underover"}[tag]
    return mathml_el(printer, "m" + tag, node, *kids)


def pretty_infix(printer: Any, op: str, *args: Any) -> prettyForm:
    """`a op b op ...` in Unicode, each argument printed by the printer."""
    parts: list = []
    for k, a in enumerate(args):
        parts += ([op] if k else []) + [printer._print(a)]
    return pretty_join(*parts)


class _BigOp(sp.Function):
    """`sign_{under} body`, shown as written; subclasses set the sign."""

    nargs = 2
    tex = ""
    sign = ""

    def _latex(self, printer: Any, **kw: Any) -> str:
        body = printer._print(self.args[0])
        if isinstance(self.args[0], (sp.Add, sp.MatAdd)):
            body = r"\left(%s\right)" % body
        return with_exp(r"%s_{%s} %s" % (self.tex, printer._print(self.args[1]), body), kw, group=True)

    def _pretty(self, printer: Any) -> prettyForm:
        under = self.args[1]
        op = printer._print(sp.Symbol(f"{self.sign}_{under}")) if isinstance(under, sp.Symbol) else \
            prettyForm(*prettyForm(self.sign + "_").right(prettyForm(*printer._print(under).parens())))
        return prettyForm(*printer._print(self.args[0]).left(prettyForm(*op.right(" "))))

    def _mathml_presentation(self, printer: Any) -> Any:
        op = mathml_el(printer, "munder", mathml_el(printer, "mo", text=self.sign), printer._print(self.args[1]))
        return mathml_el(printer, "mrow", op, printer._print(self.args[0]))

    def _sympystr(self, printer: Any) -> str:
        return "%s_{%s}(%s)" % (self.sign, printer._print(self.args[1]), printer._print(self.args[0]))


class SumOver(_BigOp):
    """Σ_under body: a sum written with what it runs over under the sign."""

    tex = r"\sum"
    sign = "∑"


class ProdOver(_BigOp):
    """∏_under body: a product written with what it runs over under the sign."""

    tex = r"\prod"
    sign = "∏"


class Norm(sp.Function):
    """‖x‖, the Euclidean norm as written."""

    nargs = 1

    def _latex(self, printer: Any, **kw: Any) -> str:
        return with_exp(r"\left\| %s \right\|" % printer._print(self.args[0]), kw)

    def _pretty(self, printer: Any) -> prettyForm:
        inner = printer._print(self.args[0])
        return prettyForm(*prettyForm(*inner.left("‖")).right("‖"))

    def _mathml_presentation(self, printer: Any) -> Any:
        return mathml_el(printer, "mrow", mathml_el(printer, "mo", text="‖"), printer._print(self.args[0]),
                   mathml_el(printer, "mo", text="‖"))

    def _sympystr(self, printer: Any) -> str:
        return "norm(%s)" % printer._print(self.args[0])
