"""Backprop through LayerNorm, BatchNorm1d/2d and Embedding against torch autograd.

Random small networks (a norm, optionally after a convolution or before a relu, then
Flatten, a linear read-out and a loss; an Embedding, optionally followed by a LayerNorm)
are written as specs with integer values; every entry of ∂L/∂γ, ∂L/∂β, ∂L/∂x and ∂L/∂E
derive gives is compared with `torch.autograd` in float64, and every step must have been
checked.  A NumPy central finite difference checks the oracle itself on one LayerNorm and
one BatchNorm case.  Bad input: errors at the line.  Skipped without PyTorch (except the
NumPy and error tests).
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import derive
from spec_arrays import literal
from test_backprop_layers import AUTOGRAD_EXAMPLES, SETTINGS, as_array, error_of, needs_torch, solve, torch, worked_example
EPS = {"1/100000": 1e-5, "1/10": 0.1, "1/4": 0.25}


# ---- norms --------------------------------------------------------------------------------

@st.composite
def norm_nets(draw):
    kind = draw(st.sampled_from(["LayerNorm", "BatchNorm1d", "BatchNorm2d"]))
    if kind == "LayerNorm":
        rank = draw(st.integers(1, 3))
        k = draw(st.integers(1, min(rank, 2)))
    else:
        rank = 4 if kind == "BatchNorm2d" else draw(st.sampled_from([2, 3]))
        k = None
    shape = tuple(draw(st.integers(2, 3 if rank < 4 else 2)) for _ in range(rank))
    affine = draw(st.booleans()) or draw(st.booleans())
    training = draw(st.booleans()) or draw(st.booleans())
    return dict(kind=kind, shape=shape, k=k, affine=affine, bias=draw(st.booleans()) or draw(st.booleans()),
                named=draw(st.booleans()) or draw(st.booleans()), eps=draw(st.sampled_from(sorted(EPS))),
                training=training, track=draw(st.booleans()) or draw(st.booleans()),
                stats=kind != "LayerNorm" and not training and draw(st.booleans()), conv=kind == "BatchNorm1d" and rank == 3 and draw(st.booleans()),
                relu=draw(st.booleans()), square=draw(st.booleans()), seed=draw(st.integers(0, 10 ** 6)))


def norm_arrays(net):
    rng = np.random.default_rng(net["seed"])
    c = net["shape"][1] if net["kind"] != "LayerNorm" else None
    pshape = (c,) if c else net["shape"][len(net["shape"]) - net["k"]:]
    out = dict(x=rng.integers(-3, 4, net["shape"]), g=rng.integers(-2, 3, pshape), b=rng.integers(-2, 3, pshape),
               v=rng.integers(-2, 3, int(np.prod(net["shape"]))))
    if c:
        out.update(mean=rng.integers(-2, 3, c), var=rng.integers(1, 4, c))
    if net["conv"]:             # a Conv1d(c, c, 3, padding = 1) before the norm: x is its input, of the same shape
        out["K"] = rng.integers(-2, 3, (c, c, 3))
    return out


def norm_layer_args(net) -> str:
    if net["kind"] == "LayerNorm":
        ns = net["shape"][len(net["shape"]) - net["k"]:]
        args = [str(ns[0]) if len(ns) == 1 else str(list(ns)), f"eps = {net['eps']}",
                f"elementwise_affine = {str(net['affine']).lower()}"]
    else:
        args = [str(net["shape"][1]), f"eps = {net['eps']}", f"affine = {str(net['affine']).lower()}",
                f"track_running_stats = {str(net['track']).lower()}", f"training = {str(net['training']).lower()}"]
        if net["stats"]:
            args += ["running_mean = m", "running_var = s"]
    if net["affine"] and net["named"]:
        args.append("weight = G")
        args.append("bias = B" if net["bias"] else "bias = false")
    elif net["affine"] and not net["bias"]:
        args.append("bias = false")
    return ", ".join(args)


def norm_spec(net, a) -> str:
    lines, xe = literal("X", a["x"])
    lines += [f"input x = {xe}", f"param v = {a['v'].tolist()}", "layer flat = Flatten(0)"]
    more, ge = literal("Gm", a["g"])
    lines += more + [f"param G = {ge}"]
    more, be = literal("Bm", a["b"])
    lines += more + [f"param B = {be}"]
    if net["stats"]:
        lines += [f"let m = {a['mean'].tolist()}", f"let s = {a['var'].tolist()}"]
    inner = "x"
    if net["conv"]:
        more, ke = literal("K", a["K"])
        c = net["shape"][1]
        lines += more + [f"param W = {ke}", f"layer conv = Conv1d({c}, {c}, 3, padding = 1, weight = W, bias = false)"]
        inner = "conv(x)"
    lines.append(f"layer norm = {net['kind']}({norm_layer_args(net)})")
    h = f"norm({inner})"
    h = f"relu({h})" if net["relu"] else h
    lines += [f"p = flat({h})", "o = v @ p", "L = (o - 1)^2" if net["square"] else "L = o"]
    goals = ["L", "grad(L, x)"]
    if net["affine"] and net["named"]:
        goals += ["grad(L, G)"] + (["grad(L, B)"] if net["bias"] else [])
    if net["conv"]:
        goals.append("grad(L, W)")
    return "\n".join(lines + ["find " + ", ".join(goals)])


def torch_norm(net, a):
    """{goal: value} from torch autograd for the spec's goals."""
    import torch.nn.functional as TF
    t = lambda arr, grad=False: torch.tensor(arr, dtype=torch.float64, requires_grad=grad)   # noqa: E731
    x, G, B = t(a["x"], True), t(a["g"], True), t(a["b"], True)
    W = t(a["K"], True) if net["conv"] else None
    h = TF.conv1d(x, W, padding=1) if net["conv"] else x
    eps = EPS[net["eps"]]
    gamma = G if net["affine"] and net["named"] else (torch.ones_like(G) if net["affine"] else None)
    beta = (B if net["bias"] else None) if net["affine"] and net["named"] else \
        (torch.zeros_like(B) if net["affine"] and net["bias"] else None)
    if net["kind"] == "LayerNorm":
        y = TF.layer_norm(h, tuple(net["shape"][len(net["shape"]) - net["k"]:]), gamma, beta, eps)
    else:
        c = net["shape"][1]
        rm = t(a["mean"]) if net["stats"] else torch.zeros(c, dtype=torch.float64)
        rv = t(a["var"]) if net["stats"] else torch.ones(c, dtype=torch.float64)
        batch = net["training"] or not net["track"]
        y = TF.batch_norm(h, None if batch else rm, None if batch else rv, gamma, beta, training=batch, eps=eps)
    if net["relu"]:   # relu′ = 0 at an exact 0 (PyTorch's rule); torch's float norm may give ±1e-17 there instead
        y = y * (y.detach() > 1e-9)
    o = t(a["v"]) @ y.flatten()
    L = (o - 1) ** 2 if net["square"] else o
    L.backward()
    out = {"L": L.item(), "grad(L, x)": x.grad.numpy()}
    if net["affine"] and net["named"]:
        out["grad(L, G)"] = G.grad.numpy()
        if net["bias"]:
            out["grad(L, B)"] = B.grad.numpy()
    if net["conv"]:
        out["grad(L, W)"] = W.grad.numpy()
    return out


def compare(sol, want: dict) -> None:
    for r, (goal, value) in zip(sol.results, want.items()):
        got = as_array(r.answer.expr)
        np.testing.assert_allclose(got.reshape(np.shape(value)), value, atol=1e-9, rtol=1e-9, err_msg=goal)


@needs_torch
@settings(max_examples=AUTOGRAD_EXAMPLES, **SETTINGS)
@given(norm_nets())
# this example normalises an entry to exactly 0 before a relu (torch's float value is ~1e-17)
@example(net=dict(kind="LayerNorm", shape=(2, 2, 3), k=2, affine=True, bias=False, named=False, eps="1/10",
                  training=False, track=True, stats=False, conv=False, relu=True, square=False, seed=1000000))
def test_norm_backprop_matches_autograd(net):
    a = norm_arrays(net)
    bn_batch = net["kind"] != "LayerNorm" and (net["training"] or not net["track"])
    if bn_batch and int(np.prod(net["shape"])) // net["shape"][1] < 2:
        return                                  # (one value per channel: PyTorch's error)
    want = torch_norm(net, a)
    compare(solve(norm_spec(net, a)), want)


# ---- Embedding ------------------------------------------------------------------------------

@st.composite
def embedding_nets(draw):
    n, d = draw(st.integers(2, 5)), draw(st.integers(2, 3))
    shape = draw(st.sampled_from([(3,), (4,), (2, 3), (2, 2)]))
    pad = draw(st.sampled_from([None, None, 0, 1, -1]))
    return dict(n=n, d=d, shape=shape, pad=pad, scale=draw(st.booleans()), ln=draw(st.booleans()),
                square=draw(st.booleans()), seed=draw(st.integers(0, 10 ** 6)))


def embedding_case(net):
    rng = np.random.default_rng(net["seed"])
    E = rng.integers(-3, 4, (net["n"], net["d"]))
    idx = rng.integers(0, net["n"], net["shape"])
    idx.reshape(-1)[0] = idx.reshape(-1)[-1]          # a repeated index at least once
    v = rng.integers(-2, 3, int(np.prod(net["shape"])) * net["d"])
    kw = "".join([f", padding_idx = {net['pad']}" if net["pad"] is not None else "",
                  ", scale_grad_by_freq = true" if net["scale"] else ""])
    lines = [f"param E = {E.tolist()}", f"input t = {idx.tolist()}", f"param v = {v.tolist()}",
             f"layer emb = Embedding({net['n']}, {net['d']}, weight = E{kw})", "layer flat = Flatten(0)",
             "layer ln = LayerNorm(" + str(net["d"]) + ")"]
    h = "ln(emb(t))" if net["ln"] else "emb(t)"
    lines += [f"o = v @ flat({h})", "L = (o - 2)^2" if net["square"] else "L = o", "find grad(L, E)"]
    Et = torch.tensor(E, dtype=torch.float64, requires_grad=True)
    y = torch.nn.functional.embedding(torch.tensor(idx), Et, padding_idx=net["pad"], scale_grad_by_freq=net["scale"])
    if net["ln"]:
        y = torch.nn.functional.layer_norm(y, (net["d"],))
    o = torch.tensor(v, dtype=torch.float64) @ y.flatten()
    ((o - 2) ** 2 if net["square"] else o).backward()
    return "\n".join(lines), Et.grad.numpy()


@needs_torch
@settings(max_examples=AUTOGRAD_EXAMPLES, **SETTINGS)
@given(embedding_nets())
def test_embedding_backprop_matches_autograd(net):
    body, want = embedding_case(net)
    sol = solve(body)
    np.testing.assert_allclose(as_array(sol.results[0].answer.expr), want, atol=1e-9, rtol=1e-9)


def test_embedding_rows_accumulate_and_padding_gets_zero():
    """Exact values by hand: L = Σ w ⊙ emb(t); row i's gradient is the sum of w's rows at the
    positions holding i; index 0 is padding_idx, so its row gets 0 although t holds it."""
    body = """
    param E = [[0, 1], [1, 0], [2, 2], [3, -1]]
    layer emb = Embedding(4, 2, weight = E, padding_idx = 0)
    input t = [2, 0, 2, 3]
    param w = [[1, 2], [5, 5], [3, -1], [0, 1]]
    L = sum(w * emb(t))
    find grad(L, E), sgd_step(E, L, lr = 1/2)
    """
    sol = solve(body)
    g, new = (as_array(r.answer.expr) for r in sol.results)
    np.testing.assert_array_equal(g, [[0, 0], [0, 0], [4, 1], [0, 1]])
    np.testing.assert_array_equal(new, np.array([[0, 1], [1, 0], [2, 2], [3, -1]]) - g / 2)
    shown = [s for s in sol.results[0].steps if s.rule == "backprop"][-1]
    assert type(shown.chain[1]).__name__ == "IndexAdd" and shown.checked is True


# ---- the oracle checked by finite differences ---------------------------------------------------

def _numpy_norm(x, axes, g, b, eps):
    mu = x.mean(axis=axes, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=axes, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * g + b


def _central(f, x, h=1e-6):
    out = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = h
        out[i] = (f(x + e) - f(x - e)) / (2 * h)
    return out


@needs_torch
def test_finite_differences_agree_with_autograd_and_derive():
    rng = np.random.default_rng(3)
    x = rng.integers(-3, 4, (3, 4)).astype(float)
    g, b, v = np.array([1., -2, 1, 3]), np.array([0., 1, 0, -1]), rng.integers(-2, 3, 12).astype(float)
    ln_loss = lambda x_: (v @ _numpy_norm(x_, 1, g, b, 1e-5).reshape(-1) - 1) ** 2              # noqa: E731
    bn_loss = lambda x_: (v @ _numpy_norm(x_, 0, 1., 0., 1e-5).reshape(-1) - 1) ** 2           # noqa: E731
    xt = torch.tensor(x, requires_grad=True, dtype=torch.float64)
    y = torch.nn.functional.layer_norm(xt, (4,), torch.tensor(g), torch.tensor(b))
    ((torch.tensor(v) @ y.flatten() - 1) ** 2).backward()
    np.testing.assert_allclose(_central(ln_loss, x), xt.grad.numpy(), atol=1e-5)
    xt.grad = None
    y = torch.nn.functional.batch_norm(xt, None, None, training=True)
    ((torch.tensor(v) @ y.flatten() - 1) ** 2).backward()
    np.testing.assert_allclose(_central(bn_loss, x), xt.grad.numpy(), atol=1e-5)
    body = "\n".join([f"input x = {x.astype(int).tolist()}", f"param v = {v.astype(int).tolist()}",
                      f"param G = {g.astype(int).tolist()}", f"param B = {b.astype(int).tolist()}",
                      "layer ln = LayerNorm(4, weight = G, bias = B)", "layer bn = BatchNorm1d(4)",
                      "layer flat = Flatten(0)", "o1 = v @ flat(ln(x))", "o2 = v @ flat(bn(x))",
                      "L1 = (o1 - 1)^2", "L2 = (o2 - 1)^2",
                      "find grad(L1, x), grad(L2, x)"])
    sol = solve(body)
    np.testing.assert_allclose(as_array(sol.results[0].answer.expr), _central(ln_loss, x), atol=1e-5)
    np.testing.assert_allclose(as_array(sol.results[1].answer.expr), _central(bn_loss, x), atol=1e-5)


# ---- steps and bad input ----------------------------------------------------------------------

def test_the_input_gradient_is_shown_through_normgrad_and_checked():
    body = """
    layer ln = LayerNorm(3, weight = [1, 2, 1])
    input x = [[1, 2, 4], [3, 0, 1]]
    param w = [[1, -1, 2], [0, 1, 1]]
    L = sum(w * ln(x))
    find grad(L, x)
    """
    steps = solve(body).results[0].steps
    rules = [s.rule for s in steps]
    assert "normalised_input" in rules
    shown = [s for s in steps if s.rule == "backprop"][-1]
    assert type(shown.chain[1]).__name__ == "NormGrad" and shown.checked is True


HEAD = """param E = [[0, 1], [1, 0], [2, 2]]
layer emb = Embedding(3, 2, weight = E)
layer flat = Flatten(0)
input t = [0, 2]
param v = [1, 2, 3, 4]
"""


@pytest.mark.parametrize("tail, line, words", [
    ("L = v @ flat(emb(t))\nfind grad(L, t)", 6, "indices"),
    ("let m = [0, 1]\nlayer bn = BatchNorm1d(2, training = false, running_mean = m)\ninput x = [[1, 2], [3, 4]]\n"
     "L = sum(bn(x))\nfind grad(L, m)", 9, "running statistic"),
    ("let u = [1, 2]\nlayer bn = BatchNorm1d(2, weight = 2 * u)\ninput x = [[1, 2], [3, 4]]\nL = sum(bn(x))\n"
     "find grad(L, x)", 7, "give it a name"),
    ("layer e2 = Embedding(3, 2)\nL = v @ flat(e2(t))\nfind grad(L, E)", 7, "concrete weights"),
])
def test_bad_backprop_through_norms_is_an_error_at_the_line(tail, line, words):
    e = error_of(HEAD + tail)
    assert words in e.message, e.message
    assert e.line == line + 1, (e.line, e.message)


def test_same_bytes_whatever_the_hash_seed(tmp_path):
    """The rendered solution does not depend on PYTHONHASHSEED: two fresh interpreters and
    this process, three seeds (tests/hash_seeds.py)."""
    from hash_seeds import fresh_and_here
    spec = tmp_path / "n.spec"
    spec.write_text('problem "p" {\n' + HEAD + "layer ln = LayerNorm(2)\no = v @ flat(ln(emb(t)))\nL = o^2\n"
                    "find grad(L, E)\n}\n")
    runs = fresh_and_here("solve", str(spec), "--format", "json", fresh=2)
    assert [code for code, _ in runs] == [0, 0, 0]
    assert len({out for _, out in runs}) == 1
    assert derive is not None


# ---- the worked examples --------------------------------------------------------------------

@needs_torch
def test_the_worked_examples_match_autograd():
    import torch.nn.functional as TF
    sol = worked_example()
    emb, bn = sol.problems[3:5]
    f64 = dict(dtype=torch.float64)
    E = torch.tensor([[0., 0, 0], [1, 2, 3], [2, 0, 1], [0, 3, 0]], **f64, requires_grad=True)
    g = torch.tensor([1., 2, -1], **f64, requires_grad=True)
    b = torch.tensor([0., 1, 0], **f64, requires_grad=True)
    y = TF.layer_norm(TF.embedding(torch.tensor([1, 3, 1, 0]), E, padding_idx=0), (3,), g, b)
    (torch.tensor([[1., 0, -1], [2, 1, 0], [0, 1, 1], [1, 1, 1]], **f64) * y).sum().backward()
    gg, gb, gE, new = (as_array(r.answer.expr) for r in emb.results)
    np.testing.assert_allclose(gg.ravel(), g.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(gb.ravel(), b.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(gE, E.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(new.ravel(), (g - 0.1 * g.grad).detach().numpy(), atol=1e-12)
    x = torch.tensor([[1., 2], [3, 6], [5, 4]], **f64, requires_grad=True)
    gam = torch.tensor([2., 1], **f64, requires_grad=True)
    v = torch.tensor([1., -1, 2, 0, 1, 1], **f64)
    ((v @ TF.batch_norm(x, None, None, gam, None, training=True).flatten() - 1) ** 2).backward()
    ggam, gx, gx_frozen = (as_array(r.answer.expr) for r in bn.results)
    np.testing.assert_allclose(ggam.ravel(), gam.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(gx, x.grad.numpy(), atol=1e-12)
    x.grad = None
    rm, rv = torch.tensor([3., 4], **f64), torch.tensor([4., 1], **f64)
    (v @ TF.batch_norm(x, rm, rv, training=False).flatten()).backward()
    np.testing.assert_allclose(gx_frozen, x.grad.numpy(), atol=1e-12)


@needs_torch
def test_a_batchnorm2d_weight_given_as_names_reaches_each_name():
    body = """
    param g1 = 2
    param g2 = -1
    param b = [0, 1]
    layer bn = BatchNorm2d(2, weight = [g1, g2], bias = b)
    let A = [[1, 2], [0, 1]]
    let B = [[3, -1], [2, 2]]
    let C = [[0, 0], [1, 4]]
    input x = [[A, B], [C, A]]
    layer flat = Flatten(0)
    param v = [1, 2, 0, -1, 1, 1, 2, 0, 1, -2, 1, 0, 0, 1, 1, 1]
    L = v @ flat(relu(bn(x)))
    find grad(L, g1), grad(L, g2), grad(L, b), grad(L, x[2, 1, 2, 2]), sgd_step(g2, L, lr = 0.5)
    """
    g1, g2, gb, gx, new = (as_array(r.answer.expr) for r in solve(body).results)
    A, B, C = [[1., 2], [0, 1]], [[3., -1], [2, 2]], [[0., 0], [1, 4]]
    x = torch.tensor([[A, B], [C, A]], dtype=torch.float64, requires_grad=True)
    gam = torch.tensor([2., -1], dtype=torch.float64, requires_grad=True)
    beta = torch.tensor([0., 1], dtype=torch.float64, requires_grad=True)
    v = torch.tensor([1., 2, 0, -1, 1, 1, 2, 0, 1, -2, 1, 0, 0, 1, 1, 1], dtype=torch.float64)
    (v @ torch.relu(torch.nn.functional.batch_norm(x, None, None, gam, beta, training=True)).flatten()).backward()
    np.testing.assert_allclose([g1, g2], gam.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(gb.ravel(), beta.grad.numpy(), atol=1e-12)
    assert float(gx) == pytest.approx(x.grad[1, 0, 1, 1].item(), abs=1e-12)
    assert float(new) == pytest.approx(-1 - 0.5 * gam.grad[1].item(), abs=1e-12)
