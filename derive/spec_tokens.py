"""The tokens of a spec as the grammar's terminals see them, for parse errors in words:
`scan(text)` -> (tokens with positions, the first lexical problem or None), with the
keywords, brackets and the hints for characters a spec cannot hold (`;`, `×`, `²`, Greek
letters, ...).

In: a spec's text.  Out: `Tok`s and a `LexProblem` (message, offset); nothing raised."""
from __future__ import annotations

import re
import unicodedata

from .records import record

KEYWORDS = ("text", "symbol", "dim", "vector", "matrix", "let", "input", "param", "layer", "given",
            "choices", "find", "answer", "vary", "require")
CLOSER = {"(": ")", "[": "]", "{": "}"}
OPENER = {v: k for k, v in CLOSER.items()}
_CLOSER_TERMINAL = {")": "RPAR", "]": "RSQB", "}": "RBRACE"}


# ---- a tokenizer that mirrors grammars/spec.lark --------------------------------------------

@record
class Tok:
    kind: str      # name number string label punct
    text: str
    start: int
    end: int
    line: int
    column: int


@record
class LexProblem:
    message: str
    start: int
    end: int


_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_LABEL = re.compile(r"\((?:[a-z]|[ivx]+|[0-9]+)\)")
_NUMBER = re.compile(r"(?:[0-9]+(?:\.(?!\.)[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_PUNCT2 = ("**", "<=", ">=", "==", "!=", "->", "..", ".T")
_PUNCT1 = set("+-*/@^()[]{},:=<>")
_WS = " \t\f\r\n"

_HINTS = {
    ";": "statements need no `;`: start the next one on a new line",
    "'": "strings are written in double quotes, as in \"text\"",
    "`": "strings are written in double quotes, as in \"text\"",
    "×": "write `*` for a product (or `@` for a matrix product)",
    "·": "write `*` for a product (or `@` for a matrix product)",
    "⋅": "write `*` for a product (or `@` for a matrix product)",
    "∗": "write `*` for a product",
    "÷": "write `/` for a quotient",
    "−": "write `-` (ASCII minus)",
    "–": "write `-` (ASCII minus)",
    "—": "write `-` (ASCII minus)",
    "²": "write `^2` for a square",
    "³": "write `^3` for a cube",
    "√": "write `sqrt(...)`",
    "≤": "write `<=`",
    "≥": "write `>=`",
    "≠": "write `!=`",
    "→": "write `->` in a lambda",
    "∑": "write `sum(...)`",
    "$": "maths in `$...$` belongs inside a string, as in text \"... $x^2$ ...\"",
    "\\": "backslashes belong inside strings (text \"...\")",
    "&": "write `and`",
    "|": "write `or` (or `abs(...)`, `norm(...)`)",
    "!": "write `not` (or `!=` for ‘not equal’)",
    "%": "there is no `%` operator",
    ".": "a `.` only appears in decimals (`0.5`) and in `.T` (transpose)",
    "_": "a name starts with a letter",
    "\u00a0": "a non-breaking space; use an ordinary space",
    "\u201c": "use straight double quotes \"...\"",
    "\u201d": "use straight double quotes \"...\"",
    "\u2018": "strings are written in straight double quotes, as in \"text\"",
    "\u2019": "strings are written in straight double quotes, as in \"text\"",
}
_GREEK = {"α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "ϵ": "epsilon", "ζ": "zeta",
          "η": "eta", "θ": "theta", "ι": "iota", "κ": "kappa", "λ": "lambda", "μ": "mu", "ν": "nu", "ξ": "xi",
          "π": "pi", "ρ": "rho", "σ": "sigma", "τ": "tau", "υ": "upsilon", "φ": "phi", "ϕ": "phi",
          "χ": "chi", "ψ": "psi", "ω": "omega", "Γ": "Gamma", "Δ": "Delta", "Θ": "Theta", "Λ": "Lambda",
          "Ξ": "Xi", "Π": "Pi", "Σ": "Sigma", "Φ": "Phi", "Ψ": "Psi", "Ω": "Omega"}


def _show_char(ch: str) -> str:
    if ch.isprintable() and not ch.isspace():
        return f"`{ch}`"
    name = unicodedata.name(ch, None)
    return f"U+{ord(ch):04X}" + (f" ({name.lower()})" if name else "")


def _stray(ch: str) -> str:
    msg = f"unexpected character {_show_char(ch)}"
    if ch in _GREEK:
        return msg + f": names are ASCII; write `{_GREEK[ch]}` (it renders as {ch})"
    if ch in _HINTS:
        return msg + ": " + _HINTS[ch]
    if ch.isalpha():
        return msg + ": names use the letters A-Z, a-z, digits and `_`"
    return msg


def scan(text: str) -> tuple[list[Tok], LexProblem | None]:
    """The tokens of `text` up to its first lexical problem (and that problem, if any)."""
    toks: list[Tok] = []
    i, n, line, line_start = 0, len(text), 1, 0
    while i < n:
        found = _next_token(text, i)
        if isinstance(found, LexProblem):
            return toks, found
        kind, end = found
        if kind is not None:
            toks.append(Tok(kind, text[i:end], i, end, line, i - line_start + 1))
        k = text.rfind("\n", i, end)          # (a newline, or a long string over several lines)
        if k >= 0:
            line, line_start = line + text.count("\n", i, end), k + 1
        i = end
    return toks, None


def _next_token(text: str, i: int) -> tuple[str | None, int] | LexProblem:
    """(the kind of the token at `i`, where it ends), kind None for blanks and comments;
    or the lexical problem at `i`."""
    c = text[i]
    if c in _WS:
        return None, i + 1
    if c == "#":
        j = text.find("\n", i)
        return None, len(text) if j < 0 else j
    if text.startswith('"""', i) or c == '"':
        return _string(text, i)
    m = _LABEL.match(text, i) if c == "(" else None
    if m and not (i > 0 and (text[i - 1].isalnum() or text[i - 1] in "_)]")):
        return "label", m.end()
    for kind, pattern in (("name", _NAME), ("number", _NUMBER)):
        m = pattern.match(text, i)
        if m:
            return kind, m.end()
    if text[i:i + 2] in _PUNCT2:
        return "punct", i + 2
    if c in _PUNCT1:
        return "punct", i + 1
    return LexProblem(_stray(c), i, i + 1)


def _string(text: str, i: int) -> tuple[str, int] | LexProblem:
    """The string starting at `i`: a long string in triple double quotes (it may run over
    lines) or a `"..."` string (on one line)."""
    if text.startswith('"""', i):
        j = text.find('"""', i + 3)
        if j < 0:
            return LexProblem('unterminated string: this `"""` is never closed', i, i + 3)
        return "string", j + 3
    j = i + 1
    while j < len(text) and text[j] not in '"\n':
        j += 1
    if j >= len(text) or text[j] == "\n":
        return LexProblem('unterminated string: a "..." string ends on the line where it starts '
                          '(use """...""" for text over several lines)', i, i + 1)
    return "string", j + 1


# ---- the labelled examples -------------------------------------------------------------------
