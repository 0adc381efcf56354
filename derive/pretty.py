"""sympy objects as Unicode text for the terminal (`--format text`), in derive's notation.

`pretty(x)` is sympy's 2-D Unicode pretty printer with derive's names (`x1` → x₁, `y_hat`
→ ŷ, `eta` → η), 1-based entries written as in a spec (`W₁[1, 1]`), a 1×1 trace bare,
elementwise functions as f(arg), and derive's own classes (relu, σ, H, ...) by their own
`_pretty` (a derive class with `_latex` and no `_pretty` is an error, `MissingPrinter`).
`inline(x)` is the same on one line (for tables and answers inside sentences; what
does not fit one line is printed by derive.pretty_line).  `chain_lines(items, relation)` lays out an equation chain:
on one line when it fits `width` columns, otherwise one link per line with the
relations under each other:

    h = relu(W₁⋅x + b₁)
      = ...
"""
from __future__ import annotations

import functools
import re
import threading
import unicodedata
from contextlib import contextmanager
from fractions import Fraction
from typing import Any, Iterator

import sympy as sp
from sympy.printing.pretty import pretty_symbology
from sympy.printing.pretty.pretty import PrettyPrinter
from sympy.printing.pretty.stringpict import prettyForm, stringPict

from .model.expressions import Seq
from .pretty_line import LineMixin
from .printing import PLACEHOLDERS as _PLACEHOLDERS, MissingPrinter, lacks_printer, latex, name_unicode
from .texunicode import display_width, script

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
        return self._divide(prettyForm.__mul__(*(a or [self._print(sp.S.One)])), prettyForm.__mul__(*b))

    def _divide(self, num: prettyForm, den: prettyForm) -> prettyForm:
        """The fraction num/den (2-D here; on one line in derive.pretty_line)."""
        return num / den

    def _print(self, expr, **kwargs):
        if isinstance(expr, sp.Basic) and lacks_printer(expr, "_pretty"):
            raise MissingPrinter(f"{type(expr).__name__} has `_latex` but no `_pretty`")
        return super()._print(expr, **kwargs)

    def _print_MatMul(self, expr):
        """sympy's, with a product inside a product in brackets too, as the LaTeX printer
        writes it: λ⋅(wᵀ⋅w) is a scalar times the 1×1 product, not λ⋅wᵀ⋅w."""
        args = list(expr.args)
        forms = []
        for a in args:
            form = self._print(a)
            if len(args) > 1 and isinstance(a, (sp.Add, sp.MatAdd, sp.HadamardProduct, sp.KroneckerProduct,
                                                sp.MatMul)) and not (isinstance(a, sp.Mul) and not
                                                                      isinstance(a, sp.MatMul)):
                form = prettyForm(*form.parens())
            forms.append(form)
        return prettyForm.__mul__(*forms)

    def _print_Abs(self, e):
        """|x| with ASCII bars on one line (sympy draws box-drawing bars, │0.8│); tall
        contents keep sympy's stretched bars."""
        inner = self._print(e.args[0])
        if inner.height() > 1:
            return super()._print_Abs(e)
        return prettyForm(*stringPict.next("|", inner, "|"), binding=prettyForm.FUNC)

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

    def _print_Indexed(self, expr):
        """pᵢ when the indices have subscript letters, else x[i, j] as an entry is written in a
        spec (sympy's pretty printer had no Indexed: it wrote its str, 2*o_1); a base that is
        not a plain name in brackets: (∂L/∂Y)[c, o]."""
        label = expr.base.label
        base = self._print(label)
        if type(label) is not sp.Symbol:
            base = prettyForm(*base.parens())
        idx = self._print_seq(list(expr.indices), delimiter=", ")
        low = script(idx.picture[0], "_") if idx.height() == 1 and base.height() == 1 else "_"
        if not low.startswith("_"):         # pᵢ, αᵢ: indices that have subscript letters
            return prettyForm(base.picture[0] + low, binding=prettyForm.ATOM)
        return prettyForm(binding=prettyForm.FUNC, *stringPict.next(base, idx.parens(left="[", right="]")[0]))

    def _print_Max(self, e):
        """max(a, b) as the LaTeX printer writes it (sympy's pretty printer had no Max)."""
        return self._helper_print_function("max", list(e.args), func_name="max")

    def _print_Min(self, e):
        return self._helper_print_function("min", list(e.args), func_name="min")

    def _print_Trace(self, e):
        if tuple(e.arg.shape) == (1, 1):
            return self._print(e.arg)
        return self._helper_print_function("tr", [e.arg], func_name="tr")

    def _print_ElementwiseApplyFunction(self, e):
        fn = e.function
        body = fn.expr if isinstance(fn, sp.Lambda) else None
        if body is not None and isinstance(body, sp.Function) and len(body.args) == 1:
            head = _head_of(body.func)
            if head is not None:
                args = prettyForm(*self._print(e.expr).parens())
                form = prettyForm(*prettyForm(head).right(args), binding=prettyForm.FUNC)
                form.prettyFunc, form.prettyArgs = prettyForm(head), args
                return form
            try:            # f(X) written as f applied to X: e^(X⋅w), as the LaTeX printer writes it
                return self._print(body.func(e.expr, evaluate=False))
            except Exception:   # noqa: BLE001 - a function that refuses a matrix argument
                pass
        return super()._print_ElementwiseApplyFunction(e)

    def _print_MatAdd(self, expr):
        """x - μ, as the LaTeX printer writes it (sympy's pretty printer gives `x -μ`)."""
        out = None
        for item in expr.args:
            coeff = item.as_coeff_mmul()[0] if isinstance(item, sp.MatMul) else sp.S.One
            negative = out is not None and coeff.could_extract_minus_sign()
            form = self._print(-item if negative else item)
            if negative and isinstance(-item, sp.MatAdd):
                form = prettyForm(*form.parens())
            out = form if out is None else prettyForm(*stringPict.next(out, " - " if negative else " + ", form))
        return out if out is not None else self._print(sp.S.Zero)

    def _print_Determinant(self, e):
        """|A| around an explicit matrix, else det(A), as the LaTeX printer writes it."""
        if isinstance(e.arg, sp.MatrixBase):
            return super()._print_Determinant(e)
        return self._helper_print_function("det", [e.arg], func_name="det")

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


class LinePrinter(LineMixin, DerivePrettyPrinter):
    """derive's pretty printer with everything on one line (derive.pretty_line)."""


_PRINTER: DerivePrettyPrinter | None = None
_LINE: LinePrinter | None = None


def _line_printer() -> LinePrinter:
    global _LINE
    if _LINE is None:
        _LINE = LinePrinter()
    return _LINE


def _printer() -> DerivePrettyPrinter:
    global _PRINTER
    if _PRINTER is None:
        _PRINTER = DerivePrettyPrinter()
    return _PRINTER


_DRAWING = threading.Lock()
_DRAWERS = [0, False]          # forms being built now, and the host's setting to restore after


@contextmanager
def _unicode_pieces() -> Iterator[None]:
    """While a form is built, sympy draws brackets, roots and floors (`xobj`, `vobj`) from
    a process-wide table that `pretty_use_unicode` selects, and sympy selects it from
    sys.stdout's encoding when it is imported: under PYTHONIOENCODING=ascii, or with a
    StringIO as standard output, it is the ASCII table, which has no floor and no sum.
    derive's text is always Unicode (an ASCII terminal gets a transliteration,
    derive.asciitext), so the Unicode table is selected while derive builds a form, and the
    host's choice is put back when the last build in any thread ends."""
    with _DRAWING:
        if _DRAWERS[0] == 0:
            _DRAWERS[1] = pretty_symbology.pretty_use_unicode(True)
        _DRAWERS[0] += 1
    try:
        yield
    finally:
        with _DRAWING:
            _DRAWERS[0] -= 1
            if _DRAWERS[0] == 0:
                pretty_symbology.pretty_use_unicode(_DRAWERS[1])


def _form(x: Any) -> prettyForm:
    with _unicode_pieces():
        return _any_form(x)


def _any_form(x: Any) -> prettyForm:
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
    with _unicode_pieces():
        return _render(_line_printer()._print(x)).replace("\n", "; ")


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
def _head_of(cls: type) -> str | None:
    """The one-line head of `cls(x)` as printed here (`relu`, `σ`), or None when its form is
    not a head and an argument list.  Once per class: the shell is built under sympy's
    evaluate(False), which clears sympy's whole cache on entry and on exit."""
    try:
        with sp.evaluate(False):
            shell = cls(sp.Symbol(_PLACEHOLDERS[0]))
    except Exception:   # noqa: BLE001 - a class that needs its real argument
        return None
    form = _form(shell)
    text, tail = form.picture[0] if form.height() == 1 else "", "(%s)" % _PLACEHOLDERS[0]
    return text[:-len(tail)] if text.endswith(tail) and len(text) > len(tail) else None
