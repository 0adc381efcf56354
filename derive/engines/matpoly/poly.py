"""Terms and polynomials in symbolic matrices.

In: chains (derive.engines.matpoly.chains).  Out: `Term` (coef · Π tr(sᵢ) · chain, kept
canonical by `make_term`) and `Poly` (a sum of terms of one shape, like terms combined).
"""
from __future__ import annotations

from functools import reduce
from typing import Any, Iterable

import sympy as sp

from ...limits import check as _deadline
from .chains import ONE, Chain, Factor, canonical_scalar, chain_key, chain_shape, chain_T, is_one, split_chain, \
    symmetric_chain, _strip_identities
from ...records import record

# ---- terms and polynomials ---------------------------------------------------------------

@record
class Term:
    """coef · Π tr(scalars) · chain; `chain` is empty exactly when the term is 1×1."""

    coef: Any
    scalars: tuple
    chain: Chain
    shape: tuple

    @property
    def key(self) -> tuple:
        return (tuple(chain_key(s) for s in self.scalars), chain_key(self.chain))

    def size(self) -> int:
        return sum(len(s) for s in self.scalars) + len(self.chain)


def make_term(coef: Any, scalars: Iterable[Chain], chain: Chain, shape: tuple | None = None) -> Term | None:
    """The canonical term (None when the coefficient is 0)."""
    _deadline()
    coef = sp.sympify(coef, strict=True)
    if coef == 0:
        return None
    sc: list[Chain] = []
    for s in scalars:
        if any(isinstance(f.base, sp.ZeroMatrix) for f in s):
            return None
        sc.extend(canonical_scalar(s))
    chain = _strip_identities(tuple(chain))
    if any(isinstance(f.base, sp.ZeroMatrix) for f in chain):
        return None
    if shape is None:
        shape = chain_shape(chain) if chain else (ONE, ONE)
    if chain:
        segs = split_chain(chain)
        keep: list[Chain] = []
        for i, seg in enumerate(segs):
            r, c = chain_shape(seg)
            if is_one(r) and is_one(c):
                sc.extend(canonical_scalar(seg))
            else:
                keep.append(seg)
        chain = tuple(f for seg in keep for f in seg)
    # plain numbers as 1×1 "chains" cannot occur; drop identity-only scalar chains of size 1×1
    sc = [s for s in sc if not (len(s) == 1 and isinstance(s[0].base, sp.Identity) and is_one(s[0].shape[0]))]
    sc.sort(key=chain_key)
    return Term(coef, tuple(sc), chain, tuple(shape))


class Poly:
    """A sum of canonical terms of one shape; like terms are combined."""

    __slots__ = ("shape", "terms")

    def __init__(self, shape: tuple, terms: Iterable[Term | None] = ()):
        self.shape = tuple(shape)
        merged: dict[tuple, Term] = {}
        for t in terms:
            if t is None:
                continue
            k = t.key
            if k in merged:
                old = merged[k]
                c = old.coef + t.coef
                if c == 0:
                    del merged[k]
                else:
                    merged[k] = Term(c, old.scalars, old.chain, old.shape)
            else:
                merged[k] = t
        self.terms: tuple[Term, ...] = tuple(merged.values())

    # construction
    @staticmethod
    def atom(base: Any, t: bool = False) -> "Poly":
        f = Factor(base, t)
        if isinstance(base, sp.ZeroMatrix):
            return Poly(f.shape)
        return Poly(f.shape, [make_term(ONE, (), (f,), f.shape)])

    @staticmethod
    def scalar(c: Any) -> "Poly":
        return Poly((ONE, ONE), [make_term(c, (), ())])

    def __bool__(self) -> bool:
        return bool(self.terms)

    def __add__(self, other: "Poly") -> "Poly":
        return Poly(self.shape, self.terms + other.terms)

    def __neg__(self) -> "Poly":
        return self.scale(-1)

    def __sub__(self, other: "Poly") -> "Poly":
        return self + (-other)

    def scale(self, c: Any) -> "Poly":
        return Poly(self.shape, [Term(t.coef * c, t.scalars, t.chain, t.shape) for t in self.terms])

    @property
    def T(self) -> "Poly":
        shape = (self.shape[1], self.shape[0])
        return Poly(shape, [make_term(t.coef, t.scalars, chain_T(t.chain), shape) for t in self.terms])

    def __matmul__(self, other: "Poly") -> "Poly":
        shape = (self.shape[0], other.shape[1])
        out = []
        for a in self.terms:
            for b in other.terms:
                out.append(make_term(a.coef * b.coef, a.scalars + b.scalars, a.chain + b.chain, shape))
        return Poly(shape, out)

    def times_scalar(self, s: "Poly") -> "Poly":
        """self · s for a 1×1 polynomial s used as a scalar."""
        out = []
        for a in self.terms:
            for b in s.terms:
                out.append(make_term(a.coef * b.coef, a.scalars + b.scalars + ((b.chain,) if b.chain else ()),
                                     a.chain, self.shape))
        return Poly(self.shape, out)

    def is_scalar(self) -> bool:
        return is_one(self.shape[0]) and is_one(self.shape[1])

    def depends_on(self, x: Any) -> bool:
        return any(term_depends(t, x) for t in self.terms)

    def sorted_terms(self) -> list[Term]:
        return sorted(self.terms, key=lambda t: (t.size(), t.key))

    def symmetrized(self) -> "Poly":
        """Each 1×1 scalar aᵀMb split into ½aᵀMb + ½bᵀMᵀa (helps factoring quadratic forms)."""
        out: list[Term] = []
        for t in self.terms:
            if not t.chain and len(t.scalars) == 1 and not symmetric_chain(t.scalars[0]) \
                    and is_one(chain_shape(t.scalars[0])[0]):
                s = t.scalars[0]
                out.append(Term(t.coef / 2, (s,), (), t.shape))
                out.append(Term(t.coef / 2, (chain_T(s),), (), t.shape))
            else:
                out.append(t)
        p = Poly.__new__(Poly)
        p.shape, p.terms = self.shape, tuple(out)
        return p


def term_depends(t: Term, x: Any) -> bool:
    if any(f.base == x for s in t.scalars for f in s) or any(f.base == x for f in t.chain):
        return True
    return isinstance(x, sp.Symbol) and x in sp.sympify(t.coef, strict=True).free_symbols


def total(polys: Iterable[Poly], shape: tuple) -> Poly:
    return reduce(lambda a, b: a + b, polys, Poly(shape))
