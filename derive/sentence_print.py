"""Sentences (derive.sentence) printed for each output format.

In: a `Sentence`.  Out: a string in the format:

* `sentence_md`: Markdown; text escaped, maths as `$LaTeX$` (derive.printing.latex);
* `sentence_latex`: LaTeX; text escaped (derive.texchars), maths as `$...$`;
* `sentence_html`: HTML; text escaped, maths as MathML (derive.mathml);
* `sentence_text`: Unicode text; maths on one line by derive.pretty.inline.

The maths is printed by the format's one printer of sympy objects; no printer here reads
LaTeX back.  A relation prints as `lhs op rhs` with the op of `sentence.RELATIONS`; a
tagged one (a definition, an assumption or a fact in a step that carries a ✓, which the ✓
does not cover) is marked as such: a definition `a = b` reads `a ≔ b` (`Rel.shown`), any
other is followed by its tag as plain text: `∂L/∂y = g (given)`.
"""
from __future__ import annotations

import html
import re
from typing import Any, Callable

from .sentence import RELATIONS, Code, Em, Math, Rel, Sentence

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>$|])")


def _plain(text: str) -> str:
    """Text without control characters (a spec's bytes never reach a terminal or a file raw)."""
    return _CONTROL.sub(lambda m: "\\x%02x" % ord(m.group()), text)


def md_escape(text: str) -> str:
    """Plain text safe inside a Markdown paragraph (no emphasis, links, HTML or maths)."""
    return _MD_SPECIAL.sub(r"\\\1", _plain(text))


def md_code(text: str) -> str:
    """`text` as a Markdown code span, whatever backticks it holds."""
    ticks = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (ticks + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _latex_math(x: Any) -> str:
    from .printing import latex
    return latex(x)


def rel_latex(r: Rel) -> str:
    """`lhs op rhs` of a relation in LaTeX."""
    return f"{_latex_math(r.lhs)} {RELATIONS[r.op][0]} {_latex_math(r.rhs)}"


def _printer(text: Callable[[str], str], math: Callable[[Any], str], rel: Callable[[Rel], str],
             em: Callable[[str], str], code: Callable[[str], str]) -> Callable[[Sentence], str]:
    """A sentence printer from one function per kind of part (plain text already cleaned of
    control characters is what `text`, `em` and `code` receive)."""
    def print_(s: Sentence) -> str:
        out = []
        for p in s.parts:
            if isinstance(p, str):
                out.append(text(_plain(p)))
            elif isinstance(p, Math):
                out.append(math(p.expr))
            elif isinstance(p, Rel):
                shown = p.shown()
                out.append(rel(shown) + (text(f" ({shown.tag})") if shown.tag else ""))
            elif isinstance(p, Em):
                out.append(em(_plain(p.text)))
            elif isinstance(p, Code):
                out.append(code(_plain(p.text)))
        return "".join(out)
    return print_


def _tex(x: str) -> str:
    from .texchars import escape_text
    return escape_text(x)


def _tex_code(x: str) -> str:
    from .texchars import escape_verbatim
    return r"\texttt{%s}" % escape_verbatim(x)


def mathml_of(x: Any, display: bool = False, displaystyle: bool = False) -> str:
    """MathML of any object, by derive's MathML printer (never through its LaTeX)."""
    from .mathml import mathml
    return mathml(x, display, displaystyle)


_mathml = mathml_of


def _rel_mathml(r: Rel) -> str:
    from .mathml import MATHML_NS, mathml_body, mo
    body = mathml_body(r.lhs) + mo(RELATIONS[r.op][1]) + mathml_body(r.rhs)
    return f'<math xmlns="{MATHML_NS}"><mrow>{body}</mrow></math>'


def _inline(x: Any) -> str:
    from .pretty import inline
    return inline(x)


def _rel_text(r: Rel) -> str:
    return f"{_inline(r.lhs)} {RELATIONS[r.op][1]} {_inline(r.rhs)}"


def _esc(x: str) -> str:
    return html.escape(x, quote=False)


sentence_md = _printer(md_escape, lambda x: f"${_latex_math(x)}$",
                       lambda r: f"${rel_latex(r)}$", lambda t: "*" + md_escape(t) + "*", md_code)
sentence_latex = _printer(_tex, lambda x: f"${_latex_math(x)}$", lambda r: f"${rel_latex(r)}$",
                          lambda t: r"\emph{%s}" % _tex(t), _tex_code)
sentence_html = _printer(_esc, _mathml, _rel_mathml, lambda t: f"<em>{_esc(t)}</em>",
                         lambda t: f"<code>{_esc(t)}</code>")
sentence_text = _printer(lambda t: t, _inline, _rel_text, lambda t: t, lambda t: t)


PRINTERS = {"md": sentence_md, "latex": sentence_latex, "html": sentence_html, "text": sentence_text}


def print_sentence(s: Sentence, fmt: str) -> str:
    """`s` printed in `fmt` (md, latex, html or text)."""
    return PRINTERS[fmt](s)
