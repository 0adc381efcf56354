"""The MathML printer (derive/mathml.py) prints what the LaTeX printer prints.

* unit tests, one per convention, on small sympy expressions: a visible ⋅ between
  numerals exactly where the LaTeX printer writes \\cdot, factor and term order as in
  the LaTeX, names as one identifier, the minus sign U+2212, 1-based entries, a bare 1×1
  trace, elementwise functions, matrix products and sums, a − (−3);
* corpus tests over every spec in examples/, tests/specs/ and the shared seed corpus:
  the HTML's MathML parses as XML and has no two numerals side by side without a visible
  operator; every link of every step chain reads, identifier by identifier and number by
  number, as its LaTeX does.  Both checks are run on sympy's stock printer too and must
  fail there, so they can fail.
"""
from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import sympy as sp
from sympy.printing.mathml import MathMLPresentationPrinter

from derive.mathml import mathml, mathml_body
from derive.printing import _GREEK_UNICODE, latex
from derive.render import render
from solved import solved

ROOT = Path(__file__).resolve().parent.parent
SHARED = next((p / "shared" / "specs" / "seed" for p in ROOT.parents if (p / "shared" / "specs" / "seed").is_dir()),
              None)
CORPUS = (sorted((ROOT / "examples").rglob("*.spec")) + sorted((ROOT / "tests" / "specs").glob("*.spec"))
          + (sorted(SHARED.glob("*.spec")) if SHARED else []))
MINUS, DOT, INVISIBLE = "\u2212", "\u22c5", "\u2062"
NS = "{http://www.w3.org/1998/Math/MathML}"

# ---- tokenisers: the identifiers and numbers a formula shows, in reading order ---------------

_NAMED_OPERATORS = {"log", "ln", "exp", "sin", "cos", "tan", "max", "min", "det", "lim", "arg", "sup", "inf",
                    "tanh", "sinh", "cosh"}
_ATOM = re.compile(r"\d+(?:\.\d+)?|[^\W\d_]|∞")


def atoms(text: str) -> list[str]:
    """Numbers and single letters (compatibility forms folded: ϕ→φ, ℬ→B, 𝟏→1)."""
    return _ATOM.findall(unicodedata.normalize("NFKC", text))


def tex_tokens(tex: str) -> list[str]:
    """The atoms of a LaTeX formula; commands give their letters only if they print them
    (Greek, \\log, ...), \\begin{bmatrix} and the like give none."""
    out: list[str] = []
    for m in re.finditer(r"\\([A-Za-z]+)(\{[a-z*]+\})?|\\.|([^\\]+)", tex):
        cmd, arg, plain = m.groups()
        if cmd:
            if cmd in _GREEK_UNICODE:
                out += atoms(_GREEK_UNICODE[cmd])
            elif cmd in _NAMED_OPERATORS:
                out += list(cmd)
            elif cmd == "infty":
                out.append("∞")
            if arg and cmd not in ("begin", "end"):
                out += atoms(arg)
        elif plain:
            out += atoms(plain)
    return out


def parse(xml: str) -> ET.Element:
    return ET.fromstring(xml if xml.startswith("<math") else f'<math xmlns="{NS[1:-1]}">{xml}</math>')


def tag(el: ET.Element) -> str:
    return el.tag.rsplit("}", 1)[-1]


def mathml_tokens(xml: str) -> list[str]:
    """The atoms of MathML: text of <mi>, <mn>, <mtext> (and of an <mo> made of letters)."""
    out: list[str] = []
    for el in parse(xml).iter():
        t = tag(el)
        if t in ("mi", "mn", "mtext") or (t == "mo" and any(c.isalpha() for c in el.text or "")):
            out += atoms(el.text or "")
    return out


# ---- the numerals check ------------------------------------------------------------------------

_ROWS = {"math", "mrow", "mtd", "msqrt", "mstyle", "mpadded", "menclose", "mphantom", "merror"}


def _edge(el: ET.Element, last: bool) -> ET.Element:
    """The leaf at the end (or the start) of a printed form; a root starts with its radical
    sign, which separates it from a numeral before it (4√2 is not 4 2)."""
    while len(el) and not (not last and tag(el) in ("msqrt", "mroot")):
        el = el[-1] if last else el[0]
    return el


def _invisible(el: ET.Element) -> bool:
    return tag(el) == "mo" and (el.text or "").strip() in ("", INVISIBLE)


def bare_numeral_products(root: ET.Element) -> list[tuple[str, str]]:
    """Pairs of numerals that meet in a row (an <mrow> or an inferred one) with nothing
    or only an invisible operator between them: the printed form ends in an <mn> and
    the next starts with one (5 3, x₁ 3, 2 ½)."""
    found = []
    for el in root.iter():
        if tag(el) not in _ROWS:
            continue
        kids = list(el)
        for i, a in enumerate(kids):
            j = i + 1
            while j < len(kids) and _invisible(kids[j]):
                j += 1
            if j < len(kids) and tag(_edge(a, True)) == "mn" and tag(_edge(kids[j], False)) == "mn":
                found.append((_edge(a, True).text, _edge(kids[j], False).text))
    return found


def stock_mathml(expr) -> str:
    """sympy's own presentation printer, with derive's settings."""
    printer = MathMLPresentationPrinter({"order": "none", "mat_delim": "[", "mul_symbol": None})
    return printer.doprint(expr).replace("&InvisibleTimes;", INVISIBLE).replace("&dd;", "d")


# ---- unit tests ------------------------------------------------------------------------------

x, y, a = sp.symbols("x y a")
x1 = sp.Symbol("x1")
n5, n3, n7, n4 = map(sp.Integer, (5, 3, 7, 4))


def _ops(xml: str) -> list[str]:
    return [el.text for el in parse(xml).iter() if tag(el) == "mo"]


@pytest.mark.parametrize("expr", [
    sp.Mul(n5, n3, n7, evaluate=False), sp.Mul(n5, n4, evaluate=False), sp.Mul(sp.Integer(18), 1, 1, 1, evaluate=False),
    sp.Mul(x1, n3, evaluate=False), sp.Mul(2, sp.Rational(1, 2), evaluate=False), sp.Mul(2, x, evaluate=False),
    3 * x * y, sp.Mul(sp.Integer(2), x ** 2, n3, evaluate=False), sp.Mul(n3, sp.Pow(2, x), evaluate=False),
    sp.Mul(n5, sp.Add(n3, n7, evaluate=False), evaluate=False),
], ids=str)
def test_a_visible_dot_between_numerals_where_latex_writes_cdot(expr):
    xml = mathml_body(expr)
    assert _ops(xml).count(DOT) == latex(expr).count(r"\cdot")
    assert not bare_numeral_products(parse(xml))


def test_five_three_seven_reads_with_dots():
    xml = mathml_body(sp.Mul(n5, n3, n7, evaluate=False))
    assert xml == f"<mrow><mn>5</mn><mo>{DOT}</mo><mn>3</mn><mo>{DOT}</mo><mn>7</mn></mrow>"
    assert bare_numeral_products(parse(stock_mathml(sp.Mul(n5, n3, n7, evaluate=False))))  # sympy's: 5 3 7


def _chain_rule_product():
    from derive.derivers.backprop import DSym
    return sp.Mul(DSym("L", "o"), DSym("o", "h1"), DSym("h1", "z1"), DSym("z1", "x1"), evaluate=False)


@pytest.mark.parametrize("make", [
    _chain_rule_product,
    lambda: sp.Symbol("W") - sp.Symbol("eta") * sp.Derivative(sp.Function("L")(sp.Symbol("W")), sp.Symbol("W")),
    lambda: sp.Add(y, x, sp.Integer(2), evaluate=False),
    lambda: sp.Mul(y, x, evaluate=False),
    lambda: -2 * x1 * (sp.Symbol("y1") - x1 * sp.Symbol("w")) - 2 * sp.Symbol("x2") * (sp.Symbol("y2") - sp.Symbol("w")),
    lambda: sp.Symbol("w_k") - sp.Rational(1, 10) * (2 * sp.Symbol("w_k") + 2),
    lambda: sp.factorial(3, evaluate=False) / (sp.factorial(2) * sp.factorial(1, evaluate=False)),
], ids=["chain rule", "sgd update", "sum", "product", "per example", "gd update", "multinomial"])
def test_factors_and_terms_in_the_latex_order(make):
    expr = make()
    assert mathml_tokens(mathml_body(expr)) == tex_tokens(latex(expr))


def test_the_chain_rule_order_is_what_sympys_printer_got_wrong():
    expr = _chain_rule_product()
    want = "L o o h 1 h 1 z 1 z 1 x 1".split()
    assert tex_tokens(latex(expr)) == want == mathml_tokens(mathml_body(expr))
    stock = mathml_tokens(stock_mathml(expr))
    assert sorted(stock) == sorted(want) and stock != want


@pytest.mark.parametrize("name, xml", [
    ("x1", "<msub><mi>x</mi><mn>1</mn></msub>"),
    ("y_hat", '<mover accent="true"><mi>y</mi><mo>^</mo></mover>'),
    ("eta", "<mi>η</mi>"),
    ("W_Q1", "<msub><mi>W</mi><mrow><mi>Q</mi><mn>1</mn></mrow></msub>"),
    ("n_conv", "<msub><mi>n</mi><mi>conv</mi></msub>"),
    ("C_out", "<msub><mi>C</mi><mi>out</mi></msub>"),
    ("dist", "<mi>dist</mi>"),
    ("lambda_1", "<msub><mi>λ</mi><mn>1</mn></msub>"),
    ("x1_star", "<msubsup><mi>x</mi><mn>1</mn><mo>*</mo></msubsup>"),
])
def test_names_as_one_identifier(name, xml):
    assert mathml_body(sp.Symbol(name)) == xml
    assert mathml_tokens(xml) == tex_tokens(latex(sp.Symbol(name)))


def test_a_count_symbol_has_the_name_as_its_subscript():
    from derive.derivers.layers import count_symbol
    assert mathml_body(count_symbol("conv")) == "<msub><mi>n</mi><mi>conv</mi></msub>"
    assert mathml_body(count_symbol("W1")) == "<msub><mi>n</mi><msub><mi>W</mi><mn>1</mn></msub></msub>"


A, B = sp.MatrixSymbol("A", 2, 2), sp.MatrixSymbol("B", 2, 2)


@pytest.mark.parametrize("expr", [
    x - y, -x, sp.Integer(-3), sp.Rational(-1, 2), sp.Float(-0.25), sp.Float(-3.25e-7), -sp.oo,
    sp.MatMul(-2, A, B), sp.MatAdd(A, -B), x - 2 * y / 3, sp.Symbol("W") - sp.Symbol("eta") * x,
], ids=str)
def test_every_minus_is_the_minus_sign(expr):
    ops = _ops(mathml_body(expr))
    assert MINUS in ops and "-" not in ops


def test_an_unevaluated_minus_of_a_negative_number_keeps_its_brackets():
    expr = sp.Add(a, sp.Mul(-1, sp.Integer(-3), evaluate=False), evaluate=False)
    assert latex(expr) == r"a - \left(-3\right)"
    assert mathml_body(expr) == (f"<mrow><mi>a</mi><mo>{MINUS}</mo><mrow><mo>(</mo><mrow><mo>{MINUS}</mo>"
                                 "<mn>3</mn></mrow><mo>)</mo></mrow></mrow>")


def test_matrix_entries_are_one_based():
    W1, v = sp.MatrixSymbol("W1", 3, 4), sp.MatrixSymbol("v", 3, 1)
    assert mathml_body(W1[0, 1]) == ("<msub><mrow><mo>(</mo><msub><mi>W</mi><mn>1</mn></msub><mo>)</mo></mrow>"
                                     "<mrow><mn>1</mn><mo>,</mo><mn>2</mn></mrow></msub>")
    assert mathml_body(v[2, 0]) == "<msub><mi>v</mi><mrow><mn>3</mn></mrow></msub>"


def test_a_one_by_one_trace_is_bare_and_bracketed_under_a_power():
    p, q = sp.MatrixSymbol("p", 2, 1), sp.MatrixSymbol("q", 2, 1)
    bare = sp.Trace(p.T * q)
    assert "tr" not in mathml_tokens(mathml_body(bare))
    assert mathml_tokens(mathml_body(sp.Trace(A))) == ["t", "r", "A"]
    cube = mathml_body(sp.Pow(bare, 3, evaluate=False))
    assert cube.startswith("<msup><mrow><mo>(</mo>") and mathml_tokens(cube) == tex_tokens(latex(sp.Pow(bare, 3)))


def test_an_elementwise_function_prints_as_the_function_of_the_matrix():
    from derive.model import functions as F
    Z = sp.MatrixSymbol("Z", 3, 2)
    expr = F.elementwise(F.relu, Z)
    assert isinstance(expr, sp.matrices.expressions.applyfunc.ElementwiseApplyFunction)
    xml = mathml_body(expr)
    assert mathml_tokens(xml) == tex_tokens(latex(expr)) == list("reluZ")


def test_matrix_products_and_sums_in_their_written_order():
    C = sp.MatrixSymbol("C", 2, 2)
    for expr in (sp.MatMul(B, A, C, evaluate=False), sp.MatAdd(C, A, B, evaluate=False),
                 sp.MatAdd(C, sp.MatMul(-1, A, B, evaluate=False), evaluate=False),
                 sp.MatMul(-sp.Rational(2, 3), A.T, sp.MatAdd(B, -C, evaluate=False), evaluate=False)):
        assert mathml_tokens(mathml_body(expr)) == tex_tokens(latex(expr)), latex(expr)
    assert _ops(mathml_body(sp.MatAdd(C, sp.MatMul(-1, A, B, evaluate=False), evaluate=False)))[0] == MINUS


def test_floats_in_scientific_form_and_special_matrices_are_wellformed():
    for expr, want in ((sp.Float(1e-5), ["1.0", "10", "5"]), (sp.Float(2.5e20), ["2.5", "10", "20"]),
                       (sp.ZeroMatrix(2, 2), ["0"]), (sp.Identity(2), ["I"]), (sp.OneMatrix(2, 1), ["1"])):
        assert mathml_tokens(mathml_body(expr)) == want == tex_tokens(latex(expr))


def test_a_derive_class_keeps_its_latex_layout():
    """GradientOf prints ∂/∂w (f) for a compound f: the arguments are printed by the MathML
    printer where its _latex puts them, not in a layout made for a symbol argument."""
    from derive.engines.matpoly import GradientOf
    w, X = sp.MatrixSymbol("w", 3, 1), sp.MatrixSymbol("X", 4, 3)
    expr = GradientOf(sp.MatMul(w.T, X.T, X, w), w)
    xml = mathml_body(expr)
    assert mathml_tokens(xml) == tex_tokens(latex(expr)) == list("wwTXTXw")
    assert "<msup><mi>X</mi><mi>T</mi></msup>" in xml          # the argument is printed here, semantically


def test_a_transposed_subscripted_name_stacks_its_scripts():
    from derive.derivers.algorithms import Batch
    yB = Batch("y|B", sp.Symbol("B"), 1)
    assert mathml_body(sp.MatrixSymbol("x1", 3, 1).T) == "<msubsup><mi>x</mi><mn>1</mn><mi>T</mi></msubsup>"
    xml = mathml_body(yB.T)                  # y_ℬ comes from LaTeX, wrapped in an <mrow>
    assert xml.startswith("<msubsup><mi>y</mi>") and mathml_tokens(xml) == tex_tokens(latex(yB.T)) == list("yBT")


def test_display_style_for_cells_of_a_grid():
    assert 'displaystyle="true"' in mathml(sp.Rational(1, 2), displaystyle=True)
    assert "displaystyle" not in mathml(sp.Rational(1, 2)) + mathml(sp.Rational(1, 2), display=True)


# ---- corpus ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def corpus() -> list[tuple[str, str, tuple]]:
    """(spec name, HTML, step chains) of every spec in the corpus."""
    assert len(CORPUS) >= 9
    out = []
    for spec in CORPUS:
        solution = solved(spec)
        chains = tuple(step.chain for r in solution.results for top in r.steps for step in top.walk() if step.chain)
        out.append((spec.name, render(solution, "html"), chains))
    return out


def _maths(page: str) -> list[str]:
    return re.findall(r"<math\b.*?</math>", page, re.S)


def test_every_html_formula_parses_and_no_numerals_meet_bare(corpus):
    bad, count = [], 0
    for name, page, _ in corpus:
        for m in _maths(page):
            count += 1
            pairs = bare_numeral_products(parse(m))      # a ParseError fails the test: not well-formed
            if pairs:
                bad.append((name, pairs, m[:300]))
    assert count > 1000
    assert not bad, bad[:5]


def _links(corpus):
    for name, _, chains in corpus:
        for chain in chains:
            for link in chain:
                yield name, link


def test_every_chain_link_reads_as_its_latex(corpus):
    bad, count = [], 0
    for name, link in _links(corpus):
        count += 1
        tex = latex(link)
        if mathml_tokens(mathml_body(link)) != tex_tokens(tex):
            bad.append((name, tex))
    assert count > 1000
    assert not bad, bad[:5]


def test_both_corpus_checks_fail_on_sympys_own_printer(corpus):
    """The checks above are real: sympy's printer puts numerals side by side and prints
    factors in another order than the LaTeX, on this same corpus (it stops at the first of
    each: only that there are some is asserted)."""
    reordered, bare = [], []
    for name, link in _links(corpus):
        if reordered and bare:
            break
        try:
            xml = stock_mathml(link)
            got = mathml_tokens(xml)
        except Exception:      # derive's own classes, or XML sympy writes ill-formed (ZeroMatrix)
            continue
        want = tex_tokens(latex(link))
        if got != want and sorted(got) == sorted(want):
            reordered.append(latex(link))
        if bare_numeral_products(parse(xml)):
            bare.append(latex(link))
    assert reordered and bare
