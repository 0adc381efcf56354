"""Number literals of the spec language, read exactly and within limits.

In: a literal's text (`0.1`, `3e-2`) or a lark NUMTENSOR token (a bracketed list of plain
numbers, the grammar's fast path for big weight matrices).  Out: an exact `Fraction`, or
the same `ast.ListLit` / `ast.UnaryOp` / `ast.Num` nodes, with the same positions, that
the general `list_lit` rule would build.  Huge literals are a `LimitError` at the literal.
"""
from __future__ import annotations

import bisect
import re
from fractions import Fraction
from typing import TYPE_CHECKING

from . import ast
from .errors import LimitError, Pos, Source

if TYPE_CHECKING:  # pragma: no cover
    from lark import Token

MAX_NUMBER_DIGITS = 1_000      # digits of a number literal, and |exponent| of its `e` part


def number(text: str, pos: Pos | None = None) -> Fraction:
    """A literal as an exact fraction; `1e999999999` or a 5,000-digit literal is refused
    before Python builds the integer (which would take minutes, or fail outright)."""
    if len(text) <= 18 and text.isascii() and text.isdigit():    # (the common case: a short whole number)
        return Fraction(int(text))
    mantissa, _, exponent = text.lower().partition("e")
    digits = len(mantissa.replace(".", "").lstrip("0"))
    if digits > MAX_NUMBER_DIGITS:
        raise LimitError(f"this number has {digits:,} digits; derive refuses literals of more than "
                         f"{MAX_NUMBER_DIGITS:,}", pos)
    if exponent and (len(exponent.lstrip("+-0")) > 6 or abs(int(exponent)) > MAX_NUMBER_DIGITS):
        shown = exponent if len(exponent) <= 12 else exponent[:10] + "…"
        raise LimitError(f"the exponent e{shown} is too large (derive allows at most e±{MAX_NUMBER_DIGITS:,} "
                         "in a literal)", pos)
    if not exponent:                    # a plain decimal: digits over a power of ten (no regex)
        whole, _, frac = mantissa.partition(".")
        return Fraction(int(whole + frac) if whole or frac else 0, 10 ** len(frac))
    return Fraction(text)


_TENSOR_PART = re.compile(r"(\[)|(\])|(,)|([-+])|((?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)|[ \t\f\r\n]+")


def num_tensor(source: Source, tok: Token) -> ast.ListLit:
    """The AST of a NUMTENSOR token (a list, or list of lists, of signed numbers): the same
    ListLit / UnaryOp / Num nodes, with the same positions, that list_lit would give."""
    text, base = str(tok), tok.start_pos
    full = source.text

    newlines = [m.start() + base for m in re.finditer("\n", text)]

    def at(off: int) -> tuple[int, int]:            # 1-based line and column of an offset
        k = bisect.bisect_left(newlines, off)
        nl = newlines[k - 1] if k else full.rfind("\n", 0, base)
        return tok.line + k, off - nl

    def pos(a: int, b: int) -> Pos:
        (l1, c1), (l2, c2) = at(a), at(b)
        return Pos(source, l1, c1, l2, c2, a, b)

    stack: list[tuple[int, list]] = []
    sign: tuple[int, str] | None = None
    for m in _TENSOR_PART.finditer(text):
        kind = m.lastindex
        if kind is None:                            # white space
            continue
        a, b = base + m.start(), base + m.end()
        if kind == 1:
            stack.append((a, []))
        elif kind == 2:
            start, items = stack.pop()
            node = ast.ListLit(pos(start, b), tuple(items))
            if not stack:
                return node
            stack[-1][1].append(node)
        elif kind == 4:
            sign = (a, m.group(4))
        elif kind == 5:
            here = pos(a, b)
            num = ast.Num(here, number(m.group(5), here), m.group(5))
            if sign is not None:
                num = ast.UnaryOp(pos(sign[0], b), sign[1], num)
                sign = None
            stack[-1][1].append(num)
    raise AssertionError("NUMTENSOR token without its closing bracket")   # (the grammar rules it out)
