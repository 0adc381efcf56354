"""The computation graph of a problem: one `Node` per name, with the names it reads.

In: a problem's statements (and, from the builder, its bindings).  Out: `Graph`, with
`parents`, `children`, `ancestors`, `descendants`, `closure` and the topological `order`.

A node's parents are the names of the problem its definition reads, in reading order:
for `o = W2 @ h + b2` they are (W2, h, b2); for `f(w) = w^2 + c` (c); for
`vector x : (d)` (d); for a layer, the names among its arguments.  Called functions and
layers count (`o = fc(x)` reads `fc`); a lambda's own parameters do not.  Names resolve
in statement order, so the statement order is a topological order, and it is the one
every method returns: the same graph gives the same order whatever PYTHONHASHSEED.

`names_in(expr)` is the one walk over an expression's names that evaluation, grading's
error carried forward and backprop share.
"""
from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, Mapping, Sequence

from .. import ast
from ..errors import Pos
from ..records import record

if TYPE_CHECKING:
    from .problem import Binding
    from .values import Symbolic, Value


def names_in(expr: ast.Expr | Sequence[ast.Expr | None] | None, *, calls: bool = True,
             lambdas: bool = True) -> tuple[str, ...]:
    """The names `expr` reads, each once, in reading order (left to right, outside in).
    `calls`: also the names of called functions (`f` in `f(x)`); `lambdas`: also the
    names a lambda's body reads (other than its parameters)."""
    out: dict[str, None] = {}

    def walk(e: object, bound: frozenset[str]) -> None:
        if isinstance(e, ast.Name):
            if e.id not in bound:
                out.setdefault(e.id)
        elif isinstance(e, ast.Lambda):
            if lambdas:
                walk(e.body, bound | set(e.params))
        elif isinstance(e, ast.Keyword):
            walk(e.value, bound)
        elif isinstance(e, (tuple, list)):
            for x in e:
                walk(x, bound)
        elif isinstance(e, ast.Expr):
            for k, v in vars(e).items():
                if k != "pos" and (calls or k != "func"):
                    walk(v, bound)

    walk(expr, frozenset())
    return tuple(out)


@record
class Node:
    """One name of a problem on its graph: what kind of name it is (`let`, `node`,
    `vector`, `function`, ...), the names its definition reads, its value and display
    symbol (None in a graph built from statements alone) and where it is defined."""

    name: str
    kind: str
    parents: tuple[str, ...]
    pos: Pos | None = None
    value: "Value | None" = None
    symbol: "Symbolic | None" = None


def _reads(stmt: ast.Stmt) -> Iterator[tuple[str, str, tuple[ast.Expr | None, ...], tuple[str, ...]]]:
    """(name, kind, the expressions its definition reads, names bound inside them) for each
    name a statement defines."""
    if isinstance(stmt, ast.Define):
        yield stmt.name, stmt.kind, (stmt.value, *(stmt.shape or ())), ()
    elif isinstance(stmt, ast.FuncDef):
        yield stmt.name, "function", (stmt.body,), tuple(stmt.params)
    elif isinstance(stmt, ast.TensorDecl):
        for n in stmt.names:
            yield n, stmt.kind, stmt.shape, ()
    elif isinstance(stmt, ast.DimDecl):
        for n, e in stmt.items:
            yield n, "dim", (e,), ()
    elif isinstance(stmt, ast.SymbolDecl):
        for n in stmt.names:
            yield n, "symbol", (), ()
    elif isinstance(stmt, ast.Vary):
        yield stmt.name, "let", (*stmt.domain, stmt.default), ()


def add_nodes(stmt: ast.Stmt, nodes: dict[str, Node], bindings: "Mapping[str, Binding] | None" = None) -> None:
    """Put the nodes `stmt` defines into `nodes` (the nodes of the statements before it).
    Parents are names already in `nodes` (a name read but not defined is a builtin, a goal
    or an error the builder reports).  With `bindings`, a node carries its binding's kind,
    value and symbol."""
    for name, kind, exprs, bound in _reads(stmt):
        parents = tuple(n for n in names_in(exprs) if n in nodes and n not in bound and n != name)
        b = bindings.get(name) if bindings is not None else None
        if b is not None:
            nodes[name] = Node(name, b.kind, parents, b.pos, b.value, b.symbol)
        elif name not in nodes:
            nodes[name] = Node(name, kind, parents, stmt.pos)


def nodes_of(statements: Iterable[ast.Stmt], bindings: "Mapping[str, Binding] | None" = None) -> dict[str, Node]:
    """name -> Node for every name the statements define, in statement order (`add_nodes`)."""
    out: dict[str, Node] = {}
    for stmt in statements:
        add_nodes(stmt, out, bindings)
    return out


class Graph:
    """A problem's names and what each reads (see the module docstring).

    `nodes` maps each name to its Node in topological order.  The builder hands in a
    read-only view of the dict it fills, so that the graph of a problem being built is
    the graph of the names defined so far; a node is never changed or removed once in,
    so what is derived from the nodes (children, order) is kept until the next one
    arrives."""

    def __init__(self, nodes: Iterable[Node] | Mapping[str, Node]):
        self._nodes: Mapping[str, Node] = nodes if isinstance(nodes, MappingProxyType) else \
            MappingProxyType({n.name: n for n in (nodes.values() if isinstance(nodes, Mapping) else nodes)})
        self._seen = -1
        self._index: dict[str, int] = {}
        self._children: dict[str, tuple[str, ...]] = {}

    def _derived(self) -> None:
        if self._seen == len(self._nodes):
            return
        self._index = {name: k for k, name in enumerate(self._nodes)}
        children: dict[str, list[str]] = {name: [] for name in self._nodes}
        for n in self._nodes.values():
            for p in n.parents:
                children[p].append(n.name)
        self._children = {k: tuple(v) for k, v in children.items()}
        self._seen = len(self._nodes)

    @classmethod
    def of(cls, statements: Iterable[ast.Stmt], bindings: "Mapping[str, Binding] | None" = None) -> "Graph":
        """The graph of a problem's statements (see `nodes_of`)."""
        return cls(nodes_of(statements, bindings))

    def __contains__(self, name: object) -> bool:
        return name in self._nodes

    def __getitem__(self, name: str) -> Node:
        return self._nodes[name]

    def __len__(self) -> int:
        return len(self._nodes)

    @property
    def nodes(self) -> Mapping[str, Node]:
        return self._nodes

    def order(self) -> tuple[str, ...]:
        """Every name, in topological order (the statement order: parents first)."""
        return tuple(self._nodes)

    def parents(self, name: str) -> tuple[str, ...]:
        """The names `name`'s definition reads; () for a name not on the graph."""
        node = self._nodes.get(name)
        return node.parents if node is not None else ()

    def children(self, name: str) -> tuple[str, ...]:
        """The names whose definitions read `name`, in topological order."""
        self._derived()
        return self._children.get(name, ())

    def _reach(self, roots: Iterable[str], step: Callable[[str], tuple[str, ...]],
               follow: Callable[[Node], bool] | None) -> set[str]:
        seen: set[str] = set()
        todo = [r for r in roots if r in self._nodes]
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            if follow is None or follow(self._nodes[name]):
                todo.extend(step(name))
        return seen

    def _sorted(self, names: Iterable[str]) -> tuple[str, ...]:
        self._derived()
        return tuple(sorted(names, key=self._index.__getitem__))

    def ancestors(self, name: str) -> tuple[str, ...]:
        """Every name `name` depends on, directly or not, in topological order."""
        return self._sorted(self._reach(self.parents(name), self.parents, None))

    def descendants(self, name: str) -> tuple[str, ...]:
        """Every name that depends on `name`, directly or not, in topological order."""
        return self._sorted(self._reach(self.children(name), self.children, None))

    def closure(self, roots: Iterable[str], follow: Callable[[Node], bool] | None = None) -> tuple[str, ...]:
        """The roots on the graph and every name they depend on, in topological order;
        with `follow`, only the parents of the nodes it accepts are followed (the others
        are in the closure, their parents only if reached another way)."""
        return self._sorted(self._reach(roots, self.parents, follow))
