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
from ..derivations._display import Group, named
from ..errors import SpecError
from ..model.expressions import guard_size, is_tensor, scalarize, show_shape
from ..model.problem import Problem
from ..printing import latex
from ..steps import Step, make_step, dedupe_chain
from .metrics import approx_step
from .registry import Derived, deriver, make_answer


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


def _simplest(x: Any) -> Any:
    return sp.factor(sp.cancel(sp.together(x)))


def _term(lik: Any, pri: Any) -> Any:
    """P(E | H_j) P(H_j) shown as a product."""
    return sp.Mul(Group(lik) if isinstance(lik, sp.Add) else lik,
                  Group(pri) if isinstance(pri, sp.Add) else pri, evaluate=False)


def _sum(terms: list) -> Any:
    return terms[0] if len(terms) == 1 else sp.Add(*terms, evaluate=False)


@deriver("posterior", nargs=(3, 3), doc="P(H_i | E) by Bayes' rule and the law of total probability")
def posterior(problem: Problem, call: ast.Call) -> Derived:
    """P(H_i | E) = P(E | H_i) P(H_i) / Σ_j P(E | H_j) P(H_j)."""
    p_node, l_node, i_node = call.args
    prior = _vector(problem.value(p_node), p_node, "the prior")
    lik = _vector(problem.value(l_node), l_node, "the likelihood")
    if len(prior) != len(lik):
        raise SpecError(f"{len(prior)} priors but {len(lik)} likelihoods: one of each per hypothesis", call.pos)
    i = scalarize(problem.value(i_node))
    if not (isinstance(i, sp.Integer) and 1 <= i <= len(prior)):
        raise SpecError(f"the hypothesis index must be a whole number from 1 to {len(prior)} (1-based), not {i}",
                        i_node.pos)
    i = int(i)
    K = len(prior)
    steps: list[Step] = []
    total = sp.simplify(sp.Add(*prior))
    if total.is_number and total != 1:
        raise SpecError(f"the priors sum to {total}, not 1", p_node.pos)
    if total != 1:
        steps.append(make_step("assumption", f"The priors must sum to 1; here they sum to ${latex(total)}$, which is "
                                             "taken to be 1.", check=False))
    H = [named(f"P(H_{{{j}}})", p) for j, p in enumerate(prior, 1)]
    hyps = ", ".join(f"H_{{{j}}}" for j in range(1, K + 1))
    steps.append(make_step(
        "bayes", f"Let ${hyps}$ be the hypotheses (exactly one holds) and $E$ the observation. Bayes' rule: "
                 f"$P(H_{{{i}}} \\mid E) = \\dfrac{{P(E \\mid H_{{{i}}})\\, P(H_{{{i}}})}}{{P(E)}}$.", check=False))
    terms = [lik[j] * prior[j] for j in range(K)]
    evidence = guard_size(sp.Add(*terms), call)   # 10⁴ hypotheses can make a 4,300-digit denominator
    if evidence == 0:
        raise SpecError("P(E) = 0: the observation is impossible under every hypothesis, so the posterior is "
                        "undefined", l_node.pos)
    general_e = _sum([named(f"P(E \\mid H_{{{j}}})\\, P(H_{{{j}}})", terms[j - 1]) for j in range(1, K + 1)])
    shown_e = _sum([_term(lik[j], prior[j]) for j in range(K)])
    chain = [named("P(E)", evidence), general_e, shown_e, _simplest(evidence)]
    steps.append(make_step("total_probability", "The law of total probability gives the evidence $P(E)$, a sum over "
                                                "the hypotheses:", *dedupe_chain(chain)))
    post = terms[i - 1] / evidence
    with sp.evaluate(False):
        shown = sp.Mul(_term(lik[i - 1], prior[i - 1]), sp.Pow(shown_e, -1))
    answer = _simplest(post)
    chain = [named(f"P(H_{{{i}}} \\mid E)", post), shown]
    if post.free_symbols:
        cleared = _cleared(terms, i)
        if cleared is not None:
            D, nice = cleared
            chain.append(nice)
            answer = sp.sympify(nice, strict=True).doit()
            steps.append(make_step("bayes_rule", f"Substitute into Bayes' rule, then multiply the numerator and the "
                                                 f"denominator by ${latex(D)}$ to clear the fractions:", *chain))
        else:
            chain.append(answer)
            steps.append(make_step("bayes_rule", "Substitute into Bayes' rule and simplify:", *dedupe_chain(chain)))
    else:
        chain.append(answer)
        steps.append(make_step("bayes_rule", "Substitute into Bayes' rule:", *dedupe_chain(chain)))
        steps.extend(approx_step(answer))
    return Derived(make_answer(answer), tuple(steps))


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
