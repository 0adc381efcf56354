"""The `Grade` record of one answer, and how a verdict becomes one (`judge`, `make_grade`,
`feedback`); `derive.grading.grade.grade` is the entry point.

The response is read by derive's grammar (derive.grading.reading), compared per kind
(derive.grading.compare) within `time_limit` seconds (derive.limits: a deadline and the
watchdog; nothing process-wide).  A response that cannot be read is `invalid` (never
`incorrect`), with the message and column in `error`; a comparison that cannot be
decided in time, or a prose answer, is `undecided`.
"""
from __future__ import annotations

import functools
import re
from fractions import Fraction
from typing import Any

from .. import limits
from ..errors import DeriveError
from ..printing import latex
from . import fast
from .acceptance import Acceptance
from .compare import Entry, Verdict, compare
from .reading import FormatError
from ..records import record

STATUSES = ("correct", "partial", "incorrect", "invalid", "undecided")


@record
class Ecf:
    """Error carried forward: the earlier answers used (`given`: id -> the student's
    text), the answer expected under them, and the cap on the credit."""
    given: tuple[tuple[str, str], ...]
    expected: str
    credit: float

    def to_json(self) -> dict:
        return {"given": dict(self.given), "expected": self.expected, "credit": self.credit}


@record
class Grade:
    """The grade of one answer.  `status`: one of STATUSES; `score` in [0, 1]; `points` =
    score × marks (None without marks); `check`: how it was compared; `entries`: the
    verdict per entry of a vector or matrix; `ecf`: set when the credit comes from the
    student's own earlier answers; `feedback`: Markdown with `$...$`; `note`: a stable
    tag for item analysis (`"II.1(b)-wrong-sign"`); `error`: why an answer is invalid
    (kind "format_error", message and 1-based column); `response`: the text graded (at most 200 characters)."""
    id: str | None
    goal: str | None
    marks: Fraction | None
    status: str
    score: float
    points: float | None
    check: str
    entries: tuple[Entry, ...] = ()
    ecf: Ecf | None = None
    feedback: str = ""
    note: str = ""
    error: tuple[tuple[str, Any], ...] = ()
    response: str = ""

    def to_json(self) -> dict:
        """JSON-ready, keys in a fixed order (docs/grading.md)."""
        return {"id": self.id, "goal": self.goal, "marks": _num(self.marks), "status": self.status,
                "score": _num(self.score), "points": _num(self.points), "check": self.check,
                "entries": [e.to_json() for e in self.entries],
                "ecf": self.ecf.to_json() if self.ecf else None, "feedback": self.feedback, "note": self.note,
                "error": dict(self.error) if self.error else None, "response": self.response}


def _num(x: Any) -> Any:
    if x is None:
        return None
    f = float(x)
    return int(f) if f.is_integer() else round(f, 6)


def _latex(x: Any) -> str:
    try:
        if isinstance(x, (frozenset, set)):
            return ", ".join(sorted(x)) or "none"
        if isinstance(x, bool):
            return "\\text{yes}" if x else "\\text{no}"
        if isinstance(x, tuple):
            return "(" + ", ".join(str(n) for n in x) + ")"
        return latex(x)
    except Exception:   # noqa: BLE001 - feedback only: fall back to sympy's text
        return str(x)


def judge(acc: Acceptance, response: str, time_limit: float,
          names: dict[str, Any] | None = None) -> tuple[Verdict | None, FormatError | None]:
    """The verdict on `response` within `time_limit` seconds, or the FormatError."""
    if acc.kind == "manual":
        return Verdict(None, "manual"), None
    seen = fast.recall(acc, response, names)       # a response seen before: its verdict (derive.grading.fast)
    if seen is not None:
        return (None, seen) if isinstance(seen, FormatError) else (seen, None)
    verdict, error = _judge(acc, response, time_limit, names)
    if error is not None or (verdict is not None and verdict.tag != "undecided"):
        fast.remember(acc, response, names, error if error is not None else verdict)
    return verdict, error


def _judge(acc: Acceptance, response: str, time_limit: float,
           names: dict[str, Any] | None) -> tuple[Verdict | None, FormatError | None]:
    try:
        if acc.kind not in ("expression", "vector", "matrix") or not acc.symbols:   # (bounded by reading's limits)
            return compare(acc, response, names), None
        with limits.running(_budget(time_limit)):
            with limits.interruptible():
                return compare(acc, response, names), None
    except FormatError as exc:
        return None, exc
    except (DeriveError, RecursionError, MemoryError):
        return Verdict(None, "undecided"), None
    except (ArithmeticError, ValueError, TypeError, AttributeError):   # sympy refused a value
        return None, FormatError("this answer cannot be evaluated")


@functools.lru_cache(maxsize=64)
def _budget(seconds: float) -> limits.Limits:
    """The (immutable) Limits of a comparison of `seconds`, made once per value."""
    return limits.Limits(time=seconds)


def make_grade(acc: Acceptance, result: Any, response: str, verdict: Verdict | None,
               error: FormatError | None, ecf: Ecf | None = None) -> Grade:
    """The Grade for a verdict (or a FormatError)."""
    rid = acc.id
    shown = response if isinstance(response, str) and len(response) <= 200 else str(response)[:199] + "…"
    marks = acc.marks
    if error is not None:
        tag = _error_tag(error.message)
        return Grade(rid, result.goal, marks, "invalid", 0.0, 0.0 if marks is not None else None, acc.check,
                     feedback=f"This answer cannot be read: {error.message} (column {error.column}).",
                     note=f"{rid}-invalid-{tag}",
                     error=(("kind", "format_error"), ("message", error.message), ("column", error.column)),
                     response=shown)
    if verdict.score is None:
        why = ("It is marked by hand." if verdict.tag == "manual" else
               "derive could not decide whether it equals the answer in the time allowed.")
        return Grade(rid, result.goal, marks, "undecided", 0.0, None, acc.check, verdict.entries, ecf,
                     why, f"{rid}-{verdict.tag}", (), shown)
    score = verdict.score if ecf is None else min(verdict.score, ecf.credit)
    status = "correct" if score >= 1 else "incorrect" if score <= 0 else "partial"
    points = float(marks) * score if marks is not None else None
    note = f"{rid}-{verdict.tag}" + ("-ecf" if ecf is not None else "")
    return Grade(rid, result.goal, marks, status, score, points, acc.check, verdict.entries, ecf,
                 feedback(acc, verdict, ecf, shown), note, (), shown)


def _error_tag(message: str) -> str:
    if message.startswith("unexpected") or "ends too soon" in message:
        return "syntax"
    if message.startswith("unknown name"):
        return "name"
    if "shape" in message or "expected" in message:
        return "form"
    if "large" in message or "long" in message or "digits" in message or "deep" in message:
        return "size"
    return "syntax"


_PLAIN = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


def feedback(acc: Acceptance, verdict: Verdict, ecf: Ecf | None, response: str | None = None) -> str:
    """Markdown feedback on a decided verdict."""
    key = acc.latex or _latex(acc.value)
    if ecf is None and verdict.entries and not verdict.tag.startswith("correct"):
        wrong = [e for e in verdict.entries if e.correct is False]
        where = ", ".join("(" + ", ".join(map(str, e.index)) + ")" for e in wrong[:5])
        return f"{len(wrong)} of {len(verdict.entries)} entries are wrong (at {where}); the answer is ${key}$."
    if ecf is not None:
        used = ", ".join(f"{i} = ${_latex_text(t)}$" for i, t in ecf.given)
        return (f"Consistent with your earlier answer{'s' if len(ecf.given) > 1 else ''} ({used}): with "
                f"{'them' if len(ecf.given) > 1 else 'it'} the answer is ${ecf.expected}$ "
                f"(error carried forward; the answer itself is ${key}$).")
    plain = response is not None and _PLAIN.fullmatch(response.strip())
    given = response.strip() if plain else _latex(verdict.given)   # a decimal as written, not as a fraction
    if verdict.reading is not None and verdict.tag.startswith("correct"):
        return f"Correct under the reading “{verdict.reading}”: ${given}$ (the key's reading gives ${key}$)."
    if verdict.tag.startswith("correct"):
        return f"Correct: ${given}$."
    if verdict.tag == "wrong-sign":
        return f"Not right: ${given}$ has the wrong sign; the answer is ${key}$."
    return f"Not right: you gave ${given}$; the answer is ${key}$."


def _latex_text(text: str) -> str:
    from .reading import read
    try:
        return _latex(read(text).items[0])
    except Exception:   # noqa: BLE001 - an unreadable earlier answer is shown as code
        return "\\text{" + "".join(c for c in text[:40] if c.isalnum() or c in " .,-+/") + "}"
