"""Every goal of the language has a title that states it as mathematics (issue 9, item 7):
"Find H(y, ŷ)", never the spec code "Find `cross_entropy(y, y_hat)`"."""
from __future__ import annotations

import re

import pytest

from derive.derivers.goals import GOALS
from derive.derivers.titles import TITLES, title
from derive.pipeline import build
from derive.sentence import Code
from derive.sentence_print import print_sentence
from derive.syntax import parse

# One call of every goal in GOALS (a new goal needs a line here, and so a title).
CALLS = {
    "evaluate": "evaluate(L)", "grad": "grad(L, w)", "sgd_step": "sgd_step(w, L, lr = 0.1)",
    "hessian": "hessian(L, w)", "convex": "convex(L, w)", "psd": "psd(A)", "expand": "expand(L)",
    "simplify": "simplify(L)", "params": "params(fc)", "shapes": "shapes(fc)", "shape": "shape(fc(w))",
    "gd": "gd(f, start = 5, lr = 0.1, steps = 2)", "adam": "adam(f, start = 1)", "rmsprop": "rmsprop(f, start = 1)",
    "adagrad": "adagrad(f, start = 1)", "newton": "newton(f, start = 1)", "lr_range": "lr_range(f)",
    "optimal_lr": "optimal_lr(f, start = 5)", "argmin": "argmin(L, w)", "solve": "solve(A, b)", "inv": "inv(A)",
    "det": "det(A)", "eigenvalues": "eigenvalues(A)", "eigenvectors": "eigenvectors(A)",
    "pseudocode": "pseudocode(minibatch_sgd(L, w, lr = eta, batch = B))",
    "precision": "precision(s, y, threshold = 0.5)", "recall": "recall(s, y, threshold = 0.5)",
    "f1": "f1(s, y)", "accuracy": "accuracy(s, y)", "confusion": "confusion(s, y)", "roc": "roc(s, y)",
    "auc": "auc(s, y)", "posterior": "posterior(prior, lik, 1)", "choice": "choice(posterior(prior, lik, 1))",
    "feature_map": "feature_map(k)", "distance": "distance(w, hyperplane(w, c))", "margin": "margin(hyperplane(w, c))",
    "derivation": "derivation(svm_primal)", "entropy": "entropy(p)", "kl": "kl(p, q)",
    "cross_entropy": "cross_entropy(p, q)", "gini": "gini(counts)", "information_gain": "information_gain(counts, kids)",
    "kmeans": "kmeans(X, init = C, steps = 2)", "pca": "pca(X, k = 1)", "perceptron": "perceptron(X, y, lr = 1)",
    "knn": "knn(X, y, z, k = 3)", "best_split": "best_split(X, y)", "naive_bayes": "naive_bayes(X, y, z)",
    "minibatch_sgd": "minibatch_sgd(L, w, lr = eta, batch = B)", "forward": "forward(fc)",
}

SPEC = """problem "every goal" {
  symbol eta, B
  vector w, z : (2)
  let A = [[4, 0], [0, 1]]
  let b = [1, 2]
  let c = 1
  let p = [1/2, 1/2]
  let q = [1/4, 3/4]
  let s = [0.9, 0.4, 0.2]
  let y = [1, 0, 1]
  let counts = [3, 1]
  let kids = [[2, 0], [1, 1]]
  let X = [[1, 2], [3, 4], [5, 6]]
  let C = [[1, 2], [5, 6]]
  let prior = [1/2, 1/2]
  let lik = [1/3, 2/3]
  layer fc = Linear(2, 1)
  L = w @ w
  f(u) = u^2
  vector m, n : (2)
  k(m, n) = (m @ n)^2
  choices { (a) 1/3  (b) none }
%s
}
"""


@pytest.fixture(scope="module")
def problem():
    finds = "\n".join(f"  find {c}" for c in CALLS.values())
    (p,) = build(parse(SPEC % finds, "<titles>"))
    return p


def test_every_goal_has_a_title_entry():
    assert set(CALLS) == set(GOALS), "add the new goal to CALLS (and a title to derive/derivers/titles.py)"
    assert set(GOALS) <= set(TITLES)


@pytest.mark.parametrize("name", sorted(GOALS))
def test_every_goal_title_is_mathematics_not_spec_code(problem, name):
    goal = next(g for g in problem.goals if g.expr.name == name)
    t = title(problem, goal.expr)
    assert t and not any(isinstance(part, Code) for part in t.parts), (name, t)
    text = print_sentence(t, "text")
    assert "`" not in print_sentence(t, "md")
    assert not re.search(r"\b[a-z]+_[a-z_]+\(", text), text      # no cross_entropy(...) left
    assert f"{name}(" not in text or name in ("f",), text
