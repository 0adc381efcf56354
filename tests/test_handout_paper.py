"""The paper view carries everything a student needs (issue 9, item 7): the data a problem
gives that its text does not show, the options of a multiple choice, a prompt for every
part with marks, and no product name on the cover; the Assumptions box states what derive
assumes and only for what it is about (a layer's weights, not any matrix)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

import derive
from derive.render import render

ROOT = Path(__file__).resolve().parent.parent

SCORES = """problem "Scores" points 5 {
  text "Ten scores are given below. Find the precision at 0.5."
  let scores = [0.7, 0.65, 0.92, 0.75]
  let labels = [1, 0, 1, 1]
  let shown = [0.2, 0.1]
  let unused = [9, 9, 8]
  (a) [3] find precision(scores, labels, threshold = 0.5)
  (b) [2] find recall(scores, labels, threshold = 0.2)
}
"""

BAGS = """problem "Bags" {
  text "Bag I holds $w_1$ white and $b_1$ black balls, bag II $w_2$ and $b_2$. Which bag?"
  symbol w1, b1, w2, b2 : positive
  let prior = [1/2, 1/2]
  let likelihood = [w1/(w1 + b1), w2/(w2 + b2)]
  choices {
    (a) w1/(w1 + b1)
    (b) w1*(w2 + b2)/(w1*(w2 + b2) + w2*(w1 + b1))
    (c) none
  }
  find posterior(prior, likelihood, 1), choice(posterior(prior, likelihood, 1))
}
"""


@pytest.fixture(scope="module")
def scores():
    return derive.solve(SCORES)


@pytest.fixture(scope="module")
def bags():
    return derive.solve(BAGS)


@pytest.mark.parametrize("view", ["paper", "solutions", "key"])
def test_the_data_a_problem_gives_are_printed_as_maths(scores, view):
    md, text = render(scores, "md", view=view), render(scores, "text", view=view)
    assert "**Given:**" in md and r"\mathrm{scores} = \begin{bmatrix}0.7 & 0.65 & 0.92 & 0.75\end{bmatrix}^{T}" in md
    assert "scores = [0.7, 0.65, 0.92, 0.75]ᵀ" in text and "labels = [1, 0, 1, 1]ᵀ" in text
    assert r"\mathrm{unused}" not in md          # no goal depends on it
    html, tex = render(scores, "html", view=view), render(scores, "latex", view=view)
    assert '<div class="given">' in html and r"\derivegiven{\item $\mathrm{scores} =" in tex


def test_data_the_text_shows_are_not_repeated():
    spec = SCORES.replace('"Ten scores are given below.', '"The scores are 0.7, 0.65, 0.92 and 0.75.')
    (p,) = derive.solve(spec).problems
    shown = [str(d) for d in p.data]
    assert len(p.data) == 1 and "labels" in shown[0]


def test_values_built_from_words_or_symbols_are_not_data(bags):
    (p,) = bags.problems
    assert p.data == ()      # prior: stated in the Assumptions box; likelihood: symbolic (derive's reading)
    (net,) = derive.solve(ROOT / "examples" / "seed" / "part2-mlp.spec").problems
    assert net.data == ()    # W1 = matrix(...), ones, zeros: described by the text; x and t: in the text


@pytest.mark.parametrize("fmt, option", [("md", r"- (a) $\frac{w_{1}}{b_{1} + w_{1}}$"),
                                         ("latex", r"\item[(a)] $\frac{w_{1}}{b_{1} + w_{1}}$"),
                                         ("text", "(a) w₁/(b₁ + w₁)"),
                                         ("html", '<li><span class="label">(a)</span> <math')])
def test_multiple_choice_options_are_printed_in_every_view(bags, fmt, option):
    for view in ("paper", "solutions", "key"):
        out = render(bags, fmt, view=view)
        assert option in out and "none of the above" in out, (fmt, view)


def test_every_part_of_the_paper_has_a_prompt(scores):
    md = render(scores, "md", view="paper")
    assert r"**(a)** Find the precision at $\theta = 0.5$. *[3 marks]*" in md
    assert r"**(b)** Find the recall at $\theta = 0.2$. *[2 marks]*" in md
    text = render(scores, "text", view="paper")
    assert "(a) [3 marks] Find the precision at θ = 0.5." in text
    tex, html = render(scores, "latex", view="paper"), render(scores, "html", view="paper")
    assert r"Find the precision at $\theta = 0.5$.\derivemarksend{3 marks}" in tex
    assert '<div class="part-text">Find the recall at <math' in html


def test_the_seed_exam_paper_prompts_every_part_and_names_no_product():
    sol = derive.solve(ROOT / "examples" / "seed-exam.spec")
    for fmt in ("md", "latex", "html", "text"):
        out = render(sol, fmt, view="paper")
        body = out[out.index("<body") if fmt == "html" else out.find(r"\begin{document}") + 1:]
        cover = body[:body.index("Part I")]
        assert "Machine Learning: final examination" in cover and not re.search(r"\bderive\b", cover, re.I), fmt
        assert not re.search(r"\bderive\b(?! the SVM)", body, re.I), fmt
    md = render(sol, "md", view="paper")
    bare = [line for line in md.splitlines() if line.startswith("**(") and line.split("**")[2].strip().startswith("*[")]
    assert bare == [], bare


def test_assumptions_state_log_base_priors_and_dropout(bags):
    (p,) = bags.problems
    assert any("P(H_{1})" in derive.sentence_print.print_sentence(a, "md") and "equally likely"
               in derive.sentence_print.print_sentence(a, "md") for a in p.assumptions)
    (ce,) = derive.solve('problem "ce" { let y = [0, 1]\nlet q = [1/4, 3/4]\nfind cross_entropy(y, q) }').problems
    assert [str(a) for a in ce.assumptions if "natural logarithm" in str(a)]
    (b2,) = derive.solve('problem "ce" { let y = [0, 1]\nlet q = [1/4, 3/4]\n'
                         'find cross_entropy(y, q, base = 2) }').problems
    assert not [a for a in b2.assumptions if "natural logarithm" in str(a)]
    (dr,) = derive.solve('problem "d" { layer fc = Linear(4, 2)\nlayer drop = Dropout(0.5)\ninput x : (4)\n'
                         'net = drop(fc(x))\nfind shape(net) }').problems
    assert [a for a in dr.assumptions if "evaluation mode" in str(a)]


def test_the_weight_layout_is_stated_for_layer_weights_only():
    quad = 'problem "q" { vector x : (2)\nlet A = [[4, 0], [0, 1]]\nf = 1/2 * x @ (A @ x)\nfind convex(f, x) }'
    (p,) = derive.solve(quad).problems
    assert not [a for a in p.assumptions if "PyTorch" in str(a)]
    qparam = quad.replace("let A", "param A")
    (p,) = derive.solve(qparam).problems
    assert not [a for a in p.assumptions if "PyTorch" in str(a)]      # a quadratic form, not a layer
    (net,) = derive.solve(ROOT / "examples" / "seed" / "part2-mlp.spec").problems
    assert len([a for a in net.assumptions if "PyTorch" in str(a)]) == 2


def test_a_forward_pass_worded_differently_refers_to_the_parts_that_showed_it():
    """II.1(d)'s forward pass says "o:" and "L:" where (b) and (c) said "Compute o from its
    definition": the same facts (o = 24, L = 81), so shown once and referred to."""
    sol = derive.solve(ROOT / "examples" / "seed" / "part2-mlp.spec")
    text = render(sol, "text")
    part_d = text.split("(d) [8 marks]")[1].split("(e) [2 marks]")[0]
    assert "Shown in (b), steps 1–2 and in (c), step 2: h, o = 24 and" in " ".join(part_d.split())
    assert "h = relu(z) = relu" not in part_d and "o = W₂⋅h + b₂ = [1" not in part_d
    assert "L = (t - o)" not in part_d
    d = sol.result("1(d)")
    assert [s.rule for s in d.steps[0].substeps][-1] != "shown_before"     # the JSON keeps every step


def test_names_and_vectors_in_tables_are_maths():
    """A tensor's name in the shapes table is a sympy object (W_{Q1}, not the text W_Q1); a
    column vector in a Markdown table cell is a transposed row in maths, not a code span."""
    import sympy as sp
    sol = derive.solve(ROOT / "examples" / "seed" / "part2-attention.spec")
    (table,) = [s.table for r in sol.results for s in r.steps if s.rule == "shapes"]
    assert all(isinstance(row[0], sp.Basic) for row in table.rows)
    md, tex, html = render(sol, "md"), render(sol, "latex"), render(sol, "html")
    assert "| $W_{Q1}$ | (2, 2) |" in md and "| W_Q1 |" not in md
    assert "$W_{Q1}$ & (2, 2)" in tex and r"W\_Q1" not in tex
    assert "<td>W_Q1</td>" not in html and "<msub><mi>W</mi><mrow><mi>Q</mi><mn>1</mn></mrow></msub>" in html
    assert r"| $x_{1}$ | $\begin{bmatrix}-72 & -72\end{bmatrix}^{T}$ |" in md and "`[-72, -72]ᵀ`" not in md


def test_steps_state_goals_and_layers_as_maths_not_code(bags):
    """The multiple choice's first step names the value as P(H₁ | E), not
    `posterior(prior, likelihood, 1)`; a step back through a layer shows drop(h) as maths."""
    from derive.sentence import Code
    choice = next(r for r in bags.results if r.goal.startswith("choice"))
    assert not [p for p in choice.steps[0].text.parts if isinstance(p, Code)]
    assert "P(H_{1} \\mid E)" in render(bags, "md")
    spec = ('problem "d" { layer drop = Dropout(0.5)\ninput x = [1, 2]\nparam W = [[1, 2], [3, 4]]\n'
            'h = drop(W @ x)\nL = h @ h\nfind grad(L, W[1, 1]) }')
    sol = derive.solve(spec)
    texts = [s.text for r in sol.results for top in r.steps for s in top.walk()]
    back = [t for t in texts if "Dropout in" in str(t)]
    assert back and not [p for t in back for p in t.parts if isinstance(p, Code)]
    assert r"\operatorname{drop}" in render(sol, "md") or r"\mathrm{drop}" in render(sol, "md")
