"""`gd(f, start = w0, lr = eta, steps = k)`: the iterates of gradient descent, every step shown.

In: the goal call.  Out: a `Derived` whose answer is the list [w_1, ..., w_k] (exact while
the numbers stay short, 30-digit decimals after that), after steps that differentiate f,
simplify the update rule w_{k+1} = w_k - eta f'(w_k) with the numbers, show each iterate
with the numbers put in (w_1 = 5 - (1/10)(2*5 + 2) = 19/5), list long runs in a table,
and, for a quadratic, check the last iterate against the closed form
w_k = w* + (1 - eta f'')^k (w_0 - w*).  A run whose iterate passes 10¹² times the start's
size stops there: the answer is "diverges" (as for several variables), not a huge number.
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from ... import ast
from ...model.problem import Problem
from ...sentence import Math, Rel, join, say
from ...steps import Step, Table, dedupe_chain, make_step
from ..registry import Derived, make_answer
from .common import checked_prose, derivative_steps, diverged, minimiser
from .display import DIGITS, TABLE_ROWS, Shown, about, num, one_minus, ordered, plus, put, short, table_rows, times
from .objective import Objective, guarded, keyword, learning_rate, objective, steps_count, tidy
from .run import Run, run_gd

SHOWN_ALL = 10            # up to this many iterates, each gets its own step
SHOWN_HEAD = 3            # beyond it, the first few get steps and a table lists the rest
ETA = sp.Symbol("eta", positive=True)


def update_rule_step(obj: Objective, lr: Any) -> Step:
    """w_{k+1} = w_k - η f'(w_k) = (numbers in) = simplified rule."""
    wk, wk1 = obj.sym("k"), obj.sym("k+1")
    formula = wk - ETA * obj.Fp(wk)
    numbers = plus(wk, times(-1, Shown(lr), put(obj.d1, obj.var, wk)))
    rule = tidy(wk - lr * obj.at(obj.d1, wk))
    if rule.free_symbols - {wk} and rule.is_polynomial(*rule.free_symbols):
        rule = sp.collect(rule, wk)
    rule = ordered(rule, wk)
    grad = obj.deriv_at(wk)
    where = {wk1: wk - lr * grad, ETA: lr, obj.Fp(wk): grad}
    symbolic_rate = lr == ETA or (isinstance(lr, sp.Symbol) and lr.name == "eta")
    text = say("Gradient descent steps against the slope, ", Rel(wk1, "=", formula, kind="definition"),
               ":" if symbolic_rate else say("; with ", Rel(ETA, "=", num(lr)), ":"))
    return make_step("update_rule", text, *dedupe_chain([wk1, formula, numbers, rule]), where=where)


def _is(sym: sp.Symbol, x: Any) -> Rel:
    """`w_i = x` (with its decimal) or `w_i ≈ x` for a decimal iterate, to be checked with sym = x."""
    return Rel(sym, "≈", short(x)) if isinstance(x, sp.Float) else Rel(sym, "=", about(x))


def iterate_step(obj: Objective, lr: Any, i: int, prev: Any, new: Any) -> Step:
    """w_i = w_{i-1} - η f'(w_{i-1}) = (numbers in) = value."""
    wp, wi = obj.sym(i - 1), obj.sym(i)
    numbers = plus(prev, times(-1, Shown(lr), put(obj.d1, obj.var, prev)))
    decimal = isinstance(new, sp.Float)
    where = {wi: new, wp: prev, ETA: lr, obj.Fp(wp): obj.deriv_at(prev)}
    start = Rel(wp, "≈", short(prev)) if isinstance(prev, sp.Float) else Rel(wp, "=", prev)
    text = say(f"Iteration {i}, from ", start)
    text += say(": ", Rel(wi, "=", about(new)), ".") if about(new) != new and not decimal else ":"
    shown = short(new)
    if isinstance(new, sp.Expr) and len(new.free_symbols) == 1:
        shown = ordered(new, next(iter(new.free_symbols)), ascending=True)
    chain = dedupe_chain([wi, wp - ETA * obj.Fp(wp), numbers, shown])
    return make_step("gd_iterate", text, *chain, where=where, relation="≈" if decimal else "=")


def _finite(x: Any) -> bool:
    try:
        z = complex(sp.N(x, 20))
    except (TypeError, ValueError):
        return False
    return z == z and abs(z) != float("inf") and abs(z.imag) < 1e-12 * max(1.0, abs(z.real))


def iterate_table(obj: Objective, run: Run) -> Table:
    """k | w_k | decimal | f(w_k), head and tail when long."""
    numeric = not any(getattr(w, "free_symbols", None) for w in run.ws)
    wk = obj.sym("k")
    header: tuple = (sp.Symbol("k"), wk) + (("decimal", obj.F(wk)) if numeric else ())
    rows = []
    for i in table_rows(len(run.ws)):
        if i is None:
            rows.append(("⋮",) * len(header))
            continue
        w = run.ws[i]
        row: tuple = (sp.Integer(i), short(w))
        if numeric:
            fw = obj.at(obj.body, w)
            row += (sp.Float(sp.N(w, 20), 6), sp.Float(sp.N(fw, 20), 6) if _finite(fw) else "undefined")
        rows.append(row)
    return Table(header, tuple(rows), "The iterates and the value of the function at each.")


def _closed_form_verdict(obj: Objective, r: Any, at_start: bool) -> Any:
    """What |1 − η f''| says about the iterates (a consequence of w_k − w* = r^k (w_0 − w*))."""
    star = Math(obj.sym("star"))
    if at_start:
        return say("; the start is the stationary point itself, so every iterate stays there.")
    head = say(Rel(sp.Abs(num(r), evaluate=False), "<" if abs(r) < 1 else "=" if abs(r) == 1 else ">", 1), ", so ")
    if abs(r) < 1:
        return say("; ", head, "the iterates converge to ", star, ".")
    if abs(r) == 1:
        return say("; ", head, "the iterates never settle: they bounce between two points.")
    rest = ": this learning rate is too large" if obj.d2.is_positive else ""
    return say("; ", head, "the iterates move away from ", star, rest, ".")


def closed_form_step(obj: Objective, w0: Any, lr: Any, k: int, final: Any) -> Step | None:
    """For a quadratic: w_k = w* + (1 − η f'')^k (w_0 − w*), checked against the last iterate."""
    c = obj.d2
    if c == 0 or c.free_symbols or w0.free_symbols or lr.free_symbols:
        return None
    ws = minimiser(obj)
    r = 1 - lr * c
    wk, w0s, star = obj.sym(k), obj.sym(0), obj.sym("star")
    shown = plus(ws, times(sp.Pow(Shown(r), k, evaluate=False), Shown(plus(w0, times(-1, Shown(ws))))))
    decimal = isinstance(final, sp.Float)
    what = "minimiser" if c.is_positive else "stationary point (a maximum)"
    unrolled = plus(star, times(sp.Pow(Shown(num(r)), k, evaluate=False), plus(w0s, -star)))
    text = say("Check: ", Math(obj.head()), " is a quadratic, so each step multiplies the signed distance to the ",
               f"{what} ",
               Rel(star, "=", ws), " by ", Rel(one_minus(obj.head(2), ETA), "=", num(r)), " and ",
               Rel(wk, "≈" if decimal else "=", unrolled), _closed_form_verdict(obj, r, w0 == ws))
    where = {wk: final, star: ws, w0s: w0, ETA: lr, obj.head(2): c}
    return make_step("closed_form", text, *dedupe_chain([wk, shown, short(final)]), where=where,
                     relation="≈" if decimal else "=")


def _answer_prose(obj: Objective, run: Run) -> Any:
    """w_1 = 19/5 = 3.8, w_2 = ... (the first three and last two of a long run), each checked."""
    items = [_is(obj.sym(i), w) for i, w in enumerate(run.ws) if i > 0]
    if len(items) > 6:
        items = items[:3] + ["…"] + items[-2:]
    where = {obj.sym(i): w for i, w in enumerate(run.ws)}
    return checked_prose(say(join(items), "."), where)


@guarded
def gd(problem: Problem, call: ast.Call) -> Derived:
    """gd(f, start = w0, lr = η, steps = k): f', the update rule, every iterate."""
    obj = objective(problem, call, "gd")
    w0, _ = keyword(problem, call, "start", "gd", required=True, example="gd(f, start = 5, lr = 0.1, steps = 2)")
    lr, _ = learning_rate(problem, call, "gd", required=True)
    k, k_expr = steps_count(problem, call)
    run = run_gd(obj, w0, lr, k, k_expr)

    steps = derivative_steps(obj)
    steps.append(update_rule_step(obj, lr))
    if run.diverged is not None:
        k = run.diverged - 1
    shown = range(1, k + 1) if k <= SHOWN_ALL else range(1, SHOWN_HEAD + 1)
    for i in shown:
        steps.append(iterate_step(obj, lr, i, run.ws[i - 1], run.ws[i]))
    if run.switched is not None:
        steps.append(make_step("decimals", say("From ", Math(obj.sym(run.switched)), " on the exact values grow "
                                                f"too long to be useful; the iterates are computed to {DIGITS} "
                                                "significant digits and shown to 6."), check=False))
    if k > 1:
        lead = "All iterates:" if k <= TABLE_ROWS else f"All {k} iterates (the first and last {TABLE_ROWS // 2}):"
        steps.append(make_step("iterates", say(lead), table=iterate_table(obj, run), check=False))
    if run.diverged is not None:
        return diverged(run.diverged, abs(run.escaped), [w0], steps, "the new point")
    if obj.quadratic:
        step = closed_form_step(obj, w0, lr, k, run.ws[-1])
        if step is not None:
            steps.append(step)
    iterates = [sp.Float(w, 15) if isinstance(w, sp.Float) else w for w in run.ws[1:]]
    return Derived(make_answer(iterates, prose=_answer_prose(obj, run)), tuple(steps))

