"""`derivation(svm_primal)`: the SVM primal problem, derived geometrically.

Out: the hard-margin primal min ½‖w‖² subject to yᵢ(wᵀxᵢ + b) ≥ 1, and the soft-margin
primal with slacks ξᵢ and the penalty C.  The steps: the hyperplane and its normal, the
point-to-plane distance |wᵀx + b|/‖w‖, the distance of a correctly classified point
yᵢ(wᵀxᵢ + b)/‖w‖, the scale invariance of (w, b), the canonical scaling and the margin
2/‖w‖, and the equivalent minimisation.  Every equality is checked at random vectors
(points constructed to satisfy each step's hypothesis, see _geometry).
"""
from __future__ import annotations

import sympy as sp

from ..derivers.registry import Derived, make_answer
from ..model.functions import Norm
from ..steps import make_step
from . import derivation
from ._geometry import affine, distance_steps, margin_steps, normal_steps, on_plane
from ._display import Tex, named, plus, times

HARD = (r"\min_{w,\, b} \ \tfrac{1}{2} \lVert w \rVert^2 \quad \text{subject to} \quad "
        r"y_i (w^T x_i + b) \ge 1, \quad i = 1, \dots, N")
SOFT = (r"\min_{w,\, b,\, \xi} \ \tfrac{1}{2} \lVert w \rVert^2 + C \sum_{i=1}^{N} \xi_i \quad \text{subject to} \quad "
        r"y_i (w^T x_i + b) \ge 1 - \xi_i, \quad \xi_i \ge 0, \quad i = 1, \dots, N")


@derivation("svm_primal", title="The SVM primal problem, derived from the geometry of the margin")
def svm_primal(problem) -> Derived:
    d = sp.Symbol("d", integer=True, positive=True)
    w, x, xi_vec, u = (sp.MatrixSymbol(n, d, 1) for n in ("w", "x", "x_i", "u"))
    b = sp.Symbol("b", real=True)
    y = sp.Symbol("y_i", real=True)
    rho = sp.Symbol("rho", positive=True)
    s = sp.Symbol("s", integer=True)
    c = sp.Symbol("c", positive=True)
    nw = Norm(w)
    steps = [make_step(
        "setup", "Data: $(x_i, y_i)$, $i = 1, \\dots, N$, with $x_i \\in \\mathbb{R}^d$ and $y_i \\in \\{-1, +1\\}$. "
                 "A linear classifier predicts $f(x) = \\operatorname{sign}(w^T x + b)$; its decision boundary is the "
                 "hyperplane $H = \\{x : w^T x + b = 0\\}$ with $w \\in \\mathbb{R}^d$, $w \\ne 0$, $b \\in \\mathbb{R}$.",
        check=False)]
    steps += normal_steps(w, b)
    more, dist = distance_steps(w, x, b)
    steps += more
    # a correctly classified point: y_i (wᵀx_i + b) > 0, with y_i = ±1
    steps.append(make_step(
        "correct_side", "A sample is classified correctly when $y_i (w^T x_i + b) > 0$. Then $y_i = \\pm 1$ has the "
                        "sign of $w^T x_i + b$, so $|w^T x_i + b| = y_i (w^T x_i + b)$ and its distance to $H$ is",
        sp.Abs(affine(w, xi_vec, b)) / nw, times(y, sp.Mul(affine(w, xi_vec, b), 1 / nw, evaluate=False)),
        where={xi_vec: on_plane(u, w, b) + (((-1) ** s) * rho / nw) * w, y: (-1) ** s}))
    steps.append(make_step(
        "objective", "The margin of the data is the distance of the closest sample, "
                     "$\\min_i \\frac{y_i (w^T x_i + b)}{\\lVert w \\rVert}$; the SVM chooses $(w, b)$ to make it as "
                     "large as possible while every sample stays on its correct side.", check=False))
    steps.append(make_step(
        "scale_invariance", "Scaling $(w, b)$ to $(c\\,w, c\\,b)$ with $c > 0$ describes the same hyperplane and "
                            "changes no distance:",
        sp.Abs(plus([sp.Trace(sp.MatMul(sp.Transpose(sp.MatMul(c, w, evaluate=False)), x, evaluate=False)),
                     times(c, b)])) / Norm(sp.MatMul(c, w, evaluate=False)),
        named(r"\frac{c\, \left| w^T x + b \right|}{c\, \lVert w \rVert}", c * sp.Abs(affine(w, x, b)) / (c * nw)),
        dist))
    steps.append(make_step(
        "canonical", "So the scale is ours to fix: choose it so that the closest samples have "
                     "$y_i (w^T x_i + b) = 1$ (the canonical hyperplane). Every sample then satisfies "
                     "$y_i (w^T x_i + b) \\ge 1$, and the closest ones lie on the planes $w^T x + b = \\pm 1$.",
        check=False))
    more, margin = margin_steps(w, b)
    steps += more
    steps.append(make_step(
        "maximise", "Maximising the margin $\\frac{2}{\\lVert w \\rVert}$ is minimising $\\lVert w \\rVert$, or "
                    "equivalently $\\tfrac{1}{2} \\lVert w \\rVert^2$ (the same minimiser, since $t \\mapsto "
                    "\\tfrac{1}{2} t^2$ is increasing for $t \\ge 0$; the square is differentiable and convex, with "
                    "gradient $w$).", check=False))
    steps.append(make_step(
        "hard_margin", "**Hard-margin SVM primal** (separable data), a convex quadratic programme:",
        Tex(HARD), check=False))
    steps.append(make_step(
        "soft_margin", "**Soft margin** (classes that overlap): no $(w, b)$ meets every constraint, so each sample gets "
                       "a slack variable $\\xi_i \\ge 0$ that lets it violate its constraint by $\\xi_i$ (inside the "
                       "margin for $0 < \\xi_i \\le 1$, misclassified for $\\xi_i > 1$), at the cost $C \\xi_i$; "
                       "the constant $C > 0$ trades a wide margin against the violations:",
        Tex(SOFT), check=False))
    steps.append(make_step(
        "hinge", "At the optimum every slack is as small as its two constraints allow, "
                 "$\\xi_i = \\max(0,\\ 1 - y_i (w^T x_i + b))$, so the soft-margin primal is the unconstrained "
                 "hinge-loss problem $\\min_{w, b} \\tfrac{1}{2} \\lVert w \\rVert^2 + C \\sum_i \\max(0,\\ 1 - y_i "
                 "(w^T x_i + b))$.", check=False))
    prose = ("**Hard margin:**\n\n"
             f"$$ {HARD} $$\n\n"
             "**Soft margin** (slack $\\xi_i$, penalty $C > 0$):\n\n"
             f"$$ {SOFT} $$")
    text = ("minimize 1/2*||w||^2 subject to y_i*(w^T x_i + b) >= 1 for i = 1..N; soft margin: minimize "
            "1/2*||w||^2 + C*sum(xi_i) subject to y_i*(w^T x_i + b) >= 1 - xi_i, xi_i >= 0")
    return Derived(make_answer(None, text=text, value=None, tex=HARD, prose=prose), tuple(steps))
