"""sympy objects as Unicode text for the terminal (`--format text`), in derive's notation.

`pretty(x)` is sympy's 2-D Unicode pretty printer with derive's names (`x1` → x₁, `y_hat`
→ ŷ, `eta` → η), 1-based entries written as in a spec (`W₁[1, 1]`), a 1×1 trace bare,
elementwise functions as f(arg), and derive's own classes (relu, σ, H, ...) under the
names their `_latex` gives them.  `inline(x)` is the same on one line (for tables and
answers inside sentences).  `chain_lines(items, relation)` lays out an equation chain:
on one line when it fits `width` columns, otherwise one link per line with the
relations under each other:

    h = relu(W₁⋅x + b₁)
      = ...
"""
from __future__ import annotations

import functools
import re
import unicodedata
from fractions import Fraction
from typing import Any

import sympy as sp
from sympy.printing.pretty.pretty import PrettyPrinter
from sympy.printing.pretty.stringpict import prettyForm, stringPict

from .model.expressions import Seq
from .printing import PLACEHOLDERS as _PLACEHOLDERS, latex, name_unicode, own_latex as _own_latex
from .texunicode import display_width, tex_to_unicode

WIDTH = 78
_SCIENTIFIC = re.compile(r"(-?[0-9.]+) \\cdot 10\^\{(-?[0-9]+)\}")
_SUPERSCRIPT = dict(zip("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"))
REL = {"=": "=", "<": "<", "<=": "≤", "≤": "≤", ">": ">", ">=": "≥", "≥": "≥", "≈": "≈", "⇔": "⇔",
       "⇒": "⇒", "≠": "≠"}


class DerivePrettyPrinter(PrettyPrinter):
    """sympy's Unicode pretty printer with derive's notation (see the module docstring)."""

    def __init__(self, settings: dict | None = None):
        base = {"use_unicode": True, "wrap_line": False, "order": "none", "num_columns": None}
        base.update(settings or {})
        super().__init__(base)

    def _print_Mul(self, product):
        """sympy's own `_print_Mul` (1.12-1.14), without its first line, an import of
        sympy.physics.units (for sorting unit quantities last: derive has none) that cost
        every run a fifth of its start-up."""
        args = product.args
        if args[0] is sp.S.One or any(isinstance(arg, sp.Number) for arg in args[1:]):
            strargs = list(map(self._print, args))
            negone = strargs[0] == "-1"      # (prettyForm.__mul__ absorbs a leading -1)
            if negone:
                strargs[0] = prettyForm("1", 0, 0)
            obj = prettyForm.__mul__(*strargs)
            return prettyForm("-" + obj.s, obj.baseline, obj.binding) if negone else obj
        args = product.as_ordered_factors() if self.order not in ("old", "none") else list(args)
        a, b = [], []                        # numerator, denominator
        for item in args:
            if item.is_commutative and item.is_Pow and item.exp.is_Rational and item.exp.is_negative:
                b.append(sp.Pow(item.base, -item.exp, evaluate=False) if item.exp != -1
                         else sp.Pow(item.base, -item.exp))
            elif item.is_Rational and item is not sp.S.Infinity:
                if item.p != 1:
                    a.append(sp.Rational(item.p))
                if item.q != 1:
                    b.append(sp.Rational(item.q))
            else:
                a.append(item)
        a = [self._print(ai) for ai in a]
        b = [self._print(bi) for bi in b]
        if not b:
            return prettyForm.__mul__(*a)
        return prettyForm.__mul__(*(a or [self._print(sp.S.One)])) / prettyForm.__mul__(*b)

    def _print(self, expr, **kwargs):
        if isinstance(expr, sp.Basic) and _own_latex(expr) and not hasattr(type(expr), "_pretty"):
            return self._print_own(expr)
        return super()._print(expr, **kwargs)

    def _print_Abs(self, e):
        """|x| with ASCII bars on one line (sympy draws box-drawing bars, │0.8│); tall
        contents keep sympy's stretched bars."""
        inner = self._print(e.args[0])
        if inner.height() > 1:
            return super()._print_Abs(e)
        return prettyForm(*stringPict.next("|", inner, "|"), binding=prettyForm.FUNC)

    def _print_own(self, expr):
        """A derive class: its head from its `_latex`, its arguments printed here."""
        args = list(expr.args)
        head = _own_head(type(expr), len(args))
        if head is not None:
            return self._helper_print_function(head, args, func_name=head)
        return prettyForm(tex_to_unicode(latex(expr)))

    def _print_Symbol(self, e, bold_name=False):
        return prettyForm(unicodedata.normalize("NFC", name_unicode(e.name)))

    _print_Dummy = _print_Symbol

    def _print_MatrixSymbol(self, e):
        return prettyForm(unicodedata.normalize("NFC", name_unicode(e.name)))

    def _print_MatrixElement(self, expr):
        parent = self._print(expr.parent)
        if not isinstance(expr.parent, (sp.Symbol, sp.MatrixSymbol)):
            parent = prettyForm(*parent.parens())
        idx = [expr.i + 1] if expr.parent.shape[1] == 1 else [expr.i + 1, expr.j + 1]
        indices = self._print_seq(idx, delimiter=", ").parens(left="[", right="]")[0]
        return prettyForm(binding=prettyForm.FUNC, *stringPict.next(parent, indices))

    def _print_Trace(self, e):
        if tuple(e.arg.shape) == (1, 1):
            return self._print(e.arg)
        return self._helper_print_function("tr", [e.arg], func_name="tr")

    def _print_ElementwiseApplyFunction(self, e):
        fn = e.function
        body = fn.expr if isinstance(fn, sp.Lambda) else None
        if body is not None and isinstance(body, sp.Function) and len(body.args) == 1:
            head = _own_head(body.func, 1)
            if head is not None:
                return self._helper_print_function(head, [e.expr], func_name=head)
        return super()._print_ElementwiseApplyFunction(e)


    def _print_Float(self, e):
        """The LaTeX printer's digits (so every format shows the same number), its
        scientific form m·10ⁿ written in Unicode: 1.6384⋅10⁶, not `1.6384 \\cdot 10^{6}`."""
        tex = latex(e)
        m = _SCIENTIFIC.fullmatch(tex)
        if m is None:
            return prettyForm(tex)
        power = "".join(_SUPERSCRIPT[ch] for ch in m.group(2))
        return prettyForm(f"{m.group(1)}⋅10{power}", binding=prettyForm.MUL)

    def _print_matrix_contents(self, e):
        """A grid of entries, right-aligned (numbers line up), rows touching unless tall."""
        cells = {(i, j): self._print(e[i, j]) for i in range(e.rows) for j in range(e.cols)}
        widths = [max((cells[i, j].width() for i in range(e.rows)), default=0) for j in range(e.cols)]
        tall = any(c.height() > 1 for c in cells.values())
        rows = []
        for i in range(e.rows):       # (joined in one call each: pairwise, a 64×64 grid took seconds)
            parts: list = []
            for j in range(e.cols):
                c = cells[i, j]
                parts += (["  "] if parts else []) + [prettyForm(*c.left(" " * (widths[j] - c.width())))]
            if parts:
                rows.append(prettyForm(*parts[0].right(*parts[1:])) if len(parts) > 1 else parts[0])
        if not rows:
            return prettyForm("")
        below = [x for r in rows[1:] for x in ([" ", r] if tall else [r])]
        return prettyForm(*rows[0].below(*below)) if below else rows[0]

    def _print_bool(self, e):
        return prettyForm("true" if e else "false")

    _print_BooleanTrue = _print_bool
    _print_BooleanFalse = _print_bool

    def _print_str(self, s):
        return prettyForm(s)

    def _print_Fraction(self, f):
        return self._print(sp.Rational(f.numerator, f.denominator))

    def _print_Seq(self, seq):
        return self._print_seq(list(seq), "(", ")")

    def _print_OneMatrix(self, e):
        return prettyForm("𝟏")

    def _print_dict(self, d):
        items = []
        for k, v in d.items():
            key = prettyForm(name_unicode(k)) if isinstance(k, str) else self._print(k)
            items.append(prettyForm(*stringPict.next(key, ": ", self._print(v))))
        return self._print_seq(items, "{", "}")

    def emptyPrinter(self, expr):
        if isinstance(expr, Seq):
            return self._print_Seq(expr)
        return prettyForm(str(expr))


_PRINTER: DerivePrettyPrinter | None = None


def _printer() -> DerivePrettyPrinter:
    global _PRINTER
    if _PRINTER is None:
        _PRINTER = DerivePrettyPrinter()
    return _PRINTER


def _form(x: Any) -> prettyForm:
    p = _printer()
    if isinstance(x, Seq):
        return p._print_Seq(x)
    if isinstance(x, bool):
        return p._print_bool(x)
    if isinstance(x, str):
        return prettyForm(x)
    if isinstance(x, Fraction):
        return p._print_Fraction(x)
    if isinstance(x, dict):
        return p._print_dict(x)
    return p._print(x)


def _render(form: stringPict) -> str:
    return "\n".join(line.rstrip() for line in form.render(wrap_line=False).split("\n"))


def pretty(x: Any) -> str:
    """`x` in 2-D Unicode (matrices as bracketed blocks)."""
    return _render(_form(x))


def inline(x: Any) -> str:
    """`x` on one line of Unicode (matrices as [[1, 2], [3, 4]], column vectors as [1, 2]ᵀ)."""
    if isinstance(x, str):
        return x
    form = _form(x)
    if form.height() == 1:
        return _render(form)
    return tex_to_unicode(latex(x)).replace("\n", "; ")


def chain_lines(items: list[Any] | tuple[Any, ...], relation: str = "=", width: int = WIDTH) -> str:
    """An equation chain in 2-D Unicode: one line if it fits `width`, else one link a line."""
    rel = REL.get(relation, relation)
    forms = [_form(x) for x in items]
    if not forms:
        return ""
    if len(forms) == 1:
        return _render(forms[0])
    parts: list[Any] = [forms[0]]
    for f in forms[1:]:
        parts.extend([f" {rel} ", f])
    one = stringPict(*stringPict.next(*parts))
    if one.width() <= width:
        return _render(one)
    lhs = forms[0]
    rows = [_render(stringPict(*stringPict.next(lhs, f" {rel} ", forms[1])))]
    pad = " " * (lhs.width() + 1)
    for f in forms[2:]:
        block = _render(stringPict(*stringPict.next(f"{rel} ", f)))
        rows.append("\n".join(pad + line if line.strip() else "" for line in block.split("\n")))
    return "\n".join(rows)


def width_of(text: str) -> int:
    return max((display_width(line) for line in text.split("\n")), default=0)


@functools.lru_cache(maxsize=256)
def _own_head(cls: type, nargs: int) -> str | None:
    """The Unicode head of `cls(x1, ..., xn)` read off its LaTeX with placeholder arguments
    (`softmax` from `\\operatorname{softmax}(...)`), or None when its LaTeX is not a head and
    an argument list.  Once per class and count: the shell is built under sympy's
    evaluate(False), which clears sympy's whole cache on entry and on exit."""
    if not 0 < nargs <= len(_PLACEHOLDERS):
        return None
    holders = [sp.Symbol(_PLACEHOLDERS[k]) for k in range(nargs)]
    try:
        with sp.evaluate(False):
            shell = cls(*holders)
        text = tex_to_unicode(latex(shell))
    except Exception:   # noqa: BLE001 - a class whose _latex needs its real arguments
        return None
    m = re.fullmatch(r"(.+?)\(" + re.escape(", ".join(_PLACEHOLDERS[:nargs])) + r"\)", text)
    return m.group(1) if m else None
