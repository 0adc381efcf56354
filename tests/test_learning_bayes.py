"""naive_bayes against scikit-learn's CategoricalNB (alpha = smoothing, priors from the
data) and, without smoothing, a hand count."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

pytest.importorskip("sklearn")
import sklearn.naive_bayes as sklearn_nb  # noqa: E402

from learning_util import answer, error, mat, words  # noqa: E402


def _dense(col):
    """Categories recoded 0..K-1 in sorted order (CategoricalNB counts max + 1 categories)."""
    return np.searchsorted(np.unique(col), col)


def _data(rng):
    while True:
        n, d = int(rng.integers(4, 10)), int(rng.integers(1, 4))
        X = np.stack([_dense(rng.integers(0, 3, size=n)) for _ in range(d)], axis=1)
        y = rng.integers(0, 2 + int(rng.integers(0, 2)), size=n)
        if len(set(y)) > 1:
            return X, y, X[rng.integers(0, n)]


@pytest.mark.parametrize("seed", range(14))
def test_naive_bayes_matches_categorical_nb(seed):
    rng = np.random.default_rng(seed)
    X, y, q = _data(rng)
    alpha = [1, 0.5, 2][seed % 3]
    names = np.array(["a", "b", "c"])[y]
    expr, extra = answer(f"find naive_bayes({mat(X)}, {words(list(names))}, {mat(q)}, smoothing = {alpha})")
    sk = sklearn_nb.CategoricalNB(alpha=alpha, force_alpha=True).fit(X, names)
    proba = sk.predict_proba(q.reshape(1, -1))[0]
    np.testing.assert_allclose([extra["posterior"][c] for c in sk.classes_], proba, atol=1e-12)
    assert expr == sk.predict(q.reshape(1, -1))[0]


def _by_hand(X, y, q):
    scores = {}
    for c in sorted(set(y)):
        rows = X[y == c]
        s = Fraction(len(rows), len(y))
        for j, v in enumerate(q):
            s *= Fraction(int((rows[:, j] == v).sum()), len(rows))
        scores[c] = s
    return scores


@pytest.mark.parametrize("seed", range(6))
def test_without_smoothing_the_counts_are_the_likelihoods(seed):
    rng = np.random.default_rng(50 + seed)
    X, y, q = _data(rng)
    scores = _by_hand(X, y, q)
    total = sum(scores.values())
    body = f"find naive_bayes({mat(X)}, {mat(y)}, {mat(q)})"
    if total == 0:
        assert "smoothing = 1" in error(body).message
        return
    expr, extra = answer(body)
    for c, s in scores.items():
        assert extra["posterior"][str(c)] == pytest.approx(float(s / total), abs=1e-12)
    assert expr == max(scores, key=lambda c: (scores[c], -c))


@pytest.mark.parametrize("body, at, words_", [
    ('find naive_bayes([["a"], ["b"]], [0, 1], ["c"])', '["c"]', "never takes"),
    ('find naive_bayes([["a"], ["b"]], [0, 1], ["a", "b"])', '["a", "b"]', "features"),
    ('find naive_bayes([["a"], ["b"]], [0, 1, 0], ["a"])', "[0, 1, 0]", "labels"),
    ('find naive_bayes([["a"], ["b"]], [0, 1], ["a"], smoothing = -1)', "-1", "α ≥ 0"),
    ('find naive_bayes([["a", "x"], ["b", "y"]], [0, 1], ["a", "y"])', '["a", "y"]', "0/0"),
])
def test_bad_input_is_an_error_at_the_argument(body, at, words_):
    e = error(body)
    assert (e.line, e.column) == (2, body.index(at) + 1) and words_ in e.message, (e.column, e.message)
