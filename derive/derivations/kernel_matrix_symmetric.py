"""`derivation(kernel_matrix_symmetric)`: K_ij = κ(x_i, x_j) = φ(x_i)ᵀφ(x_j) gives Kᵀ = K.

Entrywise (a scalar is its own transpose) and in matrix form K = ΦΦᵀ, both checked at
random feature vectors and feature matrices.
"""
from __future__ import annotations

import sympy as sp

from ..derivers.registry import Derived, make_answer
from ..notation import Named
from ..sentence import Em, Rel, Sentence, say
from ..steps import make_step
from . import derivation
from ._display import Reals
from ._geometry import ip

I, J = sp.symbols("i j", integer=True, positive=True)
K_IJ, K_JI = sp.Symbol("K_i_j"), sp.Symbol("K_j_i")


def features(dim, fi, fj) -> Sentence:
    """The feature vectors φ_i = φ(x_i) and the kernel as their inner product (definitions)."""
    phi, kappa = sp.Function("phi"), sp.Function("kappa")
    xi, xj = sp.Symbol("x_i"), sp.Symbol("x_j")
    return say("Write ", Rel(fi, "=", phi(xi), kind="definition"), ", a vector in ", Reals(dim),
               ", for the feature vector of sample ", xi, " (", dim, " may be as large as we like). By definition of a "
               "kernel, ", Rel(K_IJ, "=", kappa(xi, xj), kind="definition"), " is the inner product of the features, ",
               Rel(K_IJ, "=", ip(fi, fj), kind="definition"), ".")


def feature_symbols():
    n = sp.Symbol("N", integer=True, positive=True)
    dim = sp.Symbol("D", integer=True, positive=True)
    phi = sp.MatrixSymbol("Phi", n, dim)
    return n, dim, phi, sp.MatrixSymbol("phi_i", dim, 1), sp.MatrixSymbol("phi_j", dim, 1)


@derivation("kernel_matrix_symmetric", title="A kernel matrix is symmetric")
def kernel_matrix_symmetric(problem) -> Derived:
    n, dim, phi, fi, fj = feature_symbols()
    K = sp.MatrixSymbol("K", n, n)
    a, b = sp.MatrixSymbol("a", dim, 1), sp.MatrixSymbol("b", dim, 1)
    A, Bm = sp.MatrixSymbol("A", n, dim), sp.MatrixSymbol("B", dim, n)
    steps = [make_step("definition", features(dim, fi, fj), check=False)]
    steps.append(make_step(
        "entrywise", say("Entry by entry: ", ip(fi, fj), " is a scalar (a 1×1 matrix), and a scalar equals its own "
                         "transpose, ", Rel(sp.Transpose(sp.MatMul(a.T, b, evaluate=False)), "=", b.T * a), ":"),
        Named(K_IJ, ip(fi, fj)), ip(fi, fj), sp.Trace(sp.Transpose(sp.MatMul(fi.T, fj, evaluate=False))),
        ip(fj, fi), Named(K_JI, ip(fj, fi))))
    steps.append(make_step(
        "matrix_form", say("In matrix form: stack the feature vectors as the rows of ",
                           Rel(phi, "∈", Reals(n, dim), kind="definition"), " (row ", I, " is ", fi.T, "), so ",
                           Rel(K, "=", sp.MatMul(phi, phi.T, evaluate=False), kind="definition"), " and, by ",
                           Rel(sp.Transpose(sp.MatMul(A, Bm, evaluate=False)), "=",
                               sp.MatMul(Bm.T, A.T, evaluate=False)), ","),
        Named(K.T, sp.Transpose(phi * phi.T)), sp.Transpose(sp.MatMul(phi, phi.T, evaluate=False)),
        sp.MatMul(sp.Transpose(phi.T), phi.T, evaluate=False), sp.MatMul(phi, phi.T, evaluate=False),
        Named(K, phi * phi.T)))
    steps.append(make_step(
        "conclusion", say("Hence ", Rel(K_IJ, "=", K_JI, kind="fact"), " for all ", I, " and ", J, ": ",
                          Rel(K.T, "=", K, kind="fact"), ", the kernel matrix is ", Em("symmetric"),
                          " (for any kernel that is an inner product of features, as every kernel is)."),
        check=False))
    prose = say(Rel(K.T, "=", K, kind="fact"), ": the kernel matrix is symmetric, because ",
                Rel(K_IJ, "=", ip(fi, fj), kind="definition"), " and ", Rel(ip(fi, fj), "=", ip(fj, fi)), ".")
    return Derived(make_answer(None, text="K.T = K (K is symmetric)", value=None,
                               display=sp.Eq(K.T, K, evaluate=False), prose=prose), tuple(steps))
