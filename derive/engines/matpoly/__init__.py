"""Polynomials in symbolic matrices: the engine behind the `grad`, `hessian`, `expand` and
`simplify` goals (derive.derivers.matcalc).

In:  sympy matrix expressions built by the model (MatrixSymbol, MatAdd, MatMul,
     Transpose, Trace of 1×1 products, Norm(v)^2, Sum, MSE, scalar coefficients).
Out: a `Poly`: a sum of `Term`s, each `coef · tr(s₁) · tr(s₂) ··· · chain`, where every
     `sᵢ` and `chain` is a product of factors (a matrix symbol or its transpose, an
     identity, an explicit constant matrix).  On `Poly`s:

* `grad(f, X)`: ∂f/∂X of a scalar polynomial in denominator layout (the result has the
  shape of X), one contribution per occurrence of X, from ∂tr(P X Q)/∂X = PᵀQᵀ and
  ∂tr(P Xᵀ Q)/∂X = QP (the product rule over occurrences);
* `jacobian(y, x)`: ∂y/∂x (rows: entries of y) of a column-vector polynomial;
* `factor(poly)`: a compact display form, pulling common left/right factors and common
  coefficients out of sums (sympy cannot factor non-commutative products).

Terms are kept canonical so that like terms combine: a 1×1 product equals its transpose
(aᵀXb = bᵀXᵀa) and a trace is invariant under cycling; interior 1×1 products of a
chain are scalars and are pulled out of it.  Nothing here is trusted: every closed form
a deriver prints is checked by `make_step` through `GradientOf`/`JacobianOf`, which
differentiate the original expression entry by entry at random integer matrices.

Modules: `chains` (factors, products, canonical 1×1 products), `poly` (Term, Poly),
`convert` (sympy -> Poly), `differentiate` (grad, jacobian), `display` (Poly -> sympy),
`factoring` (compact display forms), `derivative` (GradientOf, JacobianOf for the checker).
"""
from .chains import (ONE, Chain, Factor, canonical_scalar, chain_expr, chain_key, chain_shape, chain_T,
                     is_one, split_chain, symmetric_chain)
from .convert import ATOMS, to_poly
from .derivative import GradientOf, JacobianOf, _DerivativeAt, _DerivativeOf
from .differentiate import (Occurrence, grad, hessian, jacobian, occurrence_grad, occurrences,
                            scalar_chain_grad, term_grad, term_jacobian, vshape)
from .display import Inner, Orient, orient_scalar, poly_expr, preferred, replace_keep_order, scaled, term_expr
from .factoring import Factored, _as_flat, factor
from .poly import Poly, Term, make_term, term_depends, total

__all__ = ["ATOMS", "ONE", "Chain", "Factor", "Factored", "GradientOf", "Inner", "JacobianOf", "Occurrence",
           "Orient", "Poly", "Term", "canonical_scalar", "chain_T", "chain_expr", "chain_key", "chain_shape",
           "factor", "grad", "hessian", "is_one", "jacobian", "make_term", "occurrence_grad", "occurrences",
           "orient_scalar", "poly_expr", "preferred", "replace_keep_order", "scalar_chain_grad", "scaled",
           "split_chain", "symmetric_chain", "term_depends", "term_expr", "to_poly", "term_grad", "term_jacobian", "total",
           "vshape", "_DerivativeAt", "_DerivativeOf", "_as_flat"]
