"""kmeans against scikit-learn's KMeans with the same initial centroids (n_init = 1, Lloyd)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import sympy as sp

pytest.importorskip("sklearn")
import sklearn.cluster as sklearn_cluster  # noqa: E402

from learning_util import answer, error, mat, solve_one  # noqa: E402


def _sk(X, init, steps):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        km = sklearn_cluster.KMeans(n_clusters=len(init), init=init, n_init=1, max_iter=steps, tol=0,
                                    algorithm="lloyd").fit(X)
    return km


def _lloyd(X, C, steps):
    """A hand-written NumPy Lloyd loop with the goal's conventions (for the iteration count)."""
    labels_before = None
    for t in range(steps):
        labels = np.argmin(((X[:, None, :] - C[None, :, :]) ** 2).sum(axis=2), axis=1)
        if labels_before is not None and (labels == labels_before).all():
            return C, t, True, labels
        C = np.array([X[labels == k].mean(axis=0) if (labels == k).any() else C[k] for k in range(len(C))])
        labels_before = labels
    return C, steps, False, labels_before


@pytest.mark.parametrize("seed", range(16))
def test_kmeans_matches_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    while True:        # no empty cluster: scikit-learn relocates it, derive keeps the old centroid
        n, d, k = int(rng.integers(4, 9)), int(rng.integers(1, 4)), int(rng.integers(2, 4))
        X = rng.integers(-5, 6, size=(n, d)).astype(float)
        init = X[rng.choice(n, size=k, replace=False)] + rng.integers(-1, 2, size=(k, d)) * 0.5
        init[0] += 0.25
        steps = int(rng.integers(1, 5))
        C_np, iters, converged, labels = _lloyd(X, init.copy(), steps)
        if all((labels == j).any() for j in range(k)):
            break
    expr, extra = answer(f"find kmeans({mat(X)}, init = {mat(init)}, steps = {steps})")
    got = np.array(expr.tolist(), dtype=float)
    np.testing.assert_allclose(got, C_np, atol=1e-12)
    km = _sk(X, init, steps)
    np.testing.assert_allclose(got, km.cluster_centers_, atol=1e-9)
    assert (extra["converged"], extra["iterations"]) == (converged, iters)
    if converged:
        assert extra["assignments"] == [int(a) + 1 for a in km.labels_]
        assert extra["objective"] == pytest.approx(km.inertia_, abs=1e-9)


def test_empty_cluster_keeps_its_centroid_and_says_so():
    r = solve_one("find kmeans([[0, 0], [1, 0], [0, 1]], init = [[0, 0], [10, 10]], steps = 1)")
    assert r.error is None
    assert r.answer.expr.tolist()[1] == [10, 10]
    assert any("empty" in str(s.text) for top in r.steps for s in top.walk())


def test_converged_run_says_so():
    r = solve_one("find kmeans([1, 2, 10, 12], init = [1, 2])")
    assert r.error is None and r.answer.expr.tolist() == [[sp.Rational(3, 2)], [11]]
    assert "converged" in str(r.steps[-1].text)


@pytest.mark.parametrize("body, at, words", [
    ("find kmeans([[1, 2], [3]], init = [[1, 2]])", "[[1, 2], [3]]", "different lengths"),
    ("find kmeans([[1, 2], [3, 4]], init = [[1, 2, 3]])", "[[1, 2, 3]]", "coordinates"),
    ("find kmeans([[1, 2], [3, 4]], init = [[1, 2], [3, 4], [5, 6]])", "[[1, 2], [3, 4], [5", "cannot exceed"),
    ("find kmeans([[1, 2], [3, 4]], init = [[1, 2]], steps = 0)", "0", "whole number"),
    ("find kmeans([[1, 2], [3, 4]])", "kmeans", "init"),
])
def test_bad_input_is_an_error_at_the_argument(body, at, words):
    e = error(body)
    assert (e.line, e.column) == (2, body.index(at) + 1) and words in e.message, (e.column, e.message)
