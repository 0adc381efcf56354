"""The goal table (derive.derivers.goals) is the one list of goals: every strategy it names
exists, every family builtin is registered by the module it names, no module registers
goals of its own, and a run imports only the families its spec uses."""
import ast as pyast
import subprocess
import sys
from pathlib import Path

import pytest

import derive
from derive.derivers import goals, registry
from derive.model import builtins as B

ROOT = Path(__file__).resolve().parent.parent
DERIVERS = ROOT / "derive" / "derivers"


@pytest.mark.parametrize("name", sorted(goals.GOALS))
def test_every_strategy_names_a_function(name):
    for ref in goals.GOALS[name].strategies:
        assert callable(registry.strategy(ref)), ref


def test_family_builtins_are_registered_by_the_module_the_table_names():
    core = {name for name, b in B.BUILTINS.items() if b.fn.__module__ == "derive.model.builtins"}
    registry.load_all()
    family = {name: b.fn.__module__ for name, b in B.BUILTINS.items() if name not in core}
    named = {name: f"derive.derivers.{module}" for name, module in goals.FAMILY_BUILTINS.items()}
    assert set(family) == set(named)
    for name, module in family.items():     # (a family may be a package: its builtins in a submodule)
        assert module == named[name] or module.startswith(named[name] + "."), name


def test_no_module_keeps_a_goal_list_of_its_own():
    """The table is the only registry of goals: no decorator registers one elsewhere."""
    for path in DERIVERS.rglob("*.py"):
        tree = pyast.parse(path.read_text())
        for node in pyast.walk(tree):
            if isinstance(node, pyast.Call) and getattr(node.func, "id", None) == "deriver":
                pytest.fail(f"{path.name} registers a goal with @deriver; add it to goals.GOALS")


def test_a_goal_no_strategy_takes_is_unsupported_at_its_position(monkeypatch):
    spec = 'problem "p" {\n  f(w) = w^2\n  (a) find gd(f, start = 1, lr = 0.1, steps = 1)\n}'
    monkeypatch.setitem(goals.GOALS, "gd", goals.GoalSpec(("optimize:_never",), kwargs=("start", "lr", "steps")))
    import derive.derivers.optimize as opt
    monkeypatch.setattr(opt, "_never", lambda problem, call: None, raising=False)
    (r,) = derive.solve(spec).results
    assert r.error.kind == "unsupported" and (r.error.line, r.error.column) == (3, 12)


def test_a_planned_goal_says_so():
    (r,) = derive.solve('problem "p" {\n  let x = 1\n  find forward(x)\n}').results
    assert r.error.kind == "unsupported" and "not implemented yet" in r.error.message


def test_strategies_are_tried_in_order(monkeypatch):
    calls = []
    import derive.derivers.optimize as opt
    real = opt.gd

    def first(problem, call):
        calls.append("first")
        return None

    def second(problem, call):
        calls.append("second")
        return real(problem, call)
    monkeypatch.setattr(opt, "_first", first, raising=False)
    monkeypatch.setattr(opt, "_second", second, raising=False)
    monkeypatch.setitem(goals.GOALS, "gd", goals.GoalSpec(("optimize:_first", "optimize:_second"),
                                                          kwargs=("start", "lr", "steps")))
    (r,) = derive.solve('problem "p" { f(w) = w^2\n find gd(f, start = 1, lr = 0.1, steps = 1) }').results
    assert r.ok and calls == ["first", "second"]


def test_a_run_imports_only_the_families_it_uses():
    code = ("import sys, derive; derive.solve('problem \"p\" { f(w) = w^2\\n find gd(f, start = 1, lr = 0.1, steps = 1) }');"
            "print(sorted(m for m in sys.modules if m.startswith('derive.derivers.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert "derive.derivers.optimize" in out
    for family in ("layers", "matcalc", "attention", "kernels", "backprop"):
        assert f"derive.derivers.{family}'" not in out
