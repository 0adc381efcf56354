"""entropy, kl, cross_entropy (with base), gini and information_gain against SciPy/NumPy."""
from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

pytest.importorskip("scipy")
import scipy.stats as scipy_stats  # noqa: E402

from learning_util import answer, error, mat, solve_one  # noqa: E402

BASES = {"2": 2, "e": math.e, "10": 10}


def _probs(rng, n, zeros=True):
    counts = rng.integers(0 if zeros else 1, 6, size=n)
    if counts.sum() == 0:
        counts[0] = 1
    return counts


@pytest.mark.parametrize("seed", range(12))
def test_entropy_matches_scipy(seed):
    rng = np.random.default_rng(seed)
    counts = _probs(rng, int(rng.integers(2, 6)))
    base = list(BASES)[seed % 3]
    expr, _ = answer(f"find entropy({mat(counts)}, base = {base})")       # counts are normalised
    assert float(expr) == pytest.approx(scipy_stats.entropy(counts, base=BASES[base]), abs=1e-12)
    probs = "[" + ", ".join(f"{c}/{counts.sum()}" for c in counts) + "]"
    expr2, _ = answer(f"find entropy({probs}, base = {base})")
    assert sp.simplify(expr - expr2) == 0


@pytest.mark.parametrize("seed", range(10))
def test_kl_and_cross_entropy_match_scipy(seed):
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(2, 6))
    p, q = _probs(rng, n), _probs(rng, n, zeros=False)
    ps = "[" + ", ".join(f"{c}/{p.sum()}" for c in p) + "]"
    qs = "[" + ", ".join(f"{c}/{q.sum()}" for c in q) + "]"
    base = list(BASES)[seed % 3]
    kl, _ = answer(f"find kl({ps}, {qs}, base = {base})")
    assert float(kl) == pytest.approx(scipy_stats.entropy(p, q, base=BASES[base]), abs=1e-12)
    ce, _ = answer(f"find cross_entropy({ps}, {qs}, base = {base})")
    pn, qn = p / p.sum(), q / q.sum()
    want = -sum(a * math.log(b, BASES[base]) for a, b in zip(pn, qn) if a > 0)
    assert float(ce) == pytest.approx(want, abs=1e-12)
    kl_e, _ = answer(f"find kl({ps}, {qs})")                                 # base e unless given
    assert float(kl_e) == pytest.approx(scipy_stats.entropy(p, q), abs=1e-12)


def test_kl_is_infinite_where_q_is_zero_and_zero_terms_are_dropped():
    assert answer("find kl([1/2, 1/2], [1, 0])")[0] == sp.oo
    r = solve_one("find entropy([1/2, 1/2, 0])")
    assert r.answer.expr == 1
    assert any("convention" in str(s.text) for s in r.steps)


@pytest.mark.parametrize("seed", range(8))
def test_gini_and_information_gain_by_hand(seed):
    rng = np.random.default_rng(200 + seed)
    k = int(rng.integers(2, 4))
    children = rng.integers(0, 6, size=(int(rng.integers(2, 4)), k))
    children[:, 0] += 1                                        # no empty child
    parent = children.sum(axis=0)
    g, _ = answer(f"find gini({mat(parent)})")
    pn = parent / parent.sum()
    assert float(g) == pytest.approx(1 - (pn ** 2).sum(), abs=1e-12)
    ig, _ = answer(f"find information_gain({mat(parent)}, {mat(children)})")
    n = parent.sum()
    want = scipy_stats.entropy(parent, base=2) - sum(c.sum() / n * scipy_stats.entropy(c, base=2) for c in children)
    assert float(ig) == pytest.approx(want, abs=1e-12)


def test_cross_entropy_without_base_is_still_the_network_loss():
    r = solve_one("let y = [0, 0, 1]\nlet y_hat = [0.1, 0.2, 0.7]\nfind cross_entropy(y, y_hat)")
    assert r.error is None and r.answer.expr == sp.log(sp.Rational(10, 7))
    assert "prediction" in str(r.steps[0].text)                  # the evaluate deriver's steps


@pytest.mark.parametrize("body, at, words", [
    ("find entropy([1/2, 1/3])", "[1/2", "summing to 1"),
    ("find entropy([-1, 2])", "[-1", "nonnegative"),
    ("find entropy([1, 1], base = 3)", "3", "2, 10 or e"),
    ("find kl([1/2, 1/2], [1/3, 1/3, 1/3])", "kl", "entries"),
    ("find information_gain([3, 3], [[1, 1], [1, 1]])", "[[", "add up to"),
    ('find entropy(["a", "b"])', "[", "numbers"),
])
def test_bad_input_is_an_error_at_the_argument(body, at, words):
    e = error(body)
    assert (e.line, e.column) == (2, body.index(at) + 1) and words in e.message, (e.column, e.message)


def test_a_list_of_strings_is_an_answer_with_quoted_text_and_a_refusal_in_arithmetic():
    r = solve_one('let y = ["spam", "ham"]\nfind y')
    assert r.answer.text == '["spam", "ham"]' and r.answer.value == ["spam", "ham"]
    e = error('let y = ["spam", "ham"]\nfind y + 1')
    assert "list of strings" in e.message and (e.line, e.column) == (3, 6)


def test_log2_of_a_zero_entry_in_an_expression_points_to_the_entropy_goal():
    e = error("let q = [1/2, 1/2, 0]\nfind -sum(q * log2(q))")
    assert "log of 0 is undefined" in e.message and "entropy(p)" in e.message and (e.line, e.column) == (3, 20)
    assert answer("let q = [1/2, 1/2, 0]\nfind entropy(q)")[0] == 1
