"""`lr_range(f)` and `optimal_lr(f)` for a function of several variables.

In: the goal call; f takes a vector or several scalars (one scalar goes to the
one-variable derivers: these return None for it).
Out, for a quadratic (constant Hessian H with numbers): the Hessian's eigenvalues derived
(derive.derivers.solving.spectrum); `lr_range`: from x⁽ᵏ⁺¹⁾ − x* = (I − ηH)(x⁽ᵏ⁾ − x*),
convergence from every start ⇔ |1 − ηλᵢ| < 1 for every i ⇔ 0 < η < 2/λ_max;
`optimal_lr`: the fastest fixed rate 2/(λ_min + λ_max) with its factor
(λ_max − λ_min)/(λ_max + λ_min), and with `start` the one-step rate gᵀg/(gᵀHg) along
the start's gradient.  Not a quadratic: the range depends on the start (the honest answer
of the one-variable goal), with the model's condition at `start` when given.
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from ... import ast
from ...errors import SpecError, Unsupported
from ...model.problem import Problem
from ...sentence import Math, Rel, say
from ...steps import Step, make_step
from ..registry import Derived, make_answer
from ..solving.spectrum import spectrum
from .common import checked_prose
from .display import Between, Shown, about, num
from .multi import Multi, is_multi, multi_objective, start_point
from .objective import guarded
from ...notation_iterates import Approx, VSym
from .vgd import gradient_steps

ETA = sp.Symbol("eta", positive=True)
ETA_STAR = sp.Symbol("eta_star", positive=True)
LMIN, LMAX = sp.Symbol("lambda_min"), sp.Symbol("lambda_max")
NO_RATE = "no optimal learning rate"


def _show(x: Any) -> Any:
    """An eigenvalue or bound as shown: exact as it is, a decimal to 6 digits (full inside)."""
    return Approx(x) if isinstance(x, sp.Float) else num(x)


def _rate(x: Any) -> Any:
    """η* as shown in its step and in the answer's sentence alike: exact, with its decimal
    beside when that says more (1/4 = 0.25); a decimal rate to 6 digits (full inside)."""
    return Approx(x) if isinstance(x, sp.Float) else about(x)


def _hessian(obj: Multi, call: ast.Call) -> Any:
    """The constant Hessian of a quadratic with numbers (else an error at the function)."""
    if obj.hess.free_symbols:
        raise Unsupported(f"the Hessian of `{obj.name}` depends on {', '.join(sorted(map(str, obj.hess.free_symbols)))}"
                          "; give numbers for its symbols", call.args[0].pos)
    return obj.hess


def _eigen(obj: Multi, H: Any, steps: list[Step]) -> tuple:
    H_sym = sp.MatrixSymbol("H", obj.n, obj.n)
    spec = spectrum(H, H_sym)
    steps.extend(spec.steps)
    return spec.values


def _not_quadratic(problem: Problem, call: ast.Call, obj: Multi, steps: list[Step], goal: str) -> Derived:
    """The honest answer: the range depends on the start; the model's condition at `start`."""
    text = say(Math(obj.body), " is not a quadratic: its Hessian changes from point to point, so no single "
               "range of rates works from every start.")
    extra: dict = {}
    if call.kwarg("start") is not None:
        x0 = start_point(problem, call, obj, goal)
        H0 = obj.hess_at(x0)
        vals = spectrum(H0, sp.MatrixSymbol("H", obj.n, obj.n)).values
        steps.append(make_step("hessian_at", say("The Hessian at the start:"), obj.hess, H0,
                               where=dict(zip(obj.comps, x0))))
        if vals[0] > 0:
            hi = sp.radsimp(2 / vals[-1])
            extra["local_range"] = [0.0, float(sp.N(hi, 20))]
            text = say(text, " Near the start the second-order model converges for ", Math(Between(0, ETA, _show(hi))),
                       " (", Rel(LMAX, "=", _show(vals[-1])), ").")
    steps.append(make_step("not_quadratic", text, where={LMAX: vals[-1]} if extra else None))
    where = {LMAX: vals[-1]} if extra else {}
    return Derived(make_answer(None, text="not a quadratic: the range depends on the start", value=None,
                               display="depends on the start", prose=checked_prose(text, where), extra=extra),
                   tuple(steps))


def _range_steps(obj: Multi, vals: tuple) -> tuple[list[Step], Any]:
    """The error recursion and the ⇔ chain to 0 < η < 2/λ_max."""
    n = obj.n
    H, I = sp.MatrixSymbol("H", n, n), sp.Identity(n)
    x, star, e_k, e_k1 = (sp.MatrixSymbol(s, n, 1) for s in ("x", "x_star", "e_k", "e_k+1"))
    grad = VSym(f"at|{obj.name}|x|", n, 1)
    recursion = Rel(e_k1, "=", sp.MatMul(sp.MatAdd(I, sp.MatMul(-1, ETA, H)), e_k, evaluate=False), kind="fact")
    steps = [make_step("error_recursion", say(
        "For a quadratic with minimiser ", Math(star), " the gradient is ",
        Rel(grad, "=", sp.MatMul(H, sp.MatAdd(x, sp.MatMul(-1, star)), evaluate=False), kind="fact"),
        ", so the error ", Math(e_k), " of the k-th iterate obeys ", recursion,
        ": along an eigenvector of H with eigenvalue ", Math(sp.Symbol("lambda")),
        " the error is multiplied by ", Math(1 - ETA * sp.Symbol("lambda")), " at every step."), check=False)]
    distinct = list(dict.fromkeys(vals))
    each = sp.And(*[sp.Lt(sp.Abs(1 - ETA * v, evaluate=False), 1) for v in distinct], evaluate=False) \
        if len(distinct) > 1 else sp.Lt(sp.Abs(1 - ETA * distinct[0], evaluate=False), 1)
    per = sp.And(*[Between(0, ETA, _show(sp.radsimp(2 / v))) for v in distinct], evaluate=False) if len(distinct) > 1 \
        else Between(0, ETA, _show(sp.radsimp(2 / distinct[0])))
    hi = sp.radsimp(2 / vals[-1])
    steps.append(make_step("convergence", say("So gradient descent converges from every start exactly when every "
                                              "factor is smaller than 1 in size; the tightest bound is the one of ",
                                              Rel(LMAX, "=", _show(vals[-1])), ":"),
                           each, per, Between(0, ETA, _show(hi)), relation="⇔", where={LMAX: vals[-1]}))
    return steps, hi


@guarded
def lr_range_multi(problem: Problem, call: ast.Call) -> Derived | None:
    """lr_range(f) for f of several variables: 0 < η < 2/λ_max(H) for a convex quadratic."""
    if not is_multi(problem, call):
        return None
    obj = multi_objective(problem, call, "lr_range")
    steps = gradient_steps(obj, hessian=True)
    if not obj.quadratic:
        return _not_quadratic(problem, call, obj, steps, "lr_range")
    vals = _eigen(obj, _hessian(obj, call), steps)
    if not vals[0] > 0:
        text = say("The smallest eigenvalue is ", Rel(LMIN, "=", _show(vals[0])), ", ", Rel(LMIN, "≤", 0), ": along its "
                   "eigenvector the error is multiplied by ", Rel(1 - ETA * LMIN, "≥", 1), " for every positive "
                   "rate, so no learning rate converges from every start (", Math(obj.body),
                   " has no unique minimiser).")
        steps.append(make_step("no_convergence", text, where={LMIN: vals[0]}))
        return Derived(make_answer(sp.S.EmptySet, value=None, prose=checked_prose(text, {LMIN: vals[0]})),
                       tuple(steps))
    more, hi = _range_steps(obj, vals)
    steps.extend(more)
    prose = say("gradient descent converges from every start for ", Math(Between(0, ETA, _show(hi))), ", that is ",
                Rel(ETA, "<", sp.Mul(2, sp.Pow(LMAX, -1), evaluate=False)), " with ", Rel(LMAX, "=", _show(vals[-1])), ".")
    prose_where = {LMAX: vals[-1], ETA: hi / 2}
    return Derived(make_answer(sp.Interval.open(0, hi), value=[0.0, float(sp.N(hi, 20))],
                               prose=checked_prose(prose, prose_where),
                               extra={"eigenvalues": [float(sp.N(v, 20)) for v in vals]}), tuple(steps))


def _fixed_rate(vals: tuple, steps: list[Step]) -> tuple[Any, Any]:
    """η* = 2/(λ_min + λ_max) balances the slowest factors; ρ = (λ_max − λ_min)/(λ_max + λ_min)."""
    lo, hi = vals[0], vals[-1]
    best = sp.radsimp(2 / (lo + hi))
    rho = sp.radsimp((hi - lo) / (hi + lo))
    where = {LMIN: lo, LMAX: hi, ETA_STAR: best}
    op = "≈" if isinstance(lo, sp.Float) else "="
    text = say("A fixed rate multiplies the error along the eigenvectors by ", Math(1 - ETA * sp.Symbol("lambda")),
               "; the slowest of these factors is the one at ", Math(LMIN), " or at ", Math(LMAX),
               ", and it is smallest when the two balance, ", Rel(1 - ETA_STAR * LMIN, op, -(1 - ETA_STAR * LMAX)),
               ":")
    steps.append(make_step("fastest_rate", text, ETA_STAR, 2 / (LMIN + LMAX),
                           sp.Mul(2, sp.Pow(sp.Add(Shown(_show(lo)), Shown(_show(hi)), evaluate=False), -1),
                                  evaluate=False), _rate(best), where=where, relation=op))
    steps.append(make_step("rate_factor", say("Every error then shrinks at least by the factor ",
                                              Rel(sp.Abs(1 - ETA_STAR * LMIN), op, _show(rho)), " per step ",
                                              "(in one dimension ", Rel(LMIN, "=", LMAX, kind="fact"),
                                              " is f″ and this rate is 1/f″, the one-step rate):"),
                           sp.Abs(1 - ETA_STAR * LMAX), _show(rho), where=where, relation=op))
    return best, rho


def _line_search(obj: Multi, x0: Any, H: Any, steps: list[Step]) -> Any | None:
    """The exact line-search rate along −g at the start: gᵀg / gᵀHg (for a function that is
    not a quadratic, the step of its second-order model at the start, said so); None, with
    the reason as a step, when the gradient is 0 or gᵀHg ≤ 0 (the model has no minimum)."""
    g = obj.grad_at(x0)
    gHg = (g.T * H * g)[0, 0]
    gs = obj.g(0)
    if g.is_zero_matrix or not gHg > 0:
        return _no_line_search(obj, g, H, gs, steps)
    rate = sp.radsimp((g.T * g)[0, 0] / gHg)
    steps.append(make_step("gradient_at", say("The gradient at the start ", Math(obj.it(0)), ":"), gs,
                           g, where={gs: obj.fresh_grad(x0)}))
    if obj.quadratic:
        text = say("The best single step along the gradient minimises the second-order "
                   "model (the function itself, for a quadratic) on that line, at the rate")
    else:
        text = say(Math(obj.body), " is not a quadratic, so this is only the step of its second-order Taylor model "
                   "at the start: the rate that minimises the model (not the function itself) along the gradient,")
    steps.append(make_step("line_search", text,
                           sp.Symbol("eta_1"), sp.Mul(sp.MatMul(gs.T, gs), sp.Pow(sp.MatMul(gs.T, H, gs), -1),
                                                      evaluate=False), rate,
                           where={gs: g, sp.Symbol("eta_1"): rate}))
    return rate


def _no_line_search(obj: Multi, g: Any, H: Any, gs: Any, steps: list[Step]) -> None:
    """The reason no step along −g minimises the model: a zero gradient or gᵀHg ≤ 0."""
    if g.is_zero_matrix:
        text = say("The gradient at the start ", Math(obj.it(0)), " is 0: there is no direction to step in, so no "
                   "learning rate is better than another and there is no optimal one.")
        steps.append(make_step("no_rate", text, gs, g, where={gs: g}))
        return None
    Hs = sp.MatrixSymbol("H", obj.n, obj.n)
    curv, gHg = sp.MatMul(gs.T, Hs, gs), (g.T * H * g)[0, 0]
    text = say("With the Hessian at the start, ", Rel(Hs, "=", H), ", the second-order model along the gradient has "
               "curvature ", Rel(curv, "=", gHg), ", which is not "
               "positive: the model decreases without bound along that line, so no step size minimises it and "
               "there is no optimal learning rate.")
    steps.append(make_step("no_rate", text, where={gs: g, Hs: H}))
    return None


@guarded
def optimal_lr_multi(problem: Problem, call: ast.Call) -> Derived | None:
    """optimal_lr(f) for f of several variables: 2/(λ_min + λ_max); with `start`, gᵀg/(gᵀHg)."""
    if not is_multi(problem, call):
        return None
    obj = multi_objective(problem, call, "optimal_lr")
    steps = gradient_steps(obj, hessian=True)
    if not obj.quadratic:
        if call.kwarg("start") is None:
            raise SpecError("`optimal_lr` of a function that is not a quadratic needs `start = ...`", call.pos)
        x0 = start_point(problem, call, obj, "optimal_lr")
        rate = _line_search(obj, x0, obj.hess_at(x0), steps)
        if rate is None:
            return Derived(make_answer(None, text=NO_RATE, value=None, display="none"), tuple(steps))
        return Derived(make_answer(rate, value=float(sp.N(rate, 20))), tuple(steps))
    H = _hessian(obj, call)
    vals = _eigen(obj, H, steps)
    if not vals[0] > 0:
        text = say("The smallest eigenvalue is ", Rel(LMIN, "=", _show(vals[0])), ", not positive: there is no minimiser "
                   "to converge to, so no optimal learning rate.")
        steps.append(make_step("no_rate", text, where={LMIN: vals[0]}))
        return Derived(make_answer(None, text=NO_RATE, value=None, display="none",
                                   prose=checked_prose(text, {LMIN: vals[0]})),
                       tuple(steps))
    best, rho = _fixed_rate(vals, steps)
    extra = {"fixed_rate": float(sp.N(best, 20)), "factor": float(sp.N(rho, 20))}
    answer = best
    if call.kwarg("start") is not None:
        rate = _line_search(obj, start_point(problem, call, obj, "optimal_lr"), H, steps)
        if rate is not None:
            extra["line_search"] = float(sp.N(rate, 20))
            answer = rate
    prose = say(Rel(ETA_STAR, "=", _rate(best)), " is the fastest fixed rate", "." if answer is best else
                say("; from the start, the best single step along the gradient is ",
                    Rel(sp.Symbol("eta_1"), "=", answer), "."))
    return Derived(make_answer(answer, prose=checked_prose(prose, {ETA_STAR: best, sp.Symbol("eta_1"): answer}),
                               extra=extra), tuple(steps))
