"""One LaTeX printer for all maths, and the plain-text forms of answers.

`latex(x)` prints sympy objects the way the exam writes them: names as the language
reference says (`x1` → x_{1}, `y_hat` → \\hat{y}, `eta` → \\eta, `W_Q1` → W_{Q1}),
1-based entries (W₁[1, 1] → (W_1)_{1,1}), a 1×1 product pᵀq without a trace around it,
relu/σ/softmax by name, explicit vectors as column matrices.  Python values (lists of
tensors, shapes, booleans, strings) print too.

`answer_text(x)` is the `answer.text` of the JSON contract: parseable by SymPy's
`parse_expr` given the problem's symbols; `answer_value(x)` the JSON `value`.
"""
from __future__ import annotations

import cmath
import functools
import json
from fractions import Fraction
from typing import Any

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixElement, MatrixExpr
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter



GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "vartheta",
         "iota", "kappa", "lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigma", "tau", "upsilon",
         "phi", "varphi", "chi", "psi", "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma",
         "Upsilon", "Phi", "Psi", "Omega"}
_GREEK_UNICODE = dict(zip(
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi omicron pi rho "
    "sigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega".split(),
    "α β γ δ ϵ ε ζ η θ ϑ ι κ λ μ ν ξ ο π ρ σ τ υ ϕ φ χ ψ ω Γ Δ Θ Λ Ξ Π Σ Υ Φ Ψ Ω".split()))
ACCENTS = {"hat": (r"\hat{%s}", "\u0302"), "bar": (r"\bar{%s}", "\u0304"), "tilde": (r"\tilde{%s}", "\u0303"),
           "dot": (r"\dot{%s}", "\u0307"), "vec": (r"\vec{%s}", "\u20d7")}
SUPERS = {"star": ("*", "*"), "prime": ("\\prime", "′")}
_SUB_DIGITS = str.maketrans("0123456789+-()aeiklmnoprstuvxhj", "₀₁₂₃₄₅₆₇₈₉₊₋₍₎ₐₑᵢₖₗₘₙₒₚᵣₛₜᵤᵥₓₕⱼ")


PLACEHOLDERS = "ϘϙϚϛϜϝϞϟ"      # letters no name or LaTeX uses: argument slots of a printed shell


class MissingPrinter(TypeError):
    """A derive display class printed by a format it has no method for (every class with
    `_latex` needs `_pretty` and `_mathml_presentation` too; tests/test_notation_printers.py)."""


def lacks_printer(expr: Any, method: str) -> bool:
    """True for an object of a derive class (not sympy's own) that prints itself in LaTeX
    but has no `method` (`_mathml_presentation`, `_pretty`) for another format."""
    cls = type(expr)
    if not hasattr(cls, "_latex") or hasattr(cls, method):
        return False
    return not (cls.__module__ or "").startswith("sympy.")   # None for classes made at run time


def _split_name(name: str) -> tuple[str, str, list[str]]:
    """(main, subscript, accents) of a name: `W_Q1` -> (W, Q1, []), `y_hat` -> (y, '', [hat])."""
    import re
    parts = name.split("_")
    accents = []
    while len(parts) > 1 and parts[-1] in ACCENTS.keys() | SUPERS.keys():
        accents.insert(0, parts.pop())
    main, sub = parts[0], "_".join(parts[1:])
    m = re.fullmatch(r"([A-Za-z]+?)([0-9]+)", main)
    if m and main not in GREEK:
        main, digits = m.group(1), m.group(2)
        sub = digits if not sub else digits + "," + sub
    return main, sub, accents


# A one-letter name no spec can declare (Greek Koppa): stands in for an argument while a
# function's head is printed, then replaced by the argument's own LaTeX.
PLACEHOLDER = "Ϙ"
APPROX_DIGITS = 6       # significant digits of the decimals shown beside an exact answer (Answer.approx)


def _is_word(part: str) -> bool:
    """A name part of two or more letters that is not a Greek letter: set upright
    (`dist` -> \\mathrm{dist}, `n_conv` -> n_{\\text{conv}}), as standard notation does."""
    return len(part) > 1 and part.isalpha() and part not in GREEK


def name_latex(name: str) -> str:
    """LaTeX of a spec name (see the module docstring)."""
    main, sub, accents = _split_name(name)
    tex = "\\" + main if main in GREEK else (r"\mathrm{%s}" % main if _is_word(main) else main)
    sup = ""
    for a in accents:
        if a in ACCENTS:
            tex = ACCENTS[a][0] % tex
        else:
            sup += SUPERS[a][0]
    if sub:
        sub_tex = ",".join(("\\" + s if s in GREEK else r"\text{%s}" % s if _is_word(s) else s)
                           for s in sub.split("_"))
        tex = f"{tex}_{{{sub_tex}}}"
    if sup:
        tex = f"{tex}^{{{sup}}}"
    return tex


def name_unicode(name: str) -> str:
    """Unicode of a spec name: x1 -> x₁, y_hat -> ŷ, eta -> η."""
    main, sub, accents = _split_name(name)
    text = _GREEK_UNICODE.get(main, main)
    for a in accents:
        text = text + (ACCENTS[a][1] if a in ACCENTS else SUPERS[a][1])
    if sub:
        sub_u = "".join(_GREEK_UNICODE.get(s, s) for s in sub.split("_"))
        low = sub_u.translate(_SUB_DIGITS)
        text += low if all(c not in "ABCDEFGHIJKLMNOPQRSTUVWXYZbcdfgqwyz" for c in sub_u) else "_" + sub_u
    return text


def _bare_trace(x: Any) -> bool:
    """A 1×1 Trace, which both printers show without `tr` (so it needs brackets under a power)."""
    return isinstance(x, sp.Trace) and tuple(x.arg.shape) == (1, 1)


class DeriveLatexPrinter(LatexPrinter):
    """sympy's LatexPrinter with derive's notation (see the module docstring)."""

    def _print_Symbol(self, expr, style="plain") -> str:
        return name_latex(expr.name)

    def _print_MatrixSymbol(self, expr) -> str:
        return name_latex(expr.name)

    def _print_matrix_contents(self, expr) -> str:
        """sympy's, with the entries read at once (`tolist`): slicing the matrix row by row
        took most of the time of printing one."""
        lines = [" & ".join(self._print(e) for e in row) for row in expr.tolist()]
        mat_str = self._settings["mat_str"]
        if mat_str is None:
            mat_str = "smallmatrix" if self._settings["mode"] == "inline" else \
                "matrix" if (expr.cols <= 10) is True else "array"
        out = r"\begin{%s}%s\end{%s}" % (mat_str, "{" + "c" * expr.cols + "}%s" if mat_str == "array" else "%s",
                                          mat_str)
        return out % r"\\".join(lines)

    def _print_Determinant(self, expr) -> str:
        """|A| of an explicit matrix as a vmatrix (sympy puts bars around brackets)."""
        if isinstance(expr.arg, sp.MatrixBase):
            rows = [" & ".join(self._print(e) for e in expr.arg.row(i)) for i in range(expr.arg.rows)]
            return r"\begin{vmatrix}%s\end{vmatrix}" % r"\\".join(rows)
        return r"\det\left(%s\right)" % self._print(expr.arg)

    def __init__(self, settings: dict | None = None):
        base = {"order": "none", "mat_delim": "", "mat_str": "bmatrix", "mul_symbol": None,
                "ln_notation": False}
        base.update(settings or {})
        super().__init__(base)

    @staticmethod
    def _minus_negative(term: Any) -> bool:
        """An unevaluated −1·(negative number), as substituting a negative value into −x gives."""
        return (isinstance(term, sp.Mul) and len(term.args) == 2 and term.args[0] == -1
                and term.args[1].is_Number and term.args[1].is_negative)

    def _print_Add(self, expr, order=None) -> str:
        """As sympy's, but an unevaluated `a - (-3)` (numbers substituted into a − b) keeps its
        brackets instead of printing `a - -3`."""
        terms = self._as_ordered_terms(expr, order=order)
        tex = ""
        for i, term in enumerate(terms):
            if self._minus_negative(term):
                tex += (" - " if i else "-") + r"\left(%s\right)" % self._print(term.args[1])
                continue
            if i == 0:
                pass
            elif term.could_extract_minus_sign():
                tex += " - "
                term = -term
            else:
                tex += " + "
            term_tex = self._print(term)
            if self._needs_add_brackets(term):
                term_tex = r"\left(%s\right)" % term_tex
            tex += term_tex
        return tex

    def _print_Mul(self, expr) -> str:
        if self._minus_negative(expr):
            return r"-\left(%s\right)" % self._print(expr.args[1])
        return super()._print_Mul(expr)

    def _print_MatrixElement(self, expr: MatrixElement) -> str:
        parent = self._print(expr.parent)
        i, j = expr.i + 1, expr.j + 1
        if expr.parent.shape[1] == 1:
            idx = self._print(i)
        else:
            idx = f"{self._print(i)},{self._print(j)}"
        if "_" in parent or "^" in parent:
            parent = r"\left(%s\right)" % parent
        return f"{parent}_{{{idx}}}"

    def _print_Trace(self, expr) -> str:
        arg = expr.arg
        if tuple(arg.shape) == (1, 1):
            return self._print(arg)
        return r"\operatorname{tr}\left(%s\right)" % self._print(arg)

    def _print_Pow(self, expr) -> str:
        # A bare 1×1 product pᵀq needs brackets under a power: (pᵀq)³, not pᵀq³.
        if _bare_trace(expr.base) and not (expr.exp.is_Rational and (expr.exp.is_negative or expr.exp.q != 1)):
            return r"\left(%s\right)^{%s}" % (self._print(expr.base), self._print(expr.exp))
        return super()._print_Pow(expr)

    def _print_ElementwiseApplyFunction(self, expr) -> str:
        fn = expr.function
        body = fn.expr if isinstance(fn, sp.Lambda) else None
        arg = self._print(expr.expr)
        if body is not None and isinstance(body, sp.Function) and len(body.args) == 1:
            head = self._print(body.func(sp.Symbol(PLACEHOLDER)))
            return head.replace(PLACEHOLDER, arg)
        return super()._print_ElementwiseApplyFunction(expr)

    def _print_MatMul(self, expr) -> str:
        """sympy's, without its could_extract_minus_sign (which negates the product and so
        runs doit() on every product printed: most of the printing time)."""
        args = list(expr.args)
        tex = ""
        if args and _is_negative(expr):
            c = -args[0]
            args = args[1:] if c == 1 else [c] + args[1:]
            tex = "- "

        def part(x):
            if isinstance(x, (sp.MatAdd, sp.Add, sp.MatMul)) and not (isinstance(x, sp.Mul)
                                                                       and not isinstance(x, sp.MatMul)):
                return r"\left(%s\right)" % self._print(x)
            return self._print(x)
        return tex + " ".join(part(a) for a in args)

    def _print_MatAdd(self, expr) -> str:
        """A sum in its written order; a negative term is negated without re-evaluating it
        (sympy's `-term` runs doit(), which re-sorts the sums inside the term)."""
        tex = ""
        for i, term in enumerate(expr.args):
            if i and _is_negative(term):
                tex += " - "
                term = _negated(term)
            elif i:
                tex += " + "
            body = self._print(term)
            tex += r"\left(%s\right)" % body if isinstance(term, sp.MatAdd) else body
        return tex

    def _print_Function(self, expr, exp=None) -> str:
        """A function the spec defines, f(w), k(p, q): its name as a name, plain brackets."""
        from sympy.core.function import AppliedUndef
        if isinstance(expr, AppliedUndef):
            tex = "%s(%s)" % (name_latex(expr.func.__name__), ", ".join(self._print(a) for a in expr.args))
            return tex if exp is None else r"\left(%s\right)^{%s}" % (tex, exp)
        return super()._print_Function(expr, exp)

    def _print_OneMatrix(self, expr) -> str:
        return r"\mathbf{1}"

    def _print_bool(self, expr) -> str:
        return r"\text{true}" if expr else r"\text{false}"

    def _print_BooleanTrue(self, expr) -> str:
        return r"\text{true}"

    def _print_BooleanFalse(self, expr) -> str:
        return r"\text{false}"

    def _print_str(self, expr) -> str:
        from .texchars import escape_specials       # a string value: # $ % & ~ _ ^ \\ { } escaped
        return r"\text{%s}" % escape_specials(expr)

    def _print_Seq(self, expr) -> str:
        return r"\left(" + ",\\; ".join(self._print(e) for e in expr) + r"\right)"

    def _print_tuple(self, expr) -> str:
        return r"\left(" + ", ".join(self._print(e) for e in expr) + r"\right)"

    def _print_list(self, expr) -> str:
        return r"\left[" + ", ".join(self._print(e) for e in expr) + r"\right]"

    def _print_Fraction(self, expr) -> str:
        return self._print(sp.Rational(expr.numerator, expr.denominator))

    def _print_dict(self, expr: dict) -> str:
        """Named values in the order given, names printed as names (W_Q1 -> W_{Q1})."""
        items = [f"{name_latex(k) if isinstance(k, str) else self._print(k)} : {self._print(v)}"
                 for k, v in expr.items()]
        return r"\left\{ " + ",\\; ".join(items) + r" \right\}"

    def _print_int(self, expr) -> str:
        return str(expr)


def _is_negative(term: Any) -> bool:
    """A negative coefficient in front (cheap: sympy's could_extract_minus_sign on a matrix
    product negates it, which runs doit())."""
    if isinstance(term, sp.MatMul):
        return bool(term.args) and not isinstance(term.args[0], MatrixExpr) \
            and sp.sympify(term.args[0], strict=True).could_extract_minus_sign()
    if isinstance(term, MatrixExpr):
        return False
    return term.could_extract_minus_sign()


def _negated(term: Any) -> Any:
    if isinstance(term, sp.MatMul) and term.args and not isinstance(term.args[0], MatrixExpr):
        c = -term.args[0]
        rest = term.args[1:]
        if c == 1:
            return rest[0] if len(rest) == 1 else sp.MatMul(*rest, evaluate=False)
        return sp.MatMul(c, *rest, evaluate=False)
    return -term


_PRINTER = DeriveLatexPrinter()


def latex(x: Any, **settings: Any) -> str:
    """LaTeX of a sympy object or a plain value, in derive's notation."""
    if x is None:
        return ""
    if isinstance(x, str):
        return _PRINTER._print_str(x)
    if isinstance(x, bool):
        return _PRINTER._print_bool(x)
    if isinstance(x, Fraction):
        x = sp.Rational(x.numerator, x.denominator)
    if settings:
        return DeriveLatexPrinter(settings).doprint(x)
    if isinstance(x, sp.Basic):   # the same objects are printed by steps, checks and every renderer
        try:
            return _latex_memo(x)
        except TypeError:          # unhashable (a mutable matrix inside)
            pass
    return _PRINTER.doprint(x)


@functools.lru_cache(maxsize=4096)
def _latex_memo(x: sp.Basic) -> str:
    return _PRINTER.doprint(x)


class _TextPrinter(StrPrinter):
    """sstr, but explicit matrices as Matrix([...]), 1×1 traces bare, and a name that is a
    Python keyword spelled as parse_expr can read it (`lambda` → `lamda`, as SymPy spells
    it, `if` → `if_`)."""

    def _print_Symbol(self, expr) -> str:
        return _readable_name(super()._print_Symbol(expr))

    def _print_MatrixSymbol(self, expr) -> str:
        return _readable_name(super()._print_MatrixSymbol(expr))

    def _print_Trace(self, expr) -> str:
        arg = expr.arg
        if tuple(arg.shape) == (1, 1):
            return self._print(arg)
        return f"Trace({self._print(arg)})"

    def _print_Pow(self, expr, rational=False) -> str:
        if _bare_trace(expr.base):
            return f"({self._print(expr.base)})**{self.parenthesize(expr.exp, 1000)}"
        return super()._print_Pow(expr, rational)

    def _print_ImmutableDenseMatrix(self, expr) -> str:
        return "Matrix(%s)" % self._print(expr.tolist())

    _print_MutableDenseMatrix = _print_ImmutableDenseMatrix

    def _print_Identity(self, expr) -> str:      # sstr's `I` would read back as the imaginary unit
        return f"Identity({self._print(expr.shape[0])})"

    def _print_ZeroMatrix(self, expr) -> str:
        return f"ZeroMatrix({self._print(expr.shape[0])}, {self._print(expr.shape[1])})"

    def _print_OneMatrix(self, expr) -> str:
        return f"OneMatrix({self._print(expr.shape[0])}, {self._print(expr.shape[1])})"

    def _print_MatrixElement(self, expr) -> str:
        return f"{self._print(expr.parent)}[{self._print(expr.i)}, {self._print(expr.j)}]"

    def _print_ElementwiseApplyFunction(self, expr) -> str:
        fn = expr.function
        body = fn.expr if isinstance(fn, sp.Lambda) else None
        if body is not None and isinstance(body, sp.Function) and len(body.args) == 1:
            return f"{body.func.__name__}({self._print(expr.expr)})"
        return super()._print_ElementwiseApplyFunction(expr)


def _readable_name(name: str) -> str:
    import keyword
    if name == "lambda":
        return "lamda"
    return name + "_" if keyword.iskeyword(name) else name


_TEXT = _TextPrinter({"order": None})


def answer_text(x: Any) -> str:
    """Text of an answer that SymPy's parse_expr reads back (see the module docstring)."""
    if isinstance(x, bool):
        return "True" if x else "False"
    if isinstance(x, str):
        return x
    if isinstance(x, Fraction):
        x = sp.Rational(x.numerator, x.denominator)
    if isinstance(x, sp.MatrixBase) and x.shape == (1, 1):
        x = x[0, 0]
    if isinstance(x, sp.MatrixBase) and x.shape[1] == 1:
        return "Matrix(%s)" % _TEXT._print([[e] for e in x])
    if isinstance(x, (list, tuple)):      # (strings in a list, class labels, are quoted literals)
        return "[" + ", ".join(json.dumps(str(e), ensure_ascii=False) if isinstance(e, str) else answer_text(e)
                               for e in x) + "]"
    if isinstance(x, dict):
        return "{" + ", ".join(f"{k!r}: {answer_text(v)}" for k, v in x.items()) + "}"
    if isinstance(x, int):
        return str(x)
    return _TEXT.doprint(x)


def _number(x: Any) -> float | int | None:
    if isinstance(x, bool):
        return None
    if isinstance(x, (int, float)):
        return x
    if isinstance(x, Fraction):
        return float(x)
    if isinstance(x, sp.Basic) and x.is_number:
        try:
            if x.is_Integer:
                return int(x)
            v = complex(sp.N(x, 30))
            if not cmath.isfinite(v):   # JSON has no infinity
                return None
            return v.real if abs(v.imag) < 1e-12 * max(1.0, abs(v.real)) else None
        except (TypeError, ValueError, OverflowError):   # (exp(1000) has no float: no value)
            return None
    return None


def answer_value(x: Any) -> Any:
    """The JSON `value` of an answer: numbers, nested lists, dicts, bools; None if symbolic."""
    if isinstance(x, (bool, sp.logic.boolalg.BooleanAtom)):
        return bool(x)
    if isinstance(x, dict):
        vals = {str(k): answer_value(v) for k, v in x.items()}
        return None if any(v is None for v in vals.values()) else vals
    if isinstance(x, sp.MatrixBase):
        if x.shape == (1, 1):
            return answer_value(x[0, 0])
        rows = [[_number(e) for e in row] for row in x.tolist()]
        if any(v is None for row in rows for v in row):
            return None
        return [r[0] for r in rows] if x.shape[1] == 1 else rows
    if isinstance(x, (list, tuple)):
        vals = [str(e) if isinstance(e, str) else answer_value(e) for e in x]
        return None if any(v is None for v in vals) else vals
    if isinstance(x, MatrixExpr):
        return None
    return _number(x)
