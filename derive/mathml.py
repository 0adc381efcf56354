"""sympy objects as presentation MathML, in derive's notation (for `--format html`).

`mathml(x, display=False)` gives a complete `<math>` element.  It is sympy's
`MathMLPresentationPrinter` with the conventions of derive's LaTeX printer
(printing.py): names as the language reference says (`x1` → x₁, `y_hat` → ŷ, `eta` → η,
`W_Q1` → W_{Q1}), 1-based matrix entries ((W₁)₁,₁), a 1×1 trace printed bare, an
elementwise function as f(arg), booleans and strings as text, lists of tensors.

derive's own sympy classes (relu, σ, softmax, norms, losses, and whatever a deriver
module adds) define only `_latex`.  For those the head is printed by their `_latex` (with
placeholder arguments) and converted by latex2mathml, and the real arguments are printed
by this printer and put in the placeholders' places; if that is not possible the whole
object goes through `_latex` and latex2mathml.  So every class prints as in the LaTeX
output, and the structure sympy knows (fractions, powers, matrices) stays semantic.
"""
from __future__ import annotations

import html
import re
from fractions import Fraction
from typing import Any
from xml.dom import minidom

import sympy as sp
from sympy.printing.mathml import MathMLPresentationPrinter

from .model.expressions import Seq
from .printing import _GREEK_UNICODE, ACCENTS, SUPERS, _split_name, latex

MATHML_NS = "http://www.w3.org/1998/Math/MathML"
_PLACEHOLDERS = "ϘϙϚϛϜϝϞϟ"
_ESCAPES = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}


def _own_latex(expr: Any) -> bool:
    """True for a class that prints itself in LaTeX but has no MathML of its own."""
    cls = type(expr)
    if not hasattr(cls, "_latex") or hasattr(cls, "_mathml_presentation"):
        return False
    return not (cls.__module__ or "").startswith("sympy.")   # None for classes made at run time


def _tidy_imported(node) -> None:
    """Nodes from latex2mathml: text escaped again (sympy's DOM writes text raw), and a
    multi-letter `<mo>` from `\\operatorname{relu}` made an identifier `<mi>`."""
    for child in list(node.childNodes):
        if child.nodeType == child.TEXT_NODE:
            child.data = html.escape(child.data, quote=False)
        else:
            _tidy_imported(child)
    if node.nodeType == node.ELEMENT_NODE and node.tagName == "mo":
        text = "".join(t.data for t in node.childNodes if t.nodeType == t.TEXT_NODE)
        if len(text) > 1 and text.isalpha():
            node.tagName = node.nodeName = "mi"
            for a in ("stretchy", "fence", "form"):
                if node.hasAttribute(a):
                    node.removeAttribute(a)


class DeriveMathMLPrinter(MathMLPresentationPrinter):
    """sympy's presentation MathML printer with derive's notation (see the module docstring)."""

    def __init__(self, settings: dict | None = None):
        base = {"order": "none", "mat_delim": "[", "mul_symbol": None, "ln_notation": False}
        base.update(settings or {})
        super().__init__(base)

    # ---- helpers --------------------------------------------------------------------
    def _el(self, tag: str, text: str | None = None, **attrs: str):
        el = self.dom.createElement(tag)
        for k, v in attrs.items():
            el.setAttribute(k, v)
        if text is not None:
            el.appendChild(self.dom.createTextNode(html.escape(text, quote=False)))
        return el

    def _row(self, *children):
        row = self.dom.createElement("mrow")
        for c in children:
            row.appendChild(c)
        return row

    def _fenced(self, inner, left: str, right: str):
        return self._row(self._el("mo", left), inner, self._el("mo", right))

    def mathml_tag(self, e):
        tag = super().mathml_tag(e)
        return {"<": "&lt;", ">": "&gt;"}.get(tag, tag)

    def _print(self, expr, **kwargs):
        if isinstance(expr, sp.Basic) and _own_latex(expr):
            return self._print_via_latex(expr)
        return super()._print(expr, **kwargs)

    # ---- derive's own classes through their _latex ------------------------------------
    def _from_latex(self, tex: str):
        from latex2mathml.converter import convert
        doc = minidom.parseString(convert(tex))
        math = doc.documentElement
        nodes = [n for n in math.childNodes if n.nodeType == n.ELEMENT_NODE]
        node = nodes[0] if len(nodes) == 1 else None
        if node is None:
            node = doc.createElement("mrow")
            for n in list(math.childNodes):
                node.appendChild(n)
        node = self.dom.importNode(node, True)
        _tidy_imported(node)
        return node

    def _print_via_latex(self, expr):
        args = list(expr.args)
        if 0 < len(args) <= len(_PLACEHOLDERS):
            holders = [sp.Symbol(_PLACEHOLDERS[k]) for k in range(len(args))]
            try:
                with sp.evaluate(False):
                    shell = type(expr)(*holders)
                tex = latex(shell)
                if all(tex.count(_PLACEHOLDERS[k]) == 1 for k in range(len(args))):
                    node = self._from_latex(tex)
                    found = {}
                    for mi in node.getElementsByTagName("mi"):
                        text = "".join(t.data for t in mi.childNodes if t.nodeType == t.TEXT_NODE)
                        if text in _PLACEHOLDERS[:len(args)]:
                            found[text] = mi
                    if len(found) == len(args):
                        for k, arg in enumerate(args):
                            mi = found[_PLACEHOLDERS[k]]
                            mi.parentNode.replaceChild(self._print(arg), mi)
                        return node
            except Exception:   # a class whose _latex needs its real arguments
                pass
        return self._from_latex(latex(expr))

    # ---- names ----------------------------------------------------------------------
    def _name(self, name: str):
        main, sub, accents = _split_name(name)
        base = self._el("mi", _GREEK_UNICODE.get(main, main))
        sup_text = ""
        for a in accents:
            if a in ACCENTS:
                over = self._el("mover", accent="true")
                over.appendChild(base)
                over.appendChild(self._el("mo", {"hat": "^", "bar": "¯", "tilde": "~", "dot": "˙",
                                                 "vec": "→"}[a]))
                base = over
            else:
                sup_text += SUPERS[a][1]
        if sub:
            row = self.dom.createElement("mrow")
            for k, part in enumerate(sub.split("_") if "," not in sub else sub.split(",")):
                if k:
                    row.appendChild(self._el("mo", ","))
                if part in _GREEK_UNICODE:
                    row.appendChild(self._el("mi", _GREEK_UNICODE[part]))
                    continue
                for run in re.findall(r"\d+|[A-Za-z]|[^\dA-Za-z]+", part):
                    row.appendChild(self._el("mn" if run.isdigit() else "mi", run))
            node = row.firstChild if len(row.childNodes) == 1 else row
            msub = self._el("msub")
            msub.appendChild(base)
            msub.appendChild(node)
            base = msub
        if sup_text:
            msup = self._el("msup")
            msup.appendChild(base)
            msup.appendChild(self._el("mo", sup_text))
            base = msup
        return base

    def _print_Symbol(self, sym, style="plain"):
        return self._name(sym.name)

    def _print_MatrixSymbol(self, sym):
        return self._name(sym.name)

    def _print_Dummy(self, sym):
        return self._name(sym.name)

    # ---- derive's conventions -----------------------------------------------------------
    def _print_MatrixElement(self, e):
        parent = self._print(e.parent)
        plain = isinstance(e.parent, (sp.Symbol, sp.MatrixSymbol)) and parent.tagName == "mi"
        if not plain:
            parent = self._fenced(parent, "(", ")")
        i, j = e.i + 1, e.j + 1
        idx = self.dom.createElement("mrow")
        idx.appendChild(self._print(i))
        if e.parent.shape[1] != 1:
            idx.appendChild(self._el("mo", ","))
            idx.appendChild(self._print(j))
        msub = self._el("msub")
        msub.appendChild(parent)
        msub.appendChild(idx)
        return msub

    def _print_Trace(self, expr):
        arg = expr.arg
        if tuple(arg.shape) == (1, 1):
            return self._print(arg)
        return self._row(self._el("mi", "tr"), self._fenced(self._print(arg), "(", ")"))

    def _print_ElementwiseApplyFunction(self, expr):
        fn = expr.function
        body = fn.expr if isinstance(fn, sp.Lambda) else None
        if body is not None and isinstance(body, sp.Function) and len(body.args) == 1:
            holder = sp.Symbol(_PLACEHOLDERS[0])
            with sp.evaluate(False):
                head = self._print(body.func(holder))
            for mi in head.getElementsByTagName("mi") if head.tagName != "mi" else [head]:
                text = "".join(t.data for t in mi.childNodes if t.nodeType == t.TEXT_NODE)
                if text == _PLACEHOLDERS[0]:
                    arg = self._print(expr.expr)
                    if mi is head:
                        return arg
                    mi.parentNode.replaceChild(arg, mi)
                    return head
        return self._row(self._print(fn), self._fenced(self._print(expr.expr), "(", ")"))

    def _print_Function(self, e):
        name = self.mathml_tag(e)
        if len(name) > 1 and name not in ("log", "ln", "exp", "sin", "cos", "tan", "max", "min"):
            head = self._el("mi", name)
        else:
            head = self._el("mi", name)
        return self._row(head, self._paren_comma_separated(*e.args))

    def _print_Transpose(self, expr):
        mat = expr.arg
        base = self._print(mat)
        if not isinstance(mat, (sp.MatrixSymbol, sp.Symbol, sp.MatrixBase)):
            base = self._fenced(base, "(", ")")
        sup = self._el("msup")
        sup.appendChild(base)
        sup.appendChild(self._el("mi", "T"))
        return sup

    def _print_Derivative(self, e):
        return self._from_latex(latex(e))

    def _print_OneMatrix(self, Z):
        return self._el("mn", "𝟏")

    def _print_Float(self, expr):
        if expr < 0:
            return self._row(self._el("mo", "−"), self._el("mn", latex(-expr)))
        return self._el("mn", latex(expr))

    def _print_Integer(self, e):
        if e < 0:
            return self._row(self._el("mo", "−"), self._el("mn", str(-e)))
        return self._el("mn", str(e))

    def _print_Exp1(self, e):
        return self._el("mi", "e")

    def _print_ImaginaryUnit(self, e):
        return self._el("mi", "i")

    def _print_Pi(self, e):
        return self._el("mi", "π")

    def _print_Infinity(self, e):
        return self._el("mi", "∞")

    def _print_bool(self, e):
        return self._el("mtext", "true" if e else "false")

    _print_BooleanTrue = _print_bool
    _print_BooleanFalse = _print_bool

    def _print_str(self, s: str):
        return self._el("mtext", s)

    def _print_Fraction(self, f: Fraction):
        return self._print(sp.Rational(f.numerator, f.denominator))

    def _print_Seq(self, seq):
        return self._paren_comma_separated(*seq)

    def _print_list(self, items):
        row = self._row(*[])
        row.appendChild(self._el("mo", "["))
        for k, item in enumerate(items):
            if k:
                row.appendChild(self._el("mo", ","))
            row.appendChild(self._print(item))
        row.appendChild(self._el("mo", "]"))
        return row

    def _print_tuple(self, items):
        return self._paren_comma_separated(*items)

    def _print_dict(self, d: dict):
        row = self._row(self._el("mo", "{"))
        for k, (key, value) in enumerate(d.items()):
            if k:
                row.appendChild(self._el("mo", ","))
            row.appendChild(self._print(key) if not isinstance(key, str) else self._name(key))
            row.appendChild(self._el("mo", ":"))
            row.appendChild(self._print(value))
        row.appendChild(self._el("mo", "}"))
        return row

    def _print_Relational(self, e):
        rel = {"==": "=", "!=": "≠", ">=": "≥", "<=": "≤", ">": ">", "<": "<"}.get(e.rel_op, e.rel_op)
        return self._row(self._print(e.lhs), self._el("mo", rel), self._print(e.rhs))

    def emptyPrinter(self, expr):
        if isinstance(expr, Seq):
            return self._print_Seq(expr)
        return self._el("mtext", str(expr))


_PRINTER: DeriveMathMLPrinter | None = None


def mathml_body(x: Any) -> str:
    """The MathML of `x` without the `<math>` element around it."""
    global _PRINTER
    if _PRINTER is None:
        _PRINTER = DeriveMathMLPrinter()
    if isinstance(x, Seq):
        node = _PRINTER._print_Seq(x)
    elif isinstance(x, bool):
        node = _PRINTER._print_bool(x)
    elif isinstance(x, str):
        node = _PRINTER._print_str(x)
    elif isinstance(x, Fraction):
        node = _PRINTER._print_Fraction(x)
    elif isinstance(x, (list, tuple, dict)):
        node = getattr(_PRINTER, f"_print_{type(x).__name__}")(x)
    else:
        node = _PRINTER._print(x)
    return node.toxml().replace("&InvisibleTimes;", "&#x2062;").replace("&dd;", "d")


def mathml(x: Any, display: bool = False) -> str:
    """`x` (a sympy object or a plain value) as a complete MathML element."""
    mode = "block" if display else "inline"
    return f'<math xmlns="{MATHML_NS}" display="{mode}">{mathml_body(x)}</math>'


def mathml_row(*parts: str, display: bool = False) -> str:
    """Several MathML bodies (and `<mo>` strings) in one `<math>` element."""
    mode = "block" if display else "inline"
    return f'<math xmlns="{MATHML_NS}" display="{mode}"><mrow>{"".join(parts)}</mrow></math>'


def mo(op: str) -> str:
    return f"<mo>{html.escape(op, quote=False)}</mo>"
