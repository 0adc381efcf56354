"""Accepted alternative readings: `find GOAL accept reading "NAME" { definitions }`.

By hand: W1 = [[1, 0], [2, 1]], x = [1, 2]: h = W1 x = [1, 4]; read with the rows of W1
as its inputs, W1 = [[1, 2], [0, 1]] and h = [5, 2]; sum(h) is 5 (no reading)."""
from __future__ import annotations

import numpy as np

import derive
from derive.grading import accept, grade

SPEC = '''problem "Forward pass" {
  input x = [1, 2]
  param W1 = [[1, 0], [2, 1]]
  h = W1 @ x
  (a) find h accept reading "rows of W1 are inputs" { param W1 = [[1, 2], [0, 1]] }
  (b) find sum(h)
}
'''


def test_the_goal_is_derived_under_each_reading():
    sol = derive.solve(SPEC)
    r = sol.result("1(a)")
    (name, alt, error), = r.readings
    assert name == "rows of W1 are inputs" and error is None
    want = np.array([[1, 2], [0, 1]]) @ np.array([1, 2])
    assert [int(v) for v in alt.expr] == list(want) == [5, 2]
    assert [int(v) for v in r.answer.expr] == [1, 4]
    assert sol.result("1(b)").readings == ()
    doc = sol.to_json()["problems"][0]["results"][0]
    assert doc["readings"] == [{"reading": name, "answer": {"text": "Matrix([[5], [2]])", "latex": alt.latex,
                                                             "value": [5, 2], "kind": "vector"}}]
    assert "Also accepted, reading “rows of W1 are inputs”" in derive.render(sol, "md", view="key")


def test_grading_accepts_a_reading_and_names_it():
    r = derive.solve(SPEC).result("1(a)")
    assert [a.reading for a in accept(r).alternatives] == ["rows of W1 are inputs"]
    g = grade(r, "[5, 2]")
    assert g.status == "correct" and g.note == "1(a)-correct-reading" and "rows of W1 are inputs" in g.feedback
    assert grade(r, "[1, 4]").note == "1(a)-correct"
    assert grade(r, "[5, 4]").status == "partial"


def test_a_reading_of_anything_but_definitions_is_an_error_result():
    sol = derive.solve(SPEC.replace("{ param W1 = [[1, 2], [0, 1]] }", "{ find x }"))
    (_, alt, error), = sol.result("1(a)").readings
    assert alt is None and "definitions only" in error
    assert "definitions only" in sol.to_json()["problems"][0]["results"][0]["readings"][0]["error"]


def test_accept_is_still_a_name_elsewhere():
    sol = derive.solve('problem "p" {\n let accept = 2\n find accept + 1\n}\n')
    assert sol.results[0].answer.text == "3"


def test_readings_show_in_every_format_and_not_on_the_paper():
    """tests/specs/readings.spec, by hand: h = W1 x = [1, 4], 3 * sum(h) = 15; with the rows
    of W1 as inputs W1 = [[1, 2], [0, 1]], h = [5, 2] and 3 * 7 = 21; with c = 2, 2 * 5 = 10."""
    from pathlib import Path
    sol = derive.solve(str(Path(__file__).parent / "specs" / "readings.spec"))
    b = sol.result("1(b)")
    assert b.answer.text == "15" and [(n, a.text) for n, a, _ in b.readings] == [("rows of W1 are inputs", "21"),
                                                                                ("c = 2", "10")]
    lead = "Also accepted, reading “c = 2”:"
    assert f"*{lead}* $10$" in derive.render(sol, "md", view="key")
    assert f"<em>{lead}</em> <math" in derive.render(sol, "html") and "<mn>10</mn></math></p>" in derive.render(sol, "html")
    assert r"\emph{Also accepted, reading ``c = 2'':} $\displaystyle 10$" in derive.render(sol, "latex")
    assert f"{lead} 10" in derive.render(sol, "text")
    for fmt in ("md", "text"):
        assert "Also accepted" not in derive.render(sol, fmt, view="paper")
    doc = sol.to_json()["problems"][0]["results"][1]
    assert [(x["reading"], x["answer"]["value"]) for x in doc["readings"]] == [("rows of W1 are inputs", 21),
                                                                              ("c = 2", 10)]
