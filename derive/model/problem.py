"""The model of a problem: `Problem` (its names, graph, goals, choices and givens),
`Binding` (one name), `Goal`, `UserFunction`.

A Problem is built by `derive.model.builder` and frozen once built: no attribute can be
assigned, its names and varies are read-only mappings, its sequences tuples and its
bindings frozen.  A deriver that needs a changed problem builds one
(`dataclasses.replace`, or the builder with a changed definition).
"""
from __future__ import annotations

from dataclasses import field
from fractions import Fraction
from types import MappingProxyType
from typing import Mapping, Protocol

import sympy as sp

from .. import ast
from ..errors import DeriveError, Pos, SpecError
from .expressions import Evaluator, shape_of, suggest
from .graph import Graph
from .calls import BUILTINS
from .values import Symbolic, Value
from .values import TensorShape as TensorShape
from ..records import record

PartText = tuple[str | None, str, Fraction | None]    # a labelled `text`: (label, text, marks)


@record
class Binding:
    """One name of a problem: its kind, the sympy symbol shown for it, its exact value
    (numbers and explicit matrices where the spec gives them, the symbol itself where
    the problem leaves it symbolic), where it is defined, its source expression, its
    definition in the other names' symbols (computed nodes) and a deferred error (a
    builtin not implemented yet: raised by the goals that need the name)."""

    name: str
    kind: str                  # symbol dim vector matrix let input param node function layer
    symbol: Symbolic | None
    value: Value | None
    pos: Pos
    expr: ast.Expr | None = None
    definition: Value | None = None
    error: DeriveError | None = None
    dims: "tuple[sp.Expr, ...] | None" = None      # the declared shape of a shape-only input, as written: (10,) or (10, 1)

    @property
    def shape(self) -> "tuple[sp.Expr, ...] | None":
        return shape_of(self.value if self.value is not None else self.symbol)

    def describe(self) -> str:
        return {"symbol": "a symbol", "dim": "a size", "vector": "a vector", "matrix": "a matrix",
                "let": "a given value", "input": "an input", "param": "a parameter", "node": "a computed value",
                "function": "a function", "layer": "a layer"}.get(self.kind, "a name")

    @property
    def trainable(self) -> bool:
        return self.kind == "param"


@record
class Goal:
    """One thing a problem asks for: an expression to derive or an authored answer."""

    label: str | None
    marks: Fraction | None
    expr: ast.Expr | None
    prose: str | None
    pos: Pos
    readings: tuple[tuple[str, tuple[ast.Stmt, ...]], ...] = ()   # (name, statements): accepted
    #                              alternative readings (derive.readings)


@record(eq=False)
class UserFunction:
    """`f(w) = EXPR`: callable from expressions; `symbolic()` gives the body in its parameters."""

    name: str
    params: tuple[str, ...]
    body: ast.Expr
    problem: "Problem"
    pos: Pos

    def param_values(self) -> dict[str, Value | None]:
        out: dict[str, Value | None] = {}
        for p in self.params:
            if self.problem.has(p) and self.problem.names[p].kind in ("vector", "matrix", "symbol"):
                out[p] = self.problem.names[p].value
            else:
                out[p] = sp.Symbol(p, real=True)
        return out

    def symbolic(self) -> tuple[dict[str, Value | None], Value]:
        env = self.param_values()
        return env, Evaluator(self.problem, "value", env).eval(self.body)

    def call(self, ev: Evaluator, node: ast.Call) -> Value:
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

    def value_of_goal(self, problem: "Problem", call: ast.Call, mode: str = "symbol") -> Value: ...

    def names(self) -> list[str]:
        """Every goal and family builtin (for did-you-mean suggestions)."""


@record(eq=False)
class Problem:
    """A problem ready to derive: its names (and their computation graph), goals, choices
    and givens.  Frozen: built by derive.model.builder, read by everything after."""

    title: str
    section: str | None
    points: Fraction | None
    text: str
    pos: Pos
    names: Mapping[str, Binding] = field(default_factory=lambda: MappingProxyType({}))
    goals: tuple[Goal, ...] = ()
    parts: tuple[PartText, ...] = ()
    choices: tuple[ast.Option, ...] = ()
    choices_pos: Pos | None = None
    givens: tuple[ast.Given, ...] = ()
    number: int = 0
    families: Families | None = field(default=None, repr=False)
    ref: str = ""              # the problem's part of its results' ids: "4", "II.1", or its own name
    definition: "ast.ProblemDef | None" = field(default=None, repr=False)   # (re-derived in grading)
    varies: Mapping[str, Value] = field(default_factory=lambda: MappingProxyType({}))   # each `vary`'s value
    requires: tuple[ast.Require, ...] = ()
    graph: Graph = field(default_factory=lambda: Graph(()), repr=False)   # the names' computation graph

    # ---- names ---------------------------------------------------------------------
    def has(self, name: str) -> bool:
        return name in self.names

    def lookup(self, name: str, pos: Pos | None = None) -> Binding:
        b = self.names.get(name)
        if b is None:
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

    def value(self, expr: ast.Expr) -> Value:
        return Evaluator(self, "value").eval(expr)

    def display(self, expr: ast.Expr) -> Value:
        return Evaluator(self, "symbol").eval(expr)

    def bindings(self, kinds: tuple[str, ...] | None = None) -> list[Binding]:
        return [b for b in self.names.values() if kinds is None or b.kind in kinds]

    def substitutions(self) -> dict[sp.Basic, sp.Basic]:
        """symbol -> value for every name whose value differs from its symbol."""
        out: dict[sp.Basic, sp.Basic] = {}
        for b in self.names.values():
            if b.symbol is not None and b.value is not None and b.error is None and b.symbol is not b.value \
                    and isinstance(b.value, sp.Basic) and b.symbol != b.value:
                out[b.symbol] = b.value
        return out

    def symbols(self) -> dict[str, sp.Basic]:
        """name -> sympy symbol, for the problem's scalar symbols, vector components and matrices."""
        out: dict[str, sp.Basic] = {}
        for b in self.names.values():
            if b.kind == "symbol" or b.kind == "dim":
                out[b.name] = b.symbol
            elif b.kind in ("vector", "matrix"):
                out[b.name] = b.symbol
                if isinstance(b.value, sp.MatrixBase):
                    for s in sorted(b.value.free_symbols, key=str):
                        out[str(s)] = s
        return out


