"""derive.grading: every kind of answer against hand-computed expectations.

The keys are derived by derive from a small spec; every expected verdict below was
worked out by hand (3/4 = 0.75; log 3 = 1.0986...; [[1, 2], [3, 4]]^2 = [[7, 10], [15, 22]];
...), never read back from derive's output."""
from __future__ import annotations

import json

import pytest
import sympy as sp

import derive
from derive.grading import Acceptance, FormatError, accept, grade
from derive.grading.compare import same_number

SPEC = '''problem kinds "Every kind" {
  symbol x
  let a = 3
  let b = 4
  let u = [1, 2, 3]
  let M = [[1, 2], [3, 4]]
  f(w) = w^2 + 2*w + 1
  layer conv = Conv1d(in_channels = 3, out_channels = 5, kernel_size = 7, stride = 3, bias = false)
  input z : (3, 1000)
  choices { (a) 1/2  (b) 3/4  (c) 2  (d) 1/4 }
  (a) [2] find a / b
  (b) find log(a)
  (c) find 2 * u
  (d) find M @ M
  (e) find (x + 1)^2
  (f) find choice(a / b)
  (g) find lr_range(f)
  (h) find shape(conv(z))
}
problem many "Select all" {
  symbol s
  choices { (a) (s + 1)^2  (b) s^2 + 2*s + 1  (c) s^2 }
  find choice((s + 1)^2)
}
problem ls "Least squares" {
  dim N, d
  matrix X : (N, d)
  vector y : (N)
  vector w : (d)
  L = norm(y - X @ w)^2
  find grad(L, w)
}
'''


@pytest.fixture(scope="module")
def sol():
    return derive.solve(SPEC)


def _g(sol, rid, text, **kw):
    acc_kw = {k: kw.pop(k) for k in ("rtol", "atol", "sigfigs", "options", "per_entry") if k in kw}
    return grade(sol.result(rid), text, accept=accept(sol.result(rid), **acc_kw), **kw)


def status(sol, rid, text, **kw):
    return _g(sol, rid, text, **kw).status


def test_the_kinds_accept_reads(sol):
    kinds = [accept(r).kind for r in sol.results]
    assert kinds == ["number", "number", "vector", "matrix", "expression", "choice", "interval", "shape",
                     "choice", "expression"]
    assert accept(sol.result("kinds(d)")).shape == (2, 2)
    assert accept(sol.result("many")).select_all is True


@pytest.mark.parametrize("text, want", [
    ("3/4", "correct"), ("0.75", "correct"), ("6/8", "correct"), ("75e-2", "correct"), ("0.7", "incorrect"),
    ("-3/4", "incorrect"), ("3 / 4 + 0", "correct"), ("x", "invalid"), ("3/", "invalid"), ("[3/4, 1]", "invalid"),
])
def test_numbers_are_exact_by_default(sol, text, want):
    assert status(sol, "kinds(a)", text) == want


def test_a_wrong_sign_is_noted_and_marks_give_points(sol):
    g = _g(sol, "kinds(a)", "-3/4")
    assert g.note == "kinds(a)-wrong-sign" and g.points == 0
    assert _g(sol, "kinds(a)", "3/4").points == 2 and _g(sol, "kinds(a)", "3/4").marks == 2


@pytest.mark.parametrize("text, want", [
    ("log(3)", "correct"), ("ln(3)", "correct"), ("log(9)/2", "correct"), ("log(81, 3) * log(3) / 4", "correct"),
    ("1.10", "correct"), ("1.099", "correct"), ("1.0986", "correct"),   # log 3 = 1.09861...
    ("1.1", "incorrect"),            # two significant digits: fewer than DECIMAL_DIGITS
    ("1.09", "incorrect"), ("1.0987", "incorrect"), ("log(4)", "incorrect"),
])
def test_irrational_keys_take_correctly_rounded_decimals(sol, text, want):
    assert status(sol, "kinds(b)", text) == want


def test_tolerances_follow_prairielearn(sol):
    # relabs: |r - 0.75| <= atol + rtol * 0.75
    assert status(sol, "kinds(a)", "0.7", rtol=0.1) == "correct"           # 0.05 <= 0.075
    assert status(sol, "kinds(a)", "0.6", rtol=0.1) == "incorrect"         # 0.15 > 0.075
    assert status(sol, "kinds(a)", "0.7", atol=0.06) == "correct"
    # sigfig: eps = 0.51 * 10^-(digits - 1 - floor(log10 0.75)) = 0.51 * 10^-digits
    assert status(sol, "kinds(a)", "0.8", sigfigs=1) == "correct"          # 0.05 <= 0.051
    assert status(sol, "kinds(a)", "0.76", sigfigs=2) == "incorrect"       # 0.01 > 0.0051
    assert status(sol, "kinds(b)", "1.1", sigfigs=2) == "correct"          # |1.1 - 1.0986| <= 0.051
    with pytest.raises(ValueError):
        accept(sol.result("kinds(a)"), sigfigs=0)


def test_vectors_entry_by_entry(sol):
    assert status(sol, "kinds(c)", "[2, 4, 6]") == "correct"
    assert status(sol, "kinds(c)", "[[2, 4, 6]]") == "correct"           # a row is read as the vector
    assert status(sol, "kinds(c)", "2 * [1, 2, 3]") == "correct"
    g = _g(sol, "kinds(c)", "[2, 4, 7]")
    assert g.status == "partial" and g.score == pytest.approx(2 / 3)
    assert [e.correct for e in g.entries] == [True, True, False] and g.entries[2].index == (3,)
    assert _g(sol, "kinds(c)", "[2, 4, 7]", per_entry=False).status == "incorrect"
    bad = _g(sol, "kinds(c)", "[2, 4]")
    assert bad.status == "invalid" and "shape" in dict(bad.error)["message"]


def test_matrices_entry_by_entry(sol):
    assert status(sol, "kinds(d)", "[[7, 10], [15, 22]]") == "correct"
    assert status(sol, "kinds(d)", "[[1, 2], [3, 4]] @ [[1, 2], [3, 4]]") == "correct"
    g = _g(sol, "kinds(d)", "[[7, 10], [15, 21]]")
    assert g.score == pytest.approx(3 / 4) and g.entries[3].index == (2, 2) and g.entries[3].correct is False
    assert _g(sol, "kinds(d)", "[[7, 15], [10, 22]]").score == pytest.approx(1 / 2)     # the transpose
    assert status(sol, "kinds(d)", "[7, 10, 15, 22]") == "invalid"
    assert status(sol, "kinds(d)", "[[7, 10], [15]]") == "invalid"


@pytest.mark.parametrize("text, want", [
    ("x^2 + 2*x + 1", "correct"), ("(1 + x)*(x + 1)", "correct"), ("x**2 + 2*x + 1", "correct"),
    ("x^2 + 1", "incorrect"), ("2x + 1", "invalid"), ("y^2", "invalid"), ("[x, 1]", "invalid"),
])
def test_expressions_by_derives_checker(sol, text, want):
    assert status(sol, "kinds(e)", text) == want


def test_matrix_expressions_at_random_matrices(sol):
    # d/dw |y - Xw|^2 = -2 X^T (y - X w) = 2 X^T X w - 2 X^T y
    assert status(sol, "ls", "2 * X.T @ X @ w - 2 * X.T @ y") == "correct"
    assert status(sol, "ls", "-2 * X.T @ (y - X @ w)") == "correct"
    assert status(sol, "ls", "2 * X.T @ (y - X @ w)") == "incorrect"
    assert status(sol, "ls", "X @ w") == "invalid"                          # N×1, not d×1
    assert status(sol, "ls", "X @ X") == "invalid"


def test_choice_all_or_nothing_and_per_option(sol):
    assert status(sol, "kinds(f)", "b") == "correct"
    assert status(sol, "kinds(f)", "(b)") == "correct"
    assert status(sol, "kinds(f)", "a") == "incorrect"
    assert status(sol, "kinds(f)", "a, b") == "incorrect"
    assert status(sol, "kinds(f)", "e", options=("a", "b", "c", "d")) == "invalid"
    assert status(sol, "kinds(f)", "3/4") == "invalid"
    assert status(sol, "many", "a, b") == "correct" and status(sol, "many", "b,a") == "correct"
    half = _g(sol, "many", "a")
    assert half.status == "partial" and half.score == 0.5                  # (1 right - 0 wrong) / 2
    assert _g(sol, "many", "a, c").score == 0                               # (1 - 1) / 2
    assert _g(sol, "many", "a", per_entry=False).score == 0


def test_intervals_and_shapes(sol):
    assert status(sol, "kinds(g)", "(0, 1)") == "correct"
    assert status(sol, "kinds(g)", "(0, 2/2)") == "correct"
    assert status(sol, "kinds(g)", "[0, 1]") == "incorrect"                 # closed, the key is open
    assert status(sol, "kinds(g)", "(0, 2)") == "incorrect"
    assert status(sol, "kinds(g)", "1") == "invalid"
    # a length-1000 signal, window 7, stride 3: floor((1000 - 7) / 3) + 1 = 332 positions, 5 channels
    for text in ("[5, 332]", "(5, 332)", "5, 332"):
        assert status(sol, "kinds(h)", text) == "correct"
    assert status(sol, "kinds(h)", "[332, 5]") == "incorrect"
    assert status(sol, "kinds(h)", "[5.5, 332]") == "invalid"


def test_booleans_and_manual_answers():
    acc = Acceptance("t", "boolean", True)
    r = derive.solve('problem "p" {\n let a = 1\n find a\n}\n').results[0]
    assert grade(r, "yes", accept=acc).status == "correct" and grade(r, "False", accept=acc).status == "incorrect"
    assert grade(r, "maybe", accept=acc).status == "invalid"
    prose = derive.solve('problem "p" {\n answer "Because."\n}\n').results[0]
    g = grade(prose, "because")
    assert g.status == "undecided" and g.note.endswith("-manual")


def test_same_number_is_exact_without_tolerance():
    acc = Acceptance(None, "number", sp.Rational(1, 3))
    assert same_number(acc, sp.Rational(1, 3), sp.Rational(2, 6), ()) is True
    assert same_number(acc, sp.Rational(1, 3), sp.Rational(333, 1000), (3,)) is True     # rounded, 3 digits
    assert same_number(acc, sp.Rational(1, 3), sp.Rational(333, 1000), ()) is False      # 333/1000 written exactly


def test_grade_json_is_stable(sol):
    doc = _g(sol, "kinds(c)", "[2, 4, 7]").to_json()
    assert list(doc) == ["id", "goal", "marks", "status", "score", "points", "check", "entries", "ecf",
                         "feedback", "note", "error", "response"]
    assert doc["entries"][2] == {"index": [3], "correct": False, "expected": "6", "given": "7"}
    json.dumps(doc, allow_nan=False)
    assert json.dumps(accept(sol.result("kinds(d)")).to_json())


def test_format_errors_carry_a_column(sol):
    g = _g(sol, "kinds(a)", "3 + q")
    assert g.status == "invalid" and dict(g.error) == {"kind": "format_error", "message": "unknown name `q`", "column": 5}
    assert g.note == "kinds(a)-invalid-name" and "column 5" in g.feedback
    assert isinstance(FormatError("m", 2), Exception)


def test_accepted_alternatives_are_named_in_the_feedback(sol):
    from derive.grading import Alternative
    r = sol.result("kinds(d)")                   # M @ M; under "M is stored transposed": M.T @ M.T
    alt = Alternative("M is given transposed", sp.ImmutableMatrix([[7, 15], [10, 22]]))
    acc = accept(r, alternatives=(alt,))
    g = grade(r, "[[7, 15], [10, 22]]", accept=acc)
    assert g.status == "correct" and g.note == "kinds(d)-correct-reading" and "transposed" in g.feedback
    assert grade(r, "[[7, 10], [15, 22]]", accept=acc).note == "kinds(d)-correct"
    assert grade(r, "[[0, 0], [0, 0]]", accept=acc).status == "incorrect"


def test_running_out_of_time_is_undecided_not_invalid(sol):
    g = grade(sol.result("kinds(e)"), "1 + x^2 + 2*x", time_limit=1e-9)     # (a response not graded before)
    assert g.status == "undecided" and g.note == "kinds(e)-undecided"
    assert grade(sol.result("kinds(e)"), "1 + x^2 + 2*x").status == "correct"   # an undecided verdict is not kept
    # a verdict already decided is remembered: the same response again needs no time
    assert grade(sol.result("kinds(e)"), "1 + x^2 + 2*x", time_limit=1e-9).status == "correct"


def test_unbounded_intervals_a_none_option_and_capital_letters():
    sol = derive.solve('problem "p" {\n symbol a : positive\n choices { (a) a  (b) 2*a  (c) none }\n'
                       ' find choice(a + 1)\n}\n')
    r = sol.results[0]
    assert r.answer.choice == "c"                        # the option that says "none of these"
    assert grade(r, "c").status == "correct" and grade(r, "none").status == "incorrect"
    key = sol.results[0]
    acc = Acceptance("t", "interval", sp.Interval.open(0, sp.oo))
    assert grade(key, "(0, oo)", accept=acc).status == "correct"
    assert grade(key, "(0, inf)", accept=acc).status == "correct"
    assert grade(key, "(0, 100)", accept=acc).status == "incorrect"
    assert grade(key, "oo", accept=Acceptance("n", "number", sp.Integer(1))).status == "invalid"
    c = derive.solve(SPEC).result("kinds(f)")
    assert grade(c, "B").status == "correct"
