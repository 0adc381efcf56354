"""The one table of goals: each goal's signature and its strategies, tried in order.

In: nothing (data).  Out: `GOALS` (goal name -> `GoalSpec`) and `FAMILY_BUILTINS` (builtins
that a deriver module registers, e.g. the PyTorch layers -> the module to import).

A strategy is named `"module:function"` (a module of `derive.derivers`); it is a function
`(problem, call) -> Derived | None` and returns None when the goal is not of its kind, so
the next one is tried (as sympy's `do_one` tries rules).  When none applies the goal is
`Unsupported` at its position, with the reason the goal's `why_not` gives (a function
`(problem, call) -> Unsupported`) when it has one.  A goal with no strategies is part of the language but not
implemented yet.  Modules are imported only when a strategy of theirs is tried, so a run
imports only the families its spec uses.
"""
from __future__ import annotations

from typing import Any

from ..records import record


@record
class GoalSpec:
    """A goal's signature (positional argument counts, keyword names), its one-line doc and
    its strategies in the order they are tried."""

    strategies: tuple[Any, ...]     # "module:function" names (or functions, for tests and plugins)
    nargs: tuple[int, int] = (1, 1)
    kwargs: tuple[str, ...] = ()
    doc: str = ""
    why_not: str | None = None      # "module:function" giving the Unsupported when no strategy applies


# The function that derives the value of a plain expression (not a goal call): `(problem, expr) -> Derived`.
EXPRESSION = "evaluate:evaluate_expr"

_SGD_KW = ("momentum", "dampening", "nesterov", "weight_decay")
_COUNT_KW = ("tp", "fp", "fn", "tn")
_METRIC_KW = ("threshold", "strict", "average", "classes", "zero_division", *_COUNT_KW)

GOALS: dict[str, GoalSpec] = {
    "evaluate": GoalSpec(("evaluate:evaluate",),
                         doc="the value of an expression, substituted step by step through the graph"),
    # networks and matrix calculus
    "grad": GoalSpec(("backprop:numeric_grad", "matcalc.grad:symbolic_grad", "matcalc.given:given_grad",
                      "attention:given_grad", "attention:explicit_grad", "matcalc.nonpoly:nonpoly_grad"), (2, 2),
                     doc="∂L/∂v by the chain rule (numeric backprop, or closed form when symbolic)",
                     why_not="matcalc.given:why_not"),
    "sgd_step": GoalSpec(("optimize:sgd_step_torch", "backprop:sgd_step"), (2, 2), ("lr",) + _SGD_KW,
                         "v − η ∂L/∂v, with the gradient derived (PyTorch SGD's first step with its keywords)"),
    "hessian": GoalSpec(("matcalc.hessian:hessian", "matcalc.hessian_nonpoly:nonpoly_hessian"), (2, 2),
                        doc="the Hessian ∂²L/∂w∂wᵀ of a scalar function of a vector", why_not="matcalc.hessian:why_not"),
    "convex": GoalSpec(("convexity:convex",), (2, 2),
                       doc="whether a scalar function is convex in a vector, from its Hessian with the given values"),
    "psd": GoalSpec(("definite:psd",), doc="whether a given symmetric matrix is positive semidefinite, with the reason"),
    "expand": GoalSpec(("matcalc.rewrite:expand",),
                       doc="an expression written out in the given names, common factors pulled out"),
    "simplify": GoalSpec(("matcalc.rewrite:simplify",), doc="the most compact form of a matrix expression"),
    "params": GoalSpec(("layers:params",), (0, 99), doc="trainable parameter count, per layer and in total"),
    "shapes": GoalSpec(("layers:shapes",), (0, 99), doc="the shape of every trainable tensor"),
    "shape": GoalSpec(("layers:shape",), doc="the output shape of an expression or a layer stack"),
    # optimisation
    "gd": GoalSpec(("optimize:gd_multi", "optimize:gd"), kwargs=("start", "lr", "steps") + _SGD_KW,
                   doc="the iterates of gradient descent (PyTorch's SGD keywords), in one variable or several"),
    "adam": GoalSpec(("optimize:adam",), kwargs=("start", "lr", "betas", "eps", "weight_decay", "steps"),
                     doc="the iterates of Adam (PyTorch's update rule and defaults), bias correction shown"),
    "rmsprop": GoalSpec(("optimize:rmsprop",), kwargs=("start", "lr", "alpha", "eps", "weight_decay", "steps"),
                        doc="the iterates of RMSprop (PyTorch's update rule and defaults)"),
    "adagrad": GoalSpec(("optimize:adagrad",), kwargs=("start", "lr", "lr_decay", "eps", "weight_decay", "steps"),
                        doc="the iterates of Adagrad (PyTorch's update rule and defaults)"),
    "newton": GoalSpec(("optimize:newton",), kwargs=("start", "steps"),
                       doc="the iterates of Newton's method x ← x − H⁻¹∇f, in any dimension"),
    "lr_range": GoalSpec(("optimize:lr_range_multi", "optimize:lr_range"), kwargs=("start", "lr"),
                         doc="the learning rates for which gradient descent on a quadratic converges"),
    "optimal_lr": GoalSpec(("optimize:optimal_lr_multi", "optimize:optimal_lr"), kwargs=("start",),
                           doc="η* = 1/f''(w0), the Newton step, and the iterate it reaches"),
    # solving and verdicts on given matrices
    "argmin": GoalSpec(("solving.argmin:argmin",), (1, 2),
                       doc="the minimiser of a quadratic: ∇L = 0 solved, confirmed by the Hessian"),
    "solve": GoalSpec(("solving.linear:solve",), (2, 2), doc="the solution x of A x = b, by exact elimination"),
    "inv": GoalSpec(("solving.linear:inv",), doc="the inverse of a given square matrix, by Gauss–Jordan"),
    "det": GoalSpec(("solving.linear:det",), doc="the determinant of a given square matrix, by elimination"),
    "eigenvalues": GoalSpec(("solving.eigen:eigenvalues",),
                            doc="the eigenvalues of a given square matrix, from its characteristic polynomial"),
    "eigenvectors": GoalSpec(("solving.eigen:eigenvectors",),
                             doc="a basis of each eigenspace of a given square matrix, each vector checked"),
    "pseudocode": GoalSpec(("algorithms:pseudocode",),
                           doc="an algorithm as numbered pseudocode, with the gradient it needs"),
    # classics
    "precision": GoalSpec(("metrics:precision",), (0, 2), _METRIC_KW,
                          "the precision of scores/predictions against labels, or of the counts tp, fp"),
    "recall": GoalSpec(("metrics:recall",), (0, 2), _METRIC_KW,
                       "the recall of scores/predictions against labels, or of the counts tp, fn"),
    "f1": GoalSpec(("metrics:f1",), (0, 2), _METRIC_KW,
                   "the F_1 score of scores/predictions against labels, or of the counts tp, fp, fn"),
    "accuracy": GoalSpec(("metrics:accuracy",), (0, 2), _METRIC_KW,
                         "the accuracy of scores/predictions against labels, or of the four counts"),
    "confusion": GoalSpec(("metrics:confusion",), (0, 2), ("threshold", "strict", "classes", *_COUNT_KW),
                          "the confusion matrix: rows the true class, columns the predicted class (or of the counts)"),
    "roc": GoalSpec(("metrics:roc",), (2, 2), doc="the ROC points (FPR, TPR) at every distinct threshold"),
    "auc": GoalSpec(("metrics:auc",), (2, 2), doc="the area under the ROC curve (trapezoid rule), checked by ranks"),
    "posterior": GoalSpec(("probability:posterior",), (3, 3),
                          doc="P(H_i | E) by Bayes' rule and the law of total probability"),
    "choice": GoalSpec(("choice:choice",), doc="which option of the problem's choices equals the derived expression"),
    "feature_map": GoalSpec(("kernels:feature_map",), kwargs=("order",),
                            doc="an explicit φ with k(p, q) = φ(p)ᵀφ(q) for a polynomial or Gaussian kernel"),
    "distance": GoalSpec(("classics:distance",), (2, 2),
                         doc="distance from a point to a hyperplane (or between two points)"),
    "margin": GoalSpec(("classics:margin",), doc="the margin 2/‖w‖ between the planes wᵀx + b = ±1"),
    "derivation": GoalSpec(("classics:derivation",), doc="a named classical derivation, every equality checked"),
    # classical learning (derive/derivers/learning/, docs/learning.md)
    "entropy": GoalSpec(("learning.information:entropy",), kwargs=("base",),
                        doc="H(p) = −Σ p log p of a distribution (or counts), 0·log 0 = 0"),
    "kl": GoalSpec(("learning.information:kl",), (2, 2), ("base",), "the Kullback–Leibler divergence D_KL(p‖q)"),
    "cross_entropy": GoalSpec(("learning.information:cross_entropy", "evaluate:evaluate"), (2, 2), ("base",),
                              "H(p, q) = −Σ p log q (with `base`; without it, the network loss)"),
    "gini": GoalSpec(("learning.information:gini",), doc="the Gini impurity 1 − Σ p² of class counts"),
    "information_gain": GoalSpec(("learning.information:information_gain",), (2, 2), ("base",),
                                 "H(parent) − Σ (n_k/n) H(child_k) from class counts"),
    "kmeans": GoalSpec(("learning.kmeans:kmeans",), kwargs=("init", "steps"),
                       doc="Lloyd's k-means from given centroids: distances, assignments, means, objective"),
    "pca": GoalSpec(("learning.pca:pca",), kwargs=("k", "ddof"),
                    doc="principal components from the covariance's eigenvectors, projections, explained variance"),
    "perceptron": GoalSpec(("learning.perceptron:perceptron",), (2, 2), ("start", "lr", "epochs", "bias"),
                           "the perceptron rule example by example: score, mistake, update; weights per epoch"),
    "knn": GoalSpec(("learning.knn:knn",), (3, 3), ("k", "metric"),
                    doc="the k-nearest-neighbour vote: sorted distances, the k nearest, the majority class"),
    "best_split": GoalSpec(("learning.trees:best_split",), (2, 2), ("criterion", "names"),
                           "a decision tree's best root split: impurities, gain per candidate, the best"),
    "naive_bayes": GoalSpec(("learning.bayes:naive_bayes",), (3, 3), ("smoothing",),
                            "a categorical naive Bayes posterior: priors, likelihood tables, scores, the class"),
    # part of the language, not implemented yet
    "minibatch_sgd": GoalSpec((), (1, 99), doc="(planned) mini-batch SGD"),
    "forward": GoalSpec((), (1, 99), doc="(planned) a forward pass"),
}

_LAYERS = ("Linear", "Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d", "MaxPool1d", "MaxPool2d", "AvgPool1d",
           "AvgPool2d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "Flatten", "Embedding", "BatchNorm1d", "BatchNorm2d",
           "LayerNorm", "Dropout", "RNN", "LSTM", "GRU", "MultiheadAttention", "TransformerEncoderLayer",
           "TransformerDecoderLayer")

# Builtins registered (with @builtin) by a deriver module rather than by derive.model.builtins.
FAMILY_BUILTINS: dict[str, str] = {
    **{layer: "layers" for layer in _LAYERS},
    "attention": "attention", "multihead_attention": "attention", "hyperplane": "classics",
}


def modules_of(name: str) -> tuple[str, ...]:
    """The deriver modules that goal or family builtin `name` needs, in strategy order."""
    if name in GOALS:
        spec = GOALS[name]
        refs = (*spec.strategies, *((spec.why_not,) if spec.why_not else ()))
        return tuple(dict.fromkeys(ref.split(":")[0] for ref in refs if isinstance(ref, str)))
    if name in FAMILY_BUILTINS:
        return (FAMILY_BUILTINS[name],)
    return ()
