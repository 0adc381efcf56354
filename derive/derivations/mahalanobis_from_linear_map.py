"""`derivation(mahalanobis_from_linear_map)`: ‖L(xᵢ − xⱼ)‖² = (xᵢ − xⱼ)ᵀA(xᵢ − xⱼ), A = LᵀL.

Out: A = LᵀL, symmetric positive semi-definite; conversely every such A is LᵀL (checked
on a concrete positive definite A through its Cholesky factor); and why L = 0 is the
degenerate solution that a metric-learning objective must rule out.  The general
identities are checked at random matrices L of random sizes k×d.
"""
from __future__ import annotations

import sympy as sp

from ..derivers.registry import Derived, make_answer
from ..model.functions import Norm
from ..steps import make_step
from . import derivation
from ._display import named
from ._geometry import ip, vminus

# A fixed concrete instance for the converse (A = LᵀL from a Cholesky factor).
EXAMPLE_A = sp.ImmutableMatrix([[4, 2, 0], [2, 5, 1], [0, 1, 3]])
EXAMPLE_X = (sp.ImmutableMatrix([1, 2, -1]), sp.ImmutableMatrix([3, -1, 2]))


@derivation("mahalanobis_from_linear_map", title="A learned linear map gives a Mahalanobis distance")
def mahalanobis_from_linear_map(problem) -> Derived:
    k = sp.Symbol("k", integer=True, positive=True)
    d = sp.Symbol("d", integer=True, positive=True)
    L = sp.MatrixSymbol("L", k, d)
    A = sp.MatrixSymbol("A", d, d)
    xi, xj, v = (sp.MatrixSymbol(n, d, 1) for n in ("x_i", "x_j", "v"))
    zi, zj = (sp.MatrixSymbol(n, k, 1) for n in ("z_i", "z_j"))
    diff = vminus(xi, xj)
    Ldiff = sp.MatMul(L, diff, evaluate=False)
    steps = [make_step(
        "definition", "Map every sample by $z_i = L x_i$ with $L \\in \\mathbb{R}^{k \\times d}$ and measure the "
                      "squared Euclidean distance of the images:",
        named("d_L(x_i, x_j)", Norm(vminus(zi, zj)) ** 2), Norm(vminus(zi, zj)) ** 2,
        Norm(vminus(L * xi, L * xj)) ** 2, Norm(Ldiff) ** 2, where={zi: L * xi, zj: L * xj})]
    steps.append(make_step(
        "expand", "Write the squared norm as an inner product and use $(L u)^T = u^T L^T$:",
        Norm(Ldiff) ** 2, sp.Trace(sp.MatMul(sp.Transpose(Ldiff), Ldiff, evaluate=False)),
        sp.Trace(sp.MatMul(sp.Transpose(diff), L.T, L, diff, evaluate=False)),
        sp.Trace(sp.MatMul(sp.Transpose(diff), A, diff, evaluate=False)), where={A: L.T * L}))
    steps.append(make_step(
        "relate", "So the learned distance is the quadratic form $d(x_i, x_j) = (x_i - x_j)^T A (x_i - x_j)$ with",
        A, sp.MatMul(L.T, L, evaluate=False), where={A: L.T * L}))
    steps.append(make_step(
        "symmetric", "$A$ is symmetric:",
        named("A^T", sp.Transpose(L.T * L)), sp.Transpose(sp.MatMul(L.T, L, evaluate=False)),
        sp.MatMul(L.T, sp.Transpose(L.T), evaluate=False), sp.MatMul(L.T, L, evaluate=False), named("A", L.T * L)))
    steps.append(make_step(
        "psd", "and positive semi-definite: for every $v \\in \\mathbb{R}^d$,",
        sp.Trace(sp.MatMul(v.T, A, v, evaluate=False)), sp.Trace(sp.MatMul(v.T, L.T, L, v, evaluate=False)),
        Norm(sp.MatMul(L, v, evaluate=False)) ** 2, where={A: L.T * L}))
    steps.append(make_step(
        "nonnegative", "which is a squared norm:", Norm(sp.MatMul(L, v, evaluate=False)) ** 2, sp.Integer(0),
        relation="≥"))
    steps.append(make_step(
        "semi", "Only *semi*-definite in general: $v^T A v = \\lVert L v \\rVert^2 = 0$ for every $v$ in the null "
                "space of $L$, and $\\operatorname{rank} A = \\operatorname{rank} L \\le \\min(k, d)$; with $k < d$ "
                "the distance ignores $d - k$ directions (a low-rank metric, i.e. a projection to $k$ dimensions).",
        check=False))
    R = EXAMPLE_A.cholesky(hermitian=False)
    Lex = sp.ImmutableMatrix(R.T)
    steps.append(make_step(
        "converse", "Conversely every symmetric positive semi-definite $A$ is $L^T L$ for some $L$ (from the "
                    "eigendecomposition $A = U \\Lambda U^T$ take $L = \\Lambda^{1/2} U^T$, or the Cholesky factor "
                    "when $A$ is definite), so learning $A \\succeq 0$ and learning $L$ are the same problem. "
                    "For example:",
        sp.MatMul(Lex.T, Lex, evaluate=False), EXAMPLE_A))
    xa, xb = EXAMPLE_X
    L3, x3i, x3j = sp.MatrixSymbol("L", 2, 3), sp.MatrixSymbol("x_i", 3, 1), sp.MatrixSymbol("x_j", 3, 1)
    steps.append(make_step(
        "degenerate", "The pitfall $L = 0$: then $A = L^T L = 0$ and every distance vanishes. For example, with $L$ the "
                      "zero $2 \\times 3$ matrix, $x_i = (1, 2, -1)$ and $x_j = (3, -1, 2)$:",
        Norm(sp.MatMul(L3, vminus(x3i, x3j), evaluate=False)) ** 2, sp.Integer(0),
        where={L3: sp.ImmutableMatrix(sp.zeros(2, 3)), x3i: xa, x3j: xb}))
    steps.append(make_step(
        "constraint", "All samples collapse to $z = 0$, so an objective that only pulls samples of one class together, "
                      "such as $\\sum_{(i, j) \\text{ in one class}} \\lVert L(x_i - x_j) \\rVert^2$, is trivially minimised by $L = 0$ "
                      "and nearest neighbours become meaningless (every distance ties). Constrain $L$: fix its scale "
                      "($\\lVert L \\rVert_F = 1$, or $\\operatorname{tr} A = 1$), or require the distances between "
                      "the classes to stay at least 1.", check=False))
    prose = ("$\\lVert L x_i - L x_j \\rVert^2 = (x_i - x_j)^T L^T L (x_i - x_j) = (x_i - x_j)^T A (x_i - x_j)$ with "
             "$A = L^T L$, which is symmetric positive semi-definite ($v^T A v = \\lVert L v \\rVert^2 \\ge 0$).")
    return Derived(make_answer(L.T * L, text="L.T*L", tex="A = L^{T} L", value=None, prose=prose), tuple(steps))
