"""LaTeX maths as one line of Unicode, for the terminal (`--format text`).

`tex_to_unicode(r"\\hat{y}_{1} \\ge \\frac{1}{2}")` gives `ŷ₁ ≥ 1/2`.  It reads the LaTeX that
derive's printer writes and that authors write in prose: Greek letters and symbols,
accents, sub- and superscripts (as Unicode sub/superscript characters where they all
exist, `_(...)` otherwise), fractions, roots, `\\left`/`\\right`, text and font commands,
and matrices (`[[1, 2], [3, 4]]`, a column vector as `[1, 2]ᵀ`).  Anything it does not
know is kept by name, so nothing is lost.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Callable

from .texchars import MATH_CHARS

SYMBOLS: dict[str, str] = {cmd.lstrip("\\"): ch for ch, cmd in MATH_CHARS.items()
                           if re.fullmatch(r"\\[A-Za-z]+", cmd)}
SYMBOLS.update({
    "ge": "≥", "le": "≤", "ne": "≠", "geq": "≥", "leq": "≤", "neq": "≠", "iff": "⇔", "implies": "⇒",
    "to": "→", "gets": "←", "cdot": "·", "times": "×", "ldots": "…", "dots": "…", "cdots": "⋯",
    "infty": "∞", "lbrace": "{", "rbrace": "}", "lvert": "|", "rvert": "|", "vert": "|", "Vert": "‖", "lVert": "‖", "rVert": "‖",
    "mid": "|", "colon": ":", "top": "ᵀ", "intercal": "ᵀ", "varepsilon": "ε", "epsilon": "ϵ",
    "phi": "ϕ", "varphi": "φ", "emptyset": "∅", "varnothing": "∅", "partial": "∂", "nabla": "∇",
    "checkmark": "✓", "square": "□", "qed": "∎", "star": "⋆", "ast": "∗", "prime": "′",
    "quad": "  ", "qquad": "    ", "lnot": "¬", "land": "∧", "lor": "∨", "circ": "∘",
    "rightarrow": "→", "leftarrow": "←", "Rightarrow": "⇒", "Leftrightarrow": "⇔", "mapsto": "↦",
    "approx": "≈", "sim": "∼", "propto": "∝", "pm": "±", "mp": "∓", "ell": "ℓ", "hbar": "ℏ",
    "langle": "⟨", "rangle": "⟩", "lceil": "⌈", "rceil": "⌉", "lfloor": "⌊", "rfloor": "⌋",
    "sum": "∑", "prod": "∏", "int": "∫", "oint": "∮", "sqrt": "√", "surd": "√", "odot": "⊙",
    "otimes": "⊗", "oplus": "⊕", "in": "∈", "notin": "∉", "subset": "⊂", "subseteq": "⊆",
    "cup": "∪", "cap": "∩", "forall": "∀", "exists": "∃", "neg": "¬", "perp": "⊥",
    "wedge": "∧", "vee": "∨", "setminus": "∖", "backslash": "\\", "%": "%", "&": "&", "#": "#",
    "_": "_", "$": "$",
})
FUNCTIONS = {"log", "ln", "exp", "sin", "cos", "tan", "sinh", "cosh", "tanh", "max", "min", "arg",
             "argmax", "argmin", "det", "lim", "sup", "inf", "dim", "ker", "deg", "gcd", "Pr", "tr"}
SPACES = {",": " ", ";": " ", ":": " ", "!": "", " ": " ", "enspace": " ", "thinspace": " ",
          "medspace": " ", "thickspace": " ", "negthinspace": "", "displaystyle": "", "textstyle": "",
          "left": "", "right": "", "big": "", "Big": "", "bigg": "", "Bigg": "", "bigl": "", "bigr": "",
          "Bigl": "", "Bigr": "", "limits": "", "nolimits": "", "middle": "", "nonumber": "",
          "notag": ""}
ACCENTS = {"hat": "\u0302", "widehat": "\u0302", "bar": "\u0304", "overline": "\u0305", "tilde": "\u0303",
           "widetilde": "\u0303", "dot": "\u0307", "ddot": "\u0308", "vec": "\u20d7", "check": "\u030c",
           "breve": "\u0306", "acute": "\u0301", "grave": "\u0300", "mathring": "\u030a"}
FONTS = {"text", "textrm", "textnormal", "mathrm", "mathit", "mathbf", "mathsf", "mathtt", "boldsymbol",
         "bm", "operatorname", "textbf", "textit", "emph", "texttt", "mbox", "hbox", "mathnormal", "textsf"}
BLACKBOARD = {"R": "ℝ", "N": "ℕ", "Z": "ℤ", "Q": "ℚ", "C": "ℂ", "E": "𝔼", "P": "ℙ", "1": "𝟙"}
CALLIGRAPHIC = {"L": "ℒ", "N": "𝒩", "O": "𝒪", "D": "𝒟", "H": "ℋ", "X": "𝒳", "Y": "𝒴", "F": "ℱ",
                "B": "ℬ", "E": "ℰ", "M": "ℳ", "R": "ℛ", "I": "ℐ"}
SUB = dict(zip("0123456789+-=()aehijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ"))
SUP = dict(zip("0123456789+-=()abcdefghijklmnoprstuvwxyzTi*′",
               "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻᵀⁱ*′"))
MATRIX_ENVS = {"matrix": ("", ""), "bmatrix": ("[", "]"), "pmatrix": ("(", ")"), "Bmatrix": ("{", "}"),
               "vmatrix": ("|", "|"), "Vmatrix": ("‖", "‖"), "smallmatrix": ("", "")}

_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|[{}^_&~]|\s+|.", re.S)


class _Parser:
    def __init__(self, tex: str):
        self.toks = _TOKEN.findall(tex)
        self.i = 0

    def peek(self) -> str | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def next(self) -> str | None:
        t = self.peek()
        self.i += 1
        return t

    def skip_space(self) -> None:
        while self.peek() is not None and self.peek().isspace():
            self.i += 1

    def group(self) -> str:
        """The next argument: a {...} group or one token."""
        self.skip_space()
        t = self.peek()
        if t is None:
            return ""
        if t == "{":
            self.i += 1
            out = self.seq(stop="}")
            self.next()
            return out
        return self.atom()

    def raw_group(self) -> str:
        """The next {...} group as its source text (for \\begin{name}, \\text{...})."""
        self.skip_space()
        if self.peek() != "{":
            return self.next() or ""
        self.i += 1
        depth, out = 0, []
        while self.peek() is not None:
            t = self.next()
            if t == "{":
                depth += 1
            elif t == "}":
                if depth == 0:
                    break
                depth -= 1
            out.append(t)
        return "".join(out)

    def optional(self) -> str | None:
        self.skip_space()
        if self.peek() != "[":
            return None
        self.i += 1
        out = []
        while self.peek() not in (None, "]"):
            out.append(self.atom())
        self.next()
        return "".join(out)

    def seq(self, stop: str | None = None) -> str:
        out: list[str] = []
        while True:
            t = self.peek()
            if t is None or t == stop or (stop == "}" and t == "}"):
                break
            if t == r"\end" or (stop == "&row" and t in ("&", r"\\")):
                break
            if t in ("^", "_"):
                self.i += 1
                arg = self.group()
                out.append(script(arg, t))
                continue
            out.append(self.atom())
        return "".join(out)

    def atom(self) -> str:
        """The next token (a group, a character, a command with its arguments) as Unicode."""
        t = self.next()
        if t is None:
            return ""
        if t == "{":
            inner = self.seq(stop="}")
            self.next()
            return inner
        if t in _PLAIN:
            return _PLAIN[t]
        if t.isspace():
            return " "
        if not t.startswith("\\"):
            return t
        return self.command(t[1:])

    def command(self, name: str) -> str:
        """`\\name` and its arguments as Unicode: its rule in `_COMMANDS`, else its entry in
        the tables (spaces, accents, fonts, function names, symbols); an unknown command
        keeps its name."""
        rule = _COMMANDS.get(name)
        if rule is not None:
            return rule(self, name)
        if name in SPACES:
            return SPACES[name]
        if name in ACCENTS:
            arg = self.group()
            return arg + ACCENTS[name] if len(arg) == 1 else f"{arg}{ACCENTS[name]}"
        if name in FONTS:
            return _plain_text(self.raw_group()) if name in _TEXT_FONTS else self.group()
        if name in FUNCTIONS:
            return name
        return SYMBOLS.get(name, name)

    def fraction(self, name: str) -> str:
        num, den = self.group(), self.group()
        return f"{_paren(num)}/{_paren(den)}"

    def binomial(self, name: str) -> str:
        n, k = self.group(), self.group()
        return f"C({n}, {k})"

    def root(self, name: str) -> str:
        index = self.optional()
        arg = self.group()
        root = "√" if not index else {"3": "∛", "4": "∜"}.get(index, script(index, "^") + "√")
        return root + _paren(arg)

    def letters(self, name: str) -> str:
        """`\\mathbb{R}`, `\\mathcal{L}`: the group's letters in that alphabet."""
        table = BLACKBOARD if name == "mathbb" else CALLIGRAPHIC
        return "".join(table.get(c, c) for c in self.group())

    def negation(self, name: str) -> str:
        nxt = self.atom()
        return {"=": "≠", "∈": "∉", "<": "≮", ">": "≯"}.get(nxt, nxt + "\u0338")

    def dropped(self, name: str) -> str:
        """Rules and labels print nothing (the ones with an argument drop it too)."""
        if name in ("label", "tag", "vspace", "hspace"):
            self.raw_group()
        return ""

    def environment(self, env: str) -> str:
        if env in ("array", "tabular"):
            self.raw_group()  # the column spec
        rows: list[list[str]] = [[]]
        while self.peek() is not None:
            cell = self.seq(stop="&row").strip()
            rows[-1].append(cell)
            t = self.next()
            if t == "&":
                continue
            if t == r"\\":
                rows.append([])
                continue
            if t == r"\end":
                self.raw_group()
                break
        if rows and rows[-1] == [""]:
            rows.pop()
        rows = [[c for c in r] for r in rows]
        base = env.rstrip("*")
        if base in MATRIX_ENVS:
            lo, hi = MATRIX_ENVS[base]
            if all(len(r) == 1 for r in rows) and len(rows) > 1 and lo == "[":
                return "[" + ", ".join(r[0] for r in rows) + "]ᵀ"
            if len(rows) == 1:
                return lo + ", ".join(rows[0]) + hi
            inner = ", ".join("[" + ", ".join(r) + "]" for r in rows)
            return f"{lo}{inner}{hi}" if lo == "[" else f"{lo}[{inner}]{hi}"
        if base == "cases":
            return "{ " + "; ".join(" if ".join(c for c in r if c) for r in rows) + " }"
        # aligned, align, gather, array, ...: one line per row
        return "\n".join(" ".join(c for c in r if c) for r in rows)


_PLAIN = {"}": "", "~": " ", "&": ""}      # tokens with a fixed rendering
_TEXT_FONTS = {"text", "textrm", "textnormal", "mbox", "hbox", "textbf", "textit", "emph", "texttt", "textsf"}

# The commands with a rule of their own, tried before the tables (`sqrt` is also a symbol
# there, √; the rule, which reads the argument, wins).
_COMMANDS: dict[str, Callable[[_Parser, str], str]] = {
    "\\": lambda p, name: "; ",
    "{": lambda p, name: "{", "}": lambda p, name: "}", "|": lambda p, name: "‖",
    **dict.fromkeys(("frac", "dfrac", "tfrac", "cfrac"), _Parser.fraction),
    "binom": _Parser.binomial, "sqrt": _Parser.root,
    "mathbb": _Parser.letters, "mathcal": _Parser.letters, "mathscr": _Parser.letters,
    "begin": lambda p, name: p.environment(p.raw_group()),
    "operatorname*": lambda p, name: p.group(),
    "not": _Parser.negation,
    **dict.fromkeys(("hline", "toprule", "midrule", "bottomrule", "label", "tag", "vspace", "hspace"),
                    _Parser.dropped),
}


def _plain_text(src: str) -> str:
    return src.replace(r"\_", "_").replace(r"\%", "%").replace(r"\&", "&").replace(r"\#", "#") \
              .replace(r"\$", "$").replace("~", " ").replace(r"\ ", " ")


def _paren(s: str) -> str:
    s = s.strip()
    if len(s) <= 1 or re.fullmatch(r"[\w.′]+|\(.*\)|\[.*\]|√\S+", s) and not re.search(r"[+\-·×/ ]", s[1:]):
        return s
    return f"({s})"


def script(arg: str, kind: str) -> str:
    """x^{2} -> x², x_{i} -> xᵢ; _(Q1) style when a character has no Unicode form."""
    arg = arg.strip()
    table = SUP if kind == "^" else SUB
    if arg and all(c in table for c in arg):
        return "".join(table[c] for c in arg)
    if kind == "^" and arg in ("ᵀ", "′", "′′", "*", "∗", "⋆"):
        return arg
    if len(arg) == 1 or re.fullmatch(r"\w+", arg):
        return f"{kind}{arg}"
    return f"{kind}({arg})"


def tex_to_unicode(tex: str) -> str:
    """LaTeX maths as Unicode text (one line unless the LaTeX has aligned rows)."""
    out = _Parser(tex).seq()
    lines = [re.sub(r"[ \t]{2,}", " ", line).strip() for line in out.split("\n")]
    text = "\n".join(lines)
    text = re.sub(r"\( ", "(", text)
    text = re.sub(r" \)", ")", text)
    return unicodedata.normalize("NFC", text)


def display_width(s: str) -> int:
    """Columns a string takes in a terminal: combining marks 0, wide (East Asian) characters 2."""
    import unicodedata
    w = 0
    for ch in s:
        if unicodedata.combining(ch) or ch in "\u200b\u200d":
            continue
        w += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return w
