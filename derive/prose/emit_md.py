"""Prose re-emitted as safe Markdown (for GitHub, Jupyter and any other renderer).

In: markdown-it nodes (markdown.py).  Out: Markdown that renders as the prose was meant,
and nothing more: text is escaped where a renderer could read it as markup (`<tag`, `[`,
`` ` ``, `\\`, `$`, `~`, emphasis characters that could open or close emphasis, block
markers at the start of a line), so the raw HTML, unsafe links and images that markdown-it
left as text stay text for whatever renders the output.  Emphasis, lists and code keep
the markers they were written with.  `$...$` maths is kept only when the allow-list
(texsafe) accepts it, and then with no `<` that could open a tag; refused maths is a code
span of its source.
"""
from __future__ import annotations

import re

from . import texsafe
from .markdown import joined, math_of, safe_link

_LINE_START = re.compile(r"^([#>=|]|[-+*](\s|$)|\d{1,9}[.)](\s|$)|~~~|```)")
_ENTITY = re.compile(r"&(#?[A-Za-z0-9]+;)")
_TAG_OPEN = re.compile(r"<(?=[A-Za-z/!?])")
_LINK_JOIN = re.compile(r"\](?=[(\[])")


def _md_tex(tex: str) -> str:
    """Allowed maths as Markdown sees it: no `<` that opens a tag or an autolink, no `](`
    that makes a link for a renderer without maths (spaces are nothing in TeX maths)."""
    return _LINK_JOIN.sub("] ", _TAG_OPEN.sub("< ", tex))


def code(text: str) -> str:
    """`text` as a Markdown code span, whatever backticks it holds."""
    text = text.replace("\n", " ")
    ticks = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (ticks + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def escape(text: str, line_start: bool = False, in_table: bool = False) -> str:
    """Plain text as Markdown that shows exactly that text."""
    out = []
    for k, ch in enumerate(text):
        before = text[k - 1] if k else "\0"              # a node's edge: as if markup were there
        after = text[k + 1] if k + 1 < len(text) else "\0"
        if ch in "\\`[]~$":
            out.append("\\" + ch)
        elif ch == "*" and not (before.isspace() and after.isspace()):
            out.append("\\*")
        elif ch == "_" and not (before.isalnum() and after.isalnum()):
            out.append("\\_")
        elif ch == "|" and in_table:
            out.append("\\|")
        else:
            out.append(ch)
    s = "".join(out)
    s = _TAG_OPEN.sub(r"\\<", _ENTITY.sub(r"&amp;\1", s))
    if line_start and _LINE_START.match(s):
        s = re.sub(r"^(\d+)([.)])", r"\1\\\2", s) if s[0].isdigit() else "\\" + s
    return s


def math(tex: str, display: bool) -> str:
    fence = "$$" if display else "$"
    if texsafe.check(tex.strip() if display else tex, display) is None:
        return code(fence + tex + fence)
    return fence + _md_tex(tex) + fence


def _link(n) -> str:
    href = n.attrs.get("href", "")
    safe = re.sub(r"[\s()<>\\]", lambda m: "%%%02X" % ord(m.group()), href)
    if n.markup == "autolink":
        return f"<{safe}>"
    return f"[{inline(n.children)}]({safe})"


def inline(nodes: list, in_table: bool = False) -> str:
    out = []
    line_start = True
    for n in nodes:
        t = n.type
        if t == "text":
            out.append(escape(n.content, line_start, in_table))
        elif t == "softbreak":
            out.append("\n")
        elif t == "hardbreak":
            out.append("\\\n")
        elif t == "code_inline":
            out.append(code(n.content))
        elif t in ("math_inline", "math_inline_double"):
            out.append(math(*math_of(n)))
        elif t in ("strong", "em"):
            out.append(n.markup + inline(n.children, in_table) + n.markup)
        elif t == "link" and not safe_link(n.attrs.get("href", "")):
            out.append(inline(n.children, in_table))
        elif t == "link":
            out.append(_link(n))
        else:
            out.append(escape(n.content or "", line_start, in_table))
        line_start = t in ("softbreak", "hardbreak")
    return "".join(out)


def _indent(text: str, pad: str) -> str:
    return "\n".join((pad + line) if line.strip() else "" for line in text.split("\n"))


def _list(node) -> str:
    start = int(node.attrs.get("start", 1))
    loose = any(not p.hidden for item in node.children for p in item.children if p.type == "paragraph")
    items = []
    for k, item in enumerate(node.children):
        mark = f"{start + k}{item.markup} " if node.type == "ordered_list" else f"{item.markup} "
        body = blocks(item.children, sep="\n\n" if loose else "\n")
        first, _, rest = body.partition("\n")
        items.append(mark + first + ("\n" + _indent(rest, " " * len(mark)) if rest else ""))
    return ("\n\n" if loose else "\n").join(items)


def _table(node) -> str:
    rows = [tr for part in node.children for tr in part.children]
    lines = []
    for k, tr in enumerate(rows):
        cells = [inline(c.children[0].children, in_table=True) if c.children else "" for c in tr.children]
        lines.append("| " + " | ".join(cells) + " |")
        if k == 0:
            rule = {"text-align:left": ":---", "text-align:right": "---:", "text-align:center": ":---:"}
            lines.append("|" + "|".join(rule.get(c.attrs.get("style", ""), "---") for c in tr.children) + "|")
    return "\n".join(lines)


def _fence(node) -> str:
    body = node.content if node.content.endswith("\n") or not node.content else node.content + "\n"
    ticks = max((len(m) for m in re.findall(r"`{3,}", body)), default=2)
    info = re.sub(r"[^\w+.-]", "", node.info or "")
    return "`" * (ticks + 1) + info + "\n" + body + "`" * (ticks + 1)


def block(node) -> str:
    t = node.type
    if t == "paragraph":
        return inline(node.children[0].children)
    if t == "heading":
        return "#" * int(node.tag[1]) + " " + inline(node.children[0].children)
    if t in ("fence", "code_block"):
        return _fence(node)
    if t == "blockquote":
        return "\n".join("> " + line if line else ">" for line in blocks(node.children).split("\n"))
    if t in ("bullet_list", "ordered_list"):
        return _list(node)
    if t == "table":
        return _table(node)
    if t == "math_block":
        tex = node.content
        if texsafe.check(tex.strip(), True) is None:
            return _fence_text("$$" + tex + "$$")
        return "$$" + _md_tex(tex) + "$$"
    if t == "hr":
        return "---"
    return escape(node.content or "", True)


def _fence_text(text: str) -> str:
    ticks = max((len(m) for m in re.findall(r"`{3,}", text)), default=2)
    return "`" * (ticks + 1) + "\n" + text.rstrip("\n") + "\n" + "`" * (ticks + 1)


def blocks(nodes: list, sep: str = "\n\n") -> str:
    return joined([(n, block(n)) for n in nodes], sep=sep, source_layout=True)
