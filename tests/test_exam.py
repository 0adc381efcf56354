"""Exam documents end to end: the seed exam assembled by `include`, its three views in every
format, header lines, sections, sub-questions and marks, notebooks, and bad exam input.

The views are checked against the solutions view's own answers: every answer, as the format
renders it (its maths, or its prose), is in the solutions and key views and in no paper; no
step's maths is in a key; no goal is on a paper.
"""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

import derive
from derive import prose
from derive.errors import DeriveError, LimitError, SpecError
from derive.sentence_print import print_sentence
from derive.render import (FORMATS, answer_prose, answer_tex, groups, html_answer, html_chain, md_chain, md_code,
                           md_math, render, shows_maths, tex_answer, tex_chain, tex_code, text_answer, text_chain)
from solved import solved

ROOT = Path(__file__).resolve().parent.parent
EXAM = ROOT / "examples" / "seed-exam.spec"


@pytest.fixture(scope="module")
def exam() -> derive.Solution:
    return solved(EXAM)


@pytest.fixture(scope="module")
def views(exam) -> dict[tuple[str, str], str]:
    return {(fmt, view): render(exam, fmt, view=view) for fmt in FORMATS for view in ("solutions", "key", "paper")}


def run_cli(*args: str, cwd: Path = ROOT, stdin: str | None = None) -> subprocess.CompletedProcess:
    """`derive ARGS` through cli.main in this process (tests/test_cli.py's `run`): what is
    tested is the exit code and the streams, which a fresh interpreter only made slower."""
    from test_cli import run
    code, out, err = run(*args, cwd=cwd, stdin=None if stdin is None else stdin.encode())
    return subprocess.CompletedProcess(args, code, out, err)


# ---- the seed exam as one document ----------------------------------------------------------

def test_seed_exam_solves_with_many_results(exam):
    assert len(exam.results) > 40
    assert exam.title == "Machine Learning: final examination" and exam.course and exam.date
    sections = [p.section for p in exam.problems]
    assert sections[0].startswith("Part I:") and sections[-1].startswith("Part III:")
    # numbered as the exam prints them: from 1 within each part
    assert [p.number for p in exam.problems] == [*range(1, 13), *range(1, 6), *range(1, 5)]
    # every included problem keeps its points, and labelled marks add up to them
    for p in exam.problems:
        assert p.points is not None
    mlp = next(p for p in exam.problems if p.title.startswith("Forward and backward"))
    assert [(q.label, q.marks) for q in mlp.parts] == [("(a)", 4), ("(b)", 4), ("(c)", 2), ("(d)", 8), ("(e)", 2)]
    assert [r.answer.value for r in mlp.results if r.goal in ("o", "L")] == [24, 81]


def test_cli_exit_code_and_result_count(tmp_path):
    proc = run_cli("solve", str(EXAM), "--format", "json")
    assert proc.returncode in (0, 1), proc.stderr          # 1 while some derivers are missing
    doc = json.loads(proc.stdout)
    results = [r for p in doc["problems"] for r in p["results"]]
    assert len(results) > 40
    assert proc.returncode == (1 if any("error" in r for r in results) else 0)


def _answered(solution):
    return [r for r in solution.results if r.answer is not None]


def norm(text: str) -> str:
    """White space folded: prose is wrapped and indented differently in each place."""
    return " ".join(str(text).split())


PROSE = {"md": lambda t: t, "latex": prose.to_latex, "html": prose.to_html, "text": prose.to_text}


def _prose_print(text, fmt: str) -> str:
    """The start of `text` as `fmt` shows prose (converted whole, then cut): authored
    Markdown by the format's prose converter, a derived Sentence by its sentence printer."""
    from derive.sentence import Sentence
    from derive.sentence_print import print_sentence
    shown = print_sentence(text, fmt) if isinstance(text, Sentence) else PROSE[fmt](text)
    return norm(shown)[:300 if fmt == "html" else 120]


def _fingerprints(r, fmt: str) -> list[str]:
    """How `fmt` shows the answer of result `r` (its maths, its prose), as the templates do."""
    a = r.answer
    if a.prose and not r.goal:                      # an authored answer
        return [_prose_print(a.prose, fmt)]
    out = []
    if shows_maths(a):
        out.append({"md": lambda: md_math(answer_tex(a)), "latex": lambda: tex_answer(a),
                    "html": lambda: str(html_answer(a)), "text": lambda: text_answer(a)}[fmt]())
        if fmt == "text" and "\n" not in text_answer(a, label="") and len(text_answer(a, label="")) >= 4:
            out.append(text_answer(a, label=""))
    if answer_prose(a):
        out.append(_prose_print(answer_prose(a), fmt))
    return [norm(f) for f in out if norm(f)]


@pytest.mark.parametrize("fmt", ["md", "latex", "html", "text"])
def test_paper_has_no_answers_and_key_has_them_all(exam, views, fmt):
    solutions, key, paper = (norm(views[fmt, v]) for v in ("solutions", "key", "paper"))
    answered = _answered(exam)
    assert len(answered) > 25
    options = {r.id: norm(" ".join(print_sentence(o, fmt) for _, o in p.options))
               for p in exam.problems for r in p.results}
    for r in answered:
        for f in _fingerprints(r, fmt):
            assert f in solutions, f"{r.goal or r.label}: {f!r} not in the solutions view"
            assert f in key, f"{r.goal or r.label}: {f!r} not in the key"
            # A short answer ("True", "31") also occurs in question prose; the
            # sentinel test below proves that no answer at all reaches the paper.
            # (A multiple choice's answer is one of the options the paper shows.)
            if len(f) >= 8 and f.strip("$") not in options[r.id]:
                assert f not in paper, f"{r.goal or r.label}: {f!r} is on the paper"


def test_paper_has_no_answers_json(exam, views):
    doc = json.loads(views["json", "paper"])
    for problem, shown in zip(exam.problems, doc["problems"]):     # (each problem's own answers)
        paper = json.dumps(shown, ensure_ascii=False)
        for r in problem.results:
            for s in (r.answer.text, r.answer.latex) if r.answer is not None else ():
                if len(s) > 8:
                    assert json.dumps(s, ensure_ascii=False)[1:-1] not in paper
    assert all(list(r) == ["id", "label", "marks"] for p in doc["problems"] for r in p["results"])
    key = json.loads(views["json", "key"])
    sol = json.loads(views["json", "solutions"])
    for pk, ps in zip(key["problems"], sol["problems"]):
        assert [r.get("answer") for r in pk["results"]] == [r.get("answer") for r in ps["results"]]
        assert all("steps" not in r for r in pk["results"])
        assert pk["text"] == ps["text"] and pk["parts"] == ps["parts"]


@pytest.mark.parametrize("fmt", ["md", "latex", "html", "text", "json"])
def test_paper_does_not_depend_on_answers(exam, views, fmt):
    """Replace every answer and step by a sentinel: the paper must not change at all."""
    import dataclasses

    from derive.steps import Answer

    def blank(r):
        if r.answer is None:
            return r
        return dataclasses.replace(r, answer=Answer("ZZ", "ZZ", "ZZ", None), steps=())
    problems = tuple(dataclasses.replace(p, results=tuple(blank(r) for r in p.results))
                     for p in exam.problems)
    blanked = dataclasses.replace(exam, problems=problems)
    assert derive.render(blanked, fmt, view="paper") == views[fmt, "paper"]


@pytest.mark.parametrize("fmt", ["md", "latex", "html", "text"])
def test_key_has_no_steps(exam, views, fmt):
    key = norm(views[fmt, "key"])
    from derive.render.shared import shared_once
    show = {"md": md_chain, "latex": tex_chain, "html": lambda s: str(html_chain(s)),
            "text": lambda s: text_chain(s, 64)}[fmt]          # (64: the width of a top-level step's maths)
    # the top-level steps the solutions show (a computation repeated by a later result is
    # shown once, in the first that needs it, and referred to after: derive.render.shared)
    top = [norm(show(s)) for r in shared_once(exam).results for s in r.steps if len(s.chain) > 1]
    every = [norm(show(s)) for r in exam.results for t in r.steps for s in t.walk() if len(s.chain) > 1]
    assert len(top) > 50
    solutions = norm(views[fmt, "solutions"])
    assert all(c in solutions for c in top)
    assert not [c for c in every if c in key]


@pytest.mark.parametrize("fmt", ["md", "latex", "html", "text"])
def test_paper_and_key_show_the_questions_and_marks(exam, views, fmt):
    for view in ("paper", "key", "solutions"):
        out = norm(views[fmt, view])
        for p in exam.problems:
            assert norm(prose.inline(fmt)(p.title)) in out
            assert _prose_print(p.text, fmt) in out, (view, p.title)
            for q in p.parts:
                assert _prose_print(q.text, fmt) in out, (view, p.title, q.label)
        assert "4 marks" in out and "20 points" in out
    paper = views[fmt, "paper"]
    goals = [r.goal for r in exam.results if r.goal and len(r.goal) > 2]
    code = {"md": md_code, "latex": tex_code, "html": lambda g: "<code>" + g, "text": lambda g: "Find: " + g}[fmt]
    assert not [g for g in goals if code(g) in paper]


def test_paper_latex_leaves_room_proportional_to_the_marks(exam, views):
    paper = views["latex", "paper"]
    spaces = [float(x) for x in re.findall(r"\\derivespace\{([0-9.]+)\}", paper)]
    labelled = sum(1 for p in exam.problems for g in groups(p) if g["label"])
    unlabelled = sum(1 for p in exam.problems if not any(g["label"] for g in groups(p)))
    assert len(spaces) == labelled + unlabelled
    mlp = views["latex", "paper"].split("Forward and backward pass")[1].split("deriveproblem")[0]
    assert re.findall(r"\\derivespace\{([0-9.]+)\}", mlp) == ["4", "4", "2", "8", "2"]
    html = views["html", "paper"]
    assert 'style="height: 19.2rem"' in html            # (d): 8 marks × 2.4rem


def test_latex_is_an_exam_document(views):
    tex = views["latex", "solutions"]
    assert r"\deriveproblem{1}{Forward and backward pass through an MLP}{\derivemarks{20 points}}" in tex
    assert r"\begin{derivepart}{(d)}" in tex and r"\derivemarksend{8 marks}" in tex
    assert r"\begin{align*}" in tex and r"\begin{tabular}" in tex and r"\toprule" in tex
    assert r"\section*{Part II: answer three of the four questions" in tex
    paper = views["latex", "paper"]
    assert "Student number" in paper and r"\deriveanswer{" not in paper and r"\derivegoal{" not in paper
    assert "Answer key" in views["latex", "key"]


def test_html_page(views):
    page = views["html", "solutions"]
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page.lower()
    assert page.count("<math") > 200 and '<details class="steps" open>' in page and "<summary>" in page
    for v in ("key", "paper"):
        assert "<details" not in views["html", v]


def test_choice_letter_is_shown_once(views):
    md = views["md", "key"]
    bag = md.split("Which bag did the white ball come from?")[1].split("###")[0]
    assert "**Answer:** (d)\n" in bag and "(d) (d)" not in bag and "**(d)**" not in bag


# ---- notebooks ---------------------------------------------------------------------------

def test_notebook_reprs(exam):
    small = derive.solve('title "T"\nproblem "P" points 2 {\n  let a = 3\n  (a) [2] find a^2\n}\n')
    md = small._repr_markdown_()
    assert md == render(small, "md") and "**Answer:** $9$" in md and "*[2 marks]*" in md
    tex = small._repr_latex_()
    assert tex == render(small, "latex", standalone=False)
    assert r"\documentclass" not in tex and r"\begin{document}" not in tex and r"\deriveanswer{$\displaystyle 9$}" in tex
    assert exam._repr_markdown_() == render(exam, "md")


def test_ipython_display_uses_the_reprs():
    pytest.importorskip("IPython")
    from IPython.core.formatters import DisplayFormatter
    small = derive.solve('problem "P" {\n  find 1 + 1\n}\n')
    data, _ = DisplayFormatter().format(small)
    assert data["text/markdown"] == small._repr_markdown_()
    assert data["text/latex"] == small._repr_latex_()
    assert data["text/html"] == small._repr_html_()


def test_html_fragment_for_notebooks_is_the_page_body_with_its_style_scoped():
    """`_repr_html_` (and render(..., standalone=False)) is one <div>: no <html>/<head>, the
    page's body, and derive's style inside `@scope`, so a notebook keeps its own look."""
    sol = derive.solve('title "T"\nproblem "P" {\n  let a = 2\n  find a + 1\n}\n')
    page, fragment = sol.render("html"), sol._repr_html_()
    assert fragment.startswith('<div class="derive-solution view-solutions">') and fragment.rstrip().endswith("</div>")
    assert "<html" not in fragment and "<head>" not in fragment and "<body" not in fragment
    body = page[page.index("<header>"):page.index("</footer>")]
    assert body in fragment
    style = fragment[fragment.index("<style>"):fragment.index("</style>")]
    assert "@scope (.derive-solution) {" in style
    rules = [line.split("{")[0].strip() for line in style.splitlines() if "{" in line]
    assert not any(r in (":root", "body") or r.startswith("body ") for r in rules), rules
    assert set(sol._repr_mimebundle_()) == {"text/html", "text/markdown", "text/plain"}
    assert set(sol._repr_mimebundle_(include={"text/latex"})) == {"text/latex"}


# ---- include, sections, header lines -------------------------------------------------------------

def test_include_is_relative_to_the_including_file(tmp_path):
    (tmp_path / "bank" / "deep").mkdir(parents=True)
    (tmp_path / "bank" / "deep" / "q2.spec").write_text('problem "Two" points 1 {\n  find 2\n}\n')
    (tmp_path / "bank" / "q1.spec").write_text('title "ignored in an included file"\n'
                                               'problem "One" {\n  find 1\n}\ninclude "deep/q2.spec"\n')
    (tmp_path / "bank" / "sec.spec").write_text('section "Own" {\n  problem "Three" {\n    find 3\n  }\n}\n')
    main = tmp_path / "exam.spec"
    main.write_text('title "Exam"\ncourse "ML"\ndate "today"\nsection "S" {\n  include "bank/q1.spec"\n'
                    '  include "bank/sec.spec"\n}\ninclude "bank/deep/q2.spec"\n')
    sol = derive.solve(main)
    assert [(p.title, p.section) for p in sol.problems] == [("One", "S"), ("Two", "S"), ("Three", "Own"),
                                                            ("Two", None)]
    assert (sol.title, sol.course, sol.date) == ("Exam", "ML", "today")
    # from standard input an include is relative to the working directory
    proc = run_cli("solve", "-", "--format", "json", cwd=tmp_path, stdin='include "bank/q1.spec"\n')
    assert proc.returncode == 0, proc.stderr
    assert [p["title"] for p in json.loads(proc.stdout)["problems"]] == ["One", "Two"]


BAD = [
    # (files, main, message, file of the error, line, column)
    ({"exam.spec": 'title "T"\nsection "S" {\n  include "nope.spec"\n}\n'}, "exam.spec",
     "cannot include nope.spec", "exam.spec", 3, 3),
    ({"a.spec": 'problem "A" {\n  find 1\n}\ninclude "b.spec"\n', "b.spec": '\n\ninclude "a.spec"\n'}, "a.spec",
     "include cycle: a.spec -> b.spec -> a.spec", "b.spec", 3, 1),
    ({"self.spec": 'include "./self.spec"\n'}, "self.spec", "include cycle: self.spec -> self.spec", "self.spec", 1, 1),
    ({"dup.spec": 'problem "P" {\n  (a) find 1\n  (b) find 2\n  (a) answer "x"\n}\n'}, "dup.spec",
     "the label (a) is used twice in this problem (first at line 2)", "dup.spec", 4, 3),
    ({"dup2.spec": 'problem "P" {\n  (a) text "x"\n  (a) [1] text "y"\n  (a) find 1\n}\n'}, "dup2.spec",
     "the label (a) is used twice", "dup2.spec", 3, 3),
    ({"pts.spec": 'problem "P" {\n  find 0\n}\nproblem "Q" points 10 {\n  (a) [4] text "x"\n  (a) find 1\n'
                  '  (b) [5] find 2\n}\n'}, "pts.spec",
     "the parts' marks add up to 9, but the problem has points 10", "pts.spec", 4, 1),
    ({"unmarked.spec": 'problem "P" points 5 {\n  (a) [2] find 1\n  (b) find 2\n}\n'}, "unmarked.spec",
     "add up to 2, but the problem has points 5; (b) has no marks", "unmarked.spec", 1, 1),
    ({"marks.spec": 'problem "P" points 4 {\n  (a) [4] text "x"\n  (a) [3] find 1\n}\n'}, "marks.spec",
     "(a) is worth 3 marks here but 4 at line 2", "marks.spec", 3, 3),
    ({"exam.spec": 'include "bank.spec"\n', "bank.spec": 'problem "P" points 3 {\n  (a) [1] find 1\n}\n'},
     "exam.spec", "add up to 1, but the problem has points 3", "bank.spec", 1, 1),
    ({"latin.spec": 'include "latin1.spec"\n'}, "latin.spec", "not UTF-8", "latin.spec", 1, 1),
]


@pytest.mark.parametrize("files,main,message,where,line,column", BAD, ids=[b[1] + ":" + b[2][:20] for b in BAD])
def test_bad_exam_input_is_an_error_at_the_right_line(tmp_path, files, main, message, where, line, column):
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "latin1.spec").write_bytes('problem "é" { find 1 }'.encode("latin-1"))
    with pytest.raises(SpecError) as info:
        derive.solve(tmp_path / main)
    err = info.value
    assert message in err.message
    assert Path(err.pos.file).name == where and (err.pos.line, err.pos.column) == (line, column)
    proc = run_cli("solve", str(tmp_path / main))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"{where}:{line}:{column}: error: " in proc.stderr and message in proc.stderr


def test_deep_includes_are_refused(tmp_path):
    for k in range(30):
        (tmp_path / f"f{k}.spec").write_text(f'include "f{k + 1}.spec"\n')
    (tmp_path / "f30.spec").write_text('problem "P" {\n  find 1\n}\n')
    with pytest.raises(LimitError, match="nest more than"):
        derive.solve(tmp_path / "f0.spec")


def test_unknown_view_is_a_derive_error(exam):
    with pytest.raises(DeriveError, match="unknown view"):
        render(exam, "md", view="exam")
    proc = run_cli("solve", str(EXAM), "--view", "exam")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_a_goal_that_is_not_derived_is_marked_in_every_format():
    sol = derive.solve('problem "p" {\n  let a = 1\n  find a, lr_range(a)\n}', "bad.spec")
    assert sol.exit_code == 1
    tex = derive.render(sol, "latex")
    assert r"\derivenotderived{" in tex and "line 3, column 20" in tex
    assert '<div class="notderived" role="note">' in derive.render(sol, "html")
    assert "line 3" in derive.render(sol, "md") and "line 3" in derive.render(sol, "text")
