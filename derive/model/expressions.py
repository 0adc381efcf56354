"""AST expressions -> sympy objects, with NumPy's semantics and 1-based indexing.

`Evaluator(problem, mode)` walks an `ast.Expr`.  Names resolve through the problem:
in mode "value" to their exact values (numbers, explicit matrices, or the symbols
themselves when the problem leaves them symbolic), in mode "symbol" to the symbols that
stand for them (so `o = W2 @ h + b2` displays as W₂h + b₂).  Both modes share every rule:

* scalars are sympy numbers or expressions; `0.7` is 7/10;
* vectors are n×1 columns, matrices r×c: explicit `ImmutableMatrix` or sympy matrix
  expressions (MatrixSymbol, MatMul, ...); lists of vectors are `Seq`s;
* `@` is the matrix product (vector @ vector is the inner product, a scalar), `*` and `^`
  are elementwise on tensors, a scalar broadcasts over a tensor, 1×1 tensors act as scalars;
* builtins come from the registry in builtins.py; a user function `f(w) = ...` and a
  layer are called like builtins.

Limits: explicit tensors above `MAX_ENTRIES` entries, matrix products of more than
`MAX_MATMUL` multiply-adds, exponents above `MAX_EXPONENT` and results holding numbers of
more than `MAX_POWER_BITS` bits (`9^(9^9)`, `((2x)^2)^2...` squared a hundred times) are
refused with a LimitError at the expression, before sympy is asked to build them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import sympy as sp
from sympy.core.sympify import CantSympify
from sympy.matrices.expressions.matexpr import MatrixExpr

from .. import ast
from ..errors import DeriveError, InternalError, LimitError, SpecError
from ..limits import check as _deadline
from .functions import explicit, is_tensor
from .numbers import plain_numbers as _plain_numbers
from .numbers import rational_entries as _rational_entries

if TYPE_CHECKING:
    from .problem import Problem

MAX_ENTRIES = 20_000          # entries of one explicit tensor (≈141×141): exact arithmetic is slow
MAX_LAMBDA_ENTRIES = 10_000   # entries built by a rule, `matrix(n, m, (i, j) -> ...)`
MAX_MATMUL = 1_000_000        # scalar multiply-adds of one explicit matrix product
MAX_POWER_BITS = 14_000       # bits of the largest integer in a result (≈ 4,200 digits: Python refuses
                              # to print integers of more than 4,300 digits, and so would every format)
MAX_EXPONENT = 10_000         # |exponent| of a power, also after (x^a)^b = x^(ab)


def _holds_strings(node: ast.ListLit) -> bool:
    """Whether a list literal (or its first row) has a string literal among its entries."""
    items = node.items[0].items if isinstance(node.items[0], ast.ListLit) else node.items
    return any(isinstance(i, ast.Str) for i in items)


class SpecString(str, CantSympify):
    """A string value of a spec (`let s = "..."`).  sympy refuses to sympify it (CantSympify),
    so no sympy function that sympifies its argument (simplify, Matrix, nsimplify, ...)
    can ever parse a spec's string as an expression: a string that slips past a check is a
    SympifyError, never code that parse_expr runs."""

    __slots__ = ()


class Seq(tuple):
    """A list of tensors (`[x1, x2, x3]`, an attention layer's outputs)."""

    def __repr__(self) -> str:
        return "Seq(" + ", ".join(map(str, self)) + ")"


class Words(tuple):
    """A list literal holding strings: class names or categories (`["spam", "ham"]`), or a
    table of them (`[["sunny", "hot"], ["rain", "mild"]]`, a Words of equally long Words).
    Entries are SpecStrings or scalars (`["sunny", 1]`); only the classical-learning goals
    read it, every other use is an error saying what it is."""

    def __repr__(self) -> str:
        return "Words(" + ", ".join(map(str, self)) + ")"


@dataclass(frozen=True)
class LambdaValue:
    params: tuple[str, ...]
    body: ast.Expr
    evaluator: "Evaluator"
    locals: tuple[tuple[str, Any], ...] = ()

    def __call__(self, *args: Any) -> Any:
        if len(args) != len(self.params):
            raise SpecError(f"the lambda takes {len(self.params)} arguments, got {len(args)}", self.body.pos)
        env = dict(self.locals)
        env.update(zip(self.params, args))
        return self.evaluator.with_locals(env).eval(self.body)


def shape_of(x: Any) -> tuple | None:
    """(rows, cols) of a tensor, None for a scalar."""
    if is_tensor(x):
        return tuple(x.shape)
    return None


def show_shape(x: Any) -> str:
    s = shape_of(x)
    if s is None:
        return "a scalar"
    r, c = s
    return f"a vector of length {r}" if c == 1 else f"a {r}×{c} matrix"


def kind_of(v: Any) -> str | None:
    """None if `v` is maths (a number, an expression or a tensor), else what it is in words
    ("a string", "a function", "a layer", ...), for messages that refuse it."""
    if is_tensor(v) or isinstance(v, sp.Expr) and not isinstance(v, sp.logic.boolalg.BooleanAtom):
        return None
    if isinstance(v, sp.logic.boolalg.Boolean):
        return "a truth value"
    if v is None:
        return "nothing"
    if isinstance(v, str):
        return "an empty string" if not v else "a string"
    names = {"Seq": "a list of tensors", "Words": "a list of strings", "LambdaValue": "a lambda", "UserFunction": "a function",
             "TensorShape": "a tensor known only by its shape"}
    for cls in type(v).__mro__:
        if cls.__name__ in names:
            return names[cls.__name__]
        if cls.__name__ == "Layer":
            return "a layer"
    return "not a number, an expression or a tensor"


def scalarize(x: Any) -> Any:
    """A 1×1 tensor as a scalar (explicit: its entry; expression: Trace, printed bare)."""
    if is_tensor(x) and tuple(x.shape) == (1, 1):
        if explicit(x):
            return x[0, 0]
        if isinstance(x, MatrixExpr):
            doit = x.doit() if not x.atoms(sp.MatrixSymbol) else x
            if explicit(doit):
                return doit[0, 0]
            return sp.Trace(x)
    return x


def is_scalar(x: Any) -> bool:
    # sp.Expr, not "Basic but not Boolean": a Symbol is also a Boolean in sympy.
    return isinstance(x, sp.Expr) and not is_tensor(x) or isinstance(x, (int, Fraction))


def _same(a, b) -> bool:
    return sp.simplify(sp.sympify(a, strict=True) - sp.sympify(b, strict=True)) == 0 if a != b else True


def check_entries(n: Any, m: Any, node: ast.Expr, limit: int = MAX_ENTRIES) -> tuple[int, int]:
    """(n, m) as ints when an n×m explicit tensor is allowed; SpecError/LimitError at `node`."""
    for v in (n, m):
        if not (isinstance(v, sp.Integer) or isinstance(v, int)) or int(v) < 1:
            raise SpecError(f"a size must be a positive whole number, not {v}", node.pos)
    n, m = int(n), int(m)
    if n * m > limit:
        size = "×".join(str(d) if d < 10 ** 18 else count(d) for d in (n, m))
        raise LimitError(f"a {size} tensor has {count(n * m)} entries; derive computes exactly and "
                         f"refuses more than {limit:,}", node.pos)
    return n, m


def count(n: int) -> str:
    """A whole number for a message: 1,234,567, or "≈10^4400" when it is too long to
    print in full (Python refuses to print integers of more than 4,300 digits)."""
    if abs(n) < 10 ** 18:
        return f"{n:,}"
    return f"≈10^{int(math.log10(abs(n)))}"


class Evaluator:
    """Evaluates AST expressions of one problem (see the module docstring)."""

    def __init__(self, problem: "Problem", mode: str = "value", locals: dict | None = None):
        self.problem = problem
        self.mode = mode
        self.locals = dict(locals or {})

    def with_locals(self, env: dict) -> "Evaluator":
        merged = dict(self.locals)
        merged.update(env)
        return Evaluator(self.problem, self.mode, merged)

    # ---- dispatch --------------------------------------------------------------------
    def eval(self, node: ast.Expr) -> Any:
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            raise SpecError(f"{type(node).__name__} cannot be evaluated here", node.pos)
        try:
            _deadline(node.pos)
            return _defined(method(node), node)
        except DeriveError as exc:
            raise exc.at(node.pos)
        except RecursionError:
            raise LimitError("the expression is nested too deeply", node.pos) from None
        except (sp.ShapeError, sp.NonSquareMatrixError) as exc:
            raise SpecError(f"shape mismatch: {exc}", node.pos) from None
        except ZeroDivisionError:
            raise SpecError("division by zero", node.pos) from None
        except MemoryError:
            raise LimitError("derive ran out of memory evaluating this expression", node.pos) from None
        except Exception as exc:   # a sympy corner no rule above foresaw: a bug, reported at its place
            raise InternalError(f"internal error evaluating this expression ({type(exc).__name__}: "
                                f"{str(exc)[:200]}); please report it with the spec", node.pos) from exc

    def _Num(self, node: ast.Num):
        return sp.Rational(node.value.numerator, node.value.denominator)

    def _Str(self, node: ast.Str):
        return SpecString(node.value)

    def _Bool(self, node: ast.Bool):
        return sp.true if node.value else sp.false

    def _NoneLit(self, node):
        return None

    def _Name(self, node: ast.Name):
        if node.id in self.locals:
            return self.locals[node.id]
        b = self.problem.lookup(node.id, node.pos)
        if b.error is not None:
            raise b.error
        return b.symbol if self.mode == "symbol" and b.symbol is not None else b.value

    def _Tuple(self, node: ast.Tuple):
        raise SpecError("parentheses with commas only group lambda parameters, as in `(i, j) -> i + j`;"
                        " write a vector as `[a, b]`", node.pos)

    def _Lambda(self, node: ast.Lambda):
        return LambdaValue(node.params, node.body, self, tuple(self.locals.items()))

    def _ListLit(self, node: ast.ListLit):
        if not node.items:
            raise SpecError("an empty list has no shape; write zeros(n) for a zero vector", node.pos)
        if _holds_strings(node):
            return self._words(node)
        lists = [i for i in node.items if isinstance(i, ast.ListLit)]
        if len(lists) == len(node.items):
            first = lists[0].items
            if first and is_tensor(self.eval(first[0])):   # [[W_Q1, W_K1, W_V1], ...]: a list of lists
                seqs = [self.eval(row) for row in lists]
                for row, item in zip(seqs, lists):
                    if not isinstance(row, Seq):
                        raise SpecError("every inner list must hold tensors, like the first", item.pos)
                return Seq(seqs)
            rows = [_plain_numbers(row.items) or [self.scalar(e, "a matrix entry") for e in row.items]
                    for row in lists]
            widths = {len(r) for r in rows}
            if len(widths) != 1:
                raise SpecError("the rows of a matrix literal have different lengths "
                                f"({', '.join(str(len(r)) for r in rows)})", node.pos)
            check_entries(len(rows), len(rows[0]), node)
            return sp.ImmutableMatrix(rows)
        vals = _plain_numbers(node.items) or [self.eval(i) for i in node.items]
        if all(is_tensor(v) for v in vals):
            return Seq(vals)
        for v, entry in zip(vals, node.items):
            if not is_scalar(v):
                raise SpecError(f"a vector's entries must be scalars; this is {show_shape(v)}"
                                if is_tensor(v) else "a vector's entries must be numbers or symbols", entry.pos)
        check_entries(len(vals), 1, node)
        return sp.ImmutableMatrix(len(vals), 1, vals)

    def _words(self, node: ast.ListLit) -> "Words":
        """A list (or a list of equally long lists) of strings and scalars."""
        lists = [i for i in node.items if isinstance(i, ast.ListLit)]
        if len(lists) == len(node.items):
            rows = [self._words(i) for i in lists]
            if len({len(r) for r in rows}) != 1:
                raise SpecError("the rows of a table of strings have different lengths "
                                f"({', '.join(str(len(r)) for r in rows)})", node.pos)
            return Words(rows)
        out = []
        for item in node.items:
            if isinstance(item, ast.ListLit):
                raise SpecError("a list of strings holds strings or numbers, or only lists (rows)", item.pos)
            out.append(self.eval(item) if isinstance(item, ast.Str) else self.scalar(item, "an entry of a list of "
                                                                                         "strings"))
        return Words(out)

    def scalar(self, node: ast.Expr, what: str = "a scalar") -> Any:
        v = scalarize(self.eval(node))
        if not is_scalar(v):
            raise SpecError(f"{what} must be a scalar, not {show_shape(v)}", node.pos)
        return v

    def _UnaryOp(self, node: ast.UnaryOp):
        v = self.eval(node.operand)
        if node.op == "not":
            return sp.Not(self._need_truth(v, node.operand, "`not`"))
        self._need_math(v, node.operand)
        return -v if node.op == "-" else v

    def _need_math(self, v, node):
        if isinstance(v, (str, Seq, LambdaValue)) or v is None or not isinstance(v, (sp.Expr, sp.MatrixBase)):
            what = kind_of(v) or "this value"
            raise SpecError(f"{what} cannot be used in arithmetic", node.pos)

    def _need_truth(self, v, node, what: str):
        """`v` if it is true/false or a condition (a comparison), else a SpecError at `node`."""
        if isinstance(v, bool):
            return sp.true if v else sp.false
        if isinstance(v, sp.logic.boolalg.Boolean) and not isinstance(v, sp.Expr):
            return v
        kind = show_shape(v) if is_tensor(v) else "a number" if isinstance(v, sp.Expr) and v.is_number else \
            "an expression" if isinstance(v, sp.Expr) else (kind_of(v) or "this value")
        raise SpecError(f"{what} needs true, false or a comparison such as `x > 0`, not {kind}", node.pos)

    def _BinOp(self, node: ast.BinOp):
        a, b = self.eval(node.left), self.eval(node.right)
        self._need_math(a, node.left)
        self._need_math(b, node.right)
        return binop(node.op, a, b, node)

    def _Compare(self, node: ast.Compare):
        a, b = scalarize(self.eval(node.left)), scalarize(self.eval(node.right))
        ops = {"<": sp.Lt, "<=": sp.Le, ">": sp.Gt, ">=": sp.Ge, "==": sp.Eq, "!=": sp.Ne}
        if not (is_scalar(a) and is_scalar(b)):
            raise SpecError("only scalars can be compared", node.pos)
        return ops[node.op](a, b)

    def _BoolOp(self, node: ast.BoolOp):
        a = self._need_truth(self.eval(node.left), node.left, f"`{node.op}`")
        b = self._need_truth(self.eval(node.right), node.right, f"`{node.op}`")
        return sp.And(a, b) if node.op == "and" else sp.Or(a, b)

    def _IfExpr(self, node: ast.IfExpr):
        cond = self._need_truth(self.eval(node.cond), node.cond, "the condition of `if`")
        if cond in (sp.true, True):
            return self.eval(node.then)
        if cond in (sp.false, False):
            return self.eval(node.orelse)
        a, b = self.eval(node.then), self.eval(node.orelse)
        if is_tensor(a) or is_tensor(b):
            raise SpecError("the condition must be decidable when the branches are tensors", node.cond.pos)
        return sp.Piecewise((a, cond), (b, True))

    def _Transpose(self, node: ast.Transpose):
        v = self.eval(node.operand)
        if isinstance(v, Seq):
            raise SpecError("a list of tensors has no transpose; build a matrix with stack(...)", node.pos)
        self._need_math(v, node.operand)
        return v.T if is_tensor(v) else v

    def _Index(self, node: ast.Index):
        target = self.eval(node.target)
        idx = []
        for i in node.indices:
            v = scalarize(self.eval(i))
            if not (isinstance(v, sp.Integer)):
                raise SpecError(f"an index must be a whole number (indexing is 1-based), not {v}", i.pos)
            idx.append(int(v))
        return index(target, idx, node)

    def _Call(self, node: ast.Call):
        from .builtins import call_builtin
        name = node.name
        if name is None:
            raise SpecError("only named functions can be called", node.func.pos)
        if name in self.locals:
            fn = self.locals[name]
            if isinstance(fn, LambdaValue):
                return fn(*[self.eval(a) for a in node.args])
            raise SpecError(f"`{name}` is not a function", node.func.pos)
        if self.problem.has(name):
            b = self.problem.lookup(name, node.func.pos)
            if b.error is not None:
                raise b.error
            target = b.value
            if hasattr(target, "call"):
                return target.call(self, node)
            raise SpecError(f"`{name}` is {b.describe()}, not a function", node.func.pos)
        return call_builtin(self, node)


_UNDEFINED = (sp.S.ComplexInfinity, sp.S.NaN, sp.S.Infinity, sp.S.NegativeInfinity)


def _defined(x: Any, node: ast.Expr) -> Any:
    """`x`, unless it is or holds ∞ or NaN (`0^-1`, `0/0` that sympy let through)."""
    if isinstance(x, sp.Rational) or (isinstance(x, sp.MatrixBase) and _rational_entries(x)):
        return x                                  # (the common case: nothing to look for)
    if isinstance(x, sp.Basic) and not isinstance(x, sp.MatrixSymbol) and x.has(*_UNDEFINED):
        what = "division by zero" if x.has(sp.S.ComplexInfinity) else \
            "this is undefined (0/0, ∞ − ∞ or similar)" if x.has(sp.S.NaN) else "this is infinite"
        raise SpecError(what, node.pos)
    if isinstance(x, sp.Expr) and x.is_number and not isinstance(x, MatrixExpr) and x.is_extended_real is False:
        raise SpecError(f"{_short(x)} is not a real number (a fractional power or root of a negative "
                        "number?)", node.pos)
    if isinstance(x, sp.MatrixBase):
        for e in x:
            if isinstance(e, sp.Expr) and e.is_number and e.is_extended_real is False:
                raise SpecError(f"an entry, {_short(e)}, is not a real number", node.pos)
    return x


def binop(op: str, a: Any, b: Any, node: ast.Expr) -> Any:
    """One arithmetic operator with NumPy's rules (see the module docstring)."""
    ta, tb = is_tensor(a), is_tensor(b)
    if op == "@":
        # A 1×1 node is stored as a scalar; as an operand of `@` it is the 1×1 (or length-1)
        # tensor it came from, so a width-1 layer still multiplies (NumPy would accept it).
        if ta and not tb and isinstance(b, sp.Expr) and a.shape[1] == 1:
            b, tb = sp.ImmutableMatrix([[b]]), True
        elif tb and not ta and isinstance(a, sp.Expr) and b.shape[0] == 1:
            a, ta = sp.ImmutableMatrix([[a]]), True
        if not (ta and tb):
            raise SpecError(f"`@` multiplies tensors; here the {'left' if not ta else 'right'} side is a scalar "
                            "(use `*` for a scalar product)", node.pos)
        (r1, c1), (r2, c2) = a.shape, b.shape
        if c1 == 1 and c2 == 1 and r1 != 1 and _eq(r1, r2):   # vector @ vector: inner product
            return scalarize(a.T * b)
        if c1 == 1 and r1 != 1 and _eq(r1, r2) and c2 != 1:    # vector @ matrix: xᵀW, a vector
            return (a.T * b).T if not explicit(a) else sp.ImmutableMatrix((a.T * b).T)
        if not _eq(c1, r2):
            raise SpecError(f"shape mismatch in `@`: {show_shape(a)} @ {show_shape(b)}; "
                            f"the inner sizes {c1} and {r2} differ", node.pos)
        if explicit(a) and explicit(b):
            check_entries(r1, c2, node)
        if explicit(a) and explicit(b) and r1 * c1 * c2 > MAX_MATMUL:
            raise LimitError(f"the product of a {r1}×{c1} and a {r2}×{c2} matrix takes {r1 * c1 * c2:,} exact "
                             f"multiplications; derive refuses more than {MAX_MATMUL:,}", node.pos)
        out = a * b
        if explicit(a) and explicit(b):
            out = sp.ImmutableMatrix(out)
        return guard_size(out, node)
    if ta and tb and tuple(a.shape) == (1, 1) != tuple(b.shape):
        a, ta = scalarize(a), False
    if ta and tb and tuple(b.shape) == (1, 1) != tuple(a.shape):
        b, tb = scalarize(b), False
    if op in "+-":
        if ta and tb:
            if not (_eq(a.shape[0], b.shape[0]) and _eq(a.shape[1], b.shape[1])):
                raise SpecError(f"shape mismatch in `{op}`: {show_shape(a)} and {show_shape(b)}", node.pos)
            out = a + b if op == "+" else a - b
            return sp.ImmutableMatrix(out) if explicit(a) and explicit(b) else out
        if ta or tb:
            t, s = (a, b) if ta else (b, a)
            t = t if explicit(t) else t
            ones = sp.ImmutableMatrix(sp.ones(*t.shape)) if explicit(t) else sp.OneMatrix(*t.shape)
            s_t = s * ones
            if op == "+":
                return t + s_t if explicit(t) else sp.MatAdd(t, s_t)
            return (a - s_t) if ta else (s_t - b)
        return a + b if op == "+" else a - b
    if op == "*":
        if ta and tb:
            if tuple(a.shape) != tuple(b.shape):
                raise SpecError(f"shape mismatch in elementwise `*`: {show_shape(a)} and {show_shape(b)}"
                                " (use `@` for the matrix product)", node.pos)
            if explicit(a) and explicit(b):
                return guard_size(sp.ImmutableMatrix(a.multiply_elementwise(b)), node)
            return sp.HadamardProduct(a, b)
        out = a * b
        return guard_size(sp.ImmutableMatrix(out) if (explicit(a) or explicit(b)) and (ta or tb) else out, node)
    if op == "/":
        if tb:
            if explicit(b) and (not ta or explicit(a)):
                if any(e == 0 for e in b):
                    raise SpecError("division by zero (an entry of the divisor is 0)", node.pos)
                if ta:
                    if tuple(a.shape) != tuple(b.shape):
                        raise SpecError(f"shape mismatch in elementwise `/`: {show_shape(a)} and {show_shape(b)}", node.pos)
                    return sp.ImmutableMatrix(a.shape[0], a.shape[1], [x / y for x, y in zip(a, b)])
                return sp.ImmutableMatrix(b.shape[0], b.shape[1], [a / y for y in b])
            if ta and not (_eq(a.shape[0], b.shape[0]) and _eq(a.shape[1], b.shape[1])):
                raise SpecError(f"shape mismatch in elementwise `/`: {show_shape(a)} and {show_shape(b)}", node.pos)
            if explicit(b) and any(e == 0 for e in b):
                raise SpecError("division by zero (an entry of the divisor is 0)", node.pos)
            from .elementwise import HadamardDiv
            return HadamardDiv(a, b)
        if b == 0:
            raise SpecError("division by zero", node.pos)
        out = a / b
        return sp.ImmutableMatrix(out) if ta and explicit(a) else out
    if op == "^":
        if tb:
            raise SpecError("an exponent must be a scalar", node.pos)
        guard_power(a, b, node)
        if ta:
            if explicit(a):
                return guard_size(sp.ImmutableMatrix(a.applyfunc(lambda t: t ** b)), node)
            return sp.HadamardPower(a, b)
        return guard_size(a ** b, node)
    raise SpecError(f"unknown operator {op}", node.pos)


def _eq(x, y) -> bool:
    return x == y or sp.simplify(sp.sympify(x, strict=True) - sp.sympify(y, strict=True)) == 0


def guard_power(base: Any, exp: Any, node: ast.Expr) -> None:
    """Refuse powers whose result would be astronomically large before sympy builds it."""
    if not isinstance(exp, sp.Basic) or not exp.is_number:
        return
    try:
        e = abs(float(exp))
    except (TypeError, ValueError):
        return
    trivial = isinstance(base, sp.Basic) and base.is_number and abs(base) in (0, 1)
    if e > MAX_EXPONENT and not trivial:
        raise LimitError(f"the exponent {_short(exp)} is too large (derive allows |exponent| ≤ {MAX_EXPONENT:,})",
                         node.pos)
    if trivial or not isinstance(base, (sp.Basic, sp.MatrixBase)):
        return
    if exp.is_Integer:
        if getattr(base, "is_Rational", False):   # exact size of p^e and q^e
            bits = e * max(math.log2(abs(int(base.p))) if base.p else 0, math.log2(int(base.q)))
        else:
            bits = e * _max_bits(base)
        if bits > MAX_POWER_BITS:
            what = _short(base) if getattr(base, "is_Rational", False) else "the base"
            raise LimitError(f"{what}^{_short(exp)} would hold numbers of about {int(bits):,} bits; derive refuses "
                             f"numbers over {MAX_POWER_BITS:,} bits", node.pos)
    inner = _max_exponent(base)
    if inner * e > MAX_EXPONENT:
        inner = sp.Integer(int(inner)) if inner == int(inner) else sp.Float(inner, 6)
        raise LimitError(f"raising a power with exponent {_short(inner)} to the power {_short(exp)} gives an exponent "
                         f"over {MAX_EXPONENT:,}, which derive refuses", node.pos)


def _max_bits(x: Any) -> int:
    """Bits of the largest numerator or denominator among the rational numbers in `x`."""
    if isinstance(x, sp.MatrixBase):
        return max((_max_bits(e) for e in x), default=0)
    if not isinstance(x, sp.Basic):
        return 0
    if x.is_Rational:
        return max(int(x.p).bit_length(), int(x.q).bit_length())
    return max((max(int(r.p).bit_length(), int(r.q).bit_length()) for r in x.atoms(sp.Rational)), default=0)


def _max_exponent(x: Any) -> float:
    """The largest |numeric exponent| of a power inside `x` (1 when there is none)."""
    if isinstance(x, sp.MatrixBase):
        return max((_max_exponent(e) for e in x), default=1)
    if not isinstance(x, sp.Basic) or x.is_number:
        return 1
    out = 1.0
    for p in x.atoms(sp.Pow):
        if p.exp.is_Number and not p.base.is_number:
            out = max(out, abs(float(p.exp)))
    return out


def guard_size(x: Any, node: ast.Expr) -> Any:
    """`x`, unless it holds numbers or exponents beyond the limits (a product of products...)."""
    bits = _max_bits(x)
    if bits > MAX_POWER_BITS:
        raise LimitError(f"this result holds a number of {bits:,} bits; derive refuses numbers over "
                         f"{MAX_POWER_BITS:,} bits", node.pos)
    top = _max_exponent(x)
    if top > MAX_EXPONENT:
        raise LimitError(f"this result has a power with exponent {_short(sp.Integer(int(top)))}; derive refuses "
                         f"exponents over {MAX_EXPONENT:,}", node.pos)
    return x


def _short(x) -> str:
    if isinstance(x, (int, sp.Integer)) and abs(int(x)) >= 10 ** 4000:   # str() would refuse it
        return count(int(x))
    s = str(x)
    return s if len(s) <= 20 else s[:8] + "…" + s[-4:] + f" ({len(s)} digits)"


def index(target: Any, idx: list[int], node: ast.Index) -> Any:
    """1-based indexing of a Seq, a vector or a matrix."""
    if isinstance(target, Seq):
        if len(idx) != 1:
            raise SpecError("a list of tensors takes one index", node.pos)
        i = idx[0]
        if not 1 <= i <= len(target):
            raise SpecError(f"index {i} is out of range: the list has {len(target)} items (indexing is 1-based)",
                            node.pos)
        return target[i - 1]
    if not is_tensor(target):
        raise SpecError("only vectors, matrices and lists can be indexed", node.pos)
    r, c = target.shape
    if len(idx) == 1:
        if c != 1 and r != 1:
            raise SpecError(f"a {r}×{c} matrix takes two indices, as in W[1, 2]", node.pos)
        i = idx[0]
        n = r if c == 1 else c
        if isinstance(n, sp.Integer) or isinstance(n, int):
            if not 1 <= i <= int(n):
                raise SpecError(f"index {i} is out of range 1..{n} (indexing is 1-based)", node.pos)
        return target[i - 1, 0] if c == 1 else target[0, i - 1]
    if len(idx) == 2:
        i, j = idx
        for k, n in ((i, r), (j, c)):
            if (isinstance(n, sp.Integer) or isinstance(n, int)) and not 1 <= k <= int(n):
                raise SpecError(f"index {k} is out of range 1..{n} (indexing is 1-based)", node.pos)
            if k < 1:
                raise SpecError(f"index {k} is out of range (indexing is 1-based)", node.pos)
        return target[i - 1, j - 1]
    raise SpecError("at most two indices", node.pos)


def suggest(name: str, candidates) -> str:
    import difflib  # (only when something is misspelt: not on every run's import path)
    close = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return f"; did you mean `{close[0]}`?" if close else ""
