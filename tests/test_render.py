"""The renderers: prose conversion, the MathML and Unicode printers, format rules that
GitHub/Jupyter/pdflatex/terminals need, views, `standalone`, `--templates`, and JSON."""
from __future__ import annotations

import json
import re
from pathlib import Path
from xml.dom import minidom

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import derive
from derive import prose
from derive.prose.markdown import blocks, inline_nodes
from derive.errors import DeriveError
from derive.mathml import mathml
from derive.model import functions as F
from derive.pretty import chain_lines, inline, pretty
from derive.printing import latex
from derive.render import FORMATS, md_display, render, to_json
from derive.prose import texsafe
from derive.texchars import escape_text
from derive.texunicode import tex_to_unicode

from render_fixtures import PROSE, stress_solution

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = stress_solution()


# ---- prose ---------------------------------------------------------------------------

def _walk(nodes):
    for n in nodes:
        yield n
        yield from _walk(n.children)


def test_inline_maths_follows_pandocs_dollar_rule():
    nodes = inline_nodes("costs $5 and $10, but $x_1$ is maths and $ y $ is not")
    maths = [n.content for n in nodes if n.type == "math_inline"]
    assert maths == ["x_1"]


def test_emphasis_code_links_and_escapes():
    nodes = list(_walk(inline_nodes(r"a snake_case_name, _it_ and **bold *x***, `a*b`, \*not\*, [d](https://x.org)")))
    kinds = {n.type for n in nodes}
    assert {"em", "strong", "code_inline", "link"} <= kinds
    text = "".join(n.content for n in nodes if n.type == "text")
    assert "snake_case_name" in text and "*not*" in text


def test_blocks_nested_lists_tables_code():
    tree = blocks(PROSE)
    assert [b.type for b in tree] == ["paragraph", "bullet_list", "math_block", "table"]
    lst = tree[1]
    assert len(lst.children) == 2
    assert [b.type for b in lst.children[1].children] == ["paragraph", "ordered_list"]
    rows = [[c.children[0].content for c in tr.children] for part in tree[3].children for tr in part.children]
    assert rows == [["class", "count"], ["SPAM", "6"], ["NON-SPAM", "4"]]
    assert [c.attrs.get("style") for c in tree[3].children[0].children[0].children] == [None, "text-align:right"]


def test_prose_to_latex_escapes_and_keeps_maths():
    out = prose.to_latex(PROSE)
    assert out.isascii()
    assert r"50\% \& more, item \#3" in out
    assert r"\texttt{snake\_\allowbreak{}case\_\allowbreak{}name}" in out
    assert r"$s_i \ge \theta$" in out                      # maths kept as written
    assert r"\ensuremath{\theta} \ensuremath{\geq} 0 \ensuremath{\to}" in out
    assert r"\begin{itemize}" in out and r"\begin{enumerate}" in out and r"\toprule" in out
    assert r"\[ H(y, \hat y) = -\sum_i y_i \log \hat y_i \]" in out
    assert r"Na\"{i}ve caf\'{e}" in out


def test_prose_to_html_is_escaped_with_mathml():
    out = prose.to_html("a <b> & $x < y$, [bad](javascript:void) and [good](https://x.org/a_b)")
    assert "&lt;b&gt; &amp;" in out and "<math" in out and "javascript" not in out
    assert '<a href="https://x.org/a_b">good</a>' in out


def test_prose_to_text_has_unicode_maths():
    out = prose.to_text(r"Let $\hat y_1 \ge \frac{1}{2}$ and $\theta \in \mathbb{R}^2$.")
    assert out == "Let ŷ₁ ≥ 1/2 and θ ∈ ℝ²."


@given(st.text(max_size=60))
@settings(max_examples=200, deadline=None)
def test_any_text_becomes_ascii_latex_without_bare_specials(s):
    out = escape_text(s)
    assert out.isascii()
    bare = re.sub(r"\\ensuremath\{.*?\}\}?", "", out)      # maths symbols are maths
    bare = re.sub(r"\\[A-Za-z]+|\\.|\{|\}", "", bare)   # commands and their groups
    assert not re.search(r"[&%$#_^]", bare)      # (a bare ~ is a no-break space)


@given(st.text(max_size=80))
@settings(max_examples=200, deadline=None)
def test_prose_converters_never_fail(s):
    assert prose.to_latex(s).isascii()
    prose.to_html(s)
    prose.to_text(s)


def test_maths_unicode_mapped_for_pdflatex():
    def math_unicode(tex: str) -> str:
        return texsafe.to_latex(texsafe.check(tex))
    assert math_unicode("θ ≥ 0 → x₁ ∈ ℝ") == r"\theta  \geq  0 \to  x_{1} \in  \mathbb{R}"
    assert math_unicode("50%") == r"50\%"


# ---- LaTeX -> Unicode ------------------------------------------------------------------

@pytest.mark.parametrize("tex, text", [
    (r"\hat{y}_{1} \ge \frac{1}{2}", "ŷ₁ ≥ 1/2"),
    (r"\operatorname{relu}\left(W_{1} x + b_{1}\right)", "relu(W₁ x + b₁)"),
    (r"\log{\left(\frac{10}{7} \right)}", "log(10/7)"),
    (r"\begin{bmatrix}1 & 2\\3 & 4\end{bmatrix}", "[[1, 2], [3, 4]]"),
    (r"\begin{bmatrix}1\\2\end{bmatrix}", "[1, 2]ᵀ"),
    (r"\sqrt{x + 1} \cdot \eta^{*}", "√(x + 1) · η*"),
    (r"W_{Q1}^{T}", "W_Q1ᵀ"),
])
def test_tex_to_unicode(tex, text):
    assert tex_to_unicode(tex) == text


# ---- MathML (HTML) --------------------------------------------------------------------

x1, y_hat, eta = sp.symbols("x1 y_hat eta")
W1 = sp.MatrixSymbol("W1", 5, 4)
X = sp.MatrixSymbol("x", 4, 1)
B1 = sp.MatrixSymbol("b1", 5, 1)
P, Q = sp.MatrixSymbol("p", 2, 1), sp.MatrixSymbol("q", 2, 1)

CORPUS = [x1, y_hat, eta, sp.Symbol("lambda_1"), sp.MatrixSymbol("W_Q1", 3, 3), W1[0, 0], X[1, 0],
          sp.Trace(P.T * Q), F.elementwise(F.relu, W1 * X + B1), F.relu(x1 - 3), F.sigmoid(x1),
          F.CrossEntropy(P, Q), sp.log(sp.Rational(10, 7)), sp.Float(0.356675, 6),
          sp.Matrix([[1, -2], [3, 4]]), (sp.Symbol("t") - sp.Symbol("o")) ** 2 / 2, sp.exp(-x1),
          sp.sqrt(x1 ** 2 + eta ** 2), sp.MatrixSymbol("W_Q", 3, 3).T * sp.MatrixSymbol("W_Q", 3, 3),
          sp.Rational(-3, 4) * x1, sp.Abs(x1), sp.Max(0, x1), sp.Derivative(x1 ** 2, x1),
          sp.Symbol("w_star"), sp.Symbol("f_prime"), sp.StrictLessThan(x1, 2)]


def _tokens(xml: str) -> str:
    doc = minidom.parseString(xml)
    out = []
    for n in doc.getElementsByTagName("*"):
        if n.tagName in ("mi", "mn", "mo", "mtext"):
            out.append("".join(c.data for c in n.childNodes if c.nodeType == c.TEXT_NODE).strip())
    return "".join(out).replace("−", "-").replace("\u2062", "")


@pytest.mark.parametrize("expr", CORPUS, ids=lambda e: sp.srepr(e)[:30])
def test_mathml_is_well_formed_and_as_faithful_as_the_latex(expr):
    """sympy's MathML (our subclass) shows the same identifiers, numbers and operators, in
    the same order, as derive's LaTeX converted by latex2mathml: the notation is the same."""
    ours = mathml(expr)
    assert ours.startswith("<math") and "&InvisibleTimes;" not in ours
    assert _tokens(ours) == _tokens(prose.tex_to_mathml(latex(expr)))


def test_mathml_conventions():
    assert mathml(x1).endswith("<msub><mi>x</mi><mn>1</mn></msub></math>")
    assert '<mover accent="true"><mi>y</mi><mo>^</mo></mover>' in mathml(y_hat)
    assert "<mi>η</mi>" in mathml(eta)
    assert "<mrow><mn>1</mn><mo>,</mo><mn>1</mn></mrow>" in mathml(W1[0, 0])       # 1-based
    assert "<mi>tr</mi>" not in mathml(sp.Trace(P.T * Q))                          # 1x1 trace bare
    relu = mathml(F.elementwise(F.relu, W1 * X + B1))
    assert "<mi>relu</mi>" in relu and "Lambda" not in relu and "_d" not in relu
    assert "<mo>&lt;</mo>" in mathml(sp.StrictLessThan(x1, 2))


# ---- Unicode pretty printing (text) ----------------------------------------------------

def test_pretty_names_and_entries():
    assert inline(x1) == "x₁" and inline(y_hat) == "ŷ" and inline(eta) == "η"
    assert inline(W1[0, 1]) == "W₁[1, 2]"
    assert inline(F.elementwise(F.relu, W1 * X + B1)) == "relu(W₁⋅x + b₁)"
    assert pretty(sp.Matrix([[1, -2], [30, 4]])) == "⎡ 1  -2⎤\n⎣30   4⎦"


def test_long_chain_breaks_one_link_a_line():
    big = sp.ImmutableMatrix(4, 12, lambda i, j: i - j)
    ones = sp.ImmutableMatrix([1] * 12)
    z, a, b = sp.symbols("z a b")
    with sp.evaluate(False):
        product = sp.MatMul(big, ones)
    text = chain_lines([z, a + b, product, big * ones], width=40)
    lines = text.split("\n")
    assert lines[0] == "z = a + b"
    assert sum(1 for line in lines if line.startswith("  = ")) == 2      # the = signs line up under z's
    assert chain_lines([z, sp.Integer(1), sp.Integer(1)]) == "z = 1 = 1"


# ---- Markdown ---------------------------------------------------------------------------

def test_md_display_is_safe_for_github():
    block = md_display(r"\begin{bmatrix}1\\-1\\- 2\end{bmatrix}")
    lines = block.split("\n")
    assert lines[0] == "$$" and lines[-1] == "$$"
    assert all(line.endswith("\\\\") for line in lines[1:-2])   # every \\ ends its line
    assert "{}- 2" in block                                      # never read as a list item


def test_md_output_keeps_display_maths_out_of_list_items():
    out = render(SOLUTION, "md")
    in_math = False
    for line in out.split("\n"):
        if line.strip() == "$$" or line.strip() == "> $$":
            in_math = not in_math
            assert line in ("$$",) or line.startswith(">"), f"indented display maths: {line!r}"
        if in_math and line.startswith("$$"):
            continue
    assert "| threshold θ | TP | FP | precision $p$ |" in out
    assert "> **Not derived (not supported yet)** (line 12, column 5)" in out


# ---- every format, views, standalone ------------------------------------------------------

@pytest.mark.parametrize("fmt", [f for f in FORMATS if f != "python"])   # (a script: test_python_key.py)
def test_views(fmt):
    full = render(SOLUTION, fmt)
    paper = render(SOLUTION, fmt, view="paper")
    key = render(SOLUTION, fmt, view="key")
    answer_marks = {"md": "**Answer:**", "latex": "\\deriveanswer{", "html": '<strong class="answer-label">Answer:</strong>',
                    "text": "Answer:", "json": '"answer"'}
    step_marks = {"md": "Expand the cube", "latex": "Expand the cube", "html": "Expand the cube",
                  "text": "Expand the cube", "json": '"steps"'}
    assert answer_marks[fmt] in full and step_marks[fmt] in full
    assert answer_marks[fmt] not in paper and step_marks[fmt] not in paper
    assert answer_marks[fmt] in key and step_marks[fmt] not in key
    if fmt != "json":
        assert "Expand $(x + y)^3$" in paper or "Expand" in paper     # the question is on the paper


def test_latex_standalone_and_body():
    full = render(SOLUTION, "latex")
    body = render(SOLUTION, "latex", standalone=False)
    assert full.startswith(r"\documentclass") and full.rstrip().endswith(r"\end{document}")
    assert r"\documentclass" not in body and r"\providecommand{\derivefit}" in body
    assert full.isascii() and body.isascii()
    assert SOLUTION._repr_latex_() == body


def test_latex_long_chain_is_aligned():
    out = render(SOLUTION, "latex")
    assert r"\begin{align*}" in out and "z &= " in out and "\n&= " in out
    assert r"\begin{tabular}{lrrr}" in out and r"\toprule" in out


def test_html_page_has_no_script_and_valid_mathml():
    out = render(SOLUTION, "html")
    assert out.startswith("<!DOCTYPE html>") and "<script" not in out.lower() and "<style>" in out
    for m in re.findall(r"<math.*?</math>", out, re.S):
        minidom.parseString(m)            # every formula is well-formed XML
    assert '<div class="chain grid">' in out and '<table class="steptable">' in out
    assert '<div class="notderived" role="note">' in out
    assert '<details class="steps" open>' in out and "<summary>" in out


def test_text_is_unicode_and_aligned():
    out = render(SOLUTION, "text")
    assert "ŷ + θ" in out
    assert "threshold θ  TP  FP  precision p" in out
    assert "!! Not derived (a step failed its check) (line 13, column 7)" in out


# ---- templates ------------------------------------------------------------------------------

def test_user_templates_come_first(tmp_path):
    (tmp_path / "md").mkdir()
    (tmp_path / "md" / "solution.j2").write_text("{% for p in solution.problems %}P{{ p.number }}: {{ p.title }}\n"
                                                 "{% endfor %}view={{ view }}\n")
    out = render(SOLUTION, "md", templates=str(tmp_path), view="key")
    assert out == "P1: Everything at once: tables, substeps & Unicode (θ ≥ 0)\nP2: A second problem\nview=key\n"
    # formats the folder does not override still use derive's own templates
    assert render(SOLUTION, "text", templates=str(tmp_path)) == render(SOLUTION, "text")


def test_user_can_override_only_the_macros(tmp_path):
    (tmp_path / "md").mkdir()
    ours = (ROOT / "renderers" / "md" / "macros.j2").read_text()
    (tmp_path / "md" / "macros.j2").write_text(ours.replace("**Answer:**", "**Solution:**"))
    out = render(SOLUTION, "md", templates=str(tmp_path))
    assert "**Solution:**" in out and "**Answer:**" not in out


def test_latex_templates_use_their_own_delimiters(tmp_path):
    (tmp_path / "latex").mkdir()
    (tmp_path / "latex" / "solution.j2").write_text(
        "((* for p in solution.problems *))\\section{((( p.title | prose_inline )))}\n((* endfor *))"
        "{not a jinja block} ((= a comment =))standalone=((( standalone )))\n")
    out = render(SOLUTION, "latex", templates=str(tmp_path), standalone=False)
    assert r"\section{Everything at once: tables, substeps \& Unicode (\ensuremath{\theta} \ensuremath{\geq} 0)}" in out
    assert "{not a jinja block} standalone=False" in out


def test_missing_templates_folder_is_a_derive_error(tmp_path):
    with pytest.raises(DeriveError, match="no such folder"):
        render(SOLUTION, "md", templates=str(tmp_path / "nope"))


def test_cli_templates_option(tmp_path):
    (tmp_path / "text").mkdir()
    (tmp_path / "text" / "solution.j2").write_text("{{ solution.problems | length }} problem(s)\n")
    spec = ROOT / "tests" / "specs" / "wide-ce.spec"
    from test_cli import run                   # cli.main in this process
    code, out, err = run("solve", spec, "-f", "text", "--templates", tmp_path, cwd=ROOT)
    assert code == 0, err
    assert out == "3 problem(s)\n"
    code, _, err = run("solve", spec, "--templates", tmp_path / "no", cwd=ROOT)
    assert code == 2 and "no such folder" in err and "Traceback" not in err


def test_broken_user_template_is_a_derive_error(tmp_path):
    (tmp_path / "md").mkdir()
    (tmp_path / "md" / "solution.j2").write_text("{{ solution.nope }}")
    with pytest.raises(DeriveError, match="the template .* failed"):
        render(SOLUTION, "md", templates=str(tmp_path))


# ---- JSON ------------------------------------------------------------------------------------

def test_json_contract_shape():
    doc = json.loads(render(SOLUTION, "json"))
    assert doc["derive"] == derive.__version__ and doc["title"].startswith("Stress test")
    p = doc["problems"][0]
    assert list(p) == ["title", "section", "points", "text", "parts", "results"] and p["points"] == 10
    assert p["text"] == PROSE and p["parts"][0] == {"label": "(a)", "marks": 2, "text": "Expand $(x + y)^3$ — show **every** step."}
    first = p["results"][0]
    assert list(first) == ["id", "label", "goal", "marks", "answer", "steps"]
    assert list(first["answer"]) == ["text", "latex", "value", "kind"]
    assert set(first["steps"][0]) <= {"rule", "text", "latex", "checked", "check", "relations"}
    assert {"rule", "text", "latex", "checked"} <= set(first["steps"][0])
    by_goal = {r["goal"]: r for r in p["results"]}
    assert by_goal["W1 @ ones(14)"]["answer"]["value"] == [7.0, 14.0]
    assert by_goal["choice(p)"]["answer"]["choice"] == "d"
    assert by_goal["shapes(params())"]["answer"]["value"] == {"W_Q1": [2, 2], "W_O": [2, 4]}
    assert by_goal["grad(L, w1)"]["steps"][0]["substeps"][0]["substeps"][0]["rule"] == "power"
    err = by_goal["grad(L, q)"]
    assert err["error"] == {"message": "the goal `grad` is not implemented yet", "line": 12, "column": 5,
                            "kind": "unsupported"} and "answer" not in err
    authored = [r for r in p["results"] if r["goal"] is None][0]
    assert authored["answer"]["prose"] == PROSE and authored["answer"]["value"] is None
    assert authored["answer"]["kind"] == "prose" and json.loads(authored["answer"]["text"]) == PROSE
    p2 = doc["problems"][1]
    assert p2["points"] == 2.5 and p2["results"][0]["answer"]["value"] is None


def test_json_views_and_non_finite_values():
    paper = json.loads(render(SOLUTION, "json", view="paper"))
    assert all(list(r) == ["id", "label", "marks"] for p in paper["problems"] for r in p["results"])
    key = json.loads(render(SOLUTION, "json", view="key"))
    assert all("steps" not in r for p in key["problems"] for r in p["results"])
    sol = derive.Solution((derive.ProblemSolution("inf", None, None, "", (
        derive.Result(None, "lr_range(f)", derive.Answer([0, sp.oo], "[0, oo]", "", [0.0, float("inf")]), ()),)),),)
    doc = to_json(sol)
    assert doc["problems"][0]["results"][0]["answer"]["value"] == [0.0, None]
    json.loads(render(sol, "json"))     # valid JSON: no Infinity


def test_solution_json_method_is_the_contract():
    assert SOLUTION.to_json() == json.loads(render(SOLUTION, "json"))


def test_matrices_print_as_sympys_own_latex_printer_prints_them():
    """DeriveLatexPrinter reads a matrix's entries at once instead of slicing it row by row;
    the text is sympy's, in every matrix environment setting."""
    import random

    import sympy as sp
    from sympy.printing.latex import LatexPrinter

    from derive.printing import DeriveLatexPrinter
    rnd = random.Random(3)
    x = sp.Symbol("x")
    mats = [sp.ImmutableMatrix(r, c, [rnd.choice([0, 1, -2, sp.Rational(3, 4), x, x**2 + 1]) for _ in range(r * c)])
            for r, c in [(1, 1), (2, 3), (4, 1), (3, 11), (0, 2)]]
    for options in ({}, {"mat_str": None}, {"mat_str": None, "mode": "inline"}, {"mat_str": "pmatrix"}):
        for m in mats:
            ours = DeriveLatexPrinter(options)
            assert ours._print_matrix_contents(m) == LatexPrinter._print_matrix_contents(ours, m)
