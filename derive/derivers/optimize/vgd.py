"""Optimisers on functions of several variables: `gd` (with PyTorch SGD's momentum,
dampening, nesterov and weight_decay), `adam`, `rmsprop`, `adagrad` and `newton`.

In: the goal call; its function takes one vector (`vector x : (2)`, `f(x) = ...`) or
several scalars (`f(u, v)`), or one scalar when an optimiser keyword is given.
Out: a `Derived` whose answer is the list of iterates [x⁽¹⁾, ..., x⁽ᵏ⁾] (columns), after
steps that derive the gradient (and the Hessian for Newton), state the update rule with
the optimiser's numbers, show every quantity of the first iterations with the numbers put
in (each checked, ≈ for decimals), and list all iterates in a table.  A run whose entries
pass 10¹² times the start's size stops there: the answer is "diverges" (value null) with the reason.
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from ... import ast, unevaluated
from ...errors import SpecError
from ...model.problem import Problem
from ...sentence import Math, Rel, join, say
from ...steps import Step, Table, make_step
from ..registry import Derived, make_answer
from .display import prime_function, table_rows
from .formulas import at_iteration, hyper_values, numbers_in, quantities, shown_number
from .hyper import read_optimizer, steps_keyword
from .multi import Multi, is_multi, multi_objective, start_point
from .rules import Optimizer, Trace, as_sympy, run
from ...notation_iterates import scalar, short_vec, vec
from .objective import guarded
from .newton_nd import newton_iteration, newton_rule
from .common import checked_prose

SHOWN_ALL = 5             # up to this many iterations, each gets its steps
SHOWN_HEAD = 2            # beyond it, the first few do and the table lists the rest
OPTIMIZER_KW = ("momentum", "dampening", "nesterov", "weight_decay")


def _f(obj: Multi) -> Any:
    """f(x) or f(u, v) as shown."""
    args = (sp.Symbol(obj.point),) if obj.vector else obj.comps
    return prime_function(obj.name, 0)(*args)


def gradient_steps(obj: Multi, hessian: bool = False) -> list[Step]:
    """∇f as the column of partial derivatives (and the Hessian), checked by sympy's diff."""
    parts = vec(sp.Derivative(obj.body, c) for c in obj.comps)
    steps = [make_step("gradient", say("The gradient of ", Rel(_f(obj), "=", obj.body, kind="definition"),
                                       ", one partial derivative per coordinate:"), parts, obj.grad)]
    if hessian:
        second = sp.ImmutableMatrix(obj.n, obj.n, lambda i, j: sp.Derivative(obj.grad[i], obj.comps[j]))
        steps.append(make_step("hessian", say("Its Hessian, the matrix of second derivatives:"), second, obj.hess))
    return steps


def rule_step(obj: Multi, opt: Optimizer) -> Step:
    """The update rule for each coordinate (definitions) with the optimiser's numbers."""
    if opt.kind == "newton":
        return newton_rule(obj)
    name = {"sgd": "Gradient descent (PyTorch's SGD", "adam": "Adam (PyTorch's Adam",
            "rmsprop": "RMSprop (PyTorch's RMSprop", "adagrad": "Adagrad (PyTorch's Adagrad"}[opt.kind]
    t = 2 if opt.kind == "sgd" and opt.momentum != 0 else 1
    rules = [Rel(scalar(q.base, "t", q.hat), "=", q.formula, kind="definition")
             for q in quantities(opt, obj.point, obj.name, t)]
    first = say()
    if opt.kind == "sgd" and opt.momentum != 0:
        start = next(q for q in quantities(opt, obj.point, obj.name, 1) if q.key == "b")
        first = say("; at the first iteration the buffer is the gradient itself, ",
                    Rel(scalar("b", 1), "=", at_iteration(start.formula, 1), kind="definition"))
    if opt.adaptive:
        first = say("; the buffers start at 0")
    h = hyper_values(opt)
    used = sorted({s for q in quantities(opt, obj.point, obj.name, t) for s in q.formula.free_symbols} & set(h),
                  key=str)
    nums = join([Rel(s, "=", shown_number(h[s]).args[0], kind="definition") for s in used])
    return make_step("update_rule", say(name, "), applied to each coordinate at iteration ", Math(sp.Symbol("t")), ": ",
                                        join(rules), first, ". Here ", nums, "."), check=False)


def _lookup(trace: Trace, obj: Multi, t: int):
    """(key, index, i) -> the value of coordinate i of state `key` at t or t − 1."""
    def get(key: str, index: str, i: int) -> Any:
        at = t if index == "t" else t - 1
        if key == obj.point:
            return trace.ws[at][i]
        if key == "grad":
            return trace.records[t - 1].values["raw"][i]
        if at == 0:
            return sp.Integer(0)
        return trace.records[at - 1].values[key][i]
    return get


def iteration_steps(obj: Multi, opt: Optimizer, trace: Trace, t: int) -> list[Step]:
    """The steps of iteration t: the gradient at x⁽ᵗ⁻¹⁾ and each quantity with numbers in."""
    rec = trace.records[t - 1]
    prev = vec(as_sympy(x) for x in trace.ws[t - 1])
    decimal = any(isinstance(x, sp.Float) for x in list(prev) + [as_sympy(x) for x in rec.values["x"]])
    rel = "≈" if decimal else "="
    xs, gs = obj.it(t - 1), obj.g(t - 1)
    raw = vec(as_sympy(x) for x in rec.values["raw"])
    values = {c: shown_number(v) for c, v in zip(obj.comps, prev)}   # (unevaluated: equal values stay apart)
    put_in = obj.grad.applyfunc(lambda e: unevaluated.xreplace(e, values))
    where = {xs: prev, gs: obj.fresh_grad(prev)}
    steps = [make_step("gradient_at", say(f"Iteration {t}: the gradient at ", Math(xs), ":"),
                       gs, put_in, short_vec(raw), where=where, relation=rel)]
    if opt.kind == "newton":
        return steps + newton_iteration(obj, trace, t, prev, raw, rel)
    lookup, hyper = _lookup(trace, obj, t), hyper_values(opt)
    for q in quantities(opt, obj.point, obj.name, t):
        value = vec(as_sympy(x) for x in rec.values[q.key])
        lhs = obj.it(t, q.base, q.hat)
        what = say(q.name[0].upper() + q.name[1:] + " ") if q.name else say("The new point ")
        steps.append(make_step("update", say(what, Math(lhs), ":"), lhs,
                               numbers_in(q.formula, lookup, hyper, t, obj.n), short_vec(value),
                               where={lhs: value}, relation=rel))
    return steps


def iterate_table(obj: Multi, trace: Trace) -> Table:
    """t | each coordinate | f(x⁽ᵗ⁾), head and tail when long."""
    header = (sp.Symbol("t"),) + tuple(obj.comps) + (_f(obj),)
    rows = []
    for i in table_rows(len(trace.ws)):
        if i is None:
            rows.append(("⋮",) * len(header))
            continue
        w = [as_sympy(x) for x in trace.ws[i]]
        fw = obj.at(obj.body, w)
        rows.append((sp.Integer(i), *(sp.Float(x, 6) if isinstance(x, sp.Float) else x for x in w),
                     sp.Float(sp.N(fw, 20), 6)))
    return Table(header, tuple(rows), "The iterates and the value of the function at each.")


def _diverged(obj: Multi, opt: Optimizer, trace: Trace, steps: list[Step]) -> Derived:
    """An entry passed `bound` at iteration `trace.diverged`: say so, with the size reached."""
    t = trace.diverged
    big = max((abs(as_sympy(x)) for x in trace.records[t - 1].values["x"]), key=lambda x: sp.N(x, 20))
    from .common import diverged
    return diverged(t, big, trace.ws[0], steps, "the largest entry of the new point", newton=opt.kind == "newton")


def _answer(obj: Multi, trace: Trace, steps: list[Step]) -> Derived:
    """The iterates as a list of columns (decimals to 15 digits), restated in the sentence."""
    cols = [vec(sp.Float(as_sympy(x), 15) if not trace.exact and i >= (trace.switched or 1) else as_sympy(x)
                for x in w) for i, w in enumerate(trace.ws) if i > 0]
    full = {obj.it(i): vec(as_sympy(x) for x in w) for i, w in enumerate(trace.ws)}
    items = [Rel(obj.it(i + 1), "≈" if any(isinstance(e, sp.Float) for e in c) else "=", short_vec(c))
             for i, c in enumerate(cols)]
    if len(items) > 5:
        items = items[:2] + ["…"] + items[-2:]
    return Derived(make_answer(cols, prose=checked_prose(say(join(items), "."), full)), tuple(steps))


def optimise(problem: Problem, call: ast.Call, kind: str) -> Derived:
    """The general path of every optimiser goal."""
    obj = multi_objective(problem, call, call.name)
    extra = obj.body.free_symbols - set(obj.comps)
    if extra:
        raise SpecError(f"`{call.name}` needs numbers: `{obj.name}` also depends on "
                        f"{', '.join(sorted(map(str, extra)))}; give {'it' if len(extra) == 1 else 'them'} a value",
                        call.args[0].pos)
    w0 = start_point(problem, call, obj, call.name)
    opt = read_optimizer(problem, call, kind)
    k = steps_keyword(problem, call)
    trace = run(obj, opt, w0, k, call)
    steps = gradient_steps(obj, hessian=kind == "newton")
    steps.append(rule_step(obj, opt))
    done = len(trace.records)
    shown = range(1, done + 1) if done <= SHOWN_ALL else list(range(1, SHOWN_HEAD + 1)) + [done]
    for t in shown:
        steps.extend(iteration_steps(obj, opt, trace, t))
    if trace.switched is not None and not opt.adaptive:
        steps.append(make_step("decimals", say(f"From iteration {trace.switched} on the exact values grow too long; "
                                               "the iterates are computed to 30 significant digits and shown to 6."),
                               check=False))
    if len(trace.ws) > 2:
        steps.append(make_step("iterates", say("All iterates:"), table=iterate_table(obj, trace), check=False))
    if trace.diverged is not None:
        return _diverged(obj, opt, trace, steps)
    return _answer(obj, trace, steps)


@guarded
def gd_multi(problem: Problem, call: ast.Call) -> Derived | None:
    """gd on a function of a vector or several scalars, or with PyTorch SGD's keywords; None
    for plain gd on a function of one scalar (the one-variable deriver takes it)."""
    if not (call.args and (is_multi(problem, call) or any(call.kwarg(k) is not None for k in OPTIMIZER_KW))):
        return None
    return optimise(problem, call, "sgd")


@guarded
def adam(problem: Problem, call: ast.Call) -> Derived:
    """adam(f, start, lr = 0.001, betas = [0.9, 0.999], eps = 1e-8, weight_decay = 0, steps)."""
    return optimise(problem, call, "adam")


@guarded
def rmsprop(problem: Problem, call: ast.Call) -> Derived:
    """rmsprop(f, start, lr = 0.01, alpha = 0.99, eps = 1e-8, weight_decay = 0, steps)."""
    return optimise(problem, call, "rmsprop")


@guarded
def adagrad(problem: Problem, call: ast.Call) -> Derived:
    """adagrad(f, start, lr = 0.01, lr_decay = 0, eps = 1e-10, weight_decay = 0, steps)."""
    return optimise(problem, call, "adagrad")


@guarded
def newton(problem: Problem, call: ast.Call) -> Derived:
    """newton(f, start, steps): x ← x − H(x)⁻¹∇f(x), in any dimension."""
    return optimise(problem, call, "newton")
