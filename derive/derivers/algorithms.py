"""`pseudocode(ALG(L, w, lr = eta, batch = B, epochs = T))`: an optimisation algorithm as
numbered pseudocode, with the gradient it needs derived from L.

In:  ALG one of `minibatch_sgd`, `sgd` (one example per step), `batch_gd` (the whole
     data set per step) -- names of algorithms, used only inside `pseudocode`; L a scalar
     loss over data matrices whose first size is the number of examples N (X : (N, d),
     y : (N)); w the vector being learned.
Out: steps that derive ∇L in closed form (matcalc), restrict it to a minibatch ℬ (every
     data matrix keeps only the rows in ℬ: X_ℬ, y_ℬ) and average, g = (1/B)∇L_ℬ, checked
     against the full gradient when the batch is the whole data set (g = ∇L/N), then the
     algorithm as a table of numbered lines (sentences with the maths as sympy objects);
     the answer's text is the same pseudocode as plain lines.  Terms of L that do not
     involve the data (a regulariser R(w)) enter as (1/N)∇R.

The loss must be a sum over examples: each data term contracts the example index once
(yᵀy, yᵀXw, wᵀXᵀXw); anything else (e.g. (1ᵀy)²) is refused as not decomposable.
"""
from __future__ import annotations

from typing import Any

import sympy as sp
from sympy.printing.pretty.stringpict import prettyForm

from .. import ast
from ..errors import SpecError, Unsupported
from ..model import functions as F
from ..model.problem import Problem
from ..sentence import Em, Math, Rel, Sentence, join, say
from ..steps import Step, Table, make_step
from . import matcalc as MC
from ..engines import matpoly as M
from ..engines.matpoly import GradientOf
from ..notation import (has_subscript, mathml_el, mathml_fenced, mathml_infix, mathml_script, pretty_infix,
                        pretty_join, pretty_script)
from .registry import Derived, make_answer

ALGORITHMS = {
    "minibatch_sgd": "stochastic minibatch gradient descent",
    "sgd": "stochastic gradient descent (one example per step)",
    "batch_gd": "batch gradient descent (the whole data set per step)",
}
KWARGS = ("lr", "batch", "epochs", "tol")
I = sp.Symbol("i", integer=True, positive=True)


# ---- display objects (each prints itself in every format, its arguments by that format's printer) ----

_CAL_B = "ℬ"


def _batch_of(printer: Any, base: Any, mathml: bool) -> Any:
    """`base` with the minibatch ℬ as subscript, in brackets when it has one already: (X₁)_ℬ."""
    if mathml:
        node = printer._print(base)
        if node.tagName in ("msub", "msubsup"):
            node = mathml_fenced(printer, node)
        return mathml_script(printer, node, mathml_el(printer, "mi", text=_CAL_B))
    form = printer._print(base)
    if has_subscript(form):
        form = prettyForm(*form.parens())
    return pretty_script(form, _CAL_B)


class Batch(sp.MatrixSymbol):
    """A data matrix restricted to the rows of a minibatch: X_ℬ (name `X|B`)."""

    def _latex(self, printer, **kw) -> str:
        base = self.name.split("|")[0]
        tex = printer._print(sp.Symbol(base))
        return f"{tex}_{{\\mathcal{{B}}}}" if "_" not in tex else f"\\left({tex}\\right)_{{\\mathcal{{B}}}}"

    def _pretty(self, printer) -> prettyForm:
        return _batch_of(printer, sp.Symbol(self.name.split("|")[0]), False)

    def _mathml_presentation(self, printer) -> Any:
        return _batch_of(printer, sp.Symbol(self.name.split("|")[0]), True)


class BatchSet(sp.Expr):
    """The minibatch ℬ (a set of example indices)."""

    is_commutative = True

    def _latex(self, printer, **kw) -> str:
        return r"\mathcal{B}"

    def _pretty(self, printer) -> prettyForm:
        return prettyForm(_CAL_B)

    def _mathml_presentation(self, printer) -> Any:
        return mathml_el(printer, "mi", text=_CAL_B)


class BatchGradient(sp.MatrixSymbol):
    """∇L_ℬ, the gradient of the minibatch loss (name `L|grad`, the shape of the variable)."""

    def _latex(self, printer, **kw) -> str:
        return r"\nabla %s_{\mathcal{B}}" % printer._print(sp.Symbol(self.name.split("|")[0]))

    def _pretty(self, printer) -> prettyForm:
        return pretty_join("∇", _batch_of(printer, sp.Symbol(self.name.split("|")[0]), False))

    def _mathml_presentation(self, printer) -> Any:
        return mathml_el(printer, "mrow", mathml_el(printer, "mo", text="∇"),
                         _batch_of(printer, sp.Symbol(self.name.split("|")[0]), True))


class Assign(sp.Expr):
    """`lhs ← rhs` (more rhs: `lhs ← r1 = r2`), an assignment in pseudocode."""

    is_commutative = True

    def _latex(self, printer, **kw) -> str:
        lhs, *rhs = (printer._print(a) for a in self.args)
        return r"%s \leftarrow %s" % (lhs, " = ".join(rhs))

    def _pretty(self, printer) -> prettyForm:
        return pretty_join(printer._print(self.args[0]), " ← ", pretty_infix(printer, " = ", *self.args[1:]))

    def _mathml_presentation(self, printer) -> Any:
        return mathml_el(printer, "mrow", printer._print(self.args[0]), mathml_el(printer, "mo", text="←"),
                         mathml_infix(printer, "=", *self.args[1:]))

    def _sympystr(self, printer, **kw) -> str:
        lhs, *rhs = (printer._print(a) for a in self.args)
        return "%s ← %s" % (lhs, " = ".join(rhs))


class MapsTo(sp.Expr):
    """`a → b` (a data matrix replaced by its minibatch rows)."""

    is_commutative = True

    def _latex(self, printer, **kw) -> str:
        return r"%s \to %s" % tuple(printer._print(a) for a in self.args)

    def _pretty(self, printer) -> prettyForm:
        return pretty_infix(printer, " → ", *self.args)

    def _mathml_presentation(self, printer) -> Any:
        return mathml_infix(printer, "→", *self.args)


class SumOver(sp.Expr):
    """c Σ_{i ∈ ℬ} body (args: coefficient, body); with coefficient 1 no factor is shown."""

    is_commutative = True

    def _latex(self, printer, **kw) -> str:
        coef, body = self.args
        c = "" if coef == 1 else "-" if coef == -1 else printer._print(coef) + " "
        return r"%s\sum_{i \in \mathcal{B}} %s" % (c, printer._print(body))

    def _coef(self, printer, mathml: bool) -> list:
        coef = self.args[0]
        if coef == 1:
            return []
        if coef == -1:
            return [mathml_el(printer, "mo", text="-") if mathml else "-"]
        return [printer._print(coef)] + ([mathml_el(printer, "mo", text="\u2062")] if mathml else [" "])

    def _pretty(self, printer) -> prettyForm:
        return pretty_join(*self._coef(printer, False), pretty_script("∑", "i ∈ " + _CAL_B), " ",
                           printer._print(self.args[1]))

    def _mathml_presentation(self, printer) -> Any:
        under = mathml_el(printer, "mrow", mathml_el(printer, "mi", text="i"), mathml_el(printer, "mo", text="∈"),
                          mathml_el(printer, "mi", text=_CAL_B))
        return mathml_el(printer, "mrow", *self._coef(printer, True), mathml_script(printer, "∑", under, under=True),
                         printer._print(self.args[1]))


class Indent(sp.Expr):
    """Indentation of a pseudocode line (args: the depth)."""

    is_commutative = True

    def _latex(self, printer, **kw) -> str:
        return r"\qquad" * int(self.args[0])

    def _pretty(self, printer) -> prettyForm:
        return prettyForm("  " * int(self.args[0]))

    def _mathml_presentation(self, printer) -> Any:
        space = mathml_el(printer, "mspace")
        space.setAttribute("width", "%dem" % (2 * int(self.args[0])))
        return space


BSET = BatchSet()


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


def _restriction(problem: Problem, name: str, alg: ast.Call, data: set, N: Any) -> tuple[Any, dict]:
    """The batch size B and the map from each data matrix to its minibatch rows."""
    if name == "minibatch_sgd":
        B = _kw(problem, alg, "batch", sp.Symbol("B", integer=True, positive=True))
    elif name == "sgd":
        B = sp.Integer(1)
    else:
        B = N
    restrict = {m: (Batch(f"{m.name}|B", B, m.shape[1]) if name != "batch_gd" else m)
                for m in sorted(data, key=lambda m: m.name)}
    return B, restrict


def _estimate(p: M.Poly, leaf: Any, w: Any, with_data: list, rest: list, restrict: dict, B: Any, N: Any
              ) -> tuple[Any, M.Poly, Any, Any, M.Poly]:
    """The minibatch loss, its gradient (poly and expression) and the estimate g = (1/B)∇L_ℬ (+ (1/N)∇R)."""
    data_poly, reg_poly = M.Poly(p.shape, with_data), M.Poly(p.shape, rest)
    batch_leaf = M.poly_expr(data_poly).xreplace(restrict) if with_data else sp.Integer(0)
    gb = M.grad(M.to_poly(batch_leaf), w) if with_data else M.Poly(w.shape)
    gb_expr = MC._nice_answer(gb, M.Orient(None, M.preferred(leaf)))[0] if gb else sp.ZeroMatrix(*w.shape)
    est = M.scaled(1 / sp.sympify(B, strict=True), gb_expr) if B != 1 else gb_expr
    if reg_poly:
        greg = M.grad(reg_poly, w)
        est = sp.MatAdd(est, M.scaled(1 / sp.sympify(N, strict=True), M.poly_expr(greg)), evaluate=False)
    return batch_leaf, gb, gb_expr, est, reg_poly


def _batch_steps(problem: Problem, ctx: dict) -> tuple[list[Step], Any]:
    """Restrict to a minibatch, the batch gradient example by example, and the average g."""
    w, B, N, restrict, f_sym = ctx["w"], ctx["B"], ctx["N"], ctx["restrict"], ctx["f_sym"]
    orient = M.Orient(w, M.preferred(ctx["leaf"]))
    batch_leaf, gb, gb_expr = ctx["batch_leaf"], ctx["gb"], ctx["gb_expr"]
    shown_loss = M.poly_expr(M.to_poly(batch_leaf), orient) if ctx["with_data"] else batch_leaf
    maps = join([Math(MapsTo(m, restrict[m])) for m in sorted(restrict, key=lambda m: m.name)])
    text = say("Restrict every data matrix to the rows of a minibatch ", Math(BSET), " of ", Math(B), " examples (",
               maps, "): the minibatch loss ", Math(shown_loss), " has the gradient")
    steps = [make_step("minibatch_gradient", text, GradientOf(batch_leaf, w), gb_expr)]
    per = _per_example(problem, gb, gb_expr, restrict, B, w, orient, f_sym)
    if per is not None:
        steps.append(per[1])
    reg = say(", and the regulariser enters as its gradient over ", Math(N)) if ctx["reg_poly"] else say()
    g_def = Rel(sp.MatrixSymbol("g", *w.shape), "=",
                M.scaled(1 / sp.sympify(B, strict=True), BatchGradient(f"{f_sym}|grad", *w.shape)), kind="definition")
    avg = say("Average over the batch: ", g_def,
              " is an unbiased estimate of ", Math(GradientOf(f_sym, w) / N), " (the gradient of the mean loss over "
              "the ", Math(N), " examples, which has the same minimiser; the constant is absorbed into the learning "
              "rate ", Math(ctx["eta"]), ")", reg, ":")
    steps.append(make_step("average", avg, ctx["est"], check=False))
    return steps, per


def pseudocode(problem: Problem, call: ast.Call) -> Derived:
    """pseudocode(ALG(L, w, ...)): the gradient, its minibatch estimate, and the algorithm's lines."""
    name, alg = _algorithm(call)
    f_node, x_node = alg.args
    w, wb = MC.variable(problem, x_node, name)
    if not MC._vector(w):
        raise SpecError(f"`{name}` learns a vector; `{wb.name}` is {wb.describe()}", x_node.pos)
    display, leaf, steps = MC.target(problem, f_node, w, name)
    f_sym = MC._f_symbol(problem, f_node, display)
    where = {**MC.node_where(problem, frozenset({w})), f_sym: leaf}
    p = M.to_poly(leaf)
    g = MC.poly_grad_steps(f_sym, display, leaf, w, where)
    steps.append(make_step("gradient", say("The gradient of the loss, term by term:"), GradientOf(f_sym, w), g.expr,
                           where=where, substeps=g.steps))
    N = _example_dim(problem, leaf, w, f_node.pos)
    data = {m for m in leaf.atoms(sp.MatrixSymbol) if m.shape[0] == N}
    with_data, rest = _split_terms(p, data)
    for t in with_data:
        if not _sums_over_examples(t, N):
            raise Unsupported(f"the loss is not a sum over the {N} examples (the term {M.term_expr(t)} couples "
                              "several examples), so a minibatch gradient is not defined by restriction", f_node.pos)
    B, restrict = _restriction(problem, name, alg, data, N)
    batch_leaf, gb, gb_expr, est, reg_poly = _estimate(p, leaf, w, with_data, rest, restrict, B, N)
    ctx = {"w": w, "B": B, "N": N, "restrict": restrict, "f_sym": f_sym, "leaf": leaf, "batch_leaf": batch_leaf,
           "gb": gb, "gb_expr": gb_expr, "est": est, "reg_poly": reg_poly, "with_data": with_data,
           "eta": _kw(problem, alg, "lr", sp.Symbol("eta", positive=True)),
           "T": _kw(problem, alg, "epochs", sp.Symbol("T", integer=True, positive=True)),
           "tol": _kw(problem, alg, "tol", None)}
    per = None
    if name != "batch_gd":
        more, per = _batch_steps(problem, ctx)
        steps.extend(more)
    steps.append(_full_batch_check(ctx, where))
    g_shown = (est, per[0]) if per is not None and not reg_poly else (est,)
    lines = _lines(name, ctx, g_shown)
    title = ALGORITHMS[name][0].upper() + ALGORITHMS[name][1:]
    header = say(Em(title), " for ", Math(f_sym), " (learning rate ", Math(ctx["eta"]),
                 say(", batch size ", Math(B)) if name == "minibatch_sgd" else "", ")")
    steps.append(make_step("algorithm", say(header, ":"), table=_line_table(lines), check=False))
    text = "\n".join([str(header) + ":"] + [f"{k}. {s}" for k, (_, s) in enumerate(lines, start=1)])
    numbered = join([say(f"({k}) ", line) for k, (_, line) in enumerate(lines, start=1)], "; ")
    return Derived(make_answer(text, text=text, value=None, tex="", prose=say(header, ": ", numbered, ".")),
                   tuple(steps))


def _full_batch_check(ctx: dict, where: dict) -> Step:
    """With the whole data set as the batch, g is the gradient of the mean loss."""
    w, N, gb, gb_expr, restrict = ctx["w"], ctx["N"], ctx["gb"], ctx["gb_expr"], ctx["restrict"]
    back = {v: k for k, v in restrict.items()}
    inv_n = 1 / sp.sympify(N, strict=True)
    full = M.scaled(inv_n, gb_expr.xreplace(back)) if gb else sp.ZeroMatrix(*w.shape)
    if ctx["reg_poly"]:
        full = sp.MatAdd(full, M.scaled(inv_n, M.poly_expr(M.grad(ctx["reg_poly"], w))), evaluate=False)
    text = say("Check: with the whole data set as the batch (", Rel(sp.Symbol("B"), "=", N, kind="assumption"),
               "), ", Math(sp.MatrixSymbol("g", *w.shape)), " is the gradient of the mean loss:")
    return make_step("check_full_batch", text, M.scaled(inv_n, GradientOf(ctx["f_sym"], w)), full, where=where)


def _line_table(lines: list[tuple[int, Sentence]]) -> Table:
    """The pseudocode as a table: line number, the line indented by its depth."""
    rows = tuple((sp.Integer(k), say(Math(Indent(depth)), " ", s) if depth else s)
                 for k, (depth, s) in enumerate(lines, start=1))
    return Table(("line", "pseudocode"), rows, "")


def _lines(name: str, ctx: dict, g_shown: tuple) -> list[tuple[int, Sentence]]:
    """The algorithm's lines as (depth, sentence)."""
    w, eta, B, N, T, tol, f_sym = (ctx[k] for k in ("w", "eta", "B", "N", "T", "tol", "f_sym"))
    g = sp.MatrixSymbol("g", *w.shape)
    data = join([Math(m) for m in sorted(ctx["restrict"], key=lambda m: m.name)])
    grad = GradientOf(f_sym, w)
    stop = say("stop early when ", Math(sp.StrictLessThan(F.Norm(grad) / N, tol))) if tol is not None else \
        say("stop early when the loss ", Math(sp.Function(str(f_sym))(w)), " (or a held-out loss) stops decreasing")
    batch = say(", batch size ", Math(B)) if name == "minibatch_sgd" else say()
    out = [(0, say(Em("Input:"), " the data ", data, " (", Math(N), " examples), learning rate ", Math(eta), batch,
                   ", number of epochs ", Math(T))),
           (0, say("Initialise ", Math(Assign(w, 0)), " (or small random values)")),
           (0, say(Em("for"), " each epoch ", Math(sp.Symbol("t")), " from 1 to ", Math(T), " ", Em("do")))]
    update = say(Math(Assign(w, sp.MatAdd(w, -eta * g, evaluate=False))))
    if name == "batch_gd":
        out += [(1, say(Math(Assign(g, *g_shown)), " (the gradient of the mean loss over all examples)")),
                (1, update)]
    else:
        split = say("pick the examples in a random order (shuffle the indices 1 to ", Math(N), ")") if name == "sgd" \
            else say("shuffle the indices 1 to ", Math(N), " and split them into ", Math(sp.ceiling(N / B)),
                     " minibatches ", Math(BSET), " of ", Math(B), " examples")
        singleton = Rel(BSET, "=", sp.FiniteSet(I), kind="definition")
        each = say(Em("for"), " each example ", Math(I), " (a batch ", singleton, ") ", Em("do")) if name == "sgd" \
            else say(Em("for"), " each minibatch ", Math(BSET), " ", Em("do"))
        out += [(1, split), (1, each),
                (2, say(Math(Assign(g, *g_shown)), " (rows of the data in ", Math(BSET), " only)")), (2, update)]
    out += [(1, stop), (0, say(Em("return"), " ", Math(w)))]
    return out


def _row_name(problem: Problem, m: Any) -> str:
    base = m.name[0].lower() + m.name[1:]
    name = f"{base}_i"
    return name if not problem.has(name) else f"{m.name}_row_i"


def _per_example(problem: Problem, gb: M.Poly, gb_expr: Any, restrict: dict, B: Any, w: Any, orient: Any,
                 f_sym: Any) -> tuple[Any, Step] | None:
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
    summed = SumOver(coef / sp.sympify(B, strict=True) if B != 1 else coef, body) if B != 1 else \
        (body if coef == 1 else M.scaled(coef, body))
    # check on a batch of two examples: stack two rows for every data matrix
    two = {}
    pair = []
    for j in (1, 2):
        pair.append({r: sp.MatrixSymbol(r.name.replace("_i", f"_{j}"), *r.shape) for r in rows.values()})
    for mb, r in rows.items():
        two[mb] = sp.BlockMatrix([[pair[0][r].T], [pair[1][r].T]]) if r.shape[1] == 1 and r.shape[0] != 1 \
            else sp.BlockMatrix([[pair[0][r]], [pair[1][r]]])
    if isinstance(B, sp.Symbol):
        two[B] = sp.Integer(2)
    lhs = gb_expr.xreplace(two) if not isinstance(B, sp.Symbol) else gb_expr
    total = MC.tidy(sp.MatAdd(*[M.replace_keep_order(e_i, pair[j]) for j in (0, 1)], evaluate=False))
    rows_shown = join([Math(r) for r in rows.values()])
    text = say("Example by example (with ", rows_shown, " the rows ", Math(I), " of the data): ",
               Rel(BatchGradient(f"{f_sym}|grad", *w.shape), "=", SumOver(coef, body), kind="fact"),
               "; on a batch of two examples:")
    try:
        step = make_step("per_example", text, lhs, total, where=two)
    except (TypeError, ValueError, NotImplementedError):   # the checker cannot evaluate the block form:
        return None      # the per-example form is a courtesy, left out (a CheckFailed, a false form, is not caught)
    return summed, step
