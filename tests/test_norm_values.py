"""Forward values of BatchNorm1d/2d, LayerNorm and Embedding against torch.nn.

Random small inputs (integers, so that means and variances are exact rationals) through a
freshly constructed module (training mode: batch statistics), through `training = false`
with given running statistics, with given γ/β; every entry compared in float64 with the
module's output, every step checked.  A hand-written NumPy normalisation checks the
oracle.  Skipped without PyTorch (except the NumPy and error tests).
"""
from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import derive
from derive.errors import DeriveError
from spec_arrays import literal

try:
    import torch
    import torch.nn as nn
except ImportError:                  # pragma: no cover - a machine without torch
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")
STRESS = int(os.environ.get("DERIVE_STRESS", "1"))
SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)


def value_of(layer_line: str, x) -> np.ndarray:
    lines, xe = literal("X", x)
    body = "\n".join(lines + [layer_line, f"input x = {xe}", "find f(x)"])
    sol = derive.solve('problem "p" {\n' + body + "\n}")
    (r,) = sol.results
    assert r.error is None, (r.error, body)
    for top in r.steps:
        for s in top.walk():
            assert s.checked is not False
            if len(s.chain) > 1 and s.relation == "=":
                assert s.checked is True, (s.rule, s.text)
    return nested(r.answer.expr)


def nested(v) -> np.ndarray:
    import sympy as sp
    if isinstance(v, (list, tuple)):
        return np.array([nested(x) for x in v], dtype=float)
    if isinstance(v, sp.MatrixBase):
        return np.array(v.tolist(), dtype=float)
    return np.array(float(v))


def numpy_batch_norm(x, eps=1e-5):
    """By hand: per channel (axis 1), over every other axis, the biased variance."""
    axes = (0,) + tuple(range(2, x.ndim))
    mu = x.mean(axis=axes, keepdims=True)
    return (x - mu) / np.sqrt(x.var(axis=axes, keepdims=True) + eps)


@needs_torch
@settings(max_examples=20 * STRESS, **SETTINGS)
@given(st.sampled_from(["BatchNorm1d", "BatchNorm2d"]), st.data())
def test_batch_norm_matches_a_fresh_module_in_training_mode(kind, data):
    C = data.draw(st.integers(1, 3))
    N = data.draw(st.integers(2, 3))
    spatial = () if kind == "BatchNorm1d" and data.draw(st.booleans()) else \
        tuple(data.draw(st.integers(2, 3)) for _ in range(1 if kind == "BatchNorm1d" else 2))
    x = np.random.default_rng(data.draw(st.integers(0, 10 ** 6))).integers(-4, 5, (N, C) + spatial)
    affine = data.draw(st.booleans())
    gamma = data.draw(st.lists(st.integers(-2, 2), min_size=C, max_size=C)) if affine else None
    beta = data.draw(st.lists(st.integers(-2, 2), min_size=C, max_size=C)) if affine else None
    module = getattr(nn, kind)(C).double()
    extra = ""
    if affine:
        with torch.no_grad():
            module.weight.copy_(torch.tensor(gamma, dtype=torch.float64))
            module.bias.copy_(torch.tensor(beta, dtype=torch.float64))
        extra = f", weight = {gamma}, bias = {beta}"
    with torch.no_grad():
        want = module(torch.tensor(x, dtype=torch.float64)).numpy()      # a fresh module trains
    got = value_of(f"layer f = {kind}({C}{extra})", x)
    np.testing.assert_allclose(got.reshape(want.shape), want, rtol=1e-9, atol=1e-9)
    if not affine:
        np.testing.assert_allclose(numpy_batch_norm(x.astype(float)), want, rtol=1e-9, atol=1e-9)


@needs_torch
def test_batch_norm_evaluation_mode_uses_the_running_statistics():
    x = np.array([[1, 2], [3, 6], [5, 4]])
    module = nn.BatchNorm1d(2).double()
    with torch.no_grad():
        module.running_mean.copy_(torch.tensor([1.0, 0.0], dtype=torch.float64))
        module.running_var.copy_(torch.tensor([4.0, 1.0], dtype=torch.float64))
        want = module.eval()(torch.tensor(x, dtype=torch.float64)).numpy()
    got = value_of("layer f = BatchNorm1d(2, training = false, running_mean = [1, 0], running_var = [4, 1])", x)
    np.testing.assert_allclose(got, want, rtol=1e-9)
    fresh = nn.BatchNorm1d(2).double().eval()
    with torch.no_grad():
        want = fresh(torch.tensor(x, dtype=torch.float64)).numpy()
    np.testing.assert_allclose(value_of("layer f = BatchNorm1d(2, training = false)", x), want, rtol=1e-9)


@needs_torch
@settings(max_examples=20 * STRESS, **SETTINGS)
@given(st.data())
def test_layer_norm_matches_pytorch(data):
    shape = tuple(data.draw(st.integers(2, 3)) for _ in range(data.draw(st.integers(2, 3))))
    k = data.draw(st.integers(1, len(shape) - 1))
    norm = shape[-k:]
    x = np.random.default_rng(data.draw(st.integers(0, 10 ** 6))).integers(-4, 5, shape)
    module = nn.LayerNorm(list(norm)).double()
    g = np.random.default_rng(1).integers(-2, 3, norm)
    b = np.random.default_rng(2).integers(-2, 3, norm)
    with torch.no_grad():
        module.weight.copy_(torch.tensor(g, dtype=torch.float64))
        module.bias.copy_(torch.tensor(b, dtype=torch.float64))
        want = module(torch.tensor(x, dtype=torch.float64)).numpy()
    lines_g, ge = literal("G", g)
    lines_b, be = literal("B", b)
    size = norm[0] if k == 1 else tuple(norm)
    assert not lines_g and not lines_b            # (γ, β of up to two dimensions here)
    got = value_of(f"layer f = LayerNorm({size}, weight = {ge}, bias = {be})", x)
    np.testing.assert_allclose(got.reshape(want.shape), want, rtol=1e-9, atol=1e-9)


@needs_torch
def test_embedding_looks_up_rows_as_pytorch():
    W = [[0, 1], [1, 0], [2, 2], [3, -1]]
    idx = [[2, 0, 3], [1, 1, 0]]
    module = nn.Embedding(4, 2, padding_idx=0, _weight=torch.tensor(W, dtype=torch.float64))
    want = module(torch.tensor(idx)).detach().numpy()
    got = value_of(f"layer f = Embedding(4, 2, padding_idx = 0, weight = {W})", idx)
    np.testing.assert_array_equal(got.reshape(want.shape), want)


@pytest.mark.parametrize("line, x, words", [
    ("layer f = BatchNorm1d(2)", [[1, 2]], "more than 1 value per channel"),
    ("layer f = BatchNorm1d(2, weight = [1, 2, 3])", [[1, 2], [3, 4]], "2 entries"),
    ("layer f = Embedding(3, 2, weight = [[1, 2], [3, 4]])", [0, 1], "3×2"),
    ("layer f = Embedding(3, 2, weight = [[1, 2], [3, 4], [5, 6]])", [0, 3], "0..2"),
])
def test_bad_norm_and_embedding_input_is_an_error_at_the_line(line, x, words):
    body = f"{line}\ninput x = {x}\nfind f(x)"
    try:
        sol = derive.solve('problem "p" {\n' + body + "\n}")
        err = sol.results[0].error
    except DeriveError as e:
        err = e
    assert err is not None and words in err.message, err
    assert err.line in (2, 4), err.line
