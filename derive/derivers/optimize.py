"""One-variable optimisation goals: `gd`, `lr_range` and `optimal_lr`.

In: a goal call whose first argument names a function of one scalar variable defined in
the problem (`f(w) = EXPR`), with keyword arguments `start`, `lr`, `steps`.
Out: a `Derived` answer with checked steps.

* `gd(f, start = w0, lr = eta, steps = k)`: f' by differentiation, the update rule
  w_{k+1} = w_k - eta f'(w_k) simplified with the numbers, then every iterate with the
  numbers put in (w_1 = 5 - (1/10)(2*5 + 2) = 19/5).  Answer: the list [w_1, ..., w_k],
  exact while the numbers stay short, 30-digit decimals after that.
* `lr_range(f)`: for a quadratic, w_{k+1} - w* = (1 - eta f'')(w_k - w*), so GD converges
  from every start iff |1 - eta f''| < 1, i.e. 0 < eta < 2/f''.  With a reference rate
  (`lr = ...`, or the `lr` of a `gd` goal on the same f) it also gives the rates that
  converge faster and the fastest one, 1/f''.  Not a quadratic: the range depends on the
  start; the local condition at `start` and near each minimiser of a polynomial.
* `optimal_lr(f, start = w0)`: eta* = 1/f''(w0), the minimiser of the second-order Taylor
  model at w0 (Newton's step), the iterate it reaches and f' there.

Every equation chain goes through `make_step`, so it is checked before it is shown.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Callable

import mpmath
import sympy as sp
from sympy.core.function import UndefinedFunction
from sympy.printing.precedence import PRECEDENCE, precedence

from .. import ast
from ..errors import DeriveError, LimitError, SpecError, Unsupported
from ..model.expressions import is_scalar, is_tensor, scalarize, show_shape
from ..model.problem import Problem, UserFunction
from ..printing import latex
from ..steps import Step, Table, make_step, dedupe_chain
from .registry import Derived, make_answer

MAX_STEPS = 10_000        # gd(steps = k) refuses larger k
SHOWN_ALL = 10            # up to this many iterates, each gets its own step
SHOWN_HEAD = 3            # beyond it, the first few get steps and a table lists the rest
TABLE_ROWS = 24           # a table longer than this shows its head and tail
MAX_EXACT_CHARS = 40      # an exact rational longer than this turns into a decimal
MAX_EXACT_OPS = 12        # ... and so does an exact irrational expression this large
MAX_SYMBOLIC_OPS = 400    # symbolic iterates larger than this are refused
MAX_MAGNITUDE = 1e300     # iterates beyond this: gradient descent has diverged
DIGITS = 30               # working precision once the iterates are decimals
MAX_ROOT_DEGREE = 6       # minimisers of polynomials up to this degree of f' are found


# ---- display helpers ---------------------------------------------------------------------

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

    def _sympystr(self, printer: Any) -> str:
        s = printer._print(self.args[0])
        return f"({s})" if self._parens() else s


class Between(sp.logic.boolalg.Boolean):
    """`lo < x < hi`, printed as one chain; `doit()` gives And(lo < x, x < hi)."""

    def __new__(cls, lo: Any, x: Any, hi: Any) -> "Between":
        return sp.Basic.__new__(cls, sp.sympify(lo, strict=True), sp.sympify(x, strict=True), sp.sympify(hi, strict=True))

    def doit(self, **hints: Any) -> Any:
        lo, x, hi = (a.doit(**hints) for a in self.args)
        return sp.And(sp.Lt(lo, x), sp.Lt(x, hi))

    def _latex(self, printer: Any) -> str:
        lo, x, hi = (printer._print(a) for a in self.args)
        return f"{lo} < {x} < {hi}"

    def _sympystr(self, printer: Any) -> str:
        lo, x, hi = (printer._print(a) for a in self.args)
        return f"{lo} < {x} < {hi}"


def _prime_function(name: str, order: int) -> Any:
    """The display function f' (order 1) or f'' (order 2) of a function named `name`."""
    marks = "'" * order
    if order == 0:
        return UndefinedFunction(name, __dict__={"_latex": lambda self, printer: r"%s\left(%s\right)" % (
            printer._hprint_Function(name), ", ".join(printer._print(a) for a in self.args))})

    def _latex(self: Any, printer: Any) -> str:
        head = printer._hprint_Function(name)
        return r"%s%s\left(%s\right)" % (head, marks, ", ".join(printer._print(a) for a in self.args))

    return UndefinedFunction(name + marks, __dict__={"_latex": _latex})


def _ordered(expr: Any, var: sp.Symbol, ascending: bool = False) -> Any:
    """`expr` for display, every sum in it in the order an exam writes it (unevaluated).

    A polynomial sum in falling powers of `var` (w^2 + 2w + 1; rising with `ascending`,
    5 - 12η + 24η^2); any other sum with its positive terms first (w - log(w), e^w - 2w)."""
    if not isinstance(expr, sp.Basic) or expr.is_Atom or not expr.args:
        return expr
    if isinstance(expr, (sp.Add, sp.Mul, sp.Pow)):
        args = [_ordered(a, var, ascending) for a in expr.args]
    else:
        return expr
    if not isinstance(expr, sp.Add):
        return expr.func(*args, evaluate=False) if args != list(expr.args) else expr

    def degree(t: Any) -> int:
        if var not in t.free_symbols:
            return 0
        return int(sp.degree(t, var)) if t.is_polynomial(var) else 10 ** 6
    pairs = list(zip(expr.args, args))
    if all(t.is_polynomial(var) for t, _ in pairs):
        pairs.sort(key=lambda p: degree(p[0]) if ascending else -degree(p[0]))
    else:
        pairs.sort(key=lambda p: (p[0].could_extract_minus_sign(), -degree(p[0])))
    return sp.Add(*[a for _, a in pairs], evaluate=False)


def _named(text: str, name: str) -> str:
    """Prose written about `f` (in its $maths$) made about the function actually named."""
    if name == "f":
        return text
    import re
    head = latex(sp.Function(name)(sp.Symbol("x"))).split(r"{\left(")[0]
    parts = text.split("$")
    for i in range(1, len(parts), 2):
        parts[i] = re.sub(r"(?<![A-Za-z\\])f(?=['(\s]|$)", lambda m: head, parts[i])
    return "$".join(parts)


def _put(expr: Any, var: sp.Symbol, x: Any) -> Any:
    """`expr` with `x` put in for `var`, nothing evaluated (for display)."""
    terms = list(sp.Add.make_args(_ordered(expr, var)))
    out = [t.xreplace({var: Shown(x)}) for t in terms]
    return sp.Add(*out, evaluate=False) if len(out) > 1 else out[0]


def _times(*factors: Any) -> Any:
    return sp.Mul(*factors, evaluate=False)


def _plus(*terms: Any) -> Any:
    return sp.Add(*terms, evaluate=False)


def _one_minus(c: Any, eta: Any) -> Any:
    """1 − c·η, in that order (sympy would print −cη + 1 or |cη − 1|)."""
    return _plus(1, -(c * eta))


def _abs(x: Any) -> Any:
    return sp.Abs(x, evaluate=False)


def _num(x: Any) -> str:
    """LaTeX of a number as an exam writes it: a terminating fraction as a decimal (0.1)."""
    x = sp.sympify(x, strict=True)
    if isinstance(x, sp.Rational) and not x.is_Integer:
        q = int(x.q)
        while q % 2 == 0:
            q //= 2
        while q % 5 == 0:
            q //= 5
        if q == 1 and len(str(x.q)) <= 8:
            return _decimal_text(x)
    if isinstance(x, sp.Float):
        return latex(sp.Float(x, 6))
    return latex(x)


def _decimal_text(x: sp.Rational) -> str:
    """A terminating rational exactly as a decimal string (1/10 -> 0.1, -71/25 -> -2.84)."""
    sign = "-" if x < 0 else ""
    x = abs(x)
    whole, rest = divmod(int(x.p), int(x.q))
    digits = ""
    while rest:
        rest *= 10
        d, rest = divmod(rest, int(x.q))
        digits += str(d)
    return f"{sign}{whole}" + (f".{digits}" if digits else "")


def _about(x: Any) -> str:
    """` = 3.8` or ` ≈ 2.71828` after an exact value in prose, or nothing for integers."""
    x = sp.sympify(x, strict=True)
    if x.free_symbols or x.is_Integer:
        return ""
    if isinstance(x, sp.Rational):
        s = _num(x)
        return f" = {s}" if s != latex(x) else f" \\approx {latex(sp.Float(sp.N(x, 20), 6))}"
    if isinstance(x, sp.Float):
        return ""
    try:
        return f" \\approx {latex(sp.Float(sp.N(x, 20), 6))}"
    except (TypeError, ValueError):
        return ""


def _float(x: Any) -> sp.Float:
    return sp.Float(sp.N(x, DIGITS), DIGITS)


def _short(x: Any) -> Any:
    """What a decimal iterate shows: 6 significant digits."""
    return sp.Float(x, 6) if isinstance(x, sp.Float) else x


# ---- the objective ------------------------------------------------------------------------

@dataclass(frozen=True)
class Objective:
    """f of one variable: its body, first and second derivatives and display functions."""

    name: str
    var: sp.Symbol
    body: Any
    d1: Any
    d2: Any

    @property
    def F(self) -> Any:
        return _prime_function(self.name, 0)

    @property
    def Fp(self) -> Any:
        return _prime_function(self.name, 1)

    @property
    def Fpp(self) -> Any:
        return _prime_function(self.name, 2)

    def sym(self, suffix: Any) -> sp.Symbol:
        """The iterate symbol w_0, w_k, w_{k+1}, w^* of this function's variable."""
        s = str(suffix)
        return sp.Symbol(f"{self.var.name}_{s}", real=True)

    def at(self, expr: Any, x: Any) -> Any:
        return expr.xreplace({self.var: x})

    def deriv_at(self, x: Any, order: int = 1) -> Any:
        """f^(order)(x) computed afresh from the body (what a step's check compares with)."""
        d = sp.Derivative(self.body, (self.var, order))
        return d if x == self.var else sp.Subs(d, self.var, x)

    @property
    def quadratic(self) -> bool:
        """f is a polynomial of degree at most 2 in its variable (so f'' is one constant).

        A constant f'' alone is not enough: relu(w - 1) + w^2/2 has f'' = 1 wherever it exists."""
        try:
            return bool(self.body.is_polynomial(self.var)) and sp.degree(self.body, self.var) <= 2
        except (TypeError, ValueError, sp.PolynomialError):
            return False


def objective(problem: Problem, call: ast.Call, goal: str) -> Objective:
    """The function named by the goal's first argument, checked to be one of one scalar."""
    arg = call.args[0]
    if not isinstance(arg, ast.Name):
        raise SpecError(f"the first argument of `{goal}` is the name of a function of one variable, "
                        f"as in `f(w) = w^2` and `{goal}(f, ...)`", arg.pos)
    b = problem.resolve(arg.id, arg.pos)
    if b.kind != "function" or not isinstance(b.value, UserFunction):
        raise SpecError(f"`{arg.id}` is {b.describe()}, not a function; `{goal}` needs a function of one "
                        f"variable, defined as `f(w) = ...`", arg.pos)
    fn: UserFunction = b.value
    if len(fn.params) != 1:
        raise SpecError(f"`{goal}` needs a function of one variable, but `{fn.name}` takes {len(fn.params)} "
                        f"({', '.join(fn.params)})", arg.pos)
    env, body = fn.symbolic()
    var = env[fn.params[0]]
    if not isinstance(var, sp.Symbol):
        raise SpecError(f"`{goal}` needs a function of one scalar variable, but `{fn.params[0]}` is declared "
                        f"as {show_shape(var)} in this problem", arg.pos)
    body = scalarize(body)
    if not (isinstance(body, sp.Expr) and is_scalar(body)) or is_tensor(body):
        raise SpecError(f"`{goal}` needs a scalar function, but `{fn.name}` gives {show_shape(body)}", arg.pos)
    d1 = sp.diff(body, var)
    d2 = sp.diff(d1, var)
    return Objective(fn.name, var, body, _tidy(d1), _tidy(d2))


def _tidy(x: Any) -> Any:
    """Numbers stay; polynomials in their symbols are expanded; everything else as sympy left it."""
    if not isinstance(x, sp.Expr) or x.is_Number:
        return x
    syms = sorted(x.free_symbols, key=str)
    if syms and x.is_polynomial(*syms):
        return sp.expand(x)
    if syms and x.is_rational_function(*syms):
        return sp.cancel(x)
    return x


def _kw(problem: Problem, call: ast.Call, name: str, goal: str, *, required: bool, example: str) \
        -> tuple[Any, ast.Expr] | tuple[None, None]:
    """The value of keyword `name` (a real scalar) and its expression, or (None, None)."""
    expr = call.kwarg(name)
    if expr is None:
        if required:
            raise SpecError(f"`{goal}` needs `{name} = ...`, as in `{example}`", call.pos)
        return None, None
    v = problem.value(expr)
    v = scalarize(v)
    if not (isinstance(v, sp.Expr) and is_scalar(v)) or is_tensor(v):
        what = "a string" if isinstance(v, str) else show_shape(v) if v is not None else "nothing"
        raise SpecError(f"`{name}` must be a scalar, not {what}", expr.pos)
    if v.is_real is False or v.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        raise SpecError(f"`{name}` must be a real number, not {latex(v)}", expr.pos)
    return v, expr


def _learning_rate(problem: Problem, call: ast.Call, goal: str, *, required: bool) \
        -> tuple[Any, ast.Expr] | tuple[None, None]:
    lr, pos = _kw(problem, call, "lr", goal, required=required, example=f"{goal}(f, start = 5, lr = 0.1, steps = 2)")
    if lr is not None and (lr.is_positive is False):
        raise SpecError(f"a learning rate must be positive, not {latex(lr)}", pos.pos)
    return lr, pos


def _steps_count(problem: Problem, call: ast.Call) -> tuple[int, ast.Expr]:
    expr = call.kwarg("steps")
    if expr is None:
        raise SpecError("`gd` needs `steps = ...` (how many iterations), as in "
                        "`gd(f, start = 5, lr = 0.1, steps = 2)`", call.pos)
    v = scalarize(problem.value(expr))
    if not isinstance(v, sp.Integer) or v < 1:
        raise SpecError(f"`steps` must be a positive whole number, not {v if isinstance(v, sp.Basic) else 'this'}",
                        expr.pos)
    if v > MAX_STEPS:
        raise LimitError(f"`steps = {v}` is too many: derive shows at most {MAX_STEPS:,} iterations", expr.pos)
    return int(v), expr


def _guarded(fn: Callable[[Problem, ast.Call], Derived]) -> Callable[[Problem, ast.Call], Derived]:
    """sympy failures inside a deriver become an error at the goal, never a traceback."""
    def run(problem: Problem, call: ast.Call) -> Derived:
        try:
            derived = fn(problem, call)
            name = call.args[0].id if call.args and isinstance(call.args[0], ast.Name) else "f"
            return _renamed(derived, name)
        except DeriveError:
            raise
        except RecursionError:
            raise LimitError("the expression is nested too deeply", call.pos) from None
        except (TypeError, ValueError, NotImplementedError, ZeroDivisionError, AttributeError,
                sp.PolynomialError) as exc:
            raise Unsupported(f"`{call.name}` could not be derived for this function ({type(exc).__name__}: "
                              f"{str(exc)[:200]})", call.pos) from None
    run.__doc__ = fn.__doc__
    run.__name__ = fn.__name__
    return run


def _renamed(derived: Derived, name: str) -> Derived:
    """Steps and prose written about `f`, about the function's own name (the general remark stays)."""
    if name == "f":
        return derived
    steps = tuple(dataclasses.replace(s, text=_named(s.text, name)) if s.rule != "general" else s
                  for s in derived.steps)
    a = derived.answer
    answer = dataclasses.replace(a, prose=_named(a.prose, name)) if a.prose else a
    return Derived(answer, steps)


# ---- shared steps --------------------------------------------------------------------------

def derivative_steps(obj: Objective, order: int = 1) -> list[Step]:
    """f'(w) = d/dw (body) = ... and, for order 2, f''(w) = d/dw f'(w) = ...."""
    w = obj.var
    steps = [make_step("differentiate", f"Differentiate ${latex(obj.F(w))} = {latex(_ordered(obj.body, w))}$:",
                       obj.Fp(w), sp.Derivative(_ordered(obj.body, w), w), _ordered(obj.d1, w),
                       where={obj.Fp(w): sp.Derivative(obj.body, w)})]
    if order >= 2:
        steps.append(make_step("differentiate", "Differentiate again for the curvature:",
                               obj.Fpp(w), sp.Derivative(_ordered(obj.d1, w), w), _ordered(obj.d2, w),
                               where={obj.Fpp(w): sp.Derivative(obj.body, (w, 2))}))
    return steps


def _value_step(obj: Objective, order: int, point_sym: sp.Symbol, point: Any, text: str) -> Step:
    """f^(order)(w0) = (expression with w0 put in) = value."""
    expr = {0: obj.body, 1: obj.d1, 2: obj.d2}[order]
    head = {0: obj.F, 1: obj.Fp, 2: obj.Fpp}[order](point_sym)
    val = _tidy(obj.at(expr, point))
    where = {point_sym: point, head: obj.deriv_at(point, order) if order else obj.at(obj.body, point)}
    about = _about(val)
    if "approx" in about and not isinstance(val, sp.Rational):
        text = text.rstrip(":") + f" (${latex(head)}{about}$):"
    return make_step("substitute", text, *dedupe_chain([head, _put(expr, obj.var, point), val]), where=where)


def _minimiser(obj: Objective) -> Any:
    """w* of a quadratic with f'' != 0: the root of the linear f'."""
    c = obj.d2
    return _tidy(-obj.at(obj.d1, 0) / c)


# ---- gd ----------------------------------------------------------------------------------

@dataclass
class Run:
    """The iterates w_0 ... w_k; `exact[i]` says whether w_i is exact or a decimal."""

    ws: list
    exact: list
    switched: int | None = None     # the first decimal iterate


def _too_long(x: Any) -> bool:
    if isinstance(x, sp.Rational):
        return len(str(x.p)) + len(str(x.q)) > MAX_EXACT_CHARS
    return sp.count_ops(x) > MAX_EXACT_OPS or len(str(x)) > 3 * MAX_EXACT_CHARS


def _undefined(obj: Objective, w: Any, i: int, pos: ast.Expr, what: str = "'") -> SpecError:
    return SpecError(f"{obj.name}{what}({obj.var.name}_{i}) is not a real number at {obj.var.name}_{i} = {_text(w)}: "
                     f"gradient descent has left the domain of {obj.name}", pos.pos)


def _diverged(obj: Objective, i: int, pos: ast.Expr) -> LimitError:
    return LimitError(f"gradient descent diverges: |{obj.var.name}_{i}| exceeds {MAX_MAGNITUDE:.0e}; the learning "
                      "rate is too large for this function and start", pos.pos)


def _check_defined(obj: Objective, g: Any, w: Any, i: int, pos: ast.Expr, what: str = "'") -> None:
    """f'(w_i) (or f(w_i), what="") must be a finite real number (log(w) at w <= 0 is not)."""
    if g.free_symbols:
        return
    if g.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        raise _undefined(obj, w, i, pos, what)
    try:
        z = mpmath.mpmathify(sp.N(g, 20))
    except (TypeError, ValueError):
        raise _undefined(obj, w, i, pos, what) from None
    if not _real_finite(z):
        raise _undefined(obj, w, i, pos, what)


def _real_finite(z: Any) -> bool:
    if isinstance(z, mpmath.mpc):
        if abs(z.imag) > 1e-12 * max(1, abs(z.real)):
            return False
        z = z.real
    return bool(mpmath.isfinite(z))


def _text(x: Any) -> str:
    return str(sp.Float(x, 6)) if isinstance(x, sp.Float) else str(x)


_MP_FUNCS: dict = {sp.exp: mpmath.exp, sp.log: mpmath.log, sp.sin: mpmath.sin, sp.cos: mpmath.cos,
                   sp.tan: mpmath.tan, sp.tanh: mpmath.tanh, sp.sinh: mpmath.sinh, sp.cosh: mpmath.cosh,
                   sp.atan: mpmath.atan, sp.Abs: abs}


def numeric(expr: Any, var: sp.Symbol) -> Callable[[Any], Any]:
    """`expr` as a function of `var` on mpmath numbers, built from the tree (no code is generated).

    Nodes it does not know are evaluated by sympy at the point, so every expression works."""
    if expr == var:
        return lambda x: x
    if var not in expr.free_symbols:
        c = mpmath.mpmathify(sp.N(expr, DIGITS + 5))
        return lambda x: c
    parts = [numeric(a, var) for a in expr.args]
    if isinstance(expr, sp.Add):
        return lambda x: mpmath.fsum(p(x) for p in parts)
    if isinstance(expr, sp.Mul):
        def mul(x: Any) -> Any:
            out = mpmath.mpf(1)
            for p in parts:
                out = out * p(x)
            return out
        return mul
    if isinstance(expr, sp.Pow):
        base, ex = parts
        if expr.exp.is_Integer:
            n = int(expr.exp)
            return lambda x: base(x) ** n
        return lambda x: mpmath.power(base(x), ex(x))
    fn = _MP_FUNCS.get(type(expr))
    if fn is not None and len(parts) == 1:
        (p,) = parts
        return lambda x: fn(p(x))
    return lambda x: mpmath.mpmathify(sp.N(expr.xreplace({var: sp.Float(x, DIGITS)}), DIGITS))


def run_gd(obj: Objective, w0: Any, lr: Any, k: int, where: ast.Expr) -> Run:
    """k steps of gradient descent, exact while the numbers stay short, then to DIGITS digits."""
    run = Run([w0], [True])
    i = 1
    while i <= k:     # exact (or symbolic) phase
        w = run.ws[-1]
        g = obj.at(obj.d1, w)
        _check_defined(obj, g, w, i - 1, where)
        new = _tidy(w - lr * g)
        _check_defined(obj, obj.at(obj.body, new), new, i, where, what="")
        if new.free_symbols:
            if sp.count_ops(new) > MAX_SYMBOLIC_OPS:
                raise LimitError(f"the symbolic iterates grow too large by {obj.var.name}_{i} "
                                 f"({sp.count_ops(new)} operations); give numbers for `start` and `lr`, "
                                 f"or ask for fewer steps", where.pos)
        else:
            if not abs(sp.N(new, 20)) <= MAX_MAGNITUDE:
                raise _diverged(obj, i, where)
            if _too_long(new):
                run.switched = i
                break
        run.ws.append(new)
        run.exact.append(True)
        i += 1
    if run.switched is None:
        return run
    grad, value = numeric(obj.d1, obj.var), numeric(obj.body, obj.var)
    with mpmath.workdps(DIGITS):
        rate = mpmath.mpmathify(sp.N(lr, DIGITS + 5))
        w = mpmath.mpmathify(sp.N(run.ws[-1], DIGITS + 5))
        for i in range(run.switched, k + 1):
            try:
                g = grad(w)
            except (ZeroDivisionError, ValueError, TypeError):
                raise _undefined(obj, sp.Float(w, DIGITS), i - 1, where) from None
            if not _real_finite(g):
                raise _undefined(obj, sp.Float(w, DIGITS), i - 1, where)
            w = w - rate * (g.real if isinstance(g, mpmath.mpc) else g)
            if not abs(w) <= MAX_MAGNITUDE:
                raise _diverged(obj, i, where)
            try:
                fw = value(w)
            except (ZeroDivisionError, ValueError, TypeError):
                fw = mpmath.mpc(0, 1)
            if not _real_finite(fw):
                raise _undefined(obj, sp.Float(w, DIGITS), i, where, what="")
            run.ws.append(sp.Float(w, DIGITS))
            run.exact.append(False)
    return run


def update_rule_step(obj: Objective, lr: Any) -> Step:
    """w_{k+1} = w_k - η f'(w_k) = (numbers in) = simplified rule."""
    eta = sp.Symbol("eta", positive=True)
    wk, wk1 = obj.sym("k"), obj.sym("k+1")
    formula = wk - eta * obj.Fp(wk)
    numbers = _plus(wk, _times(-1, Shown(lr), _put(obj.d1, obj.var, wk)))
    rule = _tidy(wk - lr * obj.at(obj.d1, wk))
    if rule.free_symbols - {wk} and rule.is_polynomial(*rule.free_symbols):
        rule = sp.collect(rule, wk)
    rule = _ordered(rule, wk)
    grad = obj.deriv_at(wk)
    where = {wk1: wk - lr * grad, eta: lr, obj.Fp(wk): grad}
    text = (f"Gradient descent steps against the slope, "
            f"${latex(wk1)} = {latex(wk)} - \\eta\\, {latex(obj.Fp(wk))}$"
            + (":" if lr == eta or (isinstance(lr, sp.Symbol) and lr.name == "eta") else
               f"; with $\\eta = {_num(lr)}$:"))
    return make_step("update_rule", text, *dedupe_chain([wk1, formula, numbers, rule]), where=where)


def iterate_step(obj: Objective, lr: Any, i: int, prev: Any, new: Any) -> Step:
    """w_i = w_{i-1} - η f'(w_{i-1}) = (numbers in) = value."""
    eta = sp.Symbol("eta", positive=True)
    wp, wi = obj.sym(i - 1), obj.sym(i)
    numbers = _plus(prev, _times(-1, Shown(lr), _put(obj.d1, obj.var, prev)))
    decimal = isinstance(new, sp.Float)
    where = {wi: new, wp: prev, eta: lr, obj.Fp(wp): obj.deriv_at(prev)}
    text = f"Iteration {i}, from ${latex(wp)} = {latex(_short(prev))}$"
    text += f": ${latex(wi)}{_about(new)}$." if _about(new) and not decimal else ":"
    shown = _short(new)
    if isinstance(new, sp.Expr) and len(new.free_symbols) == 1:
        shown = _ordered(new, next(iter(new.free_symbols)), ascending=True)
    chain = dedupe_chain([wi, wp - eta * obj.Fp(wp), numbers, shown])
    return make_step("gd_iterate", text, *chain, where=where, relation="≈" if decimal else "=")


def _table(obj: Objective, run: Run) -> Table:
    """k | w_k | decimal | f(w_k), head and tail when long."""
    numeric = not any(getattr(w, "free_symbols", None) for w in run.ws)
    header: tuple = ("$k$", f"${latex(obj.sym('k'))}$") + (("decimal", f"${latex(obj.F(obj.sym('k')))}$")
                                                           if numeric else ())
    idx = list(range(len(run.ws)))
    if len(idx) > TABLE_ROWS:
        idx = idx[: TABLE_ROWS // 2] + [None] + idx[-(TABLE_ROWS // 2):]
    rows = []
    for i in idx:
        if i is None:
            rows.append(("⋮",) * len(header))
            continue
        w = run.ws[i]
        row: tuple = (sp.Integer(i), _short(w))
        if numeric:
            fw = obj.at(obj.body, w)
            row += (sp.Float(sp.N(w, 20), 6), sp.Float(sp.N(fw, 20), 6) if _finite(fw) else "undefined")
        rows.append(row)
    cap = "The iterates and the value of the function at each."
    return Table(header, tuple(rows), cap)


def _finite(x: Any) -> bool:
    try:
        z = complex(sp.N(x, 20))
    except (TypeError, ValueError):
        return False
    return z == z and abs(z) != float("inf") and abs(z.imag) < 1e-12 * max(1.0, abs(z.real))


def closed_form_step(obj: Objective, w0: Any, lr: Any, k: int, final: Any) -> Step | None:
    """For a quadratic: w_k = w* + (1 − η f'')^k (w_0 − w*), checked against the last iterate."""
    c = obj.d2
    if c == 0 or c.free_symbols or w0.free_symbols or lr.free_symbols:
        return None
    ws = _minimiser(obj)
    r = 1 - lr * c
    wk = obj.sym(k)
    shown = _plus(ws, _times(sp.Pow(Shown(r), k, evaluate=False), Shown(_plus(w0, _times(-1, Shown(ws))))))
    decimal = isinstance(final, sp.Float)
    verdict = ("so the iterates converge to $w^*$" if abs(r) < 1 else
               "so the iterates never settle: they bounce between two points" if abs(r) == 1 else
               "so the iterates move away from $w^*$: this learning rate is too large")
    text = (f"Check: $f$ is a quadratic, so each step multiplies the distance to the minimiser "
            f"${latex(obj.sym('star'))} = {latex(ws)}$ by $1 - \\eta {obj.name}'' = {_num(r)}$ and "
            f"${latex(wk)} = w^* + ({_num(r)})^{{{k}}}(w_0 - w^*)$; $|{_num(r)}| {'<' if abs(r) < 1 else '≥'} 1$, "
            f"{verdict}.").replace("w^*", latex(obj.sym("star"))).replace("w_0", latex(obj.sym(0)))
    return make_step("closed_form", text, *dedupe_chain([wk, shown, _short(final)]), where={wk: final},
                     relation="≈" if decimal else "=")


@_guarded
def gd(problem: Problem, call: ast.Call) -> Derived:
    """gd(f, start = w0, lr = η, steps = k): f', the update rule, every iterate."""
    obj = objective(problem, call, "gd")
    w0, _ = _kw(problem, call, "start", "gd", required=True, example="gd(f, start = 5, lr = 0.1, steps = 2)")
    lr, lr_expr = _learning_rate(problem, call, "gd", required=True)
    k, k_expr = _steps_count(problem, call)
    run = run_gd(obj, w0, lr, k, k_expr)

    steps = derivative_steps(obj)
    steps.append(update_rule_step(obj, lr))
    shown = range(1, k + 1) if k <= SHOWN_ALL else range(1, SHOWN_HEAD + 1)
    for i in shown:
        steps.append(iterate_step(obj, lr, i, run.ws[i - 1], run.ws[i]))
    if run.switched is not None:
        steps.append(make_step("decimals", f"From ${latex(obj.sym(run.switched))}$ on the exact values grow too "
                                           f"long to be useful; the iterates are computed to {DIGITS} significant "
                                           "digits and shown to 6.", check=False))
    if k > 1:
        steps.append(make_step("iterates", "All iterates:" if k <= TABLE_ROWS else
                               f"All {k} iterates (the first and last {TABLE_ROWS // 2}):",
                               table=_table(obj, run), check=False))
    if obj.quadratic:
        step = closed_form_step(obj, w0, lr, k, run.ws[-1])
        if step is not None:
            steps.append(step)

    iterates = [sp.Float(w, 15) if isinstance(w, sp.Float) else w for w in run.ws[1:]]
    names = [f"{latex(obj.sym(i))} \\approx {latex(_short(w))}" if isinstance(w, sp.Float) else
             f"{latex(obj.sym(i))} = {latex(w)}{_about(w)}" for i, w in enumerate(run.ws) if i > 0]
    if len(names) > 6:
        names = names[:3] + ["\\dots"] + names[-2:]
    prose = f"**Answer:** ${'$, $'.join(names)}$."
    return Derived(make_answer(iterates, prose=prose), tuple(steps))


# ---- lr_range ------------------------------------------------------------------------------

def _reference_rate(problem: Problem, call: ast.Call, obj: Objective) -> tuple[Any, str]:
    """The rate to compare with: `lr = ...` on this goal, else that of a gd goal on the same f."""
    lr, _ = _learning_rate(problem, call, "lr_range", required=False)
    if lr is not None:
        return lr, "the given rate"
    for g in problem.goals:
        e = g.expr
        if isinstance(e, ast.Call) and e.name == "gd" and e.args and isinstance(e.args[0], ast.Name) \
                and e.args[0].id == obj.name and e.kwarg("lr") is not None:
            try:
                v = scalarize(problem.value(e.kwarg("lr")))
            except DeriveError:
                continue
            if isinstance(v, sp.Expr) and v.is_positive:
                where = f"part {g.label}" if g.label else "the `gd` goal"
                return v, f"the rate of {where}"
    return None, ""


def _faster_steps(obj: Objective, c: Any, eta0: Any, whence: str) -> tuple[list[Step], dict, str]:
    """Which rates contract faster than eta0: |1 − η c| < |1 − η0 c|."""
    eta = sp.Symbol("eta", positive=True)
    r0 = sp.Abs(1 - eta0 * c)
    best = 1 / c
    steps = [make_step("contraction", f"Compare with $\\eta_0 = {_num(eta0)}$ ({whence}): each step multiplies "
                                      f"the error by $1 - \\eta {obj.name}''$, so the speed is set by "
                                      "its size, the contraction factor:",
                       _abs(_plus(1, _times(-1, Shown(eta0), Shown(c)))), r0,
                       where={})]
    extra: dict = {"reference_lr": float(eta0)}
    if r0 >= 1:
        steps.append(make_step("faster", f"$\\eta_0 = {_num(eta0)}$ does not converge at all (factor $\\ge 1$), so "
                                         "every rate in the range converges faster.", check=False))
        extra["faster"] = [0.0, float(2 / c)]
        return steps, extra, f"Every rate in the range is faster than $\\eta_0 = {_num(eta0)}$, which diverges."
    lo, hi = (1 - r0) / c, (1 + r0) / c
    if r0 == 0:
        steps.append(make_step("faster", f"$\\eta_0 = {_num(eta0)} = 1/{obj.name}''$ already makes "
                                         "the factor 0: it reaches the minimiser in one step and no rate is faster.",
                               check=False))
        extra["faster"] = None
        return steps, extra, f"No rate is faster than $\\eta_0 = {_num(eta0)}$: it is the optimal rate $1/f''$."
    steps.append(make_step("faster", f"A rate converges faster when its factor is smaller than ${_num(r0)}$:",
                           sp.Lt(_abs(_one_minus(c, eta)), r0), Between(-r0, _one_minus(c, eta), r0),
                           Between(lo, eta, hi),
                           relation="⇔"))
    steps.append(make_step("fastest", f"The factor is smallest, 0, at $\\eta = 1/{obj.name}''$: one "
                                      "step lands on the minimiser. Rates between it and the upper end overshoot "
                                      "(the iterates alternate sides of the minimiser) but still shrink the error "
                                      "faster than $\\eta_0$; from $2/f''$ on they diverge.",
                           *dedupe_chain([1 / obj.Fpp(obj.var), sp.Pow(Shown(c), -1, evaluate=False), best]),
                           where={obj.Fpp(obj.var): obj.deriv_at(obj.var, 2)}))
    extra["faster"] = [float(lo), float(hi)]
    extra["faster_text"] = f"Interval.open({lo}, {hi})"
    extra["fastest"] = float(best)
    prose = (f"Faster than $\\eta_0 = {_num(eta0)}$: every ${_num(lo)} < \\eta < {_num(hi)}$; e.g. "
             f"$\\eta = {_num(best)} = 1/f''$ is the fastest (one step to the minimiser).")
    return steps, extra, prose


def _quadratic_range(problem: Problem, call: ast.Call, obj: Objective, steps: list[Step]) -> Derived:
    c = obj.d2
    w = obj.var
    eta = sp.Symbol("eta", positive=True)
    wk, wk1, ws_sym = obj.sym("k"), obj.sym("k+1"), obj.sym("star")
    if c.is_nonpositive:
        return _no_rate(obj, c, steps)
    caveat = "" if c.is_positive else f" (provided ${latex(c)} > 0$; otherwise no rate converges)"
    ws = _minimiser(obj)
    steps.append(make_step("minimiser", f"$f'' = {latex(c)}$ is constant{' and positive' if c.is_positive else ''}"
                                        f", so $f$ is a convex quadratic{caveat}. Its minimiser solves "
                                        f"${latex(obj.Fp(ws_sym))} = 0$: ${latex(ws_sym)} = {latex(ws)}$.",
                           obj.Fp(ws_sym), _put(obj.d1, w, ws), 0,
                           where={ws_sym: ws, obj.Fp(ws_sym): obj.deriv_at(ws)}))
    factor = _one_minus(c, eta)
    v = latex(w)
    steps.append(make_step("error_recursion", "Subtract the minimiser from the update rule. For a quadratic "
                                              f"$f'({v}) = f''\\,({v} - {latex(ws_sym)})$, so every step "
                                              "multiplies the error by the same factor:",
                           _plus(wk1, -ws_sym), _plus(wk, -eta * obj.Fp(wk), -ws_sym), _times(factor, _plus(wk, -ws_sym)),
                           where={wk1: wk - eta * obj.deriv_at(wk), obj.Fp(wk): obj.deriv_at(wk), ws_sym: ws}))
    hi = _tidy(2 / c)
    steps.append(make_step("convergence", f"Unrolled, ${latex(obj.sym('k'))} - {latex(ws_sym)} = ({latex(factor)})^k"
                                          f"({latex(obj.sym(0))} - {latex(ws_sym)})$: this goes to 0 from every "
                                          "start exactly when the factor is smaller than 1 in size (at "
                                          "$\\eta = 2/f''$ it is $-1$ and the iterates bounce forever):",
                           sp.Lt(_abs(factor), 1), Between(-1, factor, 1), Between(0, eta, hi),
                           relation="⇔"))
    steps.append(make_step("upper_end", "The upper end is $2/f''$:",
                           *dedupe_chain([2 / obj.Fpp(w), _times(2, sp.Pow(Shown(c), -1, evaluate=False)), hi]),
                           where={obj.Fpp(w): obj.deriv_at(w, 2)}))
    interval = sp.Interval.open(0, hi)
    prose = f"**Answer:** gradient descent converges for $0 < \\eta < {_num(hi)}$ (that is, $\\eta < 2/f''$){caveat}."
    extra: dict = {}
    eta0, whence = _reference_rate(problem, call, obj)
    if eta0 is not None and not c.free_symbols and not eta0.free_symbols:
        more, extra, line = _faster_steps(obj, c, eta0, whence)
        steps.extend(more)
        prose += " " + line
    elif not c.free_symbols:
        steps.append(make_step("fastest", f"The fastest rate is $\\eta = 1/f'' = {_num(1 / c)}$: the factor is "
                                          "0 and one step lands on the minimiser.", check=False))
        extra["fastest"] = float(1 / c)
    value = [float(0), float(hi)] if not hi.free_symbols else None
    return Derived(make_answer(interval, value=value, prose=prose, extra=extra), tuple(steps))


def _no_rate(obj: Objective, c: Any, steps: list[Step]) -> Derived:
    """f'' ≤ 0 constant: concave or linear, nothing converges (or f is constant)."""
    eta = sp.Symbol("eta", positive=True)
    if c == 0:
        b = obj.d1
        if b == 0:
            text = ("$f$ is constant: every point minimises it, $f' = 0$ and gradient descent never moves, "
                    "whatever the rate.")
            steps.append(make_step("constant", text, check=False))
            return Derived(make_answer(sp.Interval.open(0, sp.oo), value=None, prose="**Answer:** " + text),
                           tuple(steps))
        text = (f"$f'' = 0$: $f$ is linear with constant slope ${latex(b)} \\ne 0$, so it has no minimum "
                f"(it is unbounded below) and every step moves by the same $\\eta\\,|{latex(b)}|$: "
                "gradient descent runs off to infinity for every rate. No learning rate converges.")
    else:
        text = (f"$f'' = {latex(c)} \\le 0$: $f$ is a concave quadratic, unbounded below, and its stationary point "
                f"is a maximum. The error is multiplied by $1 - \\eta f'' = 1 + {latex(-c)}\\eta > 1$ at every "
                "step, so gradient descent moves away from it for every $\\eta > 0$. No learning rate converges.")
        steps.append(make_step("factor", "For every positive rate the factor exceeds 1:",
                               _one_minus(c, eta), 1, relation=">"))
    steps.append(make_step("no_convergence", text, check=False))
    return Derived(make_answer(sp.S.EmptySet, value=None, prose="**Answer:** " + text), tuple(steps))


def _polynomial_minimisers(obj: Objective) -> list[Any]:
    """Real roots of f' where f'' > 0, for a polynomial f with numeric coefficients (else [])."""
    w = obj.var
    if obj.d1.free_symbols - {w} or not obj.d1.is_polynomial(w):
        return []
    poly = sp.Poly(obj.d1, w)
    if poly.degree() < 1 or poly.degree() > MAX_ROOT_DEGREE:
        return []
    out = []
    for r in sorted(set(sp.real_roots(poly)), key=lambda r: float(r)):
        curv = sp.nsimplify(obj.at(obj.d2, r)) if not isinstance(r, sp.CRootOf) else obj.at(obj.d2, r)
        if sp.N(curv, 20) > 0:
            out.append(r)
    return out


@_guarded
def lr_range(problem: Problem, call: ast.Call) -> Derived:
    """lr_range(f): 0 < η < 2/f'' for a convex quadratic, with the rates faster than a reference."""
    obj = objective(problem, call, "lr_range")
    steps = derivative_steps(obj, order=2)
    if obj.quadratic:
        return _quadratic_range(problem, call, obj, steps)
    w0, _ = _kw(problem, call, "start", "lr_range", required=False, example="lr_range(f, start = 5)")
    steps.append(make_step("not_quadratic", "$f$ is not a quadratic polynomial, so its curvature is not one "
                                            "constant: the factor by which a step shrinks the error changes from "
                                            "step to step, "
                                            "and which rates converge depends on where gradient descent starts.",
                           check=False))
    extra: dict = {}
    lines = ["**Answer:** not a quadratic: the range depends on the start."]
    star = obj.sym("star")
    for r in _polynomial_minimisers(obj):
        curv = obj.at(obj.d2, r)
        hi = _tidy(2 / curv)
        steps.append(_value_step(obj, 2, star, r,
                                 f"Near the minimiser ${latex(star)} = {latex(r)}$ $f$ looks like a quadratic with "
                                 f"curvature $f''({latex(star)})$; started close enough, gradient descent converges "
                                 f"to it iff $0 < \\eta < 2/f''({latex(star)}) = {latex(hi)}{_about(hi)}$:"))
        lines.append(f"Near ${latex(star)} = {latex(r)}$ it converges iff $0 < \\eta < {latex(hi)}$.")
    if w0 is not None:
        w0s = obj.sym(0)
        c0 = _tidy(obj.at(obj.d2, w0))
        steps.append(_value_step(obj, 2, w0s, w0, f"The curvature at the start ${latex(w0s)} = {latex(w0)}$:"))
        if c0.is_positive:
            hi = _tidy(2 / c0)
            steps.append(make_step("local_range", "The second-order model of $f$ at the start is a quadratic with "
                                                  "this curvature; gradient descent on it converges iff:",
                                   sp.Lt(_abs(_one_minus(c0, sp.Symbol("eta", positive=True))), 1),
                                   Between(0, sp.Symbol("eta", positive=True), hi), relation="⇔"))
            lines.append(f"Locally at ${latex(w0s)} = {latex(w0)}$: $0 < \\eta < 2/f''({latex(w0s)}) = "
                         f"{latex(hi)}{_about(hi)}$ (a local condition, not a guarantee).")
            if not hi.free_symbols:
                extra["local_range"] = [0.0, float(hi)]
        elif c0.is_nonpositive:
            lines.append(f"At ${latex(w0s)} = {latex(w0)}$ the curvature is ${latex(c0)} \\le 0$: the model there "
                         "has no minimum, so no local condition on the rate exists.")
    if w0 is None and len(lines) == 1:
        lines.append("Give `start = ...` for the local condition at the starting point.")
    prose = " ".join(lines)
    return Derived(make_answer(None, text="not a quadratic: the range depends on the start", value=None,
                               tex=r"\text{depends on the start}", prose=prose, extra=extra), tuple(steps))


# ---- optimal_lr -----------------------------------------------------------------------------

GENERAL = ("In general: approximate $f$ near the current point $w_k$ by its second-order Taylor model "
           "$m(w) = f(w_k) + f'(w_k)(w - w_k) + \\tfrac12 f''(w_k)(w - w_k)^2$ and step to the model's minimiser, "
           "$w_{k+1} = w_k - f'(w_k)/f''(w_k)$ (needs $f''(w_k) > 0$). Matching this with "
           "$w_{k+1} = w_k - \\eta f'(w_k)$ gives $\\eta^* = 1/f''(w_k)$, the inverse curvature: this is Newton's "
           "method. In several variables the curvature is the Hessian $H$ and the step is $-H^{-1}\\nabla f$. "
           "For a quadratic the model is exact and one step reaches the minimiser; otherwise the step is "
           "repeated (or $\\eta$ is chosen by a line search).")


@_guarded
def optimal_lr(problem: Problem, call: ast.Call) -> Derived:
    """optimal_lr(f, start = w0): minimise the second-order Taylor model at w0."""
    obj = objective(problem, call, "optimal_lr")
    quadratic = obj.quadratic
    w0, _ = _kw(problem, call, "start", "optimal_lr", required=not quadratic,
                example="optimal_lr(f, start = 5)")
    steps = derivative_steps(obj, order=2)
    w = obj.var
    eta, eta_star = sp.Symbol("eta", positive=True), sp.Symbol("eta_star", positive=True)
    if w0 is None:       # a quadratic without a start: the rate, no iterate
        c = obj.d2
        if not c.is_positive:
            return _no_newton(obj, c, None, steps)
        steps.append(make_step("newton_rate", "For a quadratic the curvature is the same everywhere, so the "
                                              "optimal rate is the same from every start:",
                               eta_star, sp.Pow(obj.Fpp(w), -1), 1 / c, where={eta_star: 1 / c, obj.Fpp(w): c}))
        steps.append(make_step("general", GENERAL, check=False))
        return Derived(make_answer(_tidy(1 / c), prose=f"**Answer:** $\\eta^* = 1/f'' = {latex(_tidy(1 / c))}"
                                                     f"{_about(_tidy(1 / c))}$."), tuple(steps))
    w0s, w1s = obj.sym(0), obj.sym(1)
    f0, g0, c0 = _tidy(obj.at(obj.body, w0)), _tidy(obj.at(obj.d1, w0)), _tidy(obj.at(obj.d2, w0))
    for order, what in ((0, "value"), (1, "slope"), (2, "curvature")):
        steps.append(_value_step(obj, order, w0s, w0, f"The {what} at ${latex(w0s)} = {latex(w0)}$:"))
    if not c0.is_positive and (c0.is_nonpositive or c0.is_number):
        return _no_newton(obj, c0, w0, steps)
    # the Taylor model and its minimiser
    dw = _plus(w, _times(-1, Shown(w0)))
    model = _plus(f0, _times(Shown(g0), Shown(dw)),
                  _times(Shown(sp.Rational(1, 2)), Shown(c0), sp.Pow(Shown(dw), 2, evaluate=False)))
    model_val = _tidy(f0 + g0 * (w - w0) + c0 * (w - w0) ** 2 / 2)
    m = _prime_function("m", 0)
    chain = [m(w), model, _ordered(model_val, w)]
    text = (f"Model $f$ near ${latex(w0s)}$ by its second-order Taylor polynomial "
            f"$m(w) = f(w_0) + f'(w_0)(w - w_0) + \\tfrac12 f''(w_0)(w - w_0)^2$"
            .replace("w_0", latex(w0s)).replace("(w", f"({latex(w)}").replace("m(w)", f"m({latex(w)})"))
    if quadratic:
        chain.append(obj.F(w))
        text += "; for a quadratic the model is $f$ itself:"
    else:
        text += ":"
    taylor = obj.at(obj.body, w0) + obj.deriv_at(w0) * (w - w0) + obj.deriv_at(w0, 2) * (w - w0) ** 2 / 2
    steps.append(make_step("taylor_model", text, *dedupe_chain(chain), where={m(w): taylor, obj.F(w): obj.body}))
    w1 = _tidy(w0 - g0 / c0)
    steps.append(make_step("model_minimiser", f"Since $f''({latex(w0s)}) = {latex(c0)} > 0$ the model is a convex "
                                              "parabola; setting $m'(w) = f'(w_0) + f''(w_0)(w - w_0) = 0$ gives its "
                                              "minimiser:".replace("w_0", latex(w0s)).replace("(w", f"({latex(w)}"),
                           w1s, w0s - obj.Fp(w0s) / obj.Fpp(w0s),
                           _plus(Shown(w0), _times(-1, Shown(g0), sp.Pow(Shown(c0), -1, evaluate=False))), w1,
                           where={w1s: w1, w0s: w0, obj.Fp(w0s): obj.deriv_at(w0), obj.Fpp(w0s): obj.deriv_at(w0, 2)}))
    eta_opt = _tidy(1 / c0)
    steps.append(make_step("newton_rate", f"A gradient step gives ${latex(w1s)} = {latex(w0s)} - \\eta\\, "
                                          f"{latex(obj.Fp(w0s))}$; it lands on the model's minimiser when",
                           *dedupe_chain([eta_star, 1 / obj.Fpp(w0s), sp.Pow(Shown(c0), -1, evaluate=False), eta_opt]),
                           where={eta_star: eta_opt, obj.Fpp(w0s): obj.deriv_at(w0, 2)}))
    steps.append(make_step("gd_iterate", f"The step with $\\eta^* = {latex(eta_opt)}$ from ${latex(w0s)} = "
                                         f"{latex(w0)}$:",
                           w1s, w0s - eta * obj.Fp(w0s), _plus(Shown(w0), _times(-1, Shown(eta_opt), Shown(g0))), w1,
                           where={w1s: w1, w0s: w0, eta: eta_opt, obj.Fp(w0s): obj.deriv_at(w0)}))
    g1 = _tidy(obj.at(obj.d1, w1))
    check = make_step("stationary", "Check the slope there:", *dedupe_chain([obj.Fp(w1s), _put(obj.d1, w, w1), g1]),
                      where={w1s: w1, obj.Fp(w1s): obj.deriv_at(w1)})
    steps.append(check)
    if g1 == 0 and quadratic:
        verdict = (f"${latex(obj.Fp(w1s))} = 0$ and $f$ is a convex quadratic, so ${latex(w1s)} = {latex(w1)}$ is "
                   "the minimiser: this rate reaches the optimum in one step.")
    elif g1 == 0:
        verdict = (f"${latex(obj.Fp(w1s))} = 0$: this Newton step happens to land on a stationary point of $f$.")
    else:
        verdict = (f"${latex(obj.Fp(w1s))} \\ne 0$: $f$ is not a quadratic, so this is one Newton step towards "
                   "the minimum, not the optimum itself; repeating it with $\\eta = 1/f''(w_k)$ at each iterate "
                   "is Newton's method.")
    steps.append(make_step("verdict", verdict, check=False))
    steps.append(make_step("general", GENERAL, check=False))
    extra = {"iterate": float(sp.N(w1, 20))} if not w1.free_symbols else {}
    prose = (f"**Answer:** $\\eta^* = 1/f''({latex(w0s)}) = {latex(eta_opt)}{_about(eta_opt)}$; from "
             f"${latex(w0s)} = {latex(w0)}$ it reaches ${latex(w1s)} = {latex(w1)}{_about(w1)}$"
             + (", the minimiser, in one step." if g1 == 0 and quadratic else
                " (one Newton step)." if g1 != 0 else "."))
    return Derived(make_answer(eta_opt, prose=prose, extra=extra), tuple(steps))


def _no_newton(obj: Objective, c0: Any, w0: Any, steps: list[Step]) -> Derived:
    where = "" if w0 is None else f" at ${latex(obj.sym(0))} = {latex(w0)}$"
    if c0.is_zero:
        text = (f"The curvature{where} is 0: the second-order model is a straight line, which has no minimum, so no "
                "step size minimises it and there is no optimal learning rate.")
    elif c0.is_negative:
        text = (f"The curvature{where} is ${latex(c0)} < 0$: the second-order model is a downward parabola, "
                "unbounded below, so no step size minimises it (the Newton step $w - f'/f''$ would go to a maximum). "
                "There is no optimal learning rate.")
    else:
        text = (f"The curvature{where} is ${latex(c0)}$; the optimal rate $1/f''$ exists only where it is positive.")
    steps.append(make_step("no_newton", text, check=False))
    return Derived(make_answer(None, text="None", value=None, tex=r"\text{none}", prose="**Answer:** " + text),
                   tuple(steps))
