"""The deriver registry: goal name -> function `(problem, call) -> Derived`.

A deriver module registers with `@deriver("grad", kwargs=(...))`.  `derive_goal` runs the
right one for a goal (plain expressions go to the evaluate deriver), turns a DeriveError
into an error result with the goal's position, and never lets one goal stop the others.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Callable

from .. import ast
from ..errors import CheckFailed, DeriveError, InternalError, LimitError, SpecError, Unsupported
from ..model.problem import Goal, Problem
from ..printing import answer_text, answer_value, latex
from ..steps import Answer, ErrorInfo, Result, Step


@dataclass(frozen=True)
class Derived:
    """What a deriver returns: the answer and the steps that lead to it."""

    answer: Answer
    steps: tuple[Step, ...] = ()


@dataclass(frozen=True)
class Deriver:
    name: str
    fn: Callable[[Problem, ast.Call], Derived]
    kwargs: tuple[str, ...]
    nargs: tuple[int, int]
    doc: str


DERIVERS: dict[str, Deriver] = {}


def deriver(name: str, *, nargs: tuple[int, int] = (1, 1), kwargs: tuple[str, ...] = (), doc: str = ""):
    """Register `fn(problem, call) -> Derived` as the deriver of goals `name(...)`."""
    def register(fn):
        DERIVERS[name] = Deriver(name, fn, kwargs, nargs, doc or (fn.__doc__ or "").strip().split("\n")[0])
        return fn
    return register


def make_answer(expr: Any, *, text: str | None = None, value: Any = "auto", tex: str | None = None,
                choice: str | None = None, prose: Any = None, extra: dict | None = None,
                display: Any = None) -> Answer:
    """An Answer with text, LaTeX and JSON value worked out from `expr` unless given.

    `display` is the object to show instead of `expr` (its LaTeX becomes `latex`); `tex`
    is the older way of saying the same with a LaTeX string (being retired: maths is data)."""
    if display is not None:
        tex = latex(display)
    return Answer(expr, answer_text(expr) if text is None else text, latex(expr) if tex is None else tex,
                  answer_value(expr) if value == "auto" else value, choice, prose,
                  tuple((extra or {}).items()), display)


def check_call(call: ast.Call, d: Deriver) -> None:
    lo, hi = d.nargs
    n = len(call.args)
    if not lo <= n <= hi:
        want = f"{lo}" if lo == hi else f"{lo} to {hi}"
        raise SpecError(f"`{d.name}` takes {want} positional argument{'s' if hi != 1 else ''}, got {n}", call.pos)
    for k in call.kwargs:
        if k.name not in d.kwargs:
            from ..model.expressions import suggest
            allowed = ", ".join(d.kwargs) or "none"
            raise SpecError(f"`{d.name}` has no keyword argument `{k.name}` (it takes: {allowed})"
                            + suggest(k.name, d.kwargs), k.pos)


def check_counts(problem: Problem, call: ast.Call) -> None:
    """Iteration counts (`steps = 10**9`) are refused before a deriver loops over them."""
    from ..limits import COUNT_KWARGS, check_count
    for k in call.kwargs:
        if k.name in COUNT_KWARGS:
            check_count(problem.value(k.value), k.name, k.value.pos)


def run_goal(problem: Problem, expr: ast.Expr) -> Derived:
    load_for("evaluate")
    if isinstance(expr, ast.Call):
        load_for(expr.name)
    if isinstance(expr, ast.Call) and expr.name in DERIVERS and not problem.has(expr.name):
        d = DERIVERS[expr.name]
        check_call(expr, d)
        check_counts(problem, expr)
        return d.fn(problem, expr)
    return DERIVERS["evaluate"].fn(problem, expr)


def value_of_goal(problem: Problem, call: ast.Call) -> Any:
    """A goal used inside an expression: its answer's sympy object."""
    derived = run_goal(problem, call)
    return derived.answer.expr


def derive_goal(problem: Problem, goal: Goal) -> Result:
    """One goal of a problem, solved or turned into an error result."""
    goal_text = goal.pos.snippet() if goal.expr is not None else None
    if goal.expr is None:
        return Result(goal.label, None, make_answer(goal.prose, text=goal.prose, value=None, tex="",
                                                    prose=goal.prose), (), None, goal.marks, goal.pos)
    from .. import limits
    try:
        with limits.time_limit(limits.GOAL_SECONDS, "deriving this goal"):
            derived = run_goal(problem, goal.expr)
    except DeriveError as exc:
        return _error_result(goal, goal_text, exc)
    except RecursionError:
        return _error_result(goal, goal_text, LimitError("this goal nests too deeply for derive to work out"))
    except MemoryError:
        return _error_result(goal, goal_text, LimitError("derive ran out of memory deriving this goal"))
    except Exception as exc:   # a bug in a deriver: the other goals still solve; tests fail on kind "internal"
        name = goal.expr.name if isinstance(goal.expr, ast.Call) and goal.expr.name in DERIVERS else "evaluate"
        return _error_result(goal, goal_text, InternalError(
            f"internal error in the `{name}` deriver ({type(exc).__name__}: {str(exc)[:200]}); "
            "please report it with the spec"))
    return Result(goal.label, goal_text, derived.answer, tuple(derived.steps), None, goal.marks, goal.pos)


def _error_result(goal: Goal, goal_text: str | None, exc: DeriveError) -> Result:
    exc.at(goal.pos)
    kind = {Unsupported: "unsupported", CheckFailed: "check_failed", LimitError: "limit",
            InternalError: "internal"}.get(type(exc), "error")
    line, col = (exc.pos.line, exc.pos.column) if exc.pos else (None, None)
    return Result(goal.label, goal_text, None, (), ErrorInfo(exc.message, line, col, kind), goal.marks, goal.pos)


# Which module registers each goal and builtin, so that a run imports only the families
# its spec uses (start-up is most of a CLI call).  tests/test_registry.py checks this index
# against what the modules really register: a new goal or builtin must be added here.
INDEX: dict[str, str] = {
    "evaluate": "evaluate",
    "grad": "grad", "sgd_step": "backprop",
    "hessian": "matcalc", "convex": "matcalc", "expand": "matcalc", "simplify": "matcalc",
    "attention": "attention", "multihead_attention": "attention",
    "pseudocode": "algorithms",
    "gd": "optimize.iterates", "lr_range": "optimize.rates", "optimal_lr": "optimize.newton",
    "params": "layers", "shape": "layers", "shapes": "layers",
    **{layer: "layers" for layer in ("Linear", "Conv1d", "Conv2d", "MaxPool1d", "MaxPool2d", "AvgPool1d",
                                     "AvgPool2d", "Flatten", "Embedding", "BatchNorm1d", "BatchNorm2d",
                                     "LayerNorm", "Dropout")},
    **{m: "metrics" for m in ("precision", "recall", "f1", "accuracy", "confusion", "roc", "auc")},
    "posterior": "probability", "choice": "choice", "feature_map": "kernels",
    "distance": "classics", "margin": "classics", "derivation": "classics", "hyperplane": "classics",
}


def load_for(name: str | None) -> bool:
    """Import the module that registers goal or builtin `name`; whether there is one."""
    module = INDEX.get(name or "")
    if module is None:
        return False
    importlib.import_module(f"{__package__}.{module}")
    return True


_LOADED = False


def load_all() -> None:
    """Import every deriver module of this package once (sorted, so order is stable)."""
    global _LOADED
    if _LOADED:
        return
    _LOADED = True
    from .. import derivers as pkg
    from ..resources import import_submodules
    import_submodules(pkg.__name__, pkg.__path__, skip=("registry",))
