"""Parse errors in words.

lark reports "Unexpected token RBRACE"; users want "missing `}` to close the problem".
`explain` first asks lark's `match_examples` which labelled malformed spec (below) the
failing parser state resembles, then falls back to a description of what was expected.
"""
from __future__ import annotations

import functools

from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from .errors import Pos, Source, SpecSyntaxError

# message -> malformed specs that should produce it.  Keep each example minimal.
EXAMPLES: dict[str, list[str]] = {
    "missing `}` to close the problem": [
        'problem "p" { let a = 1 ',
        'problem "p" { find a ',
        'problem "p" { let a = 1 problem "q" { }',
    ],
    "missing `{` after the problem title": [
        'problem "p" let a = 1 }',
        'problem "p" points 3 let a = 1 }',
    ],
    "a problem needs a title in quotes, as in `problem \"Title\" { ... }`": [
        'problem { }',
        'problem p { }',
    ],
    "missing `=` in a definition": [
        'problem "p" { let a 1 }',
        'problem "p" { input x [1, 2] }',
        'problem "p" { param W ones(2, 2) }',
    ],
    "missing `)`": [
        'problem "p" { let a = f(1 }',
        'problem "p" { let a = (1 + 2 }',
        'problem "p" { find f(1, 2 }',
    ],
    "missing `]`": [
        'problem "p" { let a = [1, 2 }',
        'problem "p" { let a = x[1 }',
    ],
    "an expression is incomplete here": [
        'problem "p" { let a = 1 + }',
        'problem "p" { let a = 2 * }',
        'problem "p" { let a = }',
        'problem "p" { find }',
    ],
    "two values with no operator between them (write `2*x`, not `2 x`)": [
        'problem "p" { let a = 2 x }',
        'problem "p" { let a = 1 2 }',
    ],
    "statements belong inside a `problem { ... }`": [
        'let a = 1',
        'find a',
        'symbol a',
    ],
    "a declaration needs a shape in parentheses, as in `vector x : (d)`": [
        'problem "p" { vector x }',
        'problem "p" { vector x : d }',
        'problem "p" { matrix W : }',
    ],
    "unexpected `}`: nothing is open here": [
        '}',
        'problem "p" { } }',
    ],
    "`if` needs `then` and `else`, as in `if c then a else b`": [
        'problem "p" { let a = if 1 then 2 }',
        'problem "p" { let a = if 1 2 else 3 }',
    ],
}


@functools.lru_cache(maxsize=1)
def _examples() -> dict[str, list[str]]:
    return EXAMPLES


def _describe(tok) -> str:
    if tok is None or getattr(tok, "type", "") == "$END":
        return "the end of the file"
    return f"`{tok}`"


def explain(exc: UnexpectedInput, source: Source) -> SpecSyntaxError:
    from .syntax import parser
    line = getattr(exc, "line", 1) or 1
    column = getattr(exc, "column", 1) or 1
    if isinstance(exc, UnexpectedEOF) or (isinstance(exc, UnexpectedToken) and exc.token.type == "$END"):
        line = source.text.count("\n") + 1
        column = len(source.line(line)) + 1
    pos = Pos(source, line, column)
    try:
        label = exc.match_examples(parser().parse, _examples(), use_accepts=True)
    except Exception:  # match_examples re-parses; never let that hide the real error
        label = None
    if label:
        if "close the problem" in label:
            opened = _open_problem_line(source, exc)
            if opened:
                label = f"missing `}}` to close the problem opened at line {opened}"
        found = getattr(exc, "token", None)
        suffix = "" if label.startswith("unexpected") else f" (found {_describe(found)})"
        return SpecSyntaxError(label + suffix, pos)
    if isinstance(exc, UnexpectedCharacters):
        ch = source.text[exc.pos_in_stream] if exc.pos_in_stream < len(source.text) else "?"
        return SpecSyntaxError(f"unexpected character `{ch}`", pos)
    if isinstance(exc, UnexpectedToken):
        expected = sorted(_readable(t) for t in exc.expected)[:6]
        return SpecSyntaxError(f"unexpected {_describe(exc.token)}; expected "
                               + ", ".join(expected), pos)
    return SpecSyntaxError("the spec could not be read here", pos)


def _open_problem_line(source: Source, exc) -> int | None:
    """The line of the last `problem` opened before the error."""
    upto = getattr(exc, "pos_in_stream", None)
    text = source.text if upto is None or upto < 0 else source.text[:upto + 1]
    best = None
    for i, l in enumerate(text.splitlines(), 1):
        if l.lstrip().startswith("problem"):
            best = i
    return best


_NAMES = {
    "RBRACE": "`}`", "LBRACE": "`{`", "RPAR": "`)`", "LPAR": "`(`", "RSQB": "`]`", "LSQB": "`[`",
    "COMMA": "`,`", "EQUAL": "`=`", "COLON": "`:`", "NAME": "a name", "NUMBER": "a number",
    "STRING": "a string", "LONG_STRING": "a string", "LABEL": "a label like (a)", "ADDOP": "`+` or `-`",
    "MULOP": "`*`, `/` or `@`", "POWOP": "`^`", "COMP": "a comparison", "$END": "the end of the file",
}


def _readable(term: str) -> str:
    if term in _NAMES:
        return _NAMES[term]
    if term.isupper() and term.isalpha():
        return f"`{term.lower()}`"
    return term.lower()
