"""One solution per spec file in a test process, shared by the test modules that only read it.

`solved(path)` is `derive.solve(path)` the first time and the same `Solution` afterwards (a
Solution is immutable).  The seed exam and the corpus are read by a dozen modules; deriving
them once per worker, not once per module, is a large part of the suite's time.  Tests of
solving itself (determinism, caches, limits) call `derive.solve` directly.
"""
from __future__ import annotations

import functools
import os
from pathlib import Path

import derive


def solved(path: str | os.PathLike) -> derive.Solution:
    return _solve(str(Path(path).resolve()))


@functools.lru_cache(maxsize=None)
def _solve(path: str) -> derive.Solution:
    return derive.solve(path)
