"""`build(spec) -> list[Problem]`: names, symbols, values and goals of each problem.

Each definition becomes a `Binding`: the sympy `symbol` that stands for the name in
displayed formulas, its exact `value` (numbers and explicit matrices where the spec gives
them; the symbol itself where the problem is symbolic), its `definition` in terms of the
other names' symbols (for computed nodes), its source expression and position.

Names resolve in one scope per problem.  A node whose expression uses a builtin that is
not implemented yet keeps the error; a goal that needs that node reports it, the others
still solve.  Every other problem in a definition (unknown name, shape mismatch, bad
argument) is a `SpecError` at its position.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Protocol

import sympy as sp

from .. import ast
from ..errors import DeriveError, Pos, SpecError, Unsupported
from .expressions import (
    Evaluator,
    LambdaValue,
    check_entries,
    is_tensor,
    scalarize,
    shape_of,
    suggest,
)
from .marks import check_marks
from .numbering import numbers, refs
from .varying import Draw, finish, vary_statement

ASSUMPTIONS = {"real": {"real": True}, "positive": {"positive": True}, "nonnegative": {"nonnegative": True},
               "integer": {"integer": True}, "negative": {"negative": True}, "nonzero": {"nonzero": True}}


@dataclass
class Binding:
    """One name of a problem."""

    name: str
    kind: str                  # symbol dim vector matrix let input param node function layer
    symbol: Any
    value: Any
    pos: Pos
    expr: ast.Expr | None = None
    definition: Any = None
    error: DeriveError | None = None
    dims: tuple | None = None      # the declared shape of a shape-only input, as written: (10,) or (10, 1)

    @property
    def shape(self) -> tuple | None:
        return shape_of(self.value if self.value is not None else self.symbol)

    def describe(self) -> str:
        return {"symbol": "a symbol", "dim": "a size", "vector": "a vector", "matrix": "a matrix",
                "let": "a given value", "input": "an input", "param": "a parameter", "node": "a computed value",
                "function": "a function", "layer": "a layer"}.get(self.kind, "a name")

    @property
    def trainable(self) -> bool:
        return self.kind == "param"


@dataclass
class Goal:
    """One thing a problem asks for: an expression to derive or an authored answer."""

    label: str | None
    marks: Fraction | None
    expr: ast.Expr | None
    prose: str | None
    pos: Pos
    readings: tuple = ()         # (name, statements): accepted alternative readings (derive.readings)


@dataclass
class UserFunction:
    """`f(w) = EXPR`: callable from expressions; `symbolic()` gives the body in its parameters."""

    name: str
    params: tuple[str, ...]
    body: ast.Expr
    problem: "Problem"
    pos: Pos

    def param_values(self) -> dict[str, Any]:
        out = {}
        for p in self.params:
            if self.problem.has(p) and self.problem.names[p].kind in ("vector", "matrix", "symbol"):
                out[p] = self.problem.names[p].value
            else:
                out[p] = sp.Symbol(p, real=True)
        return out

    def symbolic(self) -> tuple[dict[str, Any], Any]:
        env = self.param_values()
        return env, Evaluator(self.problem, "value", env).eval(self.body)

    def call(self, ev: Evaluator, node: ast.Call) -> Any:
        if node.kwargs:
            raise SpecError(f"`{self.name}` takes no keyword arguments", node.kwargs[0].pos)
        if len(node.args) != len(self.params):
            raise SpecError(f"`{self.name}` takes {len(self.params)} argument"
                            f"{'s' if len(self.params) != 1 else ''}, got {len(node.args)}", node.pos)
        args = [ev.eval(a) for a in node.args]
        return Evaluator(self.problem, ev.mode, dict(zip(self.params, args))).eval(self.body)


class Families(Protocol):
    """What the model needs of the goal families, handed in by the pipeline (the model
    imports no deriver): the families' builtins (PyTorch layers, attention) and the goals
    that may be used inside an expression (`choice(posterior(...))`)."""

    def load(self, name: str) -> bool:
        """Import the family that provides builtin or goal `name`; whether there is one."""

    def is_goal(self, name: str) -> bool: ...

    def value_of_goal(self, problem: "Problem", call: ast.Call, mode: str = "symbol") -> Any: ...

    def names(self) -> list[str]:
        """Every goal and family builtin (for did-you-mean suggestions)."""


@dataclass
class Problem:
    """A problem ready to derive: its names, goals, choices and givens."""

    title: str
    section: str | None
    points: Fraction | None
    text: str
    pos: Pos
    names: dict[str, Binding] = field(default_factory=dict)
    goals: list[Goal] = field(default_factory=list)
    parts: list[tuple[str | None, str, Fraction | None]] = field(default_factory=list)
    choices: list[ast.Option] = field(default_factory=list)
    choices_pos: Pos | None = None
    givens: list[ast.Given] = field(default_factory=list)
    number: int = 0
    families: Families | None = field(default=None, compare=False, repr=False)
    ref: str = ""              # the problem's part of its results' ids: "4", "II.1", or its own name
    definition: "ast.ProblemDef | None" = field(default=None, compare=False, repr=False)   # (re-derived in grading)
    varies: dict[str, Any] = field(default_factory=dict)        # the value of each `vary`, by name
    requires: list[ast.Require] = field(default_factory=list)

    # ---- names ---------------------------------------------------------------------
    def has(self, name: str) -> bool:
        return name in self.names

    def lookup(self, name: str, pos: Pos | None = None) -> Binding:
        b = self.names.get(name)
        if b is None:
            from .builtins import BUILTINS
            hint = suggest(name, list(self.names))
            if name in BUILTINS:
                raise SpecError(f"`{name}` is a builtin function; call it, as in `{name}(...)`", pos)
            raise SpecError(f"unknown name `{name}`{hint}", pos)
        return b

    def resolve(self, name: str, pos: Pos | None = None) -> Binding:
        """`lookup`, raising the binding's deferred error (an unimplemented builtin) if it has one."""
        b = self.lookup(name, pos)
        if b.error is not None:
            raise b.error
        return b

    def evaluator(self, mode: str = "value", locals: dict | None = None) -> Evaluator:
        return Evaluator(self, mode, locals)

    def value(self, expr: ast.Expr) -> Any:
        return Evaluator(self, "value").eval(expr)

    def display(self, expr: ast.Expr) -> Any:
        return Evaluator(self, "symbol").eval(expr)

    def bindings(self, kinds: tuple[str, ...] | None = None) -> list[Binding]:
        return [b for b in self.names.values() if kinds is None or b.kind in kinds]

    def substitutions(self) -> dict:
        """symbol -> value for every name whose value differs from its symbol."""
        out = {}
        for b in self.names.values():
            if b.symbol is not None and b.value is not None and b.error is None and b.symbol is not b.value \
                    and isinstance(b.value, sp.Basic) and b.symbol != b.value:
                out[b.symbol] = b.value
        return out

    def symbols(self) -> dict[str, Any]:
        """name -> sympy symbol, for the problem's scalar symbols, vector components and matrices."""
        out: dict[str, Any] = {}
        for b in self.names.values():
            if b.kind == "symbol" or b.kind == "dim":
                out[b.name] = b.symbol
            elif b.kind in ("vector", "matrix"):
                out[b.name] = b.symbol
                if isinstance(b.value, sp.MatrixBase):
                    for s in sorted(b.value.free_symbols, key=str):
                        out[str(s)] = s
        return out

    def define(self, b: Binding) -> None:
        if b.name in self.names:
            prev = self.names[b.name]
            raise SpecError(f"`{b.name}` is already defined at line {prev.pos.line}", b.pos)
        self.names[b.name] = b


def word_pos(pos: Pos, word: str, after: str = "") -> Pos:
    """The position of `word` (a whole word) inside the statement at `pos`, after the first
    `after` if given; `pos` itself when it cannot be found."""
    import re
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


def _check_names(problem: "Problem", expr: Any, what: str) -> None:
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


def tensor_symbol(name: str, shape: tuple) -> Any:
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


class TensorShape:
    """A shape-only input of more than two dimensions (a batch for a layer, say)."""

    def __init__(self, name: str, dims: tuple):
        self.name = name
        self.dims = dims

    def __repr__(self) -> str:
        return f"TensorShape({self.name}, {self.dims})"


def _unknown_layer(problem: Problem, stmt: ast.Define) -> Unsupported | None:
    """`layer NAME = Kind(...)` with a constructor derive does not know: an Unsupported
    error at `Kind`, kept in the binding (so the goals that use the layer fail with it and
    the rest of the spec still solves), or None."""
    node = stmt.value
    if stmt.kind != "layer" or not isinstance(node, ast.Call) or not node.name or problem.has(node.name):
        return None
    from .builtins import BUILTINS
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
    value: Any = None
    error, definition = None, None
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


def build_problem(pdef: ast.ProblemDef, number: int = 0, families: Families | None = None,
                  ref: str | None = None, draw: "Draw | None" = None) -> Problem:
    """One problem built; `draw` gives its `vary`s' values (derive.model.varying)."""
    text = ""
    problem = Problem(pdef.title, pdef.section, pdef.points, "", pdef.pos, number=number, families=families,
                      ref=ref if ref is not None else (pdef.name or str(number)), definition=pdef)
    for stmt in pdef.statements:
        if isinstance(stmt, (ast.Vary, ast.Require)):      # a `vary` is a given value; see model.varying
            for name, symbol, value in vary_statement(problem, stmt, draw):
                problem.define(Binding(name, "let", symbol, value, word_pos(stmt.pos, name)))
        elif isinstance(stmt, ast.TextStmt):
            if stmt.label is None:
                text = (text + "\n\n" + stmt.text).strip()
            else:
                problem.parts.append((stmt.label.text, stmt.text, stmt.label.marks))
        elif isinstance(stmt, ast.SymbolDecl):
            opts: dict = {}
            for a in stmt.assumptions:
                if a not in ASSUMPTIONS:
                    raise SpecError(f"unknown assumption `{a}`{suggest(a, ASSUMPTIONS)} "
                                    f"(use {', '.join(ASSUMPTIONS)})", word_pos(stmt.pos, a, after=":"))
                opts.update(ASSUMPTIONS[a])
            if not opts:
                opts = {"real": True}
            for n in stmt.names:
                s = sp.Symbol(n, **opts)
                problem.define(Binding(n, "symbol", s, s, word_pos(stmt.pos, n)))
        elif isinstance(stmt, ast.DimDecl):
            for n, e in stmt.items:
                if e is None:
                    s = sp.Symbol(n, integer=True, positive=True)
                    problem.define(Binding(n, "dim", s, s, word_pos(stmt.pos, n)))
                else:
                    v = scalarize(problem.value(e))
                    if not (isinstance(v, sp.Integer) and v > 0):
                        raise SpecError(f"a size must be a positive whole number, not {v}", e.pos)
                    problem.define(Binding(n, "dim", sp.Symbol(n, integer=True, positive=True), v,
                                           word_pos(stmt.pos, n)))
        elif isinstance(stmt, ast.TensorDecl):
            shape = _shape(problem, stmt.shape, stmt.kind, stmt.pos)
            for n in stmt.names:
                sym = tensor_symbol(n, shape)
                value = sym
                if all(isinstance(s, sp.Integer) for s in shape):
                    check_entries(shape[0], shape[1], stmt.shape[0])
                    if stmt.kind == "vector":
                        value = component_matrix(n, shape)
                problem.define(Binding(n, stmt.kind, sym, value, word_pos(stmt.pos, n)))
        elif isinstance(stmt, ast.Define):
            problem.define(_bind_value(problem, stmt))
        elif isinstance(stmt, ast.FuncDef):
            fn = UserFunction(stmt.name, stmt.params, stmt.body, problem, stmt.pos)
            problem.define(Binding(stmt.name, "function", None, fn, stmt.pos, stmt.body))
            try:   # evaluate once so that errors in the body point at the definition
                fn.symbolic()
            except Unsupported:
                pass
        elif isinstance(stmt, ast.Given):
            _check_names(problem, stmt.target, "given")
            _check_names(problem, stmt.value, "given")
            problem.givens.append(stmt)
        elif isinstance(stmt, ast.Choices):
            if problem.choices:
                raise SpecError("a problem has one `choices` block", stmt.pos)
            seen = set()
            for o in stmt.options:
                if o.label in seen:
                    raise SpecError(f"option ({o.label}) appears twice", o.pos)
                seen.add(o.label)
            problem.choices = list(stmt.options)
            problem.choices_pos = stmt.pos
        elif isinstance(stmt, ast.Find):
            lab = stmt.label
            for g in stmt.goals:
                problem.goals.append(Goal(lab.text if lab else None, lab.marks if lab else None, g, None, g.pos,
                                          stmt.readings))
        elif isinstance(stmt, ast.AnswerStmt):
            lab = stmt.label
            problem.goals.append(Goal(lab.text if lab else None, lab.marks if lab else None, None, stmt.text,
                                      stmt.pos))
        else:  # pragma: no cover - the grammar has no other statements
            raise SpecError(f"unexpected statement {type(stmt).__name__}", stmt.pos)
    problem.text = text
    check_marks(problem, pdef)
    finish(problem, [s for s in pdef.statements if isinstance(s, ast.TextStmt)], draw is not None)
    return problem


def build(spec: ast.Spec, families: Families | None = None) -> list[Problem]:
    """Every problem of a parsed spec, built (see the module docstring).  Without `families`
    the goal families' builtins and goals are unknown names (`derive.build` passes them)."""
    return [build_problem(p, n, families, r)
            for p, n, r in zip(spec.problems, numbers(spec.problems), refs(spec.problems))]
