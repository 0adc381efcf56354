"""best_split against scikit-learn's DecisionTreeClassifier root split (max_depth = 1):
the best gain (parent impurity minus the weighted impurity of the children), the feature
and the threshold when no other candidate ties."""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

pytest.importorskip("sklearn")
import sklearn.tree as sklearn_tree  # noqa: E402
pytest.importorskip("scipy")
import scipy.stats as scipy_stats  # noqa: E402

from learning_util import answer, error, mat, words  # noqa: E402


def _root_gain(tree) -> float:
    t = tree.tree_
    left, right = t.children_left[0], t.children_right[0]
    n = t.weighted_n_node_samples
    return t.impurity[0] - (n[left] * t.impurity[left] + n[right] * t.impurity[right]) / n[0]


def _all_gains(X, y, criterion):
    def imp(lab):
        _, c = np.unique(lab, return_counts=True)
        p = c / c.sum()
        return scipy_stats.entropy(p, base=2) if criterion == "entropy" else 1 - (p ** 2).sum()
    out = []
    for j in range(X.shape[1]):
        vals = np.unique(X[:, j])
        for t in (vals[:-1] + vals[1:]) / 2:
            left, right = y[X[:, j] <= t], y[X[:, j] > t]
            out.append((imp(y) - (len(left) * imp(left) + len(right) * imp(right)) / len(y), j, t))
    return out


@pytest.mark.parametrize("seed", range(16))
def test_best_split_matches_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    criterion = ["entropy", "gini"][seed % 2]
    while True:
        n, d = int(rng.integers(4, 10)), int(rng.integers(1, 4))
        X = rng.integers(0, 6, size=(n, d)).astype(float)
        y = rng.integers(0, 2 + seed % 2, size=n)
        if len(set(y)) > 1 and any(len(set(X[:, j])) > 1 for j in range(d)):
            break
    expr, extra = answer(f'find best_split({mat(X)}, {mat(y)}, criterion = "{criterion}")')
    sk = sklearn_tree.DecisionTreeClassifier(max_depth=1, criterion=criterion, random_state=0).fit(X, y)
    assert extra["gain"] == pytest.approx(_root_gain(sk), abs=1e-9)
    gains = _all_gains(X, y, criterion)
    best = max(g for g, _, _ in gains)
    firsts = [(j, t) for g, j, t in gains if abs(g - best) < 1e-12]
    assert (extra["feature"] - 1, extra["threshold"]) == firsts[0]
    if len(firsts) == 1:
        assert (sk.tree_.feature[0], sk.tree_.threshold[0]) == (firsts[0][0], pytest.approx(firsts[0][1]))
    assert expr == sp.Le(sp.Symbol(f"x_{extra['feature']}"), sp.nsimplify(extra["threshold"]))


def test_categorical_features_split_into_one_child_per_value():
    F = [["sunny", "hot"], ["sunny", "mild"], ["rain", "mild"], ["rain", "hot"], ["cloudy", "hot"]]
    y = ["no", "no", "yes", "yes", "yes"]
    expr, extra = answer(f'find best_split({words(F)}, {words(y)}, names = ["outlook", "temp"])')
    assert expr == sp.Symbol("outlook") and extra["feature"] == 1
    want = scipy_stats.entropy([2, 3], base=2)                # every child is pure
    assert extra["gain"] == pytest.approx(want, abs=1e-12)


@pytest.mark.parametrize("body, at, words_", [
    ("find best_split([[1, 2], [3, 4]], [0, 1, 1])", "[0, 1, 1]", "labels"),
    ("find best_split([[1, 2], [3, 4]], [1, 1])", "[1, 1]", "pure"),
    ("find best_split([[1, 2], [1, 2]], [0, 1])", "[[1, 2], [1, 2]]", "no split"),
    ('find best_split([[1, 2], [3, 4]], [0, 1], criterion = "mse")', '"mse"', "entropy"),
    ('find best_split([[1, 2], [3, 4]], [0, 1], names = ["a"])', '["a"]', "names"),
])
def test_bad_input_is_an_error_at_the_argument(body, at, words_):
    e = error(body)
    assert (e.line, e.column) == (2, body.index(at) + 1) and words_ in e.message, (e.column, e.message)
