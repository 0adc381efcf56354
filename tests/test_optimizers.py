"""The optimiser goals in several variables against torch.optim and NumPy.

Oracles: torch.optim.SGD (momentum, dampening, nesterov, weight_decay), Adam, RMSprop and
Adagrad stepping a float64 tensor on the same function and numbers (the gradient by
autograd); Newton's method as a NumPy loop with hand-written gradient and Hessian.
Random cases in 1 to 4 dimensions.  Bad input gives an error at its position.
"""
from __future__ import annotations

import random

import numpy as np
import pytest

import derive

try:
    import torch
except ImportError:                  # pragma: no cover - CI without torch
    torch = None

pytestmark = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")


def solve_one(body: str, goal: str):
    (r,) = derive.solve(f'problem "t" {{\n{body}\nfind {goal}\n}}').results
    return r


def _fmt(x) -> str:
    return repr(float(x)) if not isinstance(x, int) else str(x)


def _mat(rows) -> str:
    return "[" + ", ".join("[" + ", ".join(_fmt(x) for x in r) + "]" for r in rows) + "]"


def _vec(v) -> str:
    return "[" + ", ".join(_fmt(x) for x in v) + "]"


def _quadratic(rnd: random.Random, n: int):
    """A random SPD A (small integers) and b: f(x) = ½xᵀAx + bᵀx."""
    M = np.array([[rnd.randint(-2, 2) for _ in range(n)] for _ in range(n)], dtype=float)
    A = M @ M.T + np.eye(n) * rnd.randint(1, 3)
    b = np.array([rnd.randint(-3, 3) for _ in range(n)], dtype=float)
    return A, b


def _spec(A, b) -> str:
    n = len(b)
    return (f"vector x : ({n})\nlet A = {_mat(A.astype(int).tolist())}\nlet c = {_vec(b.astype(int).tolist())}\n"
            "f(x) = 1/2 * (x @ (A @ x)) + c @ x")


def _torch_run(A, b, x0, k, make):
    At, bt = torch.tensor(A, dtype=torch.float64), torch.tensor(b, dtype=torch.float64)
    x = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    opt = make([x])
    out = []
    for _ in range(k):
        opt.zero_grad()
        loss = 0.5 * x @ (At @ x) + bt @ x
        loss.backward()
        opt.step()
        out.append(x.detach().numpy().copy())
    return np.array(out)


def _ours(r) -> np.ndarray:
    assert r.error is None, r.error
    return np.array(r.answer.value, dtype=float)


CASES = [(seed, n) for seed in range(4) for n in (1, 2, 3, 4)]


@pytest.mark.parametrize("seed,n", CASES)
def test_sgd_with_momentum_against_torch(seed, n):
    rnd = random.Random(seed * 10 + n)
    A, b = _quadratic(rnd, n)
    x0 = [rnd.randint(-3, 3) for _ in range(n)]
    lr = rnd.choice([0.01, 0.02, 0.05])
    mu, tau, wd = rnd.choice([0, 0.5, 0.9]), rnd.choice([0, 0.1]), rnd.choice([0, 0.01])
    nesterov = mu > 0 and tau == 0 and rnd.random() < 0.5
    k = rnd.randint(1, 8)
    kw = f"momentum = {mu}, dampening = {tau}, weight_decay = {wd}" + (", nesterov = true" if nesterov else "")
    r = solve_one(_spec(A, b), f"gd(f, start = {_vec(x0)}, lr = {lr}, steps = {k}, {kw})")
    want = _torch_run(A, b, x0, k, lambda p: torch.optim.SGD(p, lr=lr, momentum=mu, dampening=tau,
                                                             weight_decay=wd, nesterov=nesterov))
    np.testing.assert_allclose(_ours(r).reshape(want.shape), want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("seed,n", CASES)
def test_adam_against_torch(seed, n):
    rnd = random.Random(100 + seed * 10 + n)
    A, b = _quadratic(rnd, n)
    x0 = [rnd.randint(-3, 3) for _ in range(n)]
    lr, b1, b2, eps = rnd.choice([0.001, 0.1, 0.5]), rnd.choice([0.9, 0.8]), rnd.choice([0.999, 0.99]), 1e-8
    wd = rnd.choice([0, 0.1])
    k = rnd.randint(1, 12)
    r = solve_one(_spec(A, b), f"adam(f, start = {_vec(x0)}, lr = {lr}, betas = [{b1}, {b2}], eps = {eps}, "
                                f"weight_decay = {wd}, steps = {k})")
    want = _torch_run(A, b, x0, k, lambda p: torch.optim.Adam(p, lr=lr, betas=(b1, b2), eps=eps, weight_decay=wd))
    np.testing.assert_allclose(_ours(r).reshape(want.shape), want, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("seed,n", CASES)
def test_rmsprop_and_adagrad_against_torch(seed, n):
    rnd = random.Random(200 + seed * 10 + n)
    A, b = _quadratic(rnd, n)
    x0 = [rnd.randint(-3, 3) for _ in range(n)]
    lr, alpha, k = rnd.choice([0.01, 0.1]), rnd.choice([0.99, 0.9]), rnd.randint(1, 10)
    r = solve_one(_spec(A, b), f"rmsprop(f, start = {_vec(x0)}, lr = {lr}, alpha = {alpha}, steps = {k})")
    want = _torch_run(A, b, x0, k, lambda p: torch.optim.RMSprop(p, lr=lr, alpha=alpha, eps=1e-8))
    np.testing.assert_allclose(_ours(r).reshape(want.shape), want, rtol=1e-9, atol=1e-12)
    decay = rnd.choice([0, 0.1])
    r = solve_one(_spec(A, b), f"adagrad(f, start = {_vec(x0)}, lr = {lr}, lr_decay = {decay}, steps = {k})")
    want = _torch_run(A, b, x0, k, lambda p: torch.optim.Adagrad(p, lr=lr, lr_decay=decay, eps=1e-10))
    np.testing.assert_allclose(_ours(r).reshape(want.shape), want, rtol=1e-9, atol=1e-12)


def test_defaults_are_torchs():
    """adam/rmsprop/adagrad without keywords use torch.optim's defaults."""
    A, b = np.array([[3.0, 1.0], [1.0, 2.0]]), np.array([1.0, -1.0])
    for goal, make in (("adam", torch.optim.Adam), ("rmsprop", torch.optim.RMSprop),
                       ("adagrad", torch.optim.Adagrad)):
        r = solve_one(_spec(A, b), f"{goal}(f, start = [1, 2], steps = 3)")
        np.testing.assert_allclose(_ours(r), _torch_run(A, b, [1, 2], 3, lambda p: make(p)), rtol=1e-9)


def test_several_scalars_non_quadratic_against_torch():
    """f(u, v) of several scalars, not a quadratic: the gradient by autograd."""
    r = solve_one("f(u, v) = u^4 + v^2 + u*v + exp(v/2)", "adam(f, start = [1, -1], lr = 0.05, steps = 6)")
    x = torch.tensor([1.0, -1.0], dtype=torch.float64, requires_grad=True)
    opt, want = torch.optim.Adam([x], lr=0.05), []
    for _ in range(6):
        opt.zero_grad()
        (x[0] ** 4 + x[1] ** 2 + x[0] * x[1] + torch.exp(x[1] / 2)).backward()
        opt.step()
        want.append(x.detach().numpy().copy())
    np.testing.assert_allclose(_ours(r).reshape(np.array(want).shape), np.array(want), rtol=1e-9)


@pytest.mark.parametrize("n", [1, 2, 3])
def test_newton_against_numpy(n):
    """f(x) = Σ x_i⁴/4 + ½xᵀAx: Newton's iterates against a NumPy loop."""
    rnd = random.Random(300 + n)
    A, _ = _quadratic(rnd, n)
    x0 = np.array([rnd.randint(1, 3) for _ in range(n)], dtype=float)
    quartic = " + ".join(f"x[{i + 1}]^4/4" for i in range(n))
    body = f"vector x : ({n})\nlet A = {_mat(A.astype(int).tolist())}\nf(x) = {quartic} + 1/2 * (x @ (A @ x))"
    r = solve_one(body, f"newton(f, start = {_vec(x0.astype(int).tolist())}, steps = 4)")
    x, want = x0.copy(), []
    for _ in range(4):
        g, H = x ** 3 + A @ x, np.diag(3 * x ** 2) + A
        x = x - np.linalg.solve(H, g)
        want.append(x.copy())
    np.testing.assert_allclose(_ours(r).reshape(np.array(want).shape), np.array(want), rtol=1e-9, atol=1e-12)


def test_every_shown_step_is_checked():
    r = solve_one(_spec(np.array([[3.0, 1.0], [1.0, 2.0]]), np.array([0.0, 0.0])),
                  "gd(f, start = [1, 1], lr = 0.1, steps = 3, momentum = 0.9)")
    assert all(s.checked is True for s in r.steps if len(s.chain) > 1)
    r = solve_one("f(u, v) = u^2 + 3*v^2", "adam(f, start = [1, 1], steps = 2)")
    assert all(s.checked is True for s in r.steps if len(s.chain) > 1)


def test_a_divergent_run_is_an_answer_not_a_huge_number():
    r = solve_one("f(u, v) = u^2 + 3*v^2", "gd(f, start = [1, 1], lr = 1, steps = 500)")
    assert r.error is None and r.answer.value is None
    assert "diverges" in str(r.answer.latex) and dict(r.answer.extra)["diverged_at"] < 500


@pytest.mark.parametrize("goal,where", [
    ("gd(f, start = [1, 1, 1], lr = 0.1, steps = 2)", "start"),
    ("gd(f, start = [1, 1], lr = 0.1, steps = 2, nesterov = true)", "nesterov"),
    ("adam(f, start = [1, 1], betas = [0.9, 1.5], steps = 2)", "betas"),
    ("gd(f, start = [1, 1], steps = 2)", "lr"),
    ("adam(f, start = [1, 1], steps = 0)", "steps"),
])
def test_bad_input_is_an_error_at_its_position(goal, where):
    r = solve_one("f(u, v) = u^2 + 3*v^2", goal)
    assert r.error is not None and r.error.kind == "error" and where in r.error.message.lower() and r.error.line == 3


def test_a_singular_hessian_stops_newton_with_a_reason():
    r = solve_one("f(u, v) = (u + v)^2", "newton(f, start = [1, 1], steps = 1)")
    assert r.error is not None and "singular" in r.error.message


@pytest.mark.parametrize("seed", range(6))
def test_sgd_step_with_torch_keywords_against_torch(seed):
    """sgd_step(w, L, ...) is the first step of a fresh torch.optim.SGD (autograd for the gradient)."""
    rnd = random.Random(500 + seed)
    n = rnd.randint(1, 4)
    x, w = [rnd.randint(-3, 3) for _ in range(n)], [rnd.randint(-3, 3) / 2 for _ in range(n)]
    y, lr = rnd.randint(-3, 3), rnd.choice([0.1, 0.05])
    mu, wd = rnd.choice([0, 0.5, 0.9]), rnd.choice([0, 0.01, 0.1])
    nesterov = mu > 0 and rnd.random() < 0.5
    kw = f"momentum = {mu}, weight_decay = {wd}" + (", nesterov = true" if nesterov else "")
    body = f"input x = {_vec(x)}\nparam w = {_vec(w)}\nlet y = {y}\nL = (w @ x - y)^2"
    r = solve_one(body, f"sgd_step(w, L, lr = {lr}, {kw})")
    wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([wt], lr=lr, momentum=mu, weight_decay=wd, nesterov=nesterov)
    ((wt @ torch.tensor(x, dtype=torch.float64) - y) ** 2).backward()
    opt.step()
    np.testing.assert_allclose(_ours(r).ravel(), wt.detach().numpy(), rtol=1e-12, atol=1e-12)
    assert all(s.checked is True for s in r.steps if len(s.chain) > 1)


def test_optimal_lr_states_the_rate_exactly_in_its_step_and_answer():
    """η* is 1/4 in the step and in the answer (with 0.25 beside it), not 0.25 then 1/4."""
    import sympy as sp
    r = solve_one("q(u, v) = 3*u^2 + 2*u*v + v^2 - 4*u", "optimal_lr(q)")
    step = next(s for s in r.steps if s.rule == "fastest_rate")
    assert r.answer.text == "1/4" and sp.Rational(1, 4) in step.chain[-1].args
    assert "0.25" in str(r.answer.prose) and "1/4" in str(r.answer.prose)


def test_the_gradient_with_numbers_in_keeps_equal_coordinates_apart():
    """1 + u + s + 3v at u = v = -0.2, s = 0.4 shows every term, not 4⋅(-0.2) merged."""
    from derive.pretty import inline
    r = solve_one("f(u, v, s) = u + u^2/2 + u*s + 3*u*v", "gd(f, start = [-0.2, -0.2, 0.4], lr = 0.1, steps = 1)")
    step = next(s for s in r.steps if s.rule == "gradient_at")
    shown = inline(step.chain[1])
    assert "4 (-0.2)" not in shown and "4⋅(-0.2)" not in shown and shown.count("-0.2") == 4, shown
    assert step.checked is True
