"""Verdicts use the problem's given values: `hessian`, `convex` and `psd` over seeded random
given matrices (positive definite, positive semidefinite and singular, indefinite; 2×2 and
3×3; integer and fraction entries) and `let` scalars, written as specs.

The oracle is independent of derive: the Hessian of the spec's function is taken by
central second differences of the same function written in NumPy, at the given values,
and classified by `numpy.linalg.eigvalsh`.  The witnesses derive shows (a direction with
vᵀHv < 0, a null vector, the leading minors) are recomputed in NumPy from the matrix
shown, which must be the oracle's Hessian.
"""
from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

import derive

SEED = 20261201
TOL = 1e-7


# ---- the oracle ---------------------------------------------------------------------------

def kind_of(H: np.ndarray) -> str:
    """"pd", "psd" (singular) or "not_psd" from NumPy's eigenvalues."""
    ev = np.linalg.eigvalsh(H)
    scale = max(1.0, float(np.abs(ev).max()))
    if ev.min() > TOL * scale:
        return "pd"
    if ev.min() >= -TOL * scale:
        return "psd"
    return "not_psd"


def test_the_oracle_on_known_matrices():
    assert np.allclose(np.linalg.eigvalsh(np.array([[2.0, 1.0], [1.0, 2.0]])), [1.0, 3.0])
    assert np.allclose(np.linalg.eigvalsh(np.array([[1.0, 2.0], [2.0, 4.0]])), [0.0, 5.0])
    assert kind_of(np.array([[2.0, 1.0], [1.0, 2.0]])) == "pd"
    assert kind_of(np.array([[1.0, 2.0], [2.0, 4.0]])) == "psd"
    assert kind_of(np.array([[1.0, 3.0], [3.0, 1.0]])) == "not_psd"
    assert kind_of(-np.eye(3)) == "not_psd"
    f = lambda x: 0.5 * x @ np.array([[4.0, 1.0], [3.0, 2.0]]) @ x + x[0]   # ½xᵀAx: Hessian (A + Aᵀ)/2
    assert np.allclose(fd_hessian(f, np.zeros(2)), [[4.0, 2.0], [2.0, 2.0]])


def fd_hessian(f, x0: np.ndarray, h: float = 1e-2) -> np.ndarray:
    """∂²f/∂xᵢ∂xⱼ by central second differences (exact up to rounding for quadratics)."""
    n = len(x0)
    H = np.zeros((n, n))
    E = np.eye(n) * h
    for i in range(n):
        for j in range(n):
            H[i, j] = (f(x0 + E[i] + E[j]) - f(x0 + E[i] - E[j]) - f(x0 - E[i] + E[j])
                       + f(x0 - E[i] - E[j])) / (4 * h * h)
    return H


# ---- random given matrices ------------------------------------------------------------------

def _fractions(M: np.ndarray, den: int) -> list[list[Fraction]]:
    return [[Fraction(int(v), den) for v in row] for row in M]


def target(kind: str, n: int, den: int, rng: np.random.Generator) -> list[list[Fraction]]:
    """A random symmetric n×n matrix of the kind, entries integers / den."""
    while True:
        if kind == "pd":
            B = rng.integers(-3, 4, size=(n, n))
            M = B.T @ B + np.eye(n, dtype=int) * int(rng.integers(1, 3))
        elif kind == "psd":
            B = rng.integers(-3, 4, size=(n - 1, n))
            M = B.T @ B
        else:
            M = rng.integers(-4, 5, size=(n, n))
            M = M + M.T
        K = np.array(_fractions(M, den), dtype=float)
        if kind_of(K) == kind and np.abs(M).max() > 0:
            return _fractions(M, den)


def tex(v: Fraction) -> str:
    return str(v.numerator) if v.denominator == 1 else f"{v.numerator}/{v.denominator}"


def spec_matrix(M) -> str:
    return "[" + ", ".join("[" + ", ".join(tex(v) for v in row) + "]" for row in M) + "]"


def case(kind: str, n: int, den: int, rng: np.random.Generator):
    """(spec, numpy f, given A, λ): f = ½xᵀAx + λxᵀx + cᵀx with A not symmetric and
    ½(A + Aᵀ) + 2λI the random target."""
    T = target(kind, n, den, rng)
    lam = Fraction(int(rng.integers(-3, 4)), int(rng.integers(1, 5)))
    skew = rng.integers(-2, 3, size=(n, n))
    skew = skew - skew.T
    A = [[T[i][j] - 2 * lam * (i == j) + Fraction(int(skew[i, j])) for j in range(n)] for i in range(n)]
    c = [Fraction(int(v)) for v in rng.integers(-3, 4, size=n)]
    spec = f'''problem "v" {{
  vector x : ({n})
  let A = {spec_matrix(A)}
  let K = {spec_matrix(T)}
  let lambda = {tex(lam)}
  let c = [{", ".join(tex(v) for v in c)}]
  f = 1/2 * x @ A @ x + lambda * (x @ x) + c @ x
  (a) find hessian(f, x)
  (b) find convex(f, x)
  (c) find psd(K)
}}'''
    An, cn, ln = np.array(A, dtype=float), np.array(c, dtype=float), float(lam)
    return spec, (lambda x: 0.5 * x @ An @ x + ln * (x @ x) + cn @ x), np.array(T, dtype=float)


CASES = [(kind, n, den, rep) for kind in ("pd", "psd", "not_psd") for n in (2, 3) for den in (1, 2, 3) for rep in (0, 1)]


def _steps(r):
    return [s for s0 in r.steps for s in s0.walk()]


def _mat(x) -> np.ndarray:
    return np.array(sp.ImmutableMatrix(x).tolist(), dtype=float)


def _check_witnesses(r, H: np.ndarray, kind: str) -> None:
    """The verdict's steps recomputed in NumPy from the matrix they show."""
    steps = _steps(r)
    assert all(s.checked in (True, None) for s in steps)
    if kind == "pd":
        minors = [s for s in steps if s.rule == "minor"]
        assert len(minors) == len(H)
        for k, s in enumerate(minors, 1):
            assert np.allclose(_mat(s.chain[0].arg), H[:k, :k])
            assert np.isclose(float(s.chain[-1]), np.linalg.det(H[:k, :k])) and float(s.chain[-1]) > 0
            assert s.checked is True
        assert sum(1 for s in steps if s.rule == "positive" and s.checked) == len(H)
    elif kind == "psd":
        (s,) = [s for s in steps if s.rule == "singular"]
        Hs, u = (_mat(a) for a in s.chain[0].args)
        assert np.allclose(Hs, H) and np.abs(u).max() > 0 and np.allclose(H @ u, 0) and s.checked
        (ldl,) = [s for s in steps if s.rule == "ldl"]
        L, D, Lt = (_mat(a) for a in ldl.chain[1].args)
        assert np.allclose(L @ D @ Lt, H) and np.all(np.diag(D) >= -TOL) and ldl.checked
    else:
        (s,) = [s for s in steps if s.rule == "direction"]
        vt, Hs, v = (_mat(a) for a in s.chain[0].args)
        assert np.allclose(Hs, H) and np.allclose(vt.T, v)
        assert (v.T @ H @ v).item() < 0 and np.isclose((v.T @ H @ v).item(), float(s.chain[-1])) and s.checked


@pytest.mark.parametrize("kind, n, den, rep", CASES)
def test_random_given_matrices(kind, n, den, rep):
    rng = np.random.default_rng([SEED, CASES.index((kind, n, den, rep))])
    spec, f, K = case(kind, n, den, rng)
    hess, conv, psd = derive.solve(spec).results
    for r in (hess, conv, psd):
        assert r.error is None, (spec, r.error)
    H = fd_hessian(f, rng.normal(size=n))
    # the displayed Hessian is the Hessian of the spec's function at the given values
    assert np.allclose(np.array(hess.answer.value, dtype=float), H, atol=1e-6), spec
    assert np.allclose(H, K, atol=1e-6)        # (the case is built so)
    want = kind_of(H)
    assert want == kind
    assert conv.answer.value is (want != "not_psd"), spec
    assert psd.answer.value is (want != "not_psd"), spec
    _check_witnesses(conv, H, want)
    _check_witnesses(psd, K, want)
    # the ✓ of the substitution covers the given A and λ, not random ones
    (sub,) = [s for s in conv.steps if s.rule == "substitute"]
    assert np.allclose(_mat(sub.chain[-1]), H) and sub.checked is True


@pytest.mark.parametrize("seed", range(12))
def test_let_scalars_in_one_variable(seed):
    rnd = np.random.default_rng(seed)
    a = Fraction(int(rnd.integers(-6, 7)), int(rnd.integers(1, 4)))
    lam = Fraction(int(rnd.integers(-6, 7)), int(rnd.integers(1, 5)))
    spec = f'''problem "s" {{
  symbol w
  let a = {tex(a)}
  let lambda = {tex(lam)}
  f = a * w^2 + lambda * w^2 + 3 * w
  (a) find hessian(f, w)
  (b) find convex(f, w)
}}'''
    hess, conv = derive.solve(spec).results
    assert hess.error is None and conv.error is None
    fn = lambda x: float(a) * x[0] ** 2 + float(lam) * x[0] ** 2 + 3 * x[0]
    h = fd_hessian(fn, np.array([float(rnd.normal())]))[0, 0]
    assert np.isclose(float(hess.answer.value), h, atol=1e-6)
    assert conv.answer.value is bool(h >= -TOL)
    assert all(s.checked in (True, None) for s in _steps(conv))
    (sign,) = [s for s in conv.steps if s.rule == "sign"]
    assert sign.checked is True and np.isclose(float(sign.chain[0]), h)


def test_the_issue_spec_is_convex():
    spec = 'problem "q" { vector x : (2)\nlet A = [[4, 0], [0, 1]]\nf = 1/2 * x @ A @ x\nfind convex(f, x) }'
    (r,) = derive.solve(spec).results
    assert r.error is None and r.answer.value is True
    assert "positive definite" in str(r.answer.prose)
    text = derive.solve(spec).render("text")
    assert "[[0, 1], [4, -4]]" not in text


def test_a_counterexample_chooses_only_what_is_left_free():
    """A is given (indefinite), B is free: the counterexample picks B and keeps A's values."""
    spec = ('problem "q" { vector x : (2)\nmatrix B : (2, 2)\nlet A = [[1, 0], [0, -1]]\n'
            'f = x @ A @ x + x @ B.T @ B @ x\nfind convex(f, x) }')
    (r,) = derive.solve(spec).results
    assert r.error is None and r.answer.value is False
    (cx,) = [s for s in r.steps if s.rule == "counterexample"]
    chosen = _chosen(cx)
    assert set(map(str, chosen)) == {"B"} and cx.checked is True
    # recompute from what is shown: the Hessian there is 2A + 2BᵀB with A as given, and vᵀHv < 0
    vt, Hs, v = cx.chain[0].args
    H = _mat(Hs.doit())
    v = _mat(v)
    assert (v.T @ H @ v).item() < 0 and np.isclose((v.T @ H @ v).item(), float(cx.chain[-1]))
    assert np.linalg.eigvalsh(H - 2 * np.diag([1.0, -1.0])).min() >= -TOL     # H − 2A = 2BᵀB ⪰ 0
    assert not cx.chain[0].free_symbols and not cx.chain[0].atoms(sp.MatrixSymbol)


def test_free_scalar_counterexample_shows_its_value():
    spec = 'problem "r" { dim d = 2\nvector x : (d)\nsymbol lam\nf = lam * (x @ x)\nfind convex(f, x) }'
    (r,) = derive.solve(spec).results
    assert r.error is None and r.answer.value is False
    (cx,) = [s for s in r.steps if s.rule == "counterexample"]
    assert set(map(str, _chosen(cx))) == {"lam"}
    assert cx.checked is True and not cx.chain[0].free_symbols


def test_psd_errors():
    (r,) = derive.solve('problem "e" { let K = [[1, 2, 3], [4, 5, 6]]\nfind psd(K) }').results
    assert r.error is not None and "square" in r.error.message and r.error.line == 2
    (r,) = derive.solve('problem "e" { let K = [[1, 2], [0, 1]]\nfind psd(K) }').results
    assert r.error is None and r.answer.value is False and "not symmetric" in str(r.answer.prose)
    (r,) = derive.solve('problem "e" { symbol a\nlet K = [[a, 0], [0, 1]]\nfind psd(K) }').results
    assert r.error is not None and r.error.kind == "unsupported"


def test_given_constant_part_plus_free_sum_of_squares():
    """∇²f = 2BᵀB + 2A with B free and A given: convex exactly because 2A is PSD."""
    body = 'vector x : (2)\nmatrix B : (2, 2)\nlet A = {A}\nf = x @ A @ x + x @ B.T @ B @ x\nfind convex(f, x)'
    (yes,) = derive.solve('problem "t" { ' + body.format(A="[[2, 1], [1, 2]]") + ' }').results
    assert yes.error is None and yes.answer.value is True
    assert any(s.rule == "quadratic_form" and s.checked for s in yes.steps)
    assert any(s.rule == "minor" and s.checked for s in _steps(yes))
    (no,) = derive.solve('problem "t" { ' + body.format(A="[[1, 2], [2, 1]]") + ' }').results
    assert no.error is None and no.answer.value is False       # (at B = 0, or any B the search finds)


def test_symbolic_size_with_a_let_scalar():
    spec = 'problem "h" { dim d\nvector w : (d)\nlet lambda = 1/2\nf = lambda * (w @ w)\nfind convex(f, w)\nfind hessian(f, w) }'
    conv, hess = derive.solve(spec).results
    assert conv.error is None and conv.answer.value is True
    assert hess.error is None and hess.answer.text.replace(" ", "") in ("I", "Identity(d)", "1")


def test_a_hessian_that_depends_on_x_keeps_the_given_matrix():
    spec = ('problem "q" { vector x : (2)\nlet A = [[1, 0], [0, -3]]\nf = (x @ x)^2 + x @ A @ x\n'
            'find convex(f, x) }')
    (r,) = derive.solve(spec).results
    assert r.error is None and r.answer.value is False
    (cx,) = [s for s in r.steps if s.rule == "counterexample"]
    chosen = _chosen(cx)
    assert set(map(str, chosen)) == {"x"} and cx.checked is True
    # recompute vᵀ∇²f(x)v in NumPy at the x shown: ∇²f = 4(xᵀx)I + 8xxᵀ + 2A
    x = _mat(chosen[sp.MatrixSymbol("x", 2, 1)])
    v = _mat(cx.chain[0].args[-1])
    H = 4 * (x.T @ x).item() * np.eye(2) + 8 * x @ x.T + 2 * np.diag([1.0, -3.0])
    assert (v.T @ H @ v).item() < 0 and np.isclose((v.T @ H @ v).item(), float(cx.chain[-1]))


def _chosen(step) -> dict:
    """The values a counterexample step says it chooses (its sentence's definitions)."""
    return {r.lhs: r.rhs for r in step.text.relations() if r.kind == "definition"}


def test_the_variable_is_never_substituted_by_convex():
    """`param w = [1, 2]` is the point for `hessian`, but convexity is about every w."""
    spec = ('problem "p" { param w = [1, 2]\nlet A = [[2, 1], [1, 2]]\nf = w @ A @ w - (w @ w)^2\n'
            'find convex(f, w)\nfind hessian(f, w) }')
    conv, hess = derive.solve(spec).results
    assert conv.error is None and conv.answer.value is False
    (sub,) = [s for s in conv.steps if s.rule == "substitute"]
    assert sp.MatrixSymbol("w", 2, 1) in sub.chain[-1].atoms(sp.MatrixSymbol)
    (cx,) = [s for s in conv.steps if s.rule == "counterexample"]
    assert set(map(str, _chosen(cx))) == {"w"} and cx.checked is True
    # hessian: at the given w, 2A − 4(wᵀw)I − 8wwᵀ
    w = np.array([[1.0], [2.0]])
    want = 2 * np.array([[2.0, 1.0], [1.0, 2.0]]) - 4 * (w.T @ w).item() * np.eye(2) - 8 * w @ w.T
    assert hess.error is None and np.allclose(np.array(hess.answer.value, dtype=float), want)


@pytest.mark.parametrize("K, ok", [("[[2, 1], [1, 2]]", True), ("[[1, 2], [2, 4]]", True), ("[[1, 3], [3, 1]]", False)])
def test_kernel_matrix_psd_judges_the_given_K(K, ok):
    (r,) = derive.solve(f'problem "k" {{ let K = {K}\nfind derivation(kernel_matrix_psd) }}').results
    assert r.error is None
    (given,) = [s for s in r.steps if s.rule == "given"]
    Kn = np.array(json.loads(K), dtype=float)
    assert kind_of(Kn) != "not_psd" if ok else kind_of(Kn) == "not_psd"
    assert all(s.checked in (True, None) for s in given.walk()) and any(s.checked for s in given.walk())
    assert ("is not positive semi-definite" in str(r.answer.prose)) is (not ok)
    assert ("is not positive semi-definite" in str(given.text)) is (not ok)
