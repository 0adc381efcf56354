"""`build(spec) -> list[Problem]`: each problem of a spec built, statement by statement.

Each definition becomes a `Binding` (see derive.model.problem): the sympy `symbol` that
stands for the name in displayed formulas, its exact `value` (numbers and explicit
matrices where the spec gives them; the symbol itself where the problem is symbolic), its
`definition` in terms of the other names' symbols (for computed nodes), its source
expression and position; and a node on the problem's computation graph (derive.model.graph).

Names resolve in one scope per problem, in statement order.  A node whose expression uses a
builtin that is not implemented yet keeps the error; a goal that needs that node reports
it, the others still solve.  Every other problem in a definition (unknown name, shape
mismatch, bad argument) is a `SpecError` at its position.

`ProblemBuilder` is the only writer of a Problem: the statements' handlers fill its names,
graph, goals and texts, and `problem()` hands it out sealed (names and graph read-only,
sequences as tuples, no attribute assignable).
"""
from __future__ import annotations

import re
from types import MappingProxyType
from typing import Any, Callable

import sympy as sp

from .. import ast
from ..errors import DeriveError, Pos, SpecError, Unsupported
from .builtins import BUILTINS
from .expressions import LambdaValue, check_entries, is_tensor, scalarize, suggest
from .graph import Graph, Node, add_nodes
from .marks import check_marks
from .numbering import numbers, refs
from .problem import Binding, Families, Goal, PartText, Problem, TensorShape, UserFunction
from .values import Value
from .varying import Draw, finish, vary_statement

ASSUMPTIONS = {"real": {"real": True}, "positive": {"positive": True}, "nonnegative": {"nonnegative": True},
               "integer": {"integer": True}, "negative": {"negative": True}, "nonzero": {"nonzero": True}}


def word_pos(pos: Pos, word: str, after: str = "") -> Pos:
    """The position of `word` (a whole word) inside the statement at `pos`, after the first
    `after` if given; `pos` itself when it cannot be found."""
    text = pos.source.text
    start, end = pos.start, pos.end if pos.end > pos.start else len(text)
    if after:
        k = text.find(after, start, end)
        start = k + len(after) if k >= 0 else start
    m = re.compile(r"(?<![A-Za-z0-9_])" + re.escape(word) + r"(?![A-Za-z0-9_])").search(text, start, end)
    if not m:
        return pos
    line = text.count("\n", 0, m.start()) + 1
    col = m.start() - (text.rfind("\n", 0, m.start()) + 1) + 1
    return Pos(pos.source, line, col, line, col + len(word), m.start(), m.end())


def _check_names(problem: Problem, expr: ast.Expr) -> None:
    """Every name `expr` uses (other than called functions) is defined in the problem."""
    stack = [expr]
    while stack:
        e = stack.pop(0)     # in reading order, so the first unknown name is reported
        if isinstance(e, ast.Name):
            problem.lookup(e.id, e.pos)
        elif isinstance(e, ast.Call):
            stack.extend(e.args)
            stack.extend(k.value for k in e.kwargs)
        elif isinstance(e, ast.Expr):
            for v in vars(e).values():
                if isinstance(v, ast.Expr):
                    stack.append(v)
                elif isinstance(v, tuple):
                    stack.extend(x for x in v if isinstance(x, ast.Expr))


def tensor_symbol(name: str, shape: tuple) -> sp.MatrixSymbol:
    r, c = shape
    return sp.MatrixSymbol(name, r, c)


def component_matrix(name: str, shape: tuple) -> sp.ImmutableMatrix:
    """The explicit components of a concrete-sized vector (p_1, p_2) or matrix (W_11, ...)."""
    r, c = (int(s) for s in shape)
    if c == 1:
        return sp.ImmutableMatrix(r, 1, [sp.Symbol(f"{name}_{i + 1}", real=True) for i in range(r)])
    sep = "" if r < 10 and c < 10 else "_"
    return sp.ImmutableMatrix(r, c, lambda i, j: sp.Symbol(f"{name}_{i + 1}{sep}{j + 1}", real=True))


def _shape(problem: Problem, dims: tuple[ast.Expr, ...], kind: str, pos: Pos) -> tuple:
    ev = problem.evaluator("value")
    vals = []
    for d in dims:
        v = scalarize(ev.eval(d))
        if not (isinstance(v, sp.Integer) and v > 0) and not (isinstance(v, sp.Expr) and v.free_symbols
                                                              and v.is_positive is not False):
            raise SpecError(f"a size must be a positive whole number or a `dim`, not {v}", d.pos)
        vals.append(v)
    if kind == "vector":
        if len(vals) != 1:
            raise SpecError("a vector has one size, as in `vector x : (d)`", pos)
        return (vals[0], sp.Integer(1))
    if kind == "matrix":
        if len(vals) != 2:
            raise SpecError("a matrix has two sizes, as in `matrix W : (m, n)`", pos)
        return tuple(vals)
    if len(vals) == 1:
        return (vals[0], sp.Integer(1))
    if len(vals) == 2:
        return tuple(vals)
    return tuple(vals)


def _unknown_layer(problem: Problem, stmt: ast.Define) -> Unsupported | None:
    """`layer NAME = Kind(...)` with a constructor derive does not know: an Unsupported
    error at `Kind`, kept in the binding (so the goals that use the layer fail with it and
    the rest of the spec still solves), or None."""
    node = stmt.value
    if stmt.kind != "layer" or not isinstance(node, ast.Call) or not node.name or problem.has(node.name):
        return None
    fam = problem.families
    if node.name in BUILTINS or (fam is not None and (fam.load(node.name) or fam.is_goal(node.name))):
        return None
    kinds = sorted(n for n in (fam.names() if fam is not None else []) if n[:1].isupper())
    return Unsupported(f"derive does not know the layer `{node.name}`{suggest(node.name, kinds)}. The goals that "
                       f"use `{stmt.name}` are not derived; `derive goals` lists the layers it knows", node.func.pos)


def _bind_value(problem: Problem, stmt: ast.Define) -> Binding:
    """let / input / param / node / layer."""
    kind = stmt.kind
    unknown = _unknown_layer(problem, stmt)
    if unknown is not None:
        return Binding(stmt.name, kind, None, None, stmt.pos, stmt.value, None, unknown)
    if stmt.value is None:   # `input x : (3, 1000)`
        dims = _shape(problem, stmt.shape or (), "any", stmt.pos)
        declared = tuple(dims[:1]) if len(stmt.shape or ()) == 1 else tuple(dims)
        if len(dims) == 2:
            sym = tensor_symbol(stmt.name, dims)
            return Binding(stmt.name, kind, sym, sym, stmt.pos, dims=declared)
        return Binding(stmt.name, kind, None, TensorShape(stmt.name, dims), stmt.pos, dims=declared)
    value: Value | None = None
    error: DeriveError | None = None
    definition = None
    try:
        value = problem.value(stmt.value)
        if kind in ("node", "input", "param") and isinstance(value, (str, LambdaValue)):
            what = "a string" if isinstance(value, str) else "a lambda"
            hint = "strings belong in `text` and `answer`" if isinstance(value, str) else \
                f"define a function as `{stmt.name}(i, j) = EXPR`"
            raise SpecError(f"`{stmt.name}` would be {what}; a value in the graph is a number, a tensor, a list "
                            f"of tensors or a truth value ({hint})", stmt.value.pos)
        if kind == "node":
            definition = problem.display(stmt.value)
    except Unsupported as exc:
        error = exc
    except SpecError as exc:   # a bad argument to a known constructor: the goals that use the layer fail, not the file
        if kind != "layer" and not any(b.error is exc for b in problem.names.values() if b.kind == "layer"):
            raise
        error = exc
    if isinstance(value, sp.MatrixBase) or (is_tensor(value) and kind == "node"):
        if tuple(value.shape) == (1, 1) and kind == "node":
            value = scalarize(value)
            definition = scalarize(definition) if definition is not None else None
    if error is None and is_tensor(value):
        symbol = tensor_symbol(stmt.name, tuple(value.shape))
    elif error is None and isinstance(value, sp.Expr):   # (a Symbol is also a Boolean in sympy)
        symbol = sp.Symbol(stmt.name, real=True) if value.is_real else sp.Symbol(stmt.name)
    elif error is None and isinstance(value, sp.logic.boolalg.Boolean):   # `r = x > 0`: a truth value
        symbol = sp.Symbol(stmt.name)
    else:
        symbol = None
    return Binding(stmt.name, kind, symbol, value, stmt.pos, stmt.value, definition, error)


class ProblemBuilder:
    """One problem built from its definition: `ProblemBuilder(pdef, ...).problem()`.

    While the statements are read, the problem under construction is the scope that
    expressions evaluate in (its names and graph are read-only views of the builder's
    dicts, so they grow as names are defined); `problem()` seals it."""

    def __init__(self, pdef: ast.ProblemDef, number: int = 0, families: Families | None = None,
                 ref: str | None = None, draw: Draw | None = None):
        self.pdef, self.draw = pdef, draw
        self.names: dict[str, Binding] = {}
        self.nodes: dict[str, Node] = {}
        self.varies: dict[str, Value] = {}
        self.goals: list[Goal] = []
        self.parts: list[PartText] = []
        self.givens: list[ast.Given] = []
        self.requires: list[ast.Require] = []
        self.choices: tuple[ast.Option, ...] = ()
        self.choices_pos: Pos | None = None
        self.text = ""
        self.draft = Problem(pdef.title, pdef.section, pdef.points, "", pdef.pos,
                             names=MappingProxyType(self.names), number=number, families=families,
                             ref=ref if ref is not None else (pdef.name or str(number)), definition=pdef,
                             varies=MappingProxyType(self.varies), graph=Graph(MappingProxyType(self.nodes)))

    def define(self, b: Binding) -> None:
        if b.name in self.names:
            prev = self.names[b.name]
            raise SpecError(f"`{b.name}` is already defined at line {prev.pos.line}", b.pos)
        self.names[b.name] = b

    def read(self, stmt: ast.Stmt) -> None:
        """One statement into the problem: its names (and their nodes), goals or texts."""
        handler = _HANDLERS.get(type(stmt))
        if handler is None:  # pragma: no cover - the grammar has no other statements
            raise SpecError(f"unexpected statement {type(stmt).__name__}", stmt.pos)
        handler(self, stmt)
        add_nodes(stmt, self.nodes, self.names)

    def problem(self) -> Problem:
        """The problem with every statement read, its marks checked, its `require`s decided
        and its texts' `{{name}}` slots filled; sealed."""
        for stmt in self.pdef.statements:
            self.read(stmt)
        check_marks(self.draft, self.pdef)
        texts = [s for s in self.pdef.statements if isinstance(s, ast.TextStmt)]
        text, parts = finish(self.draft, self.requires, texts, self.draw is not None, self.text, self.parts)
        _seal(self.draft, text=text, parts=tuple(parts), goals=tuple(self.goals), givens=tuple(self.givens),
              choices=self.choices, choices_pos=self.choices_pos, requires=tuple(self.requires))
        return self.draft


def _seal(problem: Problem, **fields: Any) -> None:
    """The builder's last word on a problem: the fields it gathered, set once before the
    problem is handed out (the one write to a frozen Problem, and only here)."""
    for name, value in fields.items():
        object.__setattr__(problem, name, value)


def _vary(bld: ProblemBuilder, stmt: ast.Vary | ast.Require) -> None:
    """A `vary` is a given value (see model.varying); a `require` is decided at the end."""
    if isinstance(stmt, ast.Require):
        bld.requires.append(stmt)
        return
    for name, symbol, value in vary_statement(bld.draft, stmt, bld.draw):
        bld.varies[name] = value
        bld.define(Binding(name, "let", symbol, value, word_pos(stmt.pos, name)))


def _text(bld: ProblemBuilder, stmt: ast.TextStmt) -> None:
    if stmt.label is None:
        bld.text = (bld.text + "\n\n" + stmt.text).strip()
    else:
        bld.parts.append((stmt.label.text, stmt.text, stmt.label.marks))


def _symbols(bld: ProblemBuilder, stmt: ast.SymbolDecl) -> None:
    opts: dict = {}
    for a in stmt.assumptions:
        if a not in ASSUMPTIONS:
            raise SpecError(f"unknown assumption `{a}`{suggest(a, ASSUMPTIONS)} "
                            f"(use {', '.join(ASSUMPTIONS)})", word_pos(stmt.pos, a, after=":"))
        opts.update(ASSUMPTIONS[a])
    for n in stmt.names:
        s = sp.Symbol(n, **(opts or {"real": True}))
        bld.define(Binding(n, "symbol", s, s, word_pos(stmt.pos, n)))


def _dims(bld: ProblemBuilder, stmt: ast.DimDecl) -> None:
    for n, e in stmt.items:
        s = sp.Symbol(n, integer=True, positive=True)
        if e is None:
            bld.define(Binding(n, "dim", s, s, word_pos(stmt.pos, n)))
            continue
        v = scalarize(bld.draft.value(e))
        if not (isinstance(v, sp.Integer) and v > 0):
            raise SpecError(f"a size must be a positive whole number, not {v}", e.pos)
        bld.define(Binding(n, "dim", s, v, word_pos(stmt.pos, n)))


def _tensors(bld: ProblemBuilder, stmt: ast.TensorDecl) -> None:
    shape = _shape(bld.draft, stmt.shape, stmt.kind, stmt.pos)
    for n in stmt.names:
        sym = tensor_symbol(n, shape)
        value = sym
        if all(isinstance(s, sp.Integer) for s in shape):
            check_entries(shape[0], shape[1], stmt.shape[0])
            if stmt.kind == "vector":
                value = component_matrix(n, shape)
        bld.define(Binding(n, stmt.kind, sym, value, word_pos(stmt.pos, n)))


def _define(bld: ProblemBuilder, stmt: ast.Define) -> None:
    b = _bind_value(bld.draft, stmt)
    if b.kind == "layer" and hasattr(b.value, "name"):
        setattr(b.value, "name", b.name)     # a layer knows the name it is bound to (for its steps)
    bld.define(b)


def _function(bld: ProblemBuilder, stmt: ast.FuncDef) -> None:
    fn = UserFunction(stmt.name, stmt.params, stmt.body, bld.draft, stmt.pos)
    bld.define(Binding(stmt.name, "function", None, fn, stmt.pos, stmt.body))
    try:   # evaluate once so that errors in the body point at the definition
        fn.symbolic()
    except Unsupported:
        pass


def _given(bld: ProblemBuilder, stmt: ast.Given) -> None:
    _check_names(bld.draft, stmt.target)
    _check_names(bld.draft, stmt.value)
    bld.givens.append(stmt)


def _choices(bld: ProblemBuilder, stmt: ast.Choices) -> None:
    if bld.choices:
        raise SpecError("a problem has one `choices` block", stmt.pos)
    seen = set()
    for o in stmt.options:
        if o.label in seen:
            raise SpecError(f"option ({o.label}) appears twice", o.pos)
        seen.add(o.label)
    bld.choices, bld.choices_pos = tuple(stmt.options), stmt.pos


def _find(bld: ProblemBuilder, stmt: ast.Find) -> None:
    lab = stmt.label
    for g in stmt.goals:
        bld.goals.append(Goal(lab.text if lab else None, lab.marks if lab else None, g, None, g.pos, stmt.readings))


def _answer(bld: ProblemBuilder, stmt: ast.AnswerStmt) -> None:
    lab = stmt.label
    bld.goals.append(Goal(lab.text if lab else None, lab.marks if lab else None, None, stmt.text, stmt.pos))


_HANDLERS: dict[type, Callable[[ProblemBuilder, Any], None]] = {
    ast.Vary: _vary, ast.Require: _vary, ast.TextStmt: _text, ast.SymbolDecl: _symbols, ast.DimDecl: _dims,
    ast.TensorDecl: _tensors, ast.Define: _define, ast.FuncDef: _function, ast.Given: _given,
    ast.Choices: _choices, ast.Find: _find, ast.AnswerStmt: _answer,
}


def build_problem(pdef: ast.ProblemDef, number: int = 0, families: Families | None = None,
                  ref: str | None = None, draw: Draw | None = None) -> Problem:
    """One problem built; `draw` gives its `vary`s' values (derive.model.varying)."""
    return ProblemBuilder(pdef, number, families, ref, draw).problem()


def build(spec: ast.Spec, families: Families | None = None) -> list[Problem]:
    """Every problem of a parsed spec, built (see the module docstring).  Without `families`
    the goal families' builtins and goals are unknown names (`derive.build` passes them)."""
    return [build_problem(p, n, families, r)
            for p, n, r in zip(spec.problems, numbers(spec.problems), refs(spec.problems))]
