"""What a goal asks for, as mathematics: the line a handout prints before the working.

In: a `Problem` and a goal expression.  Out: a `Sentence` such as "∂L/∂(W₁)₁,₁",
"one gradient-descent step on w with η = 1/10" or "the number of trainable parameters",
never the spec code (`grad(L, W1[1, 1])`).  A goal without a title of its own, or whose
arguments cannot be shown, gets its spec code as `Code`.
"""
from __future__ import annotations

from typing import Any, Callable

import sympy as sp

from .. import ast
from ..decimals import decimal
from ..errors import DeriveError
from ..model.problem import Problem, UserFunction
from ..notation import Partial, Prob
from ..notation_iterates import iterate
from ..sentence import Code, Math, Rel, Sentence, join, say

ETA = sp.Symbol("eta")


def _shown(problem: Problem, node: ast.Expr) -> Any:
    """A goal argument as the handout shows it: a name as its symbol (a function as f(w)),
    an expression as written; TypeError for what is not mathematics (a layer, a string)."""
    if isinstance(node, ast.Name) and node.id in problem.names:
        binding = problem.names[node.id]
        if binding.kind == "function" and isinstance(binding.value, UserFunction):
            return sp.Function(node.id)(*(sp.Symbol(p) for p in binding.value.params))
        if isinstance(binding.symbol, sp.Basic):
            return binding.symbol
        if binding.kind == "layer" or binding.symbol is None or not isinstance(binding.symbol, sp.Basic):
            return sp.Symbol(node.id)      # (a layer, a shape-only tensor, a computed table: its name)
    if isinstance(node, ast.Call) and node.name in problem.names and problem.names[node.name].kind == "layer":
        return sp.Function(node.name)(*(_shown(problem, a) for a in node.args))
    if isinstance(node, ast.Call) and node.name == "hyperplane" and len(node.args) == 2:
        w, b = (_shown(problem, a) for a in node.args)   # the set {x : wᵀx + b = 0}, shown as its equation
        used = {str(s) for e in (w, b) if isinstance(e, sp.Basic) for s in e.free_symbols | e.atoms(sp.MatrixSymbol)}
        name = next(n for n in ("x", "z", "u", "x_0") if n not in used)   # (named apart: hyperplane(x, b))
        x = sp.MatrixSymbol(name, *w.shape) if isinstance(w, sp.MatrixExpr) else sp.Symbol(name)
        wx = sp.Trace(sp.MatMul(w.T, x)) if isinstance(w, sp.MatrixExpr) else sp.Mul(w, x, evaluate=False)
        return sp.Eq(sp.Add(wx, b, evaluate=False), 0, evaluate=False)
    out = problem.display(node)
    if not isinstance(out, sp.Basic):
        raise TypeError("not mathematics")
    return out


def _kw(problem: Problem, call: ast.Call, name: str) -> Any:
    node = call.kwarg(name)
    return None if node is None else problem.value(node)


def _grad(problem: Problem, call: ast.Call) -> Sentence:
    f, v = (_shown(problem, a) for a in call.args)
    return say(Math(Partial(f, v)))


def _sgd_step(problem: Problem, call: ast.Call) -> Sentence:
    v, f = (_shown(problem, a) for a in call.args)
    out = say("one gradient-descent step on ", Math(v), " for ", Math(f))
    lr = _kw(problem, call, "lr")
    return say(out, " with ", Rel(ETA, "=", lr, kind="definition")) if lr is not None else out


def _start_symbol(problem: Problem, call: ast.Call) -> Any:
    """w₀ for a function of one scalar; x⁽⁰⁾ (w⁽⁰⁾ for several scalars) otherwise."""
    node = call.args[0]
    binding = problem.names.get(node.id) if isinstance(node, ast.Name) else None
    fn = binding.value if binding is not None and isinstance(binding.value, UserFunction) else None
    if fn is None or (len(fn.params) == 1 and isinstance(fn.param_values()[fn.params[0]], sp.Symbol)):
        return sp.Symbol("w_0")
    n = call.kwarg("start")
    size = len(problem.value(n)) if n is not None and isinstance(problem.value(n), sp.MatrixBase) else 1
    return iterate(fn.params[0] if len(fn.params) == 1 else "w", 0, size)


def _gd(problem: Problem, call: ast.Call, method: str = "gradient descent") -> Sentence:
    f = _shown(problem, call.args[0])
    steps, lr, start = (_kw(problem, call, k) for k in ("steps", "lr", "start"))
    out = say(f"{method} on ", Math(f)) if steps is None else \
        say(f"{steps} step{'' if steps == 1 else 's'} of {method} on ", Math(f))
    if start is not None:
        out = say(out, " from ", Rel(_start_symbol(problem, call), "=", start, kind="definition"))
    if lr is not None:
        out = say(out, ", with " if start is not None else " with ", Rel(ETA, "=", lr, kind="definition"))
    mu = _kw(problem, call, "momentum")
    if mu is not None:
        out = say(out, " and momentum ", Rel(sp.Symbol("mu"), "=", mu, kind="definition"))
    return out


def _solve(problem: Problem, call: ast.Call) -> Sentence:
    A, b = (_shown(problem, a) for a in call.args)
    x = sp.MatrixSymbol("x", A.shape[1], b.shape[1]) if isinstance(A, sp.MatrixExpr) and hasattr(b, "shape") \
        else sp.Symbol("x")
    ax = sp.MatMul(A, x, evaluate=False) if isinstance(x, sp.MatrixSymbol) else sp.Mul(A, x, evaluate=False)
    return say("the solution ", Math(x), " of ", Rel(ax, "=", b, kind="definition"))


def _method(name: str) -> Callable[[Problem, ast.Call], Sentence]:
    return lambda problem, call: _gd(problem, call, name)


def _of(words: str) -> Callable[[Problem, ast.Call], Sentence]:
    """`words` followed by the goal's arguments as maths ("the Hessian of f in w")."""
    def title(problem: Problem, call: ast.Call) -> Sentence:
        args = [Math(_shown(problem, a)) for a in call.args]
        return say(words, " ", join(args, " in ")) if args else say(words)
    return title


def _params(problem: Problem, call: ast.Call) -> Sentence:
    if not call.args:
        return say("the number of trainable parameters")
    return say("the number of trainable parameters of ", join([Math(_shown(problem, a)) for a in call.args]))


def _derivation(problem: Problem, call: ast.Call) -> Sentence:
    from .. import derivations
    node = call.args[0]
    name = node.id if isinstance(node, ast.Name) else getattr(node, "value", None)
    found = derivations.lookup(name) if isinstance(name, str) else None
    if found is None:
        raise TypeError("no such derivation")
    lead = "a proof that " if " is " in found.title or " gives " in found.title else ""
    return say(lead + found.title[:1].lower() + found.title[1:])


def _posterior(problem: Problem, call: ast.Call) -> Sentence:
    i = problem.value(call.args[2])
    return say(Math(Prob(sp.Symbol(f"H{i}"), sp.Symbol("E"))))


def _metric(words: str) -> Callable[[Problem, ast.Call], Sentence]:
    """"the precision", "the recall at θ = 0.5" (with the threshold the goal gives)."""
    def title(problem: Problem, call: ast.Call) -> Sentence:
        theta = _kw(problem, call, "threshold")
        if theta is None:
            return say(words)
        return say(words, " at ", Rel(sp.Symbol("theta"), "=", decimal(theta), kind="definition"))
    return title


def _fn(name: str, words: str) -> Callable[[Problem, ast.Call], Sentence]:
    """`words` and the quantity as a function of the goal's arguments: "the entropy H(p)"."""
    def title(problem: Problem, call: ast.Call) -> Sentence:
        return say(words, " ", Math(sp.Function(name)(*(_shown(problem, a) for a in call.args))))
    return title


def _kl(problem: Problem, call: ast.Call) -> Sentence:
    p, q = (_shown(problem, a) for a in call.args)
    return say("the Kullback–Leibler divergence of ", Math(p), " from ", Math(q))


def _gain(problem: Problem, call: ast.Call) -> Sentence:
    parent, children = (_shown(problem, a) for a in call.args)
    return say("the information gain of splitting ", Math(parent), " into ", Math(children))


WORDS = {"lr": "learning rate", "batch": "batch size", "k": "k"}


def _with(problem: Problem, call: ast.Call, out: Sentence, keys: dict[str, Any]) -> Sentence:
    """`out` followed by the keywords of `keys` (name -> its symbol) the goal gives: a number
    as a definition (η = 1/10), a symbol in words ("batch size B")."""
    given = []
    for k, sym in keys.items():
        if call.kwarg(k) is None:
            continue
        v = _kw(problem, call, k)
        if not isinstance(v, sp.Symbol):
            given.append(Rel(sym, "=", v, kind="definition"))
        else:
            given.append(Math(v) if WORDS[k] == str(v) else say(WORDS[k], " ", Math(v)))
    lead = ", with " if any(isinstance(p, str) and " with " in p for p in out.parts) else " with "
    return say(out, lead, join(given, ", ", " and ")) if given else out


def _kmeans(problem: Problem, call: ast.Call) -> Sentence:
    steps = _kw(problem, call, "steps")
    lead = "k-means (Lloyd's algorithm)" if steps is None else \
        f"{steps} iteration{'' if steps == 1 else 's'} of k-means (Lloyd's algorithm)"
    return say(lead, " on ", Math(_shown(problem, call.args[0])))


def _pca(problem: Problem, call: ast.Call) -> Sentence:
    out = say("the principal components of ", Math(_shown(problem, call.args[0])))
    return _with(problem, call, out, {"k": sp.Symbol("k")})


def _perceptron(problem: Problem, call: ast.Call) -> Sentence:
    X, y = (_shown(problem, a) for a in call.args)
    out = say("the perceptron rule on ", Math(X), " with labels ", Math(y))
    return _with(problem, call, out, {"lr": ETA})


def _classify(words: str) -> Callable[[Problem, ast.Call], Sentence]:
    """"the k-nearest-neighbour class of x, from X and y" (with k when given)."""
    def title(problem: Problem, call: ast.Call) -> Sentence:
        X, y, x = (_shown(problem, a) for a in call.args)
        out = say(f"the {words} class of ", Math(x), ", from ", Math(X), " with labels ", Math(y))
        return _with(problem, call, out, {"k": sp.Symbol("k")})
    return title


def _best_split(problem: Problem, call: ast.Call) -> Sentence:
    X, y = (_shown(problem, a) for a in call.args)
    return say("the best root split of a decision tree on ", Math(X), " with labels ", Math(y))


def _minibatch_sgd(problem: Problem, call: ast.Call) -> Sentence:
    f, *vs = (_shown(problem, a) for a in call.args)
    out = say("mini-batch stochastic gradient descent on ", join([Math(v) for v in vs]), " for ", Math(f)) \
        if vs else say("mini-batch stochastic gradient descent on ", Math(f))
    return _with(problem, call, out, {"lr": ETA, "batch": sp.Symbol("B")})


def _pseudocode(problem: Problem, call: ast.Call) -> Sentence:
    """"pseudocode for mini-batch SGD on w for L"; the algorithm as written when it has no title."""
    inner = call.args[0]
    if isinstance(inner, ast.Call) and inner.name in TITLES and not problem.has(inner.name):
        return say("pseudocode for ", TITLES[inner.name](problem, inner))
    raise TypeError("an algorithm without a title")


def _choice(problem: Problem, call: ast.Call) -> Sentence:
    """"the option that equals P(H₁ | E)": the inner goal's title when it has one."""
    inner = call.args[0]
    if isinstance(inner, ast.Call) and inner.name in TITLES and not problem.has(inner.name):
        return say("the option that equals ", TITLES[inner.name](problem, inner))
    return say("the option that equals ", Math(_shown(problem, inner)))


TITLES: dict[str, Callable[[Problem, ast.Call], Sentence]] = {
    "grad": _grad, "sgd_step": _sgd_step, "gd": _gd,
    "hessian": _of("the Hessian of"),
    "convex": lambda p, c: say("whether ", Math(_shown(p, c.args[0])), " is convex in ", Math(_shown(p, c.args[1]))),
    "expand": _of("the expansion of"), "simplify": _of("the simplest form of"),
    "lr_range": _of("the learning rates for which gradient descent converges on"),
    "optimal_lr": _of("the optimal learning rate for"),
    "adam": _method("Adam"), "rmsprop": _method("RMSprop"), "adagrad": _method("Adagrad"),
    "newton": _method("Newton's method"),
    "argmin": lambda p, c: say("the minimiser of ", join([Math(_shown(p, a)) for a in c.args], " over ")),
    "inv": _of("the inverse of"), "det": _of("the determinant of"),
    "eigenvalues": _of("the eigenvalues of"), "eigenvectors": _of("the eigenvectors of"),
    "solve": _solve,
    "params": _params, "shapes": lambda p, c: say("the shape of every trainable tensor"),
    "shape": _of("the output shape of"), "posterior": _posterior,
    "precision": _metric("the precision"), "recall": _metric("the recall"), "f1": _metric("the F1 score"),
    "accuracy": _metric("the accuracy"), "confusion": _metric("the confusion matrix"),
    "roc": _metric("the ROC curve"), "auc": _metric("the area under the ROC curve"),
    "choice": _choice,
    "feature_map": _of("a feature map φ of the kernel"),
    "distance": lambda p, c: say("the distance from ", Math(_shown(p, c.args[0])), " to ",
                                 "the hyperplane " if getattr(c.args[1], "name", None) == "hyperplane" else "",
                                 Math(_shown(p, c.args[1]))),
    "margin": lambda p, c: say("the margin of the hyperplane ", Math(_shown(p, c.args[0]))),
    "derivation": _derivation,
    "pseudocode": _pseudocode,
    "evaluate": _of("the value of"),
    "psd": lambda p, c: say("whether ", Math(_shown(p, c.args[0])), " is positive semidefinite"),
    "cross_entropy": _fn("H", "the cross-entropy"), "entropy": _fn("H", "the entropy"), "kl": _kl,
    "gini": _of("the Gini impurity of"), "information_gain": _gain,
    "kmeans": _kmeans, "pca": _pca, "perceptron": _perceptron,
    "knn": _classify("k-nearest-neighbour"), "naive_bayes": _classify("naive Bayes"),
    "best_split": _best_split, "minibatch_sgd": _minibatch_sgd,
    "forward": _of("the forward pass of"),
}


def title(problem: Problem, expr: ast.Expr) -> Sentence:
    """The goal `expr` as the handout states it (see the module docstring)."""
    try:
        if isinstance(expr, ast.Call) and expr.name in TITLES and not problem.has(expr.name):
            return TITLES[expr.name](problem, expr)
        if not isinstance(expr, ast.Call):
            return say(Math(_shown(problem, expr)))
    except (DeriveError, TypeError, ValueError, AttributeError, IndexError):
        pass   # an argument derive cannot show: the goal as written (its error is reported by the goal)
    return say(Code(expr.pos.snippet()))
