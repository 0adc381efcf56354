"""Attention: the builtins against a hand-written NumPy forward pass, the worked steps of
`find Y`, and closed-form gradients against NumPy central differences.

The gradient tests cover x1, x2, W_Q, W_K and W_V, with and without softmax and scaling,
for 2 and 3 tokens.  The oracle is Σ_i g_iᵀ y_i computed by NumPy (the chain rule with
upstream gradients g_i held fixed), differentiated by central differences.
"""
from __future__ import annotations

import functools
import itertools
import json

import numpy as np
import pytest
import sympy as sp
from sympy.parsing.sympy_parser import parse_expr

import derive
from derive.errors import SpecError

D = 3
RNG = np.random.default_rng(7)


def np_attention(X, WQ, WK, WV, softmax=True, scale=True):
    """The reference: y_i = Σ_j a_ij W_V x_j, a_i = softmax(q_i·k_j/√d_k) (or the raw scores)."""
    q = [WQ @ x for x in X]
    k = [WK @ x for x in X]
    v = [WV @ x for x in X]
    c = np.sqrt(WK.shape[0]) if scale else 1.0
    S = np.array([[(qi.T @ kj).item() / c for kj in k] for qi in q])
    if softmax:
        E = np.exp(S - S.max(axis=1, keepdims=True))
        A = E / E.sum(axis=1, keepdims=True)
    else:
        A = S
    Y = [sum(A[i, j] * v[j] for j in range(len(X))) for i in range(len(X))]
    return Y, A, v


def floats(value) -> np.ndarray:
    return np.array(value, dtype=float)


# ---- the builtins ----------------------------------------------------------------------------

SEED_Q2 = """problem "Two-head self-attention without softmax" {
  dim d = 2
  input x1 = [1, 1]
  input x2 = [-1, -1]
  input x3 = [2, 2]
  input x4 = [0, 0]
  param W_Q1 = eye(d)
  param W_K1 = eye(d)
  param W_V1 = eye(d)
  param W_Q2 = ones(d, d)
  param W_K2 = -ones(d, d)
  param W_V2 = eye(d)
  param W_O = ones(d, 2*d)
  Y = multihead_attention([x1, x2, x3, x4], [[W_Q1, W_K1, W_V1], [W_Q2, W_K2, W_V2]], W_O, softmax = false, scale = false)
  find Y
}"""


def test_seed_multihead_value_and_hand_computation():
    (r,) = derive.solve(SEED_Q2).results
    assert r.answer.value == [[-72, -72], [72, 72], [-144, -144], [0, 0]]
    X = [np.array([[1.], [1.]]), np.array([[-1.], [-1.]]), np.array([[2.], [2.]]), np.zeros((2, 1))]
    h1, _, _ = np_attention(X, np.eye(2), np.eye(2), np.eye(2), False, False)
    h2, _, _ = np_attention(X, np.ones((2, 2)), -np.ones((2, 2)), np.eye(2), False, False)
    Y = [np.ones((2, 4)) @ np.vstack([a, b]) for a, b in zip(h1, h2)]
    assert np.allclose(floats(r.answer.value), np.hstack(Y).T)


def test_seed_multihead_steps_show_every_head():
    (r,) = derive.solve(SEED_Q2).results
    rules = [s.rule for s0 in r.steps for s in s0.walk()]
    for rule in ("queries", "keys", "values", "scores", "weights", "outputs", "concatenate", "output_projection"):
        assert rule in rules
    assert rules.count("scores") == 2
    checked = [s for s0 in r.steps for s in s0.walk() if s.chain]
    assert checked and all(s.checked for s in checked if s.rule != "tokens")


def _mat(rows: np.ndarray) -> str:
    return "[" + ", ".join("[" + ", ".join(str(int(v)) for v in row) + "]" for row in rows) + "]"


def _vec(v: np.ndarray) -> str:
    return "[" + ", ".join(str(int(t)) for t in v.ravel()) + "]"


@pytest.mark.parametrize("soft, scale", [(True, True), (True, False), (False, True)])
def test_multihead_with_softmax_matches_numpy(soft, scale):
    X = [RNG.integers(-2, 3, size=(3, 1)).astype(float) for _ in range(3)]
    heads = [[RNG.integers(-1, 2, size=(2, 3)).astype(float) for _ in range(3)] for _ in range(2)]
    WO = RNG.integers(-2, 3, size=(3, 4)).astype(float)
    lines = [f"let x{i + 1} = {_vec(x)}" for i, x in enumerate(X)]
    for h, (q, k, v) in enumerate(heads, start=1):
        lines += [f"let Q{h} = {_mat(q)}", f"let K{h} = {_mat(k)}", f"let V{h} = {_mat(v)}"]
    lines.append(f"let W_O = {_mat(WO)}")
    flags = f"softmax = {'true' if soft else 'false'}, scale = {'true' if scale else 'false'}"
    lines.append(f"Y = multihead_attention([x1, x2, x3], [[Q1, K1, V1], [Q2, K2, V2]], W_O, {flags})")
    spec = 'problem "mh" {\n' + "\n".join(lines) + "\nfind Y\n}"
    (r,) = derive.solve(spec).results
    assert r.error is None
    outs = [np_attention(X, *h, soft, scale)[0] for h in heads]
    want = [WO @ np.vstack([o[i] for o in outs]) for i in range(3)]
    assert np.allclose(floats(r.answer.value), np.hstack(want).T)


@pytest.mark.parametrize("call, needle", [
    ("attention([x1, x2], A, B, C)", "W_Q"),                    # W_Q is 2×2, tokens have length 3
    ("attention([x1, y], W, W, W)", "different lengths"),
    ("attention(x1 @ x1, W, W, W)", "list of token vectors"),
    ("attention([x1, x2], W, W, W, softmax = 3)", "true or false"),
    ("multihead_attention([x1, x2], [[W, W, W]], A)", "W_O"),
    ("multihead_attention([x1, x2], [W, W, W], W)", "triples"),
])
def test_attention_shape_errors_name_the_shapes(call, needle):
    spec = ('problem "e" { dim d = 3\nvector x1, x2 : (d)\nvector y : (2)\nmatrix W : (d, d)\n'
            f'matrix A, B, C : (2, 2)\nY = {call}\nfind Y }}')
    with pytest.raises(SpecError) as exc:
        derive.solve(spec)
    assert needle in exc.value.message and exc.value.pos.line == 6


# ---- gradients ------------------------------------------------------------------------------

def grad_spec(n: int, soft: bool, scale: bool) -> str:
    xs = ", ".join(f"x{i}" for i in range(1, n + 1))
    gs = ", ".join(f"g{i}" for i in range(1, n + 1))
    ys = "\n".join(f"  y{i} = Y[{i}]" for i in range(1, n + 1))
    givens = "\n".join(f"  given grad(L, y{i}) = g{i}" for i in range(1, n + 1))
    flags = f"softmax = {'true' if soft else 'false'}, scale = {'true' if scale else 'false'}"
    return f"""problem "attention gradient" {{
  dim d
  vector {xs} : (d)
  matrix W_Q, W_K, W_V : (d, d)
  vector {gs} : (d)
  Y = attention([{xs}], W_Q, W_K, W_V, {flags})
{ys}
  L = loss({', '.join(f'y{i}' for i in range(1, n + 1))})
{givens}
  find grad(L, x1), grad(L, x2), grad(L, W_Q), grad(L, W_K), grad(L, W_V)
}}"""


@functools.lru_cache(maxsize=None)
def solved(n: int, soft: bool, scale: bool):
    return derive.solve(grad_spec(n, soft, scale)).results


def evaluate_answer(text: str, values: dict, A: np.ndarray, delta: np.ndarray) -> np.ndarray:
    n = A.shape[0]
    mats = {k: sp.MatrixSymbol(k, *v.shape) for k, v in values.items()}
    local = dict(mats)
    local["d"] = sp.Integer(D)
    scal = {}
    for i, j in itertools.product(range(n), repeat=2):
        for name, M in (("a", A), ("delta", delta)):
            s = sp.Symbol(f"{name}_{i + 1}{j + 1}")
            local[s.name] = s
            scal[s] = sp.Float(M[i, j], 30)
    e = parse_expr(text, local_dict=local)
    subs = {mats[k]: sp.ImmutableMatrix(v.tolist()) for k, v in values.items()}
    subs.update(scal)
    out = e.xreplace(subs).doit()
    out = out if isinstance(out, sp.MatrixBase) else out.as_explicit()
    return np.array(out.evalf(20).tolist(), dtype=float)


CONFIGS = [(n, soft, scale) for n in (2, 3) for soft in (False, True) for scale in (False, True)]
VARS = ["x1", "x2", "W_Q", "W_K", "W_V"]


@pytest.mark.parametrize("n, soft, scale", CONFIGS, ids=[f"n{n}-{'softmax' if s else 'raw'}-{'scaled' if c else 'unscaled'}"
                                                          for n, s, c in CONFIGS])
def test_attention_gradients_match_central_differences(n, soft, scale):
    res = solved(n, soft, scale)
    rng = np.random.default_rng(100 * n + 10 * soft + scale)
    values = {f"x{i}": rng.normal(size=(D, 1)) for i in range(1, n + 1)}
    values.update({f"g{i}": rng.normal(size=(D, 1)) for i in range(1, n + 1)})
    values.update({W: rng.normal(size=(D, D)) * 0.5 for W in ("W_Q", "W_K", "W_V")})

    def loss(**v):
        X = [v[f"x{i}"] for i in range(1, n + 1)]
        Y, _, _ = np_attention(X, v["W_Q"], v["W_K"], v["W_V"], soft, scale)
        return sum((v[f"g{i}"].T @ Y[i - 1]).item() for i in range(1, n + 1))

    X = [values[f"x{i}"] for i in range(1, n + 1)]
    Y, A, V = np_attention(X, values["W_Q"], values["W_K"], values["W_V"], soft, scale)
    G = [values[f"g{i}"] for i in range(1, n + 1)]
    delta = np.array([[A[i, j] * (G[i].T @ (V[j] - Y[i])).item() for j in range(n)] for i in range(n)])
    for r, var in zip(res, VARS):
        assert r.error is None, (var, r.error)
        got = evaluate_answer(r.answer.text, values, A, delta)
        want = np.zeros_like(values[var])
        for idx in np.ndindex(want.shape):
            plus = {k: v.copy() for k, v in values.items()}
            minus = {k: v.copy() for k, v in values.items()}
            plus[var][idx] += 1e-6
            minus[var][idx] -= 1e-6
            want[idx] = (loss(**plus) - loss(**minus)) / 2e-6
        assert got.shape == want.shape
        assert np.allclose(got, want, rtol=1e-5, atol=1e-6), (var, got, want)
        assert all(s.checked in (True, None) for s0 in r.steps for s in s0.walk())


def test_softmax_gradient_names_the_softmax_jacobian():
    r = solved(2, True, True)[0]
    jac = [s for s0 in r.steps for s in s0.walk() if s.rule == "softmax_jacobian"]
    assert jac and jac[0].checked
    from derive.printing import latex
    assert "diag" in latex(jac[0].chain[-1])


SEED_Q2C = """problem "Backpropagation through single-head self-attention" {
  dim d
  vector x1, x2 : (d)
  matrix W_Q, W_K, W_V : (d, d)
  vector g1, g2 : (d)
  Y = attention([x1, x2], W_Q, W_K, W_V, softmax = false, scale = false)
  y1 = Y[1]
  y2 = Y[2]
  L = loss(y1, y2)
  given grad(L, y1) = g1
  given grad(L, y2) = g2
  find grad(L, x1)
}"""


def test_seed_attention_gradient_is_the_expected_six_terms():
    (r,) = derive.solve(SEED_Q2C).results
    want = ("W_K.T*W_Q*x1*x1.T*W_V.T*g1 + W_K.T*W_Q*x2*x1.T*W_V.T*g2 + W_Q.T*W_K*x1*x1.T*W_V.T*g1 + "
            "W_Q.T*W_K*x2*x2.T*W_V.T*g1 + W_V.T*g1*x1.T*W_Q.T*W_K*x1 + W_V.T*g2*x2.T*W_Q.T*W_K*x1")
    mats = {n: sp.MatrixSymbol(n, D, 1 if n[0] in "xg" else D) for n in ("x1", "x2", "g1", "g2", "W_Q", "W_K", "W_V")}
    got, ref = (parse_expr(t, local_dict=dict(mats)) for t in (r.answer.text, want))
    for _ in range(3):
        vals = {m: sp.ImmutableMatrix(m.shape[0], m.shape[1], lambda i, j: int(RNG.integers(-4, 5)))
                for m in mats.values()}
        assert sp.ImmutableMatrix(got.xreplace(vals).doit()) == sp.ImmutableMatrix(ref.xreplace(vals).doit())
    steps = json.dumps([str(s.text) for s0 in r.steps for s in s0.walk()])
    assert "chain rule" in steps and "product rule" in steps and "Jacobian" in steps
    assert sum(1 for s in r.steps if s.rule == "product_rule") == 2


def test_softmax_attention_with_an_explicit_loss():
    spec = """problem "explicit" {
  dim d
  vector x1, x2, t : (d)
  matrix W_Q, W_K, W_V : (d, d)
  Y = attention([x1, x2], W_Q, W_K, W_V)
  y1 = Y[1]
  y2 = Y[2]
  L = norm(y1 - t)^2 + y2 @ t
  find grad(L, x2), grad(L, W_K)
}"""
    res = derive.solve(spec).results
    rng = np.random.default_rng(3)
    values = {n: rng.normal(size=(D, 1)) for n in ("x1", "x2", "t")}
    values.update({W: rng.normal(size=(D, D)) * 0.5 for W in ("W_Q", "W_K", "W_V")})

    def loss(**v):
        Y, _, _ = np_attention([v["x1"], v["x2"]], v["W_Q"], v["W_K"], v["W_V"])
        return float(np.sum((Y[0] - v["t"]) ** 2) + (Y[1].T @ v["t"]).item())

    Y, A, V = np_attention([values["x1"], values["x2"]], values["W_Q"], values["W_K"], values["W_V"])
    G = [2 * (Y[0] - values["t"]), values["t"]]
    delta = np.array([[A[i, j] * (G[i].T @ (V[j] - Y[i])).item() for j in range(2)] for i in range(2)])
    for r, var in zip(res, ("x2", "W_K")):
        assert r.error is None, r.error
        got = evaluate_answer(r.answer.text, {**values, "y1": Y[0], "y2": Y[1]}, A, delta)
        want = np.zeros_like(values[var])
        for idx in np.ndindex(want.shape):
            plus = {k: v.copy() for k, v in values.items()}
            minus = {k: v.copy() for k, v in values.items()}
            plus[var][idx] += 1e-6
            minus[var][idx] -= 1e-6
            want[idx] = (loss(**plus) - loss(**minus)) / 2e-6
        assert np.allclose(got, want, rtol=1e-5, atol=1e-6), (var, got, want)


# ---- any number of tokens, d_k ≠ d, d_v ≠ d_k -------------------------------------------------

def np_attention_backward(X, WQ, WK, WV, G, scale=True):
    """A hand-written backward pass of softmax attention for the loss Σ_i g_iᵀy_i:
    dv_j = Σ_i a_ij g_i, da_ij = g_iᵀv_j, ds_i = a_i ⊙ (da_i − a_i·da_i), dq_i = Σ_j ds_ij k_j / c,
    dk_j = Σ_i ds_ij q_i / c; returns d/dx_m for every token and d/dW_Q, d/dW_K, d/dW_V."""
    n = len(X)
    q, k, v = [WQ @ x for x in X], [WK @ x for x in X], [WV @ x for x in X]
    c = np.sqrt(WK.shape[0]) if scale else 1.0
    _, A, _ = np_attention(X, WQ, WK, WV, True, scale)
    dA = np.array([[(G[i].T @ v[j]).item() for j in range(n)] for i in range(n)])
    dS = A * (dA - (A * dA).sum(axis=1, keepdims=True))
    dv = [sum(A[i, j] * G[i] for i in range(n)) for j in range(n)]
    dq = [sum(dS[i, j] * k[j] for j in range(n)) / c for i in range(n)]
    dk = [sum(dS[i, j] * q[i] for i in range(n)) / c for j in range(n)]
    dx = [WQ.T @ dq[m] + WK.T @ dk[m] + WV.T @ dv[m] for m in range(n)]
    dW = [sum(d[m] @ X[m].T for m in range(n)) for d in (dq, dk, dv)]
    return dx, dW, A, dS


def _central(f, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    out = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[idx] += h
        xm[idx] -= h
        out[idx] = (f(xp) - f(xm)) / (2 * h)
    return out


@pytest.mark.parametrize("n", [1, 4, 5])
@pytest.mark.parametrize("soft, scale", [(True, True), (True, False), (False, True)])
def test_attention_any_number_of_tokens_and_sizes_matches_numpy(n, soft, scale):
    rng = np.random.default_rng(10 * n + 2 * soft + scale)
    X = [rng.integers(-2, 3, size=(3, 1)).astype(float) for _ in range(n)]
    WQ, WK = (rng.integers(-1, 2, size=(2, 3)).astype(float) for _ in range(2))    # d_k = 2, d = 3
    WV = rng.integers(-2, 3, size=(4, 3)).astype(float)                            # d_v = 4
    lines = [f"let x{i + 1} = {_vec(x)}" for i, x in enumerate(X)]
    lines += [f"let W_Q = {_mat(WQ)}", f"let W_K = {_mat(WK)}", f"let W_V = {_mat(WV)}"]
    flags = f"softmax = {'true' if soft else 'false'}, scale = {'true' if scale else 'false'}"
    xs = ", ".join(f"x{i + 1}" for i in range(n))
    spec = 'problem "a" {\n' + "\n".join(lines) + f"\nY = attention([{xs}], W_Q, W_K, W_V, {flags})\nfind Y\n}}"
    (r,) = derive.solve(spec).results
    assert r.error is None, r.error
    Y, _, _ = np_attention(X, WQ, WK, WV, soft, scale)
    assert np.allclose(floats(r.answer.value).reshape(n, 4), np.hstack(Y).T)
    chains = [s for s0 in r.steps for s in s0.walk() if len(s.chain) > 1]
    assert chains and all(s.checked for s in chains)


def test_the_handwritten_backward_pass_matches_central_differences():
    rng = np.random.default_rng(11)
    X = [rng.normal(size=(3, 1)) for _ in range(4)]
    W = [rng.normal(size=(2, 3)) * 0.5, rng.normal(size=(2, 3)) * 0.5, rng.normal(size=(4, 3)) * 0.5]
    G = [rng.normal(size=(4, 1)) for _ in range(4)]

    def loss(X, WQ, WK, WV):
        Y, _, _ = np_attention(X, WQ, WK, WV, True, True)
        return sum((g.T @ y).item() for g, y in zip(G, Y))

    dx, dW, _, _ = np_attention_backward(X, *W, G)
    for m in range(4):
        assert np.allclose(dx[m], _central(lambda x: loss(X[:m] + [x] + X[m + 1:], *W), X[m]), atol=1e-6)
    for t in range(3):
        assert np.allclose(dW[t], _central(lambda w: loss(X, *(W[:t] + [w] + W[t + 1:])), W[t]), atol=1e-6)


GRAD_SHAPES = """problem "attention gradient, four tokens" {
  dim d
  dim e
  dim m
  vector x1, x2, x3, x4 : (d)
  matrix W_Q, W_K : (e, d)
  matrix W_V : (m, d)
  vector g1, g2, g3, g4 : (m)
  Y = attention([x1, x2, x3, x4], W_Q, W_K, W_V, scale = SCALE)
  y1 = Y[1]
  y2 = Y[2]
  y3 = Y[3]
  y4 = Y[4]
  L = loss(y1, y2, y3, y4)
  given grad(L, y1) = g1
  given grad(L, y2) = g2
  given grad(L, y3) = g3
  given grad(L, y4) = g4
  find grad(L, x3), grad(L, W_Q), grad(L, W_K), grad(L, W_V)
}"""


@pytest.mark.parametrize("scale", [True, False])
def test_four_token_gradients_with_d_k_and_d_v_not_d_match_the_handwritten_backward(scale):
    res = derive.solve(GRAD_SHAPES.replace("SCALE", "true" if scale else "false")).results
    rng = np.random.default_rng(20 + scale)
    X = [rng.normal(size=(3, 1)) for _ in range(4)]
    W = [rng.normal(size=(2, 3)) * 0.5, rng.normal(size=(2, 3)) * 0.5, rng.normal(size=(4, 3)) * 0.5]
    G = [rng.normal(size=(4, 1)) for _ in range(4)]
    dx, dW, A, dS = np_attention_backward(X, *W, G, scale)
    values = {f"x{i + 1}": X[i] for i in range(4)} | {f"g{i + 1}": G[i] for i in range(4)}
    values |= {"W_Q": W[0], "W_K": W[1], "W_V": W[2]}
    mats = {k: sp.MatrixSymbol(k, *v.shape) for k, v in values.items()}
    scal = {}
    local = dict(mats) | {"d": sp.Integer(3), "e": sp.Integer(2), "m": sp.Integer(4)}
    for i, j in itertools.product(range(4), repeat=2):
        for name, M in (("a", A), ("delta", dS)):
            s = sp.Symbol(f"{name}_{i + 1}{j + 1}")
            local[s.name] = s
            scal[s] = sp.Float(M[i, j], 30)
    for r, want in zip(res, [dx[2], *dW]):
        assert r.error is None, r.error
        e = parse_expr(r.answer.text, local_dict=local)
        out = e.xreplace({mats[k]: sp.ImmutableMatrix(v.tolist()) for k, v in values.items()} | scal).doit()
        got = np.array((out if isinstance(out, sp.MatrixBase) else out.as_explicit()).evalf(20).tolist(), dtype=float)
        assert np.allclose(got, want, rtol=1e-6, atol=1e-8)
        assert all(s.checked in (True, None) for s0 in r.steps for s in s0.walk())


def test_a_matrix_shown_as_decimals_is_checked_entry_by_entry():
    from derive.errors import CheckFailed
    from derive.steps import make_step
    A = sp.ImmutableMatrix([[sp.exp(1) / (1 + sp.exp(1)), 1 / (1 + sp.exp(1))]])
    good = sp.ImmutableMatrix([[sp.Float("0.731059", 6), sp.Float("0.268941", 6)]])
    assert make_step("decimal", "As decimals:", A, good, relation="≈").checked is True
    with pytest.raises(CheckFailed):
        make_step("decimal", "As decimals:", A, sp.ImmutableMatrix([[sp.Float("0.731059", 6), sp.Float("0.3", 6)]]),
                  relation="≈")
