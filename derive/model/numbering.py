"""The names a spec's problems go by: each problem's printed number (counted within its
section) and its results' id prefix (`"4"`, `"II.1"` or the problem's own name).

In: the parsed problems (`ast.ProblemDef`s, in document order).  Out: lists of numbers and
strings, one per problem; a name used twice is a SpecError."""
from __future__ import annotations

from .. import ast
from ..errors import SpecError


def refs(problems: "list[ast.ProblemDef] | tuple[ast.ProblemDef, ...]") -> list[str]:
    """Each problem's part of its results' ids (`"4"` in `"4(d)"`): its own name where the
    spec gives one (`problem mlp "..."`); else its printed number, after the Roman numeral
    of its section when the spec has sections (`"II.1"`: the first problem of the second
    section).  Counted from the top, so editing a problem below never changes an id above;
    a name used twice is a SpecError at the second problem."""
    out: list[str] = []
    seen: dict[str, ast.ProblemDef] = {}
    sections, previous = 0, object()
    for p, n in zip(problems, numbers(problems)):
        if p.section is not None and p.section != previous:
            sections += 1
        previous = p.section
        ref = p.name or (f"{roman(sections)}.{n}" if p.section is not None else str(n))
        if ref in seen and p.name:
            raise SpecError(f"two problems are named `{p.name}`; a problem's name must be unique (it names "
                            "its results in grading)", p.pos)
        while ref in seen:                    # (unnamed problems outside sections, in two runs)
            ref += "'"
        seen[ref] = p
        out.append(ref)
    return out


def roman(n: int) -> str:
    """`n` (1..3999) as an upper-case Roman numeral."""
    out = ""
    for value, digits in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
                          (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= value:
            out, n = out + digits, n - value
    return out


def numbers(problems: "list[ast.ProblemDef] | tuple[ast.ProblemDef, ...]") -> list[int]:
    """Each problem's number as the exam prints it: counted from 1 within its section
    (Part II, question 2), or through the whole spec when it has no sections."""
    out, count, section = [], 0, object()
    for p in problems:
        count = count + 1 if p.section == section else 1
        section = p.section
        out.append(count)
    return out
