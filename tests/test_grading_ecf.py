"""Error carried forward on II.1 of the seed exam (the MLP): expectations by hand.

x = [1, 2, 1, 4]; W1's odd rows are +1, even rows -1; W2 = ones; biases 0; t = 15.
Hidden pre-activations: rows 1, 3, 5 give 8, rows 2, 4 give -8, so h = [8, 0, 8, 0, 8] and
o = 24, L = (15 - 24)^2 = 81, dL/dW1[1,1] = 2 (o - t) * W2[1] * relu'(8) * x1 = 18, and
the SGD step 1 - 0.1 * 18 = -0.8.  With a student's o = 23: L = 64, the gradient
2 (23 - 15) = 16, the step 1 - 1.6 = -0.6."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import derive
from derive.grading import grade, grade_solution

SPEC = (Path(__file__).resolve().parents[1] / "examples" / "seed" / "part2-mlp.spec").read_text()


@pytest.fixture(scope="module")
def sol():
    return derive.solve(SPEC)


def _by_id(grades):
    return {g.id: g for g in grades}


def test_the_hand_computation_matches_numpy():
    x = np.array([1, 2, 1, 4])
    W1 = np.array([[1 if i % 2 == 0 else -1] * 4 for i in range(5)])
    o = np.ones(5) @ np.maximum(W1 @ x, 0)
    assert o == 24 and (15 - o) ** 2 == 81 and 2 * (o - 15) * 1 * x[0] == 18


def test_a_consistent_chain_gets_full_credit_with_a_note(sol):
    g = _by_id(grade_solution(sol, {"1(b)": "23", "1(c)": "64", "1(d)": "16", "1(e)": "-0.6"}))
    assert g["1(b)"].status == "incorrect"
    for rid, expected in (("1(c)", "64"), ("1(d)", "16"), ("1(e)", "- \\frac{3}{5}")):
        assert g[rid].status == "correct" and g[rid].ecf is not None, rid
        assert g[rid].ecf.expected == expected and ("1(b)", "23") in g[rid].ecf.given
        assert g[rid].note.endswith("-ecf") and "carried forward" in g[rid].feedback
    assert g["1(c)"].to_json()["ecf"] == {"given": {"1(b)": "23"}, "expected": "64", "credit": 1.0}


def test_ecf_can_be_turned_off_or_capped(sol):
    answers = {"1(b)": "23", "1(c)": "64"}
    assert _by_id(grade_solution(sol, answers, ecf=False))["1(c)"].status == "incorrect"
    capped = _by_id(grade_solution(sol, answers, ecf_credit=0.5))["1(c)"]
    assert capped.status == "partial" and capped.score == 0.5 and capped.points == 1.0   # (c) has 2 marks


def test_grade_takes_given_answers_by_id(sol):
    assert grade(sol.result("1(c)"), "64", given={"1(b)": "23"}).status == "correct"
    assert grade(sol.result("1(c)"), "64").status == "incorrect"
    assert grade(sol.result("1(c)"), "63", given={"1(b)": "23"}).status == "incorrect"
    # an earlier answer that is not a value, or from another goal, carries nothing
    assert grade(sol.result("1(c)"), "64", given={"1(b)": "o + 1"}).status == "incorrect"
    assert grade(sol.result("1(c)"), "64", given={"1(d)": "23"}).status == "incorrect"


def test_a_trivial_chain_earns_nothing(sol):
    # o = t = 15 makes the loss 0 and the gradient 0: no method needed, no credit carried
    g = _by_id(grade_solution(sol, {"1(b)": "15", "1(c)": "0", "1(d)": "0"}))
    assert g["1(c)"].status == "incorrect" and g["1(d)"].status == "incorrect"
    assert "1(b)" in g["1(d)"].feedback          # it names the first wrong answer on the way


def test_a_sheet_grades_every_result_and_refuses_unknown_ids(sol):
    grades = grade_solution(sol, {"1(b)": "24"})
    assert [g.id for g in grades] == ["1(a)", "1(b)", "1(c)", "1(d)", "1(e)"]
    assert grades[0].note == "1(a)-blank" and grades[1].status == "correct"
    with pytest.raises(ValueError, match="9\\(z\\)"):
        grade_solution(sol, {"9(z)": "1"})
