"""`posterior(prior, likelihood, i)`: Bayes' rule with the law of total probability shown.

In: the priors P(H_1), …, P(H_K) and likelihoods P(E | H_1), …, P(E | H_K) as vectors of
numbers or symbolic expressions, and a 1-based index i.  Out: P(H_i | E), exact and
simplified: with symbols, the fractions are cleared by multiplying numerator and
denominator by the least common denominator, so the answer reads like an exam option.

Bad input (SpecError at the argument): priors that do not sum to 1 or lie outside
[0, 1], likelihoods outside [0, 1], vectors of different lengths, an index out of range,
evidence of probability 0.
"""
from __future__ import annotations

from functools import reduce
from typing import Any

import sympy as sp

from .. import ast
from ..derivations._display import Group
from ..errors import SpecError
from ..model.expressions import guard_size, is_tensor, scalarize, show_shape
from ..model.problem import Problem
from ..notation import Named, Prob
from ..sentence import Math, Rel, join, say
from ..steps import Step, make_step, dedupe_chain
from .metrics import approx_step
from .registry import Derived, make_answer
from .simplest import simplest


def _vector(value: Any, node: ast.Expr, what: str) -> list:
    if not (isinstance(value, sp.MatrixBase) and 1 in value.shape):
        shown = show_shape(value) if isinstance(value, sp.Basic) else "this value"
        raise SpecError(f"{what} must be a vector of probabilities, not {shown}", node.pos)
    out = []
    for e in value:
        if not isinstance(e, sp.Expr) or is_tensor(e):
            raise SpecError(f"{what} must hold scalars", node.pos)
        if e.is_number and (not e.is_real or e < 0 or e > 1):
            raise SpecError(f"{what} must be probabilities in [0, 1]; {e} is not", node.pos)
        out.append(sp.nsimplify(e) if isinstance(e, sp.Float) else e)
    return out


def _term(lik: Any, pri: Any) -> Any:
    """P(E | H_j) P(H_j) shown as a product."""
    return sp.Mul(Group(lik) if isinstance(lik, sp.Add) else lik,
                  Group(pri) if isinstance(pri, sp.Add) else pri, evaluate=False)


def _sum(terms: list) -> Any:
    return terms[0] if len(terms) == 1 else sp.Add(*terms, evaluate=False)


def _arguments(problem: Problem, call: ast.Call) -> tuple[list, list, int]:
    """(priors, likelihoods, 1-based index) of a posterior call, checked."""
    p_node, l_node, i_node = call.args
    prior = _vector(problem.value(p_node), p_node, "the prior")
    lik = _vector(problem.value(l_node), l_node, "the likelihood")
    if len(prior) != len(lik):
        raise SpecError(f"{len(prior)} priors but {len(lik)} likelihoods: one of each per hypothesis", call.pos)
    i = scalarize(problem.value(i_node))
    if not (isinstance(i, sp.Integer) and 1 <= i <= len(prior)):
        raise SpecError(f"the hypothesis index must be a whole number from 1 to {len(prior)} (1-based), not {i}",
                        i_node.pos)
    total = sp.simplify(sp.Add(*prior))
    if total.is_number and total != 1:
        raise SpecError(f"the priors sum to {total}, not 1", p_node.pos)
    if guard_size(sp.Add(*[a * b for a, b in zip(lik, prior)]), call) == 0:   # 10⁴ hypotheses: 4,300 digits
        raise SpecError("P(E) = 0: the observation is impossible under every hypothesis, so the posterior is "
                        "undefined", l_node.pos)
    return prior, lik, int(i)


def _setting(prior: list, Hs: list, i: int) -> list[Step]:
    """The hypotheses, Bayes' rule as the fact it is, and the priors' sum when it is symbolic."""
    steps = []
    total = sp.simplify(sp.Add(*prior))
    if total != 1:
        steps.append(make_step("assumption", say("The priors must sum to 1; here they sum to ",
                                                 Rel(total, "=", 1, kind="assumption"), ", as assumed."),
                               check=False))
    E, Hi = sp.Symbol("E"), Hs[i - 1]
    with sp.evaluate(False):
        bayes = Rel(Prob(Hi, E), "=", sp.Mul(sp.Mul(Prob(E, Hi), Prob(Hi)), sp.Pow(Prob(E), -1)), kind="fact")
    steps.append(make_step(
        "bayes", say("Let ", join(Hs), " be the hypotheses (exactly one holds) and ", Math(E),
                     " the observation. Bayes' rule: ", bayes, "."), check=False))
    return steps


def _substituted(terms: list, shown: Any, post: Any, Hi: Any, i: int) -> tuple[Any, list[Step]]:
    """The posterior substituted into Bayes' rule (fractions cleared when symbolic), and its value."""
    E = sp.Symbol("E")
    answer = simplest(post)
    chain = [Named(Prob(Hi, E), post), shown]
    cleared = _cleared(terms, i) if post.free_symbols else None
    if cleared is not None:
        D, nice = cleared
        answer = sp.sympify(nice, strict=True).doit()
        return answer, [make_step("bayes_rule", say("Substitute into Bayes' rule, then multiply the numerator "
                                                    "and the denominator by ", Math(D), " to clear the fractions:"),
                                  *chain, nice)]
    chain.append(answer)
    text = "Substitute into Bayes' rule and simplify:" if post.free_symbols else "Substitute into Bayes' rule:"
    steps = [make_step("bayes_rule", say(text), *dedupe_chain(chain))]
    return answer, steps + ([] if post.free_symbols else approx_step(answer))


def posterior(problem: Problem, call: ast.Call) -> Derived:
    """P(H_i | E) = P(E | H_i) P(H_i) / Σ_j P(E | H_j) P(H_j)."""
    prior, lik, i = _arguments(problem, call)
    K = len(prior)
    Hs = [sp.Symbol(f"H{j}") for j in range(1, K + 1)]
    E = sp.Symbol("E")
    steps = _setting(prior, Hs, i)
    terms = [lik[j] * prior[j] for j in range(K)]
    evidence = sp.Add(*terms)
    general_e = _sum([Named(sp.Mul(Prob(E, Hs[j]), Prob(Hs[j]), evaluate=False), terms[j]) for j in range(K)])
    shown_e = _sum([_term(lik[j], prior[j]) for j in range(K)])
    chain = [Named(Prob(E), evidence), general_e, shown_e, simplest(evidence)]
    steps.append(make_step("total_probability", say("The law of total probability gives the evidence ",
                                                    Math(Prob(E)), ", a sum over the hypotheses:"),
                           *dedupe_chain(chain)))
    with sp.evaluate(False):
        shown = sp.Mul(_term(lik[i - 1], prior[i - 1]), sp.Pow(shown_e, -1))
    answer, more = _substituted(terms, shown, terms[i - 1] / evidence, Hs[i - 1], i)
    return Derived(make_answer(answer), tuple(steps + more))


def _cleared(terms: list, i: int) -> tuple[Any, Any] | None:
    """(D, a_i·D / Σ a_j·D) with D the least common denominator of the terms, each a_j·D factored."""
    dens = [sp.fraction(sp.together(t))[1] for t in terms]
    D = sp.factor(reduce(sp.lcm, dens))
    if D == 1:
        return None
    parts = [sp.factor(sp.cancel(t * D)) for t in terms]
    if any(p == 0 for p in parts) and all(p == 0 for p in parts):
        return None
    with sp.evaluate(False):
        nice = sp.Mul(parts[i - 1], sp.Pow(_sum(parts), -1))
    return D, nice
