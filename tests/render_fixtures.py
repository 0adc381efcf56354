"""A hand-built Solution that uses every construct the renderers must lay out.

No deriver produces all of these yet (tables, nested substeps, relations, wide
matrices, choices, verdicts with prose, every error kind), so the renderer tests build
them here.  Every chain goes through `make_step`, so every shown equality is checked.
"""
from __future__ import annotations

from fractions import Fraction

import sympy as sp

from derive.derivers.registry import make_answer
from derive.model import functions as F
from derive.model.expressions import Seq
from derive.steps import ErrorInfo, Part, ProblemSolution, Result, Solution, Table, make_step
from derive.sentence import Math, Rel, say

PROSE = r"""Scores $s_i = w^T x_i$ are compared with a threshold θ ≥ 0 → an email is SPAM ✓ when
$s_i \ge \theta$. Costs: 50% & more, item #3, `snake_case_name` and {braces} ~ ^ \ done.
Naïve café — “quotes” and 🙂.

- a *first* point with **bold** text
- a second point with maths $\hat y_1 = \frac{1}{2}$
  1. nested and numbered
  2. another

$$ H(y, \hat y) = -\sum_i y_i \log \hat y_i $$

| class | count |
|---|--:|
| SPAM | 6 |
| NON-SPAM | 4 |
"""


def stress_solution() -> Solution:
    x, y = sp.symbols("x y", real=True)
    w1, eta, theta = sp.symbols("w1 eta theta", positive=True)
    y_hat = sp.Symbol("y_hat")
    wide = sp.ImmutableMatrix(2, 14, lambda i, j: (i + 1) * (j - 6))
    ones = sp.ImmutableMatrix([1] * 14)
    with sp.evaluate(False):
        product = sp.MatMul(wide, ones)
    value = wide * ones
    z = sp.MatrixSymbol("z", 2, 1)
    chain_long = [z, product, value]
    expanded = (x + y) ** 3
    steps_poly = [
        make_step("expand", "Expand the cube with the binomial theorem:", expanded,
                  x**3 + 3 * x**2 * y + 3 * x * y**2 + y**3),
        make_step("bound", say("For ", Rel(x, "≥", 0, kind="assumption"), " the square is at most ", Math(x**2 + 1), ":"), x**2, x**2 + 1, relation="≤",
                  check=False),
        make_step("decimal", "As a decimal:", sp.log(sp.Rational(10, 7)), sp.Float(0.356675, 6),
                  relation="≈"),
    ]
    table = Table(("threshold θ", "TP", "FP", "precision $p$"),
                  (("0.5", sp.Integer(5), sp.Integer(1), sp.Rational(5, 6)),
                   ("0.2", sp.Integer(6), sp.Integer(2), sp.Rational(3, 4))),
                  caption="Confusion counts at each threshold")
    nested = make_step("chain_rule", "Chain rule through every node:", substeps=[
        make_step("local", say("Local derivative of ", Math(sp.Symbol("L")), ":"), sp.Derivative(x**2, x), 2 * x, substeps=[
            make_step("power", "Power rule (depth 3):", sp.Derivative(x**3, x), 3 * x**2, substeps=[
                make_step("deep", "Depth 4, still readable:", sp.Integer(2) + 2, sp.Integer(4)),
            ]),
        ]),
        make_step("table", "The counts:", table=table),
    ])
    relu_step = make_step("substitute", "Apply ReLU elementwise:",
                          F.elementwise(F.relu, sp.MatrixSymbol("a", 3, 1)),
                          check=False)
    results = (
        Result("(a)", "expand((x + y)^3)", make_answer(x**3 + 3 * x**2 * y + 3 * x * y**2 + y**3), tuple(steps_poly)),
        Result("(b)", "W1 @ ones(14)", make_answer(value),
               (make_step("substitute", "Multiply the wide matrix by the ones vector:", *chain_long, where={z: value}),),
               marks=Fraction(3)),
        Result("(b)", "grad(L, w1)", make_answer(2 * w1 - eta), (nested, relu_step)),
        Result("(c)", "choice(p)", make_answer(sp.Rational(1, 2), choice="d"), ()),
        Result("(c)", "convex(L, w)", make_answer(True, prose="**Convex**: the Hessian $2X^TX$ is PSD (θ ≥ 0)."),
               ()),
        Result("(d)", "shapes(params())", make_answer({"W_Q1": (2, 2), "W_O": (2, 4)}), ()),
        Result("(d)", "attention(X)", make_answer(Seq((sp.ImmutableMatrix([1, 2]), sp.ImmutableMatrix([3, 4])))),
               ()),
        Result(None, None, make_answer(PROSE, text=PROSE, value=None, tex="", prose=PROSE), ()),
        Result("(e)", "grad(L, q)", None, (), ErrorInfo("the goal `grad` is not implemented yet", 12, 5,
                                                        "unsupported")),
        Result("(e)", "o", None, (), ErrorInfo("a link did not hold: 2 ≠ 3 & 50% off", 13, 7, "check_failed")),
        Result("(f)", "big(10^9)", None, (), ErrorInfo("too large", None, None, "limit")),
        Result("(f)", "W1 @ z", None, (), ErrorInfo("shapes (2, 14) and (3, 1) do not match for `@`", 15, 3)),
    )
    parts = (Part("(a)", "Expand $(x + y)^3$ — show **every** step.", Fraction(2)),
             Part("(b)", "Multiply; then differentiate with respect to $w_1$.", None),
             Part("(g)", "A part with no goal: explain in words.", Fraction(1)))
    p1 = ProblemSolution("Everything at once: tables, substeps & Unicode (θ ≥ 0)", "Part I — basics",
                         Fraction(10), PROSE, results, parts, 1)
    p2 = ProblemSolution("A second problem", "Part I — basics", Fraction(5, 2), "Short text with `code`.",
                         (Result(None, "y_hat", make_answer(y_hat + theta), ()),), (), 2)
    return Solution((p1, p2), title="Stress test: 100% of the *constructs*", course="CS 4xx — ML",
                    date="2025", source="<fixture>")
