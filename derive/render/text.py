"""Terminal-text filters: indentation, wrapping, 2-D Unicode chains, aligned tables and answers
with the label on the baseline.

In: Steps, Tables, Answers, text.  Out: plain text."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..printing import latex
from ..sentence import Sentence
from ..sentence_print import print_sentence
from .layout import _caption

if TYPE_CHECKING:
    from ..steps import Answer, Step, Table

def indent(text: str, n: int = 2) -> str:
    """Every non-empty line indented by n spaces."""
    pad = " " * n
    return "\n".join(pad + line if line.strip() else "" for line in str(text).split("\n"))


def hang(text: str, pad: str = "", first: int = 0) -> str:
    """`text` behind `pad`, its continuation lines indented `first` columns further
    (a hanging indent under a list marker or an `Answer: ` label)."""
    lines = str(text).split("\n")
    out = [pad + lines[0]]
    out += [(pad + " " * first + line) if line.strip() else "" for line in lines[1:]]
    return "\n".join(out)


def wrap(text: str, width: int = 78) -> str:
    """Long lines of plain text wrapped at `width` (indented blocks, such as maths, kept)."""
    from ..prose import _wrap
    return "\n".join(w for line in str(text).split("\n") for w in _wrap(line, width))


def text_chain(step: Step, width: int = 74) -> str:
    from ..pretty import chain_lines
    return chain_lines(step.chain, step.relation, width=width)


def text_table(table: Table) -> str:
    from ..pretty import inline
    from ..prose import aligned_table, to_text_inline
    def cell(c: Any) -> str:
        if isinstance(c, Sentence):
            return print_sentence(c, "text")
        return to_text_inline(c) if isinstance(c, str) else inline(c)
    rows = [[cell(c) for c in table.header]]
    rows += [[cell(c) for c in row] for row in table.rows]
    align = ["l"] + ["r" if all(not isinstance(r[k], str) for r in table.rows) else "l"
                     for k in range(1, len(table.header))]
    out = aligned_table(rows, "", align)
    return (_caption(table, "text") + "\n" + out) if table.caption else out


def text_answer(a: Answer, label: str = "Answer: ") -> str:
    """`Answer: ...` with the label on the baseline of a 2-D answer (a fraction, a matrix)."""
    from sympy.printing.pretty.stringpict import prettyForm, stringPict

    from ..pretty import _form, _render
    from ..texunicode import tex_to_unicode
    head = label + (f"({a.choice}) " if a.choice else "")
    if not a.latex:
        return head.rstrip()
    if a.display is not None:
        form = _form(a.display)
    elif a.latex != latex(a.expr):
        form = prettyForm(tex_to_unicode(a.latex))
    else:
        form = _form(a.expr)
    out = _render(stringPict(*stringPict.next(prettyForm(head), form)))
    if a.approx is None:
        return out
    from .layout import digits_note
    approx = stringPict(*stringPict.next(prettyForm("≈ "), _form(a.approx), prettyForm(" " + digits_note())))
    if form.width() + approx.width() + len(head) + 1 <= 76:     # beside the answer, else under it
        return _render(stringPict(*stringPict.next(prettyForm(head), form, prettyForm(" "), approx)))
    return out + "\n" + hang(_render(approx), " " * len(head))
