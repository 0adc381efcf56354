"""The DOM side of derive's MathML printer (`mathml.py`): elements, names, imported LaTeX.

`NodeMixin` gives the printer small element builders (`_el`, `_row`, `_fenced`, `_mo`),
spec names as one identifier (`_name`: `x1` → x₁, `y_hat` → ŷ, `eta` → η, `W_Q1` → W_{Q1},
`n_conv` → n with the upright word "conv" as subscript, `dist` → one upright `<mi>`), and
the route for derive's own classes that only define `_latex` (`_print_via_latex`).

The module functions read printed nodes: `ends_in_digit` / `starts_numeric` say whether a
factor's printed form ends or starts with a numeral (the test the LaTeX printer makes
before it writes `\\cdot` between two factors), and `real_minus` turns every `<mo>-</mo>`
into the minus sign U+2212.
"""
from __future__ import annotations

import html
import re
from typing import Any
from xml.dom import minidom

from .printing import _GREEK_UNICODE, ACCENTS, PLACEHOLDERS as _PLACEHOLDERS, SUPERS, DeriveLatexPrinter, \
    _split_name, latex, name_latex

_HOLDERS = _PLACEHOLDERS + "ϠϡϢϣϤϥϦϧϨϩϪϫϬϭϮϯ"   # letters no name or LaTeX uses
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


def _tidy_imported(node) -> None:
    """Nodes from latex2mathml: text escaped again (sympy's DOM writes text raw), and a
    multi-letter `<mo>` from `\\operatorname{relu}` made an identifier `<mi>`."""
    for child in list(node.childNodes):
        if child.nodeType == child.TEXT_NODE:
            child.data = html.escape(child.data, quote=False)
        else:
            _tidy_imported(child)
    if node.nodeType == node.ELEMENT_NODE and node.tagName == "mo":
        text = "".join(t.data for t in node.childNodes if t.nodeType == t.TEXT_NODE)
        if len(text) > 1 and text.isalpha():
            node.tagName = node.nodeName = "mi"
            for a in ("stretchy", "fence", "form"):
                if node.hasAttribute(a):
                    node.removeAttribute(a)


# LaTeX that latex2mathml does not know, in forms it does (same glyphs).
_TEX_FOR_LATEX2MATHML = ((r"\lVert", r"\|"), (r"\rVert", r"\|"), (r"\Big", ""), (r"\big", ""))


class NodeMixin:
    """Element builders, names and imported LaTeX for `DeriveMathMLPrinter`."""

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

    # ---- derive's own classes through their _latex -----------------------------------
    def _from_latex(self, tex: str):
        from latex2mathml.converter import convert
        for old, new in _TEX_FOR_LATEX2MATHML:
            tex = tex.replace(old, new)
        doc = minidom.parseString(convert(tex))
        math = doc.documentElement
        nodes = _elements(math)
        node = nodes[0] if len(nodes) == 1 else None
        if node is None:
            node = doc.createElement("mrow")
            for n in list(math.childNodes):
                node.appendChild(n)
        node = self.dom.importNode(node, True)
        _tidy_imported(node)
        return node

    def _graft(self, tex: str, objects: list):
        """`tex` as MathML with each placeholder `<mi>` replaced by its object, or None."""
        node = self._from_latex(tex)
        spots: dict[str, list] = {}
        for mi in node.getElementsByTagName("mi"):
            spots.setdefault(text_of(mi), []).append(mi)
        if any(_HOLDERS[k] not in spots for k in range(len(objects))):
            return None   # a placeholder that latex2mathml did not make an identifier
        for k, obj in enumerate(objects):
            for mi in spots[_HOLDERS[k]]:
                mi.parentNode.replaceChild(self._print(obj), mi)
        return node

    def _name_over_name(self, expr, full: str):
        """A symbol class printed `A_{name_latex(B)}` for its name `A_B` (n_{W_{Q1}}, the
        count of W_Q1's entries) as A with the name B below, or None."""
        if not isinstance(getattr(expr, "name", None), str) or "_" not in expr.name:
            return None
        head, rest = expr.name.split("_", 1)
        if full != "%s_{%s}" % (name_latex(head), name_latex(rest)):
            return None
        msub = self._el("msub")
        msub.appendChild(self._name(head))
        msub.appendChild(self._name(rest))
        return msub

    def _print_via_latex(self, expr):
        """A class with only `_latex`: its own LaTeX with every object it prints replaced by a
        placeholder, converted, and the objects printed here in the placeholders' places.
        If that LaTeX, with the objects' LaTeX put back, is not exactly `latex(expr)` (a
        `_latex` that looks at its printed arguments), the whole LaTeX is converted."""
        full = latex(expr)
        sub = self._name_over_name(expr, full)
        if sub is not None:
            return sub
        recorder = _Recorder()
        try:
            tex = expr._latex(recorder)
        except _TooMany:
            tex = None
        if tex is not None and recorder.objects:
            back = tex
            for k, obj in enumerate(recorder.objects):
                back = back.replace(_HOLDERS[k], latex(obj))
            node = self._graft(tex, recorder.objects) if back == full else None
            if node is not None:
                return node
        return self._from_latex(full)


class _TooMany(Exception):
    """More objects printed than there are placeholder letters."""


class _Recorder(DeriveLatexPrinter):
    """A LaTeX printer that prints each object it is handed as the next placeholder letter."""

    def __init__(self):
        super().__init__()
        self.objects: list = []

    def _print(self, expr, **kwargs):
        if len(self.objects) == len(_HOLDERS):
            raise _TooMany
        self.objects.append(expr)
        return _HOLDERS[len(self.objects) - 1]
