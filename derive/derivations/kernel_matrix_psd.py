"""`derivation(kernel_matrix_psd)`: cᵀKc = ‖Σᵢ cᵢ φ(xᵢ)‖² ≥ 0, so K is positive semi-definite.

The double sum, the regrouping into one squared norm and the matrix form cᵀΦΦᵀc = ‖Φᵀc‖²
are each checked at random vectors c and random feature matrices Φ.
"""
from __future__ import annotations

import sympy as sp

from ..derivers.registry import Derived, make_answer
from ..model.functions import Norm
from ..notation import Named
from ..sentence import Em, Rel, say
from ..steps import make_step
from . import derivation
from ._display import Reals, SumFromTo
from ._geometry import ip
from .kernel_matrix_symmetric import I, J, K_IJ, feature_symbols, features


def _sums(n, c, fi, fj):
    """The displays Σ_i Σ_j c_i c_j K_ij, Σ_i Σ_j c_i c_j φ_iᵀφ_j and Σ_i c_i φ_i."""
    ci, cj = sp.Symbol("c_i"), sp.Symbol("c_j")
    double = SumFromTo(SumFromTo(sp.Mul(ci, cj, K_IJ, evaluate=False), J, 1, n), I, 1, n)
    inner = SumFromTo(SumFromTo(ci * cj * ip(fi, fj), J, 1, n), I, 1, n)
    return double, inner, sp.Sum(ci * fi, (I, 1, n))


def _conclusion(n, dim, c, K, quad, v, vs, gram):
    """The verdict cᵀKc ≥ 0 and why it need not be definite, each relation checked on what
    the steps before showed (cᵀKc is ‖Φᵀc‖²; an eigenpair Ku = λu is the given)."""
    u, lam = sp.MatrixSymbol("u", n, 1), sp.Symbol("lambda")
    shown = Named(quad, Norm(v) ** 2)                  # cᵀKc, which step 5 showed is ‖Φᵀc‖²
    zero = sp.ZeroMatrix(dim, 1)
    return make_step(
        "conclusion", say("So ", Rel(shown, "≥", 0), " for every ", c, ": ", K, " is ",
                          Em("positive semi-definite"), ". (It need not be definite: ",
                          Rel(Named(quad, Norm(vs) ** 2), "=", 0), " whenever ", Rel(vs, "=", 0, kind="assumption"),
                          ", for example for two equal samples or when ", Rel(n, ">", dim, kind="assumption"),
                          ". Equivalently every eigenvalue is at least 0: ",
                          Rel(K * u, "=", lam * u, kind="assumption"), " gives ",
                          Rel(lam * Norm(u) ** 2, "=", Named(ip(u, K * u), ip(u, lam * u))),
                          ", which is at least 0.)"), where={vs: zero}, check=False)


@derivation("kernel_matrix_psd", title="A kernel matrix is positive semi-definite")
def kernel_matrix_psd(problem) -> Derived:
    n, dim, phi, fi, fj = feature_symbols()
    c = sp.MatrixSymbol("c", n, 1)
    K = sp.MatrixSymbol("K", n, n)
    vs = sp.MatrixSymbol("v", dim, 1)
    i, j = sp.symbols("i j", integer=True, positive=True)
    gram = phi * phi.T                     # K = ΦΦᵀ: K_ij = φ_iᵀφ_j
    v = phi.T * c                          # Σ_i c_i φ_i (column i of Φᵀ is φ_i)
    double = sp.Sum(c[i - 1, 0] * c[j - 1, 0] * K[i - 1, j - 1], (i, 1, n), (j, 1, n))
    d_double, d_inner, d_v = _sums(n, c, fi, fj)
    quad = sp.Trace(sp.MatMul(c.T, K, c, evaluate=False))
    steps = [make_step(
        "definition", say("A symmetric matrix ", Rel(K, "∈", Reals(n, n), kind="definition"), " is positive "
                          "semi-definite (PSD) when ", Rel(quad, "≥", 0, kind="definition"), " for every ",
                          Rel(c, "∈", Reals(n), kind="definition"), "; ", K, " is symmetric (previous part). ",
                          features(dim, fi, fj)), check=False)]
    steps.append(make_step(
        "quadratic_form", say("Write the quadratic form as a double sum over the entries:"),
        quad, Named(d_double, double)))
    steps.append(make_step(
        "regroup", say("Substitute ", Rel(K_IJ, "=", ip(fi, fj), kind="definition"), " and regroup: the double sum "
                       "of inner products is the inner product of one vector with itself, ",
                       Rel(vs, "=", d_v, kind="definition"), ":"),
        Named(d_double, double.xreplace({K: gram})),
        Named(d_inner, sp.Sum(c[i - 1, 0] * c[j - 1, 0] * gram[i - 1, j - 1], (i, 1, n), (j, 1, n))),
        Named(ip(vs, vs), ip(v, v)), Named(Norm(vs) ** 2, Norm(v) ** 2)))
    steps.append(make_step(
        "nonnegative", say("A squared norm is never negative:"),
        Named(Norm(vs) ** 2, Norm(v) ** 2), sp.Integer(0), relation="≥"))
    steps.append(make_step(
        "matrix_form", say("The same in matrix form, with the rows of ", phi, " the feature vectors (",
                           Rel(K, "=", sp.MatMul(phi, phi.T, evaluate=False), kind="definition"), ", ",
                           Rel(sp.MatMul(phi.T, c, evaluate=False), "=", vs, kind="definition"), "):"),
        Named(quad, ip(c, gram * c)), sp.Trace(sp.MatMul(c.T, phi, phi.T, c, evaluate=False)),
        sp.Trace(sp.MatMul(sp.Transpose(sp.MatMul(phi.T, c, evaluate=False)), sp.MatMul(phi.T, c, evaluate=False),
                           evaluate=False)),
        Norm(sp.MatMul(phi.T, c, evaluate=False)) ** 2))
    steps.append(_conclusion(n, dim, c, K, quad, v, vs, gram))
    prose = say(K, " is positive semi-definite: for every ", c, ", ", Rel(quad, "=", d_inner, kind="definition"),
                " and ", Rel(d_inner, "=", Norm(d_v) ** 2, kind="fact"), ", which is at least 0.")
    given = _given_kernel_matrix(problem)
    if given is not None:
        more, note = given
        steps.extend(more)
        prose = say(prose, " ", note) if note else prose
    return Derived(make_answer(None, text="c.T*K*c = ||sum_i c_i*phi(x_i)||^2 >= 0 (K is positive semi-definite)",
                               value=None, display=sp.GreaterThan(quad, 0, evaluate=False), prose=prose),
                   tuple(steps))


def _given_kernel_matrix(problem) -> tuple[list, str] | None:
    """When the problem gives `K` numbers: the exact verdict on that matrix (steps, a note)."""
    from ..derivers.definite import explicit, numeric_matrix, verdict_steps
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
