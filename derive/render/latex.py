"""LaTeX filters: display maths fitted to the line, chains in `align*` when long, booktabs
tables, answers, and escaping of spec text.

In: Steps, Tables, Answers.  Out: LaTeX source."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..printing import latex
from ..sentence import Sentence
from ..sentence_print import print_sentence
from .layout import _caption, _rel, answer_tex, chain_latex, is_long, item_width

if TYPE_CHECKING:
    from ..steps import Answer, Step, Table

FIT_MACROS = r"""\providecommand{\derivefit}[2][\linewidth]{\leavevmode\setbox0=\hbox{#2}%
  \ifdim\wd0>#1\relax\resizebox{#1}{!}{\box0}\else\box0\fi}%
\setcounter{MaxMatrixCols}{64}"""


def tex_display(tex: str) -> str:
    """Display maths fitted to the line width (scaled down only when wider)."""
    return "\\[ \\derivefit{$\\displaystyle %s$} \\]" % tex


def tex_chain(step: Step) -> str:
    """A chain as display maths: one line if short, else `align*` with one link a line."""
    items = step.chain
    if not items:
        return ""
    rel = _rel(step)
    if len(items) > 2 and is_long(items, "latex"):
        lhs = latex(items[0])
        wide_lhs = item_width(items[0]) > 14
        fit = r"\derivefit[\dimexpr\linewidth-%s\relax]{$\displaystyle %s$}"
        first = (f"& {lhs} \\\\\n  &{rel} " + fit % ("4em", latex(items[1])) if wide_lhs else
                 f"{lhs} &{rel} " + fit % ("%dem" % min(3 + item_width(items[0]) // 2, 12), latex(items[1])))
        lines = [first]
        for e in items[2:]:
            lines.append(f"  &{rel} " + fit % ("%dem" % (4 if wide_lhs else min(3 + item_width(items[0]) // 2, 12)),
                                               latex(e)))
        return "\\begin{align*}\n" + " \\\\\n".join(lines) + "\n\\end{align*}"
    return tex_display(chain_latex(step))


def _tex_cell(c: Any) -> str:
    from ..prose import to_latex_inline
    if isinstance(c, Sentence):
        return print_sentence(c, "latex")
    if isinstance(c, str):
        return to_latex_inline(c)
    return f"${latex(c)}$"


def tex_table(table: Table) -> str:
    """A Table step as a booktabs tabular, scaled down only if wider than the line."""
    cols = "l" + "r" * (len(table.header) - 1) if all(not isinstance(c, str) for r in table.rows for c in r[1:]) \
        else "l" * len(table.header)
    head = " & ".join(_tex_cell(c) for c in table.header)
    rows = "\n".join(" & ".join(_tex_cell(c) for c in row) + r" \\" for row in table.rows)
    caption = ""
    if table.caption:
        caption = "\\emph{%s}\\par\\smallskip\n" % _caption(table, "latex")
    body = ("\\begin{tabular}{%s}\n\\toprule\n%s \\\\\n\\midrule\n%s\n\\bottomrule\n\\end{tabular}"
            % (cols, head, rows))
    return ("\\begin{center}\n%s{\\renewcommand{\\arraystretch}{1.6}\\derivefit{%s}}\n\\end{center}"
            % (caption, body))


def tex_answer(a: Answer) -> str:
    tex = answer_tex(a)
    if "\\\\" in tex or len(tex) > 60:
        return "\n" + tex_display(tex)
    return f"$\\displaystyle {tex}$"


def tex_escape(text: Any) -> str:
    from ..texchars import escape_text
    return escape_text(str(text))


def tex_code(text: Any) -> str:
    from ..texchars import escape_verbatim
    return r"\texttt{%s}" % escape_verbatim(str(text))
