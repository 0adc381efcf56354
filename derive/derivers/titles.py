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
        if binding.kind == "layer":
            return sp.Symbol(node.id)
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
    return lambda problem, call: say(words)


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
    "choice": lambda p, c: say("the option that equals ", Math(_shown(p, c.args[0]))),
    "feature_map": _of("a feature map φ of the kernel"),
    "distance": lambda p, c: say("the distance from ", Math(_shown(p, c.args[0])), " to ",
                                 "the hyperplane " if getattr(c.args[1], "name", None) == "hyperplane" else "",
                                 Math(_shown(p, c.args[1]))),
    "margin": lambda p, c: say("the margin of the hyperplane ", Math(_shown(p, c.args[0]))),
    "derivation": _derivation,
    "pseudocode": lambda p, c: say("pseudocode for ", Code(c.args[0].pos.snippet())),
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
