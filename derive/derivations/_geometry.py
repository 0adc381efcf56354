"""Hyperplane geometry as checked steps: the normal, point-to-plane distance, the margin.

In: display objects w (a d×1 MatrixSymbol, or one of concrete size), b (a scalar symbol)
and a point x.  Out: lists of `Step`s and the answer expression.  Every equality is
stated in general and checked by the engine at random vectors: where a step assumes
something about a point (it lies on H, on wᵀx + b = ±1, on the correct side), `where`
binds the point to a construction that satisfies the assumption for *any* free vector u,
so the random check exercises exactly the hypothesis of the step.
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from ..model.functions import Norm
from ..sentence import Rel, say
from ..steps import Step, make_step
from ._display import Group, SetOf, group, minus, plus, times

H = sp.Symbol("H")


def ip(a: Any, c: Any) -> Any:
    """aᵀc as a scalar (a 1×1 trace, printed aᵀc), factors kept as given."""
    return sp.Trace(sp.MatMul(a.T, c, evaluate=False))


def vminus(a: Any, c: Any) -> Any:
    """a − c for vectors, shown in that order."""
    return sp.MatAdd(a, -c, evaluate=False)


def affine(w: Any, x: Any, b: Any) -> Any:
    """wᵀx + b, shown in that order."""
    return plus([ip(w, x), b])


def on_plane(u: Any, w: Any, b: Any, level: Any = 0) -> Any:
    """u moved along w onto the plane wᵀz + b = level (for any u), left unevaluated: it is
    only ever a value to check at (sympy's canonicalising of it cost most of a check)."""
    coef = (level - b - ip(w, u)) / ip(w, w)    # (evaluate=False per node: sympy's evaluate(False) clears its cache)
    return sp.MatAdd(u, sp.MatMul(coef, w, evaluate=False), evaluate=False)


def like(w: Any, name: str) -> sp.MatrixSymbol:
    return sp.MatrixSymbol(name, *w.shape)


def plane(w: Any, b: Any) -> SetOf:
    """H = {z : wᵀz + b = 0} as a set."""
    z = like(w, "z")
    return SetOf(z, sp.Eq(affine(w, z, b), 0, evaluate=False))


def normal_steps(w: Any, b: Any) -> list[Step]:
    z1, z2, u1, u2 = (like(w, n) for n in ("z_1", "z_2", "u_1", "u_2"))
    return [make_step(
        "normal", say("The hyperplane is ", Rel(H, "=", plane(w, b), kind="definition"), ". Its normal vector is ",
                      w, ": for any two points ", z1, " and ", z2, " of ", H, ", ", w, " is orthogonal to the "
                      "direction ", vminus(z1, z2), " along ", H, ":"),
        ip(w, vminus(z1, z2)), plus([group(affine(w, z1, b)), -group(affine(w, z2, b))]), sp.Integer(0),
        where={z1: on_plane(u1, w, b), z2: on_plane(u2, w, b)})]


def distance_steps(w: Any, x: Any, b: Any) -> tuple[list[Step], Any]:
    """|wᵀx + b| / ‖w‖ from the decomposition x = x_p + r w/‖w‖."""
    u = like(w, "u")
    xp = like(w, "x_p")
    r = sp.Symbol("r", real=True)
    nw = Norm(w)
    foot = on_plane(u, w, b)
    steps = [make_step(
        "decompose", say("Write ", Rel(x, "=", sp.MatAdd(xp, sp.MatMul(r / nw, w, evaluate=False), evaluate=False),
                                       kind="definition"), ", where ",
                         Rel(xp, "∈", H, kind="definition"), " is the foot of the perpendicular and ", r, " the signed "
                         "distance along the unit normal. Take ", affine(w, x, b), " of both sides and use ",
                         Rel(affine(w, xp, b), "=", 0), " and ", Rel(ip(w, w), "=", nw ** 2), ":"),
        affine(w, x, b), plus([group(affine(w, xp, b)), times(r, ip(w, w) / nw)]), times(r, nw),
        where={x: foot + (r / nw) * w, xp: foot})]
    answer = sp.Abs(affine(w, x, b)) / nw
    steps.append(make_step(
        "distance", say("So ", Rel(r, "=", affine(w, x, b) / nw), ", and the distance from ", x, " to ", H, " is the "
                        "length of ", Rel(vminus(x, xp), "=", (r / nw) * w), ", that is ", sp.Abs(r), ":"),
        Norm(vminus(x, xp)), sp.Abs(r), answer,
        where={xp: x - (affine(w, x, b) / ip(w, w)) * w, r: affine(w, x, b) / nw}))
    return steps, answer


def margin_steps(w: Any, b: Any) -> tuple[list[Step], Any]:
    """Distances 1/‖w‖ of the planes wᵀx + b = ±1 from H, and the margin 2/‖w‖ between them."""
    up, um = like(w, "u_+"), like(w, "u_-")
    xplus, xminus = like(w, "x_+"), like(w, "x_-")
    nw = Norm(w)
    where = {xplus: on_plane(up, w, b, 1), xminus: on_plane(um, w, b, -1)}
    steps = [make_step(
        "plane_distance", say("A point ", xplus, " on the plane ", Rel(affine(w, xplus, b), "=", 1), " is at distance ",
                              1 / nw, " from ", H, " (by the distance formula):"),
        sp.Abs(affine(w, xplus, b)) / nw, sp.Integer(1) / nw, where=where),
        make_step(
        "plane_distance", say("and so is a point ", xminus, " on ", Rel(affine(w, xminus, b), "=", -1), ":"),
        sp.Abs(affine(w, xminus, b)) / nw, sp.Integer(1) / nw, where=where)]
    answer = 2 / nw
    steps.append(make_step(
        "margin", say("The margin is the width of the band between the two planes: project ", vminus(xplus, xminus),
                      " on the unit normal ", (1 / nw) * w, ":"),
        ip(w, vminus(xplus, xminus)) / nw, plus([group(affine(w, xplus, b)), -group(affine(w, xminus, b))]) / nw,
        sp.Mul(minus(sp.Integer(1), Group(sp.Integer(-1))), sp.Pow(nw, -1), evaluate=False), answer,
        where=where))
    return steps, answer


def scalar_text(expr: Any) -> str:
    """Text of a scalar with inner products and norms that SymPy's parse_expr reads back:
    wᵀx as Trace(w.T*x), ‖w‖ as sqrt(Trace(w.T*w))."""
    def fix(e: Any) -> Any:
        if isinstance(e, Norm) and not isinstance(e.args[0], sp.MatrixBase):
            v = e.args[0]
            return sp.sqrt(sp.Trace(v.T * v))
        return e
    out = expr.replace(lambda e: isinstance(e, Norm), fix) if isinstance(expr, sp.Basic) else expr
    return sp.sstr(out, order=None)
