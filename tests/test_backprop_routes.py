"""The path sentence of a backprop derivation says how the variable reaches the loss: along
its one route ("only along x → ... → L"), along each of a few routes, or through the
quantities on more than four routes; it never strings two branches into one chain (which
claimed that z₂ depends on h₁ when x fed two layers).  The gradient is compared with a
NumPy central difference."""
from __future__ import annotations

import numpy as np

import derive

W = [[[1, -1], [2, 1]], [[0, 1], [1, 1]], [[1, 1], [-1, 2]], [[2, 0], [1, -1]], [[1, 2], [0, 1]]]


def spec(branches: int) -> str:
    lines = ["problem \"routes\" {", "  input x = [1, 2]", "  param v = [1, 1]"]
    for k in range(branches):
        lines += [f"  param W{k + 1} = {W[k]}", f"  h{k + 1} = relu(W{k + 1} @ x)"]
    lines += ["  o = " + " + ".join(f"v @ h{k + 1}" for k in range(branches)), "  L = o^2", "  find grad(L, x[1])", "}"]
    return "\n".join(lines) + "\n"


def loss(x: np.ndarray, branches: int) -> float:
    o = sum(np.ones(2) @ np.maximum(np.array(W[k]) @ x, 0) for k in range(branches))
    return float(o ** 2)


def test_each_route_is_named_and_the_gradient_is_right():
    for branches, words in ((1, "only along"), (2, "along 2 routes"), (4, "along 4 routes"), (5, "more than 4 routes")):
        solution = derive.solve(spec(branches))
        (result,), text = solution.results, solution.render("text")
        assert words in " ".join(text.split()), (branches, text[:2000])
        x, h = np.array([1.0, 2.0]), 1e-6
        want = (loss(x + [h, 0], branches) - loss(x - [h, 0], branches)) / (2 * h)
        assert abs(float(result.answer.expr) - want) < 1e-6 * max(1, abs(want))


def test_two_routes_are_two_chains_not_one():
    text = " ".join(derive.solve(spec(2)).render("text").split())
    assert "x[1] → z₁ → h₁ → o → L and x[1] → z₂ → h₂ → o → L" in text
    assert "h₁ → z₂" not in text
