"""Each format has one printer for sympy objects (issue 9 §1): every display class of derive
prints itself natively in LaTeX, MathML and Unicode, and rendering never converts LaTeX back
into MathML or Unicode, except for authored `$…$` maths in the spec's prose.

* `test_every_display_class_has_a_native_printer_per_format`: every sympy class defined in
  derive (all modules imported) that has `_latex` also has `_mathml_presentation` and
  `_pretty` (sympy's printer protocol), so no printer has to go through its LaTeX.
* `test_a_class_without_a_native_printer_is_an_error`: such a class raises MissingPrinter
  in the MathML and Unicode printers, instead of a silent LaTeX round trip.
* `test_the_corpus_renders_without_converting_latex`: every spec of examples/ and of the
  seed corpus renders in html and text with the LaTeX→MathML and LaTeX→Unicode converters
  patched to raise outside the prose path.
"""
from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest
import sympy as sp

import derive
from derive.printing import MissingPrinter, latex

from solved import solved

ROOT = Path(__file__).resolve().parent.parent
SEED = Path("/work/shared/specs/seed")
SPECS = sorted((ROOT / "examples").glob("*.spec")) + sorted(SEED.glob("*.spec"))
SKIP = {"derive.__main__", "derive.export.pl_server"}     # (a script and a server: not display code)


def _subclasses(cls: type) -> set[type]:
    out = set()
    for sub in cls.__subclasses__():
        out |= {sub} | _subclasses(sub)
    return out


def display_classes() -> list[type]:
    """Every sympy class defined in a derive module that prints itself in LaTeX."""
    for m in pkgutil.walk_packages(derive.__path__, "derive."):
        if m.name not in SKIP:
            importlib.import_module(m.name)
    found = [c for c in _subclasses(sp.Basic) if hasattr(c, "_latex")
             and ((c.__module__ or "").startswith("derive.") or c.__module__ is None)]
    return sorted(found, key=lambda c: (c.__module__ or "", c.__qualname__))


def test_every_display_class_has_a_native_printer_per_format():
    classes = display_classes()
    assert len(classes) > 60            # (the walk found them: 96 when this test was written)
    missing = [f"{c.__module__}.{c.__qualname__}: {m}" for c in classes
               for m in ("_mathml_presentation", "_pretty") if not hasattr(c, m)]
    assert missing == []


def test_prime_functions_made_at_run_time_print_natively():
    from derive.derivers.optimize.display import prime_function
    from derive.mathml import mathml
    from derive.pretty import inline
    fp = prime_function("f", 1)(sp.Symbol("w"))
    assert latex(fp) == "f'(w)"
    assert inline(fp) == "f′(w)"
    assert "<mo>′</mo>" in mathml(fp) and "<mi>w</mi>" in mathml(fp)


def test_a_class_without_a_native_printer_is_an_error():
    from derive.mathml import mathml
    from derive.pretty import pretty

    class OnlyLatex(sp.Function):
        def _latex(self, printer):
            return r"\operatorname{only}(%s)" % printer._print(self.args[0])

    OnlyLatex.__module__ = "derive.fake"
    x = OnlyLatex(sp.Symbol("x"))
    with pytest.raises(MissingPrinter):
        mathml(x)
    with pytest.raises(MissingPrinter):
        pretty(x)


def test_nested_maths_stays_maths():
    """A display class prints its arguments with the format's printer: a fraction inside
    softmax is an <mfrac>, a subscripted name one <msub>, a minus U+2212."""
    from derive.mathml import mathml
    from derive.model import functions as F
    from derive.pretty import inline
    x1 = sp.Symbol("x1")
    m = mathml(F.softmax(x1 / 2 - 1))
    assert "<mi>softmax</mi>" in m and "<mfrac>" in m and "<msub><mi>x</mi><mn>1</mn></msub>" in m
    assert "\u2212" in m
    assert inline(F.CrossEntropy(x1, sp.Symbol("y_hat"))) == "H(x₁, ŷ)"
    assert inline(F.leaky_relu(x1)) == "leaky_relu(x₁)"
    assert mathml(F.leaky_relu(x1)).count("<mi>") == 2      # one <mi> for the name, one for x


def test_inline_is_one_line_without_latex():
    from derive.pretty import inline
    x, W = sp.MatrixSymbol("x", 2, 1), sp.MatrixSymbol("W", 2, 2)
    assert inline(sp.Rational(1, 2) * sp.Symbol("a")) == "a/2"
    assert inline(sp.Matrix([[1, 2], [3, 4]])) == "[[1, 2], [3, 4]]"
    assert inline(sp.Matrix([1, 2])) == "[1, 2]ᵀ"
    assert inline(x.T * W * x) == "xᵀ⋅W⋅x"
    assert inline(sp.sqrt(sp.Symbol("a") + 1)) == "√(1 + a)"


@pytest.fixture
def no_latex_conversion(monkeypatch):
    """The LaTeX→MathML and LaTeX→Unicode converters raise unless authored prose maths
    (prose.emit_html.math / prose.emit_text.math) is being printed."""
    import latex2mathml.converter as l2m

    from derive import texunicode
    from derive.prose import emit_html, emit_text
    depth = [0]

    def allow(real):
        def inner(*a, **k):
            depth[0] += 1
            try:
                return real(*a, **k)
            finally:
                depth[0] -= 1
        return inner

    def guard(real, what):
        def inner(*a, **k):
            if not depth[0]:
                raise AssertionError(f"{what} outside authored prose: {str(a[0])[:120]!r}")
            return real(*a, **k)
        return inner

    monkeypatch.setattr(emit_html, "math", allow(emit_html.math))
    monkeypatch.setattr(emit_text, "math", allow(emit_text.math))
    monkeypatch.setattr(emit_html, "tex_to_mathml", guard(emit_html.tex_to_mathml, "LaTeX→MathML"))
    monkeypatch.setattr(l2m, "convert", guard(l2m.convert, "latex2mathml"))
    monkeypatch.setattr(texunicode, "tex_to_unicode", guard(texunicode.tex_to_unicode, "LaTeX→Unicode"))


def test_the_guard_catches_a_conversion(no_latex_conversion):
    from derive import prose, texunicode
    with pytest.raises(AssertionError):
        prose.tex_to_mathml(r"\frac{1}{2}")
    with pytest.raises(AssertionError):
        texunicode.tex_to_unicode(r"\frac{1}{2}")
    assert "<mfrac>" in prose.to_html_inline(r"half: $\frac{1}{2}$")     # authored prose still converts


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_corpus_renders_without_converting_latex(spec, no_latex_conversion):
    from derive.render import render
    solution = solved(spec)
    for fmt in ("html", "text"):
        assert render(solution, fmt)
