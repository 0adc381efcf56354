"""derive.enclose: rigorous enclosures decide derive.verify's rule for numbers, and say
None where they cannot.  Each expectation is worked by hand (log 9 / 2 = log 3;
√2·√3 = √6; 355/113 − π ≈ 2.7e-7; e^-200 ≈ 1.4e-87 is below the tolerance 10^-32 × 3,
e^-60 ≈ 8.8e-27 is above it), and `same` is checked against sympy's evalf at 60 digits."""
from __future__ import annotations

import random
from fractions import Fraction

import mpmath
import pytest
import sympy as sp

from derive import enclose


@pytest.mark.parametrize("a, b, want", [
    (sp.log(3), sp.log(9) / 2, True), (sp.sqrt(2) * sp.sqrt(3), sp.sqrt(6), True),
    (sp.pi, sp.Rational(355, 113), False), (3 + sp.exp(-200), sp.Integer(3), True),
    (3 + sp.exp(-60), sp.Integer(3), False), (sp.exp(sp.Rational(1, 2)), sp.sqrt(sp.E), True),
    (sp.Abs(-sp.pi) / 2, sp.pi / 2, True), (2 ** sp.Rational(1, 3), sp.Integer(2) ** sp.Rational(1, 3) + 10 ** -20, False),
])
def test_same_decides_the_rule(a, b, want):
    assert enclose.same(a, b, 40) is want


@pytest.mark.parametrize("x", [sp.Symbol("x"), sp.log(-2), sp.sqrt(-3), sp.sin(1), sp.exp(10 ** 6),
                               sp.exp(sp.exp(20))])
def test_what_it_cannot_enclose_is_none(x):
    assert enclose.bounds(x) is None or enclose.same(x, sp.Integer(0), 40) is None


def test_the_bounds_hold_the_value():
    lo, hi = enclose.bounds(sp.log(9) / 2)
    with mpmath.workdps(80):
        v = mpmath.log(3)
        assert mpmath.mpf(lo.numerator) / lo.denominator <= v <= mpmath.mpf(hi.numerator) / hi.denominator
    assert 0 < hi - lo < Fraction(1, 10 ** 36)


def test_same_agrees_with_sympy_on_random_numbers():
    """Sums of logs, roots and powers of small rationals, against evalf at 60 digits
    (a pair near the tolerance may be None, never the wrong answer)."""
    rnd = random.Random(3)
    atoms = [sp.log(2), sp.log(3), sp.sqrt(2), sp.sqrt(5), sp.pi, sp.E, sp.Rational(1, 3), sp.exp(-1)]
    decided = 0
    for _ in range(200):
        a = sum(rnd.randint(-3, 3) * rnd.choice(atoms) for _ in range(3))
        b = a + rnd.choice([0, 0, sp.Rational(1, 10 ** rnd.randint(1, 40))])
        want = abs(sp.N(a - b, 60)) <= sp.Float(10) ** -32 * max(abs(sp.N(a, 20)), abs(sp.N(b, 20)), 1)
        got = enclose.same(a, b, 40)
        assert got in (None, bool(want))
        decided += got is not None
    assert decided >= 190


def test_the_hosts_mpmath_precision_does_not_matter():
    """derive.enclose works in contexts of its own: a host that set mpmath.mp or mpmath.iv
    to 5 digits gets the same verdicts, and its settings are left as they were."""
    old = mpmath.mp.dps, mpmath.iv.dps
    try:
        mpmath.mp.dps = mpmath.iv.dps = 5
        enclose._box.cache_clear()
        enclose._size.cache_clear()
        assert enclose.same(sp.log(3), sp.log(9) / 2, 40) is True
        assert enclose.same(3 + sp.exp(-60), sp.Integer(3), 40) is False
        assert (mpmath.mp.dps, mpmath.iv.dps) == (5, 5)
    finally:
        mpmath.mp.dps, mpmath.iv.dps = old
