"""Prose as HTML: escaped text, maths as MathML (latex2mathml of allow-listed TeX only).

In: markdown-it nodes (markdown.py).  Out: HTML blocks (`<p>`, `<ul>`, `<table>`, ...);
headings are `<h4>`-`<h6>` (the page's own headings come first).  No raw HTML reaches
the page (the parser has it off), links are http(s)/mailto/relative only, and MathML is
rebuilt from a whitelist of MathML elements and attributes (`safe_mathml`).  Maths the
allow-list (texsafe) refuses is shown as its source in `<code>`.
"""
from __future__ import annotations

import html

from . import texsafe
from .markdown import math_of, safe_link, touching

ALIGN = {"left": "left", "center": "center", "right": "right"}


def tex_to_mathml(tex: str, display: bool = False) -> str:
    """A LaTeX fragment as MathML (latex2mathml), or as escaped code if it cannot convert.

    The MathML is rebuilt from a whitelist of MathML elements and attributes: latex2mathml
    copies `\\text{<script>...}` through unescaped and turns `\\href{javascript:...}`
    into an attribute, and prose comes from the spec.
    """
    try:
        from latex2mathml.converter import convert
        out = safe_mathml(convert(tex, display="block" if display else "inline"))
    except Exception:  # a fragment latex2mathml cannot read is shown as its source
        out = None
    return out if out is not None else f"<code>{html.escape(tex)}</code>"


_MATHML_TAGS = frozenset(
    "math mrow mi mn mo ms mtext mspace msub msup msubsup munder mover munderover mfrac msqrt mroot "
    "mstyle merror mpadded mphantom mfenced menclose mtable mtr mtd mlabeledtr maligngroup malignmark "
    "mmultiscripts mprescripts none semantics annotation".split())
_MATHML_ATTRS = frozenset(
    "xmlns display mathvariant mathsize mathcolor mathbackground stretchy fence separator separators "
    "lspace rspace minsize maxsize largeop movablelimits accent accentunder form symmetric open close "
    "linethickness bevelled numalign denomalign columnalign rowalign columnspacing rowspacing columnlines "
    "rowlines frame framespacing equalrows equalcolumns displaystyle scriptlevel width height depth "
    "notation align columnspan rowspan encoding voffset".split())


def safe_mathml(markup: str) -> str | None:
    """`markup` with only whitelisted MathML elements and attributes (others become their
    escaped text); None if it is not well-formed."""
    import xml.etree.ElementTree as ET
    try:
        root = ET.fromstring(markup)
    except ET.ParseError:
        return None

    def local(tag: str) -> str:
        return tag.rsplit("}", 1)[-1]

    def emit(el, out: list[str]) -> None:
        tag = local(el.tag)
        if tag not in _MATHML_TAGS:
            out.append(html.escape("".join(el.itertext())))
        else:
            attrs = "".join(f' {k}="{html.escape(v)}"' for k, v in el.attrib.items()
                            if local(k) in _MATHML_ATTRS and not v.strip().lower().startswith("javascript:"))
            if tag == "math":
                attrs = ' xmlns="http://www.w3.org/1998/Math/MathML"' + attrs.replace(
                    ' xmlns="http://www.w3.org/1998/Math/MathML"', "")
            out.append(f"<{tag}{attrs}>")
            if el.text:
                out.append(html.escape(el.text, quote=False))
            for child in el:
                emit(child, out)
            out.append(f"</{tag}>")
        if el.tail:
            out.append(html.escape(el.tail, quote=False))

    out: list[str] = []
    root.tail = None
    emit(root, out)
    return "".join(out)


def math(tex: str, display: bool) -> str:
    """One `$...$` / `$$...$$` as MathML, or its source in `<code>` when refused."""
    if texsafe.check(tex.strip() if display else tex, display) is None:
        fence = "$$" if display else "$"
        return f"<code>{html.escape(fence + tex + fence)}</code>"
    return tex_to_mathml(tex.strip(), display=display)


def inline(nodes: list) -> str:
    out = []
    for n in nodes:
        t = n.type
        if t == "text":
            out.append(html.escape(n.content, quote=False))
        elif t == "softbreak":
            out.append("\n")
        elif t == "hardbreak":
            out.append("<br>\n")
        elif t == "code_inline":
            out.append(f"<code>{html.escape(n.content, quote=False)}</code>")
        elif t in ("math_inline", "math_inline_double"):
            out.append(math(*math_of(n)))
        elif t == "strong":
            out.append(f"<strong>{inline(n.children)}</strong>")
        elif t == "em":
            out.append(f"<em>{inline(n.children)}</em>")
        elif t == "link" and not safe_link(n.attrs.get("href", "")):
            out.append(inline(n.children))
        elif t == "link":
            out.append(f'<a href="{html.escape(n.attrs.get("href", ""))}">{inline(n.children)}</a>')
        else:
            out.append(html.escape(n.content or "", quote=False))
    return "".join(out)


def _list(node) -> str:
    tag = "ol" if node.type == "ordered_list" else "ul"
    start = int(node.attrs.get("start", 1))
    attr = f' start="{start}"' if tag == "ol" and start != 1 else ""
    items = []
    for item in node.children:
        kids = item.children
        if len(kids) == 1 and kids[0].type == "paragraph":
            items.append(f"<li>{inline(kids[0].children[0].children)}</li>")
        else:
            items.append(f"<li>{blocks(kids)}</li>")
    return f"<{tag}{attr}>\n" + "\n".join(items) + f"\n</{tag}>"


def _table(node) -> str:
    def cell(c, tag: str) -> str:
        style = c.attrs.get("style", "").replace("text-align:", "")
        align = ALIGN.get(style, "left")
        body = inline(c.children[0].children) if c.children else ""
        return f'<{tag} style="text-align:{align}">{body}</{tag}>'

    head = body = ""
    for part in node.children:
        if part.type == "thead":
            head = "".join(cell(c, "th") for tr in part.children for c in tr.children)
        else:
            body = "\n".join("<tr>" + "".join(cell(c, "td") for c in tr.children) + "</tr>" for tr in part.children)
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"


def block(node) -> str:
    t = node.type
    if t == "paragraph":
        return f"<p>{inline(node.children[0].children)}</p>"
    if t == "heading":
        level = min(int(node.tag[1]) + 3, 6)
        return f"<h{level}>{inline(node.children[0].children)}</h{level}>"
    if t in ("fence", "code_block"):
        body = node.content[:-1] if node.content.endswith("\n") else node.content
        return f"<pre><code>{html.escape(body, quote=False)}</code></pre>"
    if t == "blockquote":
        return f"<blockquote>\n{blocks(node.children)}\n</blockquote>"
    if t in ("bullet_list", "ordered_list"):
        return _list(node)
    if t == "table":
        return _table(node)
    if t == "math_block":
        return f"<p>{math(*math_of(node))}</p>"
    if t == "hr":
        return "<hr>"
    return html.escape(node.content or "", quote=False)


def blocks(nodes: list) -> str:
    """Blocks one a line; a `$$` display written inside a paragraph stays inside its <p>."""
    out: list[str] = []
    prev = None
    for n in nodes:
        html_ = block(n)
        if out and touching(prev, n) and out[-1].endswith("</p>") and html_.startswith("<p>"):
            out[-1] = out[-1][:-4] + "\n" + html_[3:]
        else:
            out.append(html_)
        prev = n
    return "\n".join(out)
