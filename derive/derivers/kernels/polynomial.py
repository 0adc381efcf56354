"""The steps of a polynomial kernel's feature map, shared with the Gaussian's truncation.

In: a `Kernel` and its coefficients {k: a_k} of (pᵀq)^k.  Out: the steps that write k as
Σ a_k (pᵀq)^k, expand it by the multinomial theorem, split each coefficient c_α as
√c_α·√c_α, list φ(p), count its components and check φ(p)ᵀφ(q) = k; and the answer.
Every equality shown is checked; the sentences' relations are definitions or facts.
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from ...derivations._display import group, plus, times
from ...notation import Named, ProdOver, SumOver
from ...sentence import Code, Math, Rel, Sentence, join, say
from ...steps import Step, Table, dedupe_chain, make_step
from ..registry import Derived, make_answer
from .monomials import Component, components, monomial
from .notation import ALPHA, K, MultiBinom, alpha_factorial, inner_display, phi, phi_alpha, space
from .read import Kernel

N, D = sp.Symbol("n", integer=True, positive=True), sp.Symbol("d", integer=True, positive=True)


def _multinomial_steps(comps: list[Component]) -> list[Step]:
    """One checked step per distinct multinomial coefficient (k choose α) = k!/(α₁!⋯αₙ!)."""
    seen: dict[tuple, Component] = {}
    for c in comps:
        seen.setdefault((c.degree, tuple(sorted(c.alpha, reverse=True))), c)
    steps = []
    for (deg, _), c in sorted(seen.items(), key=lambda kv: (-kv[0][0], kv[0][1])):
        if deg == 0:
            continue
        with sp.evaluate(False):
            den = sp.Mul(*[sp.factorial(a) for a in c.alpha if a > 0])
            frac = sp.factorial(deg) / den
        text = say(Math(MultiBinom(deg, *c.alpha)), " (and the same for every permutation of ", Math(ALPHA), "):")
        steps.append(make_step("multinomial_coefficient", text, frac, sp.Integer(c.multinomial)))
    return steps


def _binoms(degs: list[int], n: int) -> Any:
    with sp.evaluate(False):
        return sp.Add(*[sp.binomial(n + j - 1, j) for j in degs])


def _count_step(k: Kernel, coeffs: dict[int, Any], m: int, truncated: bool = False) -> Step:
    """How many components: C(n + d − 1, d) of degree d, C(n + d, d) up to degree d."""
    n, degs = k.n, sorted(coeffs)
    d = degs[-1]
    where = {N: sp.Integer(n), D: sp.Integer(d)}
    per_degree = sp.binomial(N + K - 1, K, evaluate=False)
    if len(degs) == 1:
        text = say(f"One component per monomial of degree exactly {d} in ", Rel(N, "=", n, kind="definition"),
                   " variables: ", Rel(sp.binomial(N + D - 1, D, evaluate=False), "=",
                                       sp.binomial(n + d - 1, d, evaluate=False)),
                   " components (a kernel without a constant term, ", Rel(D, "=", d, kind="definition"), ").")
        return make_step("count", text, sp.binomial(n + d - 1, d, evaluate=False), sp.Integer(m), where=where)
    if degs == list(range(d + 1)):
        hockey = Rel(sp.Sum(per_degree, (K, 0, D)), "=", sp.binomial(N + D, D, evaluate=False), kind="fact")
        text = say("One component per monomial of degree at most ", Rel(D, "=", d, kind="definition"), " in ",
                   Rel(N, "=", n, kind="definition"), " variables: ", hockey, ", here ",
                   Rel(sp.binomial(N + D, D, evaluate=False), "=", sp.binomial(n + d, d, evaluate=False)),
                   " components")
        if not truncated:
            text = text + say(" (with a constant term every degree 0 to ", Math(D), " appears; equivalently the "
                              "monomials of degree exactly ", Math(D), " in ", Math(N + 1), " variables, the extra one "
                              "carrying the constant)")
        return make_step("count", text + ".", _binoms(degs, n), sp.binomial(n + d, d, evaluate=False), sp.Integer(m),
                         where=where)
    text = say(f"One component per monomial of the degrees {', '.join(map(str, degs))} that appear, ",
               Math(per_degree), " of degree ", Math(K), " in ", Rel(N, "=", n, kind="definition"), " variables:")
    return make_step("count", text, _binoms(degs, n), sp.Integer(m))


def table(k: Kernel, comps: list[Component], show_a: bool) -> Table:
    """One row per monomial: α, the monomial, its coefficients and φ_α(p)."""
    header = ["α", "monomial", "multinomial"] + (["a_k"] if show_a else []) + ["c_α", "√c_α", "φ_α(p)"]
    rows = []
    for c in comps:
        row = ["(" + ", ".join(map(str, c.alpha)) + ")", times(monomial(k.p, c.alpha), monomial(k.q, c.alpha)),
               sp.Integer(c.multinomial)]
        if show_a:
            row.append(c.a)
        row += [c.c, c.root, c.phi_p]
        rows.append(tuple(row))
    return Table(tuple(header), tuple(rows), "one row per monomial")


def _inner_words(k: Kernel) -> Sentence:
    """`pᵀq = p₁q₁ + … (with p, q ∈ ℝⁿ)` for vectors, `x y (scalars, n = 1)` for scalars."""
    shown = inner_display(k.params, k.n, bool(k.where))
    if not k.where:
        return say(Math(shown), " (scalars, ", Rel(N, "=", 1, kind="definition"), ")")
    a, b = (sp.MatrixSymbol(x, k.n, 1) for x in k.params)
    return say(Rel(shown, "=", k.inner(), kind="definition"), " (with ", Math(a), " and ",
               Rel(b, "∈", space("R", k.n), kind="definition"), ")")


def _theorem() -> Sentence:
    """The multinomial theorem, stated (a fact)."""
    i = sp.Symbol("i")
    p, q, al = (sp.IndexedBase(x) for x in ("p", "q", "alpha"))
    lhs = sp.Pow(SumOver(p[i] * q[i], i), K, evaluate=False)
    rhs = SumOver(sp.Mul(sp.binomial(K, ALPHA, evaluate=False), ProdOver(sp.Pow(p[i] * q[i], al[i]), i),
                         evaluate=False), sp.Eq(sp.Abs(ALPHA), K))
    coef = Rel(sp.binomial(K, ALPHA, evaluate=False), "=",
               sp.Mul(sp.factorial(K), sp.Pow(alpha_factorial(), -1, evaluate=False), evaluate=False), kind="definition")
    return say(Rel(lhs, "=", rhs, kind="fact"), " with ", coef)


def polynomial_steps(k: Kernel, coeffs: dict[int, Any]) -> tuple[list[Step], list[Component], list]:
    """Write k in pᵀq, expand, split the coefficients: (steps, components, the chain back to k)."""
    s = k.inner()
    g_of_s = plus([times(coeffs[deg], sp.Pow(s, deg, evaluate=False) if deg > 1 else s if deg == 1 else 1)
                   for deg in sorted(coeffs, reverse=True)])
    steps = [make_step("kernel", say("Write the kernel as a polynomial in ", _inner_words(k), ":"),
                       *dedupe_chain([k.display, g_of_s, k.body]), where=k.where)]
    comps = components(k.p, k.q, coeffs, k.pos)
    grouped = plus([times(c.c, group(monomial(k.p, c.alpha)), group(monomial(k.q, c.alpha))) for c in comps])
    p_a, q_a = sp.Pow(sp.Symbol("p"), ALPHA), sp.Pow(sp.Symbol("q"), ALPHA)
    steps.append(make_step("multinomial", say("Expand with the multinomial theorem, ", _theorem(),
                                              ", and group each monomial as ", Math(sp.Mul(p_a, q_a, evaluate=False)),
                                              " (the p-part times the same q-part):"),
                           g_of_s, grouped, substeps=_multinomial_steps(comps)))
    show_a = any(c.a != 1 for c in comps)
    steps.append(make_step("split_coefficients", _split_words(k, show_a), grouped,
                           plus([times(group(c.phi_p), group(c.phi_q)) for c in comps]),
                           table=table(k, comps, show_a)))
    sym_notes = [c for c in comps if c.c.free_symbols and not c.c.is_nonnegative]
    if sym_notes:
        names = sorted({x for c in sym_notes for x in c.c.free_symbols}, key=str)
        text = say("The square roots are real when the coefficients are nonnegative, i.e. for ", join(names),
                   " with ", Rel(sp.Symbol("c_alpha"), "≥", 0, kind="assumption"), " (declare them ",
                   Code("nonnegative"), " to say so); the identity below holds either way.")
        steps.append(make_step("assumption", text, check=False))
    return steps, comps, [grouped, g_of_s, k.display]


def _split_words(k: Kernel, show_a: bool) -> Sentence:
    c_a, a_k = sp.Symbol("c_alpha"), sp.Symbol("a_k")
    binom = sp.binomial(K, ALPHA, evaluate=False)
    coeff = (say(Rel(c_a, "=", sp.Mul(a_k, binom, evaluate=False), kind="definition"), ", where ", Math(a_k),
                 " is the coefficient of ", Math(sp.Pow(inner_display(("p", "q"), k.n, True), K, evaluate=False)))
             if show_a else say(Rel(c_a, "=", binom, kind="definition")))
    root = sp.sqrt(c_a)
    p, q = k.params
    return say("Split every coefficient ", coeff, ", as ", Math(sp.Mul(root, root, evaluate=False)),
               f" and give one factor to {p} and one to {q}, so each term is a product ",
               Math(sp.Mul(phi_alpha(p), phi_alpha(q), evaluate=False)), " with ",
               Rel(phi_alpha(p), "=", sp.Mul(root, sp.Pow(sp.Symbol(p), ALPHA), evaluate=False),
                   kind="definition"), ":")


def finish(k: Kernel, comps: list[Component], coeffs: dict[int, Any], target_chain: list, intro: str,
           where: dict, truncated: bool = False) -> tuple[list[Step], sp.ImmutableMatrix]:
    """φ(p) listed, its size counted, and φ(p)ᵀφ(q) checked against the kernel."""
    m = len(comps)
    phi_vec = sp.ImmutableMatrix(m, 1, [c.phi_p for c in comps])
    text = say(intro, " ", Rel(phi(k.params[0]), "∈", space("R", m), kind="definition"),
               " lists one component per monomial (", Rel(sp.Symbol(k.params[0]), "=", sp.Tuple(*k.p), kind="definition"),
               "):")
    steps = [make_step("feature_map", text, Named(phi(k.params[0]), phi_vec), phi_vec),
             _count_step(k, coeffs, m, truncated)]
    prods = plus([times(group(c.phi_p), group(c.phi_q)) for c in comps])
    with sp.evaluate(False):
        lhs = sp.MatMul(phi_vec.T, sp.ImmutableMatrix(m, 1, [c.phi_q for c in comps]))
    steps.append(make_step("check_inner_product", "Check: the inner product of the feature vectors gives back the "
                           "kernel.", *dedupe_chain([lhs, prods, *target_chain]), where=where))
    return steps, phi_vec


def answer(k: Kernel, comps: list[Component], phi_display: sp.ImmutableMatrix, note: Sentence | None = None) -> Any:
    """The answer φ(p) (its value the components, evaluated), with a note for a truncation."""
    value = sp.ImmutableMatrix(len(comps), 1, [sp.sympify(c.phi_p, strict=True).doit() for c in comps])
    prose = None
    if note is not None:
        prose = say(note, " ", Rel(phi(k.params[0]), "=", phi_display, kind="definition"))
    return make_answer(value, display=phi_display, prose=prose, extra={"components": len(comps)})


def polynomial(k: Kernel, coeffs: dict[int, Any]) -> Derived:
    """φ for a polynomial kernel with coefficients `coeffs` of (pᵀq)^k."""
    steps, comps, back = polynomial_steps(k, coeffs)
    more, phi_vec = finish(k, comps, coeffs, back, "Reading off the components,", k.where)
    return Derived(answer(k, comps, phi_vec), tuple(steps + more))

