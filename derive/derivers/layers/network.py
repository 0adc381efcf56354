"""Walking a network: which layers and `param`s an expression uses, in forward order.

In: a Problem and a goal's argument expression.  Out: `collect` (the bindings it uses,
following named nodes, inputs before the layers they feed), `layer_bindings`, `children`
of an AST node.  (Each Layer learns the name it is bound to when the problem is built.)
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ... import ast
from ...model.problem import Binding, Problem
from .base import Layer


def layer_bindings(problem: Problem) -> list[Binding]:
    return [b for b in problem.names.values() if b.kind == "layer" and isinstance(b.value, Layer)]


@dataclass
class Found:
    """What a network uses, in forward order: layers (by binding) and named params."""

    items: list[Binding] = field(default_factory=list)

    def add(self, b: Binding) -> None:
        if all(x.name != b.name for x in self.items):
            self.items.append(b)


def children(e: ast.Expr) -> list[ast.Expr]:
    out: list[ast.Expr] = []
    for v in vars(e).values():
        if isinstance(v, ast.Expr):
            out.append(v)
        elif isinstance(v, ast.Keyword):
            out.append(v.value)
        elif isinstance(v, tuple):
            for x in v:
                if isinstance(x, ast.Expr):
                    out.append(x)
                elif isinstance(x, ast.Keyword):
                    out.append(x.value)
    return out


def collect(problem: Problem, expr: ast.Expr, found: Found, seen: set[str] | None = None) -> Found:
    """Layers and params `expr` uses, following named nodes, inputs before the layers they feed."""
    seen = set() if seen is None else seen
    if isinstance(expr, ast.Name) and problem.has(expr.id):
        b = problem.names[expr.id]
        if b.kind == "node" and b.expr is not None and b.name not in seen:
            seen.add(b.name)
            collect(problem, b.expr, found, seen)
        elif b.kind in ("param", "layer"):
            if b.kind == "layer" and isinstance(b.value, Layer):
                for k in ("weight", "bias"):
                    node = b.value.args.nodes.get(k)
                    if node is not None:
                        collect(problem, node, found, seen)
            found.add(b)
        return found
    if isinstance(expr, ast.Call) and expr.name and problem.has(expr.name):
        for a in expr.args:
            collect(problem, a, found, seen)
        collect(problem, expr.func, found, seen)
        return found
    if isinstance(expr, ast.Lambda):
        return found
    for c in children(expr):
        collect(problem, c, found, seen)
    return found

