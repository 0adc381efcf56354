"""QTI 1.2 for Canvas ("QTI .zip file" import): `imsmanifest.xml` and one assessment.

Per `Acceptance` kind: a number -> `numerical_question` with an exact answer and the range
[v - tol, v + tol] (`derive.export.common.tolerance`); a vector, matrix or shape -> one
numerical question per entry; a choice -> `multiple_choice_question` (one letter) or
`multiple_answers_question` (several), each option labelled with its text from the spec
(`(a) ...`, its maths as MathML or `\\(...\\)`); a yes/no -> `true_false_question`;
anything else -> `essay_question`.  Each item carries the worked solution of its problem
as general feedback.  With several variants every question is a Canvas question group ("pick 1")
holding that question in every variant.
"""
from __future__ import annotations

import io
import xml.etree.ElementTree as ET
import zipfile
from typing import Sequence

from ..randomness import short_key
from ..steps import Solution
from .common import Item, items, number, numeric_entries, option_html, short, tolerance

NS = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
CP = "http://www.imsglobal.org/xsd/imscp_v1p1"


def _meta(item_el: ET.Element, fields: dict[str, str]) -> None:
    md = ET.SubElement(ET.SubElement(item_el, "itemmetadata"), "qtimetadata")
    for k, v in fields.items():
        f = ET.SubElement(md, "qtimetadatafield")
        ET.SubElement(f, "fieldlabel").text = k
        ET.SubElement(f, "fieldentry").text = v


def _mat(parent: ET.Element, text: str) -> None:
    ET.SubElement(ET.SubElement(parent, "material"), "mattext", {"texttype": "text/html"}).text = text


def _item(parent: ET.Element, ident: str, title: str, qtype: str, item: Item, marks: float, text: str):
    el = ET.SubElement(parent, "item", {"ident": ident, "title": title})
    _meta(el, {"question_type": qtype, "points_possible": short(marks)})
    pres = ET.SubElement(el, "presentation")
    _mat(pres, text)
    return el, pres


def _score(el: ET.Element, build_condition) -> None:
    rp = ET.SubElement(el, "resprocessing")
    ET.SubElement(ET.SubElement(rp, "outcomes"), "decvar",
                  {"maxvalue": "100", "minvalue": "0", "varname": "SCORE", "vartype": "Decimal"})
    if build_condition is not None:
        cond = ET.SubElement(rp, "respcondition", {"continue": "No"})
        build_condition(ET.SubElement(cond, "conditionvar"))
        ET.SubElement(cond, "setvar", {"action": "Set", "varname": "SCORE"}).text = "100"
    always = ET.SubElement(rp, "respcondition", {"continue": "Yes"})     # (the schema wants a condition:
    ET.SubElement(ET.SubElement(always, "conditionvar"), "other")         # `other` holds always)
    ET.SubElement(always, "displayfeedback", {"feedbacktype": "Response", "linkrefid": "general_fb"})


def _feedback(el: ET.Element, item: Item) -> None:
    fb = ET.SubElement(el, "itemfeedback", {"ident": "general_fb"})
    _mat(ET.SubElement(fb, "flow_mat"), item.feedback)


def _numerical(parent: ET.Element, ident: str, title: str, item: Item, marks: float, text: str, v) -> None:
    el, pres = _item(parent, ident, title, "numerical_question", item, marks, text)
    rs = ET.SubElement(pres, "response_str", {"ident": "response1", "rcardinality": "Single"})
    ET.SubElement(ET.SubElement(rs, "render_fib", {"fibtype": "Decimal"}), "response_label", {"ident": "answer1"})
    x, tol = number(v), tolerance(item.acceptance, v)

    def cond(cv: ET.Element) -> None:
        alt = ET.SubElement(cv, "or")
        ET.SubElement(alt, "varequal", {"respident": "response1"}).text = short(x)
        both = ET.SubElement(alt, "and")
        ET.SubElement(both, "vargte", {"respident": "response1"}).text = short(x - tol)
        ET.SubElement(both, "varlte", {"respident": "response1"}).text = short(x + tol)
    _score(el, cond)
    _feedback(el, item)


def _choice(parent: ET.Element, ident: str, title: str, item: Item) -> None:
    several = sum(o.correct for o in item.options) > 1
    qtype = "multiple_answers_question" if several else "multiple_choice_question"
    el, pres = _item(parent, ident, title, qtype, item, item.marks, item.question)
    lid = ET.SubElement(pres, "response_lid", {"ident": "response1", "rcardinality": "Multiple" if several else "Single"})
    rc = ET.SubElement(lid, "render_choice")
    for option in item.options:
        _mat(ET.SubElement(rc, "response_label", {"ident": option.label}), option_html(option))

    def cond(cv: ET.Element) -> None:
        box = ET.SubElement(cv, "and") if several else cv
        for option in item.options:
            if option.correct:
                ET.SubElement(box, "varequal", {"respident": "response1"}).text = option.label
            elif several:
                ET.SubElement(ET.SubElement(box, "not"), "varequal", {"respident": "response1"}).text = option.label
    _score(el, cond)
    _feedback(el, item)


def _essay(parent: ET.Element, ident: str, title: str, item: Item) -> None:
    el, pres = _item(parent, ident, title, "essay_question", item, item.marks, item.question)
    rs = ET.SubElement(pres, "response_str", {"ident": "response1", "rcardinality": "Single"})
    ET.SubElement(ET.SubElement(rs, "render_fib"), "response_label", {"ident": "answer1", "rshuffle": "No"})
    _score(el, None)
    _feedback(el, item)


def add_item(parent: ET.Element, item: Item, ident: str) -> None:
    """The QTI item(s) of one exportable result."""
    acc = item.acceptance
    entries = numeric_entries(acc)
    if entries:
        share = item.marks / len(entries)
        for k, (label, v) in enumerate(entries):
            text = item.question + (f"<p>Entry {label}:</p>" if label else "")
            _numerical(parent, f"{ident}_{k + 1}", f"{item.id}{label}", item, share, text, v)
    elif acc.kind == "choice":
        _choice(parent, ident, item.id, item)
    else:
        _essay(parent, ident, item.id, item)


def assessment(solutions: Sequence[Solution], math: str) -> tuple[ET.Element, list[tuple[str, str]]]:
    """The questestinterop element and the results left out (id, why)."""
    root = ET.Element("questestinterop", {"xmlns": NS})
    title = solutions[0].title or "derive"
    test = ET.SubElement(root, "assessment", {"ident": "A" + short_key(title), "title": title})
    top = ET.SubElement(test, "section", {"ident": "root_section"})
    per_variant = [items(s, math) for s in solutions]
    skipped = sorted({x for _, sk in per_variant for x in sk})
    for item in per_variant[0][0]:
        group = top
        if len(solutions) > 1:
            group = ET.SubElement(top, "section", {"ident": "G" + short_key(title, item.id), "title": item.id})
            sel = ET.SubElement(ET.SubElement(group, "selection_ordering"), "selection")
            ET.SubElement(sel, "selection_number").text = "1"
            ET.SubElement(ET.SubElement(sel, "selection_extension"), "points_per_item").text = short(item.marks)
        for s, (its, _) in zip(solutions, per_variant):
            match = next((i for i in its if i.id == item.id), None)
            if match is not None:
                key = s.variant["key"] if s.variant else "exam"
                add_item(group, match, "I" + short_key(title, item.id, key))
    return root, skipped


def manifest(ident: str, href: str) -> ET.Element:
    m = ET.Element("manifest", {"identifier": ident, "xmlns": CP})
    meta = ET.SubElement(m, "metadata")
    ET.SubElement(meta, "schema").text = "IMS Content"
    ET.SubElement(meta, "schemaversion").text = "1.1.3"
    ET.SubElement(m, "organizations")
    res = ET.SubElement(ET.SubElement(m, "resources"), "resource",
                        {"identifier": ident + "_r", "type": "imsqti_xmlv1p2"})
    ET.SubElement(res, "file", {"href": href})
    return m


def _xml(el: ET.Element) -> bytes:
    ET.indent(el, space=" ")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(el, encoding="unicode") + "\n").encode()


def qti_zip(solutions: Sequence[Solution], math: str = "mathml") -> tuple[bytes, list[tuple[str, str]]]:
    """(the bytes of the QTI zip, the results left out).  Entries carry a fixed date so the
    same solutions give the same bytes."""
    root, skipped = assessment(solutions, math)
    ident = "M" + short_key(solutions[0].title or "derive")
    href = f"{ident}/{ident}.xml"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in (("imsmanifest.xml", _xml(manifest(ident, href))), (href, _xml(root))):
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    return buf.getvalue(), skipped
