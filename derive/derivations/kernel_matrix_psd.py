"""`derivation(kernel_matrix_psd)`: cᵀKc = ‖Σᵢ cᵢ φ(xᵢ)‖² ≥ 0, so K is positive semi-definite.

The double sum, the regrouping into one squared norm and the matrix form cᵀΦΦᵀc = ‖Φᵀc‖²
are each checked at random vectors c and random feature matrices Φ.
"""
from __future__ import annotations

import sympy as sp

from ..derivers.registry import Derived, make_answer
from ..model.functions import Norm
from ..steps import make_step
from . import derivation
from ._display import named
from ._geometry import ip
from .kernel_matrix_symmetric import FEATURES, feature_symbols


@derivation("kernel_matrix_psd", title="A kernel matrix is positive semi-definite")
def kernel_matrix_psd(problem) -> Derived:
    n, dim, phi, _, _ = feature_symbols()
    c = sp.MatrixSymbol("c", n, 1)
    K = sp.MatrixSymbol("K", n, n)
    i, j = sp.symbols("i j", integer=True, positive=True)
    gram = phi * phi.T                     # K = ΦΦᵀ: K_ij = φ_iᵀφ_j
    v = phi.T * c                          # Σ_i c_i φ_i (column i of Φᵀ is φ_i)
    double = sp.Sum(c[i - 1, 0] * c[j - 1, 0] * K[i - 1, j - 1], (i, 1, n), (j, 1, n))
    steps = [make_step(
        "definition", "A symmetric matrix $K \\in \\mathbb{R}^{N \\times N}$ is positive semi-definite (PSD) when "
                      "$c^T K c \\ge 0$ for every $c \\in \\mathbb{R}^N$; $K$ is symmetric (previous part). "
                      + FEATURES, check=False)]
    steps.append(make_step(
        "quadratic_form", "Write the quadratic form as a double sum over the entries:",
        sp.Trace(sp.MatMul(c.T, K, c, evaluate=False)),
        named(r"\sum_{i=1}^{N} \sum_{j=1}^{N} c_i c_j K_{ij}", double)))
    steps.append(make_step(
        "regroup", "Substitute $K_{ij} = \\phi_i^T \\phi_j$ and regroup: the double sum of inner products is the inner "
                   "product of one vector with itself, $v = \\sum_i c_i \\phi_i$:",
        named(r"\sum_{i=1}^{N} \sum_{j=1}^{N} c_i c_j K_{ij}", double.xreplace({K: gram})),
        named(r"\sum_{i=1}^{N} \sum_{j=1}^{N} c_i c_j \, \phi_i^T \phi_j",
              sp.Sum(c[i - 1, 0] * c[j - 1, 0] * gram[i - 1, j - 1], (i, 1, n), (j, 1, n))),
        named(r"\Big(\sum_{i=1}^{N} c_i \phi_i\Big)^T \Big(\sum_{j=1}^{N} c_j \phi_j\Big)", ip(v, v)),
        named(r"\Big\lVert \sum_{i=1}^{N} c_i \phi_i \Big\rVert^2", Norm(v) ** 2)))
    steps.append(make_step(
        "nonnegative", "A squared norm is never negative:",
        named(r"\Big\lVert \sum_{i=1}^{N} c_i \phi_i \Big\rVert^2", Norm(v) ** 2), sp.Integer(0), relation="≥"))
    steps.append(make_step(
        "matrix_form", "The same in matrix form, with the rows of $\\Phi$ the feature vectors ($K = \\Phi \\Phi^T$, "
                       "$\\Phi^T c = \\sum_i c_i \\phi_i$):",
        named("c^T K c", ip(c, gram * c)), sp.Trace(sp.MatMul(c.T, phi, phi.T, c, evaluate=False)),
        sp.Trace(sp.MatMul(sp.Transpose(sp.MatMul(phi.T, c, evaluate=False)), sp.MatMul(phi.T, c, evaluate=False),
                           evaluate=False)),
        Norm(sp.MatMul(phi.T, c, evaluate=False)) ** 2))
    steps.append(make_step(
        "conclusion", "So $c^T K c \\ge 0$ for every $c$: $K$ is **positive semi-definite**. (It need not be "
                      "definite: $c^T K c = 0$ whenever $\\sum_i c_i \\phi(x_i) = 0$, e.g. for two equal samples or "
                      "when $N > D$. Equivalently every eigenvalue is $\\ge 0$: $K u = \\lambda u$ gives "
                      "$\\lambda \\lVert u \\rVert^2 = u^T K u \\ge 0$.)", check=False))
    prose = ("$K$ is positive semi-definite: for every $c \\in \\mathbb{R}^N$, "
             "$c^T K c = \\sum_{i,j} c_i c_j \\phi(x_i)^T \\phi(x_j) = \\big\\lVert \\sum_i c_i \\phi(x_i) \\big\\rVert^2 "
             "\\ge 0$.")
    given = _given_kernel_matrix(problem)
    if given is not None:
        more, note = given
        steps.extend(more)
        prose += (" " + note) if note else ""
    return Derived(make_answer(None, text="c.T*K*c = ||sum_i c_i*phi(x_i)||^2 >= 0 (K is positive semi-definite)",
                               value=None, tex=r"c^T K c = \Big\lVert \sum_i c_i \phi(x_i) \Big\rVert^2 \ge 0",
                               prose=prose), tuple(steps))


def _given_kernel_matrix(problem) -> tuple[list, str] | None:
    """When the problem gives `K` numbers: the exact verdict on that matrix (steps, a note)."""
    from ..derivers.definite import explicit, numeric_matrix, verdict_steps
    from ..sentence import Rel, say
    b = problem.names.get("K") if problem is not None else None
    if b is None or b.kind not in ("let", "node", "input", "param") or b.error is not None:
        return None
    K = explicit(b.value)
    if not numeric_matrix(K) or K != K.T:
        return None
    Ks = sp.MatrixSymbol("K", *K.shape)
    verdict = verdict_steps(K, Ks)
    if verdict is None:
        return None
    if verdict.kind == "not_psd":
        head = say("The problem gives ", Rel(Ks, "=", K, kind="definition"), ", which is not positive "
                   "semi-definite (", verdict.reason, "), so it is not the kernel matrix of any kernel:")
        note = "The K given here is not positive semi-definite, so it is not the kernel matrix of any kernel."
    else:
        head = say("The problem gives ", Rel(Ks, "=", K, kind="definition"), ", positive semi-definite as a "
                   "kernel matrix must be (", verdict.reason, "):")
        note = ""
    return [make_step("given", head, check=False, substeps=verdict.steps)], note
