"""The marks of a problem's labelled parts checked against each other and its points
(moved out of problem.py, which had grown past 500 lines)."""
from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

from .. import ast
from ..errors import Pos, SpecError

if TYPE_CHECKING:
    from .problem import Problem


def check_marks(problem: "Problem", pdef: ast.ProblemDef) -> None:
    """Labels are unique per problem: a label has at most one `text` and one `find` or
    `answer` (a `find` with several goals shares its label).  A label's marks, written on its
    text or on its goal, agree; with `points`, the marks add up to the points."""
    marks: dict[str, tuple[Fraction, Pos]] = {}
    seen: dict[tuple[bool, str], Pos] = {}
    labels: list[str] = []
    for stmt in pdef.statements:
        lab = getattr(stmt, "label", None)
        if lab is None:
            continue
        key = (isinstance(stmt, ast.TextStmt), lab.text)
        if key in seen:
            raise SpecError(f"the label {lab.text} is used twice in this problem (first at line "
                            f"{seen[key].line})", lab.pos)
        seen[key] = lab.pos
        if lab.text not in labels:
            labels.append(lab.text)
        if lab.marks is not None:
            if lab.text in marks and marks[lab.text][0] != lab.marks:
                first, at = marks[lab.text]
                raise SpecError(f"{lab.text} is worth {lab.marks} marks here but {first} at line {at.line}", lab.pos)
            marks.setdefault(lab.text, (lab.marks, lab.pos))
    if pdef.points is not None and marks:
        total = sum(m for m, _ in marks.values())
        if total != pdef.points:
            unmarked = [lab for lab in labels if lab not in marks]
            note = (f"; {', '.join(unmarked)} {'has' if len(unmarked) == 1 else 'have'} no marks"
                    if unmarked else "")
            raise SpecError(f"the parts' marks add up to {total}, but the problem has points {pdef.points}{note}",
                            pdef.pos)
