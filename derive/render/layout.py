"""What every format shares about a step's maths: the relation's LaTeX, chains and tables as
one LaTeX string (JSON's step `latex`), widths and when a chain is broken over lines.

In: Steps, Tables, Answers.  Out: LaTeX strings and widths."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..printing import latex
from ..sentence import Sentence
from ..sentence_print import print_sentence
from .breaking import CHAIN_WIDTH, is_long, item_width  # noqa: F401  (layout's names since before)

if TYPE_CHECKING:
    from ..steps import Answer, Step, Table


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


def digits_note() -> str:
    """What an answer's ≈ states: how many significant digits its decimals have."""
    from ..printing import APPROX_DIGITS
    return f"({APPROX_DIGITS} significant digits)"


def answer_rows(a: Answer, fmt: str) -> list | None:
    """The rows of an answer too wide for a line of `fmt` (a long sum, a wide matrix: see
    derive.render.breaking), or None to show it whole."""
    from .breaking import chain_rows
    if a.display is not None or not a.latex or a.latex != latex(a.expr):
        return None
    return chain_rows((a.expr,), fmt)


def answer_tex(a: Answer) -> str:
    """The answer's LaTeX, broken over aligned rows when too wide for a line; with its
    checked decimal form beside it (`M ≈ D (6 significant digits)`), on rows of its own
    under the answer when the two are wide together."""
    from .breaking import chain_rows, rows_tex
    tex = a.latex if a.latex else latex(a.expr)
    rows = answer_rows(a, "latex")
    if getattr(a, "approx", None) is None:
        return r"\begin{aligned}" + rows_tex(rows, "=") + r"\end{aligned}" if rows else tex
    note = r"\quad \text{%s}" % digits_note()
    decimals = chain_rows((a.approx,), "latex")
    if rows is None and decimals is None and \
            item_width(a.expr) + item_width(a.approx) + 3 <= CHAIN_WIDTH["latex"]:
        return r"%s \approx %s %s" % (tex, latex(a.approx), note)
    lines = rows_tex(rows, "=") if rows else "&" + tex
    more = rows_tex(decimals, "=") if decimals else "&" + latex(a.approx)
    return r"\begin{aligned} %s \\" % lines + "\n" + r"\approx{} %s %s \end{aligned}" % (more, note)
