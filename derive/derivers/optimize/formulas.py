"""The update rules of the optimisers as sympy formulas, and their numbers put in.

In: an `Optimizer`.  Out: `quantities(opt, t)`: the quantities one iteration computes, in
order, each a `Quantity` (the key of its value in a `Record`, its display base, and its
formula for one coordinate in the symbols of `notation_iterates.scalar` and the hyperparameter
symbols); `hyper_values(opt)` binds those symbols to the optimiser's numbers; and
`numbers_in(formula, lookup, hyper)`: the formula for each coordinate with the values put
in, unevaluated (a column), which a step checks against the computed value.
"""
from __future__ import annotations

from typing import Any, Callable

import sympy as sp

from .display import Dec, Shown, num
from .rules import Optimizer, as_sympy
from ...notation_iterates import Approx, Iterate, scalar, vec
from ...records import record

ETA, MU, TAU, LAM = sp.Symbol("eta", positive=True), sp.Symbol("mu"), sp.Symbol("tau"), sp.Symbol("lambda")
BETA1, BETA2, EPS, ALPHA = sp.Symbol("beta_1"), sp.Symbol("beta_2"), sp.Symbol("epsilon"), sp.Symbol("alpha")
DECAY, T = sp.Symbol("gamma"), sp.Symbol("t")


@record
class Quantity:
    """One quantity of an iteration: its Record key, display base (and hat), formula."""

    key: str
    base: str
    formula: Any
    hat: bool = False
    name: str = ""


def hyper_values(opt: Optimizer) -> dict:
    """The hyperparameter symbols -> the optimiser's values."""
    return {ETA: opt.lr, MU: opt.momentum, TAU: opt.dampening, LAM: opt.weight_decay, BETA1: opt.betas[0],
            BETA2: opt.betas[1], EPS: opt.eps, ALPHA: opt.alpha, DECAY: opt.lr_decay}


def _add(*terms: Any) -> Any:
    return sp.Add(*terms, evaluate=False)


def _mul(*factors: Any) -> Any:
    return sp.Mul(*factors, evaluate=False)


def _minus(x: Any) -> Any:
    return _mul(-1, x)


def _over(a: Any, b: Any) -> Any:
    return _mul(a, sp.Pow(b, -1, evaluate=False))


def _sq(x: Any) -> Any:
    return sp.Pow(x, 2, evaluate=False)


def _root(x: Any) -> Any:
    return sp.Pow(x, sp.Rational(1, 2), evaluate=False)


def _g(opt: Optimizer, point: str, fname: str) -> Any:
    """The gradient the rule uses: ∇f(x⁽ᵗ⁻¹⁾), plus λx⁽ᵗ⁻¹⁾ with weight decay."""
    grad = Iterate(f"grad|{fname}|{point}|t-1", real=True)
    return _add(grad, _mul(LAM, scalar(point, "t-1"))) if opt.weight_decay != 0 else grad


def _sgd(opt: Optimizer, point: str, fname: str, t: int, step: Any) -> list[Quantity]:
    """Momentum (and Nesterov) of PyTorch's SGD, then the step."""
    x0, out = scalar(point, "t-1"), []
    if opt.momentum != 0:
        first = step if t == 1 else _add(_mul(MU, scalar("b", "t-1")), _mul(_add(1, _minus(TAU)), step))
        out.append(Quantity("b", "b", first, name="the momentum buffer"))
        if opt.nesterov:
            out.append(Quantity("n", "n", _add(step, _mul(MU, scalar("b", "t"))), name="the Nesterov step"))
        step = scalar("n", "t") if opt.nesterov else scalar("b", "t")
    return out + [Quantity("x", point, _add(x0, _minus(_mul(ETA, step))))]


def quantities(opt: Optimizer, point: str, fname: str, t: int) -> list[Quantity]:
    """What iteration t computes, in order (for t = 1 the momentum buffer starts at g)."""
    x0 = scalar(point, "t-1")
    wd = opt.weight_decay != 0
    out = [Quantity("g", "g", _g(opt, point, fname), name="the gradient with weight decay")] if wd else []
    step: Any = scalar("g", "t") if wd else _g(opt, point, fname)
    if opt.kind == "sgd":
        return out + _sgd(opt, point, fname, t, step)
    if opt.kind == "adam":
        m, v = scalar("m", "t"), scalar("v", "t")
        return out + [
            Quantity("m", "m", _add(_mul(BETA1, scalar("m", "t-1")), _mul(_add(1, _minus(BETA1)), step)),
                     name="the first moment"),
            Quantity("v", "v", _add(_mul(BETA2, scalar("v", "t-1")), _mul(_add(1, _minus(BETA2)), _sq(step))),
                     name="the second moment"),
            Quantity("mhat", "m", _over(m, _add(1, _minus(sp.Pow(BETA1, T, evaluate=False)))), hat=True,
                     name="bias-corrected"),
            Quantity("vhat", "v", _over(v, _add(1, _minus(sp.Pow(BETA2, T, evaluate=False)))), hat=True,
                     name="bias-corrected"),
            Quantity("x", point, _add(x0, _minus(_over(_mul(ETA, scalar("m", "t", True)),
                                                       _add(_root(scalar("v", "t", True)), EPS)))))]
    if opt.kind == "rmsprop":
        return out + [
            Quantity("v", "v", _add(_mul(ALPHA, scalar("v", "t-1")), _mul(_add(1, _minus(ALPHA)), _sq(step))),
                     name="the square average"),
            Quantity("x", point, _add(x0, _minus(_over(_mul(ETA, step), _add(_root(scalar("v", "t")), EPS)))))]
    rate = _over(ETA, _add(1, _mul(_add(T, -1), DECAY))) if opt.lr_decay != 0 else ETA
    return out + [Quantity("s", "s", _add(scalar("s", "t-1"), _sq(step)), name="the sum of squares"),
                  Quantity("x", point, _add(x0, _minus(_over(_mul(rate, step), _add(_root(scalar("s", "t")), EPS)))))]


def put(expr: Any, rep: dict) -> Any:
    """expr with the replacements made and nothing evaluated (the order written kept)."""
    if expr in rep:
        return rep[expr]
    if not expr.args or expr.is_Atom:
        return expr
    args = [put(a, rep) for a in expr.args]
    if isinstance(expr, (sp.Add, sp.Mul, sp.Pow)):
        return expr.func(*args, evaluate=False)
    return expr.func(*args)


def at_iteration(formula: Any, t: int) -> Any:
    """The formula with the indices t and t − 1 written as numbers (b⁽¹⁾ = g⁽¹⁾)."""
    rep = {}
    for s in formula.free_symbols:
        if isinstance(s, Iterate):
            parts = s._parts()
            parts[-2 if parts[0] == "it" else -1] = str(t if parts[-2 if parts[0] == "it" else -1] == "t" else t - 1)
            rep[s] = Iterate("|".join(parts), real=True)
    rep[T] = sp.Integer(t)
    return put(formula, rep)


def shown_number(x: Any) -> Any:
    """A value put in: exact as an exam writes it (0.1), a decimal to 6 digits (full inside)."""
    x = as_sympy(x)
    if isinstance(x, sp.Rational) and not isinstance(num(x), (sp.Integer, Dec)) and abs(x) < sp.Rational(1, 10 ** 4):
        return Shown(Approx(x))          # eps = 1e-8 shown as 1.0e-8
    return Shown(Approx(x)) if isinstance(x, sp.Float) else Shown(num(x))


def numbers_in(formula: Any, lookup: Callable[[str, str, int], Any], hyper: dict, t: int, n: int) -> Any:
    """The column whose i-th entry is `formula` with coordinate i of every state put in."""
    syms = [s for s in formula.free_symbols if isinstance(s, Iterate)]
    base = {h: shown_number(v) for h, v in hyper.items() if h in formula.free_symbols}
    base[T] = sp.Integer(t)
    rows = []
    for i in range(n):
        rep = dict(base)
        for s in syms:
            kind, b, index, hat = s._parts()
            key = "grad" if kind == "grad" else b + hat
            rep[s] = shown_number(lookup(key, index, i))
        rows.append(put(formula, rep))
    return vec(rows)
