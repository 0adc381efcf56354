"""What every export reads: one `Item` per exportable result of a solved variant.

`items(solution, math)` walks a Solution (the exam's defaults, or one drawn variant) and
gives, per result with an answer, its id, marks, `Acceptance` (derive.grading: the
one description of what counts as right, with its tolerances and kind), the question as
HTML (the problem's text and the part's text) and the worked solution of the result as
HTML (the feedback).  A result without an answer (an error) cannot be exported: it is
returned in `skipped` with the reason, and the rest is exported.

`tolerance(acc)` is the absolute margin hosts with absolute margins use (Moodle, QTI
ranges): atol + rtol·|v| from the acceptance; an exact key with a finite decimal
expansion gets 0; an irrational key half a unit of its third significant figure (the
grading default: three significant digits).  `html(markdown, math)` prints Markdown with
`$...$` maths as HTML, the maths as MathML (`math="mathml"`) or as `\\(...\\)` (`"tex"`).
"""
from __future__ import annotations

import html as _html
import math as _math
import re
from typing import Any

import sympy as sp

from ..grading import Acceptance, accept
from ..steps import ProblemSolution, Result, Solution
from ..records import record

MATHS = ("mathml", "tex")


@record
class Option:
    """One option of a choice as a host shows it: its letter, its text as HTML (the
    spec's option: its maths printed as the export's maths) and whether the key picks it."""
    label: str
    text: str
    correct: bool


@record
class Item:
    """One exportable result of one variant."""
    id: str
    title: str                 # the problem's title
    section: str | None
    problem: int               # index of the problem in the solution
    acceptance: Acceptance
    question: str              # HTML
    feedback: str              # HTML: the problem's worked solution
    marks: float
    result: Result
    options: tuple[Option, ...] = ()     # a choice's options, in the spec's order


def html(markdown: str, math: str = "mathml", inline: bool = False) -> str:
    """Markdown with `$...$`/`$$...$$` maths as an HTML fragment (`inline`: no paragraph)."""
    from ..render import prose_filter
    if math == "mathml":
        return str(prose_filter("html", inline)(markdown))
    slots: list[str] = []

    def hide(m: re.Match) -> str:
        tex = m.group(1) if m.group(1) is not None else m.group(2)
        slots.append(("\\[" + tex + "\\]") if m.group(1) is not None else ("\\(" + tex + "\\)"))
        return f"DERIVEMATH{len(slots) - 1}Z"
    text = re.sub(r"\$\$(.+?)\$\$|\$(.+?)\$", hide, markdown, flags=re.S)
    out = str(prose_filter("html", inline)(text))
    return re.sub(r"DERIVEMATH(\d+)Z", lambda m: _html.escape(slots[int(m.group(1))], quote=False), out)


def worked_solution(solution: Solution, index: int, result: Result) -> str:
    """The HTML of `result`'s worked solution (problem `index` with only that result, as
    a section of derive's HTML page: no question text, the steps and the answer)."""
    from dataclasses import replace
    from ..render import render
    p = replace(solution.problems[index], results=(result,), text="",
                parts=tuple(q for q in solution.problems[index].parts if q.label == result.label))
    one = replace(solution, problems=(p,), title=None, course=None, date=None, header=())
    page = render(one, "html")
    m = re.search(r'<section class="problem".*</section>', page, re.S)
    return m.group(0) if m else ""


def options(result: Result, acc: Acceptance, math: str = "mathml") -> tuple[Option, ...]:
    """The options of a choice result from its problem's `choices` block: each option's
    text (a string option as its Markdown, an expression as derive prints it, `none` as
    "none of these"), as HTML with `math`, flagged right or wrong by the key.  Without the
    problem's definition (a result read back from JSON): the letters alone."""
    from ..derivers.registry import FAMILIES
    from ..model.builder import build_problem
    from ..model.values import scalarize
    from ..printing import latex
    from .. import ast
    pdef = result.origin[0] if result.origin else None
    block = next((s for s in pdef.statements if isinstance(s, ast.Choices)), None) if pdef is not None else None
    if block is None:
        letters = list(acc.options) if acc.options else sorted(set(acc.value) | set("abcde"))
        return tuple(Option(x, "", x in acc.value) for x in letters)
    problem = build_problem(pdef, result.origin[1], FAMILIES, result.origin[2])
    out = []
    for opt in block.options:
        if opt.expr is None:
            text = "none of these"
        elif isinstance(opt.expr, ast.Str):
            text = html(opt.expr.value, math, inline=True)
        else:
            text = html(f"${latex(scalarize(problem.display(opt.expr)))}$", math, inline=True)
        out.append(Option(opt.label, text, opt.label in acc.value))
    return tuple(out)


def option_html(option: Option) -> str:
    """An option as the hosts list it: `(a) text`."""
    return f"({_html.escape(option.label)}) {option.text}".rstrip()


def _question(problem: ProblemSolution, result: Result, math: str) -> str:
    parts = [html(problem.text, math)] if problem.text else []
    part = next((q for q in problem.parts if q.label and q.label == result.label), None)
    if part is not None:
        parts.append(f"<p><strong>{_html.escape(part.label)}</strong></p>" + html(part.text, math))
    elif result.answer is not None and result.answer.choice is not None:
        several = "," in result.answer.choice               # (its title names the derived value: the key)
        parts.append("<p>Choose every option that is right.</p>" if several else "<p>Choose the right option.</p>")
    elif result.title is not None:
        from ..sentence_print import print_sentence
        parts.append(f"<p>Find {html(print_sentence(result.title, 'md'), math, inline=True)}.</p>")
    return "\n".join(parts)


def items(solution: Solution, math: str = "mathml") -> tuple[list[Item], list[tuple[str, str]]]:
    """(the exportable items, [(id, why not) for each result that cannot be exported])."""
    out, skipped = [], []
    for i, p in enumerate(solution.problems):
        for r in p.results:
            if r.answer is None:
                skipped.append((r.id, r.error.message if r.error else "no answer"))
                continue
            feedback = worked_solution(solution, i, r)
            acc = accept(r)
            opts = options(r, acc, math) if acc.kind == "choice" else ()
            out.append(Item(r.id, p.title, p.section, i, acc, _question(p, r, math), feedback, _marks(p, r), r, opts))
    return out, skipped


def _marks(p: ProblemSolution, r: Result) -> float:
    """A result's marks: its own; else its part's (written on the part's text), shared by
    the results of that label; else the problem's points shared by the unmarked results; else 1."""
    if r.marks is not None:
        return float(r.marks)
    same = [x for x in p.results if x.label == r.label]
    part = next((q for q in p.parts if r.label and q.label == r.label and q.marks is not None), None)
    if part is not None:
        return float(part.marks) / len(same)
    marked = {q.label: q.marks for q in p.parts if q.marks is not None}
    used = sum(float(m) for m in marked.values()) + sum(float(x.marks) for x in p.results
                                                       if x.marks is not None and x.label not in marked)
    free = [x for x in p.results if x.marks is None and x.label not in marked]
    if p.points is None or not free:
        return 1.0
    return max(float(p.points) - used, 0.0) / len(free)


def number(v: Any) -> float:
    """A real key as a float (ValueError if it is not a finite real number)."""
    x = complex(sp.N(v, 17))
    if x.imag != 0 or not _math.isfinite(x.real):
        raise ValueError(f"{v} is not a finite real number")
    return x.real


def finite_decimal(v: Any) -> bool:
    if not isinstance(v, sp.Rational):
        return False
    q = int(v.q)
    for f in (2, 5):
        while q % f == 0:
            q //= f
    return q == 1


def tolerance(acc: Acceptance, v: Any) -> float:
    """The absolute margin for the key entry `v` (see the module docstring)."""
    x = number(v)
    if acc.atol is not None or acc.rtol is not None:
        return (acc.atol or 0.0) + (acc.rtol or 0.0) * abs(x)
    if acc.sigfigs is not None:
        digits = acc.sigfigs
    elif finite_decimal(v):
        return 0.0
    else:
        digits = 3
    if x == 0:
        return 0.0
    return 0.5 * 10 ** (_math.floor(_math.log10(abs(x))) - digits + 1)


def numeric_entries(acc: Acceptance) -> list[tuple[str, Any]] | None:
    """(label, key entry) for each number a response has (one for a number, one per entry
    of a vector or matrix, one per size of a shape); None when the key is not numbers."""
    v = acc.value
    try:
        if acc.kind == "number":
            number(v)
            return [("", v)]
        if acc.kind in ("vector", "matrix") and isinstance(v, sp.MatrixBase):
            for e in v:
                number(e)
            if v.cols == 1:
                return [(f"[{i + 1}]", v[i, 0]) for i in range(v.rows)]
            return [(f"[{i + 1}, {j + 1}]", v[i, j]) for i in range(v.rows) for j in range(v.cols)]
        if acc.kind == "shape":
            return [(f"[{i + 1}]", sp.Integer(n)) for i, n in enumerate(v)]
    except (ValueError, TypeError):
        return None
    return None


def short(x: float) -> str:
    """A float as the shortest text that reads back as it (`0.1`, `24`, `1e-05`)."""
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return repr(x)
