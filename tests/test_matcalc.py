"""Matrix calculus: grad / hessian / convex / expand / simplify / pseudocode.

Every closed form is evaluated at random numeric matrices and compared with NumPy
central differences of the original function, written out directly in NumPy (an
independent route: neither sympy's matrix derivatives nor derive's own checker).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy.parsing.sympy_parser import parse_expr

import derive
from derive.engines import matpoly as M
from derive.engines.numderiv import derivative
from derive.errors import CheckFailed, SpecError
from derive.steps import make_step

RNG = np.random.default_rng(20240607)


# ---- helpers ------------------------------------------------------------------------------

def solve(text: str):
    return derive.solve(text)


def results(text: str):
    return derive.solve(text).results


def evaluate(text: str, values: dict[str, np.ndarray], scalars: dict[str, float] | None = None,
             sizes: dict[str, int] | None = None) -> np.ndarray:
    """answer.text parsed with MatrixSymbols of the values' shapes, evaluated at the values."""
    mats = {n: sp.MatrixSymbol(n, *v.shape) for n, v in values.items()}
    local = {n: sp.Integer(v) for n, v in (sizes or {"d": 3}).items()}
    local.update(mats)
    local.update({n: sp.Symbol(n) for n in (scalars or {})})
    e = parse_expr(text, local_dict=local)
    subs = {mats[n]: sp.ImmutableMatrix(v.tolist()) for n, v in values.items()}
    subs.update({local[n]: sp.Float(x, 30) for n, x in (scalars or {}).items()})
    out = e.xreplace(subs).doit()
    if isinstance(out, sp.MatrixBase):
        return np.array(out.evalf(30).tolist(), dtype=float)
    if hasattr(out, "as_explicit"):
        return np.array(out.as_explicit().evalf(30).tolist(), dtype=float)
    return np.array([[float(out)]])


def central_grad(f, values: dict[str, np.ndarray], name: str, h: float = 1e-6) -> np.ndarray:
    """∂f/∂(values[name]) by central differences, the shape of that value."""
    base = values[name]
    out = np.zeros_like(base, dtype=float)
    for idx in np.ndindex(base.shape):
        plus = {k: v.copy() for k, v in values.items()}
        minus = {k: v.copy() for k, v in values.items()}
        plus[name][idx] += h
        minus[name][idx] -= h
        out[idx] = (f(**plus) - f(**minus)) / (2 * h)
    return out


def rand(*shape) -> np.ndarray:
    return RNG.integers(-3, 4, size=shape).astype(float)


def close(a, b, tol=1e-5) -> bool:
    a, b = np.asarray(a, float), np.asarray(b, float)
    return a.shape == b.shape and np.allclose(a, b, rtol=tol, atol=tol * max(1.0, np.abs(b).max()))


LS = """problem "ls" {
  dim N, d, B
  symbol eta : positive
  matrix X : (N, d)
  vector y : (N)
  vector w : (d)
  L = norm(y - X @ w)^2
  (a) find grad(L, w)
  (b) find hessian(L, w)
  (c) find convex(L, w)
  (d) find pseudocode(minibatch_sgd(L, w, lr = eta, batch = B))
}"""


# ---- least squares: the seed problem -------------------------------------------------------------

@pytest.fixture(scope="module")
def ls():
    return results(LS)


def test_least_squares_gradient_matches_central_differences(ls):
    a = ls[0]
    assert a.error is None
    for _ in range(3):
        X, y, w = rand(5, 3), rand(5, 1), rand(3, 1)
        got = evaluate(a.answer.text, {"X": X, "y": y, "w": w})
        want = central_grad(lambda X, y, w: float(np.sum((y - X @ w) ** 2)), {"X": X, "y": y, "w": w}, "w")
        assert close(got, want)


def test_least_squares_steps_name_the_identities(ls):
    from derive.sentence_print import sentence_md
    text = " ".join(sentence_md(s.text) if not isinstance(s.text, str) else s.text
                    for s0 in ls[0].steps for s in s0.walk())
    for needle in (r"\left(a^{T} w\right) = a", r"\left(w^{T} A w\right) = \left(A + A^{T}\right) w",
                   "denominator layout", "chain rule"):
        assert needle in text
    # the identities are claims, checked like the chains
    rels = [r for s0 in ls[0].steps for s in s0.walk() if not isinstance(s.text, str) for r in s.text.relations()]
    assert any(r.kind == "claim" and r.checked for r in rels)
    assert all(s.checked in (True, None) for s0 in ls[0].steps for s in s0.walk())
    assert any(s.checked for s in ls[0].steps)


def test_least_squares_hessian_and_convexity(ls):
    b, c = ls[1], ls[2]
    X = rand(5, 3)
    assert close(evaluate(b.answer.text, {"X": X}), 2 * X.T @ X)
    assert c.answer.value is True
    from derive.sentence import Sentence
    from derive.sentence_print import sentence_md
    prose = sentence_md(c.answer.prose) if isinstance(c.answer.prose, Sentence) else c.answer.prose
    assert "\\lVert X v" in prose.replace(" ", "").replace("\\left", "").replace("\\right", "") \
        or "X v" in prose


def test_pseudocode_mentions_batch_and_learning_rate(ls):
    d = ls[3]
    text = json.loads(d.answer.text)         # the pseudocode as plain numbered lines, a quoted literal
    assert "batch" in text.lower() and ("η" in text or "eta" in text) and "w ←" in text
    assert text.count("\n1. ") == 1 and "\n9. return w" in text
    # the lines are sentences with maths as data, in the algorithm step's table
    from derive.sentence_print import print_sentence
    (table,) = [s.table for s in d.steps if s.rule == "algorithm"]
    lines = [print_sentence(row[1], "md") for row in table.rows]
    assert len(lines) == 9 and lines[-1] == "*return* $w$"
    # the minibatch gradient line is derived, not a template: it holds X_B^T(y_B - X_B w)
    assert "X_{\\mathcal{B}}^{T}" in lines[5] and "\\leftarrow" in lines[5]


def test_hessian_matches_second_differences():
    r = results("""problem "q" { dim d
      vector w, a : (d)
      matrix A : (d, d)
      f = (w @ w)^2 + w @ A @ w + a @ w
      find hessian(f, w) }""")[0]
    assert r.error is None
    w, a, A = rand(3, 1), rand(3, 1), rand(3, 3)

    def grad(w, a, A):
        return 4 * (w.T @ w).item() * w + (A + A.T) @ w + a
    H = np.zeros((3, 3))
    for j in range(3):
        e = np.zeros((3, 1))
        e[j] = 1e-6
        H[:, j] = ((grad(w + e, a, A) - grad(w - e, a, A)) / 2e-6)[:, 0]
    assert close(evaluate(r.answer.text, {"w": w, "a": a, "A": A}), H)


# ---- gradients of many shapes of function ----------------------------------------------------------

CASES = [
    # (declarations, definition, variable, numpy function, shapes)
    ("vector x : (d)\nmatrix A : (d, d)", "x @ A @ x", "x",
     lambda x, A: (x.T @ A @ x).item(), {"x": (3, 1), "A": (3, 3)}),
    ("vector a, b : (d)\nmatrix X : (d, d)", "a @ X @ b", "X",
     lambda a, b, X: (a.T @ X @ b).item(), {"a": (3, 1), "b": (3, 1), "X": (3, 3)}),
    ("vector a, b : (d)\nmatrix X : (d, d)", "a @ X.T @ b", "X",
     lambda a, b, X: (a.T @ X.T @ b).item(), {"a": (3, 1), "b": (3, 1), "X": (3, 3)}),
    ("matrix W : (m, d)\nvector x : (d)\nvector t : (m)", "norm(W @ x - t)^2", "W",
     lambda W, x, t: float(np.sum((W @ x - t) ** 2)), {"W": (2, 3), "x": (3, 1), "t": (2, 1)}),
    ("vector x : (d)", "(x @ x)^2", "x", lambda x: (x.T @ x).item() ** 2, {"x": (3, 1)}),
    ("vector x, a, b : (d)", "(a @ x) * (b @ x)", "x",
     lambda x, a, b: (a.T @ x).item() * (b.T @ x).item(), {"x": (3, 1), "a": (3, 1), "b": (3, 1)}),
    ("matrix X : (n, d)\nvector y : (n)\nvector w : (d)\nsymbol lam : positive",
     "norm(X @ w - y)^2 + lam * norm(w)^2", "w",
     lambda X, y, w: float(np.sum((X @ w - y) ** 2) + 0.7 * np.sum(w ** 2)),
     {"X": (4, 3), "y": (4, 1), "w": (3, 1)}),
    ("matrix W : (d, d)", "norm(W)^2", "W", lambda W: float(np.sum(W ** 2)), {"W": (3, 3)}),
    ("matrix A, B : (d, d)\nvector x : (d)", "x @ A @ B @ x", "A",
     lambda A, B, x: (x.T @ A @ B @ x).item(), {"A": (3, 3), "B": (3, 3), "x": (3, 1)}),
    ("vector x : (d)\nvector y : (m)", "mse(y, y)+ sum(x)", "x", lambda x, y: float(np.sum(x)),
     {"x": (3, 1), "y": (2, 1)}),
]


@pytest.mark.parametrize("decl, body, var, fn, shapes", CASES, ids=[c[1] for c in CASES])
def test_gradient_equals_central_differences(decl, body, var, fn, shapes):
    spec = f'problem "g" {{ dim d, m, n\n{decl}\nf = {body}\nfind grad(f, {var}) }}'
    (r,) = results(spec)
    assert r.error is None, r.error
    for _ in range(2):
        values = {k: rand(*s) for k, s in shapes.items()}
        scal = {"lam": 0.7} if "lam" in body else {}
        got = evaluate(r.answer.text, values, scal)
        want = central_grad(fn, values, var)
        assert close(got, want), (r.answer.text, got, want)


def test_gradient_has_the_shape_of_the_variable():
    (r,) = results('problem "s" { dim m, d\nmatrix W : (m, d)\nvector x : (d)\nvector t : (m)\n'
                   'f = norm(W @ x - t)^2\nfind grad(f, W) }')
    W, x, t = rand(2, 3), rand(3, 1), rand(2, 1)
    got = evaluate(r.answer.text, {"W": W, "x": x, "t": t})
    assert got.shape == (2, 3)
    assert close(got, 2 * (W @ x - t) @ x.T)


# ---- the engine itself -------------------------------------------------------------------------------

def test_a_wrong_closed_form_is_caught():
    d = sp.Symbol("d", integer=True, positive=True)
    A, x = sp.MatrixSymbol("A", d, d), sp.MatrixSymbol("x", d, 1)
    f = sp.Trace(x.T * A * x)
    make_step("ok", "", M.GradientOf(f, x), (A + A.T) * x)
    with pytest.raises(CheckFailed):
        make_step("wrong", "", M.GradientOf(f, x), 2 * A * x)     # sympy#17229-style slip: A is not symmetric


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(-3, 3), min_size=9, max_size=9), st.lists(st.integers(-3, 3), min_size=3, max_size=3),
       st.integers(1, 3))
def test_complex_step_agrees_with_sympy_diff(A_entries, v, power):
    x = sp.MatrixSymbol("x", 3, 1)
    A = sp.ImmutableMatrix(3, 3, A_entries)
    f = sp.Trace(x.T * A * x) ** power + sp.Trace(sp.ImmutableMatrix([1, 2, 3]).T * x) / 7
    V = sp.ImmutableMatrix(3, 1, v)
    fast = derivative(M.GradientOf(f, x), V)
    E = sp.Matrix(sp.symbols("e0:3", real=True))
    fe = f.xreplace({x: sp.ImmutableMatrix(E)}).doit()
    slow = sp.ImmutableMatrix([sp.diff(fe, e).xreplace(dict(zip(E, v))) for e in E])
    assert fast == slow


def test_factoring_pulls_common_factors():
    d, N = sp.symbols("d N", integer=True, positive=True)
    X, y, w = sp.MatrixSymbol("X", N, d), sp.MatrixSymbol("y", N, 1), sp.MatrixSymbol("w", d, 1)
    p = M.to_poly(-2 * X.T * y + 2 * X.T * X * w)
    fac = M.factor(p)
    assert fac.gain > 0
    from derive.printing import latex
    assert latex(fac.expr) == r"- 2 X^{T} \left(y - X w\right)"


def test_transposed_scalars_combine():
    d = sp.Symbol("d", integer=True, positive=True)
    a, b = sp.MatrixSymbol("a", d, 1), sp.MatrixSymbol("b", d, 1)
    A = sp.MatrixSymbol("A", d, d)
    p = M.to_poly(a.T * A * b + b.T * A.T * a)
    assert len(p.terms) == 1 and p.terms[0].coef == 2


# ---- expand and simplify ------------------------------------------------------------------------------

METRIC = """problem "m" { dim d, k
  matrix L : (k, d)
  vector x_i, x_j : (d)
  z_i = L @ x_i
  z_j = L @ x_j
  dist = (z_i - z_j) @ (z_i - z_j)
  find expand(dist)
  find simplify(dist)
}"""


def test_expand_metric_distance_factors_L_out():
    e, s = results(METRIC)
    L, xi, xj = rand(2, 3), rand(3, 1), rand(3, 1)
    want = float(((L @ xi - L @ xj).T @ (L @ xi - L @ xj)).item())
    for r in (e, s):
        assert r.error is None
        assert close(evaluate(r.answer.text, {"L": L, "x_i": xi, "x_j": xj}), [[want]])
    assert e.answer.text.replace(" ", "") == "(x_i-x_j).T*L.T*L*(x_i-x_j)"
    rules = [st.rule for st in e.steps]
    assert rules[0] == "substitute" and "factor" in rules and "expand" in rules


def test_expand_without_definitions_multiplies_out():
    (r,) = results('problem "e" { dim d\nvector a, b : (d)\nfind expand((a + b) @ (a + b)) }')
    assert r.answer.text.count("+") >= 2
    a, b = rand(3, 1), rand(3, 1)
    assert close(evaluate(r.answer.text, {"a": a, "b": b}), (a + b).T @ (a + b))


# ---- errors ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("body, goal, needle", [
    ("f = X @ w", "grad(f, w)", "3×2"),                        # inner sizes differ
    ("f = w.T @ X.T", "grad(f, w)", "shape"),                  # a transpose that does not fit
    ("f = X @ v", "grad(f, v)", "scalar"),                     # gradient of a vector
    ("f = v @ v", "grad(f, v + v)", "name"),                   # not a variable
    ("f = v @ v", "hessian(f, X)", "4-index"),                 # Hessian by a matrix
])
def test_bad_requests_are_errors_with_positions(body, goal, needle):
    spec = f'problem "e" {{ dim d = 2\nmatrix X : (3, 2)\nvector w : (3)\nvector v : (2)\n{body}\nfind {goal} }}'
    try:
        sol = derive.solve(spec)
    except SpecError as exc:
        assert needle in exc.message and exc.pos is not None
        return
    (r,) = sol.results
    assert r.error is not None and needle in r.error.message and r.error.line is not None


def test_unspecified_loss_without_its_gradient_is_an_error():
    spec = ('problem "u" { dim d\nvector x, y : (d)\nmatrix W : (d, d)\nh = W @ x\nL = loss(h, y)\n'
            'find grad(L, x) }')
    (r,) = results(spec)
    assert r.error is not None and "given grad(L, h)" in r.error.message


def test_not_convex_gives_a_checked_counterexample():
    (r,) = results('problem "c" { dim d\nvector w : (d)\nf = -(w @ w)\nfind convex(f, w) }')
    assert r.error is None and r.answer.value is False
    assert any(s.rule == "counterexample" and s.checked for s in r.steps)


def test_pseudocode_variants_and_errors():
    base = LS.split("(a)")[0]
    sgd = results(base + "find pseudocode(sgd(L, w, lr = eta)) }")[0]
    assert sgd.error is None and "one example" in sgd.answer.text
    full = results(base + "find pseudocode(batch_gd(L, w, lr = eta)) }")[0]
    assert full.error is None and "all examples" in full.answer.text
    for bad, needle in (("sgd(L, w, lr = eta, batch = B)", "batch"), ("adam(L, w)", "minibatch_sgd")):
        (r,) = results(base + f"find pseudocode({bad}) }}")
        assert r.error is not None and needle in r.error.message and r.error.line == 8


def test_pseudocode_with_a_regulariser():
    spec = LS.split("L = ")[0] + "symbol lam : positive\nL = norm(y - X @ w)^2 + lam * norm(w)^2\n" \
        "find pseudocode(minibatch_sgd(L, w, lr = eta, batch = B)) }"
    (r,) = results(spec)
    assert r.error is None
    assert "lambda" in r.answer.text or "lam" in r.answer.text


def test_seed_specs_solve():
    seed = next((p / "shared" / "specs" / "seed" for p in Path(__file__).resolve().parents
                 if (p / "shared" / "specs" / "seed").is_dir()), None)
    if seed is None:
        pytest.skip("no seed corpus")
    sol = derive.solve(seed / "p3-q3-metric-learning.spec")
    assert sol.results[0].error is None


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10 ** 6))
def test_fast_evaluator_agrees_with_sympy(seed):
    """The checker's fast exact evaluator (numderiv.evaluate_at) against sympy's doit."""
    import random
    from derive.engines.numderiv import evaluate_at
    rnd = random.Random(seed)
    d = sp.Symbol("d", integer=True, positive=True)
    A, B = sp.MatrixSymbol("A", d, d), sp.MatrixSymbol("B", d, d)
    x, y = sp.MatrixSymbol("x", d, 1), sp.MatrixSymbol("y", d, 1)
    c = sp.Symbol("c")
    pool = [A, B, A.T, B * A, A + B.T, sp.Identity(d), sp.MatMul(sp.Rational(rnd.randint(-5, 5), rnd.randint(1, 4)), A)]
    M1, M2 = rnd.choice(pool), rnd.choice(pool)
    exprs = [sp.Trace(x.T * M1 * M2 * y) * c + sp.Trace(x.T * x) ** 2,
             M1 * M2 * x + c * y, (M1 * x).T * (M2 * y), sp.MatAdd(M1, sp.MatMul(-c, M2))]
    point = {d: sp.Integer(3), c: sp.Rational(rnd.randint(-9, 9), rnd.randint(1, 5))}
    for m in (A, B, x, y):
        point[m] = sp.ImmutableMatrix(3, m.shape[1] if m.shape[1] == 1 else 3, lambda i, j: rnd.randint(-4, 4))
    for e in exprs:
        fast = evaluate_at(e, point)
        slow = e.xreplace({m: v for m, v in point.items() if isinstance(m, sp.MatrixSymbol)}).xreplace(point).doit()
        if hasattr(slow, "as_explicit"):
            slow = slow.as_explicit()
        if isinstance(slow, sp.MatrixBase) and slow.shape == (1, 1):
            slow = slow[0, 0]
        assert fast is not None
        assert sp.simplify(sp.sympify(fast) - sp.sympify(slow)) == 0 if not isinstance(slow, sp.MatrixBase) \
            else sp.ImmutableMatrix(fast) == sp.ImmutableMatrix(slow)


def test_gradient_by_a_scalar_symbol():
    (r,) = results('problem "s" { dim d\nvector w : (d)\nsymbol lam : positive\n'
                   'f = lam * (w @ w) + lam^2\nfind grad(f, lam) }')
    assert r.error is None
    w = rand(3, 1)
    assert close(evaluate(r.answer.text, {"w": w}, {"lam": 0.5}), [[2 * 0.5 + (w.T @ w).item()]])
