"""`lr_range(f)` for an f that is not a quadratic: the range of rates depends on the start.

In: the Objective, an optional start w0, the steps so far.  Out: a `Derived` whose answer
says the range depends on the start, with the local conditions that can be stated: near
each minimiser w* of a polynomial f (the linearised step multiplies the error by
1 − η f''(w*)), and for the second-order model at w0.  The local conditions are stated as
such (facts about the linearisation), with their numbers checked.
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from ...sentence import Code, Math, Rel, Sentence, say
from ...steps import Step, make_step
from ..registry import Derived, make_answer
from .common import checked_prose, value_step
from .display import Between, about, absolute, one_minus, ordered, put
from .faster import ETA
from .objective import Objective, tidy
from ...notation_iterates import Approx

MAX_ROOT_DEGREE = 6       # minimisers of polynomials up to this degree of f' are found


def polynomial_minimisers(obj: Objective) -> list[Any]:
    """Real roots of f' where f'' > 0, for a polynomial f with numeric coefficients (else [])."""
    w = obj.var
    if obj.d1.free_symbols - {w} or not obj.d1.is_polynomial(w):
        return []
    poly = sp.Poly(obj.d1, w)
    if poly.degree() < 1 or poly.degree() > MAX_ROOT_DEGREE:
        return []
    out = []
    for r in sorted(set(sp.real_roots(poly)), key=lambda r: float(r)):
        curv = sp.nsimplify(obj.at(obj.d2, r)) if not isinstance(r, sp.CRootOf) else obj.at(obj.d2, r)
        if sp.N(curv, 20) > 0:
            out.append(r)
    return out


def _near_minimiser(obj: Objective, r: Any, steps: list[Step], extra: dict) -> Sentence:
    star = obj.sym("star")
    if isinstance(r, sp.CRootOf):
        return _near_root(obj, r, steps)
    curv = obj.at(obj.d2, r)
    hi = tidy(2 / curv)
    upper = 2 / obj.Fpp(star)
    lead = say("Near the minimiser ", Rel(star, "=", r), " the step multiplies the error by about ",
               Math(one_minus(obj.Fpp(star), ETA)), "; started close enough, gradient descent converges to it for ",
               Math(Between(0, ETA, upper)), " and moves away from it for larger rates, where ",
               Rel(upper, "=", about(hi)))
    steps.append(value_step(obj, 2, star, r, lead))
    return checked_prose(say(" Near ", Rel(star, "=", r), ", started close enough, it converges for ",
                             Math(Between(0, ETA, hi)), "."), {star: r})


def _near_root(obj: Objective, r: sp.CRootOf, steps: list[Step]) -> Sentence:
    """The same for a minimiser with no closed form in radicals: shown as a decimal root of
    f' (≈, checked against the exact root), f''(w*) and 2/f''(w*) to 6 digits."""
    star, w = obj.sym("star"), obj.var
    dec = Approx(sp.N(r, 30))
    curv = obj.at(obj.d2, r)
    hi = Approx(sp.N(2 / curv, 30))
    upper = 2 / obj.Fpp(star)
    where = {star: r, obj.Fpp(star): curv}
    lead = say("Near the minimiser ", Rel(star, "≈", dec), " (a root of ", Rel(obj.Fp(w), "=", ordered(obj.d1, w),
                                                                               kind="definition"),
               ", which has no closed form in radicals) "
               "the step multiplies the error by about ", Math(one_minus(obj.Fpp(star), ETA)), "; started close "
               "enough, gradient descent converges to it for ", Math(Between(0, ETA, upper)), " and moves away from "
               "it for larger rates, where ", Rel(upper, "≈", hi), ":")
    steps.append(make_step("substitute", lead, obj.Fpp(star), put(obj.d2, w, dec), Approx(sp.N(curv, 30)),
                           where=where, relation="≈"))
    return checked_prose(say(" Near ", Rel(star, "≈", dec), ", started close enough, it converges for ",
                             Math(Between(0, ETA, upper)), ", ", Rel(upper, "≈", hi), "."), where)


def _at_start(obj: Objective, w0: Any, steps: list[Step], extra: dict) -> Sentence:
    w0s = obj.sym(0)
    c0 = tidy(obj.at(obj.d2, w0))
    steps.append(value_step(obj, 2, w0s, w0, say("The curvature at the start ", Rel(w0s, "=", w0))))
    where = {w0s: w0, obj.Fpp(w0s): c0}
    if c0.is_positive:
        hi = tidy(2 / c0)
        steps.append(make_step("local_range", say("The second-order model of ", Math(obj.head()), " at the start is "
                                                  "a quadratic with this curvature; gradient descent on it converges "
                                                  "from every start exactly when:"),
                               sp.Lt(absolute(one_minus(c0, ETA)), 1, evaluate=False), Between(0, ETA, hi), relation="⇔"))
        if not hi.free_symbols:
            extra["local_range"] = [0.0, float(hi)]
        return checked_prose(say(" At the start ", Rel(w0s, "=", w0), ": ", Math(Between(0, ETA, 2 / obj.Fpp(w0s))),
                                 ", ", Rel(2 / obj.Fpp(w0s), "=", about(hi)), " (a local condition, not a guarantee)."),
                             where)
    if c0.is_nonpositive:
        return checked_prose(say(" At ", Rel(w0s, "=", w0), " the curvature is ", Rel(c0, "≤", 0), ": the model "
                                 "there has no minimum, so no local condition on the rate exists."), where)
    return say()


def local_range(obj: Objective, w0: Any, minimisers: list[Any], steps: list[Step]) -> Derived:
    """The answer "depends on the start", with the local conditions near minimisers and at w0."""
    steps.append(make_step("not_quadratic", say(Math(obj.head()), " is not a quadratic polynomial, so the argument "
                                                "for quadratics (one factor, the same at every step) does not apply: "
                                                "which rates converge can depend on where gradient descent starts."),
                           check=False))
    extra: dict = {}
    prose = say("not a quadratic: the range depends on the start.")
    for r in minimisers:
        prose = say(prose, _near_minimiser(obj, r, steps, extra))
    if w0 is not None:
        prose = say(prose, _at_start(obj, w0, steps, extra))
    elif not minimisers:
        prose = say(prose, " Give ", Code("start = ..."), " for the local condition at the starting point.")
    return Derived(make_answer(None, text="not a quadratic: the range depends on the start", value=None,
                               display="depends on the start", prose=prose, extra=extra), tuple(steps))
