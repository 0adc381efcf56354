"""`derivation(svm_primal)`: the SVM primal problem, derived geometrically.

Out: the hard-margin primal min ½‖w‖² subject to yᵢ(wᵀxᵢ + b) ≥ 1, and the soft-margin
primal with slacks ξᵢ and the penalty C.  The steps: the hyperplane and its normal, the
point-to-plane distance |wᵀx + b|/‖w‖, the distance of a correctly classified point
yᵢ(wᵀxᵢ + b)/‖w‖, the scale invariance of (w, b), the canonical scaling and the margin
2/‖w‖, and the equivalent minimisation.  Every equality is checked at random vectors
(points constructed to satisfy each step's hypothesis, see _geometry); the optimisation
problems are `Minimize` objects, shown as written.
"""
from __future__ import annotations

import sympy as sp

from ..derivers.registry import Derived, make_answer
from ..model.functions import Norm
from ..notation import Partial
from ..sentence import Em, Rel, say
from ..steps import make_step
from . import derivation
from ._display import Minimize, Reals, SetOf, extremum, plus, times
from ._geometry import H, affine, distance_steps, margin_steps, normal_steps, on_plane, plane

D = sp.Symbol("d", integer=True, positive=True)
W, X, XI, U = (sp.MatrixSymbol(n, D, 1) for n in ("w", "x", "x_i", "u"))
B = sp.Symbol("b", real=True)
Y = sp.Symbol("y_i", real=True)
I, N, C = sp.Symbol("i"), sp.Symbol("N"), sp.Symbol("C")
SLACK = sp.Symbol("xi_i")
HALF_NORM = sp.Mul(sp.Rational(1, 2), Norm(W) ** 2, evaluate=False)
MARGIN = sp.Mul(Y, affine(W, XI, B), evaluate=False)


def problems() -> tuple[Minimize, Minimize, Minimize]:
    """The hard-margin primal, the soft-margin primal and the hinge-loss form."""
    hard = Minimize(HALF_NORM, sp.Tuple(W, B), sp.Tuple(sp.GreaterThan(MARGIN, 1, evaluate=False)), I, N)
    soft = Minimize(plus([HALF_NORM, times(C, sp.Sum(SLACK, (I, 1, N)))]), sp.Tuple(W, B, sp.Symbol("xi")),
                    sp.Tuple(sp.GreaterThan(MARGIN, plus([sp.Integer(1), -SLACK]), evaluate=False),
                             sp.GreaterThan(SLACK, 0, evaluate=False)), I, N)
    hinge = Minimize(plus([HALF_NORM, times(C, sp.Sum(sp.Max(0, 1 - MARGIN), (I, 1, N)))]), sp.Tuple(W, B),
                     sp.Tuple(), I, N)
    return hard, soft, hinge


def _setup() -> list:
    f = sp.Function("f")(sp.Symbol("x"))
    return [make_step("setup", say(
        "Data: ", sp.Tuple(XI, Y), " for ", I, " from 1 to ", N, ", with ", Rel(XI, "∈", Reals(D), kind="definition"),
        " and ", Rel(Y, "∈", sp.FiniteSet(-1, 1), kind="definition"), ". A linear classifier predicts ",
        Rel(f, "=", sp.sign(affine(W, X, B)), kind="definition"), "; its decision boundary is the hyperplane ",
        Rel(H, "=", plane(W, B), kind="definition"), " with ", Rel(W, "∈", Reals(D), kind="definition"), ", ",
        Rel(W, "≠", 0, kind="assumption"), " and ", Rel(B, "∈", Reals(), kind="definition"), "."), check=False)]


def _correct_side(nw) -> list:
    rho, s = sp.Symbol("rho", positive=True), sp.Symbol("s", integer=True)
    where = {XI: on_plane(U, W, B) + (((-1) ** s) * rho / nw) * W, Y: (-1) ** s}
    return [make_step(
        "correct_side", say("A sample is classified correctly when ", Rel(MARGIN, ">", 0, kind="definition"),
                            ". Then ", Y, " (which is 1 or −1) has the sign of ", affine(W, XI, B), ", so ",
                            Rel(sp.Abs(affine(W, XI, B)), "=", MARGIN), " and its distance to ", H, " is"),
        sp.Abs(affine(W, XI, B)) / nw, times(Y, sp.Mul(affine(W, XI, B), 1 / nw, evaluate=False)), where=where),
        make_step("objective", say("The margin of the data is the distance of the closest sample, ",
                                   extremum("min", sp.Mul(MARGIN, 1 / nw, evaluate=False), I), "; the SVM chooses ",
                                   sp.Tuple(W, B), " to make it as large as possible while every sample stays on "
                                   "its correct side."), check=False)]


def _scaling(dist, nw) -> list:
    c = sp.Symbol("c", positive=True)
    cw = sp.MatMul(c, W, evaluate=False)
    shown = sp.Mul(sp.Mul(c, sp.Abs(affine(W, X, B)), evaluate=False),
                   sp.Pow(sp.Mul(c, nw, evaluate=False), -1, evaluate=False), evaluate=False)
    z = sp.MatrixSymbol("z", D, 1)
    scaled = SetOf(z, sp.Eq(plus([sp.Trace(sp.MatMul(sp.Transpose(cw), z, evaluate=False)), times(c, B)]), 0,
                            evaluate=False))
    return [make_step(
        "scale_invariance", say("Scaling ", sp.Tuple(W, B), " to ", sp.Tuple(cw, times(c, B)), " with ",
                                Rel(c, ">", 0, kind="assumption"), " describes the same hyperplane, ",
                                Rel(scaled, "=", H, kind="fact"), ", and changes no distance:"),
        sp.Abs(plus([sp.Trace(sp.MatMul(sp.Transpose(cw), X, evaluate=False)), times(c, B)])) / Norm(cw), shown, dist),
        make_step("canonical", say("So the scale is ours to fix: choose it so that the closest samples have ",
                                   Rel(MARGIN, "=", 1, kind="assumption"), " (the canonical hyperplane). Every sample "
                                   "then satisfies ", Rel(MARGIN, "≥", 1, kind="fact"), ", and the closest ones lie "
                                   "on the planes ", Rel(affine(W, X, B), "=", 1, kind="fact"), " and ",
                                   Rel(affine(W, X, B), "=", -1, kind="fact"), "."), check=False)]


def _primal_steps(nw) -> list:
    t = sp.Symbol("t")
    hard, soft, hinge = problems()
    return [make_step("maximise", say("Maximising the margin ", 2 / nw, " is minimising ", nw, ", or equivalently ",
                                      HALF_NORM, " (the same minimiser, since ", sp.Lambda(t, t ** 2 / 2),
                                      " is increasing for ", Rel(t, "≥", 0, kind="assumption"), "; the square is "
                                      "differentiable and convex, with gradient ",
                                      Rel(Partial(HALF_NORM, W), "=", W, kind="fact"), ")."), check=False),
            make_step("hard_margin", say(Em("Hard-margin SVM primal"), " (separable data), a convex quadratic "
                                         "programme:"), hard, check=False),
            make_step("soft_margin", say(Em("Soft margin"), " (classes that overlap): no ", sp.Tuple(W, B), " meets "
                                         "every constraint, so each sample gets a slack variable ",
                                         Rel(SLACK, "≥", 0, kind="definition"), " that lets it violate its "
                                         "constraint by ", SLACK, " (inside the margin when ",
                                         Rel(SLACK, ">", 0, kind="definition"), " and ",
                                         Rel(SLACK, "≤", 1, kind="definition"), ", misclassified when ",
                                         Rel(SLACK, ">", 1, kind="definition"), "), at the cost ", times(C, SLACK),
                                         "; the constant ", Rel(C, ">", 0, kind="assumption"), " trades a wide "
                                         "margin against the violations:"), soft, check=False),
            make_step("hinge", say("At the optimum every slack is as small as its two constraints allow, ",
                                   Rel(SLACK, "=", sp.Max(0, 1 - MARGIN), kind="fact"), ", so the soft-margin "
                                   "primal is the unconstrained hinge-loss problem ", hinge, "."), check=False)]


@derivation("svm_primal", title="The SVM primal problem, derived from the geometry of the margin")
def svm_primal(problem) -> Derived:
    nw = Norm(W)
    steps = _setup() + normal_steps(W, B)
    more, dist = distance_steps(W, X, B)
    steps += more + _correct_side(nw) + _scaling(dist, nw)
    more, _ = margin_steps(W, B)
    steps += more + _primal_steps(nw)
    hard, soft, _ = problems()
    prose = say(Em("Hard margin:"), " ", hard, ". ", Em("Soft margin"), " (slack ", SLACK, ", penalty ",
                Rel(C, ">", 0, kind="assumption"), "): ", soft, ".")
    text = ("minimize 1/2*||w||^2 subject to y_i*(w^T x_i + b) >= 1 for i = 1..N; soft margin: minimize "
            "1/2*||w||^2 + C*sum(xi_i) subject to y_i*(w^T x_i + b) >= 1 - xi_i, xi_i >= 0")
    return Derived(make_answer(None, text=text, value=None, display=hard, prose=prose), tuple(steps))
