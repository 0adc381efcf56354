"""Recurrent, attention, transformer, transposed-convolution and adaptive-pooling layers
against torch.nn on random configurations: the parameter count, the name and shape of
every trainable tensor (`shapes(params())` against `named_parameters()`) and the output
shapes (nested, as PyTorch returns them: an LSTM's (output, (h_n, c_n))).  A configuration
PyTorch refuses must be an error in derive too.  Skipped without PyTorch.
"""
from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import derive
from derive.errors import SpecError
from spec_arrays import literal

try:
    import torch
    import torch.nn as nn
except ImportError:                  # pragma: no cover - a machine without torch
    torch = None

pytestmark = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")

STRESS = int(os.environ.get("DERIVE_STRESS", "1"))
SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def lit(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, tuple):
        return "(" + ", ".join(map(str, v)) + ")"
    if isinstance(v, str):
        return f'"{v}"'
    return str(v)


def spec_call(kind: str, args: tuple, kwargs: dict) -> str:
    return f"{kind}(" + ", ".join([lit(a) for a in args] + [f"{k} = {lit(v)}" for k, v in kwargs.items()]) + ")"


def ours(kind: str, args: tuple, kwargs: dict, shapes: list[tuple]):
    """(count, {tensor: shape}, nested output shape) from derive, or "error"."""
    names = [f"x{i}" for i in range(len(shapes))]
    body = "\n".join([f"layer f = {spec_call(kind, args, kwargs)}"]
                     + [f"input {n} : {lit(s)}" for n, s in zip(names, shapes)]
                     + [f"find params(f), shapes(params()), shape(f({', '.join(names)}))"])
    try:
        sol = derive.solve('problem "p" {\n' + body + "\n}")
    except SpecError:
        return "error"
    if any(r.error is not None for r in sol.results):
        return "error"
    for r in sol.results:
        for top in r.steps:
            assert all(s.checked is not False for s in top.walk())
    n, tensors, out = (r.answer.value for r in sol.results)
    return n, {k[2:]: tuple(v) for k, v in tensors.items()}, out


def nested(x):
    if isinstance(x, torch.Tensor):
        return list(x.shape)
    return [nested(v) for v in x]


def theirs(kind: str, args: tuple, kwargs: dict, shapes: list[tuple]):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            layer = getattr(nn, kind)(*args, **kwargs)
    except (ValueError, RuntimeError, TypeError, AssertionError):
        return "error"
    try:
        with torch.no_grad():
            out = layer.eval()(*[torch.zeros(*s) for s in shapes])
    except (RuntimeError, ValueError, IndexError, AssertionError):
        return "error"
    if kind.startswith("ConvTranspose") and 0 in out.shape[-(2 if kind.endswith("2d") else 1):]:
        # torch 2.x refuses a transposed convolution's output size of 0 ("Output size is too
        # small") for one sample but returns an empty tensor for a batch of two or more;
        # derive refuses it whatever the batch size
        return "error"
    params = {k: tuple(p.shape) for k, p in layer.named_parameters()}
    return sum(p.numel() for p in layer.parameters()), params, nested(out)


def agree(kind, args, kwargs, shapes):
    want = theirs(kind, args, kwargs, shapes)
    got = ours(kind, args, kwargs, shapes)
    assert got == want, (kind, args, kwargs, shapes)
    return want


def _optional(data, kwargs: dict) -> dict:
    return {k: v for k, v in kwargs.items() if data.draw(st.booleans())}


@settings(max_examples=40 * STRESS, **SETTINGS)
@given(st.sampled_from(["RNN", "LSTM", "GRU"]), st.data())
def test_recurrent_layers_match_pytorch(kind, data):
    i, h = data.draw(st.integers(1, 6)), data.draw(st.integers(1, 6))
    kwargs = _optional(data, {"num_layers": data.draw(st.integers(1, 3)), "bias": data.draw(st.booleans()),
                              "batch_first": data.draw(st.booleans()), "dropout": 0.25,
                              "bidirectional": data.draw(st.booleans())})
    if kind == "LSTM" and data.draw(st.booleans()):
        kwargs["proj_size"] = data.draw(st.integers(0, h))
    if kind == "RNN" and data.draw(st.booleans()):
        kwargs["nonlinearity"] = data.draw(st.sampled_from(["tanh", "relu"]))
    feat = data.draw(st.sampled_from([i, i, i + 1]))
    shape = data.draw(st.sampled_from([(3, feat), (4, 2, feat)]))
    agree(kind, (i, h), kwargs, [shape])


def test_lstm_positional_order_and_the_count_per_gate():
    # LSTM(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, proj_size)
    want = agree("LSTM", (10, 20, 1, True, True), {}, [(3, 7, 10)])
    assert want[0] == 4 * (20 * 10 + 20 * 20 + 2 * 20)
    sol = derive.solve('problem "p" {\nlayer f = LSTM(10, 20)\nfind params(f)\n}')
    md = sol.render("md")
    assert r"4 \left(h i + h h + 2 h\right)" in md.replace(r"\cdot ", "")
    assert agree("RNN", (3, 4, 2, "relu"), {}, [(5, 3)])[0] == (4 * 3 + 4 * 4 + 8) + (4 * 4 + 4 * 4 + 8)


@settings(max_examples=40 * STRESS, **SETTINGS)
@given(st.data())
def test_multihead_attention_matches_pytorch(data):
    heads = data.draw(st.integers(1, 3))
    E = heads * data.draw(st.integers(1, 3)) + data.draw(st.sampled_from([0, 0, 0, 1]))
    kwargs = _optional(data, {"bias": data.draw(st.booleans()), "add_bias_kv": data.draw(st.booleans()),
                              "add_zero_attn": data.draw(st.booleans()), "kdim": data.draw(st.integers(1, 5)),
                              "vdim": data.draw(st.integers(1, 5)), "batch_first": data.draw(st.booleans())})
    kd, vd = kwargs.get("kdim", E), kwargs.get("vdim", E)
    L, S = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
    if data.draw(st.booleans()):
        shapes = [(L, E), (S, kd), (S, vd)]
    else:
        N = data.draw(st.integers(1, 3))
        lead = (lambda n: (N, n)) if kwargs.get("batch_first") else (lambda n: (n, N))
        shapes = [lead(L) + (E,), lead(S) + (kd,), lead(S) + (vd,)]
    agree("MultiheadAttention", (E, heads), kwargs, shapes)


@settings(max_examples=25 * STRESS, **SETTINGS)
@given(st.sampled_from(["TransformerEncoderLayer", "TransformerDecoderLayer"]), st.data())
def test_transformer_layers_match_pytorch(kind, data):
    nhead = data.draw(st.integers(1, 3))
    d = nhead * data.draw(st.integers(1, 3))
    kwargs = _optional(data, {"dim_feedforward": data.draw(st.integers(1, 12)), "bias": data.draw(st.booleans()),
                              "norm_first": data.draw(st.booleans()), "batch_first": data.draw(st.booleans()),
                              "activation": data.draw(st.sampled_from(["relu", "gelu"]))})
    N, T, S = (data.draw(st.integers(1, 3)) for _ in range(3))
    bf = kwargs.get("batch_first", False)
    shape = (lambda n: (N, n, d) if bf else (n, N, d)) if data.draw(st.booleans()) else (lambda n: (n, d))
    shapes = [shape(T)] + ([shape(S)] if kind == "TransformerDecoderLayer" else [])
    agree(kind, (d, nhead), kwargs, shapes)


def test_transformer_default_feedforward_is_2048():
    n = agree("TransformerEncoderLayer", (8, 2), {}, [(3, 8)])[0]
    assert n == 4 * (8 * 8 + 8) + (8 * 2048 + 2048) + (2048 * 8 + 8) + 2 * 2 * 8


small = st.integers(1, 3)


@settings(max_examples=50 * STRESS, **SETTINGS)
@given(st.sampled_from(["ConvTranspose1d", "ConvTranspose2d"]), st.integers(1, 4), st.integers(1, 4), st.data())
def test_transposed_convolutions_match_pytorch(kind, cin, cout, data):
    nd = 1 if kind.endswith("1d") else 2
    size = small if nd == 1 else st.one_of(small, st.tuples(small, small))
    kwargs = _optional(data, {"stride": data.draw(size), "padding": data.draw(st.integers(0, 2)),
                              "output_padding": data.draw(st.integers(0, 2)), "groups": data.draw(st.sampled_from([1, 2])),
                              "bias": data.draw(st.booleans()), "dilation": data.draw(size)})
    shape = data.draw(st.sampled_from([(), (2,)])) + (data.draw(st.sampled_from([cin, cin, cin + 1])),) + tuple(
        data.draw(st.integers(1, 6)) for _ in range(nd))
    agree(kind, (cin, cout, data.draw(size)), kwargs, [shape])


@settings(max_examples=40 * STRESS, **SETTINGS)
@given(st.sampled_from(["AdaptiveAvgPool1d", "AdaptiveAvgPool2d"]), st.data())
def test_adaptive_pools_match_pytorch(kind, data):
    nd = 1 if kind.endswith("1d") else 2
    out = data.draw(st.integers(1, 5)) if nd == 1 or data.draw(st.booleans()) else \
        (data.draw(st.integers(1, 5)), data.draw(st.integers(1, 5)))
    shape = tuple(data.draw(st.integers(1, 3)) for _ in range(data.draw(st.integers(1, 2)))) + tuple(
        data.draw(st.integers(1, 9)) for _ in range(nd))
    agree(kind, (out,), {}, [shape])


@settings(max_examples=30 * STRESS, **SETTINGS)
@given(st.data())
def test_adaptive_pool_values_match_pytorch(data):
    C, L, n = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 9)), data.draw(st.integers(1, 5))
    rows = [[data.draw(st.integers(-5, 5)) for _ in range(L)] for _ in range(C)]
    want = nn.AdaptiveAvgPool1d(n)(torch.tensor(rows, dtype=torch.float64)).tolist()
    sol = derive.solve('problem "p" {\n' + f"layer ap = AdaptiveAvgPool1d({n})\ninput x = {rows}\nfind ap(x)\n}}")
    (r,) = sol.results
    assert r.error is None, r.error
    got = np.array(r.answer.value, dtype=float).reshape(C, n)      # (a 1×1 result is a scalar)
    np.testing.assert_allclose(got, want, rtol=1e-12)


# ---- values through convolutions, pools and Flatten -------------------------------------------

def derived_value(kind: str, args: tuple, kwargs: dict, x, weight=None, bias=None):
    lines, xe = literal("x", x)
    extra = {}
    if weight is not None:
        more, we = literal("w", weight)
        lines += more
        extra["weight"] = we
        if bias is not None:
            extra["bias"] = str([int(v) for v in bias])
        else:
            extra["bias"] = "false"
    call = spec_call(kind, args, kwargs)[:-1] + "".join(f", {k} = {v}" for k, v in extra.items()) + ")"
    call = call.replace("(, ", "(")
    body = "\n".join(lines + [f"layer f = {call}", f"input x = {xe}", "find f(x)"])
    sol = derive.solve('problem "p" {\n' + body + "\n}")
    (r,) = sol.results
    assert r.error is None, (r.error, body)
    return np.array(nested_value(r.answer.expr), dtype=float)


def nested_value(v):
    import sympy as sp
    if isinstance(v, (list, tuple)):
        return [nested_value(x) for x in v]
    if isinstance(v, sp.MatrixBase):
        return [[float(e) for e in row] for row in v.tolist()]
    return float(v)


ints = st.integers(-3, 3)


@settings(max_examples=20 * STRESS, **SETTINGS)
@given(st.sampled_from(["Conv1d", "Conv2d"]), st.data())
def test_convolution_values_match_pytorch(kind, data):
    nd = 1 if kind == "Conv1d" else 2
    g = data.draw(st.sampled_from([1, 1, 2]))
    cin, cout = g * data.draw(st.integers(1, 2)), g * data.draw(st.integers(1, 2))
    k = tuple(data.draw(st.integers(1, 3)) for _ in range(nd))
    kwargs = _optional(data, {"stride": data.draw(st.integers(1, 2)), "padding": data.draw(st.integers(0, 1)),
                              "dilation": data.draw(st.integers(1, 2)), "groups": g})
    if data.draw(st.booleans()) and kwargs.get("stride", 1) == 1:
        kwargs["padding"] = "same"
    kwargs["groups"] = g
    size = tuple(data.draw(st.integers(4, 6)) for _ in range(nd))
    batch = data.draw(st.sampled_from([(), (2,)]))
    rng = np.random.default_rng(data.draw(st.integers(0, 10 ** 6)))
    x = rng.integers(-3, 4, batch + (cin,) + size)
    w = rng.integers(-2, 3, (cout, cin // g) + k)
    b = rng.integers(-2, 3, cout) if data.draw(st.booleans()) else None
    layer = getattr(nn, kind)(cin, cout, k, bias=b is not None, **kwargs).double()
    with torch.no_grad():
        layer.weight.copy_(torch.tensor(w, dtype=torch.float64))
        if b is not None:
            layer.bias.copy_(torch.tensor(b, dtype=torch.float64))
        try:
            want = layer(torch.tensor(x, dtype=torch.float64)).numpy()
        except RuntimeError:
            return                  # a kernel longer than the input: the shape tests cover the error
    got = derived_value(kind, (cin, cout, k if nd == 2 else k[0]), kwargs, x, w, b)
    np.testing.assert_allclose(got.reshape(want.shape), want, rtol=1e-12, atol=1e-12)


@settings(max_examples=30 * STRESS, **SETTINGS)
@given(st.sampled_from(["MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool2d"]), st.data())
def test_pool_values_match_pytorch(kind, data):
    nd = 1 if kind.endswith("1d") else 2
    if kind.startswith("Adaptive"):
        args, kwargs = (data.draw(st.integers(1, 4)),), {}
    else:
        k = data.draw(st.integers(1, 3))
        args = (k,)
        kwargs = _optional(data, {"stride": data.draw(st.integers(1, 3)), "padding": data.draw(st.integers(0, k // 2)),
                                  "ceil_mode": data.draw(st.booleans())})
        if kind.startswith("Avg"):
            kwargs.update(_optional(data, {"count_include_pad": data.draw(st.booleans())}))
        else:
            kwargs.update(_optional(data, {"dilation": data.draw(st.integers(1, 2))}))
    rng = np.random.default_rng(data.draw(st.integers(0, 10 ** 6)))
    x = rng.integers(-5, 6, data.draw(st.sampled_from([(2,), (2, 2)])) + tuple(
        data.draw(st.integers(3, 6)) for _ in range(nd)))
    try:
        want = getattr(nn, kind)(*args, **kwargs)(torch.tensor(x, dtype=torch.float64)).numpy()
    except RuntimeError:
        return                      # an empty output; the shape tests cover the error
    got = derived_value(kind, args, kwargs, x)
    np.testing.assert_allclose(got.reshape(want.shape), want, rtol=1e-12)


@settings(max_examples=20 * STRESS, **SETTINGS)
@given(st.data())
def test_flatten_values_match_pytorch(data):
    # (the last size is at least 2: an n×1 value is the vector (n,) in a spec, by convention)
    shape = tuple(data.draw(st.integers(1, 3)) for _ in range(data.draw(st.integers(1, 3)))) + (
        data.draw(st.integers(2, 3)),)
    n = len(shape)
    lo = data.draw(st.integers(0, n - 1))
    hi = data.draw(st.integers(lo, n - 1))
    x = np.random.default_rng(data.draw(st.integers(0, 10 ** 6))).integers(-5, 6, shape)
    want = nn.Flatten(lo, hi)(torch.tensor(x, dtype=torch.float64)).numpy()
    got = derived_value("Flatten", (lo, hi), {}, x)
    np.testing.assert_allclose(got.reshape(want.shape), want)
