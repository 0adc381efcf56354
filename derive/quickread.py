"""A hand-written reader for the answers students write most: `read(source)` gives the
very AST (positions included) that the grammar's `response` rule gives through lark, or
None to leave the text to lark.

grammars/spec.lark stays the definition of the language.  This reader covers a strict
subset of it, arithmetic on one line: numbers (the grammar's NUMBER terminal), names (its
NAME terminal, where no other terminal of the grammar matches the word or a beginning of
it: no keyword), the
operators + - * / @ ^ **, calls f(a, b), brackets and tuples, and answers separated by
commas.  Anything else (a bracket [ ], `.T`, a keyword, a comparison, a string, a comment,
a newline, a text longer than MAX_CHARS, a syntax error of any kind) gives None, and the
caller parses with lark, which also words every error.  The LALR parser costs about a
millisecond an answer; this about a tenth of that.  tests/test_quickread.py checks on
random answers that both readers give the same AST and positions.

In: a `Source` (an answer's text); out: a tuple of `ast.Expr`, or None.
"""
from __future__ import annotations

import functools
import re

from . import ast
from .errors import DeriveError, Pos, Source
from .limits import check
from .literals import number

MAX_CHARS = 150          # (so that no answer read here comes near the parser's nesting limit)
_OPS = {"+": "ADD", "-": "ADD", "*": "MUL", "/": "MUL", "@": "MUL", "^": "POW", "**": "POW",
        "(": "(", ")": ")", ",": ","}


@functools.lru_cache(maxsize=1)
def _token_re() -> re.Pattern:
    """NUMBER and NAME as the grammar writes them, the operators, and blanks."""
    from .grammar import parser
    lark = parser()
    num = lark.get_terminal("NUMBER").pattern.to_regexp()
    name = lark.get_terminal("NAME").pattern.to_regexp()
    return re.compile(rf"(?P<num>{num})|(?P<name>{name})|(?P<op>\*\*|[-+*/@^(),])|(?P<ws>[ \t]+)")


@functools.lru_cache(maxsize=1)
def _other_words() -> tuple[re.Pattern, ...]:
    """Every terminal of the grammar but NAME that could match a word (keywords and the like)."""
    from .grammar import parser
    return tuple(re.compile(t.pattern.to_regexp()) for t in parser().terminals if t.name != "NAME")


@functools.lru_cache(maxsize=4096)
def _plain_name(word: str) -> bool:
    """Whether no other terminal matches the word or a beginning of it (`truex` is TRUE then
    a name to lark, whose TRUE outranks NAME)."""
    return not any(p.match(word) for p in _other_words())


@functools.lru_cache(maxsize=1)
def _outranking() -> re.Pattern:
    """The terminals that lark's lexer tries before NAME and the operators (a priority),
    as one pattern: `(b)` after a blank is a LABEL to it, so `f (b)` is no call.  (Words
    are kept from the others by `_plain_name`; only a LABEL can begin with a character of
    the subset.)"""
    from .grammar import parser
    ranked = [t.pattern.to_regexp() for t in parser().terminals if t.priority > 0]
    return re.compile("|".join(f"(?:{r})" for r in ranked))


def _tokens(text: str) -> list[tuple[str, str, int, int]] | None:
    """(kind, text, start, end) of each token, or None when a character is not covered
    or a terminal outside the subset would take it."""
    out, at, end, scan, ranked = [], 0, len(text), _token_re().match, _outranking().match
    operand = False                 # whether the last token ends an operand (a number, a name, `)`)
    while at < end:
        m = scan(text, at)
        if m is None:
            return None
        kind, word, stop = m.lastgroup, m.group(), m.end()
        if operand and kind != "ws" and ranked(text, at):
            return None          # (after an operand lark's lexer may take a LABEL; elsewhere it does not;
                                 # no terminal begins with a blank, which lark's lexer skips)
        if kind == "op":
            out.append((_OPS[word], word, at, stop))
            operand = word == ")"
        elif kind != "ws":
            if kind == "name" and not _plain_name(word):
                return None
            out.append((kind, word, at, stop))
            operand = True
        at = stop
    out.append(("END", "", end, end))
    return out


class _Stop(Exception):
    """Outside the subset (or not an answer at all): lark decides."""


class _Reader:
    """Recursive descent over the tokens, one method per level of the grammar's expression
    rules; each returns (node, start, end), the offsets of its text with any brackets."""

    def __init__(self, source: Source, tokens: list):
        self.src, self.toks, self.k = source, tokens, 0

    def pos(self, start: int, end: int) -> Pos:
        return Pos(self.src, 1, start + 1, 1, end + 1, start, end)

    def take(self, kind: str) -> tuple[str, str, int, int]:
        tok = self.toks[self.k]
        if tok[0] != kind:
            raise _Stop
        self.k += 1
        return tok

    def response(self) -> tuple[ast.Expr, ...]:
        items = self.items()
        self.take("END")
        return items

    def items(self) -> tuple[ast.Expr, ...]:
        """expr (`,` expr)*"""
        out = [self.expr()[0]]
        while self.toks[self.k][0] == ",":
            self.k += 1
            out.append(self.expr()[0])
        return tuple(out)

    def expr(self):
        """product ((`+` | `-`) product)*"""
        return self.chain("ADD", self.product)

    def product(self):
        """unary ((`*` | `/` | `@`) unary)*"""
        return self.chain("MUL", self.unary)

    def chain(self, kind: str, operand):
        """operand (OP operand)*, left-associative, for the operators of `kind`."""
        left, start, end = operand()
        toks = self.toks
        while toks[self.k][0] == kind:
            op = toks[self.k][1]
            self.k += 1
            right, _, end = operand()
            left = ast.BinOp(self.pos(start, end), op, left, right)
        return left, start, end

    def unary(self):
        """(`+` | `-`) unary | power, where power is postfix (`^` unary)?"""
        kind, op, start, _ = self.toks[self.k]
        if kind == "ADD":
            self.k += 1
            operand, _, end = self.unary()
            return ast.UnaryOp(self.pos(start, end), op, operand), start, end
        base, start, end = self.postfix()
        if self.toks[self.k][0] != "POW":
            return base, start, end
        self.k += 1
        exp, _, end = self.unary()
        return ast.BinOp(self.pos(start, end), "^", base, exp), start, end

    def postfix(self):
        """atom (`(` items? `)`)*"""
        node, start, end = self.atom()
        while self.toks[self.k][0] == "(":
            self.k += 1
            args = () if self.toks[self.k][0] == ")" else self.items()
            end = self.take(")")[3]
            node = ast.Call(self.pos(start, end), node, args, ())
        return node, start, end

    def atom(self):
        """number | name | `(` items `)`"""
        kind, text, start, end = self.toks[self.k]
        self.k += 1
        if kind == "num":
            pos = self.pos(start, end)
            try:
                value = number(text, pos)
            except DeriveError:     # (too many digits: lark's route reports it, or a syntax error first)
                raise _Stop from None
            return ast.Num(pos, value, text), start, end
        if kind == "name":
            return ast.Name(self.pos(start, end), text), start, end
        if kind == "(" and self.toks[self.k][0] != ")":
            inner = self.items()
            end = self.take(")")[3]
            if len(inner) == 1:
                return inner[0], start, end
            return ast.Tuple(self.pos(start, end), inner), start, end
        raise _Stop


def read(source: Source) -> tuple[ast.Expr, ...] | None:
    """The AST of an answer in the subset (see the module docstring), or None for lark.
    A LimitError when the run's time budget is spent (as lark's route checks it)."""
    check()
    text = source.text
    if len(text) > MAX_CHARS:
        return None
    tokens = _tokens(text)
    if tokens is None:
        return None
    try:
        return _Reader(source, tokens).response()
    except _Stop:
        return None
