"""Handouts a TA would sign (issue 9, item 7): step labels no reader takes for a part, a
computation shown once and referred to, authored answers framed like derived ones, decimals
beside exact tensor answers, long results broken over lines instead of scaled."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import sympy as sp

import derive
from derive.render import render

ROOT = Path(__file__).resolve().parent.parent

NET = """problem "Net" {
  input x = [1, 2, 1, 4]
  param W1 = matrix(3, 4, (i, j) -> if odd(i) then 1 else -1)
  param W2 = ones(1, 3)
  let t = 15
  h = relu(W1 @ x)
  o = W2 @ h
  L = (t - o)^2
  (a) find o
  (b) find L
  (c) find grad(L, W1[1, 1])
  (d) find sgd_step(W1[1, 1], L, lr = 0.1)
  (e) answer "ReLU is *piecewise linear*."
}
"""


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    path = tmp_path_factory.mktemp("handout") / "net.spec"
    path.write_text(NET)
    return derive.solve(str(path))


def _result(sol, label):
    return next(r for r in sol.results if r.label == label)


# ---- 1. step labels -------------------------------------------------------------------

def test_steps_are_labelled_step_n_in_every_format(net):
    md, text = render(net, "md"), render(net, "text")
    html, tex = render(net, "html"), render(net, "latex")
    n = len(_result(net, "(c)").steps)
    for k in range(1, n + 1):
        assert f"**Step {k}.**" in md and f"Step {k}. " in text
        assert f'<span class="stepno">Step {k}.</span>' in html and f"\\item[\\derivestepno{{{k}}}]" in tex
    assert "**Step 1.1.**" in md and "Step 1.1. " in text and "\\derivestepno{1.1}" in tex
    # no step is a bare "1." list item (Markdown) or "  1. " line (text), nor a LaTeX enumerate
    assert not re.search(r"^\d+\. ", md, re.M)
    assert not re.search(r"^ {2,}\d+(\.\d+)*\. ", text, re.M)
    assert "\\begin{enumerate}" not in tex and "<li class=\"step\">\n" not in html


# ---- 4. authored answers framed -------------------------------------------------------

def test_authored_answers_are_framed_like_derived_ones(net):
    tex = render(net, "latex")
    framed = re.findall(r"\\deriveanswer\{", tex)
    assert len(framed) == len([r for r in net.results if r.answer is not None])
    assert "\\deriveanswer{ReLU is \\emph{piecewise linear}." in tex
    assert "\\deriveauthored " not in tex.split("\\begin{document}")[1]
    css = render(net, "html")
    rule = re.search(r"([^}\n]*\.answer\.authored[^{]*)\{[^}]*border-left", css)
    assert rule and ".answer.derived" in rule.group(1)     # one rule draws both boxes


# ---- 5. a shared computation shown once -----------------------------------------------

def test_a_repeated_forward_pass_is_shown_once_and_referred_to(net):
    a, b = _result(net, "(a)"), _result(net, "(b)")
    assert list(b.steps[:len(a.steps)]) == list(a.steps)        # (b) recomputes (a): the data
    md = render(net, "md")
    part_b = md.split("**(b)**")[1].split("**(c)**")[0]
    assert f"Shown in (a), steps 1–{len(a.steps)}: $h$ and $o = " in part_b
    assert part_b.count("**Step") == len(b.steps) - len(a.steps) + 1
    assert md.count(r"\operatorname{relu}\left(W_{1} x\right)") == 1      # h's computation, once
    for fmt in ("text", "html", "latex"):
        out = render(net, fmt)
        assert ("Shown in (a), steps 1--" if fmt == "latex" else "Shown in (a), steps 1–") in out, fmt
    # the JSON keeps every step of every result (grading tools read them)
    data = json.loads(render(net, "json"))
    steps_b = next(r for r in data["problems"][0]["results"] if r["label"] == "(b)")["steps"]
    assert len(steps_b) == len(b.steps)


def test_the_gradient_of_an_sgd_step_refers_to_the_gradient_part(net):
    c, d = _result(net, "(c)"), _result(net, "(d)")
    from derive.render.shared import _canon
    inner = d.steps[0].substeps                    # (d) nests (c)'s derivation (its own dummies)
    assert [_canon(s) for s in inner] == [_canon(s) for s in c.steps]
    text = render(net, "text")
    part_d = text.split("(d) Find")[1]
    assert f"Step 1.1. Shown in (c), steps 1–{len(c.steps)}: ∂L/∂W₁[1, 1] = " in part_d
    assert "Forward pass" not in part_d


def test_steps_with_other_values_are_not_referred_to(tmp_path):
    spec = tmp_path / "two.spec"
    spec.write_text("""problem "Two" {
  let a = 3
  let b = 4
  f = a^2 + b
  g = b^2 + a
  (a) find f
  (b) find g
}
""")
    md = render(derive.solve(str(spec)), "md")
    assert "Shown in" not in md and "As shown" not in md


def test_references_name_the_shown_numbers(net):
    """Every "steps i–j of (x)" names steps (x) shows, whose data equal the repeated ones."""
    from derive.render.shared import shared_once
    shown = shared_once(net)
    by_label = {r.label: r for r in shown.results}
    named = 0
    for r in shown.results:
        for s in (x for top in r.steps for x in top.walk() if x.rule == "shown_before"):
            for label, words in re.findall(r"in (\([a-z]\)), steps? ([\d.–, and]+)", str(s.text)):
                first = words.split("–")[0].split(",")[0].strip()
                node = by_label[label].steps
                for k in first.split("."):
                    step = node[int(k) - 1]
                    node = step.substeps
                assert step.rule != "shown_before"
                named += 1
    assert named >= 2


# ---- 2. decimals beside exact tensor answers ------------------------------------------

TENSORS = """problem "Tensors" {
  let A = [[2, 1], [1, 3]]
  let u = [1, 2]
  let n = [[1, 2], [3, 4]]
  (a) find A @ u / 7
  (b) find n @ u
  (c) find [[1, 1/3], [sqrt(2), 1/7]] @ u
}
"""


@pytest.fixture(scope="module")
def tensors(tmp_path_factory):
    path = tmp_path_factory.mktemp("handout") / "tensors.spec"
    path.write_text(TENSORS)
    return derive.solve(str(path))


def test_exact_tensor_answers_carry_checked_decimals(tensors):
    import numpy as np
    a, b, c = (_result(tensors, x).answer for x in ("(a)", "(b)", "(c)"))
    expect = {"(a)": np.array([[2, 1], [1, 3]]) @ np.array([1, 2]) / 7,
              "(c)": np.array([[1, 1 / 3], [np.sqrt(2), 1 / 7]]) @ np.array([1, 2])}
    for label, ans in (("(a)", a), ("(c)", c)):
        got = np.array([float(x) for x in ans.approx]).ravel()
        assert np.allclose(got, expect[label], rtol=5e-6, atol=0), label
        assert all(len(str(x).replace("-", "").replace(".", "").lstrip("0")) <= 6 for x in ans.approx)
    assert b.approx is None                  # integer entries: nothing to approximate
    for view in ("solutions", "key"):
        md, tex = render(tensors, "md", view=view), render(tensors, "latex", view=view)
        html, text = render(tensors, "html", view=view), render(tensors, "text", view=view)
        assert md.count(r"\approx") == 2 and md.count("(6 significant digits)") == 2, view
        body = tex.split(r"marks a step whose")[0]      # (the legend names ≈ among the claims)
        assert body.count(r"\approx") == 2 and html.count('<span class="approx">') == 2, view
        assert text.count("(6 significant digits)") == 2 and "≈" in text, view


def test_json_answers_are_unchanged_by_the_decimals(tensors):
    data = json.loads(render(tensors, "json"))
    ans = next(r for r in data["problems"][0]["results"] if r["label"] == "(a)")["answer"]
    assert r"\approx" not in ans["latex"] and ans["value"] == [4 / 7, 1]


def test_float_answers_get_no_second_decimal(tmp_path):
    spec = tmp_path / "f.spec"
    spec.write_text('problem "F" {\n  find [[0.5, 1.25]] @ [1, 2]\n  find [0.5, 1.5] * 2\n}\n')
    sol = derive.solve(str(spec))
    assert all(r.answer.approx is None for r in sol.results)


# ---- 3. long results broken over lines, never scaled ----------------------------------

def test_a_long_sum_is_cut_at_its_top_level_signs():
    from derive.render.breaking import pieces
    xs = sp.symbols("x1:13")
    ws = sp.symbols("w1:13")
    total = sp.Add(*[(-1) ** k * w * x for k, (w, x) in enumerate(zip(ws, xs))], evaluate=False)
    cut = pieces(total, 40)
    assert len(cut) > 2 and cut[0].op == ""
    assert sp.expand(sum(p.expr for p in cut) - total) == 0       # the rows add up to the sum
    for p in cut[1:]:               # a row leads with its own sign: "+" or the term's "−"
        first = p.expr.args[0] if isinstance(p.expr, sp.Add) else p.expr
        assert (p.op == "+") == (not first.could_extract_minus_sign())


def test_a_wide_matrix_is_shown_in_blocks_of_columns():
    from derive.render.breaking import pieces, piece_tex
    m = sp.Matrix(2, 24, lambda i, j: sp.Rational(j + 1, i + 3))
    cut = pieces(m, 60)
    assert len(cut) >= 2 and [p.block for p in cut][0] == "first" and cut[-1].block == "last"
    assert sp.Matrix.hstack(*[p.expr for p in cut]) == m
    tex = [piece_tex(p) for p in cut]
    assert tex[0].startswith(r"\left[\begin{matrix}") and tex[0].endswith(r"\end{matrix}\right.")
    assert tex[-1].startswith(r"\left.\begin{matrix}") and tex[-1].endswith(r"\end{matrix}\right]")


WIDE = """problem "Wide" {
  input x = [1, 2, 1, 4, 3, 2, 1, 2]
  param W1 = matrix(6, 8, (i, j) -> i + j)
  param W2 = ones(1, 6)
  h = relu(W1 @ x)
  o = W2 @ h
  (a) find grad(o, W1[1, 1])
  (b) find matrix(2, 14, (i, j) -> j / (i + 2))
}
"""


@pytest.fixture(scope="module")
def wide(tmp_path_factory):
    path = tmp_path_factory.mktemp("handout") / "wide.spec"
    path.write_text(WIDE)
    return derive.solve(str(path))


def test_no_equation_is_scaled_in_latex(wide, net, tensors):
    for sol in (wide, net, tensors):
        tex = render(sol, "latex")
        body = tex.split(r"\begin{document}")[1]
        # \derivefit is left for tables only; no display maths goes through it
        assert all(r"\begin{tabular}" in chunk[:80] for chunk in body.split(r"\derivefit{")[1:])
        assert r"\resizebox" not in body and r"\derivefit[" not in body   # (the last resort: not needed here)


def test_the_local_derivative_of_a_wide_layer_breaks_inside_its_brackets(wide):
    tex = render(wide, "latex")
    d = re.search(r"\\frac\{\\partial\}\{\\partial h_\{1\}\} \\left\((.*?)\\right\.", tex)
    assert d, "the first row opens the bracket"
    assert re.search(r"\\left\.\{\} \+ .*?\\right\)", tex)
    text = render(wide, "text")
    from derive.texunicode import display_width
    step = text.split("o as a function of h[1]")[1].split("Step")[0]
    assert max(display_width(line) for line in step.split("\n")) <= 80
    assert step.count("+ W₂[1, ") >= 2         # continuation rows lead with their "+"


def test_a_wide_matrix_answer_is_column_blocked_in_every_format(wide):
    from derive.texunicode import display_width
    b = _result(wide, "(b)").answer
    assert b.approx is not None
    tex, md = render(wide, "latex"), render(wide, "md")
    for out in (tex, md):
        assert r"\left[\begin{matrix}" in out and r"\end{matrix}\right]" in out
    html = render(wide, "html")
    for m in re.findall(r"<math.*?</math>", html, re.S):
        from xml.dom import minidom
        minidom.parseString(m)            # every row is well-formed MathML on its own
    text = render(wide, "text", view="key")
    assert max(display_width(line) for line in text.split("\n")) <= 80
