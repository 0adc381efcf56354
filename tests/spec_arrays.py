"""NumPy arrays written into specs, for the tests that check layers against PyTorch.

`literal(name, a)` -> (`let` lines, expression): a matrix literal for 1-D and 2-D arrays, a
list of named matrices for 3-D, a list of lists of them for 4-D (as the conv and norm
layers take their inputs).
"""
from __future__ import annotations

import numpy as np


def literal(name: str, a) -> tuple[list[str], str]:
    """`let` lines and the expression of an array: a matrix literal (2-D), a list of named
    matrices (3-D) or of lists of them (4-D)."""
    a = np.asarray(a)
    if a.ndim <= 2:
        return [], str(a.tolist())
    lines, items = [], []
    for i, sub in enumerate(a):
        more, expr = literal(f"{name}_{i}", sub)      # (x_1_0, never x10: one name per index)
        lines += more
        if sub.ndim == 2:
            lines.append(f"let {name}_{i} = {expr}")
            expr = f"{name}_{i}"
        items.append(expr)
    return lines, "[" + ", ".join(items) + "]"
