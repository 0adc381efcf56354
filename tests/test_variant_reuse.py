"""What a batch of variants reuses, and that reusing changes no byte (docs/variants.md).

A batch derives a problem without `vary` once, remembers the outcome of identical checks
(derive.checkmemo) and derives a goal asked again inside another goal once
(registry.deriving_problem).  Each is checked here against a fresh derivation: the same
bytes in every format, and a check whose values differ is still made (and still fails).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import sympy as sp

from derive import checkmemo
from derive.errors import CheckFailed
from derive.render import render
from derive.steps import make_step
from derive.variants import generate, solve_variant
from derive.variants.draws import varies
from derive.variants.solve import read

ROOT = Path(__file__).resolve().parents[1]
EXAM = ROOT / "examples" / "seed-exam-variants.spec"
FORMATS = ("json", "md", "latex", "html", "text")


@pytest.fixture(scope="module")
def batch():
    return generate(EXAM, 2)


def test_problems_without_vary_are_derived_once_and_shared(batch):
    spec = read(EXAM)
    fixed = [i for i, p in enumerate(spec.problems) if not varies(p)]
    drawn = [i for i, p in enumerate(spec.problems) if varies(p)]
    assert fixed and drawn
    first, second = (v.solution.problems for v in batch.variants)
    assert all(first[i] is second[i] for i in fixed)          # the very same object: derived once
    assert not any(first[i] is second[i] for i in drawn)      # each variant derives its own


def test_a_variant_of_a_batch_has_the_bytes_of_a_fresh_derivation(batch):
    """Shared problems, remembered checks and goals derived once give exactly what
    `derive solve --seed S` gives on its own (no sharing, no memo)."""
    for v in batch.variants:
        fresh = solve_variant(EXAM, v.seed)
        for fmt in FORMATS:
            assert render(v.solution, fmt) == render(fresh, fmt), (v.seed, fmt)


def test_an_identical_check_is_made_once_and_a_different_one_again():
    x, y = sp.symbols("x y")
    with checkmemo.remembering() as memo:
        make_step("r", "t", x + x, 2 * x, where={y: 1})
        size = len(memo)
        make_step("r", "t", x + x, 2 * x, where={y: 5})      # y acts on nothing: the same check
        assert len(memo) == size
        make_step("r", "t", x, 2, where={x: 2})
        assert len(memo) == size + 1
        with pytest.raises(CheckFailed):                     # another value of x: checked, and false
            make_step("r", "t", x, 2, where={x: 3})
        with pytest.raises(CheckFailed):                     # a failed check is never remembered
            make_step("r", "t", x, 2, where={x: 3})


def test_values_python_calls_equal_are_different_checks():
    with checkmemo.remembering() as memo:
        checkmemo.recall("k", lambda: "int", 1)
        assert checkmemo.recall("k", lambda: "bool", True) == "bool"
        assert checkmemo.recall("k", lambda: "again", 1) == "int"
        assert len(memo) == 2
    assert checkmemo.recall("k", lambda: "outside", 1) == "outside"   # no memo outside the block


def test_relevant_keeps_the_values_a_check_can_use():
    x, y, f = sp.Symbol("x"), sp.Symbol("y"), sp.Function("f")
    items = ((x, 1), (y, 2), (f(x), 3))
    assert checkmemo.relevant(items, (x + 1, 2)) == ((x, 1),)
    assert checkmemo.relevant(items, (f(x) - 1,)) == ((x, 1), (f(x), 3))
    assert checkmemo.relevant(items, ("prose", [y, 3])) == ((y, 2),)   # (a string is never substituted)


MLP = '''problem "MLP" points 10 {
  vary x = random_vector(4, -3, 4) default [1, 2, 1, 4]
  param W1 = matrix(5, 4, (i, j) -> if odd(i) then 1 else -1)
  param W2 = ones(1, 5)
  h = relu(W1 @ x)
  o = W2 @ h
  L = (15 - o)^2
  (a) find grad(L, W1[1, 1])
  (b) find sgd_step(W1[1, 1], L, lr = 0.1)
}
'''


def test_a_goal_asked_again_inside_another_is_derived_once(monkeypatch):
    from derive.derivers import registry
    calls = []
    inner = registry._run_goal

    def counted(problem, expr, name):
        calls.append(name)
        return inner(problem, expr, name)
    monkeypatch.setattr(registry, "_run_goal", counted)
    sol = solve_variant(MLP, 3)
    assert calls.count("grad") == 1 and calls.count("sgd_step") == 1
    monkeypatch.setattr(registry, "_run_goal", inner)
    alone = solve_variant(MLP.replace("  (a) find grad(L, W1[1, 1])\n", ""), 3)
    def last_result(solution):
        return json.loads(render(solution, "json"))["problems"][0]["results"][-1]
    assert last_result(sol) == last_result(alone)      # the same steps, checks and answer, as printed
