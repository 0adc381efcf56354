"""Exports (docs/export.md): Moodle XML, QTI 1.2 zip, PrairieLearn folders.

Each is read back with a real reader (ElementTree's XML parser, zipfile), its keys are
checked against hand-computed values of the seed exam (the MLP: o = 24, L = 81,
dL/dW1[1,1] = 18, v' = -0.8), and the generated PrairieLearn server.py is imported and
run on a fake `data` dict as PrairieLearn passes it.  Golden files keep the seed exam's
exports (feedback left out: the worked solutions are render's goldens).

    UPDATE_GOLDEN=1 python3 -m pytest tests/test_export.py     # rewrite them, on purpose
"""
from __future__ import annotations

import importlib.util
import json
import math
import os
import re
import xml.etree.ElementTree as ET
import zipfile
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from derive import cli
from derive.export import export, solutions_of, write_export

ROOT = Path(__file__).resolve().parents[1]
EXAM = ROOT / "examples" / "seed-exam.spec"
VARIANTS = ROOT / "examples" / "seed-exam-variants.spec"
GOLDEN = ROOT / "tests" / "golden" / "export"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
QTI = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"
MLP_KEYS = {"II.1(b)": 24, "II.1(c)": 81, "II.1(d)": 18, "II.1(e)": -0.8}


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    out = tmp_path_factory.mktemp("exports")
    solutions = solutions_of(EXAM)
    skipped = {}
    for host, name in (("moodle", "exam.xml"), ("qti", "exam.zip"), ("prairielearn", "pl")):
        skipped[host] = write_export(solutions, host, out / name, math="tex")
    return out, skipped, solutions


def _strip_feedback(xml: str) -> str:
    xml = re.sub(r"<generalfeedback format=\"html\">.*?</generalfeedback>", "<generalfeedback/>", xml, flags=re.S)
    return re.sub(r"<itemfeedback ident=\"general_fb\">.*?</itemfeedback>", "<itemfeedback/>", xml, flags=re.S)


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text, f"{name} differs from its golden file"


def test_moodle_xml_reads_back_with_the_right_keys(exports):
    out = exports[0]
    root = ET.parse(out / "exam.xml").getroot()
    assert root.tag == "quiz"
    by_name = {q.find("name/text").text: q for q in root if q.get("type") != "category"}
    cats = [q.find("category/text").text for q in root if q.get("type") == "category"]
    assert len(cats) == 3 and all(c.startswith("$course$/top/Machine Learning: final examination/Part ") for c in cats)
    for rid, want in MLP_KEYS.items():
        q = by_name[rid]
        assert q.get("type") == "numerical"
        assert float(q.find("answer/text").text) == want and float(q.find("answer/tolerance").text) == 0
        assert "<section" in q.find("generalfeedback/text").text          # the worked solution
    ce = by_name["I.1"]                                                   # -log 0.7, irrational: 3 digits
    assert math.isclose(float(ce.find("answer/text").text), -math.log(0.7), rel_tol=1e-12)
    assert float(ce.find("answer/tolerance").text) == 0.0005
    gd = by_name["III.4(a)"]                                              # the iterates, one blank each
    w1, w2 = 5 - 0.1 * (2 * 5 + 2), None
    w2 = w1 - 0.1 * (2 * w1 + 2)
    assert gd.get("type") == "cloze"
    blanks = re.findall(r"\{1:NUMERICAL:=([-0-9.e]+):([0-9.e-]+)\}", gd.find("questiontext/text").text)
    assert [float(b[0]) for b in blanks] == pytest.approx([w1, w2], abs=1e-12)
    mc = by_name["I.11#2"]
    assert mc.get("type") == "multichoice" and mc.find("single").text == "true"
    _check_bag_options([(a.find("text").text, float(a.get("fraction")) > 0) for a in mc.findall("answer")], "tex")
    assert [a.get("fraction") for a in mc.findall("answer")] == ["0", "0", "0", "100", "0"]
    assert "w_{1}" not in mc.find("questiontext/text").text     # the question does not print the key
    assert by_name["II.4(iii)"].get("type") == "truefalse"
    assert by_name["I.3"].get("type") == "essay"


# The options of the bag problem (examples/seed/part1-objective.spec), written out by hand
BAG_OPTIONS = {"a": lambda w1, b1, w2, b2: w1 / (w1 + b1),
               "b": lambda w1, b1, w2, b2: w1 * (w1 + b1) / (w1 * (w1 + b1) + w2 * (w2 + b2)),
               "c": lambda w1, b1, w2, b2: w1 * (b1 + b2) / (w1 * (b1 + b2) + w2 * (b1 + b2)),
               "d": lambda w1, b1, w2, b2: w1 * (w2 + b2) / (w1 * (w2 + b2) + w2 * (w1 + b1))}


def _bayes(w1, b1, w2, b2):
    """P(bag I | white) by Bayes' rule, bags picked with probability 1/2."""
    p1, p2 = Fraction(w1, w1 + b1), Fraction(w2, w2 + b2)
    return p1 / (p1 + p2)


def _check_bag_options(options: list[tuple[str, bool]], math_: str) -> None:
    """Every option is listed with its text, in the spec's order, and the flagged ones are
    exactly those equal to Bayes' rule at random whole numbers (or `none` if no option is)."""
    rng = np.random.default_rng(3)
    points = [tuple(int(v) for v in rng.integers(1, 9, 4)) for _ in range(5)]
    right = {k for k, f in BAG_OPTIONS.items()
             if all(f(*map(Fraction, pt)) == _bayes(*pt) for pt in points)} or {"e"}
    assert [t.split(")")[0] for t, _ in options] == ["(a", "(b", "(c", "(d", "(e"]
    assert {t[1] for t, ok in options if ok} == right
    assert options[-1][0] == "(e) none of these"
    for text, _ in options[:-1]:
        assert ("\\(\\frac{w_{1}" in text) if math_ == "tex" else ("<math" in text and "<mfrac>" in text)


def test_qti_zip_reads_back_with_ranges_around_the_keys(exports):
    out = exports[0]
    with zipfile.ZipFile(out / "exam.zip") as z:
        assert z.testzip() is None
        manifest = ET.fromstring(z.read("imsmanifest.xml"))
        href = manifest.find(".//{http://www.imsglobal.org/xsd/imscp_v1p1}file").get("href")
        test = ET.fromstring(z.read(href))
    items = {i.get("title"): i for i in test.iter(QTI + "item")}
    for rid, want in MLP_KEYS.items():
        item = items[rid]
        kind = item.find(f".//{QTI}fieldentry").text
        lo, hi = (float(item.find(f".//{QTI}{t}").text) for t in ("vargte", "varlte"))
        assert kind == "numerical_question" and lo <= want <= hi
    ce = items["I.1"]
    lo, hi = (float(ce.find(f".//{QTI}{t}").text) for t in ("vargte", "varlte"))
    assert lo < -math.log(0.7) < hi and hi - lo == pytest.approx(0.001)
    mc = items["I.11#2"]
    assert mc.find(f".//{QTI}fieldentry").text == "multiple_choice_question"
    right = {v.text for v in mc.iter(QTI + "varequal")}
    labels = mc.findall(f".//{QTI}response_label")
    _check_bag_options([(lab.find(f".//{QTI}mattext").text, lab.get("ident") in right) for lab in labels], "tex")
    assert items["I.3"].find(f".//{QTI}fieldentry").text == "essay_question"
    assert {f"II.2(b)[{i}, {j}]" for i in (1, 2, 3, 4) for j in (1, 2)} <= set(items)


def test_goldens_of_the_seed_exam(exports):
    out = exports[0]
    _golden("seed-exam.moodle.xml", _strip_feedback((out / "exam.xml").read_text(encoding="utf-8")))
    with zipfile.ZipFile(out / "exam.zip") as z:
        names = z.namelist()
        _golden("seed-exam.qti.xml", _strip_feedback(z.read(names[1]).decode()))
        _golden("seed-exam.imsmanifest.xml", z.read("imsmanifest.xml").decode())
    mlp = out / "pl" / "questions" / "ii.1-forward-and-backward-pass-through-an-mlp"
    _golden("seed-exam.pl.question.html", (mlp / "question.html").read_text())
    _golden("seed-exam.pl.info.json", (mlp / "info.json").read_text())


def test_the_exports_are_the_same_bytes_twice(exports, tmp_path):
    out = exports[0]
    write_export(exports[2], "qti", tmp_path / "again.zip", math="tex")
    assert (tmp_path / "again.zip").read_bytes() == (out / "exam.zip").read_bytes()


def _server(folder: Path):
    spec = importlib.util.spec_from_file_location(f"pl_server_{folder.name.replace('.', '_')}", folder / "server.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _data(seed: int) -> dict:
    return {"variant_seed": seed, "params": {}, "correct_answers": {}, "submitted_answers": {},
            "format_errors": {}, "partial_scores": {}, "score": 0, "feedback": {}}


def _mlp_by_hand(x, t, lr):
    W1 = np.array([[1 if i % 2 == 0 else -1] * 4 for i in range(5)], dtype=object)
    pre = W1.dot(np.array(x, dtype=object))
    o = sum(max(v, 0) for v in pre)
    g = 2 * (o - t) * (1 if pre[0] > 0 else 0) * x[0]
    return o, (o - t) ** 2, g, 1 - lr * g


def test_prairielearn_server_generates_and_grades_a_variant(tmp_path):
    export(ROOT / "examples" / "variants" / "part2-mlp.spec", "prairielearn", tmp_path / "pl")
    folder = tmp_path / "pl" / "questions" / "1-forward-and-backward-pass-through-an-mlp"
    info = json.loads((folder / "info.json").read_text())
    assert info["type"] == "v3" and len(info["uuid"]) == 36
    server = _server(folder)
    data = _data(1234)
    server.generate(data)
    vals = re.search(r"x = \\begin\{bmatrix\}|<math", data["params"]["text"])
    assert vals and "part_b" in data["params"]
    from derive.variants import solve_variant
    drawn = solve_variant(folder / "problem.spec", 1234).variant["values"]["1"]
    x = [Fraction(v) for v in drawn["x"].strip("[]").split(",")]
    o, L, g, v = _mlp_by_hand(x, int(drawn["t"]), Fraction(drawn["lr"]))
    assert [data["correct_answers"][k] for k in ("a1", "a2", "a3", "a4", "a5")] == \
        pytest.approx([5 * 4 + 5 + 1 * 5 + 1, float(o), float(L), float(g), float(v)])
    data["submitted_answers"] = {"a1": 31, "a2": float(o), "a3": float(L), "a4": float(g), "a5": float(v)}
    server.grade(data)
    assert data["score"] == 1 and all(p["score"] == 1 for p in data["partial_scores"].values())
    data["submitted_answers"]["a2"] = float(o) + 1
    server.grade(data)
    assert data["partial_scores"]["a2"]["score"] == 0 and data["score"] == pytest.approx(1 - 4 / 20)
    assert data["feedback"]["a2"]


def test_prairielearn_matrix_and_choice_inputs(exports):
    out = exports[0]
    att = out / "pl" / "questions" / "ii.2-two-head-self-attention-without-softmax"
    assert "pl-matrix-input" in (att / "question.html").read_text()
    server = _server(att)
    data = _data(3)
    server.generate(data)
    (name, key), = ((k, v) for k, v in data["correct_answers"].items())
    rows = key["_value"]
    assert rows == [[72, 72], [-72, -72], [144, 144], [0, 0]] or np.array(rows).shape == (4, 2)
    data["submitted_answers"][name] = key
    server.grade(data)
    assert data["score"] == 1
    bags = out / "pl" / "questions" / "i.11-which-bag-did-the-white-ball-come-from"
    html = (bags / "question.html").read_text()
    assert "pl-multiple-choice" in html
    server = _server(bags)
    data = _data(5)
    server.generate(data)
    choice = next(k for k, v in data["params"].items() if isinstance(v, dict))
    assert data["params"][choice] == {"a": False, "b": False, "c": False, "d": True, "e": False}
    texts = data["params"][choice + "_text"]
    _check_bag_options([(texts[x], data["params"][choice][x]) for x in "abcde"], "mathml")
    assert f"{{{{{{params.{choice}_text.d}}}}}}" in html          # the element shows the text


def test_variants_become_groups_of_versions(tmp_path):
    two = solutions_of(VARIANTS, n=2)
    skipped = write_export(two, "qti", tmp_path / "v.zip", math="tex")
    with zipfile.ZipFile(tmp_path / "v.zip") as z:
        test = ET.fromstring(z.read(z.namelist()[1]))
    groups = [s for s in test.iter(QTI + "section") if s.get("title")]
    assert groups and all(s.find(f".//{QTI}selection_number").text == "1" for s in groups)
    mlp = next(s for s in groups if s.get("title") == "II.1(b)")
    assert len(mlp.findall(QTI + "item")) == 2
    write_export(two, "moodle", tmp_path / "v.xml", math="tex")
    root = ET.parse(tmp_path / "v.xml").getroot()
    names = [q.find("name/text").text for q in root if q.get("type") != "category"]
    assert sum(n.startswith("II.1(b) variant ") for n in names) == 2
    assert all(why for _, why in skipped)


def test_a_goal_without_an_answer_is_named_and_the_rest_exported(tmp_path, capsys):
    spec = tmp_path / "e.spec"
    spec.write_text('problem "p" {\n  let a = 2\n  (a) find a + 1\n  (b) find frobnicate(a)\n}\n')
    code = cli.main(["export", str(spec), "--to", "moodle", "-o", str(tmp_path / "e.xml"), "--max-memory", "0"])
    err = capsys.readouterr().err
    assert code == 1 and "not exported: 1(b): unknown function `frobnicate`" in err
    root = ET.parse(tmp_path / "e.xml").getroot()
    assert [q.find("name/text").text for q in root if q.get("type") != "category"] == ["1(a)"]


def test_a_failing_export_writes_nothing(tmp_path, capsys):
    code = cli.main(["export", str(VARIANTS), "--to", "qti", "-o", str(tmp_path / "x.zip"), "-n", "5000",
                     "--max-memory", "0"])
    assert code == 2 and "-n must be" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_gradescope_results_of_one_sheet(tmp_path, capsys):
    spec = tmp_path / "mlp.spec"
    spec.write_text((ROOT / "examples" / "seed" / "part2-mlp.spec").read_text())
    sheet = tmp_path / "r.json"
    sheet.write_text(json.dumps({"student": "ada", "answers": {"1(b)": "24", "1(c)": "80", "1(d)": "18"}}))
    code = cli.main(["grade", str(spec), str(sheet), "--format", "gradescope", "-o", str(tmp_path / "results.json"),
                     "--max-memory", "0"])
    assert code == 0, capsys.readouterr().err
    res = json.loads((tmp_path / "results.json").read_text())
    tests = {t["number"]: t for t in res["tests"]}
    assert set(tests) == {"1(a)", "1(b)", "1(c)", "1(d)", "1(e)"}
    assert all({"name", "score", "max_score", "output", "visibility"} <= set(t) for t in res["tests"])
    assert tests["1(b)"]["score"] == tests["1(b)"]["max_score"] == 4          # o = 24
    assert tests["1(d)"]["score"] == 8 and tests["1(a)"]["score"] == 0      # dL/dv = 18; (a) unanswered
    assert tests["1(c)"]["score"] < 2                                        # L = 81, not 80
    assert res["score"] == sum(t["score"] for t in res["tests"])
    two = tmp_path / "two.jsonl"
    two.write_text('{"student": "a", "answers": {}}\n{"student": "b", "answers": {}}\n')
    code = cli.main(["grade", str(spec), str(two), "--format", "gradescope", "--max-memory", "0"])
    assert code == 2 and "one submission at a time" in capsys.readouterr().err


def _moodle_questions(root: ET.Element) -> list[dict]:
    """The questions of a Moodle XML file read as qformat_xml reads them: each a type, a
    name, a question text and its answers (fraction, text, tolerance); and the invariants
    Moodle's question types hold them to (a numerical answer at 100% with a tolerance of 0
    or more; a single multichoice with one answer at 100% and the rest 0; a multiple one
    whose positive fractions add to 100% and whose negative ones to at least -100%)."""
    out = []
    for q in root:
        kind = q.get("type")
        if kind == "category":
            continue
        answers = [{"fraction": float(a.get("fraction")), "text": a.findtext("text") or "",
                    "tolerance": a.findtext("tolerance")} for a in q.findall("answer")]
        question = {"type": kind, "name": q.findtext("name/text"), "text": q.findtext("questiontext/text"),
                    "answers": answers, "single": q.findtext("single")}
        assert question["name"] and question["text"] and float(q.findtext("defaultgrade")) > 0
        if kind == "numerical":
            assert [a["fraction"] for a in answers] == [100] and float(answers[0]["tolerance"]) >= 0
            float(answers[0]["text"])
        elif kind == "multichoice":
            fr = [a["fraction"] for a in answers]
            if question["single"] == "true":
                assert sorted(fr)[-1] == 100 and sorted(fr)[:-1] == [0] * (len(fr) - 1)
            else:
                assert sum(f for f in fr if f > 0) == pytest.approx(100, abs=1e-3)
                assert sum(f for f in fr if f < 0) >= -100 - 1e-3
            assert all(a["text"].startswith(f"({x}) ") or a["text"] == f"({x})"
                       for a, x in zip(answers, "abcdefghij"))
        elif kind == "truefalse":
            assert sorted(a["fraction"] for a in answers) == [0, 100]
        out.append(question)
    return out


def test_moodle_reads_every_question_and_its_options(exports, tmp_path):
    root = ET.parse(exports[0] / "exam.xml").getroot()
    kinds = {q["type"] for q in _moodle_questions(root)}
    assert {"numerical", "cloze", "multichoice", "truefalse", "essay"} <= kinds
    spec = tmp_path / "two.spec"
    spec.write_text('problem "Two names for one number" points 4 {\n  text "Let $a = 2$. Which equal $2a$?"\n'
                    '  let a = 2\n  choices {\n    (a) 4\n    (b) a^2\n    (c) "half of $a$, <less> & more"\n'
                    '    (d) none\n  }\n  find choice(2*a)\n}\n')
    for maths in ("tex", "mathml"):
        write_export(solutions_of(spec), "moodle", tmp_path / f"two-{maths}.xml", math=maths)
        (q,) = _moodle_questions(ET.parse(tmp_path / f"two-{maths}.xml").getroot())
        assert q["type"] == "multichoice" and q["single"] == "false"      # 4 = 2·2 = 2²: two are right
        assert [a["fraction"] for a in q["answers"]] == [50, 50, -50, -50]
        texts = [a["text"] for a in q["answers"]]
        assert texts[2].startswith("(c) half of ") and "&lt;less&gt; &amp; more" in texts[2]   # escaped HTML
        assert texts[3] == "(d) none of these"
        if maths == "tex":
            assert texts[:2] == ["(a) \\(4\\)", "(b) \\(a^{2}\\)"] and "\\(a\\)" in texts[2]
        else:
            assert all("<math" in t for t in texts[:3]) and "<msup>" in texts[1]
