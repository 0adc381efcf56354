"""Multi-indices, monomials and the components of a feature map.

In: a dimension n, degrees and coefficients a_k of (pᵀq)^k.  Out: the multi-indices α
with |α| = k, the multinomial coefficients (k choose α), the monomials p^α and one
`Component` φ_α(p) = √(a_k (k choose α)) p^α per α; a LimitError (at the kernel's
position) before listing more than MAX_COMPONENTS of them.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any, Sequence

import sympy as sp

from ...derivations._display import times
from ...errors import LimitError

MAX_COMPONENTS = 2000


def multi_indices(n: int, k: int) -> list[tuple[int, ...]]:
    """All α ∈ ℕⁿ with |α| = k, in graded-lexicographic order (p₁^k first)."""
    out = []
    for cut in itertools.combinations_with_replacement(range(n), k):
        alpha = [0] * n
        for i in cut:
            alpha[i] += 1
        out.append(tuple(alpha))
    return sorted(out, reverse=True)


def multinomial(alpha: Sequence[int]) -> int:
    """(|α| choose α₁, ..., αₙ) = |α|! / (α₁! ⋯ αₙ!)."""
    out = math.factorial(sum(alpha))
    for a in alpha:
        out //= math.factorial(a)
    return out


def monomial(xs: Sequence[Any], alpha: Sequence[int]) -> Any:
    """x^α = Π x_i^{α_i}, unevaluated so it prints in component order (1 when α = 0)."""
    factors = [x if a == 1 else sp.Pow(x, a, evaluate=False) for x, a in zip(xs, alpha) if a]
    if not factors:
        return sp.Integer(1)
    return factors[0] if len(factors) == 1 else sp.Mul(*factors, evaluate=False)


def binomial_count(n: int, k: int) -> int:
    """Monomials of degree exactly k in n variables: C(n + k − 1, k)."""
    return math.comb(n + k - 1, k)


def component_count(n: int, degrees: Sequence[int]) -> int:
    """Components of a feature map with one monomial of each listed degree per α."""
    return sum(binomial_count(n, d) for d in degrees)


def check_count(n: int, degrees: Sequence[int], pos: Any) -> None:
    """LimitError (at `pos`) when φ would have more than MAX_COMPONENTS components."""
    total = component_count(n, degrees)
    if total > MAX_COMPONENTS:
        raise LimitError(f"φ would have {total:,} components (degree {max(degrees)} in pᵀq with p in "
                         f"ℝ^{n}); derive lists at most {MAX_COMPONENTS:,}", pos)


@dataclass
class Component:
    """One component φ_α of the feature map and how its coefficient arises."""

    alpha: tuple[int, ...]
    degree: int
    multinomial: int
    a: Any                 # a_k, the coefficient of (pᵀq)^k
    c: Any                 # c_α = a_k · multinomial
    root: Any              # √c_α (simplified)
    phi_p: Any             # displayed component (unevaluated product)
    phi_q: Any


def components(p: list, q: list, coeffs: dict[int, Any], pos: Any, prefactor_p: Any = 1,
               prefactor_q: Any = 1) -> list[Component]:
    """One Component per α of every degree in `coeffs` (highest degree first)."""
    check_count(len(p), list(coeffs), pos)
    out = []
    for deg in sorted(coeffs, reverse=True):
        a = coeffs[deg]
        for alpha in multi_indices(len(p), deg):
            m = multinomial(alpha)
            c = sp.simplify(a * m)
            root = sp.sqrt(c)
            out.append(Component(alpha, deg, m, a, c, root, times(root, monomial(p, alpha), prefactor_p),
                                 times(root, monomial(q, alpha), prefactor_q)))
    return out
