"""The feature map of a Gaussian (RBF) kernel A·exp(−γ‖p − q‖²), truncated at a degree.

In: a `Kernel` with k = A·exp(−γ‖p‖² − γ‖q‖² + β pᵀq) and the degree D (default 2).
Out: a `Derived`: the kernel split into a factor of p, a factor of q and exp(β pᵀq), the
Taylor series of that exponential, the infinite feature map φ_α(p) = √A e^{−γ‖p‖²}
√(β^{|α|}/α!) p^α, its truncation at |α| ≤ D (checked: φ(p)ᵀφ(q) is the truncated
series) and the tail it leaves out.
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from ...derivations._display import group, plus, times
from ...errors import SpecError
from ...notation import Norm, SumOver
from ...sentence import Code, Math, Rel, say
from ...steps import Step, make_step
from ..registry import Derived
from .classify import as_gaussian
from .monomials import check_count, components
from .notation import ALPHA, K, Dot, alpha_factorial, inner_display, phi, phi_alpha, space
from .polynomial import answer, finish, table
from .read import Kernel

DEFAULT_ORDER = 2
BETA, GAMMA, S = sp.Symbol("beta"), sp.Symbol("gamma"), sp.Symbol("s", real=True)


def _exp_of(coef: Any, x: Any) -> Any:
    return sp.exp(sp.Mul(coef, x, evaluate=False), evaluate=False)


def _split_step(k: Kernel, amp: Any, gamma: Any, beta: Any) -> Step:
    """k = A · e^{−γ‖p‖²} · e^{−γ‖q‖²} · e^{β pᵀq}, checked."""
    sq_p = plus([sp.Pow(x, 2, evaluate=False) for x in k.p])
    sq_q = plus([sp.Pow(x, 2, evaluate=False) for x in k.q])
    s = k.inner()
    factored = times(amp, _exp_of(-gamma, sq_p) if gamma != 0 else 1, _exp_of(-gamma, sq_q) if gamma != 0 else 1,
                     _exp_of(beta, s))
    p, q = (sp.MatrixSymbol(x, k.n, 1) for x in k.params)
    pq = inner_display(k.params, k.n, True)
    law = Rel(sp.Pow(Norm(sp.MatAdd(p, sp.MatMul(-1, q))), 2), "=",
              sp.Add(sp.Pow(Norm(p), 2), sp.Mul(-2, pq, evaluate=False), sp.Pow(Norm(q), 2), evaluate=False),
              kind="fact")
    text = say("Expand the exponent, ", law, ", and split the exponential into a factor of ", Math(p),
               ", a factor of ", Math(q), " and a function of ", Math(pq), ":")
    return make_step("kernel", text, k.display, k.body, factored, where=k.where)


def _taylor_step(k: Kernel, beta: Any) -> Step:
    term = sp.Mul(sp.Pow(sp.Mul(BETA, S, evaluate=False), K, evaluate=False), sp.Pow(sp.factorial(K), -1,
                                                                                     evaluate=False), evaluate=False)
    text = say("Taylor series of the exponential, with ",
               Rel(S, "=", inner_display(k.params, k.n, True), kind="definition"), ": every term ", Math(term),
               " (here ", Rel(BETA, "=", beta, kind="definition"), ") is a polynomial kernel of degree ", Math(K), ".")
    series = sp.Sum(sp.Pow(beta * S, K) / sp.factorial(K), (K, 0, sp.oo))
    return make_step("taylor", text, sp.exp(beta * S), series)


def _phi_alpha(amp: Any, gamma: Any, beta: Any, p: str) -> Any:
    """√A e^{−γ‖p‖²} √(β^{|α|}/α!) p^α, as written."""
    root = sp.sqrt(sp.Mul(sp.Pow(beta, sp.Abs(ALPHA), evaluate=False), sp.Pow(sp.factorial(ALPHA), -1,
                                                                              evaluate=False), evaluate=False),
                   evaluate=False)
    return times(sp.sqrt(amp) if amp != 1 else 1, _exp_of(-gamma, sp.Pow(Norm(sp.Symbol(p)), 2)), root,
                 sp.Pow(sp.Symbol(p), ALPHA))


def _pattern_step(k: Kernel, comps: list, amp: Any, gamma: Any, beta: Any, D: int) -> Step:
    p, q = (sp.Symbol(x) for x in k.params)
    pa_qa = sp.Mul(sp.Pow(p, ALPHA), sp.Pow(q, ALPHA), evaluate=False)
    under = sp.Eq(sp.Abs(ALPHA), K)
    s_k = Rel(sp.Pow(S, K), "=", SumOver(sp.Mul(sp.factorial(K), sp.Pow(sp.factorial(ALPHA), -1, evaluate=False),
                                                pa_qa, evaluate=False), under), kind="fact")
    term = Rel(sp.Mul(sp.Pow(BETA, K), sp.Pow(S, K), sp.Pow(sp.factorial(K), -1, evaluate=False), evaluate=False),
               "=", SumOver(sp.Mul(sp.Pow(BETA, sp.Abs(ALPHA), evaluate=False),
                                   sp.Pow(sp.factorial(ALPHA), -1, evaluate=False), pa_qa, evaluate=False), under),
               kind="fact")
    text = say("By the multinomial theorem ", s_k, " (", Rel(sp.factorial(ALPHA), "=", alpha_factorial(),
                                                              kind="definition"), "), so ", term,
               ". The feature map has one component for every multi-index ",
               Rel(ALPHA, "∈", space("N", k.n), kind="definition"),
               ", infinitely many, so the feature space is infinite-dimensional: ",
               Rel(phi_alpha(k.params[0]), "=", _phi_alpha(amp, gamma, beta, k.params[0]), kind="definition"),
               ". Truncating at degree ", Rel(sp.Abs(ALPHA), "≤", D, kind="definition"), ":")
    return make_step("pattern", text, table=table(k, comps, True), check=False)


def _remainder_step(k: Kernel, amp: Any, gamma: Any, beta: Any, D: int) -> Step:
    """κ − φᵀφ = A e^{−γ‖p‖²} e^{−γ‖q‖²} (e^{βs} − Σ_{k≤D} (βs)^k/k!), the tail Σ_{k>D} (βs)^k/k!,
    checked in s (the factor in front is the kernel step's, the rest the inner product's)."""
    p, q = (sp.Symbol(x) for x in k.params)
    gap = sp.Add(sp.Function("kappa")(p, q), sp.Mul(-1, Dot(phi(k.params[0]), phi(k.params[1])), evaluate=False),
                 evaluate=False)
    head = sp.Add(*[sp.Pow(beta * S, j) / sp.factorial(j) for j in range(D + 1)])
    left = sp.Add(sp.exp(beta * S), sp.Mul(-1, head, evaluate=False), evaluate=False)
    front = times(amp, *[_exp_of(-gamma, sp.Pow(Norm(x), 2)) for x in (p, q)])
    text = say("What the truncation leaves out, ", Rel(gap, "=", times(front, group(left)), kind="fact"),
               " with ", Rel(S, "=", inner_display(k.params, k.n, True), kind="definition"),
               ", is the tail of the series, which vanishes as the degree grows (",
               Code(f"feature_map({k.name}, order = D)"), " keeps more terms):")
    tail = sp.Sum(sp.Pow(beta * S, K) / sp.factorial(K), (K, D + 1, sp.oo))
    return make_step("remainder", text, left, tail)


def gaussian(k: Kernel, order: int | None = None) -> Derived:
    """φ of a Gaussian kernel truncated at degree `order` (DEFAULT_ORDER unless given)."""
    D = DEFAULT_ORDER if order is None else order
    found = as_gaussian(k)
    if found is None:
        raise SpecError(f"`{k.name}(p, q)` is neither a polynomial in pᵀq nor a Gaussian (RBF) kernel "
                        "A·exp(−γ‖p − q‖²); no feature map of a known form", k.pos)
    amp, gamma, beta = found
    check_count(k.n, list(range(D + 1)), k.pos)
    s = k.inner()
    f_p = sp.exp(-gamma * sp.Add(*[x ** 2 for x in k.p]))
    f_q = sp.exp(-gamma * sp.Add(*[x ** 2 for x in k.q]))
    steps = [_split_step(k, amp, gamma, beta), _taylor_step(k, beta)]
    coeffs = {j: sp.simplify(beta ** j / sp.factorial(j)) for j in range(D + 1)}
    sq = [plus([sp.Pow(x, 2, evaluate=False) for x in xs]) for xs in (k.p, k.q)]
    pre = [times(sp.sqrt(amp), _exp_of(-gamma, sq_x)) if gamma != 0 else sp.sqrt(amp) for sq_x in sq]
    comps = components(k.p, k.q, coeffs, k.pos, *pre)
    steps.append(_pattern_step(k, comps, amp, gamma, beta, D))
    truncated = amp * f_p * f_q * sp.Add(*[sp.Pow(beta * s, j) / sp.factorial(j) for j in range(D + 1)])
    more, phi_vec = finish(k, comps, coeffs, [truncated], f"Truncated at degree {D},", {}, truncated=True)
    steps += more + [_remainder_step(k, amp, gamma, beta, D)]
    note = say("The Gaussian kernel has an infinite feature map, one component per multi-index ", Math(ALPHA), ": ",
               Rel(phi_alpha(k.params[0]), "=", _phi_alpha(amp, gamma, beta, k.params[0]), kind="definition"),
               f". Its truncation at degree {D} ({len(comps)} components):")
    return Derived(answer(k, comps, phi_vec, note), tuple(steps))
