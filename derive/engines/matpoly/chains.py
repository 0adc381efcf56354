"""Factors and chains: a product of matrix atoms (or their transposes) and the
canonical forms of 1×1 products and traces (a 1×1 product equals its transpose, a trace is
invariant under cycling).

In: matrix atoms (MatrixSymbol, Identity, OneMatrix, explicit constant matrices).
Out: `Factor`, chains (tuples of factors) and the functions on them.
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from ...records import record


ONE = sp.Integer(1)


# ---- factors and chains -----------------------------------------------------------------

@record
class Factor:
    """One factor of a product: `base` (a matrix atom) or its transpose."""

    base: Any
    t: bool = False

    @property
    def shape(self) -> tuple:
        r, c = self.base.shape
        return (c, r) if self.t else (r, c)

    @property
    def key(self) -> tuple:
        return (_atom_key(self.base), self.t)

    def T(self) -> "Factor":
        if _symmetric_atom(self.base):
            return self
        return Factor(self.base, not self.t)

    def expr(self) -> Any:
        return sp.Transpose(self.base) if self.t else self.base


Chain = tuple  # tuple[Factor, ...]


def _atom_key(base: Any) -> tuple:
    if isinstance(base, sp.MatrixSymbol):
        return (0, base.name)
    if isinstance(base, sp.Identity):
        return (2, "I", str(base.shape))
    return (1, str(base))


def _symmetric_atom(base: Any) -> bool:
    if isinstance(base, sp.Identity):
        return True
    if isinstance(base, sp.OneMatrix):
        return base.shape[0] == base.shape[1]
    if isinstance(base, sp.MatrixBase):
        return base.shape[0] == base.shape[1] and base == base.T
    return False


def is_one(n: Any) -> bool:
    return n == 1


def chain_shape(ch: Chain) -> tuple:
    return (ch[0].shape[0], ch[-1].shape[1])


def chain_T(ch: Chain) -> Chain:
    return tuple(f.T() for f in reversed(ch))


def chain_key(ch: Chain) -> tuple:
    return tuple(f.key for f in ch)


def chain_expr(ch: Chain) -> Any:
    if not ch:
        return ONE
    if len(ch) == 1:
        return ch[0].expr()
    return sp.MatMul(*[f.expr() for f in ch])


def symmetric_chain(ch: Chain) -> bool:
    """Whether the product equals its transpose structurally (XᵀX, ABBᵀAᵀ, I, ...)."""
    return chain_key(chain_T(ch)) == chain_key(ch)


def _strip_identities(ch: Chain) -> Chain:
    if len(ch) <= 1:
        return ch
    kept = tuple(f for f in ch if not isinstance(f.base, sp.Identity))
    return kept if kept else ch[:1]


def split_chain(ch: Chain) -> list[Chain]:
    """The chain cut wherever the inner size is 1 (after a column vector)."""
    segs: list[Chain] = []
    cur: list[Factor] = []
    for i, f in enumerate(ch):
        cur.append(f)
        if i < len(ch) - 1 and is_one(f.shape[1]):
            segs.append(tuple(cur))
            cur = []
    if cur:
        segs.append(tuple(cur))
    return segs


def canonical_scalar(ch: Chain) -> list[Chain]:
    """tr(ch) as canonical scalar chains (a 1×1 product or a trace that cannot be cut)."""
    ch = _strip_identities(ch)
    r, c = chain_shape(ch)
    if not (is_one(r) and is_one(c)):
        # tr(P u vᵀ Q) = vᵀ Q P u: rotate to start after a column vector when there is one
        for i in range(1, len(ch)):
            if is_one(ch[i - 1].shape[1]):
                return canonical_scalar(ch[i:] + ch[:i])
        if len(ch) == 1 and isinstance(ch[0].base, sp.Identity):
            return [ch]
        rots = [ch[i:] + ch[:i] for i in range(len(ch))]
        chT = chain_T(ch)
        rots += [chT[i:] + chT[:i] for i in range(len(chT))]
        return [min(rots, key=chain_key)]
    out = []
    for seg in split_chain(ch):
        segT = chain_T(seg)
        out.append(min(seg, segT, key=chain_key))
    return out
