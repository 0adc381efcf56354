"""Running goals: the strategies of `derive.derivers.goals.GOALS`, tried in order.

In: a `Problem` and one of its goals.  Out: a `Result` (an answer with its steps, or an
error result at the goal's position).  `derive_goal` turns a DeriveError into an error
result and never lets one goal stop the others; `run_goal` is the same without that, for
a goal used inside another (`choice(posterior(...))`, the gradient inside `sgd_step`).
"""
from __future__ import annotations

import contextlib
import importlib
from contextvars import ContextVar
from dataclasses import replace
from typing import Any, Callable

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixExpr

from .. import ast
from ..errors import CheckFailed, DeriveError, InternalError, LimitError, Pos, SpecError, Unsupported
from ..model.problem import Goal, Problem
from ..answers import (ANSWER_KINDS, QUOTED_KINDS, answer_kind, decimal_tensor,  # noqa: F401 - re-exported
                       make_answer, printed_chars)
from ..steps import Answer, ErrorInfo, Result, Step
from .goals import EXPRESSION, FAMILY_BUILTINS, GOALS, GoalSpec, modules_of
from .request import GoalCall, GoalRequest
from .titles import title
from ..records import record


@record
class Derived:
    """What a strategy returns: the answer and the steps that lead to it."""

    answer: Answer
    steps: tuple[Step, ...] = ()


Strategy = Callable[[Problem, GoalCall], "Derived | None"]
WhyNot = Callable[[Problem, GoalCall], Unsupported]   # the reason no strategy applied

# Which module provides each goal and family builtin (for lazy loading and `derive goals`).
INDEX: dict[str, str] = {name: modules_of(name)[0] for name in (*GOALS, *FAMILY_BUILTINS) if modules_of(name)}


ERROR_KINDS = {Unsupported: "unsupported", CheckFailed: "check_failed", LimitError: "limit",
               InternalError: "internal"}     # any other DeriveError: "error"


def strategy(ref: "str | Strategy") -> Strategy:
    """The function a `"module:function"` reference names (its module imported now); a
    function given directly (a test's, a plugin's) is itself."""
    if callable(ref):
        return ref
    return _named(ref)


def _named(ref: str) -> Any:
    """The function `"module:function"` names, its module (of derive.derivers) imported now."""
    module, _, attr = ref.partition(":")
    return getattr(importlib.import_module(f"{__package__}.{module}"), attr)


def check_call(call: GoalCall, name: str, spec: GoalSpec) -> None:
    """A SpecError for a call whose argument count or keywords the goal does not take."""
    lo, hi = spec.nargs
    n = len(call.args)
    if not lo <= n <= hi:
        want = f"{lo}" if lo == hi else f"{lo} to {hi}" if hi < 99 else f"at least {lo}"
        raise SpecError(f"`{name}` takes {want} positional argument{'s' if hi != 1 else ''}, got {n}", call.pos)
    for k in call.kwargs:
        if k.name not in spec.kwargs:
            from ..model.expressions import suggest
            allowed = ", ".join(spec.kwargs) or "none"
            raise SpecError(f"`{name}` has no keyword argument `{k.name}` (it takes: {allowed})"
                            + suggest(k.name, spec.kwargs), k.pos)


def check_counts(problem: Problem, call: GoalCall) -> None:
    """Iteration counts (`steps = 10**9`) are refused before a strategy loops over them."""
    from ..limits import COUNT_KWARGS, check_count
    for k in call.kwargs:
        if k.name in COUNT_KWARGS:
            check_count(problem.value(k.value), k.name, k.value.pos)


def goal_name(problem: Problem, expr: ast.Expr) -> str | None:
    """The goal `expr` calls, or None when it calls none (a function the problem defines by
    a goal's name is that function)."""
    if isinstance(expr, ast.Call) and expr.name is not None and expr.name in GOALS and not problem.has(expr.name):
        return expr.name
    return None


def is_goal(problem: Problem, expr: ast.Expr) -> bool:
    """Whether `expr` calls a goal (and not a function the problem defines by that name)."""
    return goal_name(problem, expr) is not None


_MEMO: ContextVar["dict[tuple[int, ast.Expr | GoalRequest], tuple[Problem, Derived]] | None"] = \
    ContextVar("derive_goal_memo", default=None)


@contextlib.contextmanager
def memo_scope() -> Any:
    """Within the block a goal met twice on one problem (the `posterior(...)` asked for and
    the one inside `choice(...)`, a goal and its title) is derived once: a derivation
    depends on the problem and the call only (calls compare without their positions).
    Failures are not kept, so each occurrence reports at its own position."""
    token = _MEMO.set({}) if _MEMO.get() is None else None
    try:
        yield
    finally:
        if token is not None:
            _MEMO.reset(token)


def run_goal(problem: Problem, expr: "ast.Expr | GoalRequest") -> Derived:
    """The first strategy's answer for a goal (a call in the spec, or a request made by
    another goal), or the value of a plain expression (kept for the rest of a `memo_scope`;
    a request and the same goal written in the spec share one derivation)."""
    memo = _MEMO.get()
    name = expr.name if isinstance(expr, GoalRequest) else goal_name(problem, expr)
    try:
        key = (id(problem), GoalRequest.of(expr) if isinstance(expr, ast.Call) and name is not None else expr)
        hit = memo.get(key) if memo is not None else None
    except TypeError:           # an unhashable literal somewhere in the call
        memo = hit = None
    if hit is not None:
        return hit[1]
    out = _run_goal(problem, expr, name)
    if memo is not None:
        memo[key] = (problem, out)      # the problem is held so that its id is not reused
    return out


def _run_goal(problem: Problem, expr: "ast.Expr | GoalRequest", name: str | None) -> Derived:
    """Goal `name` of `expr` by its strategies in order (the goal's `why_not`, or a general
    Unsupported, when none applies); a plain expression (no name) by the evaluate family."""
    if name is None:
        assert isinstance(expr, ast.Expr)
        out: Derived = _named(EXPRESSION)(problem, expr)
        return out
    assert isinstance(expr, (ast.Call, GoalRequest))
    spec = GOALS[name]
    if not spec.strategies:
        raise Unsupported(f"the goal `{name}` is part of the language but not implemented yet",
                          expr.func.pos if isinstance(expr, ast.Call) else expr.pos)
    check_call(expr, name, spec)
    check_counts(problem, expr)
    for ref in spec.strategies:
        found = strategy(ref)(problem, expr)
        if found is not None:
            return found
    if spec.why_not is not None:
        why_not: WhyNot = _named(spec.why_not)
        raise why_not(problem, expr)
    raise Unsupported(f"`{name}` of this kind is not supported yet", expr.pos)


def subgoal(problem: Problem, name: str, args: tuple[ast.Expr, ...], pos: Pos) -> Derived:
    """Goal `name(args...)` derived inside another goal at `pos` (the gradient of `sgd_step`):
    a `GoalRequest`, its arguments the parsed expressions of the goal that asks."""
    return run_goal(problem, GoalRequest(name, tuple(args), (), pos))


def value_of_goal(problem: Problem, call: ast.Call, mode: str = "symbol") -> Any:
    """A goal used inside an expression: its answer's sympy object.  In "value" mode the
    problem's given values are put in for its names (`simplify(b)` is b's value there, as `b`
    is), so that a node's value and its display agree."""
    out = run_goal(problem, call).answer.expr
    if mode != "value" or not isinstance(out, sp.Basic):
        return out
    out = out.xreplace(problem.substitutions())
    if isinstance(out, MatrixExpr) and not out.atoms(sp.MatrixSymbol):
        done = out.doit()
        out = sp.ImmutableMatrix(done) if isinstance(done, sp.MatrixBase) else done
    return out


def load_for(name: str | None) -> bool:
    """Import the modules that goal or family builtin `name` needs; whether there are any."""
    modules = modules_of(name or "")
    for module in modules:
        importlib.import_module(f"{__package__}.{module}")
    return bool(modules)


class _Families:
    """The goal families as the model sees them (derive.model.problem.Families)."""

    def load(self, name: str) -> bool:
        return load_for(name)

    def is_goal(self, name: str) -> bool:
        return name in GOALS

    def value_of_goal(self, problem: Problem, call: ast.Call, mode: str = "symbol") -> Any:
        return value_of_goal(problem, call, mode)

    def names(self) -> list[str]:
        return list(INDEX)


FAMILIES = _Families()


def derive_goal(problem: Problem, goal: Goal) -> Result:
    """One goal of a problem, solved or turned into an error result."""
    goal_text = goal.pos.snippet() if goal.expr is not None else None
    if goal.expr is None:
        return Result(goal.label, None, make_answer(goal.prose, text=goal.prose, value=None, tex="",
                                                    prose=goal.prose), (), None, goal.marks, goal.pos)
    from .. import limits
    if limits.expired():
        return _error_result(goal, goal_text, LimitError(
            f"not started: the run's {limits.current().time:g} s budget was spent before this goal "
            "(the CLI's --time-limit, or Limits(time=...), sets it)"))
    try:
        with limits.interruptible(goal.pos):
            derived = _bounded(run_goal(problem, goal.expr))
    except DeriveError as exc:
        return replace(_error_result(goal, goal_text, exc), title=title(problem, goal.expr))
    except RecursionError:
        return _error_result(goal, goal_text, LimitError("this goal nests too deeply for derive to work out"))
    except MemoryError:
        return _error_result(goal, goal_text, LimitError("derive ran out of memory deriving this goal"))
    except Exception as exc:   # a bug in a strategy: the other goals still solve; tests fail on kind "internal"
        if limits.out_of_memory(exc):   # (a C extension the loader could not map under --max-memory)
            return _error_result(goal, goal_text, LimitError("derive ran out of memory deriving this goal"))
        name = goal_name(problem, goal.expr) or "evaluate"
        return _error_result(goal, goal_text, InternalError(
            f"internal error in the `{name}` deriver ({type(exc).__name__}: {str(exc)[:200]}); "
            "please report it with the spec"))
    return Result(goal.label, goal_text, derived.answer, tuple(derived.steps), None, goal.marks, goal.pos,
                  title(problem, goal.expr))


def _bounded(derived: Derived) -> Derived:
    """`derived` unchanged, or a LimitError if its answer and steps print longer than the
    run's `Limits.output_chars` (printing is memoised: the renderers reuse this work)."""
    from .. import limits
    cap = limits.current().output_chars
    size = len(derived.answer.text) + len(derived.answer.latex)
    for top in derived.steps:
        for step in top.walk():
            limits.check()
            size += (len(step.text) if isinstance(step.text, str) else 0) + printed_chars(step.chain)
            if size > cap:
                break
    if size > cap:
        raise LimitError(f"this goal's answer and steps print as more than {cap:,} characters, more than derive "
                         "writes for one goal (Limits(output_chars=...) sets it)")
    return derived


def _error_result(goal: Goal, goal_text: str | None, exc: DeriveError) -> Result:
    exc.at(goal.pos)
    kind = ERROR_KINDS.get(type(exc), "error")
    line, col = (exc.pos.line, exc.pos.column) if exc.pos else (None, None)
    return Result(goal.label, goal_text, None, (), ErrorInfo(exc.message, line, col, kind), goal.marks, goal.pos)


def load_all() -> None:
    """Import every module that a goal or family builtin names (sorted: a stable order)."""
    for module in sorted({m for name in (*GOALS, *FAMILY_BUILTINS) for m in modules_of(name)}):
        importlib.import_module(f"{__package__}.{module}")
