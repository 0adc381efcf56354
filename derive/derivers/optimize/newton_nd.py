"""One iteration of Newton's method in several variables, shown: x ← x − H(x)⁻¹∇f(x).

In: a `Multi`, the run's `Trace`, the iteration t, the previous point and the gradient
there.  Out: checked steps: the Hessian at x⁽ᵗ⁻¹⁾ with the numbers put in, and the new
point x⁽ᵗ⁻¹⁾ − H⁻¹∇f with the numbers (≈ when the run is in decimals).
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from ... import unevaluated

from ...sentence import Math, Rel, say
from ...steps import Step, make_step
from .formulas import shown_number
from .multi import Multi
from .rules import Trace, as_sympy
from ...notation_iterates import VSym, short_vec, vec


def hessian_symbol(obj: Multi, t: int) -> VSym:
    """H(x⁽ᵗ⁾), an n×n symbol printed like ∇²f(x⁽ᵗ⁾)."""
    return VSym(f"hess|{obj.name}|{obj.point}|{t}", obj.n, obj.n)


def newton_iteration(obj: Multi, trace: Trace, t: int, prev: Any, raw: Any, rel: str) -> list[Step]:
    """The Hessian at x⁽ᵗ⁻¹⁾ and the Newton step to x⁽ᵗ⁾."""
    xs, gs, xn = obj.it(t - 1), obj.g(t - 1), obj.it(t)
    Hs = hessian_symbol(obj, t - 1)
    fresh_h = sp.ImmutableMatrix(obj.n, obj.n, lambda i, j: sp.diff(obj.body, obj.comps[i], obj.comps[j]))
    fresh_h = sp.ImmutableMatrix(obj.at(fresh_h, prev))
    H = sp.ImmutableMatrix(obj.hess_at(prev).applyfunc(lambda e: sp.N(e, 30) if rel == "≈" else e))
    values = {c: shown_number(v) for c, v in zip(obj.comps, prev)}   # (unevaluated: equal values stay apart)
    put_in = obj.hess.applyfunc(lambda e: unevaluated.xreplace(e, values))
    new = vec(as_sympy(x) for x in trace.records[t - 1].values["x"])
    shown_h = short_vec(H)
    steps = [make_step("hessian_at", say("The Hessian there:"), Hs, put_in, shown_h,
                       where={Hs: fresh_h}, relation=rel)]
    formula = sp.MatAdd(xs, sp.MatMul(-1, sp.Inverse(Hs), gs, evaluate=False), evaluate=False)
    numbers = sp.MatAdd(short_vec(prev), sp.MatMul(-1, sp.Inverse(shown_h), short_vec(raw),
                                                   evaluate=False), evaluate=False)
    where = {xn: new, xs: prev, gs: obj.fresh_grad(prev), Hs: fresh_h}
    chain = [xn, formula, numbers, short_vec(new)] if rel == "=" else [xn, formula, short_vec(new)]
    steps.append(make_step("newton_step", say("The Newton step, to the stationary point of the second-order model at ",
                                              Math(xs), ":"), *chain, where=where, relation=rel))
    return steps


def newton_rule(obj: Multi) -> Step:
    """Newton's update as a definition, with what it is."""
    xs, xp = obj.it("t"), obj.it("t-1")
    rule = sp.MatAdd(xp, sp.MatMul(-1, sp.Inverse(hessian_symbol(obj, "t-1")), obj.g("t-1"), evaluate=False),
                     evaluate=False)
    return make_step("update_rule", say("Newton's method steps to the stationary point of the second-order Taylor "
                                        "model at the current point: ", Rel(xs, "=", rule, kind="definition"),
                                        ", defined while the Hessian is invertible."), check=False)
