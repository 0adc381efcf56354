"""derive.grading.fast: the short routes give the general route's verdicts, and the key's
work and the responses seen are kept.

Every expectation is worked out by hand: 3/4 = 0.75; 5/6 = 0.8333...; log 3 = 1.098612...;
[[1, 2], [3, 4]]^2 = [[7, 10], [15, 22]]; (x + 1)^2 = x^2 + 2x + 1.  The differential
tests grade the same responses with the short routes switched off and compare."""
from __future__ import annotations

from fractions import Fraction as F

import pytest
import sympy as sp

import derive
from derive.grading import accept, fast, grade

SPEC = '''problem "p" {
  symbol x
  let M = [[1, 2], [3, 4]]
  (a) find 3 / 4
  (b) find 5 / 6
  (c) find log(3)
  (d) find M @ M
  (e) find 2 * [1, 2, 3]
  (f) find (x + 1)^2
  (g) find 1200
}
'''


@pytest.fixture(scope="module")
def sol():
    return derive.solve(SPEC)


@pytest.mark.parametrize("text, want", [
    ("18", (F(18), ())), ("-3/4", (F(-3, 4), ())), ("+0.750", (F(3, 4), (3,))), ("1e-3", (F(1, 1000), (1,))),
    ("1.5 / 3", (F(1, 2), (2,))), ("  6/8 ", (F(3, 4), ())), ("0.0340", (F(34, 1000), (3,))),
    ("3/0", None), ("3/4/5", None), ("x", None), ("２４", None), ("1e99999", None), ("- 3", None), ("", None),
])
def test_number_literals_are_read_into_fractions(text, want):
    assert fast.literal(text) == want


@pytest.mark.parametrize("k, mag", [(F(1000), 3), (F(999), 2), (F(1, 1000), -3), (F(999, 100000), -3),
                                    (F(-75, 100), -1), (F(0), 0), (F(1), 0), (F(10 ** 40 + 1), 40)])
def test_the_exact_magnitude_is_floor_log10(k, mag):
    assert fast._exact_mag(k) == mag


@pytest.mark.parametrize("rid, text, kw, want", [
    ("1(a)", "0.75", {}, "correct"), ("1(a)", "0.7500001", {}, "incorrect"), ("1(a)", "-0.75", {}, "incorrect"),
    ("1(b)", "0.833", {}, "correct"),      # 5/6 rounded to 3 digits
    ("1(b)", "0.834", {}, "incorrect"), ("1(b)", "0.83", {}, "incorrect"),  # 2 digits: fewer than 3
    ("1(b)", "5/6", {}, "correct"), ("1(b)", "10/12", {}, "correct"),
    ("1(c)", "1.0986", {}, "correct"), ("1(c)", "1.0987", {}, "incorrect"), ("1(c)", "11/10", {}, "incorrect"),
    ("1(a)", "0.745", {"sigfigs": 2}, "correct"),     # |0.745 - 0.75| = 0.005 <= 0.51 * 10^-2
    ("1(a)", "0.744", {"sigfigs": 2}, "incorrect"),   # 0.006 > 0.0051
    ("1(a)", "0.757", {"rtol": 0.01}, "correct"),     # 0.007 <= 0.0075
    ("1(a)", "0.758", {"rtol": 0.01}, "incorrect"),   # 0.008 > 0.0075
    ("1(c)", "1.1", {"sigfigs": 2}, "correct"),       # |1.1 - 1.0986| <= 0.051
    ("1(c)", "1.19", {"atol": 0.1}, "correct"),       # 1.19 - 1.0986 = 0.0914 <= 0.1
    ("1(c)", "1.2", {"atol": 0.1}, "incorrect"),      # 1.2 - 1.0986 = 0.1014 > 0.1
    ("1(g)", "1.2e3", {}, "correct"), ("1(g)", "1250", {"sigfigs": 2}, "correct"),   # 50 <= 0.51 * 10^2
    ("1(g)", "1260", {"sigfigs": 2}, "incorrect"),
])
def test_numbers_on_the_short_route(sol, rid, text, kw, want):
    acc = accept(sol.result(rid), **kw)
    assert fast.number(acc, fast.key_side(acc), text) is not None       # it is the short route that answers
    assert grade(sol.result(rid), text, accept=acc).status == want


def _general(monkeypatch):
    """Switch the short routes off (the general route alone decides)."""
    monkeypatch.setattr(fast, "number", lambda *a: None)
    monkeypatch.setattr(fast, "tensor", lambda *a: None)
    monkeypatch.setattr(fast, "arithmetic", lambda *a: None)
    monkeypatch.setattr(fast, "expression", lambda *a, **k: None)


CASES = [("1(a)", t) for t in ("3/4", "0.75", "-3/4", "0.7", "6/8", "-0.75", "75e-2", "1/0")] + \
    [("1(a)", t) for t in ("1/2 + 1/4", "0.5 + 0.25", "3*2^-2", "-(1/4 - 1)", "1/(2 - 2)", "2^100", "2^1001",
                           "(3/4)^1", "0^-1", "1/4 - 1", "3/2/2", "+0.750 * 1")] + \
    [("1(c)", t) for t in ("ln(9)/2", "log(3)", "log(9) - log(3)", "-log(3)", "log(3) + 10^-40", "11/10 - 0.0014")] + \
    [("1(b)", t) for t in ("0.833", "0.8333", "0.83", "-0.833", "5/6", "0.834")] + \
    [("1(c)", t) for t in ("1.0986", "1.099", "1.09", "-1.0986", "1.1")] + \
    [("1(d)", t) for t in ("[[7, 10], [15, 22]]", "[[7, 10], [15, 21]]", "[[7, 15], [10, 22]]", "[[7.0, 10], [15, 22]]",
                           "[[0, 0], [0, 0]]", "[7, 10, 15, 22]", "[[7, 10], [15]]", "[[7, 10, 1], [15, 22, 1]]")] + \
    [("1(e)", t) for t in ("[2, 4, 6]", "[[2, 4, 6]]", "[2, 4, 7]", "[2, 4]", "[2, 4, 6,]", "[[2], [4], [6]]")] + \
    [("1(f)", t) for t in ("x^2 + 2*x + 1", "(1 + x)*(x + 1)", "-(x + 1)^2", "x^2 + 1", "-x^2 - 2*x - 1",
                           "(x + 1)^4 / (x + 1)^2", "(x^2 - 1)/(x - 1) + x", "x^2 + 2*x + 1 + 0*x^5", "1/(x - x)",
                           "2^-1 * (2*x^2 + 4*x + 2)", "sqrt(x^2) + x^2 + x + 1")]


@pytest.mark.parametrize("kw", [{}, {"sigfigs": 2}, {"rtol": 0.01}, {"per_entry": False}])
def test_the_short_routes_give_the_general_routes_grades(sol, monkeypatch, kw):
    def grades():
        out = []
        for rid, text in CASES:
            if kw.get("sigfigs") and rid == "1(f)":
                continue
            acc = accept(sol.result(rid), **kw)        # (a new Acceptance: nothing remembered)
            out.append(grade(sol.result(rid), text, accept=acc).to_json())
        return out
    fast.forget_responses()
    short = grades()
    _general(monkeypatch)
    fast.forget_responses()
    assert grades() == short


def test_tensor_entries_and_shapes(sol):
    g = grade(sol.result("1(d)"), "[[7, 10], [15, 21]]")
    assert g.status == "partial" and g.score == pytest.approx(3 / 4) and g.note == "1(d)-entries-3/4"
    assert [(e.index, e.correct, e.expected, e.given) for e in g.entries][3] == ((2, 2), False, "22", "21")
    assert "1 of 4 entries are wrong (at (2, 2))" in g.feedback
    assert grade(sol.result("1(e)"), "[[2, 4, 6]]").status == "correct"         # a row for the column key
    bad = grade(sol.result("1(d)"), "[7, 10, 15, 22]")                          # the general route explains
    assert bad.status == "invalid" and "shape 2×2" in dict(bad.error)["message"]
    acc = accept(sol.result("1(d)"))
    v = fast.tensor(acc, fast.key_side(acc), "[[7, 10.0], [15, 22]]")
    assert v.score == 1 and v.given == sp.ImmutableMatrix([[7, 10], [15, 22]])
    assert fast.tensor(acc, fast.key_side(acc), "[[7, 10], [15, 23]]").given is None   # (the entries say it)


def test_expressions_at_the_keys_points(sol):
    acc = accept(sol.result("1(f)"))
    side = fast.key_side(acc)
    x = next(s for s in acc.value.free_symbols)
    assert fast.expression(side, x ** 2 + 2 * x + 1, sign=True) == (True, False)
    assert fast.expression(side, -(x + 1) ** 2, sign=True) == (False, True)
    assert fast.expression(side, x ** 2 + 1, sign=True) == (False, False)
    assert fast.expression(side, sp.Symbol("y") + x, sign=True) is None        # a symbol the key has not
    assert fast.expression(side, sp.exp(x), sign=True) is None                 # not exact: derive's checker decides
    assert grade(sol.result("1(f)"), "-(x + 1)^2").note == "1(f)-wrong-sign"
    assert fast.key_side(acc) is side                                           # the key's points, once


def test_responses_seen_are_remembered(sol):
    r = sol.result("1(f)")
    acc = accept(r)
    first = grade(r, "x^2 + 2*x + 1", accept=acc)
    assert fast.key_side(acc).seen                                              # kept
    assert grade(r, "x^2 + 2*x + 1", accept=acc) == first
    bad = grade(r, "x^^2", accept=acc)
    again = grade(r, "x^^2", accept=acc)
    assert bad.status == again.status == "invalid" and bad.error == again.error and dict(bad.error)["column"] == 3
    n = len(fast.key_side(acc).seen)
    grade(r, "x*x + 2*x + 1", accept=acc, names={"z": sp.Symbol("z")})         # names: never remembered
    assert len(fast.key_side(acc).seen) == n
    fast.forget_responses()
    assert not fast.key_side(acc).seen


def test_the_default_acceptance_is_made_once_per_result(sol):
    """grade() and grade_solution() without `accept` share one Acceptance per result, so
    that a class's repeated answers are remembered (and the key's work done once)."""
    from derive.grading import grade_solution
    from derive.grading.acceptance import accept_once
    r = sol.result("1(a)")
    assert accept_once(r) is accept_once(r) and accept_once(r) == accept(r)
    assert accept_once(r, marks=F(2)).marks == 2 and accept_once(r, marks=F(2)) is accept_once(r, marks=F(2))
    fast.forget_responses()
    grade(r, "0.75")
    assert "0.75" in fast.key_side(accept_once(r)).seen
    first = grade_solution(sol, {"1(a)": "3/4"})
    assert [g.status for g in first][:1] == ["correct"]
    assert grade_solution(sol, {"1(a)": "3/4"}) == first


def test_a_key_side_lives_as_long_as_its_acceptance(sol):
    """The work kept for a key (and the verdicts seen) goes with the Acceptance: a
    grading service that makes Acceptances for one exam after another does not grow."""
    import gc
    accs = [accept(sol.result("1(a)"), rtol=0.01 * (k + 1)) for k in range(5)]
    for acc in accs:
        grade(sol.result("1(a)"), "0.75", accept=acc)
    ids = {id(a) for a in accs}
    assert ids <= set(fast._SIDES)
    del accs, acc
    gc.collect()
    assert not ids & set(fast._SIDES)


def test_polynomial_answers_are_compared_mod_p(sol):
    """derive.grading.modular: residues mod 2^61 - 1 at the key's points give the exact
    route's verdicts on rational functions, and None on what is not one."""
    from derive.grading import modular
    acc = accept(sol.result("1(f)"))
    side = fast.key_side(acc)
    lanes, keys = side.residues
    x = next(iter(acc.value.free_symbols))
    from derive import fasteval
    exact = [fasteval.evaluate((x + 1) ** 2, env) for _, env, _ in side.points[1]]
    assert keys == tuple(modular.residue(v) for v in exact)
    assert modular.values(x ** 2 + 2 * x + 1, lanes, len(keys)) == keys
    assert modular.values(sp.exp(x), lanes, len(keys)) is None
    assert modular.values(1 / (x - x + 0 * x), lanes, len(keys)) is None          # (1/0: sympy's zoo)
    assert modular.residue(F(3, 4)) * 4 % modular.P == 3
    assert modular.residue(F(1, modular.P)) is None
