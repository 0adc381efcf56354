"""Prose as plain text for the terminal: maths as Unicode (texunicode), lines wrapped.

In: markdown-it nodes (markdown.py).  Out: text with `- ` / `1. ` lists, `  | ` quotes,
code indented four spaces, headings in capitals, tables as aligned columns, links as
`label <address>`; inline maths is kept on one line when wrapping, display maths is
indented on lines of its own.  Maths the allow-list (texsafe) refuses is shown as its
source (`$...$`), not read as TeX.
"""
from __future__ import annotations

from . import texsafe
from .markdown import inline_nodes, joined, math_of, safe_link


def math(tex: str, display: bool) -> str:
    from ..texunicode import tex_to_unicode
    if texsafe.check(tex.strip() if display else tex, display) is None:
        fence = "$$" if display else "$"
        u = fence + " ".join(tex.split()) + fence
    else:
        u = tex_to_unicode(tex)
    # inline maths is kept on one line when prose is wrapped (no-break spaces)
    return ("\n    " + u.replace("\n", "\n    ") + "\n") if display else u.replace(" ", "\u00a0")


def inline(nodes: list) -> str:
    out = []
    for n in nodes:
        t = n.type
        if t == "text":
            out.append(n.content)
        elif t == "softbreak":
            out.append(" ")                      # a soft line break is a space
        elif t == "hardbreak":
            out.append("\n")
        elif t == "code_inline":
            out.append(n.content)
        elif t in ("math_inline", "math_inline_double"):
            out.append(math(*math_of(n)))
        elif t in ("strong", "em"):
            out.append(inline(n.children))
        elif t == "link" and not safe_link(n.attrs.get("href", "")):
            out.append(inline(n.children))
        elif t == "link":
            label, url = inline(n.children), n.attrs.get("href", "")
            out.append(label if label == url else f"{label} <{url}>")
        else:
            out.append(n.content or "")
    return "".join(out)


def wrap_line(line: str, width: int) -> list[str]:
    """A line wrapped at `width` columns; no-break spaces hold, then become spaces."""
    import textwrap
    if len(line) <= width or line.startswith("    "):
        return [line.replace("\u00a0", " ")]
    lines = textwrap.wrap(line, width, break_long_words=False, break_on_hyphens=False) or [line]
    return [w.replace("\u00a0", " ") for w in lines]


def _para(body: str, indent: str, width: int) -> str:
    lines = [w for line in body.strip("\n").split("\n") for w in wrap_line(line, max(width - len(indent), 30))]
    return "\n".join(indent + line if line else "" for line in lines)


def _list(node, indent: str, width: int) -> str:
    start = int(node.attrs.get("start", 1))
    items = []
    for k, item in enumerate(node.children):
        mark = f"{start + k}. " if node.type == "ordered_list" else "- "
        body = blocks(item.children, " " * len(mark), width - len(indent))
        items.append(indent + mark + (body[len(mark):] if body.startswith(" " * len(mark)) else body))
    return "\n".join(items)


def block(node, indent: str, width: int) -> str:
    t = node.type
    if t == "paragraph":
        return _para(inline(node.children[0].children), indent, width)
    if t == "math_block":
        return _para(math(*math_of(node)), indent, width)
    if t == "heading":
        return indent + inline(node.children[0].children).replace("\u00a0", " ").upper()
    if t in ("fence", "code_block"):
        body = node.content[:-1] if node.content.endswith("\n") else node.content
        return "\n".join(indent + "    " + line for line in body.split("\n"))
    if t == "blockquote":
        return blocks(node.children, indent + "  | ", width)
    if t in ("bullet_list", "ordered_list"):
        return _list(node, indent, width)
    if t == "table":
        rows = [tr for part in node.children for tr in part.children]
        cells = [[inline(c.children[0].children).replace("\u00a0", " ") if c.children else "" for c in tr.children]
                 for tr in rows]
        style = [c.attrs.get("style", "") for c in rows[0].children] if rows else []
        align = ["r" if "right" in s else "c" if "center" in s else "l" for s in style]
        return aligned_table(cells, indent, align)
    if t == "hr":
        return indent + "-" * min(width - len(indent), 40)
    return indent + (node.content or "")


def blocks(nodes: list, indent: str = "", width: int = 78) -> str:
    return joined([(n, block(n, indent, width)) for n in nodes])


def aligned_table(rows: list[list[str]], indent: str = "", align: list[str] | None = None) -> str:
    """Rows of cells as aligned columns with a rule under the header row."""
    from ..texunicode import display_width as width
    n = max(len(r) for r in rows)
    rows = [r + [""] * (n - len(r)) for r in rows]
    widths = [max(width(r[k]) for r in rows) for k in range(n)]
    align = (align or []) + ["l"] * n

    def cell(text: str, k: int) -> str:
        pad = widths[k] - width(text)
        return " " * pad + text if align[k] == "r" else text + " " * pad

    lines = [indent + "  ".join(cell(c, k) for k, c in enumerate(r)).rstrip() for r in rows]
    lines.insert(1, indent + "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def inline_text(text: str) -> str:
    """One line of prose as text (titles, table cells)."""
    return inline(inline_nodes(text)).replace("\u00a0", " ")
