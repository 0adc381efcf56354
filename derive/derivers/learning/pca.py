"""`pca(X, k = 1, ddof = 0)`: principal components by the eigen-decomposition of the covariance.

In: the data X (rows are samples, or a list of vectors), the number of components k
(1 ≤ k ≤ number of features) and ddof (0: the covariance divides by N; 1: by N − 1).
Out: the first k principal components as the rows of a k×d matrix (as scikit-learn's
`components_`), with `extra` the eigenvalues, the explained-variance ratios and the
projections of the centred points.

Steps: the mean and the centred data, the covariance C = X̃ᵀX̃/(N − ddof) (checked), the
characteristic polynomial det(C − λI) and its roots, one unit eigenvector per
eigenvalue (C v = λ v and ‖v‖ = 1 checked), the components, the projections X̃W and the
explained-variance ratios λ_j / Σλ (Σλ = tr C checked).

Exact when the eigenvalues are rational or square roots (a 2×2 covariance always is);
otherwise the eigen-decomposition is computed to 30 digits and the steps say ≈.

Conventions: eigenvalues in decreasing order; each eigenvector's sign is chosen so that
its entry of largest absolute value (the first such) is positive, as scikit-learn's
`svd_flip`.  A repeated eigenvalue has no unique eigenvectors: an orthonormal basis of its
eigenspace is taken (said so).  A feature of zero variance is kept and said so (its
variance adds nothing); data with no variance at all is an error, as is k out of range.
"""
from __future__ import annotations

from typing import Any

import mpmath
import sympy as sp

from ... import ast
from ...errors import SpecError
from ...model.problem import Problem
from ...notation import Named
from ...sentence import Math, Rel, join, say
from ...steps import Step, make_step
from ..registry import Derived, make_answer
from .data import rows_of, whole

DIGITS = 30
MAX_OPS = 12          # operations in one exact eigenvector entry (1/√2, (1 + √5)/4, ...)


def _arguments(problem: Problem, call: ast.Call) -> tuple[sp.ImmutableMatrix, int, int]:
    rows = rows_of(problem, call.args[0], "the data")
    X = sp.ImmutableMatrix(rows)
    n, d = X.shape
    ddof = whole(problem, call, "ddof", 0, 0, 1)
    if n - ddof < 1:
        raise SpecError(f"{n} sample{'s' if n > 1 else ''} with ddof = {ddof}: the covariance divides by "
                        f"N − ddof = {n - ddof}", call.args[0].pos)
    k = whole(problem, call, "k", 1, 1, d, f" (the data has {d} feature{'s' if d > 1 else ''})")
    return X, k, ddof


def _centre(X: sp.ImmutableMatrix) -> tuple[sp.ImmutableMatrix, sp.ImmutableMatrix, Step]:
    n, d = X.shape
    mean = sp.ImmutableMatrix([[sp.Add(*X[:, j]) / n for j in range(d)]])
    Xc = sp.ImmutableMatrix(n, d, lambda i, j: X[i, j] - mean[0, j])
    mu, Xt = sp.Symbol("mu"), sp.Symbol("X_tilde")
    with sp.evaluate(False):
        total = sp.MatMul(sp.Rational(1, n), sp.MatAdd(*[X[i, :] for i in range(n)])) if n > 1 else X[0, :]
    s1 = make_step("pca_mean", say(f"The mean of the {n} samples:"), mu, total, mean, where={mu: mean})
    s2 = make_step("pca_centre", say("Centre the data: subtract the mean from every row."), Xt, Xc,
                   where={Xt: Xc}, check=False)
    return mean, Xc, [s1, s2]


def _covariance(Xc: sp.ImmutableMatrix, ddof: int) -> tuple[sp.ImmutableMatrix, Step]:
    n = Xc.shape[0]
    C = (Xc.T * Xc) / (n - ddof)
    Cs, Xt = sp.Symbol("C"), sp.MatrixSymbol("X_tilde", *Xc.shape)
    div = sp.Integer(n - ddof)
    with sp.evaluate(False):
        general = sp.MatMul(sp.Pow(div, -1), sp.MatMul(Xt.T, Xt))
        shown = sp.MatMul(sp.Pow(div, -1), Xc.T * Xc)
    which = "N" if ddof == 0 else "N − 1"
    step = make_step("pca_covariance", say(f"The covariance, dividing by {which} = {n - ddof}:"),
                     Cs, general, shown, C, where={Cs: C, Xt: Xc})
    return C, step


def _zero_variance(C: sp.ImmutableMatrix) -> list[Step]:
    d = C.shape[0]
    zero = [j + 1 for j in range(d) if C[j, j] == 0]
    if len(zero) == d:
        return []
    if not zero:
        return []
    names = ", ".join(map(str, zero))
    return [make_step("pca_zero_variance", say(f"Feature{'s' if len(zero) > 1 else ''} {names} ha",
                                               "ve" if len(zero) > 1 else "s", " zero variance (",
                                               join([Rel(sp.Symbol(f"C_{j}{j}"), "=", 0) for j in zero]),
                                               "): constant, so ", "they add" if len(zero) > 1 else "it adds",
                                               " nothing to any component."),
                      where={sp.Symbol(f"C_{j}{j}"): C[j - 1, j - 1] for j in zero})]


def _exact_eigen(C: sp.ImmutableMatrix) -> list[tuple[Any, list[sp.ImmutableMatrix]]] | None:
    """[(λ, orthonormal eigenvectors)] in decreasing λ, exact; None when the roots are not
    all real radicals or sympy cannot find the eigenspaces."""
    lam = sp.Symbol("lambda")
    poly = sp.Poly((C - lam * sp.eye(C.shape[0])).det(), lam)
    roots = sp.roots(poly)
    if sum(roots.values()) != poly.degree() or any(r.has(sp.I) or not r.is_real for r in roots):
        return None
    out = []
    for r in sorted(roots, key=lambda r: -sp.N(r, DIGITS)):
        basis = (C - r * sp.eye(C.shape[0])).nullspace(simplify=True)
        if len(basis) != roots[r]:
            return None
        vs = []
        for v in sp.GramSchmidt([sp.ImmutableMatrix(b) for b in basis], orthonormal=True):
            v = sp.ImmutableMatrix(v.applyfunc(lambda e: sp.nsimplify(sp.radsimp(sp.simplify(e)))
                                               if e.is_number else e))
            if any(sp.count_ops(e) > MAX_OPS or _nested(e) for e in v) or sp.simplify((v.T * v)[0, 0] - 1) != 0:
                return None                     # nested radicals: no TA writes these; 30 digits instead
            vs.append(_flip(v))
        out.append((sp.radsimp(r), vs))
    return out


def _nested(e: Any) -> bool:
    """Whether a root in `e` has an irrational radicand (√(a + b√c))."""
    return any(not p.base.is_rational for p in e.atoms(sp.Pow) if p.exp.is_Rational and not p.exp.is_Integer)


def _flip(v: sp.ImmutableMatrix) -> sp.ImmutableMatrix:
    """v with its first entry of largest absolute value made positive (scikit-learn's svd_flip)."""
    mags = [sp.N(abs(e), DIGITS) for e in v]
    j = mags.index(max(mags))
    return -v if sp.N(v[j], DIGITS) < 0 else v


def _numeric_eigen(C: sp.ImmutableMatrix) -> list[tuple[Any, list[sp.ImmutableMatrix]]]:
    """The eigen-decomposition to DIGITS digits (mpmath's symmetric solver)."""
    with mpmath.workdps(DIGITS + 10):
        E, Q = mpmath.eigsy(mpmath.matrix([[mpmath.mpf(sp.Rational(C[i, j]).p) / sp.Rational(C[i, j]).q
                                            for j in range(C.shape[1])] for i in range(C.shape[0])]))
        pairs = sorted(((E[i], [Q[r, i] for r in range(C.shape[0])]) for i in range(C.shape[0])),
                       key=lambda p: -p[0])
        return [(sp.Float(lam, DIGITS), [_flip(sp.ImmutableMatrix([sp.Float(x, DIGITS) for x in vec]))])
                for lam, vec in pairs]


def short(x: Any) -> Any:
    """A 30-digit number or matrix shown to 6 significant digits."""
    if isinstance(x, sp.MatrixBase):
        return x.applyfunc(short)
    return sp.Float(x, 6) if isinstance(x, sp.Float) else x


def _roots_step(C: sp.ImmutableMatrix, values: list, exact: bool) -> Step:
    """det(C − λI) expanded (checked) and its roots: the factored form when exact, else each
    root's residual |p(λ_j)| ≈ 0 checked at 30 digits."""
    lam, d = sp.Symbol("lambda"), C.shape[0]
    poly = sp.expand((C - lam * sp.eye(d)).det())
    lsyms = [sp.Symbol(f"lambda_{j}") for j in range(1, len(values) + 1)]
    with sp.evaluate(False):
        inner = sp.MatAdd(C, sp.MatMul(-1, lam, sp.Identity(d)))
    det = Named(sp.Function("det")(inner), poly)         # det(C − λI), shown as written
    if exact:
        factored = sp.Mul(*[lam - v for v in values], evaluate=False)
        roots = join([Rel(s, "=", v) for s, v in zip(lsyms, values)], ", ", " and ")
        return make_step("pca_characteristic", say("The eigenvalues of C are the roots of its characteristic "
                                                   "polynomial: largest first, ", roots, ":"),
                         det, poly, factored if d % 2 == 0 else sp.Mul(-1, factored, evaluate=False),
                         where=dict(zip(lsyms, values)))
    where = dict(zip(lsyms, values))
    roots = join([Rel(s, "≈", short(v)) for s, v in zip(lsyms, values)], ", ", " and ")
    checks = join([Rel(Named(sp.Abs(sp.Function("p")(s)), abs(poly.subs(lam, v))), "≈", 0)
                   for s, v in zip(lsyms, values)], ", ", " and ")
    return make_step("pca_characteristic", say("The eigenvalues of C are the roots of its characteristic "
                                               "polynomial p(λ); they have no simple closed form, so they are "
                                               "computed to 30 digits: largest first, ", roots, " (", checks, ")."),
                     det, poly, where=where)


def _vector_step(C: sp.ImmutableMatrix, j: int, lam: Any, v: sp.ImmutableMatrix, exact: bool) -> Step:
    lj, vj = sp.Symbol(f"lambda_{j}"), sp.Symbol(f"v_{j}")
    nv = Named(sp.Abs(vj), sp.sqrt((v.T * v)[0, 0]))
    if exact:
        with sp.evaluate(False):
            lhs = sp.MatMul(C, v)
        return make_step("pca_eigenvector", say("A unit eigenvector for ", Math(lj), ": ", Rel(nv, "=", 1), ","),
                         lhs, sp.MatMul(lj, vj, evaluate=False), (lam * v).applyfunc(sp.radsimp),
                         where={lj: lam, vj: v})
    resid = sp.sqrt(sum(e ** 2 for e in (C * v - lam * v)))
    r = Named(sp.Abs(sp.Symbol("C") * vj - lj * vj), resid)
    return make_step("pca_eigenvector", say("A unit eigenvector for ", Math(lj), ": ",
                                            Rel(vj, "≈", short(v), kind="definition"), ", with ", Rel(r, "≈", 0),
                                            " and ", Rel(nv, "≈", 1), "."))


def _eigen_steps(C: sp.ImmutableMatrix) -> tuple[list, list[Step], bool]:
    """The eigenvalue and eigenvector steps; ([(λ, v)] largest first, steps, exact)."""
    pairs = _exact_eigen(C)
    exact = pairs is not None
    if pairs is None:
        pairs = _numeric_eigen(C)
    flat = [(lam, v) for lam, vs in pairs for v in vs]
    steps = [_roots_step(C, [lam for lam, _ in flat], exact)]
    subs = [_vector_step(C, j, lam, v, exact) for j, (lam, v) in enumerate(flat, 1)]
    note = say(" A repeated eigenvalue has a whole plane of eigenvectors: an orthonormal basis of it is "
               "taken.") if any(len(vs) > 1 for _, vs in pairs) else say()
    steps.append(make_step("pca_eigenvectors", say("The unit eigenvectors, each signed so that its entry of "
                                                   "largest absolute value is positive (scikit-learn's "
                                                   "convention).", note), substeps=subs))
    return flat, steps, exact


def pca(problem: Problem, call: ast.Call) -> Derived:
    """Principal components, projections and explained variance (see the module docstring)."""
    X, k, ddof = _arguments(problem, call)
    mean, Xc, steps = _centre(X)
    C, step = _covariance(Xc, ddof)
    steps.append(step)
    if all(e == 0 for e in C):
        raise SpecError("every sample is the same point: the data has no variance, so no direction is principal",
                        call.args[0].pos)
    steps += _zero_variance(C)
    pairs, more, exact = _eigen_steps(C)
    steps += more
    W = sp.ImmutableMatrix.hstack(*[v for _, v in pairs[:k]])
    Wsym, Z = sp.Symbol("W"), sp.Symbol("Z")
    what = f"The first {k} principal components, the eigenvectors" if k > 1 else \
        "The first principal component, the eigenvector"
    steps.append(make_step("pca_components", say(what, " of the largest eigenvalue", "s" if k > 1 else "",
                                                 ", as the column", "s" if k > 1 else "", " of W:"),
                           Wsym, W if exact else short(W), where={Wsym: W}, check=False))
    proj = Xc * W
    with sp.evaluate(False):
        shown = sp.MatMul(Xc, W)
    if exact:
        steps.append(make_step("pca_projection", say("The projections of the centred points (one row per point):"),
                               Z, shown, proj, where={Z: proj}))
    else:
        steps.append(make_step("pca_projection", say("The projections of the centred points (one row per point), "
                                                     "to 6 digits:"), Z, short(proj), check=False))
    steps += _ratio_steps(C, pairs, k, exact)
    ratios = [lam / C.trace() for lam, _ in pairs[:k]]
    extra = {"eigenvalues": [float(lam) for lam, _ in pairs], "explained_variance_ratio": [float(r) for r in ratios],
             "projections": [[float(e) for e in proj.row(i)] for i in range(proj.shape[0])]}
    return Derived(make_answer(W.T, extra=extra), tuple(steps))


def _ratio_steps(C: sp.ImmutableMatrix, pairs: list, k: int, exact: bool) -> list[Step]:
    lams = [sp.Symbol(f"lambda_{j}") for j in range(1, len(pairs) + 1)]
    where = {s: lam for s, (lam, _) in zip(lams, pairs)}
    total = C.trace()
    steps = [make_step("pca_total", say("The total variance is the trace of C, the sum of the eigenvalues:"),
                       sp.Add(*lams, evaluate=False) if len(lams) > 1 else lams[0], total, where=where,
                       relation="=" if exact else "≈")]
    for j in range(k):
        r = sp.Symbol(f"r_{j + 1}")
        value = sp.radsimp(pairs[j][0] / total) if exact else pairs[j][0] / total
        sym_total = sp.Add(*lams, evaluate=False) if len(lams) > 1 else lams[0]
        with sp.evaluate(False):
            chain = [r, sp.Mul(lams[j], sp.Pow(sym_total, -1)), sp.Mul(short(pairs[j][0]), sp.Pow(total, -1)),
                     short(value)]
        if exact and not value.is_Rational:
            chain.append(sp.Float(sp.N(value, DIGITS), 6))
        steps.append(make_step("pca_ratio", say(f"Explained-variance ratio of component {j + 1}:"), *chain,
                               where={**where, r: value}, relation="=" if exact and value.is_Rational else "≈"))
    return steps
