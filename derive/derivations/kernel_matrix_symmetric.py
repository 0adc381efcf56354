"""`derivation(kernel_matrix_symmetric)`: K_ij = κ(x_i, x_j) = φ(x_i)ᵀφ(x_j) gives Kᵀ = K.

Entrywise (a scalar is its own transpose) and in matrix form K = ΦΦᵀ, both checked at
random feature vectors and feature matrices.
"""
from __future__ import annotations

import sympy as sp

from ..derivers.registry import Derived, make_answer
from ..steps import make_step
from . import derivation
from ._display import named
from ._geometry import ip

FEATURES = ("Write $\\phi_i = \\phi(x_i) \\in \\mathbb{R}^D$ for the feature vector of sample $x_i$ "
            "($D$ may be as large as we like). By definition of a kernel, "
            "$K_{ij} = \\kappa(x_i, x_j) = \\phi(x_i)^T \\phi(x_j) = \\phi_i^T \\phi_j$.")


def feature_symbols():
    n = sp.Symbol("N", integer=True, positive=True)
    dim = sp.Symbol("D", integer=True, positive=True)
    phi = sp.MatrixSymbol("Phi", n, dim)
    return n, dim, phi, sp.MatrixSymbol("phi_i", dim, 1), sp.MatrixSymbol("phi_j", dim, 1)


@derivation("kernel_matrix_symmetric", title="A kernel matrix is symmetric")
def kernel_matrix_symmetric(problem) -> Derived:
    n, dim, phi, fi, fj = feature_symbols()
    steps = [make_step("definition", FEATURES, check=False)]
    steps.append(make_step(
        "entrywise", "Entry by entry: $\\phi_i^T \\phi_j$ is a scalar (a 1×1 matrix), and a scalar equals its own "
                     "transpose, $(a^T b)^T = b^T a$:",
        named("K_{ij}", ip(fi, fj)), ip(fi, fj), sp.Trace(sp.Transpose(sp.MatMul(fi.T, fj, evaluate=False))),
        ip(fj, fi), named("K_{ji}", ip(fj, fi))))
    steps.append(make_step(
        "matrix_form", "In matrix form: stack the feature vectors as the rows of $\\Phi \\in \\mathbb{R}^{N \\times D}$ "
                       "(row $i$ is $\\phi_i^T$), so $K = \\Phi \\Phi^T$ and, by $(AB)^T = B^T A^T$,",
        named("K^T", sp.Transpose(phi * phi.T)), sp.Transpose(sp.MatMul(phi, phi.T, evaluate=False)),
        sp.MatMul(sp.Transpose(phi.T), phi.T, evaluate=False), sp.MatMul(phi, phi.T, evaluate=False),
        named("K", phi * phi.T)))
    steps.append(make_step(
        "conclusion", "Hence $K_{ij} = K_{ji}$ for all $i, j$: $K^T = K$, the kernel matrix is **symmetric** "
                      "(for any kernel with $\\kappa(p, q) = \\kappa(q, p)$, which every inner product of features is).",
        check=False))
    prose = "$K^T = K$: the kernel matrix is symmetric, because $K_{ij} = \\phi(x_i)^T \\phi(x_j) = " \
            "\\phi(x_j)^T \\phi(x_i) = K_{ji}$."
    return Derived(make_answer(None, text="K.T = K (K is symmetric)", value=None, tex="K^T = K", prose=prose),
                   tuple(steps))
