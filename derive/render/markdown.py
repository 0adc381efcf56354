"""Markdown filters: `$$` displays safe for GitHub and Jupyter, chains, GFM tables, list items
and block quotes.

In: Steps, Tables, LaTeX strings.  Out: Markdown text."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import sympy as sp

from ..printing import latex
from ..sentence import Sentence
from ..sentence_print import print_sentence
from .layout import _caption, _rel, chain_latex

if TYPE_CHECKING:
    from ..steps import Step, Table

_MD_LINE_START = re.compile(r"^([-+*](\s|$)|#{1,6}(\s|$)|>|=+\s*$|-+\s*$|<[A-Za-z/!?]|\d{1,9}[.)](\s|$))")


def md_display(tex: str) -> str:
    """A `$$` block GitHub and Jupyter both render: every `\\\\` ends its line, and no line
    starts with something Markdown would read as a list, quote or heading."""
    body = re.sub(r"\\\\\s*", "\\\\\\\\\n", tex.strip())
    lines = []
    for line in body.split("\n"):
        line = line.strip()
        if _MD_LINE_START.match(line):
            line = "{}" + line
        lines.append(line)
    return "$$\n" + "\n".join(lines) + "\n$$"


def md_inline_ok(tex: str) -> bool:
    """Inline `$...$` is safe on GitHub only without `\\\\` and not too wide."""
    return "\\\\" not in tex and len(tex) < 120 and "\n" not in tex


def md_chain(step: Step) -> str:
    items = step.chain
    rel = _rel(step)
    if not items:
        return ""
    from .breaking import chain_rows, rows_tex
    rows = chain_rows(items, "md")
    if rows is not None:
        return md_display(r"\begin{aligned} " + rows_tex(rows, rel) + r" \end{aligned}")
    return md_display(chain_latex(step))


def _md_cell(c: Any) -> str:
    if isinstance(c, Sentence):
        return print_sentence(c, "md").replace("|", r"\|")
    if isinstance(c, str):
        from ..prose import to_markdown_inline
        return to_markdown_inline(c, in_table=True)
    if isinstance(c, sp.MatrixBase) and c.cols == 1 and c.rows > 1:     # a column: a transposed row
        c = sp.Transpose(sp.ImmutableMatrix(1, c.rows, list(c)))
    tex = latex(c)
    if "\\\\" in tex:       # a matrix: no line breaks inside a table cell
        from ..pretty import inline
        return "`" + inline(c).replace("`", "'") + "`"
    tex = tex.replace(r"\|", r"\Vert ").replace("|", r"\vert ")
    return f"${tex}$"


def md_table(table: Table) -> str:
    """A Table step as a Markdown (GFM) table; maths cells in `$...$`."""
    head = "| " + " | ".join(_md_cell(c) for c in table.header) + " |"
    rule = "|" + "|".join("---" for _ in table.header) + "|"
    rows = ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in table.rows]
    caption = f"*{_caption(table, 'md')}*\n\n" if table.caption else ""
    return caption + "\n".join([head, rule] + rows)


def md_math(tex: str) -> str:
    """Inline `$tex$` when safe, otherwise a display block on its own lines."""
    if md_inline_ok(tex):
        return f"${tex}$"
    return "\n\n" + md_display(tex) + "\n"


def md_item(text: str, number: int) -> str:
    """`text` as item `number` of an ordered list (continuation lines indented to match)."""
    mark = f"{number}. "
    lines = str(text).split("\n")
    return mark + lines[0] + "".join("\n" + (" " * len(mark) + line if line.strip() else "") for line in lines[1:])


def quote_lines(text: str, prefix: str) -> str:
    """Every line of `text` behind the block-quote `prefix` ("> ", "> > ", ...)."""
    text = re.sub(r"\n\s*\n(\s*\n)+", "\n\n", str(text).strip("\n"))   # one blank line at most
    if not prefix:
        return text
    return "\n".join(prefix + line if line.strip() else prefix.rstrip() for line in text.split("\n"))
