"""Prose as LaTeX: text escaped and Unicode mapped (texchars), maths through the allow-list.

In: markdown-it nodes (markdown.py).  Out: ASCII LaTeX for a stock pdflatex.  Paragraphs,
`#` headings (`\\paragraph*`), lists (`itemize`/`enumerate`), block quotes, code
(`verbatim`, `\\texttt`), GFM tables (booktabs), **bold**, *italics*, links (the label and
the address in `\\texttt`).  Maths that the allow-list (texsafe) refuses is shown as its
source in `\\texttt`, never as TeX.
"""
from __future__ import annotations

import re
import unicodedata

from ..texchars import escape_text, escape_verbatim
from . import texsafe
from .markdown import joined, math_of, safe_link


def math(tex: str, display: bool) -> str:
    """One `$...$` / `$$...$$` as LaTeX, or its source as verbatim text when refused."""
    body = tex.strip() if display else tex
    toks = texsafe.check(body, display)
    if toks is None:
        fence = "$$" if display else "$"
        return r"\texttt{%s}" % escape_verbatim(fence + tex + fence)
    out = texsafe.to_latex(toks)
    if not display:
        return f"${out}$"
    env = re.match(r"\\begin\{([a-z]+\*?)\}", out)
    if env and env.group(1) in texsafe.DISPLAY_ENVS:
        if not out.endswith(r"\end{%s}" % env.group(1)):     # text after the environment
            return r"\texttt{%s}" % escape_verbatim("$$" + tex + "$$")
        return "\n" + out + "\n"
    return f"\n\\[ {out} \\]\n"


def inline(nodes: list) -> str:
    out = []
    for n in nodes:
        t = n.type
        if t == "text":
            out.append(escape_text(n.content))
        elif t == "softbreak":
            out.append("\n")
        elif t == "hardbreak":
            out.append("\\\\\n")
        elif t == "code_inline":
            out.append(r"\texttt{%s}" % escape_verbatim(n.content))
        elif t in ("math_inline", "math_inline_double"):
            out.append(math(*math_of(n)))
        elif t == "strong":
            out.append(r"\textbf{%s}" % inline(n.children))
        elif t == "em":
            out.append(r"\emph{%s}" % inline(n.children))
        elif t == "link" and not safe_link(n.attrs.get("href", "")):
            out.append(inline(n.children))
        elif t == "link":
            label = inline(n.children)
            url = escape_verbatim(n.attrs.get("href", ""))
            out.append(label if label == url else f"{label} (\\texttt{{{url}}})")
        else:                                   # anything else: its text, escaped
            out.append(escape_text(n.content or ""))
    return "".join(out)


def _code(node) -> str:
    body = node.content[:-1] if node.content.endswith("\n") else node.content
    body = body.replace(r"\end{verbatim}", r"\end {verbatim}")
    return "\\begin{verbatim}\n" + _ascii_code(body) + "\n\\end{verbatim}"


def _list(node) -> str:
    env = "enumerate" if node.type == "ordered_list" else "itemize"
    start = int(node.attrs.get("start", 1))
    counter = f"\\setcounter{{enumi}}{{{start - 1}}}\n" if env == "enumerate" and start != 1 else ""
    items = "\n".join(r"\item " + blocks(item.children) for item in node.children)
    return f"\\begin{{{env}}}\n{counter}{items}\n\\end{{{env}}}"


def _table(node) -> str:
    rows = [tr for part in node.children for tr in part.children]
    aligns = ["c" if "center" in c.attrs.get("style", "") else "r" if "right" in c.attrs.get("style", "") else "l"
              for c in rows[0].children] if rows else []

    def line(tr) -> str:
        return " & ".join(inline(cell.children[0].children if cell.children else []) for cell in tr.children)

    head = line(rows[0]) if rows else ""
    body = "\n".join(line(tr) + r" \\" for tr in rows[1:])
    return ("\\begin{center}\n\\begin{tabular}{%s}\n\\toprule\n%s \\\\\n\\midrule\n%s\n\\bottomrule\n"
            "\\end{tabular}\n\\end{center}" % ("".join(aligns), head, body))


def block(node) -> str:
    t = node.type
    if t == "paragraph":
        return inline(node.children[0].children).strip()
    if t == "heading":
        return r"\paragraph*{%s}" % inline(node.children[0].children)
    if t in ("fence", "code_block"):
        return _code(node)
    if t == "blockquote":
        return "\\begin{quote}\n" + blocks(node.children) + "\n\\end{quote}"
    if t in ("bullet_list", "ordered_list"):
        return _list(node)
    if t == "table":
        return _table(node)
    if t == "math_block":
        return math(*math_of(node)).strip()
    if t == "hr":
        return r"\noindent\rule{\linewidth}{0.4pt}"
    return escape_text(node.content or "")


def blocks(nodes: list) -> str:
    """Blocks apart by blank lines, a display too (as derive's LaTeX always set them)."""
    return joined([(n, block(n)) for n in nodes], tight="\n\n")


def _ascii_code(s: str) -> str:
    """Code shown verbatim: non-ASCII characters cannot go through pdflatex's verbatim."""
    out = []
    for ch in s:
        if ch.isascii():
            out.append(ch)
        else:
            folded = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
            out.append(folded or "?")
    return "".join(out)
