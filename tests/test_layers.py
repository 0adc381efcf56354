"""Layers: PyTorch's signatures, shape rules and parameter counts.

Each count and shape is compared with a rule written out independently here, and, when
PyTorch is installed, with PyTorch itself on random configurations (the PyTorch tests are
skipped without it; CI does not need it).
"""
from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import derive

STRESS = int(os.environ.get("DERIVE_STRESS", "1"))      # multiply the examples for a long run
from derive.errors import SpecError

try:
    import torch
    import torch.nn as nn
except ImportError:                  # pragma: no cover - CI without torch
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")


def solve(body: str):
    return derive.solve('problem "p" {\n' + body + "\n}")


def answers(body: str):
    sol = solve(body)
    for r in sol.results:
        assert r.error is None, r.error
        for top in r.steps:
            for s in top.walk():
                assert s.checked is not False
    return [r.answer.value for r in sol.results]


def shape_text(dims) -> str:
    return "(" + ", ".join(map(str, dims)) + ")"


# ---- the rules, written out independently --------------------------------------------------

def out_len(L, k, s=1, p=0, d=1, ceil=False):
    span = L + 2 * p - d * (k - 1) - 1
    n = (-(-span // s) if ceil else span // s) + 1
    if ceil and (n - 1) * s >= L + p:
        n -= 1
    return n


TABLE = [
    # (layer, input shape, params, output shape)
    ("Conv1d(in_channels = 3, out_channels = 5, kernel_size = 7, stride = 3, bias = false)", (3, 1000),
     5 * 3 * 7, (5, out_len(1000, 7, 3))),
    ("Conv1d(in_channels = 1, out_channels = 5, kernel_size = 7, padding = 3, bias = true)", (12, 1, 100),
     5 * 7 + 5, (12, 5, out_len(100, 7, 1, 3))),
    ("Conv1d(4, 8, 3, groups = 2)", (2, 4, 9), 8 * 2 * 3 + 8, (2, 8, 7)),
    ("Conv1d(2, 2, 4, padding = \"same\")", (2, 10), 2 * 2 * 4 + 2, (2, 10)),
    ("Conv1d(2, 3, 3, padding = \"valid\", dilation = 2)", (2, 10), 3 * 2 * 3 + 3, (3, out_len(10, 3, 1, 0, 2))),
    ("Conv2d(3, 16, 3, padding = 1)", (8, 3, 32, 32), 16 * 3 * 9 + 16, (8, 16, 32, 32)),
    ("Conv2d(3, 8, (3, 5), stride = (2, 1), padding = (1, 2), dilation = (1, 2))", (3, 20, 21), 8 * 3 * 15 + 8,
     (8, out_len(20, 3, 2, 1), out_len(21, 5, 1, 2, 2))),
    ("MaxPool2d(2)", (1, 3, 32, 32), 0, (1, 3, 16, 16)),
    ("MaxPool1d(3, stride = 2, ceil_mode = true)", (1, 10), 0, (1, out_len(10, 3, 2, ceil=True))),
    ("AvgPool1d(3, stride = 2, padding = 1, ceil_mode = true)", (1, 10), 0, (1, out_len(10, 3, 2, 1, ceil=True))),
    ("AvgPool2d((2, 3))", (4, 9, 9), 0, (4, 4, 3)),
    ("Flatten()", (8, 16, 4, 4), 0, (8, 256)),
    ("Flatten(0, 1)", (8, 16, 4), 0, (128, 4)),
    ("Linear(256, 10)", (8, 256), 256 * 10 + 10, (8, 10)),
    ("Linear(10, 4, bias = false)", (10,), 40, (4,)),
    ("Embedding(100, 16)", (4, 7), 1600, (4, 7, 16)),
    ("BatchNorm1d(16)", (8, 16), 32, (8, 16)),
    ("BatchNorm2d(16, affine = false)", (8, 16, 5, 5), 0, (8, 16, 5, 5)),
    ("LayerNorm((3, 4))", (5, 3, 4), 24, (5, 3, 4)),
    ("LayerNorm(10, bias = false)", (2, 10), 10, (2, 10)),
    ("Dropout(0.2)", (3, 7), 0, (3, 7)),
]


@pytest.mark.parametrize("layer, shape, n_params, out", TABLE, ids=[t[0] for t in TABLE])
def test_table_of_layers(layer, shape, n_params, out):
    got = answers(f"layer f = {layer}\ninput x : {shape_text(shape)}\nfind params(f)\nfind shape(f(x))")
    assert got == [n_params, list(out)]


def test_cnn_stack():
    body = """
    layer conv = Conv2d(3, 16, 3, padding = 1)
    layer pool = MaxPool2d(2)
    layer flat = Flatten()
    layer fc = Linear(16 * 16 * 16, 10)
    input x : (8, 3, 32, 32)
    net = fc(flat(pool(relu(conv(x)))))
    find shape(net), params(net), params()
    """
    shape, count, total = answers(body)
    assert shape == [8, 10]
    assert count == total == 16 * 27 + 16 + 4096 * 10 + 10


def test_seed_mlp_counts_each_layer_once():
    body = """
    layer fc1 = Linear(10, 4, bias = false)
    layer fc2 = Linear(4, 2, bias = true)
    input x : (10)
    net = fc2(relu(fc1(x)))
    find params(net), shape(net), shapes(params())
    """
    count, shape, shapes = answers(body)
    assert count == 50 and shape == [2]
    assert shapes == {"fc1.weight": [4, 10], "fc2.weight": [2, 4], "fc2.bias": [2]}


def test_param_tensors_and_shapes():
    body = """
    param W = ones(3, 2)
    param b = zeros(3)
    input x = [1, 2]
    o = W @ x + b
    find params(), shapes(params()), params(o)
    """
    assert answers(body) == [9, {"W": [3, 2], "b": [3]}, 9]


def test_linear_with_concrete_weights_gives_values():
    body = """
    param W = [[1, 2], [3, 4], [5, 6]]
    param b = [0.5, 0, -1]
    layer fc = Linear(2, 3, weight = W, bias = b)
    input x = [1, -1]
    input X = [[1, -1], [2, 0]]
    find fc(x), fc(X), params()
    """
    one, batch, count = answers(body)
    W = np.array([[1, 2], [3, 4], [5, 6]], float)
    b = np.array([0.5, 0, -1])
    np.testing.assert_allclose(one, W @ [1, -1] + b)
    np.testing.assert_allclose(batch, np.array([[1, -1], [2, 0]]) @ W.T + b)
    assert count == 9            # W and b are the layer's parameters: counted once


def test_pooling_values_of_an_explicit_matrix():
    body = """
    input x = [[1, 5, 2, 0, 3], [-1, -2, 4, 4, 0]]
    layer mp = MaxPool1d(2)
    layer ap = AvgPool1d(3, stride = 2, padding = 1)
    find mp(x), ap(x)
    """
    mp, ap = answers(body)
    assert mp == [[5, 2], [-1, 4]]
    x = np.array([[1, 5, 2, 0, 3], [-1, -2, 4, 4, 0]], float)
    padded = np.pad(x, ((0, 0), (1, 1)))
    want = [[padded[c, 2 * i:2 * i + 3].sum() / 3 for i in range(3)] for c in range(2)]
    np.testing.assert_allclose(ap, want)


def test_shape_steps_show_the_formula_with_numbers():
    sol = solve("layer conv = Conv1d(3, 5, 7, stride = 3)\ninput x : (3, 1000)\nfind shape(conv(x))")
    (r,) = sol.results
    sub = [s for top in r.steps for s in top.walk() if s.rule == "size_formula"]
    assert sub and sub[0].checked
    md = sol.render("md")
    assert r"\left\lfloor{\frac{1000 + 2 \cdot 0 - 1 \left(7 - 1\right) - 1}{3}}\right\rfloor + 1" in md


def test_activation_keeps_a_shape_only_tensor():
    assert answers("layer c = Conv1d(1, 4, 3)\ninput x : (2, 1, 10)\nfind shape(sigmoid(c(x)))") == [[2, 4, 8]]


# ---- bad input ---------------------------------------------------------------------------------

@pytest.mark.parametrize("body, fragment, col", [
    ("layer c = Conv1d(3, 5)", "missing the required argument `kernel_size`", None),
    ("layer c = Conv1d(3, 5, 7, kernel_size = 3)", "two values for `kernel_size`", None),
    ("layer c = Conv1d(3, 5, 0)", "`kernel_size` of Conv1d must be positive", 24),
    ("layer c = Conv1d(3, 5, 2.5)", "must be a whole number", 24),
    ("layer c = Conv1d(3, 5, 3, groups = 2)", "divisible by groups", None),
    ("layer c = Conv1d(3, 5, 3, stride = 2, padding = \"same\")", "strided", None),
    ("layer c = Conv1d(3, 5, 3, padding = \"full\")", '"same" or "valid"', None),
    ("layer c = Conv2d(3, 5, (3, 3, 3))", "2 whole numbers", None),
    ("layer c = Conv1d(3, 5, 3, bias = 1)", "true or false", None),
    ("layer c = Linear(3, 5, 7, 8)", "at most 3 positional", None),
    ("layer c = Linear(3, 5, nonsense = 1)", "no keyword argument `nonsense`", None),
    ("layer c = Dropout(1.5)", "≤ 1", None),
    ("layer c = Linear(2, 3, weight = ones(3, 2))", "give the bias too", None),
    ("layer c = Linear(2, 3, weight = ones(2, 3), bias = false)", "must be 3×2", None),
    ("layer c = Conv1d(3, 5, 3)\ninput x : (2, 4, 10)\ny = c(x)", "in_channels = 3", None),
    ("layer c = Conv1d(3, 5, 30)\ninput x : (3, 10)\ny = c(x)", "shorter than the kernel", None),
    ("layer c = Conv1d(3, 5, 3)\ninput x : (3, 4, 5, 6)\ny = c(x)", "2-D or 3-D input", None),
    ("layer c = Linear(3, 5)\ninput x : (4)\ny = c(x)", "in_features", None),
    ("layer c = MaxPool1d(2, padding = 2)\ninput x : (1, 10)\ny = c(x)", "at most half", None),
    ("layer c = LayerNorm((3, 4))\ninput x : (5, 4, 3)\ny = c(x)", "(3, 4)", None),
])
def test_bad_arguments_are_errors_at_the_argument(body, fragment, col):
    """A constructor's bad argument fails the goals that use the layer (issue 10 §2), at the
    argument; applying a layer to a wrong input stays an error of the spec."""
    if "\n" in body:
        with pytest.raises(SpecError) as exc:
            solve(body)
        err = exc.value
        assert err.pos is not None
        line, column = err.pos.line, err.pos.column
    else:
        (r,) = solve(body + "\nfind params(c)").results
        err = r.error
        assert err is not None and err.kind == "error"
        line, column = err.line, err.column
    assert fragment in err.message and line is not None
    if col is not None:
        assert column == col


def test_channel_mismatch_names_both_shapes():
    with pytest.raises(SpecError) as exc:
        solve("layer c = Conv1d(3, 5, 3)\ninput x : (2, 4, 10)\ny = c(x)")
    assert "(2, 4, 10)" in exc.value.message and "3" in exc.value.message


# ---- against PyTorch -----------------------------------------------------------------------------

def torch_result(layer: "nn.Module", shape: tuple):
    try:
        with torch.no_grad():
            out = layer.eval()(torch.zeros(*shape))
        return tuple(out.shape)
    except (RuntimeError, ValueError, IndexError):
        return None


def derive_result(text: str, shape: tuple):
    try:
        sol = solve(f"layer f = {text}\ninput x : {shape_text(shape)}\nfind params(f)\nfind shape(f(x))")
    except SpecError:
        return "error"
    if any(r.error is not None for r in sol.results):
        return "error"
    n, out = (r.answer.value for r in sol.results)
    return n, tuple(out)


def spec_args(args: tuple, kwargs: dict) -> str:
    def lit(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, tuple):
            return "(" + ", ".join(map(str, v)) + ")"
        if isinstance(v, str):
            return f'"{v}"'
        return str(v)
    return ", ".join([lit(a) for a in args] + [f"{k} = {lit(v)}" for k, v in kwargs.items()])


def compare_with_torch(kind: str, args: tuple, kwargs: dict, shape: tuple):
    try:
        layer = getattr(nn, kind)(*args, **kwargs)
    except (ValueError, RuntimeError, TypeError):
        layer = None
    ours = derive_result(f"{kind}({spec_args(args, kwargs)})", shape)
    if layer is None:
        assert ours == "error", (kind, args, kwargs)
        return
    theirs = torch_result(layer, shape)
    if theirs is None:
        assert ours == "error", (kind, args, kwargs, shape)
        return
    n = sum(p.numel() for p in layer.parameters() if p.requires_grad)
    assert ours == (n, theirs), (kind, args, kwargs, shape)


small = st.integers(1, 4)
sizes2 = st.one_of(small, st.tuples(small, small))


@needs_torch
@settings(max_examples=60 * STRESS, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["Conv1d", "Conv2d"]), st.integers(1, 4), st.integers(1, 4), st.data())
def test_convolutions_match_pytorch(kind, cin, cout, data):
    nd = 1 if kind == "Conv1d" else 2
    size = small if nd == 1 else sizes2
    kwargs = {"kernel_size": data.draw(size), "stride": data.draw(size),
              "padding": data.draw(st.one_of(st.integers(0, 3), st.sampled_from(["same", "valid"]))),
              "dilation": data.draw(size), "groups": data.draw(st.sampled_from([1, 1, 2])),
              "bias": data.draw(st.booleans())}
    kwargs = {k: v for k, v in kwargs.items() if data.draw(st.booleans())}
    batch = data.draw(st.sampled_from([(), (2,)]))
    shape = batch + (data.draw(st.sampled_from([cin, cin, cin + 1])),) + tuple(
        data.draw(st.integers(1, 12)) for _ in range(nd))
    compare_with_torch(kind, (cin, cout), kwargs, shape)


@needs_torch
@settings(max_examples=60 * STRESS, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d"]), st.data())
def test_pools_match_pytorch(kind, data):
    nd = 1 if kind.endswith("1d") else 2
    size = small if nd == 1 else sizes2
    kwargs = {"stride": data.draw(size), "padding": data.draw(st.integers(0, 2)),
              "ceil_mode": data.draw(st.booleans())}
    if kind.startswith("Max"):
        kwargs["dilation"] = data.draw(size)
    kwargs = {k: v for k, v in kwargs.items() if data.draw(st.booleans())}
    rank = data.draw(st.sampled_from([nd + 1, nd + 2]))
    shape = tuple(data.draw(st.integers(1, 3)) for _ in range(rank - nd)) + tuple(
        data.draw(st.integers(1, 12)) for _ in range(nd))
    compare_with_torch(kind, (data.draw(size),), kwargs, shape)


@needs_torch
@settings(max_examples=40 * STRESS, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_other_layers_match_pytorch(data):
    kind = data.draw(st.sampled_from(["Linear", "Flatten", "BatchNorm1d", "BatchNorm2d", "LayerNorm", "Dropout"]))
    rank = data.draw(st.integers(2, 4))
    shape = tuple(data.draw(st.integers(1, 5)) for _ in range(rank))
    if kind == "Linear":
        args, kwargs = (data.draw(st.sampled_from([shape[-1], shape[-1] + 1])), data.draw(small)), {
            "bias": data.draw(st.booleans())}
    elif kind == "Flatten":
        args, kwargs = (data.draw(st.integers(-rank, rank - 1)), data.draw(st.integers(-rank, rank - 1))), {}
    elif kind.startswith("BatchNorm"):
        args, kwargs = (data.draw(st.sampled_from([shape[1], shape[1] + 1])),), {"affine": data.draw(st.booleans())}
    elif kind == "LayerNorm":
        k = data.draw(st.integers(1, rank))
        args, kwargs = (tuple(shape[-k:]) if data.draw(st.booleans()) else tuple(reversed(shape[-k:])),), {
            "elementwise_affine": data.draw(st.booleans()), "bias": data.draw(st.booleans())}
    else:
        args, kwargs = (0.25,), {}
    compare_with_torch(kind, args, kwargs, shape)


@needs_torch
def test_embedding_matches_pytorch():
    layer = nn.Embedding(100, 16)
    out = layer(torch.zeros(4, 7, dtype=torch.long))
    assert derive_result("Embedding(100, 16)", (4, 7)) == (sum(p.numel() for p in layer.parameters()),
                                                           tuple(out.shape))


@needs_torch
def test_linear_values_match_pytorch():
    lin = nn.Linear(3, 2)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]))
        lin.bias.copy_(torch.tensor([0.1, -0.2]))
        want = lin(torch.tensor([[1.0, 2.0, -1.0], [0.0, 4.0, 1.0]])).numpy()
    body = """
    layer fc = Linear(3, 2, weight = [[0.5, -1, 2], [1.5, 0.25, -0.75]], bias = [0.1, -0.2])
    input X = [[1, 2, -1], [0, 4, 1]]
    find fc(X)
    """
    (got,) = answers(body)
    np.testing.assert_allclose(got, want, rtol=1e-6)


# ---- an unknown constructor fails the goals that use it, not the file ------------------------

def test_unknown_layer_is_an_error_for_the_goals_that_use_it_only():
    spec = """
    problem "a" {
      layer l = Foo(3)
      layer c = Linear(2, 3)
      input x : (4, 2)
      find params(l), shape(c(x)), params()
    }
    problem "b" {
      layer c = Lnear(2, 3)
      input x : (4, 2)
      y = c(x)
      find shape(y)
    }
    problem "c" {
      layer c = Linear(2, 3)
      find params(c)
    }
    """
    sol = derive.solve(spec)
    a, b, c = sol.problems
    unknown, ok, everything = a.results
    assert "does not know the layer `Foo`" in unknown.error.message and unknown.error.line == 3
    assert ok.error is None and ok.answer.value == [4, 3]
    assert everything.error is not None                  # params() counts every layer, Foo too
    (y,) = b.results
    assert "did you mean `Linear`" in y.error.message and y.error.line == 9
    assert c.results[0].answer.value == 9
    assert sol.exit_code == 1                             # some goals failed; the file was read


def test_a_known_layer_with_bad_arguments_fails_only_its_goals(tmp_path, capsys):
    spec = ('problem "a" {\nlayer l = LSTM(3)\ninput x : (5, 3)\ny = l(x)\nfind params(l)\nfind shape(y)\n'
            'find 2 + 2\n}\nproblem "b" {\nfind 1 + 1\n}')
    sol = derive.solve(spec)
    a, b = sol.problems
    bad, node, fine = a.results
    for r in (bad, node):
        assert "missing the required argument `hidden_size`" in r.error.message
        assert (r.error.line, r.error.column) == (2, 11)
    assert fine.answer.value == 4 and b.results[0].answer.value == 2 and sol.exit_code == 1
    from derive import cli
    path = tmp_path / "l.spec"
    path.write_text(spec, encoding="utf-8")
    assert cli.main(["solve", str(path), "--format", "text"]) == 1
    assert cli.main(["check", str(path)]) == 1
    out, err = capsys.readouterr()
    assert "l.spec:2:11: error: `LSTM` is missing the required argument `hidden_size`" in err
    assert "1 layer error: 2 problems, 4 goals" in out


def test_conv_values_are_the_cross_correlation():
    body = """
    let K1 = [[1, 0, -1]]
    let K2 = [[1, 2, 1]]
    layer conv = Conv1d(1, 2, 3, weight = [K1, K2], bias = [0, 1])
    layer pool = MaxPool1d(2)
    layer flat = Flatten(0)
    input x = [[1, 2, 3, 4, 5, 6]]
    find conv(x), flat(pool(conv(x)))
    """
    conv, flat = answers(body)
    x = np.arange(1, 7)
    want = np.array([np.correlate(x, [1, 0, -1], "valid"), np.correlate(x, [1, 2, 1], "valid") + 1])
    np.testing.assert_array_equal(np.array(conv, float), want)
    np.testing.assert_array_equal(np.array(flat, float).ravel(), want.reshape(2, 2, 2).max(axis=2).ravel())


def test_conv_weight_of_the_wrong_shape_is_an_error_at_the_weight():
    (r,) = solve("let K = [[1, 0]]\nlayer c = Conv1d(1, 2, 3, weight = [K, K], bias = false)\nfind params(c)").results
    assert "(2, 1, 3)" in r.error.message and r.error.line == 3
