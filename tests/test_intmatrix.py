"""derive.intmatrix: the integer matrices of random check points are sympy's own (the
same representation, equality, hash, printing and arithmetic as the public constructor)."""
from __future__ import annotations

import random

import sympy as sp

from derive.intmatrix import int_matrix


def test_the_same_matrix_as_sympys_constructor():
    rnd = random.Random(0)
    for _ in range(300):
        r, c = rnd.randint(1, 5), rnd.randint(1, 5)
        vals = [rnd.randint(-4, 4) for _ in range(r * c)]
        a, b = sp.ImmutableMatrix(r, c, vals), int_matrix(r, c, vals)
        assert type(a) is type(b) and a == b and hash(a) == hash(b) and a._rep == b._rep
        assert str(a) == str(b) and sp.latex(a) == sp.latex(b) and a.tolist() == b.tolist()
        assert a * a.T == b * b.T and a + a == b + b and a.T == b.T


def test_entries_that_are_not_ints_take_the_public_constructor():
    m = int_matrix(1, 2, [sp.Rational(1, 2), 3])
    assert m == sp.ImmutableMatrix([[sp.Rational(1, 2), 3]])
    assert int_matrix(2, 2, [0, 0, 0, 0]) == sp.zeros(2, 2)
