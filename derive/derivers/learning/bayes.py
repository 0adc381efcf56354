"""`naive_bayes(features, labels, query, smoothing = 0)`: a categorical naive Bayes posterior.

In: the features (rows are samples; categories as strings or numbers), one label per
sample, the query (one category per feature) and the Laplace smoothing α ≥ 0.  Out: the
predicted class, with `extra` the posterior of every class.

Steps: the priors P(c) = n_c/N (a table), one likelihood table per feature with
P(x_j = v | c) = (n_{c,v} + α)/(n_c + α K_j), K_j the number of values feature j takes in
the data (scikit-learn's CategoricalNB with `alpha = α` and its `fit_prior` priors; for
integer codes CategoricalNB counts max + 1 categories, the same when the codes 0 … K − 1
all occur), the
unnormalised score P(c) Π_j P(x_j | c) of every class (checked), the posterior as each
score over their sum (checked) and the class with the largest (a tie goes to the first
class in scikit-learn's order: numbers increasing, strings alphabetical).

Errors: a query value that feature j never takes in the data (no likelihood can be
estimated for it), a query of the wrong length, and — without smoothing — a query for
which every class scores 0 (the posterior is 0/0: smoothing = 1 fixes it).
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from ... import ast
from ...errors import SpecError
from ...model.problem import Problem
from ...notation import Prob
from ...sentence import Rel, join, say
from ...steps import Step, Table, make_step
from ..registry import Derived, make_answer
from .data import classes_of, exact, kw, label_cell, label_part, labels_of, rows_of, vector_of


def _alpha(problem: Problem, call: ast.Call) -> Any:
    value, node = kw(problem, call, "smoothing")
    if node is None:
        return sp.Integer(0)
    v = exact(value) if isinstance(value, sp.Expr) else value
    if not (isinstance(v, sp.Expr) and v.is_number and v.is_real and v >= 0):
        raise SpecError("`smoothing` is a number α ≥ 0 (1 is Laplace smoothing)", node.pos)
    return v


def _arguments(problem: Problem, call: ast.Call) -> dict[str, Any]:
    features = rows_of(problem, call.args[0], "the features", words=True)
    labels = labels_of(problem, call.args[1], len(features))
    query = vector_of(problem, call.args[2], "the query", len(features[0]))
    for j, v in enumerate(query):
        if v not in [r[j] for r in features]:
            raise SpecError(f"feature {j + 1} of the query is {v}, a value it never takes in the data: no "
                            "likelihood can be estimated for it", call.args[2].pos)
    return {"features": features, "labels": labels, "query": query,
            "classes": classes_of(labels, call.args[1]), "alpha": _alpha(problem, call)}


def _values(features: list[list[Any]], j: int) -> list[Any]:
    return sorted(set(r[j] for r in features), key=lambda v: (isinstance(v, str), str(v) if isinstance(v, str) else v))


def likelihood(a: dict, j: int, v: Any, c: Any) -> Any:
    """P(x_j = v | c) with smoothing α."""
    rows = [r for r, y in zip(a["features"], a["labels"]) if y == c]
    count = sum(1 for r in rows if r[j] == v)
    return (count + a["alpha"]) / (len(rows) + a["alpha"] * len(_values(a["features"], j)))


def _priors_step(a: dict) -> tuple[Step, dict]:
    n = len(a["labels"])
    priors = {c: sp.Rational(sum(1 for y in a["labels"] if y == c), n) for c in a["classes"]}
    rows = tuple((label_cell(c), sp.Integer(priors[c] * n), priors[c]) for c in a["classes"])
    table = Table(("class c", sp.Symbol("n_c"), "P(c)"), rows, say(f"Priors: the class frequencies among the {n} "
                                                                   "samples."))
    return make_step("nb_priors", say("The priors P(c) = n_c / N:"), table=table, check=False), priors


def _likelihood_step(a: dict, j: int) -> Step:
    values = _values(a["features"], j)
    rows = tuple((label_cell(v) if v != a["query"][j] else say(str(v), " (the query's)"),
                  *[likelihood(a, j, v, c) for c in a["classes"]]) for v in values)
    header = ("value v", *[say("P(x_", str(j + 1), " = v | ", str(c), ")") for c in a["classes"]])
    how = say(f"counts of the value in each class over the class size, each count plus α = {a['alpha']} and the "
              f"size plus α·K with K = {len(values)} values") if a["alpha"] else say(
        "counts of the value in each class over the class size")
    return make_step("nb_likelihood", say(f"Likelihoods of feature {j + 1}: ", how, "."),
                     table=Table(header, rows, say(f"Feature {j + 1}.")), check=False)


def _score_steps(a: dict, priors: dict) -> tuple[list[Step], dict]:
    steps, scores = [], {}
    for k, c in enumerate(a["classes"], 1):
        factors = [priors[c]] + [likelihood(a, j, v, c) for j, v in enumerate(a["query"])]
        value = sp.Mul(*factors)
        s = sp.Symbol(f"s_{k}")
        with sp.evaluate(False):
            shown = sp.Mul(*factors) if len(factors) > 1 else factors[0]
        steps.append(make_step("nb_score", say("Class ", label_part(c), ": the prior times the likelihood of each "
                                               "query value,"), s, shown, value, where={s: value}))
        scores[c] = value
    return steps, scores


def _score_definition(d: int) -> Rel:
    """s_c = P(c) Π_j P(x_j | c)."""
    c, j = sp.Symbol("c"), sp.Symbol("j", integer=True)
    product = sp.Product(Prob(sp.Indexed(sp.IndexedBase("x"), j), c), (j, 1, d))
    return Rel(sp.Symbol("s_c"), "=", sp.Mul(Prob(c), product, evaluate=False), kind="definition")


def naive_bayes(problem: Problem, call: ast.Call) -> Derived:
    """Priors, likelihood tables, scores, posterior and the predicted class."""
    a = _arguments(problem, call)
    step, priors = _priors_step(a)
    steps = [step] + [_likelihood_step(a, j) for j in range(len(a["query"]))]
    query = join([label_part(v) for v in a["query"]], ", ")
    steps.append(make_step("nb_query", say("The query is (", query, "). Naive Bayes takes the features as "
                                           "independent given the class, so each class scores ",
                                           _score_definition(len(a["query"])), "."), check=False))
    more, scores = _score_steps(a, priors)
    steps += more
    total = sp.Add(*scores.values())
    if total == 0:
        raise SpecError("every class scores 0 for this query (some value never occurs with any class): the "
                        "posterior is 0/0; smoothing = 1 (Laplace) gives every value a nonzero likelihood",
                        call.args[2].pos)
    syms = [sp.Symbol(f"s_{k}") for k in range(1, len(scores) + 1)]
    where = dict(zip(syms, scores.values()))
    subs = []
    for k, (c, s) in enumerate(scores.items()):
        post = s / total
        p = sp.Symbol(f"p_{k + 1}")
        with sp.evaluate(False):
            shown = sp.Mul(syms[k], sp.Pow(sp.Add(*syms) if len(syms) > 1 else syms[0], -1))
        subs.append(make_step("nb_posterior_class", say(label_part(c), ":"), p, shown, post,
                              where={**where, p: post}))
    steps.append(make_step("nb_posterior", say("The posterior P(c | x): each score over the sum of the scores."),
                           substeps=subs))
    best = max(scores.values())
    winners = [c for c in a["classes"] if scores[c] == best]
    tie = say(" Tied with ", join([label_part(c) for c in winners[1:]], ", ", " and "),
              ": the first in scikit-learn's class order is taken.") if len(winners) > 1 else say()
    steps.append(make_step("nb_predict", say("The predicted class has the largest posterior: ",
                                             label_part(winners[0]), ".", tie), check=False))
    extra = {"posterior": {str(c): float(s / total) for c, s in scores.items()}}
    return Derived(make_answer(winners[0], extra=extra), tuple(steps))
