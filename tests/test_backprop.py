"""Numeric backprop (`grad`, `sgd_step`) against an independent NumPy oracle.

Random networks (widths, depths, activations, losses, exact one-decimal weights) are written
as specs, solved, and every gradient compared with a hand-written NumPy forward/backward
pass; that oracle is itself checked against central finite differences.  Every step a
derivation shows must have been checked by the engine.
"""
from __future__ import annotations

import os

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import derive

STRESS = int(os.environ.get("DERIVE_STRESS", "1"))      # multiply the examples for a long run
from derive.errors import SpecError
from derive.sentence import say
from derive.sentence_print import sentence_latex, sentence_text


# ---- the oracle -------------------------------------------------------------------------

SLOPE = Fraction(1, 100)
ACT = {
    "relu": (lambda z: np.where(z > 0, z, 0 * z), lambda z, h: np.where(z > 0, 1, 0)),
    "leaky_relu": (lambda z: np.where(z > 0, z, SLOPE * z), lambda z, h: np.where(z > 0, 1, SLOPE)),
    "sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda z, h: h * (1 - h)),
    "tanh": (np.tanh, lambda z, h: 1 - h ** 2),
}


def loss_value(net, out):
    y = np.array(net["y"], dtype=float)
    kind = net["loss"]
    if kind == "se":
        return float((y[0] - out[0]) ** 2)
    if kind == "mse":
        return float(np.mean((y - out) ** 2))
    if kind == "bce":
        p = 1 / (1 + np.exp(-out[0]))
        return float(-(y[0] * np.log(p) + (1 - y[0]) * np.log(1 - p)))
    s = np.exp(out - out.max())
    s = s / s.sum()
    return float(-np.sum(y * np.log(s)))


def loss_grad(net, out):
    """∂L/∂(last pre-activation), written out by hand for each loss."""
    y = np.array(net["y"], dtype=float)
    kind = net["loss"]
    if kind in ("se", "mse"):
        y = np.array([Fraction(e) for e in net["y"]], dtype=object) if out.dtype == object else y
    if kind == "se":
        return -2 * (y - out)
    if kind == "mse":
        return 2 * (out - y) / len(y)
    if kind == "bce":
        return 1 / (1 + np.exp(-out)) - y
    s = np.exp(out - out.max())
    s = s / s.sum()
    return s * y.sum() - y


def forward(net, Ws, bs, x):
    a, zs, hs = x, [], [x]
    for k, (W, b) in enumerate(zip(Ws, bs)):
        z = W @ a + b
        zs.append(z)
        if k < len(Ws) - 1:
            a = ACT[net["acts"][k]][0](z)
            hs.append(a)
        else:
            a = z
    return zs, hs, a


def exact(net) -> bool:
    """Piecewise-linear networks with polynomial losses run in exact fractions (object
    arrays), so a pre-activation that is exactly 0 gets relu'(0) = 0 as in derive/PyTorch."""
    return all(a in ("relu", "leaky_relu") for a in net["acts"]) and net["loss"] in ("se", "mse")


def numpy_grads(net):
    dtype = object if exact(net) else float
    conv = (lambda v: Fraction(v)) if exact(net) else float
    Ws = [np.array([[conv(e) for e in row] for row in W], dtype=dtype) for W in net["W"]]
    bs = [np.array([conv(e) for e in b], dtype=dtype) for b in net["b"]]
    x = np.array([conv(e) for e in net["x"]], dtype=dtype)
    zs, hs, out = forward(net, Ws, bs, x)
    delta = loss_grad(net, out)
    gW, gb = [None] * len(Ws), [None] * len(Ws)
    for k in reversed(range(len(Ws))):
        gW[k] = np.outer(delta, hs[k])
        gb[k] = delta
        back = Ws[k].T @ delta
        if k > 0:
            delta = back * ACT[net["acts"][k - 1]][1](zs[k - 1], hs[k])
        else:
            gx = back
    f = (lambda a: np.array(a, dtype=float))
    return {"W": [f(g) for g in gW], "b": [f(g) for g in gb], "x": f(gx),
            "L": loss_value(net, f(out)), "z": zs}


def finite_difference(net, which, k, idx, eps=1e-6):
    def L_at(delta):
        Ws = [np.array(W, dtype=float) for W in net["W"]]
        bs = [np.array(b, dtype=float) for b in net["b"]]
        x = np.array(net["x"], dtype=float)
        target = {"W": Ws[k], "b": bs[k], "x": x}[which]
        target[idx] += delta
        return loss_value(net, forward(net, Ws, bs, x)[2])
    return (L_at(eps) - L_at(-eps)) / (2 * eps)


# ---- specs ------------------------------------------------------------------------------

def dec(f: Fraction) -> str:
    return str(float(f)) if f.denominator != 1 else str(f.numerator)


def vec(v) -> str:
    return "[" + ", ".join(dec(Fraction(e)) for e in v) + "]"


def mat(m) -> str:
    return "[" + ", ".join(vec(r) for r in m) + "]"


def spec_for(net, goals: list[str]) -> str:
    lines = [f"  input x = {vec(net['x'])}"]
    K = len(net["W"])
    a = "x"
    for k in range(K):
        lines.append(f"  param W{k + 1} = {mat(net['W'][k])}")
        lines.append(f"  param b{k + 1} = {vec(net['b'][k])}")
    for k in range(K - 1):
        lines.append(f"  h{k + 1} = {net['acts'][k]}(W{k + 1} @ {a} + b{k + 1})")
        a = f"h{k + 1}"
    pre = f"W{K} @ {a} + b{K}"
    y = net["y"]
    if net["loss"] == "se":
        lines += [f"  let t = {dec(Fraction(y[0]))}", f"  o = {pre}", "  L = (t - o)^2"]
    elif net["loss"] == "mse":
        lines += [f"  let y = {vec(y)}", f"  o = {pre}", "  L = mse(y, o)"]
    elif net["loss"] == "bce":
        lines += [f"  let y = {dec(Fraction(y[0]))}", f"  p = sigmoid({pre})",
                  "  L = -(y*log(p) + (1 - y)*log(1 - p))"]
    else:
        lines += [f"  let y = {vec(y)}", f"  s = softmax({pre})", "  L = cross_entropy(y, s)"]
    lines += [f"  find {g}" for g in goals]
    return 'problem "net" {\n' + "\n".join(lines) + "\n}\n"


weights = st.integers(-9, 9).map(lambda k: Fraction(k, 10))


@st.composite
def networks(draw, smooth: bool):
    layers = draw(st.integers(1, 3 if not smooth else 2))
    hidden = [draw(st.integers(1, 4 if not smooth else 3)) for _ in range(layers - 1)]
    loss = draw(st.sampled_from(["se", "mse", "bce", "ce"] if smooth else ["se", "mse"]))
    out = 1 if loss in ("se", "bce") else draw(st.integers(2, 3))
    sizes = [draw(st.integers(1, 4))] + hidden + [out]
    acts_pool = ["sigmoid", "tanh"] if smooth else ["relu", "leaky_relu"]
    acts = [draw(st.sampled_from(acts_pool)) for _ in range(len(sizes) - 2)]
    W = [[[draw(weights) for _ in range(sizes[k])] for _ in range(sizes[k + 1])] for k in range(len(sizes) - 1)]
    b = [[draw(weights) for _ in range(sizes[k + 1])] for k in range(len(sizes) - 1)]
    x = [draw(weights) * 5 for _ in range(sizes[0])]
    if loss == "ce":
        hot = draw(st.integers(0, out - 1))
        y = [1 if i == hot else 0 for i in range(out)]
    elif loss == "bce":
        y = [draw(st.sampled_from([0, 1]))]
    else:
        y = [draw(weights) * 10 for _ in range(out)]
    return {"W": W, "b": b, "x": x, "acts": acts, "loss": loss, "y": y}


def check_steps(result) -> None:
    assert result.error is None, result.error
    for top in result.steps:
        for s in top.walk():
            assert s.checked is not False
            if len(s.chain) > 1 and s.relation == "=":
                assert s.checked is True, (s.rule, s.text)


def as_array(value):
    return np.array(value, dtype=float)


def compare(net, sol_results, goals, oracle):
    for goal, r in zip(goals, sol_results):
        check_steps(r)
        got = r.answer.value
        assert got is not None, goal
        name, _, rest = goal[5:-1].partition(", ")[2].partition("[")
        target = goal[5:-1].partition(", ")[2]
        if "[" in target:
            base, idx = target.split("[")
            idx = tuple(int(i) - 1 for i in idx.rstrip("]").split(","))
        else:
            base, idx = target, None
        if base == "x":
            want = oracle["x"]
        else:
            k = int(base[1:]) - 1
            want = oracle["W" if base[0] == "W" else "b"][k]
        if idx is not None:
            want = want[idx] if len(idx) == want.ndim else want[idx[0]]
        got = as_array(got)
        want = np.asarray(want, dtype=float)
        if want.shape == (1,) or want.shape == (1, 1):
            want = want.reshape(())
        if got.shape != want.shape and got.size == want.size:
            got = got.reshape(want.shape)
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9, err_msg=goal)


def run(net, goals):
    sol = derive.solve(spec_for(net, goals))
    oracle = numpy_grads(net)
    compare(net, sol.results, goals, oracle)
    return sol, oracle


def goals_for(net, draw_entry):
    K = len(net["W"])
    r, c = draw_entry
    rows, cols = len(net["W"][0]), len(net["W"][0][0])
    return [f"grad(L, W1[{r % rows + 1}, {c % cols + 1}])", f"grad(L, W{K})", "grad(L, b1)", "grad(L, x)"]


# ---- the oracle checks itself --------------------------------------------------------------

@settings(max_examples=30 * STRESS, deadline=None)
@given(networks(smooth=True))
def test_oracle_matches_finite_differences(net):
    oracle = numpy_grads(net)
    for k in range(len(net["W"])):
        W = np.array(net["W"][k], dtype=float)
        for idx in np.ndindex(W.shape):
            assert finite_difference(net, "W", k, idx) == pytest.approx(oracle["W"][k][idx], rel=1e-5, abs=1e-6)


# ---- derive against the oracle --------------------------------------------------------------

@settings(max_examples=12 * STRESS, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks(smooth=False), st.tuples(st.integers(0, 9), st.integers(0, 9)))
def test_piecewise_linear_networks(net, entry):
    run(net, goals_for(net, entry))


@settings(max_examples=5 * STRESS, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks(smooth=True), st.tuples(st.integers(0, 9), st.integers(0, 9)))
def test_smooth_networks_and_cross_entropy(net, entry):
    K = len(net["W"])
    run(net, [goals_for(net, entry)[0], f"grad(L, W{K})"])


def test_relu_at_zero_follows_pytorch():
    """relu'(0) = 0 (PyTorch's convention); the oracle uses the same."""
    net = {"W": [[[Fraction(1), Fraction(-1)]], [[Fraction(2)]]], "b": [[Fraction(0)], [Fraction(0)]],
           "x": [Fraction(1), Fraction(1)], "acts": ["relu"], "loss": "se", "y": [Fraction(1)]}
    sol, oracle = run(net, ["grad(L, W1[1, 1])", "grad(L, W2)", "grad(L, b1)", "grad(L, x)"])
    assert sol.results[0].answer.value == 0


# ---- the seed problem, written out ------------------------------------------------------------

SEED = """problem "mlp" {
  input x = [1, 2, 1, 4]
  param W1 = matrix(5, 4, (i, j) -> if odd(i) then 1 else -1)
  param b1 = zeros(5)
  param W2 = ones(1, 5)
  param b2 = zeros(1)
  let t = 15
  h = relu(W1 @ x + b1)
  o = W2 @ h + b2
  L = (t - o)^2
  %s
}"""


def solve_seed(goals: str):
    return derive.solve(SEED % goals).results


def test_seed_entry_gradient_is_a_chain():
    (r,) = solve_seed("find grad(L, W1[1, 1])")
    check_steps(r)
    assert r.answer.value == 18
    rules = [s.rule for s in r.steps]
    assert rules[:3] == ["forward_pass", "path", "chain_rule"] and rules[-1] == "multiply"
    path = sentence_latex(r.steps[1].text)
    assert "z_{1}" in path and "h_{1}" in path


def test_seed_whole_tensors():
    rs = solve_seed("find grad(L, W1), grad(L, b1), grad(L, x), grad(L, W2), grad(L, b2), grad(L, h)")
    for r in rs:
        check_steps(r)
    W1 = np.array([[1 if i % 2 == 0 else -1] * 4 for i in range(5)], float)
    x = np.array([1, 2, 1, 4], float)
    z = W1 @ x
    dz = 18 * (z > 0)
    np.testing.assert_allclose(rs[0].answer.value, np.outer(dz, x))
    np.testing.assert_allclose(rs[1].answer.value, dz)
    np.testing.assert_allclose(rs[2].answer.value, W1.T @ dz)
    np.testing.assert_allclose(rs[3].answer.value, [18 * np.maximum(z, 0)])
    assert rs[4].answer.value == 18
    np.testing.assert_allclose(rs[5].answer.value, [18] * 5)


def test_inactive_unit_is_explained():
    (r,) = solve_seed("find grad(L, W1[2, 3])")
    assert r.answer.value == 0
    text = " ".join(sentence_text(say(s.text)) for top in r.steps for s in top.walk())
    assert "inactive" in text and "no gradient" in text


def test_no_dependence_is_zero_with_reason():
    (r, r2) = solve_seed("find grad(o, t), grad(h, W2[1, 1])")
    assert r.answer.value == 0
    assert "no path" in sentence_text(r.steps[0].text)
    assert r2.error is not None and "scalar" in r2.error.message


def test_sgd_step_entry_and_tensor():
    r1, r2 = solve_seed("find sgd_step(W1[1, 1], L, lr = 0.1), sgd_step(b1, L, lr = 0.5)")
    check_steps(r1)
    check_steps(r2)
    assert r1.answer.value == pytest.approx(-0.8)
    np.testing.assert_allclose(r2.answer.value, [-9, 0, -9, 0, -9])


@pytest.mark.parametrize("goal, message", [
    ("grad(L, W1[6, 1])", "out of range"),
    ("grad(L, W1[1])", "two indices"),
    ("grad(L, W1 @ x)", "a name"),
    ("grad(L, nothing)", "unknown name"),
    ("sgd_step(W1, L)", "learning rate"),
])
def test_bad_targets_are_errors_at_the_goal(goal, message):
    (r,) = solve_seed(f"find {goal}")
    assert r.error is not None and message in r.error.message
    assert r.error.line is not None


def test_shape_mismatch_names_both_shapes():
    with pytest.raises(SpecError) as exc:
        derive.solve('problem "p" { param W = ones(3, 2)\n input x = [1, 2, 3]\n z = W @ x }')
    assert "3×2" in str(exc.value) and "3" in str(exc.value)


def test_symbolic_graph_is_left_to_matrix_calculus():
    from derive.derivers.backprop import numeric_grad
    from derive.pipeline import build
    from derive.syntax import parse
    problem = build(parse('problem "s" { vector w, x : (3)\n L = (w @ x)^2\n find grad(L, w) }'))[0]
    assert numeric_grad(problem, problem.goals[0].expr) is None


def test_fan_out_adds_contributions():
    """x feeds two branches; the gradient is the sum (micrograd's +=)."""
    spec = """problem "f" {
      input x = [1, -1]
      param A = [[1, 2], [3, 4]]
      param B = [[0.5, -1], [2, 1]]
      u = relu(A @ x)
      v = tanh(B @ x)
      L = sum(u) + sum(v * v)
      find grad(L, x), grad(L, A[2, 1])
    }"""
    rs = derive.solve(spec).results
    for r in rs:
        check_steps(r)
    A = np.array([[1, 2], [3, 4]], float)
    B = np.array([[0.5, -1], [2, 1]], float)
    x = np.array([1, -1], float)
    v = np.tanh(B @ x)
    want = A.T @ (A @ x > 0).astype(float) + B.T @ (2 * v * (1 - v ** 2))
    np.testing.assert_allclose(rs[0].answer.value, want, rtol=1e-9)
    assert rs[1].answer.value == 0        # (A x)_2 = -1 < 0: inactive


def test_linear_layers_with_named_weights_are_differentiated():
    """`layer fc = Linear(2, 3, weight = W, bias = b)`: gradients reach W and b through fc."""
    spec = """problem "lin" {
      param W = [[1, 2], [3, -4], [0.5, 1]]
      param b = [0.5, 0, -1]
      param V = [[1, -1, 2]]
      layer fc = Linear(2, 3, weight = W, bias = b)
      layer out = Linear(3, 1, weight = V, bias = false)
      input x = [1, -1]
      let t = 2
      o = out(relu(fc(x)))
      L = (t - o)^2
      find grad(L, W), grad(L, b), grad(L, V), grad(L, x)
    }"""
    rs = derive.solve(spec).results
    for r in rs:
        check_steps(r)
    W = np.array([[1, 2], [3, -4], [0.5, 1]])
    b = np.array([0.5, 0, -1])
    V = np.array([[1, -1, 2]])
    x = np.array([1, -1])
    z = W @ x + b
    h = np.maximum(z, 0)
    dz = (V.T @ [-2 * (2 - (V @ h)[0])]) * (z > 0)
    np.testing.assert_allclose(rs[0].answer.value, np.outer(dz, x))
    np.testing.assert_allclose(rs[1].answer.value, dz)
    np.testing.assert_allclose(rs[2].answer.value, [-2 * (2 - (V @ h)[0]) * h])
    np.testing.assert_allclose(rs[3].answer.value, W.T @ dz)


def test_direct_and_indirect_dependence_are_told_apart():
    """w enters L directly (e^w) and through p = f(w x): ∂L/∂w is the sum, and the direct
    part is written ∂L/∂w|direct so the two are never confused."""
    spec = """problem "d" {
      param w = 0.5
      input x = 2
      let y = 3
      f(u) = u^2 + 1
      p = f(w * x)
      L = (p - y)^2 + exp(w)
      find grad(L, w), grad(L, x), sgd_step(w, L, lr = 0.1)
    }"""
    rs = derive.solve(spec).results
    for r in rs:
        check_steps(r)
    w, x, y = 0.5, 2.0, 3.0
    p = (w * x) ** 2 + 1
    dw = 2 * (p - y) * 2 * w * x * x + np.exp(w)
    assert rs[0].answer.value == pytest.approx(dw, rel=1e-12)
    assert rs[1].answer.value == pytest.approx(2 * (p - y) * 2 * w * x * w, rel=1e-12)
    assert rs[2].answer.value == pytest.approx(w - 0.1 * dw, rel=1e-12)
    assert r"\right|_{\text{direct}}" in derive.solve(spec).render("md")


def test_vector_matrix_products_and_reductions():
    spec = """problem "vm" {
      input x = [1, 2]
      param W = [[1, -1, 0.5], [2, 0, 1]]
      param V = [[1, 0, -1], [2, 1, 1]]
      u = x @ W
      v = V.T @ x
      L = sum(u * u) + norm(v)^2 + log(1 + sum(u))
      find grad(L, W), grad(L, V[1, 3]), grad(L, x)
    }"""
    rs = derive.solve(spec).results
    for r in rs:
        check_steps(r)
    x = np.array([1.0, 2.0])
    W = np.array([[1, -1, 0.5], [2, 0, 1]])
    V = np.array([[1.0, 0, -1], [2, 1, 1]])
    u, v = x @ W, V.T @ x
    c = 2 * u + 1 / (1 + u.sum())
    np.testing.assert_allclose(rs[0].answer.value, np.outer(x, c), rtol=1e-12)
    assert rs[1].answer.value == pytest.approx(2 * v[2] * x[0])
    np.testing.assert_allclose(rs[2].answer.value, W @ c + V @ (2 * v), rtol=1e-12)
