"""posterior: Bayes' rule against NumPy on random numeric priors and likelihoods, the seed's
symbolic answer, and the SpecErrors for bad priors."""
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings, strategies as st
from sympy.parsing.sympy_parser import parse_expr

import derive


def lst(v) -> str:
    return "[" + ", ".join(v) + "]"


def posterior(prior: str, lik: str, i: int, extra: str = ""):
    (r,) = derive.solve(f'problem "b" {{\n {extra}\n let prior = {prior}\n let lik = {lik}\n'
                        f' find posterior(prior, lik, {i})\n}}').results
    return r


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(1, 9), min_size=2, max_size=5).flatmap(
    lambda w: st.tuples(st.just(w), st.lists(st.integers(0, 10), min_size=len(w), max_size=len(w)),
                        st.integers(1, len(w)))))
def test_numeric_posterior_matches_numpy(data):
    weights, lik10, i = data
    if not any(lik10):
        return
    total = sum(weights)
    prior = [f"{w}/{total}" for w in weights]
    lik = [f"{x}/10" for x in lik10]
    r = posterior(lst(prior), lst(lik), i)
    assert r.error is None, r.error
    p = np.array(weights) / total
    l = np.array(lik10) / 10
    assert r.answer.value == pytest.approx(p[i - 1] * l[i - 1] / np.sum(p * l))
    assert all(s.checked for s in r.steps if len(s.chain) > 1)


def test_seed_bags_symbolic():
    r = posterior("[1/2, 1/2]", "[w1/(w1 + b1), w2/(w2 + b2)]", 1, "symbol w1, b1, w2, b2 : positive")
    syms = {n: sp.Symbol(n, positive=True) for n in ("w1", "b1", "w2", "b2")}
    got = parse_expr(r.answer.text, local_dict=syms)
    w1, b1, w2, b2 = syms.values()
    want = w1 * (w2 + b2) / (w1 * (w2 + b2) + w2 * (w1 + b1))
    assert sp.simplify(got - want) == 0
    rules = [s.rule for s in r.steps]
    assert "total_probability" in rules and "bayes_rule" in rules


def test_symbolic_priors_that_sum_to_one():
    r = posterior("[p, 1 - p]", "[1/2, 1/4]", 2, "symbol p : positive")
    p = sp.Symbol("p", positive=True)
    assert sp.simplify(parse_expr(r.answer.text, local_dict={"p": p}) - (1 - p) / 4 / (p / 2 + (1 - p) / 4)) == 0


@pytest.mark.parametrize("prior, lik, i, words", [
    ("[1/2, 1/3]", "[1/2, 1/2]", 1, "sum to 5/6, not 1"),
    ("[3/2, -1/2]", "[1/2, 1/2]", 1, "in [0, 1]"),
    ("[1/2, 1/2]", "[1/2, 3/2]", 1, "in [0, 1]"),
    ("[1/2, 1/2]", "[1/2, 1/2, 1/2]", 1, "2 priors but 3 likelihoods"),
    ("[1/2, 1/2]", "[1/2, 1/2]", 3, "from 1 to 2"),
    ("[1/2, 1/2]", "[0, 0]", 1, "P(E) = 0"),
])
def test_bad_priors_are_spec_errors(prior, lik, i, words):
    r = posterior(prior, lik, i)
    assert r.error is not None and words in r.error.message, r.error
    assert r.error.line is not None
