"""`optimal_lr(f, start = w0)`: η* = 1/f''(w0), the minimiser of the second-order Taylor
model at w0 (Newton's step), the iterate it reaches and f' there.

In: the goal call (`start` may be left out for a quadratic, whose curvature is one number).
Out: a `Derived` with the rate η* as the answer; steps: f', f'', the value, slope and
curvature at w0, the Taylor model m(w), its minimiser, the matching rate, the step taken
with it, the slope at the new point and what that says, and the general method (Newton's).
A curvature that is not positive has no optimal rate (the answer is none, with the reason).
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from ... import ast
from ...model.problem import Problem
from ...sentence import Math, Rel, say
from ...steps import Step, dedupe_chain, make_step
from ..registry import Derived, make_answer
from .common import checked_prose, claim, derivative_steps, value_step
from .display import Also, Shown, about, inverse, ordered, plus, prime_function, put, times
from .objective import Objective, guarded, keyword, objective, tidy

ETA = sp.Symbol("eta", positive=True)
ETA_STAR = sp.Symbol("eta_star", positive=True)


def general_step(obj: Objective) -> Step:
    """Newton's method in general, as definitions and stated facts (nothing here is computed)."""
    w, wk, wk1 = obj.var, obj.sym("k"), obj.sym("k+1")
    m, dw = prime_function("m", 0), plus(w, -wk)
    model = plus(obj.F(wk), times(obj.Fp(wk), dw), times(sp.Rational(1, 2), obj.Fpp(wk), sp.Pow(dw, 2)))
    H = sp.MatrixSymbol("H", sp.Symbol("n"), sp.Symbol("n"))
    text = say("In general: approximate ", Math(obj.head()), " near the current point ", Math(wk),
               " by its second-order Taylor model ", Rel(m(w), "=", model, kind="definition"),
               " and step to the model's minimiser, ", Rel(wk1, "=", plus(wk, -obj.Fp(wk) / obj.Fpp(wk)), kind="fact"),
               " (which needs ", Rel(obj.Fpp(wk), ">", 0, kind="assumption"), "). Matching this with ",
               Rel(wk1, "=", plus(wk, -ETA * obj.Fp(wk)), kind="definition"), " gives ",
               Rel(ETA_STAR, "=", sp.Pow(obj.Fpp(wk), -1), kind="fact"), ", the inverse curvature: this is Newton's "
               "method. In several variables the curvature is the Hessian ", Math(H), " and the step is ",
               Math(-sp.Inverse(H)), " times the gradient. For a quadratic the model is exact and one step reaches "
               "the minimiser; otherwise the step is repeated (or ", Math(ETA), " is chosen by a line search).")
    return make_step("general", text, check=False)


def _no_newton(obj: Objective, c0: Any, w0: Any, steps: list[Step]) -> Derived:
    """The curvature (at w0, or of a quadratic) is not positive: no step size minimises the model."""
    w0s = obj.sym(0)
    slope = tidy(obj.d1 if w0 is None else obj.at(obj.d1, w0))
    where = {w0s: w0} if w0 is not None else {}
    at = say(" at ", Rel(w0s, "=", w0)) if w0 is not None else say()
    if c0.is_zero and slope == 0:
        text = say("The curvature", at, " is 0 and so is the slope: the second-order model is constant, every point "
                   "minimises it, so it singles out no step size and there is no optimal learning rate.")
    elif c0.is_zero:
        text = say("The curvature", at, " is 0: the second-order model is a straight line with slope ",
                   claim(slope, "≠", 0, where), ", which has no minimum, so no step size minimises it and there is "
                   "no optimal learning rate.")
    elif c0.is_negative:
        text = say("The curvature", at, " is ", Rel(c0, "<", 0), ": the second-order model is a downward parabola, "
                   "unbounded below, so no step size minimises it (the Newton step ",
                   Math(plus(obj.var, -obj.head(1) / obj.head(2))), " would go to a maximum). There is no optimal "
                   "learning rate.")
    else:
        text = say("The curvature", at, " is ", Math(c0), "; the optimal rate ", Math(sp.Pow(obj.head(2), -1)),
                   " exists only where it is positive.")
    steps.append(make_step("no_newton", text, where=where))
    return Derived(make_answer(None, text="no optimal learning rate", value=None, display="none",
                               prose=checked_prose(text, where)),
                   tuple(steps))


def _without_start(obj: Objective, steps: list[Step]) -> Derived:
    """A quadratic without a start: the rate 1/f'', the same everywhere; no iterate."""
    c, w, f2 = obj.d2, obj.var, obj.head(2)
    if not c.is_positive:
        return _no_newton(obj, c, None, steps)
    best = tidy(1 / c)
    steps.append(make_step("newton_rate", say("For a quadratic the curvature is the same everywhere, so the optimal "
                                              "rate is the same from every start:"),
                           ETA_STAR, sp.Pow(obj.Fpp(w), -1), 1 / c, where={ETA_STAR: 1 / c, obj.Fpp(w): c}))
    steps.append(general_step(obj))
    prose = say(Rel(ETA_STAR, "=", Also(sp.Pow(f2, -1), about(best))), ".")
    return Derived(make_answer(best, prose=checked_prose(prose, {ETA_STAR: best, f2: c})), tuple(steps))


def _taylor_step(obj: Objective, w0: Any, f0: Any, g0: Any, c0: Any, quadratic: bool) -> Step:
    """m(w) = f(w0) + f'(w0)(w − w0) + ½ f''(w0)(w − w0)² = (numbers in) = expanded (= f(w))."""
    w, w0s = obj.var, obj.sym(0)
    dw = plus(w, times(-1, Shown(w0)))
    model = plus(f0, times(Shown(g0), Shown(dw)), times(Shown(sp.Rational(1, 2)), Shown(c0), sp.Pow(Shown(dw), 2,
                                                                                                   evaluate=False)))
    m = prime_function("m", 0)
    chain = [m(w), model, ordered(tidy(f0 + g0 * (w - w0) + c0 * (w - w0) ** 2 / 2), w)]
    general = plus(obj.F(w0s), times(obj.Fp(w0s), plus(w, -w0s)),
                   times(sp.Rational(1, 2), obj.Fpp(w0s), sp.Pow(plus(w, -w0s), 2)))
    text = say("Model ", Math(obj.head()), " near ", Math(w0s), " by its second-order Taylor polynomial ",
               Rel(m(w), "=", general, kind="definition"))
    if quadratic:
        chain.append(obj.F(w))
        text = say(text, "; for a quadratic the model is ", Math(obj.head()), " itself:")
    else:
        text = say(text, ":")
    taylor = obj.at(obj.body, w0) + obj.deriv_at(w0) * (w - w0) + obj.deriv_at(w0, 2) * (w - w0) ** 2 / 2
    return make_step("taylor_model", text, *dedupe_chain(chain), where={m(w): taylor, obj.F(w): obj.body})


def _newton_steps(obj: Objective, w0: Any, g0: Any, c0: Any) -> tuple[list[Step], Any, Any]:
    """The model's minimiser w1, the rate η* that reaches it, and the step taken with η*."""
    w, w0s, w1s = obj.var, obj.sym(0), obj.sym(1)
    w1, eta_opt = tidy(w0 - g0 / c0), tidy(1 / c0)
    where = {w1s: w1, w0s: w0, obj.Fp(w0s): obj.deriv_at(w0), obj.Fpp(w0s): obj.deriv_at(w0, 2)}
    mp = prime_function("m", 1)
    text = say("Since ", Rel(obj.Fpp(w0s), "=", c0), " and ", claim(c0, ">", 0, where), " the model is a convex "
               "parabola; setting ", Rel(mp(w), "=", plus(obj.Fp(w0s), times(obj.Fpp(w0s), plus(w, -w0s))),
                                         kind="definition"), " to 0 gives its minimiser:")
    steps = [make_step("model_minimiser", text, w1s, w0s - obj.Fp(w0s) / obj.Fpp(w0s),
                       plus(Shown(w0), times(-1, Shown(g0), inverse(c0))), w1, where=where)]
    steps.append(make_step("newton_rate", say("A gradient step gives ", Rel(w1s, "=", w0s - ETA * obj.Fp(w0s),
                                                                            kind="definition"),
                                              "; it lands on the model's minimiser when"),
                           *dedupe_chain([ETA_STAR, 1 / obj.Fpp(w0s), inverse(c0), eta_opt]),
                           where={ETA_STAR: eta_opt, obj.Fpp(w0s): obj.deriv_at(w0, 2)}))
    where_step = {w1s: w1, w0s: w0, ETA: eta_opt, ETA_STAR: eta_opt, obj.Fp(w0s): obj.deriv_at(w0)}
    steps.append(make_step("gd_iterate", say("The step with ", Rel(ETA_STAR, "=", eta_opt), " from ",
                                             Rel(w0s, "=", w0), ":"),
                           w1s, w0s - ETA * obj.Fp(w0s), plus(Shown(w0), times(-1, Shown(eta_opt), Shown(g0))), w1,
                           where=where_step))
    return steps, w1, eta_opt


def _verdict(obj: Objective, w1: Any, quadratic: bool) -> tuple[Step, Any]:
    """The slope at w1 and what it says: the minimiser (quadratic), a stationary point, or one Newton step."""
    w, w1s = obj.var, obj.sym(1)
    g1 = tidy(obj.at(obj.d1, w1))
    where = {w1s: w1, obj.Fp(w1s): obj.deriv_at(w1)}
    if quadratic:
        text = say(Rel(obj.Fp(w1s), "=", 0), " and ", Math(obj.head()), " is a convex quadratic, so ",
                   Rel(w1s, "=", w1), " is the minimiser: this rate reaches the optimum in one step.")
    elif g1 == 0:
        text = say(Rel(obj.Fp(w1s), "=", 0), ": this Newton step happens to land on a stationary point of ",
                   Math(obj.head()), ".")
    else:
        text = say(claim(obj.Fp(w1s), "≠", 0, where), ": ", Math(obj.head()), " is not a quadratic, so this is one "
                   "Newton step towards the minimum, not the optimum itself; repeating it with ",
                   Rel(ETA, "=", sp.Pow(obj.Fpp(obj.sym("k")), -1), kind="definition"),
                   " at each iterate is Newton's method.")
    check = make_step("stationary", say("Check the slope there:"),
                      *dedupe_chain([obj.Fp(w1s), put(obj.d1, w, w1), g1]), where=where)
    return check, make_step("verdict", text, where=where)


@guarded
def optimal_lr(problem: Problem, call: ast.Call) -> Derived:
    """optimal_lr(f, start = w0): minimise the second-order Taylor model at w0."""
    obj = objective(problem, call, "optimal_lr")
    quadratic = obj.quadratic
    w0, _ = keyword(problem, call, "start", "optimal_lr", required=not quadratic, example="optimal_lr(f, start = 5)")
    steps = derivative_steps(obj, order=2)
    if w0 is None:
        return _without_start(obj, steps)
    w0s, w1s = obj.sym(0), obj.sym(1)
    f0, g0, c0 = (tidy(obj.at(e, w0)) for e in (obj.body, obj.d1, obj.d2))
    for order, what in ((0, "value"), (1, "slope"), (2, "curvature")):
        steps.append(value_step(obj, order, w0s, w0, say(f"The {what} at ", Rel(w0s, "=", w0))))
    if not c0.is_positive and (c0.is_nonpositive or c0.is_number):
        return _no_newton(obj, c0, w0, steps)
    steps.append(_taylor_step(obj, w0, f0, g0, c0, quadratic))
    more, w1, eta_opt = _newton_steps(obj, w0, g0, c0)
    steps.extend(more)
    steps.extend(_verdict(obj, w1, quadratic))
    steps.append(general_step(obj))
    g1 = tidy(obj.at(obj.d1, w1))
    extra = {"iterate": float(sp.N(w1, 20))} if not w1.free_symbols else {}
    tail = ", the minimiser, in one step." if quadratic else " (one Newton step)." if g1 != 0 else "."
    prose = say(Rel(ETA_STAR, "=", Also(sp.Pow(obj.Fpp(w0s), -1), about(eta_opt))), "; from ", Rel(w0s, "=", w0),
                " it reaches ", Rel(w1s, "=", about(w1)), tail)
    where = {ETA_STAR: eta_opt, w0s: w0, w1s: w1, obj.Fpp(w0s): obj.deriv_at(w0, 2)}
    return Derived(make_answer(eta_opt, prose=checked_prose(prose, where), extra=extra), tuple(steps))


