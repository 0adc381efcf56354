"""Prose (Markdown with $...$ and $$...$$ maths) converted for each output format.

Spec text, step sentences, authored answers and error messages are Markdown with LaTeX
maths.  `parse_blocks(text)` reads the subset an exam needs: paragraphs, bullet and
numbered lists (nested by indentation), fenced code, block quotes, `#` headings and
GitHub tables; inside them `code spans`, **bold**, *italics* / _italics_, [links](url),
backslash escapes and maths (`$` follows pandoc's rule: an opening `$` is followed by a
non-space, a closing `$` follows a non-space and is not followed by a digit, so "$5 and
$10" stays text).  Each format has an emitter:

* md: the prose as written (it is Markdown already);
* latex: text escaped and Unicode mapped (texchars), maths kept as written;
* html: escaped HTML, maths as MathML (latex2mathml);
* text: plain text with the maths as Unicode (texunicode).

`converter(fmt)` gives the block-level converter a template's `prose` filter uses;
`inline(fmt)` the one for a single line (titles, headings).
"""
from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Callable, Union

from .texchars import escape_text, escape_verbatim, math_unicode


# ---- inline nodes ----------------------------------------------------------------------

@dataclass
class Text:
    text: str


@dataclass
class Code:
    text: str


@dataclass
class Math:
    tex: str
    display: bool = False


@dataclass
class Strong:
    children: list


@dataclass
class Emph:
    children: list


@dataclass
class Link:
    children: list
    url: str


@dataclass
class Break:
    pass


Inline = Union[Text, Code, Math, Strong, Emph, Link, Break]
PUNCT = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def _math_end(s: str, i: int) -> int:
    """Index of the `$` closing inline maths opened at s[i], or -1 (pandoc's rule)."""
    if i + 1 >= len(s) or s[i + 1].isspace() or s[i + 1] == "$":
        return -1
    j = i + 1
    while j < len(s):
        c = s[j]
        if c == "\\":
            j += 2
            continue
        if c == "$":
            if s[j - 1].isspace() or (j + 1 < len(s) and s[j + 1].isdigit()):
                return -1
            return j
        if c == "\n" and j + 1 < len(s) and s[j + 1] == "\n":
            return -1
        j += 1
    return -1


def _display_end(s: str, i: int) -> int:
    j = i + 2
    while j < len(s) - 1:
        if s[j] == "\\":
            j += 2
            continue
        if s.startswith("$$", j):
            return j
        j += 1
    return -1


def _code_end(s: str, i: int) -> tuple[int, int]:
    """(start of the closing run, its length) for a code span opened at s[i], or (-1, 0)."""
    n = len(s[i:]) - len(s[i:].lstrip("`"))
    j = i + n
    while True:
        k = s.find("`" * n, j)
        if k < 0:
            return -1, n
        m = len(s[k:]) - len(s[k:].lstrip("`"))
        if m == n:
            return k, n
        j = k + m


def _skip(s: str, i: int) -> int:
    """The index after a code span or maths starting at s[i] (so delimiters inside are ignored)."""
    c = s[i]
    if c == "\\":
        return i + 2
    if c == "`":
        k, n = _code_end(s, i)
        return k + n if k >= 0 else i + n
    if s.startswith("$$", i):
        k = _display_end(s, i)
        return k + 2 if k >= 0 else i + 2
    if c == "$":
        k = _math_end(s, i)
        return k + 1 if k >= 0 else i + 1
    return i + 1


def _left_flanking(s: str, i: int, n: int) -> bool:
    after = s[i + n] if i + n < len(s) else " "
    return not after.isspace()


def _find_close(s: str, i: int, delim: str) -> int:
    """Index of the delimiter closing emphasis opened at s[i], skipping code and maths."""
    n = len(delim)
    j = i + n
    while j < len(s):
        if s.startswith(delim, j) and not s[j - 1].isspace() and j > i + n:
            if delim[0] == "_" and j + n < len(s) and (s[j + n].isalnum()):
                j += 1
                continue
            if n == 1 and s.startswith(delim * 2, j):   # `**` inside `*...*`: skip the pair
                k = _find_close(s, j, delim * 2)
                if k > 0:
                    j = k + 2
                    continue
            return j
        if s[j] in "\\`$":
            j = _skip(s, j)
            continue
        j += 1
    return -1


_LINK = re.compile(r"\[([^\]\n]*)\]\(([^()\s]+)\)")


def parse_inline(s: str) -> list[Inline]:
    """Inline Markdown as nodes (see the module docstring)."""
    out: list[Inline] = []
    buf: list[str] = []

    def flush() -> None:
        if buf:
            out.append(Text("".join(buf)))
            buf.clear()

    i = 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            if s[i + 1] in PUNCT:
                buf.append(s[i + 1])
                i += 2
                continue
            if s[i + 1] == "\n":
                flush()
                out.append(Break())
                i += 2
                continue
        if c == "`":
            k, n = _code_end(s, i)
            if k >= 0:
                flush()
                body = s[i + n:k].replace("\n", " ")
                if len(body) > 2 and body[0] == " " and body[-1] == " " and body.strip():
                    body = body[1:-1]
                out.append(Code(body))
                i = k + n
                continue
            buf.append("`" * n)
            i += n
            continue
        if s.startswith("$$", i):
            k = _display_end(s, i)
            if k >= 0:
                flush()
                out.append(Math(s[i + 2:k].strip(), True))
                i = k + 2
                continue
        if c == "$":
            k = _math_end(s, i)
            if k >= 0:
                flush()
                out.append(Math(s[i + 1:k], False))
                i = k + 1
                continue
        if c in "*_":
            n = 2 if s.startswith(c * 2, i) else 1
            delim = c * n
            before = s[i - 1] if i > 0 else " "
            ok = _left_flanking(s, i, n) and not (c == "_" and before.isalnum())
            if ok:
                k = _find_close(s, i, delim)
                if k > 0:
                    flush()
                    inner = parse_inline(s[i + n:k])
                    out.append(Strong(inner) if n == 2 else Emph(inner))
                    i = k + n
                    continue
            buf.append(delim)
            i += n
            continue
        if c == "[":
            m = _LINK.match(s, i)
            if m:
                flush()
                out.append(Link(parse_inline(m.group(1)), m.group(2)))
                i = m.end()
                continue
        if c == " " and s.startswith("  \n", i):
            flush()
            out.append(Break())
            i += 3
            continue
        buf.append(c)
        i += 1
    flush()
    return out


# ---- blocks ------------------------------------------------------------------------------

@dataclass
class Para:
    text: str


@dataclass
class CodeBlock:
    text: str
    lang: str = ""


@dataclass
class Heading:
    level: int
    text: str


@dataclass
class Quote:
    blocks: list


@dataclass
class ListBlock:
    ordered: bool
    start: int
    items: list = field(default_factory=list)   # list[list[Block]]


@dataclass
class TableBlock:
    header: list[str]
    align: list[str]
    rows: list[list[str]]


Block = Union[Para, CodeBlock, Heading, Quote, ListBlock, TableBlock]

_BULLET = re.compile(r"^( {0,3})([-*+])( +)(.*)$")
_ORDERED = re.compile(r"^( {0,3})(\d{1,9})([.)])( +)(.*)$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*([\w+-]*)\s*$")
_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


def _marker(line: str) -> tuple[bool, int, int, str] | None:
    """(ordered, number, content indent, first line) of a list item line, or None."""
    m = _BULLET.match(line)
    if m and not re.fullmatch(r"\s*([-*_])\s*(\1\s*){2,}", line):
        return False, 0, len(m.group(1)) + 1 + min(len(m.group(3)), 4), m.group(4)
    m = _ORDERED.match(line)
    if m:
        return True, int(m.group(2)), len(m.group(1)) + len(m.group(2)) + 1 + min(len(m.group(4)), 4), m.group(5)
    return None


def _cells(line: str) -> list[str]:
    line = line.strip()
    if line.startswith("|"):
        line = line[1:]
    if line.endswith("|") and not line.endswith("\\|"):
        line = line[:-1]
    cells, buf, i = [], [], 0
    while i < len(line):
        if line[i] == "\\" and i + 1 < len(line) and line[i + 1] == "|":
            buf.append("|")
            i += 2
            continue
        if line[i] == "|":
            cells.append("".join(buf).strip())
            buf = []
        else:
            buf.append(line[i])
        i += 1
    cells.append("".join(buf).strip())
    return cells


def parse_blocks(text: str) -> list[Block]:
    """Block-level Markdown as nodes (see the module docstring)."""
    lines = text.replace("\r\n", "\n").replace("\t", "    ").split("\n")
    return _blocks(lines)


def _starts_block(line: str) -> bool:
    return bool(_FENCE.match(line) or _HEADING.match(line) or line.lstrip().startswith(">") or _marker(line))


def _blocks(lines: list[str]) -> list[Block]:
    out: list[Block] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        m = _FENCE.match(line)
        if m:
            fence = m.group(1)
            body = []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith(fence):
                body.append(lines[i])
                i += 1
            out.append(CodeBlock("\n".join(body), m.group(2)))
            i += 1
            continue
        m = _HEADING.match(line)
        if m:
            out.append(Heading(len(m.group(1)), m.group(2)))
            i += 1
            continue
        if line.lstrip().startswith(">"):
            body = []
            while i < len(lines) and lines[i].strip() and lines[i].lstrip().startswith(">"):
                stripped = lines[i].lstrip()[1:]
                body.append(stripped[1:] if stripped.startswith(" ") else stripped)
                i += 1
            out.append(Quote(_blocks(body)))
            continue
        mk = _marker(line)
        if mk:
            block, i = _list(lines, i)
            out.append(block)
            continue
        if "|" in line and i + 1 < len(lines) and _TABLE_SEP.match(lines[i + 1]) and lines[i + 1].count("-") >= 2:
            header = _cells(line)
            aligns = []
            for spec in _cells(lines[i + 1]):
                spec = spec.strip()
                aligns.append("c" if spec.startswith(":") and spec.endswith(":") else
                              "r" if spec.endswith(":") else "l")
            rows = []
            i += 2
            while i < len(lines) and lines[i].strip() and "|" in lines[i]:
                cells = _cells(lines[i])
                rows.append((cells + [""] * len(header))[:len(header)])
                i += 1
            out.append(TableBlock(header, (aligns + ["l"] * len(header))[:len(header)], rows))
            continue
        body = []
        in_display = False
        while i < len(lines) and (in_display or (lines[i].strip() and not (body and _starts_block(lines[i])))):
            body.append(lines[i].strip() if not in_display else lines[i])
            if lines[i].count("$$") % 2 == 1:
                in_display = not in_display
            i += 1
        out.append(Para("\n".join(body)))
    return out


def _list(lines: list[str], i: int) -> tuple[ListBlock, int]:
    ordered, number, indent, first = _marker(lines[i])
    block = ListBlock(ordered, number)
    base = len(lines[i]) - len(lines[i].lstrip())
    while i < len(lines):
        mk = _marker(lines[i])
        if not mk or mk[0] != ordered or len(lines[i]) - len(lines[i].lstrip()) != base:
            break
        _, _, indent, first = mk
        body = [first]
        i += 1
        while i < len(lines):
            line = lines[i]
            if not line.strip():
                # a blank line continues the item only if the next line is indented into it
                j = i
                while j < len(lines) and not lines[j].strip():
                    j += 1
                if j < len(lines) and len(lines[j]) - len(lines[j].lstrip()) >= indent:
                    body.extend([""] * (j - i))
                    i = j
                    continue
                break
            lead = len(line) - len(line.lstrip())
            if lead >= indent:
                body.append(line[indent:])
            elif _starts_block(line):
                break
            else:                      # a lazy continuation line of the item's paragraph
                body.append(line.strip())
            i += 1
        block.items.append(_blocks(body))
        # a blank line between items keeps the list going
        j = i
        while j < len(lines) and not lines[j].strip():
            j += 1
        nxt = _marker(lines[j]) if j < len(lines) else None
        if nxt and nxt[0] == ordered and len(lines[j]) - len(lines[j].lstrip()) == base:
            i = j
    return block, i


# ---- emitters ----------------------------------------------------------------------------

DISPLAY_ENVS = ("align", "align*", "gather", "gather*", "equation", "equation*", "multline", "multline*",
                "flalign", "flalign*", "alignat", "alignat*")


def _latex_math(m: Math) -> str:
    tex = math_unicode(m.tex.strip() if m.display else m.tex)
    if not m.display:
        return f"${tex}$"
    env = re.match(r"\\begin\{([a-z]+\*?)\}", tex)
    if env and env.group(1) in DISPLAY_ENVS and tex.endswith(r"\end{%s}" % env.group(1)):
        return "\n" + tex + "\n"
    return f"\n\\[ {tex} \\]\n"


def latex_inline(nodes: list[Inline]) -> str:
    out = []
    for n in nodes:
        if isinstance(n, Text):
            out.append(escape_text(n.text))
        elif isinstance(n, Code):
            out.append(r"\texttt{%s}" % escape_verbatim(n.text))
        elif isinstance(n, Math):
            out.append(_latex_math(n))
        elif isinstance(n, Strong):
            out.append(r"\textbf{%s}" % latex_inline(n.children))
        elif isinstance(n, Emph):
            out.append(r"\emph{%s}" % latex_inline(n.children))
        elif isinstance(n, Link):
            label = latex_inline(n.children)
            url = escape_verbatim(n.url)
            out.append(label if label == url else f"{label} (\\texttt{{{url}}})")
        elif isinstance(n, Break):
            out.append("\\\\\n")
    return "".join(out)


def latex_blocks(blocks: list[Block]) -> str:
    out = []
    for b in blocks:
        if isinstance(b, Para):
            out.append(latex_inline(parse_inline(b.text)).strip())
        elif isinstance(b, Heading):
            out.append(r"\paragraph*{%s}" % latex_inline(parse_inline(b.text)))
        elif isinstance(b, CodeBlock):
            body = b.text.replace(r"\end{verbatim}", r"\end {verbatim}")
            out.append("\\begin{verbatim}\n" + _ascii_code(body) + "\n\\end{verbatim}")
        elif isinstance(b, Quote):
            out.append("\\begin{quote}\n" + latex_blocks(b.blocks) + "\n\\end{quote}")
        elif isinstance(b, ListBlock):
            env = "enumerate" if b.ordered else "itemize"
            start = f"\\setcounter{{enumi}}{{{b.start - 1}}}\n" if b.ordered and b.start != 1 else ""
            items = "\n".join(r"\item " + latex_blocks(item) for item in b.items)
            out.append(f"\\begin{{{env}}}\n{start}{items}\n\\end{{{env}}}")
        elif isinstance(b, TableBlock):
            head = " & ".join(latex_inline(parse_inline(c)) for c in b.header)
            rows = "\n".join(" & ".join(latex_inline(parse_inline(c)) for c in r) + r" \\" for r in b.rows)
            out.append("\\begin{center}\n\\begin{tabular}{%s}\n\\toprule\n%s \\\\\n\\midrule\n%s\n\\bottomrule\n"
                       "\\end{tabular}\n\\end{center}" % ("".join(b.align), head, rows))
    return "\n\n".join(out)


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


def to_latex(text: str) -> str:
    """Markdown prose as LaTeX (paragraphs, lists, code, emphasis; maths kept)."""
    return latex_blocks(parse_blocks(text or ""))


def to_latex_inline(text: str) -> str:
    """One line of Markdown as LaTeX, for titles and headings (no paragraphs)."""
    return latex_inline(parse_inline(" ".join((text or "").split()))).strip()


# ---- HTML ---------------------------------------------------------------------------------

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


_SAFE_URL = re.compile(r"^(https?:|mailto:|#|/|\./|\.\./|[\w.-]+(/|$))", re.I)


def html_inline(nodes: list[Inline]) -> str:
    out = []
    for n in nodes:
        if isinstance(n, Text):
            out.append(html.escape(n.text, quote=False))
        elif isinstance(n, Code):
            out.append(f"<code>{html.escape(n.text, quote=False)}</code>")
        elif isinstance(n, Math):
            out.append(tex_to_mathml(n.tex.strip(), display=n.display))
        elif isinstance(n, Strong):
            out.append(f"<strong>{html_inline(n.children)}</strong>")
        elif isinstance(n, Emph):
            out.append(f"<em>{html_inline(n.children)}</em>")
        elif isinstance(n, Link):
            label = html_inline(n.children)
            if _SAFE_URL.match(n.url):
                out.append(f'<a href="{html.escape(n.url)}">{label}</a>')
            else:
                out.append(label)
        elif isinstance(n, Break):
            out.append("<br>\n")
    return "".join(out)


def html_blocks(blocks: list[Block]) -> str:
    out = []
    for b in blocks:
        if isinstance(b, Para):
            out.append(f"<p>{html_inline(parse_inline(b.text))}</p>")
        elif isinstance(b, Heading):
            level = min(b.level + 3, 6)
            out.append(f"<h{level}>{html_inline(parse_inline(b.text))}</h{level}>")
        elif isinstance(b, CodeBlock):
            out.append(f"<pre><code>{html.escape(b.text, quote=False)}</code></pre>")
        elif isinstance(b, Quote):
            out.append(f"<blockquote>\n{html_blocks(b.blocks)}\n</blockquote>")
        elif isinstance(b, ListBlock):
            tag = "ol" if b.ordered else "ul"
            start = f' start="{b.start}"' if b.ordered and b.start != 1 else ""
            items = []
            for item in b.items:
                if len(item) == 1 and isinstance(item[0], Para):
                    items.append(f"<li>{html_inline(parse_inline(item[0].text))}</li>")
                else:
                    items.append(f"<li>{html_blocks(item)}</li>")
            out.append(f"<{tag}{start}>\n" + "\n".join(items) + f"\n</{tag}>")
        elif isinstance(b, TableBlock):
            style = {"l": "left", "c": "center", "r": "right"}
            head = "".join(f'<th style="text-align:{style[a]}">{html_inline(parse_inline(c))}</th>'
                           for c, a in zip(b.header, b.align))
            rows = "\n".join("<tr>" + "".join(f'<td style="text-align:{style[a]}">{html_inline(parse_inline(c))}</td>'
                                              for c, a in zip(r, b.align)) + "</tr>" for r in b.rows)
            out.append(f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{rows}\n</tbody>\n</table>")
    return "\n".join(out)


def to_html(text: str) -> str:
    """Markdown prose as HTML blocks (<p>, <ul>, ...) with the maths as MathML."""
    return html_blocks(parse_blocks(text or ""))


def to_html_inline(text: str) -> str:
    return html_inline(parse_inline(" ".join((text or "").split())))


# ---- plain text ---------------------------------------------------------------------------

def text_inline(nodes: list[Inline]) -> str:
    from .texunicode import tex_to_unicode
    out = []
    for n in nodes:
        if isinstance(n, Text):
            out.append(n.text.replace("\n", " "))      # a soft line break is a space
        elif isinstance(n, Code):
            out.append(n.text)
        elif isinstance(n, Math):
            u = tex_to_unicode(n.tex)
            # inline maths is kept on one line when prose is wrapped (no-break spaces)
            out.append(("\n    " + u.replace("\n", "\n    ") + "\n") if n.display else u.replace(" ", "\u00a0"))
        elif isinstance(n, (Strong, Emph)):
            out.append(text_inline(n.children))
        elif isinstance(n, Link):
            label = text_inline(n.children)
            out.append(label if label == n.url else f"{label} <{n.url}>")
        elif isinstance(n, Break):
            out.append("\n")
    return "".join(out)


def _wrap(line: str, width: int) -> list[str]:
    """A line wrapped at `width` columns; no-break spaces hold, then become spaces."""
    import textwrap
    if len(line) <= width or line.startswith("    "):
        return [line.replace("\u00a0", " ")]
    lines = textwrap.wrap(line, width, break_long_words=False, break_on_hyphens=False) or [line]
    return [w.replace("\u00a0", " ") for w in lines]


def text_blocks(blocks: list[Block], indent: str = "", width: int = 78) -> str:
    out = []
    for b in blocks:
        if isinstance(b, Para):
            body = text_inline(parse_inline(b.text)).strip("\n")
            lines = [w for line in body.split("\n") for w in _wrap(line, max(width - len(indent), 30))]
            out.append("\n".join(indent + line if line else "" for line in lines))
        elif isinstance(b, Heading):
            out.append(indent + text_inline(parse_inline(b.text)).replace("\u00a0", " ").upper())
        elif isinstance(b, CodeBlock):
            out.append("\n".join(indent + "    " + line for line in b.text.split("\n")))
        elif isinstance(b, Quote):
            out.append(text_blocks(b.blocks, indent + "  | ", width))
        elif isinstance(b, ListBlock):
            items = []
            for k, item in enumerate(b.items):
                mark = f"{b.start + k}. " if b.ordered else "- "
                body = text_blocks(item, " " * len(mark), width - len(indent))
                items.append(indent + mark + body[len(mark):] if body.startswith(" " * len(mark)) else
                             indent + mark + body)
            out.append("\n".join(items))
        elif isinstance(b, TableBlock):
            rows = [[to_text_inline(c) for c in b.header]]
            rows += [[to_text_inline(c) for c in r] for r in b.rows]
            out.append(aligned_table(rows, indent, b.align))
    return "\n\n".join(out)


def aligned_table(rows: list[list[str]], indent: str = "", align: list[str] | None = None) -> str:
    """Rows of cells as aligned columns with a rule under the header row."""
    from .texunicode import display_width as width
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


def to_text(text: str, width: int = 78) -> str:
    """Markdown prose as plain text with Unicode maths, long lines wrapped at `width`."""
    return text_blocks(parse_blocks(text or ""), width=width)


def to_text_inline(text: str) -> str:
    return text_inline(parse_inline(" ".join((text or "").split()))).replace("\u00a0", " ")


def to_markdown(text: str) -> str:
    """Markdown output keeps the prose as written."""
    return text or ""


def converter(fmt: str) -> Callable[[str], str]:
    """The block-level prose converter of a format (the `prose` filter)."""
    if fmt == "html":
        from markupsafe import Markup
        return lambda t: Markup(to_html(t or ""))
    return {"md": to_markdown, "text": to_text, "latex": to_latex, "json": to_markdown}[fmt]


def inline(fmt: str) -> Callable[[str], str]:
    """The one-line prose converter of a format (the `prose_inline` filter)."""
    if fmt == "html":
        from markupsafe import Markup
        return lambda t: Markup(to_html_inline(t or ""))
    return {"md": lambda t: " ".join((t or "").split()), "text": to_text_inline, "latex": to_latex_inline,
            "json": to_markdown}[fmt]
