"""Metrics from counts (issue 11) against scikit-learn on label vectors built to have those
counts and against a hand computation; bad counts; elementwise `/` of two given tensors."""
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_score, recall_score

import derive


def solve(goal: str, lets: str = "") -> object:
    (r,) = derive.solve(f'problem "m" {{\n{lets}\n find {goal}\n}}').results
    return r


def labels_with(tp: int, fp: int, fn: int, tn: int) -> tuple[np.ndarray, np.ndarray]:
    """(y_true, y_pred) with exactly these counts, in a shuffled order."""
    y_true = np.array([1] * tp + [0] * fp + [1] * fn + [0] * tn)
    y_pred = np.array([1] * tp + [1] * fp + [0] * fn + [0] * tn)
    order = np.random.default_rng(tp * 1000 + fp * 100 + fn * 10 + tn).permutation(len(y_true))
    return y_true[order], y_pred[order]


def exact(r) -> Fraction:
    return Fraction(int(r.answer.expr.p), int(r.answer.expr.q))


counts = st.tuples(*[st.integers(0, 40)] * 4).filter(lambda c: sum(c) > 0)


@settings(max_examples=25, deadline=None)
@given(counts)
def test_ratios_from_counts_match_sklearn(c):
    tp, fp, fn, tn = c
    y, p = labels_with(*c)
    kw = f"tp = {tp}, fp = {fp}, fn = {fn}, tn = {tn}"
    assert float(exact(solve(f"precision({kw})"))) == pytest.approx(precision_score(y, p, zero_division=0))
    assert float(exact(solve(f"recall({kw})"))) == pytest.approx(recall_score(y, p, zero_division=0))
    assert float(exact(solve(f"f1({kw})"))) == pytest.approx(f1_score(y, p, zero_division=0))
    assert float(exact(solve(f"accuracy({kw})"))) == pytest.approx(accuracy_score(y, p))
    m = solve(f"confusion({kw})").answer.expr
    assert [[int(x) for x in m.row(i)] for i in range(2)] == confusion_matrix(y, p, labels=[0, 1]).tolist()


def test_the_issue_example_by_hand():
    assert solve("precision(tp = 96, fp = 8)").answer.expr == Fraction(96, 104)
    assert solve("recall(tp = 96, fn = 4)").answer.expr == Fraction(96, 100)
    # F1 = 2PR/(P + R) with P = 12/13, R = 24/25
    P, R = Fraction(12, 13), Fraction(24, 25)
    assert solve("f1(tp = 96, fp = 8, fn = 4)").answer.expr == 2 * P * R / (P + R)
    assert solve("accuracy(tp = 96, fp = 8, fn = 4, tn = 92)").answer.expr == Fraction(188, 200)


def test_counts_from_lets_and_every_step_checked_or_defined():
    r = solve("f1(tp = t, fp = 8, fn = 4)", " let t = 96")
    assert r.ok and r.answer.expr == Fraction(16, 17)
    assert all(s.checked is not False for s in r.steps)
    assert r.steps[1].checked is True


def test_zero_division_from_counts():
    r = solve("precision(tp = 0, fp = 0, zero_division = 1)")
    assert r.answer.expr == 1 and "zero_division" in str(r.steps[-1].text)
    assert solve("recall(tp = 0, fn = 0)").answer.expr == 0


@pytest.mark.parametrize("goal, col, words", [
    ("precision(tp = 96)", 7, "needs `fp`"),
    ("accuracy(tp = 1, fp = 2)", 7, "needs `fn` (false negatives) and `tn`"),
    ("precision(tp = -1, fp = 2)", 22, "cannot be negative"),
    ("recall(tp = 2.5, fn = 2)", 19, "whole number"),
    ("recall(tp = v, fn = 2)", 19, "whole number, not a vector"),
    ("f1(v, v, tp = 3)", 10, "not both"),
    ("accuracy(tp = 1, fp = 2, fn = 3, tn = 4, threshold = 0.5)", 60, "applies to scores"),
    ("precision(v)", 7, "or the counts"),
])
def test_bad_counts_are_errors_at_the_argument(goal, col, words):
    r = solve(goal, " let v = [1, 0]")
    assert not r.ok and words in r.error.message
    assert (r.error.line, r.error.column) == (3, col)


def test_elementwise_division_of_two_given_vectors():
    r = solve("a / b", " let a = [1, 2, 3]\n let b = [2, 4, 5]")
    assert r.ok and list(r.answer.expr) == [Fraction(1, 2), Fraction(1, 2), Fraction(3, 5)]
    assert r.steps[0].checked is True
    np.testing.assert_allclose(np.array(r.answer.value, dtype=float).ravel(), np.array([1, 2, 3]) / np.array([2, 4, 5]))
    r = solve("(A - 1) / A", " let A = [[1, 2], [4, 8]]")
    assert r.ok and r.answer.expr.tolist() == [[0, Fraction(1, 2)], [Fraction(3, 4), Fraction(7, 8)]]
    assert solve("2 / b", " let b = [2, 4]").answer.expr.tolist() == [[1], [Fraction(1, 2)]]


@pytest.mark.parametrize("goal, words", [("a / z", "division by zero (an entry of the divisor is 0)"),
                                         ("a / M", "shape mismatch in elementwise `/`")])
def test_elementwise_division_errors(goal, words):
    r = solve(goal, " let a = [1, 2]\n let z = [3, 0]\n let M = [[1, 2], [3, 4]]")
    assert not r.ok and words in r.error.message and (r.error.line, r.error.column) == (5, 7)


def test_hadamard_quotient_prints_in_every_format_and_refuses_a_zero_entry():
    import sympy as sp
    from derive.mathml import mathml
    from derive.model.elementwise import HadamardDiv
    from derive.pretty import inline
    from derive.printing import latex
    a, b = sp.MatrixSymbol("a", 2, 1), sp.MatrixSymbol("b", 2, 1)
    q = HadamardDiv(a + b, b)
    assert latex(q) == r"\left(a + b\right) \oslash b" and "⊘" in inline(q) and "⊘" in mathml(q)
    assert q.shape == (2, 1) and q._entry(1, 0) == (a[1, 0] + b[1, 0]) / b[1, 0]
    with pytest.raises(ZeroDivisionError):
        HadamardDiv(sp.ImmutableMatrix([1, 2]), sp.ImmutableMatrix([1, 0])).doit()


def test_the_example_spec_solves_and_agrees_with_sklearn():
    from pathlib import Path
    sol = derive.solve(str(Path(__file__).resolve().parents[1] / "examples" / "metrics-counts.spec"))
    assert sol.ok
    first, second = sol.problems
    y, p = labels_with(96, 8, 4, 92)
    got = [float(r.answer.expr) for r in first.results[:5] if not hasattr(r.answer.expr, "shape")]
    want = [precision_score(y, p), recall_score(y, p), f1_score(y, p), accuracy_score(y, p)]
    assert got == pytest.approx(want)
    # per-class recall: labels built with 36 of 40, 20 of 25 and 21 of 35 right
    yt = np.repeat([0, 1, 2], [40, 25, 35])
    yp = yt.copy()
    yp[36:40], yp[40 + 20:65], yp[65 + 21:] = 1, 2, 0
    (r,) = second.results
    assert [float(x) for x in r.answer.expr] == pytest.approx(list(recall_score(yt, yp, average=None)))
    for fmt in ("md", "latex", "html", "text", "json"):
        assert sol.render(fmt)
