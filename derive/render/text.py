"""Terminal-text filters: indentation, wrapping, 2-D Unicode chains, aligned tables and answers
with the label on the baseline.

In: Steps, Tables, Answers, text.  Out: plain text."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..sentence import Sentence
from ..sentence_print import print_sentence
from .layout import _caption, answer_rows

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
    """A chain in 2-D Unicode: one line when it fits `width`, else one link a row with the
    relations under each other, a link too wide cut at its top-level signs or into blocks of
    columns (derive.render.breaking)."""
    from sympy.printing.pretty.stringpict import prettyForm, stringPict

    from ..pretty import REL, _form, _render, chain_lines
    from .breaking import WIDE_LHS, chain_rows, piece_form
    rows = chain_rows(step.chain, "text", width)
    if rows is None:
        return chain_lines(step.chain, step.relation, width=width)
    rel = REL.get(step.relation, step.relation)
    lhs = _form(rows[0].lhs) if rows[0].lhs is not None else None
    own_row = lhs is not None and lhs.width() > WIDE_LHS
    pad = " " * (lhs.width() + 1 if lhs is not None and not own_row else 2)
    out = [_render(lhs)] if own_row else []
    for k, r in enumerate(rows):
        body = piece_form(r.piece)
        lead = f"{rel} " if r.rel else ("" if k == 0 and lhs is None else "  ")
        if r.lhs is not None and not own_row:
            line = _render(stringPict(*stringPict.next(lhs, f" {rel} ", body)))
        elif k == 0 and lhs is None:
            line = _render(body)
        else:
            block = _render(prettyForm(*stringPict.next(prettyForm(lead), body)))
            line = "\n".join(pad + x if x.strip() else "" for x in block.split("\n"))
        out.append(line)
    return "\n".join(out)


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


def _rows_text(form: Any, rows: list | None, head: str, pad: int) -> str:
    """`head` then the form, or (when it was cut) its rows, the later ones `pad` columns in."""
    from sympy.printing.pretty.stringpict import prettyForm, stringPict

    from ..pretty import _render
    from .breaking import piece_form
    if rows is None:
        return _render(stringPict(*stringPict.next(prettyForm(head), form)))
    lines = [_render(stringPict(*stringPict.next(prettyForm(head), piece_form(rows[0].piece))))]
    lines += [hang(_render(piece_form(r.piece)), " " * pad) for r in rows[1:]]
    return "\n".join(lines)


def text_answer(a: Answer, label: str = "Answer: ") -> str:
    """`Answer: ...` with the label on the baseline of a 2-D answer (a fraction, a matrix);
    a long one in rows (derive.render.breaking), its checked decimals beside or under it."""
    from sympy.printing.pretty.stringpict import prettyForm, stringPict

    from ..pretty import _form, _render
    from .breaking import chain_rows
    from .layout import digits_note
    head = label + (f"({a.choice}) " if a.choice else "")
    if not a.latex:
        return head.rstrip()
    rows = None
    if a.display is not None:
        form = _form(a.display)
    else:
        form, rows = _form(a.expr), answer_rows(a, "text")
    out = _rows_text(form, rows, head, len(head) + 2)
    if a.approx is None:
        return out
    decimals = chain_rows((a.approx,), "text")
    note = prettyForm(" " + digits_note())
    approx = stringPict(*stringPict.next(prettyForm("≈ "), _form(a.approx), note))
    if rows is None and decimals is None and form.width() + approx.width() + len(head) + 1 <= 76:
        return _render(stringPict(*stringPict.next(prettyForm(head), form, prettyForm(" "), approx)))   # beside it
    under = _rows_text(_form(a.approx), decimals, "≈ ", 4)
    last = under.split("\n")[-1]
    under += ("\n    " if len(head) + len(last) + len(digits_note()) > 75 else " ") + digits_note()
    return out + "\n" + hang(under, " " * len(head))
