"""The exact solution sets behind a checked `⇔` (derive.verify): conditions between
continuous piecewise polynomials (|.|, max, min, nested) are solved by derive's own route,
and every answer is checked against the condition evaluated at many sample points (not
against sympy's solveset, which gets some of these wrong: see the last test)."""
from __future__ import annotations

import random

import numpy as np
import pytest
import sympy as sp

from derive.solution_sets import solution_set as _solution_set

x = sp.Symbol("x", real=True)
HALF = sp.Rational(1, 2)
EXPRS = [sp.Abs(1 - x * sp.Rational(7, 5)), sp.Abs(sp.Abs(x - 1) - 2), sp.Max(x, 2 - x, x ** 2 - 3),
         x ** 3 - 2 * x, sp.Abs(x ** 2 - 2) - x, sp.Min(sp.Abs(x), 1), x ** 2 * sp.Abs(x - 1),
         sp.Abs(1 - x * sp.Rational(3, 10)) - sp.Abs(1 - x * sp.Rational(1, 10))]
RELS = (sp.Lt, sp.Ge, sp.Ne)          # (Le, Gt and Eq are their complements and boundaries)
DOMAINS = (sp.S.Reals, sp.Interval.open(0, sp.oo))


def _cases():
    for e in EXPRS:
        for rel in RELS:
            for c in (HALF, sp.Rational(7, 3)):
                cond = rel(e, c)
                if isinstance(cond, sp.core.relational.Relational):
                    yield cond


@pytest.mark.parametrize("domain", DOMAINS, ids=["reals", "positive"])
def test_solution_sets_agree_with_the_condition_at_sample_points(domain):
    rng = random.Random(5)
    samples = sorted({rng.uniform(-6, 6) for _ in range(200)} | {k / 4 for k in range(-24, 25)})
    for cond in _cases():
        got = _intervals(_solution_set(cond, x, domain))
        f = sp.lambdify(x, cond.lhs - cond.rhs, "numpy")
        for t in samples:
            if domain is not sp.S.Reals and t <= 0:
                continue
            v = float(f(t))
            if abs(v) < 1e-9:
                continue    # on a boundary: decided exactly below
            holds = {sp.Lt: v < 0, sp.Le: v < 0, sp.Gt: v > 0, sp.Ge: v > 0, sp.Eq: False, sp.Ne: True}[type(cond)]
            assert any(lo < t < hi for lo, hi in got) == holds, (cond, t, got)


def _intervals(s: sp.Set) -> list[tuple[float, float]]:
    """The open intervals of a union, as float pairs (isolated points do not matter away from
    boundaries, where the sample test skips)."""
    parts = s.args if isinstance(s, sp.Union) else (s,)
    out = []
    for p in parts:
        if isinstance(p, sp.Interval):
            out.append((float(p.start), float(p.end)))
        else:
            assert isinstance(p, sp.FiniteSet) or p is sp.S.EmptySet, p
    return out


def test_boundary_points_are_decided_exactly():
    assert _solution_set(sp.Le(sp.Abs(1 - 2 * x), 1), x, sp.S.Reals) == sp.Interval(0, 1)
    assert _solution_set(sp.Lt(sp.Abs(1 - 2 * x), 1), x, sp.S.Reals) == sp.Interval.open(0, 1)
    assert _solution_set(sp.Eq(x ** 2 * sp.Abs(x - 1), 0), x, sp.S.Reals) == sp.FiniteSet(0, 1)
    assert np.isclose(float(_solution_set(sp.Ge(x ** 3 - 2 * x, 0), x, sp.Interval.open(0, sp.oo)).inf),
                      np.sqrt(2))


def test_a_nested_absolute_value_that_solveset_gets_wrong():
    """|(|x − 1| − 2)| < 7/3 ⇔ |x − 1| < 13/3 ⇔ −10/3 < x < 16/3; sympy 1.x's solveset answers
    all of ℝ (x = 6 gives |5 − 2| = 3 > 7/3)."""
    cond = sp.Abs(sp.Abs(x - 1) - 2) < sp.Rational(7, 3)
    assert _solution_set(cond, x, sp.S.Reals) == sp.Interval.open(sp.Rational(-10, 3), sp.Rational(16, 3))
    assert not cond.subs(x, 6)
