"""Backprop through Conv1d/Conv2d, Max/AvgPool1d/2d, Flatten and Dropout against torch autograd.

Random small networks (conv → optional relu → optional pool → Flatten → a linear read-out
and a loss) are written as specs with integer weights; every entry of ∂L/∂weight,
∂L/∂bias and ∂L/∂x derive gives is compared with `torch.autograd` in float64, and every
step must have been checked.  A hand-written NumPy route (np.correlate / np.convolve)
checks the oracle itself on a convolution's gradients.  Bad input: errors at the line.
Skipped without PyTorch (except the NumPy and error tests).
"""
from __future__ import annotations

import functools
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import derive
from derive.errors import DeriveError
from spec_arrays import literal

try:
    import torch
    import torch.nn.functional as TF
except ImportError:                  # pragma: no cover - a machine without torch
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")
STRESS = int(os.environ.get("DERIVE_STRESS", "1"))
# each example of an autograd property solves a network (about 1 s): 12 in a plain run, and
# under DERIVE_STRESS=k the 25·k the suite used to run
AUTOGRAD_EXAMPLES = 12 if STRESS == 1 else 25 * STRESS
SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)


# ---- solving specs (arrays are written in by spec_arrays.literal) -------------------------------

def solve(body: str, limits=None):
    sol = derive.solve('problem "p" {\n' + body + "\n}", limits=limits)
    for r in sol.results:
        assert r.error is None, (r.error, body)
        for top in r.steps:
            for s in top.walk():
                assert s.checked is not False, s.rule
                if len(s.chain) > 1 and s.relation == "=":
                    assert s.checked is True, (s.rule, s.text)
    return sol


def as_array(value) -> np.ndarray:
    import sympy as sp
    if isinstance(value, (list, tuple)):
        return np.array([as_array(v) for v in value], dtype=float)
    if isinstance(value, sp.MatrixBase):
        return np.array(value.tolist(), dtype=float)
    return np.array(float(value))


# ---- the network --------------------------------------------------------------------------------

@st.composite
def networks(draw):
    nd = draw(st.sampled_from([1, 2]))
    g = draw(st.sampled_from([1, 1, 2]))
    cin, cout = g * draw(st.integers(1, 2)), g * draw(st.integers(1, 2))
    k = tuple(draw(st.integers(2, 3)) for _ in range(nd))
    s = draw(st.integers(1, 2))
    pad = draw(st.sampled_from([0, 1, "same"])) if s == 1 else draw(st.integers(0, 1))
    d = draw(st.integers(1, 2))
    size = tuple(draw(st.integers(4, 6 if nd == 1 else 5)) for _ in range(nd))
    batch = draw(st.sampled_from([(), (1,), (2,)]))
    pool = draw(st.sampled_from([None, "Max", "Avg"]))
    pk = draw(st.integers(1, 2))
    pool_kw = {"stride": draw(st.integers(1, 2))} if draw(st.booleans()) else {}
    if draw(st.booleans()):
        pool_kw.update(padding=pk // 2, ceil_mode=draw(st.booleans()))
    if pool == "Avg" and draw(st.booleans()):
        pool_kw.update(count_include_pad=draw(st.booleans()))
    if pool == "Max" and draw(st.booleans()):
        pool_kw.update(dilation=2)
    seed = draw(st.integers(0, 10 ** 6))
    return dict(nd=nd, g=g, cin=cin, cout=cout, k=k, s=s, pad=pad, d=d, size=size, batch=batch,
                bias=draw(st.booleans()), relu=draw(st.booleans()), pool=pool, pk=pk, pool_kw=pool_kw,
                dropout=draw(st.booleans()), square=draw(st.booleans()), seed=seed)


def torch_grads(net, x, w, b, v):
    """(L, ∂L/∂w, ∂L/∂b, ∂L/∂x) from torch autograd, or None when torch refuses the shapes."""
    conv = TF.conv1d if net["nd"] == 1 else TF.conv2d
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    bt = torch.tensor(b, dtype=torch.float64, requires_grad=True) if b is not None else None
    try:
        y = conv(xt, wt, bt, net["s"], net["pad"], net["d"], net["g"])
        if net["relu"]:
            y = torch.relu(y)
        if net["pool"]:
            kind = f"{net['pool']}Pool{net['nd']}d"
            y = getattr(torch.nn, kind)(net["pk"], **net["pool_kw"])(y)
    except RuntimeError:
        return None
    p = torch.flatten(y)
    if p.numel() != len(v):
        return None
    out = torch.tensor(v, dtype=torch.float64) @ p
    L = (out - 3) ** 2 if net["square"] else out
    L.backward()
    return (float(L), wt.grad.numpy(), None if b is None else bt.grad.numpy(), xt.grad.numpy(), p.numel())


def spec_of(net, x, w, b, v) -> str:
    lines, xe = literal("X", x)
    more, we = literal("K", w)
    lines += more
    ks = net["k"][0] if net["nd"] == 1 else tuple(net["k"])
    pad = '"same"' if net["pad"] == "same" else net["pad"]
    lines += [f"param W = {we}", f"param b = {list(map(int, b)) if b is not None else [0]}", f"input x = {xe}",
              f"param v = {list(map(int, v))}",
              f"layer conv = Conv{net['nd']}d({net['cin']}, {net['cout']}, {ks}, stride = {net['s']}, padding = {pad}, "
              f"dilation = {net['d']}, groups = {net['g']}, weight = W, bias = {'b' if b is not None else 'false'})"]
    a = "conv(x)"
    if net["relu"]:
        a = f"relu({a})"
    if net["pool"]:
        kw = "".join(f", {k} = {str(val).lower()}" for k, val in net["pool_kw"].items())
        lines.append(f"layer pool = {net['pool']}Pool{net['nd']}d({net['pk']}{kw})")
        a = f"pool({a})"
    if net["dropout"]:
        lines.append("layer drop = Dropout(0.25)")
        a = f"drop({a})"
    lines += ["layer flat = Flatten(0)", f"h = {a}", "p = flat(h)", "o = v @ p",
              "L = (o - 3)^2" if net["square"] else "L = o"]
    lines.append("find L, grad(L, W), grad(L, x)" + (", grad(L, b)" if b is not None else ""))
    return "\n".join(lines)


def draw_arrays(net, n_out: int | None = None):
    rng = np.random.default_rng(net["seed"])
    x = rng.integers(-3, 4, net["batch"] + (net["cin"],) + net["size"])
    w = rng.integers(-2, 3, (net["cout"], net["cin"] // net["g"]) + net["k"])
    b = rng.integers(-2, 3, net["cout"]) if net["bias"] else None
    v = rng.integers(-2, 3, n_out) if n_out else None
    return x, w, b, v


@needs_torch
@settings(max_examples=AUTOGRAD_EXAMPLES, **SETTINGS)
@given(networks())
def test_conv_pool_backprop_matches_autograd(net):
    x, w, b, _ = draw_arrays(net)
    # the read-out's length is the flattened output's: run torch once to learn it
    try:
        conv = TF.conv1d if net["nd"] == 1 else TF.conv2d
        y = conv(torch.tensor(x, dtype=torch.float64), torch.tensor(w, dtype=torch.float64), None, net["s"],
                 net["pad"], net["d"], net["g"])
        if net["pool"]:
            y = getattr(torch.nn, f"{net['pool']}Pool{net['nd']}d")(net["pk"], **net["pool_kw"])(y)
        n = y.numel()
    except RuntimeError:
        return                       # torch refuses the shapes; the shape tests cover the errors
    if n < 2 or not torch.isfinite(y).all():
        return                       # (a one-entry read-out is a scalar; a window all padding is −∞)
    x, w, b, v = draw_arrays(net, n)
    want = torch_grads(net, x, w, b, v)
    sol = solve(spec_of(net, x, w, b, v))
    assert float(sol.results[0].answer.value) == pytest.approx(want[0])
    np.testing.assert_allclose(as_array(sol.results[1].answer.expr).reshape(want[1].shape), want[1], atol=1e-9)
    np.testing.assert_allclose(as_array(sol.results[2].answer.expr).reshape(want[3].shape), want[3], atol=1e-9)
    if b is not None:
        np.testing.assert_allclose(as_array(sol.results[3].answer.expr).reshape(want[2].shape), want[2], atol=1e-9)


# ---- exam-sized inputs: a cost that grows exponentially shows up as a budget error ---------------

EXAM_SIZED = dict(nd=2, g=1, cin=2, cout=2, k=(2, 2), s=1, pad=1, d=1, size=(6, 6), batch=(), bias=True,
                  relu=True, pool="Max", pk=2, pool_kw={}, dropout=False, square=True, seed=10)


@needs_torch
def test_an_exam_sized_two_channel_conv_with_padding_and_a_max_pool_within_the_budget():
    """Two 6×6 channels, padding 1, a max pool and a squared read-out of all 18 pooled
    entries: every gradient equals autograd's exactly, inside the CLI's default budget.  (The
    read-out's per-entry derivative has 36 symbols; factoring it cost time doubling with every
    two more, 70-100 s a goal on 5×5.)  No wall-clock assertion: a slow run is a LimitError."""
    from derive.limits import Limits
    net = EXAM_SIZED
    x, w, b, v = draw_arrays(net, 18)
    want = torch_grads(net, x, w, b, v)
    spec = spec_of(net, x, w, b, v).replace("o = v @ p\nL = (o - 3)^2", "L = (v @ p - 3)^2")   # one expression
    assert "L = (v @ p - 3)^2" in spec
    sol = solve(spec, limits=Limits(time=60))
    assert float(sol.results[0].answer.value) == want[0]
    np.testing.assert_array_equal(as_array(sol.results[1].answer.expr).reshape(want[1].shape), want[1])
    np.testing.assert_array_equal(as_array(sol.results[2].answer.expr).reshape(want[3].shape), want[3])
    np.testing.assert_array_equal(as_array(sol.results[3].answer.expr).reshape(want[2].shape), want[2])


def test_a_derivative_of_many_symbols_is_not_factored(monkeypatch):
    """_nice factors a small derivative (2(o − t)) but leaves one of many symbols as built:
    factoring costs twice as much with every two more symbols."""
    import sympy as sp
    from derive.derivers.backprop import util
    o, t = sp.symbols("o t")
    small = util._nice(2 * o - 2 * t)
    assert isinstance(small, sp.Mul) and sp.expand(small) == 2 * o - 2 * t       # factored: −2(t − o)
    v, f = sp.symbols("v1:19"), sp.symbols("f1:19")
    d = 2 * v[0] * (sum(a * c for a, c in zip(v, f)) - 2)

    def refuse(*args, **kw):
        raise AssertionError("factor called on a derivative of 36 symbols")
    monkeypatch.setattr(util.sp, "factor", refuse)
    assert util._nice(d) is d


# ---- a hand-written NumPy route checks the oracle and derive -------------------------------------

def numpy_conv1d_grads(x, w, g):
    """Conv1d (stride 1, no padding) by hand: ∂w[c, i] = np.correlate(x[i], g[c]) (the input
    correlated with the upstream gradient) and ∂x[i] = Σ_c np.convolve(g[c], w[c, i]) (the
    full convolution with the kernel)."""
    gw = np.array([[np.correlate(x[i], g[c], "valid") for i in range(x.shape[0])] for c in range(w.shape[0])])
    gx = np.array([sum(np.convolve(g[c], w[c, i], "full") for c in range(w.shape[0])) for i in range(x.shape[0])])
    return gw, gx


def test_numpy_route_matches_derive_on_a_conv1d():
    x = np.array([[1, 2, -1, 0, 3, 1], [0, -2, 1, 1, 2, -1]])
    w = np.array([[[1, 0, -1], [2, 1, 0]], [[0, 1, 1], [-1, 0, 2]]])
    v = np.array([1, -1, 2, 0, 1, 1, -2, 1])
    gw, gx = numpy_conv1d_grads(x, w, v.reshape(2, 4))       # L = v · flatten(conv(x)): ∂L/∂y = v
    lines, xe = literal("X", x)
    more, we = literal("K", w)
    body = "\n".join(lines + more + [f"param W = {we}", f"input x = {xe}", f"param v = {v.tolist()}",
                                     "layer conv = Conv1d(2, 2, 3, weight = W, bias = false)",
                                     "layer flat = Flatten(0)", "L = v @ flat(conv(x))",
                                     "find grad(L, W), grad(L, x), grad(L, W[2, 1, 3])"])
    sol = solve(body)
    np.testing.assert_array_equal(as_array(sol.results[0].answer.expr), gw)
    np.testing.assert_array_equal(as_array(sol.results[1].answer.expr), gx)
    assert sol.results[2].answer.value == gw[1, 0, 2]
    rules = [s.rule for s in sol.results[0].steps]
    assert "backprop" in rules
    shown = [s for s in sol.results[0].steps if s.rule == "backprop"][-1]
    assert type(shown.chain[1]).__name__ == "Corr"          # ∂L/∂W = x ⋆ ∂L/∂y, then the numbers
    shown = [s for s in sol.results[1].steps if s.rule == "backprop"][-1]
    assert type(shown.chain[1]).__name__ == "FullConv"      # ∂L/∂x = ∂L/∂y ∗ W


@needs_torch
def test_numpy_route_matches_autograd():
    rng = np.random.default_rng(7)
    for _ in range(5):
        cin, cout, k, L = rng.integers(1, 4), rng.integers(1, 4), rng.integers(1, 4), rng.integers(4, 8)
        x, w = rng.integers(-3, 4, (cin, L)), rng.integers(-3, 4, (cout, cin, k))
        g = rng.integers(-3, 4, (cout, L - k + 1))
        xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)
        (TF.conv1d(xt, wt) * torch.tensor(g, dtype=torch.float64)).sum().backward()
        gw, gx = numpy_conv1d_grads(x, w, g)
        np.testing.assert_array_equal(gw, wt.grad.numpy())
        np.testing.assert_array_equal(gx, xt.grad.numpy())


# ---- max-pool ties, weights given as a list of names, the forward of a Conv2d -------------------

@needs_torch
def test_max_pool_ties_go_to_the_first_maximum_as_in_pytorch():
    x = np.array([[3, 3, 1, 5, 5, 5], [0, 0, 0, 0, 2, 2]])
    body = "\n".join([f"input x = {x.tolist()}", "param v = [1, 2, 3, 4, 5, 6]", "layer pool = MaxPool1d(2)",
                      "layer flat = Flatten(0)", "L = v @ flat(pool(x))", "find grad(L, x)"])
    sol = solve(body)
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    (torch.tensor([1., 2, 3, 4, 5, 6], dtype=torch.float64) @ TF.max_pool1d(xt, 2).flatten()).backward()
    np.testing.assert_array_equal(as_array(sol.results[0].answer.expr), xt.grad.numpy())
    windows = next(s for s in sol.results[0].steps if s.rule == "max_pool_windows")
    assert windows.checked is True and "tie" in str(windows.text)


def test_weight_as_a_list_of_names_reaches_each_name():
    body = """
    let K1 = [[1, 0, -1]]
    let K2 = [[1, 2, 1]]
    layer conv = Conv1d(1, 2, 3, weight = [K1, K2], bias = [0, 1])
    layer flat = Flatten(0)
    input x = [[1, 2, 3, 4, 5, 6]]
    param v = [1, 0, 0, 0, 0, 0, 0, 2]
    L = v @ flat(conv(x))
    find grad(L, K1), grad(L, K2)
    """
    g1, g2 = (r.answer.expr for r in solve(body).results)
    x = np.arange(1, 7)
    np.testing.assert_array_equal(as_array(g1).ravel(), np.correlate(x, [1, 0, 0, 0], "valid"))
    np.testing.assert_array_equal(as_array(g2).ravel(), np.correlate(x, [0, 0, 0, 2], "valid"))


# ---- bad input: errors at the line ------------------------------------------------------------

def error_of(body: str) -> DeriveError:
    try:
        sol = derive.solve('problem "p" {\n' + body + "\n}")
    except DeriveError as e:
        return e
    errors = [r.error for r in sol.results if r.error is not None]
    assert errors, "no error"
    return errors[0]


CONV = """let K1 = [[1, 0, -1]]
param W = [K1, K1]
layer conv = Conv1d(1, 2, 3, weight = W, bias = false)
layer flat = Flatten(0)
"""


@pytest.mark.parametrize("tail, line, words", [
    # the input's channels disagree with the conv: the shape error of the forward pass, at the call
    ("input x = [[1, 2, 3, 4], [5, 6, 7, 8]]\nL = sum(flat(conv(x)))\nfind grad(L, W)", 6, "in_channels"),
    # a 3-D weight indexed with two indices
    ("input x = [[1, 2, 3, 4]]\nL = sum(flat(conv(x)))\nfind grad(L, W[1, 2])", 7, "3 indices"),
    ("input x = [[1, 2, 3, 4]]\nL = sum(flat(conv(x)))\nfind grad(L, W[1, 1, 4])", 7, "out of range"),
    # a 3-D tensor read by an expression that is not a layer
    ("let X = [[1, 2, 3, 4]]\ninput x = [X]\nL = sum(relu(conv(x)))\nfind grad(L, W)", 7, "Flatten"),
    # a layer derive does not differentiate
    ("input x = [[1, 2, 3, 4]]\nlayer ap = AdaptiveAvgPool1d(1)\nL = sum(flat(ap(conv(x))))\nfind grad(L, W)", 7,
     "AdaptiveAvgPool1d"),
])
def test_bad_backprop_through_a_conv_is_an_error_at_the_line(tail, line, words):
    e = error_of(CONV + tail)
    assert words in e.message, e.message
    assert e.line == line + 1, (e.line, e.message)


# ---- the worked example ---------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def worked_example() -> derive.Solution:
    """examples/conv-backprop.spec solved (once per process), after asserting that every
    result was derived and no step's check failed; its problems are then compared with
    autograd here and in test_backprop_norms."""
    sol = derive.solve(str(Path(__file__).resolve().parents[1] / "examples" / "conv-backprop.spec"))
    for r in sol.results:
        assert r.error is None, r.error
        assert all(s.checked is not False for top in r.steps for s in top.walk())
    return sol


@needs_torch
def test_the_worked_example_matches_autograd():
    sol = worked_example()
    first, second = sol.problems[:2]
    x = torch.tensor([[[1., 2, 3, 4, 5, 6]]], dtype=torch.float64, requires_grad=True)
    K = torch.tensor([[[1., 0, -1]], [[1, 2, 1]]], dtype=torch.float64, requires_grad=True)
    b = torch.tensor([0., 1], dtype=torch.float64, requires_grad=True)
    p = TF.max_pool1d(torch.relu(TF.conv1d(x, K, b)), 2).flatten()
    ((torch.tensor([1., -1, 2, 1], dtype=torch.float64) @ p - 3) ** 2).backward()
    gK, gb, gx, step = (as_array(r.answer.expr) for r in first.results)
    np.testing.assert_array_equal(gK.reshape(2, 1, 3), K.grad.numpy())
    np.testing.assert_array_equal(gb.ravel(), b.grad.numpy())
    np.testing.assert_array_equal(gx.ravel(), x.grad.numpy().ravel())
    np.testing.assert_allclose(step.reshape(2, 1, 3), (K - 0.001 * K.grad).detach().numpy())
    X = torch.tensor([[[1., 2, 0], [0, 1, 3], [2, -1, 1]]], dtype=torch.float64, requires_grad=True)
    K2 = torch.tensor([[[[1., 0], [0, -1]]], [[[1, 2], [-1, 1]]]], dtype=torch.float64, requires_grad=True)
    y = TF.avg_pool2d(torch.relu(TF.conv2d(X, K2, None, 2, 1)), 2, 1).flatten()
    (torch.tensor([1., -2], dtype=torch.float64) @ y).backward()
    gK2, gx13 = (r.answer.expr for r in second.results)
    np.testing.assert_array_equal(as_array(gK2).reshape(2, 1, 2, 2), K2.grad.numpy())
    assert float(gx13) == X.grad[0, 1, 2].item()


def test_sgd_step_updates_a_conv_weight():
    body = """
    let K1 = [[1, 0, -1]]
    param K = [K1]
    layer conv = Conv1d(1, 1, 3, weight = K, bias = false, padding = 1)
    layer flat = Flatten(0)
    input x = [[1, 2, 3, 4]]
    param w = [1, -1, 2, 1]
    L = (w @ flat(relu(conv(x)) + x))^2
    find grad(L, K), sgd_step(K, L, lr = 0.1)
    """
    g, new = (as_array(r.answer.expr) for r in solve(body).results)
    np.testing.assert_allclose(new.ravel(), np.array([1, 0, -1]) - 0.1 * g.ravel())


@needs_torch
def test_a_layer_output_keeps_a_last_size_of_one():
    """conv(x) of shape (2, 2, 1): the pool after it and `shape` see three dimensions, as in
    PyTorch (a matrix in a spec would read (2, 1) as a batch of vectors)."""
    body = """
    let X0 = [[1, 2, 3, 4]]
    let X1 = [[0, 1, -1, 2]]
    input x = [X0, X1]
    let K0 = [[1, -1]]
    param W = [K0, K0]
    layer conv = Conv1d(1, 2, 2, stride = 2, dilation = 2, weight = W, bias = false)
    layer pool = AvgPool1d(1)
    layer flat = Flatten(0)
    param v = [1, 2, 3, 4]
    L = v @ flat(relu(pool(conv(x))))
    find shape(pool(conv(x))), grad(L, W), grad(L, x)
    """
    shape, gW, gx = (r.answer for r in solve(body).results)
    x = torch.tensor([[[1., 2, 3, 4]], [[0, 1, -1, 2]]], dtype=torch.float64, requires_grad=True)
    W = torch.tensor([[[1., -1]], [[1, -1]]], dtype=torch.float64, requires_grad=True)
    y = TF.avg_pool1d(TF.conv1d(x, W, stride=2, dilation=2), 1)
    assert shape.value == list(y.shape)
    (torch.tensor([1., 2, 3, 4], dtype=torch.float64) @ torch.relu(y).flatten()).backward()
    np.testing.assert_array_equal(as_array(gW.expr).reshape(2, 1, 2), W.grad.numpy())
    np.testing.assert_array_equal(as_array(gx.expr).reshape(2, 1, 4), x.grad.numpy())
