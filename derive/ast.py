"""The syntax tree of a spec: frozen dataclasses, each carrying its `Pos`.

`derive.syntax.parse` produces these from the text; `derive.model.build` reads them.
Expressions are a small closed set of node types; statements mirror the table in
docs/language.md one to one.
"""
from __future__ import annotations

from dataclasses import field
from fractions import Fraction

from .errors import Pos
from .records import record


# ---- expressions ------------------------------------------------------------------------

@record
class Expr:
    pos: Pos = field(compare=False, repr=False)


@record
class Num(Expr):
    value: Fraction = Fraction(0)
    text: str = "0"


@record
class Name(Expr):
    id: str = ""


@record
class Str(Expr):
    value: str = ""


@record
class Bool(Expr):
    value: bool = False


@record
class NoneLit(Expr):
    pass


@record
class BinOp(Expr):
    op: str = "+"          # + - * / @ ^
    left: Expr = None      # type: ignore[assignment]
    right: Expr = None     # type: ignore[assignment]


@record
class UnaryOp(Expr):
    op: str = "-"          # - + not
    operand: Expr = None   # type: ignore[assignment]


@record
class Compare(Expr):
    op: str = "=="
    left: Expr = None      # type: ignore[assignment]
    right: Expr = None     # type: ignore[assignment]


@record
class BoolOp(Expr):
    op: str = "and"
    left: Expr = None      # type: ignore[assignment]
    right: Expr = None     # type: ignore[assignment]


@record
class IfExpr(Expr):
    cond: Expr = None      # type: ignore[assignment]
    then: Expr = None      # type: ignore[assignment]
    orelse: Expr = None    # type: ignore[assignment]


@record
class Keyword:
    name: str
    value: Expr
    pos: Pos = field(compare=False, repr=False)


@record
class Call(Expr):
    func: Expr = None      # type: ignore[assignment]
    args: tuple[Expr, ...] = ()
    kwargs: tuple[Keyword, ...] = ()

    @property
    def name(self) -> str | None:
        return self.func.id if isinstance(self.func, Name) else None

    def kwarg(self, name: str) -> Expr | None:
        for k in self.kwargs:
            if k.name == name:
                return k.value
        return None


@record
class Index(Expr):
    target: Expr = None    # type: ignore[assignment]
    indices: tuple[Expr, ...] = ()


@record
class Transpose(Expr):
    operand: Expr = None   # type: ignore[assignment]


@record
class ListLit(Expr):
    items: tuple[Expr, ...] = ()


@record
class Tuple(Expr):
    """A parenthesised list `(a, b)`: only meaningful as lambda parameters."""
    items: tuple[Expr, ...] = ()


@record
class Lambda(Expr):
    params: tuple[str, ...] = ()
    body: Expr = None      # type: ignore[assignment]


# ---- statements -------------------------------------------------------------------------

@record
class Label:
    text: str              # "(a)"
    marks: Fraction | None
    pos: Pos = field(compare=False, repr=False)


@record
class Stmt:
    pos: Pos = field(compare=False, repr=False)


@record
class TextStmt(Stmt):
    text: str = ""
    label: Label | None = None


@record
class SymbolDecl(Stmt):
    names: tuple[str, ...] = ()
    assumptions: tuple[str, ...] = ()


@record
class DimDecl(Stmt):
    items: tuple[tuple[str, Expr | None], ...] = ()


@record
class TensorDecl(Stmt):
    kind: str = "vector"   # vector | matrix
    names: tuple[str, ...] = ()
    shape: tuple[Expr, ...] = ()


@record
class Define(Stmt):
    """`let`, `input`, `param`, `layer` and plain `NAME = EXPR` (kind `node`)."""
    kind: str = "node"     # let | input | param | layer | node
    name: str = ""
    value: Expr | None = None
    shape: tuple[Expr, ...] | None = None


@record
class FuncDef(Stmt):
    name: str = ""
    params: tuple[str, ...] = ()
    body: Expr = None      # type: ignore[assignment]


@record
class Given(Stmt):
    target: Expr = None    # type: ignore[assignment]
    value: Expr = None     # type: ignore[assignment]


@record
class Option:
    label: str             # "a"
    expr: Expr | None      # None for `none`
    pos: Pos = field(compare=False, repr=False)


@record
class Choices(Stmt):
    options: tuple[Option, ...] = ()


@record
class Find(Stmt):
    goals: tuple[Expr, ...] = ()
    label: Label | None = None
    readings: tuple[tuple[str, tuple[Stmt, ...]], ...] = ()    # `accept reading "..." { ... }`


@record
class AnswerStmt(Stmt):
    text: str = ""
    label: Label | None = None


@record
class Vary(Stmt):
    """`vary NAME in LO..HI`, `vary NAME in [v1, ...]` or `vary NAME = random_vector(...)`
    (kind range, list or call), with its `default` (None: the domain's own, see
    derive/model/varying.py)."""
    name: str = ""
    kind: str = "range"    # range | list | call
    domain: tuple[Expr, ...] = ()      # (lo, hi) | the items | (the call,)
    default: Expr | None = None


@record
class Require(Stmt):
    """`require COND`: a drawn variant must satisfy COND (else it is drawn again)."""
    cond: Expr = None      # type: ignore[assignment]


# ---- documents --------------------------------------------------------------------------

@record
class ProblemDef:
    title: str
    points: Fraction | None
    statements: tuple[Stmt, ...]
    pos: Pos = field(compare=False, repr=False)
    section: str | None = None
    name: str | None = None          # `problem mlp "..."`: the problem's own name (its results' ids)


@record
class Include:
    path: str
    pos: Pos = field(compare=False, repr=False)


@record
class SectionDef:
    title: str
    items: tuple["ProblemDef | Include", ...]
    pos: Pos = field(compare=False, repr=False)


@record
class Spec:
    """A parsed file: header lines (title, course, date, ...) and its items in order.

    After `derive.syntax.parse` resolves includes, `problems` lists every problem with
    its section, in document order.
    """
    header: tuple[tuple[str, str], ...]
    problems: tuple[ProblemDef, ...]
    source: object = field(compare=False, repr=False, default=None)

    def meta(self, key: str) -> str | None:
        for k, v in self.header:
            if k == key:
                return v
        return None
