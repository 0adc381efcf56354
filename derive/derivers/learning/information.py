"""Information theory: `entropy`, `kl`, `cross_entropy` (with `base`), `information_gain`, `gini`.

In: goal calls such as `entropy(p, base = 2)`, `kl(p, q)`, `cross_entropy(p, q, base = 2)`,
`information_gain(parent, [child1, child2])`, `gini(counts)`.  Out: the exact value
(logarithms kept: log₂3 − 2/3) with each term shown, and its decimal.

* A distribution is a vector of probabilities summing to 1, or of counts (whole numbers
  not summing to 1), which are divided by their total first (a step says so).
* A term with p_i = 0 is 0 by the convention 0·log 0 = 0 (stated in the step that drops it).
* `base` is 2, 10 or e (`base = e`, or `exp(1)`): entropy, information gain default to
  base 2 (bits); `kl` and `cross_entropy` to base e (nats, as SciPy and PyTorch).
  `cross_entropy(y, y_hat)` without `base` is the network loss (derive.derivers.evaluate).
* D_KL(p‖q) is +∞ when some p_i > 0 meets q_i = 0 (said so); cross-entropy likewise.

The term builders (`entropy_of`, `gini_of`) are shared with `best_split`.
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from ... import ast, unevaluated
from ...errors import SpecError
from ...model.expressions import Words
from ...model.problem import Problem
from ...sentence import Math, Rel, join, say
from ...steps import Step, make_step
from ...unevaluated import mul
from ..registry import Derived, make_answer
from .data import exact, rows_of, vector_of
from .notation import Log
from ...records import record


@record
class Terms:
    """−Σ p_i log_b p_i (or Σ …) shown term by term, its value, and the zero terms dropped."""

    shown: Any
    value: Any
    dropped: tuple[int, ...]


def base_of(problem: Problem, call: ast.Call, default: Any) -> Any:
    """The logarithm base: 2, 10 or e (a bare `e` is Euler's number unless the problem defines e)."""
    node = call.kwarg("base")
    if node is None:
        return default
    if isinstance(node, ast.Name) and node.id == "e" and not problem.has("e"):
        return sp.E
    value = problem.value(node)
    if isinstance(value, str) and value == "e":
        return sp.E
    if value in (2, 10, sp.E):
        return value
    raise SpecError("`base` is 2, 10 or e", node.pos)


def distribution(values: list[Any], node: ast.Expr, what: str) -> tuple[list[Any], list[Step]]:
    """Probabilities from probabilities or counts, and the normalising step when counts."""
    if not values:
        raise SpecError(f"{what} is empty", node.pos)
    for v in values:
        if v < 0:
            raise SpecError(f"{what} must be nonnegative; {v} is not", node.pos)
    total = sp.Add(*values)
    if total == 1:
        return list(values), []
    if total == 0 or not all(v.is_integer for v in values):
        raise SpecError(f"{what} must be probabilities summing to 1 or whole-number counts; they sum to {total}",
                        node.pos)
    probs = [sp.Rational(v, total) for v in values]
    n = sp.Symbol("n")
    shown = unevaluated.add(*values)
    step = make_step("counts", say("These are counts, not probabilities: divide each by their total ",
                                   Rel(n, "=", shown), ", which gives ", Math(tuple(probs)), "."),
                     where={n: total})
    return probs, [step]


def probabilities(problem: Problem, node: ast.Expr, what: str) -> tuple[list[Any], list[Step]]:
    """A distribution argument (a vector of probabilities or counts)."""
    values = vector_of(problem, node, what)
    if any(isinstance(v, str) for v in values):
        raise SpecError(f"{what} must be numbers, not strings", node.pos)
    return distribution(values, node, what)


def _sum(terms: list[Any]) -> Any:
    if not terms:
        return sp.Integer(0)
    return terms[0] if len(terms) == 1 else sp.Add(*terms, evaluate=False)


def entropy_of(probs: list[Any], base: Any) -> Terms:
    """H = −Σ p_i log_b p_i, terms with p_i = 0 dropped (0·log 0 = 0)."""
    keep = [p for p in probs if p != 0]
    dropped = tuple(i for i, p in enumerate(probs, 1) if p == 0)
    shown = mul(-1, _sum([mul(p, Log(p, base, evaluate=False)) for p in keep]))
    value = simplest(-sp.Add(*[p * sp.log(p) for p in keep]) / sp.log(base))
    return Terms(shown, value, dropped)


def gini_of(probs: list[Any]) -> Terms:
    """G = 1 − Σ p_i²."""
    shown = unevaluated.add(1, mul(-1, _sum([unevaluated.power(p, 2) for p in probs])))
    return Terms(shown, 1 - sp.Add(*[p ** 2 for p in probs]), ())


def simplest(x: Any) -> Any:
    """An exact value with its logarithms split into logarithms of primes, each over
    log(base): log(3)/log(2) − 2/3 (shown as log₂3 − 2/3 by `shown_logs`)."""
    return sp.expand(sp.expand_log(sp.nsimplify(x) if isinstance(x, sp.Float) else x, force=True))


def shown_logs(value: Any, base: Any) -> Any:
    """`value` with each log(n)/log(base) written log_base(n) (for display; same number)."""
    if base == sp.E or not isinstance(value, sp.Expr):
        return value
    lb = sp.log(base)

    def term(t: Any) -> Any:
        c, factors = t.as_coeff_mul()
        if sp.Pow(lb, -1) not in factors:
            return t
        rest = [f for f in factors if f != sp.Pow(lb, -1)]
        logs = [f for f in rest if isinstance(f, sp.log)]
        if len(logs) != 1:
            return t
        others = [f for f in rest if f is not logs[0]]
        lead = [c] if c != 1 else []
        return sp.Mul(*lead, *others, Log(logs[0].args[0], base), evaluate=False)
    parts = [term(t) for t in sp.Add.make_args(value)]
    return parts[0] if len(parts) == 1 else sp.Add(*parts, evaluate=False)


def decimal_step(symbol: Any, value: Any, unit: str = "") -> list[Step]:
    """symbol ≈ its decimal, for a value that is not a whole number."""
    if value.is_Integer or value in (sp.oo,):
        return []
    return [make_step("decimal", say("As a decimal", f" ({unit})" if unit else "", ":"), symbol,
                      sp.Float(sp.N(value, 30), 6), relation="≈", where={symbol: value})]


def unit_of(base: Any) -> str:
    return {2: "bits", sp.E: "nats", 10: "decimal digits (hartleys)"}[base]


def _zero_note(dropped: tuple[int, ...], base: Any, name: str = "p") -> Any:
    """The sentence dropping the terms of zero probability (0·log 0 = 0), or nothing."""
    if not dropped:
        return say("")
    entries = join([Math(sp.Symbol(f"{name}_{i}")) for i in dropped], ", ", " and ")
    return say(" The zero entr", "ies " if len(dropped) > 1 else "y ", entries, " contribute",
               "" if len(dropped) > 1 else "s", " nothing, by the convention ",
               Rel(sp.Mul(0, Log(0, base), evaluate=False), "=", 0, kind="definition"), ".")


def entropy_steps(probs: list[Any], base: Any, symbol: Any, label: str = "") -> tuple[list[Step], Any]:
    """H(p) = −Σ p log p with the numbers put in, checked, and its value."""
    t = entropy_of(probs, base)
    steps = [make_step("entropy", say(label or "The entropy", f" in base {_base_name(base)}:",
                                      _zero_note(t.dropped, base)), symbol, t.shown, shown_logs(t.value, base), where={symbol: t.value})]
    return steps, t.value


def _base_name(base: Any) -> str:
    return "e" if base == sp.E else str(base)


def _definition(text: str, lhs: Any, rhs: Any) -> Step:
    return make_step("definition", say(text, Rel(lhs, "=", rhs, kind="definition"), "."), check=False)


_i, _n = sp.Symbol("i", integer=True), sp.Symbol("K", integer=True)
_p, _q = sp.IndexedBase("p"), sp.IndexedBase("q")
P, Q = sp.Symbol("p"), sp.Symbol("q")
D_KL, H_PQ = sp.Function("D_KL")(P, Q), sp.Function("H")(P, Q)


def entropy(problem: Problem, call: ast.Call) -> Derived:
    """H(p) = −Σ p_i log_b p_i."""
    base = base_of(problem, call, sp.Integer(2))
    probs, steps = probabilities(problem, call.args[0], "the distribution")
    H = sp.Symbol("H")
    rhs = sp.Mul(-1, sp.Sum(sp.Mul(_p[_i], Log(_p[_i], base), evaluate=False), (_i, 1, _n)), evaluate=False)
    steps.insert(0, _definition("Entropy: ", sp.Function("H")(sp.Symbol("p")), rhs))
    more, value = entropy_steps(probs, base, H)
    steps += more + decimal_step(H, value, unit_of(base))
    return Derived(make_answer(value, display=shown_logs(value, base)), tuple(steps))


def _pair(problem: Problem, call: ast.Call) -> tuple[list[Any], list[Any], list[Step]]:
    p, steps = probabilities(problem, call.args[0], "p")
    q, more = probabilities(problem, call.args[1], "q")
    if len(p) != len(q):
        raise SpecError(f"p has {len(p)} entries but q has {len(q)}: one of each per outcome", call.pos)
    return p, q, steps + more


def _infinite(p: list[Any], q: list[Any]) -> list[int]:
    return [i for i, (a, b) in enumerate(zip(p, q), 1) if a != 0 and b == 0]


def kl(problem: Problem, call: ast.Call) -> Derived:
    """D_KL(p‖q) = Σ p_i log_b(p_i/q_i)."""
    base = base_of(problem, call, sp.E)
    p, q, steps = _pair(problem, call)
    D = D_KL
    rhs = sp.Sum(sp.Mul(_p[_i], Log(_p[_i] / _q[_i], base), evaluate=False), (_i, 1, _n))
    steps.append(_definition("The Kullback–Leibler divergence of q from p: ", D_KL, rhs))
    bad = _infinite(p, q)
    if bad:
        return _infinite_answer(D, bad, steps)
    keep = [(a, b) for a, b in zip(p, q) if a != 0]
    dropped = tuple(i for i, a in enumerate(p, 1) if a == 0)
    ratios = [a / b for a, b in keep]                  # p_i/q_i worked out
    shown = _sum([mul(a, Log(r, base, evaluate=False)) for (a, _), r in zip(keep, ratios)])
    value = simplest(sp.Add(*[a * sp.log(a / b) for a, b in keep]) / sp.log(base))
    steps.append(make_step("kl", say(f"Put the numbers in (base {_base_name(base)}).", _zero_note(dropped, base)),
                           D, shown, shown_logs(value, base), where={D: value}))
    steps += decimal_step(D, value, unit_of(base))
    return Derived(make_answer(value, display=shown_logs(value, base)), tuple(steps))


def _infinite_answer(symbol: Any, bad: list[int], steps: list[Step]) -> Derived:
    idx = ", ".join(str(i) for i in bad)
    steps.append(make_step("infinite", say(f"At i = {idx}, p_i > 0 but q_i = 0: the term p_i log(p_i/q_i) is "
                                           "infinite, so ", Rel(symbol, "=", sp.oo, kind="fact"), "."), check=False))
    return Derived(make_answer(sp.oo), tuple(steps))


def cross_entropy(problem: Problem, call: ast.Call) -> Derived | None:
    """H(p, q) = −Σ p_i log_b q_i, checked as H(p) + D_KL(p‖q); None without `base` (the
    network loss of derive.derivers.evaluate handles that form)."""
    if call.kwarg("base") is None:
        return None
    base = base_of(problem, call, sp.E)
    p, q, steps = _pair(problem, call)
    Hpq = H_PQ
    rhs = sp.Mul(-1, sp.Sum(sp.Mul(_p[_i], Log(_q[_i], base), evaluate=False), (_i, 1, _n)), evaluate=False)
    steps.append(_definition("Cross-entropy: ", Hpq, rhs))
    bad = _infinite(p, q)
    if bad:
        return _infinite_answer(Hpq, bad, steps)
    keep = [(a, b) for a, b in zip(p, q) if a != 0]
    dropped = tuple(i for i, a in enumerate(p, 1) if a == 0)
    shown = mul(-1, _sum([mul(a, Log(b, base, evaluate=False)) for a, b in keep]))
    value = simplest(-sp.Add(*[a * sp.log(b) for a, b in keep]) / sp.log(base))
    steps.append(make_step("cross_entropy", say(f"Put the numbers in (base {_base_name(base)}).",
                                                _zero_note(dropped, base)), Hpq, shown, shown_logs(value, base),
                           where={Hpq: value}))
    h = entropy_of(p, base).value
    d = simplest(sp.Add(*[a * sp.log(a / b) for a, b in keep]) / sp.log(base))
    H, D = sp.Function("H")(P), D_KL
    steps.append(make_step("decomposition", say("Check: cross-entropy is entropy plus divergence, ",
                                                Rel(H, "=", shown_logs(h, base)), " and ",
                                                Rel(D, "=", shown_logs(d, base)), ":"),
                           Hpq, sp.Add(H, D, evaluate=False), shown_logs(value, base),
                           where={Hpq: value, H: h, D: d}))
    steps += decimal_step(Hpq, value, unit_of(base))
    return Derived(make_answer(value, display=shown_logs(value, base)), tuple(steps))


def gini(problem: Problem, call: ast.Call) -> Derived:
    """G = 1 − Σ p_i² from counts or probabilities."""
    probs, steps = probabilities(problem, call.args[0], "the counts")
    G = sp.Symbol("G")
    rhs = sp.Add(1, sp.Mul(-1, sp.Sum(_p[_i] ** 2, (_i, 1, _n)), evaluate=False), evaluate=False)
    steps.insert(0, _definition("Gini impurity: ", G, rhs))
    t = gini_of(probs)
    steps.append(make_step("gini", say("Put the class proportions in:"), G, t.shown, t.value, where={G: t.value}))
    steps += decimal_step(G, t.value)
    return Derived(make_answer(t.value), tuple(steps))


def _children(problem: Problem, node: ast.Expr, classes: int) -> list[list[Any]]:
    rows = rows_of(problem, node, "the children")
    value = problem.value(node)
    if isinstance(value, sp.MatrixBase) and value.shape[1] == 1 and classes != 1:
        rows = [list(value)]
    for r in rows:
        if len(r) != classes:
            raise SpecError(f"every child lists {classes} class counts, like the parent; one has {len(r)}", node.pos)
        if not all(v.is_integer and v >= 0 for v in r):
            raise SpecError("the children's entries must be whole-number counts", node.pos)
    return rows


def information_gain(problem: Problem, call: ast.Call) -> Derived:
    """IG = H(parent) − Σ_k (n_k/n) H(child_k), from class counts."""
    base = base_of(problem, call, sp.Integer(2))
    parent = vector_of(problem, call.args[0], "the parent's counts")
    if isinstance(problem.value(call.args[0]), Words) or not all(v.is_integer and v >= 0 for v in parent):
        raise SpecError("the parent is a vector of whole-number class counts", call.args[0].pos)
    children = _children(problem, call.args[1], len(parent))
    sums = [sp.Add(*col) for col in zip(*children)]
    if sums != list(parent):
        raise SpecError(f"the children's counts add up to {tuple(sums)} per class, not the parent's {tuple(parent)}",
                        call.args[1].pos)
    if any(sp.Add(*c) == 0 for c in children):
        raise SpecError("a child with no samples has no entropy; leave it out", call.args[1].pos)
    return gain_derivation(parent, children, base)


def gain_derivation(parent: list[Any], children: list[list[Any]], base: Any) -> Derived:
    """The steps of information_gain, from validated counts."""
    n = sp.Add(*parent)
    H0 = sp.Symbol("H_parent")
    steps, h0 = entropy_steps([exact(sp.Rational(v, n)) for v in parent], base, H0, "The parent's entropy")
    syms, weights, values = [], [], []
    for k, child in enumerate(children, 1):
        nk = sp.Add(*child)
        Hk = sp.Symbol(f"H_{k}")
        more, hk = entropy_steps([sp.Rational(v, nk) for v in child], base, Hk, f"Child {k} ({nk} samples)")
        steps += more
        syms.append(Hk)
        weights.append(sp.Rational(nk, n))
        values.append(hk)
    IG = sp.Symbol("IG")
    value = simplest(h0 - sp.Add(*[w * h for w, h in zip(weights, values)]))
    shown = unevaluated.add(H0, mul(-1, _sum([mul(w, s) for w, s in zip(weights, syms)])))
    where = {H0: h0, IG: value, **dict(zip(syms, values))}
    steps.append(make_step("information_gain", say("Information gain: the parent's entropy minus the children's, "
                                                   "each weighted by its share of the samples:"),
                           IG, shown, shown_logs(value, base), where=where))
    steps += decimal_step(IG, value, unit_of(base))
    return Derived(make_answer(value, display=shown_logs(value, base)), tuple(steps))
