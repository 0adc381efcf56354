"""Moodle XML (the question bank's "Moodle XML format" import).

One category per exam section (`$course$/top/TITLE/SECTION`); with several variants, one
category per result under its section holding that result's question in every variant
(a quiz's "random question from category" then gives each student one version).  Per
`Acceptance` kind:

* number -> `numerical`: the key as a decimal, Moodle's absolute `tolerance` from the
  acceptance (`derive.export.common.tolerance`: a relative tolerance becomes |v|·rtol);
* vector, matrix, shape -> `cloze`: one `{1:NUMERICAL:=v:tol}` blank per entry;
* choice -> `multichoice`: single (one letter) or multiple (several: each right letter
  +100/k, each wrong one -100/(options-k)), each answer the option's text from the spec
  (`(a) ...`, its maths as MathML or `\\(...\\)`);
* boolean -> `truefalse`;
* anything else (expressions, intervals, prose, derivations) -> `essay` with the key in
  the grader information.
Every question has the problem's worked solution as general feedback, HTML with MathML
(or `\\(...\\)`), no images.
"""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Sequence

from ..steps import Solution
from .common import Item, items, numeric_entries, option_html, short, tolerance


def _text(parent: ET.Element, tag: str, text: str, fmt: str | None = None) -> ET.Element:
    el = ET.SubElement(parent, tag, {"format": fmt} if fmt else {})
    ET.SubElement(el, "text").text = text
    return el


def _category(quiz: ET.Element, path: str) -> None:
    q = ET.SubElement(quiz, "question", {"type": "category"})
    _text(q, "category", path)


def _common(quiz: ET.Element, kind: str, item: Item, name: str, question: str) -> ET.Element:
    q = ET.SubElement(quiz, "question", {"type": kind})
    _text(q, "name", name)
    _text(q, "questiontext", question, "html")
    _text(q, "generalfeedback", item.feedback, "html")
    ET.SubElement(q, "defaultgrade").text = short(item.marks)
    ET.SubElement(q, "penalty").text = "0"
    ET.SubElement(q, "hidden").text = "0"
    ET.SubElement(q, "idnumber").text = name
    return q


def _answer(q: ET.Element, fraction: float, text: str, fmt: str | None = None) -> ET.Element:
    a = ET.SubElement(q, "answer", {"fraction": short(fraction), **({"format": fmt} if fmt else {})})
    ET.SubElement(a, "text").text = text
    return a


def question(quiz: ET.Element, item: Item, name: str) -> None:
    """The Moodle question of one item (see the module docstring for the types)."""
    acc = item.acceptance
    entries = numeric_entries(acc)
    if acc.kind == "number" and entries:
        q = _common(quiz, "numerical", item, name, item.question)
        a = _answer(q, 100, short(float(_n(acc.value))))
        ET.SubElement(a, "tolerance").text = short(tolerance(acc, acc.value))
        _text(a, "feedback", "", "html")
    elif entries:
        blanks = "".join(f"<p>{label or 'answer'}: {{1:NUMERICAL:={short(float(_n(v)))}:{short(tolerance(acc, v))}}}</p>"
                         for label, v in entries)
        _common(quiz, "cloze", item, name, item.question + "\n" + blanks)
    elif acc.kind == "choice":
        _multichoice(quiz, item, name)
    elif acc.kind == "boolean":
        q = _common(quiz, "truefalse", item, name, item.question)
        for word in ("true", "false"):
            _text(_answer(q, 100 if (word == "true") == bool(acc.value) else 0, word), "feedback", "", "html")
    else:
        q = _common(quiz, "essay", item, name, item.question)
        ET.SubElement(q, "responseformat").text = "editor"
        ET.SubElement(q, "responserequired").text = "1"
        ET.SubElement(q, "responsefieldlines").text = "10"
        ET.SubElement(q, "attachments").text = "0"
        words = acc.text
        if acc.text.startswith('"'):       # a quoted answer (string, prose, statement): its words, not its literal
            words = json.loads(acc.text)
        _text(q, "graderinfo", f"<p>Key: {_esc(words)}</p>", "html")


def _n(v):
    from .common import number
    return number(v)


def _esc(text: str) -> str:
    import html
    return html.escape(text, quote=False)


def _multichoice(quiz: ET.Element, item: Item, name: str) -> None:
    """Every option with its text (`(a) ...`, HTML) and its fraction: single, the right one
    100 and the others 0; multiple, each right one +100/k and each wrong one -100/(n-k)."""
    right = [o for o in item.options if o.correct]
    q = _common(quiz, "multichoice", item, name, item.question)
    single = len(right) == 1
    ET.SubElement(q, "single").text = "true" if single else "false"
    ET.SubElement(q, "shuffleanswers").text = "0"
    ET.SubElement(q, "answernumbering").text = "none"
    wrong = max(len(item.options) - len(right), 1)
    for option in item.options:
        frac = (100 if single else 100 / len(right)) if option.correct else (0 if single else -100 / wrong)
        _text(_answer(q, round(frac, 5), option_html(option), "html"), "feedback", "", "html")


def moodle_xml(solutions: Sequence[Solution], math: str = "mathml") -> tuple[str, list[tuple[str, str]]]:
    """(the Moodle XML of the solutions: one per variant, or the exam itself; the results
    that could not be exported, with why)."""
    quiz = ET.Element("quiz")
    title = solutions[0].title or "derive"
    per_variant = [items(s, math) for s in solutions]
    skipped = sorted({x for _, sk in per_variant for x in sk})
    several = len(solutions) > 1
    first = per_variant[0][0]
    section_seen: list[str | None] = []
    for k, item in enumerate(first):
        if item.section not in section_seen or several:
            section_seen.append(item.section)
            path = f"$course$/top/{title}/{item.section or 'Problems'}" + (f"/{item.id}" if several else "")
            _category(quiz, path)
        for s, (its, _) in zip(solutions, per_variant):
            match = next((i for i in its if i.id == item.id), None)
            if match is None:
                continue
            name = f"{item.id} variant {s.variant['key']}" if several and s.variant else item.id
            question(quiz, match, name)
    ET.indent(quiz, space=" ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(quiz, encoding="unicode") + "\n", skipped
