"""Maths written in prose (`$...$`), checked against an allow-list of LaTeX maths commands.

Prose comes from a spec, and a spec's maths ends up in a LaTeX document, so maths is never
copied through as raw TeX.  `check(tex, display)` reads it into tokens and returns the
tokens when every one is harmless maths, or None:

* control words only from `ALLOWED` (Greek, relations, operators, fonts, `\\frac`,
  `\\sqrt`, `\\left`/`\\right`, `\\begin{bmatrix}`, ...), each with its arguments present;
  `\\text{...}` (and the other text-font commands) hold plain text only;
* no `^^` sequences, no `$`, no `#` parameter, no control symbol outside `\\, \\; \\{ ...`;
* braces, `\\left`/`\\right` and `\\begin`/`\\end` balanced, environments from `ENVS`,
  the `align`-like ones only as the whole of a display.

Anything else (`\\input`, `\\openout`, `\\write`, `\\def`, `\\catcode`, `\\csname`, `\\loop`,
`\\href`, `\\url`, `\\immediate`, `\\read`, an unknown macro) is refused: the caller shows
the maths as verbatim text.  `to_latex(tokens)` prints checked tokens back as ASCII
LaTeX (Unicode mapped by texchars, `\\text` content escaped, a bare `%`/`&` escaped).
"""
from __future__ import annotations

import re

from ..texchars import char_math, escape_text

GREEK = ("alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi "
         "pi varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda "
         "Xi Pi Sigma Upsilon Phi Psi Omega digamma varkappa")
SYMBOLS = (
    "le leq ge geq ne neq approx equiv sim simeq cong propto ll gg lesssim gtrsim prec succ preceq succeq "
    "subset subseteq supset supseteq in notin ni cup cap setminus emptyset varnothing forall exists nexists "
    "neg lnot wedge vee land lor perp parallel mid nmid top bot intercal times div cdot circ odot otimes "
    "oplus ominus pm mp ast star bullet dagger ddagger sum prod coprod int iint oint partial nabla infty "
    "prime ell hbar imath jmath aleph Re Im wp dots ldots cdots vdots ddots dotsc dotsb dotsm "
    "to gets leftarrow rightarrow leftrightarrow Leftarrow Rightarrow Leftrightarrow longrightarrow "
    "longleftarrow Longrightarrow Longleftarrow Longleftrightarrow longmapsto mapsto iff implies impliedby "
    "uparrow downarrow updownarrow Uparrow Downarrow nearrow searrow hookrightarrow rightharpoonup "
    "langle rangle lceil rceil lfloor rfloor lvert rvert lVert rVert vert Vert backslash lbrace rbrace "
    "checkmark square blacksquare triangle triangleq angle colon surd smallsetminus models vdash "
    "leqslant geqslant lneq gneq nleq ngeq subsetneq supsetneq therefore because complement "
    "quad qquad enspace thinspace medspace thickspace negthinspace displaystyle textstyle scriptstyle "
    "scriptscriptstyle limits nolimits hline nonumber notag bmod "
    "log ln lg exp sin cos tan cot sec csc sinh cosh tanh coth arcsin arccos arctan arg det dim ker hom "
    "deg gcd lim liminf limsup max min sup inf Pr")
DELIMS = {"(", ")", "[", "]", ".", "/", "|", "<", ">", r"\{", r"\}", r"\|", r"\langle", r"\rangle",
          r"\lvert", r"\rvert", r"\lVert", r"\rVert", r"\vert", r"\Vert", r"\lfloor", r"\rfloor",
          r"\lceil", r"\rceil", r"\uparrow", r"\downarrow", r"\updownarrow", r"\backslash", r"\lbrace",
          r"\rbrace"}
SIZES = {"big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr", "Biggl", "Biggr",
         "bigm", "Bigm"}
ONE_ARG = ("mathrm mathbf mathit mathsf mathtt mathcal mathbb mathfrak mathnormal boldsymbol operatorname "
           "hat widehat bar overline underline tilde widetilde vec dot ddot check breve acute grave mathring "
           "overrightarrow overleftarrow overbrace underbrace boxed phantom hphantom vphantom pmod pod "
           "mathop mathbin mathrel mathord mathopen mathclose mathpunct substack sqrt")
TWO_ARGS = "frac dfrac tfrac cfrac binom dbinom tbinom overset underset stackrel"
TEXT_ARG = {"text", "textrm", "textbf", "textit", "textsf", "texttt", "textnormal", "mbox", "emph"}
ALLOWED: dict[str, int] = {**{w: 0 for w in (GREEK + " " + SYMBOLS).split()},
                           **{w: 1 for w in ONE_ARG.split()}, **{w: 2 for w in TWO_ARGS.split()},
                           **{w: 0 for w in SIZES}, "left": 0, "right": 0, "middle": 0, "not": 0}
CONTROL_SYMBOLS = set(",;:!> {}|\\%#&_$\n")
MATRIX_ENVS = {"matrix", "pmatrix", "bmatrix", "Bmatrix", "vmatrix", "Vmatrix", "smallmatrix", "cases",
               "aligned", "gathered", "split", "array", "subarray"}
DISPLAY_ENVS = {"align", "align*", "gather", "gather*", "equation", "equation*", "multline", "multline*",
                "flalign", "flalign*", "alignat", "alignat*"}
ENVS = MATRIX_ENVS | DISPLAY_ENVS
MAX_DEPTH = 60

_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|\\$|\s+|.", re.S)
_TEXT_ESCAPES = {r"\_": "_", r"\%": "%", r"\&": "&", r"\#": "#", r"\$": "$", r"\{": "{", r"\}": "}",
                 r"\ ": " ", "\\\n": " ", r"\,": " ", "~": " ", r"\textbackslash": "\\",
                 r"\textasciitilde": "~", r"\textasciicircum": "^"}


class Refused(Exception):
    """The maths holds something outside the allow-list."""


def tokens(tex: str) -> list[str]:
    return _TOKEN.findall(tex)


class _Checker:
    """One pass over the tokens: groups, environments, `\\left`/`\\right`, arguments."""

    def __init__(self, toks: list[str], display: bool):
        self.toks, self.i, self.display = toks, 0, display
        self.frames: list[list] = [["$", 0]]      # [kind, open \left count]

    def peek(self) -> str | None:
        """The next token that is not white space (None at the end)."""
        j = self.i
        while j < len(self.toks) and self.toks[j].isspace():
            j += 1
        return self.toks[j] if j < len(self.toks) else None

    def take(self) -> str:
        """The next token that is not white space, consumed."""
        while self.i < len(self.toks) and self.toks[self.i].isspace():
            self.i += 1
        if self.i >= len(self.toks):
            raise Refused("unexpected end")
        self.i += 1
        return self.toks[self.i - 1]

    def run(self) -> None:
        while self.i < len(self.toks):
            self.i += 1
            self.token(self.toks[self.i - 1])
        if len(self.frames) != 1 or self.frames[0][1]:
            raise Refused("unbalanced")

    def open(self, kind: str) -> None:
        if len(self.frames) > MAX_DEPTH:
            raise Refused("too deep")
        self.frames.append([kind, 0])

    def close(self, kind: str) -> None:
        top = self.frames[-1]
        if top[0] != kind or top[1] or len(self.frames) == 1:
            raise Refused("unbalanced")
        self.frames.pop()

    def argument(self) -> None:
        """One argument: a {...} group (checked as it is read) or one token."""
        t = self.peek()
        if t is None or t in ("}", "^", "_", "&", "$", "#", "%", r"\\", r"\end", r"\right"):
            raise Refused("missing argument")
        if t.startswith("\\") and (ALLOWED.get(t[1:], 0) or t[1:] in TEXT_ARG or t[1:] in ("begin", "left")):
            raise Refused("a command with arguments as an argument")
        self.take()
        if t != "{":
            self.token(t)
            return
        depth = len(self.frames)
        self.open("{")
        while len(self.frames) > depth:
            if self.i >= len(self.toks):
                raise Refused("unbalanced")
            self.i += 1
            self.token(self.toks[self.i - 1])

    def token(self, t: str) -> None:
        """Check one token (already consumed) and whatever it takes as arguments."""
        if t.isspace() or (len(t) == 1 and t not in "{}^_$`\\" and t.isprintable()):
            return                                      # % # & are printed escaped
        if t == "{":
            self.open("{")
        elif t == "}":
            self.close("{")
        elif t in ("^", "_"):
            self.argument()
            if self.peek() == t:                        # x_1_2: a double script does not compile
                raise Refused("double script")
        elif t.startswith("\\"):
            self.command(t[1:])
        else:
            raise Refused(f"character {t!r}")

    def command(self, name: str) -> None:
        if len(name) == 1 and not name.isalpha():
            if name not in CONTROL_SYMBOLS:
                raise Refused(f"control symbol \\{name}")
        elif name == "begin":
            self.begin()
        elif name == "end":
            self.close(self.env_name())
        elif name in ("left", "right", "middle") or name in SIZES:
            self.delimiter(name)
        elif name in TEXT_ARG:
            self.text_group()
        elif name in ALLOWED:
            if name == "sqrt" and self.peek() == "[":
                self.optional()
            if name == "operatorname" and self.i < len(self.toks) and self.toks[self.i] == "*":
                self.i += 1
            for _ in range(ALLOWED[name]):
                self.argument()
        else:
            raise Refused(f"\\{name}")

    def braced(self, chars: str, limit: int = 24) -> str:
        """A {...} group of the characters `chars` only (an environment's name, array columns)."""
        if self.take() != "{":
            raise Refused("expected {")
        got = []
        while len(got) <= limit:
            t = self.take()
            if t == "}":
                return "".join(got)
            if len(t) != 1 or t not in chars:
                raise Refused("unexpected character")
            got.append(t)
        raise Refused("too long")

    def env_name(self) -> str:
        name = self.braced("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ*")
        if name not in ENVS:
            raise Refused("environment")
        return name

    def begin(self) -> None:
        at_top = len(self.frames) == 1 and not "".join(self.toks[:self.i - 1]).strip()
        env = self.env_name()
        if env in DISPLAY_ENVS and not (self.display and at_top):
            raise Refused("a display environment inside maths")
        if env in ("array", "subarray"):
            self.braced("lcr|", 64)
        self.open(env)

    def optional(self) -> None:
        self.take()                                    # [
        while self.peek() != "]":
            if self.peek() in (None, "{", "}"):
                raise Refused("an optional argument")
            self.token(self.take())
        self.take()

    def delimiter(self, name: str) -> None:
        top = self.frames[-1]
        if name in ("right", "middle"):
            if not top[1]:
                raise Refused("\\right without \\left")
            top[1] -= name == "right"
        elif name == "left":
            top[1] += 1
        if self.peek() not in DELIMS:
            raise Refused("not a delimiter")
        self.take()

    def text_group(self) -> None:
        if self.take() != "{":
            raise Refused("\\text without braces")
        depth = 1
        while depth:
            if self.i >= len(self.toks):
                raise Refused("unbalanced")
            t = self.toks[self.i]
            self.i += 1
            if t == "{":
                depth += 1
            elif t == "}":
                depth -= 1
            elif t.startswith("\\") and t not in _TEXT_ESCAPES or t in ("$", "^", "_", "#", "%", "&", "`"):
                raise Refused(f"{t} inside \\text")


def check(tex: str, display: bool = False) -> list[str] | None:
    """The tokens of `tex` if it is allow-listed maths, else None (see the module docstring)."""
    if "^^" in tex or len(tex) > 20000:
        return None
    toks = tokens(tex)
    try:
        _Checker(toks, display).run()
    except (Refused, IndexError):
        return None
    return toks


def text_content(src: str) -> str:
    """The plain text of a checked `\\text{...}` group's content (escapes decoded, braces dropped)."""
    out = []
    for t in tokens(src):
        out.append(_TEXT_ESCAPES.get(t, "" if t in "{}" else t))
    return "".join(out)


def _group_end(toks: list[str], i: int) -> int:
    """Index of the `}` closing the group opened at toks[i]."""
    depth = 0
    for j in range(i, len(toks)):
        depth += {"{": 1, "}": -1}.get(toks[j], 0)
        if depth == 0:
            return j
    return len(toks) - 1


def to_latex(toks: list[str]) -> str:
    """Checked maths tokens as ASCII LaTeX: Unicode as commands, `\\text` content escaped,
    `%`, `#` (and `&` outside an environment) escaped, `\\\\` never read as `\\\\[dimen]`."""
    out: list[str] = []
    envs = 0
    i = 0
    while i < len(toks):
        t = toks[i]
        if t[1:] in TEXT_ARG and t.startswith("\\"):
            j = i + 1
            while toks[j].isspace():
                j += 1
            end = _group_end(toks, j)
            out.append(t + "{" + escape_text(text_content("".join(toks[j + 1:end]))) + "}")
            i = end + 1
            continue
        if t in (r"\begin", r"\end"):
            envs += 1 if t == r"\begin" else -1
        if t in ("%", "#") or (t == "&" and not envs):
            t = "\\" + t
        elif t == r"\\" and "".join(toks[i + 1:i + 3]).lstrip().startswith("["):
            t = r"\\{}"
        elif t.isspace():
            t = "\n" if "\n" in t else t
        elif not t.isascii():
            t = char_math(t)
        if out and re.match(r"\\[A-Za-z]+$", out[-1]) and re.match(r"[A-Za-z]", t):
            out.append(" ")
        out.append(t)
        i += 1
    return "".join(out)
