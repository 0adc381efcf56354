"""The AST of `vary` statements from their parse-tree children (derive.syntax's
transformer hands them over): `vary NAME in LO..HI`, `vary NAME in [v1, ...]` and
`vary NAME = random_vector(...)` / `random_matrix(...)`, each with an optional default.
A malformed one is a SpecSyntaxError at the offending part."""
from __future__ import annotations

from . import ast
from .errors import Pos, SpecSyntaxError


def vary(pos: Pos, children: list) -> ast.Vary:
    """A `vary` statement from its children: NAME, the domain, (`..` end,) DEFAULT, default
    (lark's placeholders keep the count fixed: five for `in`, four for `=`)."""
    return vary_in(pos, *children) if len(children) == 5 else vary_call(pos, *children)


def vary_in(pos: Pos, name, lo: ast.Expr, hi: ast.Expr | None, *rest) -> ast.Vary:
    """`vary NAME in LO..HI` (a range) or `vary NAME in [v1, v2, ...]` (a list); `rest`
    ends with the default (None when none is written)."""
    default = rest[-1]
    if hi is not None:
        return ast.Vary(pos, str(name), "range", (lo, hi), default)
    if not isinstance(lo, ast.ListLit) or not lo.items:
        raise SpecSyntaxError("`vary NAME in` takes a range `LO..HI` or a list `[v1, v2, ...]`", lo.pos)
    return ast.Vary(pos, str(name), "list", lo.items, default)


def vary_call(pos: Pos, name, call: ast.Expr, *rest) -> ast.Vary:
    """`vary NAME = random_vector(n, lo, hi)` or `random_matrix(n, m, lo, hi)`; `rest`
    ends with the default."""
    default = rest[-1]
    if not isinstance(call, ast.Call) or call.name not in ("random_vector", "random_matrix"):
        raise SpecSyntaxError("`vary NAME =` takes `random_vector(n, lo, hi)` or `random_matrix(n, m, lo, hi)`"
                              " (or write `vary NAME in ...`)", call.pos)
    return ast.Vary(pos, str(name), "call", (call,), default)
