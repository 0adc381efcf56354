"""Layout helpers the templates of every format share: error titles and positions, choice
labels, whether an answer's maths or prose adds anything, and sub-question groups.

In: Results, Answers, ProblemSolutions.  Out: strings, booleans and group dicts."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..sentence import Sentence

if TYPE_CHECKING:
    from ..steps import Answer, ErrorInfo, ProblemSolution, Result, Solution

ERROR_TITLES = {"unsupported": "Not derived (not supported yet)", "check_failed": "Not derived (a step failed its check)",
                "limit": "Not derived (too large to derive)", "error": "Not derived"}


ERROR_REASONS = {"unsupported": "not supported yet", "check_failed": "a step failed its check",
                 "limit": "too large to derive", "error": ""}


def error_title(error: ErrorInfo) -> str:
    return ERROR_TITLES.get(error.kind, "Not derived")


def error_reason(error: ErrorInfo) -> str:
    """Why a goal was not derived, in a few words ("" for an error in the goal itself)."""
    return ERROR_REASONS.get(error.kind, "")


def error_where(error: ErrorInfo) -> str:
    if error.line is None:
        return ""
    return f"line {error.line}" + (f", column {error.column}" if error.column is not None else "")


def readings(r: Result) -> list[tuple[Sentence, Answer]]:
    """The accepted alternative readings of a result (`accept reading "NAME" { ... }`) that
    were derived: (the lead-in "Also accepted, reading “NAME”:" as a Sentence, which the
    format's sentence printer prints, and the Answer under the reading, which the format's
    answer printer prints).  A reading that could not be derived is left out here (the
    JSON gives its error)."""
    from ..sentence import Em, say
    return [(say(Em(f"Also accepted, reading “{name}”:")), alt)
            for name, alt, _ in getattr(r, "readings", ()) if alt is not None]


def choice_label(a: Answer) -> str:
    """The option letter(s) of a multiple-choice answer as printed: "(d)", "(a), (c)"."""
    if not a.choice:
        return ""
    return ", ".join(f"({c.strip()})" for c in str(a.choice).split(","))


def shows_maths(a: Answer) -> bool:
    """Whether the answer's maths adds to its choice letter (a bare "(d)" does not)."""
    if not a.latex:
        return False
    return not (a.choice and a.latex.replace(" ", "") == r"\text{%s}" % choice_label(a).replace(" ", ""))


def shows_prose(a: Answer) -> bool:
    """Whether the answer's prose adds to its choice letter and maths ("**(d)**" does not)."""
    if not a.prose:
        return False
    if isinstance(a.prose, Sentence):
        return True
    return not (a.choice and a.prose.strip().strip("*").strip() == choice_label(a))


_ANSWER_LEAD = re.compile(r"^\s*\*\*Answer[:.]?\*\*[:.]?\s*")


def answer_prose(a: Answer) -> str:
    """The prose shown with a derived answer ("" when it adds nothing), without a leading
    **Answer:** of its own (the templates label the answer already)."""
    if not shows_prose(a):
        return ""
    if isinstance(a.prose, Sentence):
        return a.prose
    return _ANSWER_LEAD.sub("", a.prose, count=1)


def result_where(r: Result, source: str | None = None) -> str:
    """Where a failed goal is: "line 18, column 16", with the file's name when the goal
    comes from an included file (not `source`, the spec that was solved)."""
    if r.error is None:
        return ""
    where = error_where(r.error)
    if where and r.pos is not None and source and r.pos.file != source:
        import os
        where = f"{os.path.basename(r.pos.file)}, {where}"
    return where


def groups(problem: ProblemSolution) -> list[dict]:
    """The problem's sub-questions in order: each part's text with the results of its label.

    Parts (`(a) text "..."`) and results are matched by label; a part comes just before the
    first result of its label (parts before it in the spec come first), parts with no
    result at the end.  Each group is {"label", "part" (a Part or None), "results",
    "marks"}: the marks of the part, or else of the label's first result that has some.
    Unlabelled results are groups of their own (label None).
    """
    parts = list(problem.parts)
    out: list[dict] = []
    index: dict[str, dict] = {}
    for r in problem.results:
        if r.label is None:
            out.append({"label": None, "part": None, "results": [r], "marks": r.marks})
            continue
        if r.label not in index and any(p.label == r.label for p in parts):
            while parts:
                p = parts.pop(0)
                g = {"label": p.label, "part": p, "results": [], "marks": p.marks}
                out.append(g)
                index.setdefault(p.label, g)
                if p.label == r.label:
                    break
        if r.label not in index:
            index[r.label] = {"label": r.label, "part": None, "results": [], "marks": None}
            out.append(index[r.label])
        g = index[r.label]
        g["results"].append(r)
        if g["marks"] is None:
            g["marks"] = r.marks
    out.extend({"label": p.label, "part": p, "results": [], "marks": p.marks} for p in parts)
    return out


def prompt(group: dict) -> Sentence | None:
    """What a sub-question with no text of its own asks, from its goals' titles: "Find ∂L/∂v
    and one gradient-descent step on v." (None when it has no titled goal: an authored
    answer only).  A title that quotes spec code is left out (the paper view never shows
    a goal as written, which can give the answer away)."""
    from ..sentence import Code, join, say
    titles = [r.title for r in group["results"] if r.goal and r.title
              and not any(isinstance(p, Code) for p in r.title.parts)]
    if not titles:
        return None
    return say("Find ", join(titles, ", ", " and "), ".")


def any_checked(solution: Solution) -> bool:
    return any(s.checked for r in solution.results for top in r.steps for s in top.walk())


def header_value(solution: Solution, key: str) -> str | None:
    for k, v in solution.header:
        if k == key:
            return v
    return None


def _num(x):
    if x is None:
        return None
    return int(x) if x == int(x) else float(x)


def _plural(x, word: str) -> str:
    n = _num(x)
    return f"{n} {word}" + ("" if n == 1 else "s")
