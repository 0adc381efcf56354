"""Explicit integer matrices built straight into sympy's own sparse representation.

In: rows, cols and the entries row by row (Python ints).  Out: `int_matrix` gives the
ImmutableMatrix that `sp.ImmutableMatrix(rows, cols, entries)` gives (the same SDM
representation over ZZ, so equal, with the same hash and the same printing), in a
third of the time: sympy's constructor sympifies every entry and converts the list
to a domain matrix, which made up most of drawing a random point for a check
(derive.verify._random_point).  It uses sympy's DomainMatrix internals; where they are
not as expected (another sympy version), it is the public constructor.
"""
from __future__ import annotations

import sympy as sp

try:
    from sympy.polys.domains import ZZ
    from sympy.polys.matrices import DomainMatrix
    from sympy.polys.matrices.sdm import SDM
    _fromrep = sp.ImmutableDenseMatrix._fromrep
except (ImportError, AttributeError):        # pragma: no cover - another sympy
    _fromrep = None


def int_matrix(rows: int, cols: int, entries: list[int]) -> sp.ImmutableMatrix:
    """The rows × cols ImmutableMatrix of `entries` (ints, row by row)."""
    if _fromrep is None or not all(type(v) is int for v in entries):
        return sp.ImmutableMatrix(rows, cols, entries)
    sparse = {}
    for i in range(rows):
        row = {j: ZZ(v) for j, v in enumerate(entries[i * cols:(i + 1) * cols]) if v}
        if row:
            sparse[i] = row
    try:
        return _fromrep(DomainMatrix.from_rep(SDM(sparse, (rows, cols), ZZ)))
    except (TypeError, AttributeError):      # pragma: no cover - another sympy
        return sp.ImmutableMatrix(rows, cols, entries)
