"""What every format shares about a step's maths: the relation's LaTeX, chains and tables as
one LaTeX string (JSON's step `latex`), widths and when a chain is broken over lines.

In: Steps, Tables, Answers.  Out: LaTeX strings and widths."""
from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from ..printing import latex
from ..sentence import Sentence
from ..sentence_print import print_sentence

if TYPE_CHECKING:
    from ..steps import Answer, Step, Table

CHAIN_WIDTH = {"md": 60, "latex": 56, "html": 60, "text": 78}

REL_TEX = {"=": "=", "<": "<", "<=": r"\le", "≤": r"\le", ">": ">", ">=": r"\ge", "≥": r"\ge",
           "≈": r"\approx", "⇔": r"\iff", "⇒": r"\implies", "≠": r"\neq"}
REL_UNICODE = {"<=": "≤", ">=": "≥", "⇔": "⇔", "⇒": "⇒"}


def _rel(step: Step) -> str:
    return REL_TEX.get(step.relation, step.relation)


def chain_latex(step: Step, sep: str = " ") -> str:
    """The step's equation chain as one LaTeX line: e0 = e1 = ... ."""
    return f"{sep}{_rel(step)}{sep}".join(latex(e) for e in step.chain)


def _caption(table: Table, fmt: str) -> str:
    """A table's caption in `fmt`: a Sentence by its printer, authored text as prose."""
    if isinstance(table.caption, Sentence):
        return print_sentence(table.caption, fmt)
    if fmt == "latex":
        from ..prose import to_latex_inline
        return to_latex_inline(table.caption)
    if fmt == "html":
        from ..prose import to_html_inline
        return to_html_inline(table.caption)
    return table.caption


def _cell_tex(c: Any) -> str:
    if isinstance(c, Sentence):
        return r"\text{%s}" % print_sentence(c, "latex")
    if isinstance(c, str):
        return r"\text{%s}" % c.replace("\\", "").replace("_", r"\_").replace("{", r"\{").replace("}", r"\}")
    return latex(c)


def table_latex(table: Table) -> str:
    """A table as one LaTeX `array` (used in JSON's step `latex`)."""
    cols = len(table.header)
    head = " & ".join(_cell_tex(c) for c in table.header)
    body = r" \\ ".join(" & ".join(_cell_tex(c) for c in row) for row in table.rows)
    return r"\begin{array}{%s} %s \\ \hline %s \end{array}" % ("l" * cols, head, body)


def step_latex(step: Step) -> str:
    """All of a step's maths as one LaTeX string (chain, then table)."""
    parts = []
    if step.chain:
        parts.append(chain_latex(step))
    if step.table is not None:
        parts.append(table_latex(step.table))
    return r" \qquad ".join(parts)


@functools.lru_cache(maxsize=4096)
def _width_of_latex(tex: str) -> int:
    from ..texunicode import tex_to_unicode
    return len(tex_to_unicode(tex))


def item_width(x: Any) -> int:
    """Columns `x` takes in 2-D Unicode: a proxy for its typeset width."""
    from ..pretty import _form
    try:
        return _form(x).width()
    except Exception:   # an object the pretty printer cannot lay out: estimate from its LaTeX
        return _width_of_latex(latex(x))


def _min_width(x: Any) -> int:
    """A lower bound of `item_width(x)` that costs nothing: an explicit matrix of c columns
    takes at least 2c + 1 (entries, spaces, brackets)."""
    import sympy as sp  # (already loaded by then; render.py itself does not need it)
    return 2 * int(x.shape[1]) + 1 if isinstance(x, sp.MatrixBase) else 0


def is_long(items: tuple[Any, ...] | list[Any], fmt: str) -> bool:
    """Whether a chain is broken one link per line in `fmt` (widths are summed only until
    the limit is passed: laying out a 64×64 matrix in 2-D only to learn that it is wide
    took most of a big network's rendering)."""
    if len(items) <= 2:
        return False
    limit = CHAIN_WIDTH[fmt]
    total = 3 * (len(items) - 1)
    if total + sum(_min_width(x) for x in items) > limit:
        return True
    for x in items:
        total += item_width(x)
        if total > limit:
            return True
    return False


def digits_note() -> str:
    """What an answer's ≈ states: how many significant digits its decimals have."""
    from ..steps import APPROX_DIGITS
    return f"({APPROX_DIGITS} significant digits)"


def answer_tex(a: Answer) -> str:
    """The answer's LaTeX; with its checked decimal form beside it (`M ≈ D (6 significant
    digits)`), on a line of its own under the answer when the two are wide together."""
    tex = a.latex if a.latex else latex(a.expr)
    if getattr(a, "approx", None) is None:
        return tex
    note = r"\text{%s}" % digits_note()
    if item_width(a.expr) + item_width(a.approx) + 3 > CHAIN_WIDTH["latex"]:
        return r"\begin{aligned} &%s \\ \approx{} &%s \quad %s \end{aligned}" % (tex, latex(a.approx), note)
    return r"%s \approx %s \quad %s" % (tex, latex(a.approx), note)
