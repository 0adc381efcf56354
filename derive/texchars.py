"""Characters made safe for LaTeX: prose text escaped, Unicode mapped to ASCII commands.

`escape_text(s)` turns plain prose into LaTeX text mode: the ten special characters
are escaped and every non-ASCII character becomes an ASCII command (`θ` → `\\ensuremath{\\theta}`,
`≥` → `\\ensuremath{\\geq}`, `é` → `\\'{e}`, `✓` → `\\ensuremath{\\checkmark}`), so the output
compiles with a stock pdflatex (no Unicode font set-up needed), xelatex and lualatex alike.
`char_math(ch)` does the same inside maths (`θ` → `\\theta`); prose maths reaches LaTeX
through the allow-list of derive/prose/texsafe.py, which uses it for Unicode characters.  Control characters never pass (`escape_text`).
A character with no mapping is shown as its code point (`[U+1F642]`), never a compile error.
"""
from __future__ import annotations

import re
import unicodedata

# Unicode -> a maths-mode command (used as is in maths, inside \ensuremath{} in text).
MATH_CHARS: dict[str, str] = {
    # Greek
    "α": r"\alpha", "β": r"\beta", "γ": r"\gamma", "δ": r"\delta", "ϵ": r"\epsilon", "ε": r"\varepsilon",
    "ζ": r"\zeta", "η": r"\eta", "θ": r"\theta", "ϑ": r"\vartheta", "ι": r"\iota", "κ": r"\kappa",
    "λ": r"\lambda", "μ": r"\mu", "ν": r"\nu", "ξ": r"\xi", "ο": "o", "π": r"\pi", "ϖ": r"\varpi",
    "ρ": r"\rho", "ϱ": r"\varrho", "σ": r"\sigma", "ς": r"\varsigma", "τ": r"\tau", "υ": r"\upsilon",
    "φ": r"\varphi", "ϕ": r"\phi", "χ": r"\chi", "ψ": r"\psi", "ω": r"\omega",
    "Γ": r"\Gamma", "Δ": r"\Delta", "Θ": r"\Theta", "Λ": r"\Lambda", "Ξ": r"\Xi", "Π": r"\Pi",
    "Σ": r"\Sigma", "Υ": r"\Upsilon", "Φ": r"\Phi", "Ψ": r"\Psi", "Ω": r"\Omega",
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N",
    "Ο": "O", "Ρ": "P", "Τ": "T", "Χ": "X",
    # relations and arrows
    "≤": r"\leq", "≥": r"\geq", "≠": r"\neq", "≈": r"\approx", "≡": r"\equiv", "∼": r"\sim",
    "≃": r"\simeq", "≅": r"\cong", "∝": r"\propto", "≪": r"\ll", "≫": r"\gg", "⩽": r"\leq", "⩾": r"\geq",
    "→": r"\to", "←": r"\leftarrow", "↔": r"\leftrightarrow", "⇒": r"\Rightarrow", "⇐": r"\Leftarrow",
    "⇔": r"\Leftrightarrow", "↦": r"\mapsto", "⟶": r"\longrightarrow", "⟹": r"\Longrightarrow",
    "⟺": r"\Longleftrightarrow", "↑": r"\uparrow", "↓": r"\downarrow",
    "∈": r"\in", "∉": r"\notin", "∋": r"\ni", "⊂": r"\subset", "⊆": r"\subseteq", "⊃": r"\supset",
    "⊇": r"\supseteq", "∪": r"\cup", "∩": r"\cap", "∅": r"\emptyset", "∖": r"\setminus",
    "∀": r"\forall", "∃": r"\exists", "¬": r"\neg", "∧": r"\wedge", "∨": r"\vee", "⊥": r"\perp",
    "∥": r"\parallel", "⊤": r"\top",
    # operators
    "×": r"\times", "÷": r"\div", "·": r"\cdot", "⋅": r"\cdot", "∘": r"\circ", "⊙": r"\odot",
    "⊗": r"\otimes", "⊕": r"\oplus", "±": r"\pm", "∓": r"\mp", "−": "-", "∗": "*", "√": r"\surd",
    "∑": r"\sum", "∏": r"\prod", "∫": r"\int", "∂": r"\partial", "∇": r"\nabla", "∞": r"\infty",
    "′": r"\prime", "″": r"\prime\prime", "…": r"\dots", "⋯": r"\cdots", "⋮": r"\vdots", "⋱": r"\ddots",
    "ℝ": r"\mathbb{R}", "ℕ": r"\mathbb{N}", "ℤ": r"\mathbb{Z}", "ℚ": r"\mathbb{Q}", "ℂ": r"\mathbb{C}",
    "ℓ": r"\ell", "ℒ": r"\mathcal{L}", "⟨": r"\langle", "⟩": r"\rangle", "⌈": r"\lceil", "⌉": r"\rceil",
    "⌊": r"\lfloor", "⌋": r"\rfloor", "‖": r"\|", "°": r"^{\circ}",
    "✓": r"\checkmark", "✔": r"\checkmark", "★": r"\star", "⋆": r"\star", "□": r"\square", "∎": r"\blacksquare",
    "ᵀ": r"^{T}",
}

SUBSCRIPTS = dict(zip("₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ", "0123456789+-=()aehijklmnoprstuvx"))
SUPERSCRIPTS = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁱⁿ", "0123456789+-=()in"))

# Unicode -> a text-mode command (typography and letters with no maths meaning).
TEXT_CHARS: dict[str, str] = {
    "\u00a0": "~", "\u2009": r"\,", "\u202f": r"\,", "\u2002": r"\enspace{}", "\u2003": r"\quad{}",
    "\u200b": "", "\u00ad": r"\-",
    "–": "--", "—": "---", "‘": "`", "’": "'", "“": "``", "”": "''", "„": ",,", "«": r"\ensuremath{\ll}",
    "»": r"\ensuremath{\gg}", "•": r"\ensuremath{\bullet}", "†": r"\ensuremath{\dagger}",
    "‡": r"\ensuremath{\ddagger}", "§": r"\ensuremath{\S}", "¶": r"\ensuremath{\P}", "©": "(c)",
    "®": r"\ensuremath{^{\circledR}}", "™": r"\textsuperscript{TM}", "€": "EUR", "£": r"\ensuremath{\pounds}",
    "¡": r"!`", "¿": r"?`", "…": r"\dots{}",
    "ß": r"\ss{}", "æ": r"\ae{}", "Æ": r"\AE{}", "œ": r"\oe{}", "Œ": r"\OE{}", "ø": r"\o{}", "Ø": r"\O{}",
    "å": r"\aa{}", "Å": r"\AA{}", "ł": r"\l{}", "Ł": r"\L{}", "ı": r"\i{}", "ȷ": r"\j{}",
    "ð": "d", "þ": "th", "Þ": "Th", "Đ": "D", "đ": "d",
}

# combining mark -> accent command (text mode, math mode)
ACCENTS: dict[str, tuple[str, str]] = {
    "\u0300": ("\\`", r"\grave"), "\u0301": ("\\'", r"\acute"), "\u0302": (r"\^", r"\hat"),
    "\u0303": (r"\~", r"\tilde"), "\u0304": (r"\=", r"\bar"), "\u0306": (r"\u", r"\breve"),
    "\u0307": (r"\.", r"\dot"), "\u0308": (r"\"", r"\ddot"), "\u030a": (r"\r", r"\mathring"),
    "\u030b": (r"\H", r"\acute"), "\u030c": (r"\v", r"\check"), "\u0327": (r"\c", r"\bar"),
    "\u0328": ("", r"\bar"), "\u20d7": (r"\=", r"\vec"),
}

_SPECIAL = {"&": r"\&", "%": r"\%", "$": r"\ensuremath{\$}",   # (a text \$ is a Type 3 font in pdflatex)
            "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
            "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}",
            "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}"}


def _fallback(ch: str) -> str:
    return r"\texttt{[U+%04X]}" % ord(ch)


def _accented(ch: str, math: bool) -> str | None:
    """é -> \\'{e} (text) or \\acute{e} (maths), from the character's decomposition."""
    decomposed = unicodedata.normalize("NFD", ch)
    if len(decomposed) < 2 or not decomposed[0].isascii():
        return None
    out = decomposed[0]
    for mark in decomposed[1:]:
        if mark not in ACCENTS:
            return None
        cmd = ACCENTS[mark][1 if math else 0]
        out = f"{cmd}{{{out}}}"
    return out


def char_text(ch: str) -> str:
    """One non-ASCII character as ASCII LaTeX for text mode."""
    if ch in TEXT_CHARS:
        return TEXT_CHARS[ch]
    if ch in MATH_CHARS:
        return r"\ensuremath{%s}" % MATH_CHARS[ch]
    if ch in SUBSCRIPTS:
        return r"\textsubscript{%s}" % SUBSCRIPTS[ch]
    if ch in SUPERSCRIPTS:
        return r"\textsuperscript{%s}" % SUPERSCRIPTS[ch]
    acc = _accented(ch, math=False)
    if acc is not None:
        return acc
    folded = unicodedata.normalize("NFKC", ch)
    if folded != ch and folded.isascii():
        return escape_text(folded)
    return _fallback(ch)


def char_math(ch: str) -> str:
    """One non-ASCII character as ASCII LaTeX for maths mode."""
    if ch in MATH_CHARS:
        cmd = MATH_CHARS[ch]
        return cmd + " " if cmd[-1].isalpha() else cmd
    if ch in SUBSCRIPTS:
        return "_{%s}" % SUBSCRIPTS[ch]
    if ch in SUPERSCRIPTS:
        return "^{%s}" % SUPERSCRIPTS[ch]
    acc = _accented(ch, math=True)
    if acc is not None:
        return acc
    if ch in TEXT_CHARS:
        return r"\text{%s}" % TEXT_CHARS[ch]
    folded = unicodedata.normalize("NFKC", ch)
    if folded != ch and folded.isascii():
        return folded
    return r"\text{%s}" % _fallback(ch)


_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def escape_text(s: str) -> str:
    """Plain prose as LaTeX text: specials escaped, every non-ASCII character mapped,
    control characters (but newline and tab) dropped."""
    out = []
    for ch in _CONTROL.sub("", s):
        if ch in _SPECIAL:
            out.append(_SPECIAL[ch])
        elif ch.isascii():
            out.append(ch)
        else:
            out.append(char_text(ch))
    return "".join(out)


def escape_specials(s: str) -> str:
    """Only LaTeX's ten special characters escaped (for `\\text{...}` of a string value;
    other characters as they are), control characters dropped."""
    return "".join(_SPECIAL[ch] if ch in _SPECIAL and ch not in "<>|" else ch for ch in _CONTROL.sub("", s))


def escape_verbatim(s: str) -> str:
    """Code (a `code span`) as LaTeX for \\texttt: specials escaped, spaces kept, and a
    line break allowed after `_ , = / (` so long identifiers do not run into the margin."""
    out = escape_text(s).replace("  ", r"\ \ ")
    return re.sub(r"(\\_|,|=|/|\()(?!$)", r"\1\\allowbreak{}", out)
