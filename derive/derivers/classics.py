"""Classical derivations: `hyperplane(w, b)`, `distance(...)`, `margin(...)`, `derivation(NAME)`.

In: goals of a problem.  Out: `Derived` answers with checked steps.

* `hyperplane(w, b)` (a builtin) is the set {x : wᵀx + b = 0}; it is a value, not a
  number, so it only makes sense as an argument of `distance` and `margin`.
* `distance(x, hyperplane(w, b))` derives |wᵀx + b| / ‖w‖ from x = x_p + r w/‖w‖;
  `distance(x, y)` of two points is ‖x − y‖.  With concrete values the number follows.
* `margin(hyperplane(w, b))` derives 2/‖w‖, the width between wᵀx + b = ±1.
* `derivation(NAME)` runs a named derivation of `derive.derivations` (svm_primal,
  kernel_matrix_symmetric, kernel_matrix_psd, mahalanobis_from_linear_map, ...).  NAME
  is a bare name (not evaluated) or a string.
"""
from __future__ import annotations

from typing import Any

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixExpr

from .. import ast
from .. import derivations
from ..derivations._geometry import H, affine, distance_steps, margin_steps, normal_steps, scalar_text
from ..errors import SpecError
from ..model.builtins import builtin
from ..model.expressions import is_tensor, scalarize, show_shape, suggest
from ..model.functions import Norm
from ..model.problem import Problem
from ..sentence import Rel, say
from ..steps import Step, make_step
from .evaluate import decimal_step, substituted
from .registry import Derived, make_answer
from ..records import record


@record
class Hyperplane:
    """{x : wᵀx + b = 0}: the value of `hyperplane(w, b)`."""

    w: Any
    b: Any

    def _latex(self, printer: Any) -> str:
        return r"\{x : %s^T x + %s = 0\}" % (printer._print(self.w), printer._print(self.b))

    def __str__(self) -> str:
        return f"hyperplane({self.w}, {self.b})"


@builtin("hyperplane", nargs=(2, 2), doc="hyperplane(w, b): the set {x : wᵀx + b = 0}, for distance and margin")
def _hyperplane(ev, args, kw, node):
    w, b = args
    if not (is_tensor(w) and w.shape[1] == 1):
        raise SpecError(f"the normal `w` of a hyperplane must be a vector, not {show_shape(w)}", node.args[0].pos)
    b = scalarize(b)
    if is_tensor(b) or not isinstance(b, sp.Expr):
        raise SpecError(f"the offset `b` of a hyperplane must be a scalar, not {show_shape(b)}", node.args[1].pos)
    if isinstance(w, sp.MatrixBase) and all(e == 0 for e in w):
        raise SpecError("the normal `w` of a hyperplane must not be the zero vector", node.args[0].pos)
    return Hyperplane(w, b)


def _plane(problem: Problem, node: ast.Expr, goal: str) -> tuple[Hyperplane, Hyperplane]:
    """(value, display) of a hyperplane argument."""
    value = problem.value(node)
    if not isinstance(value, Hyperplane):
        raise SpecError(f"`{goal}` needs a hyperplane here, as in `{goal}(... hyperplane(w, b))`, not "
                        f"{show_shape(value) if isinstance(value, sp.Basic) else 'this value'}", node.pos)
    display = problem.display(node)
    return value, display


def _general(w: Any, b: Any, *others: Any) -> tuple[Any, Any]:
    """Symbols to derive with: the spec's own when symbolic, else generic w, b of the same size,
    named apart from the spec's names they stand for (`hyperplane(sqrt(w), b)`: the generic
    normal is u, since w is the spec's own and takes its own values in the checks)."""
    used = {str(s) for e in (w, b, *others) if isinstance(e, sp.Basic)
            for s in e.free_symbols | e.atoms(sp.MatrixSymbol)}
    if not isinstance(w, sp.MatrixSymbol):
        w = sp.MatrixSymbol(next(n for n in ("w", "u", "v", "n", "a_w") if n not in used), *w.shape)
    if not isinstance(b, sp.Symbol):
        b = sp.Symbol(next(n for n in ("b", "c", "beta", "b_0") if n not in used), real=True)
    return w, b


def _substitute(problem: Problem, general: Any, values: dict) -> list[Step]:
    """The general result evaluated at the spec's concrete values, when it has any."""
    subs = {k: v for k, v in values.items() if k != v}
    if not subs:
        return []
    value = general.xreplace(subs).doit()
    if isinstance(value, MatrixExpr) and not value.free_symbols:   # pragma: no cover - defensive
        value = value.as_explicit()
    value = scalarize(value)
    steps = [make_step("substitute", say("Substitute the given values:"), general, substituted(general, subs),
                       sp.simplify(value), where=subs)]
    steps.extend(decimal_step(sp.simplify(value)))
    return steps


def distance(problem: Problem, call: ast.Call) -> Derived:
    """|wᵀx + b| / ‖w‖ for `distance(x, hyperplane(w, b))`; ‖x − y‖ for two points."""
    x_node, h_node = call.args
    x = problem.value(x_node)
    if not (is_tensor(x) and x.shape[1] == 1):
        raise SpecError(f"`distance` measures from a point (a vector), not {show_shape(x)}", x_node.pos)
    x_disp = problem.display(x_node)
    target = problem.value(h_node)
    if not isinstance(target, Hyperplane):
        return _point_distance(problem, call, x, x_disp, target)
    plane, plane_disp = _plane(problem, h_node, "distance")
    if not _same_size(x.shape[0], plane.w.shape[0]):
        raise SpecError(f"the point has {x.shape[0]} components but the hyperplane's normal has "
                        f"{plane.w.shape[0]}", call.pos)
    w, b = _general(plane_disp.w, plane_disp.b, x_disp)
    xs = _point_symbol(x_disp, w, b)
    steps = normal_steps(w, b)
    more, general = distance_steps(w, xs, b)
    steps += more
    values = {w: plane.w, b: plane.b, xs: x}
    values = {k: v for k, v in values.items() if not (isinstance(v, (sp.MatrixSymbol, sp.Symbol)) and v == k)}
    if values:
        steps += _substitute(problem, general, values)
        answer = scalarize(sp.simplify(general.xreplace(values).doit()))
        return Derived(make_answer(answer), tuple(steps))
    return Derived(make_answer(general, text=scalar_text(general)), tuple(steps))


def _point_symbol(x_disp: Any, w: Any, b: Any) -> sp.MatrixSymbol:
    """The point's own symbol to derive with, unless it is not one or the plane uses it
    (`distance(w, hyperplane(w, b))`): then a generic x (or p, z) named apart."""
    plane = {str(s) for e in (w, b) for s in e.free_symbols | e.atoms(sp.MatrixSymbol)}
    if isinstance(x_disp, sp.MatrixSymbol) and x_disp.name not in plane:
        return x_disp
    used = plane | {str(s) for s in getattr(x_disp, "free_symbols", set()) | x_disp.atoms(sp.MatrixSymbol)}
    return sp.MatrixSymbol(next(n for n in ("x", "p", "z", "x_0") if n not in used), *w.shape)


def _same_size(a: Any, b: Any) -> bool:
    return a == b or sp.simplify(a - b) == 0


def _point_distance(problem: Problem, call: ast.Call, x: Any, x_disp: Any, y: Any) -> Derived:
    y_node = call.args[1]
    if not (is_tensor(y) and y.shape[1] == 1):
        raise SpecError(f"`distance(x, y)` needs a point or `hyperplane(w, b)` as its second argument, not "
                        f"{show_shape(y) if isinstance(y, sp.Basic) else 'this value'}", y_node.pos)
    if not _same_size(x.shape[0], y.shape[0]):
        raise SpecError(f"the two points have {x.shape[0]} and {y.shape[0]} components", call.pos)
    y_disp = problem.display(y_node)
    general = Norm(x_disp - y_disp)
    value = Norm(x - y)
    subs = problem.substitutions()
    chain = [general, substituted(general, subs)] if subs else [general]
    chain.append(value)
    steps = [make_step("distance", say("The Euclidean distance between two points:"), *chain, where=subs)]
    steps.extend(decimal_step(value))
    return Derived(make_answer(value, text=scalar_text(value)), tuple(steps))


def margin(problem: Problem, call: ast.Call) -> Derived:
    """2/‖w‖ for `margin(hyperplane(w, b))`, via the distances of the canonical planes."""
    plane, plane_disp = _plane(problem, call.args[0], "margin")
    w, b = _general(plane_disp.w, plane_disp.b)
    xi, yi = sp.MatrixSymbol("x_i", *w.shape), sp.Symbol("y_i")
    x = sp.MatrixSymbol("x", *w.shape)
    steps = [make_step("canonical", say("Scale ", sp.Tuple(w, b), " so that the points closest to ", H, " satisfy ",
                                        Rel(yi * affine(w, xi, b), "=", 1, kind="assumption"),
                                        " (the canonical hyperplane): they lie on the planes ",
                                        Rel(affine(w, x, b), "=", 1, kind="definition"), " and ",
                                        Rel(affine(w, x, b), "=", -1, kind="definition"),
                                        ", and the margin is the distance between these two planes."), check=False)]
    more, general = margin_steps(w, b)
    steps += more
    values = {k: v for k, v in {w: plane.w}.items() if k != v}
    if values:
        steps += _substitute(problem, general, values)
        return Derived(make_answer(sp.simplify(general.xreplace(values).doit())), tuple(steps))
    return Derived(make_answer(general, text=scalar_text(general)), tuple(steps))


def derivation(problem: Problem, call: ast.Call) -> Derived:
    """Run `derive.derivations` NAME; the argument is a bare name or a string, never evaluated."""
    arg = call.args[0]
    if isinstance(arg, ast.Name):
        name = arg.id
    elif isinstance(arg, ast.Str):
        name = arg.value
    else:
        raise SpecError("`derivation` takes the name of a derivation, as in `derivation(svm_primal)`", arg.pos)
    found = derivations.lookup(name)
    if found is None:
        known = derivations.names()
        raise SpecError(f"unknown derivation `{name}`{suggest(name, known)} (known: {', '.join(known)})", arg.pos)
    return found.fn(problem)
