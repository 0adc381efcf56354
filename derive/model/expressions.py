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

Limits (the run's `derive.limits.Limits`): explicit tensors above `entries` entries,
matrix products of more than `matmul` multiply-adds, exponents above `exponent` and
results holding numbers of more than `number_bits` bits (`9^(9^9)`, `((2x)^2)^2...`
squared a hundred times) are refused with a LimitError at the expression, before sympy
is asked to build them.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixExpr

from .. import ast
from ..errors import DeriveError, InternalError, LimitError, SpecError
from ..limits import check as _deadline
from .functions import is_tensor
from .numbers import plain_numbers as _plain_numbers
from .numbers import rational_entries as _rational_entries

if TYPE_CHECKING:
    from .problem import Problem
from .operators import _eq as _eq
from .operators import _max_bits as _max_bits
from .operators import _max_exponent as _max_exponent
from .operators import _short as _short
from .operators import binop as binop
from .operators import guard_power as guard_power
from .operators import guard_size as guard_size
from .operators import index as index
from .calls import call_builtin
from .spelling import suggest as suggest
from .values import Callee, Value
from .values import LambdaValue as LambdaValue
from .values import Seq as Seq
from .values import SpecString as SpecString
from .values import Words as Words
from .values import _holds_strings as _holds_strings
from .values import _same as _same
from .values import check_entries as check_entries
from .values import count as count
from .values import is_scalar as is_scalar
from .values import kind_of as kind_of
from .values import scalarize as scalarize
from .values import shape_of as shape_of
from .values import show_shape as show_shape


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
    def eval(self, node: ast.Expr) -> "Value":
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

    def scalar(self, node: ast.Expr, what: str = "a scalar") -> "sp.Expr":
        v = scalarize(self.eval(node))
        if not is_scalar(v):
            raise SpecError(f"{what} must be a scalar, not {show_shape(v)}", node.pos)
        return v

    def _UnaryOp(self, node: ast.UnaryOp):
        v = self.eval(node.operand)
        if node.op == "not":
            return sp.Not(self._need_truth(v, node.operand, "`not`"))
        m = self._need_math(v, node.operand)
        return -m if node.op == "-" else m

    def _need_math(self, v: "Value | None", node: ast.Expr) -> "sp.Expr | sp.MatrixBase":
        """`v` if arithmetic applies to it (a number, an expression, a tensor); else a SpecError."""
        if isinstance(v, (str, Seq, LambdaValue)) or v is None or not isinstance(v, (sp.Expr, sp.MatrixBase)):
            what = kind_of(v) or "this value"
            raise SpecError(f"{what} cannot be used in arithmetic", node.pos)
        return v

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
            if isinstance(target, Callee):
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


