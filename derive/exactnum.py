"""Exact numbers for the fast step checker: rationals, sums of square roots, dual numbers.

* Rationals are Python `int` / `Fraction` (much faster than sympy's `Rational`).
* `Surd` is a sum Σ cₙ·√n over distinct squarefree integers n ≥ 1 with rational cₙ (n = 1
  is the rational part).  Square roots of distinct squarefree integers are linearly
  independent over ℚ, so this canonical form makes equality a comparison of dictionaries;
  the sign of a Surd is decided with integer square roots at growing precision (never a
  float).  It is what norms, |·| and distances of rational points need.
* `Dual(tag, a, b)` is a + b·ε with ε² = 0 (one ε per tag; nested duals give second
  derivatives): forward-mode differentiation over any of these numbers.

Anything these cannot represent exactly (√ of a sum of roots, exp, log, floats) raises
`Unsupported`, and the caller falls back to sympy.
"""
from __future__ import annotations

from fractions import Fraction
from math import isqrt
from typing import Any

RATIONAL = (int, Fraction)
TRIAL_PRIMES_UP_TO = 1000
SIGN_BITS = 4096
FACTOR_UP_TO = 10 ** 40


class Unsupported(Exception):
    """A node or number this exact evaluator does not handle (the caller falls back)."""


def _squarefree(n: int) -> tuple[int, int]:
    """n > 0 as (k, m) with n = k²·m and m squarefree; Unsupported if that is not certain."""
    k, m, p = 1, n, 2
    while p <= TRIAL_PRIMES_UP_TO and p * p <= m:
        while m % (p * p) == 0:
            m //= p * p
            k *= p
        if m % p == 0:
            m //= p
            rest_k, rest_m = _squarefree(m) if m > 1 else (1, 1)
            return k * rest_k, p * rest_m
        p += 1 if p == 2 else 2
    r = isqrt(m)
    if r * r == m:
        return k * r, 1
    if p * p > m or m < TRIAL_PRIMES_UP_TO ** 3:
        return k, m            # no prime ≤ bound divides m, so m is prime, p·q or a square
    if m < FACTOR_UP_TO:
        # (exact: trial division, Pollard rho and friends; quick at this size)
        from sympy import factorint
        for q, e in factorint(m).items():
            k, m = k * q ** (e // 2), m // q ** (e - e % 2)
        return k, m
    raise Unsupported("square root of a large number")


def sqrt_rational(q: int | Fraction) -> int | Fraction | Surd:
    """√q of a rational q ≥ 0, exactly."""
    q = Fraction(q)
    if q < 0:
        raise Unsupported("square root of a negative number")
    if q == 0:
        return 0
    k, m = _squarefree(q.numerator * q.denominator)          # √(a/b) = √(ab)/b
    c = Fraction(k, q.denominator)
    return _norm(c) if m == 1 else Surd({m: c})


def _norm(q: Fraction) -> int | Fraction:
    return q.numerator if q.denominator == 1 else q


class Surd:
    """Σ cₙ·√n (see the module docstring); at least one n > 1 with cₙ ≠ 0."""

    __slots__ = ("_hash", "terms")

    def __init__(self, terms: dict):
        self.terms = {n: c for n, c in terms.items() if c != 0}
        self._hash = None

    @staticmethod
    def make(terms: dict) -> Any:
        t = {n: c for n, c in terms.items() if c != 0}
        if not t or set(t) == {1}:
            return _norm(Fraction(t.get(1, 0)))
        return Surd(t)

    @staticmethod
    def lift(x: Any) -> Surd | None:
        if isinstance(x, Surd):
            return x
        if isinstance(x, RATIONAL):
            return Surd({1: Fraction(x)})
        return None

    def __add__(self, o: Any) -> Any:
        o = Surd.lift(o)
        if o is None:
            return NotImplemented
        t = dict(self.terms)
        for n, c in o.terms.items():
            t[n] = t.get(n, 0) + c
        return Surd.make(t)

    __radd__ = __add__

    def __neg__(self) -> Surd:
        return Surd({n: -c for n, c in self.terms.items()})

    def __sub__(self, o: Any) -> Any:
        return self + (-o) if Surd.lift(o) is not None else NotImplemented

    def __rsub__(self, o: Any) -> Any:
        return (-self) + o if Surd.lift(o) is not None else NotImplemented

    def __mul__(self, o: Any) -> Any:
        o = Surd.lift(o)
        if o is None:
            return NotImplemented
        t: dict = {}
        for n, c in self.terms.items():
            for m, d in o.terms.items():
                g = _gcd(n, m)                 # √n·√m = g·√(nm/g²), nm/g² squarefree
                key = (n // g) * (m // g)
                t[key] = t.get(key, 0) + c * d * g
        return Surd.make(t)

    __rmul__ = __mul__

    def __truediv__(self, o: Any) -> Any:
        if isinstance(o, RATIONAL):
            if o == 0:
                raise ZeroDivisionError
            return Surd.make({n: c / o for n, c in self.terms.items()})
        if isinstance(o, Surd):
            return self * o.reciprocal()
        return NotImplemented

    def __rtruediv__(self, o: Any) -> Any:
        if isinstance(o, RATIONAL):
            return self.reciprocal() * o
        return NotImplemented

    def reciprocal(self) -> Any:
        """1/x, by multiplying with conjugates until the denominator is rational."""
        num, den = Surd({1: Fraction(1)}), self
        while isinstance(den, Surd):
            p = _a_prime_of(den)
            conj = Surd.make({n: (-c if n % p == 0 else c) for n, c in den.terms.items()})
            num, den = num * conj, den * conj
        if den == 0:
            raise ZeroDivisionError
        return num / den if isinstance(num, Surd) else _norm(Fraction(num) / den)

    def __pow__(self, k: Any) -> Any:
        if not isinstance(k, int):
            return NotImplemented
        if k < 0:
            return self.reciprocal() ** -k
        out: Any = 1
        for _ in range(k):
            out = out * self
        return out

    def __eq__(self, o: object) -> bool:
        o2 = Surd.lift(o)
        if o2 is None:
            return NotImplemented
        return self.terms == o2.terms

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self.terms.items()))
        return self._hash

    def sign(self) -> int:
        """−1, 0 or 1, exactly: interval bounds from integer square roots, refined until
        they exclude 0 (a nonzero canonical Surd is never 0)."""
        bits = 64
        while bits <= SIGN_BITS:
            lo = hi = Fraction(0)
            scale = 1 << bits
            for n, c in self.terms.items():
                r = isqrt(n * scale * scale)            # r ≤ √n·scale < r + 1
                a, b = c * r / scale, c * (r + 1) / scale
                lo, hi = lo + min(a, b), hi + max(a, b)
            if lo > 0:
                return 1
            if hi < 0:
                return -1
            bits *= 2
        raise Unsupported("sign not decided")

    def __repr__(self) -> str:
        return " + ".join(f"{c}*sqrt({n})" for n, c in sorted(self.terms.items()))


def _gcd(a: int, b: int) -> int:
    while b:
        a, b = b, a % b
    return a


def _a_prime_of(s: Surd) -> int:
    """A prime dividing some radicand of s (radicands are squarefree and > 1 somewhere)."""
    n = max(s.terms)
    p = 2
    while p * p <= n:
        if n % p == 0:
            return p
        p += 1
    return n


class Dual:
    """a + b·ε (ε² = 0) for one `tag`; the parts may be numbers or Duals of other tags."""

    __slots__ = ("a", "b", "tag")

    def __init__(self, tag: int, a: Any, b: Any):
        self.tag, self.a, self.b = tag, a, b

    def _split(self, o: Any) -> tuple[Any, Any] | None:
        if isinstance(o, Dual) and o.tag == self.tag:
            return o.a, o.b
        if isinstance(o, Dual) and o.tag > self.tag:
            return None                         # o is the outer variable: let it lead
        return o, 0

    def __add__(self, o: Any) -> Any:
        s = self._split(o)
        if s is None:                           # (Python does not reflect same-type operands)
            return o + self
        return Dual(self.tag, self.a + s[0], self.b + s[1])

    __radd__ = __add__

    def __neg__(self) -> Dual:
        return Dual(self.tag, -self.a, -self.b)

    def __sub__(self, o: Any) -> Any:
        return self + (-o)

    def __rsub__(self, o: Any) -> Any:
        return (-self) + o

    def __mul__(self, o: Any) -> Any:
        s = self._split(o)
        if s is None:
            return o * self
        return Dual(self.tag, self.a * s[0], self.a * s[1] + self.b * s[0])

    __rmul__ = __mul__

    def reciprocal(self) -> Dual:
        inv = reciprocal(self.a)
        return Dual(self.tag, inv, -self.b * inv * inv)

    def __truediv__(self, o: Any) -> Any:
        return self * reciprocal(o)

    def __rtruediv__(self, o: Any) -> Any:
        return self.reciprocal() * o

    def __pow__(self, k: Any) -> Any:
        if not isinstance(k, int):
            return NotImplemented
        return power(self, k)

    def __eq__(self, o: object) -> bool:
        s = self._split(o)
        if s is None:
            return o == self
        return self.a == s[0] and self.b == s[1]

    __hash__ = None  # type: ignore[assignment]


def reciprocal(x: Any) -> Any:
    if isinstance(x, RATIONAL):
        if x == 0:
            raise ZeroDivisionError
        return _norm(Fraction(1) / x)
    return x.reciprocal()


def sign(x: Any) -> int:
    """The sign of a real value (of a dual number: of its value part, which must be ≠ 0
    for |x|, max and relu to be differentiable there)."""
    if isinstance(x, RATIONAL):
        return (x > 0) - (x < 0)
    if isinstance(x, Surd):
        return x.sign()
    if isinstance(x, Dual):
        s = sign(x.a)
        if s == 0:
            raise Unsupported("not differentiable at this point")
        return s
    raise Unsupported(type(x).__name__)


def sqrt(x: Any) -> Any:
    if isinstance(x, RATIONAL):
        return sqrt_rational(x)
    if isinstance(x, Dual):
        r = sqrt(x.a)
        if sign(r) == 0:
            raise Unsupported("√ not differentiable at 0")
        return Dual(x.tag, r, x.b * reciprocal(2 * r))
    raise Unsupported("square root of a sum of roots")


def power(x: Any, k: int) -> Any:
    """x**k for an integer k (k < 0: of the reciprocal)."""
    if k < 0:
        return power(reciprocal(x), -k)
    out: Any = 1
    base = x
    while k:                                   # binary powering
        if k & 1:
            out = out * base
        k >>= 1
        if k:
            base = base * base
    return _norm(out) if isinstance(out, Fraction) else out


def is_exact(x: Any) -> bool:
    """A value this module guarantees exact (a float that slipped in is not)."""
    return type(x) in (int, Fraction, Surd)


def is_zero(x: Any) -> bool:
    return x == 0


def to_sympy(x: Any) -> Any:
    """The sympy number of an exact value (no duals)."""
    import sympy as sp
    if isinstance(x, int):
        return sp.Integer(x)
    if isinstance(x, Fraction):
        return sp.Rational(x.numerator, x.denominator)
    if isinstance(x, Surd):
        return sp.Add(*[sp.Rational(c.numerator, c.denominator) * sp.sqrt(sp.Integer(n))
                        for n, c in sorted(x.terms.items())])
    raise Unsupported(type(x).__name__)
