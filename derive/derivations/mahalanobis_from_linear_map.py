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
from ..notation import Named
from ..sentence import Em, Rel, say
from ..steps import make_step
from . import derivation
from ._display import Reals, SumOver
from ._geometry import vminus

# A fixed concrete instance for the converse (A = LᵀL from a Cholesky factor).
EXAMPLE_A = sp.ImmutableMatrix([[4, 2, 0], [2, 5, 1], [0, 1, 3]])
EXAMPLE_X = (sp.ImmutableMatrix([1, 2, -1]), sp.ImmutableMatrix([3, -1, 2]))


def dL(a, b):
    """d_L(x_i, x_j), the learned distance as written."""
    return sp.Function("d_L")(sp.Symbol(a.name), sp.Symbol(b.name))


def quad(v, A):
    """vᵀAv as written."""
    return sp.Trace(sp.MatMul(v.T, A, v, evaluate=False))


def rank(M):
    return sp.Function("rank")(sp.Symbol(M.name))


k = sp.Symbol("k", integer=True, positive=True)
d = sp.Symbol("d", integer=True, positive=True)
L = sp.MatrixSymbol("L", k, d)
A = sp.MatrixSymbol("A", d, d)
xi, xj, v = (sp.MatrixSymbol(n, d, 1) for n in ("x_i", "x_j", "v"))
zi, zj = (sp.MatrixSymbol(n, k, 1) for n in ("z_i", "z_j"))
u = sp.MatrixSymbol("u", d, 1)
diff = vminus(xi, xj)
Ldiff = sp.MatMul(L, diff, evaluate=False)


def _identity_steps() -> list:
    """‖L(xᵢ − xⱼ)‖² = (xᵢ − xⱼ)ᵀA(xᵢ − xⱼ) with A = LᵀL, symmetric and PSD (checked at random L)."""
    steps = [make_step(
        "definition", say("Map every sample by ", Rel(zi, "=", sp.MatMul(L, xi, evaluate=False), kind="definition"),
                          " with ", Rel(L, "∈", Reals(k, d), kind="definition"), " and measure the squared Euclidean "
                          "distance of the images:"),
        Named(dL(xi, xj), Norm(vminus(zi, zj)) ** 2), Norm(vminus(zi, zj)) ** 2,
        Norm(vminus(L * xi, L * xj)) ** 2, Norm(Ldiff) ** 2, where={zi: L * xi, zj: L * xj})]
    steps.append(make_step(
        "expand", say("Write the squared norm as an inner product and use ",
                      Rel(sp.Transpose(sp.MatMul(L, u, evaluate=False)), "=", sp.MatMul(u.T, L.T, evaluate=False)), ":"),
        Norm(Ldiff) ** 2, sp.Trace(sp.MatMul(sp.Transpose(Ldiff), Ldiff, evaluate=False)),
        sp.Trace(sp.MatMul(sp.Transpose(diff), L.T, L, diff, evaluate=False)),
        sp.Trace(sp.MatMul(sp.Transpose(diff), A, diff, evaluate=False)), where={A: L.T * L}))
    steps.append(make_step(
        "relate", say("So the learned distance is the quadratic form ",
                      Rel(dL(xi, xj), "=", sp.Trace(sp.MatMul(sp.Transpose(diff), A, diff, evaluate=False)),
                          kind="definition"), " with"),
        A, sp.MatMul(L.T, L, evaluate=False), where={A: L.T * L}))
    steps.append(make_step(
        "symmetric", say(A, " is symmetric:"),
        Named(A.T, sp.Transpose(L.T * L)), sp.Transpose(sp.MatMul(L.T, L, evaluate=False)),
        sp.MatMul(L.T, sp.Transpose(L.T), evaluate=False), sp.MatMul(L.T, L, evaluate=False), Named(A, L.T * L)))
    steps.append(make_step(
        "psd", say("and positive semi-definite: for every ", Rel(v, "∈", Reals(d), kind="definition"), ","),
        sp.Trace(sp.MatMul(v.T, A, v, evaluate=False)), sp.Trace(sp.MatMul(v.T, L.T, L, v, evaluate=False)),
        Norm(sp.MatMul(L, v, evaluate=False)) ** 2, where={A: L.T * L}))
    steps.append(make_step(
        "nonnegative", say("which is a squared norm:"), Norm(sp.MatMul(L, v, evaluate=False)) ** 2, sp.Integer(0),
        relation="≥"))
    steps.append(make_step(
        "semi", say("Only ", Em("semi"), "-definite in general: ", Rel(quad(v, A), "=", 0, kind="fact"),
                    " for every ", v, " in the null space of ", L, ", and ",
                    Rel(rank(A), "=", rank(L), kind="fact"), ", at most ", sp.Min(k, d), "; with ",
                    Rel(k, "<", d, kind="assumption"), " the distance ignores ", d - k, " directions (a low-rank "
                    "metric, that is a projection to ", k, " dimensions)."), check=False))
    return steps


def _remark_steps() -> list:
    """Only semi-definite; the converse (checked on a Cholesky factor); the degenerate L = 0."""
    steps = []
    Us, Lam = sp.MatrixSymbol("U", d, d), sp.MatrixSymbol("Lambda", d, d)
    R = EXAMPLE_A.cholesky(hermitian=False)
    Lex = sp.ImmutableMatrix(R.T)
    steps.append(make_step(
        "converse", say("Conversely every symmetric positive semi-definite ", A, " is ", sp.MatMul(L.T, L, evaluate=False),
                        " for some ", L, " (from the eigendecomposition ", Rel(A, "=", sp.MatMul(Us, Lam, Us.T,
                                                                                         evaluate=False),
                                                                        kind="fact"), " take ",
                        Rel(L, "=", sp.MatMul(sp.MatPow(Lam, sp.Rational(1, 2)), Us.T, evaluate=False),
                            kind="definition"), ", or the Cholesky factor when ", A, " is definite), so learning ",
                        Rel(A, "⪰", 0, kind="definition"), " and learning ", L, " are the same problem. For example:"),
        sp.MatMul(Lex.T, Lex, evaluate=False), EXAMPLE_A))
    xa, xb = EXAMPLE_X
    L3, x3i, x3j = sp.MatrixSymbol("L", 2, 3), sp.MatrixSymbol("x_i", 3, 1), sp.MatrixSymbol("x_j", 3, 1)
    steps.append(make_step(
        "degenerate", say("The pitfall ", Rel(L, "=", 0, kind="assumption"), ": then ",
                          Rel(A, "=", 0, kind="fact"), " and every distance vanishes. For example, with ", L3,
                          " the zero 2×3 matrix, ", Rel(x3i, "=", xa, kind="definition"), " and ",
                          Rel(x3j, "=", xb, kind="definition"), ":"),
        Norm(sp.MatMul(L3, vminus(x3i, x3j), evaluate=False)) ** 2, sp.Integer(0),
        where={L3: sp.ImmutableMatrix(sp.zeros(2, 3)), x3i: xa, x3j: xb}))
    steps.append(make_step(
        "constraint", say("All samples collapse to ", Rel(sp.MatrixSymbol("z", k, 1), "=", 0, kind="fact"),
                          ", so an objective that only pulls samples of one class together, such as ",
                          SumOver(Norm(sp.MatMul(L, diff, evaluate=False)) ** 2, sp.Tuple(sp.Symbol("i"), sp.Symbol("j"))),
                          " over the pairs of one class, is trivially minimised "
                          "by ", Rel(L, "=", 0, kind="definition"), " and nearest neighbours become meaningless "
                          "(every distance ties). Constrain ", L, ": fix its scale (its Frobenius norm ",
                          Rel(Norm(L), "=", 1, kind="definition"), ", or ",
                          Rel(sp.Trace(A), "=", 1, kind="definition"), "), or require the distances between the "
                          "classes to stay at least 1."), check=False))
    return steps


@derivation("mahalanobis_from_linear_map", title="A learned linear map gives a Mahalanobis distance")
def mahalanobis_from_linear_map(problem) -> Derived:
    steps = _identity_steps() + _remark_steps()
    prose = say(Rel(Norm(vminus(L * xi, L * xj)) ** 2, "=", sp.Trace(sp.MatMul(sp.Transpose(diff), A, diff,
                                                                                 evaluate=False)), kind="fact"),
                " with ", Rel(A, "=", sp.MatMul(L.T, L, evaluate=False), kind="definition"), ", which is symmetric "
                "positive semi-definite (", Rel(quad(v, A), "=", Norm(sp.MatMul(L, v, evaluate=False)) ** 2,
                                                kind="fact"), ", at least 0).")
    return Derived(make_answer(L.T * L, text="L.T*L", display=sp.Eq(A, sp.MatMul(L.T, L, evaluate=False), evaluate=False),
                               value=None, prose=prose), tuple(steps))
