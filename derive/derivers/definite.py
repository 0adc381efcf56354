"""Definiteness of explicit symmetric matrices, decided exactly, and the `psd` goal.

In:  an explicit square sympy matrix whose entries are numbers (a Hessian or a Gram
     matrix with the problem's given values put in).
Out: `classify(H)`: a `Definiteness` — "pd", "psd" (singular) or "not_psd" — from exact
     symmetric elimination (completing the square): E H Eᵀ = D with E unit lower
     triangular, so H = L D Lᵀ with L = E⁻¹ and vᵀHv = Σₖ dₖ ((Lᵀv)ₖ)².  A negative pivot,
     or a zero pivot whose row is not zero, gives a direction v with vᵀHv < 0; a zero pivot
     gives u with Hu = 0.  `verdict_steps(H, name)` turns it into checked steps: leading
     principal minors (Sylvester) for "pd", H = L D Lᵀ, the square sum and a null vector for
     "psd", the direction and its negative quadratic form for "not_psd".  Every chain is
     checked by `make_step` on the numbers it shows.

`given_values(problem)` is what a verdict substitutes first: the symbol -> value of every
`let`, `input` and `param` the problem gives a value.  Anything left free (declared
symbols, vectors, matrices) is all a counterexample may choose.

The goal `psd(K)`: whether a given matrix (a `let`, a node, an expression) is positive
semi-definite, with that reason.
"""
from __future__ import annotations

from typing import Any

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixExpr

from .. import ast
from ..errors import SpecError, Unsupported
from ..model.expressions import is_tensor, show_shape
from ..model.problem import Problem
from ..sentence import Math, Rel, Sentence, join, say
from ..steps import Step, make_step
from .registry import Derived, make_answer
from ..claims import check_sentence
from .solving.spectrum import shown, spectrum
from ..records import record

MAX_SIZE = 40            # exact elimination on matrices up to this size


# ---- the problem's given values -------------------------------------------------------------

def given_values(problem: Problem, skip: frozenset = frozenset()) -> dict:
    """symbol -> value of every `let`/`input`/`param` with a value (except the `skip` symbols)."""
    out = {}
    for b in problem.names.values():
        if b.kind in ("let", "input", "param") and b.error is None and b.symbol is not None \
                and isinstance(b.value, sp.Basic) and b.symbol != b.value and b.symbol not in skip:
            out[b.symbol] = b.value
    return out


def uses(expr: Any, values: dict) -> bool:
    """Whether `expr` contains one of the symbols (scalar or matrix) that `values` binds."""
    if not isinstance(expr, sp.Basic) or not values:
        return False
    return bool((expr.atoms(sp.MatrixSymbol) | expr.free_symbols) & set(values))


def explicit(expr: Any) -> Any:
    """`expr` evaluated: an explicit ImmutableMatrix when no matrix symbol is left, entries expanded."""
    val = expr.doit() if isinstance(expr, sp.Basic) else expr
    if isinstance(val, MatrixExpr) and not val.atoms(sp.MatrixSymbol) \
            and all(sp.sympify(s, strict=True).is_Integer for s in val.shape):
        val = sp.ImmutableMatrix(val.as_explicit())
    if isinstance(val, sp.MatrixBase):
        val = sp.ImmutableMatrix(val.applyfunc(sp.expand))
    elif isinstance(val, sp.Expr):
        val = sp.expand(val)
    return val


def numeric_matrix(x: Any) -> bool:
    return isinstance(x, sp.MatrixBase) and not x.free_symbols and x.rows == x.cols


# ---- exact symmetric elimination --------------------------------------------------------

@record
class Definiteness:
    """kind "pd" / "psd" / "not_psd"; pivots; E with E H Eᵀ = diag(pivots) (not for "not_psd");
    witness: v with vᵀHv < 0 ("not_psd") or u ≠ 0 with Hu = 0 ("psd")."""

    kind: str
    pivots: tuple
    E: sp.ImmutableMatrix | None
    witness: sp.ImmutableMatrix | None


def sign(x: Any) -> int | None:
    """-1, 0, 1 for a number whose sign sympy decides exactly; None otherwise."""
    x = sp.sympify(x, strict=True)
    if x.is_Rational:
        return 1 if x > 0 else (-1 if x < 0 else 0)
    for e in (x, sp.simplify(x)):
        if e.is_zero:
            return 0
        if e.is_positive:
            return 1
        if e.is_negative:
            return -1
    return None


def integral(v: sp.MatrixBase) -> sp.ImmutableMatrix:
    """A rational vector scaled to coprime integers (the same direction)."""
    if not all(e.is_Rational for e in v):
        return sp.ImmutableMatrix(v)
    den = sp.ilcm(*[sp.Rational(e).q for e in v]) if len(v) > 1 else sp.Rational(v[0]).q
    w = [sp.Integer(e * den) for e in v]
    g = sp.igcd(*[int(e) for e in w]) if len(w) > 1 else abs(int(w[0]))
    return sp.ImmutableMatrix(len(w), 1, [e / g for e in w]) if g else sp.ImmutableMatrix(w)


def _tidy(x: Any) -> Any:
    """x itself when rational, else simplified (radicals in the entries)."""
    return x if x.is_Rational else sp.simplify(x)


def _unit(n: int, k: int) -> sp.Matrix:
    e = sp.zeros(n, 1)
    e[k] = 1
    return e


def classify(H: sp.MatrixBase) -> Definiteness | None:
    """Exact definiteness of a symmetric numeric matrix; None when it is not symmetric or a
    pivot's sign cannot be decided."""
    n = H.rows
    if H.cols != n or any(sign(H[i, j] - H[j, i]) != 0 for i in range(n) for j in range(i + 1, n)):
        return None
    S, E, pivots = sp.Matrix(H), sp.eye(n), []
    for k in range(n):
        s = sign(S[k, k])
        if s is None:
            return None
        if s < 0:
            return Definiteness("not_psd", tuple(pivots), None, integral(E.T * _unit(n, k)))
        if s == 0:
            signs = [sign(S[k, j]) for j in range(k + 1, n)]
            if None in signs:
                return None
            j = next((k + 1 + i for i, t in enumerate(signs) if t != 0), None)
            if j is not None:       # w = t e_k + e_j: wᵀSw = 2t S_kj + S_jj < 0
                t = -(S[j, j] + 1) / (2 * S[k, j])
                if S[j, j].is_Rational and S[k, j].is_Rational:
                    t = -sp.sign(S[k, j]) * max(1, sp.floor(S[j, j] / (2 * abs(S[k, j]))) + 1)
                return Definiteness("not_psd", tuple(pivots), None, integral(E.T * (t * _unit(n, k) + _unit(n, j))))
            pivots.append(sp.Integer(0))
            continue
        for i in range(k + 1, n):
            m = _tidy(S[i, k] / S[k, k])
            if m != 0:
                S[i, :] = S[i, :] - m * S[k, :]
                S[:, i] = S[:, i] - m * S[:, k]
                E[i, :] = E[i, :] - m * E[k, :]
        pivots.append(_tidy(S[k, k]))
    E = sp.ImmutableMatrix(E)
    zero = [k for k, p in enumerate(pivots) if p == 0]
    if not zero:
        return Definiteness("pd", tuple(pivots), E, None)
    return Definiteness("psd", tuple(pivots), E, integral(E.T * _unit(n, zero[0])))


# ---- the steps that show it -------------------------------------------------------------

@record
class Verdict:
    """A decided matrix: its kind, the checked steps and the reason (a checked Sentence)."""

    kind: str
    steps: tuple[Step, ...]
    reason: Sentence
    witness: sp.ImmutableMatrix | None


def checked(sentence: Sentence) -> Sentence:
    """A sentence whose relations are all numeric claims, checked now (for prose)."""
    return check_sentence(sentence, {}, "verdict")[0]


def _delta(k: int) -> sp.Symbol:
    return sp.Symbol(f"Delta_{k}")


def _pd_steps(H: sp.ImmutableMatrix, name: Any) -> tuple[list[Step], Sentence]:
    n = H.rows
    minors, subs, signs = [], [], []
    for k in range(1, n + 1):
        block = sp.ImmutableMatrix(H[:k, :k])
        val = _tidy(block.det())
        minors.append(val)
        subs.append(make_step("minor", say(Math(_delta(k)), ":"), sp.Determinant(block), val))
        signs.append(make_step("positive", say(Math(_delta(k)), ":"), val, sp.Integer(0), relation=">"))
    steps = [make_step("minors", say("Sylvester's criterion: a symmetric matrix is positive definite exactly when "
                                     "its leading principal minors (the determinants of its upper-left square "
                                     "blocks) are all positive. For ", Math(name), ":"), substeps=subs, check=False),
             make_step("positive", say("All of them are positive:"), substeps=signs, check=False)]
    reason = say("its leading principal minors ", join([Rel(m, ">", 0) for m in minors]),
                 " are all positive (Sylvester's criterion)")
    return steps, checked(reason)


def _square_sum(H: sp.ImmutableMatrix, d: Definiteness) -> tuple[Any, Any, Any]:
    """(v, vᵀHv, Σ dₖ ((Lᵀv)ₖ)²) with v = (v₁, ..., vₙ)."""
    n = H.rows
    v = sp.ImmutableMatrix(n, 1, [sp.Symbol(f"v_{i + 1}", real=True) for i in range(n)])
    L = sp.ImmutableMatrix(d.E.inv())
    lv = L.T * v
    terms = [sp.Mul(p, sp.Pow(sp.expand(lv[k]), 2, evaluate=False), evaluate=False) if p != 1
             else sp.Pow(sp.expand(lv[k]), 2, evaluate=False) for k, p in enumerate(d.pivots) if p != 0]
    total = sp.Add(*terms, evaluate=False) if len(terms) > 1 else (terms[0] if terms else sp.Integer(0))
    return v, sp.MatMul(v.T, H, v, evaluate=False), total


def _psd_steps(H: sp.ImmutableMatrix, name: Any, d: Definiteness) -> tuple[list[Step], Sentence]:
    n = H.rows
    L = sp.ImmutableMatrix(d.E.inv())
    D = sp.ImmutableMatrix(sp.diag(*d.pivots))
    Ls, Ds, vs = sp.MatrixSymbol("L", n, n), sp.MatrixSymbol("D", n, n), sp.MatrixSymbol("v", n, 1)
    v, quad, total = _square_sum(H, d)
    u = d.witness
    steps = [
        make_step("ldl", say("Symmetric elimination (completing the square) writes ", Math(name), " as ",
                             Math(sp.MatMul(Ls, Ds, Ls.T)), " with ", Math(Ls), " unit lower triangular and ",
                             Math(Ds), " diagonal:"), H, sp.MatMul(L, D, L.T, evaluate=False)),
        make_step("square_sum", say("So for every ", Math(vs), " the quadratic form of ", Math(name), " is a sum "
                                    "of squares weighted by the pivots, the diagonal of ", Math(Ds), ":"),
                  quad, total),
        make_step("nonnegative", say("The pivots are nonnegative:"), check=False,
                  substeps=[make_step("nonnegative", say(Math(sp.Symbol(f"d_{k + 1}")), ":"), p, sp.Integer(0),
                                      relation="≥") for k, p in enumerate(d.pivots)]),
        make_step("singular", say("A pivot is zero, so ", Math(name), " is singular (not positive definite): it "
                                  "maps ", Math(u), " to zero,"),
                  sp.MatMul(H, u, evaluate=False), sp.ImmutableMatrix(sp.zeros(n, 1))),
    ]
    zero = sp.MatMul(H, u).doit()
    reason = say("the pivots of its elimination ", Math(sp.MatMul(Ls, Ds, Ls.T)), " are ",
                 join([Rel(p, "≥", 0) for p in d.pivots]), " with one of them zero, so its quadratic form is "
                 "never negative and vanishes along ", Math(u), " (", Rel(sp.MatMul(H, u, evaluate=False), "=",
                                                                         zero), ")")
    return steps, checked(reason)


def _not_psd_steps(H: sp.ImmutableMatrix, name: Any, d: Definiteness) -> tuple[list[Step], Sentence]:
    v = d.witness
    q = sp.MatMul(v.T, H, v, evaluate=False)
    val = (v.T * H * v)[0, 0]
    steps = [make_step("direction", say("Symmetric elimination of ", Math(name), " stops at a pivot that is not "
                                        "positive; it gives the direction ", Math(v), ", where the quadratic form "
                                        "is"), q, val),
             make_step("negative", say("which is negative:"), val, sp.Integer(0), relation="<")]
    return steps, checked(say("its quadratic form along ", Math(v), " is ", Rel(val, "<", 0)))


def verdict_steps(H: sp.ImmutableMatrix, name: Any) -> Verdict | None:
    """The checked steps deciding whether the numeric symmetric matrix H (shown as `name`,
    a sympy object) is positive definite, semidefinite or neither; None if that cannot be
    decided."""
    if H.rows > MAX_SIZE:
        return None
    d = classify(H)
    if d is None:
        return None
    if d.kind == "pd":
        steps, reason = _pd_steps(H, name)
    elif d.kind == "psd":
        steps, reason = _psd_steps(H, name, d)
    else:
        steps, reason = _not_psd_steps(H, name, d)
    return Verdict(d.kind, tuple(steps), reason, d.witness)


# ---- the goal ---------------------------------------------------------------------------

def _symmetric_steps(K: sp.ImmutableMatrix, name: Any) -> list[Step] | None:
    """None if K is symmetric; else the checked steps showing two entries that differ."""
    n = K.rows
    for i in range(n):
        for j in range(i + 1, n):
            if sign(K[i, j] - K[j, i]) != 0:
                return [make_step("asymmetric", say(Math(name), f" is not symmetric: the entries ({i + 1}, {j + 1}) "
                                                    f"and ({j + 1}, {i + 1}) differ,"), K[i, j], K[j, i],
                                  relation="≠")]
    return None


def _spectral_reason(K: sp.ImmutableMatrix, name: Any, kind: str) -> tuple[list[Step], Sentence]:
    """The eigenvalues (solving.spectrum) and, for a positive definite K, its Cholesky factor:
    the checked steps and a clause for the answer's sentence."""
    spec = spectrum(K, name)
    lo = sp.Symbol("lambda_min")
    op = {"pd": ">", "psd": "≥", "not_psd": "<"}[kind]
    steps = list(spec.steps)
    steps.append(make_step("eigen_sign", say("The smallest eigenvalue is ", Rel(lo, "=", shown(spec.lo)), ", so ",
                                             Rel(lo, op, 0), "."), where={lo: spec.lo}))
    clause = say("; its eigenvalues are ", join([Rel(sp.Symbol(f"lambda_{i + 1}"), "=", shown(v), kind="definition")
                                                 for i, v in enumerate(spec.values)]),
                 ", the smallest ", Rel(shown(spec.lo), op, 0))
    if kind == "pd":
        L = sp.ImmutableMatrix(sp.Matrix(K).cholesky(hermitian=False).applyfunc(sp.radsimp))
        Ls = sp.MatrixSymbol("L", *K.shape)
        diag = [L[i, i] for i in range(K.rows)]
        steps.append(make_step("cholesky", say("Its Cholesky factor ", Math(Ls), " is lower triangular with a "
                                               "positive diagonal (", join([Rel(d, ">", 0) for d in diag]), "), and ",
                                               Rel(name, "=", sp.MatMul(Ls, Ls.T), kind="definition"), ":"),
                               K, sp.MatMul(L, L.T, evaluate=False)))
        clause = say(clause, "; and ", Rel(name, "=", sp.MatMul(L, L.T, evaluate=False)), " (Cholesky)")
    return steps, check_sentence(clause, {name: K} if isinstance(name, sp.MatrixSymbol) else {}, "verdict")[0]


def psd(problem: Problem, call: ast.Call) -> Derived:
    """`psd(K)`: K's given values put in, then exact elimination (see the module docstring)."""
    node = call.args[0]
    value, display = problem.value(node), problem.display(node)
    if not (is_tensor(value) and value.shape[0] == value.shape[1]):
        raise SpecError(f"`psd` needs a square matrix, not {show_shape(value)}", node.pos)
    K = explicit(value)
    if not isinstance(K, sp.MatrixBase):
        raise Unsupported("`psd` needs the entries of the matrix; give it a value (`let K = ...`)", node.pos)
    name = display if isinstance(display, sp.MatrixSymbol) else sp.MatrixSymbol("K", *K.shape)
    steps: list[Step] = []
    if display != K:
        steps.append(make_step("substitute", say("With the given values:"), display, K,
                               where={display: K} if isinstance(display, sp.MatrixSymbol) else None))
    if K.free_symbols:
        raise Unsupported(f"the entries of `{node.pos.snippet()}` depend on "
                          f"{', '.join(sorted(map(str, K.free_symbols)))}; `psd` decides matrices with numeric "
                          "entries", node.pos)
    asym = _symmetric_steps(K, name)
    if asym is not None:
        steps.extend(asym)
        prose = say("No: ", Math(name), " is not symmetric, and positive semi-definiteness is defined for "
                    "symmetric matrices.")
        return Derived(make_answer(sp.false, text="False", value=False, prose=prose), tuple(steps))
    verdict = verdict_steps(K, name)
    if verdict is None:
        raise Unsupported(f"could not decide the signs of the pivots of `{node.pos.snippet()}`", node.pos)
    steps.extend(verdict.steps)
    more, eig = _spectral_reason(K, name, verdict.kind)
    steps.extend(more)
    ok = verdict.kind in ("pd", "psd")
    if verdict.kind == "pd":
        prose = say("Yes: ", Math(name), " is positive definite (so also semi-definite): ", verdict.reason, eig, ".")
    elif ok:
        prose = say("Yes: ", Math(name), " is positive semi-definite but singular: ", verdict.reason, eig, ".")
    else:
        prose = say("No: ", Math(name), " is not positive semi-definite: ", verdict.reason, eig, ".")
    return Derived(make_answer(sp.true if ok else sp.false, text=str(ok), value=ok, prose=prose), tuple(steps))
