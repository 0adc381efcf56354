"""Matrix calculus with the steps a good student writes: `grad`, `hessian`, `expand`,
`simplify` for scalar functions of symbolic vectors and matrices (`convex` in
convexity.py decides from the Hessian derived here).

In:  a problem and a goal call (`grad(L, w)`, `hessian(L, w)`, `convex(L, w)`,
     `expand(dist)`, `simplify(E)`), where L is a node, a user function or an expression
     over MatrixSymbols.
Out: `Derived(answer, steps)`; the answer text is a sympy matrix expression that
     `parse_expr` reads back with MatrixSymbols (`-2*X.T*(y - X*w)`).

Conventions: gradients are in denominator layout (∂L/∂w has the shape of w; ∂L/∂W of
a matrix W has the shape of W); the Jacobian ∂y/∂x has one row per entry of y; the
Hessian is ∂²L/∂w∂wᵀ.  The derivation multiplies L out into terms (`matpoly`), applies
the product rule to each term and names the identity it uses (∂(aᵀx)/∂x = a,
∂(xᵀAx)/∂x = (A + Aᵀ)x, ∂(aᵀXb)/∂X = abᵀ, ...), and collects the result, pulling
common factors out.  Every equality shown is checked by `make_step`: derivatives appear
as `GradientOf`/`JacobianOf`, which the checker differentiates entry by entry at random
integer matrices, so no closed form is printed unverified (sympy's own matrix
derivatives are not used).

An unspecified loss `L = loss(y1, y2)` with `given grad(L, y1) = g1` is handled by the
chain rule ∂L/∂x = Σᵢ (∂yᵢ/∂x)ᵀ gᵢ, one Jacobian per output that depends on x.

`symbolic_grad(problem, call)` is the entry point the `grad` goal falls back to after
numeric backprop (see grad.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixExpr

from .. import ast
from ..errors import SpecError, Unsupported
from ..model import functions as F
from ..model.expressions import Seq, is_tensor, kind_of, shape_of, show_shape
from ..model.problem import Binding, Problem
from ..printing import latex
from ..sentence import Math, say
from ..steps import Step, make_step
from . import matpoly as M
from .matpoly import GradientOf, JacobianOf, Poly
from .registry import Derived, make_answer

LAYOUT = ("denominator layout: the gradient has the shape of the variable, "
          "and ∂y/∂x has one row per entry of y")


# ---- names, variables and the function being differentiated -----------------------------

def variable(problem: Problem, node: ast.Expr, goal: str) -> tuple[Any, Binding]:
    """The symbol of the variable of differentiation (a vector, matrix or scalar name)."""
    if not isinstance(node, ast.Name):
        raise SpecError(f"`{goal}` differentiates with respect to a name (a vector, matrix or symbol); "
                        f"this is an expression", node.pos)
    b = problem.resolve(node.id, node.pos)
    if b.kind in ("function", "layer", "dim") or b.symbol is None:
        raise SpecError(f"cannot differentiate with respect to `{b.name}`: it is {b.describe()}", node.pos)
    return b.symbol, b


def node_map(problem: Problem, stop: frozenset = frozenset()) -> dict:
    """symbol -> definition of every computed node (except the `stop` symbols)."""
    out = {}
    for b in problem.bindings(("node",)):
        if b.error is None and b.symbol is not None and b.definition is not None and b.symbol not in stop \
                and isinstance(b.definition, sp.Basic):
            out[b.symbol] = b.definition
    return out


def leaf_form(problem: Problem, e: Any, stop: frozenset = frozenset()) -> Any:
    """`e` with every computed node replaced by its definition, down to the given names."""
    mapping = node_map(problem, stop)
    for _ in range(len(mapping) + 1):
        if not isinstance(e, sp.Basic):
            return e
        new = e.xreplace(mapping)
        if new == e:
            return e
        e = new
    return e


def node_where(problem: Problem, stop: frozenset = frozenset()) -> dict:
    """symbol -> value in the given names, for every computed node: what checks substitute."""
    return {sym: leaf_form(problem, d, stop) for sym, d in node_map(problem, stop).items()}


def _loss_in(e: Any) -> F.Loss | None:
    if isinstance(e, F.Loss):
        return e
    if isinstance(e, sp.Basic):
        found = list(e.atoms(F.Loss))
        if found:
            return found[0]
    return None


def target(problem: Problem, node: ast.Expr, var: Any, goal: str) -> tuple[Any, Any, list[Step]]:
    """(display, leaf form, steps) of the scalar function being differentiated."""
    steps: list[Step] = []
    if isinstance(node, ast.Name) and problem.has(node.id) and problem.names[node.id].kind == "function":
        display = _function_body(problem, problem.names[node.id].value)
        leaf = leaf_form(problem, display, frozenset({var}))
        return display, leaf, steps
    display = problem.display(node)
    if isinstance(display, Seq):
        raise SpecError(f"`{goal}` needs a scalar function; `{node.pos.snippet()}` is a list of "
                        f"{len(display)} tensors", node.pos)
    _need_math(display, node, goal)
    leaf = leaf_form(problem, display, frozenset({var}))
    s = shape_of(leaf)
    if s is not None and tuple(s) != (1, 1):
        raise SpecError(f"`{goal}` needs a scalar function, but `{node.pos.snippet()}` is {show_shape(leaf)} "
                        f"({s[0]}×{s[1]}); differentiate a scalar such as a loss or a norm", node.pos)
    return display, leaf, steps


def _need_math(value: Any, node: ast.Expr, goal: str) -> None:
    """A SpecError at `node` unless `value` is a number, an expression or a tensor."""
    what = kind_of(value)
    if what is not None:
        raise SpecError(f"`{goal}` works on a number, an expression or a tensor; "
                        f"`{node.pos.snippet()}` is {what}", node.pos)


def _function_body(problem: Problem, fn: Any) -> Any:
    """The body of `f(w) = ...` in symbols (its parameters as the problem declares them)."""
    from ..model.expressions import Evaluator
    env = {p: problem.names[p].symbol for p in fn.params if problem.has(p) and problem.names[p].symbol is not None}
    return Evaluator(problem, "symbol", env).eval(fn.body)


def _name_of(problem: Problem, sym: Any) -> str | None:
    for b in problem.names.values():
        if b.symbol is not None and b.symbol == sym:
            return b.name
    return None


# ---- display helpers -------------------------------------------------------------------

def tidy(e: Any) -> Any:
    """Display form: (a − b)ᵀ for aᵀ − bᵀ, (AB)ᵀ kept together, 1×1 traces bare."""
    if not isinstance(e, sp.Basic) or not e.args:
        return e
    if isinstance(e, sp.Trace) and not isinstance(e, M.Inner) and tuple(e.arg.shape) == (1, 1):
        return tidy(e.arg)
    args = [tidy(a) for a in e.args]
    if isinstance(e, sp.MatAdd):
        args = sorted(args, key=_sum_order)
        if len(args) > 1 and all(_is_transposed(a) for a in args):
            return sp.Transpose(sp.MatAdd(*[_untranspose(a) for a in args], evaluate=False))
        return sp.MatAdd(*args, evaluate=False)
    if isinstance(e, sp.MatMul):   # a scalar factor stays a scalar (1/tr(zᵀz) does not become (zᵀz)⁻¹)
        args = [t if isinstance(a, MatrixExpr) or t.is_commutative is not False else a for a, t in zip(e.args, args)]
        return sp.MatMul(*args, evaluate=False)
    if isinstance(e, (sp.Add, sp.Mul, sp.Pow)):
        with sp.evaluate(False):
            return e.func(*args)
    try:
        return e.func(*args)
    except (TypeError, ValueError):
        return e


def _sum_order(a: Any) -> tuple:
    """Positive terms first, then shorter products: y − Xw rather than −Xw + y."""
    neg = isinstance(a, sp.MatMul) and a.args and not isinstance(a.args[0], MatrixExpr) \
        and sp.sympify(a.args[0], strict=True).could_extract_minus_sign()
    size = len([x for x in a.args if isinstance(x, MatrixExpr)]) if isinstance(a, sp.MatMul) else 1
    return (bool(neg), size)


def _is_transposed(a: Any) -> bool:
    if isinstance(a, sp.Transpose):
        return True
    if isinstance(a, sp.MatMul):
        mats = [x for x in a.args if isinstance(x, MatrixExpr)]
        return bool(mats) and all(isinstance(x, sp.Transpose) for x in mats) and \
            all(not isinstance(x, MatrixExpr) or isinstance(x, sp.Transpose) for x in a.args)
    return False


def _untranspose(a: Any) -> Any:
    if isinstance(a, sp.Transpose):
        return a.arg
    coef = [x for x in a.args if not isinstance(x, MatrixExpr)]
    mats = [x.arg for x in a.args if isinstance(x, MatrixExpr)]
    return sp.MatMul(*coef, *reversed(mats), evaluate=False)


def as_products(e: Any) -> Any:
    """‖v‖² written as vᵀv (‖M‖² as tr(MᵀM)) for the 'multiply out' step."""
    if not isinstance(e, sp.Basic) or not e.args:
        return e
    if isinstance(e, sp.Pow) and isinstance(e.base, F.Norm) and e.exp == 2:
        v = e.base.args[0]
        r, c = v.shape
        if c == 1:
            return sp.MatMul(sp.Transpose(v), v, evaluate=False)
        if r == 1:
            return sp.MatMul(v, sp.Transpose(v), evaluate=False)
        return sp.Trace(sp.MatMul(sp.Transpose(v), v, evaluate=False))
    args = [as_products(a) for a in e.args]
    if args == list(e.args):
        return e
    if isinstance(e, (sp.MatAdd, sp.MatMul)):
        return e.func(*args, evaluate=False)
    if isinstance(e, (sp.Add, sp.Mul)) and any(isinstance(a, MatrixExpr) for a in args):
        # a sum of 1×1 products: keep it a matrix expression
        mats = [a if isinstance(a, MatrixExpr) else a * sp.Identity(1) for a in args]
        return sp.MatAdd(*mats, evaluate=False) if isinstance(e, sp.Add) else sp.MatMul(*mats, evaluate=False)
    return e.func(*args)


def D(f: Any, x: Any) -> Any:
    """∂f/∂x as an object the checker evaluates: GradientOf for a vector or matrix x,
    sympy's Derivative for a scalar symbol."""
    if isinstance(x, sp.Symbol):
        return sp.Derivative(f, x)
    return GradientOf(f, x)


def _vector(var: Any) -> bool:
    return isinstance(var, sp.MatrixSymbol) and M.is_one(var.shape[1])


def _matrix(var: Any) -> bool:
    return isinstance(var, sp.MatrixSymbol) and not M.is_one(var.shape[1])


# ---- explaining the derivative of one scalar term ---------------------------------------

@dataclass
class TermGrad:
    """The derivative of one term: what identity it uses and the result."""

    term: M.Term
    text: str
    middle: Any          # the identity's form (e.g. (A + Aᵀ)x), or None
    result: Poly


def _chain_tex(ch: M.Chain) -> str:
    return latex(M.chain_expr(ch))


def _const_tex(t: M.Term, others: tuple, od: Any) -> str:
    """LaTeX of the constant factor of a term (its coefficient and the scalars free of x)."""
    coef = r"\left(%s\right)" % latex(t.coef) if isinstance(t.coef, sp.Add) else latex(t.coef)
    parts = [] if t.coef == 1 else ["-" if t.coef == -1 else coef]
    parts += [r"\left(%s\right)" % latex(M.chain_expr(M.orient_scalar(s, od))) for s in others]
    return " ".join(parts) + (r"\, " if parts and parts != ["-"] else "")


def explain_term(t: M.Term, x: Any, prefer: frozenset = frozenset()) -> TermGrad:
    """Name the identity that differentiates the scalar term t with respect to x."""
    res = Poly(M.vshape(x), M.term_grad(t, x))
    xt = latex(x)
    if not M.term_depends(t, x):
        return TermGrad(t, f"does not depend on ${xt}$, so its derivative is $0$.", None, res)
    if isinstance(x, sp.Symbol):
        return TermGrad(t, f"depends on ${xt}$ only through its coefficient:", None, res)
    od = M.Orient(None, prefer)
    dep = [s for s in t.scalars if any(f.base == x for f in s)]
    if len(dep) == 1:
        others = tuple(s for s in t.scalars if s is not dep[0])
        k = _const_tex(t, others, od)
        c = M.scaled(t.coef, *[M.Inner(M.chain_expr(M.orient_scalar(o, od))) for o in others]) if others \
            else t.coef
        s = M.orient_scalar(dep[0], M.Orient(x, prefer))
        occ = M.occurrences(s, x)
        vec = _vector(x)
        if vec and len(occ) == 1 and occ[0].index == len(s) - 1 and not occ[0].transposed:
            a = M.chain_T(occ[0].before)
            return TermGrad(t, rf"is ${k}a^T {xt}$ with $a = {_chain_tex(a)}$; by "
                               rf"$\frac{{\partial (a^T x)}}{{\partial x}} = a$:", None, res)
        if vec and len(occ) == 2 and occ[0].index == 0 and occ[0].transposed and occ[1].index == len(s) - 1 \
                and not occ[1].transposed:
            A = s[1:-1]
            if not A:
                return TermGrad(t, rf"is ${k}{xt}^T {xt}$; by $\frac{{\partial (x^T x)}}{{\partial x}} = 2x$:",
                                None, res)
            Ae = M.chain_expr(A)
            if M.symmetric_chain(A):
                mid = M.scaled(c, sp.MatAdd(Ae, sp.Transpose(Ae), evaluate=False), x)
                return TermGrad(t, rf"is ${k}{xt}^T A {xt}$ with $A = {latex(Ae)}$; by "
                                   rf"$\frac{{\partial (x^T A x)}}{{\partial x}} = (A + A^T)x$, and $A = A^T$ here, "
                                   rf"so it is $2Ax$:", mid, res)
            mid = M.scaled(c, sp.MatAdd(Ae, _T(A), evaluate=False), x)
            return TermGrad(t, rf"is ${k}{xt}^T A {xt}$ with $A = {latex(Ae)}$; by "
                               rf"$\frac{{\partial (x^T A x)}}{{\partial x}} = (A + A^T)x$:", mid, res)
        if not vec and len(occ) == 1:
            o = occ[0]
            P, Q = o.before, o.after
            if P and Q and M.is_one(M.chain_shape(P)[0]) and M.is_one(M.chain_shape(Q)[1]):
                a, b = M.chain_T(P), Q
                if o.transposed:
                    return TermGrad(t, rf"is ${k}a^T {xt}^T b$ with $a = {_chain_tex(a)}$, $b = {_chain_tex(b)}$; "
                                       rf"by $\frac{{\partial (a^T X^T b)}}{{\partial X}} = b a^T$:", None, res)
                return TermGrad(t, rf"is ${k}a^T {xt} b$ with $a = {_chain_tex(a)}$, $b = {_chain_tex(b)}$; "
                                   rf"by $\frac{{\partial (a^T X b)}}{{\partial X}} = a b^T$:", None, res)
            rule = r"\frac{\partial \operatorname{tr}(A X^T B)}{\partial X} = B A" if o.transposed else \
                r"\frac{\partial \operatorname{tr}(A X B)}{\partial X} = A^T B^T"
            return TermGrad(t, f"has one factor ${xt}$; by ${rule}$:", None, res)
    n = sum(len(M.occurrences(s, x)) for s in t.scalars)
    return TermGrad(t, f"contains ${xt}$ {n} times; by the product rule it contributes one term per occurrence, "
                       rf"each from $\frac{{\partial \operatorname{{tr}}(P X Q)}}{{\partial X}} = P^T Q^T$ "
                       rf"(and $Q P$ for an occurrence of $X^T$), the other occurrences held fixed:", None, res)


def _T(ch: M.Chain) -> Any:
    return sp.Transpose(M.chain_expr(ch))


# ---- the gradient of a polynomial scalar ----------------------------------------------------

@dataclass
class GradResult:
    poly: Poly                 # ∂f/∂x, canonical
    expr: Any                  # display form (factored when that is shorter)
    text_expr: Any             # a valid matrix expression for answer.text
    steps: list[Step]


def _nice_answer(g: Poly, od: Any) -> tuple[Any, Any]:
    fac = M.factor(g, od)
    if fac.gain > 0:
        return fac.expr, fac.expr
    return M.poly_expr(g, od), M.poly_expr(g, od, text=True)


def poly_grad_steps(f_sym: Any, f_display: Any, leaf: Any, x: Any, where: dict) -> GradResult:
    """The gradient of a polynomial scalar with the steps: products, terms, identities, sum."""
    steps: list[Step] = []
    p = M.to_poly(leaf)
    pref = M.preferred(leaf)
    ox, od = M.Orient(x, pref), M.Orient(None, pref)
    xt = latex(x)
    prod = as_products(tidy(leaf))
    shown = tidy(leaf)
    if latex(prod) != latex(shown):
        steps.append(make_step("norm_as_product", "Write the squared norm as an inner product, "
                               r"$\lVert v \rVert^2 = v^T v$:", f_sym, shown, prod, where=where))
        shown = prod
    terms = p.sorted_terms()
    expanded = M.poly_expr(p, ox)
    if latex(expanded) != latex(shown):
        cross = any(not t.chain and any(not M.symmetric_chain(s) for s in t.scalars) for t in terms)
        note = (" A $1 \\times 1$ product is a scalar and equals its transpose "
                "(e.g. $a^T B c = c^T B^T a$), so such terms are collected." if cross else "")
        steps.append(make_step("expand", f"Multiply out into terms.{note}", f_sym, shown, expanded, where=where))
    # term by term
    subs: list[Step] = []
    contribs: list[Poly] = []
    for t in terms:
        tg = explain_term(t, x, pref)
        te = M.term_expr(t, ox)
        res_expr = M.poly_expr(tg.result, od) if tg.result else _zero_like(x)
        chain = [D(te, x)]
        if tg.middle is not None:
            chain.append(tg.middle)
        chain.append(res_expr)
        subs.append(make_step("identity", f"The term ${latex(te)}$ " + tg.text, *_dedupe(chain)))
        contribs.append(tg.result)
    g = M.total(contribs, M.vshape(x))
    summed = M.poly_expr(g, od)
    layout = (f"Differentiate term by term ({LAYOUT}, so $\\partial {latex(f_sym)}/\\partial {xt}$ "
              f"has the shape of ${xt}$).")
    steps.append(make_step("term_by_term", layout, check=False, substeps=subs))
    nice, text_expr = _nice_answer(g, od)
    chain = [D(f_sym, x), summed, nice]
    text = "Add the terms" + (" and pull out the common factor." if latex(nice) != latex(summed) else ".")
    steps.append(make_step("collect", text, *_dedupe(chain), where=where))
    return GradResult(g, nice, text_expr, steps)


def _zero_like(x: Any) -> Any:
    r, c = x.shape if is_tensor(x) else (1, 1)
    return sp.ZeroMatrix(r, c) if is_tensor(x) else sp.Integer(0)


def _dedupe(chain: list) -> list:
    """The chain without a link repeated right after itself (structurally equal)."""
    out: list = []
    for c in chain:
        if not out or not _same_shown(out[-1], c):
            out.append(c)
    return out


def _same_shown(a: Any, b: Any) -> bool:
    if a == b:
        return True
    if type(a) is not type(b):
        return False
    return latex(a) == latex(b)


def affine_chain_rule(f_sym: Any, leaf: Any, x: Any, where: dict) -> tuple[Step, Any] | None:
    """For L = c‖r‖² with r affine in a vector x: ∂L/∂x = 2c (∂r/∂x)ᵀ r, the named identity
    ∂‖y − Xw‖²/∂w = −2Xᵀ(y − Xw).  None when L is not of that form."""
    coef, rest = sp.S.One, leaf
    if isinstance(leaf, sp.Mul):
        nums = [a for a in leaf.args if not a.atoms(sp.MatrixSymbol)]
        others = [a for a in leaf.args if a.atoms(sp.MatrixSymbol)]
        if len(others) != 1:
            return None
        coef, rest = sp.Mul(*nums), others[0]
    if not (isinstance(rest, sp.Pow) and isinstance(rest.base, F.Norm) and rest.exp == 2 and _vector(x)):
        return None
    r = rest.base.args[0]
    if not M.is_one(r.shape[1]):
        return None
    try:
        rp = M.to_poly(r)
        J = M.jacobian(rp, x)
    except (Unsupported, ValueError):
        return None
    if J.depends_on(x) or not J:
        return None
    Je = M.poly_expr(J, x)
    rt = tidy(r)
    JT = M.poly_expr(J.T, x)
    out = M.scaled(2 * coef, JT, rt)
    text = (rf"The same by the chain rule: with $r = {latex(rt)}$, "
            rf"$\partial \lVert r \rVert^2 / \partial r = 2r$ and the Jacobian $\partial r/\partial {latex(x)} = {latex(Je)}$, so "
            rf"$\partial {latex(f_sym)}/\partial {latex(x)} = {latex(2 * coef)}\,(\partial r/\partial {latex(x)})^T r$:")
    return make_step("chain_rule", text, D(f_sym, x),
                     M.scaled(2 * coef, sp.Transpose(Je), rt), out, where=where), out


# ---- givens: an unspecified loss with known upstream gradients ---------------------------------

@dataclass
class Upstream:
    name: str
    symbol: Any          # the node's symbol (y1)
    leaf: Any            # its value in the leaves (x1, W_Q, ...)
    grad: Any            # the given ∂L/∂y1 (g1)


def upstreams(problem: Problem, loss_name: str | None, loss: F.Loss, var: Any, pos) -> list[Upstream]:
    """The outputs the loss depends on through `var`, each with its given gradient."""
    given: dict[str, Any] = {}
    for g in problem.givens:
        t = g.target
        if isinstance(t, ast.Call) and t.name == "grad" and len(t.args) == 2 \
                and isinstance(t.args[0], ast.Name) and isinstance(t.args[1], ast.Name):
            if loss_name is not None and t.args[0].id != loss_name:
                continue
            given[t.args[1].id] = problem.display(g.value)
    out: list[Upstream] = []
    for arg in loss.args:
        name = _name_of(problem, arg)
        leaf = leaf_form(problem, arg, frozenset({var}))
        depends = isinstance(leaf, sp.Basic) and (var in leaf.free_symbols or var in leaf.atoms(sp.MatrixSymbol))
        if not depends:
            continue
        if name is None or name not in given:
            what = f"`{name}`" if name else f"${latex(arg)}$"
            raise SpecError(f"the loss is unspecified and depends on {what}; give its gradient with "
                            f"`given grad({loss_name or 'L'}, {name or '...'}) = ...`", pos)
        g = given[name]
        gs = shape_of(g)
        ys = shape_of(arg)
        if (gs or (1, 1)) != (ys or (1, 1)) and not all(sp.simplify(a - b) == 0 for a, b in zip(gs or (1, 1), ys or (1, 1))):
            raise SpecError(f"the given gradient of `{name}` is {show_shape(g)} but `{name}` is {show_shape(arg)}",
                            pos)
        out.append(Upstream(name, arg, leaf, g))
    return out


def given_chain_steps(problem: Problem, f_sym: Any, ups: list[Upstream], x: Any
                      ) -> tuple[Poly, list[Step], Any]:
    """∂L/∂x = Σᵢ (∂yᵢ/∂x)ᵀ gᵢ, with every Jacobian derived term by term."""
    xt, ft = latex(x), latex(f_sym)
    steps: list[Step] = []
    names = _and([f"${latex(u.symbol)}$" for u in ups])
    pref = M.preferred(*[u.leaf for u in ups])
    od = M.Orient(None, pref)
    # 1. the outputs in terms of the inputs
    polys: dict[str, Poly] = {}
    described: set = set()
    for u in ups:
        p = M.to_poly(u.leaf)
        polys[u.name] = p
        shown = M.poly_expr(p, od)
        about = _about(problem, u.name, described)
        steps.append(make_step("substitute", say(about, Math(u.symbol), " in terms of the inputs:"), u.symbol,
                               shown, where={u.symbol: u.leaf}))
    vec = _vector(x) or isinstance(x, sp.Symbol)
    if not vec:
        return _given_matrix(problem, f_sym, ups, x, steps, names) + (od,)
    # 2. the chain rule
    def jac(u):
        return sp.MatMul(sp.Transpose(JacobianOf(u.symbol, x)), u.grad) if is_tensor(u.symbol) \
            else sp.MatMul(D(u.symbol, x), u.grad)
    law = sp.MatAdd(*[jac(u) for u in ups], evaluate=False) if len(ups) > 1 else jac(ups[0])
    text = (f"${ft}$ depends on ${xt}$ only through {names}, whose gradients $g = \\partial {ft}/\\partial y$ "
            f"are given. By the chain rule ({LAYOUT}), each output contributes its Jacobian transposed times "
            f"its upstream gradient:")
    steps.append(make_step("chain_rule", text, D(f_sym, x), law, check=False))
    contribs: list[Poly] = []
    for u in ups:
        p = polys[u.name]
        if not is_tensor(u.symbol):
            gp = M.grad(p, x)
            steps.append(make_step("gradient", f"Gradient of ${latex(u.symbol)}$:", D(u.symbol, x),
                                   M.poly_expr(gp, od), where={u.symbol: u.leaf}))
            contribs.append(gp.times_scalar(M.to_poly(u.grad)))
            continue
        J, jsteps = jacobian_steps(u.symbol, u.leaf, p, x, pref)
        steps.extend(jsteps)
        c = J.T @ M.to_poly(u.grad)
        steps.append(make_step("transpose_apply",
                               f"Transpose and apply to ${latex(u.grad)} = \\partial {ft}/\\partial {latex(u.symbol)}$:",
                               jac(u), M.poly_expr(c, od), where={u.symbol: u.leaf}))
        contribs.append(c)
    total = M.total(contribs, x.shape)
    where = {u.symbol: u.leaf for u in ups}
    chain = [law, M.poly_expr(total, od)]
    if not any(x in leaf_form(problem, u.grad).atoms(sp.MatrixSymbol) for u in ups if is_tensor(u.grad)):
        # Σ gᵢᵀyᵢ has exactly these gradients while the gᵢ do not depend on x: check against it
        chain.insert(0, D(f_sym, x))
        where = {**where, f_sym: _surrogate(ups, leaf=True)}
    steps.append(make_step("collect", f"Add the contributions of {names}:", *chain, where=where))
    return total, steps, od


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _surrogate(ups: list[Upstream], leaf: bool = False) -> Any:
    """Σᵢ gᵢᵀyᵢ: a scalar with the same gradients as L wherever the gᵢ are held fixed."""
    return sp.Add(*[sp.Trace(sp.MatMul(sp.Transpose(u.grad), u.leaf if leaf else u.symbol))
                    if is_tensor(u.symbol) else u.grad * (u.leaf if leaf else u.symbol) for u in ups])


def _about(problem: Problem, name: str, described: set) -> Any:
    """A sentence defining the attention block that computes `name` (once per block)."""
    from . import attention
    found = attention.attention_call_of(problem, name)
    if found is None or id(found[0]) in described:
        return ""
    described.add(id(found[0]))
    return attention.describe_call(problem, found[0]) + " So "


def _given_matrix(problem: Problem, f_sym: Any, ups: list[Upstream], x: Any, steps: list[Step],
                  names: str) -> tuple[Poly, list[Step]]:
    """A matrix variable: the Jacobian would be a 4-index tensor, so use dL = Σ gᵢᵀ dyᵢ."""
    xt, ft = latex(x), latex(f_sym)
    surrogate = _surrogate(ups)
    text = (f"${ft}$ depends on ${xt}$ only through {names}, whose gradients are given, so by the chain rule "
            f"$d{ft} = " + " + ".join(f"{latex(u.grad)}^T\\, d{latex(u.symbol)}" for u in ups)
            + f"$: the gradient is that of ${latex(tidy(surrogate))}$ with the $g$'s held fixed "
              f"({LAYOUT}).")
    steps.append(make_step("chain_rule", text, check=False))
    leaf = _surrogate(ups, leaf=True)
    res = poly_grad_steps(tidy(surrogate), tidy(surrogate), leaf, x, {u.symbol: u.leaf for u in ups})
    steps.extend(res.steps)
    return res.poly, steps


def jacobian_steps(y_sym: Any, y_leaf: Any, p: Poly, x: Any, pref: frozenset = frozenset()
                   ) -> tuple[Poly, list[Step]]:
    """∂y/∂x of a column polynomial, by the product rule ∂(s·u)/∂x = u (∂s/∂x)ᵀ + s ∂u/∂x."""
    yt = latex(y_sym)
    ox, od = M.Orient(x, pref), M.Orient(None, pref)
    subs: list[Step] = []
    pieces: list[Any] = []
    for t in p.sorted_terms():
        if not M.term_depends(t, x):
            continue
        for k, s in enumerate(t.scalars):
            if not any(f.base == x for f in s):
                continue
            st = M.Term(M.ONE, (s,), (), (M.ONE, M.ONE))
            tg = explain_term(st, x, pref)
            se, shown = M.term_expr(st, ox), M.term_expr(st, od)
            g_expr = M.poly_expr(tg.result, od)
            chain = [D(shown, x)] + ([tg.middle] if tg.middle is not None else []) + [g_expr]
            flip = "" if latex(se) == latex(shown) else \
                f" (a scalar equals its transpose: ${latex(shown)} = {latex(se)}$)"
            subs.append(make_step("identity", f"The scalar ${latex(shown)}$" + flip + " " + tg.text,
                                  *_dedupe(chain)))
            others = t.scalars[:k] + t.scalars[k + 1:]
            rest = M.Term(t.coef, others, t.chain, t.shape)
            u = M.term_expr(rest, od) if t.chain or others else None
            gexpr = tg.middle if tg.middle is not None else g_expr
            pieces.append(M.scaled(1, u, sp.Transpose(gexpr)) if u is not None else sp.Transpose(gexpr))
        for occ in M.occurrences(t.chain, x):
            P = M.chain_expr(occ.before) if occ.before else sp.Identity(x.shape[0])
            pieces.append(M.scaled(t.coef, *[M.Inner(M.chain_expr(M.orient_scalar(s, od))) for s in t.scalars], P))
    J = M.jacobian(p, x)
    rule = (r"Each term of $%s$ is a scalar times a vector; by the product rule "
            r"$\frac{\partial (s\,u)}{\partial x} = u \left(\frac{\partial s}{\partial x}\right)^T + "
            r"s\,\frac{\partial u}{\partial x}$ and $\frac{\partial (A x)}{\partial x} = A$:") % yt
    chain = [JacobianOf(y_sym, x)]
    if pieces:
        chain.append(sp.MatAdd(*pieces, evaluate=False) if len(pieces) > 1 else pieces[0])
    chain.append(M.poly_expr(J, od))
    step = make_step("product_rule", rule, *_dedupe(chain), where={y_sym: y_leaf}, substeps=subs)
    return J, [step]


# ---- the goals ------------------------------------------------------------------------------

def symbolic_grad(problem: Problem, call: ast.Call) -> Derived:
    """∂L/∂x in closed form (matrix notation, denominator layout), with the steps."""
    f_node, x_node = call.args
    x, xb = variable(problem, x_node, "grad")
    display, leaf, steps = target(problem, f_node, x, "grad")
    f_sym = _f_symbol(problem, f_node, display)
    where = {**node_where(problem, frozenset({x})), f_sym: leaf}
    loss = _loss_in(leaf)
    if loss is not None:
        leaf = leaf_form(problem, display, frozenset({x}) | _given_symbols(problem) | _loss_arguments(problem))
        loss = _loss_in(leaf)
        if leaf != loss:
            raise Unsupported("an unspecified loss inside a larger expression is not supported; "
                              "define `L = loss(...)` on its own", f_node.pos)
        loss_name = f_node.id if isinstance(f_node, ast.Name) else None
        ups = upstreams(problem, loss_name, loss, x, call.pos)
        if not ups:
            g = M.Poly(x.shape if is_tensor(x) else (1, 1))
            expr = _zero_like(x)
            steps.append(make_step("constant", f"$\\mathcal{{L}}$ does not depend on ${latex(x)}$.", check=False))
            return Derived(make_answer(expr, value=None), tuple(steps))
        try:
            g, gsteps, od = given_chain_steps(problem, f_sym, ups, x)
        except Unsupported as exc:
            from . import attention
            out = attention.given_grad(problem, f_sym, ups, x, call)
            if out is None:
                raise _softmax_hint(exc, leaf) from None
            return out
        steps.extend(gsteps)
        nice, text_expr = M.poly_expr(g, od), M.poly_expr(g, od, text=True)
        fac = M.factor(g, od)
        if fac.gain > 0 and latex(fac.expr) != latex(nice):
            steps.append(make_step("collect", "Grouped by common factors:", nice, fac.expr))
        return Derived(make_answer(nice, text=_text(text_expr), value=None), tuple(steps))
    try:
        M.to_poly(leaf)
    except Unsupported as exc:
        from . import attention
        out = attention.explicit_grad(problem, f_sym, leaf, x, call)
        if out is None:
            raise _softmax_hint(exc, leaf).at(call.pos) from None
        return out
    steps.extend(_definition_steps(problem, f_node, f_sym, display, leaf))
    res = poly_grad_steps(f_sym, display, leaf, x, where)
    steps.extend(res.steps)
    answer, text_expr = res.expr, res.text_expr
    alt = affine_chain_rule(f_sym, leaf, x, where)
    if alt is not None:
        steps.append(alt[0])
        answer = text_expr = alt[1]
    value, answer, text_expr, more = _with_values(problem, answer, text_expr)
    steps.extend(more)
    return Derived(make_answer(answer, text=_text(text_expr), value=value), tuple(steps))


def _loss_arguments(problem: Problem) -> frozenset:
    """The node symbols passed to an unspecified `loss(...)`: where its chain rule starts."""
    out = set()
    nodes = {b.symbol for b in problem.bindings(("node",)) if b.symbol is not None}
    for b in problem.bindings(("node",)):
        if isinstance(b.definition, sp.Basic):
            for lo in b.definition.atoms(F.Loss) if not isinstance(b.definition, F.Loss) else [b.definition]:
                out.update(a for a in lo.args if a in nodes)
    return frozenset(out)


def _given_symbols(problem: Problem) -> frozenset:
    """The symbols of the nodes whose upstream gradients `given grad(L, y) = g` states."""
    out = set()
    for g in problem.givens:
        t = g.target
        if isinstance(t, ast.Call) and t.name == "grad" and len(t.args) == 2 and isinstance(t.args[1], ast.Name) \
                and problem.has(t.args[1].id) and problem.names[t.args[1].id].symbol is not None:
            out.add(problem.names[t.args[1].id].symbol)
    return frozenset(out)


def _softmax_hint(exc: Unsupported, leaf: Any) -> Unsupported:
    """A clearer message when softmax (exp) is what stops the closed form."""
    if isinstance(leaf, sp.Basic) and leaf.atoms(sp.exp):
        return Unsupported("closed-form gradients through softmax are derived for one `attention` block whose "
                           "outputs feed an unspecified loss (`given grad(L, y1) = g1`) or a polynomial loss; "
                           "for other softmax graphs give the tensors values and differentiate numerically",
                           exc.pos)
    return exc


def _text(e: Any) -> str:
    from ..printing import answer_text
    return answer_text(e)


def _f_symbol(problem: Problem, f_node: ast.Expr, display: Any) -> Any:
    if isinstance(f_node, ast.Name) and problem.has(f_node.id):
        b = problem.names[f_node.id]
        if b.kind == "node" and b.symbol is not None:
            return b.symbol
        if b.kind == "function":
            return sp.Symbol(b.name)
    return display


def _definition_steps(problem: Problem, f_node: ast.Expr, f_sym: Any, display: Any, leaf: Any) -> list[Step]:
    """L = its definition = the same in the given names (when nodes were substituted)."""
    if f_sym is display:
        return []
    chain = [f_sym, tidy(display)]
    if latex(tidy(leaf)) != latex(tidy(display)):
        chain.append(tidy(leaf))
    if len(chain) < 2:
        return []
    return [make_step("definition", f"Write ${latex(f_sym)}$ in terms of the given vectors and matrices:",
                      *_dedupe(chain), where={**node_where(problem), f_sym: leaf})]


def _with_values(problem: Problem, answer: Any, text_expr: Any) -> tuple[Any, Any, Any, list[Step]]:
    """When some matrices have concrete values, substitute them into the closed form."""
    subs = {}
    for b in problem.names.values():
        if b.kind in ("vector", "matrix", "input", "param", "let", "symbol") and b.symbol is not None \
                and isinstance(b.value, sp.MatrixBase) and b.symbol != b.value:
            subs[b.symbol] = b.value
        elif b.kind in ("let", "input", "param") and b.symbol is not None and isinstance(b.value, sp.Basic) \
                and not is_tensor(b.value) and b.symbol != b.value:
            subs[b.symbol] = b.value
    if not subs or not ((answer.atoms(sp.MatrixSymbol) | answer.free_symbols) & set(subs)):
        return None, answer, text_expr, []
    from .definite import explicit
    val = explicit(answer.xreplace(subs))
    from .evaluate import substituted
    step = make_step("substitute", "Substitute the given values:", answer, substituted(answer, subs), val,
                     where=subs)
    from ..printing import answer_value
    return answer_value(val), val, val, [step]


def hessian(problem: Problem, call: ast.Call) -> Derived:
    H, steps, x, f_sym, where = hessian_steps(problem, call, "hessian")
    fac = M.factor(H, x)
    answer = fac.expr if fac.gain > 0 else M.poly_expr(H, x)
    text_expr = answer if fac.gain > 0 else M.poly_expr(H, x, text=True)
    value, answer, text_expr, more = _with_values(problem, answer, text_expr)
    steps.extend(more)
    return Derived(make_answer(answer, text=_text(text_expr), value=value), tuple(steps))


def hessian_steps(problem: Problem, call: ast.Call, goal: str) -> tuple[Poly, list[Step], Any, Any, dict]:
    f_node, x_node = call.args
    x, xb = variable(problem, x_node, goal)
    if _matrix(x):
        raise Unsupported(f"the Hessian with respect to the matrix `{xb.name}` is a 4-index tensor; "
                          "differentiate with respect to a vector", x_node.pos)
    display, leaf, steps = target(problem, f_node, x, goal)
    if _loss_in(leaf) is not None:
        raise Unsupported("the Hessian of an unspecified loss is not determined by its gradients", f_node.pos)
    f_sym = _f_symbol(problem, f_node, display)
    where = {**node_where(problem, frozenset({x})), f_sym: leaf}
    M.to_poly(leaf)
    steps.extend(_definition_steps(problem, f_node, f_sym, display, leaf))
    g = poly_grad_steps(f_sym, display, leaf, x, where)
    steps.append(make_step("gradient", f"The gradient, term by term:", D(f_sym, x), g.expr,
                           where=where, substeps=g.steps))
    xt = latex(x)
    if isinstance(x, sp.Symbol):
        H = M.grad(g.poly, x)
        steps.append(make_step("second_derivative", "Differentiate once more:", D(D(f_sym, x), x),
                               M.poly_expr(H), where=where))
        return H, steps, x, f_sym, where
    subs = []
    for t in g.poly.sorted_terms():
        tp = Poly(x.shape, [t])
        J = M.jacobian(tp, x)
        te = M.term_expr(t, x)
        if not M.term_depends(t, x):
            text = f"${latex(te)}$ does not depend on ${xt}$: its Jacobian is $0$."
        elif not t.scalars and t.chain and t.chain[-1].base == x and not t.chain[-1].t \
                and not any(f.base == x for f in t.chain[:-1]):
            text = rf"${latex(te)}$ is $A{xt}$; by $\frac{{\partial (Ax)}}{{\partial x}} = A$:"
        else:
            text = (rf"${latex(te)}$: by the product rule $\frac{{\partial (s\,u)}}{{\partial x}} = "
                    rf"u \left(\frac{{\partial s}}{{\partial x}}\right)^T + s \frac{{\partial u}}{{\partial x}}$:")
        subs.append(make_step("identity", text, JacobianOf(te, x),
                              M.poly_expr(J, x) if J else sp.ZeroMatrix(x.shape[0], x.shape[0])))
    H = M.jacobian(g.poly, x)
    fac = M.factor(H, x)
    chain = [JacobianOf(D(f_sym, x), x), M.poly_expr(H, x)]
    if fac.gain > 0:
        chain.append(fac.expr)
    steps.append(make_step("hessian", f"The Hessian is the Jacobian of the gradient, "
                           f"$\\nabla^2 {latex(f_sym)} = \\partial^2 {latex(f_sym)}/\\partial {xt}\\,\\partial {xt}^T$; "
                           "differentiate each term of the gradient:", *_dedupe(chain), where=where, substeps=subs))
    return H, steps, x, f_sym, where


# ---- expand and simplify ------------------------------------------------------------------

def _factor_sums(e: Any, transposes: bool = True) -> tuple[Any, bool]:
    """Pull common factors out of every sum inside e (L x_i − L x_j = L(x_i − x_j)); with
    `transposes`, also open transposed products ((AB)ᵀ = BᵀAᵀ)."""
    if not isinstance(e, sp.Basic) or not e.args:
        return e, False
    changed = False
    args = []
    for a in e.args:
        na, c = _factor_sums(a, transposes)
        args.append(na)
        changed |= c
    if isinstance(e, sp.MatAdd):
        try:
            p = M.to_poly(sp.MatAdd(*args, evaluate=False))
        except Unsupported:
            return sp.MatAdd(*args, evaluate=False), changed
        fac = M.factor(p)
        if fac.gain > 0:
            return fac.expr, True
        return sp.MatAdd(*args, evaluate=False), changed
    if isinstance(e, sp.Transpose):
        inner = args[0]
        if isinstance(inner, sp.MatMul) and transposes:
            coef = [a for a in inner.args if not isinstance(a, MatrixExpr)]
            mats = [a for a in inner.args if isinstance(a, MatrixExpr)]
            return sp.MatMul(*coef, *[sp.Transpose(m) if not isinstance(m, sp.Transpose) else m.arg
                                      for m in reversed(mats)], evaluate=False), True
        return sp.Transpose(inner), changed
    if isinstance(e, sp.MatMul):
        flat = []
        for a in args:
            if isinstance(a, sp.MatMul):
                flat.extend(a.args)
            else:
                flat.append(a)
        return sp.MatMul(*flat, evaluate=False), changed
    if not changed:
        return e, False
    try:
        with sp.evaluate(False):
            return e.func(*args), True
    except (TypeError, ValueError):
        return e, False


def _rewrite_target(problem: Problem, node: ast.Expr, goal: str) -> tuple[Any, Any, list[Step], bool]:
    display = problem.display(node)
    if isinstance(display, Seq):
        raise SpecError(f"`{goal}` rewrites one expression; this is a list of tensors", node.pos)
    _need_math(display, node, goal)
    if isinstance(node, ast.Name) and problem.has(node.id):
        b = problem.names[node.id]
        if b.kind == "node" and b.definition is not None:
            display = b.definition
            sym = b.symbol
        else:
            sym = None
    else:
        sym = None
    leaf = leaf_form(problem, display)
    steps = []
    substituted = latex(tidy(leaf)) != latex(tidy(display))
    chain = ([sym] if sym is not None else []) + [tidy(display)]
    if substituted:
        nodes = sorted({_name_of(problem, s) for s in display.free_symbols | display.atoms(sp.MatrixSymbol)
                        if _name_of(problem, s) and problem.names[_name_of(problem, s)].kind == "node"})
        defs = ", ".join(f"${latex(problem.names[n].symbol)} = {latex(tidy(problem.names[n].definition))}$"
                         for n in nodes)
        chain.append(tidy(leaf))
        steps.append(make_step("substitute", f"Substitute the definitions ({defs}):" if defs else
                               "Substitute the definitions:", *_dedupe(chain), where=node_where(problem)))
    return (sym if sym is not None else tidy(display)), leaf, steps, substituted


def expand(problem: Problem, call: ast.Call) -> Derived:
    """Substitute the definitions, pull common factors out of the sums this creates and
    multiply out; the answer is the factored form when a factor came out, else the
    multiplied-out sum."""
    node = call.args[0]
    head, leaf, steps, substituted = _rewrite_target(problem, node, "expand")
    where = node_where(problem)
    p = M.to_poly(leaf)
    shown = tidy(leaf)
    pulled, _ = _factor_sums(shown, transposes=False)
    factored, changed = _factor_sums(pulled)
    answer = None
    if changed and latex(factored) != latex(shown):
        steps.append(make_step("factor", "Pull the common factor out of each sum, then open the transposed "
                               "product with $(AB)^T = B^T A^T$:", *_dedupe([head, shown, pulled, factored]),
                               where=where))
        answer = factored
    multiplied = M.poly_expr(p)
    if latex(multiplied) != latex(answer if answer is not None else shown):
        text = "Multiplied out (a $1 \\times 1$ product equals its transpose, so the cross terms combine):" \
            if p.is_scalar() else "Multiplied out:"
        steps.append(make_step("expand", text, head, answer if answer is not None else shown, multiplied,
                               where=where))
    if answer is None:
        answer = multiplied
        text = _text(M.poly_expr(p, text=True))
    else:
        text = _text(answer)
    return Derived(make_answer(answer, text=text, value=None if answer.atoms(sp.MatrixSymbol) else "auto"),
                   tuple(steps))


def simplify(problem: Problem, call: ast.Call) -> Derived:
    node = call.args[0]
    head, leaf, steps, substituted = _rewrite_target(problem, node, "simplify")
    where = node_where(problem)
    p = M.to_poly(leaf)
    shown = tidy(leaf)
    multiplied = M.poly_expr(p)
    if latex(multiplied) != latex(shown):
        steps.append(make_step("expand", "Multiply out and collect like terms:", head, shown, multiplied, where=where))
    best = M.factor(p)
    if p.is_scalar():
        sym = M.factor(p.symmetrized())
        if sym.gain > best.gain:
            best = sym
    answer = multiplied
    if best.gain > 0 and latex(best.expr) != latex(multiplied):
        steps.append(make_step("factor", "Collect the common factors:", head, multiplied, best.expr, where=where))
        answer = best.expr
        text = _text(answer)
    else:
        text = _text(M.poly_expr(p, text=True))
    return Derived(make_answer(answer, text=text, value=None if answer.atoms(sp.MatrixSymbol) else "auto"),
                   tuple(steps))
