"""Named derivations, distance and margin: every shown equality is checked (and a broken one
raises CheckFailed), concrete distances agree with NumPy, the registry takes new modules."""
import numpy as np
import pytest
import sympy as sp

import derive
from derive import derivations
from derive.derivations import _geometry, kernel_matrix_symmetric
from derive.derivers.registry import Derived, make_answer
from derive.errors import CheckFailed
from derive.steps import make_step

ALL = ["kernel_matrix_psd", "kernel_matrix_symmetric", "mahalanobis_from_linear_map", "svm_primal"]


def solve(body: str):
    return derive.solve('problem "t" {\n' + body + '\n}').results


def test_the_registry_lists_the_derivations():
    assert set(ALL) <= set(derivations.names())


@pytest.mark.parametrize("name", ALL)
def test_every_equality_is_checked(name):
    (r,) = solve(f"find derivation({name})")
    assert r.error is None, r.error
    chains = [s for s in r.steps if len(s.chain) > 1]
    assert len(chains) >= 2
    for s in chains:
        assert s.checked is True, (s.rule, s.check)
    assert r.answer.prose


@pytest.mark.parametrize("name, words", [
    ("svm_primal", ["subject to", "\\xi", "2}{\\left\\lVert w"]),
    ("kernel_matrix_symmetric", ["symmetric"]),
    ("kernel_matrix_psd", ["semi-definite", "\\ge 0"]),
    ("mahalanobis_from_linear_map", ["semi-definite", "L = 0", "A = L^{T} L"]),
])
def test_rendered_text_reads_like_the_answer(name, words):
    sol = derive.solve(f'problem "t" {{ find derivation({name}) }}')
    md = sol.render("md")
    for w in words:
        assert w in md or w in sol.render("json"), w


def test_a_string_names_a_derivation_too():
    (r,) = solve('find derivation("svm_primal")')
    assert r.error is None


def test_unknown_derivation_suggests_a_name():
    (r,) = solve("find derivation(svm_primol)")
    assert "unknown derivation" in r.error.message and "svm_primal" in r.error.message


def test_breaking_a_hypothesis_raises_check_failed(monkeypatch):
    # put the "points on H" off the plane: the normal step's equality no longer holds
    monkeypatch.setattr(_geometry, "on_plane", lambda u, w, b, level=0: u)
    with pytest.raises(CheckFailed):
        derivations.lookup("svm_primal").fn(None)


def test_breaking_an_inner_product_raises_check_failed(monkeypatch):
    monkeypatch.setattr(kernel_matrix_symmetric, "ip", lambda a, c: sp.Trace(a.T * c) + sp.Trace(a.T * a))
    with pytest.raises(CheckFailed):
        derivations.lookup("kernel_matrix_symmetric").fn(None)


def test_engine_rejects_a_false_matrix_identity():
    n, d = sp.symbols("N D", integer=True, positive=True)
    phi = sp.MatrixSymbol("Phi", n, d)
    with pytest.raises(CheckFailed):
        make_step("bad", "(ΦΦᵀ)ᵀ = ΦᵀΦ is false", sp.Transpose(phi * phi.T), phi.T * phi)


def test_distance_symbolic_answer_has_abs():
    (r,) = solve("dim d\n vector w, x : (d)\n symbol b\n find distance(x, hyperplane(w, b))")
    assert "Abs" in r.answer.text
    assert all(s.checked for s in r.steps if len(s.chain) > 1)


@pytest.mark.parametrize("seed", range(4))
def test_distance_concrete_matches_numpy(seed):
    rng = np.random.default_rng(seed)
    w = rng.integers(-5, 6, size=3)
    w[0] = w[0] or 1
    x = rng.integers(-5, 6, size=3)
    b = int(rng.integers(-5, 6))
    lst = lambda v: "[" + ", ".join(str(int(t)) for t in v) + "]"
    (r,) = solve(f"let w = {lst(w)}\n let x = {lst(x)}\n let b = {b}\n find distance(x, hyperplane(w, b))")
    assert r.error is None, r.error
    assert r.answer.value == pytest.approx(abs(w @ x + b) / np.linalg.norm(w))


def test_margin_concrete_and_symbolic():
    (r,) = solve("let w = [3, 4]\n find margin(hyperplane(w, 1))")
    assert r.answer.value == pytest.approx(2 / 5)
    (r,) = solve("dim d\n vector w : (d)\n symbol b\n find margin(hyperplane(w, b))")
    assert r.answer.text == "2/sqrt(Trace(w.T*w))"


def test_distance_between_points():
    (r,) = solve("let x = [1, 2]\n let y = [4, 6]\n find distance(x, y)")
    assert r.answer.value == pytest.approx(5.0)


def test_bad_hyperplanes():
    (r,) = solve("let w = [0, 0]\n find margin(hyperplane(w, 1))")
    assert "zero vector" in r.error.message
    (r,) = solve("let w = [1, 2]\n let x = [1, 2, 3]\n find distance(x, hyperplane(w, 1))")
    assert "components" in r.error.message
    (r,) = solve("let w = [1, 2]\n find margin(w)")
    assert "hyperplane" in r.error.message


def test_adding_a_derivation_is_one_registration():
    derivations.load_all()

    @derivations.derivation("one_plus_one", title="1 + 1 = 2")
    def one_plus_one(problem):
        two = sp.Integer(2)
        return Derived(make_answer(two), (make_step("add", "Add.", sp.Add(1, 1, evaluate=False), two),))

    try:
        (r,) = solve("find derivation(one_plus_one)")
        assert r.answer.value == 2 and r.steps[0].checked
    finally:
        derivations.DERIVATIONS.pop("one_plus_one")
