"""sympy objects as presentation MathML, in derive's notation (for `--format html`).

`mathml(x, display=False)` gives a complete `<math>` element.  It is sympy's
`MathMLPresentationPrinter` made to print what derive's LaTeX printer (printing.py)
prints, in the same order, so the HTML and the LaTeX of a step say the same thing:

* products and sums keep the order of their arguments (the LaTeX printer's
  `order="none"`): sympy's MathML printer re-sorts the factors of a product, so a
  chain-rule product ∂L/∂o · ∂o/∂h came out in another order than in the LaTeX;
* the LaTeX printer's decisions are made here the same way: brackets (its
  `_needs_mul_brackets` / `_needs_add_brackets`), the minus sign pulled out in front, a
  fraction for negative powers, `a − (−3)` kept for an unevaluated `a - (-3)`;
* between two factors where the first ends and the next starts with a numeral (5·3·7,
  x₁·3, 2·½) a visible `⋅`, where the LaTeX printer writes `\\cdot` (sympy's MathML
  printer writes an invisible times, so 5·3·7 read "5 3 7"); elsewhere an invisible times;
* every minus is the minus sign U+2212;
* names as the language reference says (`x1` → x₁, `y_hat` → ŷ, `eta` → η, `W_Q1` →
  W_{Q1}, `n_conv` → n with the upright word "conv" below, `dist` → one upright `<mi>`);
* 1-based matrix entries ((W₁)₁,₁), a 1×1 trace printed bare, an elementwise function
  as f(arg), matrix products and sums in their written order, block matrices as one
  matrix, booleans and strings as text, lists of tensors.

derive's own sympy classes (relu, σ, softmax, norms, losses, and whatever a deriver
module adds) print themselves with `_mathml_presentation`, their arguments printed here;
one that has `_latex` but no `_mathml_presentation` is an error (`MissingPrinter`), never
a conversion of its LaTeX.
"""
from __future__ import annotations

import html
import re
from fractions import Fraction
from typing import Any

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.conventions import requires_partial
from sympy.printing.mathml import MathMLPresentationPrinter
from sympy.printing.precedence import PRECEDENCE, precedence_traditional
from sympy.simplify.radsimp import fraction

from .mathml_nodes import INVISIBLE_TIMES, MINUS, NUMBER_TIMES, NodeMixin, ends_in_digit, real_minus, \
    starts_numeric, text_of
from .model.expressions import Seq
from .printing import PLACEHOLDERS as _PLACEHOLDERS, DeriveLatexPrinter, MissingPrinter, _bare_trace, \
    _is_negative, _negated, latex, lacks_printer

__all__ = ["DeriveMathMLPrinter", "MATHML_NS", "mathml", "mathml_body", "mathml_row", "mo"]

MATHML_NS = "http://www.w3.org/1998/Math/MathML"
_minus_negative = DeriveLatexPrinter._minus_negative
_POWER_FIRST = ("sin", "cos", "tan", "cot", "sec", "csc", "sinh", "cosh", "tanh", "coth")
_RELATIONS = {"==": "=", "!=": "≠", ">=": "≥", "<=": "≤", ">": ">", "<": "<"}


class DeriveMathMLPrinter(NodeMixin, MathMLPresentationPrinter):
    """sympy's presentation MathML printer with derive's notation (see the module docstring)."""

    def __init__(self, settings: dict | None = None):
        base = {"order": "none", "mat_delim": "[", "mul_symbol": None, "ln_notation": False}
        base.update(settings or {})
        super().__init__(base)

    def mathml_tag(self, e):
        tag = super().mathml_tag(e)
        return {"<": "&lt;", ">": "&gt;"}.get(tag, tag)

    def _print(self, expr, **kwargs):
        if isinstance(expr, sp.Basic) and lacks_printer(expr, "_mathml_presentation"):
            raise MissingPrinter(f"{type(expr).__name__} has `_latex` but no `_mathml_presentation`")
        return super()._print(expr, **kwargs)

    # ---- products and sums, decided as DeriveLatexPrinter decides ------------------------
    def _times(self, left, right):
        """The operator between two printed factors: `⋅` between numerals, else invisible."""
        return self._mo(NUMBER_TIMES if ends_in_digit(left) and starts_numeric(right) else INVISIBLE_TIMES)

    def _factors(self, args) -> Any:
        """Factors in the given order, bracketed as LaTeX brackets them (its convert_args)."""
        row, prev = self._row(), None
        for i, term in enumerate(args):
            node = self._print(term)
            if LatexPrinter._needs_mul_brackets(self, term, first=(i == 0), last=(i == len(args) - 1)):
                node = self._fenced(node)
            if prev is not None:
                row.appendChild(self._times(prev, node))
            row.appendChild(node)
            prev = node
        return row

    def _convert(self, expr):
        return self._factors(list(expr.args)) if expr.is_Mul else self._print(expr)

    def _print_Mul(self, expr):
        """A product as LaTeX prints it: unevaluated products factor by factor, a leading
        minus pulled out, a fraction when there is a denominator (also for x**-n)."""
        if _minus_negative(expr):
            return self._row(self._mo(MINUS), self._fenced(self._print(expr.args[1])))
        if isinstance(expr, sp.Mul):
            args = expr.args
            if args[0] is sp.S.One or any(isinstance(a, sp.Number) for a in args[1:]):
                return self._factors(args)
        row = self._row()
        fence = False
        if expr.could_extract_minus_sign():
            expr = -expr
            row.appendChild(self._mo(MINUS))
            fence = expr.is_Add
        numer, denom = fraction(expr, exact=True)
        if denom is sp.S.One and sp.Pow(1, -1, evaluate=False) not in expr.args:
            body = self._convert(expr)
        else:
            body = self._el("mfrac")
            body.appendChild(self._convert(numer))
            body.appendChild(self._convert(denom))
        row.appendChild(self._fenced(body) if fence else body)
        return row

    def _print_Add(self, expr, order=None):
        """Terms in their order; `a − (−3)` keeps its brackets (DeriveLatexPrinter._print_Add)."""
        row = self._row()
        for i, term in enumerate(self._as_ordered_terms(expr, order=order)):
            if _minus_negative(term):
                row.appendChild(self._mo(MINUS))
                row.appendChild(self._fenced(self._print(term.args[1])))
                continue
            if i and term.could_extract_minus_sign():
                row.appendChild(self._mo(MINUS))
                term = -term
            elif i:
                row.appendChild(self._mo("+"))
            node = self._print(term)
            row.appendChild(self._fenced(node) if LatexPrinter._needs_add_brackets(self, term) else node)
        return row

    def _print_MatMul(self, expr):
        """In the written order, a negative scalar in front as a minus (DeriveLatexPrinter)."""
        args = list(expr.args)
        row = self._row()
        if args and _is_negative(expr):
            c = -args[0]
            args = args[1:] if c == 1 else [c] + args[1:]
            row.appendChild(self._mo(MINUS))
        prev = None
        for a in args:
            node = self._print(a)
            if isinstance(a, (sp.MatAdd, sp.Add, sp.MatMul)) and not (isinstance(a, sp.Mul)
                                                                     and not isinstance(a, sp.MatMul)):
                node = self._fenced(node)
            if prev is not None:
                row.appendChild(self._times(prev, node))
            row.appendChild(node)
            prev = node
        return row

    def _print_MatAdd(self, expr):
        """Terms in their written order, a negative one negated without re-evaluating it."""
        row = self._row()
        for i, term in enumerate(expr.args):
            if i and _is_negative(term):
                row.appendChild(self._mo(MINUS))
                term = _negated(term)
            elif i:
                row.appendChild(self._mo("+"))
            node = self._print(term)
            row.appendChild(self._fenced(node) if isinstance(term, sp.MatAdd) else node)
        return row

    def _sup(self, base, exp):
        """base^exp; a subscripted base takes the exponent over its subscript (x₁ᵀ as x_{1}^{T})."""
        kids = [c for c in base.childNodes if c.nodeType == c.ELEMENT_NODE]
        if base.tagName == "mrow" and len(kids) == 1 and len(base.childNodes) == 1 and kids[0].tagName == "msub":
            base = kids[0]              # a subscripted name from LaTeX comes wrapped in an <mrow>
        if base.tagName == "msub":
            both = self._el("msubsup")
            for child in list(base.childNodes):
                both.appendChild(child)
            both.appendChild(exp)
            return both
        sup = self._el("msup")
        sup.appendChild(base)
        sup.appendChild(exp)
        return sup

    def _print_Pow(self, e):
        """As LaTeX: (pᵀq)³ for a bare 1×1 trace, roots, 1/x for negative powers, sin²(x)."""
        base, exp = e.base, e.exp
        if _bare_trace(base) and not (exp.is_Rational and (exp.is_negative or exp.q != 1)):
            return self._sup(self._fenced(self._print(base)), self._print(exp))
        if exp.is_Rational:
            p, q = exp.p, exp.q
            if abs(p) == 1 and q != 1:
                root = self._el("msqrt" if q == 2 else "mroot")
                root.appendChild(self._print(base))
                if q != 2:
                    root.appendChild(self._print(q))
                if p > 0:
                    return root
                frac = self._el("mfrac")
                frac.appendChild(self._print(sp.S.One))
                frac.appendChild(root)
                return frac
            if exp.is_negative and base.is_commutative and base != 1:
                return self._print_Mul(e)
        if isinstance(base, sp.Function) and type(base).__name__ in _POWER_FIRST:
            head = self._sup(self._el("mi", type(base).__name__), self._print(exp))
            return self._row(head, self._paren_comma_separated(*base.args))
        return self._sup(self.parenthesize(base, PRECEDENCE["Pow"]), self._print(exp))

    # ---- numbers ------------------------------------------------------------------------
    def _signed(self, negative: bool, node):
        return self._row(self._mo(MINUS), node) if negative else node

    def _print_Integer(self, e):
        return self._signed(e < 0, self._el("mn", str(abs(int(e)))))

    def _print_int(self, e):
        return self._print_Integer(sp.Integer(e))

    def _print_Rational(self, e):
        if e.q == 1:
            return self._print_Integer(sp.Integer(e.p))
        frac = self._el("mfrac")
        frac.appendChild(self._el("mn", str(abs(e.p))))
        frac.appendChild(self._el("mn", str(e.q)))
        return self._signed(e.p < 0, frac)

    def _print_Float(self, expr):
        """The LaTeX printer's digits; m·10ⁿ for its scientific form."""
        tex = latex(expr)
        m = re.fullmatch(r"(-?)([0-9.]+) \\cdot 10\^\{(-?)([0-9]+)\}", tex)
        if m is None:
            return self._signed(tex.startswith("-"), self._el("mn", tex.lstrip("-")))
        power = self._sup(self._el("mn", "10"), self._signed(m.group(3) == "-", self._el("mn", m.group(4))))
        return self._signed(m.group(1) == "-", self._row(self._el("mn", m.group(2)), self._mo(NUMBER_TIMES), power))

    def _print_Fraction(self, f: Fraction):
        return self._print(sp.Rational(f.numerator, f.denominator))

    def _print_Exp1(self, e):
        return self._el("mi", "e")

    def _print_ImaginaryUnit(self, e):
        return self._el("mi", "i")

    def _print_Pi(self, e):
        return self._el("mi", "π")

    def _print_Infinity(self, e):
        return self._el("mi", "∞")

    def _print_NegativeInfinity(self, e):
        return self._row(self._mo(MINUS), self._el("mi", "∞"))

    # ---- names and derive's conventions ---------------------------------------------------
    def _print_Symbol(self, sym, style="plain"):
        return self._name(sym.name)

    def _print_MatrixSymbol(self, sym):
        return self._name(sym.name)

    def _print_Dummy(self, sym):
        return self._name(sym.name)

    def _print_MatrixElement(self, e):
        """1-based: (W₁)₁,₂; a column vector's entry has one index: (x₁)₂."""
        parent = self._print(e.parent)
        plain = isinstance(e.parent, (sp.Symbol, sp.MatrixSymbol)) and parent.tagName == "mi"
        if not plain:
            parent = self._fenced(parent)
        idx = self._row(self._print(e.i + 1))
        if e.parent.shape[1] != 1:
            idx.appendChild(self._mo(","))
            idx.appendChild(self._print(e.j + 1))
        msub = self._el("msub")
        msub.appendChild(parent)
        msub.appendChild(idx)
        return msub

    def _print_Trace(self, expr):
        arg = expr.arg
        if tuple(arg.shape) == (1, 1):
            return self._print(arg)
        return self._row(self._el("mi", "tr"), self._fenced(self._print(arg)))

    def _print_Determinant(self, expr):
        """As the LaTeX printer writes it: |...| around an explicit matrix, else det(A) (sympy's
        MathML draws |A| for both)."""
        if isinstance(expr.arg, sp.MatrixBase):
            return super()._print_Determinant(expr)
        return self._row(self._el("mi", "det"), self._fenced(self._print(expr.arg)))

    def _print_ElementwiseApplyFunction(self, expr):
        """f applied entrywise to X prints as f(X), f's head as the printer prints f."""
        fn = expr.function
        body = fn.expr if isinstance(fn, sp.Lambda) else None
        if body is not None and isinstance(body, sp.Function) and len(body.args) == 1:
            holder = _PLACEHOLDERS[0]
            with sp.evaluate(False):
                head = self._print(body.func(sp.Symbol(holder)))
            for mi in head.getElementsByTagName("mi") if head.tagName != "mi" else [head]:
                if text_of(mi) == holder:
                    arg = self._print(expr.expr)
                    if mi is head:
                        return arg
                    mi.parentNode.replaceChild(arg, mi)
                    return head
        return self._row(self._print(fn), self._fenced(self._print(expr.expr)))

    def _print_Function(self, e):
        """f(x, y); an undefined function's name as a spec name (L1 → L₁)."""
        if isinstance(type(e), sp.core.function.UndefinedFunction):
            head = self._name(type(e).__name__)
        else:
            head = self._el("mi", self.mathml_tag(e))
        return self._row(head, self._paren_comma_separated(*e.args))

    def _print_Transpose(self, expr):
        mat = expr.arg
        base = self._print(mat)
        if not isinstance(mat, (sp.MatrixSymbol, sp.Symbol, sp.MatrixBase)):
            base = self._fenced(base)
        return self._sup(base, self._el("mi", "T"))

    def _print_BlockMatrix(self, expr):
        return self._print(expr.blocks)

    def _print_Derivative(self, e):
        """d/dx f, d²/dx² f (∂ when f has other variables), as the LaTeX printer writes it,
        with f in brackets where it brackets it (a sum, a negative product)."""
        d = "∂" if requires_partial(e.expr) else "d"
        den, dim = self._row(), 0
        for x, n in reversed(e.variable_count):
            dim += n
            den.appendChild(self._mo(d))
            den.appendChild(self._print(x) if n == 1 else self._sup(self._print(x), self._print(n)))
        num = self._mo(d) if dim == 1 else self._sup(self._mo(d), self._print(dim))
        frac = self._el("mfrac")
        frac.appendChild(num)
        frac.appendChild(den)
        body = self._print(e.expr)
        if any(a.could_extract_minus_sign() for a in e.args) or precedence_traditional(e.expr) < PRECEDENCE["Mul"]:
            body = self._fenced(body)
        return self._row(frac, body)

    def _print_OneMatrix(self, Z):
        return self._el("mn", "𝟏")

    def _print_ZeroMatrix(self, Z):
        return self._el("mn", "𝟘")

    def _print_Identity(self, I):
        return self._el("mi", "𝕀")

    def _print_bool(self, e):
        return self._el("mtext", "true" if e else "false")

    _print_BooleanTrue = _print_bool
    _print_BooleanFalse = _print_bool

    def _print_str(self, s: str):
        return self._el("mtext", s)

    def _separated(self, items, left: str, right: str, sep: str = ","):
        row = self._row(self._mo(left))
        for k, item in enumerate(items):
            if k:
                row.appendChild(self._mo(sep))
            row.appendChild(item)
        row.appendChild(self._mo(right))
        return row

    def _print_Seq(self, seq):
        return self._separated([self._print(e) for e in seq], "(", ")")

    def _print_list(self, items):
        return self._separated([self._print(e) for e in items], "[", "]")

    def _print_tuple(self, items):
        return self._separated([self._print(e) for e in items], "(", ")")

    def _print_dict(self, d: dict):
        entries = [self._row(self._name(k) if isinstance(k, str) else self._print(k), self._mo(":"),
                             self._print(v)) for k, v in d.items()]
        return self._separated(entries, "{", "}")

    def _print_Relational(self, e):
        rel = _RELATIONS.get(e.rel_op, e.rel_op)
        return self._row(self._print(e.lhs), self._mo(rel), self._print(e.rhs))

    def emptyPrinter(self, expr):
        if isinstance(expr, Seq):
            return self._print_Seq(expr)
        return self._el("mtext", str(expr))


_PRINTER: DeriveMathMLPrinter | None = None


def _node(x: Any):
    """The printed DOM node of `x` (a sympy object or a plain Python value)."""
    global _PRINTER
    if _PRINTER is None:
        _PRINTER = DeriveMathMLPrinter()
    if isinstance(x, Seq):
        return _PRINTER._print_Seq(x)
    if isinstance(x, bool):
        return _PRINTER._print_bool(x)
    if isinstance(x, str):
        return _PRINTER._print_str(x)
    if isinstance(x, Fraction):
        return _PRINTER._print_Fraction(x)
    if isinstance(x, int):
        return _PRINTER._print_int(x)
    if isinstance(x, (list, tuple, dict)):
        return getattr(_PRINTER, f"_print_{type(x).__name__}")(x)
    return _PRINTER._print(x)


def mathml_body(x: Any) -> str:
    """The MathML of `x` without the `<math>` element around it."""
    node = _node(x)
    real_minus(node)
    return (node.toxml().replace("&InvisibleTimes;", "&#x2062;").replace(INVISIBLE_TIMES, "&#x2062;")
            .replace("&dd;", "d"))


def mathml(x: Any, display: bool = False, displaystyle: bool = False) -> str:
    """`x` (a sympy object or a plain value) as a complete MathML element; `displaystyle`
    sets fractions at full size in an inline element (a cell of a chain's grid)."""
    mode = "block" if display else "inline"
    style = ' displaystyle="true"' if displaystyle and not display else ""
    return f'<math xmlns="{MATHML_NS}" display="{mode}"{style}>{mathml_body(x)}</math>'


def mathml_row(*parts: str, display: bool = False) -> str:
    """Several MathML bodies (and `<mo>` strings) in one `<math>` element."""
    mode = "block" if display else "inline"
    return f'<math xmlns="{MATHML_NS}" display="{mode}"><mrow>{"".join(parts)}</mrow></math>'


def mo(op: str) -> str:
    """An operator element for use between `mathml_body` parts (a hyphen becomes U+2212)."""
    return f"<mo>{html.escape(MINUS if op == '-' else op, quote=False)}</mo>"
