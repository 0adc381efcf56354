"""`pseudocode(ALG(L, w, lr = eta, batch = B, epochs = T))`: an optimisation algorithm as
numbered pseudocode, with the gradient it needs derived from L.

In:  ALG one of `minibatch_sgd`, `sgd` (one example per step), `batch_gd` (the whole
     data set per step) -- names of algorithms, used only inside `pseudocode`; L a scalar
     loss over data matrices whose first size is the number of examples N (X : (N, d),
     y : (N)); w the vector being learned.
Out: the pseudocode as a Markdown numbered list (answer prose), after steps that derive
     ∇L in closed form (matcalc), restrict it to a minibatch ℬ (every data matrix keeps
     only the rows in ℬ: X_ℬ, y_ℬ) and average, g = (1/B)∇L_ℬ, checked against the full
     gradient when the batch is the whole data set (g = ∇L/N).  Terms of L that do not
     involve the data (a regulariser R(w)) enter as (1/N)∇R.

The loss must be a sum over examples: each data term contracts the example index once
(yᵀy, yᵀXw, wᵀXᵀXw); anything else (e.g. (1ᵀy)²) is refused as not decomposable.
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from .. import ast
from ..errors import SpecError, Unsupported
from ..model.problem import Problem
from ..printing import latex, name_latex
from ..steps import Step, make_step
from . import matcalc as MC
from . import matpoly as M
from .matpoly import GradientOf
from .registry import Derived, make_answer

ALGORITHMS = {
    "minibatch_sgd": "stochastic minibatch gradient descent",
    "sgd": "stochastic gradient descent (one example per step)",
    "batch_gd": "batch gradient descent (the whole data set per step)",
}
KWARGS = ("lr", "batch", "epochs", "tol")


class Batch(sp.MatrixSymbol):
    """A data matrix restricted to the rows of a minibatch: X_ℬ (name `X|B`)."""

    def _latex(self, printer, **kw) -> str:
        base = self.name.split("|")[0]
        tex = name_latex(base)
        return f"{tex}_{{\\mathcal{{B}}}}" if "_" not in tex else f"\\left({tex}\\right)_{{\\mathcal{{B}}}}"


def _algorithm(call: ast.Call) -> tuple[str, ast.Call]:
    if len(call.args) != 1 or not isinstance(call.args[0], ast.Call) or call.args[0].name not in ALGORITHMS:
        raise SpecError("pseudocode takes an algorithm, as in `pseudocode(minibatch_sgd(L, w, lr = eta, "
                        f"batch = B))`; known: {', '.join(ALGORITHMS)}", call.pos)
    alg = call.args[0]
    if len(alg.args) != 2:
        raise SpecError(f"`{alg.name}` takes the loss and the variable, as in `{alg.name}(L, w, lr = eta)`", alg.pos)
    for k in alg.kwargs:
        if k.name not in KWARGS:
            raise SpecError(f"`{alg.name}` has no keyword argument `{k.name}` (it takes: {', '.join(KWARGS)})",
                            k.pos)
        if k.name == "batch" and alg.name != "minibatch_sgd":
            raise SpecError(f"`batch` belongs to minibatch_sgd; `{alg.name}` uses "
                            f"{'one example' if alg.name == 'sgd' else 'all examples'} per step", k.pos)
    return alg.name, alg


def _kw(problem: Problem, alg: ast.Call, name: str, default: Any) -> Any:
    e = alg.kwarg(name)
    return default if e is None else problem.display(e)


def _example_dim(problem: Problem, leaf: Any, w: Any, pos) -> Any:
    """The number of examples: the first size of the data matrices, absent from w's shape."""
    mats = [m for m in leaf.atoms(sp.MatrixSymbol) if m != w]
    wdims = set().union(*[sp.sympify(s, strict=True).free_symbols for s in w.shape])
    counts: dict = {}
    for m in mats:
        r = m.shape[0]
        if isinstance(r, sp.Symbol) and r not in wdims:
            counts[r] = counts.get(r, 0) + 1
    if not counts:
        raise SpecError("a stochastic method needs a loss over examples: no data matrix of the loss has a "
                        "number of rows (examples) different from the sizes of the variable", pos)
    best = sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
    if len(best) > 1 and best[0][1] == best[1][1]:
        raise SpecError(f"cannot tell which size counts the examples: {best[0][0]} or {best[1][0]}", pos)
    return best[0][0]


def _split_terms(p: M.Poly, data: set) -> tuple[list[M.Term], list[M.Term]]:
    """The terms of L that involve the data, and the rest (a regulariser)."""
    with_data, rest = [], []
    for t in p.terms:
        if any(f.base in data for s in t.scalars for f in s) or any(f.base in data for f in t.chain):
            with_data.append(t)
        else:
            rest.append(t)
    return with_data, rest


def _sums_over_examples(t: M.Term, N: Any) -> bool:
    """A term Σ over examples: one scalar holds the data, contracting the example index once."""
    holding = [s for s in t.scalars if any(M.chain_shape((f,))[0] == N or M.chain_shape((f,))[1] == N for f in s)]
    if len(holding) != 1:
        return False
    s = holding[0]
    inner = [s[i].shape[1] for i in range(len(s) - 1)]
    return sum(1 for d in inner if d == N) == 1


def pseudocode(problem: Problem, call: ast.Call) -> Derived:
    name, alg = _algorithm(call)
    f_node, x_node = alg.args
    w, wb = MC.variable(problem, x_node, name)
    if not MC._vector(w):
        raise SpecError(f"`{name}` learns a vector; `{wb.name}` is {wb.describe()}", x_node.pos)
    display, leaf, steps = MC.target(problem, f_node, w, name)
    f_sym = MC._f_symbol(problem, f_node, display)
    where = {**MC.node_where(problem, frozenset({w})), f_sym: leaf}
    eta = _kw(problem, alg, "lr", sp.Symbol("eta", positive=True))
    T = _kw(problem, alg, "epochs", sp.Symbol("T", integer=True, positive=True))
    tol = _kw(problem, alg, "tol", None)
    p = M.to_poly(leaf)
    # 1. the full gradient
    g = MC.poly_grad_steps(f_sym, display, leaf, w, where)
    steps.append(make_step("gradient", "The gradient of the loss, term by term:", GradientOf(f_sym, w), g.expr,
                           where=where, substeps=g.steps))
    N = _example_dim(problem, leaf, w, f_node.pos)
    data = {m for m in leaf.atoms(sp.MatrixSymbol) if m.shape[0] == N}
    with_data, rest = _split_terms(p, data)
    for t in with_data:
        if not _sums_over_examples(t, N):
            raise Unsupported(f"the loss is not a sum over the {latex(N)} examples (the term "
                              f"${latex(M.term_expr(t))}$ couples several examples), so a minibatch "
                              "gradient is not defined by restriction", f_node.pos)
    # 2. the minibatch gradient
    if name == "minibatch_sgd":
        B = _kw(problem, alg, "batch", sp.Symbol("B", integer=True, positive=True))
    elif name == "sgd":
        B = sp.Integer(1)
    else:
        B = N
    restrict = {m: (Batch(f"{m.name}|B", B, m.shape[1]) if name != "batch_gd" else m)
                for m in sorted(data, key=lambda m: m.name)}
    data_poly = M.Poly(p.shape, with_data)
    reg_poly = M.Poly(p.shape, rest)
    batch_leaf = M.poly_expr(data_poly).xreplace(restrict) if with_data else sp.Integer(0)
    gb = M.grad(M.to_poly(batch_leaf), w) if with_data else M.Poly(w.shape)
    gb_expr = MC._nice_answer(gb, M.Orient(None, M.preferred(leaf)))[0] if gb else sp.ZeroMatrix(*w.shape)
    est = M.scaled(1 / sp.sympify(B, strict=True), gb_expr) if B != 1 else gb_expr
    if reg_poly:
        greg = M.grad(reg_poly, w)
        est = sp.MatAdd(est, M.scaled(1 / sp.sympify(N, strict=True), M.poly_expr(greg)), evaluate=False)
    blat = r"\mathcal{B}"
    orient = M.Orient(w, M.preferred(leaf))
    per = None
    if name != "batch_gd":
        shown_loss = M.poly_expr(M.to_poly(batch_leaf), orient) if with_data else batch_leaf
        text = (f"Restrict every data matrix to the rows of a minibatch ${blat}$ of ${latex(B)}$ examples "
                f"(" + ", ".join(f"${latex(m)} \\to {latex(restrict[m])}$" for m in sorted(data, key=lambda m: m.name))
                + f"): the minibatch loss ${latex(shown_loss)}$ has the gradient")
        steps.append(make_step("minibatch_gradient", text, GradientOf(batch_leaf, w), gb_expr))
        per = _per_example(problem, gb, gb_expr, restrict, B, w, orient)
        if per is not None:
            steps.append(per[1])
        avg = (f"Average over the batch: $g = \\frac{{1}}{{{latex(B)}}} \\nabla L_{{{blat}}}$ "
               f"is an unbiased estimate of $\\nabla {latex(f_sym)} / {latex(N)}$ (the mean loss over the "
               f"${latex(N)}$ examples, which has the same minimiser; the constant is absorbed into the "
               f"learning rate ${latex(eta)}$)" + (", and the regulariser enters as its gradient over "
                                                   f"${latex(N)}$" if reg_poly else "") + ":")
        steps.append(make_step("average", avg, est, check=False))
    back = {v: k for k, v in restrict.items()}
    full = M.scaled(1 / sp.sympify(N, strict=True), gb_expr.xreplace(back)) if gb else sp.ZeroMatrix(*w.shape)
    if reg_poly:
        full = sp.MatAdd(full, M.scaled(1 / sp.sympify(N, strict=True), M.poly_expr(M.grad(reg_poly, w))), evaluate=False)
    steps.append(make_step("check_full_batch", f"Check: with the whole data set as the batch ($B = {latex(N)}$), "
                           f"$g$ is the gradient of the mean loss:",
                           M.scaled(1 / sp.sympify(N, strict=True), GradientOf(f_sym, w)), full, where=where))
    g_tex = latex(est)
    if per is not None and not reg_poly:
        g_tex = f"{latex(est)} = {per[0]}"
    lines = _lines(name, w, eta, B, N, T, tol, g_tex, restrict, f_sym)
    prose = "\n".join(f"{i}. {line}" for i, line in enumerate(lines, start=1))
    header = f"**{ALGORITHMS[name][0].upper() + ALGORITHMS[name][1:]}** for ${latex(f_sym)}$ (learning rate " \
             f"${latex(eta)}$" + (f", batch size ${latex(B)}$" if name == "minibatch_sgd" else "") + "):\n\n"
    prose = header + prose
    return Derived(make_answer(prose, text=prose, value=None, tex="", prose=prose), tuple(steps))


def _indent(level: int) -> str:
    return "$" + r"\qquad" * level + "$ " if level else ""


def _lines(name: str, w: Any, eta: Any, B: Any, N: Any, T: Any, tol: Any, g: str, restrict: dict,
           f_sym: Any) -> list[str]:
    wt, et = latex(w), latex(eta)
    data = ", ".join(f"${latex(m)}$" for m in sorted(restrict, key=lambda m: m.name))
    blat = r"\mathcal{B}"
    stop = (f"stop early when $\\lVert \\nabla {latex(f_sym)}({wt}) \\rVert / {latex(N)} < {latex(tol)}$"
            if tol is not None else
            f"stop early when the loss ${latex(f_sym)}({wt})$ (or a held-out loss) stops decreasing")
    out = [f"**Input:** the data {data} (${latex(N)}$ examples), learning rate ${et}$"
           + (f", batch size ${latex(B)}$" if name == "minibatch_sgd" else "") + f", number of epochs ${latex(T)}$.",
           f"Initialise ${wt} \\leftarrow 0$ (or small random values).",
           f"**for** epoch $= 1, \\dots, {latex(T)}$ **do**"]
    if name == "batch_gd":
        out += [f"{_indent(1)}$g \\leftarrow {g}$ (the gradient of the mean loss over all examples)",
                f"{_indent(1)}${wt} \\leftarrow {wt} - {et}\\, g$"]
    else:
        split = ("pick the examples in a random order (shuffle $1, \\dots, " + latex(N) + "$)" if name == "sgd"
                 else f"shuffle the indices $1, \\dots, {latex(N)}$ and split them into "
                      f"$\\lceil {latex(N)}/{latex(B)} \\rceil$ minibatches ${blat}$ of ${latex(B)}$ examples")
        each = "for each example $i$ (a batch $\\mathcal{B} = \\{i\\}$)" if name == "sgd" else \
            f"**for** each minibatch ${blat}$ **do**"
        out += [f"{_indent(1)}{split}",
                f"{_indent(1)}{each}",
                f"{_indent(2)}$g \\leftarrow {g}$ (rows of the data in ${blat}$ only)",
                f"{_indent(2)}${wt} \\leftarrow {wt} - {et}\\, g$"]
    out += [f"{_indent(1)}{stop}", f"**return** ${wt}$"]
    return out


def _row_name(problem: Problem, m: Any) -> str:
    base = m.name[0].lower() + m.name[1:]
    name = f"{base}_i"
    return name if not problem.has(name) else f"{m.name}_row_i"


def _per_example(problem: Problem, gb: M.Poly, gb_expr: Any, restrict: dict, B: Any, w: Any, orient: Any
                 ) -> tuple[str, Step] | None:
    """X_ℬᵀ r = Σ_{i∈ℬ} x_i r_i: the batch gradient example by example, checked on a batch of two."""
    rows = {}
    for m, mb in restrict.items():
        c = m.shape[1]
        rows[mb] = sp.MatrixSymbol(_row_name(problem, m), c, 1) if c != 1 else sp.MatrixSymbol(_row_name(problem, m), 1, 1)
    terms = []
    for t in gb.terms:
        flat = M._as_flat(t, orient)
        if not flat:
            return None
        hits = [k for k in range(len(flat) - 1)
                if flat[k].base in rows and flat[k].t and flat[k + 1].base in rows and not flat[k + 1].t]
        if len(hits) != 1 or sum(1 for f in flat if f.base in rows) != 2:
            return None
        k = hits[0]
        new = list(flat)
        new[k] = M.Factor(rows[flat[k].base])
        new[k + 1] = M.Factor(rows[flat[k + 1].base], True)
        terms.append(M.make_term(t.coef, (), tuple(new), w.shape))
    per = M.Poly(w.shape, terms)
    fac = M.factor(per, orient)
    e_i = fac.expr if fac.gain > 0 else M.poly_expr(per, orient)
    coef = sp.Integer(1)
    body = e_i
    if isinstance(e_i, sp.MatMul) and not isinstance(e_i.args[0], (sp.MatrixBase,)) and \
            not hasattr(e_i.args[0], "shape"):
        coef, body = e_i.args[0], sp.MatMul(*e_i.args[1:], evaluate=False) if len(e_i.args) > 2 else e_i.args[1]
    blat = r"\mathcal{B}"
    c_tex = latex(coef / sp.sympify(B, strict=True)) if B != 1 else latex(coef)
    c_tex = "" if c_tex == "1" else ("-" if c_tex == "-1" else c_tex)
    sum_tex = f"{c_tex} \\sum_{{i \\in {blat}}} {latex(body)}" if B != 1 else f"{c_tex} {latex(body)}"
    # check on a batch of two examples: stack two rows for every data matrix
    two = {}
    pair = []
    for j in (1, 2):
        pair.append({r: sp.MatrixSymbol(r.name.replace("_i", f"_{j}"), *r.shape) for r in rows.values()})
    for mb, r in rows.items():
        two[mb] = sp.BlockMatrix([[pair[0][r].T], [pair[1][r].T]]) if r.shape[1] == 1 and r.shape[0] != 1 \
            else sp.BlockMatrix([[pair[0][r]], [pair[1][r]]])
    from .evaluate import substituted
    if isinstance(B, sp.Symbol):
        two[B] = sp.Integer(2)
    lhs = gb_expr.xreplace(two) if not isinstance(B, sp.Symbol) else gb_expr
    total = MC.tidy(sp.MatAdd(*[M.replace_keep_order(e_i, pair[j]) for j in (0, 1)], evaluate=False))
    c0 = "" if coef == 1 else ("-" if coef == -1 else latex(coef))
    text = (f"Example by example (with ${', '.join(latex(r) for r in rows.values())}$ the rows $i$ of the data): "
            f"$\\nabla L_{{{blat}}} = {c0} \\sum_{{i \\in {blat}}} {latex(body)}$; on a batch of two examples:")
    try:
        step = make_step("per_example", text, lhs, total, where=two)
    except Exception:      # the per-example form is a courtesy; never a reason to fail the goal
        return None
    return sum_tex, step
