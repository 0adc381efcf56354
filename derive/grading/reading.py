"""A student's answer read by derive's own grammar (rule `response` of grammars/spec.lark)
and turned into sympy objects by a small closed converter: never eval, sympify or
parse_expr.

    read("5/6", names) -> Value(objects=(Rational(5, 6),), decimals=())

What an answer may hold: numbers (`18`, `0.83`, `1e-3`), `+ - * / ^ ** @`, `.T`, the
names in `names` (the problem's symbols, matrices as MatrixSymbols), `pi`, `e`, `sqrt`,
`exp`, `log` (natural; `log(x, b)` base b), `ln`, `abs`, `norm`, vectors `[1, 2]`,
matrices `[[1, 2], [3, 4]]`, a tuple `(0, 1)` (an interval), and several such separated
by commas (`a, c`).  Anything else (an unknown name, a string, a comparison, a lambda,
an index) is a `FormatError` with a short message and the column where it starts.
Sizes are bounded before any work: MAX_CHARS characters, bracket nesting and tree depth
as for specs (derive.syntax), exponents by MAX_EXPONENT and numbers by MAX_DIGITS.
"""
from __future__ import annotations

import functools
import re
from fractions import Fraction
from typing import Any

import sympy as sp
from lark import Token
from sympy.matrices.expressions.matexpr import MatrixExpr

from .. import ast
from ..errors import DeriveError, Pos, Source
from ..literals import num_tensor, number
from ..quickread import read as quick_read
from ..syntax import parse_response
from ..records import record

MAX_CHARS = 10_000          # an answer longer than this is refused unread
MAX_EXPONENT = 1_000        # |n| in x^n with a numeric n
MAX_SYMBOLIC_POWER = 64     # x^n with symbols in x: n at most this (expanding it is checked)
MAX_DEGREE = 4_096          # ... and (x^64)^64 at most: a power of powers multiplies the exponents
MAX_DIGITS = 2_000          # digits of any number an answer works out to
MAX_ENTRIES = 10_000        # entries of a vector or matrix
CONSTANTS = {"pi": sp.pi, "e": sp.E}
FUNCTIONS = ("sqrt", "exp", "log", "ln", "abs", "norm")


class FormatError(Exception):
    """An answer that cannot be read (invalid, not wrong): `message` and 1-based `column`."""

    def __init__(self, message: str, column: int = 1):
        super().__init__(message)
        self.message = message
        self.column = column

    def __str__(self) -> str:
        return f"column {self.column}: {self.message}"


@record
class Value:
    """What an answer says: `items`, one sympy object per comma-separated part (a Tuple
    part stays a Python tuple of objects); `nodes` the AST parts; `decimals` the
    significant digits of each decimal literal written (empty: the answer is exact)."""
    items: tuple[Any, ...]
    nodes: tuple[ast.Expr, ...]
    decimals: tuple[int, ...] = ()


def parse(text: str) -> tuple[ast.Expr, ...]:
    """The AST of an answer (grammar rule `response`), or a FormatError."""
    if not isinstance(text, str):
        raise FormatError(f"an answer is text, not {type(text).__name__}")
    if len(text) > MAX_CHARS:
        raise FormatError(f"the answer is {len(text):,} characters long; at most {MAX_CHARS:,} are read")
    if not text.strip():
        raise FormatError("the answer is empty")
    try:
        return _parsed(text) if len(text) <= CACHED_CHARS else _parse(text)
    except DeriveError as exc:
        from ..limits import expired
        if expired():                     # the grading time ran out: undecided, not invalid
            raise
        column = exc.pos.column if exc.pos is not None else 1
        raise FormatError(exc.message.split(";")[0], column) from None
    except RecursionError:
        raise FormatError("the answer is nested too deeply") from None


def _parse(text: str) -> tuple[ast.Expr, ...]:
    quick = _literal(text)
    if quick is not None:
        return quick
    source = Source("<answer>", text)
    return quick_read(source) or parse_response(source)


# The AST of each of the last CACHE_SIZE distinct short answers (a class's answers repeat;
# the AST is immutable and depends on the text alone).  Errors are never kept.
CACHED_CHARS, CACHE_SIZE = 400, 4096
_parsed = functools.lru_cache(maxsize=CACHE_SIZE)(_parse)


@functools.lru_cache(maxsize=1)
def _literal_res() -> tuple[re.Pattern, re.Pattern]:
    """The grammar's own NUMBER and NUMTENSOR terminals, as regexes (signed numbers)."""
    from ..syntax import _numtensor_re, parser
    number = parser().get_terminal("NUMBER").pattern.to_regexp()
    return re.compile(r"([-+]?)(" + number + r")(?:[ \t]*/[ \t]*(" + number + "))?"), _numtensor_re()


def _literal(text: str) -> tuple[ast.Expr, ...] | None:
    """A plain (signed) number or numeric vector / matrix, the common answers, as the AST
    the parser would give, read by the grammar's own terminals without the LALR parser
    (None: anything else, for the parser)."""
    body = text.strip()
    number_re, tensor_re = _literal_res()
    source = Source("<answer>", body)
    m = number_re.fullmatch(body)
    if m:
        pos = Pos(source, 1, 1, 1, len(body) + 1, 0, len(body))
        num: ast.Expr = ast.Num(pos, number(m.group(2), pos), m.group(2))
        num = ast.UnaryOp(pos, m.group(1), num) if m.group(1) else num
        if m.group(3):                          # `-3/4`: (-3) / 4, as the grammar reads it
            col = m.start(3) + 1
            num = ast.BinOp(pos, "/", num, ast.Num(Pos(source, 1, col, 1, len(body) + 1, col - 1, len(body)),
                                                   number(m.group(3), pos), m.group(3)))
        return (num,)
    if body.startswith("[") and tensor_re.fullmatch(body):
        return (num_tensor(source, Token("NUMTENSOR", body, 0, 1, 1)),)
    return None


def read(text: str, names: dict[str, Any] | None = None) -> Value:
    """Parse and convert an answer; `names` maps the names it may use to sympy objects."""
    nodes = parse(text)
    conv = _Converter(names or {})
    items = tuple(conv.top(n) for n in nodes)
    return Value(items, nodes, tuple(conv.decimals))


def _col(node: Any) -> int:
    pos = getattr(node, "pos", None)
    return getattr(pos, "column", 1) or 1


def significant_digits(literal: str) -> int:
    """The significant digits written in a decimal literal (`0.0340` has 3)."""
    mantissa = literal.lower().split("e")[0].replace(".", "").lstrip("0")
    return max(len(mantissa), 1)


_METHODS: dict[type, str] = {}      # AST node type -> the name of its _Converter method


class _Converter:
    """AST -> sympy, with every size bounded; unknown constructs are FormatErrors."""

    def __init__(self, names: dict[str, Any]):
        self.names = names
        self.decimals: list[int] = []

    def top(self, node: ast.Expr) -> Any:
        if isinstance(node, ast.Tuple):
            return tuple(self.conv(i) for i in node.items)
        return self.conv(node)

    def conv(self, node: ast.Expr) -> Any:
        name = _METHODS.get(type(node))
        if name is None:
            name = _METHODS[type(node)] = "_" + type(node).__name__.lower()
        method = getattr(self, name, None)
        if method is None:
            what = {"Str": "a string", "Compare": "a comparison", "BoolOp": "`and` / `or`", "IfExpr": "`if`",
                    "Lambda": "a function", "Index": "an index", "Tuple": "a bracketed list",
                    "NoneLit": "`none`"}.get(type(node).__name__, "this")
            raise FormatError(f"{what} cannot be part of an answer", _col(node))
        return method(node)

    def _num(self, node: ast.Num) -> sp.Expr:
        if not node.text.isdigit():          # (a NUMBER with `.` or an exponent: a decimal)
            self.decimals.append(significant_digits(node.text))
        return _rational(node.value)

    def _bool(self, node: ast.Bool) -> Any:
        return sp.true if node.value else sp.false

    def _name(self, node: ast.Name) -> Any:
        if node.id in self.names:
            return self.names[node.id]
        if node.id in CONSTANTS:
            return CONSTANTS[node.id]
        known = sorted(set(self.names) | set(CONSTANTS))
        from ..model.expressions import suggest
        hint = suggest(node.id, known)
        if node.id.lower() in ("nan", "inf", "infinity", "oo", "zoo"):
            hint = " (an answer is a finite value)"
        raise FormatError(f"unknown name `{node.id}`{hint}", _col(node))

    def _unaryop(self, node: ast.UnaryOp) -> Any:
        if node.op == "not":
            raise FormatError("`not` cannot be part of an answer", _col(node))
        x = self.conv(node.operand)
        return -x if node.op == "-" else x

    def _transpose(self, node: ast.Transpose) -> Any:
        x = self.conv(node.operand)
        if not isinstance(x, (sp.MatrixBase, MatrixExpr)):
            raise FormatError("`.T` transposes a vector or matrix", _col(node))
        return x.T

    def _binop(self, node: ast.BinOp) -> Any:
        a, b = self.conv(node.left), self.conv(node.right)
        if (node.op in "+-" and _is_tensor(a) != _is_tensor(b)) or node.op == "^":
            a, b = scalar(a), scalar(b)           # `w.T @ x + b`: a 1×1 product is a scalar
        elif node.op == "/":
            b = scalar(b)
        try:
            if node.op == "^":
                return _power(a, b, node)
            if node.op == "/":
                if b == 0:
                    raise FormatError("division by zero", _col(node.right))
                if isinstance(b, (sp.MatrixBase, MatrixExpr)):
                    raise FormatError("cannot divide by a vector or matrix", _col(node.right))
                return _bounded(a / b, node)
            if node.op == "@" and not all(isinstance(x, (sp.MatrixBase, MatrixExpr)) for x in (a, b)):
                raise FormatError("`@` multiplies vectors and matrices", _col(node))
            op = node.op
            return _bounded(a + b if op == "+" else a - b if op == "-" else a * b, node)
        except (sp.ShapeError, ValueError, TypeError) as exc:
            if isinstance(exc, FormatError):
                raise
            raise FormatError(f"the shapes do not fit `{node.op}` ({_shape(a)} {node.op} {_shape(b)})",
                              _col(node)) from None

    def _call(self, node: ast.Call) -> Any:
        name = node.func.id if isinstance(node.func, ast.Name) else ""
        if name not in FUNCTIONS:
            shown = f"`{name}`" if name else "this"
            raise FormatError(f"{shown} is not a function an answer may use (use {', '.join(FUNCTIONS)})",
                              _col(node))
        if node.kwargs:
            raise FormatError("keyword arguments cannot be part of an answer", _col(node.kwargs[0]))
        args = [self.conv(a) for a in node.args]
        want = (1, 2) if name == "log" else (1,)
        if len(args) not in want:
            raise FormatError(f"`{name}` takes {' or '.join(map(str, want))} argument(s), not {len(args)}", _col(node))
        return _function(name, args, node)

    def _listlit(self, node: ast.ListLit) -> sp.ImmutableMatrix:
        if not node.items:
            raise FormatError("an empty list is not an answer", _col(node))
        if len(node.items) > MAX_ENTRIES:
            raise FormatError(f"more than {MAX_ENTRIES:,} entries", _col(node))
        if all(isinstance(n, ast.ListLit) for n in node.items):
            rows = [self._entries(n) for n in node.items]
            if len({len(r) for r in rows}) != 1:
                raise FormatError("the rows of this matrix have different lengths", _col(node))
            if len(rows[0]) * len(rows) > MAX_ENTRIES:
                raise FormatError(f"more than {MAX_ENTRIES:,} entries", _col(node))
            return sp.ImmutableMatrix(rows)
        return sp.ImmutableMatrix(len(node.items), 1, self._entries(node))

    def _entries(self, node: ast.ListLit) -> list:
        """The scalar entries of one bracketed row."""
        if not node.items:
            raise FormatError("an empty list is not an answer", _col(node))
        if len(node.items) > MAX_ENTRIES:
            raise FormatError(f"more than {MAX_ENTRIES:,} entries", _col(node))
        items = [self.conv(i) for i in node.items]
        for i, n in zip(items, node.items):
            if isinstance(i, (sp.MatrixBase, MatrixExpr)) or not isinstance(i, sp.Expr):
                raise FormatError("an entry of a vector must be a number or scalar expression", _col(n))
        return items


def _is_tensor(x: Any) -> bool:
    return isinstance(x, (sp.MatrixBase, MatrixExpr))


def scalar(x: Any) -> Any:
    """A 1×1 vector or matrix as the scalar it holds (`w.T @ x`: derive's Trace(w.T x))."""
    if isinstance(x, sp.MatrixBase) and x.shape == (1, 1):
        return x[0, 0]
    if isinstance(x, MatrixExpr) and tuple(x.shape) == (1, 1):
        return sp.Trace(x)
    return x


def _rational(value: Fraction) -> sp.Rational:
    return sp.Rational(value.numerator, value.denominator)


def _shape(x: Any) -> str:
    if isinstance(x, (sp.MatrixBase, MatrixExpr)):
        return "×".join(str(n) for n in x.shape)
    return "scalar"


def _digits(x: sp.Rational) -> int:
    return max(len(str(abs(x.p))), len(str(x.q))) if x.p.bit_length() > 3000 or x.q.bit_length() > 3000 else 0


def _bounded(x: Any, node: ast.Expr) -> Any:
    """`x`, or a FormatError when it is a number of more than MAX_DIGITS digits."""
    if isinstance(x, sp.Rational) and _digits(x) > MAX_DIGITS:
        raise FormatError(f"this works out to a number of more than {MAX_DIGITS:,} digits", _col(node))
    return x


def _power(a: Any, b: Any, node: ast.BinOp) -> Any:
    """a^b with sizes bounded before sympy computes anything."""
    if isinstance(b, (sp.MatrixBase, MatrixExpr)):
        raise FormatError("an exponent must be a scalar", _col(node.right))
    if b.is_Number:
        k = int(b) if b.is_Integer else None          # (Python ints: sympy's comparisons sympify)
        if (abs(k) if k is not None else abs(b)) > MAX_EXPONENT and a not in (0, 1, -1):
            raise FormatError(f"the exponent is too large (at most {MAX_EXPONENT:,})", _col(node.right))
        if a.is_Rational and b.is_Integer:
            size = max(abs(a.p), a.q).bit_length() * abs(int(b)) * 0.302
            if size > MAX_DIGITS:
                raise FormatError(f"this works out to a number of more than {MAX_DIGITS:,} digits", _col(node))
        if a is sp.S.Zero and b.is_negative:
            raise FormatError("division by zero", _col(node))
        if isinstance(a, (sp.MatrixBase, MatrixExpr)):
            if not (k is not None and 0 <= k <= MAX_SYMBOLIC_POWER):
                raise FormatError("a matrix power needs a small whole exponent", _col(node.right))
        elif k is not None and abs(k) > MAX_SYMBOLIC_POWER and getattr(a, "free_symbols", None):
            raise FormatError(f"the exponent is too large (at most {MAX_SYMBOLIC_POWER} on an expression)",
                              _col(node.right))
    elif isinstance(a, (sp.MatrixBase, MatrixExpr)):
        raise FormatError("a matrix power needs a whole exponent", _col(node.right))
    out = a ** b
    if _degree_over(out) and getattr(a, "free_symbols", None):
        raise FormatError(f"the exponent is too large (a power of an expression is at most {MAX_DEGREE:,} "
                          "in all)", _col(node.right))
    return _bounded(out, node)


def _degree_over(x: Any) -> bool:
    """Whether `x` (a power just taken) is, or multiplies, a power of a symbolic base with
    a numeric exponent beyond MAX_DEGREE (sympy folds (x^64)^64^64 into x^262144, whose
    exact value at a point no limit could interrupt)."""
    terms = x.args if isinstance(x, sp.Mul) else (x,)
    return any(isinstance(t, sp.Pow) and t.exp.is_Number
               and abs(int(t.exp) if t.exp.is_Integer else t.exp) > MAX_DEGREE for t in terms)


def _function(name: str, args: list, node: ast.Call) -> Any:
    args = [scalar(a) for a in args]
    x = args[0]
    if isinstance(x, (sp.MatrixBase, MatrixExpr)) and name != "norm":
        raise FormatError(f"`{name}` takes a scalar", _col(node))
    if name == "norm":
        from ..model.functions import Norm
        return Norm(x) if isinstance(x, MatrixExpr) else sp.sqrt(sum(e ** 2 for e in x)) \
            if isinstance(x, sp.MatrixBase) else sp.Abs(x)
    if name in ("log", "ln") and x == 0:
        raise FormatError("log(0) is not a number", _col(node))
    if name == "exp" and x.is_Number and abs(x) > 10 * MAX_DIGITS:
        raise FormatError("this exponent is too large", _col(node))
    if name == "log" and len(args) == 2:
        return sp.log(x, args[1])
    return {"sqrt": sp.sqrt, "exp": sp.exp, "log": sp.log, "ln": sp.log, "abs": sp.Abs}[name](x)
