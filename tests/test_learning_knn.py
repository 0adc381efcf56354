"""knn against scikit-learn's KNeighborsClassifier (brute force, uniform weights)."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("sklearn")
import sklearn.neighbors as sklearn_neighbors  # noqa: E402

from learning_util import answer, error, mat, words  # noqa: E402


@pytest.mark.parametrize("seed", range(16))
def test_knn_matches_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    metric = ["euclidean", "manhattan"][seed % 2]
    while True:        # no distance tie across the k-th place: which one scikit-learn takes is unspecified
        n, d = int(rng.integers(4, 10)), int(rng.integers(1, 4))
        X = rng.integers(-5, 6, size=(n, d)).astype(float)
        q = rng.integers(-5, 6, size=d).astype(float) + 0.5
        k = int(rng.integers(1, min(n, 5) + 1))
        dist = np.sort(np.sqrt(((X - q) ** 2).sum(1)) if metric == "euclidean" else np.abs(X - q).sum(1))
        if k == n or dist[k] - dist[k - 1] > 1e-9:
            break
    names = np.array(["cat", "dog", "emu"])[rng.integers(0, 3, size=n)]
    expr, extra = answer(f'find knn({mat(X)}, {words(list(names))}, {mat(q)}, k = {k}, metric = "{metric}")')
    sk = sklearn_neighbors.KNeighborsClassifier(n_neighbors=k, metric=metric, algorithm="brute").fit(X, names)
    assert expr == sk.predict(q.reshape(1, -1))[0]
    near = sk.kneighbors(q.reshape(1, -1), return_distance=False)[0]
    assert sorted(extra["neighbours"]) == sorted(int(i) + 1 for i in near)


def test_numeric_labels_and_a_tied_vote_go_to_the_smallest_class():
    expr, extra = answer("find knn([[0], [2], [4], [9]], [1, 1, 0, 0], [3], k = 2)")
    assert expr == 0 and extra["votes"] == {"0": 1, "1": 1}


@pytest.mark.parametrize("body, at, words_", [
    ("find knn([[1, 2], [3, 4]], [0, 1], [1, 2], k = 3)", "3)", "from 1 to 2"),
    ("find knn([[1, 2], [3, 4]], [0, 1, 1], [1, 2], k = 1)", "[0, 1, 1]", "labels"),
    ("find knn([[1, 2], [3, 4]], [0, 1], [1, 2, 3], k = 1)", "[1, 2, 3]", "features"),
    ('find knn([[1, 2], [3, 4]], [0, 1], [1, 2], k = 1, metric = "cosine")', '"cosine"', "euclidean"),
    ("find knn([[1, 2], [3, 4]], [0, 1], [1, 2])", "knn", "give `k`"),
])
def test_bad_input_is_an_error_at_the_argument(body, at, words_):
    e = error(body)
    assert (e.line, e.column) == (2, body.index(at) + 1) and words_ in e.message, (e.column, e.message)
