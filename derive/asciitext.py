"""ASCII stand-ins for derive's output, for a terminal that cannot show Unicode.

`derive solve` writes UTF-8 to files, but standard output may be a terminal or pipe whose
encoding is ASCII (`PYTHONIOENCODING=ascii`, an old `LANG`).  Then the output is made
ASCII instead of failing: JSON with `\\u` escapes (the same document), HTML with character
references (the same page), and Markdown and text transliterated (`η` -> `eta`,
`≤` -> `<=`, `✓` -> `ok`, the 2-D maths' bracket pieces -> `[`, `(`, `|`, `-`).

    to_encoding(text, "md", "ascii")     # -> str that "ascii" can encode
"""
from __future__ import annotations

import json
import unicodedata

# One character each where the 2-D layout of --format text needs the width kept.
_SAME_WIDTH = {
    "⎡": "[", "⎢": "[", "⎣": "[", "⎤": "]", "⎥": "]", "⎦": "]", "⎛": "/", "⎜": "|", "⎝": "\\",
    "⎞": "\\", "⎟": "|", "⎠": "/", "⎧": "/", "⎨": "{", "⎩": "\\", "⎫": "\\", "⎬": "}", "⎭": "/",
    "⎪": "|", "─": "-", "━": "-", "⎯": "-", "│": "|", "┃": "|", "╲": "\\", "╱": "/", "⋅": "*",
    "·": "*", "×": "x", "−": "-", "–": "-", "‖": "|", "⌈": "[", "⌉": "]", "⌊": "[", "⌋": "]",
    "⟨": "<", "⟩": ">", "ᵀ": "T", "′": "'", "∗": "*", "⋆": "*", "∼": "~", "∣": "|", "⎮": "|",
    "┬": "-", "┴": "-", "┼": "+", "├": "|", "┤": "|", "┌": "+", "┐": "+", "└": "+", "┘": "+",
    "═": "=", "\u00a0": " ", "\u2009": " ", "\u202f": " ", "‘": "'", "’": "'", "“": '"', "”": '"',
}
_WORDS = {
    "✓": "ok", "✔": "ok", "✗": "x", "≤": "<=", "≥": ">=", "≠": "!=", "≈": "~=", "⇔": "<=>",
    "⇒": "=>", "→": "->", "←": "<-", "↦": "|->", "…": "...", "⋯": "...", "—": "--", "∞": "oo",
    "√": "sqrt", "∂": "d", "∇": "grad", "∑": "sum", "Σ": "Sum", "∏": "prod", "∫": "int", "∈": " in ",
    "∉": " not in ", "⊙": "(.)", "⊗": "(x)", "⊕": "(+)", "∅": "{}", "±": "+-", "∓": "-+", "¬": "not ",
    "∧": " and ", "∨": " or ", "ℝ": "R", "ℕ": "N", "ℤ": "Z", "ℚ": "Q", "ℂ": "C", "𝔼": "E", "ℙ": "P",
    "ℓ": "l", "½": "1/2", "∘": "o", "⊂": "<", "⊆": "<=", "∪": "U", "∩": "n", "∀": "for all ",
    "∃": "exists ", "⊥": "_|_", "∝": "~", "□": "[]", "∎": "QED", "▸": ">", "•": "*",
}


def _greek(ch: str) -> str | None:
    name = unicodedata.name(ch, "")
    for prefix in ("GREEK SMALL LETTER ", "GREEK CAPITAL LETTER ", "GREEK ", "MATHEMATICAL ITALIC SMALL "):
        if name.startswith(prefix) and "GREEK" in name:
            word = name[len(prefix):].split(" ")[0].lower()
            if word == "lamda":
                word = "lambda"
            return word.capitalize() if "CAPITAL" in name else word
    return None


def ascii_char(ch: str) -> str:
    """One character as ASCII text: itself, a stand-in, its decomposition, or `?`."""
    if ord(ch) < 128:
        return ch
    if ch in _SAME_WIDTH:
        return _SAME_WIDTH[ch]
    if ch in _WORDS:
        return _WORDS[ch]
    greek = _greek(ch)
    if greek:
        return greek
    plain = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    if plain and all(ord(c) < 128 for c in plain):   # ₁ -> 1, ² -> 2, é -> e, ﬁ -> fi
        return plain
    if unicodedata.combining(ch):                    # a lone accent (x̂): dropped
        return ""
    return "?"


def _script(ch: str) -> str | None:
    """'_' or '^' for a Unicode sub- or superscript character, else None."""
    name = unicodedata.name(ch, "")
    if name.startswith("SUBSCRIPT ") or name.startswith("LATIN SUBSCRIPT "):
        return "_"
    if name.startswith("SUPERSCRIPT ") or name.startswith("MODIFIER LETTER SMALL ") \
            or name.startswith("MODIFIER LETTER CAPITAL "):
        return "^"
    return None


def transliterate(text: str) -> str:
    """`text` with every non-ASCII character replaced by `ascii_char`; a run of sub- or
    superscripts becomes `_k`, `^2`, `_(k+1)` (so w₂ and w² stay apart)."""
    if text.isascii():
        return text
    out: list[str] = []
    run, mark = "", None
    for c in unicodedata.normalize("NFC", text) + "\0":
        kind = _script(c) if ord(c) >= 128 else None
        if kind is not None and kind == mark:
            run += ascii_char(c)
            continue
        if mark is not None:
            out.append(mark + (run if len(run) == 1 else f"({run})"))
        run, mark = (ascii_char(c), kind) if kind is not None else ("", None)
        if kind is None:
            out.append(ascii_char(c))
    return "".join(out)[:-1]


def to_encoding(text: str, fmt: str, encoding: str) -> str:
    """`text` (output in format `fmt`) unchanged if `encoding` can write it, else made ASCII."""
    try:
        text.encode(encoding)
        return text
    except (UnicodeEncodeError, LookupError):
        pass
    if fmt == "json":
        return json.dumps(json.loads(text), indent=1, ensure_ascii=True, allow_nan=False) + "\n"
    if fmt == "html":
        return text.encode("ascii", "xmlcharrefreplace").decode("ascii")
    return transliterate(text)
