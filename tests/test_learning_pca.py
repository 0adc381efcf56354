"""pca against scikit-learn's PCA (components with its sign convention, explained-variance
ratios, projections) and NumPy's eigvalsh of the covariance (ddof 0 and 1)."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("sklearn")
import sklearn.decomposition as sklearn_decomposition  # noqa: E402

from learning_util import answer, error, mat, solve_one  # noqa: E402


def _data(seed):
    rng = np.random.default_rng(seed)
    n, d = int(rng.integers(3, 7)), int(rng.integers(2, 4)) if seed % 3 else 2
    while True:
        X = rng.integers(-4, 5, size=(n, d)).astype(float)
        ev = np.linalg.eigvalsh(np.cov(X.T, ddof=0))
        if np.min(np.diff(ev)) > 1e-6 and ev[-1] > 1e-6:      # distinct eigenvalues: unique components
            return X


@pytest.mark.parametrize("seed", range(14))
def test_pca_matches_scikit_learn(seed):
    X = _data(seed)
    n, d = X.shape
    k = 1 + seed % d
    ddof = seed % 2
    expr, extra = answer(f"find pca({mat(X)}, k = {k}, ddof = {ddof})")
    got = np.array(expr.evalf(30).tolist(), dtype=float)
    sk = sklearn_decomposition.PCA(n_components=k, svd_solver="full").fit(X)
    np.testing.assert_allclose(got, sk.components_, atol=1e-6)      # sign convention included
    np.testing.assert_allclose(extra["explained_variance_ratio"], sk.explained_variance_ratio_, atol=1e-9)
    np.testing.assert_allclose(extra["projections"], sk.transform(X), atol=1e-6)
    lam = np.sort(np.linalg.eigvalsh(np.cov(X.T, ddof=ddof)))[::-1]
    np.testing.assert_allclose(extra["eigenvalues"], lam, atol=1e-9)


def test_exact_when_the_eigenvectors_are_plain_radicals():
    r = solve_one("find pca([[2, 0], [0, 2], [3, 1], [1, 3]])")
    import sympy as sp
    assert r.error is None
    assert r.answer.expr == sp.ImmutableMatrix([[sp.sqrt(2) / 2, -sp.sqrt(2) / 2]])
    assert all(s.checked for s in r.steps if s.rule in ("pca_covariance", "pca_characteristic", "pca_ratio"))


def test_a_zero_variance_feature_is_kept_and_said():
    r = solve_one("find pca([[1, 5], [2, 5], [4, 5]])")
    assert r.error is None and r.answer.expr.tolist() == [[1, 0]]
    assert any(s.rule == "pca_zero_variance" for s in r.steps)


@pytest.mark.parametrize("body, at, words", [
    ("find pca([[1, 2], [3, 4]], k = 3)", "3)", "from 1 to 2"),
    ("find pca([[1, 2], [1, 2]])", "[[1, 2], [1, 2]]", "no variance"),
    ("find pca([[1, 2], [3]])", "[[1, 2], [3]]", "different lengths"),
    ("find pca([[1, 2]], ddof = 1)", "[[1, 2]]", "N − ddof"),
    ("find pca([[1, 2], [3, 4]], ddof = 2)", "2)", "from 0 to 1"),
])
def test_bad_input_is_an_error_at_the_argument(body, at, words):
    e = error(body)
    assert (e.line, e.column) == (2, body.index(at) + 1) and words in e.message, (e.column, e.message)
