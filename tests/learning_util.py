"""Helpers of the tests/test_learning_*.py files: a goal solved from spec text, and specs
written from NumPy arrays (exact: integers, or decimals that the language reads exactly)."""
from __future__ import annotations

import numpy as np

import derive


def solve_one(body: str):
    """The one result of a problem whose statements are `body`."""
    solution = derive.solve('problem "p" {\n' + body + "\n}\n")
    (result,) = solution.results
    return result


def answer(body: str):
    """(answer expr, extra as a dict) of a goal that must solve, every step checked or a definition."""
    r = solve_one(body)
    assert r.error is None, r.error
    for top in r.steps:
        for s in top.walk():
            assert s.checked in (True, None)
    return r.answer.expr, dict(r.answer.extra)


def error(body: str):
    """The ErrorInfo of a goal that must fail."""
    r = solve_one(body)
    assert r.error is not None, "expected an error"
    assert r.error.kind != "internal", r.error.message
    return r.error


def mat(a) -> str:
    """A NumPy array as a spec literal (rows)."""
    a = np.asarray(a)
    if a.ndim == 1:
        return "[" + ", ".join(_num(x) for x in a) + "]"
    return "[" + ", ".join(mat(r) for r in a) + "]"


def words(a) -> str:
    """A list (or table) of strings as a spec literal."""
    if isinstance(a[0], (list, tuple, np.ndarray)):
        return "[" + ", ".join(words(r) for r in a) + "]"
    return "[" + ", ".join(f'"{x}"' for x in a) + "]"


def _num(x) -> str:
    if float(x).is_integer():
        return str(int(x))
    return repr(float(x))
