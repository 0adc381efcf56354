"""The Gaussian log-likelihood in the covariance (issue 10 §3): sums of log det, quadratic
forms and traces in S⁻¹, products of inverses (negative matrix powers) and of S with
itself.  Each closed form is compared with NumPy central differences at random SPD S,
must come quickly (the step checker evaluates at random matrices by forward mode, also
where det S < 0 at its integer points), and its `answer.numpy` and the `--format python`
key (run in a fresh interpreter) must check too."""
from __future__ import annotations

import subprocess
import sys
import time

import numpy as np
import pytest

import derive
from test_matcalc_nonpoly import F, answer_at, central, numpy_value, solve_one

RNG = np.random.default_rng(20261202)

DECLS = "  dim n, d\n  matrix S : (d, d)\n  matrix A : (d, d)\n  vector x : (d)\n  vector mu : (d)\n  vector a : (d)"


def inv(S):
    return np.linalg.inv(S)


def logdet(S):
    return np.log(np.linalg.det(S))


def quad(v, S):
    return F(v.T @ inv(S) @ v)


CASES = [
    # (body, numpy function, the expected closed form at (S, x, mu, A, a))
    ("logdet(S) + (x - mu) @ (inv(S) @ (x - mu))", lambda S, x, mu, **_: logdet(S) + quad(x - mu, S),
     lambda S, x, mu, **_: inv(S).T - inv(S).T @ (x - mu) @ (x - mu).T @ inv(S).T),
    ("logdet(S) + x @ (inv(S) @ x)", lambda S, x, **_: logdet(S) + quad(x, S),
     lambda S, x, **_: inv(S).T - inv(S).T @ x @ x.T @ inv(S).T),
    ("logdet(S) + trace(inv(S) @ A)", lambda S, A, **_: logdet(S) + np.trace(inv(S) @ A),
     lambda S, A, **_: inv(S).T - inv(S).T @ A.T @ inv(S).T),
    ("-1/2*logdet(S) - 1/2*(x - mu) @ (inv(S) @ (x - mu))",
     lambda S, x, mu, **_: -logdet(S) / 2 - quad(x - mu, S) / 2,
     lambda S, x, mu, **_: (inv(S).T @ (x - mu) @ (x - mu).T @ inv(S).T - inv(S).T) / 2),
    ("trace(inv(S) @ inv(S))", lambda S, **_: np.trace(inv(S) @ inv(S)),
     lambda S, **_: -2 * np.linalg.matrix_power(inv(S).T, 3)),
    ("trace(inv(S) @ inv(S) @ inv(S) @ A)", lambda S, A, **_: np.trace(np.linalg.matrix_power(inv(S), 3) @ A), None),
    ("det(S) + trace(inv(S))", lambda S, **_: np.linalg.det(S) + np.trace(inv(S)),
     lambda S, **_: np.linalg.det(S) * inv(S).T - inv(S).T @ inv(S).T),
    ("logdet(S) + trace(S @ S)", lambda S, **_: logdet(S) + np.trace(S @ S), lambda S, **_: inv(S).T + 2 * S.T),
    ("trace(S @ S @ S)", lambda S, **_: np.trace(S @ S @ S), lambda S, **_: 3 * S.T @ S.T),
    ("a @ (S @ S @ a)", lambda S, a, **_: F(a.T @ S @ S @ a), None),
]


def draw(d: int = 3) -> dict:
    B = RNG.normal(size=(d, d))
    return {"S": B @ B.T + d * np.eye(d), "x": RNG.normal(size=(d, 1)), "mu": RNG.normal(size=(d, 1)),
            "A": RNG.normal(size=(d, d)), "a": RNG.normal(size=(d, 1))}


@pytest.mark.parametrize("body, fn, closed", CASES, ids=[c[0] for c in CASES])
def test_gradient_matches_central_differences_at_random_spd(body, fn, closed):
    start = time.perf_counter()
    r = solve_one(DECLS, body, "grad(L, S)")
    assert time.perf_counter() - start < 20           # the check no longer falls back to symbolic inverses
    for _ in range(2):
        vals = draw()
        want = central(fn, vals, "S")
        got = answer_at(r, vals)
        assert got.shape == want.shape == (3, 3)
        assert np.allclose(got, want, rtol=1e-5, atol=1e-5), (got, want)
        if closed is not None:
            assert np.allclose(got, closed(**vals), rtol=1e-8, atol=1e-8)
        assert np.allclose(numpy_value(r, vals), want, rtol=1e-5, atol=1e-5)


def test_scaled_log_likelihood_keeps_its_factor_outside_the_vectors():
    """−½ log det S − ½(x − μ)ᵀS⁻¹(x − μ): ½ S⁻ᵀ(x − μ)(x − μ)ᵀS⁻ᵀ − ½ S⁻ᵀ, not (½x − ½μ)."""
    r = solve_one(DECLS, "-1/2*logdet(S) - 1/2*(x - mu) @ (inv(S) @ (x - mu))", "grad(L, S)")
    assert r.answer.text == "-(1/2)*S.T**(-1) + (1/2)*S.T**(-1)*(-mu + x)*(-mu + x).T*S.T**(-1)"


@pytest.mark.parametrize("body", [c[0] for c in CASES[:4]] + ["det(S) + trace(inv(S))"])
def test_the_inverse_transpose_is_written_one_way_in_a_sum(body):
    """log det S gives (S⁻¹)ᵀ and the inverse rule (Sᵀ)⁻¹: a sum of both writes S⁻ᵀ once,
    as (Sᵀ)⁻¹, and a product's coefficient is not set apart in brackets."""
    text = solve_one(DECLS, body, "grad(L, S)").answer.text
    assert "(S**(-1)).T" not in text and "S.T**(-1)" in text and "*(S" not in text


def test_the_runnable_key_checks_every_gradient(tmp_path):
    goals = "\n".join(f"  L{i} = {c[0]}\n  find grad(L{i}, S)" for i, c in enumerate(CASES))
    sol = derive.solve(f'problem "g" {{\n{DECLS}\n{goals}\n}}\n')
    assert all(r.error is None for r in sol.results)
    path = tmp_path / "key.py"
    path.write_text(derive.render(sol, "python"), encoding="utf-8")
    proc = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"{len(CASES)} of {len(CASES)} checks passed" in proc.stdout, proc.stdout


def test_log_of_a_negative_determinant_takes_the_principal_branch_in_forward_mode():
    """The checker's integer matrices may have det < 0: log det is then log|det| + iπ (as
    sympy writes it), its derivative still S⁻ᵀ, so the check stays in forward mode."""
    import sympy as sp

    from derive.engines import matpoly as M
    from derive.engines.numderiv import derivative, evaluate_at
    S = sp.MatrixSymbol("S", 2, 2)
    V = sp.ImmutableMatrix([[1, 2], [3, 1]])               # det = −5
    g = derivative(M.GradientOf(sp.log(sp.Determinant(S)), S), V)
    assert g is not None and all(abs(a - b) < 1e-40 for a, b in zip(g, V.inv().T))
    val = evaluate_at(sp.log(sp.Determinant(S)), {S: V})
    assert abs(complex(val) - complex(sp.log(-5).evalf(30))) < 1e-30


def test_negative_matrix_powers_in_forward_mode_and_numpy():
    import sympy as sp

    from derive.engines.numderiv import evaluate_at
    from derive.numpy_text import numpy_text
    S = sp.MatrixSymbol("S", 2, 2)
    V = sp.ImmutableMatrix([[2, 1], [1, 3]])
    assert evaluate_at(sp.MatPow(S, -2), {S: V}) == V.inv() ** 2
    assert numpy_text(sp.MatPow(S, -2)) == "np.linalg.matrix_power(np.linalg.inv(S), 2)"
    assert numpy_text(sp.MatPow(S, 3)) == "np.linalg.matrix_power(S, 3)"
    assert numpy_text(sp.MatMul(sp.Determinant(S), S)) == "(np.linalg.det(S)*(S))"
