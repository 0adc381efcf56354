"""Matrix calculus beyond polynomials (issue 10 §3): traces, Hadamard products, elementwise
exp, the softmax cross-entropy, norms that are not squared, log det, and scalar factors
inside vector expressions.  Every closed form is evaluated at random matrices and compared
with NumPy central differences of the function written directly in NumPy."""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import derive

RNG = np.random.default_rng(20261201)


def sig(v):
    return 1 / (1 + np.exp(-v))


def F(v) -> float:
    return float(np.asarray(v).reshape(-1)[0])


def answer_at(result, values: dict[str, np.ndarray], scalars: dict[str, float] = {}) -> np.ndarray:
    """The answer's sympy object at the given matrices (dims from their shapes)."""
    e = result.answer.expr
    subs = {}
    for m in e.atoms(sp.MatrixSymbol):
        v = values[m.name]
        for dim, size in zip(m.shape, v.shape):
            if isinstance(dim, sp.Symbol):
                subs[dim] = size
    e = e.xreplace(subs)
    subs = {m: sp.ImmutableMatrix(values[m.name].tolist()) for m in e.atoms(sp.MatrixSymbol)}
    subs.update({s: sp.Float(scalars[s.name]) for s in e.free_symbols if s.name in scalars})
    out = e.xreplace(subs).doit()
    out = out.as_explicit() if hasattr(out, "as_explicit") else out
    return np.array(sp.N(sp.ImmutableMatrix(out)).tolist(), dtype=float)


def central(f, values: dict[str, np.ndarray], name: str, h: float = 1e-6) -> np.ndarray:
    out = np.zeros_like(values[name])
    for idx in np.ndindex(values[name].shape):
        plus = {k: v.copy() for k, v in values.items()}
        minus = {k: v.copy() for k, v in values.items()}
        plus[name][idx] += h
        minus[name][idx] -= h
        out[idx] = (f(**plus) - f(**minus)) / (2 * h)
    return out


def solve_one(decls: str, body: str, goal: str):
    r = derive.solve(f'problem "t" {{\n{decls}\n  L = {body}\n  find {goal}\n}}\n').results[0]
    assert r.error is None, r.error
    assert all(s.checked in (True, None) for s0 in r.steps for s in s0.walk())
    assert any(s.checked for s in r.steps)
    return r


VEC = "  dim n, d\n  symbol lambda\n  symbol t\n  matrix X : (n, d)\n  vector w : (d)\n  vector x : (d)\n" \
      "  vector c : (d)\n  vector a : (d)\n  vector z : (n)\n  vector y : (n)\n  matrix A : (d, d)\n  matrix S : (d, d)"

CASES = [
    # (body, variable, numpy function of the named arrays)
    ("(w @ x - t)^2 + lambda * norm(w)^2", "w",
     lambda w, x, t, lam, **_: F((w.T @ x - t) ** 2 + lam * np.sum(w ** 2))),
    ("(w @ x)^2 + norm(w)^2", "w", lambda w, x, **_: F((w.T @ x) ** 2 + np.sum(w ** 2))),
    ("(c @ x)^2 + x @ x", "x", lambda c, x, **_: F((c.T @ x) ** 2 + x.T @ x)),
    ("norm(w - a)", "w", lambda w, a, **_: F(np.linalg.norm(w - a))),
    ("trace(A @ S)", "A", lambda A, S, **_: F(np.trace(A @ S))),
    ("trace(S.T @ A @ S)", "S", lambda A, S, **_: F(np.trace(S.T @ A @ S))),
    ("logdet(S)", "S", lambda S, **_: F(np.log(abs(np.linalg.det(S))))),
    ("sum(exp(X @ w))", "w", lambda X, w, **_: F(np.sum(np.exp(X @ w)))),
    ("sum(y * (X @ w))", "w", lambda X, w, y, **_: F(np.sum(y * (X @ w)))),
    ("sum(log(1 + exp(X @ w)) - y * (X @ w))", "w",
     lambda X, w, y, **_: F(np.sum(np.log(1 + np.exp(X @ w)) - y * (X @ w)))),
    ("-sum(y * log(sigmoid(X @ w)) + (1 - y) * log(1 - sigmoid(X @ w)))", "w",
     lambda X, w, y, **_: F(-np.sum(y * np.log(sig(X @ w)) + (1 - y) * np.log(1 - sig(X @ w))))),
    ("-(t * log(sigmoid(w @ x)) + (1 - t) * log(1 - sigmoid(w @ x)))", "w",
     lambda w, x, t, **_: F(-(t * np.log(sig(w.T @ x)) + (1 - t) * np.log(1 - sig(w.T @ x))))),
    ("sum(tanh(X @ w))", "w", lambda X, w, **_: F(np.sum(np.tanh(X @ w)))),
    ("sum(a * w * w)", "w", lambda a, w, **_: F(np.sum(a * w * w))),
    ("trace(A @ inv(S))", "S", lambda A, S, **_: F(np.trace(A @ np.linalg.inv(S)))),
    ("det(S)", "S", lambda S, **_: F(np.linalg.det(S))),
    ("-sum(y * log(softmax(z)))", "z",
     lambda z, y, **_: F(-np.sum(y * (z - np.log(np.sum(np.exp(z))))))),
]


@pytest.mark.parametrize("body, var, fn", CASES, ids=[c[0] for c in CASES])
def test_closed_form_matches_central_differences(body, var, fn):
    r = solve_one(VEC, body, f"grad(L, {var})")
    n, d = 4, 3
    for _ in range(2):
        vals = {"X": RNG.normal(size=(n, d)), "w": RNG.normal(size=(d, 1)), "x": RNG.normal(size=(d, 1)),
                "c": RNG.normal(size=(d, 1)), "a": RNG.normal(size=(d, 1)), "z": RNG.normal(size=(n, 1)),
                "y": RNG.normal(size=(n, 1)), "A": RNG.normal(size=(d, d)),
                "S": RNG.normal(size=(d, d)) + 3 * np.eye(d)}
        scal = {"t": float(RNG.normal()), "lambda": float(RNG.normal())}
        got = answer_at(r, vals, scal)
        want = central(lambda **v: fn(lam=scal["lambda"], t=scal["t"], **v), vals, var)
        assert got.shape == want.shape == vals[var].shape     # the gradient has the shape of the variable
        assert np.allclose(got, want, rtol=1e-5, atol=1e-5), (got, want)


def test_scalar_factor_hessian():
    r = solve_one(VEC, "(w @ x - t)^2 + lambda * norm(w)^2", "hessian(L, w)")
    x, lam = RNG.normal(size=(3, 1)), 0.7
    assert np.allclose(answer_at(r, {"x": x}, {"lambda": lam}), 2 * lam * np.eye(3) + 2 * x @ x.T)


def test_logdet_answer_is_the_inverse_transpose():
    r = solve_one(VEC, "logdet(S)", "grad(L, S)")
    S = RNG.normal(size=(3, 3)) + 3 * np.eye(3)
    assert np.allclose(answer_at(r, {"S": S}), np.linalg.inv(S).T)


def test_softmax_cross_entropy_is_softmax_minus_target_for_a_distribution():
    r = solve_one(VEC, "-sum(y * log(softmax(z)))", "grad(L, z)")
    z, y = RNG.normal(size=(4, 1)), np.array([[0.0], [1.0], [0.0], [0.0]])
    s = np.exp(z) / np.exp(z).sum()
    assert np.allclose(answer_at(r, {"z": z, "y": y}), s - y)


def test_a_wrong_closed_form_is_refused():
    from derive.engines.matpoly import GradientOf
    from derive.errors import CheckFailed
    from derive.steps import make_step
    S = sp.MatrixSymbol("S", 3, 3)
    with pytest.raises(CheckFailed):
        make_step("chain_rule", "x", GradientOf(sp.log(sp.Determinant(S)), S), sp.Inverse(S))


def test_logistic_regression_gradient_reads_as_a_student_writes_it():
    """Both ways of writing the logistic loss give Xᵀ(σ(Xw) − y), not a quotient of exps."""
    decls = "  dim n, d\n  matrix X : (n, d)\n  vector y : (n)\n  vector w : (d)"
    for body in ("sum(log(1 + exp(X @ w)) - y * (X @ w))",
                 "-sum(y * log(sigmoid(X @ w)) + (1 - y) * log(1 - sigmoid(X @ w)))"):
        r = solve_one(decls, body, "grad(L, w)")
        assert r.answer.text == "X.T*(sigmoid(X*w) - y)"


def central_hessian(f, values: dict[str, np.ndarray], name: str, h: float = 1e-4) -> np.ndarray:
    """∂²f/∂x∂xᵀ by central differences of central-difference gradients."""
    base = values[name]
    n = base.shape[0]
    out = np.zeros((n, n))
    for j in range(n):
        plus = {k: v.copy() for k, v in values.items()}
        minus = {k: v.copy() for k, v in values.items()}
        plus[name][j] += h
        minus[name][j] -= h
        out[:, j] = ((central(f, plus, name) - central(f, minus, name)) / (2 * h)).ravel()
    return out


HESSIANS = [
    ("-sum(y * log(sigmoid(X @ w)) + (1 - y) * log(1 - sigmoid(X @ w)))",
     lambda X, w, y, **_: F(-np.sum(y * np.log(sig(X @ w)) + (1 - y) * np.log(1 - sig(X @ w))))),
    ("sum(exp(X @ w))", lambda X, w, **_: F(np.sum(np.exp(X @ w)))),
]


@pytest.mark.parametrize("body, fn", HESSIANS, ids=[h[0] for h in HESSIANS])
def test_nonpolynomial_hessian_matches_central_differences(body, fn):
    r = solve_one("  dim n, d\n  matrix X : (n, d)\n  vector y : (n)\n  vector w : (d)", body, "hessian(L, w)")
    vals = {"X": RNG.normal(size=(4, 3)), "w": RNG.normal(size=(3, 1)), "y": RNG.uniform(size=(4, 1))}
    got = answer_at(r, vals)
    assert np.allclose(got, central_hessian(fn, vals, "w"), rtol=1e-4, atol=1e-4)


def test_logistic_hessian_is_x_transpose_s_x():
    r = solve_one("  dim n, d\n  matrix X : (n, d)\n  vector y : (n)\n  vector w : (d)",
                  "-sum(y * log(sigmoid(X @ w)) + (1 - y) * log(1 - sigmoid(X @ w)))", "hessian(L, w)")
    X, w = RNG.normal(size=(5, 2)), RNG.normal(size=(2, 1))
    s = sig(X @ w).ravel()
    assert np.allclose(answer_at(r, {"X": X, "w": w, "y": np.zeros((5, 1))}), X.T @ np.diag(s * (1 - s)) @ X)


def test_matrix_builtins_need_square_matrices_and_exact_values_when_given():
    bad = derive.solve('problem "t" {\n  dim n, d\n  matrix X : (n, d)\n  find trace(X)\n}\n').results[0]
    assert bad.error is not None and "square" in bad.error.message
    sing = derive.solve('problem "t" {\n  let A = [[1, 2], [2, 4]]\n  find inv(A)\n}\n').results[0]
    assert sing.error is not None and "singular" in sing.error.message
    ok = derive.solve('problem "t" {\n  let A = [[2, 1], [1, 3]]\n  find det(A) + trace(A)\n}\n').results[0]
    A = np.array([[2, 1], [1, 3]])
    assert ok.error is None and abs(float(ok.answer.value) - (np.linalg.det(A) + np.trace(A))) < 1e-12


def numpy_value(result, values: dict[str, np.ndarray], scalars: dict[str, float] = {}) -> np.ndarray:
    """answer.numpy run with the values (vectors as 1-D arrays, as the docs promise)."""
    code = dict(result.answer.extra)["numpy"]
    env = {"np": np, **{k: (v.ravel() if v.shape[1] == 1 else v) for k, v in values.items()}}
    env.update({("lamda" if k == "lambda" else k): v for k, v in scalars.items()})
    env.update({"n": values["X"].shape[0], "d": values["X"].shape[1]} if "X" in values else {})
    return np.asarray(eval(code, env))   # the test runs derive's output; derive itself never evals


@pytest.mark.parametrize("body, var, fn", CASES, ids=[c[0] for c in CASES])
def test_answer_numpy_computes_the_closed_form(body, var, fn):
    r = solve_one(VEC, body, f"grad(L, {var})")
    vals = {"X": RNG.normal(size=(4, 3)), "w": RNG.normal(size=(3, 1)), "x": RNG.normal(size=(3, 1)),
            "c": RNG.normal(size=(3, 1)), "a": RNG.normal(size=(3, 1)), "z": RNG.normal(size=(4, 1)),
            "y": RNG.normal(size=(4, 1)), "A": RNG.normal(size=(3, 3)),
            "S": RNG.normal(size=(3, 3)) + 3 * np.eye(3)}
    scal = {"t": float(RNG.normal()), "lambda": float(RNG.normal())}
    want = central(lambda **v: fn(lam=scal["lambda"], t=scal["t"], **v), vals, var)
    got = numpy_value(r, vals, scal)
    assert np.allclose(got.reshape(want.shape), want, rtol=1e-5, atol=1e-5)
    assert got.ndim == (1 if want.shape[1] == 1 else 2)    # a vector's gradient is a 1-D array


def test_answer_numpy_of_the_logistic_hessian():
    r = solve_one("  dim n, d\n  matrix X : (n, d)\n  vector y : (n)\n  vector w : (d)",
                  "-sum(y * log(sigmoid(X @ w)) + (1 - y) * log(1 - sigmoid(X @ w)))", "hessian(L, w)")
    X, w = RNG.normal(size=(5, 2)), RNG.normal(size=(2, 1))
    s = sig(X @ w).ravel()
    assert np.allclose(numpy_value(r, {"X": X, "w": w, "y": np.zeros((5, 1))}), X.T @ np.diag(s * (1 - s)) @ X)


def test_one_sample_bce_hessian_is_sigma_prime_x_x_transpose():
    r = solve_one("  dim d\n  vector w : (d)\n  vector x : (d)\n  symbol t",
                  "-(t * log(sigmoid(w @ x)) + (1 - t) * log(1 - sigmoid(w @ x)))", "hessian(L, w)")
    w, x, t = RNG.normal(size=(3, 1)), RNG.normal(size=(3, 1)), 0.3
    fn = lambda w, x, **_: F(-(t * np.log(sig(w.T @ x)) + (1 - t) * np.log(1 - sig(w.T @ x))))
    got = answer_at(r, {"w": w, "x": x}, {"t": t})
    assert np.allclose(got, central_hessian(fn, {"w": w, "x": x}, "w"), rtol=1e-4, atol=1e-4)
    s = F(sig(w.T @ x))
    assert np.allclose(numpy_value(r, {"w": w, "x": x}, {"t": t}), s * (1 - s) * x @ x.T)
