"""The DOM side of derive's MathML printer (`mathml.py`): elements and names.

`NodeMixin` gives the printer small element builders (`_el`, `_row`, `_fenced`, `_mo`),
spec names as one identifier (`_name`: `x1` → x₁, `y_hat` → ŷ, `eta` → η, `W_Q1` → W_{Q1},
`n_conv` → n with the upright word "conv" as subscript, `dist` → one upright `<mi>`).
derive's own display classes print themselves (`_mathml_presentation`); nothing here
converts LaTeX.

The module functions read printed nodes: `ends_in_digit` / `starts_numeric` say whether a
factor's printed form ends or starts with a numeral (the test the LaTeX printer makes
before it writes `\\cdot` between two factors), and `real_minus` turns every `<mo>-</mo>`
into the minus sign U+2212.
"""
from __future__ import annotations

import html
import re
from typing import Any

from .printing import _GREEK_UNICODE, ACCENTS, SUPERS, _split_name

MINUS = "\u2212"
INVISIBLE_TIMES = "\u2062"
NUMBER_TIMES = "\u22c5"          # ⋅, MathML's \cdot: what the LaTeX printer puts between numerals
_LEAVES = ("mi", "mn", "mo", "mtext", "ms")
_ACCENT_MARKS = {"hat": "^", "bar": "¯", "tilde": "~", "dot": "˙", "vec": "→"}


def text_of(node) -> str:
    """The text directly inside an element, entities resolved (`&#x2062;` → U+2062)."""
    raw = "".join(t.data for t in node.childNodes if t.nodeType == t.TEXT_NODE)
    return html.unescape(raw)


def _elements(node) -> list:
    return [c for c in node.childNodes if c.nodeType == c.ELEMENT_NODE]


def ends_in_digit(node) -> bool:
    """The last glyph of the printed node is a digit (x₁, 3, 2², ½): LaTeX's `[0-9][} ]*$`."""
    while node.tagName not in _LEAVES:
        kids = _elements(node)
        if not kids:
            return False
        node = kids[-1]
    text = text_of(node)
    return bool(text) and text[-1].isdigit()


def starts_numeric(node) -> bool:
    """The printed node starts with a numeral or is a fraction of two numerals (LaTeX's
    `\\d|\\frac{\\d+}{\\d+}`); a fraction with letters in it does not count."""
    while node.tagName in ("mrow", "msup", "msub", "msubsup"):
        kids = _elements(node)
        if not kids:
            return False
        node = kids[0]
    if node.tagName == "mfrac":
        return all(k.tagName == "mn" for k in _elements(node))
    text = text_of(node)
    return node.tagName == "mn" and bool(text) and text[0].isdigit()


def real_minus(node) -> None:
    """Every `<mo>` that holds a hyphen-minus gets the minus sign U+2212 instead."""
    if node.nodeType != node.ELEMENT_NODE:
        return
    if node.tagName == "mo":
        for t in node.childNodes:
            if t.nodeType == t.TEXT_NODE and t.data.strip() == "-":
                t.data = MINUS
        return
    for child in node.childNodes:
        real_minus(child)


class NodeMixin:
    """Element builders and names for `DeriveMathMLPrinter`."""

    dom: Any

    def _el(self, tag: str, text: str | None = None, **attrs: str):
        el = self.dom.createElement(tag)
        for k, v in attrs.items():
            el.setAttribute(k, v)
        if text is not None:
            el.appendChild(self.dom.createTextNode(html.escape(text, quote=False)))
        return el

    def _mo(self, op: str):
        return self._el("mo", op)

    def _row(self, *children):
        row = self.dom.createElement("mrow")
        for c in children:
            row.appendChild(c)
        return row

    def _fenced(self, inner, left: str = "(", right: str = ")"):
        return self._row(self._el("mo", left), inner, self._el("mo", right))

    # ---- names --------------------------------------------------------------------
    def _name_part(self, part: str):
        """One subscript part: a Greek name, or runs of letters (one `<mi>` per word) and digits."""
        if part in _GREEK_UNICODE:
            return [self._el("mi", _GREEK_UNICODE[part])]
        return [self._el("mn" if run.isdigit() else "mi", run)
                for run in re.findall(r"\d+|[A-Za-z]+|[^\dA-Za-z]+", part)]

    def _name(self, name: str):
        """A spec name as one identifier, in name_latex's conventions (module docstring)."""
        main, sub, accents = _split_name(name)
        base = self._el("mi", _GREEK_UNICODE.get(main, main))
        sup_text = ""
        for a in accents:
            if a in ACCENTS:
                over = self._el("mover", accent="true")
                over.appendChild(base)
                over.appendChild(self._el("mo", _ACCENT_MARKS[a]))
                base = over
            else:
                sup_text += SUPERS[a][1]
        scripts = [self._subscript(sub)] if sub else []
        if sup_text:
            scripts.append(self._el("mo", sup_text))
        if not scripts:
            return base
        node = self._el({1: "msub" if sub else "msup", 2: "msubsup"}[len(scripts)])
        for child in [base] + scripts:
            node.appendChild(child)
        return node

    def _subscript(self, sub: str):
        """The subscript of a name: parts separated by commas (x1_i → x_{1,i})."""
        row = self.dom.createElement("mrow")
        for k, part in enumerate(sub.split("_") if "," not in sub else sub.split(",")):
            if k:
                row.appendChild(self._el("mo", ","))
            for node in self._name_part(part):
                row.appendChild(node)
        return row.firstChild if len(row.childNodes) == 1 else row
