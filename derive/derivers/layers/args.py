"""Constructor arguments of a layer: PyTorch's parameter lists, bound and checked.

In: a signature (a list of `Param`: name, default or REQUIRED, checker, keyword-only) and
the evaluated positional and keyword arguments of `Kind(...)` with their AST nodes.
Out: `Args`, the checked values by name (defaults filled in) with the nodes for error
positions.  A wrong, missing or doubled argument is a SpecError at the argument.
"""
from __future__ import annotations

from typing import Any, Callable

import sympy as sp

from ... import ast
from ...errors import Pos, SpecError, quoted
from ...model.expressions import is_tensor, scalarize, show_shape
from ...records import record

REQUIRED = object()


@record
class Param:
    """One constructor parameter: name, default (REQUIRED if none), checker, keyword-only."""

    name: str
    default: Any
    check: Callable[[str, Any, Any], Any]
    kwonly: bool = False


class Args:
    """The bound constructor arguments of one layer call, with the nodes for positions."""

    def __init__(self, kind: str, sig: list[Param], args: list, kwargs: dict, node: ast.Call):
        self.kind = kind
        self.values: dict[str, Any] = {}
        self.raw: dict[str, Any] = {}
        self.nodes: dict[str, ast.Expr] = {}
        positional = [p for p in sig if not p.kwonly]
        if len(args) > len(positional):
            raise SpecError(f"`{kind}` takes at most {len(positional)} positional arguments "
                            f"({', '.join(p.name for p in positional)}), got {len(args)}",
                            node.args[len(positional)].pos)
        for p, v, n in zip(positional, args, node.args):
            self.values[p.name], self.nodes[p.name] = v, n
        for k in node.kwargs:
            if k.name in self.values:
                raise SpecError(f"`{kind}` got two values for `{k.name}` (positionally and by keyword)", k.pos)
            self.values[k.name], self.nodes[k.name] = kwargs[k.name], k.value
        for p in sig:
            if p.name not in self.values:
                if p.default is REQUIRED:
                    raise SpecError(f"`{kind}` is missing the required argument `{p.name}`", node.pos)
                default = p.default
                if isinstance(default, int) and not isinstance(default, bool):
                    default = sp.Integer(default)
                self.values[p.name] = None if default is None else p.check(p.name, default, node)
                continue
            self.raw[p.name] = self.values[p.name]
            self.values[p.name] = p.check(f"{quoted(p.name)} of {kind}", self.values[p.name], self.nodes[p.name])

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def pos(self, name: str, default: Pos) -> Pos:
        n = self.nodes.get(name)
        return n.pos if n is not None else default


def _whole(what: str, v: Any, node: ast.Expr, lo: int) -> int:
    v = scalarize(v)
    if isinstance(v, bool) or not isinstance(v, (int, sp.Integer)):
        raise SpecError(f"{what} must be a whole number, not {_show(v)}", node.pos)
    if int(v) < lo:
        raise SpecError(f"{what} must be {'positive' if lo == 1 else f'at least {lo}'}, not {int(v)}", node.pos)
    return int(v)


def _show(v: Any) -> str:
    if isinstance(v, tuple):
        return "(" + ", ".join(_show(x) for x in v) + ")"
    if isinstance(v, str):
        return f'"{v}"'
    if v is sp.true or v is True:
        return "true"
    if v is sp.false or v is False:
        return "false"
    if is_tensor(v):
        return show_shape(v)
    return str(v)


def positive(what, v, node):
    return _whole(what, v, node, 1)


def nonneg(what, v, node):
    return _whole(what, v, node, 0)


def integer(what, v, node):
    v = scalarize(v)
    if isinstance(v, bool) or not isinstance(v, (int, sp.Integer)):
        raise SpecError(f"{what} must be a whole number, not {_show(v)}", node.pos)
    return int(v)


def boolean(what, v, node):
    if v is sp.true or v is True:
        return True
    if v is sp.false or v is False:
        return False
    raise SpecError(f"{what} must be true or false, not {_show(v)}", node.pos)


def number(lo: Any = None, hi: Any = None, *, open_lo: bool = False):
    def check(what, v, node):
        v = scalarize(v)
        if not (isinstance(v, sp.Basic) and v.is_number and v.is_real):
            raise SpecError(f"{what} must be a number, not {_show(v)}", node.pos)
        if lo is not None and (v < lo or (open_lo and v == lo)):
            raise SpecError(f"{what} must be {'>' if open_lo else '≥'} {lo}, not {v}", node.pos)
        if hi is not None and v > hi:
            raise SpecError(f"{what} must be ≤ {hi}, not {v}", node.pos)
        return v
    return check


def sizes(n: int, lo: int):
    """An int, or a tuple/list of n ints (PyTorch's `_single`/`_pair`)."""
    def check(what, v, node):
        if isinstance(v, tuple) or (is_tensor(v) and isinstance(v, sp.MatrixBase)):
            items = list(v)
            if len(items) != n:
                raise SpecError(f"{what} must be a whole number or {n} whole numbers"
                                f"{' (one per spatial dimension)' if n > 1 else ''}, not {_show(tuple(items))}",
                                node.pos)
            return tuple(_whole(what, x, node, lo) for x in items)
        return (_whole(what, v, node, lo),) * n
    return check


def padding_arg(n: int):
    base = sizes(n, 0)

    def check(what, v, node):
        if isinstance(v, str):
            if v not in ("same", "valid"):
                raise SpecError(f'{what} must be a whole number, a tuple, "same" or "valid", not "{v}"', node.pos)
            return v
        return base(what, v, node)
    return check


def choice(*options: str):
    def check(what, v, node):
        if not isinstance(v, str) or v not in options:
            raise SpecError(f"{what} must be one of {', '.join(repr(o) for o in options)}, not {_show(v)}", node.pos)
        return v
    return check


def optional_tensor(what, v, node):
    if v is None:
        return None
    if not is_tensor(v):
        raise SpecError(f"{what} must be a tensor, not {_show(v)}", node.pos)
    return v


def shape_arg(what, v, node):
    if isinstance(v, tuple) or (isinstance(v, sp.MatrixBase) and v.shape[1] == 1):
        return tuple(_whole(what, x, node, 1) for x in v)
    return (_whole(what, v, node, 1),)


def optional_positive(what, v, node):
    """None (PyTorch's "same as embed_dim") or a positive whole number."""
    return None if v is None else _whole(what, v, node, 1)


def sizes_or_none(n: int):
    """AdaptiveAvgPool's output_size: an int, or n entries each an int or None (keep that size)."""
    def check(what, v, node):
        items = list(v) if isinstance(v, tuple) else [v] * n
        if len(items) != n:
            raise SpecError(f"{what} must be a whole number or {n} entries, not {_show(tuple(items))}", node.pos)
        return tuple(None if x is None else _whole(what, x, node, 1) for x in items)
    return check
