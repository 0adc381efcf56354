"""`choice(EXPR)`: which option of the problem's `choices` equals the derived expression.

In: a problem with a `choices { (a) ... (e) none }` block and the goal `choice(EXPR)`
(EXPR may itself be a goal, e.g. `posterior(prior, likelihood, 1)`).  Out: the answer
with `choice = "d"` (letters joined by commas when several options match), and steps:

* the derived value of EXPR;
* for every matching option, the option simplified until it equals that value (checked);
* for every other option, a counterexample: values of the symbols, respecting their
  assumptions (positive, nonnegative, integer), at which the option and the value are
  two different numbers (both evaluations checked, and their order checked);
* `none` is chosen when nothing matches; no match and no `none` option is a SpecError.
"""
from __future__ import annotations

import itertools
import random
from typing import Any

import sympy as sp

from .. import ast
from ..errors import SpecError
from ..model.expressions import scalarize
from ..model.problem import Problem
from ..printing import latex
from ..steps import Step, make_step
from ..verify import equal
from .evaluate import substituted
from .registry import Derived, make_answer

TRIES = 60


def _candidates(symbols: list[sp.Symbol], seed: int = 0):
    """Points (symbol -> value) that respect each symbol's assumptions, simplest first."""
    def allowed(sym: sp.Symbol, v: int) -> bool:
        if sym.is_positive and v <= 0:
            return False
        if sym.is_nonnegative and v < 0:
            return False
        if sym.is_negative and v >= 0:
            return False
        if sym.is_nonzero and v == 0:
            return False
        return True

    base = list(range(1, len(symbols) + 1))
    first = [dict(zip(symbols, base)), dict(zip(symbols, reversed(base)))]
    for point in first:
        if all(allowed(s, v) for s, v in point.items()):
            yield {s: sp.Integer(v) for s, v in point.items()}
    rnd = random.Random(seed)
    for _ in range(TRIES):
        point = {}
        for s in symbols:
            while True:
                v = rnd.randint(-6, 9)
                if allowed(s, v):
                    break
            point[s] = sp.Integer(v)
        yield point


def _value_at(expr: Any, point: dict) -> Any:
    try:
        v = sp.simplify(scalarize(expr).xreplace(point).doit())
    except (ZeroDivisionError, TypeError, ValueError):
        return None
    if not (isinstance(v, sp.Expr) and v.is_number) or v.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        return None
    if v.is_real is False:
        return None
    return v


def counterexample(option: Any, answer: Any) -> tuple[dict, Any, Any] | None:
    """(point, option value, answer value) where the two differ, or None."""
    symbols = sorted(option.free_symbols | answer.free_symbols, key=lambda s: s.name)
    for point in _candidates(symbols):
        a, b = _value_at(option, point), _value_at(answer, point)
        if a is None or b is None:
            continue
        if sp.simplify(a - b) != 0:
            return point, a, b
    return None


def _point_text(point: dict) -> str:
    return ", ".join(f"${latex(s)} = {latex(v)}$" for s, v in point.items())


def choice(problem: Problem, call: ast.Call) -> Derived:
    """The matching option, with a simplification for it and a counterexample for every other one."""
    if not problem.choices:
        raise SpecError("`choice` needs a `choices { (a) ... }` block in this problem", call.pos)
    target = scalarize(problem.value(call.args[0]))
    if not isinstance(target, sp.Basic):
        raise SpecError("`choice` compares the options with a value; this argument has none", call.args[0].pos)
    steps: list[Step] = [make_step("derived", f"The value to match, `{call.args[0].pos.snippet()}`:", target,
                                   check=False)]
    matches: list[str] = []
    none_label = None
    for opt in problem.choices:
        if opt.expr is None:
            none_label = opt.label
            continue
        value = scalarize(problem.value(opt.expr))
        shown = scalarize(problem.display(opt.expr))
        ok, how = equal(value, target) if isinstance(value, sp.Basic) else (False, "")
        if ok is None and isinstance(value, sp.Expr) and isinstance(target, sp.Expr):
            ok = sp.simplify(value - target) == 0
        if ok:
            matches.append(opt.label)
            steps.append(_match_step(problem, opt, shown, value, target))
        else:
            steps.append(_mismatch_step(problem, opt, shown, value, target))
    if matches:
        label = ",".join(matches)
        verdict = (f"Option ({matches[0]}) is the answer." if len(matches) == 1 else
                   f"Options {', '.join(f'({m})' for m in matches)} all equal the derived value.")
    elif none_label is not None:
        label = none_label
        verdict = f"No option equals the derived value, so the answer is ({none_label}) none of the above."
    else:
        raise SpecError("no option equals the derived value and there is no `none` option", problem.choices_pos)
    steps.append(make_step("verdict", verdict, check=False))
    return Derived(make_answer(target, text=label, value=None, tex=r"\text{(%s)}" % label.replace(",", "), ("),
                               choice=label, prose=f"**({label.replace(',', '), (')})**"), tuple(steps))


def _match_step(problem: Problem, opt: ast.Option, shown: Any, value: Any, target: Any) -> Step:
    chain = [shown]
    subs = problem.substitutions()
    if subs and latex(substituted(shown, subs)) != latex(shown):
        chain.append(substituted(shown, subs))
    simpler = sp.factor(sp.cancel(sp.together(value))) if isinstance(value, sp.Expr) else value
    for form in (value, simpler, target):
        if latex(form) != latex(chain[-1]):
            chain.append(form)
    if len(chain) == 1:
        chain.append(target)
    return make_step("option_matches", f"Option ({opt.label}) simplifies to the derived value:", *chain, where=subs)


def _mismatch_step(problem: Problem, opt: ast.Option, shown: Any, value: Any, target: Any) -> Step:
    if not isinstance(value, sp.Expr) or not isinstance(target, sp.Expr):
        return make_step("option_differs", f"Option ({opt.label}) is not a scalar like the derived value.",
                         check=False)
    found = counterexample(value, target)
    if found is None:
        return make_step("option_differs", f"Option ({opt.label}) differs from the derived value symbolically "
                                            f"(no counterexample with small whole numbers was found).", check=False)
    point, a, b = found
    subs = problem.substitutions()
    at = dict(point)
    at.update(subs)
    substeps = (make_step("evaluate_option", f"Option ({opt.label}) there:", shown, a, where=at),
                make_step("evaluate_answer", "The derived value there:", target, b, where=at))
    where = _point_text(point) if point else "(no symbols)"
    simpler = sp.factor(sp.cancel(sp.together(value)))
    note = f" (it simplifies to ${latex(simpler)}$)" if value.free_symbols and latex(simpler) != latex(shown) else ""
    return make_step("option_differs", f"Option ({opt.label}){note} is wrong: at {where} it gives ${latex(a)}$, but the "
                                       f"derived value is ${latex(b)}$.", a, b, relation="<" if a < b else ">",
                     substeps=substeps)
