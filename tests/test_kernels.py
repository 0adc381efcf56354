"""feature_map: φ(p)ᵀφ(q) = k(p, q) for polynomial kernels in dimensions 1–4 and degrees 1–4,
the component counts C(n+d−1, d) / C(n+d, d), Gaussian truncations, and bad kernels."""
import math
from math import comb

import numpy as np
import pytest
import sympy as sp
from sympy.parsing.sympy_parser import parse_expr

import derive
from derive.sentence import say
from derive.sentence_print import print_sentence


def solve_one(body: str, n: int, extra: str = "", goal: str = "feature_map(k)"):
    decl = f"vector p, q : ({n})" if n else ""
    sol = derive.solve(f'problem "k" {{\n {decl}\n {extra}\n k(p, q) = {body}\n find {goal}\n}}')
    (r,) = sol.results
    return r


def components(text: str, n: int) -> tuple[list, list, list]:
    p = sp.symbols(" ".join(f"p_{i}" for i in range(1, n + 1)), seq=True)
    q = sp.symbols(" ".join(f"q_{i}" for i in range(1, n + 1)), seq=True)
    local = {s.name: s for s in p + q}
    local.update({"c": sp.Symbol("c"), "gamma": sp.Symbol("gamma")})
    parsed = parse_expr(text, local_dict=local)
    phi = list(parsed) if isinstance(parsed, sp.MatrixBase) else [parsed]   # one component is a scalar
    return phi, list(p), list(q)


def inner(phi, p, q):
    dual = [c.subs(dict(zip(p, q)), simultaneous=True) for c in phi]
    return sum(a * b for a, b in zip(phi, dual))


@pytest.mark.parametrize("n", [1, 2, 3, 4])
@pytest.mark.parametrize("d", [1, 2, 3, 4])
def test_homogeneous_polynomial_kernel(n, d):
    r = solve_one(f"(p @ q)^{d}", n)
    assert r.error is None, r.error
    phi, p, q = components(r.answer.text, n)
    assert len(phi) == comb(n + d - 1, d)
    kernel = sum(a * b for a, b in zip(p, q)) ** d
    assert sp.expand(inner(phi, p, q) - kernel) == 0
    assert r.steps[-1].rule == "check_inner_product" and r.steps[-1].checked is True
    for s in r.steps:      # every shown equality was checked, none left undecided
        assert s.checked is True or (s.checked is None and len(s.chain) <= 1), (s.rule, s.check)


@pytest.mark.parametrize("n", [1, 2, 3, 4])
@pytest.mark.parametrize("d", [1, 2, 3, 4])
def test_polynomial_kernel_with_constant(n, d):
    r = solve_one(f"(2 * (p @ q) + c)^{d}", n, "symbol c : positive")
    assert r.error is None, r.error
    phi, p, q = components(r.answer.text, n)
    assert len(phi) == comb(n + d, d)
    c = sp.Symbol("c")
    kernel = (2 * sum(a * b for a, b in zip(p, q)) + c) ** d
    diff = inner(phi, p, q) - kernel
    # c is positive in the spec: check at random positive c and random p, q (numpy as the oracle)
    rng = np.random.default_rng(n * 10 + d)
    f = sp.lambdify(p + q + [c], diff)
    for _ in range(3):
        vals = list(rng.normal(size=2 * n)) + [rng.uniform(0.1, 3)]
        assert abs(f(*vals)) < 1e-8 * max(1.0, abs(sp.lambdify(p + q + [c], kernel)(*vals)))
    text = " ".join(print_sentence(say(s.text), "md") for s in r.steps)
    assert r"\binom{d + n}{d}" in text


def test_seed_cubic_kernel_has_four_components_and_sqrt3():
    r = solve_one("(p @ q)^3", 2)
    phi, p, q = components(r.answer.text, 2)
    assert len(phi) == 4
    assert sp.sqrt(3) * p[0] ** 2 * p[1] in phi
    assert r.answer.value is None          # symbolic


def test_scalar_kernel_is_one_dimensional():
    sol = derive.solve('problem "s" { k(x, y) = (x*y + 1)^2\n find feature_map(k) }')
    (r,) = sol.results
    x, y = sp.symbols("x y")
    phi = list(parse_expr(r.answer.text, local_dict={"x": x, "y": y}))
    assert len(phi) == 3
    assert sp.expand(sum(c * c.subs(x, y) for c in phi) - (x * y + 1) ** 2) == 0


@pytest.mark.parametrize("order", [1, 2, 3])
def test_gaussian_kernel_truncation(order):
    r = solve_one("exp(-gamma * norm(p - q)^2)", 2, "symbol gamma : positive", f"feature_map(k, order = {order})")
    assert r.error is None, r.error
    phi, p, q = components(r.answer.text, 2)
    assert len(phi) == comb(2 + order, order)
    g = sp.Symbol("gamma")
    f = sp.lambdify(p + q + [g], inner(phi, p, q))
    rng = np.random.default_rng(order)
    for _ in range(3):
        pv, qv, gv = rng.normal(size=2) * 0.5, rng.normal(size=2) * 0.5, 0.7
        s = pv @ qv
        trunc = np.exp(-gv * pv @ pv) * np.exp(-gv * qv @ qv) * sum((2 * gv * s) ** k / math.factorial(k)
                                                                    for k in range(order + 1))
        assert f(*pv, *qv, gv) == pytest.approx(trunc, rel=1e-9)
    assert any("infinite" in str(s.text) for s in r.steps)


def test_gaussian_truncation_converges_to_the_kernel():
    errs = []
    pv, qv, gv = np.array([0.3, -0.2]), np.array([0.1, 0.4]), 0.5
    for order in (1, 3, 5):
        r = solve_one("exp(-gamma * norm(p - q)^2)", 2, "symbol gamma : positive", f"feature_map(k, order = {order})")
        phi, p, q = components(r.answer.text, 2)
        f = sp.lambdify(p + q + [sp.Symbol("gamma")], inner(phi, p, q))
        errs.append(abs(f(*pv, *qv, gv) - np.exp(-gv * np.sum((pv - qv) ** 2))))
    assert errs[0] > errs[1] > errs[2]


@pytest.mark.parametrize("body, words", [
    ("(p @ p) * (q @ q)", "not a polynomial in pᵀq"),
    ("(p @ q - 1)^2", "coefficient -2 < 0"),
    ("sqrt(p @ q)", "not a polynomial"),
    ("p[1] * q[2]", "not a polynomial in pᵀq"),
])
def test_bad_kernels_are_spec_errors_at_the_definition(body, words):
    r = solve_one(body, 2)
    assert r.error is not None and words in r.error.message
    assert r.error.line == 4                   # the line of `k(p, q) = ...`


def test_symbolic_dimension_is_unsupported_with_a_reason():
    sol = derive.solve('problem "k" { dim d\n vector p, q : (d)\n k(p, q) = (p @ q)^2\n find feature_map(k) }')
    (r,) = sol.results
    assert r.error.kind == "unsupported" and "dimension" in r.error.message


def test_not_a_function():
    sol = derive.solve('problem "k" { let k = 3\n find feature_map(k) }')
    (r,) = sol.results
    assert "not a kernel function" in r.error.message


# ---- any dimension and degree: φ(p)·φ(q) against k(p, q) at random points (NumPy) -----------

@pytest.mark.parametrize("body, n, count", [
    ("(p @ q + 2)^3", 5, comb(5 + 3, 3)),          # inhomogeneous, every degree 0..3
    ("(3 * (p @ q))^2", 6, comb(6 + 1, 2)),        # homogeneous with a coefficient
    ("(p @ q)^5 + 4 * (p @ q)", 3, comb(7, 5) + 3),   # only the degrees 5 and 1
    ("(p @ q + 1)^2", 12, comb(14, 2)),
])
def test_feature_map_inner_product_is_the_kernel_numerically(body, n, count):
    r = solve_one(body, n)
    assert r.error is None, r.error
    phi, p, q = components(r.answer.text, n)
    assert len(phi) == count == dict(r.answer.extra)["components"]
    f_phi = sp.lambdify(p, sp.Matrix(phi), "numpy")
    g = {"(p @ q + 2)^3": lambda s: (s + 2) ** 3, "(3 * (p @ q))^2": lambda s: 9 * s ** 2,
         "(p @ q)^5 + 4 * (p @ q)": lambda s: s ** 5 + 4 * s, "(p @ q + 1)^2": lambda s: (s + 1) ** 2}[body]
    rng = np.random.default_rng(n)
    for _ in range(4):
        pv, qv = rng.normal(size=n), rng.normal(size=n)
        got = float(np.ravel(f_phi(*pv)) @ np.ravel(f_phi(*qv)))
        assert got == pytest.approx(g(pv @ qv), rel=1e-9, abs=1e-9)
    assert r.steps[-1].rule == "check_inner_product" and r.steps[-1].checked is True


@pytest.mark.parametrize("n", [3, 6])
def test_gaussian_feature_map_in_more_dimensions(n):
    r = solve_one("2 * exp(-gamma * norm(p - q)^2)", n, "symbol gamma : positive", "feature_map(k, order = 2)")
    assert r.error is None, r.error
    phi, p, q = components(r.answer.text, n)
    assert len(phi) == comb(n + 2, 2)
    g = sp.Symbol("gamma")
    f = sp.lambdify(p + [g], sp.Matrix(phi), "numpy")
    rng = np.random.default_rng(5)
    for _ in range(3):
        pv, qv, gv = rng.normal(size=n) * 0.5, rng.normal(size=n) * 0.5, 0.4
        got = float(np.ravel(f(*pv, gv)) @ np.ravel(f(*qv, gv)))
        s = pv @ qv
        want = 2 * np.exp(-gv * pv @ pv) * np.exp(-gv * qv @ qv) * (1 + 2 * gv * s + (2 * gv * s) ** 2 / 2)
        assert got == pytest.approx(want, rel=1e-9)


# ---- kernels too large to write out: refused at the definition, before expanding ------------

@pytest.mark.parametrize("body, kind, words", [
    ("(p @ q + 1)^10", "limit", "components"),                 # C(110, 10) components
    ("(a * (p @ q) + 1)^10", "limit", "components"),           # a symbolic coefficient: not read off directly
    ("exp((p @ q + 1)^10)", "limit", "terms"),                 # its exponent cannot be written out
    ("(p @ q + 1)^10 / (p @ q + 2)", "error", "not a polynomial"),
    ("(p @ q)^10 * exp(p @ q)", "error", "neither a polynomial"),
    ("(p @ q + p[1] * q[2])^10", "error", "not a polynomial in pᵀq"),
    ("exp(-a * norm(p - q)^2)", "limit", "components"),       # its truncation at degree 2: C(102, 2)
])
def test_high_dimensional_kernels_are_refused_at_the_definition(body, kind, words):
    r = solve_one(body, 100, "symbol a : positive")
    assert r.error is not None and r.error.kind == kind and words in r.error.message, r.error
    assert r.error.line == 4                   # the line of `k(p, q) = ...`


def test_expansion_bound_is_an_upper_bound():
    from derive.derivers.kernels.classify import expansion_terms
    x, y, z = sp.symbols("x y z")
    for e in [(x + y) ** 2, (x + y + z) ** 3 * (x + 1), sp.exp(x + y) * (x + z) ** 2, (x + y) ** 2 + (x - y) ** 2]:
        assert expansion_terms(e) >= len(sp.Add.make_args(sp.expand(e)))
    assert expansion_terms((x + y + z) ** 10) == comb(12, 10)
