"""Solution sets of conditions on one real symbol, exactly: where `A ⇔ B` is checked.

`solution_set(cond, s, domain)` is the subset of `domain` where `cond` (a relation, or
And/Or/Not of relations, in the real symbol `s`) holds; `domain_of(s)` is the interval
that `s`'s assumptions allow.  A relation between continuous piecewise polynomials (+, ×,
integer powers, |.|, max, min) is solved by derive's own route: cut the line at every
point where the relation can change (roots of each branch, branch switches), and decide
each piece at one rational point inside it, exactly.  Anything else goes to sympy's
`solveset`.
"""
from __future__ import annotations

from typing import Any

import sympy as sp


def solution_set(cond: Any, s: sp.Symbol, domain: sp.Set) -> sp.Set:
    """The set of values of `s` in `domain` where the condition holds (And/Or/Not by parts,
    since solveset mishandles conjunctions)."""
    if cond is sp.true or cond is True:
        return domain
    if cond is sp.false or cond is False:
        return sp.S.EmptySet
    if isinstance(cond, sp.And):
        return sp.Intersection(*[solution_set(a, s, domain) for a in cond.args])
    if isinstance(cond, sp.Or):
        return sp.Union(*[solution_set(a, s, domain) for a in cond.args])
    if isinstance(cond, sp.Not):
        return sp.Complement(domain, solution_set(cond.args[0], s, domain))
    if isinstance(cond, sp.core.relational.Relational) and _continuous_in(cond.lhs - cond.rhs, s):
        # solveset would first prove periodicity and continuity: most of the time of a
        # learning-rate range.  A polynomial with |.|, max and min is continuous everywhere.
        try:
            return sp.Intersection(_continuoussolution_set(cond, s), domain)
        except NotImplementedError:     # irrational coefficients: sympy's own route
            pass
    return sp.solveset(cond, s, domain)


_HOLDS = {"<": lambda v: v < 0, "<=": lambda v: v <= 0, ">": lambda v: v > 0, ">=": lambda v: v >= 0,
          "==": lambda v: v == 0, "!=": lambda v: v != 0}


def _continuoussolution_set(cond: Any, s: sp.Symbol) -> sp.Set:
    """Where a relation between continuous piecewise polynomials in `s` holds, exactly.

    Its truth can change only at the points `_critical` finds; they cut the line into open
    intervals on each of which the relation is constant, so a rational point inside decides
    each interval (exactly), and the sign at each point decides the point."""
    e = sp.expand(cond.lhs - cond.rhs)
    holds = _HOLDS[cond.rel_op]
    points = _critical(e, s)
    cuts = [-sp.oo, *points, sp.oo]
    out: list[sp.Set] = [sp.FiniteSet(x) for x in points if holds(_sign(e, s, x))]
    out += [sp.Interval.open(lo, hi) for lo, hi in zip(cuts, cuts[1:]) if holds(_sign(e, s, _inside(lo, hi)))]
    return sp.Union(*out) if out else sp.S.EmptySet


def _sign(e: Any, s: sp.Symbol, t: Any) -> int:
    """The sign of `e` at `t`: exact at a rational point; at an algebraic one from 60 digits
    (a value below 10^-45 is a zero: such a point is a root of a polynomial with rational
    coefficients of the size a spec can write)."""
    v = e.subs(s, t)
    if v.is_Rational:
        return int(sp.sign(v))
    n = sp.N(v, 60)
    return 0 if abs(n) < sp.Float(10, 60) ** -45 else (1 if n > 0 else -1)


def _roots(p: Any, s: sp.Symbol) -> list:
    """The real roots of a polynomial with rational coefficients (else NotImplementedError)."""
    poly = sp.Poly(p, s)
    if not poly.domain.is_QQ and not poly.domain.is_ZZ:
        raise NotImplementedError("irrational coefficients")
    return poly.real_roots(radicals=False)


def _critical(e: Any, s: sp.Symbol) -> list:
    """The sorted real points where `e` is zero or one of its |.|, max or min switches branch
    (the zeros of each branch's argument, found the same way, recursively).  Between two
    consecutive points `e` is one polynomial without a zero."""
    switches = set()
    for node in e.args if not isinstance(e, (sp.Abs, sp.Max, sp.Min)) else (e,):
        for sub in sp.preorder_traversal(node):
            if isinstance(sub, sp.Abs) and sub.has(s):
                switches.update(_critical(sub.args[0], s))
            elif isinstance(sub, (sp.Max, sp.Min)) and sub.has(s):
                for i, x in enumerate(sub.args):
                    for y in sub.args[i + 1:]:
                        switches.update(_critical(sp.expand(x - y), s))
    cuts = [-sp.oo, *_sorted(switches), sp.oo]
    for lo, hi in zip(cuts, cuts[1:]):
        branch = _branch_at(e, s, _inside(lo, hi))
        if branch.has(s):
            switches.update(r for r in _roots(branch, s) if _between(r, lo, hi))
    return _sorted(switches)


def _sorted(points: Any) -> list:
    return sorted(points, key=lambda x: sp.N(x, 30))


def _branch_at(e: Any, s: sp.Symbol, t: Any) -> Any:
    """The polynomial `e` equals near the rational point `t` (each |.| and max/min by its
    branch there)."""
    def pick(x: Any) -> Any:
        if isinstance(x, sp.Abs):
            return x.args[0] if x.args[0].subs(s, t) >= 0 else -x.args[0]
        best = max if isinstance(x, sp.Max) else min
        return best(x.args, key=lambda a: a.subs(s, t))
    return sp.expand(e.replace(lambda x: isinstance(x, (sp.Abs, sp.Max, sp.Min)), pick))


def _inside(lo: Any, hi: Any) -> sp.Rational:
    """A rational point strictly between `lo` and `hi` (either may be infinite)."""
    if lo == -sp.oo and hi == sp.oo:
        return sp.Integer(0)
    if lo == -sp.oo:
        return sp.floor(hi) - 1
    if hi == sp.oo:
        return sp.ceiling(lo) + 1
    if lo.is_Rational and hi.is_Rational:
        return (lo + hi) / 2
    a, b = sp.N(lo, 40), sp.N(hi, 40)
    return sp.Rational(str((a + b) / 2))


def _between(r: Any, lo: Any, hi: Any) -> bool:
    """Whether the root `r` lies strictly between two cut points (compared at 30 digits; the
    points of one condition are distinct algebraic numbers of a spec's size)."""
    v = sp.N(r, 30)
    return bool((lo == -sp.oo or v > sp.N(lo, 30)) and (hi == sp.oo or v < sp.N(hi, 30)))


def _continuous_in(e: Any, s: sp.Symbol) -> bool:
    """Whether `e` is built from numbers, `s`, +, ×, non-negative integer powers, |.|, max and
    min alone (so continuous in `s` on the reals)."""
    if not e.has(s) or e == s:
        return True
    if isinstance(e, (sp.Add, sp.Mul, sp.Abs, sp.Max, sp.Min)):
        return all(_continuous_in(a, s) for a in e.args)
    if isinstance(e, sp.Pow):
        return e.exp.is_Integer and e.exp >= 0 and _continuous_in(e.base, s)
    return False


def domain_of(s: sp.Symbol) -> sp.Set:
    if s.is_positive:
        return sp.Interval.open(0, sp.oo)
    if s.is_nonnegative:
        return sp.Interval(0, sp.oo)
    if s.is_negative:
        return sp.Interval.open(-sp.oo, 0)
    if s.is_nonpositive:
        return sp.Interval(-sp.oo, 0)
    return sp.S.Reals
