"""Sentences as data (derive.sentence): parts, printers per format, and checked claims.

A false or undecidable claim is refused when the step is made; definitions, assumptions
and facts are shown without a ✓; every format escapes the text parts for itself."""
from __future__ import annotations

import json

import pytest
import sympy as sp

from derive.errors import CheckFailed
from derive.render import _step_json
from derive.sentence import Code, Em, Math, Rel, Sentence, join, say
from derive.sentence_print import print_sentence, sentence_text
from derive.steps import make_step

x = sp.Symbol("x", positive=True)
y = sp.Symbol("y")
z1 = sp.Symbol("z1")


def test_say_joins_text_and_wraps_bare_maths():
    s = say("a", "b", x, say(" and ", Em("c")), None, "")
    assert s.parts == ("ab", Math(x), " and ", Em("c"))
    assert (s + "!").parts[-1] == "!"
    assert sentence_text(join([x, y, z1], ", ", " and ")) == "x, y and z₁"


def test_a_sentence_part_must_be_text_or_maths():
    with pytest.raises(TypeError):
        say(object())


@pytest.mark.parametrize("rel", [
    Rel(sp.Integer(1), ">", 2),                       # false on numbers
    Rel(sp.Rational(1, 2), "=", sp.Rational(1, 3)),
    Rel(x + 1, "≤", x),                               # false for every positive x
    Rel(y, ">", 0),                                   # not decided: y has no sign
    Rel(sp.Matrix([[0, 1], [4, -4]]), "⪰", 0),        # not symmetric
    Rel(sp.Matrix([[1, 2], [2, 1]]), "⪰", 0),         # indefinite
    Rel(sp.Integer(3), "∈", sp.Interval(0, 2)),
    Rel(sp.sqrt(2), "≈", sp.Float(1.5)),
])
def test_false_or_undecided_claims_are_refused(rel):
    with pytest.raises(CheckFailed):
        make_step("claim", say("Since ", rel, "."))


@pytest.mark.parametrize("rel", [
    Rel(sp.Integer(2), ">", 1), Rel(x + 1, ">", x), Rel(x, "≥", 0), Rel(sp.Integer(3), "∈", sp.Interval(0, 3)),
    Rel(sp.Matrix([[4, 0], [0, 1]]), "≻", 0), Rel(sp.Matrix([[1, 1], [1, 1]]), "⪰", 0),
    Rel((x + 1) ** 2, "=", x ** 2 + 2 * x + 1), Rel(sp.sqrt(2), "≈", sp.Float(1.41421356)),
    Rel(sp.Integer(2), "≠", 3),
])
def test_true_claims_are_checked(rel):
    step = make_step("claim", say("Since ", rel, "."))
    assert step.checked is True
    (marked,) = step.text.relations()
    assert marked.checked is True and marked.check


def test_claims_use_the_values_in_where():
    a = sp.Symbol("a")
    assert make_step("r", say(Rel(a, ">", 0)), where={a: sp.Integer(3)}).checked is True
    with pytest.raises(CheckFailed):
        make_step("r", say(Rel(a, ">", 0)), where={a: sp.Integer(-3)})


def test_definitions_assumptions_and_facts_carry_no_check():
    s = say(Rel(y, "=", x ** 2, kind="definition"), ", ", Rel(y, ">", 0, kind="assumption"))
    step = make_step("define", s)
    assert step.checked is None
    assert all(r.checked is None for r in step.text.relations())


def test_a_false_chain_with_a_true_claim_is_still_refused():
    with pytest.raises(CheckFailed):
        make_step("r", say("as ", Rel(sp.Integer(2), ">", 1)), sp.Integer(1), sp.Integer(2))


def test_an_unchecked_chain_loses_its_tick_even_with_checked_claims():
    step = make_step("r", say(Rel(sp.Integer(2), ">", 1)), y, x, check=False)
    assert step.checked is None


def test_unknown_relations_and_kinds_are_errors():
    with pytest.raises(ValueError):
        Rel(x, "<>", y)
    with pytest.raises(ValueError):
        Rel(x, "<", y, kind="hope")


def test_each_format_escapes_text_and_prints_maths_itself():
    s = say("a *b* <script>$1 % & _ ", Math(x ** 2), " ", Code("f(x_1)"), " ", Em("e"))
    md = print_sentence(s, "md")
    assert r"\*b\*" in md and r"\<script\>" in md and r"\$1" in md and "$x^{2}$" in md
    tex = print_sentence(s, "latex")
    assert r"\%" in tex and r"\&" in tex and r"\_" in tex and "$x^{2}$" in tex and r"\emph{e}" in tex
    html = print_sentence(s, "html")
    assert "<script>" not in html and "&lt;script&gt;" in html and "<math" in html
    text = print_sentence(s, "text")
    assert "x²" in text and "<script>" in text


def test_control_characters_never_pass_through():
    s = say("bell\x07 esc\x1b[31m")
    for fmt in ("md", "latex", "html", "text"):
        out = print_sentence(s, fmt)
        assert "\x1b" not in out and "\x07" not in out


def test_json_lists_each_relation_with_its_kind_and_check():
    step = make_step("r", say("since ", Rel(sp.Integer(2), ">", 1), " and ", Rel(y, ">", 0, kind="assumption")),
                     (x + 1) ** 2, x ** 2 + 2 * x + 1)
    out = json.loads(json.dumps(_step_json(step)))
    # the step carries a ✓, so the assumption it does not cover is tagged as given
    assert out["checked"] is True and out["text"] == "since $2 > 1$ and $y > 0$ (given)"
    kinds = [(r["op"], r["kind"], r["checked"], r["check"]) for r in out["relations"]]
    assert kinds == [("=", "claim", True, "symbolic"), (">", "claim", True, "exact"),
                     (">", "assumption", None, None)]


def test_a_stated_relation_is_tagged_only_beside_a_tick():
    """A definition in a step without ✓ prints plainly; beside a ✓ it says what it is, in
    every format: written with ≔ (a stated relation of another kind carries its tag)."""
    a = sp.Symbol("a")
    text = say("with ", Rel(a, "=", 2, kind="definition"), ", ", Rel(a + 1, "=", 3))
    ticked = make_step("r", text, where={a: 2})
    assert ticked.checked is True
    marks = {"md": r"\mathrel{:=}", "latex": r"\mathrel{:=}", "html": "<mo>≔</mo>", "text": "a ≔ 2"}
    for fmt, mark in marks.items():
        assert mark in print_sentence(ticked.text, fmt)
    plain = make_step("r", say("with ", Rel(a, "=", 2, kind="definition")))
    assert plain.checked is None and ":=" not in print_sentence(plain.text, "md")
    fact = make_step("r", say(Rel(a, ">", 0, kind="fact"), ", ", Rel(sp.Integer(1), "<", 2)))
    assert print_sentence(fact.text, "text").startswith("a > 0 (rule)")


def test_an_unchecked_chain_is_a_definition_in_json():
    step = make_step("r", "Define", x, x ** 2, check=False)
    rel = _step_json(step)["relations"][0]
    assert (rel["kind"], rel["checked"], rel["check"]) == ("definition", None, None)


def test_plain_is_unicode():
    assert isinstance(say("x = ", Math(sp.Rational(1, 2))), Sentence)
    assert "η" in sentence_text(say(Math(sp.Symbol("eta"))))


def test_the_docs_example_runs():
    import re
    from pathlib import Path
    doc = (Path(__file__).resolve().parent.parent / "docs" / "derivations.md").read_text()
    section = doc[doc.index("### Writing steps"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    exec(compile(code, "docs/derivations.md", "exec"), {})   # our own documentation, not spec input
