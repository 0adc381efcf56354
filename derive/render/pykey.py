"""What a runnable answer key checks (`--format python`, issue 10 §5): each result of a
solution planned as a `Check` or left `Unchecked` with the reason.

In:  a Solution.  Each problem is built again from its definition (`Result.origin`, as
     grading re-derives a goal; without the goal families, which render does not import), so that the goal's own definitions are at hand as sympy
     objects: the function of `grad(L, w)` / `hessian(L, w)` is `L` as the spec defines it,
     every computed name replaced by its definition, translated to NumPy by
     `numpy_text` (never from spec text).
Out: `plan(solution)` -> [(ProblemSolution, [Check | Unchecked, ...])], in goal order.

A Check names the inputs to draw (the declared shapes; symbolic sizes get fixed ones), the
NumPy source of the definition and of the answer (`answer.numpy` where the answer has it),
and how they are compared: `grad`/`hessian` against central finite differences of the
definition, `value` (an expression goal, `expand`, `simplify`, a numeric answer) against
the definition evaluated at the same inputs.  The script itself is printed by pyscript.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixExpr

from .. import ast
from ..errors import DeriveError
from ..numpy_text import numpy_text, py_name

if TYPE_CHECKING:
    from ..model.problem import Binding, Problem
    from ..steps import ProblemSolution, Result, Solution

SIZES = (4, 3, 5, 6, 7, 2, 8, 9)             # the sizes given to symbolic dims, in declaration order
TOLERANCE = {"grad": 1e-6, "hessian": 1e-4, "value": 1e-9}
KEY_KINDS = ("number", "vector", "matrix")    # answers whose value the script prints when it cannot check
RESERVED = {"np"}                             # the script's own module name; its helpers start with `_`


@dataclass(frozen=True)
class Check:
    """One goal the script checks numerically."""

    id: str
    goal: str
    kind: str                       # grad | hessian | value
    setup: tuple[str, ...]          # `name = ...` lines: sizes, drawn or given inputs, nodes
    variable: str | None            # the Python name differentiated (grad, hessian)
    function: str                   # NumPy source of the definition
    closed: str                     # NumPy source of the answer
    seed: int

    @property
    def tolerance(self) -> float:
        return TOLERANCE[self.kind]


@dataclass(frozen=True)
class Unchecked:
    """A goal the script does not check: why, and the key value it prints (numeric answers)."""

    id: str
    goal: str
    reason: str
    key: str | None = None


class _Skip(Exception):
    pass


def plan(solution: Solution) -> list[tuple[ProblemSolution, list]]:
    """Every problem with the Check or Unchecked of each of its results, in order."""
    out, seed = [], 0
    for p in solution.problems:
        problem, why = _rebuilt(p, solution)
        items = []
        for r in p.results:
            seed += 1
            items.append(_item(problem, why, r, seed))
        out.append((p, items))
    return out


def _rebuilt(p: ProblemSolution, solution: Solution) -> tuple[Problem | None, str]:
    """The problem built again from its definition, or (None, why not)."""
    origin = next((r.origin for r in p.results if r.origin is not None and r.origin[0] is not None), None)
    if origin is None:
        return None, "its problem's definition is not at hand"
    pdef, number, ref, _ = origin
    if solution.variant is not None and any(isinstance(s, ast.Vary) for s in pdef.statements):
        return None, "a drawn variant (its drawn values are not rebuilt by this script)"
    from ..model.problem import build_problem
    try:      # (without the goal families: render imports no deriver; their builtins stay deferred errors)
        return build_problem(pdef, number, None, ref), ""
    except DeriveError as exc:
        return None, f"the problem could not be built again ({exc.message})"


def _key(r: Result) -> str | None:
    """The answer's text when it is numeric (a number, vector, matrix, list of numbers)."""
    kind = dict(r.answer.extra).get("kind") if r.answer is not None else None
    if kind in KEY_KINDS or (kind == "list" and _numbers(r.answer.value)):
        return r.answer.text
    return None


def _numbers(v: Any) -> bool:
    if isinstance(v, (list, tuple)):
        return bool(v) and all(_numbers(x) for x in v)
    return isinstance(v, (int, float, Fraction)) and not isinstance(v, bool)


def _item(problem: Problem | None, why: str, r: Result, seed: int) -> Check | Unchecked:
    rid, goal = r.id or r.label or "?", r.goal or ""
    if r.error is not None or r.answer is None:
        return Unchecked(rid, goal, f"not derived ({r.error.kind if r.error else 'no answer'})")
    if problem is None:
        return Unchecked(rid, goal, why, _key(r))
    index = r.origin[3]
    g = problem.goals[index].expr if index < len(problem.goals) else None
    if g is None:
        return Unchecked(rid, goal, "an authored answer")
    try:
        return _plan(problem, g, r, rid, goal, seed)
    except _Skip as exc:
        return Unchecked(rid, goal, str(exc), _key(r))
    except (TypeError, ValueError, AttributeError, IndexError, KeyError):   # an object not written here
        return Unchecked(rid, goal, "no check is written for its objects", _key(r))


def _target(problem: Problem, g: ast.Expr) -> tuple[str, ast.Expr, ast.Expr | None]:
    """(kind, the expression defining what is asked, the variable or None)."""
    name = g.name if isinstance(g, ast.Call) else None
    if name in ("grad", "hessian") and len(g.args) == 2 and not g.kwargs:
        return name, g.args[0], g.args[1]
    if name in ("expand", "simplify") and len(g.args) == 1 and not g.kwargs:
        return "value", g.args[0], None
    from ..model.builtins import BUILTINS
    user = problem.names.get(name) if name is not None else None
    if name is not None and name not in BUILTINS and (user is None or user.kind != "function"):
        raise _Skip(f"`{name}` is not a closed form this script recomputes")
    return "value", g, None


def _plan(problem: Problem, g: ast.Expr, r: Result, rid: str, goal: str, seed: int) -> Check:
    kind, target, var = _target(problem, g)
    try:
        f = expanded(problem, problem.display(target))
    except DeriveError:
        raise _Skip("its definition has no symbolic form here") from None
    names = Names(problem)
    variable = None
    if var is not None:
        b = names.input_binding(var)
        variable = py_name(b.name)
        _check_shapes(kind, f, b)
    answer = _as_sympy(r.answer.expr)
    _check_size(f)
    _check_size(answer)
    closed = _closed_code(r, answer, names)
    function = numpy_text(f, names.components)
    if function is None:
        raise _Skip("its definition holds an operation with no NumPy form here")
    extra = [b.symbol for b in ([names.input_binding(var)] if var is not None else [])]
    setup = names.setup([f, answer, *extra])
    return Check(rid, goal, kind, setup, variable, function, closed, seed)


def _check_shapes(kind: str, f: Any, b: Binding) -> None:
    """Only what the script compares entry by entry: a scalar's gradient or Hessian, a vector's
    Jacobian in a vector."""
    tensor = isinstance(f, (MatrixExpr, sp.MatrixBase))
    if tensor and tuple(f.shape) == (1, 1):
        return
    if tensor and (kind == "hessian" or f.shape[1] != 1 or not isinstance(b.symbol, MatrixExpr)
                   or b.symbol.shape[1] != 1):
        raise _Skip("only gradients and Hessians of scalars and Jacobians of vectors in vectors are checked")


def _closed_code(r: Result, answer: Any, names: Names) -> str:
    """The answer's NumPy source: `answer.numpy`, else printed here (scalar and numeric
    answers, explicit components)."""
    given = dict(r.answer.extra).get("numpy")
    if given and not (_free(answer) & set(names.components)):
        return given
    code = numpy_text(answer, names.components)
    if code is None:
        raise _Skip("its answer has no NumPy form")
    return code


def _as_sympy(x: Any) -> Any:
    if isinstance(x, bool):
        raise _Skip("a truth value")
    if isinstance(x, Fraction):
        return sp.Rational(x.numerator, x.denominator)
    if isinstance(x, int):
        return sp.Integer(x)
    if isinstance(x, float):
        return sp.Float(x)
    if not isinstance(x, sp.Basic) or isinstance(x, sp.logic.boolalg.Boolean):
        raise _Skip("not a number or a tensor")
    return x


def _check_size(e: Any) -> None:
    """A _Skip for a number beyond double precision (the script computes in floats)."""
    if isinstance(e, sp.Basic) and any(abs(a) > 1e300 for a in e.atoms(sp.Number) if a.is_finite):
        raise _Skip("a number beyond double precision")
    if isinstance(e, sp.Basic) and e.has(sp.oo, -sp.oo, sp.zoo, sp.nan):
        raise _Skip("an infinite or undefined number")


def _free(e: Any) -> set:
    return set(e.free_symbols) if isinstance(e, sp.Basic) else set()


def expanded(problem: Problem, e: Any) -> Any:
    """`e` with every computed name replaced by its definition, until only inputs are left;
    a _Skip when a name has no definition (an error, a layer)."""
    nodes = {b.symbol: b for b in problem.names.values() if b.kind == "node" and b.symbol is not None}
    for _ in range(len(nodes) + 1):
        found = sorted(_free(e) & set(nodes), key=str)
        if not found:
            return e
        for s in found:
            if nodes[s].definition is None:
                raise _Skip(f"`{nodes[s].name}` has no definition in closed form")
        e = e.xreplace({s: nodes[s].definition for s in found})
    raise _Skip("its definitions do not unwind")


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
                raise _Skip(f"the name `{b.name}` would clash with `{py}` in Python")
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
            raise _Skip("its variable is not an input of the problem")
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
        todo = [s for e in exprs for s in sorted(_free(e), key=str)]
        while todo:
            s = todo.pop()
            b = self.by_symbol.get(s) or self.parent.get(s)
            if b is None:
                raise _Skip(f"its answer holds `{s}`, which is not a name of the problem")
            if b.symbol in needed:
                continue
            needed.add(b.symbol)
            if b.kind == "node":
                todo.extend(sorted(_free(expanded(self.problem, b.definition)), key=str))
            elif b.kind != "dim" and not _drawn(b):
                todo.extend(sorted(_free(b.value), key=str))
        return needed

    def _define(self, b: Binding) -> tuple[int, str]:
        py = py_name(b.name)
        if b.kind == "node":
            code = numpy_text(expanded(self.problem, b.definition), self.components)
            if code is None:
                raise _Skip(f"`{b.name}` has no NumPy form here")
            return 2, f"{py} = {code}"
        if _drawn(b):
            if isinstance(b.symbol, sp.MatrixSymbol):
                shape = self.shape(b.symbol)
                square = len(shape) == 2 and shape[0] == shape[1]
                return 1, f"{py} = _draw(_rng, {shape!r}, _pos{', square=True' if square else ''})"
            sure = bool(b.symbol.is_positive or b.symbol.is_nonnegative)
            return 1, f"{py} = _draw(_rng, (), {'True' if sure else '_pos'})"
        _check_size(b.value)
        code = numpy_text(b.value, self.components)
        if code is None:
            raise _Skip(f"the given value of `{b.name}` has no NumPy form")
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
