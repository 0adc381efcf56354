"""Polynomials in symbolic matrices: the algebra behind `grad`, `hessian`, `expand`, `simplify`.

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
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from typing import Any, Iterable

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixExpr

from ..errors import Unsupported
from ..limits import check as _deadline
from ..model import functions as F

ONE = sp.Integer(1)


# ---- factors and chains -----------------------------------------------------------------

@dataclass(frozen=True)
class Factor:
    """One factor of a product: `base` (a matrix atom) or its transpose."""

    base: Any
    t: bool = False

    @property
    def shape(self) -> tuple:
        r, c = self.base.shape
        return (c, r) if self.t else (r, c)

    @property
    def key(self) -> tuple:
        return (_atom_key(self.base), self.t)

    def T(self) -> "Factor":
        if _symmetric_atom(self.base):
            return self
        return Factor(self.base, not self.t)

    def expr(self) -> Any:
        return sp.Transpose(self.base) if self.t else self.base


Chain = tuple  # tuple[Factor, ...]


def _atom_key(base: Any) -> tuple:
    if isinstance(base, sp.MatrixSymbol):
        return (0, base.name)
    if isinstance(base, sp.Identity):
        return (2, "I", str(base.shape))
    return (1, str(base))


def _symmetric_atom(base: Any) -> bool:
    if isinstance(base, sp.Identity):
        return True
    if isinstance(base, sp.OneMatrix):
        return base.shape[0] == base.shape[1]
    if isinstance(base, sp.MatrixBase):
        return base.shape[0] == base.shape[1] and base == base.T
    return False


def is_one(n: Any) -> bool:
    return n == 1


def chain_shape(ch: Chain) -> tuple:
    return (ch[0].shape[0], ch[-1].shape[1])


def chain_T(ch: Chain) -> Chain:
    return tuple(f.T() for f in reversed(ch))


def chain_key(ch: Chain) -> tuple:
    return tuple(f.key for f in ch)


def chain_expr(ch: Chain) -> Any:
    if not ch:
        return ONE
    if len(ch) == 1:
        return ch[0].expr()
    return sp.MatMul(*[f.expr() for f in ch])


def symmetric_chain(ch: Chain) -> bool:
    """Whether the product equals its transpose structurally (XᵀX, ABBᵀAᵀ, I, ...)."""
    return chain_key(chain_T(ch)) == chain_key(ch)


def _strip_identities(ch: Chain) -> Chain:
    if len(ch) <= 1:
        return ch
    kept = tuple(f for f in ch if not isinstance(f.base, sp.Identity))
    return kept if kept else ch[:1]


def split_chain(ch: Chain) -> list[Chain]:
    """The chain cut wherever the inner size is 1 (after a column vector)."""
    segs: list[Chain] = []
    cur: list[Factor] = []
    for i, f in enumerate(ch):
        cur.append(f)
        if i < len(ch) - 1 and is_one(f.shape[1]):
            segs.append(tuple(cur))
            cur = []
    if cur:
        segs.append(tuple(cur))
    return segs


def canonical_scalar(ch: Chain) -> list[Chain]:
    """tr(ch) as canonical scalar chains (a 1×1 product or a trace that cannot be cut)."""
    ch = _strip_identities(ch)
    r, c = chain_shape(ch)
    if not (is_one(r) and is_one(c)):
        # tr(P u vᵀ Q) = vᵀ Q P u: rotate to start after a column vector when there is one
        for i in range(1, len(ch)):
            if is_one(ch[i - 1].shape[1]):
                return canonical_scalar(ch[i:] + ch[:i])
        if len(ch) == 1 and isinstance(ch[0].base, sp.Identity):
            return [ch]
        rots = [ch[i:] + ch[:i] for i in range(len(ch))]
        chT = chain_T(ch)
        rots += [chT[i:] + chT[:i] for i in range(len(chT))]
        return [min(rots, key=chain_key)]
    out = []
    for seg in split_chain(ch):
        segT = chain_T(seg)
        out.append(min(seg, segT, key=chain_key))
    return out


# ---- terms and polynomials ---------------------------------------------------------------

@dataclass(frozen=True)
class Term:
    """coef · Π tr(scalars) · chain; `chain` is empty exactly when the term is 1×1."""

    coef: Any
    scalars: tuple
    chain: Chain
    shape: tuple

    @property
    def key(self) -> tuple:
        return (tuple(chain_key(s) for s in self.scalars), chain_key(self.chain))

    def size(self) -> int:
        return sum(len(s) for s in self.scalars) + len(self.chain)


def make_term(coef: Any, scalars: Iterable[Chain], chain: Chain, shape: tuple | None = None) -> Term | None:
    """The canonical term (None when the coefficient is 0)."""
    _deadline()
    coef = sp.sympify(coef, strict=True)
    if coef == 0:
        return None
    sc: list[Chain] = []
    for s in scalars:
        if any(isinstance(f.base, sp.ZeroMatrix) for f in s):
            return None
        sc.extend(canonical_scalar(s))
    chain = _strip_identities(tuple(chain))
    if any(isinstance(f.base, sp.ZeroMatrix) for f in chain):
        return None
    if shape is None:
        shape = chain_shape(chain) if chain else (ONE, ONE)
    if chain:
        segs = split_chain(chain)
        keep: list[Chain] = []
        for i, seg in enumerate(segs):
            r, c = chain_shape(seg)
            if is_one(r) and is_one(c):
                sc.extend(canonical_scalar(seg))
            else:
                keep.append(seg)
        chain = tuple(f for seg in keep for f in seg)
    # plain numbers as 1×1 "chains" cannot occur; drop identity-only scalar chains of size 1×1
    sc = [s for s in sc if not (len(s) == 1 and isinstance(s[0].base, sp.Identity) and is_one(s[0].shape[0]))]
    sc.sort(key=chain_key)
    return Term(coef, tuple(sc), chain, tuple(shape))


class Poly:
    """A sum of canonical terms of one shape; like terms are combined."""

    __slots__ = ("shape", "terms")

    def __init__(self, shape: tuple, terms: Iterable[Term | None] = ()):
        self.shape = tuple(shape)
        merged: dict[tuple, Term] = {}
        for t in terms:
            if t is None:
                continue
            k = t.key
            if k in merged:
                old = merged[k]
                c = old.coef + t.coef
                if c == 0:
                    del merged[k]
                else:
                    merged[k] = Term(c, old.scalars, old.chain, old.shape)
            else:
                merged[k] = t
        self.terms: tuple[Term, ...] = tuple(merged.values())

    # construction
    @staticmethod
    def atom(base: Any, t: bool = False) -> "Poly":
        f = Factor(base, t)
        if isinstance(base, sp.ZeroMatrix):
            return Poly(f.shape)
        return Poly(f.shape, [make_term(ONE, (), (f,), f.shape)])

    @staticmethod
    def scalar(c: Any) -> "Poly":
        return Poly((ONE, ONE), [make_term(c, (), ())])

    def __bool__(self) -> bool:
        return bool(self.terms)

    def __add__(self, other: "Poly") -> "Poly":
        return Poly(self.shape, self.terms + other.terms)

    def __neg__(self) -> "Poly":
        return self.scale(-1)

    def __sub__(self, other: "Poly") -> "Poly":
        return self + (-other)

    def scale(self, c: Any) -> "Poly":
        return Poly(self.shape, [Term(t.coef * c, t.scalars, t.chain, t.shape) for t in self.terms])

    @property
    def T(self) -> "Poly":
        shape = (self.shape[1], self.shape[0])
        return Poly(shape, [make_term(t.coef, t.scalars, chain_T(t.chain), shape) for t in self.terms])

    def __matmul__(self, other: "Poly") -> "Poly":
        shape = (self.shape[0], other.shape[1])
        out = []
        for a in self.terms:
            for b in other.terms:
                out.append(make_term(a.coef * b.coef, a.scalars + b.scalars, a.chain + b.chain, shape))
        return Poly(shape, out)

    def times_scalar(self, s: "Poly") -> "Poly":
        """self · s for a 1×1 polynomial s used as a scalar."""
        out = []
        for a in self.terms:
            for b in s.terms:
                out.append(make_term(a.coef * b.coef, a.scalars + b.scalars + ((b.chain,) if b.chain else ()),
                                     a.chain, self.shape))
        return Poly(self.shape, out)

    def is_scalar(self) -> bool:
        return is_one(self.shape[0]) and is_one(self.shape[1])

    def depends_on(self, x: Any) -> bool:
        return any(term_depends(t, x) for t in self.terms)

    def sorted_terms(self) -> list[Term]:
        return sorted(self.terms, key=lambda t: (t.size(), t.key))

    def symmetrized(self) -> "Poly":
        """Each 1×1 scalar aᵀMb split into ½aᵀMb + ½bᵀMᵀa (helps factoring quadratic forms)."""
        out: list[Term] = []
        for t in self.terms:
            if not t.chain and len(t.scalars) == 1 and not symmetric_chain(t.scalars[0]) \
                    and is_one(chain_shape(t.scalars[0])[0]):
                s = t.scalars[0]
                out.append(Term(t.coef / 2, (s,), (), t.shape))
                out.append(Term(t.coef / 2, (chain_T(s),), (), t.shape))
            else:
                out.append(t)
        p = Poly.__new__(Poly)
        p.shape, p.terms = self.shape, tuple(out)
        return p


def term_depends(t: Term, x: Any) -> bool:
    if any(f.base == x for s in t.scalars for f in s) or any(f.base == x for f in t.chain):
        return True
    return isinstance(x, sp.Symbol) and x in sp.sympify(t.coef, strict=True).free_symbols


def total(polys: Iterable[Poly], shape: tuple) -> Poly:
    return reduce(lambda a, b: a + b, polys, Poly(shape))


# ---- sympy -> Poly ------------------------------------------------------------------------

ATOMS = (sp.MatrixSymbol, sp.Identity, sp.OneMatrix, sp.ZeroMatrix)


def _matrix_free(e: Any) -> bool:
    return not (e.atoms(sp.MatrixSymbol) or e.atoms(sp.MatrixBase))


def to_poly(e: Any) -> Poly:
    """A matrix or scalar expression as a Poly; Unsupported for what is not a polynomial."""
    if isinstance(e, ATOMS) or isinstance(e, sp.MatrixSlice):
        return Poly.atom(e)
    if isinstance(e, sp.MatrixBase):
        if not _matrix_free(sp.Add(*list(e))) if e.shape[0] * e.shape[1] else False:
            raise Unsupported("an explicit matrix whose entries involve symbolic matrices cannot be "
                              "differentiated in closed form")
        if e.shape == (1, 1):
            return Poly.scalar(e[0, 0])
        return Poly.atom(sp.ImmutableMatrix(e))
    if isinstance(e, sp.Transpose):
        return to_poly(e.arg).T
    if isinstance(e, sp.MatAdd):
        parts = [to_poly(a) for a in e.args]
        return total(parts, parts[0].shape)
    if isinstance(e, sp.MatMul):
        coef, mats = _split_matmul(e)
        out = None
        for m in mats:
            p = to_poly(m)
            out = p if out is None else _product(out, p)
        return _scaled(out, coef)
    if isinstance(e, sp.MatPow):
        base, n = e.args
        if not (n.is_Integer and n >= 1):
            raise Unsupported(f"the matrix power {e} is not a polynomial (only positive whole powers are)")
        p = to_poly(base)
        out = p
        for _ in range(int(n) - 1):
            out = out @ p
        return out
    if isinstance(e, sp.Trace):
        p = to_poly(e.arg)
        if p.is_scalar():
            return p
        return Poly((ONE, ONE), [make_term(t.coef, t.scalars + (t.chain,), (), (ONE, ONE)) for t in p.terms])
    if isinstance(e, MatrixExpr):
        name = type(e).__name__
        what = {"HadamardProduct": "an elementwise product", "HadamardPower": "an elementwise power",
                "ElementwiseApplyFunction": "an elementwise function", "Inverse": "a matrix inverse",
                "BlockMatrix": "a block matrix"}.get(name, f"`{name}`")
        raise Unsupported(f"{what} has no closed-form matrix derivative here; "
                          "give the tensors concrete values to differentiate numerically")
    # scalars
    e = sp.sympify(e, strict=True)
    if _matrix_free(e):
        return Poly.scalar(e)
    if isinstance(e, sp.Add):
        return total([to_poly(a) for a in e.args], (ONE, ONE))
    if isinstance(e, sp.Mul):
        out = Poly.scalar(ONE)
        for a in e.args:
            out = _product(out, to_poly(a))
        return out
    if isinstance(e, sp.Pow):
        base, n = e.args
        if isinstance(base, F.Norm) and n.is_Integer and n > 0 and n % 2 == 0:
            sq = _norm_squared(base.args[0])
            return _power(sq, int(n) // 2)
        if n.is_Integer and n >= 1:
            return _power(to_poly(base), int(n))
        raise Unsupported(f"{e} is not a polynomial in the matrices (only whole positive powers and "
                          "squared norms have closed-form derivatives here)")
    if isinstance(e, F.Sum):
        v = e.args[0]
        r, c = v.shape
        p = to_poly(v)
        left = Poly.atom(sp.OneMatrix(1, r)) if not is_one(r) else Poly.scalar(1)
        right = Poly.atom(sp.OneMatrix(c, 1)) if not is_one(c) else Poly.scalar(1)
        return _product(_product(left, p), right)
    if isinstance(e, F.MSE):
        a, b = e.args
        diff = to_poly(a) - to_poly(b)
        n = a.shape[0] * a.shape[1]
        return _norm_squared_poly(diff).scale(1 / sp.sympify(n, strict=True))
    if isinstance(e, F.Norm):
        raise Unsupported(f"the norm ‖{e.args[0]}‖ is not a polynomial; write norm(...)^2 for a closed form")
    if isinstance(e, F.Loss):
        raise Unsupported("the loss is unspecified; give its gradients with `given grad(L, y) = g`")
    raise Unsupported(f"{type(e).__name__} of matrices has no closed-form derivative here")


def _split_matmul(e: sp.MatMul) -> tuple[Any, list]:
    coef, mats = ONE, []
    for a in e.args:
        if isinstance(a, (MatrixExpr, sp.MatrixBase)):
            mats.append(a)
        else:
            coef = coef * a
    return coef, mats


def _scaled(p: Poly, coef: Any) -> Poly:
    if coef == 1:
        return p
    c = to_poly(coef)
    return p.times_scalar(c)


def _product(a: Poly, b: Poly) -> Poly:
    """a·b: a matrix product, or a scalar (1×1) times a tensor."""
    if a.is_scalar() and not is_one(b.shape[0]):
        return b.times_scalar(a)
    if b.is_scalar() and not is_one(a.shape[1]):
        return a.times_scalar(b)
    return a @ b


def _power(p: Poly, n: int) -> Poly:
    out = p
    for _ in range(n - 1):
        out = _product(out, p)
    return out


def _norm_squared_poly(p: Poly) -> Poly:
    r, c = p.shape
    if is_one(c):
        return p.T @ p
    if is_one(r):
        return p @ p.T
    m = p.T @ p
    return Poly((ONE, ONE), [make_term(t.coef, t.scalars + (t.chain,), (), (ONE, ONE)) for t in m.terms])


def _norm_squared(v: Any) -> Poly:
    return _norm_squared_poly(to_poly(v))


# ---- differentiation -------------------------------------------------------------------

@dataclass(frozen=True)
class Occurrence:
    """One place where the variable occurs in a scalar chain: s = P X Q (or P Xᵀ Q)."""

    index: int
    transposed: bool
    before: Chain
    after: Chain


def occurrences(s: Chain, x: Any) -> list[Occurrence]:
    return [Occurrence(i, f.t, s[:i], s[i + 1:]) for i, f in enumerate(s) if f.base == x]


def _identity_chain(n: Any) -> Chain:
    return (Factor(sp.Identity(n)),)


def occurrence_grad(occ: Occurrence, x: Any) -> Chain:
    """∂tr(P X Q)/∂X = PᵀQᵀ = (QP)ᵀ;  ∂tr(P Xᵀ Q)/∂X = QP."""
    qp = occ.after + occ.before
    if not qp:
        return _identity_chain(x.shape[0])
    return qp if occ.transposed else chain_T(qp)


def scalar_chain_grad(s: Chain, x: Any) -> list[Chain]:
    return [occurrence_grad(o, x) for o in occurrences(s, x)]


def grad(f: Poly, x: Any) -> Poly:
    """∂f/∂x of a scalar polynomial f (denominator layout: the shape of x)."""
    if not f.is_scalar():
        raise ValueError("grad needs a scalar polynomial")
    if isinstance(x, sp.Symbol):
        return Poly((ONE, ONE), [make_term(sp.diff(t.coef, x), t.scalars, t.chain, t.shape) for t in f.terms])
    out: list[Term | None] = []
    for t in f.terms:
        out.extend(term_grad(t, x))
    return Poly(x.shape, out)


def vshape(x: Any) -> tuple:
    """The shape of a variable (1×1 for a scalar symbol)."""
    return tuple(x.shape) if hasattr(x, "shape") else (ONE, ONE)


def term_grad(t: Term, x: Any) -> list[Term | None]:
    """Product rule over the scalar factors of a 1×1 term, then over occurrences."""
    if isinstance(x, sp.Symbol):
        return [make_term(sp.diff(t.coef, x), t.scalars, t.chain, t.shape)]
    out: list[Term | None] = []
    for k, s in enumerate(t.scalars):
        others = t.scalars[:k] + t.scalars[k + 1:]
        for ch in scalar_chain_grad(s, x):
            out.append(make_term(t.coef, others, ch, x.shape))
    return out


def jacobian(y: Poly, x: Any) -> Poly:
    """∂y/∂x for a column polynomial y (m×1) and a column variable x (n×1): an m×n Poly."""
    m = y.shape[0]
    n = x.shape[0]
    shape = (m, n)
    out: list[Term | None] = []
    for t in y.terms:
        out.extend(term_jacobian(t, x, shape))
    return Poly(shape, out)


def term_jacobian(t: Term, x: Any, shape: tuple) -> list[Term | None]:
    """∂(Π tr(sₖ) · u)/∂x = Σₖ u (∇tr(sₖ))ᵀ Π_{l≠k} + Π tr(sₖ) · ∂u/∂x."""
    out: list[Term | None] = []
    u = t.chain
    for k, s in enumerate(t.scalars):
        others = t.scalars[:k] + t.scalars[k + 1:]
        for g in scalar_chain_grad(s, x):
            out.append(make_term(t.coef, others, u + chain_T(g), shape))
    for occ in occurrences(u, x):
        if occ.after or occ.transposed:
            raise Unsupported("this Jacobian needs a tensor beyond matrices")
        p = occ.before if occ.before else _identity_chain(x.shape[0])
        out.append(make_term(t.coef, t.scalars, p, shape))
    return out


def hessian(f: Poly, x: Any) -> Poly:
    return jacobian(grad(f, x), x)


# ---- display -------------------------------------------------------------------------

class Inner(sp.Trace):
    """A 1×1 product used as a scalar factor: prints as (aᵀMb), reads back as Trace(aᵀMb)."""

    def _latex(self, printer, **kw) -> str:
        return r"\left(%s\right)" % printer._print(self.arg)

    def _sympystr(self, printer) -> str:
        return "Trace(%s)" % printer._print(self.arg)


def _coef_neg(c: Any) -> bool:
    c = sp.sympify(c, strict=True)
    return c.could_extract_minus_sign()


def term_expr(t: Term, orient: Any = None, text: bool = False) -> Any:
    """The term as a sympy expression; scalars in front in parentheses (display), or
    absorbed into the chain where the product stays valid (text)."""
    traces = [s for s in t.scalars if not (is_one(chain_shape(s)[0]) and is_one(chain_shape(s)[1]))]
    if traces:     # tr(MᵀM) and friends: scalar factors that are traces of square products
        rest = Term(t.coef, tuple(s for s in t.scalars if s not in traces), t.chain, t.shape)
        tr = [sp.Trace(chain_expr(s)) for s in traces]
        if not rest.scalars and not rest.chain:
            return sp.Mul(rest.coef, *tr)
        inner = term_expr(Term(ONE, rest.scalars, rest.chain, rest.shape), orient, text)
        return scaled(sp.Mul(rest.coef, *tr), inner) if isinstance(inner, MatrixExpr) else sp.Mul(rest.coef, *tr) * inner
    scal = [orient_scalar(s, orient) for s in t.scalars]
    if not t.chain and not scal:
        return t.coef
    if not t.chain:
        mats = [chain_expr(s) for s in scal]
        if len(mats) == 1:
            body = mats[0]
        elif text:
            body = sp.MatMul(*mats)
        else:
            body = sp.MatMul(*[Inner(m) for m in mats[:-1]], mats[-1])
        return body if t.coef == 1 else sp.MatMul(t.coef, body)
    r, c = chain_shape(t.chain)
    factors = [f.expr() for f in t.chain]
    if text and scal and is_one(c):
        factors = factors + [g.expr() for s in scal for g in s]
        scal = []
    elif text and scal and is_one(r):
        factors = [g.expr() for s in scal for g in s] + factors
        scal = []
    coef_parts = ([t.coef] if t.coef != 1 else []) + [Inner(chain_expr(s)) for s in scal]
    if not coef_parts and len(factors) == 1:
        return factors[0]
    return sp.MatMul(*coef_parts, *factors)


class Orient:
    """How to write each 1×1 product: with the variable `x` last when it occurs once
    (aᵀx rather than xᵀa), else as the original expression wrote it (`prefer`: chain keys
    of the 1×1 products found there, e.g. q_iᵀk_j = x_iᵀW_QᵀW_Kx_j), else with fewer
    transposes."""

    def __init__(self, x: Any = None, prefer: frozenset = frozenset()):
        self.x = x
        self.prefer = prefer


def preferred(*exprs: Any) -> frozenset:
    """The chain keys of the 1×1 products written in `exprs`, in their written orientation."""
    keys: set = set()
    for e in exprs:
        if not isinstance(e, sp.Basic):
            continue
        for m in e.atoms(sp.MatMul):
            ch = _raw_chain(m)
            if ch is None:
                continue
            if is_one(chain_shape(ch)[0]) and is_one(chain_shape(ch)[1]):
                keys.add(chain_key(_strip_identities(ch)))
            for seg in split_chain(ch):
                r, c = chain_shape(seg)
                if is_one(r) and is_one(c):
                    keys.add(chain_key(_strip_identities(seg)))
    return frozenset(keys)


def _raw_chain(e: Any) -> Chain | None:
    if isinstance(e, ATOMS):
        return (Factor(e),)
    if isinstance(e, sp.Transpose):
        inner = _raw_chain(e.arg)
        return chain_T(inner) if inner is not None else None
    if isinstance(e, sp.MatMul):
        out: list = []
        for a in e.args:
            if not isinstance(a, (MatrixExpr, sp.MatrixBase)):
                continue
            ch = _raw_chain(a)
            if ch is None:
                return None
            out.extend(ch)
        return tuple(out) if out else None
    return None


def orient_scalar(s: Chain, x: Any = None) -> Chain:
    """A 1×1 product written as `x` (an Orient, or the variable) asks."""
    r, c = chain_shape(s)
    if not (is_one(r) and is_one(c)):
        return s
    o = x if isinstance(x, Orient) else Orient(x)
    sT = chain_T(s)
    if o.x is not None:
        for cand in (s, sT):
            occ = occurrences(cand, o.x)
            if len(occ) == 1 and occ[0].index == len(cand) - 1 and not occ[0].transposed:
                return cand
    for cand in (s, sT):
        if chain_key(cand) in o.prefer:
            return cand
    # prefer the orientation with fewer transposes
    tcount = lambda ch: sum(1 for f in ch if f.t)
    return min((s, sT), key=lambda ch: (tcount(ch), chain_key(ch)))


def scaled(c: Any, *factors: Any) -> Any:
    """c · factors as one flat product (no coefficient 1, nested products opened)."""
    flat: list = []
    for f in factors:
        if isinstance(f, sp.MatMul):
            for a in f.args:
                if isinstance(a, (MatrixExpr, sp.MatrixBase)):
                    flat.append(a)
                else:
                    c = c * a
        elif f is not None:
            flat.append(f)
    coef = [c] if c != 1 else []
    if not coef and len(flat) == 1:
        return flat[0]
    return sp.MatMul(*coef, *flat, evaluate=False)


def poly_expr(p: Poly, orient: Any = None, text: bool = False, order: list[Term] | None = None) -> Any:
    """The polynomial as a sympy expression in a stable order (smaller terms first)."""
    terms = order if order is not None else p.sorted_terms()
    if not terms:
        r, c = p.shape
        return sp.ZeroMatrix(r, c) if not (is_one(r) and is_one(c)) else sp.Integer(0)
    exprs = [term_expr(t, orient, text) for t in terms]
    if len(exprs) == 1:
        return exprs[0]
    if all(not isinstance(e, (MatrixExpr, sp.MatrixBase)) for e in exprs):
        return sp.Add(*exprs, evaluate=False)
    if any(not isinstance(e, (MatrixExpr, sp.MatrixBase)) for e in exprs):   # 1×1: all as scalars
        wrap = Inner if text else sp.Trace       # Inner reads back as Trace(...); a bare 1×1 product would not
        return sp.Add(*[wrap(e) if isinstance(e, MatrixExpr) else e for e in exprs], evaluate=False)
    return sp.MatAdd(*exprs, evaluate=False)


# ---- factoring ------------------------------------------------------------------------

def _numeric_content(coefs: list) -> Any:
    """The common factor of the coefficients: gcd of the numbers, common symbolic factors,
    with the sign of the first coefficient."""
    nums, rests = [], []
    for c in coefs:
        n, r = sp.sympify(c, strict=True).as_coeff_Mul()
        nums.append(n)
        rests.append(r)
    g = reduce(sp.gcd, [abs(n) for n in nums]) if all(n.is_Rational for n in nums) else ONE
    common = ONE
    if all(r == rests[0] for r in rests) and rests[0] != 1:
        common = rests[0]
    sign = -1 if nums[0] < 0 else 1
    return sign * g * common


@dataclass
class Factored:
    """A display form: coef · left · (inner sum) · right, or a plain term list."""

    expr: Any
    gain: int   # how many factors were pulled out (0: nothing factored)


def factor(p: Poly, orient: Any = None) -> Factored:
    """A compact display form of p, pulling common factors out of its sum."""
    terms = p.sorted_terms()
    if len(terms) <= 1:
        return Factored(poly_expr(p, orient), 0)
    expr, gain = _factor_terms(terms, p.shape, orient)
    return Factored(expr, gain)


def _as_flat(t: Term, orient: Any = None) -> Chain:
    """A term's scalars and chain as one flat chain (only for terms whose scalars can
    be absorbed: 1×1 terms and column/row terms)."""
    scal = [orient_scalar(s, orient) for s in t.scalars]
    if not t.chain:
        return tuple(f for s in scal for f in s)
    r, c = chain_shape(t.chain)
    if is_one(c):
        return t.chain + tuple(f for s in scal for f in s)
    if is_one(r):
        return tuple(f for s in scal for f in s) + t.chain
    return t.chain if not t.scalars else ()


def _factor_terms(terms: list[Term], shape: tuple, orient: Any) -> tuple[Any, int]:
    flats = [_as_flat(t, orient) for t in terms]
    if any(not f for f in flats):
        return poly_expr(Poly(shape, terms), orient, order=terms), 0
    coefs = [t.coef for t in terms]
    return _factor_flat(list(zip(coefs, flats)), shape, orient, depth=0)


def _flat_poly(items: list[tuple[Any, Chain]], shape: tuple) -> Poly:
    out = []
    for c, ch in items:
        out.append(make_term(c, (), ch, shape) if ch else make_term(c, (), (), shape))
    return Poly(shape, out)


def _sum_expr(items: list[tuple[Any, Chain]], shape: tuple, orient: Any, depth: int) -> tuple[Any, int]:
    """Σ coef·chain with factoring tried on the sum."""
    if len(items) == 1:
        c, ch = items[0]
        body = chain_expr(ch) if ch else _identity_for(shape)
        return (body if c == 1 else sp.MatMul(c, body) if isinstance(body, MatrixExpr) else c * body), 0
    if depth < 4:
        return _factor_flat(items, shape, orient, depth + 1)
    return _plain_sum(items, shape), 0


def _identity_for(shape: tuple) -> Any:
    r, c = shape
    if is_one(r) and is_one(c):
        return ONE
    return sp.Identity(r)


def _plain_sum(items: list[tuple[Any, Chain]], shape: tuple) -> Any:
    exprs = []
    for c, ch in items:
        body = chain_expr(ch) if ch else _identity_for(shape)
        if c == 1:
            exprs.append(body)
        elif isinstance(body, (MatrixExpr, sp.MatrixBase)):
            exprs.append(sp.MatMul(c, body))
        else:
            exprs.append(c * body)
    if len(exprs) == 1:
        return exprs[0]
    if all(not isinstance(e, (MatrixExpr, sp.MatrixBase)) for e in exprs):
        return sp.Add(*exprs, evaluate=False)
    return _tidy_sum(exprs)


def _tidy_sum(exprs: list) -> Any:
    """x_iᵀ − x_jᵀ shown as (x_i − x_j)ᵀ."""
    if all(isinstance(e, sp.Transpose) or (isinstance(e, sp.MatMul) and len(e.args) == 2 and
                                           not isinstance(e.args[0], MatrixExpr) and
                                           isinstance(e.args[1], sp.Transpose)) for e in exprs):
        inner = [e.arg if isinstance(e, sp.Transpose) else sp.MatMul(e.args[0], e.args[1].arg) for e in exprs]
        return sp.Transpose(sp.MatAdd(*inner, evaluate=False))
    return sp.MatAdd(*exprs, evaluate=False)


def _prefix_len(chains: list[Chain]) -> int:
    n = 0
    while all(len(ch) > n for ch in chains) and len({ch[n].key for ch in chains}) == 1:
        n += 1
    return n


def _suffix_len(chains: list[Chain], pre: int) -> int:
    n = 0
    while all(len(ch) - pre > n for ch in chains) and len({ch[len(ch) - 1 - n].key for ch in chains}) == 1:
        n += 1
    return n


def _normalize(items: list[tuple[Any, Chain]]) -> tuple[Any, tuple]:
    """(c, key) with the items divided by c so that the first coefficient is 1."""
    items = sorted(items, key=lambda it: (len(it[1]), chain_key(it[1])))
    c0 = items[0][0]
    return c0, tuple((sp.simplify(c / c0), chain_key(ch)) for c, ch in items)


def _factor_flat(items: list[tuple[Any, Chain]], shape: tuple, orient: Any, depth: int) -> tuple[Any, int]:
    items = sorted(items, key=lambda it: (len(it[1]), chain_key(it[1])))
    chains = [ch for _, ch in items]
    coefs = [c for c, _ in items]
    content = _numeric_content(coefs) if len(items) > 1 else ONE
    pre = _prefix_len(chains)
    suf = _suffix_len(chains, pre)
    if pre or suf:
        left = chains[0][:pre]
        right = chains[0][len(chains[0]) - suf:] if suf else ()
        mids = [(c / content, ch[pre:len(ch) - suf]) for c, ch in items]
        mid_shape = (left[-1].shape[1] if left else shape[0], right[0].shape[0] if right else shape[1])
        if any(not ch for _, ch in mids) and not (mid_shape[0] == mid_shape[1]):
            return _plain_sum(items, shape), 0
        inner, g = _sum_expr(mids, mid_shape, orient, depth)
        parts = [f.expr() for f in left] + [inner] + [f.expr() for f in right]
        parts = [p for p in parts if not (isinstance(p, sp.Identity))] or [inner]
        body = sp.MatMul(*parts, evaluate=False) if len(parts) > 1 else parts[0]
        out = body if content == 1 else scaled(content, body)
        return out, pre + suf + g
    # group by the first factor: Σ_f f · R_f with all R_f equal up to a scalar
    for side in ("left", "right") if all(chains) else ():   # (an empty chain, the identity, has no first factor)
        groups: dict[tuple, list] = {}
        heads: dict[tuple, Factor] = {}
        for c, ch in items:
            f = ch[0] if side == "left" else ch[-1]
            groups.setdefault(f.key, []).append((c, ch[1:] if side == "left" else ch[:-1]))
            heads[f.key] = f
        if len(groups) < 2 or any(not ch for g in groups.values() for _, ch in g):
            continue
        norms = {k: _normalize(g) for k, g in groups.items()}
        keys = {n[1] for n in norms.values()}
        if len(keys) != 1:
            continue
        first = next(iter(groups))
        core_items = [(c / norms[first][0], ch) for c, ch in groups[first]]
        f0 = heads[first]
        core_shape = (f0.shape[1], shape[1]) if side == "left" else (shape[0], f0.shape[0])
        core, g = _sum_expr(core_items, core_shape, orient, depth)
        outer_items = [(norms[k][0], (heads[k],)) for k in groups]
        outer_shape = (shape[0], f0.shape[1]) if side == "left" else (f0.shape[0], shape[1])
        outer, g2 = _sum_expr(outer_items, outer_shape, orient, depth)
        parts = [outer, core] if side == "left" else [core, outer]
        return sp.MatMul(*parts, evaluate=False), 1 + g + g2
    if content != 1 and len(items) > 1:
        inner = _plain_sum([(c / content, ch) for c, ch in items], shape)
        return scaled(content, inner), 0
    return _plain_sum(items, shape), 0


# ---- derivatives that the step checker can evaluate --------------------------------------

def _register_fast_evaluator() -> None:
    from .. import verify
    from .numderiv import evaluate_at
    if evaluate_at not in verify.EVALUATORS:
        verify.EVALUATORS.append(evaluate_at)


_register_fast_evaluator()

def _explicit_symbols(shape: tuple, tag: str) -> sp.ImmutableMatrix:
    r, c = (int(s) for s in shape)
    return sp.ImmutableMatrix(r, c, lambda i, j: sp.Dummy(f"{tag}{i}{j}", real=True))


def _scalar_value(v: Any) -> Any:
    if isinstance(v, MatrixExpr):
        v = v.doit()
        if isinstance(v, MatrixExpr) and all(sp.sympify(s, strict=True).is_Integer for s in v.shape):
            v = v.as_explicit()
    if isinstance(v, sp.MatrixBase):
        if v.shape != (1, 1):
            raise ValueError("not a scalar")
        return v[0, 0]
    return v


class _DerivativeOf(MatrixExpr):
    """Base of GradientOf / JacobianOf: unevaluated while symbolic; when the checker puts
    a value in for the variable, the derivative is taken entry by entry (sympy `diff` of
    the explicit polynomial) at that value: an independent route to the closed form."""

    def __new__(cls, f: Any, x: Any):
        return sp.Basic.__new__(cls, sp.sympify(f, strict=True), x)

    @property
    def f(self) -> Any:
        return self.args[0]

    @property
    def var(self) -> Any:
        return self.args[1]

    def _xreplace(self, rule):
        x = self.var
        if x in rule and isinstance(rule[x], sp.MatrixBase):
            rest = {k: v for k, v in rule.items() if k != x}
            f = self.f._xreplace(rest)[0] if rest else self.f
            return _DerivativeAt(sp.Symbol(self._kind), f, x, sp.ImmutableMatrix(rule[x])), True
        return super()._xreplace(rule)

    def doit(self, **hints):
        return self

    def _var_tex(self, printer) -> str:
        return printer._print(self.var)

    def _f_tex(self, printer) -> str:
        f = self.f
        if isinstance(f, (sp.Symbol, sp.MatrixSymbol)):
            return printer._print(f)
        return None

    def _latex(self, printer, **kw) -> str:
        ft = self._f_tex(printer)
        if ft is not None:
            return r"\frac{\partial %s}{\partial %s}" % (ft, self._var_tex(printer))
        return r"\frac{\partial}{\partial %s}\left(%s\right)" % (self._var_tex(printer), printer._print(self.f))

    def _sympystr(self, printer) -> str:
        return f"{type(self).__name__}({printer._print(self.f)}, {printer._print(self.var)})"


class GradientOf(_DerivativeOf):
    """∂f/∂X of a scalar f: the shape of X (denominator layout)."""

    _kind = "grad"

    @property
    def shape(self):
        return self.var.shape


class JacobianOf(_DerivativeOf):
    """∂y/∂x of a column vector y by a column vector x: rows are the entries of y."""

    _kind = "jac"

    @property
    def shape(self):
        return (self.f.shape[0], self.var.shape[0])


class _DerivativeAt(MatrixExpr):
    """A derivative at a point: (kind, f, x, value); `doit` computes it entry by entry."""

    @property
    def shape(self):
        kind, f, x, v = self.args
        if str(kind) == "grad":
            return v.shape
        return (f.shape[0], v.shape[0])

    def doit(self, **hints):
        kind, f, x, v = self.args
        from .numderiv import derivative
        fast = derivative(str(kind), f, x, v)
        if fast is not None:
            return fast
        try:
            return self._by_diff(kind, f, x, v)
        except (NotImplementedError, AttributeError) as exc:   # not differentiable entry by entry
            raise ValueError(f"cannot differentiate {f} entry by entry: {exc}") from None

    @staticmethod
    def _by_diff(kind: Any, f: Any, x: Any, v: Any) -> sp.ImmutableMatrix:
        E = _explicit_symbols(v.shape, "e")
        fx = f.xreplace({x: E})
        flat = list(E)
        point = dict(zip(flat, list(v)))
        if str(kind) == "grad":
            s = _scalar_value(fx)
            s = sp.expand(s.doit()) if isinstance(s, sp.Basic) else s
            return sp.ImmutableMatrix(E.shape[0], E.shape[1],
                                      lambda i, j: sp.diff(s, E[i, j]).xreplace(point))
        y = fx.doit()
        if isinstance(y, MatrixExpr):
            y = y.as_explicit()
        y = [sp.expand(e) for e in y]
        return sp.ImmutableMatrix(len(y), len(flat), lambda i, j: sp.diff(y[i], flat[j]).xreplace(point))


def replace_keep_order(e: Any, mapping: dict) -> Any:
    """xreplace that keeps the written order of sums and products (for display)."""
    if not isinstance(e, sp.Basic):
        return e
    if e in mapping:
        return mapping[e]
    if not e.args:
        return e
    args = [replace_keep_order(a, mapping) for a in e.args]
    if all(a is b for a, b in zip(args, e.args)):
        return e
    if isinstance(e, (sp.MatAdd, sp.MatMul)):
        return e.func(*args, evaluate=False)
    if isinstance(e, (sp.Add, sp.Mul)):
        return e.func(*args, evaluate=False)
    return e.func(*args)
