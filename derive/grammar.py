"""The spec grammar's LALR parser (grammars/spec.lark), built once per process.

In: nothing.  Out: `parser()`, the lark parser that derive.syntax parses specs with and that
derive.parse_errors replays its example errors through (so neither imports the other).
"""
from __future__ import annotations

import functools

from lark import Lark

from .resources import read_text


@functools.lru_cache(maxsize=1)
def parser() -> Lark:
    """The LALR parser, built once per process; its tables are kept in derive's private
    cache folder (derive/cache.py: not lark's own cache, a pickle under a predictable name
    in the shared temporary folder) and used only when their hash checks out."""
    import hashlib
    import io
    import sys

    import lark

    from .cache import cache_dir, read_verified, write_verified
    grammar = read_text("grammars", "spec.lark")
    folder = cache_dir()
    path = None
    if folder is not None:
        key = hashlib.sha256(f"{grammar}{lark.__version__}{sys.version_info[:2]}".encode()).hexdigest()[:24]
        path = folder / f"spec-{key}.tables"
        payload = read_verified(path)
        if payload is not None:
            try:
                return Lark.load(io.BytesIO(payload))
            except Exception:   # noqa: BLE001 - tables from another lark: rebuild them
                pass
    built = Lark(grammar, parser="lalr", lexer="contextual", propagate_positions=True, maybe_placeholders=True,
                 start=["start", "response"])
    if path is not None:
        buf = io.BytesIO()
        built.save(buf)
        write_verified(path, buf.getvalue())
    return built
