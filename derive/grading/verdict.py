"""The verdict on one response (`Verdict`) and on one entry of a vector or matrix
(`Entry`), as derive.grading.compare and derive.grading.fast make them."""
from __future__ import annotations

from typing import Any

import sympy as sp

from ..records import record


@record
class Entry:
    """The verdict on one entry of a vector or matrix (`index` 1-based, as printed)."""
    index: tuple[int, ...]
    correct: bool | None
    expected: str
    given: str

    def to_json(self) -> dict:
        return {"index": list(self.index), "correct": self.correct, "expected": self.expected, "given": self.given}


@record
class Verdict:
    """`score` in [0, 1] (None: undecided), `tag` for the note, `entries` per entry, and
    `given` the response as read (a sympy object, for feedback; for a vector or matrix
    with a wrong entry it may be None: the feedback shows the entries)."""
    score: float | None
    tag: str
    entries: tuple[Entry, ...] = ()
    given: Any = None
    reading: str | None = None      # the accepted alternative it matched, by its reading


def _text(x: Any) -> str:
    """An entry as short text (`-5`, `3/4`; sympy's printer for anything else)."""
    if isinstance(x, sp.Rational):
        return str(int(x.p)) if x.q == 1 else f"{int(x.p)}/{int(x.q)}"
    return str(x)
