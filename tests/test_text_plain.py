"""`--format text` is plain Unicode: no LaTeX command (`\\cdot`, `\\text`, `\\frac`) reaches
it.  Numbers in scientific form are printed by the text printer itself (1.6384⋅10⁶), in
iterate tables, in sentences (M ≈ 6.1244⋅10¹²) and in answers, for every example."""
import re
from pathlib import Path

import pytest
import sympy as sp

import derive
from derive.pretty import inline
from solved import solved

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "examples").rglob("*.spec"))
COMMAND = re.compile(r"\\[A-Za-z]+")
DIVERGING = '''problem "d" {
  vector x : (2)
  let A = [[3, 1], [1, 2]]
  f(x) = 1/2 * (x @ (A @ x))
  g(w) = w^2
  (a) find gd(f, start = [1, 1], lr = 2, steps = 200)
  (b) find gd(g, start = 5, lr = 0.9, steps = 40)
  (c) find gd(g, start = 5, lr = 1.5, steps = 100)
}
'''


def test_a_float_in_scientific_form_is_unicode():
    assert inline(sp.Float(1.6384e6, 6)) == "1.6384⋅10⁶"
    assert inline(sp.Float(-1.5e-7, 6)) == "-1.5⋅10⁻⁷"
    assert inline(sp.Float(0.5, 6)) == "0.5"


def test_diverging_runs_print_no_latex():
    out = derive.solve(DIVERGING).render("text")
    assert not COMMAND.search(out), COMMAND.findall(out)[:5]
    assert "⋅10" in out


@pytest.mark.parametrize("path", EXAMPLES)
def test_examples_print_no_latex(path):
    out = solved(ROOT / path).render("text")
    assert not COMMAND.search(out), [m.group(0) for m in COMMAND.finditer(out)][:5]


def test_a_matrix_difference_keeps_its_spaces():
    """x - μ and 2λw - 2tx in text, as in LaTeX: sympy's pretty printer writes `x -μ`."""
    import sympy as sp

    from derive.pretty import inline, pretty
    x, mu = sp.MatrixSymbol("x", 3, 1), sp.MatrixSymbol("mu", 3, 1)
    assert inline(sp.MatAdd(x, -mu, evaluate=False)) == "x - μ" == pretty(sp.MatAdd(x, -mu, evaluate=False))
    assert inline(sp.MatAdd(x, -2 * mu, evaluate=False)) == "x - 2⋅μ"
    assert inline(sp.MatAdd(-mu, x, evaluate=False)) == "-μ + x"



def test_floors_and_sums_print_whatever_table_sympy_chose_for_the_host():
    """sympy picks its bracket pieces from sys.stdout's encoding when imported (ASCII under
    PYTHONIOENCODING=ascii or a StringIO stdout, with no ⌊ and no ∑ at all: the seed exam's
    Conv1d length and SVM were a KeyError, exit 3); derive draws in Unicode and leaves the
    host's choice as it was."""
    from sympy.printing.pretty import pretty_symbology
    solution = solved(ROOT / "examples" / "seed-exam.spec")
    before = pretty_symbology.pretty_use_unicode(False)
    try:
        text, md = solution.render("text"), solution.render("md")
        assert pretty_symbology.pretty_use_unicode() is False
    finally:
        pretty_symbology.pretty_use_unicode(before)
    assert "⎣" in text and "∑" in text and "\\lfloor" in md   # ⎣ ⎦: the floor of a fraction
