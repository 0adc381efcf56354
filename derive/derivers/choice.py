"""`choice(EXPR)`: which option of the problem's `choices` equals the derived expression.

In: a problem with a `choices { (a) ... (e) none }` block and the goal `choice(EXPR)`
(EXPR may itself be a goal, e.g. `posterior(prior, likelihood, 1)`).  Out: the answer
with `choice = "d"` (letters joined by commas when several options match), and steps:

* the derived value of EXPR;
* for every matching option, the option simplified until it equals that value (checked);
* for every other option, a counterexample: values of the symbols the problem leaves
  free (never of a name it gives a value), respecting their assumptions (positive,
  nonnegative, integer), at which the option and the value are two different numbers;
  both are evaluated with those and the given values shown (each evaluation checked, and
  their order checked);
* `none` is chosen when nothing matches; no match and no `none` option is a SpecError.
"""
from __future__ import annotations

import random
from typing import Any

import sympy as sp

from .. import ast
from ..errors import SpecError
from ..model.expressions import scalarize
from ..model.problem import Problem
from ..notation import mathml_el
from ..sentence import Rel, join, say
from ..steps import Step, dedupe_chain, make_step
from ..verify import equal
from .evaluate import substituted
from .registry import Derived, make_answer
from .simplest import simplest

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


class OptionLabel(sp.Basic):
    """The letter(s) of the chosen option, shown as "(d)" or "(a), (c)" (an answer's display)."""

    def __new__(cls, label: str) -> "OptionLabel":
        return super().__new__(cls, sp.core.symbol.Str(label))

    def _shown(self) -> str:
        return "(%s)" % self.args[0].name.replace(",", "), (")

    def _latex(self, printer: Any) -> str:
        return r"\text{%s}" % self._shown()

    def _pretty(self, printer: Any) -> Any:
        from sympy.printing.pretty.stringpict import prettyForm
        return prettyForm(self._shown())

    def _mathml_presentation(self, printer: Any) -> Any:
        return mathml_el(printer, "mtext", text=self._shown())

    def _sympystr(self, printer: Any) -> str:
        return self._shown()


def choice(problem: Problem, call: ast.Call) -> Derived:
    """The matching option, with a simplification for it and a counterexample for every other one."""
    if not problem.choices:
        raise SpecError("`choice` needs a `choices { (a) ... }` block in this problem", call.pos)
    target = scalarize(problem.value(call.args[0]))
    if not isinstance(target, sp.Basic):
        raise SpecError("`choice` compares the options with a value; this argument has none", call.args[0].pos)
    from .titles import title
    steps: list[Step] = [make_step("derived", say("The value to match, ", title(problem, call.args[0]), ":"),
                                   target, check=False)]
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
    steps.append(make_step("verdict", say(verdict), check=False))
    return Derived(make_answer(target, text=label, value=None, display=OptionLabel(label), choice=label),
                   tuple(steps))


def _match_step(problem: Problem, opt: ast.Option, shown: Any, value: Any, target: Any) -> Step:
    chain = [shown]
    subs = problem.substitutions()
    if subs:
        chain.append(substituted(shown, subs))
    simpler = simplest(value) if isinstance(value, sp.Expr) else value
    chain = dedupe_chain([*chain, value, simpler, target])
    if len(chain) == 1:
        chain.append(target)
    return make_step("option_matches", say(f"Option ({opt.label}) simplifies to the derived value:"), *chain,
                     where=subs)


def _mismatch_step(problem: Problem, opt: ast.Option, shown: Any, value: Any, target: Any) -> Step:
    if not isinstance(value, sp.Expr) or not isinstance(target, sp.Expr):
        return make_step("option_differs", say(f"Option ({opt.label}) is not a scalar like the derived value."),
                         check=False)
    found = counterexample(value, target)
    if found is None:
        return make_step("option_differs", say(f"Option ({opt.label}) could not be shown equal to the derived value, "
                                               "and no counterexample with small whole numbers was found; it is not "
                                               "chosen."), check=False)
    point, a, b = found
    subs = problem.substitutions()
    at = {**point, **subs}
    substeps = (make_step("evaluate_option", say(f"Option ({opt.label}) there:"),
                          *dedupe_chain([shown, substituted(shown, at), a]), where=at),
                make_step("evaluate_answer", say("The derived value there:"),
                          *dedupe_chain([target, substituted(target, point), b]), where=at))
    simpler = simplest(value)
    note = say()
    if value.free_symbols and dedupe_chain([simpler, shown]) != [simpler]:
        note = say(" (", Rel(shown, "=", simpler), ")")
    where = (say("at ", join([Rel(s, "=", v, kind="definition") for s, v in point.items()], ", "),
                 ", values the problem leaves free,") if point else say("with the given values"))
    return make_step("option_differs", say(f"Option ({opt.label})", note, " is wrong: ", where, " it gives ", a,
                                           ", but the derived value is ", b, " (both evaluated below):"),
                     a, b, relation="<" if a < b else ">", where=subs, substeps=substeps)
