"""The matrix-polynomial engine moved to `derive.engines.matpoly` (engines are not
derivers); this name stays importable for the modules that still import it from here."""
from ..engines.matpoly import (ATOMS, ONE, Chain, Factor, Factored, GradientOf, Inner, JacobianOf,
    Occurrence, Orient, Poly, Term, canonical_scalar, chain_T, chain_expr, chain_key, chain_shape, factor,
    grad, hessian, is_one, jacobian, make_term, occurrence_grad, occurrences, orient_scalar, poly_expr,
    preferred, replace_keep_order, scalar_chain_grad, scaled, split_chain, symmetric_chain, term_depends,
    term_expr, to_poly, term_grad, term_jacobian, total, vshape, _DerivativeAt, _DerivativeOf, _as_flat)

__all__ = [
    "ATOMS", "ONE", "Chain", "Factor", "Factored", "GradientOf", "Inner", "JacobianOf", "Occurrence",
    "Orient", "Poly", "Term", "canonical_scalar", "chain_T", "chain_expr", "chain_key", "chain_shape",
    "factor", "grad", "hessian", "is_one", "jacobian", "make_term", "occurrence_grad", "occurrences",
    "orient_scalar", "poly_expr", "preferred", "replace_keep_order", "scalar_chain_grad", "scaled",
    "split_chain", "symmetric_chain", "term_depends", "term_expr", "to_poly", "term_grad", "term_jacobian",
    "total", "vshape", "_DerivativeAt", "_DerivativeOf", "_as_flat"
]
