"""Prose (Markdown with $...$ and $$...$$ maths) converted for each output format.

Markdown output keeps the prose as written.  Text output drops the dollar signs.
LaTeX and HTML conversions are in this module too, so templates only call `| prose`.
"""
from __future__ import annotations

import re
from typing import Callable

MATH = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$", re.S)


def to_markdown(text: str) -> str:
    return text


def to_text(text: str) -> str:
    return MATH.sub(lambda m: (m.group(1) or m.group(2)).strip(), text)


_LATEX_ESCAPE = {"&": r"\&", "%": r"\%", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
                 "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}"}


def _escape_tex(s: str) -> str:
    s = re.sub(r"[&%#_{}~^\\]", lambda m: _LATEX_ESCAPE[m.group()], s)
    s = re.sub(r"`([^`]+)`", r"\\texttt{\1}", s)
    s = re.sub(r"\*\*([^*]+)\*\*", r"\\textbf{\1}", s)
    s = re.sub(r"(?<![\w*])\*([^*]+)\*(?![\w*])", r"\\emph{\1}", s)
    return s


def to_latex(text: str) -> str:
    out, last = [], 0
    for m in MATH.finditer(text):
        out.append(_escape_tex(text[last:m.start()]))
        out.append(r"\[" + m.group(1) + r"\]" if m.group(1) is not None else "$" + m.group(2) + "$")
        last = m.end()
    out.append(_escape_tex(text[last:]))
    return "".join(out)


def to_html(text: str) -> str:
    from .printing import latex  # noqa: F401
    out, last = [], 0
    for m in MATH.finditer(text):
        out.append(_inline_html(text[last:m.start()]))
        tex = m.group(1) if m.group(1) is not None else m.group(2)
        out.append(tex_to_mathml(tex, display=m.group(1) is not None))
        last = m.end()
    out.append(_inline_html(text[last:]))
    return "".join(out)


def _inline_html(s: str) -> str:
    import html
    s = html.escape(s, quote=False)
    s = re.sub(r"`([^`]+)`", r"<code>\1</code>", s)
    s = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", s)
    s = re.sub(r"\n\s*\n", "</p><p>", s)
    return s


def tex_to_mathml(tex: str, display: bool = False) -> str:
    """A LaTeX fragment as MathML (latex2mathml), or as escaped code if it cannot convert.

    The MathML is rebuilt from a whitelist of MathML elements and attributes: latex2mathml
    copies `\\text{<script>...}` through unescaped and turns `\\href{javascript:...}`
    into an attribute, and prose comes from the spec.
    """
    import html
    try:
        from latex2mathml.converter import convert
        out = _safe_mathml(convert(tex, display="block" if display else "inline"))
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


def _safe_mathml(markup: str) -> str | None:
    """`markup` with only whitelisted MathML elements and attributes (others become their
    escaped text); None if it is not well-formed."""
    import html
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


def converter(fmt: str) -> Callable[[str], str]:
    from markupsafe import Markup
    if fmt == "html":
        return lambda t: Markup(to_html(t or ""))
    return {"md": to_markdown, "text": to_text, "latex": to_latex, "json": to_markdown}[fmt]


def extra_filters(fmt: str) -> dict[str, Callable]:
    if fmt == "text":
        return {"unicode": to_unicode, "chain_unicode": chain_unicode, "table_text": table_text}
    if fmt == "html":
        from markupsafe import Markup

        from .printing import latex

        def mathml(x, display=False):
            return Markup(tex_to_mathml(latex(x) if not isinstance(x, str) else x, display))
        return {"mathml": mathml, "tex_mathml": lambda t, display=False: Markup(tex_to_mathml(t, display))}
    return {}


def to_unicode(x) -> str:
    """A sympy object as one line of Unicode for the terminal (names as x₁, ŷ, η)."""
    import sympy as sp

    from .printing import answer_text, name_unicode
    if isinstance(x, str):
        return x
    if not isinstance(x, sp.Basic):
        return answer_text(x)
    text = answer_text(x)
    names = sorted({str(s) for s in x.atoms(sp.Symbol, sp.MatrixSymbol)}, key=len, reverse=True)
    for n in names:
        text = re.sub(rf"(?<![\w.]){re.escape(n)}(?!\w)", name_unicode(n), text)
    return text.replace("**", "^").replace("*", "·").replace("sqrt", "√")


def chain_unicode(step) -> str:
    rel = {"<=": "≤", ">=": "≥"}.get(step.relation, step.relation)
    return f" {rel} ".join(to_unicode(e) for e in step.chain)


def table_text(table, depth: int = 0) -> str:
    cells = [[c if isinstance(c, str) else to_unicode(c) for c in table.header]]
    cells += [[c if isinstance(c, str) else to_unicode(c) for c in row] for row in table.rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(cells[0]))]
    pad = "    " * depth + "      "
    lines = [pad + "  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in cells]
    lines.insert(1, pad + "  ".join("-" * w for w in widths))
    return "\n".join(lines)
