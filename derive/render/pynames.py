"""The objects of a runnable answer key (`--format python`, issue 10 §5): what one goal's
check is (`Check`, `Unchecked`), and the problem's names as the script defines them
(`Names`: sizes, drawn inputs, given values, computed names through `expanded`).

In:  a Problem built again from its definition (pykey).  Out: NumPy source lines, printed by
`numpy_text` from sympy objects (never from spec text).
"""
from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Any

import sympy as sp

from .. import ast
from ..numpy_text import numpy_text, py_name
from ..records import record

if TYPE_CHECKING:
    from ..model.problem import Binding, Problem

SIZES = (4, 3, 5, 6, 7, 2, 8, 9)             # the sizes given to symbolic dims, in declaration order
RESERVED = {"np"}                             # the script's own module name; its helpers start with `_`
TOLERANCE = {"grad": 1e-6, "hessian": 1e-4, "value": 1e-9, "residual": 1e-9, "eigen": 1e-9,
             "stationary": 1e-6, "iterates": 1e-6, "newton": 1e-4}


class Skip(Exception):
    """Why a goal is not checked (the message is the reason the script gives)."""


@record
class Check:
    """One goal the script checks: `_closed` (computed from the answer) against `_ref`
    (computed from the problem's definitions) after `setup` and `before`; `_f(params)` is
    the definition as a function when `params` is set (`unpack` lines first)."""

    id: str
    goal: str
    kind: str                       # grad hessian value residual eigen stationary iterates newton
    setup: tuple[str, ...]          # `name = ...` lines: sizes, drawn or given inputs, nodes
    params: str | None              # the parameters of `_f`, or None for no function
    function: str                   # NumPy source of the definition
    closed: str                     # NumPy source of what is compared (from the answer)
    reference: str                  # NumPy source of what it is compared with
    seed: int
    unpack: tuple[str, ...] = ()    # lines at the top of `_f` (several scalar parameters)
    before: tuple[str, ...] = ()    # lines after the setup (argmin: the variable set to the answer)

    @property
    def tolerance(self) -> float:
        return TOLERANCE[self.kind]


@record
class Unchecked:
    """A goal the script does not check: why, and the key value it prints (numeric answers)."""

    id: str
    goal: str
    reason: str
    key: str | None = None


def as_sympy(x: Any) -> Any:
    """An answer's expression as a sympy object (a Skip for a list, a string, a truth value)."""
    if isinstance(x, bool):
        raise Skip("a truth value")
    if isinstance(x, Fraction):
        return sp.Rational(x.numerator, x.denominator)
    if isinstance(x, int):
        return sp.Integer(x)
    if isinstance(x, float):
        return sp.Float(x)
    if not isinstance(x, sp.Basic) or isinstance(x, sp.logic.boolalg.Boolean):
        raise Skip("not a number or a tensor")
    return x


def check_size(e: Any) -> None:
    """A Skip for a number beyond double precision (the script computes in floats)."""
    if isinstance(e, sp.Basic) and any(abs(a) > 1e300 for a in e.atoms(sp.Number) if a.is_finite):
        raise Skip("a number beyond double precision")
    if isinstance(e, sp.Basic) and e.has(sp.oo, -sp.oo, sp.zoo, sp.nan):
        raise Skip("an infinite or undefined number")


def free(e: Any) -> set:
    """The free symbols of a sympy object (none of anything else)."""
    return set(e.free_symbols) if isinstance(e, sp.Basic) else set()


def expanded(problem: Problem, e: Any) -> Any:
    """`e` with every computed name replaced by its definition, until only inputs are left;
    a Skip when a name has no definition (an error, a layer)."""
    nodes = {b.symbol: b for b in problem.names.values() if b.kind == "node" and b.symbol is not None}
    for _ in range(len(nodes) + 1):
        found = sorted(free(e) & set(nodes), key=str)
        if not found:
            return e
        for s in found:
            if nodes[s].definition is None:
                raise Skip(f"`{nodes[s].name}` has no definition in closed form")
        e = e.xreplace({s: nodes[s].definition for s in found})
    raise Skip("its definitions do not unwind")


class Names:
    """The problem's names as the script defines them: sizes, drawn inputs, given values."""

    def __init__(self, problem: Problem):
        self.problem = problem
        self.by_symbol: dict[Any, Binding] = {}
        self.components: dict[Any, str] = {}        # w_1 -> "w[0]" (concrete-sized vectors, matrices)
        self.parent: dict[Any, Binding] = {}        # w_1 -> the binding of w
        self.sizes: dict[Any, int] = {}
        symbolic = 0
        seen: dict[str, str] = {}
        for b in problem.names.values():
            if b.symbol is None or b.kind in ("function", "layer"):
                continue
            py = py_name(b.name)
            if py in RESERVED or seen.setdefault(py, b.name) != b.name:
                raise Skip(f"the name `{b.name}` would clash with `{py}` in Python")
            self.by_symbol[b.symbol] = b
            if b.kind == "dim":
                v = b.value
                self.sizes[b.symbol] = int(v) if isinstance(v, sp.Integer) else \
                    (SIZES[symbolic] if symbolic < len(SIZES) else 2 + symbolic)
                symbolic += not isinstance(v, sp.Integer)
            self._components(b, py)

    def _components(self, b: Binding, py: str) -> None:
        v = b.value
        if b.kind not in ("vector", "matrix") or not isinstance(v, sp.MatrixBase):
            return
        for i in range(v.rows):
            for j in range(v.cols):
                if isinstance(v[i, j], sp.Symbol):
                    self.components[v[i, j]] = f"{py}[{i}]" if v.cols == 1 else f"{py}[{i}, {j}]"
                    self.parent[v[i, j]] = b

    def input_binding(self, var: ast.Expr) -> Binding:
        """The binding of a goal's variable: a name drawn or given, not computed."""
        b = self.problem.names.get(var.id) if isinstance(var, ast.Name) else None
        if b is None or b.kind not in ("symbol", "vector", "matrix", "let", "input", "param") \
                or not isinstance(b.symbol, (sp.Symbol, sp.MatrixSymbol)):
            raise Skip("its variable is not an input of the problem")
        return b

    def shape(self, m: Any) -> tuple[int, ...]:
        """The NumPy shape of a MatrixSymbol: (r,) for a column vector, else (r, c)."""
        r, c = (int(s.xreplace(self.sizes)) if isinstance(s, sp.Basic) else int(s) for s in m.shape)
        return (r,) if c == 1 else (r, c)

    def setup(self, exprs: list) -> tuple[str, ...]:
        """The lines that define every name `exprs` use: sizes first, then drawn inputs,
        then given values and computed names (which may use the drawn ones), each group in
        the problem's order."""
        needed = self._needed(exprs)
        groups: tuple[list[str], list[str], list[str]] = ([], [], [])
        for b in self.problem.names.values():
            if b.symbol in self.sizes:
                if b.symbol in needed:       # (a size the code names: np.ones(n), np.eye(d))
                    groups[0].append(f"{py_name(b.name)} = {self.sizes[b.symbol]}")
            elif b.symbol in needed:
                rank, line = self._define(b)
                groups[rank].append(line)
        return tuple(groups[0] + groups[1] + groups[2])

    def _needed(self, exprs: list) -> set:
        needed: set = set()
        todo = [s for e in exprs for s in sorted(free(e), key=str)]
        while todo:
            s = todo.pop()
            b = self.by_symbol.get(s) or self.parent.get(s)
            if b is None:
                raise Skip(f"its answer holds `{s}`, which is not a name of the problem")
            if b.symbol in needed:
                continue
            needed.add(b.symbol)
            if b.kind == "node":
                todo.extend(sorted(free(expanded(self.problem, b.definition)), key=str))
            elif b.kind != "dim" and not _drawn(b):
                todo.extend(sorted(free(b.value), key=str))
        return needed

    def _define(self, b: Binding) -> tuple[int, str]:
        py = py_name(b.name)
        if b.kind == "node":
            code = numpy_text(expanded(self.problem, b.definition), self.components)
            if code is None:
                raise Skip(f"`{b.name}` has no NumPy form here")
            return 2, f"{py} = {code}"
        if _drawn(b):
            if isinstance(b.symbol, sp.MatrixSymbol):
                shape = self.shape(b.symbol)
                square = len(shape) == 2 and shape[0] == shape[1]
                return 1, f"{py} = _draw(_rng, {shape!r}, _pos{', square=True' if square else ''})"
            sure = bool(b.symbol.is_positive or b.symbol.is_nonnegative)
            return 1, f"{py} = _draw(_rng, (), {'True' if sure else '_pos'})"
        check_size(b.value)
        code = numpy_text(b.value, self.components)
        if code is None:
            raise Skip(f"the given value of `{b.name}` has no NumPy form")
        return 2, f"{py} = np.asarray({code}, dtype=float)"


def _drawn(b: Binding) -> bool:
    """Whether the script draws the name at random: declared without a value (a symbol, a
    vector or matrix, a shape-only input), not given one."""
    if b.kind == "symbol":
        return True
    if b.kind in ("vector", "matrix", "input", "param"):
        return b.value is b.symbol or isinstance(b.value, sp.MatrixSymbol) or \
            (isinstance(b.value, sp.MatrixBase) and all(isinstance(x, sp.Symbol) for x in b.value))
    return False
