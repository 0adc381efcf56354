"""Eigenvalues of an explicit square matrix, derived: the characteristic polynomial and
its roots, exact where the entries are exact.

In: an explicit sympy matrix with numeric entries (and how to show it).  Out:
`spectrum(A, name)`: a `Spectrum` (the eigenvalues with multiplicities, sorted, exact when
sympy finds them in radicals, else 30-digit decimals) and the checked steps:
det(A − λI) = p(λ) (checked by expanding the determinant), and each root put into p
(checked: p(λᵢ) = 0, exactly or to 20 digits).
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from ...sentence import Rel, join, say
from ...steps import Step, make_step
from ...notation_iterates import Approx
from ...records import record

LAMBDA = sp.Symbol("lambda")
MAX_EXACT = 4            # exact roots (radicals) for matrices up to this size; decimals beyond


@record
class Spectrum:
    """The eigenvalues (each as often as its multiplicity), ascending; `exact` when symbolic."""

    values: tuple
    exact: bool
    steps: tuple[Step, ...]

    @property
    def lo(self) -> Any:
        return self.values[0]

    @property
    def hi(self) -> Any:
        return self.values[-1]


def _key(x: Any) -> Any:
    return sp.re(sp.N(x, 30)), sp.im(sp.N(x, 30))


def _roots(p: sp.Poly, n: int, symmetric: bool) -> tuple[list, bool]:
    """The roots of p with multiplicities: exact (radicals) when small, else decimals (a
    symmetric matrix's real roots written with complex radicals are decimals too)."""
    if n <= MAX_EXACT:
        found = sp.roots(p, multiple=True)
        if len(found) == n and not any(isinstance(r, sp.CRootOf) or (symmetric and r.has(sp.I)) for r in found):
            return sorted((r if r.is_Rational else sp.radsimp(r) for r in found), key=_key), True
    found = [sp.Float(sp.re(r), 30) if abs(sp.im(r)) < 1e-25 else r for r in p.nroots(n=30, maxsteps=200)]
    return sorted(found, key=_key), False


def falling(poly: sp.Poly) -> Any:
    """The polynomial in falling powers, as written (λ² − 5λ + 5), unevaluated."""
    x = poly.gens[0]
    terms = [sp.Mul(c, x ** k, evaluate=False) if k and c != 1 else (x ** k if k else c)
             for (k,), c in sorted(poly.terms(), reverse=True) if c != 0]
    return sp.Add(*terms, evaluate=False) if len(terms) > 1 else (terms[0] if terms else sp.Integer(0))


def substituted(expr: Any, values: dict) -> Any:
    """expr with the values put in, nothing evaluated (derive.derivers.evaluate.substituted)."""
    from ..evaluate import substituted as put
    return put(expr, values)


def spectrum(A: sp.MatrixBase, name: Any, symmetric: bool = True) -> Spectrum:
    """The eigenvalues of A (shown as `name`) with the steps that find them."""
    n = A.rows
    shifted = sp.MatAdd(name, sp.MatMul(-1, LAMBDA, sp.Identity(n)), evaluate=False) \
        if isinstance(name, sp.MatrixSymbol) else None
    M = sp.ImmutableMatrix(A - LAMBDA * sp.eye(n))
    poly = sp.Poly(sp.expand(M.det(method="berkowitz")), LAMBDA)
    written = falling(poly)
    chain = [sp.Determinant(shifted), sp.Determinant(M), written] if shifted is not None else [sp.Determinant(M), written]
    where = {name: A} if isinstance(name, sp.MatrixSymbol) else None
    steps = [make_step("characteristic", say("The eigenvalues are the roots of the characteristic polynomial:"),
                       *chain, where=where)]
    values, exact = _roots(poly, n, symmetric)
    subs = []
    for i, r in enumerate(dict.fromkeys(values)):
        mult = values.count(r)
        lead = say(Rel(sp.Symbol(f"lambda_{i + 1}"), "=", shown(r), kind="definition"),
                   " (twice)" if mult == 2 else f" ({mult} times)" if mult > 2 else "", ":")
        put = substituted(written, {LAMBDA: shown(r)})     # the root put in, as shown and as checked
        subs.append(make_step("root", lead, put, sp.Integer(0), relation="=" if exact else "≈"))
    steps.append(make_step("roots", say("Its roots, the eigenvalues, each checked in the polynomial:"),
                           substeps=subs, check=False))
    return Spectrum(tuple(values), exact, tuple(steps))


def eigen_sentence(values: tuple) -> Any:
    """λ₁ = …, λ₂ = … as definitions (for an answer's sentence)."""
    return join([Rel(sp.Symbol(f"lambda_{i + 1}"), "=", shown(v), kind="definition") for i, v in enumerate(values)])


def shown(x: Any) -> Any:
    """An eigenvalue as shown: exact as it is, a decimal to 6 digits (its full value inside)."""
    return Approx(x) if isinstance(x, sp.Float) else x
