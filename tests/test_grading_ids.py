"""Stable result ids (docs/json.md, `id`): the problem's reference and the label, `#k` for
the k-th goal of a multi-goal find; never moved by edits below."""
from __future__ import annotations

import pytest

import derive
from derive.errors import SpecError
from solved import solved

TOP = '''problem "First" {
  let a = 2
  (a) find a, a + 1
  (b) find a^2
}
problem mlp "Named" {
  let b = 3
  find b
  (c) find b + 1
}
'''


def _ids(text: str) -> list[str]:
    return [r.id for r in derive.solve(text).results]


def test_ids_are_number_or_name_and_label():
    assert _ids(TOP) == ["1(a)", "1(a)#2", "1(b)", "mlp", "mlp(c)"]


def test_the_json_and_the_api_carry_the_same_ids():
    sol = derive.solve(TOP)
    doc = sol.to_json()
    assert [r["id"] for p in doc["problems"] for r in p["results"]] == [r.id for r in sol.results]
    paper = derive.render(sol, "json", view="paper")
    assert '"id": "mlp(c)"' in paper
    assert sol.result("1(a)#2").answer.text == "3"
    with pytest.raises(KeyError):
        sol.result("9(z)")


def test_editing_below_never_changes_an_id_above():
    before = _ids(TOP)
    edited = TOP + 'problem "Third" {\n  let c = 1\n  (a) find c\n}\n'
    assert _ids(edited)[:len(before)] == before
    changed = TOP.replace("find b\n", "find b, b - 1\n")    # the named problem grows a goal
    assert _ids(changed)[:3] == before[:3]


def test_sections_prefix_a_roman_numeral():
    text = ('section "Part I" {\n problem "p" {\n  let a = 1\n  (a) find a\n }\n}\n'
            'section "Part II" {\n problem "q" {\n  let a = 1\n  find a\n }\n'
            ' problem "r" {\n  let a = 1\n  (b) find a\n }\n}\n')
    assert _ids(text) == ["I.1(a)", "II.1", "II.2(b)"]


def test_the_seed_exam_ids_are_unique():
    ids = [r.id for r in solved("examples/seed-exam.spec").results]
    assert len(ids) == len(set(ids)) and "II.1(b)" in ids and "I.9(a)#2" in ids


def test_a_name_used_twice_is_an_error():
    with pytest.raises(SpecError, match="named `p`"):
        derive.solve('problem p "A" {\n let a = 1\n find a\n}\nproblem p "B" {\n let a = 1\n find a\n}\n')
