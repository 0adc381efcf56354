"""One table of strategies per goal (issue 9 §4): `grad` and `hessian` try their strategies
in the order of derive.derivers.goals (no fallback inside a strategy), the goal's `why_not`
gives the reason when none applies, and a goal asked for inside another is a typed
`GoalRequest`, never a syntax node made up by code."""
from __future__ import annotations

import ast as pyast
from pathlib import Path

import pytest

import derive
from derive.derivers import goals, registry
from derive.derivers.request import GoalRequest
from derive.errors import CheckFailed, Pos

ROOT = Path(__file__).resolve().parent.parent
DERIVERS = ROOT / "derive" / "derivers"

ATTENTION = """problem "att" {
  dim d
  vector x1 : (d)
  vector x2 : (d)
  matrix W_Q : (d, d)
  matrix W_K : (d, d)
  matrix W_V : (d, d)
  vector g1 : (d)
  vector g2 : (d)
  Y = attention([x1, x2], W_Q, W_K, W_V)
  y1 = Y[1]
  y2 = Y[2]
  L = loss(y1, y2)
  given grad(L, y1) = g1
  given grad(L, y2) = g2
  find grad(L, W_V)
}"""


def test_grad_and_hessian_list_their_strategies_in_order():
    assert goals.GOALS["grad"].strategies == (
        "backprop:numeric_grad", "matcalc.grad:symbolic_grad", "matcalc.given:given_grad", "attention:given_grad",
        "attention:explicit_grad", "matcalc.nonpoly:nonpoly_grad")
    assert goals.GOALS["hessian"].strategies == ("matcalc.hessian:hessian", "matcalc.hessian_nonpoly:nonpoly_hessian")
    for name in ("grad", "hessian"):
        assert callable(registry.strategy(goals.GOALS[name].why_not))
        assert goals.GOALS[name].why_not.split(":")[0] in goals.modules_of(name)


def test_attention_is_reached_through_the_table(monkeypatch):
    """Without attention's strategy in the table the softmax block has no closed form: the
    matrix-calculus strategies do not call attention themselves."""
    (r,) = derive.solve(ATTENTION).results
    assert r.ok
    table = tuple(s for s in goals.GOALS["grad"].strategies if not s.startswith("attention:"))
    monkeypatch.setitem(goals.GOALS, "grad", goals.GoalSpec(table, (2, 2), why_not=goals.GOALS["grad"].why_not))
    (r,) = derive.solve(ATTENTION).results
    assert r.error is not None and r.error.kind == "unsupported" and "not a polynomial" in r.error.message


def test_a_strategy_that_does_not_apply_returns_none():
    problem = derive.build(derive.parse(ATTENTION))[0]
    request = GoalRequest("grad", problem.goals[0].expr.args, (), problem.goals[0].pos)
    for ref in ("matcalc.grad:symbolic_grad", "matcalc.given:given_grad", "attention:explicit_grad",
                "matcalc.nonpoly:nonpoly_grad"):
        assert registry.strategy(ref)(problem, request) is None, ref
    assert registry.strategy("attention:given_grad")(problem, request) is not None


def test_hessian_reasons_come_from_why_not():
    base = 'problem "h" {\n  matrix A : (2, 2)\n  vector w : (2)\n  matrix W : (2, 2)\n'
    (r,) = derive.solve(base + '  L = norm(W @ w)^2\n  find hessian(L, W)\n}').results
    assert r.error.kind == "unsupported" and "4-index tensor" in r.error.message and r.error.line == 6
    (r,) = derive.solve(base + '  L = norm(w)\n  find hessian(L, w)\n}').results
    assert r.error is None or r.error.kind == "unsupported"


def test_a_request_meets_the_memo_of_the_same_goal_in_the_spec():
    here, there = Pos(None, 1, 1), Pos(None, 9, 9)   # type: ignore[arg-type]
    a = GoalRequest("grad", (), (), here)
    assert a == GoalRequest("grad", (), (), there) and hash(a) == hash(GoalRequest("grad", (), (), there))
    assert a.kwarg("lr") is None


def test_no_deriver_makes_up_a_goal_call():
    """Goals inside goals are GoalRequests: no module of derive.derivers builds an ast.Call
    or casts an expression to one."""
    for path in DERIVERS.rglob("*.py"):
        tree = pyast.parse(path.read_text())
        for node in pyast.walk(tree):
            if isinstance(node, pyast.Call) and isinstance(node.func, pyast.Attribute) and node.func.attr == "Call" \
                    and isinstance(node.func.value, pyast.Name) and node.func.value.id == "ast":
                pytest.fail(f"{path.relative_to(ROOT)}:{node.lineno} builds an ast.Call")
            if isinstance(node, pyast.Call) and getattr(node.func, "id", None) == "cast" \
                    and "ast.Call" in pyast.unparse(node.args[0]):
                pytest.fail(f"{path.relative_to(ROOT)}:{node.lineno} casts to ast.Call")


LS = """problem "ls" {
  dim N, d, B
  symbol eta : positive
  matrix X : (N, d)
  vector y : (N)
  vector w : (d)
  L = norm(y - X @ w)^2
  find pseudocode(minibatch_sgd(L, w, lr = eta, batch = B))
}"""


def _failing_per_example(monkeypatch, exc: Exception) -> None:
    from derive.derivers import algorithms
    real = algorithms.make_step

    def make_step(rule, *args, **kw):
        if rule == "per_example":
            raise exc
        return real(rule, *args, **kw)
    monkeypatch.setattr(algorithms, "make_step", make_step)


def test_a_per_example_form_the_checker_cannot_evaluate_is_left_out(monkeypatch):
    (r,) = derive.solve(LS).results
    assert r.ok and any(s.rule == "per_example" for top in r.steps for s in top.walk())
    _failing_per_example(monkeypatch, TypeError("cannot evaluate a block matrix"))
    (r,) = derive.solve(LS).results
    assert r.ok and not any(s.rule == "per_example" for top in r.steps for s in top.walk())


def test_a_false_per_example_form_fails_the_goal(monkeypatch):
    _failing_per_example(monkeypatch, CheckFailed("the per-example form does not hold"))
    (r,) = derive.solve(LS).results
    assert r.error is not None and r.error.kind == "check_failed"
