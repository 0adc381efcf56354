"""HTML filters: MathML of any object, chains as a grid that aligns the relations, tables and
answers.

In: Steps, Tables, Answers.  Out: Markup (safe HTML)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from ..sentence import Sentence
from ..sentence_print import mathml_of as _mathml_of
from ..sentence_print import print_sentence
from .layout import REL_UNICODE, _caption, answer_rows

if TYPE_CHECKING:
    from ..steps import Answer, Step, Table

def html_math(x: Any, display: bool = False) -> Markup:
    return Markup(_mathml_of(x, display))


def html_chain(step: Step) -> Markup:
    """A chain as MathML: one display line if short, else a grid aligning the relations."""
    from ..mathml import MATHML_NS, mathml_body, mo
    from .breaking import chain_rows, piece_mathml
    items = step.chain
    if not items:
        return Markup("")
    rel = REL_UNICODE.get(step.relation, step.relation)
    rows = chain_rows(items, "html")
    if rows is not None:     # one row per link, a link too wide cut into rows (never scaled)
        cells = []
        for r in rows:
            lhs = _mathml_of(r.lhs, displaystyle=True) if r.lhs is not None else ""
            op = f'<math xmlns="{MATHML_NS}">{mo(rel)}</math>' if r.rel else ""
            p = r.piece
            rhs = _mathml_of(p.expr, displaystyle=True) if not (p.op or p.block) else \
                f'<math xmlns="{MATHML_NS}" display="inline" displaystyle="true">{piece_mathml(p)}</math>'
            cells.append(f'<div class="lhs">{lhs}</div><div class="rel">{op}</div><div class="rhs">{rhs}</div>')
        return Markup('<div class="chain grid">' + "\n".join(cells) + "</div>")
    parts = []
    for k, e in enumerate(items):
        if k:
            parts.append(mo(rel))
        parts.append(mathml_body(e))
    body = f'<math xmlns="{MATHML_NS}" display="block"><mrow>{"".join(parts)}</mrow></math>'
    return Markup(f'<div class="chain">{body}</div>')


def html_table(table: Table) -> Markup:
    from ..prose import to_html_inline

    def cell(c: Any, tag: str) -> str:
        if isinstance(c, Sentence):
            return f"<{tag}>{print_sentence(c, 'html')}</{tag}>"
        if isinstance(c, str):
            return f"<{tag}>{to_html_inline(c)}</{tag}>"
        return f'<{tag} class="num">{_mathml_of(c)}</{tag}>'

    caption = f"<caption>{_caption(table, 'html')}</caption>" if table.caption else ""
    head = "".join(cell(c, "th") for c in table.header)
    rows = "\n".join("<tr>" + "".join(cell(c, "td") for c in row) + "</tr>" for row in table.rows)
    return Markup(f'<table class="steptable">{caption}\n<thead><tr>{head}</tr></thead>\n<tbody>\n{rows}\n'
                  f"</tbody>\n</table>")


def _rows_mathml(x: Any, rows: list | None, lead: str = "") -> str:
    """`x` as MathML, one block per row when it was cut (`rows`), `lead` (an `<mo>`) first."""
    from ..mathml import MATHML_NS, mathml_body
    from .breaking import piece_mathml
    if rows is None:
        return f'<math xmlns="{MATHML_NS}" display="inline"><mrow>{lead}{mathml_body(x)}</mrow></math>' if lead \
            else _mathml_of(x)
    return "".join(f'<math xmlns="{MATHML_NS}" display="block"><mrow>{lead if k == 0 else ""}'
                   f'{piece_mathml(r.piece)}</mrow></math>' for k, r in enumerate(rows))


def html_answer(a: Answer) -> Markup:
    """The answer's maths: derive's MathML of the object (of its display, when it has one);
    one block per row when too wide for a line, the checked decimals after it."""
    if a.display is not None:
        return html_math(a.display)
    out = _rows_mathml(a.expr, answer_rows(a, "html"))
    if a.approx is not None:    # the checked decimals beside it; a narrow page wraps before the ≈
        from ..mathml import mo
        from .breaking import chain_rows
        from .layout import digits_note
        approx = _rows_mathml(a.approx, chain_rows((a.approx,), "html"), lead=mo("≈"))
        out += f' <span class="approx">{approx} {digits_note()}</span>'
    return Markup(out)


def scoped_css(css: str) -> Markup:
    """derive's page style for an HTML fragment: inside `@scope (.derive-solution)`, with the
    page's `:root` and `body` rules applied to the fragment's own <div> (`:scope`), so that a
    notebook around it keeps its own look."""
    import re
    inner = re.sub(r"(^|\n)(\s*)(?::root|body)(?=[\s{,.])", r"\1\2:scope", str(css))
    return Markup("@scope (.derive-solution) {\n" + inner.strip("\n") + "\n}")
