"""Grading student answers against derive's key (docs/grading.md).

    from derive.grading import accept, grade, grade_solution
    g = grade(solution.result("II.1(b)"), "24")          # Grade(status="correct", score=1, ...)

`accept` says what counts as right (an `Acceptance`); `grade` reads one response with
derive's own grammar (never eval) and compares it; `grade_solution` grades a student's
whole answer sheet, carrying errors forward.
"""
from __future__ import annotations

from .acceptance import Acceptance, Alternative, accept

__all__ = ["Acceptance", "Alternative", "accept"]

from .grade import grade  # noqa: E402
from .record import Ecf, Grade  # noqa: E402
from .compare import Entry  # noqa: E402
from .reading import FormatError  # noqa: E402

__all__ += ["Ecf", "Entry", "FormatError", "Grade", "grade"]
from .sheet import grade_solution  # noqa: E402

__all__ += ["grade_solution"]
