"""Display objects of the optimisation derivers: sympy classes that keep what an exam writes.

In: sympy values.  Out: unevaluated sympy objects that print as written and evaluate
(`doit()`) to the value, so a step or a sentence claim showing them is checked on the
value itself:

* `Shown(x)`: a value put in for a variable, in parentheses when it is a sum or negative;
* `Between(lo, x, hi)`: lo < x < hi as one chain (a Boolean);
* `Dec(q)`: a terminating rational written as a decimal (1/10 as 0.1);
* `Also(x, shown, op)`: x followed by `= shown` or `≈ shown` (19/5 = 3.8); `doit()` gives
  x only when the shown value is right (exactly, or to its 6 digits), NaN otherwise, so a
  claim about it fails when the decimal is wrong;
* `Head(name, order)`: the bare name f, f' or f'' of a function (no argument);
* `prime_function(name, order)`: the applied display function f(w), f'(w), f''(w).

The helpers order sums as an exam writes them (`ordered`), put values in for a variable
without evaluating (`put`), and build unevaluated products and sums.
"""
from __future__ import annotations

import functools
from typing import Any

import sympy as sp
from sympy.core.function import UndefinedFunction
from sympy.printing.precedence import PRECEDENCE, precedence
from sympy.printing.pretty.stringpict import prettyForm

from ...decimals import Dec, decimal_text  # noqa: F401  (re-exported: the optimisers' display objects)
from ...notation import mathml_call, mathml_el, mathml_fenced, mathml_infix, pretty_call, pretty_infix, pretty_join

DIGITS = 30               # working precision once the iterates are decimals


class Shown(sp.Expr):
    """A value put in for a variable, kept unevaluated for display: 2·(−1/2) + 2, not 1.

    It prints its argument, in parentheses when the argument is a sum or negative, and
    `doit()` gives the argument back, so checking the step evaluates it normally."""

    is_commutative = True

    def __new__(cls, arg: Any) -> "Shown":
        return sp.Expr.__new__(cls, sp.sympify(arg, strict=True))

    def _parens(self) -> bool:
        a = self.args[0]
        return bool(a.is_Add or a.could_extract_minus_sign())

    @property
    def precedence(self) -> int:
        return PRECEDENCE["Atom"] if self._parens() else precedence(self.args[0])

    def doit(self, **hints: Any) -> Any:
        return self.args[0].doit(**hints) if hints.get("deep", True) else self.args[0]

    def _latex(self, printer: Any) -> str:
        s = printer._print(self.args[0])
        return r"\left(%s\right)" % s if self._parens() else s

    def _pretty(self, printer: Any) -> prettyForm:
        form = printer._print(self.args[0])
        return prettyForm(*form.parens()) if self._parens() else form

    def _mathml_presentation(self, printer: Any) -> Any:
        node = printer._print(self.args[0])
        return mathml_fenced(printer, node) if self._parens() else node

    def _sympystr(self, printer: Any) -> str:
        s = printer._print(self.args[0])
        return f"({s})" if self._parens() else s


class Between(sp.logic.boolalg.Boolean):
    """`lo < x < hi`, printed as one chain; `doit()` gives And(lo < x, x < hi)."""

    def __new__(cls, lo: Any, x: Any, hi: Any) -> "Between":
        return sp.Basic.__new__(cls, *(sp.sympify(a, strict=True) for a in (lo, x, hi)))

    def doit(self, **hints: Any) -> Any:
        lo, x, hi = (a.doit(**hints) for a in self.args)
        return sp.And(sp.Lt(lo, x), sp.Lt(x, hi))

    def _latex(self, printer: Any) -> str:
        lo, x, hi = (printer._print(a) for a in self.args)
        return f"{lo} < {x} < {hi}"

    def _pretty(self, printer: Any) -> prettyForm:
        return pretty_infix(printer, " < ", *self.args)

    def _mathml_presentation(self, printer: Any) -> Any:
        return mathml_infix(printer, "<", *self.args)

    def _sympystr(self, printer: Any) -> str:
        lo, x, hi = (printer._print(a) for a in self.args)
        return f"{lo} < {x} < {hi}"


class Also(sp.Expr):
    """`x = shown` or `x ≈ shown` (an exact value with its decimal), shown as one object.

    `doit()` is x when `shown` is x exactly (op "=") or to its 6 significant digits
    (op "≈"), else NaN: a claim about an `Also` holds only when the decimal is right."""

    is_commutative = True

    def __new__(cls, x: Any, shown: Any, approx: bool = False) -> "Also":
        return sp.Expr.__new__(cls, sp.sympify(x, strict=True), sp.sympify(shown, strict=True),
                               sp.true if approx else sp.false)

    def doit(self, **hints: Any) -> Any:
        x, shown, approx = self.args
        x, value = x.doit(), shown.doit()
        if approx == sp.true:
            err = abs(sp.N(x - value, 30))
            ok = bool(err <= sp.Float("1e-5") * max(1, abs(sp.N(value, 30))))
        else:
            ok = sp.simplify(x - value) == 0
        return x if ok else sp.nan

    def _latex(self, printer: Any) -> str:
        x, shown, approx = self.args
        op = r"\approx" if approx == sp.true else "="
        return f"{printer._print(x)} {op} {printer._print(shown)}"

    def _pretty(self, printer: Any) -> prettyForm:
        return pretty_infix(printer, " ≈ " if self.args[2] == sp.true else " = ", *self.args[:2])

    def _mathml_presentation(self, printer: Any) -> Any:
        return mathml_infix(printer, "≈" if self.args[2] == sp.true else "=", *self.args[:2])

    def _sympystr(self, printer: Any) -> str:
        x, shown, approx = self.args
        return f"{printer._print(x)} {'≈' if approx == sp.true else '='} {printer._print(shown)}"


class Head(sp.Expr):
    """The bare name of a function or of its derivative: f, f', f'' (no argument)."""

    is_commutative = True

    def __new__(cls, name: str, order: int = 0) -> "Head":
        return sp.Expr.__new__(cls, sp.Symbol(name), sp.Integer(order))

    def _latex(self, printer: Any) -> str:
        name, order = self.args
        return printer._hprint_Function(name.name) + "'" * int(order)

    def _pretty(self, printer: Any) -> prettyForm:
        return pretty_join(printer._print(self.args[0]), "′" * int(self.args[1]))

    def _mathml_presentation(self, printer: Any) -> Any:
        return _primed(printer, self.args[0].name, int(self.args[1]))

    def _sympystr(self, printer: Any) -> str:
        name, order = self.args
        return name.name + "'" * int(order)


@functools.lru_cache(maxsize=256)
def prime_function(name: str, order: int) -> Any:
    """The display function f (order 0), f' (order 1) or f'' (order 2) of a function named `name`,
    printed with plain brackets as every function the spec defines is (derive.printing): the
    order-0 one is sympy's same function as the spec's f, and sympy's cache hands out
    whichever f(x) was made first, so the two must print alike.  One class per name and
    order (sympy builds a new class per call, slowly); the order-0 one is the spec's own
    kind of function, so that it prints as the spec's f in every format (MathML too)."""
    if order == 0:
        return UndefinedFunction(name)
    marks = "'" * order

    def _latex(self: Any, printer: Any) -> str:
        head = printer._hprint_Function(name)
        return r"%s%s(%s)" % (head, marks, ", ".join(printer._print(a) for a in self.args))

    def _pretty(self: Any, printer: Any) -> prettyForm:
        return pretty_call(printer, pretty_join(printer._print(sp.Symbol(name)), "′" * order), *self.args)

    def _mathml_presentation(self: Any, printer: Any) -> Any:
        return mathml_call(printer, _primed(printer, name, order), *self.args)

    return UndefinedFunction(name + marks, __dict__={"_latex": _latex, "_pretty": _pretty,
                                                     "_mathml_presentation": _mathml_presentation})


def _primed(printer: Any, name: str, order: int) -> Any:
    """The MathML of f′, f″: the name as the printer prints a spec name, then the primes."""
    node = printer._print(sp.Symbol(name))
    return mathml_el(printer, "mrow", node, mathml_el(printer, "mo", text="′" * order)) if order else node


def ordered(expr: Any, var: sp.Symbol, ascending: bool = False) -> Any:
    """`expr` for display, every sum in it in the order an exam writes it (unevaluated).

    A polynomial sum in falling powers of `var` (w^2 + 2w + 1; rising with `ascending`,
    5 - 12η + 24η^2); any other sum with its positive terms first (w - log(w), e^w - 2w)."""
    if not isinstance(expr, sp.Basic) or expr.is_Atom or not expr.args:
        return expr
    if not isinstance(expr, (sp.Add, sp.Mul, sp.Pow)):
        return expr
    args = [ordered(a, var, ascending) for a in expr.args]
    if not isinstance(expr, sp.Add):
        return expr.func(*args, evaluate=False) if args != list(expr.args) else expr

    def degree(t: Any) -> int:
        if var not in t.free_symbols:
            return 0
        if not t.is_polynomial(var):
            return 10 ** 6
        coeff, k = t.as_coeff_exponent(var)        # a monomial c·var^k, read off at once
        if k.is_Integer and var not in coeff.free_symbols:
            return int(k)
        return int(sp.degree(t, var))              # (w + 1)^2 and the like
    pairs = list(zip(expr.args, args))
    if all(t.is_polynomial(var) for t, _ in pairs):
        pairs.sort(key=lambda p: degree(p[0]) if ascending else -degree(p[0]))
    else:
        pairs.sort(key=lambda p: (p[0].could_extract_minus_sign(), -degree(p[0])))
    return sp.Add(*[a for _, a in pairs], evaluate=False)


def put(expr: Any, var: sp.Symbol, x: Any) -> Any:
    """`expr` with `x` put in for `var`, nothing evaluated (for display)."""
    terms = list(sp.Add.make_args(ordered(expr, var)))
    out = [t.xreplace({var: Shown(x)}) for t in terms]
    return sp.Add(*out, evaluate=False) if len(out) > 1 else out[0]


def times(*factors: Any) -> Any:
    return sp.Mul(*factors, evaluate=False)


def plus(*terms: Any) -> Any:
    return sp.Add(*terms, evaluate=False)


def one_minus(c: Any, eta: Any) -> Any:
    """1 − c·η, in that order (sympy would print −cη + 1 or |cη − 1|)."""
    return plus(1, -(c * eta))


def absolute(x: Any) -> Any:
    return sp.Abs(x, evaluate=False)


def inverse(x: Any) -> Any:
    """1/x unevaluated, x shown as put in."""
    return sp.Pow(Shown(x), -1, evaluate=False)


def num(x: Any) -> Any:
    """A number as an exam writes it: a short terminating fraction as a decimal (0.1), a
    float to 6 digits, anything else as it is."""
    x = sp.sympify(x, strict=True)
    if isinstance(x, sp.Rational) and not x.is_Integer:
        q = int(x.q)
        while q % 2 == 0:
            q //= 2
        while q % 5 == 0:
            q //= 5
        if q == 1 and len(str(x.q)) <= 8:
            return Dec(x)
    if isinstance(x, sp.Float):
        return sp.Float(x, 6)
    return x


def about(x: Any) -> Any:
    """x with its decimal when that says more (19/5 = 3.8, e ≈ 2.71828), else x itself."""
    x = sp.sympify(x, strict=True)
    if x.free_symbols or x.is_Integer or isinstance(x, sp.Float):
        return x
    if isinstance(x, sp.Rational):
        d = num(x)
        return Also(x, d) if isinstance(d, Dec) else Also(x, short_decimal(x), approx=True)
    try:
        return Also(x, short_decimal(x), approx=True)
    except (TypeError, ValueError):
        return x


def has_decimal(x: Any) -> bool:
    """Whether `about(x)` adds a decimal to x."""
    return isinstance(about(x), Also)


def short_decimal(x: Any) -> sp.Float:
    """x to 6 significant digits."""
    return sp.Float(sp.N(x, 20), 6)


def short(x: Any) -> Any:
    """What a decimal iterate shows: 6 significant digits."""
    return sp.Float(x, 6) if isinstance(x, sp.Float) else x


def as_float(x: Any) -> sp.Float:
    return sp.Float(sp.N(x, DIGITS), DIGITS)


TABLE_ROWS = 24           # a table of iterates longer than this shows its head and tail


def table_rows(n: int) -> list:
    """The indices of the rows shown of an n-row table of iterates: all of them, or the first
    and last TABLE_ROWS // 2 with None where the rest are left out."""
    idx: list = list(range(n))
    if n > TABLE_ROWS:
        idx = idx[: TABLE_ROWS // 2] + [None] + idx[-(TABLE_ROWS // 2):]
    return idx
