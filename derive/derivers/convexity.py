"""`convex(f, x)`: whether a scalar function is convex in x, decided from its Hessian
with the problem's given values.

In:  a problem and the call `convex(f, x)`; x a scalar symbol or a vector.
Out: `Derived` with answer true/false, the Hessian's steps (matcalc) and the verdict's.

Order of the argument:
1. the Hessian ∇²f in closed form (`matcalc.hessian_steps`);
2. every `let`/`input`/`param` value is put in (`definite.given_values`; x itself stays
   free), shown as a checked substitution;
3. a numeric Hessian (constant, all values given) is decided exactly
   (`definite.verdict_steps`): positive definite (leading principal minors) → strictly
   convex; positive semidefinite and singular (H = L D Lᵀ, a null vector) → convex, not
   strictly; otherwise a direction v with vᵀHv < 0 → not convex;
4. a Hessian that still has free matrices: a sum of squares with nonnegative weights →
   convex;
5. otherwise a counterexample: values for what the problem leaves free (x, declared
   symbols, vectors and matrices without values, sizes) where the Hessian has a direction
   of negative curvature, found exactly at that point and shown with the given values.
"""
from __future__ import annotations

import random
from typing import Any

import sympy as sp

from .. import ast
from ..errors import Unsupported
from ..model import functions as F
from ..model.problem import Problem
from ..sentence import Math, Rel, Sentence, join, say
from ..steps import Step, dedupe_chain, make_step
from . import definite as DF
from ..engines import matpoly as M
from .matcalc import hessian_steps
from ..engines.matpoly import Poly
from .registry import Derived, make_answer

TRIES = 30          # random points tried for a counterexample


def _yes(prose: Sentence) -> Any:
    return make_answer(sp.true, text="True", value=True, prose=prose)


def _no(prose: Sentence) -> Any:
    return make_answer(sp.false, text="False", value=False, prose=prose)


def _hessian_name(x: Any) -> sp.MatrixSymbol:
    return sp.MatrixSymbol("H", x.shape[0], x.shape[0])


def convex(problem: Problem, call: ast.Call) -> Derived:
    H, steps, x, f_sym, where = hessian_steps(problem, call, "convex")
    given = DF.given_values(problem, frozenset({x}))
    if isinstance(x, sp.Symbol):
        return _convex_scalar(H, steps, x, f_sym, given)
    He = M.poly_expr(H, x)
    if DF.uses(He, given):
        return _convex_given(He, steps, x, f_sym, given, call)
    if not H.depends_on(x):
        quad = _quadratic_form(H, sp.MatrixSymbol("v", x.shape[0], 1))
        if quad is not None:
            return _sum_of_squares(quad, He, steps, x, f_sym)
    verdict = _counterexample(He, x, f_sym, steps)
    if verdict is not None:
        return verdict
    if H.depends_on(x):
        raise Unsupported(f"the Hessian depends on `{x}`; deciding convexity needs more than its form")
    raise Unsupported(f"could not decide whether the Hessian {He} is positive semidefinite "
                      "for every value of the other matrices", call.pos)


def _sum_of_squares(quad: tuple, He: Any, steps: list[Step], x: Any, f_sym: Any) -> Derived:
    v = sp.MatrixSymbol("v", x.shape[0], 1)
    vHv = sp.MatMul(sp.Transpose(v), He, v, evaluate=False)
    steps.append(make_step("quadratic_form", say("For any vector ", Math(v), " (the shape of ", Math(x), "), the "
                                                 "quadratic form of the Hessian is a sum of squares",
                                                 _weights(quad), ":"), vHv, quad[0], quad[1]))
    steps.append(make_step("nonnegative", say("A squared norm is never negative, so"), quad[1], sp.Integer(0),
                           relation="≥"))
    prose = say("Yes: for every ", Math(v), " the quadratic form of the Hessian is ", Math(quad[1]), ", never "
                "negative, so the Hessian is positive semidefinite everywhere and ", Math(f_sym), " is convex in ",
                Math(x), " (every local minimum is a global one).")
    return Derived(_yes(prose), tuple(steps))


def _substitute_step(expr: Any, given: dict, text: Sentence) -> tuple[Any, Step]:
    """(value, checked step expr = expr with the values shown = value)."""
    from .evaluate import substituted
    val = DF.explicit(expr.xreplace(given))
    shown = substituted(expr, {k: v for k, v in given.items() if k in expr.atoms(sp.MatrixSymbol)
                               or k in expr.free_symbols})
    return val, make_step("substitute", text, *dedupe_chain([expr, shown, val]), where=given)


def _convex_given(He: Any, steps: list[Step], x: Any, f_sym: Any, given: dict, call: ast.Call) -> Derived:
    """The Hessian with the given values put in, then decided (exactly when it is numeric)."""
    Hs = _hessian_name(x)
    val, step = _substitute_step(He, given, say("With the given values the Hessian ", Math(Hs), " is"))
    steps.append(step)
    if DF.numeric_matrix(val):
        verdict = DF.verdict_steps(val, Hs)
        if verdict is None:
            raise Unsupported(f"could not decide the signs of the pivots of the Hessian {val.tolist()}", call.pos)
        steps.extend(verdict.steps)
        if verdict.kind == "pd":
            prose = say("Yes: with the given values the Hessian is constant and positive definite, since ",
                        verdict.reason, "; so ", Math(f_sym), " is strictly convex in ", Math(x), ".")
        elif verdict.kind == "psd":
            prose = say("Yes, but not strictly: with the given values the Hessian is constant and positive "
                        "semidefinite, since ", verdict.reason, "; so ", Math(f_sym), " is convex in ", Math(x),
                        " and linear along that direction.")
        else:
            prose = say("No: with the given values the Hessian is constant and not positive semidefinite: ",
                        verdict.reason, "; so ", Math(f_sym), " curves downwards along that direction and is not "
                        "convex in ", Math(x), ".")
        return Derived(_yes(prose) if verdict.kind != "not_psd" else _no(prose), tuple(steps))
    try:
        Hp = M.to_poly(val)
    except Unsupported:
        Hp = None
    if Hp is not None and not Hp.depends_on(x):
        quad = _quadratic_form(Hp, sp.MatrixSymbol("v", x.shape[0], 1))
        if quad is not None:
            return _sum_of_squares(quad, val, steps, x, f_sym)
    mixed = _constant_part(val, x, f_sym, steps)
    if mixed is not None:
        return mixed
    verdict = _counterexample(val, x, f_sym, steps)
    if verdict is not None:
        return verdict
    raise Unsupported(f"with the given values the Hessian is {val}; could not decide whether it is "
                      "positive semidefinite for every value of what is left free", call.pos)


def _constant_part(val: Any, x: Any, f_sym: Any, steps: list[Step]) -> Derived | None:
    """∇²f = R + C with C the given numbers and R a sum of squares in the free matrices:
    convex when C is positive semidefinite (vᵀ∇²f v = vᵀRv + vᵀCv ≥ 0); else None."""
    if not isinstance(val, sp.MatAdd):
        return None
    consts = [a for a in val.args if DF.numeric_matrix(a)]
    rest = [a for a in val.args if not DF.numeric_matrix(a)]
    if not consts or not rest:
        return None
    C = sp.ImmutableMatrix(sum(consts[1:], consts[0]))
    R = sp.MatAdd(*rest, evaluate=False) if len(rest) > 1 else rest[0]
    try:
        Rp = M.to_poly(R)
    except Unsupported:
        return None
    v = sp.MatrixSymbol("v", x.shape[0], 1)
    Cs = sp.MatrixSymbol("C", *C.shape)
    quad = None if Rp.depends_on(x) else _quadratic_form(Rp, v)
    verdict = DF.verdict_steps(C, Cs)
    if quad is None or verdict is None or verdict.kind == "not_psd":
        return None
    split = sp.MatAdd(R, C, evaluate=False)
    if len(dedupe_chain([val, split])) == 2:     # (they print differently)
        steps.append(make_step("split", say("Split it into the part with the free matrices and the constant "
                                            "part:"), val, split))
    steps.append(make_step("quadratic_form", say("For any vector ", Math(v), ", the quadratic form of the part "
                                                 "with the free matrices is a sum of squares", _weights(quad), ":"),
                           sp.MatMul(sp.Transpose(v), R, v, evaluate=False),
                           quad[0], quad[1]))
    steps.append(make_step("constant", say("and the constant part ", Rel(Cs, "=", C, kind="definition"),
                                           " is positive semidefinite:"), check=False, substeps=verdict.steps))
    prose = say("Yes: the quadratic form of the Hessian is ", Math(quad[1]), " plus that of ", Math(Cs),
                ", and ", Math(Cs), " is positive semidefinite (", verdict.reason, "); so the Hessian is positive "
                "semidefinite everywhere and ", Math(f_sym), " is convex in ", Math(x), ".")
    return Derived(_yes(prose), tuple(steps))


def _convex_scalar(H: Poly, steps: list[Step], x: Any, f_sym: Any, given: dict) -> Derived:
    h = sp.sympify(M.poly_expr(H), strict=True)
    d2 = sp.Derivative(f_sym, (x, 2))
    if DF.uses(h, given):
        h, step = _substitute_step(h, given, say("With the given values the second derivative is"))
        steps.append(step)
    if not h.free_symbols:
        s = DF.sign(h)
        if s is None:
            raise Unsupported(f"could not decide the sign of the second derivative {h}")
        rel = {1: ">", 0: "≥", -1: "<"}[s]
        steps.append(make_step("sign", say("The second derivative is the constant ", Math(h), ":"), h,
                               sp.Integer(0), relation=rel))
        fact = DF.checked(say(Rel(h, rel, 0)))
        if s > 0:
            return Derived(_yes(say("Yes: ", Math(d2), " = ", fact, " everywhere, so ", Math(f_sym),
                                    " is strictly convex.")), tuple(steps))
        if s == 0:
            return Derived(_yes(say("Yes: the second derivative is 0 everywhere, so ", Math(f_sym),
                                    " is linear: convex, not strictly.")), tuple(steps))
        return Derived(_no(say("No: ", Math(d2), " = ", fact, " everywhere, so ", Math(f_sym),
                               " is concave, not convex.")), tuple(steps))
    if h.is_nonnegative or h.is_negative:
        return _sign_from_assumptions(h, d2, steps, f_sym)
    rnd = random.Random(5)
    for _ in range(TRIES):
        from ..verify import _random_point
        point = _random_point([h], rnd)
        val = sp.simplify(h.xreplace(point))
        if DF.sign(val) == -1:
            return _scalar_counterexample(h, d2, point, val, steps, x, f_sym)
    raise Unsupported(f"the sign of the second derivative {h} is not determined")


def _sign_from_assumptions(h: Any, d2: Any, steps: list[Step], f_sym: Any) -> Derived:
    """The verdict when the symbols' assumptions decide the sign of h = f″: a checked step
    `h > 0` (or `≥ 0`, `< 0`) for every value of its symbols, and the reason with it."""
    rel = ">" if h.is_positive else "≥" if h.is_nonnegative else "<"
    names = sorted(h.free_symbols, key=lambda s: s.name)
    symbols = join([Math(s) for s in names], ", ", " and ")
    steps.append(make_step("sign", say("For every value of ", symbols, " allowed by ", "its" if len(names) == 1
                                       else "their", " assumptions the second derivative is"),
                           h, sp.Integer(0), relation=rel))
    fact = DF.checked(say(Rel(h, rel, 0)))
    if rel == "<":
        return Derived(_no(say("No: ", Math(d2), " = ", fact, " everywhere, so ", Math(f_sym), " is not convex.")),
                       tuple(steps))
    return Derived(_yes(say("Yes: ", Math(d2), " = ", fact, " everywhere, so ", Math(f_sym), " is convex.")),
                   tuple(steps))


def _at(items: list) -> Sentence:
    """`x = 1, λ = −2`: the values a counterexample chooses (its definition of the point)."""
    return join([Rel(k, "=", v, kind="definition") for k, v in items])


def _scalar_counterexample(h: Any, d2: Any, point: dict, val: Any, steps: list[Step], x: Any,
                           f_sym: Any) -> Derived:
    from .evaluate import substituted
    at = _at(sorted(point.items(), key=lambda kv: kv[0].name))
    steps.append(make_step("counterexample", say("At ", at, " the second derivative is"), h,
                           substituted(h, point), val, where=point))
    steps.append(make_step("negative", say("which is negative:"), val, sp.Integer(0), relation="<"))
    free = [k for k in point if k != x]
    which = say(" for every value of ", join([Math(k) for k in free])) if free else say()
    prose = say("No: at ", at, " the second derivative is ", DF.checked(say(Rel(val, "<", 0))), ", so ",
                Math(f_sym), " is not convex", which, ".")
    return Derived(_no(prose), tuple(steps))


def _quadratic_form(H: Poly, v: Any) -> tuple[Any, Any, tuple] | None:
    """vᵀHv as (Σ cₖ (Aₖv)ᵀ(Aₖv), Σ cₖ‖Aₖv‖², (c₁, c₂, ...)) with cₖ ≥ 0, or None."""
    products, norms, weights = [], [], []
    for t in H.sorted_terms():
        if t.scalars or not t.chain:
            return None
        c = sp.sympify(t.coef, strict=True)
        if not c.is_nonnegative:
            return None
        ch = t.chain
        if len(ch) == 1 and isinstance(ch[0].base, sp.Identity):
            hv = v
        elif len(ch) % 2 == 0 and M.symmetric_chain(ch):
            hv = sp.MatMul(M.chain_expr(ch[len(ch) // 2:]), v)
        else:
            return None
        products.append(sp.MatMul(c, sp.Transpose(hv), hv, evaluate=False) if c != 1
                        else sp.MatMul(sp.Transpose(hv), hv, evaluate=False))
        norms.append(c * F.Norm(hv) ** 2)
        weights.append(c)
    if not products:
        return None
    sum_p = sp.MatAdd(*products, evaluate=False) if len(products) > 1 else products[0]
    return sum_p, sp.Add(*norms), tuple(weights)


def _weights(quad: tuple) -> Sentence:
    """" with nonnegative weights (2 ≥ 0, 2λ ≥ 0)": each weight's sign a claim, checked (from
    the symbols' assumptions for a symbolic one)."""
    distinct = sorted(set(quad[2]), key=sp.default_sort_key)
    return say(" with nonnegative weights (", join([Rel(c, "≥", 0) for c in distinct]), ")")


def _counterexample(He: Any, x: Any, f_sym: Any, steps: list[Step]) -> Derived | None:
    """Values for what is left free in He (x, free matrices and symbols, sizes) where the
    Hessian is numeric and has a direction v with vᵀHv < 0, found by exact elimination."""
    from ..verify import _random_point, _subs_point
    rnd = random.Random(5)
    for _ in range(TRIES):
        point = _random_point([He], rnd)
        try:
            Hn = _subs_point(He, point)
        except (TypeError, ValueError, sp.ShapeError):
            return None
        if not isinstance(Hn, sp.MatrixBase):
            Hn = sp.ImmutableMatrix([[Hn]])
        if not DF.numeric_matrix(Hn):
            return None
        d = DF.classify(sp.ImmutableMatrix(Hn))
        if d is not None and d.kind == "not_psd":
            return _show_counterexample(He, point, d.witness, steps, f_sym, x)
    return None


def _show_counterexample(He: Any, point: dict, v: Any, steps: list[Step], f_sym: Any, x: Any) -> Derived:
    sizes = _size_symbols(He)
    dims = {k: val for k, val in point.items() if k in sizes}
    chosen = {k: val for k, val in point.items() if k not in dims}
    shown = He.xreplace(chosen).xreplace(dims)
    items = sorted(chosen.items(), key=lambda kv: kv[0].name) + sorted(dims.items(), key=lambda kv: kv[0].name)
    at = _at(items)
    q = sp.MatMul(v.T, shown, v, evaluate=False)
    val = _value(q)
    steps.append(make_step("counterexample", say("At ", at, " and for the direction ", Math(v), ", the quadratic "
                                                 "form of the Hessian is"), q, val))
    steps.append(make_step("negative", say("which is negative:"), val, sp.Integer(0), relation="<"))
    others = [k for k, _ in items if k != x]
    which = say(" for every value of ", join([Math(k) for k in others])) if others else say()
    prose = say("No: at ", at, " the quadratic form of the Hessian along ", Math(v), " is ",
                DF.checked(say(Rel(val, "<", 0))), ", so ", Math(f_sym), " is not convex in ", Math(x), which,
                " (a convex function has a positive semidefinite Hessian everywhere).")
    return Derived(_no(prose), tuple(steps))


def _size_symbols(e: Any) -> set:
    """The symbols in the shapes of the matrices of e (sizes such as d)."""
    out: set = set()
    for m in e.atoms(sp.MatrixSymbol, sp.Identity, sp.ZeroMatrix, sp.OneMatrix):
        for s in m.shape:
            out |= getattr(s, "free_symbols", set())
    return out


def _value(q: Any) -> Any:
    out = q.doit()
    if hasattr(out, "as_explicit") and not isinstance(out, sp.MatrixBase):
        out = out.as_explicit()
    if isinstance(out, sp.MatrixBase):
        out = out[0, 0]
    return sp.simplify(out)
