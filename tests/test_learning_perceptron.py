"""perceptron against scikit-learn's Perceptron (no shuffling, constant rate, no
regularisation, the given start) and a hand-written NumPy rule."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")
import sklearn.linear_model as sklearn_linear  # noqa: E402

from learning_util import answer, error, mat, words  # noqa: E402


def _numpy_rule(X, y, w, b, lr, epochs, bias):
    for _ in range(epochs):
        mistakes = 0
        for x, t in zip(X, y):
            if t * (w @ x + (b if bias else 0)) <= 0:
                w = w + lr * t * x
                b = b + lr * t if bias else b
                mistakes += 1
        if not mistakes:
            break
    return w, b


@pytest.mark.parametrize("seed", range(14))
def test_perceptron_matches_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    n, d = int(rng.integers(3, 8)), int(rng.integers(1, 4))
    X = rng.integers(-4, 5, size=(n, d)).astype(float)
    y = rng.choice([-1, 1], size=n)
    y[0], y[1] = -1, 1
    bias = seed % 3 != 0
    lr = [1, 0.5, 2][seed % 3]
    epochs = int(rng.integers(1, 4))
    w0 = rng.integers(-2, 3, size=d).astype(float)
    b0 = float(rng.integers(-1, 2)) if bias else 0.0
    start = mat(np.append(w0, b0) if bias else w0)
    expr, extra = answer(f"find perceptron({mat(X)}, {mat(y)}, start = {start}, lr = {lr}, epochs = {epochs}, "
                         f"bias = {'true' if bias else 'false'})")
    got = np.array(expr.tolist(), dtype=float).ravel()
    w, b = _numpy_rule(X, y, w0.copy(), b0, lr, epochs, bias)
    np.testing.assert_allclose(got, np.append(w, b) if bias else w, atol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sk = sklearn_linear.Perceptron(eta0=lr, max_iter=epochs, tol=None, shuffle=False, fit_intercept=bias,
                                       penalty=None).fit(X, y, coef_init=w0.reshape(1, -1),
                                                         intercept_init=np.array([b0]))
    np.testing.assert_allclose(got[:d], sk.coef_.ravel(), atol=1e-9)
    if bias:
        assert got[d] == pytest.approx(sk.intercept_[0], abs=1e-9)


def test_string_labels_are_minus_one_then_plus_one_alphabetically():
    expr, extra = answer(f'find perceptron([[1, 0], [0, 1]], {words(["spam", "ham"])}, bias = false)')
    # ham = -1, spam = +1: x1 (spam) scores 0, a mistake: w = [1, 0]; x2 (ham) scores 0: w = [1, -1]
    assert expr.tolist() == [[1], [-1]] and extra["mistakes"] == [2]


@pytest.mark.parametrize("body, at, words_", [
    ("find perceptron([[1, 2], [3, 4]], [1, -1, 1])", "[1, -1, 1]", "labels"),
    ("find perceptron([[1, 2], [3, 4]], [1, 1])", "[1, 1]", "two classes"),
    ("find perceptron([[1, 2], [3, 4]], [1, -1], start = [0, 0])", "[0, 0])", "needs 3"),
    ("find perceptron([[1, 2], [3, 4]], [1, -1], lr = -1)", "-1)", "positive"),
    ("find perceptron([[1, 2], [3, 4]], [1, -1], epochs = 0)", "0)", "whole number"),
])
def test_bad_input_is_an_error_at_the_argument(body, at, words_):
    e = error(body)
    assert (e.line, e.column) == (2, body.index(at) + 1) and words_ in e.message, (e.column, e.message)
