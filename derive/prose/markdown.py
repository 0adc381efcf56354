"""Authored prose read into a markdown-it syntax tree (CommonMark, GFM tables, `$` maths).

`blocks(text)` gives the block nodes of a text, `inline_nodes(text)` the inline nodes of
one line (titles, table cells).  The parser is markdown-it-py's CommonMark with:

* raw HTML off (`<script>` is text), images off (`![x](y)` is `!` and a link);
* links are parsed whatever their address, and the emitters print a link only when
  `safe_link` holds (the schemes http, https and mailto, or none: a relative link); any
  other link (`javascript:`, `data:`, `vbscript:`, `file:`) is shown as its label, plain text;
* GFM tables;
* maths from mdit-py-plugins' dollarmath with pandoc's rule (an opening `$` is followed by
  a non-space, a closing `$` follows a non-space and is not followed by a digit, so
  "$5 and $10" stays text), `$$...$$` inline or as a block, a `$$` block may interrupt a
  paragraph and span lines that would otherwise start a list (`+ x`).

Parsed trees are kept between runs (`treecache`), so a run whose texts were all seen
before imports no markdown-it.  `clean(text)` removes control characters (U+0000-U+001F but newline and tab, U+007F-U+009F)
and is applied to every input first.  `math_of(node)` is (tex, display) of a maths node.
"""
from __future__ import annotations

import functools
import re
from typing import Any

MATH_TYPES = ("math_inline", "math_inline_double", "math_block")
SAFE_SCHEMES = ("http", "https", "mailto")

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SCHEME = re.compile(r"^\s*([A-Za-z][A-Za-z0-9+.\-]*):")


def clean(text: Any) -> str:
    """`text` as a string without control characters (CR LF and CR become LF)."""
    s = "" if text is None else str(text)
    s = s.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", s)


def safe_link(url: str) -> bool:
    """Whether a link target is http(s), mailto or relative (no scheme at all)."""
    m = _SCHEME.match(url)
    return m is None or m.group(1).lower() in SAFE_SCHEMES


@functools.lru_cache(maxsize=1)
def parser():
    """The shared markdown-it parser (built on first use: startup does not pay for it)."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.dollarmath import dollarmath_plugin
    from mdit_py_plugins.dollarmath.index import math_block_dollar

    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("table").disable("image")
    md.use(dollarmath_plugin, allow_labels=False, allow_space=False, allow_digits=False,
           double_inline=True, allow_blank_lines=False)
    # a `$$` line may interrupt a paragraph, as in pandoc and the Markdown that came before
    md.block.ruler.at("math_block", _quiet(math_block_dollar(False, None, False)),
                      {"alt": ["paragraph", "reference", "blockquote", "list"]})
    md.validateLink = lambda url: True          # the emitters decide, with safe_link
    return md


def _quiet(rule):
    """The block rule, pushing no token when markdown-it only asks whether it would match
    (`silent`, as when it looks for what ends a paragraph or a list)."""
    def run(state, start: int, end: int, silent: bool) -> bool:
        if not silent:
            return rule(state, start, end, False)
        n, line = len(state.tokens), state.line
        matched = rule(state, start, end, False)
        del state.tokens[n:]
        state.line = line
        return matched
    return run


def blocks(text: Any) -> list:
    """The block nodes of a text (`treecache.Node`s: markdown-it's tree, kept between runs)."""
    from .treecache import tree
    return list(tree("blocks", clean(text), _parse_blocks))


def inline_nodes(text: Any) -> list:
    """The inline nodes of one line: white space (newlines too) folded to single spaces."""
    from .treecache import tree
    line = " ".join(clean(text).split())
    if not line:
        return []
    return list(tree("inline", line, _parse_inline))


def _parse_blocks(text: str) -> list:
    from markdown_it.tree import SyntaxTreeNode
    return SyntaxTreeNode(parser().parse(text)).children


def _parse_inline(line: str) -> list:
    from markdown_it.tree import SyntaxTreeNode
    root = SyntaxTreeNode(parser().parseInline(line))
    return root.children[0].children if root.children else []


def math_of(node) -> tuple[str, bool]:
    """(tex, display) of a maths node."""
    return node.content, node.type != "math_inline"


def touching(prev, node, source_layout: bool = False) -> bool:
    """Whether `node` follows `prev` in the source with no blank line between, and is part
    of the same paragraph: a `$$` display and the paragraph around it (`source_layout`:
    any block after a paragraph or display, as Markdown out keeps them)."""
    if prev is None or not prev.map or not node.map or prev.map[1] != node.map[0]:
        return False
    if prev.type not in ("paragraph", "math_block"):
        return False
    return source_layout or (node.type in ("paragraph", "math_block") and "math_block" in (prev.type, node.type))


def joined(parts: list[tuple[Any, str]], sep: str = "\n\n", tight: str = "\n", source_layout: bool = False) -> str:
    """Emitted blocks joined by `sep`, but by `tight` where they touch (see `touching`)."""
    out: list[str] = []
    prev = None
    for node, text in parts:
        if not text:
            continue
        if out:
            out.append(tight if touching(prev, node, source_layout) else sep)
        out.append(text)
        prev = node
    return "".join(out)
