"""`lr_range(f)`: the learning rates for which gradient descent on f converges.

In: the goal call (optionally `lr = η0`, a reference rate, and `start = w0`).
Out: for a quadratic with f'' > 0, the interval 0 < η < 2/f'': the error recursion
w_{k+1} − w* = (1 − η f'')(w_k − w*) and the ⇔ chain |1 − η f''| < 1 ⇔ 0 < η < 2/f'',
checked by solution sets on the problem's numbers; with a reference rate (given, or the
`lr` of a `gd` goal on the same f), the rates that shrink the error faster and the
fastest one (rates.faster_steps).  f'' ≤ 0: no rate converges.  Not a quadratic: the
range depends on the start; the local condition near each minimiser of a polynomial and
at `start`.  Every relation a sentence states is a checked claim on the problem's
numbers, a definition, an assumption, or a fact true as stated.
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from ... import ast
from ...errors import DeriveError
from ...model.expressions import scalarize
from ...model.problem import Problem
from ...sentence import Code, Math, Rel, Sentence, say
from ...steps import Step, dedupe_chain, make_step
from ..registry import Derived, make_answer
from .common import checked_prose, claim, derivative_steps, minimiser
from .display import Between, Shown, absolute, inverse, num, one_minus, plus, put, times
from .faster import ETA, ETA0, faster_steps
from .local import local_range, polynomial_minimisers
from .objective import Objective, guarded, keyword, learning_rate, objective, tidy


def reference_rate(problem: Problem, call: ast.Call, obj: Objective) -> tuple[Any, Sentence]:
    """The rate to compare with: `lr = ...` on this goal, else that of a gd goal on the same f."""
    lr, _ = learning_rate(problem, call, "lr_range", required=False)
    if lr is not None:
        return lr, say("the given rate")
    for g in problem.goals:
        e = g.expr
        if isinstance(e, ast.Call) and e.name == "gd" and e.args and isinstance(e.args[0], ast.Name) \
                and e.args[0].id == obj.name and e.kwarg("lr") is not None:
            try:
                v = scalarize(problem.value(e.kwarg("lr")))
            except DeriveError:
                continue
            if isinstance(v, sp.Expr) and v.is_positive:
                return v, (say(f"the rate of part {g.label}") if g.label else say("the rate of the ", Code("gd"),
                                                                                    " goal"))
    return None, say()


def _recursion_steps(obj: Objective, c: Any) -> list[Step]:
    """The minimiser, the error recursion and the convergence chain of a quadratic."""
    w = obj.var
    wk, wk1, ws_sym, w0s = obj.sym("k"), obj.sym("k+1"), obj.sym("star"), obj.sym(0)
    f2, ws = obj.head(2), minimiser(obj)
    where = {f2: c, ws_sym: ws, obj.Fp(ws_sym): obj.deriv_at(ws)}
    sign = say(" is constant and ", Rel(c, ">", 0), ", so ", Math(obj.head()), " is a convex quadratic") \
        if c.is_positive else say(" is constant, so ", Math(obj.head()), " is a convex quadratic (provided ",
                                  Rel(c, ">", 0, kind="assumption"), ")")
    steps = [make_step("minimiser", say(Rel(f2, "=", c), sign, ". Its minimiser solves ",
                                        Rel(obj.Fp(ws_sym), "=", 0), ": ", Rel(ws_sym, "=", ws), "."),
                       obj.Fp(ws_sym), put(obj.d1, w, ws), 0, where=where)]
    factor = one_minus(c, ETA)
    steps.append(make_step(
        "error_recursion", say("Subtract the minimiser from the update rule. For a quadratic ",
                               Rel(obj.Fp(w), "=", times(f2, plus(w, -ws_sym))),
                               ", so every step multiplies the error by the same factor:"),
        plus(wk1, -ws_sym), plus(wk, -ETA * obj.Fp(wk), -ws_sym), times(factor, plus(wk, -ws_sym)),
        where={**where, wk1: wk - ETA * obj.deriv_at(wk), obj.Fp(wk): obj.deriv_at(wk), obj.Fp(w): obj.deriv_at(w)}))
    hi = tidy(2 / c)
    unrolled = Rel(plus(wk, -ws_sym), "=", times(sp.Pow(factor, sp.Symbol("k"), evaluate=False), plus(w0s, -ws_sym)),
                   kind="fact")
    steps.append(make_step(
        "convergence", say("Unrolled, ", unrolled, ": from every start this goes to 0 exactly when the factor is "
                           "smaller than 1 in size. At the upper end the factor is ",
                           Rel(one_minus(c, Shown(hi)), "=", -1), ": the error keeps its size and changes sign at "
                           "every step, so from any start but the minimiser the iterates bounce forever:"),
        sp.Lt(absolute(factor), 1, evaluate=False), Between(-1, factor, 1), Between(0, ETA, hi), relation="⇔"))
    steps.append(make_step("upper_end", say("The upper end is ", Math(times(2, sp.Pow(f2, -1))), ":"),
                           *dedupe_chain([2 / obj.Fpp(w), times(2, inverse(c)), hi]),
                           where={obj.Fpp(w): obj.deriv_at(w, 2)}))
    return steps


def _quadratic_range(problem: Problem, call: ast.Call, obj: Objective, steps: list[Step]) -> Derived:
    c = obj.d2
    if c.is_nonpositive:
        return _no_rate(obj, c, steps)
    steps.extend(_recursion_steps(obj, c))
    hi = tidy(2 / c)
    f2 = obj.head(2)
    caveat = say() if c.is_positive else say(" (provided ", Rel(c, ">", 0, kind="assumption"), ")")
    prose = say("gradient descent converges for ", Math(Between(0, ETA, num(hi))), " (that is, ",
                Math(sp.Lt(ETA, times(2, sp.Pow(f2, -1)), evaluate=False)), ")", caveat, ".")
    extra: dict = {}
    eta0, whence = reference_rate(problem, call, obj)
    if eta0 is not None and not c.free_symbols and not eta0.free_symbols:
        more, extra, line = faster_steps(obj, c, eta0, whence)
        steps.extend(more)
        prose = say(prose, " ", line)
    elif not c.free_symbols:
        best = tidy(1 / c)
        steps.append(make_step("fastest", say("The fastest rate is ", Rel(sp.Pow(f2, -1), "=", num(best)),
                                              ": there the factor is ", Rel(one_minus(c, Shown(best)), "=", 0),
                                              " and one step lands on the minimiser."),
                               where={f2: c}))
        extra["fastest"] = float(best)
    value = [float(0), float(hi)] if not hi.free_symbols else None
    return Derived(make_answer(sp.Interval.open(0, hi), value=value, prose=checked_prose(prose, {f2: c, ETA0: eta0}),
                               extra=extra), tuple(steps))


def _no_rate(obj: Objective, c: Any, steps: list[Step]) -> Derived:
    """f'' ≤ 0 constant: concave or linear, nothing converges (or f is constant)."""
    f, f1, f2 = Math(obj.head()), obj.head(1), obj.head(2)
    b = obj.d1
    where = {f1: b, f2: c}
    if c == 0 and b == 0:
        text = say(f, " is constant: every point minimises it, ", Rel(f1, "=", 0), " and gradient descent never "
                   "moves, whatever the rate.")
        steps.append(make_step("constant", text, where=where))
        return Derived(make_answer(sp.Interval.open(0, sp.oo), value=None, prose=checked_prose(text, where)),
                       tuple(steps))
    if c == 0:
        text = say(Rel(f2, "=", 0), ": ", f, " is linear with constant slope ", Rel(f1, "=", b), ", ",
                   claim(b, "≠", 0, where), ", so it has no minimum (it is unbounded below) and every step moves "
                   "by the same ", Math(times(ETA, absolute(b))), ": gradient descent runs off to infinity for "
                   "every rate. No learning rate converges.")
    else:
        grows = plus(1, times(-c, ETA))
        text = say(Rel(f2, "=", c), ", ", claim(c, "<", 0, where), ": ", f, " is a concave quadratic, unbounded "
                   "below, and its stationary point is a maximum. The error is multiplied by ",
                   Rel(one_minus(f2, ETA), "=", grows), " at every step, and ", claim(grows, ">", 1, where),
                   " for every positive rate, so gradient descent moves away from it. No learning rate converges.")
        steps.append(make_step("factor", say("For every positive rate the factor exceeds 1:"),
                               one_minus(c, ETA), 1, relation=">"))
    steps.append(make_step("no_convergence", text, where=where))
    return Derived(make_answer(sp.S.EmptySet, value=None, prose=checked_prose(text, where)), tuple(steps))


@guarded
def lr_range(problem: Problem, call: ast.Call) -> Derived:
    """lr_range(f): 0 < η < 2/f'' for a convex quadratic, with the rates faster than a reference."""
    obj = objective(problem, call, "lr_range")
    steps = derivative_steps(obj, order=2)
    if obj.quadratic:
        return _quadratic_range(problem, call, obj, steps)
    w0, _ = keyword(problem, call, "start", "lr_range", required=False, example="lr_range(f, start = 5)")
    return local_range(obj, w0, polynomial_minimisers(obj), steps)
