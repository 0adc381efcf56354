"""Which rates shrink the error of gradient descent on a quadratic faster than a reference.

In: an Objective with numeric f'' = c > 0, a reference rate η0 and where it comes from.
Out: (steps, answer extras, answer sentence).  The error is multiplied by 1 − η c at every
step, so a rate is faster than η0 when |1 − η c| < |1 − η0 c|.  Every interval is a ⇔ chain
checked by solution sets on the problem's numbers: the faster rates, the rates past 1/c
that overshoot (a negative factor), and the rates from 2/c on, which do not converge.
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from ...sentence import Math, Rel, Sentence, say
from ...steps import Step, dedupe_chain, make_step
from .display import Between, Shown, absolute, inverse, num, one_minus, plus, times
from .objective import Objective, tidy

ETA = sp.Symbol("eta", positive=True)
ETA0 = sp.Symbol("eta_0", positive=True)


def _edge_cases(obj: Objective, c: Any, eta0: Any, r0: Any, extra: dict) -> tuple[Step, Sentence] | None:
    """η0 that does not converge (every convergent rate is faster) or η0 = 1/f'' (none is)."""
    f2 = obj.head(2)
    named = Rel(ETA0, "=", num(eta0))
    where = {ETA0: eta0, f2: c}
    if r0 >= 1:
        extra["faster"] = [0.0, float(2 / c)]
        step = make_step("faster", say(named, " does not converge at all (its factor is ", Rel(Shown(r0), "≥", 1),
                                       "), so every rate in the range converges faster."), where=where)
        return step, say("Every rate in the range is faster than ", named, ", which does not converge.")
    if r0 == 0:
        extra["faster"] = None
        step = make_step("faster", say(Rel(ETA0, "=", sp.Pow(f2, -1)), " already makes the factor 0: it reaches "
                                       "the minimiser in one step and no rate is faster."), where=where)
        return step, say("No rate is faster than ", named, ": it is the optimal rate ", Math(sp.Pow(f2, -1)), ".")
    return None


def _fastest_step(obj: Objective, c: Any, eta0: Any, hi_faster: Any) -> Step:
    """1/f'': the factor 0; beyond it the factor is negative; from 2/f'' on it is at least 1 in size."""
    f2, w = obj.head(2), obj.var
    best, hi = tidy(1 / c), tidy(2 / c)
    factor = one_minus(c, ETA)
    text = say("At the rate ", Math(sp.Pow(f2, -1)), " the factor is ", Rel(one_minus(c, Shown(best)), "=", 0),
               ", its smallest size: one step lands on the minimiser. Between ", Math(sp.Pow(f2, -1)), " and ",
               Math(times(2, sp.Pow(f2, -1))), " the factor is negative, ",
               Rel(Between(best, ETA, hi), "⇔", Between(-1, factor, 0)),
               ", so the iterates alternate sides of the minimiser; of these rates only those below ",
               Math(num(hi_faster)), " shrink the error faster than ", Math(ETA0), ", ",
               Rel(sp.And(Between(best, ETA, hi), sp.Lt(absolute(factor), absolute(one_minus(c, Shown(ETA0))), evaluate=False)),
                   "⇔", Between(best, ETA, hi_faster)),
               ". From ", Math(times(2, sp.Pow(f2, -1))), " on the factor is at least 1 in size, ",
               Rel(sp.Ge(ETA, hi, evaluate=False), "⇔", sp.Ge(absolute(factor), 1, evaluate=False)), ", and the iterates do not converge.")
    return make_step("fastest", text, *dedupe_chain([1 / obj.Fpp(w), inverse(c), best]),
                     where={obj.Fpp(w): obj.deriv_at(w, 2), f2: c, ETA0: eta0})


def faster_steps(obj: Objective, c: Any, eta0: Any, whence: Sentence) -> tuple[list[Step], dict, Sentence]:
    """Which rates contract faster than eta0: |1 − η c| < |1 − η0 c|."""
    f2 = obj.head(2)
    r0 = sp.Abs(1 - eta0 * c)
    where = {ETA0: eta0, f2: c}
    steps = [make_step("contraction", say("Compare with ", Rel(ETA0, "=", num(eta0)), " (", whence, "): each step "
                                          "multiplies the error by ", Math(one_minus(f2, ETA)), ", so the speed is "
                                          "set by its size, the contraction factor:"),
                       absolute(plus(1, times(-1, Shown(eta0), Shown(c)))), r0, where=where)]
    extra: dict = {"reference_lr": float(eta0)}
    edge = _edge_cases(obj, c, eta0, r0, extra)
    if edge is not None:
        steps.append(edge[0])
        return steps, extra, edge[1]
    lo, hi = (1 - r0) / c, (1 + r0) / c
    factor = one_minus(c, ETA)
    steps.append(make_step("faster", say("A rate shrinks the error faster than ", Math(ETA0), " when its factor is "
                                         "smaller than ", Math(num(r0)), " in size:"),
                           sp.Lt(absolute(factor), r0, evaluate=False), Between(-r0, factor, r0), Between(lo, ETA, hi),
                           relation="⇔"))
    steps.append(_fastest_step(obj, c, eta0, hi))
    best = tidy(1 / c)
    extra["faster"] = [float(lo), float(hi)]
    extra["faster_text"] = f"Interval.open({lo}, {hi})"
    extra["fastest"] = float(best)
    prose = say("Faster than ", Rel(ETA0, "=", num(eta0)), ": every ", Math(Between(num(lo), ETA, num(hi))),
                "; the fastest is ", Rel(sp.Pow(f2, -1), "=", num(best)), " (one step to the minimiser).")
    return steps, extra, prose
