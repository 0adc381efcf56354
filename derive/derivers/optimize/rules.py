"""PyTorch's optimisers as update rules on columns: SGD (momentum, dampening, Nesterov,
weight decay), Adam, RMSprop, Adagrad, and Newton's method.

In: a `Multi` objective, an `Optimizer` (its hyperparameters, PyTorch's names and
defaults) and a start column.  Out: a `Trace`: one `Record` per iteration holding every
quantity the update computed (the gradient, the buffers, the new point), exact while the
numbers stay short (SGD-type and Newton with rational data), else to 30 significant
digits; a run whose entries pass 10¹² times the start's size stops with `diverged` set
instead of printing huge numbers.

The rules follow torch.optim (2.x) exactly:
* SGD: g ← ∇f(w) + λw; with momentum μ: b ← g at the first step, else b ← μb + (1 − τ)g;
  Nesterov: g ← g + μb, else g ← b; w ← w − ηg.
* Adam: m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g², m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ),
  w ← w − η m̂/(√v̂ + ε).
* RMSprop: v ← αv + (1 − α)g², w ← w − η g/(√v + ε).
* Adagrad: s ← s + g², w ← w − η/(1 + (t − 1)·lr_decay) · g/(√s + ε).
* Newton: w ← w − H(w)⁻¹∇f(w).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import mpmath
import sympy as sp

from ...errors import SpecError
from .display import DIGITS
from .multi import Multi
from .objective import tidy
from .run import bound, numeric
from ...records import record

MAX_EXACT_CHARS = 24          # a rational entry longer than this switches the run to decimals


@record
class Optimizer:
    """An optimiser and its hyperparameters (sympy numbers), as PyTorch names them."""

    kind: str                 # "sgd", "adam", "rmsprop", "adagrad", "newton"
    lr: Any = sp.Integer(1)
    momentum: Any = sp.Integer(0)
    dampening: Any = sp.Integer(0)
    nesterov: bool = False
    weight_decay: Any = sp.Integer(0)
    betas: tuple = (sp.Rational(9, 10), sp.Rational(999, 1000))
    eps: Any = sp.Rational(1, 10 ** 8)
    alpha: Any = sp.Rational(99, 100)
    lr_decay: Any = sp.Integer(0)

    @property
    def adaptive(self) -> bool:
        """Adam, RMSprop and Adagrad divide by square roots: their iterates are decimals."""
        return self.kind in ("adam", "rmsprop", "adagrad")


@dataclass
class Record:
    """One iteration t: name -> column (lists of numbers), e.g. "g", "b", "m", "mhat", "x"."""

    t: int
    values: dict = field(default_factory=dict)


@dataclass
class Trace:
    """The iterates w⁽⁰⁾ ... w⁽ᵏ⁾, the records of each update, and how the run ended."""

    ws: list
    records: list
    exact: bool = True
    switched: int | None = None     # the first iteration computed in decimals
    diverged: int | None = None     # the iteration at which an entry passed `bound`


def _too_long(x: Any) -> bool:
    if isinstance(x, sp.Rational):
        return len(str(x.p)) + len(str(x.q)) > MAX_EXACT_CHARS
    return sp.count_ops(x) > 12


class _Exact:
    """Arithmetic on sympy numbers (exact)."""

    def __init__(self, obj: Multi):
        self.obj = obj

    def num(self, x: Any) -> Any:
        return sp.sympify(x, strict=True)

    def grad(self, w: list) -> list:
        return list(self.obj.grad_at(w))

    def newton_dir(self, w: list, g: list) -> list:
        H = self.obj.hess_at(w)
        if H.det() == 0:
            raise ZeroDivisionError("the Hessian is singular")
        return [tidy(e) for e in H.LUsolve(sp.Matrix(g))]

    def sqrt(self, x: Any) -> Any:
        return sp.sqrt(x)

    def out(self, x: Any) -> Any:
        return tidy(x)


class _Decimal:
    """Arithmetic on mpmath numbers at DIGITS significant digits."""

    def __init__(self, obj: Multi):
        self.obj = obj
        self.g = [_numeric_of(e, obj) for e in obj.grad]

    def num(self, x: Any) -> Any:
        return mpmath.mpmathify(sp.N(x, DIGITS + 5)) if isinstance(x, sp.Basic) else mpmath.mpf(x)

    def grad(self, w: list) -> list:
        return [_real(p(w)) for p in self.g]

    def newton_dir(self, w: list, g: list) -> list:
        H = mpmath.matrix(self.hessian_at(w))    # (1/√(1+w²) − w²/(1+w²)^{3/2} cancels in plain decimals)
        if mpmath.det(H) == 0:
            raise ZeroDivisionError("the Hessian is singular")
        return list(mpmath.lu_solve(H, mpmath.matrix(g)))

    def hessian_at(self, w: list) -> list:
        """The Hessian at the point `w` itself (its decimals read as the exact binary numbers
        they are), by sympy's evalf, which raises its working precision until DIGITS digits
        are right: an entry that cancels to nothing at DIGITS is still found, and an entry
        that is 0 is 0."""
        H = self.obj.at(self.obj.hess, [_exact(mpmath.mpf(x)) for x in w])
        return [[_real(mpmath.mpmathify(sp.N(e, DIGITS))) for e in H.row(i)] for i in range(self.obj.n)]

    def sqrt(self, x: Any) -> Any:
        return mpmath.sqrt(x)

    def out(self, x: Any) -> Any:
        return x


def _exact(x: mpmath.mpf) -> sp.Rational:
    """The binary number an mpmath decimal is, exactly (± mantissa × 2^exponent)."""
    if not x:
        return sp.Integer(0)
    man, exp = x.man_exp
    return (-1 if x < 0 else 1) * sp.Integer(man) * sp.Integer(2) ** int(exp)


def _numeric_of(expr: Any, obj: Multi) -> Any:
    """expr (in the components) as a function of a list of mpmath numbers."""
    if obj.n == 1:
        fn = numeric(expr, obj.comps[0])
        return lambda w: fn(w[0])
    return lambda w: mpmath.mpmathify(sp.N(expr.xreplace({c: sp.Float(x, DIGITS) for c, x in zip(obj.comps, w)}),
                                           DIGITS))


def _real(z: Any) -> Any:
    if isinstance(z, mpmath.mpc):
        if abs(z.imag) > 1e-12 * max(1, abs(z.real)):
            raise ValueError("not real")
        return z.real
    return z


def update(opt: Optimizer, ar: Any, t: int, w: list, state: dict) -> Record:
    """One iteration t (1-based) from w; `state` holds the buffers and is updated."""
    h = {k: ar.num(v) for k, v in vars(opt).items() if not isinstance(v, (str, bool, tuple))}
    rec = Record(t)
    raw = ar.grad(w)
    g = [ar.out(gi + h["weight_decay"] * wi) for gi, wi in zip(raw, w)]
    rec.values.update(raw=raw, g=g)
    if opt.kind == "sgd":
        if opt.momentum != 0:
            prev = state.get("b")
            b = list(g) if prev is None else [ar.out(h["momentum"] * bi + (1 - h["dampening"]) * gi)
                                              for bi, gi in zip(prev, g)]
            state["b"] = b
            rec.values["b"] = b
            step = [ar.out(gi + h["momentum"] * bi) for gi, bi in zip(g, b)] if opt.nesterov else b
            if opt.nesterov:
                rec.values["n"] = step
        else:
            step = g
        new = [ar.out(wi - h["lr"] * si) for wi, si in zip(w, step)]
    elif opt.kind == "newton":
        d = ar.newton_dir(w, raw)
        rec.values["d"] = d
        new = [ar.out(wi - di) for wi, di in zip(w, d)]
    else:
        new = _adaptive(opt, ar, h, t, w, g, state, rec)
    rec.values["x"] = new
    return rec


def _adaptive(opt: Optimizer, ar: Any, h: dict, t: int, w: list, g: list, state: dict, rec: Record) -> list:
    """Adam, RMSprop, Adagrad: the moment buffers and the step (decimals)."""
    zero = [ar.num(0)] * len(w)
    eps, lr = h["eps"], h["lr"]
    if opt.kind == "adam":
        b1, b2 = (ar.num(b) for b in opt.betas)
        m = [b1 * mi + (1 - b1) * gi for mi, gi in zip(state.get("m", zero), g)]
        v = [b2 * vi + (1 - b2) * gi * gi for vi, gi in zip(state.get("v", zero), g)]
        mhat = [mi / (1 - b1 ** t) for mi in m]
        vhat = [vi / (1 - b2 ** t) for vi in v]
        state.update(m=m, v=v)
        rec.values.update(m=m, v=v, mhat=mhat, vhat=vhat)
        return [wi - lr * mh / (ar.sqrt(vh) + eps) for wi, mh, vh in zip(w, mhat, vhat)]
    if opt.kind == "rmsprop":
        a = h["alpha"]
        v = [a * vi + (1 - a) * gi * gi for vi, gi in zip(state.get("v", zero), g)]
        state["v"] = v
        rec.values["v"] = v
        return [wi - lr * gi / (ar.sqrt(vi) + eps) for wi, gi, vi in zip(w, g, v)]
    s = [si + gi * gi for si, gi in zip(state.get("s", zero), g)]
    state["s"] = s
    clr = lr / (1 + (t - 1) * h["lr_decay"])
    rec.values.update(s=s, clr=[clr])
    return [wi - clr * gi / (ar.sqrt(si) + eps) for wi, gi, si in zip(w, g, s)]


def _finite(col: list, limit: float) -> bool:
    return all(abs(x) <= limit for x in col)


def run(obj: Multi, opt: Optimizer, w0: sp.ImmutableMatrix, k: int, pos: Any) -> Trace:
    """k iterations from w0: exact while short (never for the adaptive optimisers), then decimals."""
    trace = Trace([list(w0)], [])
    ar: Any = _Exact(obj)
    if opt.adaptive:
        ar, trace.exact, trace.switched = _Decimal(obj), False, 1
    with mpmath.workdps(DIGITS):              # (the decimals are worked to DIGITS digits, as shown)
        return _iterate(obj, opt, ar, trace, [ar.num(x) for x in w0], {}, k, w0, pos)


def _iterate(obj: Multi, opt: Optimizer, ar: Any, trace: Trace, w: list, state: dict, k: int,
             w0: sp.ImmutableMatrix, pos: Any) -> Trace:
    for t in range(1, k + 1):
        saved = dict(state)
        try:
            rec = update(opt, ar, t, w, state)
        except ZeroDivisionError:
            raise SpecError(f"Newton's method stops at {obj.point}^({t - 1}): the Hessian of `{obj.name}` is singular "
                            "there, so the Newton step is not defined", pos.pos) from None
        except (ValueError, TypeError):
            raise SpecError(f"`{obj.name}` or its gradient is not a real number at {obj.point}^({t - 1}): the "
                            f"optimiser has left the domain of `{obj.name}`", pos.pos) from None
        new = rec.values["x"]
        if trace.exact and any(_too_long(x) for vals in rec.values.values() for x in vals):
            ar, trace.exact, trace.switched = _Decimal(obj), False, t
            state = {key: [ar.num(x) for x in val] for key, val in saved.items()}
            rec = update(opt, ar, t, [ar.num(x) for x in w], state)
            new = rec.values["x"]
        trace.records.append(rec)
        if not _finite([abs(sp.N(x, 20)) if isinstance(x, sp.Basic) else abs(x) for x in new],
                       bound(w0) or float("inf")):
            trace.diverged = t
            return trace
        w = new
        trace.ws.append(list(w))
    return trace


def as_sympy(x: Any) -> Any:
    """An mpmath number as a 30-digit sympy Float; sympy numbers as they are."""
    return sp.Float(x, DIGITS) if isinstance(x, (mpmath.mpf, mpmath.mpc)) else x
