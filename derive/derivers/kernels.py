"""`feature_map(k)`: an explicit φ with k(p, q) = φ(p)ᵀφ(q), every step checked.

In: a problem and the goal `feature_map(k)` (optionally `order = D`), where `k(p, q) = ...`
is a function of two vectors declared with a concrete size (`vector p, q : (n)`) or of
two scalars (n = 1).  Out: a `Derived` whose answer is the column vector φ(p) (text a
`Matrix([...])` in p_1, p_2, ...) and whose steps expand, group and split the kernel.

Two families are handled in any dimension n and degree d:

* a polynomial in s = pᵀq, k = g(s) = Σ_k a_k s^k: e.g. (pᵀq)^d, (pᵀq + c)^d,
  (a·pᵀq + c)^d.  The multinomial theorem expands s^k into monomials (p^α)(q^α) with
  coefficient a_k·(k choose α); each coefficient c_α is split as √c_α·√c_α, giving the
  component φ_α(p) = √c_α p^α.  There are C(n + k − 1, k) monomials of degree k, so
  C(n + d − 1, d) components without a constant term and C(n + d, d) with one.
* a Gaussian (RBF) or exponential kernel A·exp(−γ‖p‖² − γ‖q‖² + β pᵀq) (so
  exp(−γ‖p − q‖²) with β = 2γ): the Taylor series of exp(β s) gives the infinite feature
  map φ_α(p) = √A e^{−γ‖p‖²} √(β^{|α|}/α!) p^α; the answer is its truncation at degree
  `order` (2 unless given), and the truncated inner product is checked.

Anything else is a SpecError at the kernel's definition with the reason (a witness where
k is not a function of pᵀq, a non-polynomial g, a negative coefficient).
"""
from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass
from typing import Any, Sequence

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixExpr

from .. import ast
from ..derivations._display import group, named, plus, times
from ..errors import LimitError, SpecError, Unsupported
from ..model.expressions import Evaluator, scalarize
from ..model.problem import Problem, UserFunction
from ..printing import latex
from ..steps import Step, Table, make_step, dedupe_chain
from .registry import Derived, make_answer

MAX_COMPONENTS = 2000
DEFAULT_ORDER = 2


# ---- multi-indices and monomials --------------------------------------------------------

def multi_indices(n: int, k: int) -> list[tuple[int, ...]]:
    """All α ∈ ℕⁿ with |α| = k, in graded-lexicographic order (p₁^k first)."""
    out = []
    for cut in itertools.combinations_with_replacement(range(n), k):
        alpha = [0] * n
        for i in cut:
            alpha[i] += 1
        out.append(tuple(alpha))
    return sorted(out, reverse=True)


def multinomial(alpha: Sequence[int]) -> int:
    """(|α| choose α₁, ..., αₙ) = |α|! / (α₁! ⋯ αₙ!)."""
    out = math.factorial(sum(alpha))
    for a in alpha:
        out //= math.factorial(a)
    return out


def monomial(xs: Sequence[Any], alpha: Sequence[int]) -> Any:
    """x^α = Π x_i^{α_i}, unevaluated so it prints in component order (1 when α = 0)."""
    factors = [x if a == 1 else sp.Pow(x, a, evaluate=False) for x, a in zip(xs, alpha) if a]
    if not factors:
        return sp.Integer(1)
    return factors[0] if len(factors) == 1 else sp.Mul(*factors, evaluate=False)


def binomial_count(n: int, k: int) -> int:
    """Monomials of degree exactly k in n variables: C(n + k − 1, k)."""
    return math.comb(n + k - 1, k)


# ---- reading the kernel -----------------------------------------------------------------

@dataclass
class Kernel:
    """The kernel function resolved to components."""

    name: str
    params: tuple[str, str]
    p: list[Any]            # p_1 .. p_n (sympy symbols)
    q: list[Any]
    body: Any               # k(p, q) in components
    display: Any            # k(p, q) as written (pᵀq kept), for the first step
    where: dict             # display symbols -> component vectors
    pos: Any

    @property
    def n(self) -> int:
        return len(self.p)

    def inner(self) -> Any:
        return plus([sp.Mul(a, b, evaluate=False) for a, b in zip(self.p, self.q)])


def _components(value: Any, name: str, pos: Any) -> list[Any]:
    if isinstance(value, sp.MatrixBase):
        if value.shape[1] != 1:
            raise SpecError(f"a kernel's arguments are vectors; `{name}` is a {value.shape[0]}×{value.shape[1]} "
                            "matrix", pos)
        return list(value)
    if isinstance(value, MatrixExpr):
        raise Unsupported(f"feature_map needs the dimension of `{name}` as a number; declare it as "
                          f"`vector {name} : (2)` (any whole number), not with a symbolic size", pos)
    if isinstance(value, sp.Symbol):
        return [value]
    raise SpecError(f"`{name}` must be a vector (or a scalar) for a kernel", pos)


def read_kernel(problem: Problem, call: ast.Call) -> Kernel:
    arg = call.args[0]
    if not isinstance(arg, ast.Name):
        raise SpecError("feature_map takes the name of a kernel function, as in `feature_map(k)` after "
                        "`k(p, q) = (p @ q)^2`", arg.pos)
    b = problem.lookup(arg.id, arg.pos)
    if b.kind != "function" or not isinstance(b.value, UserFunction):
        raise SpecError(f"`{arg.id}` is {b.describe()}, not a kernel function `{arg.id}(p, q) = ...`", arg.pos)
    fn: UserFunction = b.value
    if len(fn.params) != 2:
        raise SpecError(f"a kernel takes two arguments, as in `{fn.name}(p, q)`; `{fn.name}` takes "
                        f"{len(fn.params)}", fn.pos)
    env, body = fn.symbolic()
    pn, qn = fn.params
    p = _components(env[pn], pn, fn.pos)
    q = _components(env[qn], qn, fn.pos)
    if len(p) != len(q):
        raise SpecError(f"`{pn}` has {len(p)} components and `{qn}` has {len(q)}; a kernel compares two "
                        "vectors of one size", fn.pos)
    if set(p) & set(q):
        raise SpecError(f"the kernel's two arguments must be different vectors", fn.pos)
    body = scalarize(body)
    if not isinstance(body, sp.Expr) or isinstance(body, MatrixExpr):
        raise SpecError(f"`{fn.name}(p, q)` must be a scalar, not a tensor", fn.body.pos)
    # The kernel as written, with pᵀq kept: evaluate the body with p, q as matrix symbols.
    where: dict = {}
    display_env: dict = {}
    for name, comps in ((pn, p), (qn, q)):
        if isinstance(env[name], sp.MatrixBase):
            sym = sp.MatrixSymbol(name, len(comps), 1)
            display_env[name] = sym
            where[sym] = sp.ImmutableMatrix(comps)
        else:
            display_env[name] = env[name]
    try:
        display = scalarize(Evaluator(problem, "value", display_env).eval(fn.body))
    except Exception:   # pragma: no cover - the body evaluated above with explicit vectors
        display = body
    if len(p) == 1 or not isinstance(display, sp.Expr) or isinstance(display, MatrixExpr) \
            or display.has(sp.HadamardPower, sp.HadamardProduct):   # 1-vectors: p @ q is a 1×1 product
        display, where = body, {}
    return Kernel(fn.name, (pn, qn), p, q, body, display, where, fn.body.pos)


def _not_inner_product_witness(k: Kernel, g: Any, t: sp.Symbol) -> str:
    """Two (p, q) pairs with the same pᵀq but different k: the reason k ≠ g(pᵀq)."""
    rnd = random.Random(3)
    for trial in range(200):
        vals_p = [sp.Integer(rnd.randint(-2, 3)) for _ in k.p]
        vals_q = [sp.Integer(rnd.randint(-2, 3)) for _ in k.q]
        s = sum(a * b for a, b in zip(vals_p, vals_q))
        sub = dict(zip(k.p, vals_p)) | dict(zip(k.q, vals_q))
        try:
            here = sp.nsimplify(k.body.xreplace(sub))
            axis = sp.nsimplify(g.xreplace({t: s}))
        except (TypeError, ValueError, ZeroDivisionError):
            continue
        if here.is_number and axis.is_number and sp.simplify(here - axis) != 0:
            p0 = [s] + [0] * (k.n - 1)
            q0 = [1] + [0] * (k.n - 1)
            return (f"p = {list(map(int, vals_p))}, q = {list(map(int, vals_q))} and p = {p0}, q = {q0} have the "
                    f"same pᵀq = {s} but k = {here} and {axis}")
    return "its expansion has monomials p^α q^β with α ≠ β"


def as_polynomial_in_inner(k: Kernel) -> dict[int, Any] | None:
    """{k: a_k} with k(p, q) = Σ a_k (pᵀq)^k, None if k is not a polynomial in pᵀq.

    Raises SpecError when k is a function of pᵀq but not a polynomial in it.
    """
    t = sp.Dummy("t")
    axis = {x: 0 for x in k.p[1:] + k.q[1:]}
    axis.update({k.p[0]: t, k.q[0]: sp.Integer(1)})
    g = k.body.xreplace(axis)
    s = sp.Add(*[a * b for a, b in zip(k.p, k.q)])
    try:
        same = sp.expand(k.body - g.xreplace({t: s})) == 0
    except (TypeError, ValueError):   # pragma: no cover
        same = False
    if not same:
        if k.body.has(sp.exp):
            return None
        raise SpecError(f"`{k.name}(p, q)` is not a polynomial in pᵀq, so it has no feature map of this "
                        f"form: {_not_inner_product_witness(k, g, t)}", k.pos)
    if not g.is_polynomial(t):
        if g.has(sp.exp):
            return None
        raise SpecError(f"`{k.name}(p, q)` = g(pᵀq) with g(s) = {g.xreplace({t: sp.Symbol('s')})}, which is not a "
                        "polynomial (the powers of pᵀq must be whole numbers ≥ 0)", k.pos)
    poly = sp.Poly(sp.expand(g), t)
    coeffs = {int(m[0]): c for m, c in zip(poly.monoms(), poly.coeffs()) if c != 0}
    for deg, c in sorted(coeffs.items()):
        if c.is_number and c.is_negative:
            raise SpecError(f"`{k.name}(p, q)` has the coefficient {c} < 0 on (pᵀq)^{deg}; a valid kernel needs "
                            "every coefficient ≥ 0, so no real feature map exists", k.pos)
    return coeffs


def as_gaussian(k: Kernel) -> tuple[Any, Any, Any] | None:
    """(A, γ, β) with k = A·exp(−γ‖p‖² − γ‖q‖² + β pᵀq), or None."""
    pq = set(k.p) | set(k.q)
    amp, rest = k.body.as_independent(*pq, as_Add=False)
    if not isinstance(rest, sp.exp):
        return None
    e = sp.expand(rest.args[0])
    if not e.is_polynomial(*pq) or sp.Poly(e, *pq).total_degree() > 2:
        return None
    gamma = -e.coeff(k.p[0], 2).xreplace({x: 0 for x in pq})
    zero = {x: 0 for x in pq}
    beta = sp.expand(e.diff(k.p[0]).diff(k.q[0])).xreplace(zero)
    sq_p = sp.Add(*[x ** 2 for x in k.p])
    sq_q = sp.Add(*[x ** 2 for x in k.q])
    s = sp.Add(*[a * b for a, b in zip(k.p, k.q)])
    if sp.expand(e - (-gamma * (sq_p + sq_q) + beta * s)) != 0 or beta == 0:
        return None
    for what, v in (("γ", gamma), ("the factor in front", amp)):
        if v.is_number and v.is_negative:
            raise SpecError(f"`{k.name}(p, q)` has {what} = {v} < 0, so it is not a valid kernel", k.pos)
    if beta.is_number and beta.is_negative:
        raise SpecError(f"`{k.name}(p, q)` = exp(... {beta}·pᵀq): a negative coefficient on pᵀq gives no real "
                        "feature map", k.pos)
    return amp, gamma, beta


# ---- the derivation ---------------------------------------------------------------------

@dataclass
class Component:
    alpha: tuple[int, ...]
    degree: int
    multinomial: int
    a: Any                 # a_k, the coefficient of (pᵀq)^k
    c: Any                 # c_α = a_k · multinomial
    root: Any              # √c_α (simplified)
    phi_p: Any             # displayed component (unevaluated product)
    phi_q: Any


def components(k: Kernel, coeffs: dict[int, Any], prefactor_p: Any = 1, prefactor_q: Any = 1) -> list[Component]:
    total = sum(binomial_count(k.n, deg) for deg in coeffs)
    if total > MAX_COMPONENTS:
        raise LimitError(f"φ would have {total:,} components; derive lists at most {MAX_COMPONENTS:,}", k.pos)
    out = []
    for deg in sorted(coeffs, reverse=True):
        a = coeffs[deg]
        for alpha in multi_indices(k.n, deg):
            m = multinomial(alpha)
            c = sp.simplify(a * m)
            root = sp.sqrt(c)
            out.append(Component(alpha, deg, m, a, c, root,
                                 times(root, monomial(k.p, alpha), prefactor_p),
                                 times(root, monomial(k.q, alpha), prefactor_q)))
    return out


def _alpha_tex(alpha: tuple[int, ...]) -> str:
    return "(" + ", ".join(map(str, alpha)) + ")"


def _multinomial_steps(comps: list[Component]) -> list[Step]:
    """One checked step per distinct multinomial coefficient (k choose α) = k!/(α₁!⋯αₙ!)."""
    seen: dict[tuple, Component] = {}
    for c in comps:
        seen.setdefault((c.degree, tuple(sorted(c.alpha, reverse=True))), c)
    steps = []
    for (deg, _), c in sorted(seen.items(), key=lambda kv: (-kv[0][0], kv[0][1])):
        if deg == 0:
            continue
        with sp.evaluate(False):
            den = sp.Mul(*[sp.factorial(a) for a in c.alpha if a > 0])
            frac = sp.factorial(deg) / den
        label = ", ".join(str(a) for a in c.alpha)
        steps.append(make_step("multinomial_coefficient",
                               f"$\\binom{{{deg}}}{{{label}}}$ (and the same for every permutation of α):",
                               frac, sp.Integer(c.multinomial)))
    return steps


def _count_step(k: Kernel, coeffs: dict[int, Any], m: int, truncated: bool = False) -> Step:
    n = k.n
    degs = sorted(coeffs)
    d = degs[-1]
    full = degs == list(range(d + 1))
    if len(degs) == 1:
        text = (f"One component per monomial of degree exactly {d} in n = {n} variables: "
                f"$\\binom{{n + d - 1}}{{d}} = \\binom{{{n + d - 1}}}{{{d}}}$ components "
                f"(a kernel without a constant term, $d = {d}$).")
        chain = [sp.binomial(n + d - 1, d, evaluate=False), sp.Integer(m)]
    elif full and truncated:
        text = (f"One component per monomial of degree at most {d} in n = {n} variables: "
                f"$\\sum_{{k=0}}^{{D}} \\binom{{n + k - 1}}{{k}} = \\binom{{n + D}}{{D}} = \\binom{{{n + d}}}{{{d}}}$ "
                "components.")
        with sp.evaluate(False):
            total = sp.Add(*[sp.binomial(n + j - 1, j) for j in degs])
        chain = [total, sp.binomial(n + d, d, evaluate=False), sp.Integer(m)]
    elif full:
        text = (f"One component per monomial of degree at most {d} in n = {n} variables: "
                f"$\\sum_{{k=0}}^{{d}} \\binom{{n + k - 1}}{{k}} = \\binom{{n + d}}{{d}} = \\binom{{{n + d}}}{{{d}}}$ "
                "components (with a constant term every degree 0…d appears; equivalently the monomials of degree "
                f"exactly {d} in n + 1 variables, the extra one carrying the constant).")
        with sp.evaluate(False):
            total = sp.Add(*[sp.binomial(n + j - 1, j) for j in degs])
        chain = [total, sp.binomial(n + d, d, evaluate=False), sp.Integer(m)]
    else:
        text = (f"One component per monomial of the degrees {', '.join(map(str, degs))} that appear, "
                f"$\\binom{{n + k - 1}}{{k}}$ of degree k in n = {n} variables:")
        with sp.evaluate(False):
            total = sp.Add(*[sp.binomial(n + j - 1, j) for j in degs])
        chain = [total, sp.Integer(m)]
    return make_step("count", text, *chain)


def _table(k: Kernel, comps: list[Component], show_a: bool) -> Table:
    header = ["α", "monomial", "multinomial"] + (["a_k"] if show_a else []) + ["c_α", "√c_α", "φ_α(p)"]
    rows = []
    for c in comps:
        row = [_alpha_tex(c.alpha), times(monomial(k.p, c.alpha), monomial(k.q, c.alpha)), sp.Integer(c.multinomial)]
        if show_a:
            row.append(c.a)
        row += [c.c, c.root, c.phi_p]
        rows.append(tuple(row))
    return Table(tuple(header), tuple(rows), "one row per monomial")


def _inner_tex(k: Kernel) -> str:
    """`$p^T q$` for vectors p, q ∈ ℝⁿ, `$x y$` for scalars."""
    a, b = (latex(sp.Symbol(x)) for x in k.params)
    if k.where:
        return f"${a}^T {b}$ (with ${a}, {b} \\in \\mathbb{{R}}^{{{k.n}}}$)"
    return f"${a} {b}$ (scalars, n = 1)"


def _vector(entries: list[Any]) -> sp.ImmutableMatrix:
    return sp.ImmutableMatrix(len(entries), 1, entries)


def _polynomial_steps(k: Kernel, coeffs: dict[int, Any]) -> tuple[list[Step], list[Component], list]:
    steps: list[Step] = []
    n = k.n
    s = k.inner()
    pnames = ", ".join(latex(x) for x in k.p)
    g_of_s = plus([times(coeffs[deg], sp.Pow(s, deg, evaluate=False) if deg > 1 else s if deg == 1 else 1)
                   for deg in sorted(coeffs, reverse=True)])
    steps.append(make_step(
        "kernel", f"Write the kernel as a polynomial in {_inner_tex(k)} $= {latex(s)}$:",
        *dedupe_chain([k.display, g_of_s, k.body]), where=k.where))
    comps = components(k, coeffs)
    grouped = plus([times(c.c, group(monomial(k.p, c.alpha)), group(monomial(k.q, c.alpha))) for c in comps])
    steps.append(make_step(
        "multinomial",
        "Expand with the multinomial theorem, $(\\sum_i p_i q_i)^k = \\sum_{|\\alpha| = k} \\binom{k}{\\alpha} "
        "\\prod_i (p_i q_i)^{\\alpha_i}$ with $\\binom{k}{\\alpha} = \\frac{k!}{\\alpha_1! \\cdots \\alpha_n!}$, "
        "and group each monomial as $p^\\alpha q^\\alpha$ (the p-part times the same q-part):",
        g_of_s, grouped, substeps=_multinomial_steps(comps)))
    split = plus([times(group(c.phi_p), group(c.phi_q)) for c in comps])
    show_a = any(c.a != 1 for c in comps)
    coeff_text = ("$c_\\alpha = a_k \\binom{k}{\\alpha}$, where $a_k$ is the coefficient of $(p^T q)^k$"
                  if show_a else "$c_\\alpha = \\binom{k}{\\alpha}$")
    steps.append(make_step(
        "split_coefficients",
        f"Split every coefficient {coeff_text}, as $\\sqrt{{c_\\alpha}} \\cdot \\sqrt{{c_\\alpha}}$ and give one "
        "factor to p and one to q, so each term is a product $\\phi_\\alpha(p)\\,\\phi_\\alpha(q)$ with "
        "$\\phi_\\alpha(p) = \\sqrt{c_\\alpha}\\, p^\\alpha$:",
        grouped, split, table=_table(k, comps, show_a)))
    sym_notes = [c for c in comps if c.c.free_symbols and not c.c.is_nonnegative]
    if sym_notes:
        names = sorted({str(x) for c in sym_notes for x in c.c.free_symbols})
        steps.append(make_step("assumption", f"The square roots are real when the coefficients are ≥ 0, "
                                             f"i.e. for {', '.join(names)} with $c_\\alpha \\ge 0$ (declare them "
                                             "`nonnegative` to say so); the identity below holds either way.",
                               check=False))
    return steps, comps, [grouped, g_of_s, k.display]


def _finish(k: Kernel, comps: list[Component], coeffs: dict[int, Any], target: Any, target_chain: list,
            intro: str, where: dict, truncated: bool = False) -> tuple[list[Step], sp.ImmutableMatrix]:
    m = len(comps)
    phi = _vector([c.phi_p for c in comps])
    steps = [make_step("feature_map", f"{intro} $\\phi(p) \\in \\mathbb{{R}}^{{{m}}}$ lists one component per "
                                      f"monomial ($p = ({', '.join(latex(x) for x in k.p)})$):",
                       named(f"\\phi({latex(sp.Symbol(k.params[0]))})", phi), phi),
             _count_step(k, coeffs, m, truncated)]
    prods = plus([times(group(c.phi_p), group(c.phi_q)) for c in comps])
    with sp.evaluate(False):
        lhs = sp.MatMul(phi.T, _vector([c.phi_q for c in comps]))
    steps.append(make_step("check_inner_product",
                           "Check: the inner product of the feature vectors gives back the kernel.",
                           *dedupe_chain([lhs, prods, *target_chain]), where=where))
    return steps, phi


def _polynomial(problem: Problem, k: Kernel) -> Derived:
    coeffs = as_polynomial_in_inner(k)
    if coeffs is None:
        return _gaussian(problem, k, None)
    steps, comps, back = _polynomial_steps(k, coeffs)
    more, phi = _finish(k, comps, coeffs, k.body, back,
                        "Reading off the components,", k.where)
    steps += more
    return Derived(_answer(k, comps, phi), tuple(steps))


def _answer(k: Kernel, comps: list[Component], phi_display: sp.ImmutableMatrix, note: str = "") -> Any:
    value = sp.ImmutableMatrix(len(comps), 1, [sp.sympify(c.phi_p, strict=True).doit() for c in comps])
    prose = None
    if note:
        prose = note + f"\n\n$$\\phi(p) = {latex(phi_display)}$$"
    return make_answer(value, tex=latex(phi_display), prose=prose,
                       extra={"components": len(comps)})


def _power_base(x: Any) -> str:
    return latex(x) if isinstance(x, (sp.Symbol, sp.Integer)) else r"\left(%s\right)" % latex(x)


def _gaussian(problem: Problem, k: Kernel, order_node: ast.Expr | None, order: int | None = None) -> Derived:
    found = as_gaussian(k)
    if found is None:
        raise SpecError(f"`{k.name}(p, q)` is neither a polynomial in pᵀq nor a Gaussian (RBF) kernel "
                        "A·exp(−γ‖p − q‖²); no feature map of a known form", k.pos)
    amp, gamma, beta = found
    D = DEFAULT_ORDER if order is None else order
    n = k.n
    s = k.inner()
    sq_p = plus([sp.Pow(x, 2, evaluate=False) for x in k.p])
    sq_q = plus([sp.Pow(x, 2, evaluate=False) for x in k.q])
    f_p = sp.exp(-gamma * sp.Add(*[x ** 2 for x in k.p]))
    f_q = sp.exp(-gamma * sp.Add(*[x ** 2 for x in k.q]))
    steps: list[Step] = []
    factored = times(amp, sp.exp(sp.Mul(-gamma, sq_p, evaluate=False), evaluate=False) if gamma != 0 else 1,
                     sp.exp(sp.Mul(-gamma, sq_q, evaluate=False), evaluate=False) if gamma != 0 else 1,
                     sp.exp(sp.Mul(beta, s, evaluate=False), evaluate=False))
    steps.append(make_step(
        "kernel", "Expand the exponent, $\\lVert p - q\\rVert^2 = \\lVert p\\rVert^2 - 2 p^T q + \\lVert q\\rVert^2$, "
                  "and split the exponential into a factor of p, a factor of q and a function of $p^T q$:",
        k.display, k.body, factored, where=k.where))
    kk = sp.Symbol("k", integer=True, nonnegative=True)
    sv = sp.Symbol("s", real=True)
    series = sp.Sum(sp.Pow(beta * sv, kk) / sp.factorial(kk), (kk, 0, sp.oo))
    steps.append(make_step(
        "taylor", f"Taylor series of the exponential, with $s = p^T q$: every term $\\frac{{(\\beta s)^k}}{{k!}}$ "
                  f"(here $\\beta = {latex(beta)}$) is a polynomial kernel of degree k.",
        sp.exp(beta * sv), series))
    coeffs = {j: sp.simplify(beta ** j / sp.factorial(j)) for j in range(D + 1)}
    pre_p = times(sp.sqrt(amp), sp.exp(sp.Mul(-gamma, sq_p, evaluate=False), evaluate=False)) if gamma != 0 \
        else sp.sqrt(amp)
    pre_q = times(sp.sqrt(amp), sp.exp(sp.Mul(-gamma, sq_q, evaluate=False), evaluate=False)) if gamma != 0 \
        else sp.sqrt(amp)
    comps = components(k, coeffs, pre_p, pre_q)
    steps.append(make_step(
        "pattern",
        "By the multinomial theorem $s^k = \\sum_{|\\alpha| = k} \\frac{k!}{\\alpha!} p^\\alpha q^\\alpha$ "
        "($\\alpha! = \\alpha_1! \\cdots \\alpha_n!$), so $\\frac{\\beta^k s^k}{k!} = \\sum_{|\\alpha| = k} "
        "\\frac{\\beta^{|\\alpha|}}{\\alpha!} p^\\alpha q^\\alpha$. The feature map has one component for every "
        "multi-index $\\alpha \\in \\mathbb{N}^n$ — infinitely many, so the feature space is infinite-dimensional:"
        f" $\\phi_\\alpha(p) = {latex(sp.sqrt(amp)) + ' ' if amp != 1 else ''}"
        f"e^{{-{latex(gamma)} \\lVert p \\rVert^2}} \\sqrt{{\\frac{{{_power_base(beta)}^{{|\\alpha|}}}}{{\\alpha!}}}}\\, "
        "p^\\alpha$. Truncating at degree $|\\alpha| \\le " + str(D) + "$:", table=_table(k, comps, True),
        check=False))
    truncated = amp * f_p * f_q * sp.Add(*[sp.Pow(beta * s, j) / sp.factorial(j) for j in range(D + 1)])
    kk2 = sp.Symbol("k", integer=True, nonnegative=True)
    rest = amp * f_p * f_q * sp.Sum(sp.Pow(beta * sp.Add(*[a * b for a, b in zip(k.p, k.q)]), kk2) / sp.factorial(kk2),
                                    (kk2, D + 1, sp.oo))
    more, phi = _finish(k, comps, coeffs, truncated, [truncated],
                        f"Truncated at degree {D},", {}, truncated=True)
    steps += more
    steps.append(make_step(
        "remainder", f"What the truncation leaves out is the tail of the series, which vanishes as the degree "
                     f"grows (`feature_map({k.name}, order = D)` keeps more terms):",
        named(r"\kappa(p, q) - \phi(p)^T \phi(q)", k.body - truncated), rest))
    note = (f"The Gaussian kernel has an infinite feature map, one component per multi-index α: "
            f"$\\phi_\\alpha(p) = {latex(sp.sqrt(amp)) + ' ' if amp != 1 else ''}e^{{-{latex(gamma)} "
            f"\\lVert p \\rVert^2}} \\sqrt{{{_power_base(beta)}^{{|\\alpha|}} / \\alpha!}}\\, p^\\alpha$. "
            f"Its truncation at degree {D} ({len(comps)} components):")
    return Derived(_answer(k, comps, phi, note), tuple(steps))


def feature_map(problem: Problem, call: ast.Call) -> Derived:
    """φ for `k(p, q)`: see the module docstring."""
    k = read_kernel(problem, call)
    order_node = call.kwarg("order")
    if order_node is not None:
        order = scalarize(problem.value(order_node))
        if not (isinstance(order, sp.Integer) and 0 <= order <= 12):
            raise SpecError(f"`order` is the truncation degree, a whole number from 0 to 12, not {order}",
                            order_node.pos)
        if as_polynomial_in_inner_safe(k) is not None:
            raise SpecError("`order` truncates the series of a Gaussian kernel; a polynomial kernel's feature map "
                            "is finite and exact", order_node.pos)
        return _gaussian(problem, k, order_node, int(order))
    return _polynomial(problem, k)


def as_polynomial_in_inner_safe(k: Kernel) -> dict | None:
    try:
        return as_polynomial_in_inner(k)
    except SpecError:
        return None
