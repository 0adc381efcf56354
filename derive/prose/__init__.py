"""Authored prose (Markdown with $...$ and $$...$$ maths) converted for each output format.

Spec text (a problem's `text`, `answer`, part texts, titles, header fields,
choice texts), verdict prose and error messages are Markdown with LaTeX maths.  They are
parsed by markdown-it-py (CommonMark, GFM tables, mdit-py-plugins' dollarmath; raw HTML
off, links only http(s)/mailto/relative: markdown.py) and each format has an emitter:

* md: safe Markdown re-emitted from the tokens (emit_md.py);
* latex: text escaped and Unicode mapped (texchars), maths re-printed from allow-listed
  tokens (texsafe.py, emit_latex.py);
* html: escaped HTML, maths as MathML (latex2mathml of allow-listed TeX, emit_html.py);
* text: plain text with the maths as Unicode (texunicode, emit_text.py).

Maths outside the allow-list is shown as its source, as text, in every format.
`converter(fmt)` gives the block-level converter a template's `prose` filter uses,
`inline(fmt)` the one for a single line (titles, headings, header fields, error messages),
`escape(fmt)` the one for text that is not Markdown at all (labels), `code(fmt)` the one
for spec source shown as code (goals).  Every one drops control characters.
"""
from __future__ import annotations

from typing import Any, Callable

from .markdown import blocks, clean, inline_nodes

__all__ = ["to_latex", "to_latex_inline", "to_html", "to_html_inline", "to_text", "to_text_inline",
           "to_markdown", "to_markdown_inline", "tex_to_mathml", "aligned_table", "converter", "inline",
           "escape", "code", "clean", "math_allowed"]


def math_allowed(tex: str, display: bool = False) -> bool:
    """Whether `tex` is maths of the allow-list (printed as maths, not shown as source)."""
    from .texsafe import check
    return check(tex.strip() if display else tex, display) is not None


def to_latex(text: Any) -> str:
    """Markdown prose as LaTeX (paragraphs, lists, code, emphasis; allow-listed maths)."""
    from . import emit_latex
    return emit_latex.blocks(blocks(text))


def to_latex_inline(text: Any) -> str:
    """One line of Markdown as LaTeX, for titles and headings (no paragraphs)."""
    from . import emit_latex
    return emit_latex.inline(inline_nodes(text)).strip()


def to_html(text: Any) -> str:
    """Markdown prose as HTML blocks (<p>, <ul>, ...) with the maths as MathML."""
    from . import emit_html
    return emit_html.blocks(blocks(text))


def to_html_inline(text: Any) -> str:
    from . import emit_html
    return emit_html.inline(inline_nodes(text))


def tex_to_mathml(tex: str, display: bool = False) -> str:
    """Authored LaTeX (a `$…$` fragment of the spec's prose, allow-listed by texsafe) as
    whitelisted MathML.  Only prose uses it: sympy objects are printed by derive.mathml,
    never converted from their LaTeX."""
    from .emit_html import tex_to_mathml as convert
    return convert(tex, display)


def to_text(text: Any, width: int = 78) -> str:
    """Markdown prose as plain text with Unicode maths, long lines wrapped at `width`."""
    from . import emit_text
    return emit_text.blocks(blocks(text), width=width)


def to_text_inline(text: Any) -> str:
    from . import emit_text
    return emit_text.inline_text(text)


def to_markdown(text: Any) -> str:
    """Markdown prose as safe Markdown: no raw HTML, safe links, allow-listed maths."""
    from . import emit_md
    return emit_md.blocks(blocks(text))


def to_markdown_inline(text: Any, in_table: bool = False) -> str:
    from . import emit_md
    return emit_md.inline(inline_nodes(text), in_table)


def _wrap(line: str, width: int) -> list[str]:
    """A line wrapped at `width` columns (render.py's `wrap` filter)."""
    from .emit_text import wrap_line
    return wrap_line(line, width)


def aligned_table(rows: list[list[str]], indent: str = "", align: list[str] | None = None) -> str:
    """Rows of cells as aligned columns with a rule under the header row."""
    from .emit_text import aligned_table as table
    return table(rows, indent, align)


def _html(fn: Callable[[Any], str]) -> Callable[[Any], Any]:
    from markupsafe import Markup
    return lambda t, *_: Markup(fn(t))


def converter(fmt: str) -> Callable[..., Any]:
    """The block-level prose converter of a format (the `prose` filter)."""
    if fmt == "html":
        return _html(to_html)
    return {"md": lambda t, *_: to_markdown(t), "text": to_text, "latex": lambda t, *_: to_latex(t),
            "json": lambda t, *_: clean(t)}[fmt]


def inline(fmt: str) -> Callable[[Any], Any]:
    """The one-line prose converter of a format (the `prose_inline` filter)."""
    if fmt == "html":
        return _html(to_html_inline)
    return {"md": to_markdown_inline, "text": to_text_inline, "latex": to_latex_inline,
            "json": clean}[fmt]


def escape(fmt: str) -> Callable[[Any], Any]:
    """Plain text (not Markdown) made safe for a format (the `esc` filter): LaTeX's special
    characters and Unicode as commands, HTML escaped, Markdown's markup escaped, and control
    characters dropped everywhere."""
    if fmt == "html":
        from markupsafe import escape as html_escape
        return lambda t: html_escape(clean(t))
    if fmt == "latex":
        from ..texchars import escape_text
        return lambda t: escape_text(clean(t))
    if fmt == "md":
        from .emit_md import escape as md_escape
        return lambda t: md_escape(" ".join(clean(t).split()), line_start=True)
    return lambda t: clean(t)


def code(fmt: str) -> Callable[[Any], Any]:
    """Spec source shown as code (a goal as written; the `code` filter): a code span in
    Markdown, `\\texttt` in LaTeX, `<code>` in HTML, as is in text; control characters dropped."""
    if fmt == "html":
        from markupsafe import Markup, escape as html_escape
        return lambda t: Markup("<code>%s</code>") % html_escape(clean(t))
    if fmt == "latex":
        from ..texchars import escape_verbatim
        return lambda t: r"\texttt{%s}" % escape_verbatim(" ".join(clean(t).split()))
    if fmt == "md":
        from .emit_md import code as md_code
        return lambda t: md_code(" ".join(clean(t).split()))
    return lambda t: " ".join(clean(t).split())
