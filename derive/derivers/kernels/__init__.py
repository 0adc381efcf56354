"""`feature_map(k)`: an explicit φ with k(p, q) = φ(p)ᵀφ(q), every step checked.

In: a problem and the goal `feature_map(k)` (optionally `order = D`), where `k(p, q) = ...`
is a function of two vectors declared with a concrete size (`vector p, q : (n)`) or of
two scalars (n = 1).  Out: a `Derived` whose answer is the column vector φ(p) (text a
`Matrix([...])` in p_1, p_2, ...) and whose steps expand, group and split the kernel.

Two families are handled in any dimension n and degree d:

* a polynomial in s = pᵀq, k = g(s) = Σ_k a_k s^k: e.g. (pᵀq)^d, (pᵀq + c)^d,
  (a·pᵀq + c)^d.  The multinomial theorem expands s^k into monomials (p^α)(q^α) with
  coefficient a_k·(k choose α); each coefficient c_α is split as √c_α·√c_α, giving the
  component φ_α(p) = √c_α p^α.  There are C(n + k − 1, k) monomials of degree k, so
  C(n + d − 1, d) components without a constant term and C(n + d, d) with one.
* a Gaussian (RBF) or exponential kernel A·exp(−γ‖p‖² − γ‖q‖² + β pᵀq) (so
  exp(−γ‖p − q‖²) with β = 2γ): the Taylor series of exp(β s) gives the infinite feature
  map φ_α(p) = √A e^{−γ‖p‖²} √(β^{|α|}/α!) p^α; the answer is its truncation at degree
  `order` (2 unless given), and the truncated inner product is checked.

Anything else is a SpecError at the kernel's definition with the reason (a witness where
k is not a function of pᵀq, a non-polynomial g, a negative coefficient); a feature map
too large to list (more than MAX_COMPONENTS components) is a LimitError there, found
before anything is expanded.

Modules: `read` (the kernel in components), `classify` (polynomial in pᵀq or Gaussian),
`monomials` (multi-indices and components), `polynomial` and `gaussian` (the steps),
`notation` (display objects).
"""
from __future__ import annotations

import sympy as sp

from ... import ast
from ...errors import SpecError
from ...model.expressions import scalarize
from ...model.problem import Problem
from ..registry import Derived
from .classify import as_gaussian, as_polynomial_in_inner, polynomial_or_none
from .gaussian import DEFAULT_ORDER, gaussian
from .monomials import MAX_COMPONENTS, binomial_count, multi_indices, multinomial
from .polynomial import polynomial
from .read import Kernel, read_kernel

__all__ = ["DEFAULT_ORDER", "MAX_COMPONENTS", "Kernel", "as_gaussian", "as_polynomial_in_inner", "binomial_count",
           "feature_map", "multi_indices", "multinomial", "read_kernel"]


def feature_map(problem: Problem, call: ast.Call) -> Derived:
    """φ for `k(p, q)`: see the module docstring."""
    k = read_kernel(problem, call)
    order_node = call.kwarg("order")
    if order_node is not None:
        order = scalarize(problem.value(order_node))
        if not (isinstance(order, sp.Integer) and 0 <= order <= 12):
            raise SpecError(f"`order` is the truncation degree, a whole number from 0 to 12, not {order}",
                            order_node.pos)
        if polynomial_or_none(k) is not None:
            raise SpecError("`order` truncates the series of a Gaussian kernel; a polynomial kernel's feature map "
                            "is finite and exact", order_node.pos)
        return gaussian(k, int(order))
    coeffs = as_polynomial_in_inner(k)
    return gaussian(k) if coeffs is None else polynomial(k, coeffs)
