"""Whether two solution sets are the same interval written differently.

In: two sympy sets.  Out: True when both are intervals with the same openness and ends
that are equal as numbers: radicals that simplify to each other ((4 − √10)/6 and
1/(4 + √10)), or decimals agreeing to 20 significant digits.  Used by derive.verify to
compare the solution sets of ⇔ chains.
"""
from __future__ import annotations

from typing import Any

import sympy as sp


def same_intervals(a: sp.Set, b: sp.Set) -> bool:
    """Two intervals with the same ends written differently ((4 − √10)/6 and 1/(4 + √10))."""
    if not (isinstance(a, sp.Interval) and isinstance(b, sp.Interval)) or (a.left_open, a.right_open) != \
            (b.left_open, b.right_open):
        return False

    def same(x: Any, y: Any) -> bool:
        if x == y:
            return True
        if x.has(sp.Float) or y.has(sp.Float):      # decimal ends: to 20 significant digits
            return bool(abs(sp.N(x - y, 30)) <= sp.Float("1e-20") * max(1, abs(sp.N(x, 30))))
        return sp.radsimp(x - y) == 0 or sp.simplify(x - y) == 0
    return same(a.start, b.start) and same(a.end, b.end)
