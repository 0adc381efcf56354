"""solve, inv, det, eigenvalues, eigenvectors, psd, argmin and the n-D lr_range /
optimal_lr against NumPy.

Oracles: numpy.linalg.solve / inv / det / eigvalsh / eigvals on the same matrices
(random positive definite, singular positive semi-definite and indefinite ones, sizes 2
to 5), a NumPy ridge solve, and a NumPy simulation of gradient descent on either side of
the derived bound 2/λ_max.
"""
from __future__ import annotations

import random

import numpy as np
import pytest

import derive


def solve_one(body: str, goal: str):
    (r,) = derive.solve(f'problem "t" {{\n{body}\nfind {goal}\n}}').results
    return r


def _mat(M) -> str:
    return "[" + ", ".join("[" + ", ".join(str(int(x)) for x in row) + "]" for row in M) + "]"


def _vec(v) -> str:
    return "[" + ", ".join(str(int(x)) for x in v) + "]"


def _random(kind: str, n: int, rnd: random.Random) -> np.ndarray:
    """A random integer symmetric matrix that is positive definite, singular PSD or indefinite."""
    B = np.array([[rnd.randint(-3, 3) for _ in range(n)] for _ in range(n)])
    if kind == "pd":
        return B @ B.T + np.eye(n, dtype=int)
    if kind == "psd":
        C = B[:, : n - 1]
        return C @ C.T
    D = np.diag([rnd.randint(1, 3) for _ in range(n - 1)] + [-rnd.randint(1, 3)])
    Q = np.eye(n, dtype=int) + np.triu(B, 1)          # unimodular: Q D Qᵀ keeps the signs of D
    return Q @ D @ Q.T


CASES = [(kind, n, seed) for kind in ("pd", "psd", "indefinite") for n in (2, 3, 4, 5) for seed in range(2)]


@pytest.mark.parametrize("kind,n,seed", CASES)
def test_det_inv_solve_against_numpy(kind, n, seed):
    rnd = random.Random(f"{kind}{n}{seed}")
    A = _random(kind, n, rnd) + (np.diag(np.arange(1, n + 1)) if kind == "psd" and seed else 0)
    b = [rnd.randint(-5, 5) for _ in range(n)]
    body = f"let A = {_mat(A)}\nlet b = {_vec(b)}"
    r = solve_one(body, "det(A)")
    assert float(r.answer.value) == pytest.approx(np.linalg.det(A), rel=1e-9, abs=1e-9)
    singular = abs(np.linalg.det(A)) < 1e-9
    for goal in ("inv(A)", "solve(A, b)"):
        r = solve_one(body, goal)
        if singular:
            assert r.error is not None and "singular" in r.error.message and r.error.line == 4
            continue
        assert r.error is None, r.error
        want = np.linalg.inv(A) if goal == "inv(A)" else np.linalg.solve(A, b)
        np.testing.assert_allclose(np.array(r.answer.value, dtype=float).reshape(want.shape), want, rtol=1e-9,
                                   atol=1e-12)
        assert all(s.checked is True for s in r.steps if len(s.chain) > 1 and s.rule != "echelon")


@pytest.mark.parametrize("kind,n,seed", CASES)
def test_eigenvalues_and_psd_against_numpy(kind, n, seed):
    rnd = random.Random(f"e{kind}{n}{seed}")
    A = _random(kind, n, rnd)
    body = f"let A = {_mat(A)}"
    want = np.linalg.eigvalsh(A.astype(float))
    r = solve_one(body, "eigenvalues(A)")
    np.testing.assert_allclose(np.array(r.answer.value, dtype=float), want, rtol=1e-9, atol=1e-9)
    r = solve_one(body, "psd(A)")
    assert r.answer.value is (bool(want[0] > -1e-9))
    assert all(s.checked is not False for s in r.steps)


@pytest.mark.parametrize("n,seed", [(2, 0), (3, 1), (3, 2), (4, 3)])
def test_eigenvectors_satisfy_the_definition(n, seed):
    rnd = random.Random(seed)
    A = _random("pd" if seed % 2 else "psd", n, rnd) if n < 4 else np.diag([1, 2, 2, 3])
    r = solve_one(f"let A = {_mat(A)}", "eigenvectors(A)")
    if r.error is not None:      # eigenvalues not in radicals: refused with a reason, never wrong
        assert "exactly" in r.error.message
        return
    total = 0
    for lam, mult, vecs in r.answer.value:
        assert len(vecs) == mult
        total += mult
        for v in vecs:
            v = np.array(v, dtype=float).ravel()
            np.testing.assert_allclose(A @ v, lam * v, atol=1e-9)
    assert total == n


def test_ridge_with_numbers_against_numpy():
    rnd = random.Random(7)
    for n, d in ((4, 2), (5, 3)):
        X = np.array([[rnd.randint(-3, 3) for _ in range(d)] for _ in range(n)])
        y = np.array([rnd.randint(-3, 3) for _ in range(n)])
        lam = rnd.choice([1, 2])
        body = f"let X = {_mat(X)}\nlet y = {_vec(y)}\nlet lambda = {lam}\nvector w : ({d})\n" \
               "R = norm(X @ w - y)^2 + lambda * norm(w)^2"
        r = solve_one(body, "argmin(R, w)")
        want = np.linalg.solve(X.T @ X + lam * np.eye(d), X.T @ y)
        np.testing.assert_allclose(np.array(r.answer.value, dtype=float).ravel(), want, rtol=1e-12)


def test_normal_equations_in_closed_form():
    body = "dim n, d\nmatrix X : (n, d)\nvector y : (n)\nvector w : (d)\nsymbol lambda : positive\n" \
           "L = norm(X @ w - y)^2\nR = norm(X @ w - y)^2 + lambda * norm(w)^2"
    r = solve_one(body, "argmin(L, w)")
    assert r.answer.text == "(X.T*X)**(-1)*X.T*y"
    r = solve_one(body, "argmin(R, w)")
    assert r.answer.text == "(lamda*Identity(d) + X.T*X)**(-1)*X.T*y"   # lambda as SymPy spells it
    assert all(s.checked is True for s in r.steps if len(s.chain) > 1)
    import sympy as sp        # the closed form at random numbers, against NumPy's ridge solve
    rng = np.random.default_rng(0)
    Xn, yn = rng.integers(-3, 4, (5, 3)), rng.integers(-3, 4, 5)
    mats = {m.name: m for m in r.answer.expr.atoms(sp.MatrixSymbol)}
    n, d = mats["X"].shape
    lam = next(s for s in r.answer.expr.free_symbols if s.name == "lambda")
    at = r.answer.expr.xreplace({mats["X"]: sp.Matrix(Xn), mats["y"]: sp.Matrix(yn), lam: 2, d: 3, n: 5})
    want = np.linalg.solve(Xn.T @ Xn + 2 * np.eye(3), Xn.T @ yn)
    np.testing.assert_allclose(np.array(sp.Matrix(at.doit()), dtype=float).ravel(), want, rtol=1e-12)


def test_argmin_of_a_function_against_numpy():
    rnd = random.Random(3)
    for n in (2, 3):
        A = _random("pd", n, rnd)
        c = [rnd.randint(-3, 3) for _ in range(n)]
        body = f"vector x : ({n})\nlet A = {_mat(A)}\nlet c = {_vec(c)}\nf(x) = 1/2 * (x @ (A @ x)) + c @ x"
        r = solve_one(body, "argmin(f)")
        np.testing.assert_allclose(np.array(r.answer.value, dtype=float).ravel(), np.linalg.solve(A, -np.array(c)))
    r = solve_one("f(u, v) = u^2 - v^2", "argmin(f)")
    assert r.error is None and r.answer.value is None      # unbounded below: no minimiser


def _gd_converges(A, eta, steps=4000) -> bool:
    x = np.ones(len(A))
    for _ in range(steps):
        x = x - eta * (A @ x)
        if np.abs(x).max() > 1e6:
            return False
    return np.abs(x).max() < 1e-3


@pytest.mark.parametrize("n,seed", [(2, 0), (2, 1), (3, 0), (4, 0)])
def test_lr_range_and_optimal_lr_in_n_dimensions(n, seed):
    A = _random("pd", n, random.Random(f"lr{n}{seed}"))
    body = f"vector x : ({n})\nlet A = {_mat(A)}\nf(x) = 1/2 * (x @ (A @ x))"
    ev = np.linalg.eigvalsh(A.astype(float))
    r = solve_one(body, "lr_range(f)")
    lo, hi = r.answer.value
    assert lo == 0 and hi == pytest.approx(2 / ev[-1], rel=1e-9)
    assert _gd_converges(A, 0.98 * hi) and not _gd_converges(A, 1.02 * hi)
    r = solve_one(body, "optimal_lr(f)")
    assert float(r.answer.value) == pytest.approx(2 / (ev[0] + ev[-1]), rel=1e-9)
    start = [1] * n
    r = solve_one(body, f"optimal_lr(f, start = {_vec(start)})")
    g = A @ np.ones(n)
    assert float(r.answer.value) == pytest.approx(g @ g / (g @ A @ g), rel=1e-9)


def test_lr_range_of_an_indefinite_quadratic_is_empty():
    r = solve_one("f(u, v) = u^2 - v^2", "lr_range(f)")
    assert r.error is None and r.answer.text == "EmptySet"
