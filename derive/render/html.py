"""HTML filters: MathML of any object, chains as a grid that aligns the relations, tables and
answers.

In: Steps, Tables, Answers.  Out: Markup (safe HTML)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from ..printing import latex
from ..sentence import Sentence
from ..sentence_print import mathml_of as _mathml_of
from ..sentence_print import print_sentence
from .layout import REL_UNICODE, _caption, chain_latex, is_long

if TYPE_CHECKING:
    from ..steps import Answer, Step, Table

def html_math(x: Any, display: bool = False) -> Markup:
    return Markup(_mathml_of(x, display))


def html_chain(step: Step) -> Markup:
    """A chain as MathML: one display line if short, else a grid aligning the relations."""
    from ..mathml import MATHML_NS, mathml_body, mo
    items = step.chain
    if not items:
        return Markup("")
    rel = REL_UNICODE.get(step.relation, step.relation)
    if len(items) > 2 and is_long(items, "html"):
        cells = []
        for k, e in enumerate(items[1:]):
            lhs = _mathml_of(items[0], displaystyle=True) if k == 0 else ""
            cells.append(f'<div class="lhs">{lhs}</div><div class="rel">'
                         f'<math xmlns="{MATHML_NS}">{mo(rel)}</math></div>'
                         f'<div class="rhs">{_mathml_of(e, displaystyle=True)}</div>')
        return Markup('<div class="chain grid">' + "\n".join(cells) + "</div>")
    try:
        parts = []
        for k, e in enumerate(items):
            if k:
                parts.append(mo(rel))
            parts.append(mathml_body(e))
        body = f'<math xmlns="{MATHML_NS}" display="block"><mrow>{"".join(parts)}</mrow></math>'
    except Exception:
        from ..prose import tex_to_mathml
        body = tex_to_mathml(chain_latex(step), display=True)
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


def html_answer(a: Answer) -> Markup:
    """The answer's maths: sympy's MathML of the object, or the deriver's own LaTeX if it gave one."""
    if a.display is not None:
        return html_math(a.display)
    if a.latex and a.latex != latex(a.expr):
        from ..prose import tex_to_mathml
        return Markup(tex_to_mathml(a.latex))
    if a.approx is not None:    # the checked decimals beside it; a narrow page wraps before the ≈
        from ..mathml import MATHML_NS, mathml_body, mo
        from .layout import digits_note
        approx = f'<math xmlns="{MATHML_NS}"><mrow>{mo("≈")}{mathml_body(a.approx)}</mrow></math>'
        return Markup(f'{html_math(a.expr)} <span class="approx">{approx} {digits_note()}</span>')
    return html_math(a.expr)


def scoped_css(css: str) -> Markup:
    """derive's page style for an HTML fragment: inside `@scope (.derive-solution)`, with the
    page's `:root` and `body` rules applied to the fragment's own <div> (`:scope`), so that a
    notebook around it keeps its own look."""
    import re
    inner = re.sub(r"(^|\n)(\s*)(?::root|body)(?=[\s{,.])", r"\1\2:scope", str(css))
    return Markup("@scope (.derive-solution) {\n" + inner.strip("\n") + "\n}")
