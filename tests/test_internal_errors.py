"""Regression tests for the internal errors fuzzing found (issue 14, item 4), one per cause.

Each spec once ended in an error of kind "internal" (exit code 3, a bug).  Now it gives a
clear SpecError / Unsupported / LimitError at the right line:column, or, where the maths is
well defined, the right answer, checked by an independent route (NumPy, math.comb).
"""
import math

import numpy as np
import pytest
import sympy as sp

import derive

# ---- helpers ---------------------------------------------------------------------------


def results(text: str):
    """The goal results of a one-problem spec (the spec itself must build)."""
    return derive.solve(text, "t.spec").results


def error_of(text: str, goal: int = 0):
    r = results(text)[goal]
    assert r.error is not None, f"expected an error, got {r.answer.text}"
    assert r.error.kind != "internal", r.error.message
    return r.error


def answer_of(text: str, goal: int = 0):
    r = results(text)[goal]
    assert r.error is None, r.error
    return r.answer


def nowhere_internal(text: str) -> None:
    """Solving and rendering in every format gives no internal error and no traceback."""
    solution = derive.solve(text, "t.spec")
    for r in solution.results:
        assert r.error is None or r.error.kind not in ("internal", "check_failed"), r.error
    for fmt in derive.FORMATS:
        solution.render(fmt)


# ---- a string, a function, a layer, a lambda or a truth value given to expand/simplify/convex --

NON_MATH = [
    # (definition line, argument, what the message calls it)
    ("f(t) = t^2", "f", "a function"),
    ("layer L1 = Linear(2, 3)", "L1", "a layer"),
    ("let s = \"x + 1\"", "s", "a string"),
    ("let s = \"\"", "s", "an empty string"),
    ("let u = 1", "(i) -> i", "a lambda"),
    ("let u = 1", "\"__import__('os')\"", "a string"),
    ("let u = 1", "true", "a truth value"),
]


# (convex(f, x) of a function `f(x) = ...` is its body's convexity: tests/test_matcalc.py)
CASES = [(g, *c) for g in ("expand", "simplify", "convex", "hessian") for c in NON_MATH
         if g in ("expand", "simplify") or c[2] != "a function"]


@pytest.mark.parametrize("goal, define, arg, what", CASES)
def test_a_non_expression_given_to_a_rewriting_goal_is_a_spec_error(goal, define, arg, what):
    extra = ", x" if goal in ("convex", "hessian") else ""
    text = f'problem "p" {{\n  symbol x\n  {define}\n  find {goal}({arg}{extra})\n}}\n'
    err = error_of(text)
    assert err.kind == "error"
    assert err.message == (f"`{goal}` works on a number, an expression or a tensor; `{arg}` is {what}")
    assert (err.line, err.column) == (4, 8 + len(goal) + 1)


def test_no_spec_string_reaches_sympys_parser(monkeypatch):
    """A string value goes nowhere near parse_expr (which sympify and every sympy function
    that sympifies its argument call, and which runs Python code)."""
    import sympy.parsing.sympy_parser as parser
    calls = []

    def refuse(text, *args, **kw):
        calls.append(text)
        raise AssertionError(f"a spec string reached parse_expr: {text!r}")
    monkeypatch.setattr(parser, "parse_expr", refuse)
    text = ('problem "p" {\n  symbol x\n  let s = "x + 1"\n  let c = "__import__(\'os\').getcwd()"\n'
            '  find expand(s), simplify(c), convex(s, x), hessian(c, x), grad(s, x), s + 1, max(c), exp(s), '
            '[s, 1], concat(s), eye(s), posterior(s, s, 1), feature_map(s), s\n}\n')
    kinds = [r.error.kind if r.error else "solved" for r in results(text)]
    assert kinds == ["error"] * 13 + ["solved"], kinds
    assert calls == []


def test_a_spec_string_cannot_be_sympified_at_all():
    """Defence in depth: a string value is a SpecString, which sympy refuses to sympify, so a
    string that slipped past every check is a SympifyError, never parsed."""
    from derive.model.expressions import SpecString
    s = derive.build(derive.parse('problem "p" {\n  let s = "__import__(\'os\').getcwd()"\n  find s\n}\n'))[0]
    value = s.names["s"].value
    assert isinstance(value, SpecString) and value == "__import__('os').getcwd()"
    for fn in (sp.sympify, sp.simplify, sp.nsimplify, sp.expand, lambda v: sp.Matrix([[v]])):
        with pytest.raises(sp.SympifyError):
            fn(value)


# ---- simplify of a division by a matrix expression ---------------------------------------

def test_simplify_of_a_vector_over_its_squared_norm_is_unsupported_not_internal():
    text = 'problem "p" {\n  dim n\n  vector z : (n)\n  find simplify(z / (z.T @ z)), expand(z / (z.T @ z))\n}\n'
    for goal in (0, 1):
        err = error_of(text, goal)
        assert err.kind == "unsupported"
        assert "is not a polynomial in the matrices" in err.message
        assert (err.line, err.column) == (4, 8 if goal == 0 else 33)


def test_dividing_by_a_symbolic_matrix_is_entrywise_and_simplify_of_it_is_unsupported_not_internal():
    """`/` of two tensors is the entrywise quotient (issue 11), also by a symbolic matrix."""
    text = ('problem "p" {\n  let A = [[1, 2], [3, 4]]\n  matrix M : (2, 2)\n  find simplify(A / M)\n'
            '  find A / M\n}\n')
    err = error_of(text)
    assert err.kind == "unsupported" and (err.line, err.column) == (4, 8)
    (_, r) = derive.solve(text).results
    assert r.ok and r.answer.expr.shape == (2, 2)
    M = sp.MatrixSymbol("M", 2, 2)
    assert sp.simplify(r.answer.expr.as_explicit()[1, 0] - 3 / M[1, 0]) == 0


# ---- numbers Python will not print (4,300 digits) --------------------------------------------

@pytest.mark.parametrize("call", ["eye(10^2200)", "zeros(10^2200, 10^2200)", "ones(10^3000, 2)"])
def test_a_tensor_of_a_huge_size_is_a_limit_error(call):
    err = error_of(f'problem "p" {{\n  find {call}\n}}\n')
    assert err.kind == "limit"
    assert "tensor has ≈10^" in err.message and "refuses more than 20,000" in err.message
    assert (err.line, err.column) == (2, 8)


def test_the_size_in_the_limit_message_is_the_right_power_of_ten():
    err = error_of('problem "p" {\n  find eye(10^2200)\n}\n')
    assert err.message.startswith("a ≈10^2200×≈10^2200 tensor has ≈10^4400 entries")


def test_a_sum_with_a_4300_digit_denominator_is_a_limit_error():
    """Σ 1/i for i ≤ 10⁴ has a denominator of lcm(1..10⁴), over 14,000 bits."""
    lcm_bits = math.lcm(*range(1, 10_001)).bit_length()
    assert lcm_bits > 14_000     # the independent reason the limit applies
    err = error_of('problem "p" {\n  let h = vector(10000, i -> 1/i)\n  find sum(h)\n}\n')
    assert err.kind == "limit"
    assert err.message.startswith("this result holds a number of ") and "refuses numbers over 14,000 bits" in err.message
    assert (err.line, err.column) == (3, 8)


def test_a_posterior_over_ten_thousand_hypotheses_is_a_limit_error():
    text = ('problem "p" {\n  let prior = full(10000, 1/10000)\n  let lik = vector(10000, i -> 1/i)\n'
            '  find posterior(prior, lik, 1)\n}\n')
    err = error_of(text)
    assert err.kind == "limit"
    assert "refuses numbers over 14,000 bits" in err.message
    assert (err.line, err.column) == (4, 8)


# ---- an unspecified loss(...) evaluated at numbers -----------------------------------------------

def test_an_unspecified_loss_at_numbers_stays_symbolic():
    text = 'problem "p" {\n  find loss(1), loss(1) + 1, exp(loss(2)), if loss(1) > 0 then 1 else 2\n}\n'
    answers = [r.answer for r in results(text)]
    assert all(a is not None for a in answers)
    assert [a.text for a in answers[:3]] == ["Loss(1)", "Loss(1) + 1", "exp(Loss(2))"]
    for r in results(text):
        assert all(s.rule != "decimal" for s in r.steps)    # no decimal of a value it does not have
    nowhere_internal(text)


def test_a_choice_against_a_posterior_with_an_unspecified_loss_is_not_internal():
    text = ('problem "p" {\n  symbol w1, b1 : positive\n  let prior = [1/2, 1/2]\n'
            '  let likelihood = [w1/(loss(w1) + b1), 1/2]\n  choices {\n    (a) 1/2\n    (b) none\n  }\n'
            '  find choice(posterior(prior, likelihood, 1))\n}\n')
    nowhere_internal(text)


# ---- grad of a constant with respect to a tensor of symbolic shape ---------------------------

def test_grad_of_a_constant_with_symbolic_dimensions_is_the_zero_matrix_of_that_shape():
    text = ('problem "p" {\n  dim n, m\n  vector w : (n)\n  matrix X : (m, n)\n'
            '  find grad(3, w), grad(3, X), grad(3, w[1])\n}\n')
    a, b, c = (answer_of(text, i) for i in range(3))
    n, m = sp.Symbol("n", integer=True, positive=True), sp.Symbol("m", integer=True, positive=True)
    assert a.expr == sp.ZeroMatrix(n, 1) and a.text == "ZeroMatrix(n, 1)"
    assert b.expr == sp.ZeroMatrix(m, n) and b.text == "ZeroMatrix(m, n)"
    assert c.expr == 0
    # the same goal with the sizes given is the explicit zero of that shape
    explicit = answer_of('problem "p" {\n  vector w : (3)\n  find grad(3, w)\n}\n')
    assert np.array_equal(np.array(explicit.expr.tolist(), dtype=float), np.zeros((3, 1)))


# ---- concat of one item ---------------------------------------------------------------------

def test_concat_of_one_item_is_that_item():
    text = ('problem "p" {\n  dim n\n  vector z : (n)\n  let v = [1, -2, 3]\n  let A = [[1, 2], [3, 4]]\n'
            '  find concat(v), concat([v]), concat(2), concat(A), concat(z), sum(concat(z)), concat(z).T @ z\n}\n')
    rs = results(text)
    assert all(r.error is None for r in rs), [r.error for r in rs]
    assert np.array_equal(np.array(rs[0].answer.expr.tolist(), dtype=float), np.array([[1], [-2], [3]]))
    assert rs[1].answer.expr == rs[0].answer.expr
    assert rs[2].answer.expr == sp.ImmutableMatrix([[2]]) or rs[2].answer.expr == 2
    assert np.array_equal(np.array(rs[3].answer.expr.tolist(), dtype=float), np.array([[1, 2], [3, 4]]))
    nowhere_internal(text)


# ---- what the fuzz run of bench/fuzz.py found besides ------------------------------------------

def test_a_goal_inside_a_definition_takes_the_given_values():
    """`h = relu(W1 @ x + simplify(b1))`: simplify(b1) is b1's value in h's value (it was the
    symbol, so h's value did not hold at the problem's numbers: a failed check)."""
    text = ('problem "p" {\n  input x = [1, 2]\n  param W1 = [[1, -1], [0.5, 2]]\n  param b1 = [3, -9]\n'
            '  h = relu(W1 @ x + simplify(b1))\n  find h\n}\n')
    h = answer_of(text).expr
    W1, x, b1 = np.array([[1, -1], [0.5, 2]]), np.array([1, 2]), np.array([3, -9])
    assert np.allclose(np.array(h.tolist(), dtype=float).ravel(), np.maximum(W1 @ x + b1, 0))
    nowhere_internal(text)


def test_a_vector_plus_the_max_of_a_parameter_broadcasts():
    """max(b1) of a parameter is a scalar (it did not commute with the matrices, so adding it
    to a vector failed inside sympy)."""
    text = ('problem "p" {\n  input x = [1, 2]\n  param W1 = [[1, -1], [0.5, 2]]\n  param b1 = [3, -9]\n'
            '  h = relu(W1 @ x + max(b1))\n  o = sum(h) + min(b1) * sum(x)\n  find h, o\n}\n')
    h, o = answer_of(text, 0).expr, answer_of(text, 1).expr
    W1, x, b1 = np.array([[1, -1], [0.5, 2]]), np.array([1, 2]), np.array([3, -9])
    want = np.maximum(W1 @ x + b1.max(), 0)
    assert np.allclose(np.array(h.tolist(), dtype=float).ravel(), want)
    assert float(o) == pytest.approx(want.sum() + b1.min() * x.sum())
    nowhere_internal(text)


# ---- feature maps too large to list ----------------------------------------------------------

def test_a_feature_map_too_large_to_list_is_refused_before_it_is_expanded():
    """(pᵀq + 1)^10 in ℝ^10 has C(20, 10) = 184,756 components: refused with the count, at the
    kernel, without expanding the polynomial (which took minutes)."""
    text = 'problem "k" {\n  vector p, q : (10)\n  k(p, q) = (p @ q + 1)^10\n  find feature_map(k)\n}\n'
    err = error_of(text)
    assert err.kind == "limit"
    assert err.message == (f"φ would have {math.comb(20, 10):,} components (degree 10 in pᵀq with p in ℝ^10); "
                           "derive lists at most 2,000")
    assert (err.line, err.column) == (3, 13)


def test_a_small_inhomogeneous_feature_map_is_derived():
    """(pᵀq + 1)^3 in ℝ^2: C(5, 3) = 10 components, and φ(p)ᵀφ(q) = k(p, q) at random points."""
    text = 'problem "k" {\n  vector p, q : (2)\n  k(p, q) = (p @ q + 1)^3\n  find feature_map(k)\n}\n'
    phi = answer_of(text).expr
    assert len(phi) == math.comb(5, 3)
    p_syms = sorted(phi.free_symbols, key=str)
    assert [str(x) for x in p_syms] == ["p_1", "p_2"]
    f = sp.lambdify(p_syms, list(phi))
    rng = np.random.default_rng(5)
    for _ in range(5):
        p, q = rng.normal(size=2), rng.normal(size=2)
        assert np.dot(f(*p), f(*q)) == pytest.approx((p @ q + 1) ** 3)


def test_the_distance_to_a_hyperplane_whose_normal_is_an_expression_in_w():
    """distance(x, hyperplane(sqrt(w), b)): the generic normal the derivation uses was named
    w too, so the check put the spec's w in for itself and the step failed its check."""
    text = ('problem "p" {\n  dim d\n  vector w, x : (d)\n  symbol b\n'
            '  find distance(x, hyperplane(sqrt(w), b)), margin(hyperplane(2 * w, b))\n}\n')
    dist, margin = answer_of(text, 0).expr, answer_of(text, 1).expr
    wv, xv, bv = np.array([4.0, 9.0, 1.0]), np.array([1.0, -2.0, 5.0]), 0.5

    def at_values(e):
        by_name = {str(m): m for m in e.atoms(sp.MatrixSymbol)} | {str(m): m for m in e.free_symbols}
        vals = {"w": sp.ImmutableMatrix([4, 9, 1]), "x": sp.ImmutableMatrix([1, -2, 5]), "b": sp.Rational(1, 2)}
        return float(sp.N(e.xreplace({by_name[k]: v for k, v in vals.items() if k in by_name}).doit()))
    assert at_values(dist) == pytest.approx(abs(np.sqrt(wv) @ xv + bv) / np.linalg.norm(np.sqrt(wv)))
    assert at_values(margin) == pytest.approx(2 / np.linalg.norm(2 * wv))
    concrete = answer_of('problem "p" {\n  let w = [4, 9]\n  let x = [1, 2]\n'
                         '  find distance(x, hyperplane(sqrt(w), 1))\n}\n').expr
    assert float(concrete) == pytest.approx(abs(np.array([2, 3]) @ np.array([1, 2]) + 1) / np.sqrt(13))


def test_the_distance_from_the_normal_vector_itself():
    """distance(w, hyperplane(w, b)) (bench/fuzz.py seed 1, case 1405): the derivation wrote
    the point with its own name, w, where the normal is w too, and a step failed its
    check.  The point is now named apart (x, or p if x is taken), and so is the variable
    of the hyperplane in the title: |wᵀw + b| / ‖w‖, checked against NumPy."""
    text = ('problem "p" {\n  dim d\n  vector w, x : (d)\n  symbol b\n'
            '  find distance(w, hyperplane(w, b)), distance(x + w, hyperplane(w, b)), '
            'distance(x, hyperplane(x, b))\n}\n')
    sol = derive.solve(text)
    assert [r.error for r in sol.results] == [None, None, None]
    wv, xv, bv = np.array([4.0, -1.0, 2.0]), np.array([1.0, 3.0, -2.0]), 0.5
    vals = {"w": sp.ImmutableMatrix(wv.astype(int)), "x": sp.ImmutableMatrix(xv.astype(int)), "b": sp.Rational(1, 2)}

    def at_values(e):
        by_name = {str(m): m for m in e.atoms(sp.MatrixSymbol)} | {str(m): m for m in e.free_symbols}
        return float(sp.N(e.xreplace({by_name[k]: v for k, v in vals.items() if k in by_name}).doit()))
    got = [at_values(r.answer.expr) for r in sol.results]
    want = [abs(wv @ wv + bv) / np.linalg.norm(wv), abs(wv @ (xv + wv) + bv) / np.linalg.norm(wv),
            abs(xv @ xv + bv) / np.linalg.norm(xv)]
    assert got == pytest.approx(want)
    assert "x^{T} z + b = 0" in derive.render(sol, "latex")         # hyperplane(x, b): {z : xᵀz + b = 0}


def test_the_attention_gradient_with_an_expression_as_a_weight_is_unsupported_not_a_failed_check():
    """attention([x1, x2], W_Q, log(W_K), W_V): the backward pass differentiated as if log(W_K)
    were a declared matrix, and its chain-rule step failed its check."""
    text = ('problem "p" {\n  dim d\n  vector x1, x2 : (d)\n  matrix W_Q, W_K, W_V : (d, d)\n  vector g1, g2 : (d)\n'
            '  Y = attention([x1, x2], W_Q, log(W_K), W_V, softmax = false, scale = false)\n'
            '  y1 = Y[1]\n  y2 = Y[2]\n  L = loss(y1, y2)\n  given grad(L, y1) = g1\n  given grad(L, y2) = g2\n'
            '  find grad(L, x1)\n}\n')
    err = error_of(text)
    assert err.kind == "unsupported"
    assert (err.line, err.column) == (12, 8)


def test_confusion_with_every_score_at_the_threshold_counts_them_positive():
    """A step whose display symbol is bound to a plain Python int (every count 0) was an
    internal error in the equality check; scikit-learn's rule: score ≥ threshold is positive."""
    spec = 'problem "p" {\n let s = [0, 0, 0]\n let y = [1, 0, 1]\n find confusion(s, y, threshold = 0)\n}'
    (r,) = derive.solve(spec).results
    assert r.error is None, r.error
    assert r.answer.value == [[0, 1], [0, 2]]      # true 0: one predicted 1; true 1: both predicted 1


def test_the_evaluate_goal_is_the_value_of_its_argument():
    """`find evaluate(e)` once recursed into itself ("nested too deeply"): it is the value of
    e, the same as `find e`, checked against the arithmetic done here."""
    sol = derive.solve('problem "e" {\n  let a = 3\n  x = a + 2\n  find evaluate(x * 2)\n  find x * 2\n}\n')
    (via_goal, plain) = sol.results
    assert via_goal.error is None and plain.error is None
    assert via_goal.answer.expr == plain.answer.expr == (3 + 2) * 2
    bad = derive.solve('problem "e" {\n  x = 2\n  find evaluate(x, x)\n}\n').results[0]
    assert bad.error is not None and bad.error.line == 3
