"""LaTeX filters: display maths at its own size, long chains broken over the rows of `align*`, booktabs
tables, answers, and escaping of spec text.

In: Steps, Tables, Answers.  Out: LaTeX source."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sympy as sp

from ..printing import latex
from ..sentence import Sentence
from ..sentence_print import print_sentence
from .layout import _caption, _rel, answer_tex, chain_latex

if TYPE_CHECKING:
    from ..steps import Answer, Step, Table

FIT_MACROS = r"""\providecommand{\derivefit}[2][\linewidth]{\leavevmode\setbox0=\hbox{#2}%
  \ifdim\wd0>#1\relax\resizebox{#1}{!}{\box0}\else\box0\fi}%
\setcounter{MaxMatrixCols}{64}"""
# (\derivefit scales only a table wider than the line; maths is broken over lines instead)


def tex_display(tex: str) -> str:
    """Display maths, at its own size (a long chain is broken by `tex_chain`, never scaled)."""
    return "\\[ %s \\]" % tex


def tex_chain(step: Step) -> str:
    """A chain as display maths: one line if short, else `align*` with one link a row and a
    link too wide for the line cut at its top-level signs or into blocks of columns
    (derive.render.breaking)."""
    from .breaking import chain_rows, fit_tex, rows_tex
    items = step.chain
    if not items:
        return ""
    rows = chain_rows(items, "latex")
    if rows is None:
        one = chain_latex(step)
        return tex_display(fit_tex(one, items[0]) if len(items) == 1 else one)
    return "\\begin{align*}\n" + rows_tex(rows, _rel(step), fit=True) + "\n\\end{align*}"


def _tex_cell(c: Any) -> str:
    from ..prose import to_latex_inline
    if isinstance(c, Sentence):
        return print_sentence(c, "latex")
    if isinstance(c, str):
        return to_latex_inline(c)
    return f"${latex(c)}$"


TABLE_COLUMNS = 84     # characters of text a table may take across the line (11pt, A4, 2.5 cm margins)
WRAP_SHARE = 0.85      # of which wrapped columns plan for this much: a step's indent narrows the line, and the
                       # other columns' widths are estimates in characters (the seed exam's tables then fit unscaled)


def _cell_width(c: Any) -> int:
    from ..prose import to_text_inline
    from .layout import item_width
    if isinstance(c, Sentence):
        return len(print_sentence(c, "text"))
    return len(to_text_inline(c)) if isinstance(c, str) else item_width(c)


def _wrapped_columns(table: Table) -> dict[int, float]:
    """The text columns a table too wide for the line wraps (column: its share of
    \\linewidth), so that it fits without being scaled; {} when it fits as it is."""
    n = len(table.header)
    widths = [max(_cell_width(r[k]) for r in (table.header, *table.rows)) for k in range(n)]
    if sum(widths) + 2 * n <= TABLE_COLUMNS:
        return {}
    text = [k for k in range(1, n) if widths[k] > 14]    # (inline maths in a paragraph breaks at + too)
    if not text:
        return {}
    room = WRAP_SHARE * TABLE_COLUMNS - 2 * n - sum(w for k, w in enumerate(widths) if k not in text)
    total = sum(widths[k] for k in text)
    return {k: max(_longest_word(table, k) + 1, room * widths[k] / total) / TABLE_COLUMNS for k in text}


def _longest_word(table: Table, k: int) -> int:
    """The widest word of column k, or term of a sum in it (a wrapped column is never
    narrower: no word sticks out)."""
    from ..prose import to_text_inline
    from .layout import item_width
    out = 8
    for c in (r[k] for r in (table.header, *table.rows)):
        if isinstance(c, (str, Sentence)):
            text = to_text_inline(c) if isinstance(c, str) else print_sentence(c, "text")
            out = max([out] + [len(w) for w in text.split()])
        else:
            out = max([out] + [item_width(t) for t in (c.args if isinstance(c, sp.Add) else (c,))])
    return out


def tex_table(table: Table) -> str:
    """A Table step as a booktabs tabular; one too wide for the line wraps its text columns
    (ragged-right paragraph cells); only a table that still does not fit is scaled down."""
    cols = "l" + "r" * (len(table.header) - 1) if all(not isinstance(c, str) for r in table.rows for c in r[1:]) \
        else "l" * len(table.header)
    wrap = _wrapped_columns(table)

    def row(cells: tuple[Any, ...]) -> str:
        out = [_tex_cell(c) for c in cells]
        return " & ".join(r"\parbox[t]{%.2f\linewidth}{\raggedright %s}" % (wrap[k], t) if k in wrap else t
                          for k, t in enumerate(out))
    if wrap:
        cols = "".join("l" if k in wrap else c for k, c in enumerate(cols))
    head = row(table.header)
    rows = "\n".join(row(r) + r" \\" for r in table.rows)
    caption = ""
    if table.caption:
        caption = "\\emph{%s}\\par\\smallskip\n" % _caption(table, "latex")
    body = ("\\begin{tabular}{%s}\n\\toprule\n%s \\\\\n\\midrule\n%s\n\\bottomrule\n\\end{tabular}"
            % (cols, head, rows))
    return ("\\begin{center}\n%s{\\renewcommand{\\arraystretch}{1.6}\\derivefit{%s}}\n\\end{center}"
            % (caption, body))


def tex_answer(a: Answer) -> str:
    """The answer's maths: inline when short, else displayed, a matrix too wide for the box
    in blocks of columns (never scaled)."""
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
