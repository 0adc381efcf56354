"""Steps shared by gd, lr_range and optimal_lr, and the check of an answer's sentence.

In: an `Objective` and points.  Out: checked `Step`s (derivatives, values at a point),
the minimiser of a quadratic, `checked_prose(sentence, where)`: an answer's sentence
with every claimed relation checked exactly as a step's would be (CheckFailed if one
does not hold), so an answer restates only what a step has checked, and `diverged`: the
answer "diverges" of a run stopped by the divergence bound, in one and in several variables.
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from ...claims import check_rel, check_sentence
from ...errors import CheckFailed
from ...sentence import Rel, Sentence, say
from ...steps import Step, dedupe_chain, make_step
from ..registry import Derived, make_answer
from .display import Also, about, ordered, put, short_decimal
from .objective import Objective, tidy
from .run import bound
from ...notation_iterates import Approx


def derivative_steps(obj: Objective, order: int = 1) -> list[Step]:
    """f'(w) = d/dw (body) = ... and, for order 2, f''(w) = d/dw f'(w) = ...."""
    w = obj.var
    steps = [make_step("differentiate",
                       say("Differentiate ", Rel(obj.F(w), "=", ordered(obj.body, w), kind="definition"), ":"),
                       obj.Fp(w), sp.Derivative(ordered(obj.body, w), w), ordered(obj.d1, w),
                       where={obj.Fp(w): sp.Derivative(obj.body, w)})]
    if order >= 2:
        steps.append(make_step("differentiate", say("Differentiate again for the curvature:"),
                               obj.Fpp(w), sp.Derivative(ordered(obj.d1, w), w), ordered(obj.d2, w),
                               where={obj.Fpp(w): sp.Derivative(obj.body, (w, 2))}))
    return steps


def value_step(obj: Objective, order: int, point_sym: sp.Symbol, point: Any, lead: Sentence) -> Step:
    """f^(order)(w0) = (expression with w0 put in) = value, after the sentence `lead`
    (with the value's decimal, checked, when the value is irrational)."""
    expr = {0: obj.body, 1: obj.d1, 2: obj.d2}[order]
    head = {0: obj.F, 1: obj.Fp, 2: obj.Fpp}[order](point_sym)
    val = tidy(obj.at(expr, point))
    where = {point_sym: point, head: obj.deriv_at(point, order) if order else obj.at(obj.body, point)}
    text = say(lead, ":")
    if isinstance(about(val), Also) and not isinstance(val, sp.Rational):
        text = say(lead, " (", Rel(head, "≈", short_decimal(val)), "):")
    return make_step("substitute", text, *dedupe_chain([head, put(expr, obj.var, point), val]), where=where)


def minimiser(obj: Objective) -> Any:
    """w* of a quadratic with f'' != 0: the root of the linear f'."""
    return tidy(-obj.at(obj.d1, 0) / obj.d2)


def checked_prose(sentence: Sentence, where: dict | None = None) -> Sentence:
    """An answer's sentence with its claims checked (with `where`); CheckFailed if one fails."""
    marked, _ = check_sentence(sentence, dict(where or {}), "answer")
    return marked


def claim(lhs: Any, op: str, rhs: Any, where: dict) -> Rel:
    """A claim checked now with `where`; one that cannot be decided (a symbol of unknown
    sign) is shown as an assumption instead.  A false one raises CheckFailed."""
    rel = Rel(lhs, op, rhs)
    ok, _ = check_rel(rel, where)
    if ok is False:
        raise CheckFailed(f"a step would claim {Sentence((rel,))}, which does not hold")
    return rel if ok else Rel(lhs, op, rhs, kind="assumption")


def diverged(t: int, big: Any, start: list, steps: list[Step], what: str, newton: bool = False) -> Derived:
    """The run passed `bound(start)` at iteration t, `what` ("the new point") reaching size
    `big`: a checked step saying so and the statement answer "diverges" (diverged_at t)."""
    top, limit = sp.Symbol("M"), sp.Float(bound(start), 3)
    text = say(f"At iteration {t} {what} has size ", Rel(top, "≈", Approx(big)), ", ",
               Rel(top, ">", limit), ", more than 10¹² times the start's: derive stops the run and reports it as "
               "divergent with these settings",
               " (the learning rate is too large for this function and start)." if not newton else ".")
    steps.append(make_step("diverges", text, where={top: big}))
    return Derived(make_answer(None, text="diverges", value=None, display="diverges",
                               prose=checked_prose(text, {top: big}), extra={"diverged_at": t}), tuple(steps))
