"""The table of builtin functions and the call of one: a module below the evaluator, so that
derive.model.expressions (which calls builtins) and derive.model.builtins (which defines
them with the evaluator's helpers) do not import each other.

In: `@builtin(name, nargs=(min, max), kwargs=(...))` registrations; a call node and the
evaluator.  Out: `BUILTINS` (name -> `Builtin`) and `call_builtin`, the value of a call (a
family's builtin loaded on first use, a goal inside an expression run by the families).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import sympy as sp

from .. import ast
from ..errors import SpecError
from .operators import guard_size
from .spelling import suggest
from ..records import record

if TYPE_CHECKING:
    from .expressions import Evaluator


@record
class Builtin:
    name: str
    fn: Callable[..., Any]
    nargs: tuple[int, int]
    kwargs: tuple[str, ...]
    doc: str
    tuples: bool = False      # a parenthesised `(3, 3)` argument arrives as a Python tuple


BUILTINS: dict[str, Builtin] = {}

def builtin(name: str, *, nargs: tuple[int, int] = (1, 1), kwargs: tuple[str, ...] = (), doc: str = "",
            tuples: bool = False):
    def register(fn):
        BUILTINS[name] = Builtin(name, fn, nargs, kwargs, doc or (fn.__doc__ or "").strip(), tuples)
        return fn
    return register


def _arg(ev: Evaluator, node: ast.Expr, tuples: bool) -> Any:
    if tuples and isinstance(node, ast.Tuple):
        return tuple(ev.eval(i) for i in node.items)
    return ev.eval(node)


def call_builtin(ev: Evaluator, node: ast.Call) -> Any:
    name = node.name
    if name is None:
        raise SpecError("only a function's name can be called here, as in f(x)", node.func.pos)
    b = BUILTINS.get(name)
    families = ev.problem.families
    if b is None and families is not None and families.load(name):   # a family's builtin
        b = BUILTINS.get(name)
    if b is None:
        if families is not None and families.is_goal(name):
            return families.value_of_goal(ev.problem, node, ev.mode)
        known = list(BUILTINS) + (families.names() if families else []) + list(ev.problem.names)
        raise SpecError(f"unknown function `{name}`{suggest(name, known)}", node.func.pos)
    lo, hi = b.nargs
    n = len(node.args)
    if not lo <= n <= hi:
        want = f"{lo}" if lo == hi else f"{lo} to {hi}" if hi < 99 else f"at least {lo}"
        raise SpecError(f"`{name}` takes {want} positional argument{'' if want in ('1', 'at least 1') else 's'}, "
                        f"got {n}", node.pos)
    for k in node.kwargs:
        if k.name not in b.kwargs:
            allowed = ", ".join(b.kwargs) if b.kwargs else "none"
            raise SpecError(f"`{name}` has no keyword argument `{k.name}` (it takes: {allowed})"
                            + suggest(k.name, b.kwargs), k.pos)
    args = [_arg(ev, a, b.tuples) for a in node.args]
    kwargs = {k.name: _arg(ev, k.value, b.tuples) for k in node.kwargs}
    out = b.fn(ev, args, kwargs, node)
    # sum(vector(10000, i -> 1/i)) has a 4,300-digit denominator: refused here, as binop refuses its own
    return guard_size(out, node) if isinstance(out, (sp.Expr, sp.MatrixBase)) else out
