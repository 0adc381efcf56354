"""Parsed prose kept between runs: markdown-it's syntax tree of a text as plain data.

In: a text and which parse it needs (`"blocks"` or `"inline"`), and a function that parses
it with markdown-it into SyntaxTreeNodes.  Out: a list of `Node`s, the same tree with the
attributes the emitters read (`type`, `tag`, `attrs`, `markup`, `info`, `hidden`, `content`,
`map`, `children`).

Importing markdown-it and building its parser is a tenth of a run's start-up, and the
authored texts of a spec rarely change between runs, so each tree is also stored in the
private cache folder (`prose-<key>.json`, derive.cache: verified on read, atomically written, ignored when
absent or corrupted), under the SHA-256 of derive's version, the parse and the text.  A
stored tree holds only strings, numbers and lists: it is read with `json`, never
unpickled.  Within a run, trees are kept in memory too.
"""
from __future__ import annotations

import functools
import hashlib
import json
from typing import Any, Callable

from ..records import record

MAX_FILES = 20_000      # a cache folder with more prose entries than this is emptied first
ROOM_CHECK = "prose-0"  # ... counted when one of these is written (1 write in 16: counting the folder
                        # at every write made each new text cost a listing of up to 20,000 files)


@record
class Node:
    """One node of a parsed text (the subset of markdown-it's SyntaxTreeNode used here)."""

    type: str
    tag: str = ""
    attrs: Any = None            # a dict (attribute -> value)
    markup: str = ""
    info: str = ""
    hidden: bool = False
    content: str = ""
    map: Any = None              # [first line, line after the last] or None
    children: tuple["Node", ...] = ()


def _from_markdown_it(node: Any) -> Node:
    return Node(node.type, node.tag or "", dict(node.attrs or {}), node.markup or "", node.info or "",
                bool(node.hidden), node.content or "", list(node.map) if node.map else None,
                tuple(_from_markdown_it(c) for c in node.children))


def _to_data(n: Node) -> list:
    return [n.type, n.tag, n.attrs, n.markup, n.info, n.hidden, n.content, n.map, [_to_data(c) for c in n.children]]


def _from_data(d: list) -> Node:
    t, tag, attrs, markup, info, hidden, content, mp, kids = d
    if not (isinstance(t, str) and isinstance(attrs, dict) and isinstance(kids, list)):
        raise ValueError("not a stored tree")
    return Node(t, tag, attrs, markup, info, bool(hidden), content, mp, tuple(_from_data(k) for k in kids))


def _key(kind: str, text: str) -> str:
    from ..version import __version__
    return hashlib.sha256(f"{__version__}\0{kind}\0{text}".encode()).hexdigest()


@functools.lru_cache(maxsize=4096)
def tree(kind: str, text: str, parse: Callable[[str], list]) -> tuple[Node, ...]:
    """The nodes of `text` parsed by `parse` (SyntaxTreeNodes), from the cache when stored."""
    from ..cache import cache_dir, read_verified, write_verified
    folder = cache_dir()
    path = folder / f"prose-{_key(kind, text)}.json" if folder is not None else None
    if path is not None:
        payload = read_verified(path)
        if payload is not None:
            try:
                return tuple(_from_data(d) for d in json.loads(payload))
            except (ValueError, TypeError):
                pass          # a verified entry of another shape: parse again and rewrite it
    nodes = tuple(_from_markdown_it(n) for n in parse(text))
    if path is not None:
        if path.name.startswith(ROOM_CHECK):
            _make_room(path.parent)
        write_verified(path, json.dumps([_to_data(n) for n in nodes], separators=(",", ":")).encode())
    return nodes


def _make_room(folder: Any) -> None:
    try:
        entries = list(folder.glob("prose-*.json"))
        if len(entries) >= MAX_FILES:
            for e in entries:
                e.unlink(missing_ok=True)
    except OSError:
        pass
